//! Setup bound: every class a printer runs must be *entered* on it at least once.
//!
//! In any plan, the first job of class `c` on printer `p` either is the printer's first job — it
//! pays `setup[p][initial][c]` (0 when the printer starts empty), and each printer has one first
//! job — or follows a job of another class `a` that `p` can run, paying at least
//! `min_{a ≠ c} setup[p][a][c]`. Every job must run on one of its printers, so for each job `j`
//! the class of `j` is entered on at least one printer where `j` fits. The least total entry
//! cost is a small set-cover MILP over `y[c,p]` ("class `c` runs on `p`", binary) and
//! `f[c,p] ≤ y[c,p]` ("`c` is `p`'s first class", `Σ_c f[c,p] ≤ 1`):
//!
//! `min Σ first[c,p]·f + other[c,p]·(y − f)` s.t. `Σ_{p ∈ P(j)} y[class j, p] ≥ 1` for every job.
//!
//! With `y` fixed the best `f` is integral (per printer: the class that saves most), so `f` can
//! stay continuous. Up to [`ENTRY_MAX_TRIPLES`], the entry into `c` must moreover come from a
//! class the printer runs: `z[a,c,p] ≤ y[a,p]`, `Σ_a z[a,c,p] = y[c,p] − f[c,p]`, cost
//! `Σ setup[p][a][c]·z` (valid: the job before the first `c`-job on `p` has such a class `a`). HiGHS solves it within a time limit; when it stops early its dual bound (or
//! the LP relaxation's value) is used — all are valid bounds on the setup minutes of any plan.

use std::collections::BTreeSet;
use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, Solution, SolverModel, Variable, WithTimeLimit, highs, variable,
};

use crate::problem::Instance;

/// Largest model (class × printer pairs) for which the entry bound is computed.
pub const ENTRY_MAX_PAIRS: usize = 20_000;

/// Largest number of (previous class, class, printer) triples for which an entry must come
/// from a class the printer runs (variables `z[a,c,p]`); above, from any class it could run.
pub const ENTRY_MAX_TRIPLES: usize = 40_000;

/// Least setup minutes of any plan that schedules every job with a non-empty `fits[j]` (the
/// printers where job `j` fits), by the entry relaxation above; `None` if not solved in time.
pub fn entry_bound(inst: &Instance, fits: &[Vec<usize>], budget: f64) -> Option<i64> {
    if budget <= 0.0 {
        return None;
    }
    let t0 = Instant::now();
    let nc = inst.n_classes;
    // present[p][c]: some job of class c fits on p.
    let mut present = vec![vec![false; nc]; inst.n_printers];
    let mut covers: BTreeSet<(usize, Vec<usize>)> = BTreeSet::new();
    for (j, ps) in fits.iter().enumerate() {
        if ps.is_empty() {
            continue;
        }
        let c = inst.job_class[j];
        for &p in ps {
            present[p][c] = true;
        }
        let mut ps = ps.clone();
        ps.sort_unstable();
        ps.dedup();
        covers.insert((c, ps));
    }
    if covers.is_empty() {
        return Some(0);
    }
    let pairs: usize = present.iter().map(|r| r.iter().filter(|&&b| b).count()).sum();
    if pairs > ENTRY_MAX_PAIRS {
        return None;
    }
    // Entry costs per (c, p).
    let first = |c: usize, p: usize| inst.setup_time(p, inst.init_class[p], c) as f64;
    let other = |c: usize, p: usize| -> Option<f64> {
        (0..nc)
            .filter(|&a| a != c && present[p][a])
            .map(|a| inst.setup_time(p, Some(a), c))
            .min()
            .map(|v| v as f64)
    };
    let triples: usize = present
        .iter()
        .map(|r| {
            let k = r.iter().filter(|&&b| b).count();
            k * k.saturating_sub(1)
        })
        .sum();
    let m = Model {
        present: &present,
        covers: &covers,
        first: &first,
        other: &other,
        preds: triples <= ENTRY_MAX_TRIPLES,
    };
    let lp = solve(inst, &m, false, budget * 0.3)?;
    let remaining = budget - t0.elapsed().as_secs_f64();
    if remaining <= 0.01 {
        return Some(round_up(lp));
    }
    let milp = solve(inst, &m, true, remaining).unwrap_or(lp);
    Some(round_up(milp.max(lp)))
}

/// Setup minutes are integers: round a (slightly backed-off) bound up.
fn round_up(v: f64) -> i64 {
    (v - 1e-6 * v.abs().max(1.0)).ceil().max(0.0) as i64
}

