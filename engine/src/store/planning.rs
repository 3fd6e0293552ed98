//! Gathers the inputs of a production plan ([`crate::domain::planning`]) from the store.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use super::{StoreError, StoreResult, Tx, col, equipment, inventory, production};
use crate::domain::events::{Event, PlanningSettingsEvent};
use crate::domain::planning::{
    CircuitDraft, Draw, FarmPower, ModelPower, PlanningError, PlanningInput, PlanningSettings, PowerCircuit,
    farm,
};
use crate::domain::production::JobState;
use crate::domain::types::{PrinterId, UserId, to_millis};

/// How far ahead maintenance windows are read.
pub const WINDOW_HORIZON_DAYS: i64 = 30;

/// Queued and scheduled jobs, printing jobs, printers, materials, pins, power circuits, the
/// stability settings and the maintenance windows of the next [`WINDOW_HORIZON_DAYS`] days (the
/// previous plan is the application layer's: `input.previous` stays empty here).
pub async fn planning_input(conn: &mut AnyConnection, now: DateTime<Utc>) -> StoreResult<PlanningInput> {
    let mut input = PlanningInput::default();
    for state in [JobState::Queued, JobState::Scheduled] {
        let filter = production::JobFilter {
            state: Some(state),
            ..Default::default()
        };
        input
            .jobs
            .extend(production::list_jobs(&mut *conn, &filter).await?);
    }
    input.jobs.sort_by_key(|j| j.id);
    let printing = production::JobFilter {
        state: Some(JobState::Printing),
        ..Default::default()
    };
    input.printing = production::list_jobs(&mut *conn, &printing).await?;
    input.printers = equipment::list_printers(&mut *conn).await?;
    input.materials = inventory::list_materials(&mut *conn).await?;
    input.pins = production::waiting_pins(&mut *conn).await?;
    input.shifts = super::shifts::operator_shifts(&mut *conn).await?;
    input.power = farm_power(&mut *conn).await?;
    input.settings = planning_settings(&mut *conn).await?;
    let to = now + Duration::days(WINDOW_HORIZON_DAYS);
    for p in &input.printers {
        input
            .windows
            .extend(equipment::list_windows(&mut *conn, p.id, now - Duration::days(1), to).await?);
    }
    Ok(input)
}

/// How many persisted plans are kept (older ones are pruned when a new one is recorded).
pub const PLANS_KEPT: i64 = 100;

/// A persisted plan as stored: its id, when it was made and its JSON body (the application
/// layer's plan view; opaque here).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: i64,
    pub made_at: DateTime<Utc>,
    pub body: String,
}

/// Records a persisted plan in the caller's transaction (after `live::persist_plan` wrote its
/// jobs) and appends its `plan.changed` event with the plan's id; prunes all but the newest
/// [`PLANS_KEPT`]. Returns the plan's id.
pub async fn record_plan(
    tx: &mut super::Tx,
    now: DateTime<Utc>,
    body: &str,
    summary: crate::domain::events::PlanEvent,
) -> StoreResult<i64> {
    let row = sqlx::query("INSERT INTO plans (made_at, body) VALUES ($1, $2) RETURNING id")
        .bind(crate::domain::types::to_millis(now))
        .bind(body)
        .fetch_one(&mut **tx)
        .await?;
    let id: i64 = super::col(&row, "plans", "id")?;
    sqlx::query("DELETE FROM plans WHERE id <= $1")
        .bind(id - PLANS_KEPT)
        .execute(&mut **tx)
        .await?;
    let event = crate::domain::events::Event::Plan(crate::domain::events::PlanEvent {
        plan_id: id,
        ..summary
    });
    super::events::append(tx, now, &event).await?;
    Ok(id)
}

/// The newest persisted plan, if any.
pub async fn latest_plan(conn: &mut AnyConnection) -> StoreResult<Option<PlanRecord>> {
    let row = sqlx::query("SELECT id, made_at, body FROM plans ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(PlanRecord {
            id: super::col(&r, "plans", "id")?,
            made_at: crate::domain::types::from_millis(super::col(&r, "plans", "made_at")?),
            body: super::col(&r, "plans", "body")?,
        })
    })
    .transpose()
}

