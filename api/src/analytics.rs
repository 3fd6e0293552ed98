//! The MongoDB analytics sink (`MONGODB_URL`, issue #15), with the official `mongodb` driver.
//!
//! - **Events.** The application layer's durable outbox reader (`gantry_app::analytics`, its
//!   cursor in SQL) hands batches of committed events to [`MongoEvents`], which writes them to
//!   the `events` collection with one unordered `insert_many` per batch, keyed by the outbox id
//!   (`_id`): a batch written again after a failure inserts nothing twice (duplicate keys are
//!   success). MongoDB down: the round fails, the reader backs off and catches up later from
//!   the outbox; nothing else waits for it.
//! - **Requests.** Every HTTP request (and, for `/graphql`, the caller and the operations: an
//!   audit trail) is queued on a bounded in-memory channel ([`RequestLog`]) and written in
//!   batches to `requests` by one task. Best effort: while MongoDB is down up to
//!   [`REQUEST_BUFFER`] records wait; later ones are dropped and counted. A request never waits.
//! - **Indexes and TTL.** Created (idempotently) before the first write: TTL indexes on
//!   `events.occurred_at` and `requests.at` (`GANTRY_MONGODB_EVENTS_TTL_DAYS`,
//!   `GANTRY_MONGODB_REQUESTS_TTL_DAYS`; a changed TTL is applied with `collMod`), and indexes
//!   for the usual questions (events by type and time, by aggregate; requests by id, by user).
//!
//! The client connects lazily and fails fast (2 s server selection), so a MongoDB that is down
//! at start delays nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gantry_app::analytics::{AnalyticsSink, SinkConfig, SinkHandle};
use gantry_engine::store::Db;
use gantry_engine::store::events::StoredEvent;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{self, Bson, DateTime as BsonDateTime, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};
use tokio::sync::{OnceCell, mpsc};

use crate::config::TelemetrySettings;

/// The collection of events.
pub const EVENTS: &str = "events";
/// The collection of requests.
pub const REQUESTS: &str = "requests";
/// The database when the URL names none.
pub const DEFAULT_DATABASE: &str = "gantry";
/// Most request records waiting to be written.
pub const REQUEST_BUFFER: usize = 10_000;
/// Most request records per write.
const REQUEST_BATCH: usize = 1_000;
/// How long a request record may wait for others to fill its batch.
const REQUEST_LINGER: Duration = Duration::from_millis(500);
/// Server selection and connection timeout: a round against a MongoDB that is down fails fast.
const TIMEOUT: Duration = Duration::from_secs(2);
/// MongoDB's duplicate-key error.
const DUPLICATE_KEY: i32 = 11000;
/// MongoDB's IndexOptionsConflict (an index with these keys exists with another TTL).
const INDEX_OPTIONS_CONFLICT: i32 = 85;

/// A connected database with the sink's collections.
#[derive(Debug, Clone)]
pub struct Mongo {
    db: Database,
    events: Collection<Document>,
    requests: Collection<Document>,
}

impl Mongo {
    /// Parses `url` and makes a client (no round trip yet; `mongodb+srv://` resolves here).
    pub async fn connect(url: &str) -> mongodb::error::Result<Mongo> {
        let mut opts = ClientOptions::parse(url).await?;
        opts.app_name.get_or_insert_with(|| "gantry".into());
        opts.server_selection_timeout.get_or_insert(TIMEOUT);
        opts.connect_timeout.get_or_insert(TIMEOUT);
        let name = opts
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        let db = Client::with_options(opts)?.database(&name);
        Ok(Mongo {
            events: db.collection(EVENTS),
            requests: db.collection(REQUESTS),
            db,
        })
    }

