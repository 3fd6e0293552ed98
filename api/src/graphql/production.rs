//! Production: jobs (one per plate), the queue, the current plan per printer from the solver,
//! and the job lifecycle. Reading needs `production:read`; planning `production:plan`; running
//! the printers `production:operate`.
//!
//! `plan` builds a solver problem from the database (`gantry_engine::store::planning` gathers
//! the inputs, `gantry_engine::domain::planning::build_problem` translates them), solves it on
//! a blocking thread with a short time limit and returns it; it writes nothing. `replanNow`
//! solves the same way and persists the result with `schedule_job` in one transaction.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object, SimpleObject};
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::planning::{PlanningInput, at_minute};
use gantry_engine::domain::production::{Job, JobEvent, JobState};
use gantry_engine::domain::types::{JobId, OrderId, PrinterId};
use gantry_engine::domain::users::Permission;
use gantry_engine::store::{planning, production};

use super::connection::{Conn, IdOrder, PageArgs, Ts, id_arg, invalid, mirror_enum, ts};
use super::equipment::PrinterNode;
use super::gql_error;
use super::loaders::{command, loaders, read};
use super::principal::PermissionGuard;

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
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<JobEventObj>> {
        let id = self.0.id;
        let e = read!(ctx, c => production::job_events(c, id));
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
    /// The time the plan's minute 0 refers to.
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
}

/// What a solved plan means for the jobs: (job, printer, planned start) in the database's terms.
struct Solved {
    plan: ProductionPlan,
    schedule: Vec<(JobId, PrinterId, chrono::DateTime<chrono::Utc>)>,
    /// Scheduled jobs the new plan could not place, with the reason: taken off their printer.
    unschedule: Vec<(JobId, String)>,
}

pub(crate) fn internal() -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    async_graphql::Error::new("internal error").extend_with(|_, e| {
        e.set("code", "INTERNAL");
        e.set("reason", "INTERNAL");
    })
}

/// Reads the inputs and solves on a blocking thread (writes nothing).
async fn solve_now(ctx: &Context<'_>, seconds: Option<f64>) -> async_graphql::Result<Solved> {
    let seconds = time_limit(seconds)?;
    let now = gantry_engine::store::now();
    let input = read!(ctx, c => planning::planning_input(c, now));
    let plan = gantry_actors::plan::solve_input(now, input.clone(), seconds)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "solver failed on the problem built from the database");
            internal()
        })?;
    Ok(view(now, &input, &plan, &[]))
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

/// Maps a solver plan back to ids and times; `held` are jobs held back before solving (e.g.
/// material not in stock), reported as unscheduled with their reason.
fn view(
    now: chrono::DateTime<chrono::Utc>,
    input: &PlanningInput,
    plan: &gantry_solver::Plan,
    held: &[(JobId, String)],
) -> Solved {
    let jobs: BTreeMap<i64, &Job> = input.jobs.iter().map(|j| (j.id.0, j)).collect();
    let mut per_printer: BTreeMap<i64, Vec<PlannedJob>> =
        input.printers.iter().map(|p| (p.id.0, Vec::new())).collect();
    let mut schedule = Vec::new();
    for a in &plan.assignments {
        let (Ok(job_id), Ok(printer_id)) = (a.job.parse::<i64>(), a.printer.parse::<i64>()) else {
            continue;
        };
        let Some(job) = jobs.get(&job_id) else { continue };
        let start = at_minute(now, a.start);
        let end = at_minute(now, a.end);
        schedule.push((JobId(job_id), PrinterId(printer_id), start));
        per_printer.entry(printer_id).or_default().push(PlannedJob {
            job_id: ID(job_id.to_string()),
            order_id: ID(job.order_id.0.to_string()),
            start: Ts(start),
            end: Ts(end),
            setup_minutes: a.setup,
            due_at: ts(job.due_at),
            late: job.due_at.is_some_and(|d| end > d),
        });
    }
    for v in per_printer.values_mut() {
        v.sort_by_key(|j| j.start);
    }
    let unschedule = plan
        .unscheduled
        .iter()
        .filter_map(|u| {
            let id = u.job.parse::<i64>().ok()?;
            let job = jobs.get(&id)?;
            (job.state == JobState::Scheduled).then(|| (JobId(id), u.reason.clone()))
        })
        .collect();
    let status = match plan.status {
        gantry_solver::Status::Optimal if held.is_empty() => "optimal",
        gantry_solver::Status::Optimal | gantry_solver::Status::Feasible if held.is_empty() => "feasible",
        _ => "infeasible",
    };
    let mut unscheduled: Vec<UnscheduledJob> = plan
        .unscheduled
        .iter()
        .map(|u| UnscheduledJob {
            job_id: ID(u.job.clone()),
            reason: u.reason.clone(),
        })
        .collect();
    unscheduled.extend(held.iter().map(|(j, why)| UnscheduledJob {
        job_id: ID(j.0.to_string()),
        reason: why.clone(),
    }));
    Solved {
        plan: ProductionPlan {
            computed_at: Ts(now),
            printers: per_printer
                .into_iter()
                .map(|(p, jobs)| PrinterPlan {
                    printer_id: ID(p.to_string()),
                    jobs,
                })
                .collect(),
            unscheduled,
            objective: plan.objective.value,
            makespan_minutes: plan.objective.makespan,
            lower_bound: plan.lower_bound,
            gap: plan.gap,
            method: plan.method.clone(),
            status: status.to_string(),
            solve_ms: i64::try_from(plan.solve_ms).unwrap_or(i64::MAX),
        },
        schedule,
        unschedule,
    }
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
        let filter = production::JobFilter {
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
        let all = read!(ctx, c => production::list_jobs(c, &filter));
        Ok(page.slice(all, |j| j.id.0, JobNode))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        Ok(JobNode(read!(ctx, c => production::get_job(c, id))))
    }

    /// Jobs waiting to print (queued and scheduled): highest priority first, then earliest due
    /// date, then oldest.
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<JobNode>> {
        let mut jobs = Vec::new();
        for state in [JobState::Queued, JobState::Scheduled] {
            let filter = production::JobFilter {
                state: Some(state),
                ..Default::default()
            };
            jobs.extend(read!(ctx, c => production::list_jobs(c, &filter)));
        }
        jobs.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
                .then(a.due_at.cmp(&b.due_at))
                .then(a.id.cmp(&b.id))
        });
        Ok(jobs.into_iter().map(JobNode).collect())
    }

    /// The current plan: queued and scheduled jobs placed on printers by the solver (nothing
    /// is written; see `replanNow`).
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn plan(
        &self,
        ctx: &Context<'_>,
        time_limit_seconds: Option<f64>,
    ) -> async_graphql::Result<ProductionPlan> {
        Ok(solve_now(ctx, time_limit_seconds).await?.plan)
    }
}

