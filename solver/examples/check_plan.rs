//! `gantry solve --check` without the server crate: `check_plan PROBLEM.json PLAN.json...`
//! prints each plan's objective and `check`'s verdict (for `docs/benchmarks.md`, e.g. CP-SAT's
//! plans).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((problem, plans)) = args.split_first() else {
        eprintln!("usage: check_plan PROBLEM.json PLAN.json...");
        std::process::exit(2);
    };
    let problem = match std::fs::read_to_string(problem)
        .map_err(|e| e.to_string())
        .and_then(|t| gantry_solver::Problem::from_json(&t).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    for path in plans {
        let verdict = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| gantry_solver::Plan::from_json(&t).map_err(|e| e.to_string()))
            .map(|plan| match gantry_solver::check(&problem, &plan) {
                Ok(r) => format!("ok (value {:.1})", r.value),
                Err(v) => format!("FAILED: {v}"),
            });
        match verdict {
            Ok(v) => println!("{path}: {v}"),
            Err(e) => println!("{path}: unreadable: {e}"),
        }
    }
}
