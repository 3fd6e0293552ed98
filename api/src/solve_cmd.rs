//! `gantry solve`: run the production scheduler on a problem file, or verify a plan.
//!
//! ```text
//! gantry solve INPUT.json [--time-limit SECONDS] [--method auto|greedy|heuristic|milp] [--seed N] [--output PLAN.json]
//! gantry solve --check PLAN.json INPUT.json
//! ```
//! Exit codes: 0 success, 1 the checked plan violates a constraint, 2 bad input (the message names
//! the field and the offending value).

use std::path::PathBuf;

use gantry_solver::{Method, Plan, Problem, SolveOptions};

#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// Problem file (JSON, see docs/solver.md).
    #[arg(value_name = "INPUT.json")]
    pub input: PathBuf,
    /// Wall-clock budget in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub time_limit: f64,
    /// auto (the exact path up to 64 jobs, then restarts; the local search above), greedy,
    /// heuristic or milp.
    #[arg(long, default_value = "auto", value_parser = ["auto", "greedy", "heuristic", "milp"])]
    pub method: String,
    /// Seed of the local search (same seed, same plan unless the time limit cuts the search).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Cap on local-search iterations (reproducible runs independent of machine speed).
    #[arg(long, value_name = "N")]
    pub max_iterations: Option<u64>,
    /// Also write the plan to this file.
    #[arg(long, value_name = "PLAN.json")]
    pub output: Option<PathBuf>,
    /// Verify this plan against INPUT.json instead of solving.
    #[arg(long, value_name = "PLAN.json")]
    pub check: Option<PathBuf>,
}

fn read(path: &PathBuf, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// Run the subcommand; returns the process exit code.
pub fn run(args: SolveArgs) -> i32 {
    let text = match read(&args.input, "input") {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let problem = match Problem::from_json(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", args.input.display());
            return 2;
        }
    };
    if let Some(plan_path) = &args.check {
        let plan_text = match read(plan_path, "plan") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        let plan = match Plan::from_json(&plan_text) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {}: malformed plan: {e}", plan_path.display());
                return 2;
            }
        };
        return match gantry_solver::check(&problem, &plan) {
            Ok(r) => {
                println!(
                    "ok: {} assigned, {} unscheduled, makespan {}, weighted_tardiness {}, setups {}, value {}",
                    r.assigned, r.unscheduled, r.makespan, r.weighted_tardiness, r.setups, r.value
                );
                0
            }
            Err(v) => {
                eprintln!("violation: {v}");
                1
            }
        };
    }
    if !args.time_limit.is_finite() || args.time_limit < 0.0 {
        eprintln!(
            "error: --time-limit must be a non-negative number of seconds, got {}",
            args.time_limit
        );
        return 2;
    }
    let method: Method = match args.method.parse() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: --method: {e}");
            return 2;
        }
    };
    let opts = SolveOptions {
        time_limit: args.time_limit,
        method,
        seed: args.seed,
        max_iterations: args.max_iterations,
    };
    let plan = match gantry_solver::solve(&problem, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", args.input.display());
            return 2;
        }
    };
    if let Some(b) = &plan.bounds {
        // The gap of every term on stderr (stdout stays the plan's JSON).
        let term = |name: &str, t: &gantry_solver::TermBound| {
            format!("{name} {} ≥ {} (gap {:.1} %)", t.value, t.bound, 100.0 * t.gap)
        };
        eprintln!(
            "{}; {}; {}; {}",
            term("value", &b.total),
            term("makespan", &b.makespan),
            term("weighted_tardiness", &b.weighted_tardiness),
            term("setups", &b.setups)
        );
    }
    let json = plan.to_json();
    if let Some(out) = &args.output
        && let Err(e) = std::fs::write(out, &json)
    {
        eprintln!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    println!("{json}");
    0
}
