//! Equipment: printers (status, loaded material) and maintenance (plans, windows, log).
//! Reading needs `equipment:read`, writing `equipment:write`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::Duration;
use gantry_app::{Db, equipment, fleet};
use gantry_engine::domain::equipment::{
    Dimensions, MaintenanceLogEntry, MaintenancePlan, MaintenanceWindow, NewMaintenancePlan, NewPrinter,
    Printer, PrinterStatus, Technology, WindowState,
};
use gantry_engine::domain::types::{MaintenanceWindowId, MaterialId, PrinterId};
use gantry_engine::domain::users::Permission;

use super::connection::{MoneyInput, MoneyObj, Ts, id_arg, invalid, mirror_enum};
use super::error::{ApiError, app_error};
use super::fleet::{PrinterTelemetryObj, TelemetryPointObj};
use super::inventory::{MaterialKindGql, MaterialNode};
use super::loaders::{count, loaders};
use super::principal::{AnyPermissionGuard, PermissionGuard, caller};
use gantry_actors::messages::{Command, ControlError};
use gantry_engine::error::ErrorKind;

mirror_enum!(
    /// Printing technology.
    TechnologyGql as "Technology" = Technology { Fdm, Sla, Sls }
);
mirror_enum!(
    /// Operational status of a printer.
    PrinterStatusGql as "PrinterStatus" = PrinterStatus { Idle, Printing, Paused, NeedsBedClearing, Error, Offline, Maintenance }
);
mirror_enum!(
    /// State of a maintenance window.
    WindowStateGql as "WindowState" = WindowState { Planned, Done, Cancelled }
);

/// Build volume in millimetres.
#[derive(SimpleObject, InputObject, Debug, Clone, Copy)]
#[graphql(input_name = "DimensionsInput")]
pub struct DimensionsObj {
    pub x_mm: i64,
    pub y_mm: i64,
    pub z_mm: i64,
}

/// A printer of the farm.
pub struct PrinterNode(pub Printer);

