//! Cache of geometry analyses and estimates by content hash: Redis when `REDIS_URL` is set
//! (shared by every replica, entries expire after [`TTL_SECS`]), an in-process LRU of
//! [`MEMORY_ENTRIES`] entries otherwise.
//!
//! The cache is an optimisation only: a Redis error or timeout is logged and counts as a miss
//! (or a skipped write), never as a failed request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

/// Entries kept by the in-process cache.
pub const MEMORY_ENTRIES: usize = 1024;
/// Lifetime of a Redis entry.
pub const TTL_SECS: u64 = 30 * 86_400;
/// Longest wait for Redis before treating the call as a miss.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
struct Lru {
    map: HashMap<String, (String, u64)>,
    tick: u64,
}

enum Backend {
    Redis {
        client: redis::Client,
        conn: OnceCell<ConnectionManager>,
    },
    Memory(Mutex<Lru>),
}

/// The cache (see the module doc).
pub struct AnalysisCache {
    backend: Backend,
}

impl AnalysisCache {
    /// Redis at `redis_url`, or in-process without one. A malformed URL (already checked by the
    /// configuration) falls back to in-process with a warning.
    pub fn new(redis_url: Option<&str>) -> AnalysisCache {
        if let Some(url) = redis_url {
            match redis::Client::open(url) {
                Ok(client) => {
                    return AnalysisCache {
                        backend: Backend::Redis {
                            client,
                            conn: OnceCell::new(),
                        },
                    };
                }
                Err(e) => tracing::warn!(error = %e, "REDIS_URL unusable; caching in-process"),
            }
        }
        AnalysisCache::memory()
    }

    /// An in-process cache.
    pub fn memory() -> AnalysisCache {
        AnalysisCache {
            backend: Backend::Memory(Mutex::new(Lru {
                map: HashMap::new(),
                tick: 0,
            })),
        }
    }

    /// `redis` or `memory`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis { .. } => "redis",
            Backend::Memory(_) => "memory",
        }
    }

    /// The full key of an entry.
    pub fn key(kind: &str, sha256: &str) -> String {
        gantry_app::printing::cache_key(kind, sha256)
    }

    async fn redis(client: &redis::Client, conn: &OnceCell<ConnectionManager>) -> Option<ConnectionManager> {
        let made = tokio::time::timeout(
            REDIS_TIMEOUT,
            conn.get_or_try_init(|| ConnectionManager::new(client.clone())),
        )
        .await;
        match made {
            Ok(Ok(c)) => Some(c.clone()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "analysis cache: cannot connect to Redis");
                None
            }
            Err(_) => {
                tracing::warn!("analysis cache: Redis connection timed out");
                None
            }
        }
    }

    /// The cached value, if any.
    pub async fn get(&self, key: &str) -> Option<String> {
        match &self.backend {
            Backend::Memory(m) => {
                let mut lru = m.lock().ok()?;
                lru.tick += 1;
                let tick = lru.tick;
                let entry = lru.map.get_mut(key)?;
                entry.1 = tick;
                Some(entry.0.clone())
            }
            Backend::Redis { client, conn } => {
                let mut c = Self::redis(client, conn).await?;
                let got = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    redis::cmd("GET").arg(key).query_async::<Option<String>>(&mut c),
                )
                .await;
                match got {
                    Ok(Ok(v)) => v,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "analysis cache: Redis GET failed");
                        None
                    }
                    Err(_) => {
                        tracing::warn!("analysis cache: Redis GET timed out");
                        None
                    }
                }
            }
        }
    }

    /// Stores a value (best effort).
    pub async fn put(&self, key: &str, value: &str) {
        match &self.backend {
            Backend::Memory(m) => {
                let Ok(mut lru) = m.lock() else { return };
                lru.tick += 1;
                let tick = lru.tick;
                if lru.map.len() >= MEMORY_ENTRIES
                    && !lru.map.contains_key(key)
                    && let Some(oldest) = lru
                        .map
                        .iter()
                        .min_by_key(|(_, (_, t))| *t)
                        .map(|(k, _)| k.clone())
                {
                    lru.map.remove(&oldest);
                }
                lru.map.insert(key.to_string(), (value.to_string(), tick));
            }
            Backend::Redis { client, conn } => {
                let Some(mut c) = Self::redis(client, conn).await else {
                    return;
                };
                let set = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    redis::cmd("SET")
                        .arg(key)
                        .arg(value)
                        .arg("EX")
                        .arg(TTL_SECS)
                        .query_async::<()>(&mut c),
                )
                .await;
                match set {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "analysis cache: Redis SET failed"),
                    Err(_) => tracing::warn!("analysis cache: Redis SET timed out"),
                }
            }
        }
    }
}

impl gantry_app::printing::Cache for AnalysisCache {
    async fn get(&self, key: &str) -> Option<String> {
        AnalysisCache::get(self, key).await
    }

    async fn put(&self, key: &str, value: &str) {
        AnalysisCache::put(self, key, value).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_evicts_the_least_recently_used() {
        let c = AnalysisCache::memory();
        assert_eq!(c.kind(), "memory");
        assert_eq!(c.get("a").await, None);
        for i in 0..MEMORY_ENTRIES {
            c.put(&format!("k{i}"), &i.to_string()).await;
        }
        // Touch k0 so k1 is the oldest, then overflow by one.
        assert_eq!(c.get("k0").await.as_deref(), Some("0"));
        c.put("new", "x").await;
        assert_eq!(c.get("k1").await, None);
        assert_eq!(c.get("k0").await.as_deref(), Some("0"));
        assert_eq!(c.get("new").await.as_deref(), Some("x"));
    }

    /// Redis runs beside the tests (scripts/test.sh starts it).
    #[tokio::test]
    async fn redis_cache_round_trip() {
        let c = AnalysisCache::new(Some("redis://127.0.0.1:6379"));
        assert_eq!(c.kind(), "redis");
        let key = AnalysisCache::key("test", &format!("{:x}", std::process::id()));
        c.put(&key, "{\"v\":1}").await;
        assert_eq!(c.get(&key).await.as_deref(), Some("{\"v\":1}"));
        assert_eq!(c.get(&AnalysisCache::key("test", "absent")).await, None);
        // An unreachable Redis is a miss, not an error.
        let down = AnalysisCache::new(Some("redis://127.0.0.1:1"));
        assert_eq!(down.get(&key).await, None);
        down.put(&key, "x").await;
    }
}
