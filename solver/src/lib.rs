//! Gantry production scheduler.
//!
//! Assigns and sequences print jobs on printers to minimise
//! `makespan·w1 + Σ weight·tardiness·w2 + setup_minutes·w3` under release dates, eligibility,
//! sequence-dependent setups, maintenance windows and operator shifts. See `docs/solver.md`.
//!
//! Pure: no I/O; the only clock use is the time-limit check. Deterministic for a given seed when
//! the run is not cut by the time limit (use [`SolveOptions::max_iterations`] for reproducible runs).

pub mod anytime;
pub mod bound;
pub mod bp;
pub mod check;
pub mod classplan;
pub mod dp;
pub mod greedy;
pub mod heuristic;
pub mod milp;
pub mod plan;
pub mod power;
pub mod problem;
pub mod repair;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stability;
pub mod why;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use check::{CheckReport, Violation, check};
pub use plan::{Assignment, ObjectiveValue, Plan, Sequences, Status, Unscheduled};
pub use problem::{Circuit, Instance, Job, ObjectiveWeights, Power, Printer, Problem, ProblemError};
pub use repair::{Event, EventError, Repaired, repair};
pub use report::{Bounds, Solved, TermBound};

/// Which algorithm to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Up to [`bp::BP_MAX_JOBS`] schedulable jobs: a local-search warm start, then the exact
    /// path (DP / branch-and-price, within the memory budget; the column method and the compact
    /// MILP up to [`MILP_MAX_JOBS`]); above: the local search. Whatever is left of the budget
    /// when these stop without a proof goes to restarts of the local search
    /// ([`anytime::restarts`]): `auto` ends early only with a proved optimum.
    #[default]
    Auto,
    /// Greedy dispatch (the baseline).
    Greedy,
    /// Constructive + ruin-and-recreate local search until the time limit.
    Heuristic,
    /// The exact path, warm-started by the heuristic: DP (≤ 16 jobs), branch-and-price (every
    /// objective, ≤ 64 jobs), the column method and the HiGHS MILP when it does not apply.
    Milp,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Method::Auto),
            "greedy" => Ok(Method::Greedy),
            "heuristic" => Ok(Method::Heuristic),
            "milp" => Ok(Method::Milp),
            other => Err(format!(
                "unknown method {other:?} (expected auto, greedy, heuristic or milp)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveOptions {
    /// Wall-clock budget in seconds.
    pub time_limit: f64,
    pub method: Method,
    pub seed: u64,
    /// Cap on local-search iterations (for reproducible runs independent of machine speed).
    pub max_iterations: Option<u64>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: 10.0,
            method: Method::Auto,
            seed: 0,
            max_iterations: None,
        }
    }
}

/// Largest instance for which the column (set-partitioning) method is tried.
pub const COLUMNS_MAX_JOBS: usize = 24;

/// Local-search iterations (at most; also ≤ 20 % of the time limit) before the exact path.
const WARM_ITERATIONS: u64 = 30_000;

/// The warm start stops after this many iterations without improvement.
const WARM_STALL: u64 = 5_000;

/// Largest instance (jobs) for which the compact MILP (and, under `auto`, the column method) is
/// tried when branch-and-price does not apply. `auto` runs the exact path up to
/// [`bp::BP_MAX_JOBS`] jobs; whether branch-and-price keeps going is decided by its measured
/// pricing size (the memory budget) and the clock, not by this constant.
pub const MILP_MAX_JOBS: usize = 20;

/// With [`SolveOptions::max_iterations`], branch-and-price may explore one node per this many
/// iterations (at least one).
const BP_NODE_ITERATIONS: u64 = 100;

/// Under `auto`, the share of the budget the warm start may use above [`MILP_MAX_JOBS`] jobs.
const AUTO_WARM_SHARE: f64 = 0.3;