/// The data of the model.
struct Model<'a> {
    present: &'a [Vec<bool>],
    covers: &'a BTreeSet<(usize, Vec<usize>)>,
    first: &'a dyn Fn(usize, usize) -> f64,
    other: &'a dyn Fn(usize, usize) -> Option<f64>,
    /// Entries from a class the printer runs (`z[a,c,p] ≤ y[a,p]`, `Σ_a z[a,c,p] = y − f`,
    /// cost `setup[p][a][c]`) instead of the least setup from any class it could run.
    preds: bool,
}

/// The model above; with `integer`, HiGHS' MILP (optimum, or its dual bound when stopped
/// early), otherwise the LP relaxation's optimum.
fn solve(inst: &Instance, m: &Model, integer: bool, budget: f64) -> Option<f64> {
    let (present, covers, first, other) = (m.present, m.covers, m.first, m.other);
    let nc = inst.n_classes;
    let mut vars = ProblemVariables::new();
    let mut y: Vec<Vec<Option<(Variable, Variable)>>> = vec![vec![None; nc]; inst.n_printers];
    let mut objective = Expression::default();
    let mut links: Vec<Expression> = Vec::new();
    for p in 0..inst.n_printers {
        for c in 0..nc {
            if !present[p][c] {
                continue;
            }
            let yv = if integer {
                vars.add(variable().binary())
            } else {
                vars.add(variable().min(0.0).max(1.0))
            };
            let fv = vars.add(variable().min(0.0).max(1.0));
            match other(c, p) {
                Some(o) => {
                    // first·f + o·(y − f)
                    if m.preds {
                        // The entry cost comes from the `z` variables below.
                        objective += first(c, p) * fv;
                    } else {
                        objective += o * yv + (first(c, p) - o) * fv;
                    }
                    links.push(Expression::from(fv) - yv);
                }
                None => {
                    // Only as the first class: y ≤ f (and f ≤ y).
                    objective += first(c, p) * yv;
                    links.push(Expression::from(fv) - yv);
                    links.push(Expression::from(yv) - fv);
                }
            }
            y[p][c] = Some((yv, fv));
        }
    }
    // Entries from a class the printer runs: `other·(y − f)` becomes `Σ_a setup·z`.
    let mut pred_rows: Vec<Expression> = Vec::new();
    if m.preds {
        for p in 0..inst.n_printers {
            for c in 0..nc {
                let Some((yv, fv)) = y[p][c] else { continue };
                let mut row = Expression::from(fv) - yv;
                for a in 0..nc {
                    if a == c {
                        continue;
                    }
                    let Some((ya, _)) = y[p][a] else { continue };
                    let zv = vars.add(variable().min(0.0).max(1.0));
                    objective += inst.setup_time(p, Some(a), c) as f64 * zv;
                    row += zv;
                    links.push(Expression::from(zv) - ya);
                }
                pred_rows.push(row);
            }
        }
    }
    let obj = objective.clone();
    let mut model = vars
        .minimise(objective)
        .using(highs)
        .with_time_limit(budget.max(0.01));
    model.set_verbose(false);
    for e in links {
        model.add_constraint(e.leq(0.0));
    }
    for e in pred_rows {
        // f − y + Σ_a z = 0
        model.add_constraint(e.eq(0.0));
    }
    for p in 0..inst.n_printers {
        let mut row = Expression::default();
        let mut any = false;
        for c in 0..nc {
            if let Some((_, fv)) = y[p][c] {
                row += fv;
                any = true;
            }
        }
        if any {
            model.add_constraint(row.leq(1.0));
        }
    }
    for (c, ps) in covers {
        let mut row = Expression::default();
        for &p in ps {
            if let Some((yv, _)) = y[p][*c] {
                row += yv;
            }
        }
        model.add_constraint(row.geq(1.0));
    }
    if !integer {
        let sol = model.solve().ok()?;
        if !matches!(sol.status(), good_lp::solvers::SolutionStatus::Optimal) {
            return None;
        }
        return Some(sol.eval(&obj));
    }
    let mut hm = model.try_into_inner().ok()?;
    let _ = hm.try_set_option("mip_rel_gap", 0.0);
    let _ = hm.try_set_option("mip_abs_gap", 0.999);
    let _ = hm.try_set_option("random_seed", 0);
    let solved = hm.try_solve().ok()?;
    // Optimal or stopped early: HiGHS' dual bound (with `mip_abs_gap < 1` and an integral
    // objective, it rounds up to the optimum when HiGHS finished).
    let dual = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|v| v.is_finite());
    let status = format!("{:?}", solved.status());
    match dual {
        Some(d) => Some(d),
        None if status == "Optimal" => Some(solved.objective_value() - 0.999),
        None => None,
    }
}
