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
//! * both (mixed objectives): cost mode with a makespan variable `Cmax` (objective
//!   `w_makespan·Cmax`, at least the sub-problem's makespan floor) and one linking row per
//!   printer, `Σ_c end_c·λ_c ≤ Cmax` (dual `ν_p ≥ 0`, `Σ ν ≤ w_makespan`). A column's reduced
//!   cost becomes `cost + ν_p·end − Σ π − μ_p`, which the label DP prices exactly (the end only
//!   grows along a sequence); the Lagrangian bound gains `(w_makespan − Σ ν)·floor`. When the
//!   assignment is integral but a printer's columns in the LP solution end at different
//!   minutes, the node branches on that printer's end ("by `t`" / "after `t`").

#![allow(clippy::needless_range_loop)]

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::time::Instant;

use crate::dp::Sub;
use crate::plan::{Cursor, Sequences};
use crate::problem::{Fnv, Instance};

mod master;
mod mixed;
mod price;
mod search;

type FMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A set of the run's jobs (bit `k` = `jobs[k]`).
type Mask = u64;

/// Largest number of jobs (job sets are `u64` masks).
pub const BP_MAX_JOBS: usize = 64;

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

/// Pricing labels a cost-mode node below the root may use (at least twice what the root used)
/// before its column generation stops and it branches on its current LP (see [`Bp::node`]); the
/// memory budget does the same there.
const NODE_LABELS: u64 = 500_000;

/// Column-generation rounds per node before the node gives up.
const MAX_ROUNDS: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Minimise the tardiness and setup terms, plus `w_makespan · Cmax` when the objective has
    /// both (mixed objectives: a makespan variable `Cmax ≥ end of every chosen column`).
    Cost,
    /// Feasibility: every column must end by this minute.
    Within(i64),
}

#[derive(Debug, Clone)]
struct Column {
    /// Index into `sub.printers`.
    pi: usize,
    mask: Mask,
    seq: Vec<usize>,
    /// Tardiness and setup terms of the whole printer (prefix and suffix included).
    cost: f64,
    /// End of the printer's last job (suffix included).
    end: i64,
}

#[derive(Debug, Clone, Copy)]
struct Label {
    cursor: Cursor,
    mask: Mask,
    last: u8,
    parent: u32,
    alive: bool,
    pi_sum: f64,
}

/// Branching decisions of a node: per sub printer, the jobs it may run and the jobs it must run,
/// and (mixed objectives) the range its column's end must lie in.
#[derive(Debug, Clone)]
struct Node {
    allowed: Vec<Mask>,
    required: Vec<Mask>,
    end_min: Vec<i64>,
    end_max: Vec<i64>,
    /// Mixed objectives: the plan's makespan is at least this (branching on the makespan).
    cmax_lo: i64,
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
    /// Nodes that spent their label allowance (or the memory budget) and branched before their
    /// column generation converged.
    pub stalled: u64,
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
    /// Mixed objectives: per printer, the (clipped) dual `ν_p ≥ 0` of `Σ end·λ ≤ Cmax`, with
    /// `Σ ν ≤ w_makespan`; empty otherwise.
    nu: Vec<f64>,
    /// Mixed objectives: the makespan variable's value (NaN otherwise).
    cmax: f64,
}

impl Lp {
    fn nu(&self, pi: usize) -> f64 {
        self.nu.get(pi).copied().unwrap_or(0.0)
    }
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
    /// Integral assignment but printer `pi`'s columns end on both sides of `t` (mixed
    /// objectives): branch on "ends by `t`" / "ends after `t`".
    BranchEnd(usize, i64, f64),
    /// Mixed objectives: the LP's makespan variable is below the end of a column it uses:
    /// branch on "makespan ≤ `t`" / "makespan > `t`".
    BranchCmax(i64, f64),
}

