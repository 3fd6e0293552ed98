//! Exact dynamic programme for small instances (≤ [`DP_MAX_JOBS`] schedulable jobs).
//!
//! For a fixed sequence the semi-active timing is optimal, and the continuation of a partial
//! sequence on a printer depends only on (jobs done, last job, its end). So per printer we keep,
//! for each (subset, last job), the Pareto front of (end, cost) — cost = weighted tardiness and
//! setup terms. Printers are then combined subset by subset (3^n), keeping the Pareto front of
//! (makespan, cost). The result is proved optimal. The MILP stays the exact method for larger
//! instances, where its bound is still useful.

#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use crate::plan::{Cursor, Sequences};
use crate::problem::Instance;

pub const DP_MAX_JOBS: usize = 16;

/// Largest set-partitioning model [`solve_columns`] hands to HiGHS. HiGHS does not always keep
/// to its time limit on these models: 16 881 columns with 42.8 s left took 112 s (5 × 20, seed 5,
/// makespan), while 14 106 took 2.8 s.
pub const MAX_COLUMNS: usize = 10_000;

/// (end or 0, cost, last job, index in the (subset, last) front).
type PrinterEntry = (i64, f64, usize, usize);

#[derive(Debug, Clone, Copy)]
struct Entry {
    end: i64,
    cost: f64,
    cursor: Cursor,
    /// (previous last job local index or usize::MAX, index in its front)
    parent: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct Comb {
    cmax: i64,
    cost: f64,
    /// (subset on this printer, index in printer front of that subset, index in previous front)
    from: (u32, usize, usize),
}

/// Insert `e` unless dominated (dropping what it dominates); returns the bytes newly allocated
/// (0 when `e` was dominated or fitted in the existing capacity). A new front starts with room
/// for one entry (most fronts hold one or two), not the default four.
fn insert_pareto<T: Copy>(front: &mut Vec<T>, e: T, key: impl Fn(&T) -> (i64, f64)) -> usize {
    let (a, b) = key(&e);
    if front.iter().any(|f| {
        let (x, y) = key(f);
        x <= a && y <= b + 1e-9
    }) {
        return 0;
    }
    front.retain(|f| {
        let (x, y) = key(f);
        !(a <= x && b <= y + 1e-9)
    });
    let before = front.capacity();
    if before == 0 {
        front.reserve_exact(1);
    }
    front.push(e);
    (front.capacity() - before) * std::mem::size_of::<T>()
}

/// Bytes of one state of the column enumeration (an [`Entry`] plus hash-map overhead); the
/// column method's `max_states` is a budget of `max_states × COLUMN_STATE_BYTES` bytes.
pub const COLUMN_STATE_BYTES: usize = std::mem::size_of::<Entry>() + COLUMN_KEY_BYTES;

/// Hash-map overhead of one (subset, last job) key of the column enumeration.
const COLUMN_KEY_BYTES: usize = 48;

/// Memory the DP needs before storing any state: the per-(subset, last job) table headers of
/// every printer plus the per-subset printer and combination fronts.
pub fn dp_fixed_bytes(n_printers: usize, n_jobs: usize) -> usize {
    let subsets = 1usize << n_jobs.min(30);
    let vec = std::mem::size_of::<Vec<Entry>>();
    n_printers.saturating_mul(subsets.saturating_mul(n_jobs.max(1) * vec + 2 * vec))
}

/// Solve exactly; `None` if too large or out of time.
pub fn solve_dp(inst: &Instance, jobs: &[usize], deadline: Instant) -> Option<Sequences> {
    solve_dp_within(inst, jobs, deadline, usize::MAX)
}

/// [`solve_dp`] within a memory budget: `None` as soon as the tables would exceed `max_bytes`
/// (counted as table headers plus the capacity allocated for states, which never shrinks).
pub fn solve_dp_within(
    inst: &Instance,
    jobs: &[usize],
    deadline: Instant,
    max_bytes: usize,
) -> Option<Sequences> {
    let sub = Sub {
        printers: (0..inst.n_printers).collect(),
        starts: (0..inst.n_printers).map(|p| Cursor::new(inst, p)).collect(),
        suffixes: vec![Vec::new(); inst.n_printers],
        makespan_floor: 0,
    };
    let middles = solve_sub(inst, &sub, jobs, deadline, max_bytes)?;
    Some(Sequences {
        seqs: middles,
        unscheduled: Vec::new(),
    })
}

/// A sub-problem for large-neighbourhood search: re-sequence `jobs` on `printers`, where printer
/// `printers[i]` starts from the state `starts[i]` (after a fixed prefix, whose cost the cursor
/// carries) and must still run `suffixes[i]` after the re-optimised part. The makespan term is
/// `max(makespan_floor, Cmax of these printers)` (the other printers' makespan).
#[derive(Debug, Clone)]
pub struct Sub {
    pub printers: Vec<usize>,
    pub starts: Vec<Cursor>,
    pub suffixes: Vec<Vec<usize>>,
    pub makespan_floor: i64,
}

/// Exact DP on a [`Sub`] problem: the optimal middle sequence for each printer of `sub` (same
/// order), minimising `w1·max(floor, Cmax) + Σ cost` of these printers (prefix and suffix
/// included). `None` if too large, out of time or over `max_bytes`, or if no feasible
/// assignment exists.
pub fn solve_sub(
    inst: &Instance,
    sub: &Sub,
    jobs: &[usize],
    deadline: Instant,
    max_bytes: usize,
) -> Option<Vec<Vec<usize>>> {
    let n = jobs.len();
    if n > DP_MAX_JOBS {
        return None;
    }
    let full: u32 = if n == 0 { 0 } else { (1u32 << n) - 1 };
    let n_p = sub.printers.len();
    let mut bytes = dp_fixed_bytes(n_p, n);
    if bytes > max_bytes {
        return None;
    }
    let only_cost = inst.w_makespan == 0.0;
    // Cursor after pushing the printer's suffix (None if it no longer fits).
    let close = |i: usize, c: &Cursor| -> Option<Cursor> {
        let mut c = *c;
        for &q in &sub.suffixes[i] {
            c.push(inst, sub.printers[i], q)?;
        }
        Some(c)
    };
    // Per printer: per (mask, last) fronts, then per mask the printer front (end, cost, last, idx).
    let mut printer_fronts: Vec<Vec<Vec<PrinterEntry>>> = Vec::with_capacity(n_p);
    let mut tables: Vec<Vec<Vec<Entry>>> = Vec::with_capacity(n_p);
    let mut elig_masks = vec![0u32; n_p];
    for (pi, &p) in sub.printers.iter().enumerate() {
        let mut em = 0u32;
        for (k, &j) in jobs.iter().enumerate() {
            if inst.duration(j, p).is_some() {
                em |= 1 << k;
            }
        }
        elig_masks[pi] = em;
        // table[mask * n + last]
        let mut table: Vec<Vec<Entry>> = vec![Vec::new(); (full as usize + 1) * n.max(1)];
        let start = sub.starts[pi];
        for k in 0..n {
            if em & (1 << k) == 0 {
                continue;
            }
            let mut c = start;
            if c.push(inst, p, jobs[k]).is_some() {
                let e = Entry {
                    end: c.cmax,
                    cost: c.cost(inst),
                    cursor: c,
                    parent: (usize::MAX, 0),
                };
                table[(1usize << k) * n + k].push(e);
            }
        }
        let mut count: u64 = 0;
        for mask in 1..=full {
            if mask & !em != 0 {
                continue;
            }
            count += 1;
            if count.is_multiple_of(1024) && Instant::now() >= deadline {
                return None;
            }
            for last in 0..n {
                if mask & (1 << last) == 0 {
                    continue;
                }
                let idx = mask as usize * n + last;
                if table[idx].is_empty() {
                    continue;
                }
                let front = table[idx].clone();
                for k in 0..n {
                    if em & (1 << k) == 0 || mask & (1 << k) != 0 {
                        continue;
                    }
                    let nm = (mask | (1 << k)) as usize;
                    for (fi, e) in front.iter().enumerate() {
                        let mut c = e.cursor;
                        if c.push(inst, p, jobs[k]).is_some() {
                            let ne = Entry {
                                end: c.cmax,
                                cost: c.cost(inst),
                                cursor: c,
                                parent: (last, fi),
                            };
                            bytes += insert_pareto(&mut table[nm * n + k], ne, |x| (x.end, x.cost));
                        }
                    }
                }
            }
            if bytes > max_bytes {
                return None;
            }
        }
        // Printer fronts per mask (each closed with the printer's suffix).
        let mut pf: Vec<Vec<PrinterEntry>> = vec![Vec::new(); full as usize + 1];
        if let Some(c) = close(pi, &start) {
            let key = if only_cost { 0 } else { c.cmax };
            pf[0].push((key, c.cost(inst), usize::MAX, 0));
        }
        for mask in 1..=full {
            if mask & !em != 0 {
                continue;
            }
            for last in 0..n {
                for (i, e) in table[mask as usize * n + last].iter().enumerate() {
                    let Some(c) = close(pi, &e.cursor) else { continue };
                    let key = if only_cost { 0 } else { c.cmax };
                    bytes += insert_pareto(&mut pf[mask as usize], (key, c.cost(inst), last, i), |x| {
                        (x.0, x.1)
                    });
                }
            }
        }
        printer_fronts.push(pf);
        tables.push(table);
    }
    // Combine printers.
    let mut combs: Vec<Vec<Vec<Comb>>> = Vec::with_capacity(n_p);
    for pi in 0..n_p {
        let mut g: Vec<Vec<Comb>> = vec![Vec::new(); full as usize + 1];
        for mask in 0..=full {
            if mask.is_multiple_of(4096) && (Instant::now() >= deadline || bytes > max_bytes) {
                return None;
            }
            // Enumerate sub ⊆ mask ∩ eligible(p), including empty.
            let allowed = mask & elig_masks[pi];
            let mut s = allowed;
            loop {
                let rest = mask & !s;
                for (fi, f) in printer_fronts[pi][s as usize].iter().enumerate() {
                    if pi == 0 {
                        if rest == 0 {
                            bytes += insert_pareto(
                                &mut g[mask as usize],
                                Comb {
                                    cmax: f.0,
                                    cost: f.1,
                                    from: (s, fi, 0),
                                },
                                |x| (x.cmax, x.cost),
                            );
                        }
                    } else {
                        for (gi, prev) in combs[pi - 1][rest as usize].iter().enumerate() {
                            let c = Comb {
                                cmax: prev.cmax.max(f.0),
                                cost: prev.cost + f.1,
                                from: (s, fi, gi),
                            };
                            bytes += insert_pareto(&mut g[mask as usize], c, |x| (x.cmax, x.cost));
                        }
                    }
                }
                if s == 0 {
                    break;
                }
                s = (s - 1) & allowed;
            }
        }
        combs.push(g);
    }
    let last = combs.last()?;
    let (bi, _) = last[full as usize]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                i,
                inst.w_makespan * c.cmax.max(sub.makespan_floor) as f64 + c.cost,
            )
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    // Reconstruct.
    let mut seqs = vec![Vec::new(); n_p];
    let mut mask = full;
    let mut gi = bi;
    for pi in (0..n_p).rev() {
        let c = combs[pi][mask as usize][gi];
        let (s, fi, prev_gi) = c.from;
        let (_, _, mut lastj, mut ei) = printer_fronts[pi][s as usize][fi];
        let mut m = s;
        let mut seq = Vec::new();
        while lastj != usize::MAX {
            seq.push(jobs[lastj]);
            let e = tables[pi][m as usize * n + lastj][ei];
            m &= !(1 << lastj);
            (lastj, ei) = e.parent;
        }
        seq.reverse();
        seqs[pi] = seq;
        mask &= !s;
        gi = prev_gi;
    }
    Some(seqs)
}

