//! Production persistence (tables `jobs`, `job_events`; per-line counts on `order_lines`).
//! The state machine and how orders are cut into plates live in
//! [`crate::domain::production`].
//!
//! Every job transition is written with its `job_events` row and guarded by the state the job
//! was read in (`WHERE state = <expected>`). Transitions that move an order's counts first
//! touch the order row, which serialises concurrent completions of the same order on
//! PostgreSQL (SQLite writers are serialised anyway).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::events::{self as outbox, Event};
use crate::domain::orders::{self as order_domain, Order, OrderStatus};
use crate::domain::planning::JobPin;
use crate::domain::production::{
    self as domain, Job, JobEvent, JobState, NewJob, ProductionError, check_transition,
};
use crate::domain::types::{
    JobId, MaterialId, OrderId, OrderLineId, PrinterId, UserId, from_millis, to_millis,
};
use crate::store::orders;

fn rejected(e: ProductionError) -> StoreError {
    StoreError::Rejected(e.into())
}

macro_rules! job_cols {
    () => {
        "id, order_id, order_line_id, plate_no, attempt, retry_of, copies, material_id, grams, est_minutes, state, \
         printer_id, priority, due_at, planned_start, started_at, finished_at, progress_pct, failure_reason, \
         created_at, updated_at"
    };
}

fn state_of(s: &str, table: &'static str) -> StoreResult<JobState> {
    JobState::parse(s).ok_or_else(|| StoreError::corrupt(table, format!("unknown job state {s:?}")))
}

fn job_from_row(row: &AnyRow) -> StoreResult<Job> {
    const T: &str = "jobs";
    let time = |name: &str| -> StoreResult<Option<DateTime<Utc>>> {
        Ok(col::<Option<i64>>(row, T, name)?.map(from_millis))
    };
    Ok(Job {
        id: JobId(col(row, T, "id")?),
        order_id: OrderId(col(row, T, "order_id")?),
        order_line_id: OrderLineId(col(row, T, "order_line_id")?),
        plate_no: col(row, T, "plate_no")?,
        attempt: col(row, T, "attempt")?,
        retry_of: col::<Option<i64>>(row, T, "retry_of")?.map(JobId),
        copies: col(row, T, "copies")?,
        material_id: MaterialId(col(row, T, "material_id")?),
        grams: col(row, T, "grams")?,
        est_minutes: col(row, T, "est_minutes")?,
        state: state_of(&col::<String>(row, T, "state")?, T)?,
        printer_id: col::<Option<i64>>(row, T, "printer_id")?.map(PrinterId),
        priority: col(row, T, "priority")?,
        due_at: time("due_at")?,
        planned_start: time("planned_start")?,
        started_at: time("started_at")?,
        finished_at: time("finished_at")?,
        progress_pct: col(row, T, "progress_pct")?,
        failure_reason: col(row, T, "failure_reason")?,
        created_at: from_millis(col(row, T, "created_at")?),
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

// ---------------------------------------------------------------------------------------------
// Reads

/// A job by id.
pub async fn get_job(conn: &mut AnyConnection, id: JobId) -> StoreResult<Job> {
    let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("job", id))?;
    job_from_row(&row)
}

/// Which jobs to list; `None` means "any".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub order_id: Option<OrderId>,
    pub printer_id: Option<PrinterId>,
}

/// Jobs matching `filter`, by id.
pub async fn list_jobs(conn: &mut AnyConnection, filter: &JobFilter) -> StoreResult<Vec<Job>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        job_cols!(),
        " FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR order_id = $2) \
         AND ($3 IS NULL OR printer_id = $3) ORDER BY id"
    ))
    .bind(filter.state.map(JobState::as_str))
    .bind(filter.order_id.map(|o| o.0))
    .bind(filter.printer_id.map(|p| p.0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(job_from_row).collect()
}

/// Transitions into `done` or `failed` at or after `since` (any job), for throughput counts.
pub async fn finishes_since(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
) -> StoreResult<Vec<(JobState, DateTime<Utc>)>> {
    const T: &str = "job_events";
    let rows =
        sqlx::query("SELECT to_state, at FROM job_events WHERE to_state IN ('done', 'failed') AND at >= $1")
            .bind(to_millis(since))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| {
            Ok((
                state_of(&col::<String>(row, T, "to_state")?, T)?,
                from_millis(col(row, T, "at")?),
            ))
        })
        .collect()
}

