//! Tardiness bound that accounts for capacity.
//!
//! The `k` jobs of a plan that finish first are processed, one at a time per printer, between
//! their printers' `available_from` and the `k`-th completion `C_[k]`; each occupies its printer
//! for at least its least work (shortest duration + least setup over the printers where it
//! fits). So `Σ_p max(0, C_[k] − a_p) ≥ S_k`, the sum of the `k` smallest works, which gives a
//! least time `t_k` for the `k`-th completion. With `C_j ≥ e_j` (its earliest end alone), the
//! weighted tardiness of any plan is at least
//! `min over bijections π of Σ_j w_j·max(0, max(t_π(j), e_j) − d_j)` — an assignment problem
//! (Hungarian method, up to [`HUNGARIAN_MAX_JOBS`] jobs). Above that, the weaker
//! `w_min · Σ_k max(0, t_k − d_(k))` over the jobs with a due date (slots and due dates both
//! sorted: optimal for a convex cost of `t − d`).

/// Largest number of jobs for which the assignment problem is solved (`O(n³)`).
pub const HUNGARIAN_MAX_JOBS: usize = 400;

/// One job of the bound: weight, due date, earliest end alone, least work.
#[derive(Debug, Clone, Copy)]
pub struct TardJob {
    pub weight: f64,
    pub due: Option<i64>,
    pub early: i64,
    pub work: i64,
}

/// Least time `t_k` (k = 1..n) by which `k` jobs can be complete, given the printers'
/// availability `avail` (only printers that can run something).
pub fn completion_slots(works: &[i64], avail: &[i64]) -> Vec<i64> {
    let mut w: Vec<i64> = works.to_vec();
    w.sort_unstable();
    let mut a: Vec<i64> = avail.to_vec();
    a.sort_unstable();
    let mut out = Vec::with_capacity(w.len());
    let mut sum = 0i64;
    for &x in &w {
        sum = sum.saturating_add(x);
        // Least T with Σ_p max(0, T − a_p) ≥ sum: with the m earliest printers active,
        // m·T − Σ_{i<m} a_i ≥ sum, valid while T ≥ a_{m−1} (and T ≤ a_m).
        let mut best = i64::MAX;
        let mut pref = 0i64;
        for (m, &am) in a.iter().enumerate() {
            pref = pref.saturating_add(am);
            let m1 = (m + 1) as i64;
            // ceil((sum + pref) / m1)
            let t = (sum.saturating_add(pref) + m1 - 1).div_euclid(m1);
            let t = t.max(am);
            let next = a.get(m + 1).copied().unwrap_or(i64::MAX);
            if t <= next {
                best = best.min(t);
                break;
            }
        }
        out.push(if best == i64::MAX { sum } else { best });
    }
    out
}

/// The bound above (weighted, before the objective weight); 0 when no job has a due date.
pub fn capacity_bound(jobs: &[TardJob], avail: &[i64]) -> f64 {
    if jobs.is_empty() || avail.is_empty() || jobs.iter().all(|j| j.due.is_none()) {
        return 0.0;
    }
    let works: Vec<i64> = jobs.iter().map(|j| j.work).collect();
    let slots = completion_slots(&works, avail);
    let n = jobs.len();
    if n <= HUNGARIAN_MAX_JOBS {
        let mut m = vec![0.0f64; n * n];
        for (j, job) in jobs.iter().enumerate() {
            if let Some(d) = job.due {
                for k in 0..n {
                    let end = slots[k].max(job.early);
                    if end > d {
                        m[j * n + k] = job.weight * (end - d) as f64;
                    }
                }
            }
        }
        return hungarian(n, &|j, k| m[j * n + k]);
    }
    let mut dues: Vec<i64> = jobs.iter().filter_map(|j| j.due).collect();
    dues.sort_unstable();
    let w_min = jobs
        .iter()
        .filter(|j| j.due.is_some())
        .map(|j| j.weight)
        .fold(f64::INFINITY, f64::min);
    let mut s = 0.0;
    for (k, &d) in dues.iter().enumerate() {
        if slots[k] > d {
            s += (slots[k] - d) as f64;
        }
    }
    if w_min.is_finite() { w_min * s } else { 0.0 }
}

/// Minimum-cost perfect assignment of an `n × n` cost matrix (rows = jobs, columns = slots),
/// Hungarian method with potentials, `O(n³)`.
pub fn hungarian(n: usize, cost: &dyn Fn(usize, usize) -> f64) -> f64 {
    // 1-based arrays, e-maxx formulation.
    let inf = f64::INFINITY;
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut total = 0.0;
    for j in 1..=n {
        if p[j] > 0 {
            total += cost(p[j] - 1, j - 1);
        }
    }
    total
}
