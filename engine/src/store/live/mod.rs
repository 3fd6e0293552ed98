//! Live-farm persistence (`agent_messages`, `printer_telemetry` with its samples, `job_snapshots`,
//! `job_holds`, `order_flags`)
//! and the composite commands the farm's actors run, each in the caller's transaction so that
//! a change is committed before it is acknowledged (see [`crate::domain::live`] for the
//! decisions).
//!
//! - [`record_message`]: the exactly-once guard for agent messages, written in the same
//!   transaction as the change;
//! - [`record_statuses`]: a batch of status reports (telemetry, job progress that never goes
//!   backwards), for the group-commit writer;
//! - [`start_on`], [`complete_on`], [`fail_on`], [`reject_on`]: job transitions reported by a
//!   printer with their material and printer-status consequences;
//! - [`persist_plan`]: a solved plan, its reservations and holds, in the caller's transaction
//!   (the plan record and its `plan.changed` event: `store::planning::record_plan`, same transaction).

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use crate::domain::live::MESSAGE_ID_RETENTION_HOURS;
use crate::domain::types::{JobId, PrinterId, to_millis};
use crate::store::{StoreResult, Tx};

mod jobs;
mod plans;
mod snapshots;
mod telemetry;

pub use jobs::*;
pub use plans::*;
pub use snapshots::*;
pub use telemetry::*;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

// ---------------------------------------------------------------------------------------------
// Message ids

/// Records that `printer`'s message `msg_id` is being applied. `false` when it was already
/// (a repeat): the caller acknowledges it as a duplicate and applies nothing.
pub async fn record_message(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    msg_id: &str,
    kind: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO agent_messages (printer_id, msg_id, kind, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (printer_id, msg_id) DO NOTHING",
    )
    .bind(printer.0)
    .bind(msg_id)
    .bind(kind)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `printer`'s message `msg_id` was applied.
pub async fn message_seen(conn: &mut AnyConnection, printer: PrinterId, msg_id: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM agent_messages WHERE printer_id = $1 AND msg_id = $2")
        .bind(printer.0)
        .bind(msg_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Deletes message ids older than [`MESSAGE_ID_RETENTION_HOURS`] before `now`; returns how many.
pub async fn prune_messages(tx: &mut Tx, now: DateTime<Utc>) -> StoreResult<u64> {
    let before = now - Duration::hours(MESSAGE_ID_RETENTION_HOURS);
    let done = sqlx::query("DELETE FROM agent_messages WHERE received_at < $1")
        .bind(to_millis(before))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Hand-overs (`super::handover`, re-exported)

pub use super::handover::{HandedJob, hand_over, hand_over_next, handovers, lock_plan, release_handovers};

async fn forget_handover(tx: &mut Tx, job: JobId) -> StoreResult<()> {
    sqlx::query("DELETE FROM job_handovers WHERE job_id = $1")
        .bind(job.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
