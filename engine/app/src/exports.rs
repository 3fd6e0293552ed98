//! Exports for ERPs and accountants (issue #15): orders, invoices, payments, customers and the
//! ledger of a period as CSV or XLSX, for GraphQL (`export`) and the CLI (`gantry export`).

use gantry_engine::domain::integrations::exports::{ExportFormat, ExportKind, Period};
use gantry_engine::store::Db;
use gantry_engine::store::exports as store;

use crate::{AppResult, conn};

/// An export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// `gantry-orders-2026-01-01-2026-02-01.csv`.
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Data rows (without the header).
    pub rows: usize,
}

/// The export of `kind` for `period` in `format`.
pub async fn export(
    db: &Db,
    kind: ExportKind,
    format: ExportFormat,
    period: Period,
) -> AppResult<ExportFile> {
    let table = store::table(&mut *conn(db).await?, kind, period).await?;
    Ok(ExportFile {
        file_name: table.file_name(format),
        content_type: format.content_type(),
        bytes: table.render(format)?,
        rows: table.rows.len(),
    })
}
