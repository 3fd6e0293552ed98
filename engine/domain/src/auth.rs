//! Authentication rules (pure): token formats, API-token scopes, the password policy and the
//! login rate limit.
//!
//! Secrets themselves (random generation, hashing, signing) live outside the domain: random
//! bytes come from the OS in the API layer, tokens are stored as SHA-256 hashes by
//! `store::auth`, passwords are hashed with argon2id by the API layer.
//!
//! Token formats: a type prefix, an underscore and 64 lower-case hex characters (32 random
//! bytes): `gty_…` API tokens, `gtp_…` printer tokens, `gtr_…` refresh tokens. Access tokens
//! are JWTs (three dot-separated base64url parts) and never carry one of these prefixes.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Coded, ErrorKind};
use crate::types::{PrinterId, UserId};
use crate::users::{Permission, Role};

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest accepted password, in bytes (bounds the hashing cost).
pub const PASSWORD_MAX_BYTES: usize = 1024;
/// Random bytes in a token secret.
pub const TOKEN_SECRET_BYTES: usize = 32;
/// Characters of a token shown in listings to recognise it (`gty_` plus 8 hex characters).
pub const TOKEN_DISPLAY_PREFIX_CHARS: usize = 12;
/// Longest API-token name, in characters.
pub const TOKEN_NAME_MAX: usize = 80;

/// Rejections of authentication commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Wrong e-mail or password (deliberately the same for both: no account enumeration).
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// The token is malformed, unknown, or its signature does not verify.
    #[error("invalid token")]
    TokenInvalid,
    /// The token has expired.
    #[error("token expired")]
    TokenExpired,
    /// The token was revoked (logout, revocation, or its family was revoked).
    #[error("token revoked")]
    TokenRevoked,
    /// A refresh token was presented again after it had been rotated; its whole family is now
    /// revoked.
    #[error("refresh token reused; the session was revoked")]
    RefreshTokenReused,
    /// The session (refresh-token family) is older than its maximum age; log in again.
    #[error("session expired; log in again")]
    SessionExpired,
    /// The account behind the token is deactivated.
    #[error("account deactivated")]
    AccountInactive,
    /// Too many failed logins for the account or from the address.
    #[error("too many failed login attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: i64 },
    /// The new password does not meet the policy.
    #[error("password {reason}")]
    WeakPassword { reason: &'static str },
    /// An API-token scope is not a permission name.
    #[error("unknown scope {0:?}")]
    UnknownScope(String),
    /// An API-token scope is not granted by the creator's role.
    #[error("scope {0} is not granted by your role")]
    ScopeNotGranted(Permission),
    /// An API token must carry at least one scope.
    #[error("at least one scope is required")]
    NoScopes,
    /// A text field (token name) is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
}

impl Coded for AuthError {
    fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidCredentials => "AUTH_INVALID_CREDENTIALS",
            AuthError::TokenInvalid => "AUTH_TOKEN_INVALID",
            AuthError::TokenExpired => "AUTH_TOKEN_EXPIRED",
            AuthError::TokenRevoked => "AUTH_TOKEN_REVOKED",
            AuthError::RefreshTokenReused => "AUTH_REFRESH_REUSED",
            AuthError::SessionExpired => "AUTH_SESSION_EXPIRED",
            AuthError::AccountInactive => "AUTH_ACCOUNT_INACTIVE",
            AuthError::RateLimited { .. } => "AUTH_RATE_LIMITED",
            AuthError::WeakPassword { .. } => "AUTH_WEAK_PASSWORD",
            AuthError::UnknownScope(_) => "AUTH_UNKNOWN_SCOPE",
            AuthError::ScopeNotGranted(_) => "AUTH_SCOPE_NOT_GRANTED",
            AuthError::NoScopes => "AUTH_NO_SCOPES",
            AuthError::InvalidField { .. } => "AUTH_INVALID_FIELD",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AuthError::InvalidCredentials
            | AuthError::TokenInvalid
            | AuthError::TokenExpired
            | AuthError::TokenRevoked
            | AuthError::RefreshTokenReused
            | AuthError::SessionExpired
            | AuthError::AccountInactive => ErrorKind::Unauthenticated,
            AuthError::RateLimited { .. } => ErrorKind::RateLimited,
            AuthError::WeakPassword { .. }
            | AuthError::UnknownScope(_)
            | AuthError::NoScopes
            | AuthError::InvalidField { .. } => ErrorKind::Validation,
            AuthError::ScopeNotGranted(_) => ErrorKind::Forbidden,
        }
    }
}

/// The kinds of opaque bearer secrets, told apart by their prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `gty_…`: an integrator's API token.
    Api,
    /// `gtp_…`: a printer agent's token.
    Printer,
    /// `gtr_…`: a refresh token.
    Refresh,
}

