//! Greedy dispatch, the baseline: whenever a printer frees up (earliest first), it takes the first
//! job in queue (input) order that it can run.

use crate::bound::placement_reason;
use crate::plan::{Cursor, Sequences};
use crate::problem::Instance;

pub fn greedy(inst: &Instance) -> Sequences {
    let mut sol = Sequences::empty(inst);
    let mut cursors: Vec<Cursor> = (0..inst.n_printers).map(|p| Cursor::new(inst, p)).collect();
    let mut alive: Vec<bool> = cursors.iter().map(|c| c.ready.is_some()).collect();
    let mut queue: Vec<usize> = Vec::with_capacity(inst.n_jobs);
    for j in 0..inst.n_jobs {
        match placement_reason(inst, j) {
            Some(reason) => sol.unscheduled.push((j, reason)),
            None => queue.push(j),
        }
    }
    while !queue.is_empty() {
        // The printer that frees up first.
        let mut best: Option<(i64, usize)> = None;
        for (p, c) in cursors.iter().enumerate() {
            if let (true, Some(r)) = (alive[p], c.ready)
                && best.is_none_or(|b| (r, p) < b)
            {
                best = Some((r, p));
            }
        }
        let Some((_, p)) = best else { break };
        let mut taken = None;
        for (qi, &j) in queue.iter().enumerate() {
            if inst.duration(j, p).is_none() {
                continue;
            }
            let mut c = cursors[p];
            if c.push(inst, p, j).is_some() {
                cursors[p] = c;
                taken = Some(qi);
                break;
            }
        }
        match taken {
            Some(qi) => {
                let j = queue.remove(qi);
                sol.seqs[p].push(j);
            }
            None => alive[p] = false,
        }
    }
    for j in queue {
        sol.unscheduled.push((
            j,
            "no room left before the horizon or the last operator shift".to_string(),
        ));
    }
    sol
}
