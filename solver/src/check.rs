//! Independent plan verification. Written directly against the raw [`Problem`] (not the solver's
//! timing code) so that it can catch solver bugs.

use std::collections::HashMap;

use crate::plan::{Plan, Status};
use crate::problem::{Problem, ProblemError};

/// The first rule a plan breaks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Violation {
    #[error("invalid problem: {0}")]
    Problem(#[from] ProblemError),
    #[error("assignment of unknown job {job:?}")]
    UnknownJob { job: String },
    #[error("job {job:?} appears more than once in the plan")]
    DuplicateJob { job: String },
    #[error("job {job:?} is neither assigned nor listed as unscheduled")]
    MissingJob { job: String },
    #[error("job {job:?} is assigned to printer {printer:?}, which cannot run it")]
    NotEligible { job: String, printer: String },
    #[error("job {job:?} on {printer:?}: end - start = {got}, but its duration there is {expected}")]
    WrongDuration {
        job: String,
        printer: String,
        expected: i64,
        got: i64,
    },
    #[error("job {job:?} on {printer:?}: setup {got}, but the required setup after {after} is {expected}")]
    WrongSetup {
        job: String,
        printer: String,
        after: String,
        expected: i64,
        got: i64,
    },
    #[error(
        "job {job:?} on {printer:?}: loaded at {load}, before the previous job {previous:?} ends at {previous_end}"
    )]
    Overlap {
        job: String,
        printer: String,
        load: i64,
        previous: String,
        previous_end: i64,
    },
    #[error(
        "job {job:?} on {printer:?}: loaded at {load}, but {previous:?} ended unattended and the bed is only cleared at {cleared}"
    )]
    BedNotCleared {
        job: String,
        printer: String,
        load: i64,
        previous: String,
        cleared: String,
    },
    #[error("job {job:?}: loaded at {load}, before its release {release}")]
    BeforeRelease { job: String, load: i64, release: i64 },
    #[error(
        "job {job:?} on {printer:?}: loaded at {load}, before the printer is available at {available_from}"
    )]
    BeforeAvailable {
        job: String,
        printer: String,
        load: i64,
        available_from: i64,
    },
    #[error("job {job:?}: loaded at {load}, outside every operator shift")]
    Unstaffed { job: String, load: i64 },
    #[error(
        "job {job:?} on {printer:?}: occupies [{from}, {to}), overlapping maintenance [{window_from}, {window_to}]"
    )]
    Maintenance {
        job: String,
        printer: String,
        from: i64,
        to: i64,
        window_from: i64,
        window_to: i64,
    },
    #[error("job {job:?}: ends at {end}, after the horizon {horizon}")]
    Horizon { job: String, end: i64, horizon: i64 },
    #[error("objective.{field}: plan says {reported}, recomputed {recomputed}")]
    Objective {
        field: &'static str,
        reported: f64,
        recomputed: f64,
    },
    #[error("status {status:?} with {unscheduled} unscheduled job(s)")]
    Status { status: Status, unscheduled: usize },
    #[error("lower_bound {lower_bound} is above the plan's value {value}")]
    Bound { lower_bound: f64, value: f64 },
    #[error("job {job:?} is frozen on {printer:?} at {start} (stability.freeze_until), the plan {got}")]
    Frozen {
        job: String,
        printer: String,
        start: i64,
        got: String,
    },
    #[error("bounds.{term}: bound {bound} is above the plan's {term} {value}")]
    TermBound {
        term: &'static str,
        bound: f64,
        value: f64,
    },
    #[error("circuit {circuit:?}: {draw} W at minute {minute}, above its limit of {limit} W")]
    Power {
        circuit: String,
        minute: i64,
        draw: i64,
        limit: i64,
    },
    #[error("circuit {circuit:?}: {count} prints start within [{from}, {to}), at most {max} may")]
    Heatups {
        circuit: String,
        from: i64,
        to: i64,
        count: usize,
        max: i64,
    },
}

/// What a successful check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub assigned: usize,
    pub unscheduled: usize,
    pub makespan: i64,
    pub weighted_tardiness: f64,
    pub setups: i64,
    pub value: f64,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// Verify `plan` against `problem`: eligibility, durations, overlaps, setups, release, availability,
