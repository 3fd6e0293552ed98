//! Outbound webhooks (tables `webhook_endpoints`, `webhook_deliveries`, `webhook_attempts`,
//! `webhook_cursor`): endpoints and their secrets, the dispatcher's durable cursor, the
//! deliveries it fans out (in the same transaction as the cursor moves), leases, attempts and
//! replays. The rules (URLs, types, backoff, circuit) are `domain::integrations`; the
//! application layer decides, this module writes.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

mod sending;

pub use sending::{Attempt, Claimed, claim_due, record_attempts, record_health, release};

use super::events::StoredEvent;
use super::{StoreError, StoreResult, Tx, col, flag};
use crate::domain::events::Event;
use crate::domain::types::{from_millis, to_millis};

const CURSOR: &str = "webhooks";

/// A webhook endpoint as stored (secrets included: the caller decides what to show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    /// The secrets that sign now: the current one, and the previous one until its overlap ends.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut v = vec![self.secret.as_str()];
        if let (Some(p), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && until > now
        {
            v.push(p.as_str());
        }
        v
    }

    pub fn subscribes(&self, event_type: &str) -> bool {
        self.event_types.iter().any(|t| t == event_type)
    }
}

const ENDPOINT_COLS: &str = "id, url, description, event_types, secret, previous_secret, \
    previous_secret_until, enabled, disabled_reason, consecutive_failures, failing_since, \
    created_at, updated_at";

fn endpoint_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Endpoint> {
    const T: &str = "webhook_endpoints";
    let types: String = col(row, T, "event_types")?;
    Ok(Endpoint {
        id: col(row, T, "id")?,
        url: col(row, T, "url")?,
        description: col(row, T, "description")?,
        event_types: types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        secret: col(row, T, "secret")?,
        previous_secret: col(row, T, "previous_secret")?,
        previous_secret_until: col::<Option<i64>>(row, T, "previous_secret_until")?.map(from_millis),
        enabled: flag(row, T, "enabled")?,
        disabled_reason: col(row, T, "disabled_reason")?,
        consecutive_failures: col(row, T, "consecutive_failures")?,
        failing_since: col::<Option<i64>>(row, T, "failing_since")?.map(from_millis),
        created_at: from_millis(col(row, T, "created_at")?),
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

/// A new endpoint, checked by the caller (`domain::integrations::delivery`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub secret: String,
}

pub async fn create_endpoint(tx: &mut Tx, now: DateTime<Utc>, new: &NewEndpoint) -> StoreResult<Endpoint> {
    let row = sqlx::query(
        "INSERT INTO webhook_endpoints (url, description, event_types, secret, enabled, \
         consecutive_failures, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, 0, $5, $5) \
         RETURNING id",
    )
    .bind(&new.url)
    .bind(&new.description)
    .bind(new.event_types.join(","))
    .bind(&new.secret)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = col(&row, "webhook_endpoints", "id")?;
    get_endpoint(tx, id).await
}

pub async fn get_endpoint(conn: &mut AnyConnection, id: i64) -> StoreResult<Endpoint> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("webhook endpoint", id))?;
    endpoint_from_row(&row)
}

pub async fn list_endpoints(conn: &mut AnyConnection) -> StoreResult<Vec<Endpoint>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(endpoint_from_row).collect()
}

/// Replaces the secret; the old one keeps signing until `previous_until` (`None`: stops now).
pub async fn rotate_secret(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    secret: &str,
    previous_until: Option<DateTime<Utc>>,
) -> StoreResult<Endpoint> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = CASE WHEN $3 IS NULL THEN NULL ELSE secret END, \
         previous_secret_until = $3, secret = $2, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(secret)
    .bind(previous_until.map(to_millis))
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("webhook endpoint", id));
    }
    get_endpoint(tx, id).await
}

