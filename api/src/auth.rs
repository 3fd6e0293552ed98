//! Authentication mechanics: argon2id passwords, HS256 access tokens, random secrets, and the
//! bearer-token check run on every request.
//!
//! The rules (token formats, scopes, password policy, rate limit) are in
//! `gantry_engine::domain::auth`; the use cases (logins, sessions, tokens, the database checks of
//! bearer tokens) are `gantry_app::auth`, which gets the cryptography through the adapters this
//! module implements ([`OsSecrets`], [`Auth`]). This module only does what the engine must not:
//! cryptography, randomness from the OS, and the clock.
//!
//! Access tokens are JWTs signed with HS256 (`GANTRY_JWT_SECRET`), carrying `sub` (user id),
//! `role`, `cid` (customer id), `sid` (the session: the refresh-token family), `iat`, `exp` and
//! `jti`. A bearer token is checked against the database (the account must be active, the
//! session or API token not revoked) and the resulting principal is then remembered for a short
//! while (`GANTRY_AUTH_CACHE_SECS`, default 5 s; 0 turns the cache off), so a busy client does not
//! cost two reads per request. Every mutation of this process that revokes or changes
//! credentials (logout, refresh-token reuse, password change, deactivation, role change, API-token
//! revocation) empties the cache, so in this process they take effect at once; a change made
//! elsewhere (another replica, `gantry set-password`) takes effect within the cache lifetime.
//! Signature and expiry of an access token are checked on every request, cached or not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use gantry_app::auth::{Credentials, Secrets};
use gantry_app::{AppError, AppResult, Db};
use gantry_engine::domain::auth::{AuthError, LoginPolicy, SessionPolicy, TOKEN_SECRET_BYTES, TokenKind};
use gantry_engine::domain::types::UserId;
use gantry_engine::domain::users::User;
use gantry_engine::error::DomainError;
use gantry_engine::store::{StoreError, StoreResult};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;
use crate::graphql::principal::{Principal, PrincipalKind};

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as text.
    pub sub: String,
    /// The role when the token was issued (informational; the current role is reloaded).
    pub role: String,
    /// The customer record of a customer account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<i64>,
    /// The session (refresh-token family) this token belongs to.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// Process-wide authentication settings and keys (cheap to clone).
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: chrono::Duration,
    sessions: SessionPolicy,
    policy: LoginPolicy,
    /// A real argon2id hash of a random string: unknown accounts are checked against it, so
    /// they take as long as known ones (no enumeration by timing).
    dummy_hash: String,
    /// Recently verified bearer tokens.
    cache: PrincipalCache,
}

/// Most principals remembered at once; when full, the cache starts over.
const CACHE_MAX_ENTRIES: usize = 10_000;

/// Bearer tokens verified against the database in the last `ttl`, keyed by the SHA-256 of the
/// token (the token itself is not kept). An entry is used only while the cache generation it was
/// made in is current: [`Auth::forget_principals`] starts a new generation, so a request that
/// read the database before a revocation cannot put a stale principal back afterwards.
struct PrincipalCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<[u8; 32], Cached>>,
}

#[derive(Clone)]
struct Cached {
    principal: Principal,
    generation: u64,
    expires: Instant,
    /// API tokens: when the token was last recorded as used (the record is still refreshed once
    /// a minute while the principal comes from the cache).
    last_used_at: Option<DateTime<Utc>>,
}

impl PrincipalCache {
    fn new(ttl: Duration) -> Self {
        PrincipalCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Cached>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, key: &[u8; 32]) -> Option<Cached> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let mut entries = self.entries();
        match entries.get(key) {
            Some(c) if c.generation == generation && c.expires > Instant::now() => Some(c.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers `principal`, unless the cache was emptied since `generation` was read.
    fn put(&self, key: [u8; 32], generation: u64, principal: Principal, last_used_at: Option<DateTime<Utc>>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= CACHE_MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Cached {
                principal,
                generation,
                expires: Instant::now() + self.ttl,
                last_used_at,
            },
        );
    }

    fn touched(&self, key: &[u8; 32], at: DateTime<Utc>) {
        if let Some(c) = self.entries().get_mut(key) {
            c.last_used_at = Some(at);
        }
    }

    fn clear(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

/// Failure of the cryptographic machinery (not of the caller).
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error("operating-system random number generator failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("token signing failed: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

impl From<AuthSetupError> for StoreError {
    fn from(e: AuthSetupError) -> Self {
        // Reported as INTERNAL; the detail is logged by the error mapping, never shown.
        StoreError::corrupt("auth", e)
    }
}

impl From<AuthSetupError> for AppError {
    fn from(e: AuthSetupError) -> Self {
        AppError::Store(e.into())
    }
}

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> Result<[u8; N], AuthSetupError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthSetupError::Random(e.to_string()))?;
    Ok(buf)
}

/// A new random token of `kind` (`gty_…`, `gtp_…`, `gtr_…`).
pub fn new_token(kind: TokenKind) -> Result<String, AuthSetupError> {
    Ok(kind.format(&random_bytes::<TOKEN_SECRET_BYTES>()?))
}

/// A random hex identifier of 16 bytes (request ids, token ids).
pub fn random_id() -> Result<String, AuthSetupError> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string.
pub fn hash_password_blocking(password: &str) -> Result<String, AuthSetupError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthSetupError::Hash(e.to_string()))
}

