//! Camera snapshots: when a printer's latest picture arrived (`printer_telemetry.snapshot_at`;
//! the JPEG is in object storage under [`latest_snapshot_key`]) and the pictures kept for a
//! job's history (`job_snapshots`: at its start, end or failure).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::domain::types::{JobId, PrinterId, from_millis, to_millis};
use crate::store::{StoreResult, Tx, col};

/// When in a job's life a snapshot was taken.
pub const SNAPSHOT_MOMENTS: [&str; 3] = ["start", "end", "failed"];

/// The object-storage key of a printer's latest snapshot (overwritten by each new one).
pub fn latest_snapshot_key(printer: PrinterId) -> String {
    format!("snapshots/printers/{}/latest.jpg", printer.0)
}

/// A picture kept for a job's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSnapshot {
    pub id: i64,
    pub job_id: JobId,
    pub printer_id: PrinterId,
    /// `start`, `end` or `failed`.
    pub moment: String,
    pub object_key: String,
    pub taken_at: DateTime<Utc>,
}

/// Records that `printer`'s latest snapshot was stored at `at`.
pub async fn record_snapshot(tx: &mut Tx, printer: PrinterId, at: DateTime<Utc>) -> StoreResult<()> {
    let done = sqlx::query("UPDATE printer_telemetry SET snapshot_at = $1 WHERE printer_id = $2")
        .bind(to_millis(at))
        .bind(printer.0)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        // A camera that reports before the printer's first hello.
        sqlx::query(
            "INSERT INTO printer_telemetry (printer_id, reported_state, last_seen_at, snapshot_at) \
             VALUES ($1, 'idle', $2, $2)",
        )
        .bind(printer.0)
        .bind(to_millis(at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Keeps a snapshot for `job`'s history.
pub async fn add_job_snapshot(
    tx: &mut Tx,
    job: JobId,
    printer: PrinterId,
    moment: &str,
    object_key: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO job_snapshots (job_id, printer_id, moment, object_key, taken_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(job.0)
    .bind(printer.0)
    .bind(moment)
    .bind(object_key)
    .bind(to_millis(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn snapshot_row(row: &sqlx::any::AnyRow) -> StoreResult<JobSnapshot> {
    const T: &str = "job_snapshots";
    Ok(JobSnapshot {
        id: col(row, T, "id")?,
        job_id: JobId(col(row, T, "job_id")?),
        printer_id: PrinterId(col(row, T, "printer_id")?),
        moment: col(row, T, "moment")?,
        object_key: col(row, T, "object_key")?,
        taken_at: from_millis(col(row, T, "taken_at")?),
    })
}

const SELECT_SNAPSHOT: &str =
    "SELECT id, job_id, printer_id, moment, object_key, taken_at FROM job_snapshots";

/// The snapshots of `job`, oldest first.
pub async fn job_snapshots(conn: &mut AnyConnection, job: JobId) -> StoreResult<Vec<JobSnapshot>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_SNAPSHOT} WHERE job_id = $1 ORDER BY taken_at, id"
    )))
    .bind(job.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(snapshot_row).collect()
}

/// One kept snapshot, if it exists.
pub async fn job_snapshot(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<JobSnapshot>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_SNAPSHOT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(snapshot_row).transpose()
}

/// Up to `limit` kept snapshots taken before `before`, oldest first (for pruning).
pub async fn job_snapshots_before(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<JobSnapshot>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_SNAPSHOT} WHERE taken_at < $1 ORDER BY taken_at, id LIMIT $2"
    )))
    .bind(to_millis(before))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(snapshot_row).collect()
}

/// Forgets kept snapshots by id; how many rows went.
pub async fn delete_job_snapshots(tx: &mut Tx, ids: &[i64]) -> StoreResult<u64> {
    let mut n = 0;
    for id in ids {
        n += sqlx::query("DELETE FROM job_snapshots WHERE id = $1")
            .bind(*id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Whether any kept snapshot still refers to `object_key`.
pub async fn snapshot_key_in_use(conn: &mut AnyConnection, object_key: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT id FROM job_snapshots WHERE object_key = $1 LIMIT 1")
        .bind(object_key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}
