//! Production: jobs (one per plate), the queue, the current plan per printer from the solver,
//! and the job lifecycle. Reading needs `production:read`; planning `production:plan`; running
//! the printers `production:operate`.
//!
//! Every field calls one use case of `gantry_app::production` or `gantry_app::planning` (the
//! one planning route): `plan` reads the newest persisted plan, `planWhatIf` solves without
//! writing, `replanNow` solves and persists exactly as the scheduler does.

use async_graphql::{Context, ID, Object, SimpleObject};
use gantry_app::planning::{self, PlanView};
use gantry_app::production::{self, JobFilter};
use gantry_app::{Db, now};
use gantry_engine::domain::production::{Job, JobEvent, JobState};
use gantry_engine::domain::types::{JobId, OrderId, PrinterId};
use gantry_engine::domain::users::Permission;
use gantry_engine::error::ErrorKind;

use super::app_error;
use super::connection::{Conn, IdOrder, PageArgs, Ts, id_arg, invalid, mirror_enum, ts};
use super::equipment::PrinterNode;
use super::error::ApiError;
use super::loaders::{count, loaders};
use super::principal::{PermissionGuard, caller};

mirror_enum!(
    /// State of a print job.
    JobStateGql as "JobState" = JobState { Queued, Scheduled, Printing, Done, Failed, Requeued, Abandoned, Cancelled }
);

/// How many times a failed plate is reprinted automatically before a person decides, when no
/// live farm runs (otherwise `GANTRY_MAX_REPRINTS`).
pub const MAX_REPRINTS: u32 = 2;
/// Default and largest solver time budget for `plan` / `replanNow`, seconds.
pub const DEFAULT_PLAN_SECONDS: f64 = 2.0;
pub const MAX_PLAN_SECONDS: f64 = 30.0;

/// A print job: one plate of an order line.
pub struct JobNode(pub Job);

/// A print job: one plate of an order line.
#[Object(name = "Job")]
impl JobNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn order_id(&self) -> ID {
        ID(self.0.order_id.0.to_string())
    }
    async fn order_line_id(&self) -> ID {
        ID(self.0.order_line_id.0.to_string())
    }
    async fn plate_no(&self) -> i64 {
        self.0.plate_no
    }
    async fn attempt(&self) -> i64 {
        self.0.attempt
    }
    async fn retry_of(&self) -> Option<ID> {
        self.0.retry_of.map(|j| ID(j.0.to_string()))
    }
    async fn copies(&self) -> i64 {
        self.0.copies
    }
    async fn material_id(&self) -> ID {
        ID(self.0.material_id.0.to_string())
    }
    async fn grams(&self) -> i64 {
        self.0.grams
    }
    async fn est_minutes(&self) -> i64 {
        self.0.est_minutes
    }
    async fn state(&self) -> JobStateGql {
        self.0.state.into()
    }
    async fn printer_id(&self) -> Option<ID> {
        self.0.printer_id.map(|p| ID(p.0.to_string()))
    }
    async fn printer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PrinterNode>> {
        match self.0.printer_id {
            Some(p) => Ok(loaders(ctx)?.printers.load(ctx, p).await?.map(PrinterNode)),
            None => Ok(None),
        }
    }
    async fn priority(&self) -> i64 {
        self.0.priority
    }
    async fn due_at(&self) -> Option<Ts> {
        ts(self.0.due_at)
    }
    async fn planned_start(&self) -> Option<Ts> {
        ts(self.0.planned_start)
    }
    async fn started_at(&self) -> Option<Ts> {
        ts(self.0.started_at)
    }
    async fn finished_at(&self) -> Option<Ts> {
        ts(self.0.finished_at)
    }
    async fn progress_pct(&self) -> i64 {
        self.0.progress_pct
    }
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn updated_at(&self) -> Ts {
        Ts(self.0.updated_at)
    }
    /// The recorded transitions, oldest first.
    /// Camera pictures of the job's printer taken when it started, ended or failed
    /// (`production:read`), oldest first.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn snapshots(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<super::fleet::JobSnapshotObj>> {
        count(ctx);
        let snaps = gantry_app::fleet::job_snapshots(ctx.data::<Db>()?, self.0.id)
            .await
            .map_err(app_error)?;
        Ok(snaps.into_iter().map(Into::into).collect())
    }

    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<JobEventObj>> {
        count(ctx);
        let e = production::job_events(ctx.data::<Db>()?, self.0.id)
            .await
            .map_err(app_error)?;
        Ok(e.into_iter().map(Into::into).collect())
    }
}

