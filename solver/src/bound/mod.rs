//! Lower bounds. Each objective term is bounded separately (a sum of valid bounds is valid):
//! - makespan: max over jobs of the earliest end the job could have alone on its best printer, and
//!   the LP relaxation of the assignment with per-printer load (duration + least possible setup);
//! - weighted tardiness: Σ weight·max(0, earliest end − due), and the capacity bound of
//!   [`tardiness`] (the k-th completion cannot come before the k smallest works fit on the
//!   printers);
//! - setup minutes: Σ over jobs of the least setup the job could pay on any eligible printer,
//!   and the class-entry bound of [`setup`] (every class a printer runs is entered once).

#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, WithTimeLimit, highs, variable};

use crate::problem::Instance;

pub mod setup;
pub mod tardiness;

/// Least setup job `j` can pay on printer `p`: from the initial class (or none) if first, or after
/// some other job that `p` could run.
pub fn min_setup(inst: &Instance, classes_on: &[Vec<bool>], j: usize, p: usize) -> i64 {
    let c = inst.job_class[j];
    let mut m = inst.setup_time(p, inst.init_class[p], c);
    for (a, &present) in classes_on[p].iter().enumerate() {
        if present {
            m = m.min(inst.setup_time(p, Some(a), c));
        }
    }
    m
}

/// `classes_on[p][a]`: some job of class `a` can run on `p`.
pub fn classes_on(inst: &Instance) -> Vec<Vec<bool>> {
    let mut on = vec![vec![false; inst.n_classes]; inst.n_printers];
    for j in 0..inst.n_jobs {
        for &(p, _) in &inst.elig[j] {
            on[p][inst.job_class[j]] = true;
        }
    }
    on
}

/// Earliest end of job `j` on `p` if it were alone with setup `s`; `None` if it cannot fit.
pub fn earliest_end_alone(inst: &Instance, j: usize, p: usize, s: i64) -> Option<i64> {
    let d = inst.duration(j, p)?;
    let load = inst.earliest_load(p, inst.avail[p].max(inst.release[j]), s + d)?;
    Some(load + s + d)
}

/// Why job `j` can never be scheduled, or `None` if it fits alone on some printer.
pub fn placement_reason(inst: &Instance, j: usize) -> Option<String> {
    if inst.elig[j].is_empty() {
        return Some("no printer can run it (durations is empty)".to_string());
    }
    let fits = inst.elig[j].iter().any(|&(p, d)| {
        // The cheapest possible setup is 0 only if the class matches; use the real first setup
        // as well as zero: if even a zero-setup block cannot fit, it never fits.
        inst.earliest_load(p, inst.avail[p].max(inst.release[j]), d)
            .is_some()
    });
    if fits {
        None
    } else {
        Some("cannot fit on any eligible printer before the horizon or the last operator shift".to_string())
    }
}

/// Largest number of job×printer pairs for which the LP load bound is computed.
pub const LP_MAX_CELLS: usize = 20_000;

/// Whether [`lower_bound`] would solve the LP load bound on this instance.
pub fn lp_applicable(inst: &Instance) -> bool {
    inst.w_makespan > 0.0 && inst.elig.iter().map(Vec::len).sum::<usize>() <= LP_MAX_CELLS
}

/// Components of the lower bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub makespan: i64,
    pub weighted_tardiness: f64,
    pub setups: i64,
    pub value: f64,
}

/// Lower bound for any plan scheduling exactly the jobs with `included[j]`. The setup-entry and
/// LP load bounds are only attempted when `lp_budget` (seconds, shared by both) is positive and
/// the instance is not too large.
pub fn lower_bound(inst: &Instance, included: &[bool], lp_budget: f64) -> Bound {
    lower_bound_with(inst, included, lp_budget, None)
}

/// Per job with `included[j]`: the printers where it fits alone with its least setup (empty
/// for the others) — the `fits` of [`setup::entry_solve`].
pub fn fits(inst: &Instance, included: &[bool]) -> Vec<Vec<usize>> {
    let on = classes_on(inst);
    (0..inst.n_jobs)
        .map(|j| {
            if !included.get(j).copied().unwrap_or(false) {
                return Vec::new();
            }
            inst.elig[j]
                .iter()
                .filter(|&&(p, _)| earliest_end_alone(inst, j, p, min_setup(inst, &on, j, p)).is_some())
                .map(|&(p, _)| p)
                .collect()
        })
        .collect()
}

