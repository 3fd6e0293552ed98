//! Planning settings and what-if: power circuits, printer models' draw and the stability of
//! re-plans (read with `production:read`, changed with `production:plan`: planners and admins),
//! and the impact types `planWhatIf` answers with. Every field calls
//! `gantry_app::planning::{settings, impact}`; refusals carry a coded reason naming the field
//! and write nothing.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_app::Db;
use gantry_app::planning::impact::{OrderImpact, WhatIf};
use gantry_app::planning::settings;
use gantry_engine::domain::planning::{CircuitDraft, Draw, ModelPower, PlanningSettings, PowerCircuit};
use gantry_engine::domain::types::PrinterId;
use gantry_engine::domain::users::Permission;

use super::app_error;
use super::connection::{Ts, id_arg, ts};
use super::principal::{PermissionGuard, caller};

/// A power circuit (a breaker) shared by printers: their summed draw stays within `limitWatts`,
/// and at most `maxHeatups` prints start within any `heatupWindowMinutes`. Every plan keeps to
/// it (the solver staggers starts).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PowerCircuit")]
pub struct PowerCircuitObj {
    pub id: ID,
    pub name: String,
    pub limit_watts: Option<i64>,
    pub max_heatups: Option<i64>,
    pub heatup_window_minutes: Option<i64>,
    pub printer_ids: Vec<ID>,
}

impl From<PowerCircuit> for PowerCircuitObj {
    fn from(c: PowerCircuit) -> Self {
        PowerCircuitObj {
            id: ID(c.id.to_string()),
            name: c.name,
            limit_watts: c.limit_watts,
            max_heatups: c.max_heatups,
            heatup_window_minutes: c.heatup_window_minutes,
            printer_ids: c.printer_ids.iter().map(|p| ID(p.0.to_string())).collect(),
        }
    }
}

/// A circuit to create or change.
#[derive(InputObject, Debug, Clone)]
pub struct PowerCircuitInput {
    /// Unique, 1 to 100 characters.
    pub name: String,
    pub limit_watts: Option<i64>,
    /// Set together with `heatupWindowMinutes` or not at all.
    pub max_heatups: Option<i64>,
    pub heatup_window_minutes: Option<i64>,
    /// The circuit's printers (each on at most one circuit); replaces the list.
    pub printer_ids: Vec<ID>,
}

/// The draw of every printer of a model: `heatupWatts` during the first `heatupMinutes` of a
/// print, then `printingWatts`.
#[derive(SimpleObject, InputObject, Debug, Clone)]
#[graphql(name = "PrinterModelPower", input_name = "PrinterModelPowerInput")]
pub struct ModelPowerObj {
    /// The printers' `model`, as on the printer.
    pub model: String,
    pub heatup_watts: i64,
    pub heatup_minutes: i64,
    pub printing_watts: i64,
}

impl From<ModelPower> for ModelPowerObj {
    fn from(m: ModelPower) -> Self {
        ModelPowerObj {
            model: m.model,
            heatup_watts: m.draw.heatup_watts,
            heatup_minutes: m.draw.heatup_minutes,
            printing_watts: m.draw.printing_watts,
        }
    }
}

/// The farm's stability settings: a re-plan keeps jobs the previous plan starts within
/// `freezeMinutes` in place, and pays `stabilityPenalty` (objective units: minutes of weighted
/// tardiness) for moving a job it starts within `stabilityHorizonMinutes` to another printer or
/// more than `stabilityToleranceMinutes` later. All 0: re-plans move jobs freely.
#[derive(SimpleObject, InputObject, Debug, Clone, Copy)]
#[graphql(name = "PlanningSettings", input_name = "PlanningSettingsInput")]
pub struct SettingsObj {
    pub freeze_minutes: i64,
    pub stability_horizon_minutes: i64,
    pub stability_penalty: i64,
    pub stability_tolerance_minutes: i64,
}

