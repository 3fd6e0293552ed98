//! One small hand-made instance per constraint, with a known optimum. Every method must produce a
//! plan that passes `check`; the exact methods must reach the optimum.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_solver::{Method, Plan, Problem, SolveOptions, Status, check, solve};
use serde_json::json;

fn problem(v: serde_json::Value) -> Problem {
    Problem::from_json(&v.to_string()).unwrap()
}

fn opts(method: Method) -> SolveOptions {
    SolveOptions {
        time_limit: 30.0,
        method,
        seed: 7,
        max_iterations: Some(3000),
    }
}

/// Solve with every method; all plans must check; milp/heuristic/auto must hit `optimum`.
fn assert_optimum(pb: &Problem, optimum: f64) -> Plan {
    let mut milp_plan = None;
    for m in [Method::Greedy, Method::Heuristic, Method::Milp, Method::Auto] {
        let plan = solve(pb, &opts(m)).unwrap();
        let report = check(pb, &plan).unwrap_or_else(|v| panic!("{m:?}: {v}\n{}", plan.to_json()));
        assert!((report.value - plan.objective.value).abs() < 1e-9);
        assert!(
            plan.lower_bound <= optimum + 1e-6,
            "{m:?}: bound {} above optimum {optimum}",
            plan.lower_bound
        );
        if m != Method::Greedy {
            assert!(
                (plan.objective.value - optimum).abs() < 1e-6,
                "{m:?}: value {} != optimum {optimum}\n{}",
                plan.objective.value,
                plan.to_json()
            );
        } else {
            assert!(plan.objective.value >= optimum - 1e-6);
        }
        if m == Method::Milp {
            assert_eq!(plan.status, Status::Optimal, "{}", plan.to_json());
            assert_eq!(plan.gap, 0.0);
            milp_plan = Some(plan);
        }
    }
    milp_plan.unwrap()
}

fn job_of<'a>(plan: &'a Plan, id: &str) -> &'a gantry_solver::Assignment {
    plan.assignments.iter().find(|a| a.job == id).unwrap()
}

#[test]
fn eligibility_and_speeds() {
    // J1 only on P2; J2 is fast on P1. Optimum: J2 on P1 (0–30), J1 on P2 (0–50), J3 on P1 (30–60).
    let pb = problem(json!({
        "printers": [{"id": "P1"}, {"id": "P2"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "J1", "setup_class": "A", "durations": {"P2": 50}},
            {"id": "J2", "setup_class": "A", "durations": {"P1": 30, "P2": 60}},
            {"id": "J3", "setup_class": "A", "durations": {"P1": 30, "P2": 45}}
        ]
    }));
    let plan = assert_optimum(&pb, 60.0);
    assert_eq!(job_of(&plan, "J1").printer, "P2");
}

#[test]
fn sequence_dependent_setups_group_classes() {
    // One printer, A→B and B→A cost 10; grouping pays one changeover. Initial class B: B jobs first.
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": "B"}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 10], [10, 0]]},
        "jobs": [
            {"id": "a1", "setup_class": "A", "durations": {"P1": 10}},
            {"id": "b1", "setup_class": "B", "durations": {"P1": 10}},
            {"id": "a2", "setup_class": "A", "durations": {"P1": 10}},
            {"id": "b2", "setup_class": "B", "durations": {"P1": 10}}
        ],
        "objective": {"makespan": 1, "setups": 1}
    }));
    let plan = assert_optimum(&pb, 50.0 + 10.0);
    assert_eq!(plan.objective.setups, 10);
    let a = job_of(&plan, "a1");
    assert!(a.start >= 30 && job_of(&plan, "b1").start < 30);
}

#[test]
fn asymmetric_setups_and_initial_class_null() {
    // A→B 5, B→A 30: with no initial class the first job is free, so order A then B.
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": null}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 5], [30, 0]]},
        "jobs": [
            {"id": "b", "setup_class": "B", "durations": {"P1": 10}},
            {"id": "a", "setup_class": "A", "durations": {"P1": 10}}
        ]
    }));
    let plan = assert_optimum(&pb, 25.0);
    assert_eq!(job_of(&plan, "a").setup, 0);
    assert_eq!(job_of(&plan, "b").setup, 5);
}

#[test]
fn release_dates() {
    // J1 released at 100; J2 (50 min) fills the gap: makespan 110.
    let pb = problem(json!({
        "printers": [{"id": "P1"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "J1", "setup_class": "A", "durations": {"P1": 10}, "release": 100},
            {"id": "J2", "setup_class": "A", "durations": {"P1": 50}}
        ]
    }));
    let plan = assert_optimum(&pb, 110.0);
    assert_eq!(job_of(&plan, "J1").start, 100);
}