#[derive(Default)]
pub struct ProductionMutation;

#[Object]
impl ProductionMutation {
    /// Assigns a job to a printer with a planned start.
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
        let now = gantry_engine::store::now();
        let j = command!(ctx, tx => async {
            production::schedule_job(&mut tx, now, id, printer, planned_start.0).await.map_err(gql_error)
        });
        Ok(JobNode(j))
    }

    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn start_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let now = gantry_engine::store::now();
        let j =
            command!(ctx, tx => async { production::start_job(&mut tx, now, id).await.map_err(gql_error) });
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
        let now = gantry_engine::store::now();
        let j = command!(ctx, tx => async { production::report_progress(&mut tx, now, id, pct).await.map_err(gql_error) });
        Ok(JobNode(j))
    }

    /// Completes a printing job; returns the job (the order moves on when fully printed).
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn complete_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let now = gantry_engine::store::now();
        let c = command!(ctx, tx => async { production::complete_job(&mut tx, now, id).await.map_err(gql_error) });
        // The last plate of an order moves it to `ready` (the transition stamps `now`).
        if c.order.status == OrderStatus::Ready
            && c.order.updated_at.timestamp_millis() == now.timestamp_millis()
        {
            super::subscriptions::publish_order_status(ctx, &c.order, now);
        }
        Ok(JobNode(c.job))
    }

    /// Fails a printing job; returns the reprint when one was queued, else the failed job.
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn fail_job(&self, ctx: &Context<'_>, id: ID, reason: String) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let max_reprints = ctx
            .data_opt::<gantry_actors::Farm>()
            .map_or(MAX_REPRINTS, |f| f.config().max_reprints);
        let now = gantry_engine::store::now();
        let f = command!(ctx, tx => async {
            production::fail_job(&mut tx, now, id, &reason, max_reprints).await.map_err(gql_error)
        });
        Ok(JobNode(f.reprint.unwrap_or(f.job)))
    }

    /// Requeues a failed job by hand (a new attempt).
    #[graphql(guard = "PermissionGuard(Permission::ProductionOperate)")]
    async fn requeue_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&id, "job")?);
        let now = gantry_engine::store::now();
        let j =
            command!(ctx, tx => async { production::requeue_job(&mut tx, now, id).await.map_err(gql_error) });
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
        let now = gantry_engine::store::now();
        let j = command!(ctx, tx => async { production::cancel_job(&mut tx, now, id, &note).await.map_err(gql_error) });
        Ok(JobNode(j))
    }

    /// Solves the plan now and writes it in one transaction: every placed queued/scheduled job
    /// gets its printer and planned start; a scheduled job the plan cannot place goes back to
    /// the queue. Returns the plan.
    // When the live farm runs, its scheduler does the writing (the one writer of plans): placed
    // jobs also hold their material, jobs whose material is not in stock are held (listed in
    // `unscheduled` with the reason), and ready printers get their next job.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn replan_now(
        &self,
        ctx: &Context<'_>,
        time_limit_seconds: Option<f64>,
    ) -> async_graphql::Result<ProductionPlan> {
        let seconds = time_limit(time_limit_seconds)?;
        if let Some(farm) = ctx.data_opt::<gantry_actors::Farm>() {
            let r = farm.replan_now(seconds).await.map_err(|e| {
                tracing::error!(error = %e, "re-plan through the live farm failed");
                internal()
            })?;
            return Ok(view(r.solved.now, &r.solved.input, &r.solved.plan, &r.written.held).plan);
        }
        let solved = solve_now(ctx, Some(seconds)).await?;
        let now = gantry_engine::store::now();
        let (schedule, unschedule) = (solved.schedule, solved.unschedule);
        command!(ctx, tx => async {
            for (job, printer, start) in &schedule {
                production::schedule_job(&mut tx, now, *job, *printer, *start).await.map_err(gql_error)?;
            }
            for (job, reason) in &unschedule {
                let note = format!("re-plan: {reason}");
                production::unschedule_job(&mut tx, now, *job, &note).await.map_err(gql_error)?;
            }
            Ok(())
        });
        Ok(solved.plan)
    }
}
