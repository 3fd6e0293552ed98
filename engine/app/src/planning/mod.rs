//! The one planning route: read the farm → hold what cannot run → solve → persist. The
//! scheduler (debounced re-plans), `replanNow` and the quote's earliest delivery all go through
//! here, and here only are solver ids mapped back to database ids ([`SolvedPlan::placements`]).
//!
//! - [`compute`]: reads the planning input, pins jobs handed out but not started, takes out
//!   jobs every able printer refused and jobs without stock (`domain::planning::split_held`),
//!   and solves on a blocking thread.
//! - [`persist`]: writes the plan's jobs (`store::live::persist_plan`), records the plan with
//!   its objective, lower bound and gap (`store::planning::record_plan`, which appends the
//!   `plan.changed` event), one transaction.
//! - [`current`]: the newest persisted plan, as the `plan` query shows it.
//! - [`what_if`]: a solve of the farm as it is now, written nowhere.
//! - [`earliest_delivery`]: when a quote's plates would be done if inserted into the current
//!   plan now (solver repair; nothing written).
//! - [`impact`]: what a rush order or a printer going down would do to the orders' due dates
//!   (two solves, nothing written).
//! - [`settings`]: power circuits, printer models' draw and the stability settings every plan
//!   is made under (`compute` passes them, and the previous plan, to the solver).

pub mod impact;
pub mod settings;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gantry_engine::domain::events::PlanEvent;
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::planning::{
    PlanningInput, PlanningProblem, PreviousPlacement, at_minute, build_problem, exclude_rejections,
    split_held,
};
use gantry_engine::domain::printing::{self, Candidate};
use gantry_engine::domain::production::{Job, JobState};
use gantry_engine::domain::types::{JobId, MaterialId, OrderId, PrinterId};
use gantry_engine::error::ErrorKind;
use gantry_engine::store::live::{self, PlanWrite, PlanWritten, held_by_jobs};
use gantry_engine::store::{Db, StoreError, inventory, planning};
use gantry_solver::{Method, SolveOptions};
use serde::{Deserialize, Serialize};

use crate::lease::Lease;
use crate::{AppError, AppResult, conn};

/// A solved plan with what it was computed from.
#[derive(Debug, Clone)]
pub struct SolvedPlan {
    /// Minute 0 of the plan.
    pub now: DateTime<Utc>,
    pub input: PlanningInput,
    pub plan: gantry_solver::Plan,
    /// Jobs held back before solving (refused everywhere, material not in stock), with the reason.
    pub held: Vec<(JobId, String)>,
}

/// One job the plan places, in the database's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement<'a> {
    pub job: &'a Job,
    pub printer: PrinterId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub setup_minutes: i64,
    /// Why the solver put it there (`None` for a plan that was not explained).
    pub reason: Option<PlanReason>,
}

