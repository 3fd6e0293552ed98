//! Column generation at a node and the tree searches (cost mode, makespan mode).

#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use super::mixed::Window;
use super::{Bp, BpRun, CLOSE_TOL, Lp, MAX_ROUNDS, Mode, NODE_LABELS, Node, NodeResult, QUICK_LABELS};
use crate::plan::Sequences;

impl Bp<'_> {
    /// Column generation at a node until no column has a negative reduced cost, or the
    /// Lagrangian bound reaches `cutoff`. `None`: out of time or budget.
    pub(super) fn node(
        &mut self,
        node: &Node,
        mode: Mode,
        ub: f64,
        cutoff: f64,
    ) -> Option<(NodeResult, f64)> {
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
        self.node_floor = self.floor_at(node);
        let mut lb = node.lb;
        // Cost mode below the root: a node's pricing may use NODE_LABELS labels in all (or what
        // the root used, twice); past that its column generation stops without a bound and the
        // node branches on its current LP (see `stalled` below) rather than spend the run on one
        // node whose duals are still far off. (Not in feasibility mode: there only a converged
        // node proves a target impossible, and early branching measured slower.)
        let node_start = self.stats.pricing_labels;
        let mut node_cap = if node.lb > f64::NEG_INFINITY && mode == Mode::Cost {
            node_start.saturating_add(NODE_LABELS.max(self.root_node_labels))
        } else {
            u64::MAX
        };
        let mut stalled = false;
        // Pricing first runs with a small label cap (cheap columns while the duals are still far
        // off); a round whose capped pricings found nothing new is repeated uncapped (exact).
        let mut force_exact = false;
        for _round in 0..MAX_ROUNDS {
            if self.timed_out() || self.stats.pricing_labels > self.label_cap {
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
            // Mixed objectives: `w1·Cmax ≥ Σ ν_p·end_p + (w1 − Σ ν)·floor`.
            let w1 = self.w1(mode);
            if w1 > 0.0 {
                lagr += (w1 - lp.nu.iter().sum::<f64>()).max(0.0) * self.node_floor as f64;
            }
            let mut pool_rc = vec![f64::INFINITY; self.n_p];
            if !lp_zero {
                for &c in &cols {
                    let col = &self.pool[c];
                    let mut rc = Self::col_cost(col, mode) + lp.nu(col.pi) * self.linked_end(col.end) as f64
                        - lp.mu[col.pi];
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
                    // The memory budget, and what is left of a label cap (a window probe's).
                    let max_l = self
                        .label_cap
                        .saturating_sub(self.stats.pricing_labels)
                        .max(1024)
                        .min(self.max_labels as u64) as usize;
                    let node_left = node_cap.saturating_sub(self.stats.pricing_labels).max(1024);
                    let max_l = max_l.min(node_left.min(usize::MAX as u64) as usize);
                    let quick = if force_exact {
                        max_l
                    } else {
                        QUICK_LABELS.min(self.max_labels / 16).min(max_l)
                    };
                    let nu = lp.nu(pi);
                    let mut priced = self.price(pi, &lp.pi, lp.mu[pi], nu, node, mode, ub, tol, quick);
                    // Nothing below the cap: raise it eightfold at a time up to the budget (the
                    // enumeration runs by length, so a smaller cap finds the short columns at
                    // a fraction of the cost of a full one).
                    let mut cap = quick;
                    while let Some(r) = &priced
                        && r.truncated
                        && r.columns.is_empty()
                        && cap < max_l
                    {
                        cap = cap.saturating_mul(8).min(max_l);
                        priced = self.price(pi, &lp.pi, lp.mu[pi], nu, node, mode, ub, tol, cap);
                    }
                    self.stats.pricing_us += t_price.elapsed().as_micros() as u64;
                    let priced = priced?;
                    if priced.truncated {
                        if priced.columns.is_empty() {
                            if node_cap < u64::MAX && self.stats.pricing_labels <= self.label_cap {
                                // Below the root, this node's allowance (or the memory budget)
                                // is spent: branch on the LP as it is; its children price
                                // smaller problems.
                                stalled = true;
                                self.stats.stalled += 1;
                                exact_round = false;
                                break;
                            }
                            // The root over the memory budget (or the label cap): give up.
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
                if !stalled && (added > 0 || force_exact) {
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
            // Mixed objectives: the LP's makespan below a used column's end ⇒ branch on it.
            if w1 > 0.0 && best.is_some() {
                let cm = lp.cmax;
                let top = cols
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| lp.lambda[*i] > 1e-6)
                    .map(|(_, &c)| self.pool[c].end)
                    .max()
                    .unwrap_or(i64::MIN);
                if (top as f64) > cm + 1e-6 && cm.is_finite() {
                    // Halfway between the LP's makespan and the latest end it uses: both
                    // children cut the LP solution off (one its makespan, the other that
                    // column), and a run of pruned "ends by t" children climbs in halving
                    // steps rather than a minute at a time.
                    let lo = cm.floor() as i64;
                    let t = lo + (top - 1 - lo).max(0) / 2;
                    return Some((NodeResult::BranchCmax(t, lb), lb));
                }
            }
            if let Some((k, pi, v, _)) = best {
                return Some((NodeResult::Branch(k, pi, v, lb), lb));
            }
            if stalled {
                // Nothing fractional to branch on: the column generation goes on without the
                // allowance (as at the root).
                node_cap = u64::MAX;
                stalled = false;
                force_exact = true;
                continue;
            }
            if lp.art.iter().any(|&a| a > 1e-6) {
                // Only reachable through LP tolerances (an uncovered job costs more than the
                // cut-off): give up rather than claim anything.
                return None;
            }
            if w1 > 0.0 {
                return Some(self.integral_mixed(&cols, &lp, lb));
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

    /// Integral assignment with a makespan term: every printer's support columns have the same
    /// job set. If some printer's support ends at different minutes, branch on its end (at the
    /// LP's weighted mean end); otherwise take per printer the cheapest support column (all end
    /// at the same minute, so the LP value is at least this plan's value).
    fn integral_mixed(&self, cols: &[usize], lp: &Lp, lb: f64) -> (NodeResult, f64) {
        let mut ends: Vec<(i64, i64, f64, f64)> = vec![(i64::MAX, i64::MIN, 0.0, 0.0); self.n_p];
        let mut pick: Vec<Option<usize>> = vec![None; self.n_p];
        for (i, &c) in cols.iter().enumerate() {
            let v = lp.lambda[i];
            if v <= 1e-6 {
                continue;
            }
            let col = &self.pool[c];
            // Ends below the node's makespan floor all cost the floor (see `linked_end`).
            let end = self.linked_end(col.end);
            let e = &mut ends[col.pi];
            e.0 = e.0.min(end);
            e.1 = e.1.max(end);
            e.2 += v * end as f64;
            e.3 += v;
            if pick[col.pi].is_none_or(|o| col.cost < self.pool[o].cost) {
                pick[col.pi] = Some(c);
            }
        }
        let spread = (0..self.n_p)
            .filter(|&pi| ends[pi].0 < ends[pi].1)
            .max_by_key(|&pi| (ends[pi].1 - ends[pi].0, std::cmp::Reverse(pi)));
        if let Some(pi) = spread {
            let (lo, hi, sum, w) = ends[pi];
            let t = ((sum / w.max(1e-12)).floor() as i64).clamp(lo, hi - 1);
            return (NodeResult::BranchEnd(pi, t, lb), lb);
        }
        match pick.into_iter().collect::<Option<Vec<usize>>>() {
            Some(ps) => (NodeResult::Integral(ps, lb), lb),
            // A printer without a support column: only through LP tolerances; claim nothing
            // (an empty integral node is closed by nothing and treated as a failed node).
            None => (
                NodeResult::Integral(Vec::new(), f64::NEG_INFINITY),
                f64::NEG_INFINITY,
            ),
        }
    }

    /// Cost mode: depth-first branch-and-price below the incumbent value `ub`.
    pub(super) fn run_cost(&mut self, mut ub: f64, lower: f64) -> BpRun {
        let mut best: Option<Vec<Vec<usize>>> = None;
        let eps = |ub: f64| 1e-7 * ub.abs().max(1.0);
        let mut root = self.root();
        let mut root_done = false;
        let mut global_lb = lower;
        let full_deadline = self.deadline;
        if let Some(r) = self.root_deadline {
            self.deadline = self.deadline.min(r);
        }
        self.label_cap = self.root_labels.unwrap_or(u64::MAX);
        if self.w1(Mode::Cost) > 0.0 {
            // Mixed objectives: the makespan window of the better plans (part of the root).
            match self.mixed_window(&mut ub, &mut best) {
                None => return self.finish(best, false, global_lb),
                Some(Window::NoBetter) => return self.finish(best, true, ub),
                Some(Window::Range(lo, hi)) => {
                    root.cmax_lo = lo;
                    global_lb = global_lb.max((self.inst.w_makespan * lo as f64 + self.cost_floor()).min(ub));
                    self.ms_cap = hi;
                }
            }
        }
        let mut stack: Vec<Node> = vec![root];
        while let Some(mut node) = stack.pop() {
            // Mixed objectives: a makespan branch's floor with the cost floor bounds the node
            // before any LP (the cost floor may have risen since the node was made).
            if self.w1(Mode::Cost) > 0.0 && node.cmax_lo > i64::MIN {
                node.lb = node
                    .lb
                    .max(self.inst.w_makespan * node.cmax_lo as f64 + self.cost_floor());
            }
            if node.lb >= ub - eps(ub) {
                continue;
            }
            let l0 = self.stats.pricing_labels;
            let r = self.node(&node, Mode::Cost, ub, ub - eps(ub));
            let Some((res, lb)) = r else {
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
                self.root_node_labels = self.stats.pricing_labels.saturating_sub(l0).saturating_mul(2);
                self.deadline = full_deadline;
                self.label_cap = u64::MAX;
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
                        self.ms_cap = self.ms_cap.min(self.ms_cap_for(ub));
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
                        self.ms_cap = self.ms_cap.min(self.ms_cap_for(ub));
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
                NodeResult::BranchEnd(pi, t, lb) => {
                    if lb < ub - eps(ub) {
                        for c in self.end_children(&node, pi, t, lb) {
                            stack.push(c);
                        }
                    }
                }
                NodeResult::BranchCmax(t, lb) => {
                    if lb < ub - eps(ub) {
                        for c in self.cmax_children(&node, t, lb) {
                            stack.push(c);
                        }
                    }
                }
            }
        }
        let v = ub;
        self.finish(best, true, v)
    }

    pub(super) fn finish(&self, best: Option<Vec<Vec<usize>>>, proved: bool, lb: f64) -> BpRun {
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
    pub(super) fn within(&mut self, t: i64, root_only: bool) -> Option<Option<Vec<Vec<usize>>>> {
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
                NodeResult::BranchEnd(pi, t, lb) => {
                    for c in self.end_children(&node, pi, t, lb) {
                        stack.push(c);
                    }
                }
                NodeResult::BranchCmax(t, lb) => {
                    for c in self.cmax_children(&node, t, lb) {
                        stack.push(c);
                    }
                }
            }
        }
        Some(None)
    }

    /// Makespan mode: the least `T` with a plan, between `lo` (no plan ends earlier) and the
    /// incumbent's makespan `ub_ms`.
    pub(super) fn run_makespan(&mut self, lo: i64, ub_ms: i64) -> BpRun {
        let w1 = self.inst.w_makespan;
        let mut best: Option<Vec<Vec<usize>>> = None;
        let mut ub_ms = ub_ms;
        // Binary search with the root LP for the least LP-feasible target in [lo, ub_ms]:
        // LP infeasible at t ⇒ no plan with makespan ≤ t.
        let (mut lo, mut hi) = (lo.min(ub_ms), ub_ms);
        let full_deadline = self.deadline;
        if let Some(r) = self.root_deadline {
            self.deadline = self.deadline.min(r);
        }
        self.label_cap = self.root_labels.unwrap_or(u64::MAX);
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
        self.deadline = full_deadline;
        self.label_cap = u64::MAX;
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
