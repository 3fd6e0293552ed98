//! Authentication persistence: refresh tokens (rotation, reuse detection), API tokens, printer
//! tokens, login and sign-up attempts (`refresh_tokens`, `api_tokens`, `printer_tokens`,
//! `login_attempts`, `signup_attempts`).
//!
//! Callers pass token plaintexts; only [`hash_token`] of them is stored or compared, so a
//! database dump never yields a usable secret. Random generation and password hashing are the
//! API layer's job.
//!
//! Login attempts are kept in the database (not in memory) so that several replicas share one
//! rate limit.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::auth::{
    ApiToken, AuthError, LoginFailures, LoginPolicy, PrinterToken, SessionPolicy, SignUpPolicy, TokenKind,
    check_scopes, check_token_name, display_prefix, scopes_from_text, scopes_to_text,
};
use crate::domain::types::{PrinterId, UserId, from_millis, to_millis};
use crate::domain::users::User;
use crate::error::DomainError;

fn rejected(e: AuthError) -> StoreError {
    StoreError::Rejected(DomainError::Auth(e))
}

/// The stored form of a token: lower-case hex SHA-256 of its text. Sound for high-entropy
/// random tokens (not for passwords).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn opt_time(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(col::<Option<i64>>(row, table, name)?.map(from_millis))
}

// ---------------------------------------------------------------------------------------------
// Login attempts

