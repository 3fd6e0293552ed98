//! Stable re-plans: a re-plan may pay a penalty for moving a job of the previous plan that is
//! due to start soon, and jobs inside a hard freeze window keep their place.
//!
//! `stability.previous` is the previous plan's assignments (job, printer, start; other keys
//! ignored, so a plan's `assignments` can be passed as they are). For a job still in `jobs`:
//! * previous start `< freeze_until`: **frozen** — it keeps its printer and its start, and
//!   nothing else starts before it on that printer (frozen jobs are the head of their printer's
//!   sequence; their setups follow from the printer's initial class);
//! * `freeze_until ≤` previous start `< horizon`: **in the freeze horizon** — the plan pays
//!   `penalty` (objective units, `objective.stability`) when the job runs on another printer or
//!   starts more than `tolerance` minutes later than before. Starting earlier is not penalised
//!   (the material staged for it is still right), which keeps every cost monotone in the
//!   completion times, so the semi-active timing of every algorithm stays optimal for a sequence.
//!
//! Frozen jobs are taken out of the problem ([`solve_frozen`]): the rest is solved as a residual
//! problem whose printers are available after their frozen jobs (bed clearing included) and start
//! with the last frozen job's class; the plans are merged and the bounds of the residual, plus the
//! frozen jobs' fixed cost, bound the whole. The plan reports `stability`: frozen jobs, penalised
//! moves, and every job of the previous plan that changed printer or start by more than
//! `tolerance` either way.

use serde::{Deserialize, Serialize};

use crate::plan::{self, Plan, Status};
use crate::problem::{IdMap, Instance, Problem, ProblemError};
use crate::report::{Bounds, TermBound};
use crate::why::Reason;

/// One assignment of the previous plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub job: String,
    pub printer: String,
    pub start: i64,
}

/// Stability settings of a re-plan (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    pub previous: Vec<Previous>,
    #[serde(default)]
    pub freeze_until: i64,
    #[serde(default)]
    pub horizon: i64,
    #[serde(default)]
    pub penalty: f64,
    #[serde(default)]
    pub tolerance: i64,
}

/// What a plan changed against the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StabilityReport {
    /// Jobs kept in place by the freeze window.
    pub frozen: usize,
    /// Jobs in the freeze horizon that moved (penalised).
    pub moved: usize,
    /// Jobs of the previous plan (still planned) on another printer or starting more than
    /// `tolerance` minutes earlier or later.
    pub changed: usize,
}

/// Validated stability data of an instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StabilitySpec {
    /// Per job: its previous (printer, start).
    pub previous: Vec<Option<(usize, i64)>>,
    /// Per job in the freeze horizon: (printer, latest start without penalty).
    pub anchor: Vec<Option<(usize, i64)>>,
    pub penalty: f64,
    pub tolerance: i64,
    /// Frozen jobs `(job, printer, start)`, by printer and start.
    pub frozen: Vec<(usize, usize, i64)>,
}

fn negative(field: String, value: i64) -> ProblemError {
    ProblemError::Negative { field, value }
}