impl SolvedPlan {
    /// The plan's assignments mapped back to jobs and printers (the one solver → database id
    /// mapping; assignments of jobs not in the input — pinned ones — are left out).
    pub fn placements(&self) -> Vec<Placement<'_>> {
        let jobs: BTreeMap<i64, &Job> = self.input.jobs.iter().map(|j| (j.id.0, j)).collect();
        self.plan
            .assignments
            .iter()
            .filter_map(|a| {
                let job = *jobs.get(&a.job.parse::<i64>().ok()?)?;
                Some(Placement {
                    job,
                    printer: PrinterId(a.printer.parse().ok()?),
                    start: at_minute(self.now, a.start),
                    end: at_minute(self.now, a.end),
                    setup_minutes: a.setup,
                    reason: a.reason.as_ref().map(|r| PlanReason {
                        printer: r.printer.clone(),
                        late: r.late.clone(),
                        text: r.text.clone(),
                    }),
                })
            })
            .collect()
    }

    /// Jobs of the input the solver could not place, with its reason.
    fn unplaced(&self) -> Vec<(&Job, String)> {
        let jobs: BTreeMap<i64, &Job> = self.input.jobs.iter().map(|j| (j.id.0, j)).collect();
        self.plan
            .unscheduled
            .iter()
            .filter_map(|u| Some((*jobs.get(&u.job.parse::<i64>().ok()?)?, u.reason.clone())))
            .collect()
    }

    /// The plan in the store's terms.
    pub fn to_write(&self) -> PlanWrite {
        PlanWrite {
            schedule: self
                .placements()
                .iter()
                .map(|p| (p.job.id, p.printer, p.start))
                .collect(),
            unschedule: self.unplaced().into_iter().map(|(j, why)| (j.id, why)).collect(),
            hold: self.held.clone(),
        }
    }

    /// The plan as planners see it (`id` 0: not persisted).
    pub fn view(&self, id: i64) -> PlanView {
        let mut printers: BTreeMap<PrinterId, Vec<PlannedJob>> =
            self.input.printers.iter().map(|p| (p.id, Vec::new())).collect();
        let codes: BTreeMap<MaterialId, &str> = self
            .input
            .materials
            .iter()
            .map(|m| (m.id, m.code.as_str()))
            .collect();
        for p in self.placements() {
            printers.entry(p.printer).or_default().push(PlannedJob {
                job_id: p.job.id,
                order_id: p.job.order_id,
                start: p.start,
                end: p.end,
                setup_minutes: p.setup_minutes,
                due_at: p.job.due_at,
                late: p.job.due_at.is_some_and(|d| p.end > d),
                reason: p.reason.clone(),
                material_id: Some(p.job.material_id),
                setup_class: codes.get(&p.job.material_id).map(|c| c.to_string()),
                pinned: self.input.pins.iter().any(|pin| pin.job_id == p.job.id),
            });
        }
        for jobs in printers.values_mut() {
            jobs.sort_by_key(|j| (j.start, j.job_id));
        }
        let mut unscheduled: Vec<LeftOut> = self
            .plan
            .unscheduled
            .iter()
            .filter_map(|u| {
                Some(LeftOut {
                    job_id: JobId(u.job.parse().ok()?),
                    reason: u.reason.clone(),
                })
            })
            .collect();
        unscheduled.extend(self.held.iter().map(|(j, why)| LeftOut {
            job_id: *j,
            reason: why.clone(),
        }));
        let status = match self.plan.status {
            gantry_solver::Status::Optimal if unscheduled.is_empty() => "optimal",
            gantry_solver::Status::Optimal | gantry_solver::Status::Feasible if unscheduled.is_empty() => {
                "feasible"
            }
            _ => "infeasible",
        };
        PlanView {
            stability: self.plan.stability.map(|s| PlanStabilityView {
                frozen: s.frozen as i64,
                moved: s.moved as i64,
                changed: s.changed as i64,
            }),
            id,
            computed_at: self.now,
            printers: printers
                .into_iter()
                .map(|(printer_id, jobs)| PrinterPlan { printer_id, jobs })
                .collect(),
            unscheduled,
            objective: self.plan.objective.value,
            makespan_minutes: self.plan.objective.makespan,
            lower_bound: self.plan.lower_bound,
            gap: self.plan.gap,
            method: self.plan.method.clone(),
            status: status.to_string(),
            solve_ms: i64::try_from(self.plan.solve_ms).unwrap_or(i64::MAX),
            bounds: self.plan.bounds.map(|b| {
                let t = |t: gantry_solver::TermBound| TermBound {
                    value: t.value,
                    bound: t.bound,
                    gap: t.gap,
                };
                PlanBounds {
                    makespan: t(b.makespan),
                    weighted_tardiness: t(b.weighted_tardiness),
                    setups: t(b.setups),
                    total: t(b.total),
                }
            }),
        }
    }
}

/// A plan as planners see it: each printer's jobs in start order and each job left out with
/// its reason, with the objective, its proved lower bound and the gap. Persisted as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    /// The persisted plan's id (0 for a what-if solve).
    pub id: i64,
    /// Minute 0 of the plan: when it was made.
    pub computed_at: DateTime<Utc>,
    pub printers: Vec<PrinterPlan>,
    pub unscheduled: Vec<LeftOut>,
    pub objective: f64,
    pub makespan_minutes: i64,
    pub lower_bound: f64,
    pub gap: f64,
    pub method: String,
    /// `optimal`, `feasible` or `infeasible` (some jobs left out).
    pub status: String,
    pub solve_ms: i64,
    /// Each objective term's value, lower bound and gap (absent in plans recorded before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<PlanBounds>,
    /// What the plan changed against the previous plan (absent for the first plan and in plans
    /// recorded before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<PlanStabilityView>,
}

