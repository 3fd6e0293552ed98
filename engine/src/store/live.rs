//! Live-farm persistence (`agent_messages`, `printer_telemetry`, `job_holds`, `order_flags`)
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

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{StoreError, StoreResult, Tx, col, equipment, inventory, printing, production};
use crate::domain::equipment::{Printer, PrinterStatus};
use crate::domain::events::{Event, JobProgressEvent};
use crate::domain::inventory::{InventoryError, ReservationState};
use crate::domain::live::{self as domain, MESSAGE_ID_RETENTION_HOURS};
use crate::domain::printing::ModelRecord;
use crate::domain::production::{Job, JobState, job_key};
use crate::domain::protocol::{AgentState, Temperatures};
use crate::domain::types::{
    JobId, MaterialId, ModelFileId, OrderId, PrinterId, ProductId, from_millis, to_millis,
};
use crate::error::DomainError;

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

// ---------------------------------------------------------------------------------------------
// Telemetry

/// One status report of an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub printer_id: PrinterId,
    pub state: AgentState,
    pub job: Option<JobId>,
    pub progress_pct: Option<i64>,
    pub temperatures: Temperatures,
    pub seconds_left: Option<i64>,
    pub at: DateTime<Utc>,
}

/// The last reported status of a printer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Telemetry {
    pub printer_id: PrinterId,
    pub agent: String,
    pub reported_state: String,
    pub job_id: Option<JobId>,
    pub progress_pct: Option<i64>,
    pub nozzle_c: Option<f64>,
    pub bed_c: Option<f64>,
    pub seconds_left: Option<i64>,
    pub last_seen_at: DateTime<Utc>,
    /// What the agent's last `hello` said it can do.
    pub capabilities: Vec<String>,
    /// The material code the agent's last `hello` reported loaded (`None`: not reported).
    pub loaded_material: Option<String>,
}

/// A temperature in tenths of a degree (stored as an integer); `None` for NaN/infinite or
/// absurd values (outside ±10,000 °C), which are not stored.
fn to_tenths(celsius: f64) -> Option<i64> {
    let t = (celsius * 10.0).round();
    (t.is_finite() && t.abs() <= 100_000.0).then_some(t as i64)
}

fn from_tenths(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

fn state_name(s: AgentState) -> &'static str {
    match s {
        AgentState::Idle => "idle",
        AgentState::Printing => "printing",
        AgentState::Paused => "paused",
        AgentState::NeedsBedClearing => "needs_bed_clearing",
        AgentState::Error => "error",
    }
}

/// Writes a batch of status reports (one transaction for many agents: the group commit):
/// each printer's telemetry row is replaced, and the progress of the job it prints moves
/// forward (never backwards; only a printing job on that printer is touched).
pub async fn record_statuses(tx: &mut Tx, reports: &[StatusReport]) -> StoreResult<()> {
    for r in reports {
        let pct = r.progress_pct.map(|p| p.clamp(0, 100));
        sqlx::query(
            "INSERT INTO printer_telemetry (printer_id, reported_state, job_id, progress_pct, nozzle_dc, bed_dc, \
             seconds_left, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (printer_id) DO UPDATE SET reported_state = excluded.reported_state, \
             job_id = excluded.job_id, progress_pct = excluded.progress_pct, nozzle_dc = excluded.nozzle_dc, \
             bed_dc = excluded.bed_dc, seconds_left = excluded.seconds_left, last_seen_at = excluded.last_seen_at",
        )
        .bind(r.printer_id.0)
        .bind(state_name(r.state))
        .bind(r.job.map(|j| j.0))
        .bind(pct)
        .bind(r.temperatures.nozzle_c.and_then(to_tenths))
        .bind(r.temperatures.bed_c.and_then(to_tenths))
        .bind(r.seconds_left)
        .bind(to_millis(r.at))
        .execute(&mut **tx)
        .await?;
        if let (Some(job), Some(pct)) = (r.job, pct) {
            advance_progress(tx, r.at, r.printer_id, job, pct).await?;
        }
    }
    Ok(())
}

