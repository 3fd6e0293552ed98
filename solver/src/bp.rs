//! Branch-and-price: the exact method above [`crate::dp::DP_MAX_JOBS`] jobs (and the exact
//! sub-problem solver of the large-neighbourhood search for larger neighbourhoods).
//!
//! Master problem: a set-partitioning LP over columns = (printer, job sequence): every job
//! exactly once (dual `π_j`), one column per printer (dual `μ_p`; the empty sequence is a column).
//! It is solved with HiGHS (good_lp, which gives the row duals). Pricing is **exact**: a label
//! DP per printer over (job set, last job) keeping the Pareto front of (end, cost) — the same
//! semi-active timing as everything else, so every column is timed exactly as the checker times
//! it (shifts, windows, releases, bed clearing, horizon). Labels are pruned with an optimistic
//! bound on the reduced cost of any extension, so every column with a negative reduced cost is
//! found. (A first, capped attempt per round only collects cheap columns; bounds and
//! convergence come from uncapped rounds.)
//!
//! The bound is a Lagrangian bound computed from the duals and the exact pricing result
//! (`Σ_j π_j + Σ_p min_c (cost_c − Σ_{j∈c} π_j)`), so it is a real bound whatever the LP
//! solver's tolerances; a node is pruned only when that bound reaches the cut-off.
//!
//! Objectives:
//! * cost only (`w_makespan = 0`: tardiness and setups): column cost = its tardiness and setup
//!   terms; columns that cannot belong to a plan strictly better than the incumbent are left out
//!   (which keeps the bound valid as `min(bound, incumbent)`); branching on job→printer
//!   assignments, depth first; the restricted master is also solved as a MILP at the root to
//!   find better incumbents.
//! * makespan only: for a target `T`, "is there a plan with makespan ≤ T?" is a feasibility
//!   problem over the columns that end by `T` (phase-one master: minimise the uncovered jobs).
//!   A binary search on `T` with the root LP raises the lower bound; a tree search at the
//!   lowest LP-feasible `T` then finds a plan (optimal) or proves `T + 1`.
//! * both (makespan and cost weights): not handled (`None`); the caller falls back.

#![allow(clippy::needless_range_loop)]

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::time::Instant;

use good_lp::solvers::{DualValues, SolutionWithDual};
use good_lp::{Expression, ProblemVariables, Solution, SolverModel, WithTimeLimit, highs, variable};

use crate::dp::Sub;
use crate::plan::{Cursor, Sequences};
use crate::problem::{Fnv, Instance};

type FMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Largest number of jobs (job sets are `u32` masks).
pub const BP_MAX_JOBS: usize = 32;

/// Bytes counted per pricing label (label, front entry, hash-map share).
pub const LABEL_BYTES: usize = 128;

/// Relative tolerance within which an integral node's value must meet its bound for the node to
/// be closed (the proofs are exact up to this, like HiGHS' own `mip_abs_gap`).
const CLOSE_TOL: f64 = 1e-6;

/// Columns returned per printer and pricing round.
const COLUMNS_PER_ROUND: usize = 40;

/// Label cap of the first, cheap pricing attempt (see [`Bp::node`]; at most 1/16 of the
/// memory budget's labels).
const QUICK_LABELS: usize = 50_000;

/// Column-generation rounds per node before the node gives up.
const MAX_ROUNDS: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Minimise the tardiness and setup terms.
    Cost,
    /// Feasibility: every column must end by this minute.
    Within(i64),
}

#[derive(Debug, Clone)]
struct Column {
    /// Index into `sub.printers`.
    pi: usize,
    mask: u32,
    seq: Vec<usize>,
    /// Tardiness and setup terms of the whole printer (prefix and suffix included).
    cost: f64,
    /// End of the printer's last job (suffix included).
    end: i64,
}

#[derive(Debug, Clone, Copy)]
struct Label {
    cursor: Cursor,
    mask: u32,
    last: u8,
    parent: u32,
    alive: bool,
    pi_sum: f64,
}

/// Branching decisions of a node: per sub printer, the jobs it may run and the jobs it must run.
#[derive(Debug, Clone)]
struct Node {
    allowed: Vec<u32>,
    required: Vec<u32>,
    /// Lower bound inherited from the parent.
    lb: f64,
}

/// Statistics of a run (for benchmarks and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpStats {
    pub nodes: u64,
    pub lp_solves: u64,
    pub columns: u64,
    pub pricing_labels: u64,
    /// Wall time in HiGHS (master LPs and MILPs, model building included) and in pricing, µs.
    pub master_us: u64,
    pub pricing_us: u64,
    /// Of `master_us`, the restricted-master MILPs.
    pub milp_us: u64,
}

/// Result of [`solve_bp`] / [`solve_sub_bp`].
#[derive(Debug, Clone)]
pub struct BpRun {
    /// A plan strictly better than the incumbent, if one was found.
    pub improved: Option<Sequences>,
    /// The best plan (improved or incumbent) is proved optimal.
    pub proved: bool,
    /// A valid lower bound on the optimum (`value` of the best plan when proved).
    pub lower_bound: f64,
    pub stats: BpStats,
}

struct Lp {
    z: f64,
    lambda: Vec<f64>,
    art: Vec<f64>,
    pi: Vec<f64>,
    mu: Vec<f64>,
}