/// One transition of a job.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "JobEvent")]
pub struct JobEventObj {
    pub from: Option<JobStateGql>,
    pub to: JobStateGql,
    pub at: Ts,
    pub note: String,
}

impl From<JobEvent> for JobEventObj {
    fn from(e: JobEvent) -> Self {
        JobEventObj {
            from: e.from.map(Into::into),
            to: e.to.into(),
            at: Ts(e.at),
            note: e.note,
        }
    }
}

/// One job placed on a printer by the plan.
#[derive(SimpleObject, Debug, Clone)]
pub struct PlannedJob {
    pub job_id: ID,
    pub order_id: ID,
    /// When printing starts (after `setupMinutes` of material change).
    pub start: Ts,
    pub end: Ts,
    pub setup_minutes: i64,
    pub due_at: Option<Ts>,
    /// Ends after its due date.
    pub late: bool,
    /// Why the solver put it on this printer at this time (null in plans recorded before).
    pub reason: Option<PlanReason>,
    /// Its material (null in plans recorded before).
    pub material_id: Option<ID>,
    /// Its setup class, the material's code (e.g. `PLA-BLK`): jobs of one class follow each
    /// other without a changeover (null in plans recorded before).
    pub setup_class: Option<String>,
    /// A planner pinned it to this printer (`scheduleJob`); `unpinJob` releases it.
    pub pinned: bool,
}

/// Why a planned job is where it is, from the solver's own timing.
#[derive(SimpleObject, Debug, Clone)]
pub struct PlanReason {
    /// `only_printer` (no other printer can print it), `material_loaded` (its material is
    /// loaded: no changeover), `earliest_finish` (no other printer would finish it earlier),
    /// `least_cost` (another would finish it earlier, at a higher cost to the plan) or `search`.
    pub printer: String,
    /// Only when it ends after its due date: `release`, `availability`, `shifts`,
    /// `maintenance`, `capacity` (other jobs occupy its printers) or `power` (circuit limits).
    pub late: Option<String>,
    /// One sentence (times in minutes from the plan's start).
    pub text: String,
}

/// One objective term: its value in the plan, a proved lower bound, and the relative gap.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TermBound {
    pub value: f64,
    pub bound: f64,
    pub gap: f64,
}

/// The plan's objective terms, each with its lower bound and gap, and the total.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct PlanBounds {
    pub makespan_minutes: TermBound,
    pub weighted_tardiness: TermBound,
    pub setup_minutes: TermBound,
    pub total: TermBound,
}

/// The plan of one printer, in start order.
#[derive(SimpleObject, Debug, Clone)]
pub struct PrinterPlan {
    pub printer_id: ID,
    pub jobs: Vec<PlannedJob>,
}

/// A job the plan could not place, and why.
#[derive(SimpleObject, Debug, Clone)]
pub struct UnscheduledJob {
    pub job_id: ID,
    pub reason: String,
}

/// A production plan computed by the solver.
#[derive(SimpleObject, Debug, Clone)]
pub struct ProductionPlan {
    /// The persisted plan's id (`planChanged.revision`); null for a what-if solve.
    pub id: Option<ID>,
    /// When the plan was made: the time its minute 0 refers to.
    pub computed_at: Ts,
    pub printers: Vec<PrinterPlan>,
    pub unscheduled: Vec<UnscheduledJob>,
    /// Objective value of the plan (makespan + weighted tardiness + setups, minutes).
    pub objective: f64,
    pub makespan_minutes: i64,
    /// A proved lower bound of the objective.
    pub lower_bound: f64,
    /// `(objective - lowerBound) / objective`; 0 when proved optimal.
    pub gap: f64,
    /// The algorithm that produced the plan.
    pub method: String,
    /// `optimal`, `feasible` or `infeasible` (some jobs unscheduled).
    pub status: String,
    pub solve_ms: i64,
    /// Every objective term with its lower bound and gap (null in plans recorded before).
    pub bounds: Option<PlanBounds>,
    /// What the plan changed against the previous plan (null for the first plan).
    pub stability: Option<PlanStability>,
    /// A what-if scenario's effect on the orders' due dates (`planWhatIf` with `rushOrder`
    /// and/or `printerDown`; null otherwise).
    pub impact: Option<super::planning::PlanImpact>,
}

