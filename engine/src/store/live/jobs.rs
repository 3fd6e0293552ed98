//! Printer status and the job transitions a printer reports, with their material and
//! printer-status consequences; the model (G-code) a job prints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{advance_progress, flag_order, forget_handover};
use crate::domain::equipment::{Printer, PrinterStatus};
use crate::domain::inventory::{InventoryError, ReservationState};
use crate::domain::live as domain;
use crate::domain::printing::ModelRecord;
use crate::domain::production::{Job, job_key};
use crate::domain::types::{JobId, ModelFileId, PrinterId, ProductId, to_millis};
use crate::error::DomainError;
use crate::store::{StoreError, StoreResult, Tx, col, equipment, inventory, printing, production};

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

pub(super) fn is_insufficient(e: &StoreError) -> bool {
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
