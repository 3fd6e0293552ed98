//! Incremental re-planning after an event.
//!
//! Jobs already loaded at the event time (`load < at`) stay exactly where they are. The rest keeps
//! its printer and order where possible: the residual sequences are re-timed, and only jobs that
//! must move (new job, jobs of a printer that went down, jobs that no longer fit) are re-inserted
//! at their cheapest position. With a positive time limit the residual is then improved by local
//! search.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::heuristic::{CONGESTED, Limits, Local};
use crate::plan::{Assignment, Plan, Sequences, Status, gap, objective_value};
use crate::problem::IdMap;
use crate::problem::{Instance, Job, MAX_TIME, Problem, ProblemError};
use crate::{SolveOptions, bound};

/// Something that happened on the farm at minute `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    JobAdded {
        at: i64,
        job: Job,
    },
    JobCancelled {
        at: i64,
        job: String,
    },
    /// The printer stops at `at` until `until` (unknown: until a `printer_up` event). A job running
    /// on it is aborted and must be printed again.
    PrinterDown {
        at: i64,
        printer: String,
        until: Option<i64>,
    },
    PrinterUp {
        at: i64,
        printer: String,
    },
    /// A running job finished at `at` (earlier or later than planned).
    JobFinished {
        at: i64,
        job: String,
    },
}

impl Event {
    pub fn at(&self) -> i64 {
        match self {
            Event::JobAdded { at, .. }
            | Event::JobCancelled { at, .. }
            | Event::PrinterDown { at, .. }
            | Event::PrinterUp { at, .. }
            | Event::JobFinished { at, .. } => *at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("invalid problem: {0}")]
    Problem(#[from] ProblemError),
    #[error("event.at must not be negative, got {0}")]
    NegativeTime(i64),
    #[error("event.job refers to unknown job {0:?}")]
    UnknownJob(String),
    #[error("event.printer refers to unknown printer {0:?}")]
    UnknownPrinter(String),
    #[error("event.job: job {0:?} already exists")]
    DuplicateJob(String),
    #[error("event.until ({until}) is before event.at ({at})")]
    BadWindow { at: i64, until: i64 },
    #[error(
        "event.job: job {job:?} is not started in the current plan (starts at {start:?}), it cannot finish at {at}"
    )]
    NotStarted {
        job: String,
        start: Option<i64>,
        at: i64,
    },
    #[error("current plan: assignment {field} refers to unknown {what} {value:?}")]
    Plan {
        field: &'static str,
        what: &'static str,
        value: String,
    },
}

/// The updated problem (event applied) and the repaired plan for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    pub problem: Problem,
    pub plan: Plan,
    /// Jobs of the current plan now on another printer (or newly placed, or now unscheduled).
    pub moved: usize,
    /// Jobs that stayed on their printer but start at another time.
    pub retimed: usize,
}

/// Apply `event` to a copy of `problem`.
pub fn apply_event(problem: &Problem, current: &Plan, event: &Event) -> Result<Problem, EventError> {
    let pb = apply_event_unchecked(problem, current, event)?;
    pb.validate()?;
    Ok(pb)
}

