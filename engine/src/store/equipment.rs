//! Equipment persistence: printers, supported materials and maintenance
//! (`printers`, `printer_materials`, `maintenance_plans`, `maintenance_windows`,
//! `maintenance_log`).
//!
//! Commands that change a printer lock its row first (a no-op `UPDATE … RETURNING`), check
//! through the domain, then write; a rejected command writes nothing.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::equipment::{
    Dimensions, EquipmentError, MaintenanceLogEntry, MaintenancePlan, MaintenanceWindow, NewMaintenancePlan,
    NewPrinter, Printer, PrinterStatus, Technology, WindowState, can_print, next_window, parse_note,
    positive_minutes,
};
use crate::domain::events::{Event, MaintenanceEvent, MaterialLoadedEvent, PrinterCreatedEvent};
use crate::domain::inventory::MaterialKind;
use crate::domain::types::{
    Currency, MaintenancePlanId, MaintenanceWindowId, MaterialId, Money, PrinterId, UserId, from_millis,
    to_millis,
};
use crate::error::DomainError;

macro_rules! printer_cols {
    () => {
        "id, name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, speed_factor_pct, \
         hourly_cost_minor, currency, status, loaded_material_id, print_minutes_total, created_at, group_name, retired_at"
    };
}
macro_rules! plan_cols {
    () => {
        "id, printer_id, name, every_print_hours, every_days, duration_minutes, last_done_at, last_done_print_minutes"
    };
}
macro_rules! window_cols {
    () => {
        "id, printer_id, plan_id, starts_at, ends_at, reason, state"
    };
}
macro_rules! log_cols {
    () => {
        "id, printer_id, plan_id, performed_at, performed_by, note"
    };
}

pub(crate) fn rejected(e: EquipmentError) -> StoreError {
    StoreError::Rejected(DomainError::Equipment(e))
}

/// A printer row without its material list.
fn printer_from_row(row: &AnyRow) -> StoreResult<Printer> {
    const T: &str = "printers";
    let technology: String = col(row, T, "technology")?;
    let status: String = col(row, T, "status")?;
    let currency: String = col(row, T, "currency")?;
    Ok(Printer {
        id: PrinterId(col(row, T, "id")?),
        name: col(row, T, "name")?,
        model: col(row, T, "model")?,
        technology: Technology::parse(&technology).map_err(|e| StoreError::corrupt(T, e))?,
        build_volume: Dimensions::new(
            col(row, T, "build_x_mm")?,
            col(row, T, "build_y_mm")?,
            col(row, T, "build_z_mm")?,
        ),
        nozzle_um: col(row, T, "nozzle_um")?,
        materials: Vec::new(),
        speed_factor_pct: col(row, T, "speed_factor_pct")?,
        hourly_cost: Money::new(
            col(row, T, "hourly_cost_minor")?,
            Currency::parse(&currency).map_err(|e| StoreError::corrupt(T, e))?,
        ),
        status: PrinterStatus::parse(&status).map_err(|e| StoreError::corrupt(T, e))?,
        loaded_material_id: col::<Option<i64>>(row, T, "loaded_material_id")?.map(MaterialId),
        print_minutes_total: col(row, T, "print_minutes_total")?,
        created_at: from_millis(col(row, T, "created_at")?),
        group: col(row, T, "group_name")?,
        retired_at: col::<Option<i64>>(row, T, "retired_at")?.map(from_millis),
    })
}

fn plan_from_row(row: &AnyRow) -> StoreResult<MaintenancePlan> {
    const T: &str = "maintenance_plans";
    Ok(MaintenancePlan {
        id: MaintenancePlanId(col(row, T, "id")?),
        printer_id: PrinterId(col(row, T, "printer_id")?),
        name: col(row, T, "name")?,
        every_print_hours: col(row, T, "every_print_hours")?,
        every_days: col(row, T, "every_days")?,
        duration_minutes: col(row, T, "duration_minutes")?,
        last_done_at: from_millis(col(row, T, "last_done_at")?),
        last_done_print_minutes: col(row, T, "last_done_print_minutes")?,
    })
}

