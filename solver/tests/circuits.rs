//! Power circuits (limit in watts, heat-up rule) through the problem format, the solver and the
//! checker; validation errors name the field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_solver::scenario::{ScenarioSpec, add_circuits, generate};
use gantry_solver::{
    Circuit, Event, Job, Method, Power, Problem, ProblemError, SolveOptions, Status, Violation, check,
    repair, solve,
};
use serde_json::{Value, json};

fn farm(circuit: Value) -> Value {
    let printers: Vec<Value> = (1..=3)
        .map(|p| {
            json!({"id": format!("P{p}"),
                   "power": {"heatup_watts": 1000, "heatup_minutes": 10, "printing_watts": 200}})
        })
        .collect();
    let jobs: Vec<Value> = (1..=6)
        .map(|j| {
            json!({"id": format!("J{j}"), "setup_class": "A",
                   "durations": {"P1": 60, "P2": 60, "P3": 60}, "due": 60})
        })
        .collect();
    json!({
        "printers": printers,
        "setup_classes": ["A"],
        "jobs": jobs,
        "circuits": [circuit],
        "objective": {"makespan": 0, "weighted_tardiness": 1, "setups": 0}
    })
}

fn problem(v: &Value) -> Problem {
    Problem::from_json(&v.to_string()).unwrap()
}

fn opts() -> SolveOptions {
    SolveOptions {
        time_limit: 5.0,
        method: Method::Auto,
        seed: 1,
        max_iterations: Some(3_000),
    }
}

#[test]
fn a_power_limit_staggers_heat_ups_and_the_checker_agrees() {
    // 1 000 W heat-up, 200 W printing, 1 500 W breaker: one heat-up at a time (1 000 + 1 000 >
    // 1 500), and a heat-up next to two printing printers is 1 400 W.
    let pb = problem(&farm(
        json!({"id": "C1", "printers": ["P1", "P2", "P3"], "limit_watts": 1500}),
    ));
    let unconstrained = {
        let mut p = pb.clone();
        p.circuits.clear();
        solve(&p, &opts()).unwrap()
    };
    // Without the circuit the three printers start together, which the checker refuses here.
    assert!(matches!(
        check(&pb, &unconstrained),
        Err(Violation::Power { limit: 1500, .. })
    ));
    let plan = solve(&pb, &opts()).unwrap();
    check(&pb, &plan).unwrap();
    assert_eq!(plan.assignments.len(), 6);
    let mut starts: Vec<i64> = plan.assignments.iter().map(|a| a.start).collect();
    starts.sort_unstable();
    for w in starts.windows(2) {
        // Two heat-ups never overlap (2 000 W > 1 500 W).
        assert!(w[1] - w[0] >= 10, "{starts:?}");
    }
    // Staggered prints are late: they say it is the circuit.
    let delayed: Vec<_> = plan
        .assignments
        .iter()
        .filter(|a| a.reason.as_ref().unwrap().text.contains("circuit \"C1\""))
        .collect();
    assert!(!delayed.is_empty());
    assert!(plan.objective.weighted_tardiness > unconstrained.objective.weighted_tardiness);
    assert!(plan.lower_bound <= plan.objective.value);
    assert_ne!(plan.status, Status::Optimal);
}

#[test]
fn the_heat_up_rule_spaces_starts() {
    let pb = problem(&farm(json!({"id": "C1", "printers": ["P1", "P2", "P3"],
                                  "max_heatups": 2, "heatup_window": 15})));
    let plan = solve(&pb, &opts()).unwrap();
    check(&pb, &plan).unwrap();
    let mut starts: Vec<i64> = plan.assignments.iter().map(|a| a.start).collect();
    starts.sort_unstable();
    for i in 0..starts.len() - 2 {
        assert!(starts[i + 2] - starts[i] >= 15, "{starts:?}");
    }
    // A plan with three starts within 15 minutes is refused.
    let mut bad = pb.clone();
    bad.circuits[0].heatup_window = Some(200);
    assert!(matches!(
        check(&bad, &plan),
        Err(Violation::Heatups { max: 2, .. })
    ));
}