/// [`lower_bound`] with the setup-entry bound already known (`Some`: it is not solved again).
pub fn lower_bound_with(inst: &Instance, included: &[bool], lp_budget: f64, entry: Option<i64>) -> Bound {
    let t0 = Instant::now();
    let on = classes_on(inst);
    // least_in[p][c]: least setup into class c on p (see `min_setup`).
    let least_in: Vec<Vec<i64>> = (0..inst.n_printers)
        .map(|p| {
            (0..inst.n_classes)
                .map(|c| {
                    let mut m = inst.setup_time(p, inst.init_class[p], c);
                    for (a, &present) in on[p].iter().enumerate() {
                        if present {
                            m = m.min(inst.setup_time(p, Some(a), c));
                        }
                    }
                    m
                })
                .collect()
        })
        .collect();
    let mut ms = 0i64;
    let mut tard = 0.0;
    let mut setups = 0i64;
    // Per job and printer: (printer, duration + least setup), for printers where it can fit.
    let mut loads: Vec<Vec<(usize, i64)>> = vec![Vec::new(); inst.n_jobs];
    let mut tjobs: Vec<tardiness::TardJob> = Vec::new();
    for j in 0..inst.n_jobs {
        if !included.get(j).copied().unwrap_or(false) {
            continue;
        }
        let mut best_end: Option<i64> = None;
        let mut best_setup: Option<i64> = None;
        for &(p, d) in &inst.elig[j] {
            let s = least_in[p][inst.job_class[j]];
            if let Some(e) = earliest_end_alone(inst, j, p, s) {
                best_end = Some(best_end.map_or(e, |b| b.min(e)));
                best_setup = Some(best_setup.map_or(s, |b| b.min(s)));
                loads[j].push((p, d + s));
            }
        }
        let (Some(e), Some(s)) = (best_end, best_setup) else {
            continue;
        };
        ms = ms.max(e);
        tard += inst.tardiness(j, e);
        setups += s;
        tjobs.push(tardiness::TardJob {
            weight: inst.weight[j],
            due: inst.due[j],
            early: e,
            work: loads[j].iter().map(|l| l.1).min().unwrap_or(0),
        });
    }
    if inst.w_tardiness > 0.0 {
        let avail: Vec<i64> = (0..inst.n_printers)
            .filter(|&p| loads.iter().any(|l| l.iter().any(|x| x.0 == p)))
            .map(|p| inst.avail[p])
            .collect();
        tard = tard.max(tardiness::capacity_bound(&tjobs, &avail));
    }
    if let Some(b) = entry {
        setups = setups.max(b);
    } else if inst.w_setups > 0.0 && lp_budget > 0.0 {
        let fits: Vec<Vec<usize>> = loads.iter().map(|l| l.iter().map(|x| x.0).collect()).collect();
        if let Some(b) = setup::entry_bound(inst, &fits, lp_budget) {
            setups = setups.max(b);
        }
    }
    // The load LP gets what the entry bound left of the budget.
    let lp_left = lp_budget - t0.elapsed().as_secs_f64();
    if inst.w_makespan > 0.0 && lp_budget > 0.0 && lp_left > 0.0 {
        let cells: usize = loads.iter().map(Vec::len).sum();
        if cells > 0
            && cells <= LP_MAX_CELLS
            && let Some(lb) = load_lp(inst, &loads, lp_left)
        {
            ms = ms.max(lb);
        }
    }
    let value = inst.w_makespan * ms as f64 + inst.w_tardiness * tard + inst.w_setups * setups as f64;
    Bound {
        makespan: ms,
        weighted_tardiness: tard,
        setups,
        value,
    }
}

/// LP: min C s.t. every job fractionally assigned, Σ load on each printer ≤ C. Returns ⌈C⌉ (times
/// are integers) or `None` if HiGHS did not finish.
fn load_lp(inst: &Instance, loads: &[Vec<(usize, i64)>], budget: f64) -> Option<i64> {
    let t0 = Instant::now();
    let mut vars = ProblemVariables::new();
    let c = vars.add(variable().min(0));
    let mut per_printer: Vec<Expression> = vec![Expression::default(); inst.n_printers];
    let mut rows: Vec<Expression> = Vec::new();
    for l in loads {
        if l.is_empty() {
            continue;
        }
        let mut row = Expression::default();
        for &(p, w) in l {
            let x = vars.add(variable().min(0).max(1));
            row += x;
            per_printer[p] += (w as f64) * x;
        }
        rows.push(row);
    }
    let mut model = vars.minimise(c).using(highs).with_time_limit(budget.max(0.01));
    model.set_verbose(false);
    for r in rows {
        model.add_constraint(r.eq(1.0));
    }
    for e in per_printer {
        model.add_constraint(e.leq(c));
    }
    let sol = model.solve().ok()?;
    if !matches!(sol.status(), good_lp::solvers::SolutionStatus::Optimal)
        || t0.elapsed().as_secs_f64() > budget * 4.0
    {
        return None;
    }
    // LP optimum is exact up to tolerances; back off slightly before rounding up.
    let v = sol.value(c);
    Some((v - 1e-6 * v.abs().max(1.0)).ceil().max(0.0) as i64)
}
