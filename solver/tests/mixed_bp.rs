//! Branch-and-price for mixed objectives (a makespan variable linked to the columns' ends) and
//! above 32 jobs (`u64` job sets): proved optima equal the DP's or a hand-computed optimum,
//! bounds stay below the optimum, plans pass `check`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{OBJECTIVES, later, value};
use std::time::{Duration, Instant};

use gantry_solver::plan::Sequences;
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Instance, ObjectiveWeights, Problem, bp, check, dp};
use serde_json::json;

const MIXED: [ObjectiveWeights; 2] = [
    OBJECTIVES[2],
    ObjectiveWeights {
        makespan: 2.0,
        weighted_tardiness: 0.0,
        setups: 0.1,
    },
];

#[test]
fn hand_made_mixed_optimum() {
    // Two identical printers; A-jobs of 30 min, B-jobs of 10 min, 4 min between classes;
    // objective makespan + setup minutes. Classes apart: 60 + 0; A+B on each: 44 + 8 = 52
    // (optimal: any plan with an A-job on each printer has both printers ≥ 30, and a printer
    // with both A-jobs ends ≥ 60).
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}, {"id": "P2"}],
            "setup_classes": ["A", "B"],
            "setup_times": {"P1": [[0, 4], [4, 0]], "P2": [[0, 4], [4, 0]]},
            "jobs": [
                {"id": "A1", "setup_class": "A", "durations": {"P1": 30, "P2": 30}},
                {"id": "A2", "setup_class": "A", "durations": {"P1": 30, "P2": 30}},
                {"id": "B1", "setup_class": "B", "durations": {"P1": 10, "P2": 10}},
                {"id": "B2", "setup_class": "B", "durations": {"P1": 10, "P2": 10}}
            ],
            "objective": {"makespan": 1, "setups": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    let start = Sequences {
        seqs: vec![vec![0, 1], vec![2, 3]],
        unscheduled: Vec::new(),
    };
    assert_eq!(value(&inst, &start), 60.0);
    let run = bp::solve_bp(&inst, &[0, 1, 2, 3], &start, 0.0, later(), 64 << 20).unwrap();
    assert!(run.proved);
    let best = run.improved.unwrap();
    assert_eq!(value(&inst, &best), 52.0);
    assert!((run.lower_bound - 52.0).abs() < 1e-6);
    check(&pb, &best.to_plan(&inst, "bp").unwrap()).unwrap();
}

