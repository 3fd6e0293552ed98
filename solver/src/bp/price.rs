//! Exact pricing: a label DP per printer over (job set, last job) with Pareto fronts of (end, cost).

#![allow(clippy::needless_range_loop)]

use std::collections::HashSet;
use std::time::Instant;

use super::{Bp, COLUMNS_PER_ROUND, Column, FMap, Label, Mask, Mode, Node, Priced};
use crate::plan::Cursor;

impl Bp<'_> {
    /// Exact pricing on printer `pi`: the columns (at most [`COLUMNS_PER_ROUND`], distinct job
    /// sets) whose reduced cost `cost + ν·end − Σ π − μ` is below `−tol` (`ν = 0` unless the
    /// objective is mixed), and the least reduced cost found
    /// (`+∞` if none is below `−tol`: then every column's reduced cost is ≥ `−tol`). Above `cap`
    /// labels the enumeration stops early (`truncated`: the columns found so far — the shorter
    /// sequences, the DP runs by length — and no valid least reduced cost). `None` when out of
    /// time.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn price(
        &mut self,
        pi: usize,
        duals: &[f64],
        mu: f64,
        nu: f64,
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
        // Branching on the column's end (mixed objectives).
        // Mixed objectives: no column of a plan better than the incumbent ends after `ms_cap`.
        let (end_min, mut end_max) = (node.end_min[pi], node.end_max[pi]);
        if mode == Mode::Cost {
            end_max = end_max.min(self.ms_cap);
        }
        let w1 = self.w1(mode);
        // Knapsack order for the makespan bound: by π / work, best first.
        let mut order: Vec<usize> = (0..n)
            .filter(|&k| allowed & (1 << k) != 0 && duals[k] > 0.0)
            .collect();
        order.sort_by(|&a, &b| {
            let ra = duals[a] / self.work[pi][a].max(1) as f64;
            let rb = duals[b] / self.work[pi][b].max(1) as f64;
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        // Cost mode with a finite latest end (mixed objectives): the jobs an extension adds must
        // fit their works between the label's end and `end_max`, so their gain is at most a
        // fractional knapsack of the static gains `π_k − lb_k` (job k at its earliest end).
        let mut kn: Vec<(usize, f64)> = Vec::new();
        if mode == Mode::Cost && end_max < i64::MAX / 4 {
            for k in 0..n {
                if allowed & (1 << k) == 0 || self.early[pi][k] == i64::MAX {
                    continue;
                }
                let lbk = inst.w_tardiness * inst.tardiness(self.jobs[k], self.early[pi][k])
                    + inst.w_setups * self.min_set[pi][k] as f64;
                if duals[k] > lbk {
                    kn.push((k, duals[k] - lbk));
                }
            }
            kn.sort_by(|a, b| {
                let ra = a.1 / self.work[pi][a.0].max(1) as f64;
                let rb = b.1 / self.work[pi][b.0].max(1) as f64;
                rb.total_cmp(&ra).then(a.0.cmp(&b.0))
            });
        }
        let knapsack = |cur: &Cursor, mask: Mask| -> f64 {
            let mut cap = (end_max - cur.cmax).max(0) as f64;
            let mut gain = 0.0;
            for &(k, g) in &kn {
                if cap <= 0.0 {
                    break;
                }
                if mask & (1 << k) != 0 {
                    continue;
                }
                let w = self.work[pi][k].max(1) as f64;
                if w <= cap {
                    gain += g;
                    cap -= w;
                } else {
                    gain += g * cap / w;
                    cap = 0.0;
                }
            }
            gain
        };
        let lb_in = |mask: Mask| -> f64 {
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
        let optimistic = |cur: &Cursor, mask: Mask, pi_sum: f64| -> f64 {
            match mode {
                Mode::Cost => {
                    // Every job k added ends the column at least `work[k]` later (its duration
                    // and least setup), which costs `ν·work[k]` more: with `g_k = π_k − lb_k`,
                    // the extensions gain at most `Σ g_k⁺`, and at most `ν·slack + Σ (g_k −
                    // ν·work_k)⁺` where `slack` is how far the end may grow before it passes
                    // `max(end, end_min)` (the end the bound already charges).
                    let ready = cur.ready.unwrap_or(i64::MAX / 4);
                    let base = cur.cmax.max(end_min).max(self.node_floor);
                    let mut gain = 0.0;
                    let mut gain_nu = nu * (base - cur.cmax) as f64;
                    // (gain per minute, work) of the jobs an extension could gain from.
                    let mut items = [(0.0f64, 0.0f64); super::BP_MAX_JOBS];
                    let mut n_items = 0;
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
                            let g0 = duals[k] - lbk;
                            gain += g0;
                            let w = self.work[pi][k].max(1) as f64;
                            let g = g0 - nu * w;
                            if g > 0.0 {
                                gain_nu += g;
                            }
                            items[n_items] = (g0 / w, w);
                            n_items += 1;
                        }
                    }
                    let mut best = gain.min(gain_nu);
                    if end_max < i64::MAX / 4 {
                        best = best.min(knapsack(cur, mask));
                    }
                    if n_items > 1 && best > 0.0 && (nu > 0.0 || end_max < i64::MAX / 4) {
                        // Both limits at once, with the gains at this label's time: the added
                        // works fit in `end_max − ready` minutes, the first `base − end` of
                        // them are free and every further minute costs `ν` (a fractional
                        // knapsack whose per-minute values fall along the ratio order).
                        let items = &mut items[..n_items];
                        items.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                        let mut cap = if end_max < i64::MAX / 4 {
                            (end_max - ready.min(end_max)) as f64
                        } else {
                            f64::INFINITY
                        };
                        let mut free = (base - cur.cmax) as f64;
                        let mut value = 0.0;
                        for &(r, w) in items.iter() {
                            if cap <= 0.0 {
                                break;
                            }
                            let a = w.min(cap);
                            let f = a.min(free);
                            value += r * f;
                            free -= f;
                            let rest = a - f;
                            if rest > 0.0 {
                                if r <= nu {
                                    break;
                                }
                                value += (r - nu) * rest;
                            }
                            cap -= a;
                        }
                        best = best.min(value);
                    }
                    cur.cost(inst) + nu * base as f64 - pi_sum - best - mu
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
        let mut fronts: FMap<(Mask, u8), Vec<u32>> = FMap::default();
        let mut cands: Vec<(f64, u32)> = Vec::new();
        // Try to add a label; returns nothing (it is either stored or dropped).
        let consider = |labels: &mut Vec<Label>,
                        fronts: &mut FMap<(Mask, u8), Vec<u32>>,
                        cands: &mut Vec<(f64, u32)>,
                        cur: Cursor,
                        mask: Mask,
                        last: u8,
                        parent: u32,
                        pi_sum: f64| {
            if let Mode::Within(t) = mode
                && cur.cmax > t
            {
                return;
            }
            if cur.cmax > end_max {
                return;
            }
            let Some(closed) = self.close(pi, &cur) else {
                return;
            };
            if closed.cmax > end_max {
                return;
            }
            let ccost = closed.cost(inst);
            match mode {
                Mode::Cost => {
                    // With a makespan term, the plan's makespan is at least this column's end.
                    let ms = w1 * closed.cmax.max(end_min).max(self.makespan_lb).max(node.cmax_lo) as f64;
                    if ccost + ms + self.total_lb - lb_in(mask) >= cutoff_cost {
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
            let key = (mask, last);
            let front = fronts.entry(key).or_default();
            let (e, c) = (cur.cmax, cur.cost(inst));
            // An earlier end dominates only if it does not lose "ends after `end_min`" (a
            // branching bound) for some extension.
            let dominates = |a: i64, b: i64| a <= b && (a == b || a >= end_min);
            for &f in front.iter() {
                let l = &labels[f as usize];
                if l.alive && dominates(l.cursor.cmax, e) && l.cursor.cost(inst) <= c + 1e-9 {
                    return;
                }
            }
            front.retain(|&f| {
                let l = &mut labels[f as usize];
                if dominates(e, l.cursor.cmax) && c <= l.cursor.cost(inst) + 1e-9 {
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
            if mask & required == required && closed.cmax >= end_min {
                let colcost = match mode {
                    Mode::Cost => ccost + nu * self.linked_end(closed.cmax) as f64,
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
        let mut masks: HashSet<Mask> = HashSet::new();
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
}
