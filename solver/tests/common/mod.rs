//! Shared by the solver's integration tests.

#![allow(dead_code)] // each test binary uses its part

use std::time::{Duration, Instant};

use gantry_solver::plan::{Cursor, Sequences};
use gantry_solver::{Instance, ObjectiveWeights};

/// A deadline no test reaches.
pub fn later() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

/// Every job of `inst`, or `None` when some job has no printer it can be placed on (instances
/// the exact methods are compared on must have none).
pub fn placeable_jobs(inst: &Instance) -> Option<Vec<usize>> {
    let jobs: Vec<usize> = (0..inst.n_jobs).collect();
    let stuck = jobs
        .iter()
        .any(|&j| gantry_solver::bound::placement_reason(inst, j).is_some());
    (!stuck).then_some(jobs)
}

/// The objective value of `s`.
pub fn value(inst: &Instance, s: &Sequences) -> f64 {
    s.evaluate(inst).unwrap().value
}

/// A sub-problem of `printers` from a plan's sequences `seqs`: each printer's first job is fixed
/// (its cursor starts after it), its last job stays as the suffix, the middle ones are free.
/// Returns (starts, suffixes, middles, the free jobs).
#[allow(clippy::type_complexity)]
pub fn middle_sub(
    inst: &Instance,
    seqs: &[Vec<usize>],
    printers: &[usize],
) -> (Vec<Cursor>, Vec<Vec<usize>>, Vec<Vec<usize>>, Vec<usize>) {
    let (mut starts, mut suffixes, mut middles, mut jobs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &p in printers {
        let seq = &seqs[p];
        let a = 1.min(seq.len());
        let b = seq.len().saturating_sub(1).max(a);
        let mut c = Cursor::new(inst, p);
        for &j in &seq[..a] {
            c.push(inst, p, j).unwrap();
        }
        starts.push(c);
        suffixes.push(seq[b..].to_vec());
        middles.push(seq[a..b].to_vec());
        jobs.extend_from_slice(&seq[a..b]);
    }
    (starts, suffixes, middles, jobs)
}

/// Makespan; tardiness + 0.1 × setup minutes (the benchmark farm); a mix of all three.
pub const OBJECTIVES: [ObjectiveWeights; 3] = [
    ObjectiveWeights {
        makespan: 1.0,
        weighted_tardiness: 0.0,
        setups: 0.0,
    },
    ObjectiveWeights {
        makespan: 0.0,
        weighted_tardiness: 1.0,
        setups: 0.1,
    },
    ObjectiveWeights {
        makespan: 0.5,
        weighted_tardiness: 1.0,
        setups: 1.0,
    },
];