/// What a plan changed against the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStabilityView {
    /// Jobs kept in place by the freeze window.
    pub frozen: i64,
    /// Jobs the previous plan started within the stability horizon that moved to another
    /// printer or later than the tolerance (each paid the penalty).
    pub moved: i64,
    /// Jobs of the previous plan (still planned) on another printer or starting more than the
    /// tolerance earlier or later.
    pub changed: i64,
}

/// Why the solver placed a job where it is (codes of `docs/solver.md`, "Why").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReason {
    /// `only_printer`, `material_loaded`, `earliest_finish`, `least_cost` or `search`.
    pub printer: String,
    /// When it ends after its due date: `release`, `availability`, `shifts`, `maintenance`,
    /// `capacity` or `power`.
    pub late: Option<String>,
    /// One sentence (times in minutes from the plan's start, printers by id).
    pub text: String,
}

/// One objective term of a plan: its value, a proved lower bound, and the relative gap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TermBound {
    pub value: f64,
    pub bound: f64,
    pub gap: f64,
}

/// The plan's objective terms (unweighted: minutes, weighted tardiness, setup minutes) and the
/// total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanBounds {
    pub makespan: TermBound,
    pub weighted_tardiness: TermBound,
    pub setups: TermBound,
    pub total: TermBound,
}

/// One printer's planned jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterPlan {
    pub printer_id: PrinterId,
    pub jobs: Vec<PlannedJob>,
}

/// One job placed by the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedJob {
    pub job_id: JobId,
    pub order_id: OrderId,
    /// When printing starts (after `setup_minutes` of material change).
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub setup_minutes: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub late: bool,
    /// Why it is there (absent in plans recorded before reasons existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<PlanReason>,
    /// Its material (absent in plans recorded before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_id: Option<MaterialId>,
    /// Its setup class: the material's code (absent in plans recorded before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_class: Option<String>,
    /// Pinned to its printer by a planner (`scheduleJob`) when the plan was made.
    #[serde(default)]
    pub pinned: bool,
}

/// A job the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    pub job_id: JobId,
    pub reason: String,
}

/// The solver's problem for the engine's problem (database ids become the solver's string ids;
/// [`SolvedPlan::placements`] maps them back).
pub fn to_solver(p: &PlanningProblem) -> gantry_solver::Problem {
    let classes = p.setup_classes.clone();
    let matrix: Vec<Vec<i64>> = (0..classes.len())
        .map(|a| {
            (0..classes.len())
                .map(|b| if a == b { 0 } else { p.change_minutes })
                .collect()
        })
        .collect();
    gantry_solver::Problem {
        printers: p
            .printers
            .iter()
            .map(|pr| gantry_solver::Printer {
                id: pr.id.0.to_string(),
                available_from: pr.available_from,
                initial_setup_class: pr.initial_setup_class.clone(),
                unavailable: pr.unavailable.clone(),
                power: p.power.get(&pr.id).map(|d| gantry_solver::Power {
                    heatup_watts: d.heatup_watts,
                    heatup_minutes: d.heatup_minutes,
                    printing_watts: d.printing_watts,
                }),
            })
            .collect(),
        setup_times: p
            .printers
            .iter()
            .map(|pr| (pr.id.0.to_string(), matrix.clone()))
            .collect(),
        setup_classes: classes,
        jobs: p
            .jobs
            .iter()
            .map(|j| gantry_solver::Job {
                id: j.id.0.to_string(),
                setup_class: j.setup_class.clone(),
                durations: j.durations.iter().map(|(pr, d)| (pr.0.to_string(), *d)).collect(),
                release: j.release,
                due: j.due,
                weight: j.weight,
            })
            .collect(),
        operator_shifts: p.operator_shifts.clone(),
        horizon: None,
        objective: gantry_solver::ObjectiveWeights {
            makespan: 1.0,
            weighted_tardiness: 1.0,
            setups: 0.1,
        },
        circuits: p
            .circuits
            .iter()
            .map(|c| gantry_solver::Circuit {
                id: c.name.clone(),
                printers: c.printers.iter().map(|p| p.0.to_string()).collect(),
                limit_watts: c.limit_watts,
                max_heatups: c.max_heatups,
                heatup_window: c.heatup_window_minutes,
            })
            .collect(),
        stability: p.stability.as_ref().map(|s| gantry_solver::stability::Stability {
            previous: s
                .previous
                .iter()
                .map(|(j, p, start)| gantry_solver::stability::Previous {
                    job: j.0.to_string(),
                    printer: p.0.to_string(),
                    start: *start,
                })
                .collect(),
            freeze_until: s.freeze_until,
            horizon: s.horizon,
            penalty: s.penalty,
            tolerance: s.tolerance,
        }),
    }
}

