//! Stable re-plans: frozen jobs keep their place, moves in the freeze horizon pay a penalty, the
//! plan reports what changed; bad stability input names the field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::stability::{Previous, Stability};
use gantry_solver::{Job, Method, Plan, Problem, ProblemError, SolveOptions, Violation, check, solve};
use serde_json::json;

fn opts(seed: u64) -> SolveOptions {
    SolveOptions {
        time_limit: 5.0,
        method: Method::Auto,
        seed,
        max_iterations: Some(4_000),
    }
}

fn previous(plan: &Plan) -> Vec<Previous> {
    plan.assignments
        .iter()
        .map(|a| Previous {
            job: a.job.clone(),
            printer: a.printer.clone(),
            start: a.start,
        })
        .collect()
}

/// The farm with one more urgent job (the event), as a re-plan sees it.
fn with_rush(pb: &Problem) -> Problem {
    let mut next = pb.clone();
    let mut rush: Job = pb.jobs[0].clone();
    rush.id = "RUSH".into();
    rush.due = Some(rush.durations.values().copied().min().unwrap_or(60) + 30);
    rush.weight = 5.0;
    next.jobs.push(rush);
    next
}

#[test]
fn a_penalised_replan_moves_fewer_jobs_and_frozen_jobs_stay() {
    let pb = generate(&ScenarioSpec::farm(5, 30, 3));
    let first = solve(&pb, &opts(1)).unwrap();
    let next = with_rush(&pb);
    let free = solve(&next, &opts(2)).unwrap();
    let mut stable_pb = next.clone();
    stable_pb.stability = Some(Stability {
        previous: previous(&first),
        freeze_until: 500,
        horizon: 100_000,
        penalty: 500.0,
        tolerance: 30,
    });
    let stable = solve(&stable_pb, &opts(2)).unwrap();
    check(&stable_pb, &stable).unwrap();
    let report = stable.stability.unwrap();
    // Every job of the first plan starting before minute 500 (the first shift starts at 360) is frozen and kept as it was.
    let frozen: Vec<_> = first.assignments.iter().filter(|a| a.start < 500).collect();
    assert_eq!(report.frozen, frozen.len());
    assert!(!frozen.is_empty());
    for f in &frozen {
        let a = stable.assignments.iter().find(|a| a.job == f.job).unwrap();
        assert_eq!((&a.printer, a.start, a.end), (&f.printer, f.start, f.end));
        assert_eq!(a.reason.as_ref().unwrap().printer, "frozen");
    }
    // The penalty is what the plan pays for its moves, and it moves at most as many jobs as a
    // re-plan that ignores the previous plan.
    assert_eq!(stable.objective.stability, 500.0 * report.moved as f64);
    let mut free_pb = stable_pb.clone();
    free_pb.stability.as_mut().unwrap().penalty = 0.0;
    free_pb.stability.as_mut().unwrap().freeze_until = 0;
    let free_report = gantry_solver::solve(&free_pb, &opts(2))
        .unwrap()
        .stability
        .unwrap();
    assert!(report.moved <= free_report.moved, "{report:?} vs {free_report:?}");
    assert!(free.assignments.len() == stable.assignments.len());
    // Leaving a frozen job out (or moving it) is a violation.
    let mut bad = stable.clone();
    let k = bad
        .assignments
        .iter()
        .position(|a| a.job == frozen[0].job)
        .unwrap();
    let a = bad.assignments.remove(k);
    bad.unscheduled.push(gantry_solver::Unscheduled {
        job: a.job,
        reason: "test".into(),
    });
    assert!(matches!(check(&stable_pb, &bad), Err(Violation::Frozen { .. })));
}

