//! The GraphQL response cache (`GANTRY_GRAPHQL_RESPONSE_CACHE_MS`, off by default).
//!
//! A successful answer to a request made only of queries is kept, as the bytes sent, under the
//! caller and the request body: the same body from the same principal (user, role, customer,
//! token and its scopes; or no one) within the maximum age gets those bytes again without parsing,
//! validating or reading the database. The bearer token is still authenticated first on every
//! request, so a revoked or expired token is refused as before, and callers never share entries
//! (a customer's cached orders are never another caller's).
//!
//! Never kept: mutations and subscriptions, any answer carrying an error (so depth, complexity,
//! permission and validation errors are produced afresh every time), multipart requests, and
//! answers over [`MAX_ENTRY_BYTES`].
//!
//! Emptied: by every committed event this replica's relay delivers (the outbox, which on
//! PostgreSQL carries every replica's changes), by a relay resync, and by every request through
//! this server that is not only queries (a mutation answered here is seen by this server's next
//! read at once). An answer computed while the cache was emptied is not kept (generation check),
//! so a read racing a write cannot keep the older state. What stays stale: changes that append no
//! event (live agent state such as telemetry, and direct database edits) are seen when the entry
//! reaches the maximum age; changes on another replica once its event reaches this one (the
//! relay's delay, milliseconds on PostgreSQL with NOTIFY).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use bytes::Bytes;
use gantry_app::events::EventBus;

use crate::graphql::principal::Principal;

/// The largest answer kept (bytes).
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
/// The most bytes of answers kept at once; past it the cache is emptied and starts again.
pub const MAX_TOTAL_BYTES: usize = 64 << 20;
/// The most entries kept at once; past it the cache is emptied and starts again.
pub const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    caller: String,
    body: Bytes,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    answer: Bytes,
    operations: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    generation: u64,
}

/// A kept answer: the bytes to send and the request log's operations.
#[derive(Debug, Clone)]
pub struct Hit {
    pub answer: Bytes,
    pub operations: Vec<String>,
}

