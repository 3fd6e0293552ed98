//! Lower bounds per objective term (setup entries, tardiness with capacity) and `auto` using the
//! whole budget: hand-made instances with known optima, bounds never above the DP optimum, and
//! every plan passes `check`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use gantry_solver::bound::{self, tardiness};
use gantry_solver::heuristic::{self, Limits};
use gantry_solver::plan::Sequences;
use gantry_solver::rng::Rng;
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{
    Instance, Method, ObjectiveWeights, Problem, SolveOptions, Status, anytime, check, dp, solve,
    solve_report,
};
use serde_json::json;

fn later() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

fn all(inst: &Instance) -> Vec<bool> {
    vec![true; inst.n_jobs]
}

fn weights(makespan: f64, weighted_tardiness: f64, setups: f64) -> ObjectiveWeights {
    ObjectiveWeights {
        makespan,
        weighted_tardiness,
        setups,
    }
}

#[test]
fn hungarian_equals_brute_force() {
    let mut rng = Rng::new(7);
    for n in 1..=6usize {
        for _ in 0..20 {
            let m: Vec<f64> = (0..n * n).map(|_| rng.below(50) as f64).collect();
            let h = tardiness::hungarian(n, &|i, j| m[i * n + j]);
            // Brute force over permutations (Heap's algorithm).
            let mut perm: Vec<usize> = (0..n).collect();
            let mut best = f64::INFINITY;
            let mut c = vec![0usize; n];
            let eval = |p: &[usize]| (0..n).map(|i| m[i * n + p[i]]).sum::<f64>();
            best = best.min(eval(&perm));
            let mut i = 0;
            while i < n {
                if c[i] < i {
                    if i % 2 == 0 {
                        perm.swap(0, i);
                    } else {
                        perm.swap(c[i], i);
                    }
                    best = best.min(eval(&perm));
                    c[i] += 1;
                    i = 0;
                } else {
                    c[i] = 0;
                    i += 1;
                }
            }
            assert!((h - best).abs() < 1e-9, "n {n}: hungarian {h} vs {best}");
        }
    }
}

#[test]
fn completion_slots_fill_the_printers() {
    // Two printers free at 0 and 10; works 10, 10, 10: the first job ends ≥ 10, two jobs need
    // 20 minutes of capacity (T = 15: 15 + 5), three need 30 (T = 20: 20 + 10).
    assert_eq!(
        tardiness::completion_slots(&[10, 10, 10], &[0, 10]),
        vec![10, 15, 20]
    );
    assert_eq!(tardiness::completion_slots(&[5, 1], &[0]), vec![1, 6]);
}

#[test]
fn tardiness_bound_counts_capacity() {
    // One printer, three 10-minute jobs all due at 10: ends ≥ 10, 20, 30, so the weighted
    // tardiness is ≥ 0 + 10 + 20 = 30, which is the optimum. Alone, each job could end at 10.
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}],
            "setup_classes": ["A"],
            "jobs": [
                {"id": "J1", "setup_class": "A", "durations": {"P1": 10}, "due": 10},
                {"id": "J2", "setup_class": "A", "durations": {"P1": 10}, "due": 10},
                {"id": "J3", "setup_class": "A", "durations": {"P1": 10}, "due": 10, "weight": 2}
            ],
            "objective": {"weighted_tardiness": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    let b = bound::lower_bound(&inst, &all(&inst), 0.0);
    // Weighted: the heavy job first, then 10 + 20.
    assert_eq!(b.weighted_tardiness, 30.0);
    let plan = solve(&pb, &SolveOptions::default()).unwrap();
    assert_eq!(plan.objective.value, 30.0);
    assert_eq!(plan.status, Status::Optimal);
}