impl TokenKind {
    pub const ALL: [TokenKind; 3] = [TokenKind::Api, TokenKind::Printer, TokenKind::Refresh];

    /// The prefix including the underscore.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Api => "gty_",
            TokenKind::Printer => "gtp_",
            TokenKind::Refresh => "gtr_",
        }
    }

    /// Builds a token from its random bytes (lower-case hex after the prefix).
    pub fn format(self, secret: &[u8; TOKEN_SECRET_BYTES]) -> String {
        let mut s = String::with_capacity(4 + 2 * TOKEN_SECRET_BYTES);
        s.push_str(self.prefix());
        for b in secret {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The kind of a well-formed token; `None` for anything else (e.g. a JWT).
    pub fn classify(token: &str) -> Option<TokenKind> {
        let kind = TokenKind::ALL
            .into_iter()
            .find(|k| token.starts_with(k.prefix()))?;
        let rest = &token[kind.prefix().len()..];
        let well_formed = rest.len() == 2 * TOKEN_SECRET_BYTES
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then_some(kind)
    }

    /// Parses a token that must be of this kind.
    pub fn parse(self, token: &str) -> Result<&str, AuthError> {
        match TokenKind::classify(token.trim()) {
            Some(k) if k == self => Ok(token.trim()),
            _ => Err(AuthError::TokenInvalid),
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.prefix())
    }
}

/// The part of a token shown in listings (never enough to use it).
pub fn display_prefix(token: &str) -> String {
    token.chars().take(TOKEN_DISPLAY_PREFIX_CHARS).collect()
}

/// Checks a new password: at least [`PASSWORD_MIN_CHARS`] characters, at most
/// [`PASSWORD_MAX_BYTES`] bytes, not only blanks, no control characters.
pub fn check_password(password: &str) -> Result<(), AuthError> {
    let weak = |reason| Err(AuthError::WeakPassword { reason });
    if password.trim().is_empty() {
        return weak("must not be blank");
    }
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return weak("must have at least 10 characters");
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return weak("must have at most 1024 bytes");
    }
    if password.chars().any(char::is_control) {
        return weak("must not contain control characters");
    }
    Ok(())
}

/// Checks an API-token name (trimmed, 1 to [`TOKEN_NAME_MAX`] characters, no control characters).
pub fn check_token_name(name: &str) -> Result<String, AuthError> {
    let t = name.trim();
    let bad = |reason| {
        Err(AuthError::InvalidField {
            field: "token name",
            reason,
        })
    };
    if t.is_empty() {
        return bad("must not be empty");
    }
    if t.chars().count() > TOKEN_NAME_MAX {
        return bad("too long");
    }
    if t.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    Ok(t.to_string())
}

/// Validates the scopes of a new API token: permission names, each granted by `role`, at least
/// one. Returns them deduplicated in [`Permission::ALL`] order.
pub fn check_scopes<S: AsRef<str>>(role: Role, scopes: &[S]) -> Result<Vec<Permission>, AuthError> {
    let mut out = Vec::new();
    for s in scopes {
        let name = s.as_ref().trim();
        let p = Permission::parse(name).ok_or_else(|| AuthError::UnknownScope(name.to_string()))?;
        if !role.grants(p) {
            return Err(AuthError::ScopeNotGranted(p));
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(AuthError::NoScopes);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Stored form of scopes: comma-separated permission names.
pub fn scopes_to_text(scopes: &[Permission]) -> String {
    scopes.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

/// Parses the stored form; `None` if a name is unknown.
pub fn scopes_from_text(text: &str) -> Option<Vec<Permission>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Permission::parse(s.trim()))
        .collect()
}

/// The login rate limit: failures counted over a sliding window, per account and per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub window: Duration,
    /// Failed attempts per account (since its last successful login) within the window.
    pub max_account_failures: i64,
    /// Failed attempts per client address within the window (a success does not reset it).
    pub max_address_failures: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            window: Duration::minutes(15),
            max_account_failures: 5,
            max_address_failures: 20,
        }
    }
}

/// Recent failed logins, as counted by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Failures for the account within the window and after its last success.
    pub account: i64,
    /// Time of the oldest failure counted in `account`.
    pub account_oldest: Option<DateTime<Utc>>,
    /// Failures from the address within the window.
    pub address: i64,
    /// Time of the oldest failure counted in `address`.
    pub address_oldest: Option<DateTime<Utc>>,
}

impl LoginPolicy {
    /// Start of the window ending at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Whether another attempt may be made now; rejected attempts must not check the password.
    pub fn check(&self, now: DateTime<Utc>, f: &LoginFailures) -> Result<(), AuthError> {
        let retry = |oldest: Option<DateTime<Utc>>| {
            let until = oldest.unwrap_or(now) + self.window;
            AuthError::RateLimited {
                retry_after_secs: (until - now).num_seconds().max(1),
            }
        };
        if f.account >= self.max_account_failures {
            return Err(retry(f.account_oldest));
        }
        if f.address >= self.max_address_failures {
            return Err(retry(f.address_oldest));
        }
        Ok(())
    }
}