#[test]
fn the_penalty_is_paid_exactly_for_moved_jobs() {
    // Two printers; J1 was on P1 at 0. With P1 now slower than P2, moving J1 pays 50.
    let pb = |penalty: f64| {
        Problem::from_json(
            &json!({
                "printers": [{"id": "P1"}, {"id": "P2"}],
                "setup_classes": ["A"],
                "jobs": [{"id": "J1", "setup_class": "A", "durations": {"P1": 100, "P2": 40}, "due": 40}],
                "objective": {"weighted_tardiness": 1},
                "stability": {"previous": [{"job": "J1", "printer": "P1", "start": 0, "end": 100}],
                              "horizon": 600, "penalty": penalty, "tolerance": 10}
            })
            .to_string(),
        )
        .unwrap()
    };
    // Tardiness on P1: 60 > 50: it moves and pays.
    let plan = solve(&pb(50.0), &opts(1)).unwrap();
    check(&pb(50.0), &plan).unwrap();
    assert_eq!(plan.assignments[0].printer, "P2");
    assert_eq!(plan.objective.stability, 50.0);
    assert_eq!(plan.objective.value, 50.0);
    assert_eq!(plan.stability.unwrap().moved, 1);
    // A penalty of 70 keeps it on P1 (tardiness 60).
    let plan = solve(&pb(70.0), &opts(1)).unwrap();
    check(&pb(70.0), &plan).unwrap();
    assert_eq!(plan.assignments[0].printer, "P1");
    assert_eq!(plan.objective.value, 60.0);
    assert_eq!(plan.stability.unwrap().moved, 0);
    // A plan that hides the penalty is refused.
    let mut bad = solve(&pb(50.0), &opts(1)).unwrap();
    bad.objective.stability = 0.0;
    bad.objective.value = 0.0;
    assert!(matches!(
        check(&pb(50.0), &bad),
        Err(Violation::Objective {
            field: "stability",
            ..
        })
    ));
}

#[test]
fn contradictory_stability_input_names_the_field() {
    let base = json!({
        "printers": [{"id": "P1"}, {"id": "P2"}],
        "setup_classes": ["A"],
        "jobs": [{"id": "J1", "setup_class": "A", "durations": {"P1": 100}},
                 {"id": "J2", "setup_class": "A", "durations": {"P1": 100, "P2": 100}}],
        "stability": {"previous": [], "freeze_until": 60, "horizon": 600, "penalty": 5}
    });
    let err = |prev: serde_json::Value, patch: &dyn Fn(&mut serde_json::Value)| -> ProblemError {
        let mut v = base.clone();
        v["stability"]["previous"] = prev;
        patch(&mut v);
        Problem::from_json(&v.to_string()).unwrap_err()
    };
    let none = |_: &mut serde_json::Value| {};
    // Frozen on a printer that cannot run it.
    let e = err(json!([{"job": "J1", "printer": "P2", "start": 0}]), &none);
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "stability.previous[J1].printer"),
        "{e}"
    );
    // Two frozen jobs overlapping on P1.
    let e = err(
        json!([{"job": "J1", "printer": "P1", "start": 0}, {"job": "J2", "printer": "P1", "start": 50}]),
        &none,
    );
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "stability.previous[J2].start"),
        "{e}"
    );
    // The soft horizon ends before the hard freeze window.
    let e = err(json!([]), &|v| v["stability"]["horizon"] = json!(30));
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "stability.horizon"),
        "{e}"
    );
    let e = err(json!([]), &|v| v["stability"]["penalty"] = json!(-1));
    assert!(
        matches!(&e, ProblemError::BadWeight { field, .. } if field == "stability.penalty"),
        "{e}"
    );
    let e = err(json!([{"job": "J1", "printer": "P9", "start": 0}]), &none);
    assert!(
        matches!(&e, ProblemError::UnknownPrinter { field, .. } if field == "stability.previous[J1].printer"),
        "{e}"
    );
    let e = err(
        json!([{"job": "J2", "printer": "P1", "start": 200}, {"job": "J2", "printer": "P2", "start": 300}]),
        &none,
    );
    assert!(
        matches!(
            &e,
            ProblemError::DuplicateId {
                field: "stability.previous",
                ..
            }
        ),
        "{e}"
    );
    // A frozen job in a maintenance window.
    let e = err(json!([{"job": "J1", "printer": "P1", "start": 0}]), &|v| {
        v["printers"][0]["unavailable"] = json!([[50, 80]]);
    });
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "stability.previous[J1].start"),
        "{e}"
    );
    // Jobs no longer in the problem are ignored.
    let mut v = base.clone();
    v["stability"]["previous"] = json!([{"job": "GONE", "printer": "P9", "start": 0}]);
    assert!(Problem::from_json(&v.to_string()).is_ok());
}
