//! Use cases of `finance`: the ledger (trial balance, entries, reversals, manual expenses with
//! receipts in object storage), payments by hand (in parts), invoices and credit notes (issue,
//! PDF), tax rates, and the reports (job costs, order margins, margins by product, customer,
//! material, printer and period, P&L by month, cash flow, receivables ageing, customer
//! balances, each also as CSV). Postings from business events are made by the [`consumer`] from
//! the event outbox ([`postings`]).

mod analysis;
pub mod consumer;
mod payments;
pub mod postings;

pub use analysis::*;
pub use payments::*;

use chrono::{DateTime, Utc};
pub use gantry_engine::domain::finance::ManualLine;
use gantry_engine::domain::finance::{
    AccountBalance, Ageing, EntrySource, ExpenseCategory, Invoice, JobCost, OrderMargin, PnlMonth,
    PostedEntry, manual_entry, pdf, period_of,
};
use gantry_engine::domain::types::{CustomerId, Money};
use gantry_engine::store::finance::{self as ledger, invoices, reports};
pub use gantry_engine::store::finance::{EntryFilter, Expense};

use crate::{AppError, AppResult, Caller, Db, Sees, conn, in_tx};

/// How finance behaves (from the configuration's `finance` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceSettings {
    /// Issue the invoice when an order is paid (else only on demand).
    pub issue_on_payment: bool,
    /// The tax rate of products without a category rate, basis points.
    pub default_tax_bp: i64,
    /// The seller's name and address line printed on invoices.
    pub seller: String,
    /// Printer minutes each plate attempt spends on set-up (preparing the bed, heating up,
    /// clearing the plate), costed at the printer's hourly cost (account 5210).
    pub setup_minutes: i64,
}

impl Default for FinanceSettings {
    fn default() -> Self {
        FinanceSettings {
            issue_on_payment: true,
            default_tax_bp: 1900,
            seller: "Gantry print farm".into(),
            setup_minutes: 0,
        }
    }
}

/// The trial balance: every account's debits and credits per currency.
pub async fn trial_balance(db: &Db) -> AppResult<Vec<AccountBalance>> {
    let mut c = conn(db).await?;
    Ok(ledger::balances(&mut c).await?)
}

/// Journal entries, newest first.
pub async fn entries(db: &Db, filter: &EntryFilter) -> AppResult<Vec<PostedEntry>> {
    let mut c = conn(db).await?;
    Ok(ledger::list_entries(&mut c, filter).await?)
}

/// One journal entry.
pub async fn entry(db: &Db, id: i64) -> AppResult<PostedEntry> {
    let mut c = conn(db).await?;
    Ok(ledger::get_entry(&mut c, id).await?)
}

/// Reverses a posted entry (once); returns the reversal.
pub async fn reverse(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    reason: &str,
) -> AppResult<PostedEntry> {
    let rid: AppResult<i64> =
        in_tx!(db, tx => ledger::reverse(&mut tx, now, id, reason, caller.user_id.map(|u| u.0)).await?);
    entry(db, rid?).await
}

/// Posts a manual entry (e.g. paying a supplier: Dr Payables / Cr Cash); returns it as posted.
/// Refused with a coded error and nothing written: see [`manual_entry`].
pub async fn post_manual(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    memo: &str,
    lines: &[ManualLine],
) -> AppResult<PostedEntry> {
    let new = manual_entry(memo, lines).map_err(gantry_engine::error::DomainError::from)?;
    let id: AppResult<i64> =
        in_tx!(db, tx => ledger::post(&mut tx, now, &new, caller.user_id.map(|u| u.0)).await?);
    entry(db, id?).await
}

/// Records a manual expense of `category` and posts it.
#[allow(clippy::too_many_arguments)]
pub async fn record_expense(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    category: &str,
    description: &str,
    amount: Money,
    paid_in_cash: bool,
    receipt_ref: Option<&str>,
) -> AppResult<Expense> {
    let category = ExpenseCategory::parse(category).map_err(gantry_engine::error::DomainError::from)?;
    in_tx!(db, tx => ledger::record_expense(
        &mut tx,
        now,
        category,
        description,
        amount,
        paid_in_cash,
        receipt_ref,
        caller.user_id.map(|u| u.0),
    )
    .await?)
}

/// Issues the invoice of an order on demand.
pub async fn issue_invoice(
    db: &Db,
    now: DateTime<Utc>,
    order: i64,
    settings: &FinanceSettings,
) -> AppResult<Invoice> {
    in_tx!(db, tx => invoices::issue_invoice(&mut tx, now, order, settings.default_tax_bp).await?)
}

fn may_see(caller: &Caller, inv: &Invoice) -> AppResult<()> {
    if caller.may_see(CustomerId(inv.customer_id)) {
        Ok(())
    } else {
        Err(AppError::not_found("invoice", inv.id))
    }
}