/// Records a login attempt for `email` (normalised by the caller; unknown accounts too) from
/// `address`; returns its id. Also prunes attempts older than a day.
///
/// The API records an attempt as failed *before* checking the password (and marks it
/// succeeded afterwards, [`mark_login_succeeded`]), so concurrent attempts see each other and a
/// burst of parallel guesses cannot get past the limit.
pub async fn record_login_attempt(
    tx: &mut Tx,
    now: DateTime<Utc>,
    email: &str,
    address: &str,
    succeeded: bool,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO login_attempts (email, address, succeeded, attempted_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(email)
    .bind(address)
    .bind(i64::from(succeeded))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM login_attempts WHERE attempted_at < $1")
        .bind(to_millis(now - chrono::Duration::days(1)))
        .execute(&mut **tx)
        .await?;
    col(&row, "login_attempts", "id")
}

/// Marks a recorded attempt as successful.
pub async fn mark_login_succeeded(tx: &mut Tx, attempt: i64) -> StoreResult<()> {
    sqlx::query("UPDATE login_attempts SET succeeded = 1 WHERE id = $1")
        .bind(attempt)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets a recorded attempt (one refused by the rate limit: the password was not checked).
pub async fn forget_login_attempt(tx: &mut Tx, attempt: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE id = $1")
        .bind(attempt)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts recent failed logins for `email` (after its last success) and from `address`
/// within the policy's window, not counting attempt `exclude` (the caller's own).
pub async fn login_failures(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    policy: &LoginPolicy,
    email: &str,
    address: &str,
    exclude: Option<i64>,
) -> StoreResult<LoginFailures> {
    let start = to_millis(policy.window_start(now));
    let exclude = exclude.unwrap_or(0);
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts \
         WHERE email = $1 AND succeeded = 0 AND attempted_at > $2 AND id <> $3 AND attempted_at > \
         COALESCE((SELECT MAX(attempted_at) FROM login_attempts WHERE email = $1 AND succeeded = 1), 0)",
    )
    .bind(email)
    .bind(start)
    .bind(exclude)
    .fetch_one(&mut *conn)
    .await?;
    let account: i64 = col(&row, "login_attempts", "n")?;
    let account_oldest = opt_time(&row, "login_attempts", "oldest")?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts \
         WHERE address = $1 AND succeeded = 0 AND attempted_at > $2 AND id <> $3",
    )
    .bind(address)
    .bind(start)
    .bind(exclude)
    .fetch_one(&mut *conn)
    .await?;
    Ok(LoginFailures {
        account,
        account_oldest,
        address: col(&row, "login_attempts", "n")?,
        address_oldest: opt_time(&row, "login_attempts", "oldest")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Sign-up attempts

/// Records a self-registration attempt from `address` (before anything is checked, so parallel
/// attempts count each other); returns its id. Prunes attempts older than a day.
pub async fn record_signup_attempt(tx: &mut Tx, now: DateTime<Utc>, address: &str) -> StoreResult<i64> {
    let row = sqlx::query("INSERT INTO signup_attempts (address, attempted_at) VALUES ($1, $2) RETURNING id")
        .bind(address)
        .bind(to_millis(now))
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM signup_attempts WHERE attempted_at < $1")
        .bind(to_millis(now - chrono::Duration::days(1)))
        .execute(&mut **tx)
        .await?;
    col(&row, "signup_attempts", "id")
}

/// Sign-up attempts from `address` within `policy`'s window, not counting attempt `exclude`
/// (the caller's own), with the time of the oldest.
pub async fn signup_attempts(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    policy: &SignUpPolicy,
    address: &str,
    exclude: i64,
) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM signup_attempts \
         WHERE address = $1 AND attempted_at > $2 AND id <> $3",
    )
    .bind(address)
    .bind(to_millis(policy.window_start(now)))
    .bind(exclude)
    .fetch_one(&mut *conn)
    .await?;
    Ok((
        col(&row, "signup_attempts", "n")?,
        opt_time(&row, "signup_attempts", "oldest")?,
    ))
}

/// Forgets a recorded sign-up attempt (one refused by the rate limit itself).
pub async fn forget_signup_attempt(tx: &mut Tx, attempt: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM signup_attempts WHERE id = $1")
        .bind(attempt)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens

/// The outcome of presenting a refresh token. A rejection may still have written (a reused
/// token revokes its family), so callers commit in both cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was valid and is now rotated; the successor was stored.
    Rotated { user_id: UserId, session: String },
    /// The token was not accepted.
    Rejected(AuthError),
}

/// Stores a new refresh token starting a session (a new family) for `user` at `now`; returns
/// the session id (the family), which access tokens carry so that logout takes effect at once.
/// The token expires as `policy` says; the session's start is kept with every successor.
pub async fn create_refresh_token(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user: UserId,
    token: &str,
    policy: &SessionPolicy,
) -> StoreResult<String> {
    let token = TokenKind::Refresh.parse(token).map_err(rejected)?;
    let session = hash_token(&format!("session:{token}"));
    let new = NewRefresh {
        user,
        hash: &hash_token(token),
        family: &session,
        parent: None,
        session_started_at: now,
        expires_at: policy.refresh_expiry(now, now),
    };
    insert_refresh(tx, now, &new).await?;
    Ok(session)
}

/// Whether a session (refresh-token family) is still open: some token of it is not revoked.
pub async fn session_active(conn: &mut AnyConnection, session: &str) -> StoreResult<bool> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM refresh_tokens WHERE family = $1 AND revoked_at IS NULL")
            .bind(session)
            .fetch_one(&mut *conn)
            .await?;
    Ok(col::<i64>(&row, "refresh_tokens", "n")? > 0)
}

/// A refresh-token row to insert.
struct NewRefresh<'a> {
    user: UserId,
    hash: &'a str,
    family: &'a str,
    parent: Option<i64>,
    session_started_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

async fn insert_refresh(tx: &mut Tx, now: DateTime<Utc>, new: &NewRefresh<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens \
         (user_id, token_hash, family, parent_id, session_started_at, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.user.0)
    .bind(new.hash)
    .bind(new.family)
    .bind(new.parent)
    .bind(to_millis(new.session_started_at))
    .bind(to_millis(now))
    .bind(to_millis(new.expires_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn revoke_family(tx: &mut Tx, now: DateTime<Utc>, family: &str) -> StoreResult<()> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL")
        .bind(to_millis(now))
        .bind(family)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Exchanges refresh token `old` for `new` (same family and session start, expiring as `policy`
/// says).
///
/// Rejected (nothing written) when `old` is unknown, revoked or expired, its session is older
/// than `policy.max_age` (`SessionExpired`), or its account is deactivated. When `old` was
/// already rotated, the whole family is revoked (a stolen token and its legitimate holder both
/// lose the session) and the outcome is `RefreshTokenReused`.
pub async fn rotate_refresh_token(
    tx: &mut Tx,
    now: DateTime<Utc>,
    old: &str,
    new: &str,
    policy: &SessionPolicy,
) -> StoreResult<RefreshOutcome> {
    let Ok(old) = TokenKind::Refresh.parse(old) else {
        return Ok(RefreshOutcome::Rejected(AuthError::TokenInvalid));
    };
    let new = TokenKind::Refresh.parse(new).map_err(rejected)?;
    let row = sqlx::query(
        "SELECT r.id, r.user_id, r.family, r.session_started_at, r.expires_at, r.rotated_at, \
         r.revoked_at, u.active \
         FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1",
    )
    .bind(hash_token(old))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(RefreshOutcome::Rejected(AuthError::TokenInvalid));
    };
    let t = "refresh_tokens";
    let id: i64 = col(&row, t, "id")?;
    let user_id = UserId(col(&row, t, "user_id")?);
    let family: String = col(&row, t, "family")?;
    let started = from_millis(col(&row, t, "session_started_at")?);
    if opt_time(&row, t, "revoked_at")?.is_some() {
        return Ok(RefreshOutcome::Rejected(AuthError::TokenRevoked));
    }
    if opt_time(&row, t, "rotated_at")?.is_some() {
        revoke_family(tx, now, &family).await?;
        return Ok(RefreshOutcome::Rejected(AuthError::RefreshTokenReused));
    }
    if let Err(e) = policy.check_refresh(started, now) {
        return Ok(RefreshOutcome::Rejected(e));
    }
    if from_millis(col(&row, t, "expires_at")?) <= now {
        return Ok(RefreshOutcome::Rejected(AuthError::TokenExpired));
    }
    if col::<i64>(&row, "users", "active")? == 0 {
        return Ok(RefreshOutcome::Rejected(AuthError::AccountInactive));
    }
    // Conditional update: of two concurrent rotations of the same token only one wins; the
    // loser is treated as a reuse.
    let done = sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = $1 WHERE id = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        revoke_family(tx, now, &family).await?;
        return Ok(RefreshOutcome::Rejected(AuthError::RefreshTokenReused));
    }
    let successor = NewRefresh {
        user: user_id,
        hash: &hash_token(new),
        family: &family,
        parent: Some(id),
        session_started_at: started,
        expires_at: policy.refresh_expiry(started, now),
    };
    insert_refresh(tx, now, &successor).await?;
    Ok(RefreshOutcome::Rotated {
        user_id,
        session: family,
    })
}

/// Logout: revokes the session (the family) of refresh token `token`. Idempotent for a token
/// already revoked; an unknown token is `AUTH_TOKEN_INVALID`.
pub async fn revoke_refresh_token(tx: &mut Tx, now: DateTime<Utc>, token: &str) -> StoreResult<UserId> {
    let token = TokenKind::Refresh.parse(token).map_err(rejected)?;
    let row = sqlx::query("SELECT user_id, family FROM refresh_tokens WHERE token_hash = $1")
        .bind(hash_token(token))
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| rejected(AuthError::TokenInvalid))?;
    let family: String = col(&row, "refresh_tokens", "family")?;
    revoke_family(tx, now, &family).await?;
    Ok(UserId(col(&row, "refresh_tokens", "user_id")?))
}

/// Ends every session of `user` (revokes all its refresh tokens; its access tokens stop
/// working), e.g. after a password change.
pub async fn revoke_sessions(tx: &mut Tx, now: DateTime<Utc>, user: UserId) -> StoreResult<()> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(to_millis(now))
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes every session and API token of `user` (e.g. when the account is deactivated).
pub async fn revoke_all_for_user(tx: &mut Tx, now: DateTime<Utc>, user: UserId) -> StoreResult<()> {
    revoke_sessions(tx, now, user).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(to_millis(now))
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// API tokens

const API_COLS: &str = "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

fn api_token_from_row(row: &AnyRow) -> StoreResult<ApiToken> {
    let t = "api_tokens";
    let scopes: String = col(row, t, "scopes")?;
    Ok(ApiToken {
        id: col(row, t, "id")?,
        user_id: UserId(col(row, t, "user_id")?),
        name: col(row, t, "name")?,
        prefix: col(row, t, "prefix")?,
        scopes: scopes_from_text(&scopes)
            .ok_or_else(|| StoreError::corrupt(t, format!("scopes {scopes:?}")))?,
        created_at: from_millis(col(row, t, "created_at")?),
        last_used_at: opt_time(row, t, "last_used_at")?,
        revoked_at: opt_time(row, t, "revoked_at")?,
    })
}

/// Stores a new API token for `owner` with `scopes`, which must be permission names granted by
/// the owner's role (`AUTH_SCOPE_NOT_GRANTED`, `AUTH_UNKNOWN_SCOPE`, `AUTH_NO_SCOPES`). The
/// plaintext `token` (`gty_…`) is hashed; only its first characters are kept for display.
pub async fn create_api_token<S: AsRef<str>>(
    tx: &mut Tx,
    now: DateTime<Utc>,
    owner: &User,
    name: &str,
    scopes: &[S],
    token: &str,
) -> StoreResult<ApiToken> {
    let name = check_token_name(name).map_err(rejected)?;
    let scopes = check_scopes(owner.role, scopes).map_err(rejected)?;
    let token = TokenKind::Api.parse(token).map_err(rejected)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_COLS}"
    )))
    .bind(owner.id.0)
    .bind(&name)
    .bind(display_prefix(token))
    .bind(hash_token(token))
    .bind(scopes_to_text(&scopes))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    api_token_from_row(&row)
}

