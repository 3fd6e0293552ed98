//! Solver benchmark: greedy dispatch vs the heuristic vs OR-Tools CP-SAT on generated farm
//! scenarios, with lower bounds, gaps, `check` on every plan, and repair latency.
//!
//! ```text
//! solver-bench farm  [--sizes 20x150,100x1000] [--limits 1,10] [--cpsat-limits 10] [--seeds 1]
//!                    [--repairs 200] [--out DIR] [--makespan] [--lns-ab] [--circuits]
//!                    [--cpsat-hints greedy,construct,none] [--cpsat-model auto|full|relaxed]
//! solver-bench exact [--sizes 3x12,5x20] [--limits 10,60] [--seeds 1,2,3] [--method milp|auto]
//!                    [--only makespan|tardiness|mixed]   (mixed = 0.5 makespan + tardiness +
//!                    0.1 setup minutes; run only when asked for)
//! solver-bench lns   [--sizes 20x150,100x1000] [--limits 1,10] [--seeds 1] [--periods 0,50]
//!                    [--bp-every 10,0]   (branch-and-price every N LNS steps; 0: DP only)
//! ```
//! CP-SAT runs `python3 benches/cpsat/cpsat_solve.py` (needs `pip install ortools`).

use std::process::Command;
use std::time::Instant;

use gantry_solver::repair::Event;
use gantry_solver::scenario::{ScenarioSpec, add_circuits, generate};
use gantry_solver::{
    Job, Method, ObjectiveWeights, Plan, Problem, SolveOptions, Tuning, check, repair, solve, solve_tuned,
};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

fn sizes(s: &str) -> Vec<(usize, usize)> {
    s.split(',')
        .filter_map(|x| {
            let (p, j) = x.split_once('x')?;
            Some((p.parse().ok()?, j.parse().ok()?))
        })
        .collect()
}

fn checked(pb: &Problem, plan: &Plan, what: &str) -> String {
    match check(pb, plan) {
        Ok(_) => "ok".to_string(),
        Err(v) => {
            eprintln!("CHECK FAILED for {what}: {v}");
            format!("FAIL: {v}")
        }
    }
}

/// Runs the CP-SAT model; returns the plan, the wall time (s) and the model-building time (s).
fn run_cpsat(path: &str, limit: f64, hint: Option<&str>, model: &str) -> Option<(Plan, f64, f64)> {
    let out = format!("{path}.cpsat-{limit}.json");
    let t0 = Instant::now();
    let mut cmd = Command::new("python3");
    cmd.args([
        "benches/cpsat/cpsat_solve.py",
        path,
        "--time-limit",
        &limit.to_string(),
        "--workers",
        "2",
        "--model",
        model,
    ])
    .args(["--output", &out]);
    if let Some(h) = hint {
        cmd.args(["--hint", h]);
    }
    let status = cmd.status().ok()?;
    let secs = t0.elapsed().as_secs_f64();
    if !status.success() {
        eprintln!("cpsat exited with {status}");
        return None;
    }
    let text = std::fs::read_to_string(&out).ok()?;
    let build = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("build_ms").and_then(serde_json::Value::as_f64))
        .unwrap_or(0.0)
        / 1e3;
    Some((Plan::from_json(&text).ok()?, secs, build))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().cloned().unwrap_or_else(|| "farm".to_string());
    let out_dir = arg(&args, "--out", "/tmp/gantry-bench");
    let _ = std::fs::create_dir_all(&out_dir);
    match mode.as_str() {
        "exact" => exact(&args),
        "lns" => lns_stats(&args),
        _ => farm(&args, &out_dir),
    }
}