fn solver_failed(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "the solver failed on the problem built from the database");
    AppError::refused(ErrorKind::Internal, "INTERNAL", "internal error")
}

/// Solves an engine problem on a blocking thread (never on an async worker or arbiter thread).
pub(crate) async fn solve_problem(
    problem: PlanningProblem,
    time_limit: f64,
) -> AppResult<gantry_solver::Plan> {
    let problem = to_solver(&problem);
    let opts = SolveOptions {
        time_limit,
        method: Method::Auto,
        seed: 0,
        max_iterations: None,
    };
    tokio::task::spawn_blocking(move || gantry_solver::solve(&problem, &opts))
        .await
        .map_err(solver_failed)?
        .map_err(solver_failed)
}

/// Reads the farm, pins jobs handed to a printer but not started yet (`in_flight`: they keep
/// their printer busy and are not moved), holds jobs every printer that could print them
/// refused and jobs whose material is not in stock, keeps each job off the printers that
/// refused it, and solves.
pub async fn compute(
    db: &Db,
    now: DateTime<Utc>,
    in_flight: &BTreeMap<JobId, PrinterId>,
    time_limit: f64,
) -> AppResult<SolvedPlan> {
    let prepared = prepare(db, now, in_flight).await?;
    let plan = solve_problem(prepared.problem.clone(), time_limit).await?;
    Ok(prepared.solved(plan))
}

/// What [`compute`] solves: the plan's input (held jobs taken out), the held jobs, and the
/// problem.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub now: DateTime<Utc>,
    pub input: PlanningInput,
    pub held: Vec<(JobId, String)>,
    pub problem: PlanningProblem,
}

impl Prepared {
    pub fn solved(self, plan: gantry_solver::Plan) -> SolvedPlan {
        SolvedPlan {
            now: self.now,
            input: self.input,
            plan,
            held: self.held,
        }
    }
}

/// Reads and prepares what [`compute`] solves (see there).
pub(crate) async fn prepare(
    db: &Db,
    now: DateTime<Utc>,
    in_flight: &BTreeMap<JobId, PrinterId>,
) -> AppResult<Prepared> {
    let mut conn = conn(db).await?;
    let mut input = planning::planning_input(&mut conn, now).await?;
    input.previous = previous_placements(&mut conn).await?;
    // Jobs in flight: treated like printing jobs on their printer from now.
    let (pinned, rest): (Vec<Job>, Vec<Job>) = input
        .jobs
        .into_iter()
        .partition(|j| in_flight.get(&j.id).is_some_and(|p| j.printer_id == Some(*p)));
    input.jobs = rest;
    for mut j in pinned {
        j.state = JobState::Printing;
        j.started_at = Some(now);
        input.printing.push(j);
    }
    // Stock: what the candidates may use is on hand minus what other jobs hold.
    let candidates: Vec<JobId> = input.jobs.iter().map(|j| j.id).collect();
    let theirs = held_by_jobs(&mut conn, &candidates).await?;
    let rejected = live::rejections(&mut conn).await?;
    let levels = inventory::stock_summary(&mut conn).await?;
    drop(conn);
    let available: BTreeMap<MaterialId, i64> = levels
        .iter()
        .map(|l| {
            let own = theirs.get(&l.material_id).copied().unwrap_or(0);
            (l.material_id, l.on_hand - l.reserved + own)
        })
        .collect();
    // Refused jobs first (they hold no stock), then jobs without stock (one pure decision).
    let (solve_input, held) = split_held(now, &input, &rejected, &available);
    let mut problem = build_problem(now, &solve_input);
    exclude_rejections(&mut problem, &rejected);
    Ok(Prepared {
        now,
        input: solve_input,
        held,
        problem,
    })
}

