//! `gen-scenario PRINTERS JOBS [SEED] [--makespan] [--tardiness] [--classes N]`: print a generated
//! farm scenario (problem JSON). `--classes 4` with `--makespan` or `--tardiness` gives the
//! instances of `solver-bench exact`.

use gantry_solver::ObjectiveWeights;
use gantry_solver::scenario::{ScenarioSpec, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| -> u64 { args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default) };
    let mut spec = ScenarioSpec::farm(num(0, 20) as usize, num(1, 150) as usize, num(2, 1));
    if args.iter().any(|a| a == "--makespan") {
        spec.objective = ObjectiveWeights {
            makespan: 1.0,
            weighted_tardiness: 0.0,
            setups: 0.0,
        };
    }
    if args.iter().any(|a| a == "--tardiness") {
        spec.objective = ObjectiveWeights {
            makespan: 0.0,
            weighted_tardiness: 1.0,
            setups: 0.1,
        };
    }
    if let Some(c) = args
        .iter()
        .position(|a| a == "--classes")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
    {
        spec.classes = c;
    }
    println!("{}", generate(&spec).to_json());
}
