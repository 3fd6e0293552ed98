//! Use cases of the printer fleet beyond the protocol: telemetry for the planners (the latest
//! readings, a bounded history for charts, what changed for a subscription) and the printers'
//! camera snapshots (the latest one per printer, and those kept for a job's history). The JPEG
//! bytes go through the [`ObjectStorage`] adapter; the printer's own address and credentials
//! never reach the server (its agent fetches the picture).

use chrono::{DateTime, Utc};
use gantry_engine::domain::live::{downsample, history_since};
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::error::ErrorKind;
use gantry_engine::store::live::{self, SNAPSHOT_MOMENTS, latest_snapshot_key};
use gantry_engine::store::{equipment, production};

pub use gantry_engine::domain::live::{MAX_HISTORY_POINTS, TelemetrySample};
pub use gantry_engine::store::live::{JobSnapshot, Telemetry};

use crate::printing::{ObjectStorage, sha256_hex};
use crate::{AppError, AppResult, Db, commit, conn};

/// Counts the commits of agents' status reports in this process: a telemetry subscription
/// waits on it to read what changed at once instead of at its next interval. (Reports
/// committed by another server reach it at its interval.)
static TELEMETRY_COMMITS: std::sync::LazyLock<tokio::sync::watch::Sender<u64>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// Wakes when status reports were committed in this process since the last look.
pub fn telemetry_commits() -> tokio::sync::watch::Receiver<u64> {
    TELEMETRY_COMMITS.subscribe()
}

/// Tells the telemetry subscriptions that status reports were committed.
pub(crate) fn telemetry_committed() {
    TELEMETRY_COMMITS.send_modify(|n| *n = n.wrapping_add(1));
}

/// Largest snapshot accepted, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 4 << 20;

/// The samples of `printer`'s readings since `since` (no further back than the retention),
/// downsampled to at most `max_points`. `NOT_FOUND` for an unknown printer.
pub async fn telemetry_history(
    db: &Db,
    printer: PrinterId,
    since: DateTime<Utc>,
    max_points: usize,
    now: DateTime<Utc>,
) -> AppResult<Vec<TelemetrySample>> {
    let mut c = conn(db).await?;
    equipment::get_printer(&mut c, printer).await?;
    let samples = live::telemetry_samples(&mut c, printer, history_since(since, now)).await?;
    Ok(downsample(&samples, max_points))
}

/// The printers' telemetry rows that changed after `after` (of `printer` only, when given).
pub async fn telemetry_changed(
    db: &Db,
    after: DateTime<Utc>,
    printer: Option<PrinterId>,
) -> AppResult<Vec<Telemetry>> {
    let mut c = conn(db).await?;
    Ok(live::telemetry_changed(&mut c, after, printer).await?)
}

/// Whether `bytes` look like a JPEG (SOI marker followed by a marker).
pub fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.len() > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
}

/// Where in a job's life a snapshot from an agent belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobMoment {
    pub job: JobId,
    /// `start`, `end` or `failed`.
    pub moment: String,
}

/// Stores a snapshot `printer`'s agent sent: it becomes the printer's latest, and with a
/// `moment` it is also kept for that job's history (the job must be this printer's).
pub async fn record_snapshot<S: ObjectStorage>(
    db: &Db,
    storage: &S,
    printer: PrinterId,
    jpeg: Vec<u8>,
    moment: Option<JobMoment>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if jpeg.len() > MAX_SNAPSHOT_BYTES {
        return Err(AppError::invalid(
            "SNAPSHOT_TOO_LARGE",
            format!(
                "a snapshot is at most {MAX_SNAPSHOT_BYTES} bytes, got {}",
                jpeg.len()
            ),
        ));
    }
    if !is_jpeg(&jpeg) {
        return Err(AppError::invalid(
            "SNAPSHOT_NOT_JPEG",
            "a snapshot must be a JPEG image",
        ));
    }
    let kept = match &moment {
        None => None,
        Some(m) => {
            if !SNAPSHOT_MOMENTS.contains(&m.moment.as_str()) {
                return Err(AppError::invalid(
                    "SNAPSHOT_BAD_MOMENT",
                    format!("moment must be start, end or failed, got {:?}", m.moment),
                ));
            }
            let mut c = conn(db).await?;
            let job = production::get_job(&mut c, m.job).await?;
            if job.printer_id != Some(printer) {
                return Err(AppError::refused(
                    ErrorKind::Forbidden,
                    "JOB_NOT_ASSIGNED_HERE",
                    format!("job {} is not assigned to this printer", m.job.0),
                ));
            }
            let key = format!(
                "snapshots/jobs/{}/{}-{}.jpg",
                m.job.0,
                m.moment,
                sha256_hex(&jpeg)
            );
            storage
                .put_if_absent(&key, jpeg.clone())
                .await
                .map_err(storage_error)?;
            Some((m.clone(), key))
        }
    };
    storage
        .put(&latest_snapshot_key(printer), jpeg)
        .await
        .map_err(storage_error)?;
    let mut tx = db.begin().await?;
    live::record_snapshot(&mut tx, printer, now).await?;
    if let Some((m, key)) = kept {
        live::add_job_snapshot(&mut tx, m.job, printer, &m.moment, &key, now).await?;
    }
    commit(tx).await
}