/// What a plan changed against the previous plan.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct PlanStability {
    /// Jobs kept in place by the freeze window (`planningSettings.freezeMinutes`).
    pub frozen: i64,
    /// Jobs the previous plan started within the stability horizon that moved to another
    /// printer or later than the tolerance.
    pub moved: i64,
    /// Jobs of the previous plan (still planned) now on another printer or starting more than
    /// the tolerance earlier or later.
    pub changed: i64,
}

pub(crate) fn internal() -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    async_graphql::Error::new("internal error").extend_with(|_, e| {
        e.set("code", "INTERNAL");
        e.set("reason", "INTERNAL");
    })
}

fn time_limit(seconds: Option<f64>) -> async_graphql::Result<f64> {
    let seconds = seconds.unwrap_or(DEFAULT_PLAN_SECONDS);
    if !(seconds > 0.0 && seconds <= MAX_PLAN_SECONDS) {
        return Err(invalid(
            format!("timeLimitSeconds must be in (0, {MAX_PLAN_SECONDS}]"),
            "INVALID_TIME_LIMIT",
        ));
    }
    Ok(seconds)
}

/// The application layer's plan view as GraphQL shows it.
fn plan_object(v: PlanView) -> ProductionPlan {
    ProductionPlan {
        id: (v.id > 0).then(|| ID(v.id.to_string())),
        computed_at: Ts(v.computed_at),
        printers: v
            .printers
            .into_iter()
            .map(|p| PrinterPlan {
                printer_id: ID(p.printer_id.0.to_string()),
                jobs: p
                    .jobs
                    .into_iter()
                    .map(|j| PlannedJob {
                        job_id: ID(j.job_id.0.to_string()),
                        order_id: ID(j.order_id.0.to_string()),
                        start: Ts(j.start),
                        end: Ts(j.end),
                        setup_minutes: j.setup_minutes,
                        due_at: ts(j.due_at),
                        late: j.late,
                        reason: j.reason.map(|r| PlanReason {
                            printer: r.printer,
                            late: r.late,
                            text: r.text,
                        }),
                        material_id: j.material_id.map(|m| ID(m.0.to_string())),
                        setup_class: j.setup_class,
                        pinned: j.pinned,
                    })
                    .collect(),
            })
            .collect(),
        unscheduled: v
            .unscheduled
            .into_iter()
            .map(|u| UnscheduledJob {
                job_id: ID(u.job_id.0.to_string()),
                reason: u.reason,
            })
            .collect(),
        objective: v.objective,
        makespan_minutes: v.makespan_minutes,
        lower_bound: v.lower_bound,
        gap: v.gap,
        method: v.method,
        status: v.status,
        solve_ms: v.solve_ms,
        stability: v.stability.map(|s| PlanStability {
            frozen: s.frozen,
            moved: s.moved,
            changed: s.changed,
        }),
        impact: None,
        bounds: v.bounds.map(|b| {
            let t = |t: gantry_app::planning::TermBound| TermBound {
                value: t.value,
                bound: t.bound,
                gap: t.gap,
            };
            PlanBounds {
                makespan_minutes: t(b.makespan),
                weighted_tardiness: t(b.weighted_tardiness),
                setup_minutes: t(b.setups),
                total: t(b.total),
            }
        }),
    }
}

/// Jobs done and failed on one UTC day.
#[derive(SimpleObject)]
#[graphql(name = "DayThroughput")]
pub struct DayThroughputOut {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub done: i64,
    pub failed: i64,
}

#[derive(Default)]
pub struct ProductionQuery;

