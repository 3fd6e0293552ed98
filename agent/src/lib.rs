//! The Gantry printer agent: a small program beside each printer that speaks the agent
//! protocol (`docs/agent-protocol.md`) to `gantry serve` over `/agent/ws`.
//!
//! - [`backend::PrinterBackend`] is the seam to a printer: [`sim::SimPrinter`] (a virtual
//!   printer on an accelerated clock) and [`octoprint::OctoPrint`] implement it.
//! - [`driver::Driver`] is the backend-agnostic protocol loop (assignments, pause / resume /
//!   cancel, progress, bed clearing), free of I/O.
//! - [`outbox::Outbox`] keeps every state-changing message until the server acknowledges it
//!   and re-sends it with the same id after a reconnect.
//! - [`conn`] is the WebSocket client: hello, heartbeat, reconnect with backoff.
//! - [`backends`] holds the other printers: Moonraker (Klipper), PrusaLink, Bambu Lab.
//! - [`config`] reads the config file listing a farm's printers (`--config`).
//!
//! Run as `gantry agent` ([`AgentArgs`], [`run`]).

pub mod backend;
pub mod backends;
pub mod camera;
pub mod config;
pub mod conn;
pub mod driver;
mod farm;
pub mod octoprint;
pub mod outbox;
pub mod sim;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use gantry_protocol::codes::{Coded, ErrorKind};
use thiserror::Error;

use crate::conn::{ConnError, LoopConfig};
use crate::driver::{Driver, DriverConfig};
use crate::outbox::Outbox;
use crate::sim::{FailPolicy, SimPrinter};

/// `gantry agent`: connect printers to a Gantry server.
#[derive(clap::Args, Debug, Clone)]
pub struct AgentArgs {
    /// The Gantry server (http(s):// or ws(s)://host:port).
    #[arg(long, env = "GANTRY_AGENT_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The printer token (`gtp_…`) of one printer.
    #[arg(long, env = "GANTRY_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A file with one printer token per line (with `--count`).
    #[arg(long)]
    pub tokens_file: Option<PathBuf>,
    /// Run simulated printers instead of driving real ones.
    #[arg(long)]
    pub simulate: bool,
    /// Number of simulated printers (default: one per token).
    #[arg(long)]
    pub count: Option<usize>,
    /// Simulated seconds per real second (60: a one-hour job prints in a minute).
    #[arg(long, default_value_t = 60.0)]
    pub speed: f64,
    /// Probability (0–1) that a simulated job fails part-way.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Seed of the failure draw (same seed, same failures).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Job ids that always fail (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub fail_jobs: Vec<i64>,
    /// Seconds after a print ends before the plate counts as cleared (simulating the operator);
    /// default 2 with --simulate, never with a real printer.
    #[arg(long)]
    pub auto_clear_secs: Option<f64>,
    /// Material code to report as loaded.
    #[arg(long)]
    pub material: Option<String>,
    /// Report job progress every this many percent.
    #[arg(long, default_value_t = 10)]
    pub progress_step: i64,
    /// Seconds between status reports (0: none, heartbeats only).
    #[arg(long, default_value_t = 5.0)]
    pub status_secs: f64,
    /// Milliseconds between turns of each printer's loop (commands, the camera, and polls of
    /// printers whose state is pushed: Moonraker, Bambu Lab, the simulator).
    #[arg(long, default_value_t = 200)]
    pub tick_ms: u64,
    /// Least milliseconds between polls of a printer; default: every tick for printers whose
    /// state is pushed, 1000 for those asked over HTTP (OctoPrint, PrusaLink).
    #[arg(long)]
    pub poll_ms: Option<u64>,
    /// Drive an OctoPrint instance (base URL, e.g. http://octopi.local).
    #[arg(long, conflicts_with = "simulate", requires = "api_key")]
    pub octoprint: Option<String>,
    /// The OctoPrint API key.
    #[arg(long, env = "GANTRY_OCTOPRINT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The printer camera's snapshot URL (a JPEG), fetched by the agent and sent to the server;
    /// default: the one the printer's host software reports (Moonraker, OctoPrint), if any.
    #[arg(long)]
    pub snapshot_url: Option<String>,
    /// Seconds between camera snapshots (0: only when a job starts, ends or fails).
    #[arg(long, default_value_t = 30.0)]
    pub snapshot_secs: f64,
    /// A config file listing the printers to drive, of any kinds (docs/agents.md); replaces
    /// --token/--simulate/--octoprint.
    #[arg(long, env = "GANTRY_AGENT_CONFIG", conflicts_with_all = ["simulate", "octoprint", "token", "tokens_file"])]
    pub config: Option<PathBuf>,
}

