//! Use cases of authentication: logging in (rate-limited), sessions (single-use refresh tokens),
//! password changes, API tokens for integrators, printer tokens for agents, and the database
//! checks of bearer tokens.
//!
//! The cryptography the engine must not do (argon2id, token signing, randomness from the OS)
//! comes in through two small adapters: [`Secrets`] (new tokens, password hashes) and
//! [`Credentials`] (password checks, access tokens, the session settings), implemented by the
//! api crate. The rules (token formats, scopes, password policy, rate limit) are
//! `domain::auth`.

use std::future::Future;

use chrono::{DateTime, Utc};
use gantry_engine::domain::auth::{
    ApiToken, AuthError, LoginPolicy, PASSWORD_MAX_BYTES, PrinterToken, SessionPolicy, SignUpPolicy,
    TokenKind, check_password,
};
use gantry_engine::domain::equipment::Printer;
use gantry_engine::domain::types::{PrinterId, UserId};
use gantry_engine::domain::users::{EMAIL_MAX, NewCustomer, NewUser, Role, User, normalize_email};
use gantry_engine::error::{DomainError, ErrorKind};
use gantry_engine::store::auth::{self as st, RefreshOutcome};
use gantry_engine::store::{StoreError, equipment, users};

use crate::{AppError, AppResult, Db, commit, conn};

/// New secrets: random tokens and password hashes.
pub trait Secrets: Sync {
    /// A new random token of `kind` (`gty_…`, `gtp_…`, `gtr_…`).
    fn new_token(&self, kind: TokenKind) -> AppResult<String>;
    /// The stored form of a password (off the async executor: hashing is slow on purpose).
    fn hash_password(&self, password: String) -> impl Future<Output = AppResult<String>> + Send;
}

/// Checking passwords and signing access tokens, with the session settings.
pub trait Credentials: Secrets {
    /// Whether `password` matches the stored hash; an absent hash is checked against a dummy,
    /// so that the time taken does not tell whether the account exists.
    fn verify_password(&self, password: String, hash: Option<String>) -> impl Future<Output = bool> + Send;
    /// Signs an access token for `user` in `session`.
    fn issue_access(&self, user: &User, session: &str, now: DateTime<Utc>) -> AppResult<AccessToken>;
    /// The login rate limit.
    fn policy(&self) -> &LoginPolicy;
    /// How long refresh sessions live: each token's lifetime and the session's absolute maximum age.
    fn sessions(&self) -> &SessionPolicy;
}

/// A signed access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The tokens of a session, for its user.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub access: AccessToken,
    /// Single-use: exchanged by [`refresh`] for the next one.
    pub refresh_token: String,
    pub user: User,
}

/// A new secret with its record: the secret is shown this once.
#[derive(Debug, Clone, PartialEq)]
pub struct Minted<T> {
    pub token: String,
    pub record: T,
}

fn refused(e: AuthError) -> AppError {
    AppError::from(DomainError::Auth(e))
}

/// Logs in with e-mail and password from `address`. After too many failures for the account
/// (since its last success) or from the address, attempts are refused (`RATE_LIMITED`) until
/// the window passes, even with the right password. A wrong e-mail and a wrong password give
/// the same `AUTH_INVALID_CREDENTIALS`.
pub async fn login(
    db: &Db,
    keys: &impl Credentials,
    now: DateTime<Utc>,
    email: &str,
    password: String,
    address: &str,
) -> AppResult<Session> {
    let email_key: String = normalize_email(email)
        .unwrap_or_else(|_| email.trim().to_lowercase())
        .chars()
        .take(EMAIL_MAX)
        .collect();
    // Claim first: the attempt is recorded as a failure before anything is checked, so
    // concurrent attempts count each other and a parallel burst cannot pass the limit.
    let mut tx = db.begin().await?;
    let attempt = st::record_login_attempt(&mut tx, now, &email_key, address, false).await?;
    commit(tx).await?;
    let mut c = conn(db).await?;
    let failures = st::login_failures(&mut c, now, keys.policy(), &email_key, address, Some(attempt)).await?;
    if let Err(e) = keys.policy().check(now, &failures) {
        drop(c);
        // Refused without checking the password: not an attempt that counts.
        let mut tx = db.begin().await?;
        st::forget_login_attempt(&mut tx, attempt).await?;
        commit(tx).await?;
        return Err(refused(e));
    }
    let creds = users::credentials_by_email(&mut c, email).await?;
    drop(c);
    let (user, hash) = match creds {
        Some((u, h)) => (Some(u), h),
        None => (None, None),
    };
    // Over-long passwords are refused without hashing (bounded work per attempt).
    let hash = if password.len() > PASSWORD_MAX_BYTES {
        None
    } else {
        hash
    };
    let verified = keys.verify_password(password, hash).await;
    let Some(user) = user.filter(|u| verified && u.active) else {
        // Already recorded as a failure.
        return Err(refused(AuthError::InvalidCredentials));
    };
    let mut tx = db.begin().await?;
    st::mark_login_succeeded(&mut tx, attempt).await?;
    let refresh = keys.new_token(TokenKind::Refresh)?;
    let session = st::create_refresh_token(&mut tx, now, user.id, &refresh, keys.sessions()).await?;
    let access = keys.issue_access(&user, &session, now)?;
    commit(tx).await?;
    tracing::info!(user_id = user.id.0, "login");
    Ok(Session {
        access,
        refresh_token: refresh,
        user,
    })
}