    /// The database written to.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates the indexes (a no-op when they exist) and sets the TTLs.
    pub async fn ensure_indexes(
        &self,
        events_ttl_days: u64,
        requests_ttl_days: u64,
    ) -> mongodb::error::Result<()> {
        let named = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_string()).build())
                .build()
        };
        self.events
            .create_indexes([
                named(doc! {"type": 1, "occurred_at": 1}, "type_occurred_at"),
                named(
                    doc! {"aggregate.type": 1, "aggregate.id": 1, "occurred_at": 1},
                    "aggregate_occurred_at",
                ),
            ])
            .await?;
        self.requests
            .create_indexes([
                named(doc! {"request_id": 1}, "request_id"),
                named(doc! {"user_id": 1, "at": 1}, "user_at"),
            ])
            .await?;
        self.ttl_index(EVENTS, "occurred_at", events_ttl_days).await?;
        self.ttl_index(REQUESTS, "at", requests_ttl_days).await
    }

    async fn ttl_index(&self, coll: &str, field: &str, days: u64) -> mongodb::error::Result<()> {
        let secs = days.saturating_mul(86_400);
        let name = format!("{field}_ttl");
        let model = IndexModel::builder()
            .keys(doc! {field: 1})
            .options(
                IndexOptions::builder()
                    .name(name.clone())
                    .expire_after(Duration::from_secs(secs))
                    .build(),
            )
            .build();
        match self.db.collection::<Document>(coll).create_index(model).await {
            Ok(_) => Ok(()),
            Err(e) if command_code(&e) == Some(INDEX_OPTIONS_CONFLICT) => {
                let secs = i64::try_from(secs).unwrap_or(i64::MAX);
                self.db
                    .run_command(doc! {
                        "collMod": coll,
                        "index": {"keyPattern": {field: 1}, "expireAfterSeconds": secs},
                    })
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }
}

fn command_code(e: &mongodb::error::Error) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}

/// Inserts `docs` unordered; documents that exist already (same `_id`) count as written.
pub async fn insert_all(coll: &Collection<Document>, docs: &[Document]) -> Result<(), String> {
    if docs.is_empty() {
        return Ok(());
    }
    match coll.insert_many(docs).ordered(false).await {
        Ok(_) => Ok(()),
        Err(e) => match e.kind.as_ref() {
            ErrorKind::InsertMany(m)
                if m.write_concern_error.is_none()
                    && m.write_errors
                        .as_ref()
                        .is_some_and(|w| w.iter().all(|x| x.code == DUPLICATE_KEY)) =>
            {
                Ok(())
            }
            _ => Err(e.to_string()),
        },
    }
}

/// An event as stored in MongoDB: `_id` is the outbox id, the payload a document (the stored
/// JSON text when it does not parse).
pub fn event_document(e: &StoredEvent) -> Document {
    let payload = serde_json::from_str::<serde_json::Value>(&e.payload)
        .ok()
        .and_then(|v| bson::to_bson(&v).ok())
        .unwrap_or_else(|| Bson::String(e.payload.clone()));
    doc! {
        "_id": e.id,
        "type": e.type_name.as_str(),
        "aggregate": {"type": e.aggregate_type.as_str(), "id": e.aggregate_id},
        "occurred_at": BsonDateTime::from_millis(e.occurred_at.timestamp_millis()),
        "version": e.version,
        "payload": payload,
    }
}

/// The shared, lazily connected client and the index set-up done once per process.
#[derive(Debug)]
struct Shared {
    url: String,
    events_ttl_days: u64,
    requests_ttl_days: u64,
    mongo: OnceCell<Mongo>,
    indexed: AtomicBool,
}

impl Shared {
    /// The client, with the indexes created (both retried on the next call after a failure).
    async fn ready(&self) -> Result<&Mongo, String> {
        let mongo = self
            .mongo
            .get_or_try_init(|| Mongo::connect(&self.url))
            .await
            .map_err(|e| e.to_string())?;
        if !self.indexed.load(Ordering::Acquire) {
            mongo
                .ensure_indexes(self.events_ttl_days, self.requests_ttl_days)
                .await
                .map_err(|e| format!("creating indexes: {e}"))?;
            self.indexed.store(true, Ordering::Release);
        }
        Ok(mongo)
    }
}

/// The [`AnalyticsSink`] writing to MongoDB.
#[derive(Debug, Clone)]
pub struct MongoEvents(Arc<Shared>);

impl MongoEvents {
    /// A sink writing to `url`, connected (and its indexes made) on the first write.
    pub fn new(url: &str, events_ttl_days: u64, requests_ttl_days: u64) -> MongoEvents {
        MongoEvents(Arc::new(Shared {
            url: url.to_string(),
            events_ttl_days,
            requests_ttl_days,
            mongo: OnceCell::new(),
            indexed: AtomicBool::new(false),
        }))
    }
}

