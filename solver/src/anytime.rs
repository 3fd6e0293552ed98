//! Using the whole budget under `auto`: once the local search has converged (and the exact
//! path, where it runs, has stopped without a proof), perturbed restarts of the local search
//! from the best plan until the deadline, the iteration cap or the lower bound.
//!
//! A restart removes a random share of the jobs (10–35 %, whole stretches of consecutive jobs
//! on random printers and single jobs elsewhere), lets the search re-insert them and run until
//! it stalls again, and keeps the result only if it is strictly better. Deterministic for a seed
//! when the run is not cut by the clock (the iteration cap is shared by all restarts).

use crate::heuristic::{self, CONGESTED, Limits};
use crate::plan::Sequences;
use crate::problem::Instance;
use crate::rng::Rng;

/// Outcome of [`restarts`].
#[derive(Debug, Clone)]
pub struct Restarted {
    pub best: Sequences,
    /// Restarts run, and those that improved the best plan.
    pub restarts: u64,
    pub improved: u64,
    /// Local-search iterations used by all restarts.
    pub iterations: u64,
}

fn score(inst: &Instance, s: &Sequences) -> Option<(usize, f64)> {
    s.evaluate(inst).map(|v| (s.unscheduled.len(), v.value))
}

fn better(a: (usize, f64), b: (usize, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1 - 1e-9 * b.1.abs().max(1.0))
}

/// `best` with a random share of its jobs taken out (into `unscheduled` as congested, which
/// the local search re-inserts first).
fn perturb(best: &Sequences, rng: &mut Rng) -> Sequences {
    let mut out = best.clone();
    let n: usize = out.seqs.iter().map(Vec::len).sum();
    if n == 0 {
        return out;
    }
    let share = 0.10 + 0.25 * rng.unit();
    let target = ((n as f64 * share).ceil() as usize).clamp(1, n);
    let mut removed = 0usize;
    let n_p = out.seqs.len();
    let mut guard = 0usize;
    while removed < target && guard < 8 * n_p + 16 {
        guard += 1;
        let p = rng.below(n_p);
        let len = out.seqs[p].len();
        if len == 0 {
            continue;
        }
        if rng.unit() < 0.6 {
            // A stretch of consecutive jobs.
            let k = rng.range(1, len.min(target - removed).max(1)).min(len);
            let from = rng.below(len - k + 1);
            for j in out.seqs[p].drain(from..from + k) {
                out.unscheduled.push((j, CONGESTED.to_string()));
            }
            removed += k;
        } else {
            let i = rng.below(len);
            let j = out.seqs[p].remove(i);
            out.unscheduled.push((j, CONGESTED.to_string()));
            removed += 1;
        }
    }
    out
}

/// Restarts from `best` within `limits` (deadline, `max_iterations` shared by all restarts,
/// `stall_iterations` per restart, `target`); never returns a worse plan.
pub fn restarts(inst: &Instance, best: Sequences, limits: &Limits, seed: u64) -> Restarted {
    let mut out = Restarted {
        best,
        restarts: 0,
        improved: 0,
        iterations: 0,
    };
    let Some(mut best_score) = score(inst, &out.best) else {
        return out;
    };
    let mut rng = Rng::new(seed ^ 0x05EE_D0F2_E57A_2700);
    loop {
        if limits.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
        if best_score.0 == 0 && best_score.1 <= limits.target + 1e-9 * best_score.1.abs().max(1.0) {
            break;
        }
        let left = match limits.max_iterations {
            Some(m) if out.iterations >= m => break,
            Some(m) => Some(m - out.iterations),
            None => None,
        };
        let start = perturb(&out.best, &mut rng);
        let mut local = heuristic::Local::new(inst, &start);
        let run = local.run(
            &Limits {
                max_iterations: left,
                ..*limits
            },
            seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(out.restarts + 1)),
        );
        out.restarts += 1;
        // At least one iteration per restart, so that an iteration cap always ends the loop.
        out.iterations += run.iterations.max(1);
        if let Some(s) = score(inst, &run.best)
            && better(s, best_score)
        {
            best_score = s;
            out.best = run.best;
            out.improved += 1;
        }
    }
    out
}