/// The recorded transitions of a job, oldest first (the first is its creation as `queued`).
pub async fn job_events(conn: &mut AnyConnection, job: JobId) -> StoreResult<Vec<JobEvent>> {
    const T: &str = "job_events";
    let rows = sqlx::query(
        "SELECT id, job_id, from_state, to_state, at, note FROM job_events WHERE job_id = $1 ORDER BY id",
    )
    .bind(job.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobEvent {
                id: col(row, T, "id")?,
                job_id: JobId(col(row, T, "job_id")?),
                from: col::<Option<String>>(row, T, "from_state")?
                    .map(|s| state_of(&s, T))
                    .transpose()?,
                to: state_of(&col::<String>(row, T, "to_state")?, T)?,
                at: from_millis(col(row, T, "at")?),
                note: col(row, T, "note")?,
            })
        })
        .collect()
}

/// A printing job of the order, if any.
pub(crate) async fn printing_job_of_order(
    conn: &mut AnyConnection,
    order: OrderId,
) -> StoreResult<Option<JobId>> {
    let row = sqlx::query("SELECT id FROM jobs WHERE order_id = $1 AND state = $2 ORDER BY id LIMIT 1")
        .bind(order.0)
        .bind(JobState::Printing.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "jobs", "id").map(JobId)).transpose()
}

// ---------------------------------------------------------------------------------------------
// Writing

async fn insert_event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job: JobId,
    from: Option<JobState>,
    to: JobState,
    note: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO job_events (job_id, from_state, to_state, at, note) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(job.0)
    .bind(from.map(JobState::as_str))
    .bind(to.as_str())
    .bind(to_millis(now))
    .bind(domain::clean_note(note))
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query("SELECT order_id, printer_id, progress_pct, attempt FROM jobs WHERE id = $1")
        .bind(job.0)
        .fetch_one(&mut **tx)
        .await?;
    const T: &str = "jobs";
    let event = Event::Job(outbox::JobEvent {
        job_id: job.0,
        order_id: col(&row, T, "order_id")?,
        printer_id: col(&row, T, "printer_id")?,
        from,
        to,
        progress_pct: col(&row, T, "progress_pct")?,
        attempt: col(&row, T, "attempt")?,
        note: domain::clean_note(note),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

async fn insert_job(tx: &mut Tx, now: DateTime<Utc>, j: &NewJob, note: &str) -> StoreResult<Job> {
    let row = sqlx::query(
        "INSERT INTO jobs (order_id, order_line_id, plate_no, attempt, retry_of, copies, material_id, grams, \
         est_minutes, state, priority, due_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(j.order_id.0)
    .bind(j.order_line_id.0)
    .bind(j.plate_no)
    .bind(j.attempt)
    .bind(j.retry_of.map(|r| r.0))
    .bind(j.copies)
    .bind(j.material_id.0)
    .bind(j.grams)
    .bind(j.est_minutes)
    .bind(JobState::Queued.as_str())
    .bind(j.priority)
    .bind(j.due_at.map(to_millis))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    let id = JobId(col(&row, "jobs", "id")?);
    insert_event(tx, now, id, None, JobState::Queued, note).await?;
    get_job(&mut *tx, id).await
}

/// Fails with a conflict unless exactly one row was updated (the guarded update lost a race).
fn guarded(done: sqlx::any::AnyQueryResult, job: JobId) -> StoreResult<()> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("job {job} changed concurrently")))
    }
}

