//! Exports (read only): the rows of an export of a period, read under the columns its kind
//! declares (`domain::integrations::exports`), oldest first.

use sqlx::AnyConnection;

use super::{StoreError, StoreResult, col};
use crate::domain::integrations::IntegrationError;
use crate::domain::integrations::exports::{Cell, ColumnType, ExportKind, Period, Table};
use crate::domain::types::{from_millis, to_millis};

/// The most rows one export holds; a period with more is refused (export shorter periods).
pub const MAX_ROWS: i64 = 200_000;

fn sql(kind: ExportKind) -> &'static str {
    match kind {
        ExportKind::Orders => {
            "SELECT o.id AS order_id, o.customer_id, c.name AS customer_name, o.status, o.currency, \
             o.total_minor, o.priority, o.due_at, o.created_at, o.updated_at \
             FROM orders o JOIN customers c ON c.id = o.customer_id \
             WHERE o.created_at >= $1 AND o.created_at < $2 ORDER BY o.created_at, o.id LIMIT $3"
        }
        ExportKind::Invoices => {
            "SELECT id AS invoice_id, kind, number, order_id, customer_id, customer_name, credits_invoice_id, \
             currency, net_minor, tax_minor, total_minor, issued_at \
             FROM invoices WHERE issued_at >= $1 AND issued_at < $2 ORDER BY issued_at, id LIMIT $3"
        }
        ExportKind::Payments => {
            "SELECT id AS payment_id, provider, provider_event_id, reference, order_id, status, held_reason, \
             currency, amount_minor, received_at \
             FROM payments WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at, id LIMIT $3"
        }
        ExportKind::Customers => {
            "SELECT id AS customer_id, name, email, company, created_at \
             FROM customers WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id LIMIT $3"
        }
        ExportKind::Ledger => {
            "SELECT e.id AS entry_id, e.posted_at, e.period, e.source, e.memo, e.order_id, l.account, \
             a.name AS account_name, l.currency, l.debit_minor, l.credit_minor \
             FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id \
             JOIN finance_accounts a ON a.code = l.account \
             WHERE e.posted_at >= $1 AND e.posted_at < $2 ORDER BY e.posted_at, e.id, l.id LIMIT $3"
        }
    }
}

/// The export of `kind` for `period`; more than [`MAX_ROWS`] rows is `EXPORT_TOO_LARGE`.
pub async fn table(conn: &mut AnyConnection, kind: ExportKind, period: Period) -> StoreResult<Table> {
    const T: &str = "export";
    let rows = sqlx::query(sql(kind))
        .bind(to_millis(period.from))
        .bind(to_millis(period.to))
        .bind(MAX_ROWS + 1)
        .fetch_all(&mut *conn)
        .await?;
    if i64::try_from(rows.len()).unwrap_or(i64::MAX) > MAX_ROWS {
        return Err(StoreError::Rejected(
            IntegrationError::ExportTooLarge { max_rows: MAX_ROWS }.into(),
        ));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut cells = Vec::with_capacity(kind.columns().len());
        for (name, ty) in kind.columns() {
            cells.push(match ty {
                ColumnType::Int => Cell::Int(col(r, T, name)?),
                ColumnType::OptInt => col::<Option<i64>>(r, T, name)?.map_or(Cell::Empty, Cell::Int),
                ColumnType::Text => Cell::Text(col(r, T, name)?),
                ColumnType::OptText => col::<Option<String>>(r, T, name)?.map_or(Cell::Empty, Cell::Text),
                ColumnType::Time => Cell::time(from_millis(col(r, T, name)?)),
                ColumnType::OptTime => {
                    col::<Option<i64>>(r, T, name)?.map_or(Cell::Empty, |t| Cell::time(from_millis(t)))
                }
            });
        }
        out.push(cells);
    }
    Ok(Table {
        kind,
        period,
        rows: out,
    })
}