fn window_from_row(row: &AnyRow) -> StoreResult<MaintenanceWindow> {
    const T: &str = "maintenance_windows";
    let state: String = col(row, T, "state")?;
    Ok(MaintenanceWindow {
        id: MaintenanceWindowId(col(row, T, "id")?),
        printer_id: PrinterId(col(row, T, "printer_id")?),
        plan_id: col::<Option<i64>>(row, T, "plan_id")?.map(MaintenancePlanId),
        starts_at: from_millis(col(row, T, "starts_at")?),
        ends_at: from_millis(col(row, T, "ends_at")?),
        reason: col(row, T, "reason")?,
        state: WindowState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(T, format!("state {state:?}")))?,
    })
}

fn log_from_row(row: &AnyRow) -> StoreResult<MaintenanceLogEntry> {
    const T: &str = "maintenance_log";
    Ok(MaintenanceLogEntry {
        id: col(row, T, "id")?,
        printer_id: PrinterId(col(row, T, "printer_id")?),
        plan_id: col::<Option<i64>>(row, T, "plan_id")?.map(MaintenancePlanId),
        performed_at: from_millis(col(row, T, "performed_at")?),
        performed_by: col::<Option<i64>>(row, T, "performed_by")?.map(UserId),
        note: col(row, T, "note")?,
    })
}

async fn materials_of(conn: &mut AnyConnection, id: PrinterId) -> StoreResult<Vec<MaterialKind>> {
    let rows = sqlx::query("SELECT material_kind FROM printer_materials WHERE printer_id = $1")
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?;
    let mut kinds = rows
        .iter()
        .map(|r| {
            let k: String = col(r, "printer_materials", "material_kind")?;
            MaterialKind::parse(&k).map_err(|e| StoreError::corrupt("printer_materials", e))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    kinds.sort();
    Ok(kinds)
}

async fn with_materials(conn: &mut AnyConnection, row: &AnyRow) -> StoreResult<Printer> {
    let mut p = printer_from_row(row)?;
    p.materials = materials_of(conn, p.id).await?;
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Printers

/// Creates a printer (status `idle`, nothing loaded, 0 print minutes) with its supported
/// material kinds. Rejects invalid input and a taken name (`EQUIPMENT_NAME_TAKEN`).
pub async fn create_printer(tx: &mut Tx, now: DateTime<Utc>, input: &NewPrinter) -> StoreResult<Printer> {
    let p = input.validate().map_err(rejected)?;
    if printer_by_name(&mut *tx, &p.name).await?.is_some() {
        return Err(rejected(EquipmentError::NameTaken(p.name)));
    }
    let res = sqlx::query(concat!(
        "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
         speed_factor_pct, hourly_cost_minor, currency, status, loaded_material_id, print_minutes_total, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'idle', NULL, 0, $11) RETURNING ",
        printer_cols!()
    ))
    .bind(&p.name)
    .bind(&p.model)
    .bind(p.technology.as_str())
    .bind(p.build_volume.x_mm)
    .bind(p.build_volume.y_mm)
    .bind(p.build_volume.z_mm)
    .bind(p.nozzle_um)
    .bind(p.speed_factor_pct)
    .bind(p.hourly_cost.minor)
    .bind(p.hourly_cost.currency.as_str())
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await;
    let row = match res {
        Ok(row) => row,
        Err(e) => {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                rejected(EquipmentError::NameTaken(p.name))
            } else {
                e
            });
        }
    };
    let mut printer = printer_from_row(&row)?;
    for kind in &p.materials {
        sqlx::query("INSERT INTO printer_materials (printer_id, material_kind) VALUES ($1, $2)")
            .bind(printer.id.0)
            .bind(kind.as_str())
            .execute(&mut **tx)
            .await?;
    }
    printer.materials = p.materials;
    let event = Event::PrinterCreated(PrinterCreatedEvent {
        printer_id: printer.id.0,
        name: printer.name.clone(),
    });
    super::events::append(tx, now, &event).await?;
    Ok(printer)
}

