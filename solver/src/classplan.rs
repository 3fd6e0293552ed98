//! A plan built from the setup bound's solution ([`crate::bound::setup::Entry`]): every printer
//! runs the classes the entry MILP gave it, in one pass (its first class, then the cheapest
//! changeover next), each job on the least loaded printer that runs its class. On farms whose
//! cost is dominated by changeovers this plan is close to the bound, which the local search's
//! job-by-job moves rarely reach from a plan built for due dates; it is one more start of the
//! search ([`better_start`]), kept only when it is better.

use crate::bound::setup::Entry;
use crate::plan::Sequences;
use crate::problem::Instance;

/// The class order of printer `p`: `first` (or the class loaded at the origin, when the printer
/// runs it), then each time the class with the cheapest changeover from the current one.
fn class_order(inst: &Instance, p: usize, classes: &[usize], first: Option<usize>) -> Vec<usize> {
    let mut left: Vec<usize> = classes.to_vec();
    let mut order = Vec::with_capacity(left.len());
    let mut cur = first.or(inst.init_class[p]);
    if let Some(f) = first
        && let Some(i) = left.iter().position(|&c| c == f)
    {
        order.push(left.remove(i));
    }
    while !left.is_empty() {
        let i = (0..left.len())
            .min_by_key(|&i| (inst.setup_time(p, cur, left[i]), left[i]))
            .unwrap_or(0);
        let c = left.remove(i);
        order.push(c);
        cur = Some(c);
    }
    order
}

/// Sequences from `entry` for the jobs `jobs` (each must have a printer in `fits`); `None`
/// when the entry has no solution or the plan cannot be timed (horizon, shifts).
pub fn from_entry(inst: &Instance, entry: &Entry, jobs: &[usize], fits: &[Vec<usize>]) -> Option<Sequences> {
    if entry.classes.iter().all(Vec::is_empty) {
        return None;
    }
    let rank: Vec<Vec<Option<usize>>> = (0..inst.n_printers)
        .map(|p| {
            let mut r = vec![None; inst.n_classes];
            for (k, c) in class_order(inst, p, &entry.classes[p], entry.first[p])
                .into_iter()
                .enumerate()
            {
                r[c] = Some(k);
            }
            r
        })
        .collect();
    // Longest jobs first onto the least loaded printer that runs their class.
    let mut order: Vec<usize> = jobs.to_vec();
    let longest = |j: usize| inst.elig[j].iter().map(|e| e.1).max().unwrap_or(0);
    order.sort_by_key(|&j| (std::cmp::Reverse(longest(j)), j));
    let mut load: Vec<i64> = inst.avail.clone();
    let mut on: Vec<Vec<usize>> = vec![Vec::new(); inst.n_printers];
    for j in order {
        let c = inst.job_class[j];
        let p = fits[j]
            .iter()
            .copied()
            .filter(|&p| rank[p][c].is_some())
            .min_by_key(|&p| (load[p] + inst.duration(j, p).unwrap_or(0), p))?;
        load[p] += inst.duration(j, p).unwrap_or(0);
        on[p].push(j);
    }
    for (p, seq) in on.iter_mut().enumerate() {
        seq.sort_by_key(|&j| {
            (
                rank[p][inst.job_class[j]],
                inst.due[j].unwrap_or(i64::MAX),
                inst.release[j],
                j,
            )
        });
    }
    let s = Sequences {
        seqs: on,
        unscheduled: Vec::new(),
    };
    s.evaluate(inst)?;
    Some(s)
}

/// `start` or `candidate`, whichever schedules more jobs at a lower objective value.
pub fn better_start(inst: &Instance, start: Sequences, candidate: Option<Sequences>) -> Sequences {
    let Some(mut cand) = candidate else {
        return start;
    };
    // The candidate covers the live jobs; the start's unplaceable ones stay as they are.
    let placed: Vec<bool> = {
        let mut v = vec![false; inst.n_jobs];
        for seq in &cand.seqs {
            for &j in seq {
                v[j] = true;
            }
        }
        v
    };
    cand.unscheduled = start
        .unscheduled
        .iter()
        .filter(|(j, _)| !placed[*j])
        .cloned()
        .collect();
    let score = |s: &Sequences| s.evaluate(inst).map(|v| (s.unscheduled.len(), v.value));
    match (score(&start), score(&cand)) {
        (Some(a), Some(b)) if b.0 < a.0 || (b.0 == a.0 && b.1 < a.1) => cand,
        (None, Some(_)) => cand,
        _ => start,
    }
}