/// The self-registration rate limit: sign-ups per client address within a window. Refused
/// attempts count too, so a script cannot probe e-mail addresses faster than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignUpPolicy {
    pub window: Duration,
    pub max_per_address: i64,
}

impl Default for SignUpPolicy {
    fn default() -> Self {
        SignUpPolicy {
            window: Duration::hours(1),
            max_per_address: 5,
        }
    }
}

impl SignUpPolicy {
    /// Start of the window ending at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Whether another sign-up may be attempted now, given the `recent` attempts from the
    /// address within the window (not counting this one) and the time of the `oldest`.
    pub fn check(
        &self,
        now: DateTime<Utc>,
        recent: i64,
        oldest: Option<DateTime<Utc>>,
    ) -> Result<(), AuthError> {
        if recent >= self.max_per_address {
            let until = oldest.unwrap_or(now) + self.window;
            return Err(AuthError::RateLimited {
                retry_after_secs: (until - now).num_seconds().max(1),
            });
        }
        Ok(())
    }
}

/// The lifetimes of a session: a login starts one (a refresh-token family), each refresh
/// rotates its refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Lifetime of one refresh token; each rotation restarts it.
    pub refresh_ttl: Duration,
    /// Absolute limit counted from the login that started the session, whatever the rotations:
    /// an older session cannot be refreshed.
    pub max_age: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            refresh_ttl: Duration::days(30),
            max_age: Duration::days(30),
        }
    }
}

impl SessionPolicy {
    /// When a session started at `started` ends.
    pub fn session_end(&self, started: DateTime<Utc>) -> DateTime<Utc> {
        started + self.max_age
    }

    /// Expiry of a refresh token issued at `now` in a session started at `started`: its
    /// lifetime, but never past the end of the session.
    pub fn refresh_expiry(&self, started: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.refresh_ttl).min(self.session_end(started))
    }

    /// Whether a session started at `started` may still be refreshed at `now`
    /// (`AUTH_SESSION_EXPIRED` from its end on).
    pub fn check_refresh(&self, started: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), AuthError> {
        if now >= self.session_end(started) {
            Err(AuthError::SessionExpired)
        } else {
            Ok(())
        }
    }
}