/// Under `auto` with [`SolveOptions::max_iterations`], the root may price this many labels per
/// iteration (the deterministic counterpart of [`AUTO_BP_ROOT_SHARE`]).
const BP_ROOT_LABELS_PER_ITERATION: u64 = 200;

/// Under `auto`, branch-and-price gives up unless its root is done within this share of the
/// budget (measured at 5 × 30 farms: the root's column generation does not converge in 10 s).
const AUTO_BP_ROOT_SHARE: f64 = 0.2;

/// A restart stops after `stall / RESTART_STALL_DIVISOR` iterations without improvement (the
/// first search's stall limit divided: more, shorter restarts).
const RESTART_STALL_DIVISOR: u64 = 4;

/// Share of the budget (at most [`ENTRY_SETUP_MAX_SECS`]) the setup-entry MILP may use when
/// setup minutes are the whole objective (its solution is then the search's best start).
const ENTRY_SETUP_SHARE: f64 = 0.3;

/// Cap of [`ENTRY_SETUP_SHARE`] in seconds.
const ENTRY_SETUP_MAX_SECS: f64 = 10.0;

/// Under `auto`, branch-and-price stops at this share of the budget (the rest goes to
/// restarts of the local search when it has not proved the plan optimal).
const AUTO_BP_SHARE: f64 = 0.85;

/// Memory budget of the exact path under `Method::Auto` (what the server's on-line `plan` uses):
/// the DP and the column enumeration give up (and the MILP takes over) rather than exceed it.
pub const AUTO_MEMORY_BYTES: usize = 64 << 20;

/// Memory budget of the exact path when `Method::Milp` is asked for explicitly (CLI, benchmarks:
/// a proof is wanted and the caller owns the machine).
pub const EXACT_MEMORY_BYTES: usize = 1 << 30;

/// Knobs beyond [`SolveOptions`] (kept separate so that `SolveOptions` literals elsewhere stay
/// valid). [`Tuning::for_method`] gives the defaults [`solve`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Memory budget (bytes) of the exact path's tables (DP states, enumerated columns); the
    /// DP and the column method give up rather than exceed it. The heuristic's memory is linear
    /// in the instance and not counted.
    pub max_bytes: usize,
    /// One exact large-neighbourhood step every this many local-search iterations (0: off).
    pub lns_period: u64,
}

impl Tuning {
    /// Defaults: [`AUTO_MEMORY_BYTES`] except for an explicit `Method::Milp`
    /// ([`EXACT_MEMORY_BYTES`]); LNS every [`heuristic::LNS_PERIOD`] iterations.
    pub fn for_method(method: Method) -> Tuning {
        Tuning {
            max_bytes: match method {
                Method::Milp => EXACT_MEMORY_BYTES,
                _ => AUTO_MEMORY_BYTES,
            },
            lns_period: heuristic::LNS_PERIOD,
        }
    }
}

/// Solve `problem`. Only malformed input is an error; jobs that cannot be placed come back in
/// `unscheduled` with a reason. Uses [`Tuning::for_method`].
pub fn solve(problem: &Problem, opts: &SolveOptions) -> Result<Plan, ProblemError> {
    solve_tuned(problem, opts, &Tuning::for_method(opts.method))
}

/// [`solve`] with explicit [`Tuning`].
pub fn solve_tuned(problem: &Problem, opts: &SolveOptions, tuning: &Tuning) -> Result<Plan, ProblemError> {
    let t0 = Instant::now();
    let inst = Instance::new(problem)?;
    let mut plan = if inst.stability.frozen.is_empty() {
        solve_instance_tuned(&inst, opts, t0, tuning)
    } else {
        stability::solve_frozen(problem, &inst, opts, tuning, t0)?
    };
    plan.stability = stability::report(&inst, &plan);
    Ok(plan)
}

fn deadline(t0: Instant, secs: f64) -> Instant {
    t0 + Duration::from_secs_f64(secs.clamp(0.0, 1e7))
}