/// Outcome of [`solve_columns`].
#[derive(Debug, Clone)]
pub enum ColumnsOutcome {
    /// A strictly better plan, proved optimal.
    Better(Sequences),
    /// No plan is strictly better than the incumbent: the incumbent is optimal.
    IncumbentOptimal,
}

/// Exact for up to ~24 jobs when a good incumbent is known: per printer, enumerate the sequences
/// (as a DP over (subset, last job) with Pareto fronts of (end, cost)) that could still be part of
/// a plan strictly better than the incumbent — pruned with per-job cost lower bounds — and pick one
/// column per printer with a set-partitioning MILP (HiGHS). `None` if too large (more than
/// `max_states` states stored, see [`COLUMN_STATE_BYTES`]) or out of time.
pub fn solve_columns(
    inst: &Instance,
    jobs: &[usize],
    incumbent: &Sequences,
    deadline: Instant,
    max_states: usize,
) -> Option<ColumnsOutcome> {
    solve_columns_from(inst, jobs, incumbent, f64::NEG_INFINITY, deadline, max_states).outcome
}

/// Result of [`solve_columns_from`].
#[derive(Debug, Clone)]
pub struct ColumnsRun {
    /// A proof, or `None` when the method gave up.
    pub outcome: Option<ColumnsOutcome>,
    /// The best lower bound proved (the `lower` passed in if nothing was proved).
    pub lower_bound: f64,
    /// When the method gave up: a plan better than the incumbent that a round found on the way.
    pub improved: Option<Sequences>,
}