/// Moves a printing job's progress forward to `pct` (no-op when it is not printing on
/// `printer` or already further). Returns whether it moved.
pub async fn advance_progress(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
    pct: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET progress_pct = $1, updated_at = $2 \
         WHERE id = $3 AND printer_id = $4 AND state = 'printing' AND progress_pct < $1",
    )
    .bind(pct.clamp(0, 100))
    .bind(to_millis(now))
    .bind(job.0)
    .bind(printer.0)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let row = sqlx::query("SELECT order_id, progress_pct FROM jobs WHERE id = $1")
        .bind(job.0)
        .fetch_one(&mut **tx)
        .await?;
    let event = Event::JobProgress(JobProgressEvent {
        job_id: job.0,
        order_id: col(&row, "jobs", "order_id")?,
        printer_id: printer.0,
        progress_pct: col(&row, "jobs", "progress_pct")?,
    });
    super::events::append(tx, now, &event).await?;
    Ok(true)
}

/// What an agent's `hello` says about its printer.
#[derive(Debug, Clone, PartialEq)]
pub struct HelloReport<'a> {
    pub agent: &'a str,
    pub state: AgentState,
    pub capabilities: &'a [String],
    pub loaded_material: Option<&'a str>,
}

/// Records what a printer's agent said in its `hello` (software, capabilities, loaded
/// material) and that it was seen. When the reported material code names a material the
/// printer can print, the printer's loaded material follows it (the agent reports what is on
/// the printer). The printer's earlier job refusals are forgotten. Returns whether the plan
/// should be redone (the loaded material changed or refusals were forgotten).
pub async fn record_hello(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    hello: &HelloReport<'_>,
) -> StoreResult<bool> {
    let caps =
        serde_json::to_string(hello.capabilities).map_err(|e| StoreError::corrupt("printer_telemetry", e))?;
    sqlx::query(
        "INSERT INTO printer_telemetry (printer_id, agent, reported_state, last_seen_at, capabilities, \
         loaded_material) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (printer_id) DO UPDATE SET agent = excluded.agent, reported_state = excluded.reported_state, \
         last_seen_at = excluded.last_seen_at, capabilities = excluded.capabilities, \
         loaded_material = excluded.loaded_material",
    )
    .bind(printer.0)
    .bind(hello.agent)
    .bind(state_name(hello.state))
    .bind(to_millis(now))
    .bind(caps)
    .bind(hello.loaded_material)
    .execute(&mut **tx)
    .await?;
    // A (re)connecting agent starts afresh: whatever made it refuse jobs before (no G-code, a
    // busy or unprepared printer) may be fixed now, so its earlier refusals no longer keep jobs
    // off it (and a job every printer had refused is no longer held for that).
    let forgotten = sqlx::query("DELETE FROM job_rejections WHERE printer_id = $1")
        .bind(printer.0)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        > 0;
    Ok(record_loaded_material(tx, printer, hello.loaded_material).await? || forgotten)
}

