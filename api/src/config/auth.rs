//! Authentication: the access-token key, token and session lifetimes, the principal cache.

use super::ConfigError;
use super::source::{Source, invalid};

/// A secret setting; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Shortest accepted `GANTRY_JWT_SECRET`, bytes.
pub const JWT_SECRET_MIN_BYTES: usize = 32;

/// `GANTRY_JWT_SECRET`, `GANTRY_ACCESS_TOKEN_TTL_SECS`, `GANTRY_REFRESH_TOKEN_TTL_SECS`,
/// `GANTRY_REFRESH_MAX_AGE_DAYS`, `GANTRY_AUTH_CACHE_SECS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// HS256 key for access tokens (`GANTRY_JWT_SECRET`, at least 32 bytes). `None`: the server
    /// generates a random one at start (tokens then do not survive a restart and do not work
    /// across replicas).
    pub jwt_secret: Option<Secret>,
    /// Lifetime of access tokens, seconds (`GANTRY_ACCESS_TOKEN_TTL_SECS`, 1–86400, default 900).
    pub access_token_ttl_secs: u64,
    /// Lifetime of one refresh token, seconds; each rotation restarts it
    /// (`GANTRY_REFRESH_TOKEN_TTL_SECS`, 60 s–365 days, default 30 days).
    pub refresh_token_ttl_secs: u64,
    /// Absolute age of a session, days, counted from its login and kept across rotations: an
    /// older session cannot be refreshed (`GANTRY_REFRESH_MAX_AGE_DAYS`, 1–3650, default 30).
    pub refresh_max_age_days: u64,
    /// How long a verified bearer token's principal is remembered, seconds; 0: not at all
    /// (`GANTRY_AUTH_CACHE_SECS`, 0–60, default 5). Bounds how late a revocation made by another
    /// process is seen.
    pub cache_secs: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<AuthSettings, ConfigError> {
    let jwt_secret = match src.get("GANTRY_JWT_SECRET") {
        None => None,
        Some(v) if v.len() >= JWT_SECRET_MIN_BYTES => Some(Secret(v)),
        Some(v) => {
            return Err(invalid(
                "GANTRY_JWT_SECRET",
                // Never echo a secret, even a rejected one.
                format!("<{} bytes>", v.len()),
                "a random string of at least 32 bytes",
            ));
        }
    };
    Ok(AuthSettings {
        jwt_secret,
        access_token_ttl_secs: src.number("GANTRY_ACCESS_TOKEN_TTL_SECS", 900, 1..=86_400)?,
        refresh_token_ttl_secs: src.number(
            "GANTRY_REFRESH_TOKEN_TTL_SECS",
            30 * 86_400,
            60..=365 * 86_400,
        )?,
        refresh_max_age_days: src.number("GANTRY_REFRESH_MAX_AGE_DAYS", 30, 1..=3650)?,
        cache_secs: src.number("GANTRY_AUTH_CACHE_SECS", 5, 0..=60)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::super::testing::{accepts, env, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            accepts(&[], |c| c.auth.clone()),
            AuthSettings {
                jwt_secret: None,
                access_token_ttl_secs: 900,
                refresh_token_ttl_secs: 30 * 86_400,
                refresh_max_age_days: 30,
                cache_secs: 5,
            }
        );
        let long = "k".repeat(32);
        let a = accepts(
            &[
                ("GANTRY_JWT_SECRET", &long),
                ("GANTRY_ACCESS_TOKEN_TTL_SECS", "60"),
                ("GANTRY_REFRESH_TOKEN_TTL_SECS", "60"),
                ("GANTRY_REFRESH_MAX_AGE_DAYS", "3650"),
                ("GANTRY_AUTH_CACHE_SECS", "0"),
            ],
            |c| c.auth.clone(),
        );
        assert_eq!(a.jwt_secret, Some(Secret(long.clone())));
        assert_eq!(
            (
                a.access_token_ttl_secs,
                a.refresh_token_ttl_secs,
                a.refresh_max_age_days,
                a.cache_secs
            ),
            (60, 60, 3650, 0)
        );
        assert!(!format!("{a:?}").contains(&long));
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_ACCESS_TOKEN_TTL_SECS", "0", "a whole number in range"),
            ("GANTRY_ACCESS_TOKEN_TTL_SECS", "86401", "a whole number in range"),
            ("GANTRY_REFRESH_TOKEN_TTL_SECS", "59", "a whole number in range"),
            ("GANTRY_REFRESH_MAX_AGE_DAYS", "0", "a whole number in range"),
            ("GANTRY_REFRESH_MAX_AGE_DAYS", "3651", "a whole number in range"),
            ("GANTRY_REFRESH_MAX_AGE_DAYS", "30d", "a whole number in range"),
            ("GANTRY_AUTH_CACHE_SECS", "61", "a whole number in range"),
        ]);
    }

    #[test]
    fn a_short_jwt_secret_is_refused_and_never_shown() {
        let err = Config::from_map(&env(&[("GANTRY_JWT_SECRET", "short-secret")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting GANTRY_JWT_SECRET=\"<12 bytes>\": expected a random string of at least 32 bytes"
        );
    }
}
