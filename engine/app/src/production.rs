//! Use cases of production: jobs (one per plate), the queue, the job lifecycle by hand.
//! Re-plans follow from the committed job events (`Event::affects_plan`), not from here.

use chrono::{DateTime, Utc};
use gantry_engine::domain::production::{self as domain, DayThroughput, Job, JobEvent, JobState};
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::store::production as store;

pub use gantry_engine::store::production::{JobCompletion, JobFailure, JobFilter};

use crate::{AppResult, Caller, Db, conn, in_tx};

/// Jobs matching `filter`, by id.
pub async fn jobs(db: &Db, filter: &JobFilter) -> AppResult<Vec<Job>> {
    Ok(store::list_jobs(&mut *conn(db).await?, filter).await?)
}

/// One job (`NOT_FOUND` if absent).
pub async fn job(db: &Db, id: JobId) -> AppResult<Job> {
    Ok(store::get_job(&mut *conn(db).await?, id).await?)
}

/// Jobs done and failed per UTC day over the `days` days ending today (oldest first).
pub async fn throughput(db: &Db, now: DateTime<Utc>, days: u32) -> AppResult<Vec<DayThroughput>> {
    let days = days.clamp(1, domain::THROUGHPUT_DAYS_MAX);
    let since = (now.date_naive() - chrono::Days::new(u64::from(days - 1)))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let finishes = store::finishes_since(&mut *conn(db).await?, since).await?;
    Ok(domain::throughput(now, days, &finishes))
}

/// A job's recorded transitions, oldest first.
pub async fn job_events(db: &Db, id: JobId) -> AppResult<Vec<JobEvent>> {
    Ok(store::job_events(&mut *conn(db).await?, id).await?)
}

/// Jobs waiting to print (queued and scheduled): highest priority first, then earliest due
/// date (none last), then oldest.
pub async fn queue(db: &Db) -> AppResult<Vec<Job>> {
    let mut c = conn(db).await?;
    let mut jobs = Vec::new();
    for state in [JobState::Queued, JobState::Scheduled] {
        let filter = JobFilter {
            state: Some(state),
            ..Default::default()
        };
        jobs.extend(store::list_jobs(&mut c, &filter).await?);
    }
    jobs.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then(a.due_at.cmp(&b.due_at))
            .then(a.id.cmp(&b.id))
    });
    Ok(jobs)
}

/// Assigns a job to a printer with a planned start, by hand, and pins it there: the plans
/// that follow keep it on that printer, not before `start` (`job.pinned` re-plans).
pub async fn schedule_job(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: JobId,
    printer: PrinterId,
    start: DateTime<Utc>,
) -> AppResult<Job> {
    in_tx!(db, tx => {
        let job = store::schedule_job(&mut tx, now, id, printer, start).await?;
        store::pin_job(&mut tx, now, &job, printer, start, caller.user_id).await?;
        job
    })
}

/// Releases a job's pin (see [`schedule_job`]); the plans that follow place it freely. A job
/// without a pin is returned unchanged.
pub async fn unpin_job(db: &Db, caller: &Caller, now: DateTime<Utc>, id: JobId) -> AppResult<Job> {
    in_tx!(db, tx => {
        let job = store::get_job(&mut tx, id).await?;
        store::unpin_job(&mut tx, now, &job, caller.user_id).await?;
        job
    })
}

/// Starts a job by hand (no agent).
pub async fn start_job(db: &Db, now: DateTime<Utc>, id: JobId) -> AppResult<Job> {
    in_tx!(db, tx => store::start_job(&mut tx, now, id).await?)
}

/// Records a printing job's progress by hand.
pub async fn report_progress(db: &Db, now: DateTime<Utc>, id: JobId, pct: i64) -> AppResult<Job> {
    in_tx!(db, tx => store::report_progress(&mut tx, now, id, pct).await?)
}

/// Completes a printing job (the order moves on when fully printed).
pub async fn complete_job(db: &Db, now: DateTime<Utc>, id: JobId) -> AppResult<JobCompletion> {
    in_tx!(db, tx => store::complete_job(&mut tx, now, id).await?)
}

/// Fails a printing job; a reprint is queued while the plate has failed at most
/// `max_reprints` times.
pub async fn fail_job(
    db: &Db,
    now: DateTime<Utc>,
    id: JobId,
    reason: &str,
    max_reprints: u32,
) -> AppResult<JobFailure> {
    in_tx!(db, tx => store::fail_job(&mut tx, now, id, reason, max_reprints).await?)
}

/// Requeues a failed job by hand (a new attempt).
pub async fn requeue_job(db: &Db, now: DateTime<Utc>, id: JobId) -> AppResult<Job> {
    in_tx!(db, tx => store::requeue_job(&mut tx, now, id).await?)
}

/// Changes a waiting job's priority by hand; the scheduler re-plans on its event.
pub async fn set_job_priority(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: JobId,
    priority: i64,
) -> AppResult<Job> {
    in_tx!(db, tx => store::set_job_priority(&mut tx, now, id, priority, caller.user_id).await?)
}

/// Cancels a job that has not finished.
pub async fn cancel_job(db: &Db, now: DateTime<Utc>, id: JobId, note: &str) -> AppResult<Job> {
    in_tx!(db, tx => store::cancel_job(&mut tx, now, id, note).await?)
}