impl From<PlanningSettings> for SettingsObj {
    fn from(s: PlanningSettings) -> Self {
        SettingsObj {
            freeze_minutes: s.freeze_minutes,
            stability_horizon_minutes: s.stability_horizon_minutes,
            stability_penalty: s.stability_penalty,
            stability_tolerance_minutes: s.stability_tolerance_minutes,
        }
    }
}

/// A would-be order for `planWhatIf`: `quantity` of a model in a material, due at `dueAt`.
#[derive(InputObject, Debug, Clone)]
pub struct RushOrderInput {
    pub model_id: ID,
    pub material_id: ID,
    pub quantity: i64,
    pub due_at: Ts,
}

/// A printer that would be down from `from` until `until` (for `planWhatIf`).
#[derive(InputObject, Debug, Clone)]
pub struct PrinterDownInput {
    pub printer_id: ID,
    pub from: Ts,
    pub until: Ts,
}

/// One order's due date without and with the what-if scenario.
#[derive(SimpleObject, Debug, Clone)]
pub struct OrderLateness {
    /// Null: the rush order itself.
    pub order_id: Option<ID>,
    pub due_at: Option<Ts>,
    /// When its last planned job ends without the scenario (null: the rush order, or nothing
    /// placed).
    pub finish_before: Option<Ts>,
    pub finish_after: Option<Ts>,
    pub late_minutes_before: i64,
    pub late_minutes_after: i64,
    /// Its jobs the plan cannot place, without and with the scenario.
    pub unplaced_before: i64,
    pub unplaced_after: i64,
}

impl From<OrderImpact> for OrderLateness {
    fn from(o: OrderImpact) -> Self {
        OrderLateness {
            order_id: o.order_id.map(|o| ID(o.0.to_string())),
            due_at: ts(o.due_at),
            finish_before: ts(o.finish_before),
            finish_after: ts(o.finish_after),
            late_minutes_before: o.late_minutes_before,
            late_minutes_after: o.late_minutes_after,
            unplaced_before: o.unplaced_before,
            unplaced_after: o.unplaced_after,
        }
    }
}

/// What a what-if scenario does to the orders' due dates.
#[derive(SimpleObject, Debug, Clone)]
pub struct PlanImpact {
    /// The rush order first (when asked), then every order that would become late or later, or
    /// lose a placed job, most added lateness first.
    pub orders: Vec<OrderLateness>,
    /// Orders on time without the scenario and late with it.
    pub newly_late: i64,
    /// The objective of the plan without the scenario (same solve budget).
    pub baseline_objective: f64,
}

impl PlanImpact {
    pub fn of(w: &WhatIf) -> PlanImpact {
        PlanImpact {
            orders: w.orders.iter().cloned().map(Into::into).collect(),
            newly_late: w.newly_late,
            baseline_objective: w.baseline_objective,
        }
    }
}

/// The app's scenario from the GraphQL inputs.
pub fn scenario(
    rush: Option<RushOrderInput>,
    down: Option<PrinterDownInput>,
) -> async_graphql::Result<gantry_app::planning::impact::Scenario> {
    use gantry_app::planning::impact::{PrinterDown, RushOrder, Scenario};
    use gantry_engine::domain::types::{MaterialId, ModelFileId};
    Ok(Scenario {
        rush: rush
            .map(|r| -> async_graphql::Result<RushOrder> {
                Ok(RushOrder {
                    model_id: ModelFileId(id_arg(&r.model_id, "model")?),
                    material_id: MaterialId(id_arg(&r.material_id, "material")?),
                    quantity: r.quantity,
                    due_at: r.due_at.0,
                })
            })
            .transpose()?,
        down: down
            .map(|d| -> async_graphql::Result<PrinterDown> {
                Ok(PrinterDown {
                    printer_id: PrinterId(id_arg(&d.printer_id, "printer")?),
                    from: d.from.0,
                    until: d.until.0,
                })
            })
            .transpose()?,
    })
}

#[derive(Default)]
pub struct PlanningQuery;