/// A customer's self-registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    /// The customer's name (also the account's display name).
    pub name: String,
    pub company: Option<String>,
}

/// Registers a customer: a customer record and a customer account for it, logged in at once
/// (one transaction: either both exist or neither). Attempts are rate-limited per client
/// `address` ([`SignUpPolicy`]; refused with `AUTH_RATE_LIMITED`); a taken e-mail is
/// `USER_EMAIL_TAKEN`, a weak password the password policy's code, and nothing is written
/// but the attempt.
pub async fn sign_up(
    db: &Db,
    keys: &impl Credentials,
    now: DateTime<Utc>,
    input: SignUp,
    address: &str,
) -> AppResult<Session> {
    let policy = SignUpPolicy::default();
    let mut tx = db.begin().await?;
    let attempt = st::record_signup_attempt(&mut tx, now, address).await?;
    commit(tx).await?;
    let mut c = conn(db).await?;
    let (recent, oldest) = st::signup_attempts(&mut c, now, &policy, address, attempt).await?;
    drop(c);
    if let Err(e) = policy.check(now, recent, oldest) {
        let mut tx = db.begin().await?;
        st::forget_signup_attempt(&mut tx, attempt).await?;
        commit(tx).await?;
        return Err(refused(e));
    }
    check_password(&input.password).map_err(DomainError::Auth)?;
    let customer = NewCustomer {
        name: input.name.clone(),
        email: Some(input.email.clone()),
        company: input.company,
    }
    .validate()
    .map_err(DomainError::User)?;
    let hash = keys.hash_password(input.password).await?;
    let mut tx = db.begin().await?;
    let customer = users::create_customer(&mut tx, now, &customer).await?;
    let user = users::create_user(
        &mut tx,
        now,
        &NewUser {
            email: input.email,
            display_name: customer.name.clone(),
            role: Role::Customer,
            customer_id: Some(customer.id),
            password_hash: Some(hash),
        },
    )
    .await?;
    let refresh = keys.new_token(TokenKind::Refresh)?;
    let session = st::create_refresh_token(&mut tx, now, user.id, &refresh, keys.sessions()).await?;
    let access = keys.issue_access(&user, &session, now)?;
    commit(tx).await?;
    tracing::info!(user_id = user.id.0, customer_id = customer.id.0, "sign-up");
    Ok(Session {
        access,
        refresh_token: refresh,
        user,
    })
}

/// The outcome of [`refresh`].
#[derive(Debug, Clone, PartialEq)]
pub enum Refresh {
    /// The token was valid: the session goes on with these tokens.
    Rotated(Session),
    /// The token was not accepted. A used token presented again (`AUTH_REFRESH_TOKEN_REUSED`)
    /// has revoked its whole session, and that is committed.
    Refused(AuthError),
}