/// Result of one pricing.
struct Priced {
    columns: Vec<Column>,
    /// Least reduced cost (exact when below `−tol` and not `truncated`).
    min_rc: f64,
    /// The label cap stopped the enumeration: `min_rc` is not a bound.
    truncated: bool,
}

enum NodeResult {
    /// Bound ≥ cut-off: nothing strictly better (or nothing feasible) below this node.
    Pruned,
    /// Integral LP solution: one column per printer (indices into the pool).
    Integral(Vec<usize>, f64),
    /// Fractional: branch on (job k, printer pi) whose assignment is `x`.
    Branch(usize, usize, f64, f64),
}

struct Bp<'a> {
    inst: &'a Instance,
    sub: &'a Sub,
    jobs: &'a [usize],
    n: usize,
    n_p: usize,
    elig: Vec<u32>,
    /// `[pi][k]`: duration + least setup of job k on the printer (0 if not eligible).
    work: Vec<Vec<i64>>,
    /// `[pi][k]`: duration of job k on the printer.
    dur: Vec<Vec<i64>>,
    /// `[pi][k]`: least setup of job k on the printer.
    min_set: Vec<Vec<i64>>,
    /// `[pi][k]`: earliest end of job k alone on the printer (with its least setup).
    early: Vec<Vec<i64>>,
    /// Per job: lower bound on its own tardiness and setup terms.
    lb_job: Vec<f64>,
    total_lb: f64,
    /// Per sub printer: a lower bound on its cost (prefix and suffix) whatever its middle.
    start_cost: Vec<f64>,
    deadline: Instant,
    max_labels: usize,
    /// Nodes (column-generation runs) before the search gives up (deterministic cap).
    max_nodes: u64,
    pool: Vec<Column>,
    seen: HashSet<(usize, u32, i64, u64)>,
    stats: BpStats,
}