#[Object]
impl PlanningQuery {
    /// Every power circuit, by name, with its printers.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn power_circuits(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PowerCircuitObj>> {
        let farm = settings::farm_power(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(farm.circuits.into_iter().map(Into::into).collect())
    }

    /// Every printer model's draw, by model.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn printer_model_power(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ModelPowerObj>> {
        let farm = settings::farm_power(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(farm.models.into_iter().map(Into::into).collect())
    }

    /// The farm's stability settings (all 0 until set).
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn planning_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<SettingsObj> {
        Ok(settings::settings(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?
            .into())
    }
}

#[derive(Default)]
pub struct PlanningMutation;

#[Object]
impl PlanningMutation {
    /// Creates a power circuit (`id` absent) or changes one, with its printers. Refused with a
    /// reason naming the field: `POWER_LIMIT_BELOW_DRAW` (a printer draws more than the limit),
    /// `POWER_DATA_MISSING` (a printer's model has no draw and the circuit has a limit),
    /// `POWER_HEATUP_RULE_INCOMPLETE`, `POWER_PRINTER_ON_OTHER_CIRCUIT`, `POWER_CIRCUIT_NAME_TAKEN`,
    /// `POWER_CIRCUIT_NAME_INVALID`, `POWER_UNKNOWN_PRINTER`, `PLANNING_VALUE_OUT_OF_RANGE`.
    /// The scheduler re-plans (event `planning.settings_changed`).
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_power_circuit(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        input: PowerCircuitInput,
    ) -> async_graphql::Result<PowerCircuitObj> {
        let id = id.as_ref().map(|i| id_arg(i, "power circuit")).transpose()?;
        let draft = CircuitDraft {
            name: input.name,
            limit_watts: input.limit_watts,
            max_heatups: input.max_heatups,
            heatup_window_minutes: input.heatup_window_minutes,
            printer_ids: input
                .printer_ids
                .iter()
                .map(|p| id_arg(p, "printer").map(PrinterId))
                .collect::<async_graphql::Result<_>>()?,
        };
        let c = settings::save_circuit(ctx.data::<Db>()?, &caller(ctx)?, gantry_app::now(), id, &draft)
            .await
            .map_err(app_error)?;
        Ok(c.into())
    }

    /// Deletes a power circuit (its printers are then on none). Returns true.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn delete_power_circuit(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let id = id_arg(&id, "power circuit")?;
        settings::delete_circuit(ctx.data::<Db>()?, &caller(ctx)?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(true)
    }

    /// Sets the draw of a printer model. Refused when a limited circuit would then be below one
    /// of its printers' draw (`POWER_LIMIT_BELOW_DRAW`) or a value is out of range.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_printer_model_power(
        &self,
        ctx: &Context<'_>,
        input: ModelPowerObj,
    ) -> async_graphql::Result<ModelPowerObj> {
        let m = ModelPower {
            model: input.model,
            draw: Draw {
                heatup_watts: input.heatup_watts,
                heatup_minutes: input.heatup_minutes,
                printing_watts: input.printing_watts,
            },
        };
        let m = settings::save_model_power(ctx.data::<Db>()?, &caller(ctx)?, gantry_app::now(), &m)
            .await
            .map_err(app_error)?;
        Ok(m.into())
    }

    /// Sets the stability settings. A horizon that ends before the freeze window is
    /// `PLANNING_FREEZE_CONTRADICTS`; a value out of range `PLANNING_VALUE_OUT_OF_RANGE`.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_planning_settings(
        &self,
        ctx: &Context<'_>,
        input: SettingsObj,
    ) -> async_graphql::Result<SettingsObj> {
        let s = PlanningSettings {
            freeze_minutes: input.freeze_minutes,
            stability_horizon_minutes: input.stability_horizon_minutes,
            stability_penalty: input.stability_penalty,
            stability_tolerance_minutes: input.stability_tolerance_minutes,
        };
        let s = settings::save_settings(ctx.data::<Db>()?, &caller(ctx)?, gantry_app::now(), &s)
            .await
            .map_err(app_error)?;
        Ok(s.into())
    }
}