/// Exchanges a refresh token for a new access token and a new refresh token.
pub async fn refresh(
    db: &Db,
    keys: &impl Credentials,
    now: DateTime<Utc>,
    refresh_token: &str,
) -> AppResult<Refresh> {
    let next = keys.new_token(TokenKind::Refresh)?;
    let mut tx = db.begin().await?;
    let outcome = st::rotate_refresh_token(&mut tx, now, refresh_token, &next, keys.sessions()).await?;
    match outcome {
        RefreshOutcome::Rejected(e) => {
            // A reuse revoked the session; that must stick even though the call fails.
            commit(tx).await?;
            if e == AuthError::RefreshTokenReused {
                tracing::warn!("refresh token reused; session revoked");
            }
            Ok(Refresh::Refused(e))
        }
        RefreshOutcome::Rotated { user_id, session } => {
            let user = users::get_user(&mut tx, user_id).await?;
            let access = keys.issue_access(&user, &session, now)?;
            commit(tx).await?;
            Ok(Refresh::Rotated(Session {
                access,
                refresh_token: next,
                user,
            }))
        }
    }
}

/// Ends the session of a refresh token: it and every access token of the session stop working.
pub async fn logout(db: &Db, now: DateTime<Utc>, refresh_token: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    st::revoke_refresh_token(&mut tx, now, refresh_token).await?;
    commit(tx).await
}

