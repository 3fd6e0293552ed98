//! Mixed objectives (makespan with tardiness/setups): the makespan window of the root.
//!
//! The master's linking rows `Σ_c end_c·λ_c ≤ Cmax` only bound each printer's *average* end,
//! so on their own they let the LP mix a column that ends early with one that ends late and
//! price the makespan far below any plan's. Two global facts close most of that gap before the
//! tree search starts:
//! * **ceiling**: a plan strictly better than the incumbent (value `ub`) has
//!   `w1·Cmax + cost < ub` and `cost ≥` the cost floor (the bound of a short cost-only
//!   branch-and-price run first, [`Bp::cost_phase`], or Σ per-job least costs and the fixed
//!   parts), so its makespan is at most [`Bp::ms_cap_for`]; columns ending later are left out
//!   (the cap follows every better incumbent);
//! * **floor**: no plan ends before the least `T` whose feasibility master ("every column ends
//!   by `T`", the makespan mode's phase-one LP) is feasible; a binary search on `T` between the
//!   trivial floor and the ceiling finds it, and the root's makespan variable starts there.
//!
//! Both only remove plans that cannot beat the incumbent, so every bound stays valid as
//! `min(bound, incumbent)`, like the cost mode's other cut-offs.

use std::time::Instant;

use super::{Bp, BpLimits, LABEL_BYTES};

/// Nodes of the cost-only phase (its root usually proves or nearly proves the cost optimum).
const COST_PHASE_NODES: u64 = 8;

/// Share of the time left that the cost-only phase may use.
const COST_PHASE_SHARE: f64 = 0.3;

/// Pricing labels one feasibility probe of the window search may use before it is left
/// undecided (about a second of pricing).
const PROBE_LABELS: u64 = 1_000_000;

/// Result of [`Bp::mixed_window`].
pub(super) enum Window {
    /// No plan strictly better than the incumbent exists (the incumbent is optimal).
    NoBetter,
    /// Every plan strictly better than the incumbent has a makespan in `[lo, hi]`.
    Range(i64, i64),
}