/// A printer of the farm.
#[Object(name = "Printer")]
impl PrinterNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn model(&self) -> &str {
        &self.0.model
    }
    async fn technology(&self) -> TechnologyGql {
        self.0.technology.into()
    }
    async fn build_volume(&self) -> DimensionsObj {
        let d = self.0.build_volume;
        DimensionsObj {
            x_mm: d.x_mm,
            y_mm: d.y_mm,
            z_mm: d.z_mm,
        }
    }
    async fn nozzle_um(&self) -> i64 {
        self.0.nozzle_um
    }
    async fn materials(&self) -> Vec<MaterialKindGql> {
        self.0.materials.iter().map(|m| (*m).into()).collect()
    }
    /// Speed relative to nominal, in percent (150 = 1.5× faster).
    async fn speed_factor_pct(&self) -> i64 {
        self.0.speed_factor_pct
    }
    async fn hourly_cost(&self) -> MoneyObj {
        self.0.hourly_cost.into()
    }
    async fn status(&self) -> PrinterStatusGql {
        self.0.status.into()
    }
    async fn loaded_material_id(&self) -> Option<ID> {
        self.0.loaded_material_id.map(|m| ID(m.0.to_string()))
    }
    async fn loaded_material(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MaterialNode>> {
        match self.0.loaded_material_id {
            Some(m) => Ok(loaders(ctx)?.materials.load(ctx, m).await?.map(MaterialNode)),
            None => Ok(None),
        }
    }
    async fn print_minutes_total(&self) -> i64 {
        self.0.print_minutes_total
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    /// Its group (a room, a rack, a line), for filtering; null: ungrouped.
    async fn group(&self) -> Option<&str> {
        self.0.group.as_deref()
    }
    /// When it was retired (`retirePrinter`); null for a printer of the farm.
    async fn retired_at(&self) -> Option<Ts> {
        self.0.retired_at.map(Ts)
    }
    /// What the printer's agent last said (its `hello` and latest status); null when no agent
    /// ever connected for this printer.
    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PrinterAgentObj>> {
        let t = telemetry_of(ctx, self.0.id).await?;
        Ok(t.map(|t| PrinterAgentObj {
            software: t.agent,
            capabilities: t.capabilities,
            loaded_material: t.loaded_material,
            reported_state: t.reported_state,
            last_seen_at: Ts(t.last_seen_at),
        }))
    }

    /// What the printer last reported: temperatures (actual and target), progress, layer, time
    /// left, filament runout, its own error. Null when no agent ever reported for it.
    async fn telemetry(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PrinterTelemetryObj>> {
        Ok(telemetry_of(ctx, self.0.id).await?.map(PrinterTelemetryObj::from))
    }

    /// The printer's readings since `since` (at most the last 24 hours are kept), oldest first,
    /// downsampled to at most `maxPoints` points (1–500) for charts.
    async fn telemetry_history(
        &self,
        ctx: &Context<'_>,
        since: Ts,
        #[graphql(default = 200)] max_points: i64,
    ) -> async_graphql::Result<Vec<TelemetryPointObj>> {
        if !(1..=fleet::MAX_HISTORY_POINTS as i64).contains(&max_points) {
            return Err(invalid(
                format!("maxPoints must be 1 to {}", fleet::MAX_HISTORY_POINTS),
                "TELEMETRY_BAD_MAX_POINTS",
            ));
        }
        count(ctx);
        let points = fleet::telemetry_history(
            ctx.data::<Db>()?,
            self.0.id,
            since.0,
            max_points as usize,
            gantry_app::now(),
        )
        .await
        .map_err(app_error)?;
        Ok(points.into_iter().map(TelemetryPointObj::from).collect())
    }

    /// Where the latest camera snapshot of the printer is served (a JPEG; same bearer token as
    /// `/graphql`, `equipment:read`), null when its agent never sent one.
    async fn snapshot_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let t = telemetry_of(ctx, self.0.id).await?;
        Ok(t.and_then(|t| t.snapshot_at)
            .map(|_| crate::snapshots::printer_snapshot_path(self.0.id.0)))
    }

    /// When the latest camera snapshot was taken.
    async fn snapshot_taken_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ts>> {
        let t = telemetry_of(ctx, self.0.id).await?;
        Ok(t.and_then(|t| t.snapshot_at).map(Ts))
    }
}

/// What the printer's agent last reported (one read per field that needs it).
async fn telemetry_of(ctx: &Context<'_>, id: PrinterId) -> async_graphql::Result<Option<fleet::Telemetry>> {
    count(ctx);
    equipment::agent_telemetry(ctx.data::<Db>()?, id)
        .await
        .map_err(app_error)
}

/// A printer's agent as it last reported itself.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PrinterAgent")]
pub struct PrinterAgentObj {
    /// Agent software and backend from its `hello`, e.g. `gantry-agent/0.1 octoprint`.
    pub software: String,
    /// Capabilities from its `hello`.
    pub capabilities: Vec<String>,
    /// The material code the agent reported loaded in its `hello` (null: not reported). When
    /// it names a material the printer can print, `Printer.loadedMaterial` follows it.
    pub loaded_material: Option<String>,
    /// The state it last reported (`idle`, `printing`, `paused`, `needs_bed_clearing`, `error`).
    pub reported_state: String,
    pub last_seen_at: Ts,
}

/// A pause / resume / cancel through the live farm: the printer must exist, its agent be
/// connected and confirm; errors are typed (`extensions.reason`).
async fn control(ctx: &Context<'_>, printer_id: &ID, command: Command) -> async_graphql::Result<PrinterNode> {
    let id = PrinterId(id_arg(printer_id, "printer")?);
    let db = ctx.data::<Db>()?;
    // Not found before anything else.
    count(ctx);
    equipment::printer(db, id).await.map_err(app_error)?;
    let Some(farm) = ctx.data_opt::<gantry_actors::Farm>() else {
        return Err(control_error(&ControlError::Stopped));
    };
    farm.control(id, command).await.map_err(|e| control_error(&e))?;
    count(ctx);
    let p = equipment::printer(db, id).await.map_err(app_error)?;
    Ok(PrinterNode(p))
}

fn control_error(e: &ControlError) -> async_graphql::Error {
    let kind = match e {
        ControlError::Stopped | ControlError::Timeout { .. } => ErrorKind::Internal,
        _ => ErrorKind::Conflict,
    };
    ApiError {
        kind,
        reason: e.code(),
        message: e.to_string(),
    }
    .into()
}

/// A recurring maintenance plan of a printer.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MaintenancePlan")]
pub struct PlanObj {
    pub id: ID,
    pub printer_id: ID,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    pub duration_minutes: i64,
    pub last_done_at: Ts,
    pub last_done_print_minutes: i64,
}

impl From<MaintenancePlan> for PlanObj {
    fn from(p: MaintenancePlan) -> Self {
        PlanObj {
            id: ID(p.id.0.to_string()),
            printer_id: ID(p.printer_id.0.to_string()),
            name: p.name,
            every_print_hours: p.every_print_hours,
            every_days: p.every_days,
            duration_minutes: p.duration_minutes,
            last_done_at: Ts(p.last_done_at),
            last_done_print_minutes: p.last_done_print_minutes,
        }
    }
}

/// A maintenance window: the printer is unavailable in `[startsAt, endsAt)`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MaintenanceWindow")]
pub struct WindowObj {
    pub id: ID,
    pub printer_id: ID,
    pub plan_id: Option<ID>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub reason: String,
    pub state: WindowStateGql,
}

impl From<MaintenanceWindow> for WindowObj {
    fn from(w: MaintenanceWindow) -> Self {
        WindowObj {
            id: ID(w.id.0.to_string()),
            printer_id: ID(w.printer_id.0.to_string()),
            plan_id: w.plan_id.map(|p| ID(p.0.to_string())),
            starts_at: Ts(w.starts_at),
            ends_at: Ts(w.ends_at),
            reason: w.reason,
            state: w.state.into(),
        }
    }
}

/// Maintenance performed on a printer.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MaintenanceLogEntry")]
pub struct LogObj {
    pub id: ID,
    pub printer_id: ID,
    pub plan_id: Option<ID>,
    pub performed_at: Ts,
    pub performed_by: Option<ID>,
    pub note: String,
}

impl From<MaintenanceLogEntry> for LogObj {
    fn from(l: MaintenanceLogEntry) -> Self {
        LogObj {
            id: ID(l.id.to_string()),
            printer_id: ID(l.printer_id.0.to_string()),
            plan_id: l.plan_id.map(|p| ID(p.0.to_string())),
            performed_at: Ts(l.performed_at),
            performed_by: l.performed_by.map(|u| ID(u.0.to_string())),
            note: l.note,
        }
    }
}

#[derive(Default)]
pub struct EquipmentQuery;

#[Object]
impl EquipmentQuery {
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn printers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PrinterNode>> {
        count(ctx);
        let all = equipment::printers(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(all.into_iter().map(PrinterNode).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn printer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PrinterNode> {
        let id = PrinterId(id_arg(&id, "printer")?);
        count(ctx);
        let p = equipment::printer(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(PrinterNode(p))
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn maintenance_plans(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
    ) -> async_graphql::Result<Vec<PlanObj>> {
        let id = PrinterId(id_arg(&printer_id, "printer")?);
        count(ctx);
        let all = equipment::maintenance_plans(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Windows of a printer (or, without `printerId`, of every printer) overlapping
    /// `[from, to)` (default: the next 30 days).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn maintenance_windows(
        &self,
        ctx: &Context<'_>,
        printer_id: Option<ID>,
        from: Option<Ts>,
        to: Option<Ts>,
    ) -> async_graphql::Result<Vec<WindowObj>> {
        let id = match &printer_id {
            Some(p) => Some(PrinterId(id_arg(p, "printer")?)),
            None => None,
        };
        let now = gantry_app::now();
        let from = from.map_or(now, |t| t.0);
        let to = to.map_or(from + Duration::days(30), |t| t.0);
        count(ctx);
        let all = equipment::maintenance_windows(ctx.data::<Db>()?, id, from, to)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn maintenance_log(&self, ctx: &Context<'_>, printer_id: ID) -> async_graphql::Result<Vec<LogObj>> {
        let id = PrinterId(id_arg(&printer_id, "printer")?);
        count(ctx);
        let all = equipment::maintenance_log(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject, Debug, Clone)]
pub struct CreatePrinterInput {
    pub name: String,
    pub model: String,
    pub technology: TechnologyGql,
    pub build_volume: DimensionsObj,
    #[graphql(default = 400)]
    pub nozzle_um: i64,
    pub materials: Vec<MaterialKindGql>,
    #[graphql(default = 100)]
    pub speed_factor_pct: i64,
    pub hourly_cost: MoneyInput,
}

#[derive(InputObject, Debug, Clone)]
pub struct CreateMaintenancePlanInput {
    pub printer_id: ID,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    pub duration_minutes: i64,
}

#[derive(Default)]
pub struct EquipmentMutation;

#[Object]
impl EquipmentMutation {
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn create_printer(
        &self,
        ctx: &Context<'_>,
        input: CreatePrinterInput,
    ) -> async_graphql::Result<PrinterNode> {
        let v = input.build_volume;
        let new = NewPrinter {
            name: input.name,
            model: input.model,
            technology: input.technology.into(),
            build_volume: Dimensions::new(v.x_mm, v.y_mm, v.z_mm),
            nozzle_um: input.nozzle_um,
            materials: input.materials.into_iter().map(Into::into).collect(),
            speed_factor_pct: input.speed_factor_pct,
            hourly_cost: input.hourly_cost.to_money()?,
        };
        let now = gantry_app::now();
        let p = equipment::create_printer(ctx.data::<Db>()?, now, &new)
            .await
            .map_err(app_error)?;
        // A new printer (idle): its status, and the farm's capacity changed.
        Ok(PrinterNode(p))
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn set_printer_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: PrinterStatusGql,
    ) -> async_graphql::Result<PrinterNode> {
        let id = PrinterId(id_arg(&id, "printer")?);
        let now = gantry_app::now();
        let p = equipment::set_status(ctx.data::<Db>()?, now, id, status.into())
            .await
            .map_err(app_error)?
            .printer;
        // The printer's actor takes the status set by hand (e.g. no work while in maintenance).
        if let Some(farm) = ctx.data_opt::<gantry_actors::Farm>() {
            farm.status_set(id, p.status).await;
        }
        Ok(PrinterNode(p))
    }

    /// Loads a material on a printer (`materialId: null` unloads).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn load_material(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
        material_id: Option<ID>,
    ) -> async_graphql::Result<PrinterNode> {
        let id = PrinterId(id_arg(&printer_id, "printer")?);
        let m = material_id
            .as_ref()
            .map(|m| id_arg(m, "material").map(MaterialId))
            .transpose()?;
        let now = gantry_app::now();
        let p = equipment::load_material(ctx.data::<Db>()?, now, id, m)
            .await
            .map_err(app_error)?;
        // The loaded material is the printer's first setup in the plan.
        Ok(PrinterNode(p))
    }

    /// Asks the printer's agent to pause the running print; answers once the agent confirmed
    /// and the printer is `PAUSED` (committed). `CONFLICT` when no agent is connected
    /// (`PRINTER_NO_AGENT`), the printer is not printing (`PRINTER_NOT_PRINTING`) or already
    /// paused (`PRINTER_STATE_CONFLICT`).
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionOperate, Permission::ProductionPlan])")]
    async fn pause_print(&self, ctx: &Context<'_>, printer_id: ID) -> async_graphql::Result<PrinterNode> {
        control(ctx, &printer_id, Command::Pause).await
    }

    /// Asks the printer's agent to resume a paused print (see `pausePrint`).
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionOperate, Permission::ProductionPlan])")]
    async fn resume_print(&self, ctx: &Context<'_>, printer_id: ID) -> async_graphql::Result<PrinterNode> {
        control(ctx, &printer_id, Command::Resume).await
    }

    /// Asks the printer's agent to cancel the running (or paused) print. Once the agent
    /// confirms, the job ends like a failed print with `reason` ("cancelled from Gantry: …"):
    /// material used up to its progress is consumed and the rest released, and the plate is
    /// reprinted while under `GANTRY_MAX_REPRINTS` (else its order is flagged). The printer
    /// then needs its bed cleared.
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionOperate, Permission::ProductionPlan])")]
    async fn cancel_print(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
        reason: String,
    ) -> async_graphql::Result<PrinterNode> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(invalid("reason must be 1 to 500 characters", "INVALID_REASON"));
        }
        control(ctx, &printer_id, Command::Cancel { reason }).await
    }

    /// Gives the job a printer was handed and has not started back to the queue (its material
    /// is released; the next plan places it on another printer). Nothing handed out: nothing
    /// changes. `CONFLICT` (`PRINTER_JOB_STARTED`) when the printer is printing a job: cancel
    /// that print instead. Setting a printer to `MAINTENANCE` releases its job the same way.
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionOperate, Permission::ProductionPlan])")]
    async fn release_printer_job(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
    ) -> async_graphql::Result<PrinterNode> {
        let id = PrinterId(id_arg(&printer_id, "printer")?);
        let change = equipment::release_printer_job(ctx.data::<Db>()?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(PrinterNode(change.printer))
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn create_maintenance_plan(
        &self,
        ctx: &Context<'_>,
        input: CreateMaintenancePlanInput,
    ) -> async_graphql::Result<PlanObj> {
        let new = NewMaintenancePlan {
            printer_id: PrinterId(id_arg(&input.printer_id, "printer")?),
            name: input.name,
            every_print_hours: input.every_print_hours,
            every_days: input.every_days,
            duration_minutes: input.duration_minutes,
        };
        let p = equipment::create_maintenance_plan(ctx.data::<Db>()?, gantry_app::now(), &new)
            .await
            .map_err(app_error)?;
        Ok(p.into())
    }

    /// Generates the windows of every plan due within `horizonDays` (1–365, default 30).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn generate_maintenance_windows(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] horizon_days: i64,
    ) -> async_graphql::Result<Vec<WindowObj>> {
        if !(1..=365).contains(&horizon_days) {
            return Err(invalid("horizonDays must be 1 to 365", "INVALID_HORIZON"));
        }
        let now = gantry_app::now();
        let end = now + Duration::days(horizon_days);
        let w = equipment::generate_maintenance_windows(ctx.data::<Db>()?, now, end)
            .await
            .map_err(app_error)?;
        Ok(w.into_iter().map(Into::into).collect())
    }

    /// Schedules an ad-hoc maintenance window.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn schedule_maintenance(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
        starts_at: Ts,
        duration_minutes: i64,
        #[graphql(default)] reason: String,
    ) -> async_graphql::Result<WindowObj> {
        let id = PrinterId(id_arg(&printer_id, "printer")?);
        let now = gantry_app::now();
        let db = ctx.data::<Db>()?;
        let w = equipment::schedule_maintenance(db, now, id, starts_at.0, duration_minutes, &reason)
            .await
            .map_err(app_error)?;
        Ok(w.into())
    }

    /// Completes a planned window (writes the maintenance log).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn complete_maintenance(
        &self,
        ctx: &Context<'_>,
        window_id: ID,
        #[graphql(default)] note: String,
    ) -> async_graphql::Result<LogObj> {
        let caller = caller(ctx)?;
        let id = MaintenanceWindowId(id_arg(&window_id, "maintenance window")?);
        let now = gantry_app::now();
        let l = equipment::complete_maintenance(ctx.data::<Db>()?, now, &caller, id, &note)
            .await
            .map_err(app_error)?;
        Ok(l.into())
    }

    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn cancel_maintenance_window(
        &self,
        ctx: &Context<'_>,
        window_id: ID,
    ) -> async_graphql::Result<WindowObj> {
        let id = MaintenanceWindowId(id_arg(&window_id, "maintenance window")?);
        let now = gantry_app::now();
        let w = equipment::cancel_maintenance_window(ctx.data::<Db>()?, now, id)
            .await
            .map_err(app_error)?;
        Ok(w.into())
    }
}
