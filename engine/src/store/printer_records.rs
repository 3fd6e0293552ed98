//! Editing and retiring printers (`printers`, `printer_materials`; retiring also touches
//! `jobs`, `job_pins` and `printer_tokens`). A refused change writes nothing.

use chrono::{DateTime, Utc};

use super::equipment::{get_printer, lock_printer, printer_by_name, rejected};
use super::{StoreResult, Tx, handover, production};
use crate::domain::equipment::{EquipmentError, Printer, PrinterEdit, check_retire};
use crate::domain::events::{Event, PrinterUpdatedEvent};
use crate::domain::production::JobState;
use crate::domain::types::{PrinterId, UserId, to_millis};

async fn printer_event(tx: &mut Tx, now: DateTime<Utc>, p: &Printer, by: Option<UserId>) -> StoreResult<()> {
    let event = Event::PrinterUpdated(PrinterUpdatedEvent {
        printer_id: p.id.0,
        name: p.name.clone(),
        group: p.group.clone(),
        retired: p.retired_at.is_some(),
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

/// Applies `edit` to a printer (checked like a new printer; a name another printer has:
/// `EQUIPMENT_NAME_TAKEN`; a retired printer: `PRINTER_RETIRED`) with a `printer.updated`
/// event, which re-plans.
pub async fn update_printer(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: PrinterId,
    edit: &PrinterEdit,
    by: Option<UserId>,
) -> StoreResult<Printer> {
    let before = lock_printer(tx, id).await?;
    let p = edit.apply(&before).map_err(rejected)?;
    if p.name != before.name
        && let Some(other) = printer_by_name(&mut *tx, &p.name).await?
        && other.id != id
    {
        return Err(rejected(EquipmentError::NameTaken(p.name)));
    }
    sqlx::query(
        "UPDATE printers SET name = $1, model = $2, build_x_mm = $3, build_y_mm = $4, build_z_mm = $5, \
         nozzle_um = $6, speed_factor_pct = $7, hourly_cost_minor = $8, currency = $9, group_name = $10 \
         WHERE id = $11",
    )
    .bind(&p.name)
    .bind(&p.model)
    .bind(p.build_volume.x_mm)
    .bind(p.build_volume.y_mm)
    .bind(p.build_volume.z_mm)
    .bind(p.nozzle_um)
    .bind(p.speed_factor_pct)
    .bind(p.hourly_cost.minor)
    .bind(p.hourly_cost.currency.as_str())
    .bind(p.group.as_deref())
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    if p.materials != before.materials {
        sqlx::query("DELETE FROM printer_materials WHERE printer_id = $1")
            .bind(id.0)
            .execute(&mut **tx)
            .await?;
        for kind in &p.materials {
            sqlx::query("INSERT INTO printer_materials (printer_id, material_kind) VALUES ($1, $2)")
                .bind(id.0)
                .bind(kind.as_str())
                .execute(&mut **tx)
                .await?;
        }
    }
    printer_event(tx, now, &p, by).await?;
    Ok(p)
}

/// What retiring a printer did besides marking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub printer: Printer,
    /// Jobs that were planned on it, back in the queue.
    pub requeued: usize,
    /// Its agent tokens revoked by the retirement.
    pub tokens_revoked: u64,
}

/// Retires a printer: out of the farm for good (not planned, not listed by `list_printers`,
/// kept for its history). Refused while it prints or is paused (`PRINTER_BUSY`), while a job
/// handed to it has not started (`PRINTER_BUSY`), or when already retired (`PRINTER_RETIRED`).
/// Its scheduled jobs go back to the queue and their pins are dropped, its agent tokens are
/// revoked; event `printer.retired`, which re-plans.
pub async fn retire_printer(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: PrinterId,
    by: Option<UserId>,
) -> StoreResult<Retired> {
    handover::lock_plan(tx).await?;
    let p = lock_printer(tx, id).await?;
    check_retire(&p).map_err(rejected)?;
    if handover::handovers(&mut *tx).await?.values().any(|h| *h == id) {
        return Err(rejected(EquipmentError::PrinterBusy { status: p.status }));
    }
    let planned = production::JobFilter {
        state: Some(JobState::Scheduled),
        printer_id: Some(id),
        ..Default::default()
    };
    let jobs = production::list_jobs(&mut *tx, &planned).await?;
    for j in &jobs {
        production::unschedule_job(tx, now, j.id, "printer retired").await?;
    }
    sqlx::query("DELETE FROM job_pins WHERE printer_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    let tokens_revoked =
        sqlx::query("UPDATE printer_tokens SET revoked_at = $1 WHERE printer_id = $2 AND revoked_at IS NULL")
            .bind(to_millis(now))
            .bind(id.0)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    sqlx::query("UPDATE printers SET retired_at = $1 WHERE id = $2")
        .bind(to_millis(now))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    let printer = get_printer(&mut *tx, id).await?;
    printer_event(tx, now, &printer, by).await?;
    Ok(Retired {
        printer,
        requeued: jobs.len(),
        tokens_revoked,
    })
}