/// Follows the material an agent reports as loaded when it names one the printer can print;
/// `true` when the printer's loaded material changed.
async fn record_loaded_material(tx: &mut Tx, printer: PrinterId, loaded: Option<&str>) -> StoreResult<bool> {
    let Some(code) = loaded else {
        return Ok(false);
    };
    let row = sqlx::query("SELECT id, kind FROM materials WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let material = MaterialId(col(&row, "materials", "id")?);
    let p = equipment::get_printer(&mut *tx, printer).await?;
    let kind = inventory::get_material(&mut *tx, material).await?.kind;
    if p.loaded_material_id == Some(material) || !p.supports(kind) {
        return Ok(false);
    }
    sqlx::query("UPDATE printers SET loaded_material_id = $1 WHERE id = $2")
        .bind(material.0)
        .bind(printer.0)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// The last reported status of a printer, if its agent ever reported.
pub async fn telemetry(conn: &mut AnyConnection, printer: PrinterId) -> StoreResult<Option<Telemetry>> {
    const T: &str = "printer_telemetry";
    let row = sqlx::query(
        "SELECT printer_id, agent, reported_state, job_id, progress_pct, nozzle_dc, bed_dc, seconds_left, \
         last_seen_at, capabilities, loaded_material FROM printer_telemetry WHERE printer_id = $1",
    )
    .bind(printer.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok(Telemetry {
            printer_id: PrinterId(col(&row, T, "printer_id")?),
            agent: col(&row, T, "agent")?,
            reported_state: col(&row, T, "reported_state")?,
            job_id: col::<Option<i64>>(&row, T, "job_id")?.map(JobId),
            progress_pct: col(&row, T, "progress_pct")?,
            nozzle_c: col::<Option<i64>>(&row, T, "nozzle_dc")?.map(from_tenths),
            bed_c: col::<Option<i64>>(&row, T, "bed_dc")?.map(from_tenths),
            seconds_left: col(&row, T, "seconds_left")?,
            last_seen_at: from_millis(col(&row, T, "last_seen_at")?),
            capabilities: serde_json::from_str(&col::<String>(&row, T, "capabilities")?)
                .map_err(|e| StoreError::corrupt(T, format!("capabilities: {e}")))?,
            loaded_material: col(&row, T, "loaded_material")?,
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Printer status

/// Moves a printer to `to` along the legal path of the status machine (e.g. `printing → idle`
/// passes `needs_bed_clearing`); no-op when it is there already.
pub async fn move_printer(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    to: PrinterStatus,
) -> StoreResult<Printer> {
    let p = equipment::get_printer(&mut *tx, printer).await?;
    let path = domain::status_path(p.status, to).ok_or_else(|| {
        StoreError::Conflict(format!("printer {printer} cannot go from {} to {to}", p.status))
    })?;
    let mut out = p;
    for s in path {
        out = equipment::set_status(tx, now, printer, s).await?;
    }
    Ok(out)
}

/// Marks a printer offline (missed heartbeats). Its printing job stays printing (the agent may
/// come back and report it); its scheduled jobs are re-planned by the caller.
pub async fn mark_offline(tx: &mut Tx, now: DateTime<Utc>, printer: PrinterId) -> StoreResult<Printer> {
    move_printer(tx, now, printer, PrinterStatus::Offline).await
}

// ---------------------------------------------------------------------------------------------
// Job transitions reported by a printer

fn is_insufficient(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Rejected(DomainError::Inventory(InventoryError::InsufficientStock { .. }))
    )
}

/// Makes sure `job` holds its material (reserving it if it was never planned). A shortage is
/// not an error here: the printer is printing it anyway; the consumption is then recorded as
/// far as stock allows.
async fn ensure_reserved(tx: &mut Tx, now: DateTime<Utc>, job: &Job) -> StoreResult<bool> {
    let key = job_key(job.id);
    if let Some(r) = inventory::get_reservation(&mut *tx, &key, job.material_id).await?
        && r.state != ReservationState::Released
    {
        return Ok(r.state == ReservationState::Held);
    }
    match inventory::reserve(tx, now, &key, job.material_id, job.grams).await {
        Ok(_) => Ok(true),
        Err(e) if is_insufficient(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A job starts printing on `printer` (reported by its agent): moved to that printer first when
/// `reschedule`, `→ printing`, the printer `→ printing`, the material held.
pub async fn start_on(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
    reschedule: bool,
) -> StoreResult<Job> {
    if reschedule {
        production::schedule_job(tx, now, job, printer, now).await?;
    } else {
        // The job was read as scheduled here, but a plan being written at the same time may
        // move it (PostgreSQL, read committed: this waits for that plan's commit, then keeps
        // the job here). The printer that prints it is the one that counts.
        sqlx::query("UPDATE jobs SET printer_id = $1 WHERE id = $2 AND state = 'scheduled'")
            .bind(printer.0)
            .bind(job.0)
            .execute(&mut **tx)
            .await?;
    }
    let started = production::start_job(tx, now, job).await?;
    forget_handover(tx, job).await?;
    sqlx::query("DELETE FROM job_holds WHERE job_id = $1")
        .bind(job.0)
        .execute(&mut **tx)
        .await?;
    ensure_reserved(tx, now, &started).await?;
    move_printer(tx, now, printer, PrinterStatus::Printing).await?;
    Ok(started)
}

/// A printing job finished on `printer`: `→ done` (the order moves to ready with its last
/// copies), its material consumed (once: a consumed reservation is not consumed again), the
/// printer's minutes counted and the printer `→ needs_bed_clearing`.
pub async fn complete_on(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
) -> StoreResult<production::JobCompletion> {
    let done = production::complete_job(tx, now, job).await?;
    let key = job_key(job);
    if ensure_reserved(tx, now, &done.job).await? {
        match inventory::consume(tx, now, &key, done.job.material_id, done.job.grams).await {
            Ok(_) => {}
            // A shortage here (stock counted down while printing) leaves the reservation held:
            // visible in the stock levels for a person to settle; the print itself counts.
            Err(e) if is_insufficient(&e) => {}
            Err(e) => return Err(e),
        }
    }
    equipment::add_print_minutes(tx, now, printer, done.job.est_minutes.max(1)).await?;
    move_printer(tx, now, printer, PrinterStatus::NeedsBedClearing).await?;
    Ok(done)
}

/// The result of a failure reported by a printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailOutcome {
    pub failure: production::JobFailure,
    /// Grams recorded as used (from the last progress).
    pub used_grams: i64,
    /// Set when the plate was not reprinted automatically (the reprint limit was reached): the
    /// order was flagged with this reason.
    pub flagged: Option<String>,
}

/// A printing job failed on `printer` at `progress_pct`: the progress recorded, `→ failed`
/// (and requeued as a new attempt while under `max_reprints`), the partial material use
/// recorded and the rest released, the printer `→ needs_bed_clearing` (or kept in `error`),
/// and the order flagged when no reprint was made.
pub async fn fail_on(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
    reason: &str,
    progress_pct: Option<i64>,
    max_reprints: u32,
) -> StoreResult<FailOutcome> {
    if let Some(p) = progress_pct {
        advance_progress(tx, now, printer, job, p).await?;
    }
    let before = production::get_job(&mut *tx, job).await?;
    let failure = production::fail_job(tx, now, job, reason, max_reprints).await?;
    let used = domain::partial_grams(before.grams, before.progress_pct);
    let key = job_key(job);
    if inventory::get_reservation(&mut *tx, &key, before.material_id)
        .await?
        .is_some_and(|r| r.state == ReservationState::Held)
    {
        match inventory::record_partial_use(tx, now, &key, before.material_id, used).await {
            Ok(_) => {}
            Err(e) if is_insufficient(&e) => {
                inventory::release(tx, now, &key).await?;
            }
            Err(e) => return Err(e),
        }
    }
    let flagged = if failure.reprint.is_none() {
        let why = format!(
            "job {job} (plate {}, attempt {}) failed and the reprint limit of {max_reprints} is reached: {}",
            before.plate_no,
            before.attempt,
            reason.trim()
        );
        flag_order(tx, now, before.order_id, &why).await?;
        Some(why)
    } else {
        None
    };
    let p = equipment::get_printer(&mut *tx, printer).await?;
    if p.status != PrinterStatus::Error {
        move_printer(tx, now, printer, PrinterStatus::NeedsBedClearing).await?;
    }
    Ok(FailOutcome {
        failure,
        used_grams: used,
        flagged,
    })
}

/// `printer` refuses an assigned job: it goes back to the queue (`scheduled → queued`), its
/// material is released, and the refusal is recorded ([`rejections`]): the next plan places it
/// again, on another printer.
pub async fn reject_on(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
    reason: &str,
) -> StoreResult<Job> {
    let j = production::unschedule_job(tx, now, job, &format!("rejected by the printer: {reason}")).await?;
    inventory::release(tx, now, &job_key(job)).await?;
    forget_handover(tx, job).await?;
    let reason: String = reason.chars().take(1000).collect();
    sqlx::query(
        "INSERT INTO job_rejections (job_id, printer_id, reason, rejected_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (job_id, printer_id) DO UPDATE SET reason = excluded.reason, rejected_at = excluded.rejected_at",
    )
    .bind(job.0)
    .bind(printer.0)
    .bind(reason)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(j)
}

/// The printers that rejected each queued or scheduled job, with their reasons (oldest first).
pub async fn rejections(conn: &mut AnyConnection) -> StoreResult<BTreeMap<JobId, Vec<(PrinterId, String)>>> {
    const T: &str = "job_rejections";
    let rows = sqlx::query(
        "SELECT r.job_id, r.printer_id, r.reason FROM job_rejections r JOIN jobs j ON j.id = r.job_id \
         WHERE j.state IN ('queued', 'scheduled') ORDER BY r.job_id, r.rejected_at, r.printer_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<JobId, Vec<(PrinterId, String)>> = BTreeMap::new();
    for r in &rows {
        out.entry(JobId(col(r, T, "job_id")?))
            .or_default()
            .push((PrinterId(col(r, T, "printer_id")?), col(r, T, "reason")?));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// G-code

/// The stored model a job prints: its order line's product's model, else the model the line
/// names (`model:<id>`, lines made from a quote). `None` when the line has neither (or the
/// product is not linked to a model). An unknown job is `NotFound`.
pub async fn job_model(conn: &mut AnyConnection, job: JobId) -> StoreResult<Option<ModelRecord>> {
    const T: &str = "order_lines";
    let row = sqlx::query(
        "SELECT l.product_id, l.model_ref FROM jobs j JOIN order_lines l ON l.id = j.order_line_id WHERE j.id = $1",
    )
    .bind(job.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("job", job))?;
    let product = col::<Option<i64>>(&row, T, "product_id")?.map(ProductId);
    let model_ref: Option<String> = col(&row, T, "model_ref")?;
    let mut model = match product {
        Some(p) => printing::product_model(&mut *conn, p).await?,
        None => None,
    };
    if model.is_none() {
        model = model_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("model:"))
            .and_then(|id| id.parse::<i64>().ok())
            .map(ModelFileId);
    }
    match model {
        Some(m) => match printing::get_model(&mut *conn, m).await {
            Ok(m) => Ok(Some(m)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Holds and flags

/// A job held back from planning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub job_id: JobId,
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// Jobs currently held, by job id.
pub async fn list_holds(conn: &mut AnyConnection) -> StoreResult<Vec<Hold>> {
    const T: &str = "job_holds";
    let rows = sqlx::query("SELECT job_id, reason, since FROM job_holds ORDER BY job_id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Hold {
                job_id: JobId(col(r, T, "job_id")?),
                reason: col(r, T, "reason")?,
                since: from_millis(col(r, T, "since")?),
            })
        })
        .collect()
}

/// Flags an order for a person (keeps the first reason when flagged again).
pub async fn flag_order(tx: &mut Tx, now: DateTime<Utc>, order: OrderId, reason: &str) -> StoreResult<()> {
    let reason: String = reason.chars().take(1000).collect();
    sqlx::query(
        "INSERT INTO order_flags (order_id, reason, flagged_at) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order.0)
    .bind(reason)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The flag of an order, if flagged: (reason, when).
pub async fn order_flag(
    conn: &mut AnyConnection,
    order: OrderId,
) -> StoreResult<Option<(String, DateTime<Utc>)>> {
    let row = sqlx::query("SELECT reason, flagged_at FROM order_flags WHERE order_id = $1")
        .bind(order.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok((
            col(&r, "order_flags", "reason")?,
            from_millis(col(&r, "order_flags", "flagged_at")?),
        ))
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Plans

/// Per material, the grams held by reservations whose job key is one of `keys`.
pub async fn held_by_jobs(
    conn: &mut AnyConnection,
    jobs: &[JobId],
) -> StoreResult<BTreeMap<MaterialId, i64>> {
    let keys: std::collections::BTreeSet<String> = jobs.iter().map(|j| job_key(*j)).collect();
    let rows = sqlx::query("SELECT material_id, job_key, grams FROM reservations WHERE state = 'held'")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        let key: String = col(r, "reservations", "job_key")?;
        if keys.contains(&key) {
            *out.entry(MaterialId(col(r, "reservations", "material_id")?))
                .or_insert(0) += col::<i64>(r, "reservations", "grams")?;
        }
    }
    Ok(out)
}

/// A plan to write: where each job goes, which scheduled jobs leave the plan, which are held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanWrite {
    pub schedule: Vec<(JobId, PrinterId, DateTime<Utc>)>,
    /// Jobs the solver could not place, with its reason.
    pub unschedule: Vec<(JobId, String)>,
    /// Jobs held back (e.g. no stock), with the reason.
    pub hold: Vec<(JobId, String)>,
}

/// What [`persist_plan`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanWritten {
    /// Jobs now scheduled by this plan.
    pub scheduled: usize,
    /// Jobs taken off the plan (unplaceable or held).
    pub unscheduled: usize,
    /// Jobs held, with the reason (including those whose reservation failed now).
    pub held: Vec<(JobId, String)>,
    /// Jobs skipped because they changed state since the plan was computed.
    pub skipped: usize,
}

async fn take_off_plan(tx: &mut Tx, now: DateTime<Utc>, job: &Job, note: &str) -> StoreResult<bool> {
    inventory::release(tx, now, &job_key(job.id)).await?;
    if job.state == JobState::Scheduled {
        production::unschedule_job(tx, now, job.id, note).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Writes a plan in the caller's transaction: each placed job is scheduled on its printer
/// (a job staying on the same printer only gets its new planned start, without a job event)
/// and holds its material (a reservation that fails for lack of stock holds the job instead);
/// unplaceable and held jobs leave the plan and release their material; the holds are
/// replaced. Jobs that are no longer queued or scheduled (they started meanwhile) are skipped.
pub async fn persist_plan(tx: &mut Tx, now: DateTime<Utc>, plan: &PlanWrite) -> StoreResult<PlanWritten> {
    lock_plan(tx).await?;
    let mut out = PlanWritten::default();
    // A job handed to a printer stays where it is until that printer reports: a plan computed
    // before the hand-over must not move it (the holder may be printing it already).
    let handed = handovers(&mut *tx).await?;
    let mut held: Vec<(JobId, String)> = plan
        .hold
        .iter()
        .filter(|(j, _)| !handed.contains_key(j))
        .cloned()
        .collect();
    // Material first comes free (jobs leaving the plan), then is held by the placed jobs.
    for (id, reason) in plan.unschedule.iter().chain(plan.hold.iter()) {
        let job = production::get_job(&mut *tx, *id).await?;
        if !matches!(job.state, JobState::Queued | JobState::Scheduled) || handed.contains_key(id) {
            out.skipped += 1;
            continue;
        }
        if take_off_plan(tx, now, &job, &format!("re-plan: {reason}")).await? {
            out.unscheduled += 1;
        }
    }
    for (id, printer, start) in &plan.schedule {
        let job = production::get_job(&mut *tx, *id).await?;
        if !matches!(job.state, JobState::Queued | JobState::Scheduled)
            || handed.get(id).is_some_and(|h| h != printer)
        {
            out.skipped += 1;
            continue;
        }
        match inventory::reserve(tx, now, &job_key(job.id), job.material_id, job.grams).await {
            Ok(_) => {}
            Err(e) if is_insufficient(&e) => {
                let why = format!("material not in stock: {e}");
                if take_off_plan(tx, now, &job, &format!("held: {why}")).await? {
                    out.unscheduled += 1;
                }
                held.push((job.id, why));
                continue;
            }
            Err(e) => return Err(e),
        }
        if job.state == JobState::Scheduled && job.printer_id == Some(*printer) {
            sqlx::query("UPDATE jobs SET planned_start = $1 WHERE id = $2 AND state = 'scheduled'")
                .bind(to_millis(*start))
                .bind(id.0)
                .execute(&mut **tx)
                .await?;
        } else {
            production::schedule_job(tx, now, *id, *printer, *start).await?;
        }
        out.scheduled += 1;
    }
    sqlx::query("DELETE FROM job_holds").execute(&mut **tx).await?;
    held.sort();
    held.dedup_by_key(|(j, _)| *j);
    for (id, reason) in &held {
        let reason: String = reason.chars().take(1000).collect();
        sqlx::query("INSERT INTO job_holds (job_id, reason, since) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(reason)
            .bind(to_millis(now))
            .execute(&mut **tx)
            .await?;
    }
    out.held = held;
    Ok(out)
}

/// Orders with work in the farm (`paid` or `in_production`): (id, customer, status), by id.
pub async fn open_orders(
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(OrderId, crate::domain::types::CustomerId, String)>> {
    let rows = sqlx::query(
        "SELECT id, customer_id, status FROM orders WHERE status IN ('paid', 'in_production') ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                OrderId(col(r, "orders", "id")?),
                crate::domain::types::CustomerId(col(r, "orders", "customer_id")?),
                col(r, "orders", "status")?,
            ))
        })
        .collect()
}

/// A small farm for tests of the live farm (engine, actors and api tests share it): printers
/// that print PLA, one PLA material with some stock, and a paid order put into production.
pub mod testing {
    use chrono::{DateTime, Utc};

    use crate::domain::catalog::ProductionSpec;
    use crate::domain::equipment::{Dimensions, NewPrinter, Technology};
    use crate::domain::inventory::{MaterialKind, NewMaterial, NewSpool};
    use crate::domain::orders::{NewOrder, NewOrderLine};
    use crate::domain::production::Job;
    use crate::domain::types::{Currency, MaterialId, Money, OrderId, PrinterId};
    use crate::domain::users::NewCustomer;
    use crate::store::{Db, StoreResult, equipment, inventory, orders, production, users};

    /// What [`farm`] made.
    #[derive(Debug, Clone)]
    pub struct Fixture {
        pub printers: Vec<PrinterId>,
        pub material: MaterialId,
        pub order: OrderId,
        /// The order's jobs (one per copy), queued, by id.
        pub jobs: Vec<Job>,
    }

    /// `printers` PLA printers, material `PLA-BLK` with `stock_grams` on one spool (none when
    /// 0), and a paid order of `copies` copies (10 g and 30 minutes each, one per plate) in
    /// production.
    pub async fn farm(
        db: &Db,
        now: DateTime<Utc>,
        printers: usize,
        stock_grams: i64,
        copies: i64,
    ) -> StoreResult<Fixture> {
        let mut tx = db.begin().await?;
        let material = inventory::create_material(
            &mut tx,
            now,
            &NewMaterial {
                code: "PLA-BLK".into(),
                kind: MaterialKind::Pla,
                colour: "black".into(),
                diameter_um: 1750,
                density_mg_cm3: 1240,
                price_per_kg: Money::new(2000, Currency::EUR),
                low_stock_grams: 0,
            },
        )
        .await?
        .id;
        if stock_grams > 0 {
            inventory::receive_spool(
                &mut tx,
                now,
                &NewSpool {
                    material_id: material,
                    grams: stock_grams,
                    lot: None,
                    location: None,
                },
            )
            .await?;
        }
        let mut ids = Vec::new();
        for i in 0..printers {
            let p = equipment::create_printer(
                &mut tx,
                now,
                &NewPrinter {
                    name: format!("p{}", i + 1),
                    model: "MK4".into(),
                    technology: Technology::Fdm,
                    build_volume: Dimensions::new(250, 210, 220),
                    nozzle_um: 400,
                    materials: vec![MaterialKind::Pla],
                    speed_factor_pct: 100,
                    hourly_cost: Money::new(150, Currency::EUR),
                },
            )
            .await?;
            ids.push(p.id);
        }
        let customer = users::create_customer(
            &mut tx,
            now,
            &NewCustomer {
                name: "Alice".into(),
                email: None,
                company: None,
            },
        )
        .await?;
        let spec = ProductionSpec {
            grams_per_unit: 10,
            print_minutes_per_unit: 30,
            copies_per_plate: 1,
        };
        let order = orders::create_order(
            &mut tx,
            now,
            &NewOrder {
                customer_id: customer.id,
                currency: Currency::EUR,
                lines: vec![NewOrderLine::model(
                    "uploads/part.stl",
                    material,
                    copies,
                    500,
                    spec,
                )],
                priority: 0,
                due_at: None,
                idempotency_key: None,
            },
            None,
        )
        .await?
        .order
        .id;
        orders::place(&mut tx, now, order, None).await?;
        orders::pay(&mut tx, now, order, None).await?;
        let jobs = production::start_production(&mut tx, now, order, None).await?;
        tx.commit().await?;
        Ok(Fixture {
            printers: ids,
            material,
            order,
            jobs,
        })
    }
}
