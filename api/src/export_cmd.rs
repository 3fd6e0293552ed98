//! `gantry export KIND --format csv|xlsx --from DATE --to DATE [--output FILE]`: orders,
//! invoices, payments, customers or the ledger of a period, the same file as the GraphQL
//! `export` query. The arguments are checked before the database is opened.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use gantry_app::Db;
use gantry_app::domain::integrations::IntegrationError;
use gantry_app::domain::integrations::exports::{ExportFormat, ExportKind, Period};
use gantry_app::exports::{self, ExportFile};

/// A checked export request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub kind: ExportKind,
    pub format: ExportFormat,
    pub period: Period,
}

/// Reads the command's arguments (the error names what is accepted).
pub fn parse(kind: &str, format: &str, from: &str, to: &str) -> anyhow::Result<Request> {
    let k = ExportKind::parse(kind).ok_or_else(|| IntegrationError::ExportUnknown(kind.to_string()))?;
    let f = ExportFormat::parse(format).ok_or_else(|| IntegrationError::ExportUnknown(format.to_string()))?;
    Ok(Request {
        kind: k,
        format: f,
        period: Period::parse(from, to)?,
    })
}

/// Makes the file.
pub async fn run(db: &Db, r: Request) -> anyhow::Result<ExportFile> {
    Ok(exports::export(db, r.kind, r.format, r.period).await?)
}

/// Writes the file to `output` (a new file) or to standard output.
pub fn write(file: &ExportFile, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("creating {}", path.display()))?;
            f.write_all(&file.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{} rows written to {}", file.rows, path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&file.bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
