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
//! `Σ setup[p][a][c]·z` (valid: the job before the first `c`-job on `p` has such a class `a`).
//!
//! **Group cuts** (subtour elimination at the level of class groups). The relaxation above lets
//! the classes of a printer enter each other in a cycle (PLA-black after PLA-white after
//! PLA-black) although a printer's classes form one path from its first class. Classes are
//! grouped per printer by its own setup matrix ([`groups`]: the classes linked by the cheap
//! changeovers, e.g. the colours of one material); a group `G` that the printer runs and that
//! does not hold its first class must be entered from outside `G` at least once:
//! `Σ_{c∈G} f[c,p] + Σ_{a∉G, c∈G} z[a,c,p] ≥ y[c',p]` for every `c' ∈ G`; without the `z`
//! variables, an extra `e[G,p] ≥ y[c',p] − Σ_{c∈G} f[c,p]` costs the difference between the
//! cheapest entry from outside `G` and the dearest entry charged inside it. Any partition gives
//! a valid bound; the grouping only decides how strong it is.
//!
//! HiGHS solves it within a time limit; when it stops early its dual bound (or the LP
//! relaxation's value) is used — all are valid bounds on the setup minutes of any plan. The
//! MILP is skipped (the LP's value is the bound) when the budget left after the LP is less than
//! [`ENTRY_MILP_LP_RATIO`] (setups alone: [`ENTRY_MILP_LP_RATIO_SETUPS`]) times the LP's time,
//! since HiGHS overruns its limit in the root. The
//! MILP's solution (which classes each printer runs, and its first class) is returned too:
//! [`crate::classplan`] builds a plan from it.

use std::collections::BTreeSet;
use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, Solution, SolverModel, Variable, VariableDefinition, WithTimeLimit, highs,
    variable,
};

use crate::problem::Instance;

/// Largest model (class × printer pairs) for which the entry bound is computed.
pub const ENTRY_MAX_PAIRS: usize = 20_000;

/// Largest number of (previous class, class, printer) triples for which an entry must come
/// from a class the printer runs (variables `z[a,c,p]`); above, from any class it could run.
pub const ENTRY_MAX_TRIPLES: usize = 40_000;

/// The MILP runs only when the budget left after the LP relaxation is at least this many times
/// the LP's time. HiGHS does not stop the MILP's root (feasibility jump, cut rounds) at its time
/// limit: on the benchmark farms the MILP took 7–15× the LP's time at 5 × 30 to 20 × 150 and
/// 22–30× at 100 × 1000 (2.1 s and 3.9 s against a 0.43 s limit before this rule).
pub const ENTRY_MILP_LP_RATIO: f64 = 20.0;

/// [`ENTRY_MILP_LP_RATIO`] when setup minutes are the whole objective: the MILP's solution is
/// then the search's best start (100 × 1000 seed 2: 25 setup minutes without it, 0 with it), so
/// it is tried with less margin and may overrun its budget (up to ~3× when it takes 30× the LP).
pub const ENTRY_MILP_LP_RATIO_SETUPS: f64 = 10.0;

/// Least setup minutes of any plan that schedules every job with a non-empty `fits[j]` (the
/// printers where job `j` fits), by the entry relaxation above; `None` if not solved in time.
pub fn entry_bound(inst: &Instance, fits: &[Vec<usize>], budget: f64) -> Option<i64> {
    entry_solve(inst, fits, budget).map(|e| e.bound)
}

/// The entry relaxation's bound and, when HiGHS found an integral solution, which classes each
/// printer runs in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Lower bound on the setup minutes of any plan of the jobs with a non-empty `fits`.
    pub bound: i64,
    /// Per printer: the classes it runs in the MILP's solution (empty: none found in time).
    pub classes: Vec<Vec<usize>>,
    /// Per printer: the class the solution starts it with, if any.
    pub first: Vec<Option<usize>>,
}