/// Sets the state of `job` (read in `job.state`) to `to` with its event; only `state` and
/// `updated_at` change.
async fn set_state(tx: &mut Tx, now: DateTime<Utc>, job: &Job, to: JobState, note: &str) -> StoreResult<()> {
    check_transition(job.id, job.state, to).map_err(rejected)?;
    let done = sqlx::query("UPDATE jobs SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(to_millis(now))
        .bind(job.id.0)
        .bind(job.state.as_str())
        .execute(&mut **tx)
        .await?;
    guarded(done, job.id)?;
    insert_event(tx, now, job.id, Some(job.state), to, note).await
}

/// Takes the order row's write lock (PostgreSQL) before its counts change.
async fn touch_order(tx: &mut Tx, now: DateTime<Utc>, order: OrderId) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(to_millis(now))
        .bind(order.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `paid → in_production` and one queued job per plate of every line, atomically (the order's
/// history and every job's creation event included). Returns the jobs, by id.
pub async fn start_production(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order_id: OrderId,
    by: Option<UserId>,
) -> StoreResult<Vec<Job>> {
    let order = orders::get_order(&mut *tx, order_id).await?;
    OrderStatus::check_transition(order.status, OrderStatus::InProduction).map_err(orders::rejected)?;
    let lines = orders::list_lines(&mut *tx, &order).await?;
    let plan = domain::plan_jobs(&order, &lines).map_err(rejected)?;
    orders::apply_transition(
        tx,
        now,
        &order,
        OrderStatus::InProduction,
        by,
        &format!("{} jobs", plan.len()),
    )
    .await?;
    let mut jobs = Vec::with_capacity(plan.len());
    for j in &plan {
        let note = format!(
            "order {} line {} plate {}",
            j.order_id, j.order_line_id, j.plate_no
        );
        jobs.push(insert_job(tx, now, j, &note).await?);
    }
    Ok(jobs)
}

/// `queued | scheduled → scheduled`: assigns a printer and a planned start (re-planning a
/// scheduled job is allowed). An unknown printer is `NotFound`.
pub async fn schedule_job(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: JobId,
    printer: PrinterId,
    planned_start: DateTime<Utc>,
) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Scheduled).map_err(rejected)?;
    sqlx::query("SELECT id FROM printers WHERE id = $1")
        .bind(printer.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("printer", printer))?;
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, printer_id = $2, planned_start = $3, updated_at = $4 WHERE id = $5 AND state = $6",
    )
    .bind(JobState::Scheduled.as_str())
    .bind(printer.0)
    .bind(to_millis(planned_start))
    .bind(to_millis(now))
    .bind(id.0)
    .bind(job.state.as_str())
    .execute(&mut **tx)
    .await?;
    guarded(done, id)?;
    let note = format!("printer {printer} at {}", planned_start.to_rfc3339());
    insert_event(tx, now, id, Some(job.state), JobState::Scheduled, &note).await?;
    get_job(&mut *tx, id).await
}

/// Pins a waiting job to `printer` from `starts_at` (replacing an earlier pin) with a
/// `job.pinned` event, which re-plans. Call after [`schedule_job`] in the same transaction.
pub async fn pin_job(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job: &Job,
    printer: PrinterId,
    starts_at: DateTime<Utc>,
    by: Option<UserId>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM job_pins WHERE job_id = $1")
        .bind(job.id.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO job_pins (job_id, printer_id, starts_at, pinned_by, pinned_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(job.id.0)
        .bind(printer.0)
        .bind(to_millis(starts_at))
        .bind(by.map(|u| u.0))
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    let event = Event::JobPinned(outbox::JobPinnedEvent {
        job_id: job.id.0,
        order_id: job.order_id.0,
        printer_id: printer.0,
        starts_at: to_millis(starts_at),
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

/// Releases a job's pin with a `job.unpinned` event (which re-plans); a job without a pin
/// changes nothing and writes no event. Returns whether there was a pin.
pub async fn unpin_job(tx: &mut Tx, now: DateTime<Utc>, job: &Job, by: Option<UserId>) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM job_pins WHERE job_id = $1")
        .bind(job.id.0)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    let event = Event::JobUnpinned(outbox::JobUnpinnedEvent {
        job_id: job.id.0,
        order_id: job.order_id.0,
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(true)
}

/// The pins of jobs that still wait (queued or scheduled), by job.
pub async fn waiting_pins(conn: &mut AnyConnection) -> StoreResult<Vec<JobPin>> {
    const T: &str = "job_pins";
    let rows = sqlx::query(
        "SELECT p.job_id, p.printer_id, p.starts_at FROM job_pins p JOIN jobs j ON j.id = p.job_id \
         WHERE j.state IN ('queued', 'scheduled') ORDER BY p.job_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobPin {
                job_id: JobId(col(row, T, "job_id")?),
                printer_id: PrinterId(col(row, T, "printer_id")?),
                starts_at: from_millis(col(row, T, "starts_at")?),
            })
        })
        .collect()
}

/// `scheduled → queued`: takes the job off its printer's plan.
pub async fn unschedule_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId, note: &str) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Queued).map_err(rejected)?;
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, printer_id = NULL, planned_start = NULL, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(JobState::Queued.as_str())
    .bind(to_millis(now))
    .bind(id.0)
    .bind(job.state.as_str())
    .execute(&mut **tx)
    .await?;
    guarded(done, id)?;
    insert_event(tx, now, id, Some(job.state), JobState::Queued, note).await?;
    get_job(&mut *tx, id).await
}