/// [`hash_password_blocking`] off the async executor.
pub async fn hash_password(password: String) -> Result<String, AuthSetupError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| AuthSetupError::Hash(e.to_string()))?
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A signed access token.
pub use gantry_app::auth::AccessToken;

/// The secrets of the use cases from the operating system's randomness and argon2id (what
/// needs no keys: the command-line tools and the mutations that mint tokens use it).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsSecrets;

impl Secrets for OsSecrets {
    fn new_token(&self, kind: TokenKind) -> AppResult<String> {
        Ok(new_token(kind)?)
    }

    async fn hash_password(&self, password: String) -> AppResult<String> {
        Ok(hash_password(password).await?)
    }
}

impl Secrets for Auth {
    fn new_token(&self, kind: TokenKind) -> AppResult<String> {
        OsSecrets.new_token(kind)
    }

    async fn hash_password(&self, password: String) -> AppResult<String> {
        OsSecrets.hash_password(password).await
    }
}

impl Credentials for Auth {
    async fn verify_password(&self, password: String, hash: Option<String>) -> bool {
        Auth::verify_password(self, password, hash).await
    }

    fn issue_access(&self, user: &User, session: &str, now: DateTime<Utc>) -> AppResult<AccessToken> {
        Ok(Auth::issue_access(self, user, session, now)?)
    }

    fn policy(&self) -> &LoginPolicy {
        Auth::policy(self)
    }

    fn sessions(&self) -> &SessionPolicy {
        Auth::sessions(self)
    }
}

impl Auth {
    /// Keys from `secret` (at least 32 bytes for production; not checked here), without a
    /// principal cache.
    pub fn new(
        secret: &[u8],
        access_ttl_secs: u64,
        sessions: SessionPolicy,
        policy: LoginPolicy,
    ) -> Result<Auth, AuthSetupError> {
        Auth::with_cache(secret, access_ttl_secs, sessions, policy, Duration::ZERO)
    }

    /// [`Auth::new`] remembering verified principals for `cache_ttl` (zero: not at all).
    pub fn with_cache(
        secret: &[u8],
        access_ttl_secs: u64,
        sessions: SessionPolicy,
        policy: LoginPolicy,
        cache_ttl: Duration,
    ) -> Result<Auth, AuthSetupError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        let dummy = hex::encode(random_bytes::<16>()?);
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Ok(Auth {
            inner: Arc::new(Inner {
                encoding: EncodingKey::from_secret(secret)?,
                decoding: DecodingKey::from_secret(secret)?,
                validation,
                access_ttl: secs(access_ttl_secs),
                sessions,
                policy,
                dummy_hash: hash_password_blocking(&dummy)?,
                cache: PrincipalCache::new(cache_ttl),
            }),
        })
    }

    /// From the `auth` section of the configuration. Without `GANTRY_JWT_SECRET` a random key is
    /// generated and a warning logged: tokens then do not survive a restart and are not accepted
    /// by other replicas.
    pub fn from_config(config: &AuthSettings) -> Result<Auth, AuthSetupError> {
        let secret = match &config.jwt_secret {
            Some(s) => s.0.as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "GANTRY_JWT_SECRET is not set: using a random key; sessions will not survive a \
                     restart and tokens will not work across replicas"
                );
                random_bytes::<32>()?.to_vec()
            }
        };
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        let sessions = SessionPolicy {
            refresh_ttl: secs(config.refresh_token_ttl_secs),
            max_age: secs(config.refresh_max_age_days.saturating_mul(86_400)),
        };
        Auth::with_cache(
            &secret,
            config.access_token_ttl_secs,
            sessions,
            LoginPolicy::default(),
            Duration::from_secs(config.cache_secs),
        )
    }

    /// Forgets every remembered principal. Called after every committed change that revokes or
    /// alters credentials (logout, session revocation, password or role change, deactivation,
    /// API-token revocation), so it takes effect at once in this process.
    pub fn forget_principals(&self) {
        self.inner.cache.clear();
    }

    pub fn policy(&self) -> &LoginPolicy {
        &self.inner.policy
    }

    /// Refresh-token lifetime and maximum session age.
    pub fn sessions(&self) -> &SessionPolicy {
        &self.inner.sessions
    }

    /// Signs an access token for `user` in session `sid`.
    pub fn issue_access(
        &self,
        user: &User,
        sid: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, AuthSetupError> {
        let expires_at = now + self.inner.access_ttl;
        let claims = Claims {
            sub: user.id.0.to_string(),
            role: user.role.as_str().to_string(),
            cid: user.customer_id.map(|c| c.0),
            sid: sid.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: random_id()?,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.inner.encoding)?;
        Ok(AccessToken { token, expires_at })
    }

    /// Verifies signature, algorithm and expiry of an access token.
    pub fn verify_access(&self, token: &str) -> Result<Claims, AuthError> {
        match jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &self.inner.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(AuthError::TokenExpired),
                _ => Err(AuthError::TokenInvalid),
            },
        }
    }

    /// Checks `password` against a stored hash; an absent hash is checked against a dummy so
    /// that the time taken does not reveal whether the account exists.
    pub async fn verify_password(&self, password: String, phc: Option<String>) -> bool {
        let inner = self.inner.clone();
        let known = phc.is_some();
        let res = tokio::task::spawn_blocking(move || {
            let hash = phc.as_deref().unwrap_or(&inner.dummy_hash);
            verify_blocking(&password, hash)
        })
        .await;
        known && res.unwrap_or(false)
    }
}