/// maintenance, shifts (loading and bed clearing), horizon, completeness, status and objective.
pub fn check(problem: &Problem, plan: &Plan) -> Result<CheckReport, Violation> {
    problem.validate()?;
    let jobs: HashMap<&str, usize> = problem
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.as_str(), i))
        .collect();
    let printers: HashMap<&str, usize> = problem
        .printers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let classes: HashMap<&str, usize> = problem
        .setup_classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut seen = vec![false; problem.jobs.len()];
    let mut per_printer: Vec<Vec<(i64, i64, i64, usize)>> = vec![Vec::new(); problem.printers.len()];
    for a in &plan.assignments {
        let &j = jobs
            .get(a.job.as_str())
            .ok_or_else(|| Violation::UnknownJob { job: a.job.clone() })?;
        if std::mem::replace(&mut seen[j], true) {
            return Err(Violation::DuplicateJob { job: a.job.clone() });
        }
        let job = &problem.jobs[j];
        let not_eligible = || Violation::NotEligible {
            job: a.job.clone(),
            printer: a.printer.clone(),
        };
        let &p = printers.get(a.printer.as_str()).ok_or_else(not_eligible)?;
        let &d = job.durations.get(&a.printer).ok_or_else(not_eligible)?;
        if a.end - a.start != d {
            return Err(Violation::WrongDuration {
                job: a.job.clone(),
                printer: a.printer.clone(),
                expected: d,
                got: a.end - a.start,
            });
        }
        per_printer[p].push((a.start, a.end, a.setup, j));
    }
    for u in &plan.unscheduled {
        let &j = jobs
            .get(u.job.as_str())
            .ok_or_else(|| Violation::UnknownJob { job: u.job.clone() })?;
        if std::mem::replace(&mut seen[j], true) {
            return Err(Violation::DuplicateJob { job: u.job.clone() });
        }
    }
    if let Some(j) = seen.iter().position(|s| !s) {
        return Err(Violation::MissingJob {
            job: problem.jobs[j].id.clone(),
        });
    }
    let staffed = |t: i64| match &problem.operator_shifts {
        None => true,
        Some(s) => s.iter().any(|w| w[0] <= t && t <= w[1]),
    };
    // When a job ends unattended, the bed is cleared at the start of the next shift.
    let cleared = |end: i64| -> Option<i64> {
        match &problem.operator_shifts {
            None => Some(end),
            Some(s) => {
                if staffed(end) {
                    Some(end)
                } else {
                    s.iter().map(|w| w[0]).filter(|&a| a > end).min()
                }
            }
        }
    };
    let mut makespan = 0;
    let mut tard = 0.0;
    let mut setups = 0;
    for (p, list) in per_printer.iter_mut().enumerate() {
        list.sort_unstable();
        let printer = &problem.printers[p];
        let matrix = problem.setup_times.get(&printer.id);
        let mut prev: Option<(usize, i64)> = None; // (job, end)
        for &(start, end, setup, j) in list.iter() {
            let job = &problem.jobs[j];
            let prev_class = match prev {
                Some((pj, _)) => Some(problem.jobs[pj].setup_class.as_str()),
                None => printer.initial_setup_class.as_deref(),
            };
            let expected = match (prev_class, matrix) {
                (Some(a), Some(m)) => {
                    let ai = classes.get(a).copied().unwrap_or(0);
                    let bi = classes.get(job.setup_class.as_str()).copied().unwrap_or(0);
                    m.get(ai).and_then(|row| row.get(bi)).copied().unwrap_or(0)
                }
                _ => 0,
            };
            if setup != expected {
                return Err(Violation::WrongSetup {
                    job: job.id.clone(),
                    printer: printer.id.clone(),
                    after: match prev {
                        Some((pj, _)) => format!("job {:?}", problem.jobs[pj].id),
                        None => format!("initial class {:?}", printer.initial_setup_class),
                    },
                    expected,
                    got: setup,
                });
            }
            let load = start - setup;
            if let Some((pj, pend)) = prev {
                if load < pend {
                    return Err(Violation::Overlap {
                        job: job.id.clone(),
                        printer: printer.id.clone(),
                        load,
                        previous: problem.jobs[pj].id.clone(),
                        previous_end: pend,
                    });
                }
                let c = cleared(pend);
                if c.is_none_or(|c| load < c) {
                    return Err(Violation::BedNotCleared {
                        job: job.id.clone(),
                        printer: printer.id.clone(),
                        load,
                        previous: problem.jobs[pj].id.clone(),
                        cleared: c.map_or_else(|| "never (no later shift)".to_string(), |c| c.to_string()),
                    });
                }
            }
            if load < job.release {
                return Err(Violation::BeforeRelease {
                    job: job.id.clone(),
                    load,
                    release: job.release,
                });
            }
            if load < printer.available_from {
                return Err(Violation::BeforeAvailable {
                    job: job.id.clone(),
                    printer: printer.id.clone(),
                    load,
                    available_from: printer.available_from,
                });
            }
            if !staffed(load) {
                return Err(Violation::Unstaffed {
                    job: job.id.clone(),
                    load,
                });
            }
            for w in &printer.unavailable {
                if load < w[1] && w[0] < end {
                    return Err(Violation::Maintenance {
                        job: job.id.clone(),
                        printer: printer.id.clone(),
                        from: load,
                        to: end,
                        window_from: w[0],
                        window_to: w[1],
                    });
                }
            }
            if let Some(h) = problem.horizon
                && end > h
            {
                return Err(Violation::Horizon {
                    job: job.id.clone(),
                    end,
                    horizon: h,
                });
            }
            makespan = makespan.max(end);
            if let Some(due) = job.due
                && end > due
            {
                tard += job.weight * (end - due) as f64;
            }
            setups += setup;
            prev = Some((j, end));
        }
    }
    check_circuits(problem, &per_printer)?;
    let moves = check_stability(problem, plan)?;
    let w = &problem.objective;
    let value = w.makespan * makespan as f64 + w.weighted_tardiness * tard + w.setups * setups as f64 + moves;
    let o = &plan.objective;
    if o.makespan != makespan {
        return Err(Violation::Objective {
            field: "makespan",
            reported: o.makespan as f64,
            recomputed: makespan as f64,
        });
    }
    if !close(o.weighted_tardiness, tard) {
        return Err(Violation::Objective {
            field: "weighted_tardiness",
            reported: o.weighted_tardiness,
            recomputed: tard,
        });
    }
    if o.setups != setups {
        return Err(Violation::Objective {
            field: "setups",
            reported: o.setups as f64,
            recomputed: setups as f64,
        });
    }
    if !close(o.stability, moves) {
        return Err(Violation::Objective {
            field: "stability",
            reported: o.stability,
            recomputed: moves,
        });
    }
    if !close(o.value, value) {
        return Err(Violation::Objective {
            field: "value",
            reported: o.value,
            recomputed: value,
        });
    }
    let complete = plan.unscheduled.is_empty();
    if complete == (plan.status == Status::Infeasible) {
        return Err(Violation::Status {
            status: plan.status,
            unscheduled: plan.unscheduled.len(),
        });
    }
    if plan.lower_bound > value + 1e-6 * value.abs().max(1.0) {
        return Err(Violation::Bound {
            lower_bound: plan.lower_bound,
            value,
        });
    }
    if let Some(b) = &plan.bounds {
        for (term, bound, value) in [
            ("makespan", b.makespan.bound, makespan as f64),
            ("weighted_tardiness", b.weighted_tardiness.bound, tard),
            ("setups", b.setups.bound, setups as f64),
            ("total", b.total.bound, value),
        ] {
            if bound > value + 1e-6 * value.abs().max(1.0) {
                return Err(Violation::TermBound { term, bound, value });
            }
        }
    }
    Ok(CheckReport {
        assigned: plan.assignments.len(),
        unscheduled: plan.unscheduled.len(),
        makespan,
        weighted_tardiness: tard,
        setups,
        value,
    })
}