/// A printer by id (`NotFound` if absent).
pub async fn get_printer(conn: &mut AnyConnection, id: PrinterId) -> StoreResult<Printer> {
    let row = sqlx::query(concat!(
        "SELECT ",
        printer_cols!(),
        " FROM printers WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("printer", id))?;
    with_materials(conn, &row).await
}

/// A printer by its unique name (surrounding blanks ignored).
pub async fn printer_by_name(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<Printer>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        printer_cols!(),
        " FROM printers WHERE name = $1"
    ))
    .bind(name.trim())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(with_materials(conn, &row).await?)),
        None => Ok(None),
    }
}

/// The farm's printers (not retired), by name.
pub async fn list_printers(conn: &mut AnyConnection) -> StoreResult<Vec<Printer>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        printer_cols!(),
        " FROM printers WHERE retired_at IS NULL ORDER BY name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut printers = rows
        .iter()
        .map(printer_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let kinds = sqlx::query("SELECT printer_id, material_kind FROM printer_materials")
        .fetch_all(&mut *conn)
        .await?;
    for r in &kinds {
        let id = PrinterId(col(r, "printer_materials", "printer_id")?);
        let k: String = col(r, "printer_materials", "material_kind")?;
        let k = MaterialKind::parse(&k).map_err(|e| StoreError::corrupt("printer_materials", e))?;
        if let Some(p) = printers.iter_mut().find(|p| p.id == id) {
            p.materials.push(k);
        }
    }
    for p in &mut printers {
        p.materials.sort();
    }
    Ok(printers)
}

/// Printers that can print a part of `kind` with bounding box `bbox` (any status), by name.
pub async fn eligible_printers(
    conn: &mut AnyConnection,
    kind: MaterialKind,
    bbox: Dimensions,
) -> StoreResult<Vec<Printer>> {
    Ok(list_printers(conn)
        .await?
        .into_iter()
        .filter(|p| can_print(p, kind, bbox))
        .collect())
}