impl<'a> Bp<'a> {
    fn new(
        inst: &'a Instance,
        sub: &'a Sub,
        jobs: &'a [usize],
        deadline: Instant,
        max_bytes: usize,
    ) -> Option<Bp<'a>> {
        let n = jobs.len();
        if n == 0 || n > BP_MAX_JOBS || sub.printers.is_empty() {
            return None;
        }
        let n_p = sub.printers.len();
        let on = crate::bound::classes_on(inst);
        let mut elig = vec![0u32; n_p];
        let mut work = vec![vec![0i64; n]; n_p];
        let mut dur = vec![vec![0i64; n]; n_p];
        let mut min_set = vec![vec![0i64; n]; n_p];
        let mut early = vec![vec![i64::MAX; n]; n_p];
        let mut lb_job = vec![0.0; n];
        for (k, &j) in jobs.iter().enumerate() {
            let mut best = f64::INFINITY;
            for (pi, &p) in sub.printers.iter().enumerate() {
                let Some(d) = inst.duration(j, p) else { continue };
                let s = crate::bound::min_setup(inst, &on, j, p);
                // Earliest end of the job alone after the printer's fixed prefix.
                let Some(ready) = sub.starts[pi].ready else {
                    continue;
                };
                let Some(load) = inst.earliest_load(p, ready.max(inst.release[j]), s + d) else {
                    continue;
                };
                let e = load + s + d;
                elig[pi] |= 1 << k;
                work[pi][k] = d + s;
                dur[pi][k] = d;
                min_set[pi][k] = s;
                early[pi][k] = e;
                best = best.min(inst.w_tardiness * inst.tardiness(j, e) + inst.w_setups * s as f64);
            }
            if !best.is_finite() {
                return None;
            }
            lb_job[k] = best;
        }
        let total_lb = lb_job.iter().sum();
        // Lower bound on each printer's cost whatever its middle part: the prefix, then the
        // suffix timed from the prefix's end with the least setup any predecessor could give its
        // first job (semi-active timing is monotone: an earlier start and a shorter setup never
        // end a job later).
        let start_cost = (0..n_p)
            .map(|pi| {
                let p = sub.printers[pi];
                let start = sub.starts[pi];
                let Some(&first) = sub.suffixes[pi].first() else {
                    return start.cost(inst);
                };
                let target = inst.job_class[first];
                let mut c = start;
                if c.prev.is_some() {
                    let mut best = c.prev;
                    for &j in jobs {
                        if inst.duration(j, p).is_some() {
                            let a = Some(inst.job_class[j]);
                            if inst.setup_time(p, a, target) < inst.setup_time(p, best, target) {
                                best = a;
                            }
                        }
                    }
                    c.prev = best;
                }
                for &q in &sub.suffixes[pi] {
                    if c.push(inst, p, q).is_none() {
                        return start.cost(inst);
                    }
                }
                c.cost(inst)
            })
            .collect();
        Some(Bp {
            inst,
            sub,
            jobs,
            n,
            n_p,
            elig,
            work,
            dur,
            min_set,
            early,
            lb_job,
            total_lb,
            start_cost,
            deadline,
            max_labels: (max_bytes / LABEL_BYTES).max(1024),
            max_nodes: u64::MAX,
            pool: Vec::new(),
            seen: HashSet::new(),
            stats: BpStats::default(),
        })
    }

    fn close(&self, pi: usize, c: &Cursor) -> Option<Cursor> {
        let mut c = *c;
        for &q in &self.sub.suffixes[pi] {
            c.push(self.inst, self.sub.printers[pi], q)?;
        }
        Some(c)
    }

    /// Adds a column to the pool unless an identical one is there; returns whether it was new.
    fn add_column(&mut self, col: Column) -> bool {
        let key = (col.pi, col.mask, col.end, col.cost.to_bits());
        if !self.seen.insert(key) {
            return false;
        }
        self.pool.push(col);
        self.stats.columns += 1;
        true
    }

    /// Column for printer `pi` running `seq` as its middle part; `None` if infeasible.
    fn make_column(&self, pi: usize, seq: &[usize]) -> Option<Column> {
        let p = self.sub.printers[pi];
        let mut c = self.sub.starts[pi];
        let mut mask = 0u32;
        for &j in seq {
            let k = self.jobs.iter().position(|&x| x == j)?;
            mask |= 1 << k;
            c.push(self.inst, p, j)?;
        }
        let c = self.close(pi, &c)?;
        Some(Column {
            pi,
            mask,
            seq: seq.to_vec(),
            cost: c.cost(self.inst),
            end: c.cmax,
        })
    }

    fn compatible(&self, col: &Column, node: &Node, mode: Mode) -> bool {
        if let Mode::Within(t) = mode
            && col.end > t
        {
            return false;
        }
        col.mask & !node.allowed[col.pi] == 0 && col.mask & node.required[col.pi] == node.required[col.pi]
    }

    fn col_cost(col: &Column, mode: Mode) -> f64 {
        match mode {
            Mode::Cost => col.cost,
            Mode::Within(_) => 0.0,
        }
    }

    fn timed_out(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Restricted master over `cols` (pool indices): LP (with duals) or, with `integer`, the
    /// set-partitioning MILP (no artificial variables; `None` if infeasible or not solved).
    fn solve_master(&mut self, cols: &[usize], mode: Mode, big_m: f64, integer: bool) -> Option<Lp> {
        let remaining = self
            .deadline
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        if remaining <= 0.01 {
            return None;
        }
        self.stats.lp_solves += 1;
        let t_master = Instant::now();
        let r = self.solve_master_inner(cols, mode, big_m, integer, remaining);
        self.stats.master_us += t_master.elapsed().as_micros() as u64;
        if integer {
            self.stats.milp_us += t_master.elapsed().as_micros() as u64;
        }
        r
    }

    fn solve_master_inner(
        &self,
        cols: &[usize],
        mode: Mode,
        big_m: f64,
        integer: bool,
        remaining: f64,
    ) -> Option<Lp> {
        let mut vars = ProblemVariables::new();
        let lam: Vec<_> = cols
            .iter()
            .map(|_| {
                if integer {
                    vars.add(variable().binary())
                } else {
                    vars.add(variable().min(0.0))
                }
            })
            .collect();
        // Artificial variables (cost `big_m`) for every job row and every printer row keep the
        // LP feasible at every node.
        let art: Vec<_> = if integer {
            Vec::new()
        } else {
            (0..self.n + self.n_p)
                .map(|_| vars.add(variable().min(0.0)))
                .collect()
        };
        let mut objective = Expression::default();
        for (i, &c) in cols.iter().enumerate() {
            let w = Self::col_cost(&self.pool[c], mode);
            if w != 0.0 {
                objective += w * lam[i];
            }
        }
        for &a in &art {
            objective += big_m * a;
        }
        let mut model = vars.minimise(objective).using(highs);
        if integer {
            model = model
                .set_option("mip_rel_gap", 0.0)
                .set_option("mip_abs_gap", 1e-9);
        }
        model.set_verbose(false);
        let mut per_job: Vec<Expression> = vec![Expression::default(); self.n];
        let mut per_printer: Vec<Expression> = vec![Expression::default(); self.n_p];
        for (i, &c) in cols.iter().enumerate() {
            let col = &self.pool[c];
            let mut m = col.mask;
            while m != 0 {
                let k = m.trailing_zeros() as usize;
                per_job[k] += lam[i];
                m &= m - 1;
            }
            per_printer[col.pi] += lam[i];
        }
        for (i, a) in art.iter().enumerate() {
            if i < self.n {
                per_job[i] += *a;
            } else {
                per_printer[i - self.n] += *a;
            }
        }
        let job_rows: Vec<_> = per_job
            .into_iter()
            .map(|e| model.add_constraint(e.eq(1.0)))
            .collect();
        let printer_rows: Vec<_> = per_printer
            .into_iter()
            .map(|e| model.add_constraint(e.eq(1.0)))
            .collect();
        let model = model.with_time_limit(remaining);
        let mut sol = model.solve().ok()?;
        if !matches!(sol.status(), good_lp::solvers::SolutionStatus::Optimal) {
            return None;
        }
        let lambda: Vec<f64> = lam.iter().map(|&v| sol.value(v)).collect();
        let artv: Vec<f64> = art.iter().map(|&v| sol.value(v)).collect();
        let mut z = 0.0;
        for (i, &c) in cols.iter().enumerate() {
            z += Self::col_cost(&self.pool[c], mode) * lambda[i];
        }
        z += big_m * artv.iter().sum::<f64>();
        let (pi, mu) = if integer {
            (Vec::new(), Vec::new())
        } else {
            let d = sol.compute_dual();
            (
                job_rows.iter().map(|r| d.dual(r.clone())).collect(),
                printer_rows.iter().map(|r| d.dual(r.clone())).collect(),
            )
        };
        Some(Lp {
            z,
            lambda,
            art: artv,
            pi,
            mu,
        })
    }

    /// Exact pricing on printer `pi`: the columns (at most [`COLUMNS_PER_ROUND`], distinct job
    /// sets) whose reduced cost `cost − Σ π − μ` is below `−tol`, and the least reduced cost found
    /// (`+∞` if none is below `−tol`: then every column's reduced cost is ≥ `−tol`). Above `cap`
    /// labels the enumeration stops early (`truncated`: the columns found so far — the shorter
    /// sequences, the DP runs by length — and no valid least reduced cost). `None` when out of
    /// time.
    #[allow(clippy::too_many_arguments)]
    fn price(
        &mut self,
        pi: usize,
        duals: &[f64],
        mu: f64,
        node: &Node,
        mode: Mode,
        ub: f64,
        tol: f64,
        cap: usize,
    ) -> Option<Priced> {
        let inst = self.inst;
        let p = self.sub.printers[pi];
        let n = self.n;
        let allowed = node.allowed[pi] & self.elig[pi];
        let required = node.required[pi];
        if required & !allowed != 0 {
            return Some(Priced {
                columns: Vec::new(),
                min_rc: f64::INFINITY,
                truncated: false,
            });
        }
        let others: f64 = self.start_cost.iter().sum::<f64>() - self.start_cost[pi];
        let ub_eps = 1e-9 * ub.abs().max(1.0);
        let cutoff_cost = ub - ub_eps - others;
        // Knapsack order for the makespan bound: by π / work, best first.
        let mut order: Vec<usize> = (0..n)
            .filter(|&k| allowed & (1 << k) != 0 && duals[k] > 0.0)
            .collect();
        order.sort_by(|&a, &b| {
            let ra = duals[a] / self.work[pi][a].max(1) as f64;
            let rb = duals[b] / self.work[pi][b].max(1) as f64;
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        let lb_in = |mask: u32| -> f64 {
            let mut s = 0.0;
            let mut m = mask;
            while m != 0 {
                let k = m.trailing_zeros() as usize;
                s += self.lb_job[k];
                m &= m - 1;
            }
            s
        };
        // Optimistic reduced cost of any column extending this label (itself included).
        let optimistic = |cur: &Cursor, mask: u32, pi_sum: f64| -> f64 {
            match mode {
                Mode::Cost => {
                    let ready = cur.ready.unwrap_or(i64::MAX / 4);
                    let mut gain = 0.0;
                    let mut m = allowed & !mask;
                    while m != 0 {
                        let k = m.trailing_zeros() as usize;
                        m &= m - 1;
                        if duals[k] <= 0.0 {
                            continue;
                        }
                        let end = self.early[pi][k].max(ready.saturating_add(self.dur[pi][k]));
                        let lbk = inst.w_tardiness * inst.tardiness(self.jobs[k], end)
                            + inst.w_setups * self.min_set[pi][k] as f64;
                        if duals[k] > lbk {
                            gain += duals[k] - lbk;
                        }
                    }
                    cur.cost(inst) - pi_sum - gain - mu
                }
                Mode::Within(t) => {
                    let ready = cur.ready.unwrap_or(i64::MAX / 4);
                    let mut cap = (t - ready).max(0) as f64;
                    let mut gain = 0.0;
                    for &k in &order {
                        if mask & (1 << k) != 0 || cap <= 0.0 {
                            continue;
                        }
                        if self.early[pi][k] > t {
                            continue;
                        }
                        let w = self.work[pi][k].max(1) as f64;
                        if w <= cap {
                            gain += duals[k];
                            cap -= w;
                        } else {
                            gain += duals[k] * cap / w;
                            cap = 0.0;
                        }
                    }
                    -pi_sum - gain - mu
                }
            }
        };
        let mut labels: Vec<Label> = Vec::new();
        let mut fronts: FMap<u64, Vec<u32>> = FMap::default();
        let mut cands: Vec<(f64, u32)> = Vec::new();
        // Try to add a label; returns nothing (it is either stored or dropped).
        let consider = |labels: &mut Vec<Label>,
                        fronts: &mut FMap<u64, Vec<u32>>,
                        cands: &mut Vec<(f64, u32)>,
                        cur: Cursor,
                        mask: u32,
                        last: u8,
                        parent: u32,
                        pi_sum: f64| {
            if let Mode::Within(t) = mode
                && cur.cmax > t
            {
                return;
            }
            let Some(closed) = self.close(pi, &cur) else {
                return;
            };
            let ccost = closed.cost(inst);
            match mode {
                Mode::Cost => {
                    if ccost + self.total_lb - lb_in(mask) >= cutoff_cost {
                        return;
                    }
                }
                Mode::Within(t) => {
                    if closed.cmax > t {
                        return;
                    }
                }
            }
            if optimistic(&cur, mask, pi_sum) >= -tol {
                return;
            }
            let key = (u64::from(mask) << 8) | u64::from(last);
            let front = fronts.entry(key).or_default();
            let (e, c) = (cur.cmax, cur.cost(inst));
            for &f in front.iter() {
                let l = &labels[f as usize];
                if l.alive && l.cursor.cmax <= e && l.cursor.cost(inst) <= c + 1e-9 {
                    return;
                }
            }
            front.retain(|&f| {
                let l = &mut labels[f as usize];
                if e <= l.cursor.cmax && c <= l.cursor.cost(inst) + 1e-9 {
                    l.alive = false;
                    false
                } else {
                    true
                }
            });
            let id = labels.len() as u32;
            front.push(id);
            labels.push(Label {
                cursor: cur,
                mask,
                last,
                parent,
                alive: true,
                pi_sum,
            });
            if mask & required == required {
                let colcost = match mode {
                    Mode::Cost => ccost,
                    Mode::Within(_) => 0.0,
                };
                let rc = colcost - pi_sum - mu;
                if rc < -tol {
                    cands.push((rc, id));
                }
            }
        };
        let start = self.sub.starts[pi];
        for k in 0..n {
            if allowed & (1 << k) == 0 {
                continue;
            }
            let mut c = start;
            if c.push(inst, p, self.jobs[k]).is_some() {
                consider(
                    &mut labels,
                    &mut fronts,
                    &mut cands,
                    c,
                    1 << k,
                    k as u8,
                    u32::MAX,
                    duals[k],
                );
            }
        }
        let mut i = 0usize;
        let mut truncated = false;
        while i < labels.len() {
            if i % 2048 == 2047 && Instant::now() >= self.deadline {
                return None;
            }
            if labels.len() > cap {
                truncated = true;
                break;
            }
            let l = labels[i];
            i += 1;
            if !l.alive {
                continue;
            }
            let mut m = allowed & !l.mask;
            while m != 0 {
                let k = m.trailing_zeros() as usize;
                m &= m - 1;
                let mut c = l.cursor;
                if c.push(inst, p, self.jobs[k]).is_none() {
                    continue;
                }
                consider(
                    &mut labels,
                    &mut fronts,
                    &mut cands,
                    c,
                    l.mask | (1 << k),
                    k as u8,
                    (i - 1) as u32,
                    l.pi_sum + duals[k],
                );
            }
        }
        self.stats.pricing_labels += labels.len() as u64;
        cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let min_rc = cands.first().map_or(f64::INFINITY, |c| c.0);
        let mut out = Vec::new();
        let mut masks: HashSet<u32> = HashSet::new();
        for &(_, id) in &cands {
            if out.len() >= COLUMNS_PER_ROUND {
                break;
            }
            let l = labels[id as usize];
            if !masks.insert(l.mask) {
                continue;
            }
            let mut seq = Vec::new();
            let mut cur = id;
            while cur != u32::MAX {
                let x = labels[cur as usize];
                seq.push(self.jobs[x.last as usize]);
                cur = x.parent;
            }
            seq.reverse();
            let closed = self.close(pi, &l.cursor)?;
            out.push(Column {
                pi,
                mask: l.mask,
                seq,
                cost: closed.cost(inst),
                end: closed.cmax,
            });
        }
        Some(Priced {
            columns: out,
            min_rc,
            truncated,
        })
    }

    /// Column generation at a node until no column has a negative reduced cost, or the
    /// Lagrangian bound reaches `cutoff`. `None`: out of time or budget.
    fn node(&mut self, node: &Node, mode: Mode, ub: f64, cutoff: f64) -> Option<(NodeResult, f64)> {
        let big_m = match mode {
            Mode::Cost => ub.abs() + 1.0,
            Mode::Within(_) => 1.0,
        };
        let tol = match mode {
            Mode::Cost => 1e-9 * ub.abs().max(1.0),
            Mode::Within(_) => 1e-9,
        };
        if self.stats.nodes >= self.max_nodes {
            return None;
        }
        self.stats.nodes += 1;
        let mut lb = node.lb;
        // Pricing first runs with a small label cap (cheap columns while the duals are still far
        // off); a round whose capped pricings found nothing new is repeated uncapped (exact).
        let mut force_exact = false;
        for _round in 0..MAX_ROUNDS {
            if self.timed_out() {
                return None;
            }
            let cols: Vec<usize> = (0..self.pool.len())
                .filter(|&c| self.compatible(&self.pool[c], node, mode))
                .collect();
            let lp = self.solve_master(&cols, mode, big_m, false)?;
            // In feasibility mode an LP value of 0 is all we need to know.
            let lp_zero = matches!(mode, Mode::Within(_)) && lp.z <= 1e-9;
            // Lagrangian bound (job rows relaxed with π clipped to ≤ big_m, which only raises
            // reduced costs): Σ π + Σ_p min(big_m, min_c (cost_c − π(c))), where
            // min_c (cost_c − π(c)) = μ_p + least reduced cost ≥ μ_p + min(found, −tol).
            let mut lagr: f64 = lp.pi.iter().map(|&v| v.min(big_m)).sum::<f64>();
            let mut pool_rc = vec![f64::INFINITY; self.n_p];
            if !lp_zero {
                for &c in &cols {
                    let col = &self.pool[c];
                    let mut rc = Self::col_cost(col, mode) - lp.mu[col.pi];
                    let mut m = col.mask;
                    while m != 0 {
                        rc -= lp.pi[m.trailing_zeros() as usize];
                        m &= m - 1;
                    }
                    pool_rc[col.pi] = pool_rc[col.pi].min(rc);
                }
            }
            let mut added = 0usize;
            if !lp_zero {
                let mut exact_round = true;
                for pi in 0..self.n_p {
                    let t_price = Instant::now();
                    let quick = if force_exact {
                        self.max_labels
                    } else {
                        QUICK_LABELS.min(self.max_labels / 16)
                    };
                    let mut priced = self.price(pi, &lp.pi, lp.mu[pi], node, mode, ub, tol, quick);
                    if let Some(r) = &priced
                        && r.truncated
                        && r.columns.is_empty()
                        && quick < self.max_labels
                    {
                        priced = self.price(pi, &lp.pi, lp.mu[pi], node, mode, ub, tol, self.max_labels);
                    }
                    self.stats.pricing_us += t_price.elapsed().as_micros() as u64;
                    let priced = priced?;
                    if priced.truncated {
                        if priced.columns.is_empty() {
                            // Over the memory budget even uncapped: give up.
                            return None;
                        }
                        exact_round = false;
                    }
                    // The pool's columns (the empty one, and any outside the pricing's pruned
                    // universe) are in the bound too: priced exactly here.
                    let min_rc = priced.min_rc.min(pool_rc[pi]);
                    lagr += big_m.min(lp.mu[pi] + min_rc.min(-tol));
                    for c in priced.columns {
                        if self.add_column(c) {
                            added += 1;
                        }
                    }
                }
                if exact_round {
                    lb = lb.max(lagr);
                    if lb >= cutoff {
                        return Some((NodeResult::Pruned, lb));
                    }
                }
                force_exact = added == 0 && !exact_round;
                if added > 0 || force_exact {
                    continue;
                }
            }
            // Converged (or LP value 0 in feasibility mode): integral?
            let mut x = vec![vec![0.0f64; self.n_p]; self.n];
            for (i, &c) in cols.iter().enumerate() {
                let v = lp.lambda[i];
                if v <= 1e-9 {
                    continue;
                }
                let col = &self.pool[c];
                let mut m = col.mask;
                while m != 0 {
                    let k = m.trailing_zeros() as usize;
                    x[k][col.pi] += v;
                    m &= m - 1;
                }
            }
            let mut best: Option<(usize, usize, f64, f64)> = None;
            for k in 0..self.n {
                for pi in 0..self.n_p {
                    let v = x[k][pi];
                    if v > 1e-6 && v < 1.0 - 1e-6 {
                        let score = (v - 0.5).abs();
                        if best.is_none_or(|b| score < b.3) {
                            best = Some((k, pi, v, score));
                        }
                    }
                }
            }
            if let Some((k, pi, v, _)) = best {
                return Some((NodeResult::Branch(k, pi, v, lb), lb));
            }
            if lp.art.iter().any(|&a| a > 1e-6) {
                // Only reachable through LP tolerances (an uncovered job costs more than the
                // cut-off): give up rather than claim anything.
                return None;
            }
            // Integral: per printer the cheapest column of the support.
            let mut pick: Vec<Option<usize>> = vec![None; self.n_p];
            for (i, &c) in cols.iter().enumerate() {
                if lp.lambda[i] <= 1e-6 {
                    continue;
                }
                let col = &self.pool[c];
                let better = match pick[col.pi] {
                    None => true,
                    Some(o) => col.cost < self.pool[o].cost,
                };
                if better {
                    pick[col.pi] = Some(c);
                }
            }
            let picks: Option<Vec<usize>> = pick.into_iter().collect();
            // A printer without a column in the support is impossible with all artificial
            // variables at 0; if tolerances produce it anyway, give up rather than claim.
            return picks.map(|ps| (NodeResult::Integral(ps, lb), lb));
        }
        None
    }

    /// Middles of the plan given by one column per printer.
    fn middles(&self, picks: &[usize]) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.n_p];
        for &c in picks {
            let col = &self.pool[c];
            out[col.pi] = col.seq.clone();
        }
        out
    }

    /// Sub objective of middles: Σ closed costs (+ w1·max(floor, ends)); `None` if infeasible
    /// or not a partition of the jobs.
    fn value(&self, middles: &[Vec<usize>]) -> Option<(f64, i64)> {
        let mut cost = 0.0;
        let mut cmax = self.sub.makespan_floor;
        let mut seen = 0u32;
        for (pi, seq) in middles.iter().enumerate() {
            let col = self.make_column(pi, seq)?;
            if seen & col.mask != 0 {
                return None;
            }
            seen |= col.mask;
            cost += col.cost;
            cmax = cmax.max(col.end);
        }
        let full = if self.n == 32 {
            u32::MAX
        } else {
            (1u32 << self.n) - 1
        };
        if seen != full {
            return None;
        }
        Some((cost + self.inst.w_makespan * cmax as f64, cmax))
    }

    fn root(&self) -> Node {
        Node {
            allowed: vec![u32::MAX; self.n_p],
            required: vec![0; self.n_p],
            lb: f64::NEG_INFINITY,
        }
    }

    fn children(&self, node: &Node, k: usize, pi: usize, x: f64, lb: f64) -> [Node; 2] {
        let mut req = node.clone();
        req.lb = lb;
        req.required[pi] |= 1 << k;
        for q in 0..self.n_p {
            if q != pi {
                req.allowed[q] &= !(1 << k);
            }
        }
        let mut forbid = node.clone();
        forbid.lb = lb;
        forbid.allowed[pi] &= !(1 << k);
        // The child explored first goes last (stack).
        if x >= 0.5 { [forbid, req] } else { [req, forbid] }
    }

    /// Restricted-master MILP over the compatible pool columns (a heuristic: finds plans).
    fn pool_milp(&mut self, node: &Node, mode: Mode) -> Option<Vec<usize>> {
        let cols: Vec<usize> = (0..self.pool.len())
            .filter(|&c| self.compatible(&self.pool[c], node, mode))
            .collect();
        let lp = self.solve_master(&cols, mode, 0.0, true)?;
        let picks: Vec<usize> = cols
            .iter()
            .enumerate()
            .filter(|(i, _)| lp.lambda[*i] > 0.5)
            .map(|(_, &c)| c)
            .collect();
        Some(picks)
    }

    /// Cost mode: depth-first branch-and-price below the incumbent value `ub`.
    fn run_cost(&mut self, mut ub: f64, lower: f64) -> BpRun {
        let mut best: Option<Vec<Vec<usize>>> = None;
        let eps = |ub: f64| 1e-7 * ub.abs().max(1.0);
        let mut stack: Vec<Node> = vec![self.root()];
        let mut root_done = false;
        let mut global_lb = lower;
        while let Some(node) = stack.pop() {
            if node.lb >= ub - eps(ub) {
                continue;
            }
            let Some((res, lb)) = self.node(&node, Mode::Cost, ub, ub - eps(ub)) else {
                // Out of time: the bound is the least over the open nodes.
                let open = stack.iter().map(|s| s.lb).fold(node.lb, f64::min);
                let lbv = if root_done {
                    global_lb.max(open.min(ub))
                } else {
                    global_lb
                };
                return self.finish(best, false, lbv);
            };
            if !root_done {
                root_done = true;
                global_lb = global_lb.max(lb.min(ub));
                if !matches!(res, NodeResult::Pruned)
                    && let Some(picks) = self.pool_milp(&node, Mode::Cost)
                {
                    let m = self.middles(&picks);
                    if let Some((v, _)) = self.value(&m)
                        && v < ub - eps(ub)
                    {
                        ub = v;
                        best = Some(m);
                    }
                }
            }
            match res {
                NodeResult::Pruned => {}
                NodeResult::Integral(picks, node_lb) => {
                    let m = self.middles(&picks);
                    let Some((v, _)) = self.value(&m) else {
                        return self.finish(best, false, global_lb);
                    };
                    if v < ub - eps(ub) {
                        ub = v;
                        best = Some(m);
                    }
                    if v > node_lb + CLOSE_TOL * v.abs().max(1.0) && node_lb < ub - eps(ub) {
                        // The node's bound does not meet its integral solution (LP tolerances):
                        // it cannot be closed exactly, so nothing is claimed.
                        let open = stack.iter().map(|s| s.lb).fold(node_lb, f64::min);
                        return self.finish(best, false, global_lb.max(open.min(ub)));
                    }
                }
                NodeResult::Branch(k, pi, x, lb) => {
                    if lb < ub - eps(ub) {
                        for c in self.children(&node, k, pi, x, lb) {
                            stack.push(c);
                        }
                    }
                }
            }
        }
        let v = ub;
        self.finish(best, true, v)
    }

    fn finish(&self, best: Option<Vec<Vec<usize>>>, proved: bool, lb: f64) -> BpRun {
        BpRun {
            improved: best.map(|m| Sequences {
                seqs: m,
                unscheduled: Vec::new(),
            }),
            proved,
            lower_bound: lb,
            stats: self.stats,
        }
    }

    /// Feasibility below `t` (makespan ≤ t): `Some(Some(middles))` found, `Some(None)` proved
    /// impossible, `None` gave up. With `root_only`, only the root LP is solved and
    /// `Some(Some(empty))` means "LP feasible".
    fn within(&mut self, t: i64, root_only: bool) -> Option<Option<Vec<Vec<usize>>>> {
        let mode = Mode::Within(t);
        let mut stack: Vec<Node> = vec![self.root()];
        let mut first = true;
        while let Some(node) = stack.pop() {
            let (res, _) = self.node(&node, mode, 0.0, 1e-6)?;
            if first {
                first = false;
                if matches!(res, NodeResult::Pruned) {
                    return Some(None);
                }
                if root_only {
                    if let NodeResult::Integral(picks, _) = &res {
                        return Some(Some(self.middles(picks)));
                    }
                    return Some(Some(Vec::new()));
                }
                if let Some(picks) = self.pool_milp(&node, mode) {
                    let m = self.middles(&picks);
                    if self.value(&m).is_some_and(|(_, c)| c <= t) {
                        return Some(Some(m));
                    }
                }
            }
            match res {
                NodeResult::Pruned => {}
                NodeResult::Integral(picks, _) => {
                    let m = self.middles(&picks);
                    if self.value(&m).is_some_and(|(_, c)| c <= t) {
                        return Some(Some(m));
                    }
                }
                NodeResult::Branch(k, pi, x, lb) => {
                    for c in self.children(&node, k, pi, x, lb) {
                        stack.push(c);
                    }
                }
            }
        }
        Some(None)
    }

    /// Makespan mode: the least `T` with a plan, between `lo` (no plan ends earlier) and the
    /// incumbent's makespan `ub_ms`.
    fn run_makespan(&mut self, lo: i64, ub_ms: i64) -> BpRun {
        let w1 = self.inst.w_makespan;
        let mut best: Option<Vec<Vec<usize>>> = None;
        let mut ub_ms = ub_ms;
        // Binary search with the root LP for the least LP-feasible target in [lo, ub_ms]:
        // LP infeasible at t ⇒ no plan with makespan ≤ t.
        let (mut lo, mut hi) = (lo.min(ub_ms), ub_ms);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.within(mid, true) {
                None => return self.finish(best, false, w1 * lo as f64),
                Some(None) => lo = mid + 1,
                Some(Some(m)) => {
                    hi = mid;
                    if !m.is_empty()
                        && let Some((_, c)) = self.value(&m)
                        && c < ub_ms
                    {
                        ub_ms = c;
                        best = Some(m);
                        hi = hi.min(c);
                    }
                }
            }
        }
        // Tree search from the least LP-feasible target upwards.
        while lo < ub_ms {
            match self.within(lo, false) {
                None => return self.finish(best, false, w1 * lo as f64),
                Some(None) => lo += 1,
                Some(Some(m)) => {
                    if let Some((_, c)) = self.value(&m)
                        && c < ub_ms
                    {
                        ub_ms = c;
                        best = Some(m);
                    }
                    break;
                }
            }
        }
        if lo < ub_ms {
            // A plan at `lo` was found but did not evaluate below the incumbent (numerics).
            return self.finish(best, false, w1 * lo as f64);
        }
        self.finish(best, true, w1 * ub_ms as f64)
    }
}