/// [`solve_columns`] with bound tightening: with a valid lower bound `lower`, first look only for
/// plans below a target `t` close to the bound (far fewer sequences survive the pruning), and
/// raise `t` towards the incumbent (doubling the step) while the set-partitioning model proves
/// there is none below it. A plan found below `t` is optimal (every plan below `t` was in the
/// model). When a round has too many sequences it is retried with a quarter of the step (the
/// proved bound still rises). Also returns the best lower bound proved (`lower` if nothing was
/// proved) and, when it gives up, any better plan found on the way.
pub fn solve_columns_from(
    inst: &Instance,
    jobs: &[usize],
    incumbent: &Sequences,
    lower: f64,
    deadline: Instant,
    max_states: usize,
) -> ColumnsRun {
    let Some(inc) = incumbent.evaluate(inst) else {
        return ColumnsRun {
            outcome: None,
            lower_bound: lower,
            improved: None,
        };
    };
    let proved = |o: ColumnsOutcome, lb: f64| ColumnsRun {
        outcome: Some(o),
        lower_bound: lb,
        improved: None,
    };
    let mut ub = inc.value;
    let eps = 1e-9 * ub.abs().max(1.0);
    let mut best: Option<Sequences> = None;
    let mut lo = lower;
    let mut step = if lower.is_finite() && lower < ub {
        ((ub - lower) / 16.0).max(eps)
    } else {
        f64::INFINITY
    };
    loop {
        let t = if step.is_finite() { (lo + step).min(ub) } else { ub };
        let r = columns_below(inst, jobs, t, deadline, max_states);
        match r {
            // Too large (or out of time): retry closer to the bound while a step is left.
            None if step.is_finite()
                && t - lo > (1e-3 * ub.abs()).max(4.0 * eps)
                && Instant::now() < deadline =>
            {
                step = (t - lo) / 4.0;
                continue;
            }
            None => {
                return ColumnsRun {
                    outcome: None,
                    lower_bound: lo,
                    improved: best,
                };
            }
            Some(Below::Found(s, v)) => {
                if v < ub - eps {
                    ub = v;
                    best = Some(s);
                }
                if v < t - eps {
                    // Every plan below t was a column combination: this one is optimal.
                    return proved(optimal(best), ub);
                }
                lo = lo.max(t - eps);
            }
            Some(Below::NoneBelow) => lo = lo.max(t - eps),
        }
        if t >= ub - eps {
            return proved(optimal(best), ub);
        }
        step *= 2.0;
    }
}