/// Why `gantry agent` could not run.
#[derive(Debug, Error)]
pub enum AgentError {
    #[error("choose a printer: --config FILE, --simulate or --octoprint URL --api-key KEY")]
    NoBackend,
    #[error("no printer token: pass --token or --tokens-file")]
    NoToken,
    #[error("reading {path}: {message}")]
    TokensFile { path: String, message: String },
    #[error("{wanted} printers asked for but only {have} tokens given")]
    NotEnoughTokens { wanted: usize, have: usize },
    #[error("the OctoPrint backend drives one printer: pass one token")]
    OnePrinterOnly,
    #[error("invalid --{flag}: {message}")]
    BadFlag { flag: &'static str, message: String },
    #[error("printer {printer}: {source}")]
    Printer { printer: String, source: ConnError },
    #[error("starting the runtime: {0}")]
    Runtime(String),
    #[error("the OctoPrint backend: {0}")]
    Backend(#[from] backend::BackendError),
    #[error("config file: {0}")]
    Config(#[from] config::ConfigError),
}

impl Coded for AgentError {
    fn code(&self) -> &'static str {
        match self {
            AgentError::NoBackend => "AGENT_NO_BACKEND",
            AgentError::NoToken => "AGENT_NO_TOKEN",
            AgentError::TokensFile { .. } => "AGENT_TOKENS_FILE",
            AgentError::NotEnoughTokens { .. } => "AGENT_NOT_ENOUGH_TOKENS",
            AgentError::OnePrinterOnly => "AGENT_ONE_PRINTER_ONLY",
            AgentError::BadFlag { .. } => "AGENT_BAD_FLAG",
            AgentError::Printer { source, .. } => source.code(),
            AgentError::Runtime(_) => "AGENT_RUNTIME",
            AgentError::Backend(e) => e.code(),
            AgentError::Config(_) => "AGENT_CONFIG",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AgentError::Printer { source, .. } => source.kind(),
            AgentError::Runtime(_) | AgentError::Backend(_) => ErrorKind::Internal,
            _ => ErrorKind::Validation,
        }
    }
}

/// The tokens to use, in order: `--token`, or the non-empty lines of `--tokens-file`.
pub fn load_tokens(args: &AgentArgs) -> Result<Vec<String>, AgentError> {
    let mut tokens: Vec<String> = args.token.iter().cloned().collect();
    if let Some(path) = &args.tokens_file {
        let text = std::fs::read_to_string(path).map_err(|e| AgentError::TokensFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        tokens.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    if tokens.is_empty() {
        return Err(AgentError::NoToken);
    }
    Ok(tokens)
}

fn loop_config(args: &AgentArgs) -> Result<LoopConfig, AgentError> {
    if !(args.status_secs.is_finite() && args.status_secs >= 0.0) {
        return Err(AgentError::BadFlag {
            flag: "status-secs",
            message: "must be 0 or more".into(),
        });
    }
    if !(args.snapshot_secs.is_finite() && args.snapshot_secs >= 0.0) {
        return Err(AgentError::BadFlag {
            flag: "snapshot-secs",
            message: "must be 0 or more".into(),
        });
    }
    Ok(LoopConfig {
        tick: Duration::from_millis(args.tick_ms.max(10)),
        status_every: (args.status_secs > 0.0).then(|| Duration::from_secs_f64(args.status_secs)),
        camera: Some(camera::CameraConfig {
            url: args.snapshot_url.clone(),
            every: (args.snapshot_secs > 0.0).then(|| Duration::from_secs_f64(args.snapshot_secs)),
        }),
        ..LoopConfig::default()
    })
}

fn driver_config(args: &AgentArgs, default_clear: Option<f64>) -> Result<DriverConfig, AgentError> {
    let clear = args.auto_clear_secs.or(default_clear);
    if clear.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
        return Err(AgentError::BadFlag {
            flag: "auto-clear-secs",
            message: "must be 0 or more".into(),
        });
    }
    if args.progress_step < 1 || args.progress_step > 100 {
        return Err(AgentError::BadFlag {
            flag: "progress-step",
            message: "must be 1 to 100".into(),
        });
    }
    Ok(DriverConfig {
        auto_clear_ms: clear.map(|s| (s * 1000.0) as u64),
        progress_step: args.progress_step,
        poll_ms: args.poll_ms,
    })
}

/// Runs `gantry agent` until interrupted (Ctrl-C) or every printer's token was refused.
pub fn run(args: AgentArgs) -> Result<(), AgentError> {
    if let Some(path) = &args.config {
        return run_config(&args, config::AgentConfig::load(path)?);
    }
    let tokens = load_tokens(&args)?;
    let loop_cfg = loop_config(&args)?;
    conn::agent_ws_url(&args.server).map_err(|source| AgentError::Printer {
        printer: "-".into(),
        source,
    })?;
    // Both rustls crypto providers are linked into the binary: pick one for wss://.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AgentError::Runtime(e.to_string()))?;
    rt.block_on(async move {
        let clock = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        if args.simulate {
            if !(args.speed.is_finite() && args.speed > 0.0) {
                return Err(AgentError::BadFlag {
                    flag: "speed",
                    message: "must be above 0".into(),
                });
            }
            if !(0.0..=1.0).contains(&args.fail_rate) {
                return Err(AgentError::BadFlag {
                    flag: "fail-rate",
                    message: "must be between 0 and 1".into(),
                });
            }
            let count = args.count.unwrap_or(tokens.len());
            if count > tokens.len() {
                return Err(AgentError::NotEnoughTokens {
                    wanted: count,
                    have: tokens.len(),
                });
            }
            let dcfg = driver_config(&args, Some(2.0))?;
            let fail = FailPolicy {
                rate: args.fail_rate,
                seed: args.seed,
                jobs: args.fail_jobs.iter().copied().collect::<BTreeSet<_>>(),
            };
            let boot = outbox::boot_id();
            tracing::info!(count, server = %args.server, speed = args.speed, "starting simulated printers");
            for (i, token) in tokens.into_iter().take(count).enumerate() {
                let backend = SimPrinter::new(i as u64, args.speed, fail.clone(), args.material.clone());
                let driver = Driver::new(backend, dcfg.clone(), Outbox::new(boot.clone()));
                let label = format!("sim-{}", i + 1);
                tasks.spawn(run_one(
                    label,
                    args.server.clone(),
                    token,
                    driver,
                    loop_cfg.clone(),
                    clock,
                ));
            }
        } else if let Some(url) = &args.octoprint {
            if tokens.len() != 1 || args.count.is_some_and(|c| c != 1) {
                return Err(AgentError::OnePrinterOnly);
            }
            let api_key = args.api_key.clone().unwrap_or_default();
            let backend =
                octoprint::OctoPrint::new(url, &api_key, &args.server, &tokens[0], args.material.clone())?;
            let driver = Driver::new(
                backend,
                driver_config(&args, None)?,
                Outbox::new(outbox::boot_id()),
            );
            tracing::info!(octoprint = %url, server = %args.server, "starting OctoPrint agent");
            tasks.spawn(run_one(
                "octoprint".into(),
                args.server.clone(),
                tokens[0].clone(),
                driver,
                loop_cfg,
                clock,
            ));
        } else {
            return Err(AgentError::NoBackend);
        }
        supervise(tasks).await
    })
}

/// Runs the printers of a config file (the file's `server` wins over `--server`).
fn run_config(args: &AgentArgs, cfg: config::AgentConfig) -> Result<(), AgentError> {
    let loop_cfg = loop_config(args)?;
    let server = cfg.server.clone().unwrap_or_else(|| args.server.clone());
    conn::agent_ws_url(&server).map_err(|source| AgentError::Printer {
        printer: "-".into(),
        source,
    })?;
    let driver_cfg = driver_config(args, None)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AgentError::Runtime(e.to_string()))?;
    rt.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        farm::spawn_all(
            &cfg,
            &server,
            &driver_cfg,
            &loop_cfg,
            tokio::time::Instant::now(),
            &mut tasks,
        )?;
        tracing::info!(printers = cfg.printers.len(), %server, "starting the printers of the config file");
        supervise(tasks).await
    })
}

/// Waits for the printers' tasks (or Ctrl-C); returns the first error.
async fn supervise(mut tasks: tokio::task::JoinSet<Result<(), AgentError>>) -> Result<(), AgentError> {
    let mut first_error = None;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            done = tasks.join_next() => match done {
                None => break,
                Some(Ok(Err(e))) => {
                    eprintln!("gantry agent: {e}");
                    first_error.get_or_insert(e);
                }
                Some(_) => {}
            },
        }
    }
    first_error.map_or(Ok(()), Err)
}

pub(crate) async fn run_one<B: backend::PrinterBackend + 'static>(
    label: String,
    server: String,
    token: String,
    driver: Driver<B>,
    cfg: LoopConfig,
    clock: tokio::time::Instant,
) -> Result<(), AgentError> {
    use tracing::Instrument;
    let span = tracing::info_span!("printer", name = %label);
    conn::run_printer(label.clone(), server, token, driver, cfg, clock)
        .instrument(span)
        .await
        .map_err(|source| AgentError::Printer {
            printer: label,
            source,
        })
}