/// Enables (clearing the failure count) or disables an endpoint with a reason. Returns it.
pub async fn set_enabled(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    enabled: bool,
    reason: Option<&str>,
) -> StoreResult<Endpoint> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, updated_at = $4, \
         consecutive_failures = CASE WHEN $2 = 1 THEN 0 ELSE consecutive_failures END, \
         failing_since = CASE WHEN $2 = 1 THEN NULL ELSE failing_since END WHERE id = $1",
    )
    .bind(id)
    .bind(i64::from(enabled))
    .bind(if enabled { None } else { reason })
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("webhook endpoint", id));
    }
    get_endpoint(tx, id).await
}

/// The dispatcher's cursor: every event up to it has its deliveries.
pub async fn cursor(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query("SELECT last_event_id FROM webhook_cursor WHERE name = $1")
        .bind(CURSOR)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => col(&r, "webhook_cursor", "last_event_id"),
        None => Ok(0),
    }
}

/// Moves the cursor forward to `last` (never back).
pub async fn set_cursor(tx: &mut Tx, now: DateTime<Utc>, last: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_cursor SET last_event_id = $2, updated_at = $3 \
         WHERE name = $1 AND last_event_id < $2",
    )
    .bind(CURSOR)
    .bind(last)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues a delivery of each event to every enabled endpoint subscribed to its type that
/// existed when it occurred; an (endpoint, event) pair queued before is left alone. Returns
/// how many deliveries were queued.
pub async fn fan_out(tx: &mut Tx, now: DateTime<Utc>, events: &[StoredEvent]) -> StoreResult<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    let endpoints: Vec<Endpoint> = list_endpoints(tx)
        .await?
        .into_iter()
        .filter(|e| e.enabled)
        .collect();
    let pairs: Vec<(i64, i64, &str)> = events
        .iter()
        .flat_map(|e| {
            endpoints
                .iter()
                .filter(|ep| ep.subscribes(&e.type_name) && ep.created_at <= e.occurred_at)
                .map(|ep| (ep.id, e.id, e.type_name.as_str()))
        })
        .collect();
    let mut n = 0;
    // Many rows per statement (3 values each, `$1` is the time): one round trip for a chunk
    // instead of one per (endpoint, event).
    for chunk in pairs.chunks(QUEUE_CHUNK) {
        let rows = (0..chunk.len())
            .map(|i| {
                let p = 2 + 3 * i;
                format!("(${p}, ${}, ${}, 'pending', 0, $1, $1)", p + 1, p + 2)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, status, attempts, \
             created_at, next_attempt_at) VALUES {rows} ON CONFLICT (endpoint_id, event_id) DO NOTHING"
        )))
        .bind(to_millis(now));
        for (endpoint, event, event_type) in chunk {
            q = q.bind(*endpoint).bind(*event).bind(*event_type);
        }
        n += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(n)
}

/// Deliveries queued per statement by [`fan_out`].
const QUEUE_CHUNK: usize = 300;

async fn queue(
    tx: &mut Tx,
    now: DateTime<Utc>,
    endpoint: i64,
    event: i64,
    event_type: &str,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, status, attempts, \
         created_at, next_attempt_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4) \
         ON CONFLICT (endpoint_id, event_id) DO NOTHING",
    )
    .bind(endpoint)
    .bind(event)
    .bind(event_type)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
}

const DELIVERY_COLS: &str = "id, endpoint_id, event_id, event_type, status, attempts, created_at, \
    next_attempt_at, last_attempt_at, last_status_code, last_latency_ms, last_error";

fn delivery_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Delivery> {
    const T: &str = "webhook_deliveries";
    let status: String = col(row, T, "status")?;
    Ok(Delivery {
        id: col(row, T, "id")?,
        endpoint_id: col(row, T, "endpoint_id")?,
        event_id: col(row, T, "event_id")?,
        event_type: col(row, T, "event_type")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(T, format!("status {status:?}")))?,
        attempts: col(row, T, "attempts")?,
        created_at: from_millis(col(row, T, "created_at")?),
        next_attempt_at: from_millis(col(row, T, "next_attempt_at")?),
        last_attempt_at: col::<Option<i64>>(row, T, "last_attempt_at")?.map(from_millis),
        last_status_code: col(row, T, "last_status_code")?,
        last_latency_ms: col(row, T, "last_latency_ms")?,
        last_error: col(row, T, "last_error")?,
    })
}

