//! From the farm's state to a persisted plan: read the inputs, hold jobs without stock,
//! translate to the solver's problem, solve off the arbiter threads, and map the plan back.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gantry_engine::domain::planning::{
    PlanningInput, PlanningProblem, at_minute, build_problem, exclude_rejections, split_held,
};
use gantry_engine::domain::production::{Job, JobState};
use gantry_engine::domain::types::{JobId, MaterialId, PrinterId};
use gantry_engine::store::live::{self, PlanWrite, held_by_jobs};
use gantry_engine::store::{Db, StoreError, inventory, planning};
use gantry_solver::{Method, SolveOptions};

/// A solved plan with what it was computed from.
#[derive(Debug, Clone)]
pub struct SolvedPlan {
    /// Minute 0 of the plan.
    pub now: DateTime<Utc>,
    pub input: PlanningInput,
    pub plan: gantry_solver::Plan,
    /// Jobs held back before solving (material not in stock), with the reason.
    pub held: Vec<(JobId, String)>,
}

impl SolvedPlan {
    /// The plan in the database's terms.
    pub fn to_write(&self) -> PlanWrite {
        let jobs: BTreeMap<i64, &Job> = self.input.jobs.iter().map(|j| (j.id.0, j)).collect();
        let mut schedule = Vec::new();
        for a in &self.plan.assignments {
            let (Ok(job), Ok(printer)) = (a.job.parse::<i64>(), a.printer.parse::<i64>()) else {
                continue;
            };
            if jobs.contains_key(&job) {
                schedule.push((JobId(job), PrinterId(printer), at_minute(self.now, a.start)));
            }
        }
        let unschedule = self
            .plan
            .unscheduled
            .iter()
            .filter_map(|u| {
                let id = u.job.parse::<i64>().ok()?;
                jobs.contains_key(&id).then(|| (JobId(id), u.reason.clone()))
            })
            .collect();
        PlanWrite {
            schedule,
            unschedule,
            hold: self.held.clone(),
        }
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the solver failed: {0}")]
    Solver(String),
}

/// The solver's problem for the engine's problem.
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
        operator_shifts: None,
        horizon: None,
        objective: gantry_solver::ObjectiveWeights {
            makespan: 1.0,
            weighted_tardiness: 1.0,
            setups: 0.1,
        },
    }
}

/// Solves `input` at `now` on a blocking thread (never on an arbiter thread).
pub async fn solve_input(
    now: DateTime<Utc>,
    input: PlanningInput,
    time_limit: f64,
) -> Result<gantry_solver::Plan, PlanError> {
    solve_problem(build_problem(now, &input), time_limit).await
}

/// Solves an engine problem on a blocking thread.
async fn solve_problem(problem: PlanningProblem, time_limit: f64) -> Result<gantry_solver::Plan, PlanError> {
    let problem = to_solver(&problem);
    let opts = SolveOptions {
        time_limit,
        method: Method::Auto,
        seed: 0,
        max_iterations: None,
    };
    tokio::task::spawn_blocking(move || gantry_solver::solve(&problem, &opts))
        .await
        .map_err(|e| PlanError::Solver(e.to_string()))?
        .map_err(|e| PlanError::Solver(e.to_string()))
}

/// Reads the farm, holds jobs whose material is not in stock, pins jobs handed to a printer
/// but not started yet (`in_flight`: they keep their printer busy and are not moved), keeps
/// each job off the printers that rejected it (held when every printer that could print it
/// did), and solves.
pub async fn compute(
    db: &Db,
    now: DateTime<Utc>,
    in_flight: &BTreeMap<JobId, PrinterId>,
    time_limit: f64,
) -> Result<SolvedPlan, PlanError> {
    let mut conn = db.pool().acquire().await.map_err(StoreError::from)?;
    let mut input = planning::planning_input(&mut conn, now).await?;
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
    let (solve_input_, held) = split_held(now, &input, &rejected, &available);
    let mut problem = build_problem(now, &solve_input_);
    // Takes the refusing printers out of the planned jobs' choices.
    exclude_rejections(&mut problem, &rejected);
    let plan = solve_problem(problem, time_limit).await?;
    Ok(SolvedPlan {
        now,
        input: solve_input_,
        plan,
        held,
    })
}