/// Random small instances with mixed objectives: branch-and-price proves the DP's optimum.
#[test]
fn mixed_branch_and_price_equals_the_dp_on_random_instances() {
    let mut improved = 0;
    for seed in 0..14u64 {
        let mut spec = ScenarioSpec::farm(2 + seed as usize % 3, 7 + seed as usize % 4, 400 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.maintenance = seed % 3 != 0;
        spec.objective = MIXED[seed as usize % 2];
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        let start = gantry_solver::heuristic::construct(&inst);
        let run = bp::solve_bp(&inst, &jobs, &start, 0.0, later(), 256 << 20).unwrap();
        let v = run
            .improved
            .as_ref()
            .map_or(value(&inst, &start), |s| value(&inst, s));
        assert!(run.proved, "seed {seed}: not proved ({:?})", run.stats);
        assert!((v - opt_v).abs() < 1e-6, "seed {seed}: bp {v} vs dp {opt_v}");
        assert!(run.lower_bound <= opt_v + 1e-6, "seed {seed}");
        if let Some(s) = &run.improved {
            improved += 1;
            check(&pb, &s.to_plan(&inst, "bp").unwrap()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
    assert!(improved > 0);
}

/// Interrupted mixed runs: the bound stays ≤ the optimum.
#[test]
fn mixed_bound_of_an_interrupted_run_is_below_the_optimum() {
    for seed in 0..4u64 {
        let mut spec = ScenarioSpec::farm(3, 10, 470 + seed);
        spec.classes = 3;
        spec.objective = MIXED[seed as usize % 2];
        let inst = Instance::new(&generate(&spec)).unwrap();
        let jobs: Vec<usize> = (0..inst.n_jobs).collect();
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        for ms in [0u64, 3, 30] {
            let start = gantry_solver::heuristic::construct(&inst);
            let run = bp::solve_bp(
                &inst,
                &jobs,
                &start,
                0.0,
                Instant::now() + Duration::from_millis(ms),
                64 << 20,
            )
            .unwrap();
            assert!(run.lower_bound <= opt_v + 1e-6, "seed {seed} {ms} ms");
        }
    }
}

/// The LNS sub-problem with a makespan floor (the other printers' makespan) and a mixed
/// objective: branch-and-price equals the sub-problem DP.
#[test]
fn mixed_sub_problem_with_a_makespan_floor_equals_the_sub_dp() {
    let mut checked = 0;
    for seed in 0..10u64 {
        let mut spec = ScenarioSpec::farm(3, 14, 720 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.objective = MIXED[seed as usize % 2];
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let start = gantry_solver::heuristic::construct(&inst);
        assert!(start.unscheduled.is_empty());
        let printers = vec![0usize, 1];
        let (starts, suffixes, middles, jobs) = common::middle_sub(&inst, &start.seqs, &printers);
        if jobs.is_empty() || jobs.len() > 11 {
            continue;
        }
        // The third printer's makespan is the floor.
        let floor = gantry_solver::plan::eval_seq(&inst, 2, start.seqs[2].iter().copied())
            .unwrap()
            .cmax;
        let sub = dp::Sub {
            printers: printers.clone(),
            starts,
            suffixes,
            makespan_floor: floor,
        };
        let sub_value = |m: &[Vec<usize>]| -> f64 {
            let mut total = 0.0;
            let mut cmax = floor;
            for (i, &p) in printers.iter().enumerate() {
                let mut c = sub.starts[i];
                for &j in m[i].iter().chain(sub.suffixes[i].iter()) {
                    c.push(&inst, p, j).unwrap();
                }
                total += c.cost(&inst);
                cmax = cmax.max(c.cmax);
            }
            total + inst.w_makespan * cmax as f64
        };
        let dp_m = dp::solve_sub(&inst, &sub, &jobs, later(), usize::MAX).unwrap();
        let run =
            bp::solve_sub_bp(&inst, &sub, &jobs, &middles, f64::NEG_INFINITY, later(), 64 << 20).unwrap();
        assert!(run.proved, "seed {seed}");
        let bp_m = run.improved.map_or(middles.clone(), |s| s.seqs);
        let (a, b) = (sub_value(&dp_m), sub_value(&bp_m));
        assert!((a - b).abs() < 1e-6, "seed {seed}: dp {a} vs bp {b}");
        assert!(run.lower_bound <= a + 1e-6);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} sub-problems");
}

/// 40 jobs on 4 printers (job sets beyond 32 bits): each printer runs its own 10 jobs, 5 of
/// class A and 5 of class B, 7 minutes between classes, empty at the start. The optimum of the
/// setup minutes is one change per printer, 28; from an alternating plan (9 changes each)
/// branch-and-price finds and proves it.
fn forty_jobs() -> Problem {
    let printers: Vec<_> = (1..=4).map(|p| json!({"id": format!("P{p}")})).collect();
    let mut setup = serde_json::Map::new();
    for p in 1..=4 {
        setup.insert(format!("P{p}"), json!([[0, 7], [7, 0]]));
    }
    let mut jobs = Vec::new();
    for p in 1..=4 {
        for i in 0..10 {
            let class = if i % 2 == 0 { "A" } else { "B" };
            jobs.push(json!({"id": format!("J{p}-{i}"), "setup_class": class,
                             "durations": {format!("P{p}"): 20 + i}}));
        }
    }
    Problem::from_json(
        &json!({"printers": printers, "setup_classes": ["A", "B"], "setup_times": setup,
                "jobs": jobs, "objective": {"setups": 1}})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn forty_jobs_are_proved_optimal() {
    let pb = forty_jobs();
    let inst = Instance::new(&pb).unwrap();
    let start = Sequences {
        seqs: (0..4).map(|p| (p * 10..p * 10 + 10).collect()).collect(),
        unscheduled: Vec::new(),
    };
    assert_eq!(value(&inst, &start), 4.0 * 9.0 * 7.0);
    let jobs: Vec<usize> = (0..40).collect();
    let run = bp::solve_bp(&inst, &jobs, &start, 0.0, later(), 64 << 20).unwrap();
    assert!(run.proved, "{:?}", run.stats);
    let best = run.improved.unwrap();
    assert_eq!(value(&inst, &best), 28.0);
    check(&pb, &best.to_plan(&inst, "bp").unwrap()).unwrap();
}

/// A root label budget (`auto`'s measured size limit) that the root cannot meet: the run gives
/// up without a claim, keeps the incumbent's value as the best, and its bound stays the one it
/// was given; with a generous budget the same instance is proved.
#[test]
fn root_label_budget_gives_up_without_a_claim() {
    let mut spec = ScenarioSpec::farm(3, 10, 951);
    spec.classes = 3;
    spec.objective = OBJECTIVES[1];
    let inst = Instance::new(&generate(&spec)).unwrap();
    let jobs: Vec<usize> = (0..inst.n_jobs).collect();
    let start = gantry_solver::heuristic::construct(&inst);
    let limits = |labels| bp::BpLimits {
        deadline: later(),
        root_deadline: None,
        root_labels: Some(labels),
        max_bytes: 64 << 20,
        max_nodes: u64::MAX,
    };
    let cut = bp::solve_bp_with(&inst, &jobs, &start, 0.5, &limits(1)).unwrap();
    assert!(!cut.proved);
    assert!(cut.improved.is_none());
    assert_eq!(cut.lower_bound, 0.5);
    let full = bp::solve_bp_with(&inst, &jobs, &start, 0.0, &limits(u64::MAX)).unwrap();
    assert!(full.proved);
    let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
    let v = full
        .improved
        .as_ref()
        .map_or(value(&inst, &start), |s| value(&inst, s));
    assert!((v - opt_v).abs() < 1e-6);
}

/// Mixed instances of 11–13 jobs (the makespan window, the priced ends and the makespan
/// branching all at work): branch-and-price proves the DP's optimum, its plans pass `check`,
/// and started from the optimum it proves it without a better plan.
#[test]
fn mixed_branch_and_price_equals_the_dp_on_larger_instances() {
    for seed in 0..6u64 {
        let mut spec = ScenarioSpec::farm(3 + seed as usize % 2, 11 + seed as usize % 3, 830 + seed);
        spec.classes = 3 + seed as usize % 2;
        spec.shifts = seed % 2 == 1;
        spec.objective = if seed % 3 == 2 { MIXED[1] } else { MIXED[0] };
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt = dp::solve_dp(&inst, &jobs, later()).unwrap();
        let opt_v = value(&inst, &opt);
        let start = gantry_solver::heuristic::construct(&inst);
        let run = bp::solve_bp(&inst, &jobs, &start, 0.0, later(), 256 << 20).unwrap();
        assert!(run.proved, "seed {seed}: not proved ({:?})", run.stats);
        let best = run.improved.clone().unwrap_or(start);
        assert!(
            (value(&inst, &best) - opt_v).abs() < 1e-6,
            "seed {seed}: bp {} vs dp {opt_v}",
            value(&inst, &best)
        );
        assert!(run.lower_bound <= opt_v + 1e-6, "seed {seed}");
        check(&pb, &best.to_plan(&inst, "bp").unwrap()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // From the optimum: proved, nothing better, the bound is the optimum.
        let again = bp::solve_bp(&inst, &jobs, &opt, 0.0, later(), 256 << 20).unwrap();
        assert!(again.proved, "seed {seed}: optimum not proved");
        assert!(
            again.improved.is_none(),
            "seed {seed}: better than the DP optimum?"
        );
        assert!(
            (again.lower_bound - opt_v).abs() < 1e-6 * opt_v.max(1.0),
            "seed {seed}"
        );
    }
}

/// Mixed runs cut after a fixed number of nodes (inside the makespan window's feasibility
/// search, at the root, in the tree): the bound never exceeds the optimum and every plan they
/// return is valid and no better than it.
#[test]
fn mixed_bound_of_a_node_capped_run_is_below_the_optimum() {
    for seed in 0..5u64 {
        let mut spec = ScenarioSpec::farm(3, 11, 910 + seed);
        spec.classes = 3;
        spec.objective = MIXED[seed as usize % 2];
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        let start = gantry_solver::heuristic::construct(&inst);
        for max_nodes in [1u64, 2, 3, 5, 8, 13, 40] {
            let limits = bp::BpLimits {
                deadline: later(),
                root_deadline: None,
                root_labels: None,
                max_bytes: 64 << 20,
                max_nodes,
            };
            let run = bp::solve_bp_with(&inst, &jobs, &start, 0.0, &limits).unwrap();
            assert!(
                run.lower_bound <= opt_v + 1e-6,
                "seed {seed}, {max_nodes} nodes: bound {} > optimum {opt_v}",
                run.lower_bound
            );
            if let Some(s) = &run.improved {
                assert!(value(&inst, s) >= opt_v - 1e-6);
                check(&pb, &s.to_plan(&inst, "bp").unwrap()).unwrap();
            }
            if run.proved {
                let v = run
                    .improved
                    .as_ref()
                    .map_or(value(&inst, &start), |s| value(&inst, s));
                assert!(
                    (v - opt_v).abs() < 1e-6,
                    "seed {seed}: proved {v}, optimum {opt_v}"
                );
            }
        }
    }
}

/// A memory budget too small for some nodes' exact pricing: below the root such a node branches
/// on its unconverged LP instead of giving up. Whatever each run returns, its bound stays below
/// the DP's optimum, its plans are valid and no better than it, and a proof is the optimum.
#[test]
fn nodes_over_the_memory_budget_branch_without_a_wrong_claim() {
    let mut stalled_and_proved = 0;
    for seed in 0..8u64 {
        let mut spec = ScenarioSpec::farm(3, 12 + seed as usize % 2, 960 + seed);
        spec.classes = 3;
        spec.objective = if seed % 2 == 0 { MIXED[0] } else { OBJECTIVES[1] };
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt_v = value(&inst, &dp::solve_dp(&inst, &jobs, later()).unwrap());
        let start = gantry_solver::heuristic::construct(&inst);
        for labels in [1_500usize, 3_000, 6_000, 12_000] {
            let Some(run) = bp::solve_bp(&inst, &jobs, &start, 0.0, later(), labels * bp::LABEL_BYTES) else {
                continue;
            };
            let tol = 1e-6 * opt_v.abs().max(1.0);
            assert!(
                run.lower_bound <= opt_v + tol,
                "seed {seed}, {labels}: {} > {opt_v}",
                run.lower_bound
            );
            let best = run.improved.clone().unwrap_or_else(|| start.clone());
            let v = value(&inst, &best);
            assert!(v >= opt_v - tol, "seed {seed}, {labels}: {v} < {opt_v}");
            check(&pb, &best.to_plan(&inst, "bp").unwrap()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            if run.proved {
                assert!(
                    (v - opt_v).abs() <= tol,
                    "seed {seed}, {labels}: proved {v}, optimum {opt_v}"
                );
                if run.stats.stalled > 0 {
                    stalled_and_proved += 1;
                }
            }
        }
    }
    assert!(
        stalled_and_proved > 0,
        "no run branched over the budget and still proved"
    );
}
