//! Side-by-side probe for `docs/benchmarks.md` (Solver, "auto uses the whole budget"): on
//! benchmark farms, the local search alone (`--method heuristic`, which is what `auto` ran
//! above 20 jobs before) against `auto`, same limit, same seed, in one run; with the per-term
//! bounds of `auto`'s plan. Every plan goes through `check`.
//!
//! `cargo run --release -p gantry-solver --example auto_probe -- --sizes 5x30,10x60
//!  --seeds 1,2,3 --limit 10 --objective farm|mixed|makespan [--only auto]`

use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Method, ObjectiveWeights, SolveOptions, check, solve_report};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<(usize, usize)> = arg(&args, "--sizes", "5x30")
        .split(',')
        .filter_map(|s| {
            let (p, j) = s.split_once('x')?;
            Some((p.parse().ok()?, j.parse().ok()?))
        })
        .collect();
    let seeds: Vec<u64> = arg(&args, "--seeds", "1")
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let limit: f64 = arg(&args, "--limit", "10").parse().unwrap_or(10.0);
    let objective = arg(&args, "--objective", "farm");
    let only = arg(&args, "--only", "");
    let weights = match objective.as_str() {
        "mixed" => ObjectiveWeights {
            makespan: 0.5,
            weighted_tardiness: 1.0,
            setups: 0.1,
        },
        "makespan" => ObjectiveWeights {
            makespan: 1.0,
            weighted_tardiness: 0.0,
            setups: 0.0,
        },
        "setups" => ObjectiveWeights {
            makespan: 0.0,
            weighted_tardiness: 0.0,
            setups: 1.0,
        },
        _ => ScenarioSpec::farm(1, 1, 1).objective,
    };
    println!(
        "| size | seed | objective | method | value | lower bound | gap | by | time s | bound makespan / tardiness / setups (term gaps) | check |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &(np, nj) in &sizes {
        for &seed in &seeds {
            let mut spec = ScenarioSpec::farm(np, nj, seed);
            spec.objective = weights;
            let pb = generate(&spec);
            for method in [Method::Heuristic, Method::Auto] {
                if only == "auto" && method != Method::Auto {
                    continue;
                }
                let opts = SolveOptions {
                    time_limit: limit,
                    method,
                    seed,
                    max_iterations: None,
                };
                let t = std::time::Instant::now();
                let Ok(s) = solve_report(&pb, &opts) else {
                    println!("| {np}x{nj} | {seed} | {objective} | {method:?} | bad input | | | | | | |");
                    continue;
                };
                let secs = t.elapsed().as_secs_f64();
                let ok = match check(&pb, &s.plan) {
                    Ok(_) => "ok".to_string(),
                    Err(e) => format!("FAILED: {e}"),
                };
                let b = &s.bounds;
                println!(
                    "| {np}x{nj} | {seed} | {objective} | {method:?} | {:.1} | {:.1} | {:.1} % | {} | {secs:.1} | {:.0} / {:.1} / {:.0} ({:.0} % / {:.0} % / {:.0} %) | {ok} |",
                    s.plan.objective.value,
                    s.plan.lower_bound,
                    s.plan.gap * 100.0,
                    s.plan.method,
                    b.makespan.bound,
                    b.weighted_tardiness.bound,
                    b.setups.bound,
                    b.makespan.gap * 100.0,
                    b.weighted_tardiness.gap * 100.0,
                    b.setups.gap * 100.0,
                );
            }
        }
    }
}
