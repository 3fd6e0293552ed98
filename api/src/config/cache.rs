//! The cache of model analyses and estimates.

use super::ConfigError;
use super::source::{Source, invalid};

/// `REDIS_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    /// Redis for model analyses and estimates by content hash; `None`: an in-process cache.
    pub redis_url: Option<String>,
}

pub(super) fn parse(src: &Source<'_>) -> Result<CacheSettings, ConfigError> {
    let redis_url = src.get("REDIS_URL");
    if let Some(u) = &redis_url
        && !(u.starts_with("redis://") || u.starts_with("rediss://"))
    {
        return Err(invalid(
            "REDIS_URL",
            u.clone(),
            "redis://HOST:PORT[/DB] or rediss://…",
        ));
    }
    Ok(CacheSettings { redis_url })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn in_process_by_default() {
        assert_eq!(accepts(&[], |c| c.cache.redis_url.clone()), None);
        assert_eq!(
            accepts(&[("REDIS_URL", "redis://cache:6379/1")], |c| c
                .cache
                .redis_url
                .clone()),
            Some("redis://cache:6379/1".into())
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            (
                "REDIS_URL",
                "localhost:6379",
                "redis://HOST:PORT[/DB] or rediss://…",
            ),
            (
                "REDIS_URL",
                "http://cache",
                "redis://HOST:PORT[/DB] or rediss://…",
            ),
        ]);
    }
}
