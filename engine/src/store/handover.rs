//! Hand-overs (table `job_handovers`): a job handed to a printer (its `assign_job` about to be
//! sent) stays with that printer until the printer reports on it, across restarts.
//!
//! Plan writes and hand-overs are serialised by [`lock_plan`], so a plan computed before a
//! hand-over never moves the job handed out, and a hand-over never takes a job a plan committed
//! meanwhile moved elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, Tx, col, inventory, production};
use crate::domain::live::next_job;
use crate::domain::production::{Job, JobState};
use crate::domain::types::to_millis;
use crate::domain::types::{JobId, PrinterId};
use crate::store::production::JobFilter;

/// Serialises plan writes and hand-overs for the rest of the transaction (PostgreSQL: an
/// advisory transaction lock; SQLite: every write transaction is already exclusive).
pub async fn lock_plan(tx: &mut Tx) -> StoreResult<()> {
    super::serialise(tx, super::Lock::Plan).await
}

/// Records that `job` is handed to `printer` (its `assign_job` is about to be sent). Whatever
/// the printer was handed before is void: a printer is handed a job only when it asks for work.
pub async fn hand_over(tx: &mut Tx, now: DateTime<Utc>, printer: PrinterId, job: JobId) -> StoreResult<()> {
    sqlx::query("DELETE FROM job_handovers WHERE printer_id = $1 OR job_id = $2")
        .bind(printer.0)
        .bind(job.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO job_handovers (job_id, printer_id, handed_at) VALUES ($1, $2, $3)")
        .bind(job.0)
        .bind(printer.0)
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The printer holds none of the jobs it was handed (it asks for work): forgets them; returns
/// how many.
pub async fn release_handovers(tx: &mut Tx, printer: PrinterId) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM job_handovers WHERE printer_id = $1")
        .bind(printer.0)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Jobs handed to a printer and not started yet (still queued or scheduled, on that printer
/// or, when a plan written meanwhile moved it, another), by job: after a restart they are not
/// handed to any other printer until the one holding them reports.
pub async fn handovers(conn: &mut AnyConnection) -> StoreResult<BTreeMap<JobId, PrinterId>> {
    let rows = sqlx::query(
        "SELECT h.job_id, h.printer_id FROM job_handovers h JOIN jobs j ON j.id = h.job_id \
         WHERE j.state IN ('queued', 'scheduled') ORDER BY h.job_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                JobId(col(r, "job_handovers", "job_id")?),
                PrinterId(col(r, "job_handovers", "printer_id")?),
            ))
        })
        .collect()
}

/// The job a ready printer takes next, handed to it in `tx`: whatever it held before is
/// released, the jobs scheduled on it are read under the plan lock, the next one that is not
/// handed to another printer nor in `exclude` is chosen ([`next_job`]) and recorded as handed
/// to it. `None`: nothing to do.
pub async fn hand_over_next(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    exclude: &BTreeSet<JobId>,
) -> StoreResult<Option<HandedJob>> {
    lock_plan(tx).await?;
    release_handovers(tx, printer).await?;
    let filter = JobFilter {
        state: Some(JobState::Scheduled),
        printer_id: Some(printer),
        ..Default::default()
    };
    let jobs = production::list_jobs(&mut *tx, &filter).await?;
    let mut taken: BTreeSet<JobId> = handovers(&mut *tx).await?.into_keys().collect();
    taken.extend(exclude.iter().copied());
    let Some(id) = next_job(printer, &jobs, &taken) else {
        return Ok(None);
    };
    let Some(job) = jobs.into_iter().find(|j| j.id == id) else {
        return Ok(None);
    };
    hand_over(tx, now, printer, id).await?;
    let material = inventory::get_material(&mut *tx, job.material_id).await?.code;
    Ok(Some(HandedJob { job, material }))
}

/// A job handed to a printer, with its material's code.
#[derive(Debug, Clone, PartialEq)]
pub struct HandedJob {
    pub job: Job,
    pub material: String,
}
