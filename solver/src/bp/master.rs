//! The restricted master problem (HiGHS through good_lp): LP with duals, and the MILP over the pool.

#![allow(clippy::needless_range_loop)]

use good_lp::solvers::{DualValues, SolutionWithDual};
use good_lp::{Expression, ProblemVariables, Solution, SolverModel, WithTimeLimit, highs, variable};
use std::time::Instant;

use super::{Bp, Lp, Mode, Node};

/// Share of the time left that one restricted-master MILP may use.
const MILP_SHARE: f64 = 0.1;

impl Bp<'_> {
    /// Restricted master over `cols` (pool indices): LP (with duals) or, with `integer`, the
    /// set-partitioning MILP (no artificial variables; `None` if infeasible or not solved).
    pub(super) fn solve_master(
        &mut self,
        cols: &[usize],
        mode: Mode,
        big_m: f64,
        integer: bool,
    ) -> Option<Lp> {
        let remaining = self
            .deadline
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        if remaining <= 0.01 {
            return None;
        }
        // The restricted-master MILP is a heuristic: it gets a tenth of the time left (at least
        // half a second), not the whole run.
        let remaining = if integer {
            remaining.min((remaining * MILP_SHARE).max(0.5))
        } else {
            remaining
        };
        self.stats.lp_solves += 1;
        let t_master = Instant::now();
        let r = self.solve_master_inner(cols, mode, big_m, integer, remaining);
        self.stats.master_us += t_master.elapsed().as_micros() as u64;
        if integer {
            self.stats.milp_us += t_master.elapsed().as_micros() as u64;
        }
        r
    }

    pub(super) fn solve_master_inner(
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
        // Mixed objectives: the makespan variable (at least the sub-problem's floor).
        let w1 = self.w1(mode);
        let cmax = (w1 > 0.0).then(|| vars.add(variable().min(self.node_floor as f64)));
        let mut objective = Expression::default();
        if let Some(cm) = cmax {
            objective += w1 * cm;
        }
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
        // Linking rows `Σ_{c on p} max(end_c, floor)·λ_c ≤ Cmax` (see [`Bp::linked_end`]).
        let mut link_rows = Vec::new();
        if let Some(cm) = cmax {
            let mut per_end: Vec<Expression> = vec![Expression::default(); self.n_p];
            for (i, &c) in cols.iter().enumerate() {
                let col = &self.pool[c];
                per_end[col.pi] += (self.linked_end(col.end) as f64) * lam[i];
            }
            for e in per_end {
                link_rows.push(model.add_constraint((e - cm).leq(0.0)));
            }
        }
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
        let cmax_value = cmax.map_or(f64::NAN, |cm| sol.value(cm));
        if cmax_value.is_finite() {
            z += w1 * cmax_value;
        }
        let (pi, mu, nu) = if integer {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            let d = sol.compute_dual();
            // HiGHS' row duals follow `reduced cost = c − Aᵀy`: a binding `≤` row of a
            // minimisation has `y ≤ 0`, so `ν = −y`. Clipped to `ν ≥ 0`, `Σ ν ≤ w1`: the
            // Lagrangian bound is valid for any such `ν`, whatever the LP's tolerances.
            let mut nu: Vec<f64> = link_rows.iter().map(|r| (-d.dual(r.clone())).max(0.0)).collect();
            let total: f64 = nu.iter().sum();
            if total > w1 {
                let f = w1 / total;
                nu.iter_mut().for_each(|v| *v *= f);
            }
            (
                job_rows.iter().map(|r| d.dual(r.clone())).collect(),
                printer_rows.iter().map(|r| d.dual(r.clone())).collect(),
                nu,
            )
        };
        Some(Lp {
            z,
            lambda,
            art: artv,
            pi,
            mu,
            nu,
            cmax: cmax_value,
        })
    }

    /// Restricted-master MILP over the compatible pool columns (a heuristic: finds plans).
    pub(super) fn pool_milp(&mut self, node: &Node, mode: Mode) -> Option<Vec<usize>> {
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
}