#[test]
fn circuits_on_a_generated_farm_check() {
    let mut pb = generate(&ScenarioSpec::farm(6, 30, 2));
    for p in &mut pb.printers {
        p.power = Some(Power {
            heatup_watts: 900,
            heatup_minutes: 12,
            printing_watts: 150,
        });
    }
    let ids: Vec<String> = pb.printers.iter().map(|p| p.id.clone()).collect();
    pb.circuits = vec![
        Circuit {
            id: "A".into(),
            printers: ids[..3].to_vec(),
            limit_watts: Some(1200),
            max_heatups: None,
            heatup_window: None,
        },
        Circuit {
            id: "B".into(),
            printers: ids[3..].to_vec(),
            limit_watts: None,
            max_heatups: Some(1),
            heatup_window: Some(20),
        },
    ];
    let pb = problem(&serde_json::to_value(&pb).unwrap());
    let plan = solve(
        &pb,
        &SolveOptions {
            time_limit: 3.0,
            ..opts()
        },
    )
    .unwrap();
    check(&pb, &plan).unwrap();
    assert!(plan.assignments.iter().all(|a| a.reason.is_some()));
}

fn invalid(v: Value) -> ProblemError {
    Problem::from_json(&v.to_string()).unwrap_err()
}

#[test]
fn bad_circuits_are_refused_naming_the_field() {
    let base = farm(json!({"id": "C1", "printers": ["P1", "P2"], "limit_watts": 1500}));
    // A limit below one printer's draw.
    let mut v = base.clone();
    v["circuits"][0]["limit_watts"] = json!(800);
    let e = invalid(v);
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "circuits[C1].limit_watts"),
        "{e}"
    );
    assert!(
        e.to_string().contains("below printer \"P1\"'s draw of 1000 W"),
        "{e}"
    );
    // Power data missing for a printer on a limited circuit.
    let mut v = base.clone();
    v["printers"][1].as_object_mut().unwrap().remove("power");
    let e = invalid(v);
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "printers[P2].power"),
        "{e}"
    );
    // A printer on two circuits.
    let mut v = base.clone();
    v["circuits"] = json!([{"id": "C1", "printers": ["P1"], "limit_watts": 1500},
                           {"id": "C2", "printers": ["P1"], "limit_watts": 1500}]);
    let e = invalid(v);
    assert!(
        matches!(&e, ProblemError::Invalid { field, .. } if field == "circuits[C2].printers"),
        "{e}"
    );
    // Unknown printer, zero limit, a count without a window, a duplicate circuit.
    let mut v = base.clone();
    v["circuits"][0]["printers"] = json!(["P9"]);
    assert!(
        matches!(invalid(v), ProblemError::UnknownPrinter { field, .. } if field == "circuits[C1].printers")
    );
    let mut v = base.clone();
    v["circuits"][0]["limit_watts"] = json!(0);
    assert!(
        matches!(invalid(v), ProblemError::NotPositive { field, .. } if field == "circuits[C1].limit_watts")
    );
    let mut v = base.clone();
    v["circuits"][0]["max_heatups"] = json!(2);
    assert!(
        matches!(invalid(v), ProblemError::Invalid { field, .. } if field == "circuits[C1].heatup_window")
    );
    let mut v = base.clone();
    v["circuits"] = json!([{"id": "C1", "printers": ["P1"]}, {"id": "C1", "printers": ["P2"]}]);
    assert!(matches!(
        invalid(v),
        ProblemError::DuplicateId {
            field: "circuits",
            ..
        }
    ));
    let mut v = base;
    v["printers"][0]["power"]["heatup_watts"] = json!(-5);
    assert!(
        matches!(invalid(v), ProblemError::Negative { field, .. } if field == "printers[P1].power.heatup_watts")
    );
}