/// `scheduled → printing` on its scheduled printer; `started_at = now`, progress 0.
pub async fn start_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Printing).map_err(rejected)?;
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, started_at = $2, progress_pct = 0, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(JobState::Printing.as_str())
    .bind(to_millis(now))
    .bind(id.0)
    .bind(job.state.as_str())
    .execute(&mut **tx)
    .await?;
    guarded(done, id)?;
    insert_event(tx, now, id, Some(job.state), JobState::Printing, "").await?;
    get_job(&mut *tx, id).await
}

/// Records the progress (0–100 %) of a printing job. Not a transition: no event.
pub async fn report_progress(tx: &mut Tx, now: DateTime<Utc>, id: JobId, pct: i64) -> StoreResult<Job> {
    let pct = domain::validate_progress(pct).map_err(rejected)?;
    let job = get_job(&mut *tx, id).await?;
    if job.state != JobState::Printing {
        return Err(rejected(ProductionError::NotPrinting {
            job: id,
            state: job.state,
        }));
    }
    let done = sqlx::query("UPDATE jobs SET progress_pct = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(pct)
        .bind(to_millis(now))
        .bind(id.0)
        .bind(JobState::Printing.as_str())
        .execute(&mut **tx)
        .await?;
    guarded(done, id)?;
    get_job(&mut *tx, id).await
}

/// The result of completing a job: the job and its order afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobCompletion {
    pub job: Job,
    /// `ready` when this job printed the order's last missing copies.
    pub order: Order,
}

/// `printing → done`: adds the copies to the line's `printed_count`; when every line of the
/// order is printed, moves the order `in_production → ready` (history by the system) and
/// closes the order's jobs still open (e.g. a failed one awaiting a decision).
pub async fn complete_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId) -> StoreResult<JobCompletion> {
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Done).map_err(rejected)?;
    touch_order(tx, now, job.order_id).await?;
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, finished_at = $2, progress_pct = 100, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(JobState::Done.as_str())
    .bind(to_millis(now))
    .bind(id.0)
    .bind(job.state.as_str())
    .execute(&mut **tx)
    .await?;
    guarded(done, id)?;
    insert_event(tx, now, id, Some(job.state), JobState::Done, "").await?;
    sqlx::query("UPDATE order_lines SET printed_count = printed_count + $1 WHERE id = $2")
        .bind(job.copies)
        .bind(job.order_line_id.0)
        .execute(&mut **tx)
        .await?;
    let mut order = orders::get_order(&mut *tx, job.order_id).await?;
    if order.status == OrderStatus::InProduction
        && order_domain::all_printed(&orders::list_lines(&mut *tx, &order).await?)
    {
        let note = format!("all lines printed (job {id})");
        order = orders::apply_transition(tx, now, &order, OrderStatus::Ready, None, &note).await?;
        close_jobs_of_order(tx, now, order.id, "order ready").await?;
    }
    Ok(JobCompletion {
        job: get_job(&mut *tx, id).await?,
        order,
    })
}

/// The result of a failure: the failed job and, if it was reprinted, the new attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobFailure {
    /// `failed`, or `requeued` when a reprint was created.
    pub job: Job,
    pub reprint: Option<Job>,
}

