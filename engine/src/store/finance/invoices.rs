//! Invoices and credit notes (`invoices`, `invoice_lines`) and tax rates by product category
//! (`finance_tax_rates`). Numbers come from a counter row per kind and year, incremented in the
//! issuing transaction ([`super::next_counter`]): concurrent issues queue on the row, and a
//! rolled-back issue gives its number back, so the numbers of a year have no gaps.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col, next_counter, rejected};
use crate::domain::events::{Event, InvoiceEvent};
use crate::domain::finance::{
    BillableLine, FinanceError, Invoice, InvoiceKind, InvoiceLine, check_invoiceable, invoice_lines, tax_rate,
};
use crate::domain::types::{OrderId, from_millis, to_millis};
use crate::store::{orders, users};

const COLS: &str = "id, kind, number, year, seq, order_id, customer_id, customer_name, credits_invoice_id, \
     currency, net_minor, tax_minor, total_minor, issued_at";

fn from_row(row: &AnyRow) -> StoreResult<Invoice> {
    const T: &str = "invoices";
    let kind: String = col(row, T, "kind")?;
    Ok(Invoice {
        id: col(row, T, "id")?,
        kind: InvoiceKind::parse(&kind).ok_or_else(|| StoreError::corrupt(T, format!("kind {kind:?}")))?,
        number: col(row, T, "number")?,
        year: col(row, T, "year")?,
        seq: col(row, T, "seq")?,
        order_id: col(row, T, "order_id")?,
        customer_id: col(row, T, "customer_id")?,
        customer_name: col(row, T, "customer_name")?,
        credits_invoice_id: col(row, T, "credits_invoice_id")?,
        currency: col(row, T, "currency")?,
        net_minor: col(row, T, "net_minor")?,
        tax_minor: col(row, T, "tax_minor")?,
        total_minor: col(row, T, "total_minor")?,
        issued_at: from_millis(col(row, T, "issued_at")?),
        lines: Vec::new(),
    })
}

async fn lines_of(conn: &mut AnyConnection, id: i64) -> StoreResult<Vec<InvoiceLine>> {
    let rows = sqlx::query(
        "SELECT line_no, description, quantity, unit_price_minor, tax_rate_bp, net_minor, tax_minor, gross_minor \
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "invoice_lines";
            Ok(InvoiceLine {
                line_no: col(r, T, "line_no")?,
                description: col(r, T, "description")?,
                quantity: col(r, T, "quantity")?,
                unit_price_minor: col(r, T, "unit_price_minor")?,
                tax_rate_bp: col(r, T, "tax_rate_bp")?,
                net_minor: col(r, T, "net_minor")?,
                tax_minor: col(r, T, "tax_minor")?,
                gross_minor: col(r, T, "gross_minor")?,
            })
        })
        .collect()
}

/// An invoice or credit note with its lines (`NotFound` if absent).
pub async fn get_invoice(conn: &mut AnyConnection, id: i64) -> StoreResult<Invoice> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM invoices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("invoice", id))?;
    let mut inv = from_row(&row)?;
    inv.lines = lines_of(conn, id).await?;
    Ok(inv)
}

/// The invoice (or credit note) of an order, if issued.
pub async fn for_order(
    conn: &mut AnyConnection,
    order: i64,
    kind: InvoiceKind,
) -> StoreResult<Option<Invoice>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM invoices WHERE order_id = $1 AND kind = $2"
    )))
    .bind(order)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => {
            let mut inv = from_row(&r)?;
            inv.lines = lines_of(conn, inv.id).await?;
            Ok(Some(inv))
        }
        None => Ok(None),
    }
}

/// Invoices and credit notes (without lines), newest first; of one customer or all.
pub async fn list(conn: &mut AnyConnection, customer: Option<i64>, limit: i64) -> StoreResult<Vec<Invoice>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM invoices WHERE ($1 IS NULL OR customer_id = $1) ORDER BY id DESC LIMIT $2"
    )))
    .bind(customer)
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The tax rate of every listed category (basis points).
pub async fn tax_rates(conn: &mut AnyConnection) -> StoreResult<BTreeMap<i64, i64>> {
    let rows = sqlx::query("SELECT category_id, rate_bp FROM finance_tax_rates ORDER BY category_id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "finance_tax_rates", "category_id")?,
                col(r, "finance_tax_rates", "rate_bp")?,
            ))
        })
        .collect()
}

/// Sets a category's tax rate (basis points, 0–10000).
pub async fn set_tax_rate(tx: &mut Tx, category: i64, rate_bp: i64) -> StoreResult<()> {
    tax_rate(rate_bp).map_err(rejected)?;
    crate::store::catalog::get_category(&mut *tx, crate::domain::types::CategoryId(category)).await?;
    sqlx::query(
        "INSERT INTO finance_tax_rates (category_id, rate_bp) VALUES ($1, $2) \
         ON CONFLICT (category_id) DO UPDATE SET rate_bp = $2",
    )
    .bind(category)
    .bind(rate_bp)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The order's lines as billable lines, each at its product category's tax rate (or
/// `default_bp`).
async fn billable(conn: &mut AnyConnection, order: i64, default_bp: i64) -> StoreResult<Vec<BillableLine>> {
    let rows = sqlx::query(
        "SELECT l.description, l.quantity, l.unit_price_minor, r.rate_bp FROM order_lines l \
         LEFT JOIN products p ON p.id = l.product_id \
         LEFT JOIN finance_tax_rates r ON r.category_id = p.category_id \
         WHERE l.order_id = $1 ORDER BY l.line_no",
    )
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "order_lines";
            Ok(BillableLine {
                description: col(r, T, "description")?,
                quantity: col(r, T, "quantity")?,
                unit_price_minor: col(r, T, "unit_price_minor")?,
                tax_rate_bp: col::<Option<i64>>(r, T, "rate_bp")?.unwrap_or(default_bp),
            })
        })
        .collect()
}