/// Validate `pb.stability` against the indexed problem (jobs, printers, durations, classes).
pub fn validate(pb: &Problem, inst: &Instance) -> Result<StabilitySpec, ProblemError> {
    let n = inst.n_jobs;
    let mut spec = StabilitySpec {
        previous: vec![None; n],
        anchor: vec![None; n],
        ..Default::default()
    };
    let Some(st) = &pb.stability else {
        return Ok(spec);
    };
    for (field, v) in [
        ("stability.freeze_until", st.freeze_until),
        ("stability.horizon", st.horizon),
        ("stability.tolerance", st.tolerance),
    ] {
        if v < 0 {
            return Err(negative(field.into(), v));
        }
    }
    if !st.penalty.is_finite() || st.penalty < 0.0 {
        return Err(ProblemError::BadWeight {
            field: "stability.penalty".into(),
            value: st.penalty,
        });
    }
    if st.horizon > 0 && st.horizon < st.freeze_until {
        return Err(ProblemError::Invalid {
            field: "stability.horizon".into(),
            message: format!(
                "{} ends before the hard freeze window (freeze_until {}): the windows contradict each other",
                st.horizon, st.freeze_until
            ),
        });
    }
    spec.penalty = st.penalty;
    spec.tolerance = st.tolerance;
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
    for prev in &st.previous {
        // Jobs no longer in the problem (finished, cancelled) are ignored.
        let Some(&j) = jobs.get(prev.job.as_str()) else {
            continue;
        };
        let field = |k: &str| format!("stability.previous[{}].{k}", prev.job);
        let &p = printers
            .get(prev.printer.as_str())
            .ok_or_else(|| ProblemError::UnknownPrinter {
                field: field("printer"),
                printer: prev.printer.clone(),
            })?;
        if prev.start < 0 {
            return Err(negative(field("start"), prev.start));
        }
        if spec.previous[j].replace((p, prev.start)).is_some() {
            return Err(ProblemError::DuplicateId {
                field: "stability.previous",
                id: prev.job.clone(),
            });
        }
        if prev.start < st.freeze_until {
            if inst.duration(j, p).is_none() {
                return Err(ProblemError::Invalid {
                    field: field("printer"),
                    message: format!("frozen on {:?}, which cannot run it", prev.printer),
                });
            }
            spec.frozen.push((j, p, prev.start));
        } else if prev.start < st.horizon {
            spec.anchor[j] = Some((p, prev.start.saturating_add(st.tolerance)));
        }
    }
    spec.frozen.sort_by_key(|&(j, p, s)| (p, s, j));
    // Frozen jobs of a printer must fit one after the other, clear of maintenance.
    let mut last: Option<(usize, usize, i64)> = None; // (printer, job, end)
    for &(j, p, start) in &spec.frozen {
        let prev_class = match last {
            Some((lp, lj, _)) if lp == p => Some(inst.job_class[lj]),
            _ => inst.init_class[p],
        };
        let setup = inst.setup_time(p, prev_class, inst.job_class[j]);
        let d = inst.duration(j, p).unwrap_or(0);
        let load = start - setup;
        let field = format!("stability.previous[{}].start", inst.job_ids[j]);
        if let Some((lp, lj, end)) = last
            && lp == p
            && load < end
        {
            return Err(ProblemError::Invalid {
                field,
                message: format!(
                    "frozen at {start} (loaded at {load}) overlaps frozen job {:?}, which ends at {end}",
                    inst.job_ids[lj]
                ),
            });
        }
        if let Some(w) = inst.windows[p].iter().find(|w| w.0 < start + d && load < w.1) {
            return Err(ProblemError::Invalid {
                field,
                message: format!("frozen at {start} overlaps maintenance [{}, {}]", w.0, w.1),
            });
        }
        last = Some((p, j, start + d));
    }
    Ok(spec)
}

/// The plan's [`StabilityReport`] against the previous plan (`None` without `stability`).
pub fn report(inst: &Instance, plan: &Plan) -> Option<StabilityReport> {
    if inst.stability.previous.iter().all(Option::is_none) {
        return None;
    }
    let jobs: IdMap<&str, usize> = inst
        .job_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut r = StabilityReport {
        frozen: inst.stability.frozen.len(),
        ..Default::default()
    };
    for a in &plan.assignments {
        let Some(&j) = jobs.get(a.job.as_str()) else {
            continue;
        };
        let Some((p, start)) = inst.stability.previous[j] else {
            continue;
        };
        let other = inst.printer_ids[p] != a.printer;
        if other || (a.start - start).abs() > inst.stability.tolerance {
            r.changed += 1;
        }
        if inst.stability.anchor[j].is_some_and(|(_, latest)| other || a.start > latest) {
            r.moved += 1;
        }
    }
    Some(r)
}