/// `printing → failed` with a reason: adds the copies to the line's `failed_count`. While the
/// plate has been reprinted fewer than `max_reprints` times, the job is requeued at once
/// (`failed → requeued`, a new queued job with `attempt + 1`); otherwise it stays `failed`
/// for a person to [`requeue_job`] or [`abandon_job`].
pub async fn fail_job(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: JobId,
    reason: &str,
    max_reprints: u32,
) -> StoreResult<JobFailure> {
    let reason = domain::validate_reason(reason).map_err(rejected)?;
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Failed).map_err(rejected)?;
    touch_order(tx, now, job.order_id).await?;
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, finished_at = $2, failure_reason = $3, updated_at = $2 WHERE id = $4 AND state = $5",
    )
    .bind(JobState::Failed.as_str())
    .bind(to_millis(now))
    .bind(&reason)
    .bind(id.0)
    .bind(job.state.as_str())
    .execute(&mut **tx)
    .await?;
    guarded(done, id)?;
    insert_event(tx, now, id, Some(job.state), JobState::Failed, &reason).await?;
    sqlx::query("UPDATE order_lines SET failed_count = failed_count + $1 WHERE id = $2")
        .bind(job.copies)
        .bind(job.order_line_id.0)
        .execute(&mut **tx)
        .await?;
    let failed = get_job(&mut *tx, id).await?;
    if domain::should_requeue(failed.attempt, max_reprints) {
        let reprint = requeue(tx, now, &failed, "automatic reprint").await?;
        return Ok(JobFailure {
            job: get_job(&mut *tx, id).await?,
            reprint: Some(reprint),
        });
    }
    Ok(JobFailure {
        job: failed,
        reprint: None,
    })
}

async fn requeue(tx: &mut Tx, now: DateTime<Utc>, failed: &Job, why: &str) -> StoreResult<Job> {
    set_state(tx, now, failed, JobState::Requeued, why).await?;
    let next = domain::reprint_of(failed);
    let note = format!("reprint of job {} (attempt {})", failed.id, next.attempt);
    insert_job(tx, now, &next, &note).await
}

/// `failed → requeued` by hand (regardless of any reprint limit): creates and returns the
/// next attempt, queued.
pub async fn requeue_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    check_transition(id, job.state, JobState::Requeued).map_err(rejected)?;
    requeue(tx, now, &job, "requeued by hand").await
}

/// Changes a waiting job's priority (queued or scheduled; `-1000..=1000`), with a
/// `job.priority_changed` event; the same priority again changes nothing and writes no event.
pub async fn set_job_priority(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: JobId,
    priority: i64,
    by: Option<UserId>,
) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    domain::check_priority_change(id, job.state, priority).map_err(rejected)?;
    if job.priority == priority {
        return Ok(job);
    }
    let done = sqlx::query("UPDATE jobs SET priority = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(priority)
        .bind(to_millis(now))
        .bind(id.0)
        .bind(job.state.as_str())
        .execute(&mut **tx)
        .await?;
    guarded(done, id)?;
    let event = Event::JobPriority(outbox::JobPriorityEvent {
        job_id: id.0,
        order_id: job.order_id.0,
        from_priority: job.priority,
        to_priority: priority,
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    get_job(&mut *tx, id).await
}

/// `failed → abandoned`: the plate will not be reprinted.
pub async fn abandon_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId, note: &str) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    set_state(tx, now, &job, JobState::Abandoned, note).await?;
    get_job(&mut *tx, id).await
}

/// `queued | scheduled → cancelled` (a printing job cannot be cancelled).
pub async fn cancel_job(tx: &mut Tx, now: DateTime<Utc>, id: JobId, note: &str) -> StoreResult<Job> {
    let job = get_job(&mut *tx, id).await?;
    set_state(tx, now, &job, JobState::Cancelled, note).await?;
    get_job(&mut *tx, id).await
}

/// When an order no longer needs printing (ready, refunded): cancels its queued and scheduled
/// jobs and abandons its failed ones. Printing and finished jobs are left alone.
pub(crate) async fn close_jobs_of_order(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: OrderId,
    note: &str,
) -> StoreResult<()> {
    let jobs = list_jobs(
        &mut *tx,
        &JobFilter {
            order_id: Some(order),
            ..Default::default()
        },
    )
    .await?;
    for job in jobs {
        match job.state {
            JobState::Queued | JobState::Scheduled => {
                set_state(tx, now, &job, JobState::Cancelled, note).await?
            }
            JobState::Failed => set_state(tx, now, &job, JobState::Abandoned, note).await?,
            _ => {}
        }
    }
    Ok(())
}