/// [`entry_bound`] with the MILP's solution.
pub fn entry_solve(inst: &Instance, fits: &[Vec<usize>], budget: f64) -> Option<Entry> {
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
        return Some(Entry {
            bound: 0,
            classes: vec![Vec::new(); inst.n_printers],
            first: vec![None; inst.n_printers],
        });
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
    let group_of: Vec<Vec<usize>> = (0..inst.n_printers)
        .map(|p| groups(inst, p, &present[p]))
        .collect();
    let m = Model {
        present: &present,
        covers: &covers,
        first: &first,
        other: &other,
        preds: triples <= ENTRY_MAX_TRIPLES,
        group_of: &group_of,
    };
    // The LP first (its value is a bound already), then the MILP in what is left — only when
    // what is left is likely to suffice (see ENTRY_MILP_LP_RATIO): HiGHS overruns its time limit
    // in the MILP's root.
    let t_lp = Instant::now();
    let lp = solve(inst, &m, false, budget * 0.5)?.value;
    let lp_secs = t_lp.elapsed().as_secs_f64();
    let remaining = budget - t0.elapsed().as_secs_f64();
    let empty = || Entry {
        bound: round_up(lp),
        classes: vec![Vec::new(); inst.n_printers],
        first: vec![None; inst.n_printers],
    };
    let ratio = if inst.w_makespan == 0.0 && inst.w_tardiness == 0.0 {
        ENTRY_MILP_LP_RATIO_SETUPS
    } else {
        ENTRY_MILP_LP_RATIO
    };
    if remaining <= 0.01 || remaining < ratio * lp_secs {
        return Some(empty());
    }
    let Some(milp) = solve(inst, &m, true, remaining) else {
        return Some(empty());
    };
    Some(Entry {
        bound: round_up(milp.value.max(lp)),
        ..milp.solution.unwrap_or_else(empty)
    })
}

