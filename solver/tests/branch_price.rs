//! Branch-and-price (`gantry_solver::bp`): proved optima equal the DP's, bounds never exceed the
//! optimum, plans pass `check`, and the sub-problem version (fixed prefixes and suffixes) equals
//! the sub-problem DP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{OBJECTIVES, later, value};
use std::time::{Duration, Instant};

use gantry_solver::plan::Sequences;
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Instance, Problem, bp, check, dp};
use serde_json::json;

/// Runs branch-and-price from the construction heuristic's plan; returns (best value, run).
fn run_bp(inst: &Instance, deadline: Instant) -> (f64, bp::BpRun) {
    let start = gantry_solver::heuristic::construct(inst);
    assert!(start.unscheduled.is_empty());
    let jobs: Vec<usize> = (0..inst.n_jobs).collect();
    let run = bp::solve_bp(inst, &jobs, &start, 0.0, deadline, 256 << 20).unwrap();
    let best = run.improved.clone().unwrap_or(start);
    (value(inst, &best), run)
}

#[test]
fn hand_made_makespan_optimum() {
    // Two identical printers, jobs of 3, 3, 2, 2 minutes: the optimum is 5 (3+2 on each),
    // which the LP proves (total work 10 on 2 printers).
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}, {"id": "P2"}],
            "setup_classes": ["A"],
            "jobs": [
                {"id": "J1", "setup_class": "A", "durations": {"P1": 3, "P2": 3}},
                {"id": "J2", "setup_class": "A", "durations": {"P1": 3, "P2": 3}},
                {"id": "J3", "setup_class": "A", "durations": {"P1": 2, "P2": 2}},
                {"id": "J4", "setup_class": "A", "durations": {"P1": 2, "P2": 2}}
            ],
            "objective": {"makespan": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    // A bad incumbent: everything on P1 (makespan 10).
    let start = Sequences {
        seqs: vec![vec![0, 1, 2, 3], vec![]],
        unscheduled: Vec::new(),
    };
    let run = bp::solve_bp(&inst, &[0, 1, 2, 3], &start, 0.0, later(), 64 << 20).unwrap();
    assert!(run.proved);
    let best = run.improved.unwrap();
    assert_eq!(value(&inst, &best), 5.0);
    assert_eq!(run.lower_bound, 5.0);
}

#[test]
fn hand_made_tardiness_optimum() {
    // One printer, two jobs due at 10: J1 (10 min, weight 1), J2 (5 min, weight 3).
    // J2 first: J2 ends 5, J1 ends 15 → tardiness 5. J1 first: J2 ends 15 → 3·5 = 15.
    // A second, slow printer (J1: 30 min, J2: 20 min) does not help: J2 alone there ends at 20
    // (tardiness 30), J1 alone there ends at 30 (20). Optimum 5.
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}, {"id": "P2"}],
            "setup_classes": ["A"],
            "jobs": [
                {"id": "J1", "setup_class": "A", "durations": {"P1": 10, "P2": 30}, "due": 10, "weight": 1},
                {"id": "J2", "setup_class": "A", "durations": {"P1": 5, "P2": 20}, "due": 10, "weight": 3}
            ],
            "objective": {"weighted_tardiness": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    let start = Sequences {
        seqs: vec![vec![0, 1], vec![]],
        unscheduled: Vec::new(),
    };
    assert_eq!(value(&inst, &start), 15.0);
    let run = bp::solve_bp(&inst, &[0, 1], &start, 0.0, later(), 64 << 20).unwrap();
    assert!(run.proved);
    let best = run.improved.unwrap();
    assert_eq!(best.seqs, vec![vec![1, 0], vec![]]);
    assert_eq!(value(&inst, &best), 5.0);
}