/// Branch-and-price on the whole instance (the jobs `jobs`, every printer), starting from the
/// incumbent plan `incumbent` (all of `jobs` scheduled) and a valid lower bound `lower`.
/// `None` if the method does not apply (objective with both a makespan and a cost term, more
/// than [`BP_MAX_JOBS`] jobs, or an infeasible incumbent).
pub fn solve_bp(
    inst: &Instance,
    jobs: &[usize],
    incumbent: &Sequences,
    lower: f64,
    deadline: Instant,
    max_bytes: usize,
) -> Option<BpRun> {
    let sub = Sub {
        printers: (0..inst.n_printers).collect(),
        starts: (0..inst.n_printers).map(|p| Cursor::new(inst, p)).collect(),
        suffixes: vec![Vec::new(); inst.n_printers],
        makespan_floor: 0,
    };
    let middles: Vec<Vec<usize>> = incumbent.seqs.clone();
    solve_sub_bp(inst, &sub, jobs, &middles, lower, deadline, max_bytes)
}

/// Branch-and-price on a [`Sub`] problem (see [`crate::dp::solve_sub`]); `middles` is the
/// incumbent's middle part per sub printer. The returned plan's `seqs` are middles.
pub fn solve_sub_bp(
    inst: &Instance,
    sub: &Sub,
    jobs: &[usize],
    middles: &[Vec<usize>],
    lower: f64,
    deadline: Instant,
    max_bytes: usize,
) -> Option<BpRun> {
    solve_sub_bp_capped(inst, sub, jobs, middles, lower, deadline, max_bytes, u64::MAX)
}

