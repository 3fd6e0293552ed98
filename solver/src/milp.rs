//! Exact MILP (good_lp + HiGHS) for small instances.
//!
//! Variables: `x[j,p]` assignment; `f[p,j]` / `g[p,j]` job `j` first / last on `p`; `z[p,i,j]` job `i`
//! immediately before `j` on `p`; load `L_j`, setup `S_j`, end `E_j`, tardiness `T_j`, makespan `C`;
//! `u[j,σ]` the shift in which `j` is loaded; `v[j,p,w]` job `j` runs after window `w` of `p`.
//! Sequencing is the classic big-M on immediate predecessors (no subtours: durations are ≥ 1).
//! The bed-clearing rule needs no constraint: a load inside a shift at or after the previous end
//! is automatically at or after the start of the shift following that end.

#![allow(clippy::needless_range_loop)]

use std::collections::HashMap;
use std::time::Instant;

use good_lp::{Expression, ProblemVariables, SolverModel, Variable, VariableDefinition, highs, variable};

/// Problem variables that remember each variable's column index.
struct Vars {
    pv: ProblemVariables,
    idx: HashMap<Variable, usize>,
}

impl Vars {
    fn add(&mut self, d: VariableDefinition) -> Variable {
        let v = self.pv.add(d);
        let n = self.idx.len();
        self.idx.insert(v, n);
        v
    }
}

use crate::plan::{Cursor, Sequences};
use crate::problem::Instance;

/// Result of a MILP run.
#[derive(Debug, Clone)]
pub struct MilpResult {
    pub sequences: Sequences,
    pub proved_optimal: bool,
    /// Best bound HiGHS proved (valid lower bound on the optimum).
    pub dual_bound: f64,
}

/// A valid upper bound on every time in some optimal semi-active schedule.
pub fn big_m(inst: &Instance, jobs: &[usize]) -> i64 {
    let mut point = 0i64;
    for &j in jobs {
        point = point.max(inst.release[j]);
    }
    for p in 0..inst.n_printers {
        point = point.max(inst.avail[p]);
        if let Some(w) = inst.windows[p].last() {
            point = point.max(w.1);
        }
    }
    let mut block_max = 0i64;
    let mut block_sum = 0i64;
    for &j in jobs {
        let mut b = 0;
        for &(p, d) in &inst.elig[j] {
            let smax = (0..inst.n_classes)
                .map(|a| inst.setup_time(p, Some(a), inst.job_class[j]))
                .max()
                .unwrap_or(0);
            b = b.max(smax + d);
        }
        block_max = block_max.max(b);
        block_sum += b;
    }
    let load_max = match &inst.shifts {
        Some(s) => s.last().map_or(0, |w| w.1),
        None => point + block_sum,
    };
    let m = load_max + block_max;
    match inst.horizon {
        Some(h) => m.min(h),
        None => m,
    }
}