fn rejected(e: PlanningError) -> StoreError {
    StoreError::Rejected(e.into())
}

/// Every power circuit with its printers (by name) and every model's draw.
pub async fn farm_power(conn: &mut AnyConnection) -> StoreResult<FarmPower> {
    const C: &str = "power_circuits";
    let rows = sqlx::query(
        "SELECT id, name, limit_watts, max_heatups, heatup_window_minutes FROM power_circuits ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut circuits = rows
        .iter()
        .map(|r| {
            Ok(PowerCircuit {
                id: col(r, C, "id")?,
                name: col(r, C, "name")?,
                limit_watts: col(r, C, "limit_watts")?,
                max_heatups: col(r, C, "max_heatups")?,
                heatup_window_minutes: col(r, C, "heatup_window_minutes")?,
                printer_ids: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let members = sqlx::query("SELECT printer_id, circuit_id FROM printer_circuits ORDER BY printer_id")
        .fetch_all(&mut *conn)
        .await?;
    for r in &members {
        let circuit: i64 = col(r, "printer_circuits", "circuit_id")?;
        let printer = PrinterId(col(r, "printer_circuits", "printer_id")?);
        if let Some(c) = circuits.iter_mut().find(|c| c.id == circuit) {
            c.printer_ids.push(printer);
        }
    }
    const M: &str = "printer_model_power";
    let rows = sqlx::query(
        "SELECT model, heatup_watts, heatup_minutes, printing_watts FROM printer_model_power ORDER BY model",
    )
    .fetch_all(&mut *conn)
    .await?;
    let models = rows
        .iter()
        .map(|r| {
            Ok(ModelPower {
                model: col(r, M, "model")?,
                draw: Draw {
                    heatup_watts: col(r, M, "heatup_watts")?,
                    heatup_minutes: col(r, M, "heatup_minutes")?,
                    printing_watts: col(r, M, "printing_watts")?,
                },
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(FarmPower { circuits, models })
}

/// The farm's stability settings (all 0 until a planner sets them).
pub async fn planning_settings(conn: &mut AnyConnection) -> StoreResult<PlanningSettings> {
    const T: &str = "planning_settings";
    let row = sqlx::query(
        "SELECT freeze_minutes, stability_horizon_minutes, stability_penalty, stability_tolerance_minutes \
         FROM planning_settings WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map_or(Ok(PlanningSettings::default()), |r| {
        Ok(PlanningSettings {
            freeze_minutes: col(&r, T, "freeze_minutes")?,
            stability_horizon_minutes: col(&r, T, "stability_horizon_minutes")?,
            stability_penalty: col(&r, T, "stability_penalty")?,
            stability_tolerance_minutes: col(&r, T, "stability_tolerance_minutes")?,
        })
    })
}

async fn settings_changed(
    tx: &mut Tx,
    now: DateTime<Utc>,
    change: &str,
    subject: &str,
    by: Option<UserId>,
) -> StoreResult<()> {
    let event = Event::PlanningSettings(PlanningSettingsEvent {
        change: change.into(),
        subject: subject.into(),
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

/// Creates (`id: None`) or changes a power circuit and sets its printers, after
/// [`farm::check_circuit`] against the farm as it is in this transaction; appends
/// `planning.settings_changed`. An unknown `id` is `NOT_FOUND`.
pub async fn save_circuit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: Option<i64>,
    draft: &CircuitDraft,
    by: Option<UserId>,
) -> StoreResult<PowerCircuit> {
    let farm = farm_power(&mut *tx).await?;
    if let Some(id) = id
        && !farm.circuits.iter().any(|c| c.id == id)
    {
        return Err(StoreError::not_found("power circuit", id));
    }
    let printers = equipment::list_printers(&mut *tx).await?;
    let c = farm::check_circuit(id, draft, &printers, &farm).map_err(rejected)?;
    let id = match id {
        Some(id) => {
            sqlx::query(
                "UPDATE power_circuits SET name = $1, limit_watts = $2, max_heatups = $3, \
                 heatup_window_minutes = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(&c.name)
            .bind(c.limit_watts)
            .bind(c.max_heatups)
            .bind(c.heatup_window_minutes)
            .bind(to_millis(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM printer_circuits WHERE circuit_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            id
        }
        None => {
            let row = sqlx::query(
                "INSERT INTO power_circuits (name, limit_watts, max_heatups, heatup_window_minutes, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&c.name)
            .bind(c.limit_watts)
            .bind(c.max_heatups)
            .bind(c.heatup_window_minutes)
            .bind(to_millis(now))
            .fetch_one(&mut **tx)
            .await?;
            col(&row, "power_circuits", "id")?
        }
    };
    for p in &c.printer_ids {
        sqlx::query("INSERT INTO printer_circuits (printer_id, circuit_id) VALUES ($1, $2)")
            .bind(p.0)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    settings_changed(tx, now, "circuit_saved", &c.name, by).await?;
    Ok(PowerCircuit {
        id,
        name: c.name,
        limit_watts: c.limit_watts,
        max_heatups: c.max_heatups,
        heatup_window_minutes: c.heatup_window_minutes,
        printer_ids: c.printer_ids,
    })
}

/// Deletes a power circuit (its printers are then on none); `NOT_FOUND` when unknown.
pub async fn delete_circuit(tx: &mut Tx, now: DateTime<Utc>, id: i64, by: Option<UserId>) -> StoreResult<()> {
    let farm = farm_power(&mut *tx).await?;
    let Some(c) = farm.circuits.iter().find(|c| c.id == id) else {
        return Err(StoreError::not_found("power circuit", id));
    };
    sqlx::query("DELETE FROM printer_circuits WHERE circuit_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM power_circuits WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    settings_changed(tx, now, "circuit_deleted", &c.name, by).await
}

/// Sets a printer model's draw after [`farm::check_model_power`]; appends
/// `planning.settings_changed`.
pub async fn save_model_power(
    tx: &mut Tx,
    now: DateTime<Utc>,
    model: &ModelPower,
    by: Option<UserId>,
) -> StoreResult<ModelPower> {
    let farm = farm_power(&mut *tx).await?;
    let printers = equipment::list_printers(&mut *tx).await?;
    let model = ModelPower {
        model: model.model.trim().to_string(),
        draw: model.draw,
    };
    farm::check_model_power(&model, &printers, &farm).map_err(rejected)?;
    sqlx::query("DELETE FROM printer_model_power WHERE model = $1")
        .bind(&model.model)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO printer_model_power (model, heatup_watts, heatup_minutes, printing_watts, updated_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&model.model)
    .bind(model.draw.heatup_watts)
    .bind(model.draw.heatup_minutes)
    .bind(model.draw.printing_watts)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    settings_changed(tx, now, "model_power_saved", &model.model, by).await?;
    Ok(model)
}

/// Sets the stability settings after [`farm::check_settings`]; appends
/// `planning.settings_changed`.
pub async fn save_settings(
    tx: &mut Tx,
    now: DateTime<Utc>,
    s: &PlanningSettings,
    by: Option<UserId>,
) -> StoreResult<PlanningSettings> {
    farm::check_settings(s).map_err(rejected)?;
    sqlx::query("DELETE FROM planning_settings WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO planning_settings (id, freeze_minutes, stability_horizon_minutes, stability_penalty, \
         stability_tolerance_minutes, updated_at) VALUES (1, $1, $2, $3, $4, $5)",
    )
    .bind(s.freeze_minutes)
    .bind(s.stability_horizon_minutes)
    .bind(s.stability_penalty)
    .bind(s.stability_tolerance_minutes)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    settings_changed(tx, now, "settings_saved", "stability", by).await?;
    Ok(*s)
}