/// Random small instances (shifts, maintenance, releases, due dates, setups): branch-and-price
/// proves the DP's optimum, its bound equals it, and its plan passes `check`.
#[test]
fn branch_and_price_equals_the_dp_on_random_instances() {
    let mut improved = 0;
    for seed in 0..16u64 {
        let obj = OBJECTIVES[seed as usize % 2];
        let mut spec = ScenarioSpec::farm(2 + seed as usize % 3, 7 + seed as usize % 4, 900 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.maintenance = seed % 3 != 0;
        spec.objective = obj;
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt = dp::solve_dp(&inst, &jobs, later()).unwrap();
        let opt_v = value(&inst, &opt);
        let start_v = value(&inst, &gantry_solver::heuristic::construct(&inst));
        let (v, run) = run_bp(&inst, later());
        assert!(run.proved, "seed {seed}: not proved ({:?})", run.stats);
        assert!((v - opt_v).abs() < 1e-6, "seed {seed}: bp {v} vs dp {opt_v}");
        assert!(
            run.lower_bound <= opt_v + 1e-6,
            "seed {seed}: bound {} > {opt_v}",
            run.lower_bound
        );
        assert!((run.lower_bound - opt_v).abs() < 1e-6);
        if let Some(s) = &run.improved {
            improved += 1;
            assert!(start_v > v);
            let plan = s.to_plan(&inst, "bp").unwrap();
            check(&pb, &plan).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
    // The construction is not optimal everywhere: the test must exercise improvement.
    assert!(improved > 0);
}

/// With too little time the run gives up, and the bound it reports is still ≤ the optimum.
#[test]
fn bound_of_an_interrupted_run_is_below_the_optimum() {
    for seed in 0..6u64 {
        let mut spec = ScenarioSpec::farm(3, 10, 950 + seed);
        spec.classes = 3;
        spec.objective = OBJECTIVES[seed as usize % 2];
        let inst = Instance::new(&generate(&spec)).unwrap();
        let jobs: Vec<usize> = (0..inst.n_jobs).collect();
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        for ms in [0u64, 2, 20] {
            let (v, run) = run_bp(&inst, Instant::now() + Duration::from_millis(ms));
            assert!(
                run.lower_bound <= opt_v + 1e-6,
                "seed {seed} {ms} ms: {} > {opt_v}",
                run.lower_bound
            );
            assert!(v >= opt_v - 1e-6);
            if run.proved {
                assert!((v - opt_v).abs() < 1e-6);
            }
        }
    }
}

/// The LNS sub-problem (fixed prefixes and suffixes on two printers) by branch-and-price equals
/// the sub-problem DP (itself tested against brute force).
#[test]
fn sub_problem_branch_and_price_equals_the_sub_dp() {
    let mut checked = 0;
    for seed in 0..10u64 {
        let mut spec = ScenarioSpec::farm(3, 16, 700 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.objective = OBJECTIVES[1];
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let start = gantry_solver::heuristic::construct(&inst);
        assert!(start.unscheduled.is_empty());
        let printers = vec![0usize, 1];
        let (starts, suffixes, middles, jobs) = common::middle_sub(&inst, &start.seqs, &printers);
        if jobs.is_empty() || jobs.len() > 12 {
            continue;
        }
        let sub = dp::Sub {
            printers: printers.clone(),
            starts,
            suffixes,
            makespan_floor: 0,
        };
        let sub_cost = |m: &[Vec<usize>]| -> f64 {
            let mut total = 0.0;
            for (i, &p) in printers.iter().enumerate() {
                let mut c = sub.starts[i];
                for &j in m[i].iter().chain(sub.suffixes[i].iter()) {
                    c.push(&inst, p, j).unwrap();
                }
                total += c.cost(&inst);
            }
            total
        };
        let dp_m = dp::solve_sub(&inst, &sub, &jobs, later(), usize::MAX).unwrap();
        let run =
            bp::solve_sub_bp(&inst, &sub, &jobs, &middles, f64::NEG_INFINITY, later(), 64 << 20).unwrap();
        assert!(run.proved, "seed {seed}");
        let bp_m = run.improved.map_or(middles.clone(), |s| s.seqs);
        let (a, b) = (sub_cost(&dp_m), sub_cost(&bp_m));
        assert!((a - b).abs() < 1e-6, "seed {seed}: dp {a} vs bp {b}");
        assert!(run.lower_bound <= a + 1e-6);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} sub-problems");
}

/// Benchmark-like farms (4 classes, shifts, maintenance, due dates) of 12 jobs on 3 printers:
/// branch-and-price proves the DP's optimum for both benchmark objectives.
#[test]
fn branch_and_price_equals_the_dp_on_twelve_job_farms() {
    for seed in 1..=4u64 {
        for obj in [OBJECTIVES[0], OBJECTIVES[1]] {
            let mut spec = ScenarioSpec::farm(3, 12, seed);
            spec.classes = 4;
            spec.objective = obj;
            let pb = generate(&spec);
            let inst = Instance::new(&pb).unwrap();
            let Some(jobs) = common::placeable_jobs(&inst) else {
                continue;
            };
            let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
            let (v, run) = run_bp(&inst, later());
            assert!(run.proved, "seed {seed} {obj:?}");
            assert!(
                (v - opt_v).abs() < 1e-6,
                "seed {seed} {obj:?}: bp {v} vs dp {opt_v}"
            );
            assert!(run.lower_bound <= opt_v + 1e-6);
        }
    }
}

/// With a tiny memory budget the pricing is cut short (cheap first attempts of 64 labels, and
/// the exact pricing itself may exceed 1024 labels): the run still proves the DP optimum or
/// gives up without a claim, and its bound stays below the optimum.
#[test]
fn truncated_pricing_keeps_proofs_and_bounds_valid() {
    let mut proved = 0;
    for seed in 0..10u64 {
        let mut spec = ScenarioSpec::farm(3, 10, 980 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.objective = OBJECTIVES[seed as usize % 2];
        let inst = Instance::new(&generate(&spec)).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        let start = gantry_solver::heuristic::construct(&inst);
        let run = bp::solve_bp(&inst, &jobs, &start, 0.0, later(), 128 << 10).unwrap();
        let v = run
            .improved
            .as_ref()
            .map_or(value(&inst, &start), |s| value(&inst, s));
        assert!(
            run.lower_bound <= opt_v + 1e-6,
            "seed {seed}: {} > {opt_v}",
            run.lower_bound
        );
        assert!(v >= opt_v - 1e-6);
        if run.proved {
            proved += 1;
            assert!(
                (v - opt_v).abs() < 1e-6,
                "seed {seed}: proved {v}, optimum {opt_v}"
            );
        }
    }
    assert!(proved > 0);
}