fn apply_event_unchecked(problem: &Problem, current: &Plan, event: &Event) -> Result<Problem, EventError> {
    let at = event.at();
    if at < 0 {
        return Err(EventError::NegativeTime(at));
    }
    let mut pb = problem.clone();
    match event {
        Event::JobAdded { job, .. } => {
            if pb.jobs.iter().any(|j| j.id == job.id) {
                return Err(EventError::DuplicateJob(job.id.clone()));
            }
            pb.jobs.push(job.clone());
        }
        Event::JobCancelled { job, .. } => {
            let i = pb
                .jobs
                .iter()
                .position(|j| &j.id == job)
                .ok_or_else(|| EventError::UnknownJob(job.clone()))?;
            // A job that already finished cannot be undone: cancelling it changes nothing (later
            // jobs on its printer were set up after it). A running job is aborted and removed.
            let finished = current.assignments.iter().any(|a| &a.job == job && a.end <= at);
            if !finished {
                pb.jobs.remove(i);
            }
        }
        Event::PrinterDown { printer, until, .. } => {
            let until = until.unwrap_or(MAX_TIME);
            if until < at {
                return Err(EventError::BadWindow { at, until });
            }
            let p = pb
                .printers
                .iter_mut()
                .find(|p| &p.id == printer)
                .ok_or_else(|| EventError::UnknownPrinter(printer.clone()))?;
            p.unavailable.push([at, until]);
        }
        Event::PrinterUp { printer, .. } => {
            let p = pb
                .printers
                .iter_mut()
                .find(|p| &p.id == printer)
                .ok_or_else(|| EventError::UnknownPrinter(printer.clone()))?;
            for w in &mut p.unavailable {
                if w[0] <= at && at < w[1] {
                    w[1] = at;
                }
            }
        }
        Event::JobFinished { job, .. } => {
            let a = current.assignments.iter().find(|a| &a.job == job);
            let Some(a) = a.filter(|a| a.start < at) else {
                return Err(EventError::NotStarted {
                    job: job.clone(),
                    start: a.map(|a| a.start),
                    at,
                });
            };
            let j = pb
                .jobs
                .iter_mut()
                .find(|j| &j.id == job)
                .ok_or_else(|| EventError::UnknownJob(job.clone()))?;
            j.durations.insert(a.printer.clone(), at - a.start);
            // A job that ran late into a maintenance window delays that maintenance: the window
            // keeps its length and starts when the job ended.
            let load = a.start - a.setup;
            if let Some(p) = pb.printers.iter_mut().find(|p| p.id == a.printer) {
                for w in &mut p.unavailable {
                    if w[0] < at && load < w[1] && w[1] > w[0] {
                        let len = w[1] - w[0];
                        w[0] = at;
                        w[1] = at + len;
                    }
                }
            }
        }
    }
    Ok(pb)
}

/// Convert a plan's assignments to per-printer sequences (ordered by start).
pub fn plan_to_sequences(inst: &Instance, plan: &Plan) -> Result<Sequences, EventError> {
    let jobs: IdMap<&str, usize> = inst
        .job_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let printers: IdMap<&str, usize> = inst
        .printer_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut on: Vec<Vec<(i64, usize)>> = vec![Vec::new(); inst.n_printers];
    let mut placed = vec![false; inst.n_jobs];
    for a in &plan.assignments {
        let &j = jobs.get(a.job.as_str()).ok_or_else(|| EventError::Plan {
            field: "job",
            what: "job",
            value: a.job.clone(),
        })?;
        let &p = printers.get(a.printer.as_str()).ok_or_else(|| EventError::Plan {
            field: "printer",
            what: "printer",
            value: a.printer.clone(),
        })?;
        on[p].push((a.start, j));
        placed[j] = true;
    }
    let seqs = on
        .into_iter()
        .map(|mut v| {
            v.sort_unstable();
            v.into_iter().map(|e| e.1).collect()
        })
        .collect();
    let unscheduled = (0..inst.n_jobs)
        .filter(|&j| !placed[j])
        .map(|j| (j, CONGESTED.to_string()))
        .collect();
    Ok(Sequences { seqs, unscheduled })
}

