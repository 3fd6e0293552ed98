//! Power circuits: the summed draw of a circuit's printers stays within its limit, and at most
//! `K` prints start (heat up) on it within any `M` minutes.
//!
//! A print on printer `p` draws `heatup_watts` during its first `heatup_minutes` (at most its
//! duration) and `printing_watts` for the rest; changeovers and idle printers draw nothing that
//! counts. The heat-up rule counts print starts: in every window `[t, t + M)` at most `K`.
//!
//! How the solver meets them (**staggering**): the search optimises the sequences without the
//! circuits (every algorithm times printers independently); the final plan is then timed by
//! [`stagger`], a serial schedule: repeatedly the printer whose next job could be loaded first
//! places it at the earliest minute, not before its semi-active time, at which its draw fits
//! under the limit next to every job already placed on its circuit and the heat-up rule holds.
//! Jobs only move later, so every other constraint (release, shifts, maintenance, bed clearing)
//! is re-checked by the same timing routine; a job that finds no such minute before the horizon
//! or the last shift is unscheduled with the circuit named. The lower bounds stay valid (the
//! circuits only remove plans); a plan that staggering changed is not claimed optimal.

use crate::plan::{self, Assignment, Cursor, Plan, Sequences, Status, Timed, Unscheduled};
use crate::problem::{Instance, Power};

/// Whether the instance has a circuit with a limit or a heat-up rule.
pub fn active(inst: &Instance) -> bool {
    inst.circuits
        .iter()
        .any(|c| c.limit_watts.is_some() || c.heatups.is_some())
}

/// One print placed on a circuit.
#[derive(Debug, Clone, Copy)]
struct Placed {
    start: i64,
    heat_end: i64,
    end: i64,
    heat_w: i64,
    print_w: i64,
}

impl Placed {
    fn new(power: Option<Power>, start: i64, end: i64) -> Placed {
        let w = power.unwrap_or(Power {
            heatup_watts: 0,
            heatup_minutes: 0,
            printing_watts: 0,
        });
        Placed {
            start,
            heat_end: (start + w.heatup_minutes).min(end),
            end,
            heat_w: w.heatup_watts,
            print_w: w.printing_watts,
        }
    }

    /// Draw at minute `t`.
    fn draw(&self, t: i64) -> i64 {
        if t < self.start || t >= self.end {
            0
        } else if t < self.heat_end {
            self.heat_w
        } else {
            self.print_w
        }
    }
}

/// `None` when `cand` fits next to `placed` on a circuit with `limit` and `heatups`;
/// otherwise the next minute at which its start could fit (a later start is needed).
fn conflict(
    cand: &Placed,
    placed: &[Placed],
    limit: Option<i64>,
    heatups: Option<(usize, i64)>,
) -> Option<i64> {
    let mut next: Option<i64> = None;
    let mut clash = false;
    let mut later = |t: i64| {
        if t > cand.start {
            next = Some(next.map_or(t, |n: i64| n.min(t)));
        }
    };
    if let Some(limit) = limit {
        let overlapping: Vec<&Placed> = placed
            .iter()
            .filter(|x| x.start < cand.end && cand.start < x.end)
            .collect();
        // The draw only changes at these minutes.
        let mut points = vec![cand.start, cand.heat_end];
        for x in &overlapping {
            points.extend([x.start, x.heat_end]);
        }
        let over = points
            .iter()
            .filter(|&&t| t >= cand.start && t < cand.end)
            .any(|&t| cand.draw(t) + overlapping.iter().map(|x| x.draw(t)).sum::<i64>() > limit);
        if over {
            clash = true;
            for x in &overlapping {
                later(x.heat_end);
                later(x.end);
            }
        }
    }
    if let Some((k, m)) = heatups {
        let mut near: Vec<i64> = placed
            .iter()
            .map(|x| x.start)
            .filter(|&s| s > cand.start - m && s < cand.start + m)
            .collect();
        near.push(cand.start);
        near.sort_unstable();
        let crowded = (0..near.len()).any(|i| near[i..].iter().take_while(|&&s| s < near[i] + m).count() > k);
        if crowded {
            clash = true;
            for x in placed {
                if x.start > cand.start - m && x.start < cand.start + m {
                    later(x.start + m);
                }
            }
        }
    }
    clash.then(|| next.unwrap_or(cand.start + 1))
}