/// Locks the printer row for the rest of the transaction and returns it (`NotFound` if absent).
pub(crate) async fn lock_printer(tx: &mut Tx, id: PrinterId) -> StoreResult<Printer> {
    let row = sqlx::query(concat!(
        "UPDATE printers SET status = status WHERE id = $1 RETURNING ",
        printer_cols!()
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("printer", id))?;
    with_materials(&mut *tx, &row).await
}

/// Moves a printer to `to` if the status machine allows it (`PRINTER_ILLEGAL_TRANSITION`).
pub async fn set_status(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: PrinterId,
    to: PrinterStatus,
) -> StoreResult<Printer> {
    let p = lock_printer(tx, id).await?;
    let status = p.status.transition(to).map_err(rejected)?;
    sqlx::query("UPDATE printers SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    if status != p.status {
        let job = sqlx::query(
            "SELECT id, progress_pct FROM jobs WHERE printer_id = $1 AND state = 'printing' ORDER BY id LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?;
        let job_id: Option<i64> = job.as_ref().map(|r| col(r, "jobs", "id")).transpose()?;
        let progress_pct: Option<i64> = job.as_ref().map(|r| col(r, "jobs", "progress_pct")).transpose()?;
        let event = crate::domain::events::Event::Printer(crate::domain::events::PrinterEvent {
            printer_id: id.0,
            from: p.status,
            to: status,
            job_id,
            progress_pct,
        });
        super::events::append(tx, now, &event).await?;
    }
    Ok(Printer { status, ..p })
}

/// Loads a material (or unloads with `None`). Rejects while printing or paused
/// (`PRINTER_BUSY`) and a material whose kind the printer does not support
/// (`EQUIPMENT_MATERIAL_NOT_SUPPORTED`); an unknown material is `NotFound`.
pub async fn load_material(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: PrinterId,
    material: Option<MaterialId>,
) -> StoreResult<Printer> {
    let p = lock_printer(tx, id).await?;
    if p.status.is_busy() {
        return Err(rejected(EquipmentError::PrinterBusy { status: p.status }));
    }
    if let Some(m) = material {
        let m = super::inventory::get_material(&mut *tx, m).await?;
        if !p.supports(m.kind) {
            return Err(rejected(EquipmentError::MaterialNotSupported {
                kind: m.kind,
                technology: p.technology,
            }));
        }
    }
    sqlx::query("UPDATE printers SET loaded_material_id = $1 WHERE id = $2")
        .bind(material.map(|m| m.0))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    let event = Event::MaterialLoaded(MaterialLoadedEvent {
        printer_id: id.0,
        material_id: material.map(|m| m.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(Printer {
        loaded_material_id: material,
        ..p
    })
}

/// Adds printed minutes (`> 0`) to the printer's lifetime total.
pub async fn add_print_minutes(
    tx: &mut Tx,
    _now: DateTime<Utc>,
    id: PrinterId,
    minutes: i64,
) -> StoreResult<Printer> {
    let minutes = positive_minutes(minutes).map_err(rejected)?;
    let p = lock_printer(tx, id).await?;
    let total = p
        .print_minutes_total
        .checked_add(minutes)
        .ok_or_else(|| rejected(EquipmentError::InvalidMinutes(minutes)))?;
    sqlx::query("UPDATE printers SET print_minutes_total = $1 WHERE id = $2")
        .bind(total)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(Printer {
        print_minutes_total: total,
        ..p
    })
}

// ---------------------------------------------------------------------------------------------
// Maintenance

/// Creates a maintenance plan; it counts as last done now, at the printer's current print
/// minutes. Unknown printer: `NotFound`.
pub async fn create_plan(
    tx: &mut Tx,
    now: DateTime<Utc>,
    input: &NewMaintenancePlan,
) -> StoreResult<MaintenancePlan> {
    let p = input.validate().map_err(rejected)?;
    let printer = lock_printer(tx, p.printer_id).await?;
    let row = sqlx::query(concat!(
        "INSERT INTO maintenance_plans (printer_id, name, every_print_hours, every_days, duration_minutes, \
         last_done_at, last_done_print_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        plan_cols!()
    ))
    .bind(p.printer_id.0)
    .bind(&p.name)
    .bind(p.every_print_hours)
    .bind(p.every_days)
    .bind(p.duration_minutes)
    .bind(to_millis(now))
    .bind(printer.print_minutes_total)
    .fetch_one(&mut **tx)
    .await?;
    plan_from_row(&row)
}

/// A maintenance plan by id (`NotFound` if absent).
pub async fn get_plan(conn: &mut AnyConnection, id: MaintenancePlanId) -> StoreResult<MaintenancePlan> {
    let row = sqlx::query(concat!(
        "SELECT ",
        plan_cols!(),
        " FROM maintenance_plans WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("maintenance plan", id))?;
    plan_from_row(&row)
}

/// The maintenance plans of a printer, by id.
pub async fn list_plans(
    conn: &mut AnyConnection,
    printer_id: PrinterId,
) -> StoreResult<Vec<MaintenancePlan>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        plan_cols!(),
        " FROM maintenance_plans WHERE printer_id = $1 ORDER BY id"
    ))
    .bind(printer_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(plan_from_row).collect()
}

async fn planned_window_of(
    conn: &mut AnyConnection,
    plan: MaintenancePlanId,
) -> StoreResult<Option<MaintenanceWindow>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        window_cols!(),
        " FROM maintenance_windows WHERE plan_id = $1 AND state = 'planned'"
    ))
    .bind(plan.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(window_from_row).transpose()
}

/// Generates the maintenance windows of every plan that fall due by `horizon_end`
/// (see [`next_window`]) and persists them. Idempotent: a plan has at most one planned window;
/// an existing one is kept, or moved earlier if the plan has meanwhile become due sooner
/// (e.g. print hours reached). Returns the windows created or moved now.
pub async fn generate_windows(
    tx: &mut Tx,
    now: DateTime<Utc>,
    horizon_end: DateTime<Utc>,
) -> StoreResult<Vec<MaintenanceWindow>> {
    // Two runs at once would both see no planned window and both insert one.
    super::serialise(tx, super::Lock::MaintenanceWindows).await?;
    let rows = sqlx::query(
        "SELECT p.id, p.printer_id, p.name, p.every_print_hours, p.every_days, p.duration_minutes, \
         p.last_done_at, p.last_done_print_minutes, r.print_minutes_total \
         FROM maintenance_plans p JOIN printers r ON r.id = p.printer_id ORDER BY p.id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        let plan = plan_from_row(row)?;
        let minutes: i64 = col(row, "printers", "print_minutes_total")?;
        let Some(spec) = next_window(&plan, now, minutes, horizon_end) else {
            continue;
        };
        match planned_window_of(&mut *tx, plan.id).await? {
            Some(w) if w.starts_at <= spec.starts_at => {}
            Some(w) => {
                let row = sqlx::query(concat!(
                    "UPDATE maintenance_windows SET starts_at = $1, ends_at = $2, reason = $3 WHERE id = $4 RETURNING ",
                    window_cols!()
                ))
                .bind(to_millis(spec.starts_at))
                .bind(to_millis(spec.ends_at))
                .bind(&spec.reason)
                .bind(w.id.0)
                .fetch_one(&mut **tx)
                .await?;
                let w = window_from_row(&row)?;
                window_event(tx, now, &w, "scheduled").await?;
                out.push(w);
            }
            None => {
                let row = sqlx::query(concat!(
                    "INSERT INTO maintenance_windows (printer_id, plan_id, starts_at, ends_at, reason, state) \
                     VALUES ($1, $2, $3, $4, $5, 'planned') RETURNING ",
                    window_cols!()
                ))
                .bind(plan.printer_id.0)
                .bind(plan.id.0)
                .bind(to_millis(spec.starts_at))
                .bind(to_millis(spec.ends_at))
                .bind(&spec.reason)
                .fetch_one(&mut **tx)
                .await?;
                let w = window_from_row(&row)?;
                window_event(tx, now, &w, "scheduled").await?;
                out.push(w);
            }
        }
    }
    Ok(out)
}

/// Plans an ad-hoc maintenance window (no plan) of `duration_minutes` (`> 0`) from `starts_at`.
pub async fn schedule_window(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer_id: PrinterId,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    reason: &str,
) -> StoreResult<MaintenanceWindow> {
    let minutes = positive_minutes(duration_minutes).map_err(rejected)?;
    let reason = parse_note("reason", reason).map_err(rejected)?;
    let ends_at = Duration::try_minutes(minutes)
        .and_then(|d| starts_at.checked_add_signed(d))
        .ok_or_else(|| rejected(EquipmentError::InvalidMinutes(minutes)))?;
    lock_printer(tx, printer_id).await?;
    let row = sqlx::query(concat!(
        "INSERT INTO maintenance_windows (printer_id, plan_id, starts_at, ends_at, reason, state) \
         VALUES ($1, NULL, $2, $3, $4, 'planned') RETURNING ",
        window_cols!()
    ))
    .bind(printer_id.0)
    .bind(to_millis(starts_at))
    .bind(to_millis(ends_at))
    .bind(&reason)
    .fetch_one(&mut **tx)
    .await?;
    let w = window_from_row(&row)?;
    window_event(tx, now, &w, "scheduled").await?;
    Ok(w)
}

/// Appends `maintenance.changed` for `w` (`change`: scheduled, completed or cancelled).
async fn window_event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    w: &MaintenanceWindow,
    change: &str,
) -> StoreResult<()> {
    let event = Event::Maintenance(MaintenanceEvent {
        window_id: w.id.0,
        printer_id: w.printer_id.0,
        change: change.to_string(),
        starts_at: to_millis(w.starts_at),
        ends_at: to_millis(w.ends_at),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

/// A maintenance window by id (`NotFound` if absent).
pub async fn get_window(conn: &mut AnyConnection, id: MaintenanceWindowId) -> StoreResult<MaintenanceWindow> {
    let row = sqlx::query(concat!(
        "SELECT ",
        window_cols!(),
        " FROM maintenance_windows WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("maintenance window", id))?;
    window_from_row(&row)
}

/// The windows of a printer (any state) overlapping `[from, to)`, by start.
pub async fn list_windows(
    conn: &mut AnyConnection,
    printer_id: PrinterId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MaintenanceWindow>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        window_cols!(),
        " FROM maintenance_windows WHERE printer_id = $1 AND starts_at < $2 AND ends_at > $3 ORDER BY starts_at, id"
    ))
    .bind(printer_id.0)
    .bind(to_millis(to))
    .bind(to_millis(from))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(window_from_row).collect()
}

/// Windows of every printer overlapping `[from, to)`, by printer then start (the schedule's
/// shaded hours).
pub async fn list_all_windows(
    conn: &mut AnyConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MaintenanceWindow>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        window_cols!(),
        " FROM maintenance_windows WHERE starts_at < $1 AND ends_at > $2 ORDER BY printer_id, starts_at, id"
    ))
    .bind(to_millis(to))
    .bind(to_millis(from))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(window_from_row).collect()
}

async fn lock_window(tx: &mut Tx, id: MaintenanceWindowId) -> StoreResult<MaintenanceWindow> {
    let row = sqlx::query(concat!(
        "UPDATE maintenance_windows SET state = state WHERE id = $1 RETURNING ",
        window_cols!()
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("maintenance window", id))?;
    window_from_row(&row)
}

/// Completes a planned window: writes the maintenance log entry (performed now, by
/// `performed_by`), marks the window `done` and, for a plan's window, resets the plan's
/// last-done time and print minutes. A window that is not planned:
/// `MAINTENANCE_ILLEGAL_TRANSITION`; unknown window or user: `NotFound`.
pub async fn complete_maintenance(
    tx: &mut Tx,
    now: DateTime<Utc>,
    window_id: MaintenanceWindowId,
    performed_by: Option<UserId>,
    note: &str,
) -> StoreResult<MaintenanceLogEntry> {
    let note = parse_note("note", note).map_err(rejected)?;
    let w = lock_window(tx, window_id).await?;
    let state = w.state.transition(WindowState::Done).map_err(rejected)?;
    if let Some(u) = performed_by {
        super::users::get_user(&mut *tx, u).await?;
    }
    let printer = lock_printer(tx, w.printer_id).await?;
    sqlx::query("UPDATE maintenance_windows SET state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(w.id.0)
        .execute(&mut **tx)
        .await?;
    if let Some(plan) = w.plan_id {
        sqlx::query(
            "UPDATE maintenance_plans SET last_done_at = $1, last_done_print_minutes = $2 WHERE id = $3",
        )
        .bind(to_millis(now))
        .bind(printer.print_minutes_total)
        .bind(plan.0)
        .execute(&mut **tx)
        .await?;
    }
    let row = sqlx::query(concat!(
        "INSERT INTO maintenance_log (printer_id, plan_id, performed_at, performed_by, note) \
         VALUES ($1, $2, $3, $4, $5) RETURNING ",
        log_cols!()
    ))
    .bind(w.printer_id.0)
    .bind(w.plan_id.map(|p| p.0))
    .bind(to_millis(now))
    .bind(performed_by.map(|u| u.0))
    .bind(&note)
    .fetch_one(&mut **tx)
    .await?;
    window_event(tx, now, &w, "completed").await?;
    log_from_row(&row)
}

/// Cancels a planned window (`MAINTENANCE_ILLEGAL_TRANSITION` otherwise). The plan is not
/// reset, so the next generation plans it again.
pub async fn cancel_window(
    tx: &mut Tx,
    now: DateTime<Utc>,
    window_id: MaintenanceWindowId,
) -> StoreResult<MaintenanceWindow> {
    let w = lock_window(tx, window_id).await?;
    let state = w.state.transition(WindowState::Cancelled).map_err(rejected)?;
    sqlx::query("UPDATE maintenance_windows SET state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(w.id.0)
        .execute(&mut **tx)
        .await?;
    window_event(tx, now, &w, "cancelled").await?;
    Ok(MaintenanceWindow { state, ..w })
}

/// The maintenance log of a printer, oldest first.
pub async fn maintenance_log(
    conn: &mut AnyConnection,
    printer_id: PrinterId,
) -> StoreResult<Vec<MaintenanceLogEntry>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        log_cols!(),
        " FROM maintenance_log WHERE printer_id = $1 ORDER BY id"
    ))
    .bind(printer_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(log_from_row).collect()
}