/// Repair `current` (a plan for `problem`) after `event`. Started jobs stay fixed; the rest moves as
/// little as possible. With `opts.time_limit > 0` the result is then improved by local search
/// (bounded by `opts.max_iterations` as well).
pub fn repair(
    problem: &Problem,
    current: &Plan,
    event: &Event,
    opts: &SolveOptions,
) -> Result<Repaired, EventError> {
    let t0 = Instant::now();
    let now = event.at();
    let pb = apply_event_unchecked(problem, current, event)?;
    let mut inst = Instance::new(&pb)?;
    let job_idx: IdMap<&str, usize> = inst
        .job_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let printer_idx: IdMap<&str, usize> = inst
        .printer_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    // Current assignments per printer, by start (cancelled jobs are gone from `job_idx`).
    let mut on: Vec<Vec<&Assignment>> = vec![Vec::new(); inst.n_printers];
    let mut old_printer: Vec<Option<usize>> = vec![None; inst.n_jobs];
    let mut old_start: Vec<Option<i64>> = vec![None; inst.n_jobs];
    let mut aborted_on: Vec<bool> = vec![false; inst.n_printers];
    for a in &current.assignments {
        let Some(&p) = printer_idx.get(a.printer.as_str()) else {
            return Err(EventError::Plan {
                field: "printer",
                what: "printer",
                value: a.printer.clone(),
            });
        };
        match job_idx.get(a.job.as_str()) {
            Some(&j) => {
                on[p].push(a);
                old_printer[j] = Some(p);
                old_start[j] = Some(a.start);
            }
            None => {
                // Cancelled; if it was running, the printer is freed now (bed to clear).
                if a.start - a.setup < now && now < a.end {
                    aborted_on[p] = true;
                }
            }
        }
    }
    let mut fixed: Vec<Assignment> = Vec::new();
    let mut is_fixed = vec![false; inst.n_jobs];
    let mut start = Sequences::empty(&inst);
    let mut res_avail = inst.avail.clone();
    let mut res_init: Vec<Option<String>> = pb
        .printers
        .iter()
        .map(|p| p.initial_setup_class.clone())
        .collect();
    for p in 0..inst.n_printers {
        on[p].sort_by_key(|a| a.start);
        let down_here =
            matches!(event, Event::PrinterDown { printer, .. } if *printer == inst.printer_ids[p]);
        let finished_pos = match event {
            Event::JobFinished { job, .. } => on[p].iter().position(|a| &a.job == job),
            _ => None,
        };
        let mut last_fixed: Option<&Assignment> = None;
        let mut open = true;
        for (i, a) in on[p].iter().enumerate() {
            let Some(&j) = job_idx.get(a.job.as_str()) else {
                continue;
            };
            let load = a.start - a.setup;
            let started = match finished_pos {
                Some(fp) => i <= fp,
                None => load < now,
            };
            let keep = started && !(down_here && a.end > now);
            if keep && open {
                let mut a2 = (*a).clone();
                if finished_pos == Some(i) {
                    a2.end = now;
                }
                fixed.push(a2);
                is_fixed[j] = true;
                last_fixed = fixed.last();
            } else {
                open = false;
                if started && down_here {
                    aborted_on[p] = true;
                }
                if down_here {
                    start.unscheduled.push((j, CONGESTED.to_string()));
                } else {
                    start.seqs[p].push(j);
                }
            }
        }
        let mut avail = inst.avail[p].max(now);
        if let Some(f) = last_fixed {
            avail = avail.max(inst.ready_after(f.end).unwrap_or(MAX_TIME));
            res_init[p] = job_idx
                .get(f.job.as_str())
                .map(|&j| pb.setup_classes[inst.job_class[j]].clone());
        }
        if aborted_on[p] {
            avail = avail.max(inst.ready_after(now).unwrap_or(MAX_TIME));
        }
        res_avail[p] = avail;
    }
    // Jobs of the updated problem not yet anywhere (added, or unscheduled before) go to the pool.
    for j in 0..inst.n_jobs {
        if !is_fixed[j] && old_printer[j].is_none() {
            start.unscheduled.push((j, CONGESTED.to_string()));
        }
    }
    // Residual problem: free jobs only, printers available after their fixed jobs, nothing before
    // now. Built in place (no copy of the whole instance); the original availability, initial
    // classes and releases are put back for the objective and the bound below.
    let original = (inst.avail.clone(), inst.init_class.clone(), inst.release.clone());
    let class_idx: IdMap<&str, usize> = pb
        .setup_classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    for p in 0..inst.n_printers {
        inst.avail[p] = res_avail[p];
        inst.init_class[p] = res_init[p].as_deref().and_then(|c| class_idx.get(c).copied());
    }
    for r in &mut inst.release {
        *r = (*r).max(now);
    }
    // In the residual the fixed jobs are not scheduled at all: mark them so, without a reason.
    let rinst = &inst;
    let mut local = Local::new(rinst, &strip_fixed(&start, &is_fixed));
    let limits = Limits {
        deadline: Some(t0 + std::time::Duration::from_secs_f64(opts.time_limit.clamp(0.0, 1e7))),
        max_iterations: opts.max_iterations,
        stall_iterations: 20_000 + 200 * rinst.n_jobs as u64,
        lns_period: crate::heuristic::LNS_PERIOD,
        target: f64::NEG_INFINITY,
    };
    let mut best = local.run(&limits, opts.seed).best;
    best.unscheduled.retain(|(j, _)| !is_fixed[*j]);
    for (j, reason) in &mut best.unscheduled {
        if let Some(r) = bound::placement_reason(rinst, *j) {
            *reason = r;
        }
    }
    // Power circuits: the residual is timed around the started jobs by the same staggering as
    // `solve` (the search times printers independently), so every circuit keeps its rules.
    let residual = if crate::power::active(rinst) {
        let started: Vec<(usize, i64, i64)> = fixed
            .iter()
            .filter_map(|a| Some((*printer_idx.get(a.printer.as_str())?, a.start, a.end)))
            .collect();
        let st = crate::power::stagger_around(rinst, &best, &started);
        Some(crate::power::to_plan(rinst, &best, &st, "repair"))
    } else {
        best.to_plan(rinst, "repair")
    };
    let Some(residual) = residual else {
        return Err(EventError::Plan {
            field: "job",
            what: "timing of",
            value: "residual".into(),
        });
    };
    (inst.avail, inst.init_class, inst.release) = original;
    // Merge fixed + residual.
    let mut assignments = fixed;
    assignments.extend(residual.assignments);
    let order: IdMap<&str, usize> = printer_idx.clone();
    assignments.sort_by_key(|a| (order.get(a.printer.as_str()).copied().unwrap_or(0), a.start));
    let mut ms = 0;
    let mut tard = 0.0;
    let mut setups = 0;
    let mut moves = 0.0;
    for a in &assignments {
        ms = ms.max(a.end);
        if let Some(&j) = job_idx.get(a.job.as_str()) {
            tard += inst.tardiness(j, a.end);
            if let Some(&p) = printer_idx.get(a.printer.as_str()) {
                moves += inst.move_cost(j, p, a.start);
            }
        }
        setups += a.setup;
    }
    let objective = objective_value(&inst, ms, tard, setups, moves);
    let mut included = vec![true; inst.n_jobs];
    for u in &residual.unscheduled {
        if let Some(&j) = job_idx.get(u.job.as_str()) {
            included[j] = false;
        }
    }
    let lb = bound::lower_bound(&inst, &included, 0.0)
        .value
        .min(objective.value);
    let g = gap(objective.value, lb);
    let status = if !residual.unscheduled.is_empty() {
        Status::Infeasible
    } else if g == 0.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let mut moved = 0;
    let mut retimed = 0;
    let new_pos: IdMap<&str, (&str, i64)> = assignments
        .iter()
        .map(|a| (a.job.as_str(), (a.printer.as_str(), a.start)))
        .collect();
    for j in 0..inst.n_jobs {
        match (old_printer[j], new_pos.get(inst.job_ids[j].as_str())) {
            (Some(op), Some((np, ns))) => {
                if inst.printer_ids[op] != *np {
                    moved += 1;
                } else if old_start[j] != Some(*ns) {
                    retimed += 1;
                }
            }
            (None, None) => {}
            _ => moved += 1,
        }
    }
    let plan = Plan {
        status,
        assignments,
        unscheduled: residual.unscheduled,
        objective,
        lower_bound: lb,
        gap: g,
        solve_ms: t0.elapsed().as_millis() as u64,
        method: "repair".to_string(),
        bounds: None,
        stability: None,
    };
    Ok(Repaired {
        problem: pb,
        plan,
        moved,
        retimed,
    })
}

fn strip_fixed(start: &Sequences, is_fixed: &[bool]) -> Sequences {
    Sequences {
        seqs: start
            .seqs
            .iter()
            .map(|s| s.iter().copied().filter(|&j| !is_fixed[j]).collect())
            .collect(),
        unscheduled: start
            .unscheduled
            .iter()
            .filter(|(j, _)| !is_fixed[*j])
            .cloned()
            .collect(),
    }
}