#[test]
fn setup_entry_bound_on_a_hand_made_farm() {
    // Each of 3 printers must run its own jobs of classes A and B (empty at the start, 7
    // minutes between classes): at least one change per printer, 21 in all (optimal). The
    // per-job least setup is 0 (same class before), so the old bound said 0.
    let mut jobs = Vec::new();
    for p in 1..=3 {
        for (i, class) in ["A", "B", "A", "B"].iter().enumerate() {
            jobs.push(json!({"id": format!("J{p}{i}"), "setup_class": class,
                             "durations": {format!("P{p}"): 30}}));
        }
    }
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}, {"id": "P2"}, {"id": "P3", "initial_setup_class": "B"}],
            "setup_classes": ["A", "B"],
            "setup_times": {"P1": [[0, 7], [7, 0]], "P2": [[0, 7], [7, 0]], "P3": [[0, 7], [7, 0]]},
            "jobs": jobs,
            "objective": {"setups": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    assert_eq!(bound::lower_bound(&inst, &all(&inst), 0.0).setups, 0);
    assert_eq!(bound::lower_bound(&inst, &all(&inst), 1.0).setups, 21);
    let solved = solve_report(&pb, &SolveOptions::default()).unwrap();
    assert_eq!(solved.plan.objective.setups, 21);
    assert_eq!(solved.bounds.setups.bound, 21.0);
    assert_eq!(solved.bounds.setups.gap, 0.0);
    assert_eq!(solved.bounds.total.gap, 0.0);
    check(&pb, &solved.plan).unwrap();
    // Greedy gets the entry bound after its plan; the first plan (no search) before the search.
    for (method, max_iterations) in [(Method::Greedy, None), (Method::Heuristic, Some(0))] {
        let opts = SolveOptions {
            method,
            max_iterations,
            ..Default::default()
        };
        let solved = solve_report(&pb, &opts).unwrap();
        assert_eq!(solved.bounds.setups.bound, 21.0, "{method:?}");
        assert!(solved.plan.lower_bound >= 21.0, "{method:?}");
        check(&pb, &solved.plan).unwrap();
    }
}

/// On random small instances, every term bound is ≤ the DP optimum of an objective made of
/// that term alone, and the report's term bounds are ≤ the plan's terms.
#[test]
fn term_bounds_never_exceed_the_optimum() {
    let mut positive = [0usize; 2];
    for seed in 0..18u64 {
        let mut spec = ScenarioSpec::farm(2 + seed as usize % 3, 6 + seed as usize % 5, 300 + seed);
        spec.classes = 2 + seed as usize % 3;
        spec.shifts = seed % 2 == 0;
        spec.maintenance = seed % 3 == 0;
        let kind = seed as usize % 2;
        spec.objective = if kind == 0 {
            weights(0.0, 1.0, 0.0)
        } else {
            weights(0.0, 0.0, 1.0)
        };
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let Some(jobs) = common::placeable_jobs(&inst) else {
            continue;
        };
        let opt = dp::solve_dp(&inst, &jobs, later()).unwrap();
        let o = opt.evaluate(&inst).unwrap();
        let b = bound::lower_bound(&inst, &all(&inst), 1.0);
        assert!(
            b.weighted_tardiness <= o.weighted_tardiness + 1e-6,
            "seed {seed}: tardiness"
        );
        assert!(
            b.setups <= o.setups,
            "seed {seed}: setups {} > {}",
            b.setups,
            o.setups
        );
        if kind == 0 && b.weighted_tardiness > 0.0 {
            positive[0] += 1;
        }
        if kind == 1 && b.setups > 0 {
            positive[1] += 1;
        }
        let solved = solve_report(
            &pb,
            &SolveOptions {
                time_limit: 20.0,
                max_iterations: Some(3000),
                seed,
                ..Default::default()
            },
        )
        .unwrap();
        let t = &solved.bounds;
        for term in [t.makespan, t.weighted_tardiness, t.setups, t.total] {
            assert!(term.bound <= term.value + 1e-9, "seed {seed}: {term:?}");
            assert!((0.0..=1.0).contains(&term.gap));
        }
        assert!(t.total.bound <= o.value + 1e-6, "seed {seed}");
        check(&pb, &solved.plan).unwrap();
    }
    // The bounds must be doing something on these instances.
    assert!(positive[0] > 0 && positive[1] > 0, "{positive:?}");
}