/// Solve a problem with frozen jobs (see the module docs); `solve` calls it when there are any.
pub fn solve_frozen(
    problem: &Problem,
    inst: &Instance,
    opts: &crate::SolveOptions,
    tuning: &crate::Tuning,
    t0: std::time::Instant,
) -> Result<Plan, ProblemError> {
    let frozen = &inst.stability.frozen;
    let is_frozen: Vec<bool> = {
        let mut v = vec![false; inst.n_jobs];
        for &(j, _, _) in frozen {
            v[j] = true;
        }
        v
    };
    // The frozen head of every printer, timed: (job, printer, start, end, setup).
    let mut fixed: Vec<(usize, usize, i64, i64, i64)> = Vec::new();
    let mut residual = problem.clone();
    for (p, printer) in residual.printers.iter_mut().enumerate() {
        let mut prev = inst.init_class[p];
        let mut end = None;
        for &(j, _, start) in frozen.iter().filter(|f| f.1 == p) {
            let setup = inst.setup_time(p, prev, inst.job_class[j]);
            let e = start + inst.duration(j, p).unwrap_or(0);
            fixed.push((j, p, start, e, setup));
            prev = Some(inst.job_class[j]);
            end = Some(e);
        }
        if let Some(e) = end {
            printer.available_from = printer
                .available_from
                .max(inst.ready_after(e).unwrap_or(crate::problem::MAX_TIME));
            printer.initial_setup_class = prev.map(|c| problem.setup_classes[c].clone());
        }
    }
    residual.jobs.retain(|job| {
        inst.job_ids
            .iter()
            .position(|id| *id == job.id)
            .is_none_or(|j| !is_frozen[j])
    });
    if let Some(st) = &mut residual.stability {
        st.previous.retain(|p| {
            inst.job_ids
                .iter()
                .position(|id| *id == p.job)
                .is_none_or(|j| !is_frozen[j])
        });
        st.freeze_until = 0;
    }
    let rinst = Instance::new(&residual)?;
    let solved = crate::solve_instance_report(&rinst, opts, t0, tuning);
    let mut plan = solved.plan;
    let (mut ms, mut tard, mut setups) = (0i64, 0.0, 0i64);
    let mut assignments = Vec::with_capacity(fixed.len() + plan.assignments.len());
    for &(j, p, start, end, setup) in &fixed {
        ms = ms.max(end);
        tard += inst.tardiness(j, end);
        setups += setup;
        assignments.push(plan::Assignment {
            job: inst.job_ids[j].clone(),
            printer: inst.printer_ids[p].clone(),
            start,
            end,
            setup,
            reason: Some(Reason {
                printer: "frozen".into(),
                late: inst.due[j].is_some_and(|d| end > d).then(|| "frozen".into()),
                text: format!(
                    "frozen: the previous plan starts it before minute {} on {}",
                    problem.stability.as_ref().map_or(0, |s| s.freeze_until),
                    inst.printer_ids[p]
                ),
            }),
        });
    }
    assignments.append(&mut plan.assignments);
    let o = plan.objective;
    let fixed_cost = inst.w_tardiness * tard + inst.w_setups * setups as f64;
    plan.assignments = assignments;
    plan.objective = plan::objective_value(
        inst,
        ms.max(o.makespan),
        tard + o.weighted_tardiness,
        setups + o.setups,
        o.stability,
    );
    let value = plan.objective.value;
    plan.lower_bound = (plan.lower_bound + fixed_cost).min(value);
    plan.gap = plan::gap(value, plan.lower_bound);
    plan.status = if !plan.unscheduled.is_empty() {
        Status::Infeasible
    } else if plan.gap == 0.0 {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let b = solved.bounds;
    let term = |value: f64, bound: f64| TermBound {
        value,
        bound: bound.min(value),
        gap: plan::gap(value, bound.min(value)),
    };
    plan.bounds = Some(Bounds {
        makespan: term(plan.objective.makespan as f64, b.makespan.bound.max(ms as f64)),
        weighted_tardiness: term(
            plan.objective.weighted_tardiness,
            b.weighted_tardiness.bound + tard,
        ),
        setups: term(plan.objective.setups as f64, b.setups.bound + setups as f64),
        total: term(value, plan.lower_bound),
    });
    plan.solve_ms = t0.elapsed().as_millis() as u64;
    Ok(plan)
}

/// The previous plan as a start of the search: each printer's previous jobs in their previous
/// order (those that no longer fit, and jobs not in the previous plan, are inserted at their
/// cheapest place). `None` without a previous plan.
pub fn previous_start(inst: &Instance, seed: u64) -> Option<crate::plan::Sequences> {
    use crate::heuristic::{CONGESTED, Limits, Local};
    let prev = &inst.stability.previous;
    if prev.iter().all(Option::is_none) {
        return None;
    }
    let mut s = crate::plan::Sequences::empty(inst);
    let mut on: Vec<Vec<(i64, usize)>> = vec![Vec::new(); inst.n_printers];
    for (j, &before) in prev.iter().enumerate() {
        if let Some(r) = crate::bound::placement_reason(inst, j) {
            s.unscheduled.push((j, r));
            continue;
        }
        match before {
            Some((p, start)) if inst.duration(j, p).is_some() => on[p].push((start, j)),
            _ => s.unscheduled.push((j, CONGESTED.to_string())),
        }
    }
    for (p, mut list) in on.into_iter().enumerate() {
        list.sort_unstable();
        s.seqs[p] = list.into_iter().map(|x| x.1).collect();
    }
    let mut local = Local::new(inst, &s);
    let placed = local.run(
        &Limits {
            deadline: None,
            max_iterations: Some(0),
            stall_iterations: 1,
            target: f64::NEG_INFINITY,
            lns_period: 0,
        },
        seed,
    );
    Some(placed.best)
}