#[test]
fn release_applies_to_setup_too() {
    // The job (with a 20-min setup) may not be loaded before its release at 50.
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": "A"}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 20], [20, 0]]},
        "jobs": [{"id": "J", "setup_class": "B", "durations": {"P1": 10}, "release": 50}]
    }));
    let plan = assert_optimum(&pb, 80.0);
    assert_eq!(job_of(&plan, "J").start, 70);
}

#[test]
fn maintenance_windows() {
    // Down [30, 60]: the 20-min job runs first, the 40-min job after the window: makespan 100.
    let pb = problem(json!({
        "printers": [{"id": "P1", "unavailable": [[30, 60]]}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "long", "setup_class": "A", "durations": {"P1": 40}},
            {"id": "short", "setup_class": "A", "durations": {"P1": 20}}
        ]
    }));
    let plan = assert_optimum(&pb, 100.0);
    assert_eq!(job_of(&plan, "long").start, 60);
}

#[test]
fn maintenance_window_blocks_setup() {
    // The setup (10) + print (10) block cannot straddle the window [15, 25].
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": "A", "available_from": 5, "unavailable": [[15, 25]]}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 10], [10, 0]]},
        "jobs": [{"id": "J", "setup_class": "B", "durations": {"P1": 10}}]
    }));
    let plan = assert_optimum(&pb, 45.0);
    assert_eq!(job_of(&plan, "J").start, 35);
}

#[test]
fn operator_shifts_loading_and_bed_clearing() {
    // Shifts [0,100] and [200,300]. Two 150-min jobs: the first ends at 150, unattended, so the bed
    // is cleared at 200; the second runs 200–350.
    let pb = problem(json!({
        "printers": [{"id": "P1"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "J1", "setup_class": "A", "durations": {"P1": 150}},
            {"id": "J2", "setup_class": "A", "durations": {"P1": 150}}
        ],
        "operator_shifts": [[0, 100], [200, 300]]
    }));
    let plan = assert_optimum(&pb, 350.0);
    let mut starts: Vec<i64> = plan.assignments.iter().map(|a| a.start).collect();
    starts.sort();
    assert_eq!(starts, vec![0, 200]);
}

#[test]
fn operator_shift_end_is_inclusive() {
    // Shift [0, 100]: a 100-min job ends at 100, still staffed, so the next loads at 100.
    // A job released at 101 must wait for the next shift at 500.
    let pb = problem(json!({
        "printers": [{"id": "P1"}, {"id": "P2"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "J1", "setup_class": "A", "durations": {"P1": 100}},
            {"id": "J2", "setup_class": "A", "durations": {"P1": 10}},
            {"id": "J3", "setup_class": "A", "durations": {"P2": 10}, "release": 101}
        ],
        "operator_shifts": [[0, 100], [500, 600]]
    }));
    let plan = assert_optimum(&pb, 510.0);
    assert_eq!(job_of(&plan, "J3").start, 500);
    assert!(job_of(&plan, "J2").start == 100 || job_of(&plan, "J2").start == 0);
}

#[test]
fn shifts_apply_to_setup_start() {
    // The load moment is the setup start: with shift [0, 5] and a 10-min setup, loading at 0 is
    // fine even though printing starts at 10.
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": "A"}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 10], [10, 0]]},
        "jobs": [{"id": "J", "setup_class": "B", "durations": {"P1": 10}}],
        "operator_shifts": [[0, 5]]
    }));
    let plan = assert_optimum(&pb, 20.0);
    assert_eq!(job_of(&plan, "J").start, 10);
}

#[test]
fn weighted_tardiness() {
    // A (30 min, due 30, w 1), B (10 min, due 10, w 5): B first costs 10, A first costs 150.
    let pb = problem(json!({
        "printers": [{"id": "P1"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "A", "setup_class": "A", "durations": {"P1": 30}, "due": 30, "weight": 1},
            {"id": "B", "setup_class": "A", "durations": {"P1": 10}, "due": 10, "weight": 5}
        ],
        "objective": {"makespan": 0, "weighted_tardiness": 1, "setups": 0}
    }));
    let plan = assert_optimum(&pb, 10.0);
    assert_eq!(job_of(&plan, "B").start, 0);
    assert_eq!(plan.objective.weighted_tardiness, 10.0);
}