/// Solve exactly (within `time_limit` seconds). `jobs` are the jobs to schedule (all of them must
/// be scheduled); `warm` an optional feasible start. `None` if HiGHS found no solution.
pub fn solve_milp(
    inst: &Instance,
    jobs: &[usize],
    warm: Option<&Sequences>,
    time_limit: f64,
) -> Option<MilpResult> {
    let t0 = Instant::now();
    let n_p = inst.n_printers;
    if jobs.is_empty() {
        return Some(MilpResult {
            sequences: Sequences::empty(inst),
            proved_optimal: true,
            dual_bound: 0.0,
        });
    }
    let mut m = big_m(inst, jobs) as f64;
    // Any solution at least as good as the warm start ends every job by C_ub (makespan weight > 0)
    // or by due + UB / (w2·weight) (tardiness); restricting times to that keeps every optimum and
    // tightens all big-M constraints.
    let ub = warm.and_then(|w| w.evaluate(inst)).map(|v| v.value);
    if let Some(ub) = ub {
        if inst.w_makespan > 0.0 {
            m = m.min((ub / inst.w_makespan + 1e-6).floor());
        } else if inst.w_tardiness > 0.0 {
            let mut worst = 0.0f64;
            let mut all = true;
            for &j in jobs {
                match inst.due[j] {
                    Some(d) if inst.weight[j] > 0.0 => {
                        worst =
                            worst.max(d as f64 + (ub / (inst.w_tardiness * inst.weight[j]) + 1e-6).floor())
                    }
                    _ => all = false,
                }
            }
            if all {
                m = m.min(worst);
            }
        }
    }
    let mut vars = Vars {
        pv: ProblemVariables::new(),
        idx: HashMap::new(),
    };
    let n = jobs.len();
    // Local index k ↔ job jobs[k].
    let mut x: Vec<Vec<Option<Variable>>> = vec![vec![None; n_p]; n];
    let mut f: Vec<Vec<Option<Variable>>> = vec![vec![None; n_p]; n];
    let mut g: Vec<Vec<Option<Variable>>> = vec![vec![None; n_p]; n];
    let mut z: Vec<Vec<Vec<(usize, Variable)>>> = vec![vec![Vec::new(); n]; n_p]; // z[p][i] = [(j, var)]
    for (k, &j) in jobs.iter().enumerate() {
        for &(p, _) in &inst.elig[j] {
            x[k][p] = Some(vars.add(variable().binary()));
            f[k][p] = Some(vars.add(variable().binary()));
            g[k][p] = Some(vars.add(variable().binary()));
        }
    }
    for p in 0..n_p {
        for a in 0..n {
            if x[a][p].is_none() {
                continue;
            }
            for b in 0..n {
                if a != b && x[b][p].is_some() {
                    z[p][a].push((b, vars.add(variable().binary())));
                }
            }
        }
    }
    // Earliest load / end of each job alone (valid bounds that tighten the relaxation).
    let on = crate::bound::classes_on(inst);
    let mut early_load = Vec::with_capacity(n);
    let mut early_end = Vec::with_capacity(n);
    for &j in jobs {
        let mut el = i64::MAX;
        let mut ee = i64::MAX;
        for &(p, d) in &inst.elig[j] {
            let s = crate::bound::min_setup(inst, &on, j, p);
            if let Some(l) = inst.earliest_load(p, inst.avail[p].max(inst.release[j]), s + d) {
                el = el.min(l);
                ee = ee.min(l + s + d);
            }
        }
        early_load.push(if el == i64::MAX { inst.release[j] } else { el });
        early_end.push(if ee == i64::MAX { 0 } else { ee });
    }
    let load: Vec<Variable> = (0..n)
        .map(|k| vars.add(variable().min(early_load[k] as f64).max(m)))
        .collect();
    let setup: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0).max(m))).collect();
    let end: Vec<Variable> = (0..n)
        .map(|k| vars.add(variable().min(early_end[k] as f64).max(m)))
        .collect();
    let tard: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0))).collect();
    let cmax = vars.add(variable().min(early_end.iter().copied().max().unwrap_or(0) as f64));
    // Shifts.
    let mut u: Vec<Vec<(usize, Variable)>> = vec![Vec::new(); n];
    if let Some(shifts) = &inst.shifts {
        for k in 0..n {
            for (si, &(a, b)) in shifts.iter().enumerate() {
                if b >= early_load[k] && (a as f64) <= m {
                    u[k].push((si, vars.add(variable().binary())));
                }
            }
        }
    }
    // Windows.
    let mut v: Vec<Vec<(usize, usize, Variable)>> = vec![Vec::new(); n]; // (p, window index, var)
    for (k, &j) in jobs.iter().enumerate() {
        for &(p, _) in &inst.elig[j] {
            for (wi, &(a, b)) in inst.windows[p].iter().enumerate() {
                if b > early_load[k].max(inst.avail[p]) && (a as f64) < m {
                    v[k].push((p, wi, vars.add(variable().binary())));
                }
            }
        }
    }
    let mut objective = Expression::from(cmax) * inst.w_makespan;
    for k in 0..n {
        objective += inst.w_tardiness * inst.weight[jobs[k]] * tard[k];
        objective += inst.w_setups * setup[k];
    }
    let col = std::mem::take(&mut vars.idx);
    let mut model = vars.pv.minimise(objective).using(highs);
    for (k, &j) in jobs.iter().enumerate() {
        let c = inst.job_class[j];
        let mut assign = Expression::default();
        let mut setup_expr = Expression::default();
        let mut dur_expr = Expression::default();
        let mut avail_expr = Expression::default();
        for &(p, d) in &inst.elig[j] {
            let (Some(xv), Some(fv), Some(gv)) = (x[k][p], f[k][p], g[k][p]) else {
                continue;
            };
            assign += xv;
            dur_expr += (d as f64) * xv;
            avail_expr += (inst.avail[p] as f64) * xv;
            setup_expr += (inst.setup_time(p, inst.init_class[p], c) as f64) * fv;
            // One predecessor (or first) and one successor (or last) when assigned to p.
            let mut pred = Expression::from(fv);
            for a in 0..n {
                for &(b, zv) in &z[p][a] {
                    if b == k {
                        pred += zv;
                        setup_expr += (inst.setup_time(p, Some(inst.job_class[jobs[a]]), c) as f64) * zv;
                    }
                }
            }
            model.add_constraint(pred.eq(xv));
            let mut succ = Expression::from(gv);
            for &(_, zv) in &z[p][k] {
                succ += zv;
            }
            model.add_constraint(succ.eq(xv));
        }
        model.add_constraint(assign.eq(1.0));
        model.add_constraint(Expression::from(setup[k]).eq(setup_expr.clone()));
        model.add_constraint(Expression::from(end[k]).eq(Expression::from(load[k]) + setup[k] + dur_expr));
        model.add_constraint(Expression::from(load[k]).geq(avail_expr));
        model.add_constraint(Expression::from(cmax).geq(end[k]));
        if let Some(d) = inst.due[j] {
            model.add_constraint(Expression::from(tard[k]).geq(Expression::from(end[k]) - d as f64));
        }
        if let Some(h) = inst.horizon {
            model.add_constraint(Expression::from(end[k]).leq(h as f64));
        }
        if let Some(shifts) = &inst.shifts {
            let mut one = Expression::default();
            let mut lo = Expression::default();
            let mut hi = Expression::default();
            for &(si, uv) in &u[k] {
                one += uv;
                lo += (shifts[si].0 as f64) * uv;
                hi += (shifts[si].1 as f64) * uv;
            }
            model.add_constraint(one.eq(1.0));
            model.add_constraint(Expression::from(load[k]).geq(lo));
            model.add_constraint(Expression::from(load[k]).leq(hi));
        }
        for &(p, wi, vv) in &v[k] {
            let (a, b) = inst.windows[p][wi];
            let Some(xv) = x[k][p] else { continue };
            // x = 1: either end ≤ a (v = 0) or load ≥ b (v = 1).
            model.add_constraint(Expression::from(end[k]).leq(a as f64 + m * vv + m * (1.0 - xv)));
            model.add_constraint(Expression::from(load[k]).geq(b as f64 * vv - m * (1.0 - xv)));
        }
    }
    for p in 0..n_p {
        let mut firsts = Expression::default();
        let mut work = Expression::default();
        let mut any = false;
        for k in 0..n {
            if let (Some(fv), Some(xv)) = (f[k][p], x[k][p]) {
                any = true;
                firsts += fv;
                work += (inst.avail[p] as f64) * fv;
                work += (inst.duration(jobs[k], p).unwrap_or(0) as f64) * xv;
                work += (inst.setup_time(p, inst.init_class[p], inst.job_class[jobs[k]]) as f64) * fv;
            }
            for &(b, zv) in &z[p][k] {
                work +=
                    (inst.setup_time(p, Some(inst.job_class[jobs[k]]), inst.job_class[jobs[b]]) as f64) * zv;
                // Sequencing: load_b ≥ end_k when k immediately precedes b.
                model
                    .add_constraint(Expression::from(load[b]).geq(Expression::from(end[k]) - m * (1.0 - zv)));
            }
        }
        if any {
            model.add_constraint(firsts.leq(1.0));
            // Redundant load cut: everything on p happens in [avail_p, C].
            model.add_constraint(work.leq(cmax));
        }
    }
    // Warm start.
    let mut start_cols: Option<Vec<(Variable, f64)>> = None;
    if let Some(w) = warm {
        let mut pos = vec![usize::MAX; inst.n_jobs];
        for (k, &j) in jobs.iter().enumerate() {
            pos[j] = k;
        }
        let mut vals: Vec<(Variable, f64)> = Vec::new();
        let mut ok = true;
        let mut cm = 0i64;
        'outer: for (p, seq) in w.seqs.iter().enumerate() {
            let mut c = Cursor::new(inst, p);
            let mut prev: Option<usize> = None;
            for (i, &j) in seq.iter().enumerate() {
                let k = pos[j];
                let Some(t) = (if k == usize::MAX { None } else { c.push(inst, p, j) }) else {
                    ok = false;
                    break 'outer;
                };
                let (Some(xv), Some(fv), Some(gv)) = (x[k][p], f[k][p], g[k][p]) else {
                    ok = false;
                    break 'outer;
                };
                vals.push((xv, 1.0));
                if i == 0 {
                    vals.push((fv, 1.0));
                }
                if i + 1 == seq.len() {
                    vals.push((gv, 1.0));
                }
                if let Some(a) = prev
                    && let Some(&(_, zv)) = z[p][a].iter().find(|e| e.0 == k)
                {
                    vals.push((zv, 1.0));
                }
                vals.push((load[k], t.load as f64));
                vals.push((setup[k], t.setup as f64));
                vals.push((end[k], t.end as f64));
                vals.push((tard[k], inst.due[j].map_or(0, |d| (t.end - d).max(0)) as f64));
                if let Some(shifts) = &inst.shifts {
                    match u[k]
                        .iter()
                        .find(|e| shifts[e.0].0 <= t.load && t.load <= shifts[e.0].1)
                    {
                        Some(&(_, uv)) => vals.push((uv, 1.0)),
                        None => {
                            ok = false;
                            break 'outer;
                        }
                    }
                }
                for &(wp, wi, vv) in &v[k] {
                    if wp == p && t.load >= inst.windows[p][wi].1 {
                        vals.push((vv, 1.0));
                    }
                }
                cm = cm.max(t.end);
                prev = Some(k);
            }
        }
        if ok {
            vals.push((cmax, cm as f64));
            start_cols = Some(vals);
        }
    }
    let budget = (time_limit - t0.elapsed().as_secs_f64()).max(0.05);
    let mut hm = model.try_into_inner().ok()?;
    let _ = hm.try_set_option("time_limit", budget);
    let _ = hm.try_set_option("mip_rel_gap", 0.0);
    // Objective granularity: if every coefficient is a multiple of g (times are integers), any
    // better solution is better by at least g, so a gap below g proves optimality.
    let g = granularity(inst, jobs);
    let _ = hm.try_set_option("mip_abs_gap", if g > 0.0 { g * 0.999 } else { 1e-6 });
    let _ = hm.try_set_option("random_seed", 0);
    if let Some(vals) = start_cols {
        let mut cols = vec![0.0; hm.num_cols()];
        for (var, val) in vals {
            if let Some(slot) = col.get(&var).and_then(|&i| cols.get_mut(i)) {
                *slot = val;
            }
        }
        let _ = hm.try_set_solution(Some(&cols), None, None, None);
    }
    let solved = hm.try_solve().ok()?;
    let status = format!("{:?}", solved.status());
    if !matches!(
        status.as_str(),
        "Optimal"
            | "ReachedTimeLimit"
            | "ReachedIterationLimit"
            | "ReachedSolutionLimit"
            | "ObjectiveBound"
            | "ReachedInterrupt"
    ) {
        return None;
    }
    let dual_bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(f64::NEG_INFINITY);
    let proved = status == "Optimal";
    let sol = solved.get_solution();
    let cols = sol.columns();
    if cols.len() < col.len() {
        return None;
    }
    let val = |v: Variable| col.get(&v).and_then(|&i| cols.get(i)).copied().unwrap_or(0.0);
    let mut seqs = vec![Vec::new(); n_p];
    let mut on: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n_p];
    for (k, &j) in jobs.iter().enumerate() {
        let p = (0..n_p).find(|&p| x[k][p].is_some_and(|xv| val(xv) > 0.5))?;
        on[p].push((val(load[k]), j));
    }
    for p in 0..n_p {
        on[p].sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        seqs[p] = on[p].iter().map(|e| e.1).collect();
    }
    let sequences = Sequences {
        seqs,
        unscheduled: Vec::new(),
    };
    // Re-time semi-actively (never worse than the MILP's own times) and verify.
    sequences.evaluate(inst)?;
    let dual = if dual_bound.is_finite() {
        dual_bound
    } else {
        f64::NEG_INFINITY
    };
    Some(MilpResult {
        sequences,
        proved_optimal: proved,
        dual_bound: dual,
    })
}

/// Largest g such that every objective coefficient is a multiple of g (to 1e-3), or 0.
fn granularity(inst: &Instance, jobs: &[usize]) -> f64 {
    let mut coefs = vec![inst.w_makespan, inst.w_setups];
    for &j in jobs {
        if inst.due[j].is_some() {
            coefs.push(inst.w_tardiness * inst.weight[j]);
        }
    }
    let mut g: u64 = 0;
    for c in coefs {
        if c <= 0.0 {
            continue;
        }
        let scaled = c * 1000.0;
        if (scaled - scaled.round()).abs() > 1e-6 || scaled > 1e12 {
            return 0.0;
        }
        let mut a = scaled.round() as u64;
        let mut b = g;
        while b != 0 {
            (a, b) = (b, a % b);
        }
        g = a;
    }
    g as f64 / 1000.0
}