fn farm(args: &[String], out_dir: &str) {
    let sizes = sizes(&arg(args, "--sizes", "20x150,100x1000"));
    let limits: Vec<f64> = list(&arg(args, "--limits", "1,10"));
    let cp_limits: Vec<f64> = list(&arg(args, "--cpsat-limits", "10"));
    let seeds: Vec<u64> = list(&arg(args, "--seeds", "1"));
    let repairs: usize = arg(args, "--repairs", "200").parse().unwrap_or(200);
    let lns_ab = args.iter().any(|a| a == "--lns-ab");
    println!(
        "| size (printers x jobs) | seed | method | limit s | value | lower bound | gap | time ms | check |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &(np, nj) in &sizes {
        for &seed in &seeds {
            let mut spec = ScenarioSpec::farm(np, nj, seed);
            if args.iter().any(|a| a == "--makespan") {
                spec.objective = ObjectiveWeights {
                    makespan: 1.0,
                    weighted_tardiness: 0.0,
                    setups: 0.0,
                };
            }
            let mut pb = generate(&spec);
            if args.iter().any(|a| a == "--circuits") {
                add_circuits(&mut pb);
            }
            let path = format!("{out_dir}/farm-{np}x{nj}-s{seed}.json");
            let _ = std::fs::write(&path, pb.to_json());
            let size = format!("{np}x{nj}");
            let row = |name: &str, limit: String, plan: &Plan, ms: f64| {
                println!(
                    "| {size} | {seed} | {name} | {limit} | {:.1} | {:.1} | {:.1}% | {:.0} | {} |",
                    plan.objective.value,
                    plan.lower_bound,
                    plan.gap * 100.0,
                    ms,
                    checked(&pb, plan, name)
                );
            };
            let t = Instant::now();
            let Ok(g) = solve(
                &pb,
                &SolveOptions {
                    time_limit: 5.0,
                    method: Method::Greedy,
                    seed,
                    max_iterations: None,
                },
            ) else {
                eprintln!("invalid scenario");
                return;
            };
            row("greedy", "-".into(), &g, t.elapsed().as_secs_f64() * 1e3);
            let greedy_path = format!("{path}.greedy.json");
            let _ = std::fs::write(&greedy_path, g.to_json());
            let construct_path = format!("{path}.construct.json");
            let hints: Vec<String> = arg(args, "--cpsat-hints", "greedy")
                .split(',')
                .map(str::to_string)
                .collect();
            let cp_model = arg(args, "--cpsat-model", "auto");
            let t = Instant::now();
            let opts0 = SolveOptions {
                time_limit: 5.0,
                method: Method::Heuristic,
                seed,
                max_iterations: Some(0),
            };
            if let Ok(first) = solve(&pb, &opts0) {
                let _ = std::fs::write(&construct_path, first.to_json());
                row(
                    "first plan (construct)",
                    "-".into(),
                    &first,
                    t.elapsed().as_secs_f64() * 1e3,
                );
            }
            let mut base: Option<Plan> = None;
            for &limit in &limits {
                let t = Instant::now();
                let opts = SolveOptions {
                    time_limit: limit,
                    method: Method::Heuristic,
                    seed,
                    max_iterations: None,
                };
                if lns_ab
                    && let Ok(h) = solve_tuned(
                        &pb,
                        &opts,
                        &Tuning {
                            lns_period: 0,
                            ..Tuning::for_method(Method::Heuristic)
                        },
                    )
                {
                    row(
                        "heuristic without LNS",
                        format!("{limit}"),
                        &h,
                        t.elapsed().as_secs_f64() * 1e3,
                    );
                }
                let t = Instant::now();
                if let Ok(h) = solve(&pb, &opts) {
                    row(
                        "heuristic",
                        format!("{limit}"),
                        &h,
                        t.elapsed().as_secs_f64() * 1e3,
                    );
                    if base.is_none() {
                        base = Some(h);
                    }
                }
            }
            for h in &hints {
                let hint = match h.as_str() {
                    "greedy" => Some(greedy_path.as_str()),
                    "construct" => Some(construct_path.as_str()),
                    _ => None,
                };
                for &limit in &cp_limits {
                    let name = |m: &str, b: f64| format!("{m} (hint: {h}; model built in {b:.1} s)");
                    match run_cpsat(&path, limit, hint, &cp_model) {
                        Some((plan, secs, b)) if plan.assignments.is_empty() && !pb.jobs.is_empty() => {
                            println!(
                                "| {size} | {seed} | {} | {limit} | no solution found | | | {:.0} | |",
                                name(&plan.method, b),
                                secs * 1e3
                            )
                        }
                        Some((plan, secs, b)) => {
                            row(&name(&plan.method, b), format!("{limit}"), &plan, secs * 1e3)
                        }
                        None => println!(
                            "| {size} | {seed} | cpsat | {limit} | no solution / model too large | | | | |"
                        ),
                    }
                }
            }
            if let Some(plan) = base
                && repairs > 0
            {
                repair_bench(&pb, &plan, repairs, seed, &size);
            }
        }
    }
}