/// An API token by id.
pub async fn get_api_token(conn: &mut AnyConnection, id: i64) -> StoreResult<ApiToken> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {API_COLS} FROM api_tokens WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("api token", id))?;
    api_token_from_row(&row)
}

/// API tokens of one user (or of everyone), newest first. Never includes secrets.
pub async fn list_api_tokens(conn: &mut AnyConnection, user: Option<UserId>) -> StoreResult<Vec<ApiToken>> {
    let rows = match user {
        Some(u) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
            )))
            .bind(u.0)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_COLS} FROM api_tokens ORDER BY id DESC"
            )))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(api_token_from_row).collect()
}

/// Revokes an API token (idempotent).
pub async fn revoke_api_token(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> StoreResult<ApiToken> {
    let t = get_api_token(&mut *tx, id).await?;
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(ApiToken {
        revoked_at: Some(now),
        ..t
    })
}

/// Looks up an API token by its plaintext. `Err(Rejected(AUTH_TOKEN_INVALID))` when unknown or
/// malformed, `AUTH_TOKEN_REVOKED` when revoked. Does not check the owner (see
/// [`crate::store::users::get_user`]) and does not record the use (see [`touch_api_token`]).
pub async fn api_token_by_secret(conn: &mut AnyConnection, token: &str) -> StoreResult<ApiToken> {
    let token = TokenKind::Api.parse(token).map_err(rejected)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {API_COLS} FROM api_tokens WHERE token_hash = $1"
    )))
    .bind(hash_token(token))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| rejected(AuthError::TokenInvalid))?;
    let t = api_token_from_row(&row)?;
    if t.revoked_at.is_some() {
        return Err(rejected(AuthError::TokenRevoked));
    }
    Ok(t)
}