/// Power limits and heat-up rules of every circuit, from each print's `[start, end)`:
/// `heatup_watts` for the first `heatup_minutes`, then `printing_watts`.
fn check_circuits(problem: &Problem, per_printer: &[Vec<(i64, i64, i64, usize)>]) -> Result<(), Violation> {
    let index: HashMap<&str, usize> = problem
        .printers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    for c in &problem.circuits {
        // (start, heat end, end, heat W, print W) of every print on the circuit.
        let mut prints: Vec<(i64, i64, i64, i64, i64)> = Vec::new();
        for pid in &c.printers {
            let Some(&p) = index.get(pid.as_str()) else {
                continue;
            };
            let w = problem.printers[p].power;
            for &(start, end, _, _) in &per_printer[p] {
                let (hw, hm, pw) = w.map_or((0, 0, 0), |w| {
                    (w.heatup_watts, w.heatup_minutes, w.printing_watts)
                });
                prints.push((start, (start + hm).min(end), end, hw, pw));
            }
        }
        if let Some(limit) = c.limit_watts {
            let mut minutes: Vec<i64> = prints.iter().flat_map(|x| [x.0, x.1]).collect();
            minutes.sort_unstable();
            minutes.dedup();
            for t in minutes {
                let draw: i64 = prints
                    .iter()
                    .map(|&(s, h, e, hw, pw)| {
                        if t < s || t >= e {
                            0
                        } else if t < h {
                            hw
                        } else {
                            pw
                        }
                    })
                    .sum();
                if draw > limit {
                    return Err(Violation::Power {
                        circuit: c.id.clone(),
                        minute: t,
                        draw,
                        limit,
                    });
                }
            }
        }
        if let (Some(k), Some(m)) = (c.max_heatups, c.heatup_window) {
            let mut starts: Vec<i64> = prints.iter().map(|x| x.0).collect();
            starts.sort_unstable();
            for i in 0..starts.len() {
                let count = starts[i..].iter().take_while(|&&s| s < starts[i] + m).count();
                if count as i64 > k {
                    return Err(Violation::Heatups {
                        circuit: c.id.clone(),
                        from: starts[i],
                        to: starts[i] + m,
                        count,
                        max: k,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Frozen jobs in place (and first on their printers), and the stability penalties of the jobs
/// of the freeze horizon that moved (another printer, or later than the tolerance).
fn check_stability(problem: &Problem, plan: &Plan) -> Result<f64, Violation> {
    let Some(st) = &problem.stability else {
        return Ok(0.0);
    };
    let jobs: std::collections::HashSet<&str> = problem.jobs.iter().map(|j| j.id.as_str()).collect();
    let placed: HashMap<&str, (&str, i64)> = plan
        .assignments
        .iter()
        .map(|a| (a.job.as_str(), (a.printer.as_str(), a.start)))
        .collect();
    let mut penalty = 0.0;
    // Per printer: the latest frozen start.
    let mut frozen_until: HashMap<&str, i64> = HashMap::new();
    let mut frozen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for prev in &st.previous {
        if !jobs.contains(prev.job.as_str()) {
            continue;
        }
        let now = placed.get(prev.job.as_str()).copied();
        if prev.start < st.freeze_until {
            if now != Some((prev.printer.as_str(), prev.start)) {
                return Err(Violation::Frozen {
                    job: prev.job.clone(),
                    printer: prev.printer.clone(),
                    start: prev.start,
                    got: match now {
                        Some((p, s)) => format!("starts it at {s} on {p:?}"),
                        None => "leaves it out".to_string(),
                    },
                });
            }
            frozen.insert(prev.job.as_str());
            let e = frozen_until.entry(prev.printer.as_str()).or_insert(prev.start);
            *e = (*e).max(prev.start);
        } else if prev.start < st.horizon
            && let Some((p, s)) = now
            && (p != prev.printer || s > prev.start + st.tolerance)
        {
            penalty += st.penalty;
        }
    }
    for a in &plan.assignments {
        if let Some(&last) = frozen_until.get(a.printer.as_str())
            && !frozen.contains(a.job.as_str())
            && a.start <= last
        {
            return Err(Violation::Frozen {
                job: a.job.clone(),
                printer: a.printer.clone(),
                start: a.start,
                got: format!(
                    "puts it before the frozen jobs of {:?}, which must come first",
                    a.printer
                ),
            });
        }
    }
    Ok(penalty)
}