/// Where the newest persisted plan put its jobs (empty before the first plan, or when its
/// record cannot be read: the re-plan then runs without stability).
async fn previous_placements(conn: &mut gantry_engine::store::PoolConn) -> AppResult<Vec<PreviousPlacement>> {
    let Some(record) = planning::latest_plan(conn).await? else {
        return Ok(Vec::new());
    };
    let view: PlanView = match serde_json::from_str(&record.body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(plan = record.id, error = %e, "previous plan unreadable; re-planning without stability");
            return Ok(Vec::new());
        }
    };
    Ok(view
        .printers
        .iter()
        .flat_map(|p| {
            p.jobs.iter().map(|j| PreviousPlacement {
                job_id: j.job_id,
                printer_id: p.printer_id,
                start: j.start,
            })
        })
        .collect())
}

/// A persisted plan: what was solved, how it was written, and its id.
#[derive(Debug, Clone)]
pub struct Replanned {
    pub solved: SolvedPlan,
    pub written: PlanWritten,
    pub view: PlanView,
}

/// Writes a solved plan and records it, in one transaction (see the module docs). With a
/// `lease` (the scheduler leader's), the write is fenced: refused with `NOT_LEADER` when
/// another replica took the lease over.
pub async fn persist(db: &Db, solved: SolvedPlan, lease: Option<&Lease>) -> AppResult<Replanned> {
    let write = solved.to_write();
    let mut tx = db.begin().await?;
    crate::lease::fence_opt(&mut tx, lease).await?;
    let written = live::persist_plan(&mut tx, solved.now, &write).await?;
    // The record shows what was written: holds found while writing (a reservation that failed)
    // join the plan's own.
    let mut recorded = solved.clone();
    recorded.held = written.held.clone();
    let held: std::collections::BTreeSet<JobId> = recorded.held.iter().map(|(j, _)| *j).collect();
    recorded
        .plan
        .assignments
        .retain(|a| a.job.parse::<i64>().is_ok_and(|j| !held.contains(&JobId(j))));
    recorded
        .plan
        .unscheduled
        .retain(|u| u.job.parse::<i64>().is_ok_and(|j| !held.contains(&JobId(j))));
    let mut view = recorded.view(0);
    let body = serde_json::to_string(&view)
        .map_err(|e| StoreError::corrupt("plans", format!("plan not serialisable: {e}")))?;
    let summary = PlanEvent {
        plan_id: 0,
        scheduled: i64::try_from(written.scheduled).unwrap_or(i64::MAX),
        unscheduled: i64::try_from(written.unscheduled).unwrap_or(i64::MAX),
        held: i64::try_from(written.held.len()).unwrap_or(i64::MAX),
        objective: view.objective,
        lower_bound: view.lower_bound,
        gap: view.gap,
    };
    view.id = planning::record_plan(&mut tx, solved.now, &body, summary).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Replanned {
        solved,
        written,
        view,
    })
}

/// Compute and persist: the re-plan the scheduler runs (fenced by its `lease`), and
/// `replanNow` without a live farm (then nothing is in flight but what the store records as
/// handed out).
pub async fn replan(
    db: &Db,
    in_flight: Option<&BTreeMap<JobId, PrinterId>>,
    time_limit: f64,
    lease: Option<&Lease>,
) -> AppResult<Replanned> {
    let now = gantry_engine::store::now();
    let stored;
    let in_flight = match in_flight {
        Some(f) => f,
        None => {
            let mut conn = conn(db).await?;
            stored = live::handovers(&mut conn).await?;
            &stored
        }
    };
    let solved = compute(db, now, in_flight, time_limit).await?;
    persist(db, solved, lease).await
}