/// Records that an API token was used at `now`. Writes at most once a minute per token, so a
/// busy integrator does not turn every read into a write.
pub async fn touch_api_token(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(to_millis(now))
    .bind(id)
    .bind(to_millis(now) - API_TOUCH_INTERVAL_MS)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Smallest interval between two recorded uses of one token, milliseconds.
pub const API_TOUCH_INTERVAL_MS: i64 = 60_000;

/// Whether `last_used_at` is stale enough that [`touch_api_token`] / [`touch_printer_token`]
/// would write (lets callers skip opening a write transaction).
pub fn needs_touch(now: DateTime<Utc>, last_used_at: Option<DateTime<Utc>>) -> bool {
    last_used_at.is_none_or(|t| to_millis(now) - to_millis(t) > API_TOUCH_INTERVAL_MS)
}

// ---------------------------------------------------------------------------------------------
// Printer tokens

const PRINTER_COLS: &str = "id, printer_id, prefix, created_by, created_at, last_used_at, revoked_at";

fn printer_token_from_row(row: &AnyRow) -> StoreResult<PrinterToken> {
    let t = "printer_tokens";
    Ok(PrinterToken {
        id: col(row, t, "id")?,
        printer_id: PrinterId(col(row, t, "printer_id")?),
        prefix: col(row, t, "prefix")?,
        created_by: col::<Option<i64>>(row, t, "created_by")?.map(UserId),
        created_at: from_millis(col(row, t, "created_at")?),
        last_used_at: opt_time(row, t, "last_used_at")?,
        revoked_at: opt_time(row, t, "revoked_at")?,
    })
}

/// Stores a new token (`gtp_…`, hashed) for printer `printer`; an unknown printer is `NotFound`.
pub async fn create_printer_token(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    created_by: Option<UserId>,
    token: &str,
) -> StoreResult<PrinterToken> {
    let token = TokenKind::Printer.parse(token).map_err(rejected)?;
    sqlx::query("SELECT id FROM printers WHERE id = $1")
        .bind(printer.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("printer", printer))?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO printer_tokens (printer_id, prefix, token_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {PRINTER_COLS}"
    )))
    .bind(printer.0)
    .bind(display_prefix(token))
    .bind(hash_token(token))
    .bind(created_by.map(|u| u.0))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    printer_token_from_row(&row)
}