impl AnalyticsSink for MongoEvents {
    async fn write_events(&self, events: &[StoredEvent]) -> Result<(), String> {
        let mongo = self.0.ready().await?;
        let docs: Vec<Document> = events.iter().map(event_document).collect();
        insert_all(&mongo.events, &docs).await
    }
}

/// One served request, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
    pub client: Option<String>,
    /// The authenticated user (`/graphql`).
    pub user_id: Option<i64>,
    /// The GraphQL operations of the request (`/graphql`): name (or `anonymous`) and kind.
    pub operations: Vec<String>,
}

/// What `/graphql` tells the request log about a request (a request extension).
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub user_id: Option<i64>,
    pub operations: Vec<String>,
}

impl Audit {
    /// `kind name` of each operation of a parsed request (`mutation createOrder`).
    pub fn operations_of(batch: &async_graphql::BatchRequest) -> Vec<String> {
        batch
            .iter()
            .map(|r| {
                let text = r.query.trim_start();
                let kind = ["query", "mutation", "subscription"]
                    .into_iter()
                    .find(|k| text.starts_with(k));
                // The name given with the request, else the one written after the keyword.
                let written: String = kind
                    .map(|k| text[k.len()..].trim_start())
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let name = r
                    .operation_name
                    .clone()
                    .or((!written.is_empty()).then_some(written))
                    .unwrap_or_else(|| "anonymous".into());
                format!("{} {name}", kind.unwrap_or("query"))
            })
            .collect()
    }
}

fn request_document(r: &RequestRecord) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "at": BsonDateTime::from_millis(r.at.timestamp_millis()),
        "request_id": r.request_id.as_str(),
        "method": r.method.as_str(),
        "path": r.path.as_str(),
        "status": i32::from(r.status),
        "latency_ms": r.latency_ms,
        "client": r.client.as_deref(),
        "user_id": r.user_id,
        "operations": r.operations.clone(),
    }
}

/// The queue of request records (cheap to clone; never blocks).
#[derive(Debug, Clone)]
pub struct RequestLog {
    tx: mpsc::Sender<RequestRecord>,
    dropped: Arc<AtomicU64>,
}

impl RequestLog {
    /// Queues a record; when the queue is full it is dropped and counted.
    pub fn record(&self, r: RequestRecord) {
        if self.tx.try_send(r).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped so far (queue full while MongoDB was unreachable).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Writes queued request records in batches; a failed batch is kept and tried again.
async fn write_requests(shared: Arc<Shared>, mut rx: mpsc::Receiver<RequestRecord>, cfg: SinkConfig) {
    let mut pending: Vec<Document> = Vec::new();
    let mut failures = 0u32;
    loop {
        if pending.is_empty() {
            let Some(first) = rx.recv().await else { return };
            pending.push(request_document(&first));
            let until = tokio::time::Instant::now() + REQUEST_LINGER;
            while pending.len() < REQUEST_BATCH {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(r)) => pending.push(request_document(&r)),
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let done = match shared.ready().await {
            Ok(m) => insert_all(&m.requests, &pending).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => {
                pending.clear();
                failures = 0;
            }
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(error = %e, "analytics: cannot write the request log; retrying with backoff");
                }
                failures = failures.saturating_add(1);
                tokio::time::sleep(gantry_app::analytics::backoff(&cfg, failures)).await;
            }
        }
    }
}

/// The running sink: the events reader and the request writer (both stop when dropped).
#[derive(Debug)]
pub struct Analytics {
    pub requests: RequestLog,
    _events: SinkHandle,
    writer: tokio::task::JoinHandle<()>,
}

impl Drop for Analytics {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

/// Starts the sink on the current tokio runtime when `MONGODB_URL` is set.
pub fn start(settings: &TelemetrySettings, db: Db, cfg: SinkConfig) -> Option<Analytics> {
    let url = settings.mongodb_url.as_deref()?;
    let sink = MongoEvents::new(
        url,
        settings.mongodb_events_ttl_days,
        settings.mongodb_requests_ttl_days,
    );
    let (tx, rx) = mpsc::channel(REQUEST_BUFFER);
    let writer = tokio::spawn(write_requests(sink.0.clone(), rx, cfg));
    let events = gantry_app::analytics::spawn(db, sink, cfg);
    Some(Analytics {
        requests: RequestLog {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        },
        _events: events,
        writer,
    })
}
