//! The event outbox (table `events`): [`append`] writes a domain event in the caller's
//! transaction, so the event is committed with the change it describes, or not at all (a
//! payload that cannot be serialised fails the transaction). Readers poll [`after`]; [`prune`]
//! removes rows past the retention period that every durable reader has read. Durable readers
//! (the finance consumer, the analytics sink) keep their cursor in `outbox_consumers`
//! ([`consumer_cursor`], [`set_consumer_cursor`]); the webhook dispatcher in `webhook_cursor`.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::events::{Event, PAYLOAD_VERSION};
use crate::domain::types::{from_millis, to_millis};

/// A committed event as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub type_name: String,
    pub aggregate_type: String,
    pub aggregate_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub version: i64,
    /// The payload as stored (JSON text).
    pub payload: String,
    /// The payload read back; an error for a type this build does not know.
    pub event: Result<Event, String>,
}

/// Appends `event` in `tx`; returns its id.
pub async fn append(tx: &mut Tx, now: DateTime<Utc>, event: &Event) -> StoreResult<i64> {
    let payload = event
        .payload_json()
        .map_err(|e| StoreError::corrupt("events", format!("payload not serialisable: {e}")))?;
    let (kind, id) = event.aggregate();
    let row = sqlx::query(
        "INSERT INTO events (type, aggregate_type, aggregate_id, occurred_at, version, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(event.type_name())
    .bind(kind)
    .bind(id)
    .bind(to_millis(now))
    .bind(PAYLOAD_VERSION)
    .bind(payload)
    .fetch_one(&mut **tx)
    .await?;
    // Every replica's relay is woken when this commits (PostgreSQL; one per transaction, as
    // PostgreSQL folds identical notifications of a transaction into one).
    super::cluster::notify_in(tx, super::cluster::EVENTS_CHANNEL, "").await?;
    col(&row, "events", "id")
}

const COLS: &str = "id, type, aggregate_type, aggregate_id, occurred_at, version, payload";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<StoredEvent> {
    const T: &str = "events";
    let type_name: String = col(row, T, "type")?;
    let payload: String = col(row, T, "payload")?;
    Ok(StoredEvent {
        id: col(row, T, "id")?,
        event: Event::parse(&type_name, &payload),
        type_name,
        aggregate_type: col(row, T, "aggregate_type")?,
        aggregate_id: col(row, T, "aggregate_id")?,
        occurred_at: from_millis(col(row, T, "occurred_at")?),
        version: col(row, T, "version")?,
        payload,
    })
}

/// Events with an id above `id`, oldest first, at most `limit`.
pub async fn after(conn: &mut AnyConnection, id: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM events WHERE id > $1 ORDER BY id LIMIT $2"
    )))
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The events with these ids that exist now (a reader re-checks ids it saw skipped: a
/// transaction that took an id earlier may commit later).
pub async fn by_ids(conn: &mut AnyConnection, ids: &[i64]) -> StoreResult<Vec<StoredEvent>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM events WHERE id IN ({list}) ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The highest event id now (0 when there is none).
pub async fn last_id(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM events")
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "events", "id")
}

/// The highest id of the events that occurred before `t` (0 when there is none): a reader that
/// starts at `t` delivers the events above it.
pub async fn last_id_before(conn: &mut AnyConnection, t: DateTime<Utc>) -> StoreResult<i64> {
    let row =
        sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM events WHERE occurred_at < $1")
            .bind(to_millis(t))
            .fetch_one(&mut *conn)
            .await?;
    col(&row, "events", "id")
}

/// The lowest cursor of the registered durable readers (every row of `outbox_consumers` and of
/// `webhook_cursor`): every event up to it was read by all of them. `None` without any reader.
pub async fn readers_low_mark(conn: &mut AnyConnection) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT CAST(MIN(m) AS BIGINT) AS m FROM (SELECT MIN(last_event_id) AS m FROM outbox_consumers \
         UNION ALL SELECT MIN(last_event_id) AS m FROM webhook_cursor) r",
    )
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "events", "m")
}

/// Removes events that occurred before `before` and that every registered durable reader has
/// read (ids up to [`readers_low_mark`]): a reader that is behind, e.g. the analytics sink
/// during a MongoDB outage longer than the retention, keeps its unread events. Returns how
/// many were removed.
pub async fn prune(tx: &mut Tx, before: DateTime<Utc>) -> StoreResult<u64> {
    let low = readers_low_mark(tx).await?.unwrap_or(i64::MAX);
    let done = sqlx::query("DELETE FROM events WHERE occurred_at < $1 AND id <= $2")
        .bind(to_millis(before))
        .bind(low)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The last event id the durable reader `name` handled (`None` before its first round).
pub async fn consumer_cursor(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<i64>> {
    let row = sqlx::query("SELECT last_event_id FROM outbox_consumers WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "outbox_consumers", "last_event_id"))
        .transpose()
}

/// Moves reader `name`'s cursor to `last` (never backwards), in the caller's transaction.
pub async fn set_consumer_cursor(tx: &mut Tx, now: DateTime<Utc>, name: &str, last: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO outbox_consumers (name, last_event_id, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET last_event_id = CASE WHEN outbox_consumers.last_event_id > $2 \
         THEN outbox_consumers.last_event_id ELSE $2 END, updated_at = $3",
    )
    .bind(name)
    .bind(last)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