/// Groups of printer `p`'s present classes (a group id per class; absent classes get their own
/// id): classes linked by changeovers at most `θ` both ways, `θ` the value below the largest
/// jump (ratio ≥ 1.5) among the printer's distinct changeover minutes. One distinct value (or
/// none): every class alone.
pub fn groups(inst: &Instance, p: usize, present: &[bool]) -> Vec<usize> {
    let nc = inst.n_classes;
    let classes: Vec<usize> = (0..nc).filter(|&c| present[c]).collect();
    let mut values: Vec<i64> = Vec::new();
    for &a in &classes {
        for &b in &classes {
            if a != b {
                values.push(inst.setup_time(p, Some(a), b));
            }
        }
    }
    values.sort_unstable();
    values.dedup();
    let mut theta = None;
    let mut best_ratio = 1.5;
    for w in values.windows(2) {
        let ratio = w[1] as f64 / (w[0].max(1)) as f64;
        if ratio >= best_ratio {
            best_ratio = ratio;
            theta = Some(w[0]);
        }
    }
    let mut parent: Vec<usize> = (0..nc).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    if let Some(theta) = theta {
        for &a in &classes {
            for &b in &classes {
                if a < b && inst.setup_time(p, Some(a), b) <= theta && inst.setup_time(p, Some(b), a) <= theta
                {
                    let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    (0..nc).map(|c| root(&mut parent, c)).collect()
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
    /// Per printer: group id per class ([`groups`]).
    group_of: &'a [Vec<usize>],
}

/// A solved model: its value (the bound) and, for the MILP, its solution when it has one.
struct Solved {
    value: f64,
    solution: Option<Entry>,
}

/// Columns in the order they were added (HiGHS numbers them the same way).
struct Cols {
    vars: ProblemVariables,
    n: usize,
}

impl Cols {
    fn add(&mut self, def: VariableDefinition) -> (Variable, usize) {
        let v = self.vars.add(def);
        self.n += 1;
        (v, self.n - 1)
    }
}

/// The model above; with `integer`, HiGHS' MILP (optimum, or its dual bound when stopped
/// early), otherwise the LP relaxation's optimum.
fn solve(inst: &Instance, m: &Model, integer: bool, budget: f64) -> Option<Solved> {
    let (present, covers, first, other) = (m.present, m.covers, m.first, m.other);
    let nc = inst.n_classes;
    let mut cols = Cols {
        vars: ProblemVariables::new(),
        n: 0,
    };
    type Yf = ((Variable, usize), (Variable, usize));
    let mut y: Vec<Vec<Option<Yf>>> = vec![vec![None; nc]; inst.n_printers];
    let mut objective = Expression::default();
    let mut links: Vec<Expression> = Vec::new();
    // o(c, p) charged in the objective when the entries are not modelled by `z`.
    let mut charged = vec![vec![0.0f64; nc]; inst.n_printers];
    for p in 0..inst.n_printers {
        for c in 0..nc {
            if !present[p][c] {
                continue;
            }
            let yv = if integer {
                cols.add(variable().binary())
            } else {
                cols.add(variable().min(0.0).max(1.0))
            };
            let fv = cols.add(variable().min(0.0).max(1.0));
            match other(c, p) {
                Some(o) => {
                    // first·f + o·(y − f)
                    if m.preds {
                        // The entry cost comes from the `z` variables below.
                        objective += first(c, p) * fv.0;
                    } else {
                        objective += o * yv.0 + (first(c, p) - o) * fv.0;
                        charged[p][c] = o;
                    }
                    links.push(Expression::from(fv.0) - yv.0);
                }
                None => {
                    // Only as the first class: y ≤ f (and f ≤ y).
                    objective += first(c, p) * yv.0;
                    links.push(Expression::from(fv.0) - yv.0);
                    links.push(Expression::from(yv.0) - fv.0);
                }
            }
            y[p][c] = Some((yv, fv));
        }
    }
    // Entries from a class the printer runs: `other·(y − f)` becomes `Σ_a setup·z`.
    let mut pred_rows: Vec<Expression> = Vec::new();
    // Per (p, c): entries into c from each other class a, to build the group cuts.
    let mut entries: Vec<Vec<Vec<(usize, Variable)>>> = vec![vec![Vec::new(); nc]; inst.n_printers];
    if m.preds {
        for p in 0..inst.n_printers {
            for c in 0..nc {
                let Some((yv, fv)) = y[p][c] else { continue };
                let mut row = Expression::from(fv.0) - yv.0;
                for a in 0..nc {
                    if a == c {
                        continue;
                    }
                    let Some((ya, _)) = y[p][a] else { continue };
                    let zv = cols.add(variable().min(0.0).max(1.0)).0;
                    objective += inst.setup_time(p, Some(a), c) as f64 * zv;
                    row += zv;
                    links.push(Expression::from(zv) - ya.0);
                    entries[p][c].push((a, zv));
                }
                pred_rows.push(row);
            }
        }
    }
    // Group cuts: a group the printer runs is entered from outside unless it holds the first
    // class.
    let mut group_rows: Vec<Expression> = Vec::new();
    for p in 0..inst.n_printers {
        let g = &m.group_of[p];
        let mut ids: Vec<usize> = (0..nc).filter(|&c| present[p][c]).map(|c| g[c]).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 {
            continue;
        }
        for &gid in &ids {
            let members: Vec<usize> = (0..nc).filter(|&c| present[p][c] && g[c] == gid).collect();
            if members.len() < 2 {
                continue;
            }
            let mut base = Expression::default();
            for &c in &members {
                if let Some((_, fv)) = y[p][c] {
                    base += fv.0;
                }
            }
            if m.preds {
                for &c in &members {
                    for &(a, zv) in &entries[p][c] {
                        if g[a] != gid {
                            base += zv;
                        }
                    }
                }
            } else {
                // The cheapest entry from outside the group, and what is charged inside it.
                let mut out = i64::MAX;
                for &c in &members {
                    for a in 0..nc {
                        if present[p][a] && g[a] != gid {
                            out = out.min(inst.setup_time(p, Some(a), c));
                        }
                    }
                }
                let inside = members.iter().map(|&c| charged[p][c]).fold(0.0, f64::max);
                let extra = out as f64 - inside;
                if out == i64::MAX || extra <= 0.0 {
                    continue;
                }
                let ev = cols.add(variable().min(0.0)).0;
                objective += extra * ev;
                base += ev;
            }
            for &c in &members {
                if let Some((yv, _)) = y[p][c] {
                    group_rows.push(base.clone() - yv.0);
                }
            }
        }
    }
    let obj = objective.clone();
    let mut model = cols
        .vars
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
    for e in group_rows {
        model.add_constraint(e.geq(0.0));
    }
    for p in 0..inst.n_printers {
        let mut row = Expression::default();
        let mut any = false;
        for c in 0..nc {
            if let Some((_, fv)) = y[p][c] {
                row += fv.0;
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
                row += yv.0;
            }
        }
        model.add_constraint(row.geq(1.0));
    }
    if !integer {
        let sol = model.solve().ok()?;
        if !matches!(sol.status(), good_lp::solvers::SolutionStatus::Optimal) {
            return None;
        }
        return Some(Solved {
            value: sol.eval(&obj),
            solution: None,
        });
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
    let value = match dual {
        Some(d) => d,
        None if status == "Optimal" => solved.objective_value() - 0.999,
        None => return None,
    };
    // The solution, when HiGHS has one that covers every job.
    let sol = solved.get_solution();
    let vals = sol.columns();
    let solution = (vals.len() >= cols.n).then(|| {
        let mut classes = vec![Vec::new(); inst.n_printers];
        let mut firsts = vec![None; inst.n_printers];
        for p in 0..inst.n_printers {
            for c in 0..nc {
                if let Some(((_, yi), (_, fi))) = y[p][c]
                    && vals[yi] > 0.5
                {
                    classes[p].push(c);
                    if vals[fi] > 0.5 {
                        firsts[p] = Some(c);
                    }
                }
            }
        }
        Entry {
            bound: 0,
            classes,
            first: firsts,
        }
    });
    let solution = solution.filter(|e| {
        covers
            .iter()
            .all(|(c, ps)| ps.iter().any(|&p| e.classes[p].contains(c)))
    });
    Some(Solved { value, solution })
}
