//! The exact large-neighbourhood step (DP on a few printers with fixed prefixes and suffixes)
//! and the memory budget of the exact path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::OBJECTIVES;
use std::time::{Duration, Instant};

use gantry_solver::heuristic::{LNS_PERIOD, Limits, Local};
use gantry_solver::plan::{Cursor, Sequences};
use gantry_solver::rng::Rng;
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Instance, Method, Problem, SolveOptions, Tuning, check, dp, solve_tuned};

fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Two identical printers, two classes with a 30-minute changeover, four 60-minute jobs.
/// Objective: setup minutes only. Optimum 0 (one class per printer).
fn two_classes() -> Problem {
    Problem::from_json(
        r#"{
        "printers": [{"id": "P1"}, {"id": "P2"}],
        "setup_classes": ["A", "B"],
        "setup_times": {"P1": [[0, 30], [30, 0]], "P2": [[0, 30], [30, 0]]},
        "jobs": [
            {"id": "A1", "setup_class": "A", "durations": {"P1": 60, "P2": 60}},
            {"id": "B1", "setup_class": "B", "durations": {"P1": 60, "P2": 60}},
            {"id": "A2", "setup_class": "A", "durations": {"P1": 60, "P2": 60}},
            {"id": "B2", "setup_class": "B", "durations": {"P1": 60, "P2": 60}}
        ],
        "objective": {"setups": 1}
    }"#,
    )
    .unwrap()
}

#[test]
fn lns_step_reaches_the_known_optimum_from_an_interleaved_plan() {
    let pb = two_classes();
    let inst = Instance::new(&pb).unwrap();
    // Everything on P1, classes alternating: 3 changeovers = 90 minutes.
    let start = Sequences {
        seqs: vec![vec![0, 1, 2, 3], vec![]],
        unscheduled: vec![],
    };
    assert_eq!(start.evaluate(&inst).unwrap().setups, 90);
    let mut local = Local::new(&inst, &start);
    let limits = Limits {
        deadline: Some(later()),
        max_iterations: Some(0),
        stall_iterations: 1,
        target: 0.0,
        lns_period: 1,
    };
    let mut rng = Rng::new(1);
    assert!(local.lns_step(&mut rng, &limits));
    assert_eq!(local.score(), (0, 0.0));
    let s = local.sequences();
    assert_eq!(s.evaluate(&inst).unwrap().setups, 0);
    // Nothing left to improve: a second step changes nothing.
    assert!(!local.lns_step(&mut rng, &limits));
}

/// Brute force: every assignment of `jobs` to the sub-problem's printers and every order.
fn brute(inst: &Instance, sub: &dp::Sub, jobs: &[usize]) -> f64 {
    fn perms(v: &[usize]) -> Vec<Vec<usize>> {
        if v.len() <= 1 {
            return vec![v.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..v.len() {
            let mut rest = v.to_vec();
            let x = rest.remove(i);
            for mut p in perms(&rest) {
                p.insert(0, x);
                out.push(p);
            }
        }
        out
    }
    let np = sub.printers.len();
    let mut best = f64::INFINITY;
    let total = np.pow(jobs.len() as u32);
    for code in 0..total {
        let mut parts = vec![Vec::new(); np];
        let mut c = code;
        for &j in jobs {
            parts[c % np].push(j);
            c /= np;
        }
        // Cartesian product of the orders of each part.
        let orders: Vec<Vec<Vec<usize>>> = parts.iter().map(|p| perms(p)).collect();
        let mut idx = vec![0usize; np];
        'outer: loop {
            let mut ms = sub.makespan_floor;
            let mut cost = 0.0;
            let mut ok = true;
            for (i, &p) in sub.printers.iter().enumerate() {
                let mut cur: Cursor = sub.starts[i];
                for &j in orders[i][idx[i]].iter().chain(&sub.suffixes[i]) {
                    if cur.push(inst, p, j).is_none() {
                        ok = false;
                    }
                }
                ms = ms.max(cur.cmax);
                cost += cur.cost(inst);
            }
            if ok {
                best = best.min(inst.w_makespan * ms as f64 + cost);
            }
            for i in 0..np {
                idx[i] += 1;
                if idx[i] < orders[i].len() {
                    continue 'outer;
                }
                idx[i] = 0;
            }
            break;
        }
    }
    best
}

#[test]
fn sub_dp_with_fixed_prefix_and_suffix_matches_brute_force() {
    for seed in 0..6u64 {
        let mut spec = ScenarioSpec::farm(3, 12, 400 + seed);
        spec.classes = 3;
        spec.shifts = seed % 2 == 0;
        spec.objective = OBJECTIVES[seed as usize % 3];
        let pb = generate(&spec);
        let inst = Instance::new(&pb).unwrap();
        let start = gantry_solver::heuristic::construct(&inst);
        assert!(start.unscheduled.is_empty());
        // Printers 0 and 1: keep the first job of each as prefix and the last as suffix.
        let printers = vec![0usize, 1];
        let mut starts = Vec::new();
        let mut suffixes = Vec::new();
        let mut jobs = Vec::new();
        for &p in &printers {
            let seq = &start.seqs[p];
            let mut c = Cursor::new(&inst, p);
            let a = 1.min(seq.len());
            let b = seq.len().saturating_sub(1).max(a);
            for &j in &seq[..a] {
                c.push(&inst, p, j).unwrap();
            }
            starts.push(c);
            suffixes.push(seq[b..].to_vec());
            jobs.extend_from_slice(&seq[a..b]);
        }
        jobs.truncate(6);
        // Jobs cut off by the truncation go back on their printer's suffix front.
        let mut suffixes2 = suffixes.clone();
        for &p in &printers {
            let seq = &start.seqs[p];
            let a = 1.min(seq.len());
            let b = seq.len().saturating_sub(1).max(a);
            let dropped: Vec<usize> = seq[a..b].iter().copied().filter(|j| !jobs.contains(j)).collect();
            let i = printers.iter().position(|&x| x == p).unwrap();
            let mut s = dropped;
            s.extend_from_slice(&suffixes[i]);
            suffixes2[i] = s;
        }
        let floor = start.seqs[2..]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                gantry_solver::plan::eval_seq(&inst, i + 2, s.iter().copied())
                    .unwrap()
                    .cmax
            })
            .max()
            .unwrap_or(0);
        let sub = dp::Sub {
            printers: printers.clone(),
            starts,
            suffixes: suffixes2,
            makespan_floor: floor,
        };
        let middles = dp::solve_sub(&inst, &sub, &jobs, later(), usize::MAX).unwrap();
        let mut got_ms = floor;
        let mut got = 0.0;
        for (i, &p) in printers.iter().enumerate() {
            let mut c = sub.starts[i];
            for &j in middles[i].iter().chain(&sub.suffixes[i]) {
                c.push(&inst, p, j).unwrap();
            }
            got_ms = got_ms.max(c.cmax);
            got += c.cost(&inst);
        }
        let got = inst.w_makespan * got_ms as f64 + got;
        let want = brute(&inst, &sub, &jobs);
        assert!(
            (got - want).abs() < 1e-6,
            "seed {seed}: dp {got}, brute force {want}"
        );
        let mut placed: Vec<usize> = middles.concat();
        placed.sort_unstable();
        let mut expect = jobs.clone();
        expect.sort_unstable();
        assert_eq!(placed, expect);
    }
}

