//! The reports beyond the ledger's own: margins along a dimension, cash flow, customer
//! balances, and every report as CSV.

use chrono::{DateTime, Utc};
use gantry_engine::domain::finance::{
    CashFlowMonth, CustomerBalance, MarginBy, MarginRow, ageing_csv, balances_csv, cash_flow, cash_flow_csv,
    job_costs_csv, margin_rows_csv, margins, margins_csv, months, pnl_csv, trial_balance_csv,
};
use gantry_engine::domain::types::{CustomerId, Money};
use gantry_engine::error::DomainError;
use gantry_engine::store::PoolConn;
use gantry_engine::store::finance::reports;

use crate::{AppResult, Db, conn};

/// Checks a range of periods (`YYYY-MM`, `from` not after `to`): the months in it.
pub fn check_periods(from: &str, to: &str) -> AppResult<Vec<String>> {
    Ok(months(from, to).map_err(DomainError::from)?)
}

/// Margins along `by` for the periods `from..=to`: revenue per order line, costs per job.
pub async fn margins_by(db: &Db, by: MarginBy, from: &str, to: &str) -> AppResult<Vec<MarginRow>> {
    check_periods(from, to)?;
    let mut c = conn(db).await?;
    let revenue = reports::line_revenue(&mut c, from, to, None).await?;
    let charges = reports::job_charges(&mut c, from, to, None).await?;
    Ok(margins(by, &revenue, &charges))
}

/// The cash flow by month for `from..=to`: the cash account's opening balance and movements
/// (receipts, refunds, expenses, other), per currency.
pub async fn cash_flow_report(db: &Db, from: &str, to: &str) -> AppResult<Vec<CashFlowMonth>> {
    let months = check_periods(from, to)?;
    let mut c = conn(db).await?;
    let opening = reports::cash_before(&mut c, from).await?;
    let moves = reports::cash_moves(&mut c, from, to).await?;
    Ok(cash_flow(&months, &opening, &moves))
}

/// What customers owe or hold as credit (one customer, or all with a balance).
pub async fn customer_balances(db: &Db, customer: Option<i64>) -> AppResult<Vec<CustomerBalance>> {
    let mut c = conn(db).await?;
    Ok(reports::customer_balances(&mut c, customer).await?)
}

/// A customer's lifetime revenue (net of tax) and margin per currency, from the ledger: its
/// orders' invoices less credit notes, less what their jobs cost. Empty before anything of
/// it was posted.
pub async fn customer_margin(db: &Db, customer: CustomerId) -> AppResult<Vec<MarginRow>> {
    let mut c = conn(db).await?;
    customer_rows(&mut c, customer).await
}

async fn customer_rows(c: &mut PoolConn, customer: CustomerId) -> AppResult<Vec<MarginRow>> {
    let (from, to) = ("0000-01", "9999-12");
    let revenue = reports::line_revenue(c, from, to, Some(customer.0)).await?;
    let charges = reports::job_charges(c, from, to, Some(customer.0)).await?;
    Ok(margins(MarginBy::Customer, &revenue, &charges))
}

/// A customer's lifetime margin per currency (see [`customer_margin`]), on a connection.
pub async fn customer_margin_on(c: &mut PoolConn, customer: CustomerId) -> AppResult<Vec<Money>> {
    let rows = customer_rows(c, customer).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let cur = gantry_engine::domain::types::Currency::parse(&r.currency).map_err(DomainError::from)?;
        out.push(Money::new(r.margin(), cur));
    }
    Ok(out)
}

/// Which report to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Pnl { from: String, to: String },
    Margins { limit: i64 },
    MarginsBy { by: MarginBy, from: String, to: String },
    JobCosts { order: i64 },
    Ageing,
    CashFlow { from: String, to: String },
    TrialBalance,
    CustomerBalances,
    Expenses { limit: i64 },
    InventoryValuation,
}

/// A report as CSV (RFC 4180).
pub async fn report_csv(db: &Db, now: DateTime<Utc>, report: &Report) -> AppResult<String> {
    Ok(match report {
        Report::Pnl { from, to } => pnl_csv(&super::pnl(db, from, to).await?),
        Report::Margins { limit } => margins_csv(&super::order_margins(db, *limit).await?),
        Report::MarginsBy { by, from, to } => margin_rows_csv(&margins_by(db, *by, from, to).await?),
        Report::JobCosts { order } => job_costs_csv(&super::job_costs(db, *order).await?),
        Report::Ageing => ageing_csv(&super::ageing(db, now).await?),
        Report::CashFlow { from, to } => cash_flow_csv(&cash_flow_report(db, from, to).await?),
        Report::TrialBalance => trial_balance_csv(&super::trial_balance(db).await?),
        Report::CustomerBalances => balances_csv(&customer_balances(db, None).await?),
        Report::Expenses { limit } => expenses_csv(&super::expenses(db, None, *limit).await?),
        Report::InventoryValuation => valuation_csv(&super::inventory_check(db).await?),
    })
}

fn valuation_csv(rows: &[(String, i64, i64)]) -> String {
    gantry_engine::domain::finance::csv(
        &["currency", "ledger_minor", "stock_minor", "difference_minor"],
        rows.iter().map(|(currency, ledger, stock)| {
            vec![
                currency.clone(),
                ledger.to_string(),
                stock.to_string(),
                (ledger - stock).to_string(),
            ]
        }),
    )
}

fn expenses_csv(rows: &[super::Expense]) -> String {
    gantry_engine::domain::finance::csv(
        &[
            "id",
            "incurred_at",
            "category",
            "description",
            "amount_minor",
            "currency",
            "paid",
            "receipt",
            "entry_id",
        ],
        rows.iter().map(|e| {
            vec![
                e.id.to_string(),
                e.incurred_at.to_rfc3339(),
                e.category.as_str().to_string(),
                e.description.clone(),
                e.amount_minor.to_string(),
                e.currency.to_string(),
                if e.paid_in_cash { "cash" } else { "on_account" }.to_string(),
                e.receipt_ref.clone().unwrap_or_default(),
                e.entry_id.to_string(),
            ]
        }),
    )
}