/// Restarts never return a worse plan, run more than once within an iteration cap, and are
/// deterministic for a seed.
#[test]
fn restarts_improve_or_keep_and_are_deterministic() {
    let mut spec = ScenarioSpec::farm(5, 40, 11);
    spec.objective = weights(0.0, 1.0, 0.1);
    let pb = generate(&spec);
    let inst = Instance::new(&pb).unwrap();
    let start = heuristic::construct(&inst);
    let start_v = start.evaluate(&inst).unwrap().value;
    let limits = Limits {
        deadline: None,
        max_iterations: Some(6000),
        stall_iterations: 500,
        target: f64::NEG_INFINITY,
        lns_period: heuristic::LNS_PERIOD,
    };
    let a = anytime::restarts(&inst, start.clone(), &limits, 3);
    let b = anytime::restarts(&inst, start, &limits, 3);
    assert_eq!(a.best, b.best);
    assert!(a.restarts > 1, "{a:?}");
    assert!(a.best.evaluate(&inst).unwrap().value <= start_v);
    check(&pb, &a.best.to_plan(&inst, "heuristic").unwrap()).unwrap();
}

/// `auto` on a 30-job instance (above the old 20-job limit of the exact path): checked plan,
/// deterministic with an iteration cap, never worse than its own warm start's construction.
#[test]
fn auto_on_thirty_jobs_is_checked_and_deterministic() {
    for obj in [weights(0.0, 1.0, 0.1), weights(1.0, 1.0, 0.1)] {
        let mut spec = ScenarioSpec::farm(5, 30, 21);
        spec.objective = obj;
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let opts = SolveOptions {
            time_limit: 60.0,
            method: Method::Auto,
            seed: 5,
            max_iterations: Some(1000),
        };
        let p1 = solve(&pb, &opts).unwrap();
        let p2 = solve(&pb, &opts).unwrap();
        assert_eq!(p1.assignments, p2.assignments);
        check(&pb, &p1).unwrap();
        let construct: Sequences = heuristic::construct(&inst);
        assert!(p1.objective.value <= construct.evaluate(&inst).unwrap().value + 1e-9);
        assert!(p1.lower_bound <= p1.objective.value);
    }
}

/// The entry into a class must come from a class the printer runs: P1 must run A and B, and
/// the cheap way into B (from C, 1 minute) would need C on P1 too (10 minutes into C). The
/// least setups are 10 (optimal: A then B on P1, C on P2); counting "from any class P1 could
/// run" gives only 1.
#[test]
fn setup_entry_comes_from_a_class_the_printer_runs() {
    let pb = Problem::from_json(
        &json!({
            "printers": [{"id": "P1"}, {"id": "P2"}],
            "setup_classes": ["A", "B", "C"],
            "setup_times": {"P1": [[0, 10, 10], [10, 0, 10], [10, 1, 0]]},
            "jobs": [
                {"id": "JA", "setup_class": "A", "durations": {"P1": 30}},
                {"id": "JB", "setup_class": "B", "durations": {"P1": 30}},
                {"id": "JC", "setup_class": "C", "durations": {"P1": 30, "P2": 30}}
            ],
            "objective": {"setups": 1}
        })
        .to_string(),
    )
    .unwrap();
    let inst = Instance::new(&pb).unwrap();
    assert_eq!(bound::lower_bound(&inst, &all(&inst), 1.0).setups, 10);
    let jobs: Vec<usize> = (0..inst.n_jobs).collect();
    let opt = dp::solve_dp(&inst, &jobs, later()).unwrap();
    assert_eq!(opt.evaluate(&inst).unwrap().setups, 10);
}