/// An invoice or credit note (a customer sees only their own).
pub async fn invoice(db: &Db, caller: &Caller, id: i64) -> AppResult<Invoice> {
    let mut c = conn(db).await?;
    let inv = invoices::get_invoice(&mut c, id).await?;
    may_see(caller, &inv)?;
    Ok(inv)
}

/// The invoice of an order, if issued.
pub async fn invoice_of_order(db: &Db, caller: &Caller, order: i64) -> AppResult<Option<Invoice>> {
    let mut c = conn(db).await?;
    let inv = invoices::for_order(
        &mut c,
        order,
        gantry_engine::domain::finance::InvoiceKind::Invoice,
    )
    .await?;
    if let Some(i) = &inv {
        may_see(caller, i)?;
    }
    Ok(inv)
}

/// Invoices and credit notes, newest first (a customer: their own).
pub async fn invoices(db: &Db, caller: &Caller, limit: i64) -> AppResult<Vec<Invoice>> {
    let customer = match caller.sees {
        Sees::All => None,
        Sees::Own(c) => Some(c.0),
        Sees::None => return Ok(Vec::new()),
    };
    let mut c = conn(db).await?;
    Ok(invoices::list(&mut c, customer, limit).await?)
}

/// An invoice's PDF (a customer: only their own).
pub async fn invoice_pdf(
    db: &Db,
    caller: &Caller,
    id: i64,
    settings: &FinanceSettings,
) -> AppResult<(Invoice, Vec<u8>)> {
    let inv = invoice(db, caller, id).await?;
    let bytes = pdf::render_invoice(&inv, &settings.seller);
    Ok((inv, bytes))
}

/// Sets a product category's tax rate (basis points).
pub async fn set_tax_rate(db: &Db, category: i64, rate_bp: i64) -> AppResult<()> {
    in_tx!(db, tx => invoices::set_tax_rate(&mut tx, category, rate_bp).await?)
}

/// Tax rates by category id.
pub async fn tax_rates(db: &Db) -> AppResult<Vec<(i64, i64)>> {
    let mut c = conn(db).await?;
    Ok(invoices::tax_rates(&mut c).await?.into_iter().collect())
}

/// Profit and loss by month for the periods `from..=to` (`YYYY-MM`; checked).
pub async fn pnl(db: &Db, from: &str, to: &str) -> AppResult<Vec<PnlMonth>> {
    check_periods(from, to)?;
    let mut c = conn(db).await?;
    Ok(reports::pnl(&mut c, from, to).await?)
}

/// The P&L of the 12 months ending with the month of `now`.
pub async fn pnl_last_year(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<PnlMonth>> {
    let to = period_of(now);
    let from = period_of(now - chrono::Duration::days(334));
    pnl(db, &from, &to).await
}

/// What each finished or failed job of an order cost.
pub async fn job_costs(db: &Db, order: i64) -> AppResult<Vec<JobCost>> {
    let mut c = conn(db).await?;
    Ok(reports::job_costs(&mut c, order).await?)
}

/// Actual cost, revenue and margin of one order (None before anything was posted for it).
pub async fn order_margin(db: &Db, order: i64) -> AppResult<Option<OrderMargin>> {
    let mut c = conn(db).await?;
    Ok(reports::order_margins(&mut c, Some(order), 1).await?.pop())
}

/// Margins of the most recent orders with postings.
pub async fn order_margins(db: &Db, limit: i64) -> AppResult<Vec<OrderMargin>> {
    let mut c = conn(db).await?;
    Ok(reports::order_margins(&mut c, None, limit).await?)
}

/// Receivables by age at `now`.
pub async fn ageing(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<Ageing>> {
    let mut c = conn(db).await?;
    Ok(reports::ageing(&mut c, now).await?)
}

/// The inventory account's balance and the stock's value at lot cost, per currency (equal
/// once every event is posted).
pub async fn inventory_check(db: &Db) -> AppResult<Vec<(String, i64, i64)>> {
    let mut c = conn(db).await?;
    let balances = ledger::balances(&mut c).await?;
    let stock = ledger::stock_value(&mut c).await?;
    let mut out: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for b in balances
        .iter()
        .filter(|b| b.account == gantry_engine::domain::finance::Account::Inventory)
    {
        out.entry(b.currency.to_string()).or_default().0 += b.net();
    }
    for (cur, v) in stock {
        out.entry(cur.to_string()).or_default().1 += v;
    }
    Ok(out.into_iter().map(|(c, (a, b))| (c, a, b)).collect())
}

/// Sources of entries (for filters).
pub fn entry_source(s: &str) -> AppResult<EntrySource> {
    EntrySource::parse(s)
        .ok_or_else(|| AppError::invalid("FINANCE_INVALID_FIELD", format!("unknown entry source {s:?}")))
}