#[Object]
impl ProductionQuery {
    /// Jobs, by id, optionally filtered by state, order or printer.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IdOrder>,
        state: Option<JobStateGql>,
        order_id: Option<ID>,
        printer_id: Option<ID>,
    ) -> async_graphql::Result<Conn<JobNode>> {
        let page = PageArgs::new(first, after, last, before, order_by).check()?;
        let filter = JobFilter {
            state: state.map(Into::into),
            order_id: order_id
                .as_ref()
                .map(|o| id_arg(o, "order").map(OrderId))
                .transpose()?,
            printer_id: printer_id
                .as_ref()
                .map(|p| id_arg(p, "printer").map(PrinterId))
                .transpose()?,
        };
        count(ctx);
        let all = production::jobs(ctx.data::<Db>()?, &filter)
            .await
            .map_err(app_error)?;
        Ok(page.slice(all, |j| j.id.0, JobNode))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        count(ctx);
        Ok(JobNode(
            production::job(ctx.data::<Db>()?, id).await.map_err(app_error)?,
        ))
    }

    /// Jobs done and failed per UTC day over the last `days` days (1–90, today last).
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn throughput(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 7)] days: i32,
    ) -> async_graphql::Result<Vec<DayThroughputOut>> {
        let max = gantry_engine::domain::production::THROUGHPUT_DAYS_MAX;
        let days = u32::try_from(days)
            .ok()
            .filter(|d| (1..=max).contains(d))
            .ok_or_else(|| invalid(format!("days must be 1 to {max}"), "THROUGHPUT_DAYS_INVALID"))?;
        let all = production::throughput(ctx.data::<Db>()?, now(), days)
            .await
            .map_err(app_error)?;
        Ok(all
            .into_iter()
            .map(|d| DayThroughputOut {
                day: d.day.format("%Y-%m-%d").to_string(),
                done: d.done,
                failed: d.failed,
            })
            .collect())
    }

    /// Jobs waiting to print (queued and scheduled): highest priority first, then earliest due
    /// date, then oldest.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<JobNode>> {
        count(ctx);
        let jobs = production::queue(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(jobs.into_iter().map(JobNode).collect())
    }

    /// The current plan: the newest plan the scheduler (or `replanNow`) persisted, with its
    /// lower bound, gap and the time it was made; null before the first. Reads only.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductionPlan>> {
        let db = ctx.data::<Db>()?;
        Ok(planning::current(db).await.map_err(app_error)?.map(plan_object))
    }

    /// A what-if solve: what a re-plan would make of the farm as it is now (held and refused
    /// jobs included), within `timeLimitSeconds`. With `rushOrder` (a would-be order) and/or
    /// `printerDown` (a printer down from/until), the farm is solved without and with them side
    /// by side (each within `timeLimitSeconds`) and `impact` lists which orders would become
    /// late and by how much; the plan returned is the one with the scenario. Writes nothing;
    /// `plan` is unchanged.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn plan_what_if(
        &self,
        ctx: &Context<'_>,
        time_limit_seconds: Option<f64>,
        rush_order: Option<super::planning::RushOrderInput>,
        printer_down: Option<super::planning::PrinterDownInput>,
    ) -> async_graphql::Result<ProductionPlan> {
        let seconds = time_limit(time_limit_seconds)?;
        let db = ctx.data::<Db>()?;
        if rush_order.is_none() && printer_down.is_none() {
            return Ok(plan_object(
                planning::what_if(db, seconds).await.map_err(app_error)?,
            ));
        }
        let scenario = super::planning::scenario(rush_order, printer_down)?;
        let w = planning::impact::what_if(db, &caller(ctx)?, seconds, &scenario)
            .await
            .map_err(app_error)?;
        let impact = super::planning::PlanImpact::of(&w);
        Ok(ProductionPlan {
            impact: Some(impact),
            ..plan_object(w.plan)
        })
    }
}

#[derive(Default)]
pub struct ProductionMutation;

