//! Constructive heuristic + ruin-and-recreate local search (late-acceptance hill climbing).
//!
//! A solution is a job sequence per printer; every sequence is timed semi-actively (each job at
//! its earliest feasible load), which is optimal for a fixed sequence because every constraint
//! and every objective term is monotone in the completion times. Prefix cursors per printer make
//! evaluating an insertion at position `k` cost `O(len - k)`.

use std::time::Instant;

use crate::bound::placement_reason;
use crate::plan::{Cursor, Sequences};
use crate::problem::Instance;
use crate::rng::Rng;

const NONE: usize = usize::MAX;
const EPS: f64 = 1e-9;
pub const CONGESTED: &str = "no room left before the horizon or the last operator shift";

/// Limits for the search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub deadline: Option<Instant>,
    pub max_iterations: Option<u64>,
    /// Stop after this many iterations without improving the best solution.
    pub stall_iterations: u64,
    /// Stop as soon as the value reaches this (a lower bound).
    pub target: f64,
    /// Run one exact large-neighbourhood step (see [`Local::lns_step`]) every this many
    /// iterations; 0 turns it off.
    pub lns_period: u64,
}

/// Default [`Limits::lns_period`].
pub const LNS_PERIOD: u64 = 5;

/// Most jobs one large-neighbourhood step re-optimises exactly.
pub const LNS_JOBS: usize = 8;

/// Memory budget of one large-neighbourhood DP (deterministic, unlike a time cap).
pub const LNS_BYTES: usize = 32 << 20;

/// Default [`Local::lns_bp_every`]: every this many LNS steps, a larger neighbourhood
/// ([`LNS_BP_JOBS`] jobs) is re-optimised by branch-and-price (HiGHS master LP) instead of the DP.
pub const LNS_BP_EVERY: u64 = 200;

/// Most jobs of a branch-and-price LNS step.
pub const LNS_BP_JOBS: usize = 16;

/// Printers (least, most) of a branch-and-price LNS step.
pub const LNS_BP_PRINTERS: (usize, usize) = (4, 6);

/// Nodes a branch-and-price LNS step may explore (deterministic work cap).
pub const LNS_BP_NODES: u64 = 1;

/// Pricing memory of a branch-and-price LNS step.
pub const LNS_BP_BYTES: usize = 8 << 20;

impl Limits {
    fn stop(&self, it: u64, since_best: u64, best: (usize, f64)) -> bool {
        if best.0 == 0 && best.1 <= self.target + EPS * best.1.abs().max(1.0) {
            return true;
        }
        if self.max_iterations.is_some_and(|m| it >= m) || since_best >= self.stall_iterations {
            return true;
        }
        // Checking the clock every iteration costs ~20 ns; iterations cost far more.
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Outcome of a search run.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub best: Sequences,
    pub iterations: u64,
}

/// Mutable search state.
pub struct Local<'a> {
    inst: &'a Instance,
    pub seqs: Vec<Vec<usize>>,
    curs: Vec<Vec<Cursor>>,
    cost: Vec<f64>,
    cmax: Vec<i64>,
    sumcost: f64,
    /// Jobs that could be placed alone but are currently not placed.
    pub pool: Vec<usize>,
    /// Jobs that can never be placed, with reasons.
    dead: Vec<(usize, String)>,
    on: Vec<usize>,
    stamp: Vec<u64>,
    epoch: u64,
    backup: Vec<(usize, Vec<usize>)>,
    /// Large-neighbourhood steps tried and steps that improved the current solution.
    pub lns_steps: u64,
    pub lns_improved: u64,
    /// Every this many LNS steps, a larger neighbourhood goes to branch-and-price (cost-only
    /// objectives; 0: never). Default [`LNS_BP_EVERY`].
    pub lns_bp_every: u64,
    /// Branch-and-price LNS steps tried and steps that improved.
    pub lns_bp_steps: u64,
    pub lns_bp_improved: u64,
}