struct Bp<'a> {
    inst: &'a Instance,
    sub: &'a Sub,
    jobs: &'a [usize],
    n: usize,
    n_p: usize,
    elig: Vec<Mask>,
    /// `[pi][k]`: duration + least setup of job k on the printer (0 if not eligible).
    work: Vec<Vec<i64>>,
    /// `[pi][k]`: duration of job k on the printer.
    dur: Vec<Vec<i64>>,
    /// `[pi][k]`: least setup of job k on the printer.
    min_set: Vec<Vec<i64>>,
    /// `[pi][k]`: earliest end of job k alone on the printer (with its least setup).
    early: Vec<Vec<i64>>,
    /// A lower bound on the makespan of any plan: the floor, and every job's earliest end.
    makespan_lb: i64,
    /// Per job: lower bound on its own tardiness and setup terms.
    lb_job: Vec<f64>,
    total_lb: f64,
    /// Per sub printer: a lower bound on its cost (prefix and suffix) whatever its middle.
    start_cost: Vec<f64>,
    deadline: Instant,
    /// See [`BpLimits::root_deadline`].
    root_deadline: Option<Instant>,
    /// The makespan floor of the node being solved (see [`Bp::floor_at`]).
    node_floor: i64,
    /// See [`BpLimits::root_labels`].
    root_labels: Option<u64>,
    /// While the root is running: give up above this many pricing labels in all.
    label_cap: u64,
    max_labels: usize,
    /// Nodes (column-generation runs) before the search gives up (deterministic cap).
    max_nodes: u64,
    /// Mixed objectives (cost mode): the latest makespan a plan strictly better than the
    /// incumbent can have (see [`Bp::ms_cap_for`]); columns ending later are left out.
    ms_cap: i64,
    /// Mixed objectives: a lower bound on the tardiness, setup and fixed-part cost of any plan
    /// (the cost-only phase's bound, see [`Bp::cost_floor`]).
    cost_lb: f64,
    /// The incumbent's middles the run started from.
    incumbent: Vec<Vec<usize>>,
    pool: Vec<Column>,
    seen: HashSet<(usize, Mask, i64, u64)>,
    stats: BpStats,
    /// Twice the pricing labels of the cost-mode root node (a node's allowance, with
    /// [`NODE_LABELS`]).
    root_node_labels: u64,
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
        let mut elig: Vec<Mask> = vec![0; n_p];
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
        let makespan_lb = (0..n)
            .map(|k| (0..n_p).map(|pi| early[pi][k]).min().unwrap_or(0))
            .max()
            .unwrap_or(0)
            .max(sub.makespan_floor);
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
            makespan_lb,
            start_cost,
            deadline,
            root_deadline: None,
            node_floor: 0,
            root_labels: None,
            label_cap: u64::MAX,
            max_labels: (max_bytes / LABEL_BYTES).max(1024),
            max_nodes: u64::MAX,
            ms_cap: i64::MAX,
            cost_lb: f64::NEG_INFINITY,
            incumbent: Vec::new(),
            pool: Vec::new(),
            seen: HashSet::new(),
            stats: BpStats::default(),
            root_node_labels: 0,
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
        let mut mask: Mask = 0;
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
        if col.end < node.end_min[col.pi] || col.end > node.end_max[col.pi] {
            return false;
        }
        if mode == Mode::Cost && col.end > self.ms_cap {
            return false;
        }
        col.mask & !node.allowed[col.pi] == 0 && col.mask & node.required[col.pi] == node.required[col.pi]
    }

    /// Weight of the makespan variable in the master: `w_makespan` for a mixed objective in
    /// cost mode, else 0.
    fn w1(&self, mode: Mode) -> f64 {
        match mode {
            Mode::Cost => self.inst.w_makespan,
            Mode::Within(_) => 0.0,
        }
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
        let mut seen: Mask = 0;
        for (pi, seq) in middles.iter().enumerate() {
            let col = self.make_column(pi, seq)?;
            if seen & col.mask != 0 {
                return None;
            }
            seen |= col.mask;
            cost += col.cost;
            cmax = cmax.max(col.end);
        }
        let full = if self.n == 64 {
            Mask::MAX
        } else {
            (1 << self.n) - 1
        };
        if seen != full {
            return None;
        }
        Some((cost + self.inst.w_makespan * cmax as f64, cmax))
    }

    fn root(&self) -> Node {
        Node {
            allowed: vec![Mask::MAX; self.n_p],
            required: vec![0; self.n_p],
            end_min: vec![i64::MIN; self.n_p],
            end_max: vec![i64::MAX; self.n_p],
            cmax_lo: i64::MIN,
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

    /// Children of a makespan branching: every column ends by `t` (explored first), or the
    /// makespan is at least `t + 1`.
    fn cmax_children(&self, node: &Node, t: i64, lb: f64) -> [Node; 2] {
        let mut early = node.clone();
        early.lb = lb;
        for e in &mut early.end_max {
            *e = (*e).min(t);
        }
        let mut late = node.clone();
        late.lb = lb;
        late.cmax_lo = late.cmax_lo.max(t + 1);
        [late, early]
    }

    /// A column's end as the linking rows count it: at least the node's makespan floor. Valid
    /// because `Cmax ≥ floor` and `Cmax ≥` every chosen column's end, so `Cmax ≥ max(end,
    /// floor)`; stronger than `end` alone, which lets the LP average a column that ends long
    /// before the floor with one that ends after it.
    fn linked_end(&self, end: i64) -> i64 {
        end.max(self.node_floor)
    }

    /// The makespan floor at `node`: the sub-problem's and the node's branching bound.
    fn floor_at(&self, node: &Node) -> i64 {
        self.sub.makespan_floor.max(node.cmax_lo)
    }

    /// Children of an end branching: printer `pi`'s column ends after `t`, or by `t` (explored
    /// first).
    fn end_children(&self, node: &Node, pi: usize, t: i64, lb: f64) -> [Node; 2] {
        let mut early = node.clone();
        early.lb = lb;
        early.end_max[pi] = early.end_max[pi].min(t);
        let mut late = node.clone();
        late.lb = lb;
        late.end_min[pi] = late.end_min[pi].max(t + 1);
        [late, early]
    }
}

/// Branch-and-price on the whole instance (the jobs `jobs`, every printer), starting from the
/// incumbent plan `incumbent` (all of `jobs` scheduled) and a valid lower bound `lower`.
/// `None` if the method does not apply (more than [`BP_MAX_JOBS`] jobs, or an infeasible
/// incumbent).
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

/// Limits of [`solve_bp_with`].
#[derive(Debug, Clone, Copy)]
pub struct BpLimits {
    pub deadline: Instant,
    /// The root (cost mode: the root node's column generation; makespan mode: the binary search
    /// on the root LP) must be done by then, or the run gives up — a measured "this instance is
    /// too large for branch-and-price in this budget" that leaves the rest to other methods.
    pub root_deadline: Option<Instant>,
    /// The same as a deterministic work cap: pricing labels before the root is done.
    pub root_labels: Option<u64>,
    /// Memory budget of the pricing labels ([`LABEL_BYTES`] a label).
    pub max_bytes: usize,
    /// Nodes before the run gives up (a deterministic work cap).
    pub max_nodes: u64,
}

/// [`solve_bp`] with explicit [`BpLimits`].
pub fn solve_bp_with(
    inst: &Instance,
    jobs: &[usize],
    incumbent: &Sequences,
    lower: f64,
    limits: &BpLimits,
) -> Option<BpRun> {
    let sub = Sub {
        printers: (0..inst.n_printers).collect(),
        starts: (0..inst.n_printers).map(|p| Cursor::new(inst, p)).collect(),
        suffixes: vec![Vec::new(); inst.n_printers],
        makespan_floor: 0,
    };
    run(inst, &sub, jobs, &incumbent.seqs, lower, limits)
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
    let limits = BpLimits {
        deadline,
        root_deadline: None,
        root_labels: None,
        max_bytes,
        max_nodes,
    };
    run(inst, sub, jobs, middles, lower, &limits)
}

fn run(
    inst: &Instance,
    sub: &Sub,
    jobs: &[usize],
    middles: &[Vec<usize>],
    lower: f64,
    limits: &BpLimits,
) -> Option<BpRun> {
    run_pooled(inst, sub, jobs, middles, lower, limits).map(|(r, _)| r)
}

/// [`run`] that also returns the generated columns (the mixed objectives' cost-only phase hands
/// them to the mixed master).
fn run_pooled(
    inst: &Instance,
    sub: &Sub,
    jobs: &[usize],
    middles: &[Vec<usize>],
    lower: f64,
    limits: &BpLimits,
) -> Option<(BpRun, Vec<Column>)> {
    let cost_terms = inst.w_tardiness > 0.0 || inst.w_setups > 0.0 || inst.has_moves();
    let mut bp = Bp::new(inst, sub, jobs, limits.deadline, limits.max_bytes)?;
    bp.max_nodes = limits.max_nodes;
    bp.root_deadline = limits.root_deadline;
    bp.root_labels = limits.root_labels;
    let (ub, ub_ms) = bp.value(middles)?;
    bp.incumbent = middles.to_vec();
    // Initial pool: the incumbent's columns and the empty column of every printer.
    for pi in 0..bp.n_p {
        if let Some(c) = bp.make_column(pi, &middles[pi]) {
            bp.add_column(c);
        }
        if let Some(c) = bp.make_column(pi, &[]) {
            bp.add_column(c);
        }
    }
    if inst.w_makespan > 0.0 && !cost_terms {
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
        let r = bp.run_makespan(lo, ub_ms);
        Some((r, bp.pool))
    } else {
        let r = bp.run_cost(ub, lower);
        Some((r, bp.pool))
    }
}