/// A printer token by id.
pub async fn get_printer_token(conn: &mut AnyConnection, id: i64) -> StoreResult<PrinterToken> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PRINTER_COLS} FROM printer_tokens WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("printer token", id))?;
    printer_token_from_row(&row)
}

/// Tokens of one printer (or of all printers), newest first. Never includes secrets.
pub async fn list_printer_tokens(
    conn: &mut AnyConnection,
    printer: Option<PrinterId>,
) -> StoreResult<Vec<PrinterToken>> {
    let rows = match printer {
        Some(p) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {PRINTER_COLS} FROM printer_tokens WHERE printer_id = $1 ORDER BY id DESC"
            )))
            .bind(p.0)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {PRINTER_COLS} FROM printer_tokens ORDER BY id DESC"
            )))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(printer_token_from_row).collect()
}

/// Revokes a printer token (idempotent).
pub async fn revoke_printer_token(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> StoreResult<PrinterToken> {
    let t = get_printer_token(&mut *tx, id).await?;
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    sqlx::query("UPDATE printer_tokens SET revoked_at = $1 WHERE id = $2")
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(PrinterToken {
        revoked_at: Some(now),
        ..t
    })
}

/// Looks up a printer token by its plaintext (for the agent endpoint): `AUTH_TOKEN_INVALID`
/// when unknown, `AUTH_TOKEN_REVOKED` when revoked.
pub async fn printer_token_by_secret(conn: &mut AnyConnection, token: &str) -> StoreResult<PrinterToken> {
    let token = TokenKind::Printer.parse(token).map_err(rejected)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PRINTER_COLS} FROM printer_tokens WHERE token_hash = $1"
    )))
    .bind(hash_token(token))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| rejected(AuthError::TokenInvalid))?;
    let t = printer_token_from_row(&row)?;
    if t.revoked_at.is_some() {
        return Err(rejected(AuthError::TokenRevoked));
    }
    Ok(t)
}

/// Records that a printer token was used at `now` (at most once a minute).
pub async fn touch_printer_token(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE printer_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(to_millis(now))
    .bind(id)
    .bind(to_millis(now) - API_TOUCH_INTERVAL_MS)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
