//! Issue 18's stability target: a re-plan after one event (a rush job) with stability on moves
//! few jobs of the freeze horizon, at a cost close to an unconstrained re-plan. For each seed:
//! the first plan; the event; a re-plan without stability and one with it (hard freeze of the
//! first `--freeze` minutes after the first shift starts, penalty on moves within `--horizon`
//! minutes); the jobs of the horizon each moves and the cost without the penalties. All plans
//! go through `check`.
//!
//! `cargo run --release -p gantry-solver --example stability_probe -- --size 20x150
//!  --seeds 1,2,3 --limit 10 --freeze 60 --horizon 480 --penalty 50 --tolerance 30`

use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::stability::{Previous, Stability};
use gantry_solver::{Method, Plan, Problem, SolveOptions, check, solve};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn moved_in(previous: &[Previous], plan: &Plan, from: i64, to: i64, tolerance: i64) -> (usize, usize) {
    let mut horizon = 0;
    let mut moved = 0;
    for p in previous.iter().filter(|p| p.start >= from && p.start < to) {
        horizon += 1;
        match plan.assignments.iter().find(|a| a.job == p.job) {
            Some(a) if a.printer == p.printer && (a.start - p.start).abs() <= tolerance => {}
            _ => moved += 1,
        }
    }
    (moved, horizon)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (np, nj) = arg(&args, "--size", "20x150")
        .split_once('x')
        .and_then(|(p, j)| Some((p.parse().ok()?, j.parse().ok()?)))
        .unwrap_or((20, 150));
    let seeds: Vec<u64> = arg(&args, "--seeds", "1")
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let limit: f64 = arg(&args, "--limit", "10").parse().unwrap_or(10.0);
    let freeze: i64 = arg(&args, "--freeze", "60").parse().unwrap_or(60);
    let horizon: i64 = arg(&args, "--horizon", "480").parse().unwrap_or(480);
    let penalty: f64 = arg(&args, "--penalty", "50").parse().unwrap_or(50.0);
    let tolerance: i64 = arg(&args, "--tolerance", "30").parse().unwrap_or(30);
    let opts = |seed| SolveOptions {
        time_limit: limit,
        method: Method::Auto,
        seed,
        max_iterations: None,
    };
    println!(
        "| size | seed | jobs in horizon | moved: unconstrained re-plan | moved: stable re-plan (frozen) | cost: unconstrained | cost: stable (without penalties) | difference | check |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for seed in seeds {
        let pb = generate(&ScenarioSpec::farm(np, nj, seed));
        let Ok(first) = solve(&pb, &opts(seed)) else {
            continue;
        };
        let previous: Vec<Previous> = first
            .assignments
            .iter()
            .map(|a| Previous {
                job: a.job.clone(),
                printer: a.printer.clone(),
                start: a.start,
            })
            .collect();
        // The event: a rush order at the first shift (minute 360), due two hours later.
        let now = pb
            .operator_shifts
            .as_ref()
            .and_then(|s| s.first())
            .map_or(0, |s| s[0]);
        let mut next: Problem = pb.clone();
        let mut rush = pb.jobs[0].clone();
        rush.id = "RUSH".into();
        rush.release = now;
        rush.due = Some(now + 120);
        rush.weight = 5.0;
        next.jobs.push(rush);
        let free = solve(&next, &opts(seed)).ok();
        let mut stable_pb = next.clone();
        stable_pb.stability = Some(Stability {
            previous: previous.clone(),
            freeze_until: now + freeze,
            horizon: now + horizon,
            penalty,
            tolerance,
        });
        let stable = solve(&stable_pb, &opts(seed)).ok();
        let (Some(free), Some(stable)) = (free, stable) else {
            continue;
        };
        let ok = match (check(&next, &free), check(&stable_pb, &stable)) {
            (Ok(_), Ok(_)) => "ok".to_string(),
            (a, b) => format!("FAILED: {a:?} / {b:?}"),
        };
        let (mf, h) = moved_in(&previous, &free, now + freeze, now + horizon, tolerance);
        let (ms, _) = moved_in(&previous, &stable, now + freeze, now + horizon, tolerance);
        let frozen = stable.stability.map_or(0, |r| r.frozen);
        let cf = free.objective.value;
        let cs = stable.objective.value - stable.objective.stability;
        println!(
            "| {np} × {nj} | {seed} | {h} | {mf} ({:.0} %) | {ms} ({:.0} %) ({frozen}) | {cf:.1} | {cs:.1} | {:+.1} % | {ok} |",
            100.0 * mf as f64 / h.max(1) as f64,
            100.0 * ms as f64 / h.max(1) as f64,
            100.0 * (cs - cf) / cf.abs().max(1e-9)
        );
    }
}