#[test]
fn real_weights_mix() {
    // Tardiness + 0.1 × setup minutes. Grouping saves 2×20 setup minutes (4.0) but makes the
    // urgent B job 10 min late (10.0), so the optimum interleaves: value 0.1 × 40 = 4.0.
    let pb = problem(json!({
        "printers": [{"id": "P1", "initial_setup_class": "A"}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 20], [20, 0]]},
        "jobs": [
            {"id": "a1", "setup_class": "A", "durations": {"P1": 10}, "due": 10},
            {"id": "b1", "setup_class": "B", "durations": {"P1": 10}, "due": 40},
            {"id": "a2", "setup_class": "A", "durations": {"P1": 10}, "due": 1000}
        ],
        "objective": {"makespan": 0, "weighted_tardiness": 1, "setups": 0.1}
    }));
    // a1 (0–10), b1 (setup 20, 30–40), a2 (setup 20, 60–70): value 4.0.
    // Alternative a1, a2, b1: b1 ends 50, 10 late, setups 20 → 12.0.
    assert_optimum(&pb, 4.0);
}

#[test]
fn available_from_delays_a_printer() {
    let pb = problem(json!({
        "printers": [{"id": "P1", "available_from": 100}, {"id": "P2"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "J1", "setup_class": "A", "durations": {"P1": 10, "P2": 80}},
            {"id": "J2", "setup_class": "A", "durations": {"P1": 10, "P2": 80}}
        ]
    }));
    // P1 runs both 100–120 (makespan 120) vs one on P2 (80) and one on P1 (110): 110.
    assert_optimum(&pb, 110.0);
}

#[test]
fn unschedulable_jobs_are_reported_and_the_rest_planned() {
    let pb = problem(json!({
        "printers": [{"id": "P1"}],
        "setup_classes": ["A"],
        "jobs": [
            {"id": "nowhere", "setup_class": "A", "durations": {}},
            {"id": "too-long", "setup_class": "A", "durations": {"P1": 500}},
            {"id": "ok", "setup_class": "A", "durations": {"P1": 50}}
        ],
        "horizon": 400
    }));
    for m in [Method::Greedy, Method::Heuristic, Method::Milp, Method::Auto] {
        let plan = solve(&pb, &opts(m)).unwrap();
        check(&pb, &plan).unwrap();
        assert_eq!(plan.status, Status::Infeasible);
        assert_eq!(plan.assignments.len(), 1);
        let reasons: Vec<(&str, &str)> = plan
            .unscheduled
            .iter()
            .map(|u| (u.job.as_str(), u.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].0 == "nowhere" && reasons[0].1.contains("no printer"));
        assert!(reasons[1].0 == "too-long" && reasons[1].1.contains("horizon"));
        assert_eq!(plan.objective.makespan, 50);
    }
}

#[test]
fn no_shift_left_means_unscheduled() {
    let pb = problem(json!({
        "printers": [{"id": "P1"}],
        "setup_classes": ["A"],
        "jobs": [{"id": "late", "setup_class": "A", "durations": {"P1": 5}, "release": 1000}],
        "operator_shifts": [[0, 100]]
    }));
    let plan = solve(&pb, &opts(Method::Auto)).unwrap();
    check(&pb, &plan).unwrap();
    assert_eq!(plan.unscheduled.len(), 1);
    assert!(plan.unscheduled[0].reason.contains("operator shift"));
}

#[test]
fn exact_on_a_twelve_job_instance_and_bound_below_optimum() {
    let spec = gantry_solver::scenario::ScenarioSpec {
        printers: 3,
        jobs: 12,
        classes: 4,
        shifts: false,
        maintenance: false,
        due_dates: true,
        objective: gantry_solver::ObjectiveWeights {
            makespan: 1.0,
            weighted_tardiness: 0.0,
            setups: 0.0,
        },
        seed: 3,
    };
    let pb = gantry_solver::scenario::generate(&spec);
    let milp = solve(
        &pb,
        &SolveOptions {
            time_limit: 60.0,
            method: Method::Milp,
            seed: 1,
            max_iterations: Some(2000),
        },
    )
    .unwrap();
    check(&pb, &milp).unwrap();
    let heur = solve(&pb, &opts(Method::Heuristic)).unwrap();
    let greedy = solve(&pb, &opts(Method::Greedy)).unwrap();
    if milp.status == Status::Optimal {
        assert!(heur.lower_bound <= milp.objective.value + 1e-6);
        assert!(greedy.lower_bound <= milp.objective.value + 1e-6);
        assert!(heur.objective.value >= milp.objective.value - 1e-6);
    }
    assert!(milp.objective.value <= greedy.objective.value + 1e-6);
}
