//! Use cases of `equipment`: printers (status set by hand, loaded material, a job handed out
//! and not started released back to the queue), maintenance (plans, windows, log) and the
//! farm's weekly operator shifts.

use chrono::{DateTime, Utc};
use gantry_engine::domain::equipment::{
    MaintenanceLogEntry, MaintenancePlan, MaintenanceWindow, NewMaintenancePlan, NewPrinter, Printer,
    PrinterEdit, PrinterStatus, WeeklyShift, parse_timetable,
};
use gantry_engine::domain::production::{Job, JobState, job_key};
use gantry_engine::domain::types::{MaintenanceWindowId, MaterialId, PrinterId};
use gantry_engine::error::{DomainError, ErrorKind};
use gantry_engine::store::live::Telemetry;
use gantry_engine::store::printer_records::{self, Retired};
use gantry_engine::store::production::JobFilter;
use gantry_engine::store::{Tx, equipment, handover, inventory, live, production, shifts};

use crate::{AppError, AppResult, Caller, Db, commit, conn, in_tx};

/// Every printer of the farm.
pub async fn printers(db: &Db) -> AppResult<Vec<Printer>> {
    let mut c = conn(db).await?;
    Ok(equipment::list_printers(&mut c).await?)
}

/// One printer.
pub async fn printer(db: &Db, id: PrinterId) -> AppResult<Printer> {
    let mut c = conn(db).await?;
    Ok(equipment::get_printer(&mut c, id).await?)
}

/// What the printer's agent last said (its `hello` and latest status); `None` when no agent
/// ever connected for it.
pub async fn agent_telemetry(db: &Db, id: PrinterId) -> AppResult<Option<Telemetry>> {
    let mut c = conn(db).await?;
    Ok(live::telemetry(&mut c, id).await?)
}

/// The maintenance plans of a printer.
pub async fn maintenance_plans(db: &Db, printer: PrinterId) -> AppResult<Vec<MaintenancePlan>> {
    let mut c = conn(db).await?;
    Ok(equipment::list_plans(&mut c, printer).await?)
}

/// The maintenance windows of a printer (or of every printer) overlapping `[from, to)`.
pub async fn maintenance_windows(
    db: &Db,
    printer: Option<PrinterId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<MaintenanceWindow>> {
    let mut c = conn(db).await?;
    Ok(match printer {
        Some(p) => equipment::list_windows(&mut c, p, from, to).await?,
        None => equipment::list_all_windows(&mut c, from, to).await?,
    })
}

/// The maintenance performed on a printer.
pub async fn maintenance_log(db: &Db, printer: PrinterId) -> AppResult<Vec<MaintenanceLogEntry>> {
    let mut c = conn(db).await?;
    Ok(equipment::maintenance_log(&mut c, printer).await?)
}

/// Adds a printer (idle).
pub async fn create_printer(db: &Db, now: DateTime<Utc>, new: &NewPrinter) -> AppResult<Printer> {
    let mut tx = db.begin().await?;
    let p = equipment::create_printer(&mut tx, now, new).await?;
    commit(tx).await?;
    Ok(p)
}

/// A printer after an operator's action, with the job that went back to the queue, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterChange {
    pub printer: Printer,
    /// The job the printer had been handed and had not started, now queued again.
    pub released: Option<Job>,
}

/// Sets a printer's status by hand (`PRINTER_ILLEGAL_TRANSITION` when the status machine does
/// not allow it). Setting `maintenance` also releases the job the printer was handed and has
/// not started ([`release_printer_job`]): a printer in maintenance asks for no work, so it would
/// otherwise keep that job from every other printer.
pub async fn set_status(
    db: &Db,
    now: DateTime<Utc>,
    id: PrinterId,
    status: PrinterStatus,
) -> AppResult<PrinterChange> {
    let mut tx = db.begin().await?;
    let printer = equipment::set_status(&mut tx, now, id, status).await?;
    let released = if printer.status == PrinterStatus::Maintenance {
        release_handed(&mut tx, now, id, "released: the printer went into maintenance").await?
    } else {
        None
    };
    commit(tx).await?;
    Ok(PrinterChange { printer, released })
}

