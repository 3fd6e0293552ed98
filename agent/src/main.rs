//! `gantry-agent`: the printer agent as a program of its own, for printer hosts. It takes the
//! same flags as `gantry agent` and depends on the protocol crate only (no solver, no database
//! drivers), so it stays small.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "gantry-agent",
    version,
    about = "Gantry printer agent: connect simulated printers (--simulate) or an OctoPrint instance to a Gantry server"
)]
struct Cli {
    #[command(flatten)]
    args: gantry_agent::AgentArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    match gantry_agent::run(cli.args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantry-agent: {e}");
            ExitCode::FAILURE
        }
    }
}