fn storage_error(e: String) -> AppError {
    AppError::refused(ErrorKind::Internal, "STORAGE_FAILED", e)
}

/// The latest snapshot of `printer` and when it was taken; `None` when its camera never sent
/// one. `NOT_FOUND` for an unknown printer.
pub async fn latest_snapshot<S: ObjectStorage>(
    db: &Db,
    storage: &S,
    printer: PrinterId,
) -> AppResult<Option<(Vec<u8>, DateTime<Utc>)>> {
    let mut c = conn(db).await?;
    equipment::get_printer(&mut c, printer).await?;
    let Some(at) = live::telemetry(&mut c, printer)
        .await?
        .and_then(|t| t.snapshot_at)
    else {
        return Ok(None);
    };
    drop(c);
    Ok(storage
        .get(&latest_snapshot_key(printer))
        .await
        .map_err(storage_error)?
        .map(|b| (b, at)))
}

/// The snapshots kept for `job`, oldest first.
pub async fn job_snapshots(db: &Db, job: JobId) -> AppResult<Vec<JobSnapshot>> {
    let mut c = conn(db).await?;
    Ok(live::job_snapshots(&mut c, job).await?)
}

/// One kept snapshot of `job` with its JPEG; `NOT_FOUND` when there is no such snapshot of
/// that job.
pub async fn job_snapshot<S: ObjectStorage>(
    db: &Db,
    storage: &S,
    job: JobId,
    id: i64,
) -> AppResult<(JobSnapshot, Vec<u8>)> {
    let mut c = conn(db).await?;
    let snap = live::job_snapshot(&mut c, id)
        .await?
        .filter(|s| s.job_id == job)
        .ok_or_else(|| AppError::not_found("job snapshot", id))?;
    drop(c);
    let bytes = storage
        .get(&snap.object_key)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| AppError::not_found("job snapshot", id))?;
    Ok((snap, bytes))
}

/// Kept snapshots removed per round of [`prune_job_snapshots`].
const PRUNE_BATCH: i64 = 500;

/// Removes the job snapshots taken before `before` (rows first, in batches of 500, then their
/// JPEGs when no other row refers to them); how many were removed. A JPEG that cannot be
/// deleted is logged and left (no row refers to it any more).
pub async fn prune_job_snapshots<S: ObjectStorage>(
    db: &Db,
    storage: &S,
    before: DateTime<Utc>,
) -> AppResult<u64> {
    let mut total = 0;
    loop {
        let old = live::job_snapshots_before(&mut *conn(db).await?, before, PRUNE_BATCH).await?;
        if old.is_empty() {
            return Ok(total);
        }
        let ids: Vec<i64> = old.iter().map(|s| s.id).collect();
        let mut tx = db.begin().await?;
        total += live::delete_job_snapshots(&mut tx, &ids).await?;
        commit(tx).await?;
        let mut keys: Vec<&str> = old.iter().map(|s| s.object_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            if live::snapshot_key_in_use(&mut *conn(db).await?, key).await? {
                continue;
            }
            if let Err(e) = storage.delete(key).await {
                tracing::warn!(error = %e, key, "cannot delete a pruned snapshot's JPEG");
            }
        }
        if old.len() < PRUNE_BATCH as usize {
            return Ok(total);
        }
    }
}