/// Events that make a repair re-time the jobs that are not started yet.
fn events(pb: &Problem) -> Vec<Event> {
    let mut job = pb.jobs[0].clone();
    job.id = "J9".into();
    job.due = Some(30);
    vec![
        Event::JobAdded {
            at: 5,
            job: job.clone(),
        },
        Event::JobAdded {
            at: 5,
            job: Job {
                id: "J10".into(),
                ..job
            },
        },
        Event::PrinterDown {
            at: 5,
            printer: "P1".into(),
            until: None,
        },
        Event::JobCancelled {
            at: 5,
            job: "J1".into(),
        },
    ]
}

#[test]
fn repair_keeps_a_tight_circuit_within_its_limit_and_the_checker_agrees() {
    // One heat-up at a time on a 1 500 W circuit (1 000 W heat-ups).
    let pb = problem(&farm(
        json!({"id": "C1", "printers": ["P1", "P2", "P3"], "limit_watts": 1500}),
    ));
    let plan = solve(&pb, &opts()).unwrap();
    check(&pb, &plan).unwrap();
    let mut free = pb.clone();
    free.circuits.clear();
    for event in events(&pb) {
        for (time_limit, max_iterations) in [(0.0, Some(0)), (1.0, Some(2_000))] {
            let o = SolveOptions {
                time_limit,
                max_iterations,
                ..opts()
            };
            let r = repair(&pb, &plan, &event, &o).unwrap();
            check(&r.problem, &r.plan).unwrap_or_else(|e| panic!("{event:?}: {e}"));
            assert!(
                r.plan.unscheduled.is_empty(),
                "{event:?}: {:?}",
                r.plan.unscheduled
            );
            // The same repair without the circuit starts heat-ups together, which the circuit
            // refuses: the repair above respects the limit because it staggers.
            let unstaggered = repair(&free, &plan, &event, &o).unwrap();
            let mut on_circuit = unstaggered.problem.clone();
            on_circuit.circuits = pb.circuits.clone();
            if matches!(event, Event::JobAdded { .. }) {
                assert!(
                    matches!(
                        check(&on_circuit, &unstaggered.plan),
                        Err(Violation::Power { limit: 1500, .. })
                    ),
                    "{event:?}"
                );
            }
        }
    }
}

#[test]
fn repair_keeps_the_heat_up_rule() {
    let pb = problem(&farm(json!({"id": "C1", "printers": ["P1", "P2", "P3"],
                                  "max_heatups": 1, "heatup_window": 20})));
    let plan = solve(&pb, &opts()).unwrap();
    check(&pb, &plan).unwrap();
    for event in events(&pb) {
        let r = repair(&pb, &plan, &event, &opts()).unwrap();
        check(&r.problem, &r.plan).unwrap_or_else(|e| panic!("{event:?}: {e}"));
        let mut starts: Vec<i64> = r.plan.assignments.iter().map(|a| a.start).collect();
        starts.sort_unstable();
        for w in starts.windows(2) {
            assert!(w[1] - w[0] >= 20, "{event:?}: {starts:?}");
        }
    }
}

#[test]
fn the_final_plan_staggers_no_worse_than_the_constructive_plan() {
    // The search does not see the circuits: a plan it packs tighter may stagger worse than the
    // plan it started from, and `solve` then keeps the better of the two.
    let mut pb = generate(&ScenarioSpec::farm(20, 150, 1));
    add_circuits(&mut pb);
    let pb = problem(&serde_json::to_value(&pb).unwrap());
    let inst = gantry_solver::Instance::new(&pb).unwrap();
    let start = gantry_solver::heuristic::construct(&inst);
    let st = gantry_solver::power::stagger(&inst, &start);
    let constructive = gantry_solver::power::to_plan(&inst, &start, &st, "construct");
    for method in [Method::Heuristic, Method::Auto] {
        let plan = solve(
            &pb,
            &SolveOptions {
                method,
                max_iterations: Some(5_000),
                ..opts()
            },
        )
        .unwrap();
        check(&pb, &plan).unwrap();
        assert!(plan.unscheduled.len() <= constructive.unscheduled.len());
        if plan.unscheduled.len() == constructive.unscheduled.len() {
            assert!(
                plan.objective.value <= constructive.objective.value + 1e-9,
                "{method:?}: {} > {}",
                plan.objective.value,
                constructive.objective.value
            );
        }
    }
}
