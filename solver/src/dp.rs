//! Exact dynamic programme for small instances (≤ [`DP_MAX_JOBS`] schedulable jobs).
//!
//! For a fixed sequence the semi-active timing is optimal, and the continuation of a partial
//! sequence on a printer depends only on (jobs done, last job, its end). So per printer we keep,
//! for each (subset, last job), the Pareto front of (end, cost) — cost = weighted tardiness and
//! setup terms. Printers are then combined subset by subset (3^n), keeping the Pareto front of
//! (makespan, cost). The result is proved optimal. The MILP stays the exact method for larger
//! instances, where its bound is still useful.

#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use crate::plan::{Cursor, Sequences};
use crate::problem::Instance;

pub const DP_MAX_JOBS: usize = 16;

/// (end or 0, cost, last job, index in the (subset, last) front).
type PrinterEntry = (i64, f64, usize, usize);

#[derive(Debug, Clone, Copy)]
struct Entry {
    end: i64,
    cost: f64,
    cursor: Cursor,
    /// (previous last job local index or usize::MAX, index in its front)
    parent: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct Comb {
    cmax: i64,
    cost: f64,
    /// (subset on this printer, index in printer front of that subset, index in previous front)
    from: (u32, usize, usize),
}

fn insert_pareto<T: Copy>(front: &mut Vec<T>, e: T, key: impl Fn(&T) -> (i64, f64)) {
    let (a, b) = key(&e);
    if front.iter().any(|f| {
        let (x, y) = key(f);
        x <= a && y <= b + 1e-9
    }) {
        return;
    }
    front.retain(|f| {
        let (x, y) = key(f);
        !(a <= x && b <= y + 1e-9)
    });
    front.push(e);
}

/// Solve exactly; `None` if too large or out of time.
pub fn solve_dp(inst: &Instance, jobs: &[usize], deadline: Instant) -> Option<Sequences> {
    let n = jobs.len();
    if n > DP_MAX_JOBS {
        return None;
    }
    let full: u32 = if n == 0 { 0 } else { (1u32 << n) - 1 };
    let n_p = inst.n_printers;
    let only_cost = inst.w_makespan == 0.0;
    // Per printer: per (mask, last) fronts, then per mask the printer front (end, cost, last, idx).
    let mut printer_fronts: Vec<Vec<Vec<PrinterEntry>>> = Vec::with_capacity(n_p);
    let mut tables: Vec<Vec<Vec<Entry>>> = Vec::with_capacity(n_p);
    let mut elig_masks = vec![0u32; n_p];
    for p in 0..n_p {
        let mut em = 0u32;
        for (k, &j) in jobs.iter().enumerate() {
            if inst.duration(j, p).is_some() {
                em |= 1 << k;
            }
        }
        elig_masks[p] = em;
        // table[mask * n + last]
        let mut table: Vec<Vec<Entry>> = vec![Vec::new(); (full as usize + 1) * n.max(1)];
        let start = Cursor::new(inst, p);
        for k in 0..n {
            if em & (1 << k) == 0 {
                continue;
            }
            let mut c = start;
            if c.push(inst, p, jobs[k]).is_some() {
                let e = Entry {
                    end: c.cmax,
                    cost: c.cost(inst),
                    cursor: c,
                    parent: (usize::MAX, 0),
                };
                table[(1usize << k) * n + k].push(e);
            }
        }
        let mut count: u64 = 0;
        for mask in 1..=full {
            if mask & !em != 0 {
                continue;
            }
            count += 1;
            if count.is_multiple_of(1024) && Instant::now() >= deadline {
                return None;
            }
            for last in 0..n {
                if mask & (1 << last) == 0 {
                    continue;
                }
                let idx = mask as usize * n + last;
                if table[idx].is_empty() {
                    continue;
                }
                let front = table[idx].clone();
                for k in 0..n {
                    if em & (1 << k) == 0 || mask & (1 << k) != 0 {
                        continue;
                    }
                    let nm = (mask | (1 << k)) as usize;
                    for (fi, e) in front.iter().enumerate() {
                        let mut c = e.cursor;
                        if c.push(inst, p, jobs[k]).is_some() {
                            let ne = Entry {
                                end: c.cmax,
                                cost: c.cost(inst),
                                cursor: c,
                                parent: (last, fi),
                            };
                            insert_pareto(&mut table[nm * n + k], ne, |x| (x.end, x.cost));
                        }
                    }
                }
            }
        }
        // Printer fronts per mask.
        let mut pf: Vec<Vec<PrinterEntry>> = vec![Vec::new(); full as usize + 1];
        pf[0].push((0, 0.0, usize::MAX, 0));
        for mask in 1..=full {
            if mask & !em != 0 {
                continue;
            }
            for last in 0..n {
                for (i, e) in table[mask as usize * n + last].iter().enumerate() {
                    let key = if only_cost { 0 } else { e.end };
                    insert_pareto(&mut pf[mask as usize], (key, e.cost, last, i), |x| (x.0, x.1));
                }
            }
        }
        printer_fronts.push(pf);
        tables.push(table);
    }
    // Combine printers.
    let mut combs: Vec<Vec<Vec<Comb>>> = Vec::with_capacity(n_p);
    for p in 0..n_p {
        let mut g: Vec<Vec<Comb>> = vec![Vec::new(); full as usize + 1];
        for mask in 0..=full {
            if mask.is_multiple_of(4096) && Instant::now() >= deadline {
                return None;
            }
            // Enumerate sub ⊆ mask ∩ eligible(p), including empty.
            let allowed = mask & elig_masks[p];
            let mut sub = allowed;
            loop {
                let rest = mask & !sub;
                for (fi, f) in printer_fronts[p][sub as usize].iter().enumerate() {
                    if p == 0 {
                        if rest == 0 {
                            insert_pareto(
                                &mut g[mask as usize],
                                Comb {
                                    cmax: f.0,
                                    cost: f.1,
                                    from: (sub, fi, 0),
                                },
                                |x| (x.cmax, x.cost),
                            );
                        }
                    } else {
                        for (gi, prev) in combs[p - 1][rest as usize].iter().enumerate() {
                            let c = Comb {
                                cmax: prev.cmax.max(f.0),
                                cost: prev.cost + f.1,
                                from: (sub, fi, gi),
                            };
                            insert_pareto(&mut g[mask as usize], c, |x| (x.cmax, x.cost));
                        }
                    }
                }
                if sub == 0 {
                    break;
                }
                sub = (sub - 1) & allowed;
            }
        }
        combs.push(g);
    }
    let last = combs.last()?;
    let (bi, _) = last[full as usize]
        .iter()
        .enumerate()
        .map(|(i, c)| (i, inst.w_makespan * c.cmax as f64 + c.cost))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    // Reconstruct.
    let mut seqs = vec![Vec::new(); n_p];
    let mut mask = full;
    let mut gi = bi;
    for p in (0..n_p).rev() {
        let c = combs[p][mask as usize][gi];
        let (sub, fi, prev_gi) = c.from;
        let (_, _, mut lastj, mut ei) = printer_fronts[p][sub as usize][fi];
        let mut m = sub;
        let mut seq = Vec::new();
        while lastj != usize::MAX {
            seq.push(jobs[lastj]);
            let e = tables[p][m as usize * n + lastj][ei];
            m &= !(1 << lastj);
            (lastj, ei) = e.parent;
        }
        seq.reverse();
        seqs[p] = seq;
        mask &= !sub;
        gi = prev_gi;
    }
    Some(Sequences {
        seqs,
        unscheduled: Vec::new(),
    })
}