/// The newest persisted plan (`None` before the first).
pub async fn current(db: &Db) -> AppResult<Option<PlanView>> {
    let mut conn = conn(db).await?;
    let Some(record) = planning::latest_plan(&mut conn).await? else {
        return Ok(None);
    };
    let mut view: PlanView = serde_json::from_str(&record.body)
        .map_err(|e| StoreError::corrupt("plans", format!("plan {}: {e}", record.id)))?;
    view.id = record.id;
    Ok(Some(view))
}

/// Solves the farm as it is now, exactly as a re-plan would, and writes nothing.
pub async fn what_if(db: &Db, time_limit: f64) -> AppResult<PlanView> {
    let now = gantry_engine::store::now();
    let mut conn = conn(db).await?;
    let in_flight = live::handovers(&mut conn).await?;
    drop(conn);
    Ok(compute(db, now, &in_flight, time_limit).await?.view(0))
}

/// When a quote's plates would be done if inserted into the current plan now (solver repair,
/// nothing committed): `Err(reason)` when there is no date (no planned printer can print them,
/// or the plates cannot be placed).
pub async fn earliest_delivery(
    db: &Db,
    now: DateTime<Utc>,
    quantity: i64,
    chosen: &[Candidate],
    material: &Material,
) -> AppResult<Result<DateTime<Utc>, String>> {
    let mut conn = conn(db).await?;
    let input = planning::planning_input(&mut conn, now).await?;
    drop(conn);
    let mut problem = build_problem(now, &input);
    let current = printing::current_assignments(&problem, &input);
    // The quote's plates join the engine's problem (and its material the setup classes), so the
    // one translation to the solver's problem covers them; the last plate is the repair event.
    let planned: Vec<_> = problem.printers.iter().map(|p| p.id).collect();
    let new_jobs = printing::quote_jobs(quantity, chosen, material, None, &planned);
    if new_jobs.is_empty() {
        return Ok(Err(
            "no printer that can print it is available for planning (maintenance, offline or error)".into(),
        ));
    }
    let ours: Vec<String> = new_jobs.iter().map(|j| j.id.0.to_string()).collect();
    if !problem.setup_classes.contains(&material.code) {
        problem.setup_classes.push(material.code.clone());
    }
    problem.jobs.extend(new_jobs);
    let mut solver_problem = to_solver(&problem);
    let Some(last) = solver_problem.jobs.pop() else {
        return Ok(Err("nothing to plan".into()));
    };
    let plan = gantry_solver::Plan {
        status: gantry_solver::Status::Feasible,
        assignments: current
            .iter()
            .map(|(j, p, start, end)| gantry_solver::Assignment {
                job: j.0.to_string(),
                printer: p.0.to_string(),
                start: *start,
                end: *end,
                setup: 0,
                reason: None,
            })
            .collect(),
        unscheduled: Vec::new(),
        objective: gantry_solver::ObjectiveValue {
            makespan: 0,
            weighted_tardiness: 0.0,
            setups: 0,
            value: 0.0,
            stability: 0.0,
        },
        lower_bound: 0.0,
        gap: 0.0,
        solve_ms: 0,
        method: "current".into(),
        bounds: None,
        stability: None,
    };
    let event = gantry_solver::repair::Event::JobAdded { at: 0, job: last };
    let opts = SolveOptions {
        time_limit: 0.0,
        method: Method::Heuristic,
        seed: 0,
        max_iterations: Some(0),
    };
    let repaired = tokio::task::spawn_blocking(move || {
        gantry_solver::repair::repair(&solver_problem, &plan, &event, &opts)
    })
    .await
    .map_err(solver_failed)?;
    let repaired = match repaired {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "delivery planning failed; quoting without a date");
            return Ok(Err(format!("the plan could not take the plates: {e}")));
        }
    };
    if let Some(u) = repaired.plan.unscheduled.iter().find(|u| ours.contains(&u.job)) {
        return Ok(Err(format!("a plate cannot be placed: {}", u.reason)));
    }
    Ok(repaired
        .plan
        .assignments
        .iter()
        .filter(|a| ours.contains(&a.job))
        .map(|a| a.end)
        .max()
        .map(|end| at_minute(now, end))
        .ok_or_else(|| "the plan placed none of the plates".to_string()))
}