#[Object]
impl ProductionMutation {
    /// Releases a job's pin (set by `scheduleJob`): the plans that follow place it freely
    /// again (event `job.unpinned`, which re-plans). A job without a pin is answered unchanged.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn unpin_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::unpin_job(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    /// Assigns a waiting job to a printer with a planned start and pins it there: the plans
    /// that follow keep it on that printer, not before that time, while it waits (event
    /// `job.pinned`, which re-plans). A pin to a printer that cannot print it is ignored by the
    /// planner.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn schedule_job(
        &self,
        ctx: &Context<'_>,
        id: ID,
        printer_id: ID,
        planned_start: Ts,
    ) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let printer = PrinterId(id_arg(&printer_id, "printer")?);
        let j = production::schedule_job(
            ctx.data::<Db>()?,
            &caller(ctx)?,
            now(),
            id,
            printer,
            planned_start.0,
        )
        .await
        .map_err(app_error)?;
        Ok(JobNode(j))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn start_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::start_job(ctx.data::<Db>()?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn report_job_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
        pct: i64,
    ) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::report_progress(ctx.data::<Db>()?, now(), id, pct)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    /// Completes a printing job; returns the job (the order moves on when fully printed).
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn complete_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let c = production::complete_job(ctx.data::<Db>()?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(JobNode(c.job))
    }

    /// Fails a printing job; returns the reprint when one was queued, else the failed job.
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn fail_job(&self, ctx: &Context<'_>, id: ID, reason: String) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let max_reprints = ctx
            .data_opt::<gantry_actors::Farm>()
            .map_or(MAX_REPRINTS, |f| f.config().max_reprints);
        let f = production::fail_job(ctx.data::<Db>()?, now(), id, &reason, max_reprints)
            .await
            .map_err(app_error)?;
        Ok(JobNode(f.reprint.unwrap_or(f.job)))
    }

    /// Requeues a failed job by hand (a new attempt).
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn requeue_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::requeue_job(ctx.data::<Db>()?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    /// Changes a waiting (queued or scheduled) job's priority, -1000 to 1000 (higher first);
    /// the scheduler re-plans. A printing or finished job is `JOB_NOT_WAITING`.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_job_priority(
        &self,
        ctx: &Context<'_>,
        id: ID,
        priority: i64,
    ) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::set_job_priority(ctx.data::<Db>()?, &caller(ctx)?, now(), id, priority)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn cancel_job(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] note: String,
    ) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let j = production::cancel_job(ctx.data::<Db>()?, now(), id, &note)
            .await
            .map_err(app_error)?;
        Ok(JobNode(j))
    }

    /// Solves the plan now and persists it in one transaction, exactly as the scheduler does:
    /// every placed queued/scheduled job gets its printer and planned start and holds its
    /// material; jobs whose material is not in stock or that every able printer refused are
    /// held (listed in `unscheduled` with the reason); a scheduled job the plan cannot place goes
    /// back to the queue. Returns the persisted plan (the new `plan`).
    // With a live farm its scheduler runs it (one solve at a time, and ready printers get
    // their next job); without one, the same planning route runs here.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn replan_now(
        &self,
        ctx: &Context<'_>,
        time_limit_seconds: Option<f64>,
    ) -> async_graphql::Result<ProductionPlan> {
        let seconds = time_limit(time_limit_seconds)?;
        let db = ctx.data::<Db>()?;
        let Some(farm) = ctx.data_opt::<gantry_actors::Farm>() else {
            let replanned = planning::replan(db, None, seconds, None)
                .await
                .map_err(app_error)?;
            return Ok(plan_object(replanned.view));
        };
        // A follower asks the leader (over the mesh) and answers with the plan it wrote.
        match farm.replan_anywhere(seconds).await {
            Ok(gantry_actors::ReplanAt::Here(r)) => Ok(plan_object(r.view)),
            Ok(gantry_actors::ReplanAt::Leader) => match planning::current(db).await.map_err(app_error)? {
                Some(view) => Ok(plan_object(view)),
                None => Err(internal()),
            },
            Err(gantry_actors::FarmError::NotLeader) => Err(ApiError {
                kind: ErrorKind::Conflict,
                reason: "NOT_LEADER",
                message: "no replica leads the scheduler right now (a leader takes over within the lease); ask again"
                    .into(),
            }
            .into()),
            Err(e) => {
                tracing::error!(error = %e, "re-plan through the live farm failed");
                Err(internal())
            }
        }
    }
}
