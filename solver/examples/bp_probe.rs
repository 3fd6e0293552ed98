//! Branch-and-price on a whole farm instance from the local search's plan, with its statistics
//! (for `docs/benchmarks.md`): `cargo run --release -p gantry-solver --example bp_probe --
//! --size 5x30 --seeds 1,2 --limit 10 [--objective farm|mixed|makespan] [--warm 2000]
//! [--classes 4]` (`--classes`: the generator's class count, as `solver-bench exact` uses).

use std::time::{Duration, Instant};

use gantry_solver::heuristic::{Limits, Local, construct};
use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Instance, ObjectiveWeights, bound, bp};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (np, nj) = arg(&args, "--size", "5x30")
        .split_once('x')
        .and_then(|(p, j)| Some((p.parse().ok()?, j.parse().ok()?)))
        .unwrap_or((5, 30));
    let limit: f64 = arg(&args, "--limit", "10").parse().unwrap_or(10.0);
    let warm: u64 = arg(&args, "--warm", "5000").parse().unwrap_or(5000);
    let mb: usize = arg(&args, "--mb", "64").parse().unwrap_or(64);
    let objective = arg(&args, "--objective", "farm");
    for seed in arg(&args, "--seeds", "1")
        .split(',')
        .filter_map(|s| s.parse::<u64>().ok())
    {
        let mut spec = ScenarioSpec::farm(np, nj, seed);
        if let Ok(c) = arg(&args, "--classes", "").parse::<usize>() {
            spec.classes = c;
        }
        spec.objective = match objective.as_str() {
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
            _ => spec.objective,
        };
        let Ok(inst) = Instance::new(&generate(&spec)) else {
            continue;
        };
        let live: Vec<bool> = (0..inst.n_jobs)
            .map(|j| bound::placement_reason(&inst, j).is_none())
            .collect();
        let jobs: Vec<usize> = (0..inst.n_jobs).filter(|&j| live[j]).collect();
        let lb = bound::lower_bound(&inst, &live, 1.0);
        let mut local = Local::new(&inst, &construct(&inst));
        let start = local
            .run(
                &Limits {
                    deadline: None,
                    max_iterations: Some(warm),
                    stall_iterations: u64::MAX,
                    target: lb.value,
                    lns_period: 5,
                },
                seed,
            )
            .best;
        let v0 = start.evaluate(&inst).map_or(f64::NAN, |v| v.value);
        let t = Instant::now();
        let run = bp::solve_bp(
            &inst,
            &jobs,
            &start,
            lb.value,
            Instant::now() + Duration::from_secs_f64(limit),
            mb << 20,
        );
        let secs = t.elapsed().as_secs_f64();
        match run {
            Some(r) => {
                let v = r
                    .improved
                    .as_ref()
                    .and_then(|s| s.evaluate(&inst))
                    .map_or(v0, |x| x.value);
                println!(
                    "{np}x{nj} seed {seed} {objective}: start {v0:.1} -> {v:.1}, proved {}, bound {:.1} (combinatorial {:.1}), {secs:.1} s, {:?}",
                    r.proved, r.lower_bound, lb.value, r.stats
                );
            }
            None => println!("{np}x{nj} seed {seed}: not applicable"),
        }
    }
}