/// Solve a validated instance; `t0` is when the time budget started.
pub fn solve_instance(inst: &Instance, opts: &SolveOptions, t0: Instant) -> Plan {
    solve_instance_tuned(inst, opts, t0, &Tuning::for_method(opts.method))
}

/// [`solve_instance`] with explicit [`Tuning`].
pub fn solve_instance_tuned(inst: &Instance, opts: &SolveOptions, t0: Instant, tuning: &Tuning) -> Plan {
    solve_instance_report(inst, opts, t0, tuning).plan
}

/// [`solve`] with the lower bound of every objective term ([`Solved::bounds`]).
pub fn solve_report(problem: &Problem, opts: &SolveOptions) -> Result<Solved, ProblemError> {
    let t0 = Instant::now();
    let inst = Instance::new(problem)?;
    if !inst.stability.frozen.is_empty() {
        let mut plan = stability::solve_frozen(problem, &inst, opts, &Tuning::for_method(opts.method), t0)?;
        plan.stability = stability::report(&inst, &plan);
        let bounds = plan.bounds.unwrap_or_default();
        return Ok(Solved { plan, bounds });
    }
    let mut solved = solve_instance_report(&inst, opts, t0, &Tuning::for_method(opts.method));
    solved.plan.stability = stability::report(&inst, &solved.plan);
    Ok(solved)
}