/// Changes `user`'s password after checking the current one; every session of the account
/// ends (API tokens stay valid).
pub async fn change_password(
    db: &Db,
    keys: &impl Credentials,
    now: DateTime<Utc>,
    user: UserId,
    current_password: String,
    new_password: String,
) -> AppResult<()> {
    check_password(&new_password).map_err(refused)?;
    let mut c = conn(db).await?;
    let account = users::get_user(&mut c, user).await?;
    let creds = users::credentials_by_email(&mut c, &account.email).await?;
    drop(c);
    let hash = creds.and_then(|(_, h)| h);
    if current_password.len() > PASSWORD_MAX_BYTES || !keys.verify_password(current_password, hash).await {
        return Err(refused(AuthError::InvalidCredentials));
    }
    let new_hash = keys.hash_password(new_password).await?;
    let mut tx = db.begin().await?;
    users::set_password_hash(&mut tx, now, user, Some(&new_hash)).await?;
    st::revoke_sessions(&mut tx, now, user).await?;
    commit(tx).await
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// The API tokens of `user` (never their secrets).
pub async fn api_tokens(db: &Db, user: UserId) -> AppResult<Vec<ApiToken>> {
    let mut c = conn(db).await?;
    Ok(st::list_api_tokens(&mut c, Some(user)).await?)
}

/// Creates an API token for `owner`, limited to `scopes` (permission names the owner's role
/// grants).
pub async fn create_api_token(
    db: &Db,
    secrets: &impl Secrets,
    now: DateTime<Utc>,
    owner: UserId,
    name: &str,
    scopes: &[String],
) -> AppResult<Minted<ApiToken>> {
    let token = secrets.new_token(TokenKind::Api)?;
    let mut tx = db.begin().await?;
    let owner = users::get_user(&mut tx, owner).await?;
    let record = st::create_api_token(&mut tx, now, &owner, name, scopes, &token).await?;
    commit(tx).await?;
    Ok(Minted { token, record })
}

/// Revokes API token `id`: its owner may, and `any` (an administrator) may revoke anyone's.
/// Someone else's token is `NOT_FOUND`, as if it did not exist.
pub async fn revoke_api_token(
    db: &Db,
    now: DateTime<Utc>,
    by: UserId,
    any: bool,
    id: i64,
) -> AppResult<ApiToken> {
    let mut tx = db.begin().await?;
    let t = st::get_api_token(&mut tx, id).await?;
    if t.user_id != by && !any {
        return Err(AppError::not_found("api token", id));
    }
    let t = st::revoke_api_token(&mut tx, now, id).await?;
    commit(tx).await?;
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// Printer tokens

/// Printer tokens, of one printer or of all (never their secrets).
pub async fn printer_tokens(db: &Db, printer: Option<PrinterId>) -> AppResult<Vec<PrinterToken>> {
    let mut c = conn(db).await?;
    Ok(st::list_printer_tokens(&mut c, printer).await?)
}

/// Creates a token for a printer's agent.
pub async fn create_printer_token(
    db: &Db,
    secrets: &impl Secrets,
    now: DateTime<Utc>,
    printer: PrinterId,
    created_by: Option<UserId>,
) -> AppResult<Minted<PrinterToken>> {
    let token = secrets.new_token(TokenKind::Printer)?;
    let mut tx = db.begin().await?;
    let record = st::create_printer_token(&mut tx, now, printer, created_by, &token).await?;
    commit(tx).await?;
    Ok(Minted { token, record })
}

/// Revokes a printer token.
pub async fn revoke_printer_token(db: &Db, now: DateTime<Utc>, id: i64) -> AppResult<PrinterToken> {
    let mut tx = db.begin().await?;
    let t = st::revoke_printer_token(&mut tx, now, id).await?;
    commit(tx).await?;
    Ok(t)
}

/// Mints one token per printer named in `names` (in that order), or for every printer when
/// `names` is empty, in one transaction. An unknown name (`NOT_FOUND`) or a farm without
/// printers (`NO_PRINTERS`) writes nothing.
pub async fn mint_printer_tokens(
    db: &Db,
    secrets: &impl Secrets,
    now: DateTime<Utc>,
    names: &[String],
) -> AppResult<Vec<(Printer, Minted<PrinterToken>)>> {
    let mut tx = db.begin().await?;
    let printers = equipment::list_printers(&mut tx).await?;
    let chosen: Vec<Printer> = if names.is_empty() {
        printers
    } else {
        let mut out = Vec::new();
        for n in names {
            match printers.iter().find(|p| p.name == *n) {
                Some(p) => out.push(p.clone()),
                None => {
                    return Err(AppError::refused(
                        ErrorKind::NotFound,
                        "NOT_FOUND",
                        format!("no printer named {n:?}"),
                    ));
                }
            }
        }
        out
    };
    if chosen.is_empty() {
        return Err(AppError::refused(
            ErrorKind::NotFound,
            "NO_PRINTERS",
            "the database has no printers (load the demo farm with `gantry demo`, or add printers)",
        ));
    }
    let mut minted = Vec::with_capacity(chosen.len());
    for p in chosen {
        let token = secrets.new_token(TokenKind::Printer)?;
        let record = st::create_printer_token(&mut tx, now, p.id, None, &token).await?;
        minted.push((p, Minted { token, record }));
    }
    commit(tx).await?;
    Ok(minted)
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens

/// The account behind an API token (`gty_…`), checked: the token known and not revoked
/// (`AUTH_TOKEN_*`), the account active (`AUTH_ACCOUNT_INACTIVE`). Its use is recorded (at
/// most once a minute); the token returned carries that.
pub async fn api_token_account(db: &Db, now: DateTime<Utc>, secret: &str) -> AppResult<(User, ApiToken)> {
    let mut c = conn(db).await?;
    let mut t = st::api_token_by_secret(&mut c, secret).await?;
    let user = users::get_user(&mut c, t.user_id).await?;
    if !user.active {
        return Err(refused(AuthError::AccountInactive));
    }
    drop(c);
    if touch_api_token(db, now, t.id, t.last_used_at).await? {
        t.last_used_at = Some(now);
    }
    Ok((user, t))
}

/// Records a use of API token `id` unless one was recorded within the last minute
/// (`last_used_at`); whether it was.
pub async fn touch_api_token(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    last_used_at: Option<DateTime<Utc>>,
) -> AppResult<bool> {
    if !st::needs_touch(now, last_used_at) {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    st::touch_api_token(&mut tx, now, id).await?;
    commit(tx).await?;
    Ok(true)
}

/// The account of an access token whose signature and expiry the caller checked: it must
/// exist (else `AUTH_TOKEN_INVALID`) and be active, and its session must not be revoked
/// (`AUTH_TOKEN_REVOKED`, e.g. after a logout).
pub async fn session_account(db: &Db, user: UserId, session: &str) -> AppResult<User> {
    let mut c = conn(db).await?;
    let user = match users::get_user(&mut c, user).await {
        Ok(u) => u,
        Err(StoreError::NotFound { .. }) => return Err(refused(AuthError::TokenInvalid)),
        Err(e) => return Err(e.into()),
    };
    if !user.active {
        return Err(refused(AuthError::AccountInactive));
    }
    if !st::session_active(&mut c, session).await? {
        return Err(refused(AuthError::TokenRevoked));
    }
    Ok(user)
}