/// Releases the job a printer was handed and has not started back to the queue
/// (`scheduled → queued`, its material released, the hand-over forgotten), so the next plan
/// places it on another printer. Nothing handed out: nothing changes. A job the printer is
/// already printing is not released (`CONFLICT`, `PRINTER_JOB_STARTED`): cancel the print
/// instead.
pub async fn release_printer_job(db: &Db, now: DateTime<Utc>, id: PrinterId) -> AppResult<PrinterChange> {
    let mut tx = db.begin().await?;
    let printer = equipment::get_printer(&mut tx, id).await?;
    let printing = production::list_jobs(
        &mut tx,
        &JobFilter {
            state: Some(JobState::Printing),
            printer_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    if let Some(job) = printing.first() {
        return Err(AppError::refused(
            ErrorKind::Conflict,
            "PRINTER_JOB_STARTED",
            format!(
                "printer {id} is printing job {}: cancel the print instead",
                job.id
            ),
        ));
    }
    let released = release_handed(&mut tx, now, id, "released by an operator").await?;
    commit(tx).await?;
    Ok(PrinterChange { printer, released })
}

/// The hand-over of `printer` (a job handed to it and not started) undone in `tx`, under the
/// plan lock: the job goes back to the queue with its event, its material is released.
async fn release_handed(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    note: &str,
) -> AppResult<Option<Job>> {
    handover::lock_plan(tx).await?;
    let handed: Vec<_> = handover::handovers(&mut *tx)
        .await?
        .into_iter()
        .filter(|(_, p)| *p == printer)
        .map(|(j, _)| j)
        .collect();
    handover::release_handovers(tx, printer).await?;
    let mut released = None;
    for id in handed {
        let job = production::get_job(&mut *tx, id).await?;
        // Handed out and not started: scheduled on this printer (a plan never moves a job
        // handed out), or already back in the queue.
        if job.state == JobState::Scheduled && job.printer_id == Some(printer) {
            let job = production::unschedule_job(tx, now, id, note).await?;
            inventory::release(tx, now, &job_key(id)).await?;
            released = Some(job);
        }
    }
    Ok(released)
}

/// Loads a material on a printer (`None` unloads).
pub async fn load_material(
    db: &Db,
    now: DateTime<Utc>,
    id: PrinterId,
    material: Option<MaterialId>,
) -> AppResult<Printer> {
    let mut tx = db.begin().await?;
    let p = equipment::load_material(&mut tx, now, id, material).await?;
    commit(tx).await?;
    Ok(p)
}

/// Adds a recurring maintenance plan.
pub async fn create_maintenance_plan(
    db: &Db,
    now: DateTime<Utc>,
    new: &NewMaintenancePlan,
) -> AppResult<MaintenancePlan> {
    let mut tx = db.begin().await?;
    let p = equipment::create_plan(&mut tx, now, new).await?;
    commit(tx).await?;
    Ok(p)
}

/// Generates the windows of every plan due before `horizon_end`.
pub async fn generate_maintenance_windows(
    db: &Db,
    now: DateTime<Utc>,
    horizon_end: DateTime<Utc>,
) -> AppResult<Vec<MaintenanceWindow>> {
    let mut tx = db.begin().await?;
    let w = equipment::generate_windows(&mut tx, now, horizon_end).await?;
    commit(tx).await?;
    Ok(w)
}

/// Schedules an ad-hoc maintenance window.
pub async fn schedule_maintenance(
    db: &Db,
    now: DateTime<Utc>,
    printer: PrinterId,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    reason: &str,
) -> AppResult<MaintenanceWindow> {
    let mut tx = db.begin().await?;
    let w = equipment::schedule_window(&mut tx, now, printer, starts_at, duration_minutes, reason).await?;
    commit(tx).await?;
    Ok(w)
}

/// Completes a planned window (writes the maintenance log, performed by the caller).
pub async fn complete_maintenance(
    db: &Db,
    now: DateTime<Utc>,
    caller: &Caller,
    window: MaintenanceWindowId,
    note: &str,
) -> AppResult<MaintenanceLogEntry> {
    let mut tx = db.begin().await?;
    let l = equipment::complete_maintenance(&mut tx, now, window, caller.user_id, note).await?;
    commit(tx).await?;
    Ok(l)
}

/// Cancels a planned window.
pub async fn cancel_maintenance_window(
    db: &Db,
    now: DateTime<Utc>,
    window: MaintenanceWindowId,
) -> AppResult<MaintenanceWindow> {
    let mut tx = db.begin().await?;
    let w = equipment::cancel_window(&mut tx, now, window).await?;
    commit(tx).await?;
    Ok(w)
}

/// The farm's weekly operator shifts (UTC), Monday first; empty: always staffed.
pub async fn operator_shifts(db: &Db) -> AppResult<Vec<WeeklyShift>> {
    let mut c = conn(db).await?;
    Ok(shifts::operator_shifts(&mut c).await?)
}

/// Replaces the weekly operator shifts (`(weekday, start minute, end minute)`, checked: no
/// overlaps, at most 70) with a `shifts.changed` event, which re-plans; a refused timetable
/// writes nothing.
pub async fn set_operator_shifts(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: &[(i64, i64, i64)],
) -> AppResult<Vec<WeeklyShift>> {
    let timetable = parse_timetable(input).map_err(DomainError::from)?;
    in_tx!(db, tx => {
        shifts::replace_operator_shifts(&mut tx, now, &timetable, caller.user_id).await?;
        timetable
    })
}

/// Edits a printer's record (see `PrinterEdit`); event `printer.updated`, which re-plans.
pub async fn update_printer(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: PrinterId,
    edit: &PrinterEdit,
) -> AppResult<Printer> {
    in_tx!(db, tx => printer_records::update_printer(&mut tx, now, id, edit, caller.user_id).await?)
}

/// Retires a printer for good (refused while printing, paused or holding a handed-out job):
/// its planned jobs go back to the queue, its agent tokens are revoked; event
/// `printer.retired`, which re-plans.
pub async fn retire_printer(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: PrinterId,
) -> AppResult<Retired> {
    in_tx!(db, tx => printer_records::retire_printer(&mut tx, now, id, caller.user_id).await?)
}