/// [`solve_instance_tuned`] with the per-term bounds.
pub fn solve_instance_report(inst: &Instance, opts: &SolveOptions, t0: Instant, tuning: &Tuning) -> Solved {
    let max_bytes = tuning.max_bytes;
    let live: Vec<bool> = (0..inst.n_jobs)
        .map(|j| bound::placement_reason(inst, j).is_none())
        .collect();
    let n_live = live.iter().filter(|&&l| l).count();
    let auto = opts.method == Method::Auto;
    let method = match opts.method {
        Method::Auto if n_live <= bp::BP_MAX_JOBS => Method::Milp,
        Method::Auto => Method::Heuristic,
        m => m,
    };
    // Cheap bound first (also the search's stopping target); the LP load bound (HiGHS), which
    // can take a while on large instances, is computed after the search in the last 10 % of the
    // budget (at most 2 s). Every HiGHS step gets at most what is left of the budget.
    let lp_budget = if bound::lp_applicable(inst) || inst.w_setups > 0.0 {
        (opts.time_limit * 0.1).min(2.0)
    } else {
        0.0
    };
    let mut lb = bound::lower_bound(inst, &live, 0.0);
    // The first plan before any extra: the constructive plan (greedy builds its own below).
    let constructed = (method != Method::Greedy).then(|| heuristic::construct(inst));
    // With power circuits the constructive plan is kept: the final plan is the better of it and
    // the search's once both are staggered (see `power::better_staggered`).
    let constructed_alt = constructed.as_ref().filter(|_| power::active(inst)).cloned();
    // The setup-entry bound before the search when setups count: its MILP solution is also a
    // start for the search (a plan that runs each class where the bound put it, [`classplan`]).
    // Greedy does not use the start: it gets the bound after its plan.
    let entry_budget = if inst.w_setups > 0.0 && lp_budget > 0.0 {
        // When changeovers are the whole objective, the entry MILP is both the bound and the
        // best start: it may take up to ENTRY_SETUP_SHARE of the budget.
        let setups_only = inst.w_makespan == 0.0 && inst.w_tardiness == 0.0;
        if setups_only {
            (opts.time_limit * ENTRY_SETUP_SHARE)
                .min(ENTRY_SETUP_MAX_SECS)
                .max(lp_budget)
        } else {
            lp_budget
        }
    } else {
        0.0
    };
    let mut entry_start = None;
    let mut entry_lb = None;
    if entry_budget > 0.0 && method != Method::Greedy {
        let (start, bound) = entry_step(inst, &live, n_live, entry_budget, left(t0, opts.time_limit));
        entry_start = start;
        entry_lb = Some(bound.unwrap_or(0));
        if bound.is_some() {
            lb = bound::lower_bound_with(inst, &live, 0.0, entry_lb);
        }
    }
    let opts = &SolveOptions {
        time_limit: opts.time_limit - lp_budget,
        ..*opts
    };
    let stall = 20_000 + 200 * inst.n_jobs as u64;
    let mut proved = false;
    let mut dual = f64::NEG_INFINITY;
    let (seqs, name) = match method {
        Method::Greedy => (greedy::greedy(inst), "greedy"),
        Method::Heuristic | Method::Auto => {
            let constructed = constructed.unwrap_or_else(|| heuristic::construct(inst));
            let start = classplan::better_start(inst, constructed, entry_start);
            let start = classplan::better_start(inst, start, stability::previous_start(inst, opts.seed));
            let mut local = heuristic::Local::new(inst, &start);
            let limits = heuristic::Limits {
                deadline: Some(deadline(t0, opts.time_limit)),
                max_iterations: opts.max_iterations,
                stall_iterations: stall,
                target: lb.value,
                lns_period: tuning.lns_period,
            };
            (local.run(&limits, opts.seed).best, "heuristic")
        }
        Method::Milp => {
            let constructed = constructed.unwrap_or_else(|| heuristic::construct(inst));
            let start = classplan::better_start(inst, constructed, entry_start);
            let start = classplan::better_start(inst, start, stability::previous_start(inst, opts.seed));
            let mut local = heuristic::Local::new(inst, &start);
            // Under `auto` above the compact MILP's size, the warm start runs until it converges
            // (or its share of the budget): it is the plan the restarts build on.
            let long_warm = auto && n_live > MILP_MAX_JOBS;
            let limits = heuristic::Limits {
                deadline: Some(deadline(
                    t0,
                    opts.time_limit * if long_warm { AUTO_WARM_SHARE } else { 0.2 },
                )),
                max_iterations: if long_warm {
                    opts.max_iterations
                } else {
                    Some(
                        opts.max_iterations
                            .unwrap_or(WARM_ITERATIONS)
                            .min(WARM_ITERATIONS),
                    )
                },
                stall_iterations: if long_warm { stall } else { stall.min(WARM_STALL) },
                target: lb.value,
                lns_period: tuning.lns_period,
            };
            let mut warm = local.run(&limits, opts.seed).best;
            let mut warm_value = warm.evaluate(inst).map(|v| (warm.unscheduled.len(), v.value));
            let jobs: Vec<usize> = (0..inst.n_jobs).filter(|&j| live[j]).collect();
            let remaining = opts.time_limit - t0.elapsed().as_secs_f64();
            let at_bound = warm_value.is_some_and(|w| w.0 == 0 && w.1 <= lb.value + 1e-9);
            let skip = at_bound || remaining <= 0.0 || warm.unscheduled.len() > inst.n_jobs - n_live;
            let mut exact = None;
            let mut name = "milp";
            if !skip
                && jobs.len() <= dp::DP_MAX_JOBS
                && let Some(s) = dp::solve_dp_within(inst, &jobs, deadline(t0, opts.time_limit), max_bytes)
            {
                exact = Some(milp::MilpResult {
                    sequences: s,
                    proved_optimal: true,
                    dual_bound: f64::NEG_INFINITY,
                });
                name = "dp";
            }
            // Branch-and-price above the DP's size (every objective).
            let mut bp_ran = false;
            if !skip && exact.is_none() && jobs.len() <= bp::BP_MAX_JOBS {
                let share = if auto { AUTO_BP_SHARE } else { 0.97 };
                let bp_deadline = deadline(t0, opts.time_limit * share);
                // With an iteration cap (reproducible runs), a node cap keeps the run
                // independent of the clock. Under `auto`, the root must be done within
                // AUTO_BP_ROOT_SHARE of the budget, else the restarts get the time.
                let limits = bp::BpLimits {
                    deadline: bp_deadline,
                    root_deadline: (auto && opts.max_iterations.is_none()).then(|| {
                        Instant::now()
                            + Duration::from_secs_f64((opts.time_limit * AUTO_BP_ROOT_SHARE).max(0.0))
                    }),
                    root_labels: if auto {
                        opts.max_iterations
                            .map(|m| m.saturating_mul(BP_ROOT_LABELS_PER_ITERATION))
                    } else {
                        None
                    },
                    max_bytes,
                    max_nodes: opts
                        .max_iterations
                        .map_or(u64::MAX, |m| (m / BP_NODE_ITERATIONS).max(1)),
                };
                if let Some(run) = bp::solve_bp_with(inst, &jobs, &warm, lb.value, &limits) {
                    bp_ran = true;
                    dual = dual.max(run.lower_bound);
                    if let Some(s) = run.improved
                        && let Some(v) = s.evaluate(inst)
                        && warm_value.is_none_or(|w| v.value < w.1)
                    {
                        warm_value = Some((warm.unscheduled.len(), v.value));
                        warm = Sequences {
                            unscheduled: warm.unscheduled.clone(),
                            ..s
                        };
                    }
                    if run.proved {
                        exact = Some(milp::MilpResult {
                            sequences: warm.clone(),
                            proved_optimal: true,
                            dual_bound: f64::NEG_INFINITY,
                        });
                    }
                    name = "bp";
                }
            }
            if !skip && !bp_ran && exact.is_none() && jobs.len() <= COLUMNS_MAX_JOBS {
                let states = (max_bytes / dp::COLUMN_STATE_BYTES).min(1_000_000);
                let run = dp::solve_columns_from(
                    inst,
                    &jobs,
                    &warm,
                    lb.value,
                    deadline(t0, opts.time_limit * 0.8),
                    states,
                );
                dual = dual.max(run.lower_bound);
                if let Some(s) = run.improved
                    && let Some(v) = s.evaluate(inst)
                {
                    // A better plan found on the way: the MILP starts from it.
                    warm_value = Some((warm.unscheduled.len(), v.value));
                    warm = Sequences {
                        unscheduled: warm.unscheduled.clone(),
                        ..s
                    };
                }
                match run.outcome {
                    Some(dp::ColumnsOutcome::Better(s)) => {
                        exact = Some(milp::MilpResult {
                            sequences: s,
                            proved_optimal: true,
                            dual_bound: f64::NEG_INFINITY,
                        });
                        name = "columns";
                    }
                    Some(dp::ColumnsOutcome::IncumbentOptimal) => {
                        exact = Some(milp::MilpResult {
                            sequences: warm.clone(),
                            proved_optimal: true,
                            dual_bound: f64::NEG_INFINITY,
                        });
                        name = "columns";
                    }
                    None => {}
                }
            }
            // The compact MILP has no stability penalties: it is not asked when they count.
            if !skip
                && !bp_ran
                && exact.is_none()
                && !inst.has_moves()
                && (!auto || jobs.len() <= MILP_MAX_JOBS)
            {
                let remaining = opts.time_limit - t0.elapsed().as_secs_f64();
                exact = milp::solve_milp(inst, &jobs, Some(&warm), remaining);
            }
            match exact {
                Some(r) => {
                    let mut s = r.sequences;
                    s.unscheduled = warm.unscheduled.clone();
                    let better = match (s.evaluate(inst), warm_value) {
                        (Some(m), Some(w)) => m.value <= w.1 + 1e-9 || w.0 > 0,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    proved = r.proved_optimal && better;
                    dual = dual.max(r.dual_bound);
                    if better { (s, name) } else { (warm, name) }
                }
                None => (warm, name),
            }
        }
    };
    // The LP / entry bounds (also for a proved plan: they are its per-term bounds); under `auto`
    // before the restarts (their stopping target), which then get the rest of the whole budget.
    // They get what is left of the whole budget (at most `lp_budget`, the entry bound of a
    // greedy plan at most its `entry_budget`); an entry bound already tried is not solved again.
    let all_live = seqs.unscheduled.len() == inst.n_jobs - n_live;
    if all_live && lp_budget > 0.0 {
        let total = opts.time_limit + lp_budget;
        if entry_budget > 0.0 && method == Method::Greedy {
            entry_lb = Some(
                entry_step(inst, &live, n_live, entry_budget, left(t0, total))
                    .1
                    .unwrap_or(0),
            );
        }
        let budget = lp_budget.min(left(t0, total));
        if budget > 0.0 {
            let with_lp = bound::lower_bound_with(inst, &live, budget, entry_lb);
            if with_lp.value > lb.value {
                lb = with_lp;
            }
        } else if let Some(e) = entry_lb.filter(|&e| e > lb.setups) {
            lb = bound::lower_bound_with(inst, &live, 0.0, Some(e));
        }
    }
    // `auto`: the rest of the budget goes to restarts unless the plan is proved optimal.
    let (seqs, name) = if auto && !proved {
        let limits = heuristic::Limits {
            deadline: Some(deadline(t0, opts.time_limit + lp_budget)),
            max_iterations: opts.max_iterations,
            stall_iterations: (stall / RESTART_STALL_DIVISOR).max(1),
            target: lb
                .value
                .max(if dual.is_finite() { dual } else { f64::NEG_INFINITY }),
            lns_period: tuning.lns_period,
        };
        let r = anytime::restarts(inst, seqs, &limits, opts.seed);
        (r.best, if r.improved > 0 { "heuristic" } else { name })
    } else {
        (seqs, name)
    };
    let (seqs, proved) = match constructed_alt {
        Some(alt) => {
            let (s, alt_chosen) = power::better_staggered(inst, seqs, alt);
            (s, proved && !alt_chosen)
        }
        None => (seqs, proved),
    };
    let mut plan = finish(inst, seqs, name, &mut lb, proved, dual, t0);
    let bounds = report::bounds(inst, &plan, &lb);
    plan.bounds = Some(bounds);
    Solved { plan, bounds }
}

/// Seconds left of a budget of `secs` started at `t0` (0 when spent).
fn left(t0: Instant, secs: f64) -> f64 {
    (secs - t0.elapsed().as_secs_f64()).max(0.0)
}

/// The setup-entry bound ([`bound::setup::entry_solve`]) within `budget` seconds, capped by the
/// `left` seconds of the whole budget; with the plan built from its MILP solution
/// ([`classplan::from_entry`]) when every live job fits somewhere. `(None, None)` when there is
/// no time left or HiGHS did not finish the LP.
fn entry_step(
    inst: &Instance,
    live: &[bool],
    n_live: usize,
    budget: f64,
    left: f64,
) -> (Option<Sequences>, Option<i64>) {
    let budget = budget.min(left);
    if budget <= 0.0 {
        return (None, None);
    }
    let fits = bound::fits(inst, live);
    let Some(e) = bound::setup::entry_solve(inst, &fits, budget) else {
        return (None, None);
    };
    let jobs: Vec<usize> = (0..inst.n_jobs).filter(|&j| !fits[j].is_empty()).collect();
    let start = if jobs.len() == n_live {
        classplan::from_entry(inst, &e, &jobs, &fits)
    } else {
        None
    };
    (start, Some(e.bound))
}

/// Turn sequences into a plan with bound, gap, status and timing.
fn finish(
    inst: &Instance,
    seqs: Sequences,
    method: &str,
    lb: &mut bound::Bound,
    proved: bool,
    dual: f64,
    t0: Instant,
) -> Plan {
    // Power circuits: the final timing staggers prints (see `power`); a plan it changed is
    // not claimed optimal (the bounds stay valid: the circuits only remove plans).
    let staggered = power::active(inst).then(|| power::stagger(inst, &seqs));
    let mut proved = proved;
    let built = match &staggered {
        Some(st) => {
            let p = power::to_plan(inst, &seqs, st, method);
            if !st.delayed.is_empty() || !st.unscheduled.is_empty() {
                proved = false;
            }
            Some(p)
        }
        None => seqs.to_plan(inst, method),
    };
    let mut plan = match built {
        Some(p) => p,
        // Unreachable in practice (sequences come from the timing code); degrade to an empty plan.
        None => {
            let mut empty = Sequences::empty(inst);
            empty.unscheduled = (0..inst.n_jobs)
                .map(|j| (j, "internal timing error".to_string()))
                .collect();
            empty.to_plan(inst, method).unwrap_or_else(|| Plan {
                status: Status::Infeasible,
                assignments: Vec::new(),
                unscheduled: Vec::new(),
                objective: ObjectiveValue {
                    makespan: 0,
                    weighted_tardiness: 0.0,
                    setups: 0,
                    value: 0.0,
                    stability: 0.0,
                },
                lower_bound: 0.0,
                gap: 0.0,
                solve_ms: 0,
                method: method.to_string(),
                bounds: None,
                stability: None,
            })
        }
    };
    why::annotate(inst, &seqs, &mut plan);
    if let Some(st) = &staggered {
        power::explain_delays(inst, st, &mut plan);
    }
    // The bound must describe the jobs actually scheduled.
    let power_left_out = staggered.as_ref().is_some_and(|st| !st.unscheduled.is_empty());
    if power_left_out || seqs.unscheduled.iter().any(|(_, r)| r == heuristic::CONGESTED) {
        let mut included = vec![true; inst.n_jobs];
        for (j, _) in seqs
            .unscheduled
            .iter()
            .chain(staggered.iter().flat_map(|st| st.unscheduled.iter()))
        {
            included[*j] = false;
        }
        *lb = bound::lower_bound(inst, &included, 0.0);
    }
    let value = plan.objective.value;
    let mut lower = lb.value;
    if plan.unscheduled.is_empty() && dual.is_finite() {
        lower = lower.max(dual - 1e-6 * dual.abs().max(1.0));
    }
    if proved && plan.unscheduled.is_empty() {
        lower = value;
    }
    lower = lower.min(value);
    plan.lower_bound = lower;
    plan.gap = plan::gap(value, lower);
    plan.status = if !plan.unscheduled.is_empty() {
        Status::Infeasible
    } else if plan.gap == 0.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    plan.solve_ms = t0.elapsed().as_millis() as u64;
    plan
}

/// Improve an existing plan (e.g. after [`repair`]) with local search; never returns a worse one.
pub fn improve(problem: &Problem, plan: &Plan, opts: &SolveOptions) -> Result<Plan, ProblemError> {
    let t0 = Instant::now();
    let inst = Instance::new(problem)?;
    let start = repair::plan_to_sequences(&inst, plan).unwrap_or_else(|_| heuristic::construct(&inst));
    let live: Vec<bool> = (0..inst.n_jobs)
        .map(|j| bound::placement_reason(&inst, j).is_none())
        .collect();
    let mut lb = bound::lower_bound(&inst, &live, (opts.time_limit * 0.1).min(2.0));
    let mut local = heuristic::Local::new(&inst, &start);
    let limits = heuristic::Limits {
        deadline: Some(deadline(t0, opts.time_limit)),
        max_iterations: opts.max_iterations,
        stall_iterations: 20_000 + 200 * inst.n_jobs as u64,
        target: lb.value,
        lns_period: heuristic::LNS_PERIOD,
    };
    let best = local.run(&limits, opts.seed).best;
    Ok(finish(
        &inst,
        best,
        "heuristic",
        &mut lb,
        false,
        f64::NEG_INFINITY,
        t0,
    ))
}
