//! The lower bound of every objective term next to the plan's value ([`crate::solve_report`]).
//!
//! Kept out of [`Plan`] so that callers building a `Plan` with a struct literal keep compiling.

use serde::{Deserialize, Serialize};

use crate::bound::Bound;
use crate::plan::{self, Plan};
use crate::problem::Instance;

/// One objective term (or the total): the plan's value, a lower bound valid for every plan of
/// the scheduled jobs, and the relative gap `(value − bound) / value` (0 when equal).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TermBound {
    pub value: f64,
    pub bound: f64,
    pub gap: f64,
}

impl TermBound {
    fn new(value: f64, bound: f64) -> TermBound {
        let bound = bound.min(value);
        TermBound {
            value,
            bound,
            gap: plan::gap(value, bound),
        }
    }
}

/// Per-term bounds of a plan. Terms are unweighted (minutes, weighted tardiness before the
/// objective weight, setup minutes); `total` is the objective value and the plan's
/// `lower_bound`, which may be larger than the weighted sum of the term bounds (an exact
/// method's bound on the whole objective).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Bounds {
    pub makespan: TermBound,
    pub weighted_tardiness: TermBound,
    pub setups: TermBound,
    pub total: TermBound,
}

/// A plan with its per-term bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solved {
    pub plan: Plan,
    pub bounds: Bounds,
}

/// Per-term bounds of `plan` from the combinatorial bound `lb` (computed for the plan's
/// scheduled jobs). When the objective has a single term, the total bound (which may come from
/// an exact method) bounds that term too.
pub fn bounds(inst: &Instance, plan: &Plan, lb: &Bound) -> Bounds {
    let o = &plan.objective;
    let mut ms = lb.makespan as f64;
    let mut tard = lb.weighted_tardiness;
    let mut setups = lb.setups as f64;
    let weights = [inst.w_makespan, inst.w_tardiness, inst.w_setups];
    if plan.unscheduled.is_empty() && !inst.has_moves() && weights.iter().filter(|&&w| w > 0.0).count() == 1 {
        if inst.w_makespan > 0.0 {
            ms = ms.max(plan.lower_bound / inst.w_makespan);
        } else if inst.w_tardiness > 0.0 {
            tard = tard.max(plan.lower_bound / inst.w_tardiness);
        } else {
            setups = setups.max(plan.lower_bound / inst.w_setups);
        }
    }
    Bounds {
        makespan: TermBound::new(o.makespan as f64, ms),
        weighted_tardiness: TermBound::new(o.weighted_tardiness, tard),
        setups: TermBound::new(o.setups as f64, setups),
        total: TermBound::new(o.value, plan.lower_bound),
    }
}