pub async fn get_delivery(conn: &mut AnyConnection, id: i64) -> StoreResult<Delivery> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("webhook delivery", id))?;
    delivery_from_row(&row)
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<i64>,
    pub status: Option<DeliveryStatus>,
    /// Only deliveries with an id below this (paging backwards), newest first.
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list_deliveries(conn: &mut AnyConnection, f: &DeliveryFilter) -> StoreResult<Vec<Delivery>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE ($1 IS NULL OR endpoint_id = $1) \
         AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
    )))
    .bind(f.endpoint_id)
    .bind(f.status.map(DeliveryStatus::as_str))
    .bind(f.before_id)
    .bind(f.limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(delivery_from_row).collect()
}

/// The enabled endpoints with a delivery due at `now` that no one holds a lease on.
pub async fn due_endpoints(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT d.endpoint_id AS id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled = 1 \
         AND (d.lease_until IS NULL OR d.lease_until < $1) ORDER BY d.endpoint_id LIMIT $2",
    )
    .bind(to_millis(now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "webhook_deliveries", "id")).collect()
}

/// One attempt of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

pub async fn attempts(conn: &mut AnyConnection, delivery_id: i64) -> StoreResult<Vec<AttemptRow>> {
    let rows = sqlx::query(
        "SELECT attempt, attempted_at, outcome, status_code, latency_ms, error FROM webhook_attempts \
         WHERE delivery_id = $1 ORDER BY id",
    )
    .bind(delivery_id)
    .fetch_all(&mut *conn)
    .await?;
    const T: &str = "webhook_attempts";
    rows.iter()
        .map(|r| {
            Ok(AttemptRow {
                attempt: col(r, T, "attempt")?,
                at: from_millis(col(r, T, "attempted_at")?),
                succeeded: col::<String>(r, T, "outcome")? == "succeeded",
                status_code: col(r, T, "status_code")?,
                latency_ms: col(r, T, "latency_ms")?,
                error: col(r, T, "error")?,
            })
        })
        .collect()
}

/// Sends a delivery again: pending now, its retry period restarted (the log is kept).
pub async fn replay_delivery(tx: &mut Tx, now: DateTime<Utc>, id: i64) -> StoreResult<Delivery> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', created_at = $2, next_attempt_at = $2, \
         lease_until = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("webhook delivery", id));
    }
    get_delivery(tx, id).await
}

/// Sends again every event of the endpoint's types that occurred in `[from, to)` and is still
/// in the outbox: existing deliveries become pending again, missing ones are queued. Returns
/// how many deliveries are pending because of it.
pub async fn replay_range(
    tx: &mut Tx,
    now: DateTime<Utc>,
    endpoint_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<u64> {
    let ep = get_endpoint(tx, endpoint_id).await?;
    let rows =
        sqlx::query("SELECT id, type FROM events WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY id")
            .bind(to_millis(from))
            .bind(to_millis(to))
            .fetch_all(&mut **tx)
            .await?;
    let mut n = 0;
    for r in &rows {
        let (id, t): (i64, String) = (col(r, "events", "id")?, col(r, "events", "type")?);
        if !ep.subscribes(&t) {
            continue;
        }
        if queue(tx, now, endpoint_id, id, &t).await? == 0 {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', created_at = $3, \
                 next_attempt_at = $3, lease_until = NULL WHERE endpoint_id = $1 AND event_id = $2",
            )
            .bind(endpoint_id)
            .bind(id)
            .bind(to_millis(now))
            .execute(&mut **tx)
            .await?;
        }
        n += 1;
    }
    Ok(n)
}

/// Appends an event in `tx` (re-exported for the application layer's webhook use cases).
pub async fn append_event(tx: &mut Tx, now: DateTime<Utc>, event: &Event) -> StoreResult<i64> {
    super::events::append(tx, now, event).await
}

/// Deliveries per status (for tests and the metrics).
pub async fn count_by_status(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    let rows =
        sqlx::query("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status ORDER BY status")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "webhook_deliveries", "status")?,
                col(r, "webhook_deliveries", "n")?,
            ))
        })
        .collect()
}