impl<'a> Local<'a> {
    /// State holding `start` (sequences are re-timed; jobs that no longer fit move to the pool).
    pub fn new(inst: &'a Instance, start: &Sequences) -> Local<'a> {
        let mut l = Local {
            inst,
            seqs: start.seqs.clone(),
            curs: vec![Vec::new(); inst.n_printers],
            cost: vec![0.0; inst.n_printers],
            cmax: vec![0; inst.n_printers],
            sumcost: 0.0,
            pool: Vec::new(),
            dead: Vec::new(),
            on: vec![NONE; inst.n_jobs],
            stamp: vec![0; inst.n_printers],
            epoch: 1,
            backup: Vec::new(),
            lns_steps: 0,
            lns_improved: 0,
            lns_bp_every: LNS_BP_EVERY,
            lns_bp_steps: 0,
            lns_bp_improved: 0,
        };
        for (j, r) in &start.unscheduled {
            if r == CONGESTED {
                l.pool.push(*j);
            } else {
                l.dead.push((*j, r.clone()));
            }
        }
        for p in 0..inst.n_printers {
            l.recompute(p);
        }
        l
    }

    fn recompute(&mut self, p: usize) {
        let inst = self.inst;
        let old = self.cost[p];
        let mut c = Cursor::new(inst, p);
        let curs = &mut self.curs[p];
        curs.clear();
        curs.push(c);
        let seq = &mut self.seqs[p];
        let mut keep = 0;
        for i in 0..seq.len() {
            let j = seq[i];
            let mut next = c;
            if next.push(inst, p, j).is_some() {
                c = next;
                curs.push(c);
                seq[keep] = j;
                keep += 1;
                self.on[j] = p;
            } else {
                self.on[j] = NONE;
                self.pool.push(j);
            }
        }
        seq.truncate(keep);
        self.cost[p] = c.cost(inst);
        self.cmax[p] = c.cmax;
        self.sumcost += self.cost[p] - old;
    }

    fn refresh_sum(&mut self) {
        self.sumcost = self.cost.iter().sum();
    }

    pub fn makespan(&self) -> i64 {
        self.cmax.iter().copied().max().unwrap_or(0)
    }

    pub fn score(&self) -> (usize, f64) {
        (
            self.pool.len(),
            self.inst.w_makespan * self.makespan() as f64 + self.sumcost,
        )
    }

    pub fn sequences(&self) -> Sequences {
        let mut unscheduled = self.dead.clone();
        unscheduled.extend(self.pool.iter().map(|&j| (j, CONGESTED.to_string())));
        Sequences {
            seqs: self.seqs.clone(),
            unscheduled,
        }
    }

    fn touch(&mut self, p: usize) {
        if self.stamp[p] != self.epoch {
            self.stamp[p] = self.epoch;
            self.backup.push((p, self.seqs[p].clone()));
        }
    }

    fn top2(&self) -> (i64, usize, i64) {
        let (mut m1, mut i1, mut m2) = (i64::MIN, NONE, i64::MIN);
        for (p, &c) in self.cmax.iter().enumerate() {
            if c > m1 {
                m2 = m1;
                m1 = c;
                i1 = p;
            } else if c > m2 {
                m2 = c;
            }
        }
        (m1.max(0), i1, m2.max(0))
    }

    /// Best (printer, position) to insert `j`, by objective delta then by growth of the printer's
    /// completion time. `blink` skips candidate positions at random (diversification).
    fn best_insert(&self, j: usize, rng: &mut Rng, blink: f64) -> Option<(usize, usize)> {
        let inst = self.inst;
        let (m1, i1, m2) = self.top2();
        let mut best: Option<(f64, i64, usize, usize)> = None;
        for &(p, _) in &inst.elig[j] {
            let others = if p == i1 { m2 } else { m1 };
            let base = self.cost[p];
            let seq = &self.seqs[p];
            let floor = inst.w_makespan * (others - m1) as f64;
            for k in 0..=seq.len() {
                if blink > 0.0 && rng.unit() < blink {
                    continue;
                }
                let mut c = self.curs[p][k];
                if c.push(inst, p, j).is_none() {
                    continue;
                }
                let mut ok = true;
                for &q in &seq[k..] {
                    if c.push(inst, p, q).is_none() {
                        ok = false;
                        break;
                    }
                    if let Some(b) = best
                        && c.cost(inst) - base + floor > b.0 + EPS
                    {
                        ok = false;
                        break;
                    }
                }
                if !ok {
                    continue;
                }
                let delta = inst.w_makespan * (others.max(c.cmax) - m1) as f64 + c.cost(inst) - base;
                let grow = c.cmax - self.cmax[p];
                let better = match best {
                    None => true,
                    Some((bd, bg, _, _)) => delta < bd - EPS || (delta <= bd + EPS && grow < bg),
                };
                if better {
                    best = Some((delta, grow, p, k));
                }
            }
        }
        best.map(|b| (b.2, b.3))
    }

    fn insert(&mut self, j: usize, p: usize, k: usize) {
        self.touch(p);
        let k = k.min(self.seqs[p].len());
        self.seqs[p].insert(k, j);
        self.recompute(p);
    }

    /// Insert every pooled job at its best place (in the given order); returns how many stayed out.
    fn recreate(&mut self, mut order: Vec<usize>, rng: &mut Rng, blink: f64) {
        while let Some(j) = order.pop() {
            match self.best_insert(j, rng, blink) {
                Some((p, k)) => {
                    let before = self.pool.len();
                    self.insert(j, p, k);
                    // Insertion never displaces (the position was evaluated feasible), but be safe.
                    let displaced: Vec<usize> = self.pool.drain(before..).collect();
                    order.extend(displaced);
                }
                None => self.pool.push(j),
            }
        }
    }

    fn remove_jobs(&mut self, jobs: &[usize]) {
        let mut printers = Vec::new();
        for &j in jobs {
            let p = self.on[j];
            if p == NONE {
                continue;
            }
            self.touch(p);
            if let Some(i) = self.seqs[p].iter().position(|&x| x == j) {
                self.seqs[p].remove(i);
            }
            self.on[j] = NONE;
            self.pool.push(j);
            printers.push(p);
        }
        printers.sort_unstable();
        printers.dedup();
        for p in printers {
            self.recompute(p);
        }
    }

    fn rollback(&mut self, pool: Vec<usize>) {
        for &j in &pool {
            self.on[j] = NONE;
        }
        self.pool = pool;
        let backup = std::mem::take(&mut self.backup);
        for (p, seq) in backup {
            self.seqs[p] = seq;
            let before = self.pool.len();
            self.recompute(p);
            self.pool.truncate(before);
        }
        self.refresh_sum();
    }

    fn pick_ruin(&self, rng: &mut Rng, k: usize) -> Vec<usize> {
        let inst = self.inst;
        let assigned: usize = self.seqs.iter().map(Vec::len).sum();
        let k = k.min(assigned);
        let mut out: Vec<usize> = Vec::with_capacity(k);
        if k == 0 {
            return out;
        }
        let nonempty: Vec<usize> = (0..inst.n_printers)
            .filter(|&p| !self.seqs[p].is_empty())
            .collect();
        let strategy = rng.below(4);
        match strategy {
            // Strings from random printers.
            0 => {
                let mut guard = 0;
                while out.len() < k && guard < 4 * k + 8 {
                    guard += 1;
                    let p = nonempty[rng.below(nonempty.len())];
                    let seq = &self.seqs[p];
                    let l = rng.range(1, (k - out.len()).min(seq.len()).max(1));
                    let s = rng.below(seq.len() - l + 1);
                    for &j in &seq[s..s + l] {
                        if !out.contains(&j) {
                            out.push(j);
                        }
                    }
                }
            }
            // Critical: jobs from the printer that finishes last, or the most tardy jobs.
            1 => {
                if inst.w_makespan > 0.0 && (inst.w_tardiness == 0.0 || rng.unit() < 0.5) {
                    let (_, i1, _) = self.top2();
                    if i1 != NONE {
                        let seq = &self.seqs[i1];
                        let l = rng.range(1, seq.len().min(k).max(1));
                        let s = rng.below(seq.len() - l + 1);
                        out.extend_from_slice(&seq[s..(s + l).min(seq.len())]);
                    }
                } else {
                    // Sample tardy jobs, biased to the worst.
                    let mut tardy: Vec<(f64, usize)> = Vec::new();
                    for (p, seq) in self.seqs.iter().enumerate() {
                        for (i, &j) in seq.iter().enumerate() {
                            let end = self.curs[p][i + 1].cmax;
                            let t = inst.tardiness(j, end);
                            if t > 0.0 {
                                tardy.push((t * (0.5 + rng.unit()), j));
                            }
                        }
                    }
                    tardy.sort_by(|a, b| b.0.total_cmp(&a.0));
                    out.extend(tardy.iter().take(k / 2 + 1).map(|t| t.1));
                }
            }
            // Related: same class or similar due date as a seed job.
            2 => {
                let p = nonempty[rng.below(nonempty.len())];
                let seed = self.seqs[p][rng.below(self.seqs[p].len())];
                let key = |j: usize| -> f64 {
                    let class = if inst.job_class[j] == inst.job_class[seed] {
                        0.0
                    } else {
                        1.0
                    };
                    let due = match (inst.due[j], inst.due[seed]) {
                        (Some(a), Some(b)) => (a - b).abs() as f64,
                        _ => 0.0,
                    };
                    class * 1e3 + due + 1e3 * rng_key(j, seed)
                };
                let mut cand: Vec<(f64, usize)> = self.seqs.iter().flatten().map(|&j| (key(j), j)).collect();
                let take = k.min(cand.len());
                if take > 0 {
                    cand.select_nth_unstable_by(take - 1, |a, b| a.0.total_cmp(&b.0));
                    out.extend(cand[..take].iter().map(|c| c.1));
                }
            }
            _ => {}
        }
        // Top up with random jobs.
        let mut guard = 0;
        while out.len() < k && guard < 10 * k + 10 {
            guard += 1;
            let p = nonempty[rng.below(nonempty.len())];
            let j = self.seqs[p][rng.below(self.seqs[p].len())];
            if !out.contains(&j) {
                out.push(j);
            }
        }
        out
    }

    /// Large-neighbourhood step: pick 2–3 printers (the most tardy / critical one, or a random
    /// busy one, plus printers that can run some of its jobs), take a window of at most
    /// [`LNS_JOBS`] jobs in total, consecutive on each printer (around the same time), and
    /// re-sequence and re-assign those jobs exactly with the DP ([`crate::dp::solve_sub`];
    /// prefixes and suffixes stay fixed). Every [`Local::lns_bp_every`]-th step (objectives
    /// without a makespan term) takes 4–6 printers and up to [`LNS_BP_JOBS`] jobs instead and
    /// re-optimises them with branch-and-price ([`crate::bp::solve_sub_bp_capped`]: HiGHS master
    /// LP, exact pricing, the restricted master as a HiGHS MILP; root node only). Applies the
    /// result when it is strictly better. Deterministic for the RNG state (the DP is capped by
    /// memory and branch-and-price by labels, rounds and nodes, not by time; only the global
    /// deadline can cut them).
    pub fn lns_step(&mut self, rng: &mut Rng, limits: &Limits) -> bool {
        let inst = self.inst;
        let nonempty: Vec<usize> = (0..inst.n_printers)
            .filter(|&p| !self.seqs[p].is_empty())
            .collect();
        if nonempty.is_empty() {
            return false;
        }
        self.lns_steps += 1;
        // First printer and the position to centre the window on.
        let (p1, centre) = if rng.unit() < 0.6 {
            if inst.w_tardiness > 0.0 && (inst.w_makespan == 0.0 || rng.unit() < 0.5) {
                // The tardiest job (biased sample), on its printer.
                let mut best: Option<(f64, usize, usize)> = None;
                for &p in &nonempty {
                    for (i, &j) in self.seqs[p].iter().enumerate() {
                        let t = inst.tardiness(j, self.curs[p][i + 1].cmax) * (0.5 + rng.unit());
                        if t > 0.0 && best.is_none_or(|b| t > b.0) {
                            best = Some((t, p, i));
                        }
                    }
                }
                match best {
                    Some((_, p, i)) => (p, i),
                    None => {
                        let p = nonempty[rng.below(nonempty.len())];
                        (p, rng.below(self.seqs[p].len()))
                    }
                }
            } else {
                let (_, i1, _) = self.top2();
                let p = if i1 == NONE || self.seqs[i1].is_empty() {
                    nonempty[0]
                } else {
                    i1
                };
                (p, self.seqs[p].len() - 1)
            }
        } else {
            let p = nonempty[rng.below(nonempty.len())];
            (p, rng.below(self.seqs[p].len()))
        };
        // Branch-and-price only handles objectives without a makespan term here (the other
        // printers' makespan is a floor the set-partitioning master does not model).
        let big = self.lns_bp_every > 0
            && inst.w_makespan == 0.0
            && self.lns_steps.is_multiple_of(self.lns_bp_every);
        // The DP is exponential in the jobs per printer and in the printers (3^jobs
        // combination); branch-and-price is at its best with many printers and few jobs each.
        let n_printers = if big {
            LNS_BP_PRINTERS.0 + rng.below(LNS_BP_PRINTERS.1 - LNS_BP_PRINTERS.0 + 1)
        } else if rng.unit() < 0.5 {
            2
        } else {
            3
        };
        let per = if big { LNS_BP_JOBS } else { LNS_JOBS } / n_printers;
        let window = |len: usize, centre: usize, take: usize| -> (usize, usize) {
            let take = take.min(len);
            let a = centre.saturating_sub(take / 2).min(len - take);
            (a, a + take)
        };
        let (a1, b1) = window(self.seqs[p1].len(), centre, per);
        let t_lo = self.curs[p1][a1].cmax;
        let t_hi = self.curs[p1][b1].cmax;
        // Neighbours: printers that can run a job of the window, random order.
        let mut cands: Vec<usize> = (0..inst.n_printers)
            .filter(|&q| {
                q != p1
                    && self.seqs[p1][a1..b1]
                        .iter()
                        .any(|&j| inst.duration(j, q).is_some())
            })
            .collect();
        rng.shuffle(&mut cands);
        let mut printers = vec![p1];
        let mut ranges = vec![(a1, b1)];
        for q in cands.into_iter().take(n_printers - 1) {
            // The jobs of q that overlap [t_lo, t_hi] (around the same time as p1's window).
            let ends = &self.curs[q];
            let len = self.seqs[q].len();
            let first = (0..len).find(|&i| ends[i + 1].cmax > t_lo).unwrap_or(len);
            let last = (0..len).rfind(|&i| ends[i].cmax < t_hi).map_or(first, |i| i + 1);
            let (a, b) = if last > first {
                window(len, (first + last) / 2, per.min(last - first).max(1))
            } else {
                (first.min(len), first.min(len))
            };
            printers.push(q);
            ranges.push((a, b));
        }
        let mut jobs: Vec<usize> = Vec::new();
        for (i, &p) in printers.iter().enumerate() {
            jobs.extend_from_slice(&self.seqs[p][ranges[i].0..ranges[i].1]);
        }
        if jobs.len() < 2 {
            return false;
        }
        let floor = (0..inst.n_printers)
            .filter(|p| !printers.contains(p))
            .map(|p| self.cmax[p])
            .max()
            .unwrap_or(0);
        let sub = crate::dp::Sub {
            printers: printers.clone(),
            starts: printers
                .iter()
                .zip(&ranges)
                .map(|(&p, r)| self.curs[p][r.0])
                .collect(),
            suffixes: printers
                .iter()
                .zip(&ranges)
                .map(|(&p, r)| self.seqs[p][r.1..].to_vec())
                .collect(),
            makespan_floor: floor,
        };
        let deadline = limits
            .deadline
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
        let middles = if big {
            self.lns_bp_steps += 1;
            let current: Vec<Vec<usize>> = printers
                .iter()
                .zip(&ranges)
                .map(|(&p, r)| self.seqs[p][r.0..r.1].to_vec())
                .collect();
            let run = crate::bp::solve_sub_bp_capped(
                inst,
                &sub,
                &jobs,
                &current,
                f64::NEG_INFINITY,
                deadline,
                LNS_BP_BYTES,
                LNS_BP_NODES,
            );
            match run.and_then(|r| r.improved) {
                Some(s) => s.seqs,
                None => return false,
            }
        } else {
            match crate::dp::solve_sub(inst, &sub, &jobs, deadline, LNS_BYTES) {
                Some(m) => m,
                None => return false,
            }
        };
        let before = self.score();
        let old: Vec<Vec<usize>> = printers.iter().map(|&p| self.seqs[p].clone()).collect();
        for (i, &p) in printers.iter().enumerate() {
            let (a, b) = ranges[i];
            let mut seq = old[i][..a].to_vec();
            seq.extend_from_slice(&middles[i]);
            seq.extend_from_slice(&old[i][b..]);
            self.seqs[p] = seq;
        }
        let pool_before = self.pool.len();
        for &p in &printers {
            self.recompute(p);
        }
        self.refresh_sum();
        if self.pool.len() == pool_before && less(self.score(), before) {
            if big {
                self.lns_bp_improved += 1;
            }
            return true;
        }
        // Not better (or, impossibly, a job no longer fits): restore.
        self.pool.truncate(pool_before);
        for (i, &p) in printers.iter().enumerate() {
            self.seqs[p] = old[i].clone();
            self.recompute(p);
        }
        self.pool.truncate(pool_before);
        self.refresh_sum();
        false
    }

    /// Ruin-and-recreate with late acceptance until the limits say stop. Returns the best solution.
    pub fn run(&mut self, limits: &Limits, seed: u64) -> SearchResult {
        let inst = self.inst;
        let mut rng = Rng::new(seed ^ 0xA5A5_5A5A_1234_5678);
        // First, place whatever is pooled.
        if !self.pool.is_empty() {
            let order = std::mem::take(&mut self.pool);
            self.backup.clear();
            self.recreate(order, &mut rng, 0.0);
            self.refresh_sum();
        }
        let mut cur = self.score();
        let mut best = cur;
        let mut best_sol = self.sequences();
        let n = inst.n_jobs;
        let kmax = (n / 8).clamp(4, 40).min(n.max(1));
        const HIST: usize = 64;
        let mut hist = vec![cur; HIST];
        let mut it: u64 = 0;
        let mut since_best: u64 = 0;
        let assigned: usize = self.seqs.iter().map(Vec::len).sum();
        if assigned + self.pool.len() == 0 {
            return SearchResult {
                best: best_sol,
                iterations: 0,
            };
        }
        while !limits.stop(it, since_best, best) {
            it += 1;
            since_best += 1;
            self.epoch += 1;
            self.backup.clear();
            let saved_pool = self.pool.clone();
            let k = rng.range(1, kmax);
            let ruined = self.pick_ruin(&mut rng, k);
            self.remove_jobs(&ruined);
            let mut order = std::mem::take(&mut self.pool);
            match rng.below(4) {
                0 => rng.shuffle(&mut order),
                1 => order
                    .sort_by_key(|&j| std::cmp::Reverse(inst.elig[j].iter().map(|e| e.1).min().unwrap_or(0))),
                2 => order.sort_by_key(|&j| std::cmp::Reverse(inst.due[j].unwrap_or(i64::MAX))),
                _ => order.sort_by_key(|&j| std::cmp::Reverse(inst.release[j])),
            }
            // `recreate` pops from the back: the orders above are reversed on purpose.
            let blink = if rng.unit() < 0.5 { 0.0 } else { 0.02 };
            self.recreate(order, &mut rng, blink);
            self.refresh_sum();
            let new = self.score();
            let slot = (it as usize) % HIST;
            if less_eq(new, cur) || less_eq(new, hist[slot]) {
                cur = new;
                if less(new, best) {
                    best = new;
                    best_sol = self.sequences();
                    since_best = 0;
                }
            } else {
                self.rollback(saved_pool);
            }
            if less(cur, hist[slot]) {
                hist[slot] = cur;
            }
            if limits.lns_period > 0
                && it.is_multiple_of(limits.lns_period)
                && self.lns_step(&mut rng, limits)
            {
                self.lns_improved += 1;
                cur = self.score();
                if less(cur, best) {
                    best = cur;
                    best_sol = self.sequences();
                    since_best = 0;
                }
            }
        }
        SearchResult {
            best: best_sol,
            iterations: it,
        }
    }
}

fn less(a: (usize, f64), b: (usize, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1 - EPS * b.1.abs().max(1.0))
}

fn less_eq(a: (usize, f64), b: (usize, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 <= b.1 + EPS * b.1.abs().max(1.0))
}

/// Deterministic pseudo-random tie-break in `[0, 1)` for a pair of jobs.
fn rng_key(a: usize, b: usize) -> f64 {
    let mut r = Rng::new(((a as u64) << 32) ^ b as u64);
    r.unit()
}

/// Constructive heuristic: for several job orders, append each job to the printer where it
/// increases the objective least (ties: earliest completion); keep the best.
pub fn construct(inst: &Instance) -> Sequences {
    let mut dead = Vec::new();
    let mut live = Vec::new();
    for j in 0..inst.n_jobs {
        match placement_reason(inst, j) {
            Some(r) => dead.push((j, r)),
            None => live.push(j),
        }
    }
    let min_d = |j: usize| inst.elig[j].iter().map(|e| e.1).min().unwrap_or(0);
    let mut orders: Vec<Vec<usize>> = Vec::new();
    let mut o = live.clone();
    o.sort_by_key(|&j| (inst.due[j].unwrap_or(i64::MAX), inst.release[j], j));
    orders.push(o);
    let mut o = live.clone();
    o.sort_by_key(|&j| (inst.release[j], std::cmp::Reverse(min_d(j)), j));
    orders.push(o);
    let mut o = live.clone();
    o.sort_by_key(|&j| (inst.job_class[j], inst.due[j].unwrap_or(i64::MAX), j));
    orders.push(o);
    let mut o = live.clone();
    o.sort_by_key(|&j| (inst.elig[j].len(), std::cmp::Reverse(min_d(j)), j));
    orders.push(o);
    let mut best: Option<((usize, f64), Sequences)> = None;
    for order in orders {
        let sol = append_construct(inst, &order, &dead);
        let Some(v) = sol.evaluate(inst) else { continue };
        let score = (sol.unscheduled.len(), v.value);
        if best.as_ref().is_none_or(|b| less(score, b.0)) {
            best = Some((score, sol));
        }
    }
    best.map(|b| b.1).unwrap_or_else(|| Sequences {
        seqs: vec![Vec::new(); inst.n_printers],
        unscheduled: dead,
    })
}

fn append_construct(inst: &Instance, order: &[usize], dead: &[(usize, String)]) -> Sequences {
    let mut sol = Sequences::empty(inst);
    sol.unscheduled = dead.to_vec();
    let mut tails: Vec<Cursor> = (0..inst.n_printers).map(|p| Cursor::new(inst, p)).collect();
    let mut ms = 0i64;
    for &j in order {
        let mut best: Option<(f64, i64, usize, Cursor)> = None;
        for &(p, _) in &inst.elig[j] {
            let mut c = tails[p];
            let before = c.cost(inst);
            if c.push(inst, p, j).is_none() {
                continue;
            }
            let delta = inst.w_makespan * (ms.max(c.cmax) - ms) as f64 + c.cost(inst) - before;
            let better = match &best {
                None => true,
                Some((bd, be, _, _)) => delta < bd - EPS || (delta <= bd + EPS && c.cmax < *be),
            };
            if better {
                best = Some((delta, c.cmax, p, c));
            }
        }
        match best {
            Some((_, _, p, c)) => {
                tails[p] = c;
                ms = ms.max(c.cmax);
                sol.seqs[p].push(j);
            }
            None => sol.unscheduled.push((j, CONGESTED.to_string())),
        }
    }
    sol
}