fn optimal(better: Option<Sequences>) -> ColumnsOutcome {
    match better {
        Some(s) => ColumnsOutcome::Better(s),
        None => ColumnsOutcome::IncumbentOptimal,
    }
}

enum Below {
    /// The best plan over the enumerated columns and its value (may be ≥ the target).
    Found(Sequences, f64),
    /// No plan has a value below the target.
    NoneBelow,
}

/// One round of the column method: enumerate the sequences that could belong to a plan of value
/// below `ub` and solve the set-partitioning model over them.
fn columns_below(
    inst: &Instance,
    jobs: &[usize],
    ub: f64,
    deadline: Instant,
    max_states: usize,
) -> Option<Below> {
    use good_lp::{Expression, ProblemVariables, Solution, SolverModel, WithTimeLimit, highs, variable};
    use std::collections::HashMap;

    let n = jobs.len();
    if n == 0 || n > 30 {
        return None;
    }
    let eps = 1e-9 * ub.abs().max(1.0);
    // Per-job lower bounds on its own cost term and on the makespan.
    let on = crate::bound::classes_on(inst);
    let mut lb_job = vec![0.0; n];
    let mut ms_lb = 0i64;
    for (k, &j) in jobs.iter().enumerate() {
        let mut best_end = i64::MAX;
        let mut best_setup = i64::MAX;
        for &(p, _) in &inst.elig[j] {
            let s = crate::bound::min_setup(inst, &on, j, p);
            if let Some(e) = crate::bound::earliest_end_alone(inst, j, p, s) {
                best_end = best_end.min(e);
                best_setup = best_setup.min(s);
            }
        }
        if best_end == i64::MAX {
            return None;
        }
        ms_lb = ms_lb.max(best_end);
        lb_job[k] = inst.w_tardiness * inst.tardiness(j, best_end) + inst.w_setups * best_setup as f64;
    }
    let total_lb: f64 = lb_job.iter().sum();
    let rest_lb = |mask: u32| -> f64 {
        let mut s = total_lb;
        for (k, lb) in lb_job.iter().enumerate() {
            if mask & (1 << k) != 0 {
                s -= lb;
            }
        }
        s
    };
    let prunable = |mask: u32, end: i64, cost: f64| -> bool {
        inst.w_makespan * end.max(ms_lb) as f64 + cost + rest_lb(mask) >= ub - eps
    };
    // A column (printer p runs exactly `mask`) can only be part of a strictly better plan if the
    // other jobs fit on the other printers before the largest makespan such a plan can have:
    // Σ_{k ∉ mask} min_{q ≠ p} (duration + least setup) ≤ Σ_{q ≠ p} (C_max − available_from).
    // (Not monotone along a sequence, so it filters finished columns, not partial states.)
    let cmax_cap: Option<i64> =
        (inst.w_makespan > 0.0).then(|| ((ub - eps) / inst.w_makespan).floor() as i64);
    let work: Vec<Vec<Option<i64>>> = jobs
        .iter()
        .map(|&j| {
            (0..inst.n_printers)
                .map(|q| {
                    inst.duration(j, q)
                        .map(|d| d + crate::bound::min_setup(inst, &on, j, q))
                })
                .collect()
        })
        .collect();
    let fits_elsewhere = |p: usize, mask: u32| -> bool {
        let Some(cap) = cmax_cap else { return true };
        let capacity: i64 = (0..inst.n_printers)
            .filter(|&q| q != p)
            .map(|q| (cap - inst.avail[q]).max(0))
            .sum();
        let mut need = 0i64;
        for (k, w) in work.iter().enumerate() {
            if mask & (1 << k) != 0 {
                continue;
            }
            match (0..inst.n_printers)
                .filter(|&q| q != p)
                .filter_map(|q| w[q])
                .min()
            {
                Some(x) => need += x,
                None => return false,
            }
        }
        need <= capacity
    };
    type Key = (u32, u8);
    let mut tables: Vec<HashMap<Key, Vec<Entry>>> = Vec::with_capacity(inst.n_printers);
    let mut columns: Vec<(usize, u32, i64, f64, u8, usize)> = Vec::new(); // (p, mask, end, cost, last, idx)
    let mut state_bytes = 0usize;
    for p in 0..inst.n_printers {
        let mut table: HashMap<Key, Vec<Entry>> = HashMap::new();
        let mut layer: Vec<Key> = Vec::new();
        let start = Cursor::new(inst, p);
        for (k, &j) in jobs.iter().enumerate() {
            if inst.duration(j, p).is_none() {
                continue;
            }
            let mut c = start;
            if c.push(inst, p, j).is_some() && !prunable(1 << k, c.cmax, c.cost(inst)) {
                let key = (1u32 << k, k as u8);
                table.entry(key).or_default().push(Entry {
                    end: c.cmax,
                    cost: c.cost(inst),
                    cursor: c,
                    parent: (usize::MAX, 0),
                });
                layer.push(key);
            }
        }
        while !layer.is_empty() {
            if Instant::now() >= deadline {
                return None;
            }
            let mut next: Vec<Key> = Vec::new();
            for (li, &(mask, last)) in layer.iter().enumerate() {
                if li % 256 == 255 && Instant::now() >= deadline {
                    return None;
                }
                let front = table.get(&(mask, last)).cloned().unwrap_or_default();
                for (k, &j) in jobs.iter().enumerate() {
                    if mask & (1 << k) != 0 || inst.duration(j, p).is_none() {
                        continue;
                    }
                    let nm = mask | (1 << k);
                    for (fi, e) in front.iter().enumerate() {
                        let mut c = e.cursor;
                        if c.push(inst, p, j).is_none() || prunable(nm, c.cmax, c.cost(inst)) {
                            continue;
                        }
                        let key = (nm, k as u8);
                        let list = table.entry(key).or_default();
                        if list.is_empty() {
                            next.push(key);
                            state_bytes += COLUMN_KEY_BYTES;
                        }
                        let ne = Entry {
                            end: c.cmax,
                            cost: c.cost(inst),
                            cursor: c,
                            parent: (last as usize, fi),
                        };
                        state_bytes += insert_pareto(list, ne, |x| (x.end, x.cost));
                    }
                    if state_bytes > max_states.saturating_mul(COLUMN_STATE_BYTES) {
                        return None;
                    }
                }
            }
            layer = next;
        }
        // One column per Pareto-optimal (end, cost) per job set: which job comes last does not
        // matter to the set-partitioning model.
        let mut per_mask: HashMap<u32, Vec<(i64, f64, u8, usize)>> = HashMap::new();
        let mut keys: Vec<Key> = table.keys().copied().collect();
        keys.sort_unstable();
        for (mask, last) in keys {
            if !fits_elsewhere(p, mask) {
                continue;
            }
            let Some(list) = table.get(&(mask, last)) else {
                continue;
            };
            let front = per_mask.entry(mask).or_default();
            for (i, e) in list.iter().enumerate() {
                insert_pareto(front, (e.end, e.cost, last, i), |x| (x.0, x.1));
            }
        }
        for (mask, front) in per_mask {
            for (end, cost, last, i) in front {
                columns.push((p, mask, end, cost, last, i));
            }
        }
        tables.push(table);
    }
    if columns.len() > MAX_COLUMNS {
        return None;
    }
    let covered = columns.iter().fold(0u32, |m, c| m | c.1);
    if n < 32 && covered != ((1u64 << n) - 1) as u32 {
        return Some(Below::NoneBelow);
    }
    // Deterministic column order.
    columns.sort_by_key(|c| (c.0, c.1, c.4, c.5));
    let mut vars = ProblemVariables::new();
    let y: Vec<_> = columns.iter().map(|_| vars.add(variable().binary())).collect();
    let cvar = vars.add(variable().min(ms_lb as f64));
    let mut objective = Expression::from(cvar) * inst.w_makespan;
    for (i, c) in columns.iter().enumerate() {
        objective += c.3 * y[i];
    }
    let mut model = vars
        .minimise(objective)
        .using(highs)
        .set_option("mip_rel_gap", 0.0)
        .set_option("mip_abs_gap", 1e-6);
    model.set_verbose(false);
    let mut per_job: Vec<Expression> = vec![Expression::default(); n];
    let mut per_printer: Vec<Expression> = vec![Expression::default(); inst.n_printers];
    let mut per_printer_end: Vec<Expression> = vec![Expression::default(); inst.n_printers];
    for (i, c) in columns.iter().enumerate() {
        for (k, e) in per_job.iter_mut().enumerate() {
            if c.1 & (1 << k) != 0 {
                *e += y[i];
            }
        }
        per_printer[c.0] += y[i];
        per_printer_end[c.0] += (c.2 as f64) * y[i];
    }
    for e in per_job {
        model.add_constraint(e.eq(1.0));
    }
    for (e, t) in per_printer.into_iter().zip(per_printer_end) {
        model.add_constraint(e.leq(1.0));
        model.add_constraint(t.leq(cvar));
    }
    let remaining = deadline.saturating_duration_since(Instant::now()).as_secs_f64();
    if remaining <= 0.01 {
        return None;
    }
    let model = model.with_time_limit(remaining);
    let sol = match model.solve() {
        Ok(s) => s,
        Err(good_lp::ResolutionError::Infeasible) => return Some(Below::NoneBelow),
        Err(_) => return None,
    };
    if !matches!(sol.status(), good_lp::solvers::SolutionStatus::Optimal) {
        return None;
    }
    let mut seqs = vec![Vec::new(); inst.n_printers];
    for (i, c) in columns.iter().enumerate() {
        if sol.value(y[i]) < 0.5 {
            continue;
        }
        let (p, mut mask, _, _, last, idx) = *c;
        let mut lastj = last as usize;
        let mut ei = idx;
        let mut seq = Vec::new();
        while lastj != usize::MAX {
            seq.push(jobs[lastj]);
            let e = tables[p].get(&(mask, lastj as u8))?.get(ei).copied()?;
            mask &= !(1 << lastj);
            (lastj, ei) = e.parent;
        }
        seq.reverse();
        seqs[p] = seq;
    }
    let s = Sequences {
        seqs,
        unscheduled: Vec::new(),
    };
    let v = s.evaluate(inst)?.value;
    Some(Below::Found(s, v))
}