#[test]
fn search_with_lns_is_deterministic_checks_and_is_never_worse_than_the_start() {
    let pb = generate(&ScenarioSpec::farm(8, 60, 7));
    let o = SolveOptions {
        time_limit: 60.0,
        method: Method::Heuristic,
        seed: 3,
        max_iterations: Some(400),
    };
    let with = Tuning {
        lns_period: LNS_PERIOD,
        ..Tuning::for_method(Method::Heuristic)
    };
    let a = solve_tuned(&pb, &o, &with).unwrap();
    let b = solve_tuned(&pb, &o, &with).unwrap();
    assert_eq!(a.assignments, b.assignments);
    check(&pb, &a).unwrap();
    let first = solve_tuned(
        &pb,
        &SolveOptions {
            max_iterations: Some(0),
            ..o
        },
        &with,
    )
    .unwrap();
    assert!(a.objective.value <= first.objective.value + 1e-9);
}

#[test]
fn dp_gives_up_over_its_memory_budget_and_auto_stays_within_64_mb() {
    let mut spec = ScenarioSpec::farm(3, 12, 11);
    spec.classes = 3;
    let pb = generate(&spec);
    let inst = Instance::new(&pb).unwrap();
    let jobs: Vec<usize> = (0..inst.n_jobs).collect();
    // The fixed part alone: 3 printers × 2^12 subsets × (12 + 2) vector headers.
    let fixed = dp::dp_fixed_bytes(3, 12);
    assert_eq!(fixed, 3 * 4096 * 14 * std::mem::size_of::<Vec<u8>>());
    assert!(dp::solve_dp_within(&inst, &jobs, later(), fixed - 1).is_none());
    assert!(dp::solve_dp_within(&inst, &jobs, later(), fixed + 1024).is_none());
    let full = dp::solve_dp_within(&inst, &jobs, later(), usize::MAX).unwrap();
    // Auto's default budget: the 16-job, 4-printer DP (≈ 0.5 GB) is not even started.
    assert!(dp::dp_fixed_bytes(4, 16) > gantry_solver::AUTO_MEMORY_BYTES / 2);
    assert_eq!(
        Tuning::for_method(Method::Auto).max_bytes,
        gantry_solver::AUTO_MEMORY_BYTES
    );
    // With a budget too small for the DP, the exact path still returns a checked plan, no
    // better than the DP optimum.
    let o = SolveOptions {
        time_limit: 20.0,
        method: Method::Milp,
        seed: 1,
        max_iterations: None,
    };
    let tight = solve_tuned(
        &pb,
        &o,
        &Tuning {
            max_bytes: fixed - 1,
            ..Tuning::for_method(Method::Milp)
        },
    )
    .unwrap();
    check(&pb, &tight).unwrap();
    let opt = full.evaluate(&inst).unwrap().value;
    assert!(tight.objective.value >= opt - 1e-6);
    assert!(tight.lower_bound <= opt + 1e-6);
}
