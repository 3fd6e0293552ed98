//! The `gantry` binary.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gantry_api::config::Config;
use gantry_engine::store::Db;

mod solve_cmd;

#[derive(Parser, Debug)]
#[command(name = "gantry", version, about = "Gantry: run a 3D-printing farm end to end")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Server(ServerCommand),
    /// Solve a scheduling problem file, or check a plan against it (`--check PLAN.json`).
    Solve(solve_cmd::SolveArgs),
    /// Run the printer agent: simulated printers (`--simulate`) or an OctoPrint instance.
    Agent(gantry_agent::AgentArgs),
}

/// Commands that need configuration and the database.
#[derive(Subcommand, Debug)]
enum ServerCommand {
    /// Start the server (HTTP + GraphQL) after applying migrations.
    Serve {
        /// Load the demo farm first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo farm (idempotent: a second run adds nothing).
    Demo,
    /// Create an account; the password is read from the first line of standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, planner, operator, accountant, sales, customer or integrator.
        #[arg(long)]
        role: String,
        /// The customer record (customer accounts only).
        #[arg(long)]
        customer_id: Option<i64>,
    },
    /// Set an account's password (read from the first line of standard input); ends its sessions.
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// Mint one agent token per printer (all, or `--printers A,B`); the secrets are shown once.
    PrinterTokens {
        /// Write the tokens to this new file (one per line) instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Printer names (comma-separated); default: every printer.
        #[arg(long, value_delimiter = ',')]
        printers: Vec<String>,
    },
    /// Export orders, invoices, payments, customers or the ledger of a period as CSV or XLSX.
    Export {
        /// orders, invoices, payments, customers or ledger.
        kind: String,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// First day (YYYY-MM-DD, midnight UTC) or RFC 3339 time, inclusive.
        #[arg(long)]
        from: String,
        /// Last day or time, exclusive (at most 400 days after --from).
        #[arg(long)]
        to: String,
        /// Write to this new file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        // Pure computation: needs no configuration, database or runtime.
        Command::Solve(args) => return ExitCode::from(u8::try_from(solve_cmd::run(args)).unwrap_or(1)),
        Command::Agent(args) => {
            gantry_api::telemetry::init(gantry_api::config::LogFormat::Text);
            return match gantry_agent::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("gantry agent: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Server(command) => command,
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gantry: {e}");
            return ExitCode::from(2);
        }
    };
    gantry_api::telemetry::init(config.telemetry.log_format);
    let result = actix_web::rt::System::new().block_on(run(command, config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantry: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open_db(config: &Config) -> anyhow::Result<Db> {
    if config.database.is_sqlite() {
        let dir = &config.storage.data_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("creating data directory {}", dir.display()))?;
    }
    let db = Db::connect(&config.database.url)
        .await
        .context("connecting to the database")?;
    let applied = db.migrate().await.context("applying migrations")?;
    if !applied.is_empty() {
        tracing::info!(?applied, backend = db.backend().name(), "migrations applied");
    }
    Ok(db)
}

async fn run(command: ServerCommand, config: Config) -> anyhow::Result<()> {
    match command {
        ServerCommand::Migrate => {
            let db = open_db(&config).await?;
            println!("database ({}) is up to date", db.backend().name());
            db.close().await;
        }
        ServerCommand::Demo => {
            let db = open_db(&config).await?;
            let summary = gantry_engine::store::demo::load(&db)
                .await
                .context("loading the demo farm")?;
            println!("{summary}");
            db.close().await;
        }
        ServerCommand::CreateUser {
            email,
            name,
            role,
            customer_id,
        } => {
            let password = gantry_api::user_cmd::read_password(&mut std::io::stdin().lock())?;
            let db = open_db(&config).await?;
            let id =
                gantry_api::user_cmd::create_user(&db, &email, &name, &role, customer_id, password).await;
            db.close().await;
            println!("created user {}", id?);
        }
        ServerCommand::SetPassword { email } => {
            let password = gantry_api::user_cmd::read_password(&mut std::io::stdin().lock())?;
            let db = open_db(&config).await?;
            let id = gantry_api::user_cmd::set_password(&db, &email, password).await;
            db.close().await;
            println!("password set for user {}", id?);
        }
        ServerCommand::PrinterTokens { output, printers } => {
            use gantry_api::printer_tokens_cmd as cmd;
            let file = output.as_deref().map(cmd::create_file).transpose()?;
            let db = open_db(&config).await?;
            let minted = cmd::mint(&db, &printers).await;
            db.close().await;
            match (minted, file, output) {
                (Ok(minted), Some(file), Some(path)) => {
                    cmd::write_file(file, &path, &minted)?;
                    println!("{} printer tokens written to {}", minted.len(), path.display());
                }
                (Ok(minted), _, _) => print!("{}", cmd::render(&minted)),
                (Err(e), _, path) => {
                    if let Some(path) = path {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(e);
                }
            }
        }
        ServerCommand::Export {
            kind,
            format,
            from,
            to,
            output,
        } => {
            use gantry_api::export_cmd as cmd;
            let request = cmd::parse(&kind, &format, &from, &to)?;
            let db = open_db(&config).await?;
            let file = cmd::run(&db, request).await;
            db.close().await;
            cmd::write(&file?, output.as_deref())?;
        }
        ServerCommand::Serve { demo } => {
            let db = open_db(&config).await?;
            if demo {
                let summary = gantry_engine::store::demo::load(&db)
                    .await
                    .context("loading the demo farm")?;
                tracing::info!(%summary, "demo farm");
            }
            let listener = std::net::TcpListener::bind(config.server.listen)
                .with_context(|| format!("binding {} (GANTRY_LISTEN)", config.server.listen))?;
            tracing::info!(addr = %listener.local_addr()?, backend = db.backend().name(), "gantry serving");
            // Serves HTTP/GraphQL and the agents' WebSocket; the live farm stops with the server.
            gantry_api::server::serve(listener, &config, db.clone()).await?;
            db.close().await;
        }
    }
    Ok(())
}