fn repair_bench(pb: &Problem, plan: &Plan, n: usize, seed: u64, size: &str) {
    let mut rng = gantry_solver::rng::Rng::new(seed ^ 0xBEEF);
    let horizon = plan.objective.makespan.max(1);
    let mut times = Vec::with_capacity(n);
    let mut fails = 0;
    let mut moved = 0;
    for i in 0..n {
        let at = rng.below((horizon / 2).max(1) as usize) as i64;
        let event = match i % 5 {
            0 => {
                let mut job: Job = pb.jobs[rng.below(pb.jobs.len())].clone();
                job.id = format!("NEW{i}");
                job.release = at;
                job.due = Some(at + 1440);
                Event::JobAdded { at, job }
            }
            1 => {
                let a = &plan.assignments[rng.below(plan.assignments.len())];
                Event::JobCancelled {
                    at: at.min(a.start - a.setup).max(0),
                    job: a.job.clone(),
                }
            }
            2 => {
                let p = &pb.printers[rng.below(pb.printers.len())];
                Event::PrinterDown {
                    at,
                    printer: p.id.clone(),
                    until: Some(at + 240),
                }
            }
            _ => {
                let a = &plan.assignments[rng.below(plan.assignments.len())];
                let d = a.end - a.start;
                let delta = rng.below(d as usize) as i64 - d / 2;
                Event::JobFinished {
                    at: (a.end + delta).max(a.start + 1),
                    job: a.job.clone(),
                }
            }
        };
        let opts = SolveOptions {
            time_limit: 0.0,
            method: Method::Heuristic,
            seed,
            max_iterations: Some(0),
        };
        let t = Instant::now();
        match repair(pb, plan, &event, &opts) {
            Ok(r) => {
                times.push(t.elapsed().as_secs_f64() * 1e3);
                moved += r.moved;
                if let Err(v) = check(&r.problem, &r.plan) {
                    fails += 1;
                    eprintln!("repair check failed for {event:?}: {v}");
                }
            }
            Err(e) => eprintln!("repair error for {event:?}: {e}"),
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "| {size} | {seed} | repair x{} | 0 | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms | avg moved {:.1} | | | check failures: {fails} |",
        times.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        moved as f64 / times.len().max(1) as f64
    );
}

fn exact(args: &[String]) {
    let sizes = sizes(&arg(args, "--sizes", "3x12,5x20"));
    let limits: Vec<f64> = list(&arg(args, "--limits", "10,60"));
    let seeds: Vec<u64> = list(&arg(args, "--seeds", "1,2,3"));
    println!(
        "| size | seed | objective | limit s | status | method | value | lower bound | time ms | check |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (i, &(np, nj)) in sizes.iter().enumerate() {
        let limit = limits.get(i).copied().unwrap_or(60.0);
        for &seed in &seeds {
            for (oname, obj) in [
                (
                    "makespan",
                    ObjectiveWeights {
                        makespan: 1.0,
                        weighted_tardiness: 0.0,
                        setups: 0.0,
                    },
                ),
                (
                    "tardiness+0.1setup",
                    ObjectiveWeights {
                        makespan: 0.0,
                        weighted_tardiness: 1.0,
                        setups: 0.1,
                    },
                ),
                // Mixed (issue 18): only with `--only mixed` (the rows above stay what the
                // earlier commands measured).
                (
                    "mixed:0.5makespan+tardiness+0.1setup",
                    ObjectiveWeights {
                        makespan: 0.5,
                        weighted_tardiness: 1.0,
                        setups: 0.1,
                    },
                ),
            ] {
                let only = arg(args, "--only", "");
                let mixed = oname.starts_with("mixed");
                if (only.is_empty() && mixed) || (!only.is_empty() && !oname.starts_with(only.as_str())) {
                    continue;
                }
                let mut spec = ScenarioSpec::farm(np, nj, seed);
                spec.classes = 4;
                spec.objective = obj;
                let pb = generate(&spec);
                let t = Instant::now();
                let opts = SolveOptions {
                    time_limit: limit,
                    method: Method::Milp,
                    seed,
                    max_iterations: None,
                };
                let method = if arg(args, "--method", "milp") == "auto" {
                    Method::Auto
                } else {
                    Method::Milp
                };
                let opts = SolveOptions { method, ..opts };
                let Ok(plan) = solve(&pb, &opts) else { continue };
                println!(
                    "| {np}x{nj} | {seed} | {oname} | {limit} | {:?} | {} | {:.1} | {:.1} | {:.0} | {} |",
                    plan.status,
                    plan.method,
                    plan.objective.value,
                    plan.lower_bound,
                    t.elapsed().as_secs_f64() * 1e3,
                    checked(&pb, &plan, "milp")
                );
            }
        }
    }
}

/// LNS statistics: the local search with and without the exact LNS step, same time limit.
fn lns_stats(args: &[String]) {
    use gantry_solver::heuristic::{Limits, Local, construct};
    let sizes = sizes(&arg(args, "--sizes", "20x150,100x1000"));
    let limits: Vec<f64> = list(&arg(args, "--limits", "1,10"));
    let seeds: Vec<u64> = list(&arg(args, "--seeds", "1"));
    let periods: Vec<u64> = list(&arg(args, "--periods", "0,50"));
    let default_bp = gantry_solver::heuristic::LNS_BP_EVERY.to_string();
    let bp_every: Vec<u64> = list(&arg(args, "--bp-every", &default_bp));
    println!(
        "| size | seed | limit s | LNS period | B&P every | value | iterations | LNS steps | improving steps | B&P steps | improving B&P steps |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &(np, nj) in &sizes {
        for &seed in &seeds {
            let pb = generate(&ScenarioSpec::farm(np, nj, seed));
            let Ok(inst) = gantry_solver::Instance::new(&pb) else {
                continue;
            };
            let start = construct(&inst);
            for &limit in &limits {
                for (&period, &every) in periods
                    .iter()
                    .flat_map(|p| bp_every.iter().map(move |e| (p, e)))
                    .filter(|(p, e)| **p > 0 || **e == bp_every[0])
                {
                    let mut local = Local::new(&inst, &start);
                    local.lns_bp_every = every;
                    let l = Limits {
                        deadline: Some(Instant::now() + std::time::Duration::from_secs_f64(limit)),
                        max_iterations: None,
                        stall_iterations: u64::MAX,
                        target: f64::NEG_INFINITY,
                        lns_period: period,
                    };
                    let r = local.run(&l, seed);
                    let v = r.best.evaluate(&inst).map_or(f64::NAN, |v| v.value);
                    println!(
                        "| {np}x{nj} | {seed} | {limit} | {period} | {every} | {v:.1} | {} | {} | {} | {} | {} |",
                        r.iterations,
                        local.lns_steps,
                        local.lns_improved,
                        local.lns_bp_steps,
                        local.lns_bp_improved
                    );
                }
            }
        }
    }
}