/// Timed plan of `seqs` under the circuits: per printer the timed jobs in order, the jobs that
/// found no slot (with the reason), and how many minutes each placed job was delayed.
#[derive(Debug, Clone, Default)]
pub struct Staggered {
    pub timed: Vec<Vec<Timed>>,
    pub unscheduled: Vec<(usize, String)>,
    /// `(job, minutes)` for every job that starts later than without the circuits.
    pub delayed: Vec<(usize, i64)>,
}

/// Most tries per job before it is given up (each try moves the start strictly later).
const MAX_TRIES: usize = 100_000;

/// Time `seqs` under the circuits (see the module docs).
pub fn stagger(inst: &Instance, seqs: &Sequences) -> Staggered {
    stagger_around(inst, seqs, &[])
}

/// [`stagger`] next to prints that are already fixed (`(printer, start, end)`: a repair's
/// started jobs, which keep their times): their draw and heat-ups count on their circuits, so the
/// prints placed around them keep every circuit within its rules.
pub fn stagger_around(inst: &Instance, seqs: &Sequences, fixed: &[(usize, i64, i64)]) -> Staggered {
    let n_p = inst.n_printers;
    let mut out = Staggered {
        timed: vec![Vec::new(); n_p],
        ..Default::default()
    };
    let mut cursors: Vec<Cursor> = (0..n_p).map(|p| Cursor::new(inst, p)).collect();
    let mut next: Vec<usize> = vec![0; n_p];
    let mut placed: Vec<Vec<Placed>> = vec![Vec::new(); inst.circuits.len()];
    for &(p, start, end) in fixed {
        if let Some(ci) = inst.circuit_of.get(p).copied().flatten() {
            placed[ci].push(Placed::new(inst.power[p], start, end));
        }
    }
    loop {
        // The printer whose next job loads first.
        let mut pick: Option<(i64, usize, Timed)> = None;
        for p in 0..n_p {
            let Some(&j) = seqs.seqs[p].get(next[p]) else {
                continue;
            };
            let mut c = cursors[p];
            match c.push(inst, p, j) {
                Some(t) => {
                    if pick.as_ref().is_none_or(|b| (t.load, p) < (b.0, b.1)) {
                        pick = Some((t.load, p, t));
                    }
                }
                None => {
                    out.unscheduled.push((
                        j,
                        "no room left before the horizon or the last operator shift".to_string(),
                    ));
                    next[p] += 1;
                }
            }
        }
        let Some((_, p, free)) = pick else { break };
        let j = seqs.seqs[p][next[p]];
        next[p] += 1;
        let Some(ci) = inst.circuit_of[p] else {
            cursors[p].push(inst, p, j);
            out.timed[p].push(free);
            continue;
        };
        let circuit = &inst.circuits[ci];
        let mut tries = 0;
        let mut at = free;
        let found = loop {
            let cand = Placed::new(inst.power[p], at.start, at.end);
            match conflict(&cand, &placed[ci], circuit.limit_watts, circuit.heatups) {
                None => break Some(at),
                Some(start) => {
                    tries += 1;
                    if tries > MAX_TRIES {
                        break None;
                    }
                    // Load so that printing starts at `start` at the earliest.
                    let mut c = cursors[p];
                    c.ready = c.ready.map(|r| r.max(start - at.setup));
                    match c.push(inst, p, j) {
                        Some(t) if t.start > at.start => at = t,
                        Some(t) => {
                            // Shifts or windows put it no later: step one minute.
                            let mut c = cursors[p];
                            c.ready = c.ready.map(|r| r.max(t.load + 1));
                            match c.push(inst, p, j) {
                                Some(t) => at = t,
                                None => break None,
                            }
                        }
                        None => break None,
                    }
                }
            }
        };
        match found {
            Some(t) => {
                // The same timing routine from the same load gives `t` again.
                let mut c = cursors[p];
                c.ready = c.ready.map(|r| r.max(t.load));
                c.push(inst, p, j);
                cursors[p] = c;
                if t.start > free.start {
                    out.delayed.push((j, t.start - free.start));
                }
                placed[ci].push(Placed::new(inst.power[p], t.start, t.end));
                out.timed[p].push(t);
            }
            None => out.unscheduled.push((
                j,
                format!(
                    "no slot within circuit {:?}'s power limit or heat-up rule before the horizon or the last operator shift",
                    circuit.id
                ),
            )),
        }
    }
    out
}

