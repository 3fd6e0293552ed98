//! What every plan is made under, changed by planners: power circuits (a breaker's watts limit
//! and/or "at most K heat-ups within M minutes"), each printer model's draw, and the stability
//! of re-plans (freeze window, horizon, penalty, tolerance). The checks are the domain's
//! (`domain::planning::farm`); a refusal writes nothing; every change appends
//! `planning.settings_changed`, which re-plans.

use chrono::{DateTime, Utc};
use gantry_engine::domain::planning::{CircuitDraft, FarmPower, ModelPower, PlanningSettings, PowerCircuit};
use gantry_engine::store::planning as store;

use crate::{AppResult, Caller, Db, conn, in_tx};

/// Every power circuit (by name) with its printers, and every model's draw.
pub async fn farm_power(db: &Db) -> AppResult<FarmPower> {
    let mut c = conn(db).await?;
    Ok(store::farm_power(&mut c).await?)
}

/// The farm's stability settings.
pub async fn settings(db: &Db) -> AppResult<PlanningSettings> {
    let mut c = conn(db).await?;
    Ok(store::planning_settings(&mut c).await?)
}

/// Creates (`id: None`) or changes a power circuit with its printers.
pub async fn save_circuit(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: Option<i64>,
    draft: &CircuitDraft,
) -> AppResult<PowerCircuit> {
    in_tx!(db, tx => store::save_circuit(&mut tx, now, id, draft, caller.user_id).await?)
}

/// Deletes a power circuit.
pub async fn delete_circuit(db: &Db, caller: &Caller, now: DateTime<Utc>, id: i64) -> AppResult<()> {
    in_tx!(db, tx => store::delete_circuit(&mut tx, now, id, caller.user_id).await?)
}

/// Sets a printer model's draw.
pub async fn save_model_power(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    model: &ModelPower,
) -> AppResult<ModelPower> {
    in_tx!(db, tx => store::save_model_power(&mut tx, now, model, caller.user_id).await?)
}

/// Sets the stability settings.
pub async fn save_settings(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    s: &PlanningSettings,
) -> AppResult<PlanningSettings> {
    in_tx!(db, tx => store::save_settings(&mut tx, now, s, caller.user_id).await?)
}