impl Bp<'_> {
    /// Least possible tardiness, setup and fixed-part cost of any plan of the sub-problem.
    pub(super) fn cost_floor(&self) -> f64 {
        (self.total_lb + self.start_cost.iter().sum::<f64>()).max(self.cost_lb)
    }

    /// The cost-only phase: branch-and-price on the same sub-problem without the makespan term
    /// (a few nodes, a share of the time left), whose bound is a cost floor of every plan
    /// ([`Bp::cost_lb`]); a plan it finds that is better for the mixed objective becomes the
    /// incumbent. `None`: out of time, nodes or labels.
    fn cost_phase(&mut self, ub: &mut f64, best: &mut Option<Vec<Vec<usize>>>) -> Option<()> {
        let mut cost_inst = self.inst.clone();
        cost_inst.w_makespan = 0.0;
        let middles: Vec<Vec<usize>> = match best {
            Some(m) => m.clone(),
            None => self.incumbent.clone(),
        };
        let now = Instant::now();
        let left = self.deadline.saturating_duration_since(now);
        let nodes_left = self.max_nodes.saturating_sub(self.stats.nodes);
        if nodes_left == 0 || left.is_zero() {
            return None;
        }
        let limits = BpLimits {
            deadline: now + left.mul_f64(COST_PHASE_SHARE),
            root_deadline: None,
            root_labels: (self.label_cap < u64::MAX)
                .then(|| self.label_cap.saturating_sub(self.stats.pricing_labels)),
            max_bytes: self.max_labels * LABEL_BYTES,
            max_nodes: nodes_left.min(COST_PHASE_NODES),
        };
        let run = super::run_pooled(
            &cost_inst,
            self.sub,
            self.jobs,
            &middles,
            f64::NEG_INFINITY,
            &limits,
        );
        let Some((run, pool)) = run else {
            return Some(());
        };
        // Its columns (same sequences, same costs and ends) start the mixed master.
        for c in pool {
            self.add_column(c);
        }
        self.stats.nodes += run.stats.nodes;
        self.stats.lp_solves += run.stats.lp_solves;
        self.stats.pricing_labels += run.stats.pricing_labels;
        self.stats.master_us += run.stats.master_us;
        self.stats.pricing_us += run.stats.pricing_us;
        self.stats.milp_us += run.stats.milp_us;
        self.stats.stalled += run.stats.stalled;
        if run.lower_bound.is_finite() {
            self.cost_lb = self.cost_lb.max(run.lower_bound);
        }
        if let Some(s) = run.improved
            && let Some((v, _)) = self.value(&s.seqs)
            && v < *ub - 1e-7 * ub.abs().max(1.0)
        {
            *ub = v;
            *best = Some(s.seqs);
        }
        if self.timed_out() || self.stats.pricing_labels > self.label_cap {
            return None;
        }
        Some(())
    }

    /// The latest makespan a plan with a value below `ub` can have (`i64::MAX` without a
    /// makespan term). Conservative by a relative `1e-9`: a plan with this makespan may still
    /// not be better, but none ending later is.
    pub(super) fn ms_cap_for(&self, ub: f64) -> i64 {
        let w1 = self.inst.w_makespan;
        if w1 <= 0.0 || !ub.is_finite() {
            return i64::MAX;
        }
        let t = (ub - self.cost_floor()) / w1;
        let t = t + 1e-9 * t.abs().max(1.0);
        if t >= (i64::MAX / 4) as f64 {
            i64::MAX
        } else {
            t.floor() as i64
        }
    }

    /// The makespan window of the plans better than `ub` (see the module docs). An integral
    /// feasibility solution met on the way that beats `ub` becomes the incumbent (`ub`, `best`).
    /// A probe that needs more than [`PROBE_LABELS`] pricing labels (or the memory budget) is
    /// left undecided and counted as feasible: the floor only ever rests on targets proved
    /// infeasible. `None`: out of time, nodes or the root's label budget.
    pub(super) fn mixed_window(
        &mut self,
        ub: &mut f64,
        best: &mut Option<Vec<Vec<usize>>>,
    ) -> Option<Window> {
        let lo = self.makespan_lb;
        if self.ms_cap_for(*ub) >= lo {
            self.cost_phase(ub, best)?;
        }
        let hi = self.ms_cap_for(*ub);
        if hi < lo {
            return Some(Window::NoBetter);
        }
        if hi == i64::MAX {
            return Some(Window::Range(lo, hi));
        }
        // Least LP-feasible `T` in [lo, hi]; LP-infeasible at `T` ⇒ no plan ends by `T`.
        // Invariant: every target below `a` is proved infeasible.
        let outer_cap = self.label_cap;
        let (mut a, mut b) = (lo, hi + 1);
        while a < b {
            let mid = if b == hi + 1 { hi } else { a + (b - a) / 2 };
            self.label_cap = outer_cap.min(self.stats.pricing_labels.saturating_add(PROBE_LABELS));
            let r = self.within(mid, true);
            self.label_cap = outer_cap;
            match r {
                None => {
                    if self.timed_out()
                        || self.stats.nodes >= self.max_nodes
                        || self.stats.pricing_labels > outer_cap
                    {
                        return None;
                    }
                    b = mid;
                }
                Some(None) => a = mid + 1,
                Some(Some(m)) => {
                    b = mid;
                    if !m.is_empty()
                        && let Some((v, _)) = self.value(&m)
                        && v < *ub - 1e-7 * ub.abs().max(1.0)
                    {
                        *ub = v;
                        *best = Some(m);
                    }
                }
            }
        }
        // The ceiling may have come down with a better incumbent found on the way.
        let hi = self.ms_cap_for(*ub);
        if a > hi {
            return Some(Window::NoBetter);
        }
        Some(Window::Range(a, hi))
    }
}
