//! Every planned job's reason (from the solver's own timing), the per-term bounds in the plan
//! JSON, and the setup bound's group cuts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_solver::bound;
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Instance, Method, Plan, Problem, SolveOptions, check, solve};
use serde_json::json;

fn opts() -> SolveOptions {
    SolveOptions {
        time_limit: 5.0,
        method: Method::Auto,
        seed: 1,
        max_iterations: Some(2_000),
    }
}

fn reason<'a>(plan: &'a Plan, job: &str) -> &'a gantry_solver::why::Reason {
    plan.assignments
        .iter()
        .find(|a| a.job == job)
        .unwrap()
        .reason
        .as_ref()
        .unwrap()
}

#[test]
fn each_job_says_why_it_is_where_it_is() {
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1", "initial_setup_class": "PLA"},
                         {"id": "P2", "initial_setup_class": "PETG"},
                         {"id": "P3", "unavailable": [[0, 500]]}],
            "setup_classes": ["PLA", "PETG"],
            "setup_times": {"P1": [[0, 30], [30, 0]], "P2": [[0, 30], [30, 0]], "P3": [[0, 30], [30, 0]]},
            "jobs": [
                // Only P3 can print it, and P3 is in maintenance until 500: late because of it.
                {"id": "ONLY", "setup_class": "PLA", "durations": {"P3": 60}, "due": 100},
                // PETG is loaded on P2.
                {"id": "LOADED", "setup_class": "PETG", "durations": {"P1": 60, "P2": 60}, "due": 1000},
                // Released at 400 with a due date of 420: late because of its release.
                {"id": "RELEASE", "setup_class": "PLA", "durations": {"P1": 50}, "release": 400, "due": 420},
                // Two long PLA jobs for P1 due at 100: one of them waits for the other.
                {"id": "CAP1", "setup_class": "PLA", "durations": {"P1": 90}, "due": 100},
                {"id": "CAP2", "setup_class": "PLA", "durations": {"P1": 90}, "due": 100}
            ],
            "objective": {"weighted_tardiness": 1, "setups": 0.1}
        })
        .to_string(),
    )
    .unwrap();
    let plan = solve(&pb, &opts()).unwrap();
    check(&pb, &plan).unwrap();
    assert!(plan.assignments.iter().all(|a| a.reason.is_some()));
    let only = reason(&plan, "ONLY");
    assert_eq!(only.printer, "only_printer", "{only:?}");
    assert_eq!(only.late.as_deref(), Some("maintenance"), "{only:?}");
    let loaded = reason(&plan, "LOADED");
    assert_eq!(loaded.printer, "material_loaded", "{loaded:?}");
    assert_eq!(loaded.late, None);
    assert_eq!(reason(&plan, "RELEASE").late.as_deref(), Some("release"));
    let caps: Vec<_> = ["CAP1", "CAP2"].iter().map(|j| reason(&plan, j)).collect();
    assert!(
        caps.iter().any(|r| r.late.as_deref() == Some("capacity")),
        "{caps:?}"
    );
    // The reasons and the per-term bounds travel in the plan's JSON.
    let v: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert!(v["assignments"][0]["reason"]["text"].is_string());
    for term in ["makespan", "weighted_tardiness", "setups", "total"] {
        assert!(v["bounds"][term]["gap"].is_number(), "{term}");
    }
    let back = Plan::from_json(&plan.to_json()).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn a_job_placed_for_its_earliest_finish_says_so() {
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "FAST"}, {"id": "SLOW"}],
            "setup_classes": ["A"],
            "jobs": [{"id": "J", "setup_class": "A", "durations": {"FAST": 30, "SLOW": 90}, "due": 40}],
            "objective": {"weighted_tardiness": 1}
        })
        .to_string(),
    )
    .unwrap();
    let plan = solve(&pb, &opts()).unwrap();
    let r = reason(&plan, "J");
    assert_eq!(plan.assignments[0].printer, "FAST");
    assert_eq!(r.printer, "earliest_finish", "{r:?}");
    assert!(r.text.contains("minute 90 on SLOW"), "{r:?}");
}

/// One printer must run two colours of two materials: a changeover between materials (20) is
/// unavoidable, which the entry relaxation without group cuts misses (it lets the colours of
/// each material enter each other: 3 × 5 = 15).
#[test]
fn group_cuts_charge_the_change_of_material() {
    let m = |purge: i64, swap: i64| -> Vec<Vec<i64>> {
        let mat = [0, 0, 1, 1];
        (0..4)
            .map(|a| {
                (0..4)
                    .map(|b| {
                        if a == b {
                            0
                        } else if mat[a] == mat[b] {
                            purge
                        } else {
                            swap
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let classes = ["PLA-black", "PLA-white", "PETG-black", "PETG-white"];
    let jobs: Vec<_> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"id": format!("J{i}"), "setup_class": c, "durations": {"P1": 30}}))
        .collect();
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}],
            "setup_classes": classes,
            "setup_times": {"P1": m(5, 20)},
            "jobs": jobs,
            "objective": {"setups": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    let present = vec![true; 4];
    assert_eq!(bound::setup::groups(&inst, 0, &present), vec![0, 0, 2, 2]);
    let all = vec![true; inst.n_jobs];
    assert_eq!(bound::lower_bound(&inst, &all, 1.0).setups, 30);
    let plan = solve(&pb, &opts()).unwrap();
    assert_eq!(plan.objective.setups, 30);
    assert_eq!(plan.gap, 0.0);
    // Equal changeovers: every class is its own group (no cut), and the bound is still right.
    let flat = Instance::new(
        &Problem::from_json(
            &json!({
                "printers": [{"id": "P1"}],
                "setup_classes": classes,
                "setup_times": {"P1": m(7, 7)},
                "jobs": pb.jobs,
                "objective": {"setups": 1}
            })
            .to_string(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(bound::setup::groups(&flat, 0, &present), vec![0, 1, 2, 3]);
    assert_eq!(bound::lower_bound(&flat, &all, 1.0).setups, 21);
}

/// On generated farms with a setup-only objective the plan built from the bound's solution is
/// a start of the search: the gap stays small, and every plan checks.
#[test]
fn setup_dominated_farms_have_a_small_gap() {
    for seed in 1..=2 {
        let mut spec = ScenarioSpec::farm(8, 60, seed);
        spec.objective.weighted_tardiness = 0.0;
        spec.objective.setups = 1.0;
        let pb = generate(&spec);
        let plan = solve(
            &pb,
            &SolveOptions {
                time_limit: 4.0,
                ..opts()
            },
        )
        .unwrap();
        check(&pb, &plan).unwrap();
        let b = plan.bounds.unwrap();
        assert!(b.setups.gap < 0.2, "seed {seed}: {b:?}");
    }
}