fn auth_err(e: AuthError) -> StoreError {
    StoreError::Rejected(DomainError::Auth(e))
}

/// Authenticates a bearer token: an access JWT or an API token (`gty_…`). Refresh and printer
/// tokens are not accepted here. Rejections are `StoreError::Rejected(Auth(..))`.
///
/// A principal verified within the cache lifetime is answered from memory (see the module
/// documentation); an access token's signature and expiry are still checked every time.
pub async fn authenticate(auth: &Auth, db: &Db, token: &str, now: DateTime<Utc>) -> StoreResult<Principal> {
    let kind = TokenKind::classify(token);
    let cache = &auth.inner.cache;
    let key = PrincipalCache::key(token);
    if let Some(hit) = cache.get(&key) {
        match (kind, &hit.principal.kind) {
            (Some(TokenKind::Api), PrincipalKind::ApiToken { token_id, .. }) => {
                if gantry_app::auth::touch_api_token(db, now, *token_id, hit.last_used_at)
                    .await
                    .map_err(store_error)?
                {
                    cache.touched(&key, now);
                }
                return Ok(hit.principal);
            }
            (None, PrincipalKind::User) => {
                auth.verify_access(token).map_err(auth_err)?;
                return Ok(hit.principal);
            }
            _ => {}
        }
    }
    // Read before the database: a revocation committed after this point empties the cache and
    // makes this generation stale, so the principal read below is then not remembered.
    let generation = cache.generation.load(Ordering::SeqCst);
    let (principal, last_used_at) = authenticate_uncached(auth, db, token, kind, now)
        .await
        .map_err(store_error)?;
    cache.put(key, generation, principal.clone(), last_used_at);
    Ok(principal)
}

/// The bearer checks refuse with store errors only (`AUTH_*` rejections, `NOT_FOUND`, database
/// failures); anything else would be a bug, reported as internal.
fn store_error(e: AppError) -> StoreError {
    match e {
        AppError::Store(e) => e,
        e @ AppError::Refused { .. } => StoreError::corrupt("auth", e),
    }
}

/// The database check of [`authenticate`]; also returns an API token's last recorded use.
async fn authenticate_uncached(
    auth: &Auth,
    db: &Db,
    token: &str,
    kind: Option<TokenKind>,
    now: DateTime<Utc>,
) -> AppResult<(Principal, Option<DateTime<Utc>>)> {
    match kind {
        Some(TokenKind::Api) => {
            let (user, t) = gantry_app::auth::api_token_account(db, now, token).await?;
            let principal = Principal {
                user_id: user.id,
                role: user.role,
                customer_id: user.customer_id,
                kind: PrincipalKind::ApiToken {
                    token_id: t.id,
                    scopes: t.scopes,
                },
            };
            Ok((principal, t.last_used_at))
        }
        Some(_) => Err(AppError::from(DomainError::Auth(AuthError::TokenInvalid))),
        None => {
            let claims = auth
                .verify_access(token)
                .map_err(|e| AppError::from(DomainError::Auth(e)))?;
            let id = claims
                .sub
                .parse::<i64>()
                .map(UserId)
                .map_err(|_| AppError::from(DomainError::Auth(AuthError::TokenInvalid)))?;
            let user = gantry_app::auth::session_account(db, id, &claims.sid).await?;
            let principal = Principal {
                user_id: user.id,
                role: user.role,
                customer_id: user.customer_id,
                kind: PrincipalKind::User,
            };
            Ok((principal, None))
        }
    }
}
