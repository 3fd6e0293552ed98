//! Sending deliveries in batches: an endpoint's next due deliveries are claimed under one lease
//! in one statement pair, and the attempts of a batch, with the endpoint's health, are recorded
//! in a few multi-row statements of one transaction — a round trip per batch, not per delivery.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{DELIVERY_COLS, Delivery, DeliveryStatus, delivery_from_row};
use crate::domain::types::{from_millis, to_millis};
use crate::store::batch::{placeholders, value_rows};
use crate::store::events::StoredEvent;
use crate::store::{StoreError, StoreResult, Tx, col};

/// A delivery claimed for one attempt, with its event (`None` when pruned from the outbox).
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub delivery: Delivery,
    pub event: Option<StoredEvent>,
}

/// Most deliveries claimed or recorded at once (bound values per statement stay far below
/// SQLite's and PostgreSQL's limits).
pub const MAX_BATCH: usize = 200;

/// Claims up to `limit` (at most [`MAX_BATCH`]) of the endpoint's due deliveries, oldest event
/// first, under a lease until `lease_until`, so no other dispatcher sends them meanwhile. A
/// delivery another dispatcher leased between the read and the update is left out. Empty when
/// nothing is due.
pub async fn claim_due(
    tx: &mut Tx,
    now: DateTime<Utc>,
    endpoint_id: i64,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Claimed>> {
    let limit = limit.clamp(1, MAX_BATCH);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' \
         AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2) \
         ORDER BY event_id, id LIMIT $3"
    )))
    .bind(endpoint_id)
    .bind(to_millis(now))
    .bind(limit as i64)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let deliveries = rows
        .iter()
        .map(delivery_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_deliveries SET lease_until = $1 WHERE (lease_until IS NULL OR lease_until < $2) \
         AND id IN ({}) RETURNING id",
        placeholders(3, deliveries.len())
    )))
    .bind(to_millis(lease_until))
    .bind(to_millis(now));
    for d in &deliveries {
        q = q.bind(d.id);
    }
    let leased: HashSet<i64> = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| col(r, "webhook_deliveries", "id"))
        .collect::<StoreResult<_>>()?;
    let event_ids: Vec<i64> = deliveries.iter().map(|d| d.event_id).collect();
    let mut events: HashMap<i64, StoredEvent> = crate::store::events::by_ids(tx, &event_ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter(|d| leased.contains(&d.id))
        .map(|d| Claimed {
            event: events.remove(&d.event_id),
            delivery: d,
        })
        .collect())
}

/// The outcome of one attempt, decided by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub delivery_id: i64,
    /// The attempt's number: the delivery's attempts when it was claimed, plus one (no one
    /// else moves a leased delivery).
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// What becomes of the delivery: `Pending` (retry at `next_attempt_at`), `Succeeded` or
    /// `Failed` (the retry period is over).
    pub next: DeliveryStatus,
    pub next_attempt_at: DateTime<Utc>,
}

/// Records the attempts in the log and moves their deliveries on (their leases are released).
pub async fn record_attempts(tx: &mut Tx, attempts: &[Attempt]) -> StoreResult<()> {
    for chunk in attempts.chunks(MAX_BATCH) {
        // The deliveries: one UPDATE joined to a VALUES list of 8 values a row (its columns
        // are `column1…column8` on both databases).
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET attempts = v.column2, status = v.column3, \
             next_attempt_at = v.column4, lease_until = NULL, last_attempt_at = v.column5, \
             last_status_code = v.column6, last_latency_ms = v.column7, last_error = v.column8 \
             FROM (VALUES {}) AS v WHERE webhook_deliveries.id = v.column1",
            value_rows(chunk.len(), 8)
        )));
        for a in chunk {
            q = q
                .bind(a.delivery_id)
                .bind(a.attempt)
                .bind(a.next.as_str())
                .bind(to_millis(a.next_attempt_at))
                .bind(to_millis(a.at))
                .bind(a.status_code)
                .bind(a.latency_ms)
                .bind(a.error.as_deref());
        }
        let done = q.execute(&mut **tx).await?;
        if done.rows_affected() != chunk.len() as u64 {
            return Err(StoreError::not_found("webhook delivery", chunk[0].delivery_id));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, outcome, status_code, \
             latency_ms, error) VALUES {}",
            value_rows(chunk.len(), 7)
        )));
        for a in chunk {
            q = q
                .bind(a.delivery_id)
                .bind(a.attempt)
                .bind(to_millis(a.at))
                .bind(if a.succeeded { "succeeded" } else { "failed" })
                .bind(a.status_code)
                .bind(a.latency_ms)
                .bind(a.error.as_deref());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records the endpoint's health after a batch of attempts (`outcomes` in the order they were
/// made: `true` for a success): the failures after the last success are its consecutive
/// failures (added to the stored count when the whole batch failed), `failing_since` starts at
/// the first of them. Returns (consecutive failures, failing since). `outcomes` is not empty
/// (an empty batch would read as a success).
pub async fn record_health(
    tx: &mut Tx,
    now: DateTime<Utc>,
    endpoint_id: i64,
    outcomes: &[bool],
) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
    let trailing = outcomes.iter().rev().take_while(|ok| !**ok).count() as i64;
    let q = if trailing == 0 {
        sqlx::query(
            "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 \
             RETURNING consecutive_failures, failing_since",
        )
        .bind(endpoint_id)
    } else if (trailing as usize) < outcomes.len() {
        sqlx::query(
            "UPDATE webhook_endpoints SET consecutive_failures = $2, failing_since = $3 WHERE id = $1 \
             RETURNING consecutive_failures, failing_since",
        )
        .bind(endpoint_id)
        .bind(trailing)
        .bind(to_millis(now))
    } else {
        sqlx::query(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + $2, \
             failing_since = COALESCE(failing_since, $3) WHERE id = $1 \
             RETURNING consecutive_failures, failing_since",
        )
        .bind(endpoint_id)
        .bind(trailing)
        .bind(to_millis(now))
    };
    let row = q
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("webhook endpoint", endpoint_id))?;
    const T: &str = "webhook_endpoints";
    Ok((
        col(&row, T, "consecutive_failures")?,
        col::<Option<i64>>(&row, T, "failing_since")?.map(from_millis),
    ))
}

/// Gives back claimed deliveries that were not attempted (the batch stopped early): their
/// leases end now, so the next round takes them again.
pub async fn release(tx: &mut Tx, delivery_ids: &[i64]) -> StoreResult<()> {
    for chunk in delivery_ids.chunks(MAX_BATCH) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET lease_until = NULL WHERE id IN ({})",
            placeholders(1, chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