/// Of two plans' sequences, the one whose staggered timing is better (fewer jobs left out, then a
/// lower objective), and whether it is `b`. The search does not see the circuits, so a plan it
/// packed tighter can stagger worse than the plan it started from (measured at 100 × 1000 with
/// circuits of ten printers: 48 231 from the search against 16 680 from construction).
pub fn better_staggered(inst: &Instance, a: Sequences, b: Sequences) -> (Sequences, bool) {
    let score = |s: &Sequences| {
        let st = stagger(inst, s);
        let p = to_plan(inst, s, &st, "");
        (p.unscheduled.len(), p.objective.value)
    };
    let (sa, sb) = (score(&a), score(&b));
    if sb.0 < sa.0 || (sb.0 == sa.0 && sb.1 < sa.1) {
        (b, true)
    } else {
        (a, false)
    }
}

/// The plan of a staggered timing; `base` holds the jobs the sequences already left out.
pub fn to_plan(inst: &Instance, base: &Sequences, st: &Staggered, method: &str) -> Plan {
    let mut assignments = Vec::new();
    let (mut ms, mut tard, mut setups, mut moves) = (0i64, 0.0, 0i64, 0.0);
    for (p, list) in st.timed.iter().enumerate() {
        for t in list {
            assignments.push(Assignment {
                job: inst.job_ids[t.job].clone(),
                printer: inst.printer_ids[p].clone(),
                start: t.start,
                end: t.end,
                setup: t.setup,
                reason: None,
            });
            ms = ms.max(t.end);
            tard += inst.tardiness(t.job, t.end);
            setups += t.setup;
            moves += inst.move_cost(t.job, p, t.start);
        }
    }
    let mut uns: Vec<&(usize, String)> = base.unscheduled.iter().chain(st.unscheduled.iter()).collect();
    uns.sort_by_key(|u| u.0);
    let unscheduled: Vec<Unscheduled> = uns
        .iter()
        .map(|(j, r)| Unscheduled {
            job: inst.job_ids[*j].clone(),
            reason: r.clone(),
        })
        .collect();
    Plan {
        status: if unscheduled.is_empty() {
            Status::Feasible
        } else {
            Status::Infeasible
        },
        assignments,
        unscheduled,
        objective: plan::objective_value(inst, ms, tard, setups, moves),
        lower_bound: 0.0,
        gap: 0.0,
        solve_ms: 0,
        method: method.to_string(),
        bounds: None,
        stability: None,
    }
}

/// Add the circuits' part to the reasons: a delayed job says by how much, and a late job that
/// would not be late without the delay is late because of `power`.
pub fn explain_delays(inst: &Instance, st: &Staggered, plan: &mut Plan) {
    let delay: std::collections::HashMap<&str, i64> = st
        .delayed
        .iter()
        .map(|&(j, d)| (inst.job_ids[j].as_str(), d))
        .collect();
    let index: std::collections::HashMap<&str, usize> = inst
        .job_ids
        .iter()
        .enumerate()
        .map(|(j, id)| (id.as_str(), j))
        .collect();
    for a in &mut plan.assignments {
        let Some(&d) = delay.get(a.job.as_str()) else {
            continue;
        };
        let Some(r) = a.reason.as_mut() else { continue };
        let circuit = inst
            .printer_ids
            .iter()
            .position(|p| *p == a.printer)
            .and_then(|p| inst.circuit_of[p])
            .map_or("?", |c| inst.circuits[c].id.as_str());
        r.text = format!(
            "{}; started {d} min later to stay within circuit {circuit:?}'s power rules",
            r.text
        );
        let due = index.get(a.job.as_str()).and_then(|&j| inst.due[j]);
        if let Some(due) = due
            && a.end > due
            && a.end - d <= due
        {
            r.late = Some("power".to_string());
        }
    }
}
