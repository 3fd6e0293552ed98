//! The solver's output and the sequence → timed-plan evaluation shared by all algorithms.

use serde::{Deserialize, Serialize};

use crate::problem::Instance;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every job is scheduled and the plan is proved optimal.
    Optimal,
    /// Every job is scheduled; optimality not proved (see `gap`).
    Feasible,
    /// At least one job could not be scheduled (see `unscheduled`); the rest is planned.
    Infeasible,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub job: String,
    pub printer: String,
    /// Minute printing begins.
    pub start: i64,
    /// Minute printing ends.
    pub end: i64,
    /// Setup minutes immediately before `start` (the job is loaded at `start - setup`).
    pub setup: i64,
    /// Why the job is on this printer at this time ([`crate::why`]); absent in plans that were
    /// not explained (a repair, a plan written by another tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::why::Reason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unscheduled {
    pub job: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveValue {
    pub makespan: i64,
    pub weighted_tardiness: f64,
    pub setups: i64,
    pub value: f64,
    /// Stability penalties of moved jobs (objective units, included in `value`; absent when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stability: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub status: Status,
    pub assignments: Vec<Assignment>,
    pub unscheduled: Vec<Unscheduled>,
    pub objective: ObjectiveValue,
    pub lower_bound: f64,
    pub gap: f64,
    pub solve_ms: u64,
    pub method: String,
    /// Each objective term's value, lower bound and gap, and the total's
    /// ([`crate::report::Bounds`]); absent where none were computed (a repair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<crate::report::Bounds>,
    /// What changed against the previous plan (problems with `stability` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<crate::stability::StabilityReport>,
}

impl Plan {
    pub fn from_json(text: &str) -> Result<Plan, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Relative gap between a value and a lower bound (0 when the bound is reached).
pub fn gap(value: f64, lower_bound: f64) -> f64 {
    if value <= lower_bound + 1e-9 * value.abs().max(1.0) {
        0.0
    } else {
        (value - lower_bound) / value.abs().max(1e-9)
    }
}

/// One timed job on a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timed {
    pub job: usize,
    pub load: i64,
    pub setup: i64,
    pub start: i64,
    pub end: i64,
}

/// Running state of a printer while a sequence is timed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    /// Earliest next load; `None` once the printer can take nothing more (no shift left).
    pub ready: Option<i64>,
    pub prev: Option<usize>,
    pub cmax: i64,
    pub tard: f64,
    pub setups: i64,
    /// Stability penalties so far (objective units).
    pub moves: f64,
}

impl Cursor {
    pub fn new(inst: &Instance, p: usize) -> Cursor {
        Cursor {
            ready: Some(inst.avail[p]),
            prev: inst.init_class[p],
            cmax: 0,
            tard: 0.0,
            setups: 0,
            moves: 0.0,
        }
    }

    /// Append job `j` at its earliest feasible time; `None` if it cannot be placed.
    #[inline]
    pub fn push(&mut self, inst: &Instance, p: usize, j: usize) -> Option<Timed> {
        let d = inst.duration(j, p)?;
        let ready = self.ready?;
        let c = inst.job_class[j];
        let s = inst.setup_time(p, self.prev, c);
        let load = inst.earliest_load(p, ready.max(inst.release[j]), s + d)?;
        let start = load + s;
        let end = start + d;
        self.ready = inst.ready_after(end);
        self.prev = Some(c);
        self.cmax = end;
        self.tard += inst.tardiness(j, end);
        self.setups += s;
        self.moves += inst.move_cost(j, p, start);
        Some(Timed {
            job: j,
            load,
            setup: s,
            start,
            end,
        })
    }

    /// Printer cost excluding the makespan term.
    #[inline]
    pub fn cost(&self, inst: &Instance) -> f64 {
        inst.w_tardiness * self.tard + inst.w_setups * self.setups as f64 + self.moves
    }
}

/// Cost summary of a printer sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeqCost {
    pub cost: f64,
    pub cmax: i64,
    pub tard: f64,
    pub setups: i64,
    pub moves: f64,
}

/// Time a sequence on printer `p`; `None` if some job cannot be placed.
#[inline]
pub fn eval_seq(inst: &Instance, p: usize, seq: impl IntoIterator<Item = usize>) -> Option<SeqCost> {
    let mut c = Cursor::new(inst, p);
    for j in seq {
        c.push(inst, p, j)?;
    }
    Some(SeqCost {
        cost: c.cost(inst),
        cmax: c.cmax,
        tard: c.tard,
        setups: c.setups,
        moves: c.moves,
    })
}

/// A solution as job sequences per printer plus the jobs left out (with reasons).
#[derive(Debug, Clone, PartialEq)]
pub struct Sequences {
    pub seqs: Vec<Vec<usize>>,
    pub unscheduled: Vec<(usize, String)>,
}

impl Sequences {
    pub fn empty(inst: &Instance) -> Sequences {
        Sequences {
            seqs: vec![Vec::new(); inst.n_printers],
            unscheduled: Vec::new(),
        }
    }

    /// Objective components; `None` if a sequence is infeasible.
    pub fn evaluate(&self, inst: &Instance) -> Option<ObjectiveValue> {
        let mut ms = 0;
        let mut tard = 0.0;
        let mut setups = 0;
        let mut moves = 0.0;
        for (p, seq) in self.seqs.iter().enumerate() {
            let c = eval_seq(inst, p, seq.iter().copied())?;
            ms = ms.max(c.cmax);
            tard += c.tard;
            setups += c.setups;
            moves += c.moves;
        }
        Some(objective_value(inst, ms, tard, setups, moves))
    }

    /// Build the timed plan (without bound, status or timing metadata filled in meaningfully).
    pub fn to_plan(&self, inst: &Instance, method: &str) -> Option<Plan> {
        let mut assignments = Vec::new();
        let mut ms = 0;
        let mut tard = 0.0;
        let mut setups = 0;
        let mut moves = 0.0;
        for (p, seq) in self.seqs.iter().enumerate() {
            let mut c = Cursor::new(inst, p);
            for &j in seq {
                let t = c.push(inst, p, j)?;
                assignments.push(Assignment {
                    job: inst.job_ids[j].clone(),
                    printer: inst.printer_ids[p].clone(),
                    start: t.start,
                    end: t.end,
                    setup: t.setup,
                    reason: None,
                });
            }
            ms = ms.max(c.cmax);
            tard += c.tard;
            setups += c.setups;
            moves += c.moves;
        }
        let mut uns: Vec<&(usize, String)> = self.unscheduled.iter().collect();
        uns.sort_by_key(|u| u.0);
        let unscheduled: Vec<Unscheduled> = uns
            .iter()
            .map(|(j, r)| Unscheduled {
                job: inst.job_ids[*j].clone(),
                reason: r.clone(),
            })
            .collect();
        let objective = objective_value(inst, ms, tard, setups, moves);
        Some(Plan {
            status: if unscheduled.is_empty() {
                Status::Feasible
            } else {
                Status::Infeasible
            },
            assignments,
            unscheduled,
            objective,
            lower_bound: 0.0,
            gap: 0.0,
            solve_ms: 0,
            method: method.to_string(),
            bounds: None,
            stability: None,
        })
    }
}

pub fn objective_value(inst: &Instance, makespan: i64, tard: f64, setups: i64, moves: f64) -> ObjectiveValue {
    ObjectiveValue {
        makespan,
        weighted_tardiness: tard,
        setups,
        value: inst.w_makespan * makespan as f64
            + inst.w_tardiness * tard
            + inst.w_setups * setups as f64
            + moves,
        stability: moves,
    }
}
