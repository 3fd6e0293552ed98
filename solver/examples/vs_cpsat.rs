//! Issue 18's target "30–60 jobs × 5–10 printers: CP-SAT's 60 s value reached within 10 s":
//! for each size and seed, the benchmark farm is written to `--dir`, CP-SAT
//! (`benches/cpsat/cpsat_solve.py`, circuit model, 2 workers, no hint) runs for `--cpsat`
//! seconds unless its plan is already in `--dir` (so Gantry's side can be re-run alone), then
//! `auto` runs for `--limit` seconds. Both plans go through `check`. One Markdown row each.
//!
//! `cargo run --release -p gantry-solver --example vs_cpsat -- --sizes 5x30,10x60
//!  --seeds 1,2,3,4,5,6,7,8,9,10 --limit 10 --cpsat 60 --dir /tmp/gantry-vs-cpsat`

use std::path::PathBuf;
use std::process::Command;

use gantry_solver::scenario::{ScenarioSpec, generate};
use gantry_solver::{Method, Plan, SolveOptions, check, solve_report};

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
    let cpsat: f64 = arg(&args, "--cpsat", "60").parse().unwrap_or(60.0);
    let dir = PathBuf::from(arg(&args, "--dir", "/tmp/gantry-vs-cpsat"));
    let script = arg(&args, "--script", "benches/cpsat/cpsat_solve.py");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(2);
    }
    println!(
        "| size | seed | CP-SAT {cpsat:.0} s: value (bound) | Gantry auto {limit:.0} s: value | lower bound | by | time | reached | check (CP-SAT / Gantry) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &(np, nj) in &sizes {
        for &seed in &seeds {
            let pb = generate(&ScenarioSpec::farm(np, nj, seed));
            let input = dir.join(format!("{np}x{nj}-{seed}.json"));
            let cp_path = dir.join(format!("{np}x{nj}-{seed}.cpsat{cpsat:.0}.json"));
            if std::fs::write(&input, pb.to_json()).is_err() {
                eprintln!("cannot write {}", input.display());
                continue;
            }
            if !cp_path.exists() {
                let status = Command::new("python3")
                    .arg(&script)
                    .arg(&input)
                    .args(["--time-limit", &cpsat.to_string(), "--workers", "2", "--output"])
                    .arg(&cp_path)
                    .stdout(std::process::Stdio::null())
                    .status();
                if !status.is_ok_and(|s| s.success()) {
                    eprintln!("CP-SAT failed on {}", input.display());
                }
            }
            let cp = std::fs::read_to_string(&cp_path)
                .ok()
                .and_then(|t| Plan::from_json(&t).ok());
            let (cp_text, cp_value, cp_check) = match &cp {
                Some(plan) if plan.unscheduled.is_empty() => (
                    format!("{:.1} ({:.1})", plan.objective.value, plan.lower_bound),
                    Some(plan.objective.value),
                    match check(&pb, plan) {
                        Ok(_) => "ok".to_string(),
                        Err(e) => format!("FAILED: {e}"),
                    },
                ),
                _ => ("no plan".to_string(), None, "–".to_string()),
            };
            let opts = SolveOptions {
                time_limit: limit,
                method: Method::Auto,
                seed,
                max_iterations: None,
            };
            let t = std::time::Instant::now();
            let Ok(s) = solve_report(&pb, &opts) else {
                println!("| {np} × {nj} | {seed} | {cp_text} | bad input | | | | | |");
                continue;
            };
            let secs = t.elapsed().as_secs_f64();
            let ok = match check(&pb, &s.plan) {
                Ok(_) => "ok",
                Err(_) => "FAILED",
            };
            let v = s.plan.objective.value;
            let reached = match cp_value {
                Some(c) if v <= c + 1e-6 * c.abs().max(1.0) => {
                    if v < c - 1e-6 * c.abs().max(1.0) {
                        format!("yes ({:+.1} %)", 100.0 * (v - c) / c.abs().max(1e-9))
                    } else {
                        "yes (=)".to_string()
                    }
                }
                Some(c) => format!("**no** ({:+.1} %)", 100.0 * (v - c) / c.abs().max(1e-9)),
                None => "–".to_string(),
            };
            println!(
                "| {np} × {nj} | {seed} | {cp_text} | {v:.1} | {:.1} | {} | {secs:.1} s | {reached} | {cp_check} / {ok} |",
                s.plan.lower_bound, s.plan.method
            );
        }
    }
}