async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    kind: InvoiceKind,
    inv: &Invoice,
    lines: &[InvoiceLine],
) -> StoreResult<Invoice> {
    let year = now.year();
    let seq = next_counter(tx, &kind.counter(year)).await?;
    let number = kind.number(year, seq);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO invoices (kind, number, year, seq, order_id, customer_id, customer_name, credits_invoice_id, \
         currency, net_minor, tax_minor, total_minor, issued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {COLS}"
    )))
    .bind(kind.as_str())
    .bind(&number)
    .bind(i64::from(year))
    .bind(seq)
    .bind(inv.order_id)
    .bind(inv.customer_id)
    .bind(&inv.customer_name)
    .bind(inv.credits_invoice_id)
    .bind(&inv.currency)
    .bind(inv.net_minor)
    .bind(inv.tax_minor)
    .bind(inv.total_minor)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        e if e.is_unique_violation() => rejected(FinanceError::AlreadyIssued {
            order: inv.order_id,
            kind: kind.as_str(),
        }),
        e => e,
    })?;
    let mut out = from_row(&row)?;
    for l in lines {
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit_price_minor, tax_rate_bp, \
             net_minor, tax_minor, gross_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(out.id)
        .bind(l.line_no)
        .bind(&l.description)
        .bind(l.quantity)
        .bind(l.unit_price_minor)
        .bind(l.tax_rate_bp)
        .bind(l.net_minor)
        .bind(l.tax_minor)
        .bind(l.gross_minor)
        .execute(&mut **tx)
        .await?;
    }
    out.lines = lines.to_vec();
    let event = Event::Invoice(InvoiceEvent {
        invoice_id: out.id,
        kind: kind.as_str().to_string(),
        number: out.number.clone(),
        order_id: out.order_id,
        customer_id: out.customer_id,
        total_minor: out.total_minor,
        currency: out.currency.clone(),
    });
    crate::store::events::append(tx, now, &event).await?;
    Ok(out)
}

/// Issues the invoice of `order` (its lines at their categories' tax rates, prices gross),
/// numbered `INV-YYYY-NNNNNN`, and appends `invoice.issued`. Refuses a draft, cancelled or
/// refunded order (`FINANCE_NOT_INVOICEABLE`) and a second invoice (`FINANCE_ALREADY_ISSUED`).
pub async fn issue_invoice(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: i64,
    default_bp: i64,
) -> StoreResult<Invoice> {
    tax_rate(default_bp).map_err(rejected)?;
    let o = orders::get_order(&mut *tx, OrderId(order)).await?;
    check_invoiceable(order, o.status).map_err(rejected)?;
    if for_order(&mut *tx, order, InvoiceKind::Invoice).await?.is_some() {
        return Err(rejected(FinanceError::AlreadyIssued {
            order,
            kind: "invoice",
        }));
    }
    let (lines, net, tax) = invoice_lines(&billable(&mut *tx, order, default_bp).await?).map_err(rejected)?;
    let customer = users::get_customer(&mut *tx, o.customer_id).await?;
    let draft = Invoice {
        id: 0,
        kind: InvoiceKind::Invoice,
        number: String::new(),
        year: 0,
        seq: 0,
        order_id: order,
        customer_id: o.customer_id.0,
        customer_name: customer.name,
        credits_invoice_id: None,
        currency: o.total.currency.to_string(),
        net_minor: net,
        tax_minor: tax,
        total_minor: net + tax,
        issued_at: now,
        lines: Vec::new(),
    };
    insert(tx, now, InvoiceKind::Invoice, &draft, &lines).await
}

/// Issues the credit note reversing the invoice of `order` in full (`CN-YYYY-NNNNNN`) and
/// appends `credit_note.issued`. `NotFound` without an invoice; `FINANCE_ALREADY_ISSUED` for a
/// second credit note.
pub async fn issue_credit_note(tx: &mut Tx, now: DateTime<Utc>, order: i64) -> StoreResult<Invoice> {
    let inv = for_order(&mut *tx, order, InvoiceKind::Invoice)
        .await?
        .ok_or_else(|| StoreError::not_found("invoice of order", order))?;
    if for_order(&mut *tx, order, InvoiceKind::CreditNote)
        .await?
        .is_some()
    {
        return Err(rejected(FinanceError::AlreadyIssued {
            order,
            kind: "credit_note",
        }));
    }
    let draft = Invoice {
        credits_invoice_id: Some(inv.id),
        kind: InvoiceKind::CreditNote,
        ..inv.clone()
    };
    insert(tx, now, InvoiceKind::CreditNote, &draft, &inv.lines).await
}