/// The cache of one server (shared by its workers).
#[derive(Debug)]
pub struct ResponseCache {
    max_age: Duration,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a request that missed needs to offer its answer afterwards.
#[derive(Debug)]
pub struct Pending {
    key: Key,
    generation: u64,
}

impl ResponseCache {
    /// A cache keeping answers for `max_age` (a zero age: nothing is kept).
    pub fn new(max_age: Duration) -> Self {
        ResponseCache {
            max_age,
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        !self.max_age.is_zero()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept answer to `body` from `principal`, or what to offer the answer under.
    pub fn lookup(&self, principal: Option<&Principal>, body: &Bytes) -> Result<Hit, Pending> {
        let key = Key {
            caller: principal.map_or_else(String::new, |p| format!("{p:?}")),
            body: body.clone(),
        };
        let mut inner = self.lock();
        let kept = inner.entries.get(&key).map(|e| {
            (e.at.elapsed() <= self.max_age).then(|| Hit {
                answer: e.answer.clone(),
                operations: e.operations.clone(),
            })
        });
        match kept {
            Some(Some(hit)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit);
            }
            Some(None) => {
                if let Some(old) = inner.entries.remove(&key) {
                    inner.bytes -= old.answer.len();
                }
            }
            None => {}
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Pending {
            key,
            generation: inner.generation,
        })
    }

    /// Keeps `answer` unless the cache was emptied since the lookup (the answer may predate a
    /// change) or it is over [`MAX_ENTRY_BYTES`].
    pub fn offer(&self, pending: Pending, answer: Bytes, operations: Vec<String>) {
        if answer.len() > MAX_ENTRY_BYTES {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != pending.generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES || inner.bytes + answer.len() > MAX_TOTAL_BYTES {
            inner.entries.clear();
            inner.bytes = 0;
        }
        inner.bytes += answer.len();
        if let Some(old) = inner.entries.insert(
            pending.key,
            Entry {
                at: Instant::now(),
                answer,
                operations,
            },
        ) {
            inner.bytes -= old.answer.len();
        }
    }

    /// Forgets every answer, and refuses answers computed before now.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
        inner.generation += 1;
    }

    /// Requests answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Requests the cache could not answer so far.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the cache on every event and resync of `events` until the bus closes (a lagging
    /// receiver, which may have missed events, empties it too).
    pub fn spawn_invalidator(self: &std::sync::Arc<Self>, events: &EventBus) {
        if !self.enabled() {
            return;
        }
        let cache = std::sync::Arc::downgrade(self);
        let mut rx = events.subscribe();
        let mut resyncs = events.resyncs();
        tokio::spawn(async move {
            loop {
                let closed = tokio::select! {
                    r = rx.recv() => matches!(r, Err(tokio::sync::broadcast::error::RecvError::Closed)),
                    r = resyncs.changed() => r.is_err(),
                };
                let Some(cache) = cache.upgrade() else { return };
                cache.invalidate();
                if closed {
                    return;
                }
            }
        });
    }
}

/// Whether every request of `batch` is a query (its selected operation parses and is a query):
/// only such answers may be kept.
pub fn only_queries(batch: &async_graphql::BatchRequest) -> bool {
    batch.iter().all(|r| {
        let Ok(doc) = async_graphql::parser::parse_query(&r.query) else {
            return false;
        };
        let ty = match (&doc.operations, r.operation_name.as_deref()) {
            (DocumentOperations::Single(op), _) => Some(op.node.ty),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
            // One named operation runs without a name; several need one.
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                ops.values().next().map(|op| op.node.ty)
            }
            (DocumentOperations::Multiple(_), None) => None,
        };
        ty == Some(OperationType::Query)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> Bytes {
        Bytes::from(s.to_string())
    }

    #[test]
    fn keeps_until_invalidated_and_refuses_answers_older_than_the_last_change() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let Err(p) = cache.lookup(None, &body("{a}")) else {
            panic!("empty cache hit")
        };
        cache.offer(p, body("1"), vec![]);
        assert_eq!(
            cache.lookup(None, &body("{a}")).map(|h| h.answer).ok(),
            Some(body("1"))
        );
        // A request that started before a change must not store its (older) answer.
        let Err(p) = cache.lookup(None, &body("{b}")) else {
            panic!("hit")
        };
        cache.invalidate();
        cache.offer(p, body("2"), vec![]);
        assert!(cache.is_empty());
        assert!(cache.lookup(None, &body("{a}")).is_err());
    }

    #[test]
    fn entries_expire_and_large_answers_are_not_kept() {
        let cache = ResponseCache::new(Duration::from_millis(1));
        let Err(p) = cache.lookup(None, &body("{a}")) else {
            panic!("hit")
        };
        cache.offer(p, body("1"), vec![]);
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.lookup(None, &body("{a}")).is_err());
        assert!(cache.is_empty(), "an expired entry is dropped");
        let Err(p) = cache.lookup(None, &body("{a}")) else {
            panic!("hit")
        };
        cache.offer(p, Bytes::from(vec![b' '; MAX_ENTRY_BYTES + 1]), vec![]);
        assert!(cache.is_empty());
    }

    #[test]
    fn only_query_operations_are_cacheable() {
        let req = |q: &str, name: Option<&str>| {
            let mut r = async_graphql::Request::new(q);
            if let Some(n) = name {
                r = r.operation_name(n);
            }
            async_graphql::BatchRequest::Single(r)
        };
        assert!(only_queries(&req("{ version }", None)));
        assert!(only_queries(&req("query Q { version }", None)));
        assert!(!only_queries(&req("mutation { logout }", None)));
        assert!(!only_queries(&req("subscription { events }", None)));
        assert!(!only_queries(&req("{ version", None)));
        let two = "query A { version } mutation B { logout }";
        assert!(only_queries(&req(two, Some("A"))));
        assert!(!only_queries(&req(two, Some("B"))));
        assert!(!only_queries(&req(two, None)));
        assert!(!only_queries(&async_graphql::BatchRequest::Batch(vec![
            async_graphql::Request::new("{ version }"),
            async_graphql::Request::new("mutation { logout }"),
        ])));
    }
}