/// An integrator's API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A printer agent's token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterToken {
    pub id: i64,
    pub printer_id: PrinterId,
    pub prefix: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format_and_classification() {
        let secret = [0xabu8; TOKEN_SECRET_BYTES];
        for kind in TokenKind::ALL {
            let t = kind.format(&secret);
            assert_eq!(t.len(), 4 + 64);
            assert!(t.starts_with(kind.prefix()));
            assert_eq!(TokenKind::classify(&t), Some(kind));
            assert_eq!(kind.parse(&format!(" {t} ")), Ok(t.as_str()));
            for other in TokenKind::ALL.into_iter().filter(|o| *o != kind) {
                assert_eq!(other.parse(&t), Err(AuthError::TokenInvalid));
            }
        }
        let api = TokenKind::Api.format(&secret);
        assert_eq!(display_prefix(&api), "gty_abababab");
        let bad = [
            "",
            "gty_",
            "gty_abc",
            &format!("gty_{}", "A".repeat(64)),
            &format!("gty_{}", "a".repeat(65)),
            &format!("gtx_{}", "a".repeat(64)),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        ];
        for b in bad {
            assert_eq!(TokenKind::classify(b), None, "{b:?}");
        }
    }

    #[test]
    fn password_policy() {
        let cases: &[(&str, Result<(), &str>)] = &[
            ("correct horse", Ok(())),
            ("0123456789", Ok(())),
            ("ünïcödé-pw", Ok(())),
            ("123456789", Err("must have at least 10 characters")),
            ("", Err("must not be blank")),
            ("            ", Err("must not be blank")),
            ("abcdefghij\u{7}", Err("must not contain control characters")),
        ];
        for (pw, want) in cases {
            let got = check_password(pw).map_err(|e| match e {
                AuthError::WeakPassword { reason } => reason,
                other => panic!("{other:?}"),
            });
            assert_eq!(got, *want, "{pw:?}");
        }
        assert!(check_password(&"x".repeat(1025)).is_err());
        assert!(check_password(&"x".repeat(1024)).is_ok());
    }

    #[test]
    fn scopes_must_be_known_granted_and_present() {
        assert_eq!(
            check_scopes(
                Role::Integrator,
                &["orders:write", " orders:read_all", "orders:write"]
            ),
            Ok(vec![Permission::OrdersReadAll, Permission::OrdersWrite])
        );
        assert_eq!(
            check_scopes(Role::Integrator, &["users:admin"]),
            Err(AuthError::ScopeNotGranted(Permission::UsersAdmin))
        );
        assert_eq!(
            check_scopes(Role::Integrator, &["orders:delete"]),
            Err(AuthError::UnknownScope("orders:delete".into()))
        );
        assert_eq!(check_scopes::<&str>(Role::Admin, &[]), Err(AuthError::NoScopes));
        let all: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        let got = check_scopes(Role::Admin, &all).unwrap();
        assert_eq!(got, Permission::ALL.to_vec());
        assert_eq!(scopes_from_text(&scopes_to_text(&got)), Some(got));
        assert_eq!(scopes_from_text("orders:read_all,nope"), None);
        assert_eq!(
            AuthError::ScopeNotGranted(Permission::UsersAdmin).kind(),
            ErrorKind::Forbidden
        );
    }

    #[test]
    fn token_names() {
        assert_eq!(check_token_name("  ERP sync "), Ok("ERP sync".into()));
        assert!(check_token_name(" ").is_err());
        assert!(check_token_name(&"n".repeat(81)).is_err());
        assert_eq!(check_token_name("a\nb").unwrap_err().code(), "AUTH_INVALID_FIELD");
    }

    #[test]
    fn login_rate_limit() {
        let p = LoginPolicy::default();
        let now = DateTime::<Utc>::default() + Duration::hours(1);
        let five_min_ago = Some(now - Duration::minutes(5));
        // (account failures, address failures) -> allowed?
        let table = [
            (0, 0, true),
            (4, 19, true),
            (5, 0, false),
            (0, 20, false),
            (9, 30, false),
        ];
        for (account, address, ok) in table {
            let f = LoginFailures {
                account,
                account_oldest: five_min_ago,
                address,
                address_oldest: five_min_ago,
            };
            assert_eq!(p.check(now, &f).is_ok(), ok, "{account} {address}");
        }
        let f = LoginFailures {
            account: 5,
            account_oldest: five_min_ago,
            ..LoginFailures::default()
        };
        let e = p.check(now, &f).unwrap_err();
        assert_eq!(
            e,
            AuthError::RateLimited {
                retry_after_secs: 600
            }
        );
        assert_eq!(
            (e.code(), e.kind()),
            ("AUTH_RATE_LIMITED", ErrorKind::RateLimited)
        );
        assert_eq!(p.window_start(now), now - Duration::minutes(15));
    }

    #[test]
    fn sign_up_policy_counts_attempts_per_address() {
        let p = SignUpPolicy::default();
        let now = DateTime::<Utc>::default() + Duration::days(3);
        assert!(p.check(now, 0, None).is_ok());
        assert!(p.check(now, 4, Some(now)).is_ok());
        let e = p.check(now, 5, Some(now - Duration::minutes(20))).unwrap_err();
        assert_eq!(
            e,
            AuthError::RateLimited {
                retry_after_secs: 40 * 60
            }
        );
        assert_eq!(p.window_start(now), now - Duration::hours(1));
    }

    #[test]
    fn error_kinds() {
        for e in [
            AuthError::InvalidCredentials,
            AuthError::TokenInvalid,
            AuthError::TokenExpired,
            AuthError::TokenRevoked,
            AuthError::RefreshTokenReused,
            AuthError::SessionExpired,
            AuthError::AccountInactive,
        ] {
            assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e:?}");
            assert!(e.code().starts_with("AUTH_"));
        }
        assert_eq!(
            AuthError::WeakPassword { reason: "x" }.kind(),
            ErrorKind::Validation
        );
    }

    #[test]
    fn sessions_end_at_their_maximum_age_whatever_the_rotations() {
        let p = SessionPolicy {
            refresh_ttl: Duration::days(7),
            max_age: Duration::days(30),
        };
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let day = |d: i64| start + Duration::days(d);
        // (now, expiry of a token issued now, may refresh now)
        let cases = [
            (day(0), day(7), true),
            (day(20), day(27), true),
            (day(25), day(30), true),
            (day(30) - Duration::seconds(1), day(30), true),
            (day(30), day(30), false),
            (day(400), day(30), false),
        ];
        for (now, expiry, may) in cases {
            assert_eq!(p.refresh_expiry(start, now), expiry, "{now}");
            assert_eq!(
                p.check_refresh(start, now),
                if may {
                    Ok(())
                } else {
                    Err(AuthError::SessionExpired)
                },
                "{now}"
            );
        }
        assert_eq!(p.session_end(start), day(30));
        assert_eq!(AuthError::SessionExpired.code(), "AUTH_SESSION_EXPIRED");
        assert_eq!(SessionPolicy::default().max_age, Duration::days(30));
    }
}