/// [`solve_sub_bp`] that gives up after `max_nodes` nodes (a deterministic work cap for the
/// large-neighbourhood search; a better plan found before is still returned).
#[allow(clippy::too_many_arguments)]
pub fn solve_sub_bp_capped(
    inst: &Instance,
    sub: &Sub,
    jobs: &[usize],
    middles: &[Vec<usize>],
    lower: f64,
    deadline: Instant,
    max_bytes: usize,
    max_nodes: u64,
) -> Option<BpRun> {
    let cost_terms = inst.w_tardiness > 0.0 || inst.w_setups > 0.0;
    if inst.w_makespan > 0.0 && cost_terms {
        return None;
    }
    let mut bp = Bp::new(inst, sub, jobs, deadline, max_bytes)?;
    bp.max_nodes = max_nodes;
    let (ub, ub_ms) = bp.value(middles)?;
    // Initial pool: the incumbent's columns and the empty column of every printer.
    for pi in 0..bp.n_p {
        if let Some(c) = bp.make_column(pi, &middles[pi]) {
            bp.add_column(c);
        }
        if let Some(c) = bp.make_column(pi, &[]) {
            bp.add_column(c);
        }
    }
    if inst.w_makespan > 0.0 {
        if sub.makespan_floor > 0 {
            return None;
        }
        let lo = if lower.is_finite() {
            ((lower / inst.w_makespan) - 1e-9).ceil().max(0.0) as i64
        } else {
            0
        };
        // No plan ends before the latest of the jobs' earliest ends.
        let mut earliest = 0i64;
        for k in 0..bp.n {
            let e = (0..bp.n_p).map(|pi| bp.early[pi][k]).min().unwrap_or(0);
            earliest = earliest.max(e);
        }
        let lo = lo.max(earliest);
        Some(bp.run_makespan(lo, ub_ms))
    } else {
        Some(bp.run_cost(ub, lower))
    }
}
