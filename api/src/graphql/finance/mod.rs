//! Finance: the ledger (chart of accounts, trial balance, journal entries, reversals, manual
//! expenses with receipts), payments by hand (in parts), invoices and credit notes (with their
//! PDF), tax rates, and the reports (costs, margins along a dimension, P&L, cash flow, ageing,
//! customer balances, CSV). Reading the ledger needs `finance:read`, writing `finance:write`
//! (accountant, admin); job costs and margins also `production:plan` (planners see costs, not
//! the ledger); recording a payment `finance:write` or `orders:write`; a customer reads their
//! own invoices.

mod types;

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Upload};
use gantry_app::finance::{self, EntryFilter, ManualLine, ReceiptFile, Report};
use gantry_app::{Db, now};
use gantry_engine::domain::finance::Account;
use gantry_engine::domain::users::Permission;
pub use types::*;

use super::connection::{MoneyInput, id_arg, invalid};
use super::error::app_error;
use super::loaders::count;
use super::principal::{AnyPermissionGuard, PermissionGuard, caller};
use crate::adapters::PrintingServices;

const COSTS: &[Permission] = &[Permission::FinanceRead, Permission::ProductionPlan];
const INVOICES: &[Permission] = &[Permission::FinanceRead, Permission::OrdersReadOwn];
const PAYMENTS: &[Permission] = &[Permission::FinanceWrite, Permission::OrdersWrite];
const PAYMENTS_READ: &[Permission] = &[Permission::FinanceRead, Permission::OrdersWrite];

fn period_args(from: Option<String>, to: Option<String>) -> async_graphql::Result<(String, String)> {
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(invalid("give from and to (YYYY-MM)", "ARGUMENT_REQUIRED")),
    }
}

#[derive(Default)]
pub struct FinanceQuery;

#[Object]
impl FinanceQuery {
    /// The chart of accounts.
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn ledger_accounts(&self) -> Vec<AccountObj> {
        Account::ALL.into_iter().map(Into::into).collect()
    }

    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn trial_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<TrialBalance> {
        count(ctx);
        let all = finance::trial_balance(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(TrialBalance {
            balanced: gantry_engine::domain::finance::trial_balance_is_zero(&all),
            accounts: all.into_iter().map(Into::into).collect(),
        })
    }

    /// Journal entries, newest first (at most `limit`, 1–1000; page with `beforeId`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn journal_entries(
        &self,
        ctx: &Context<'_>,
        order_id: Option<ID>,
        job_id: Option<ID>,
        source: Option<String>,
        before_id: Option<ID>,
        #[graphql(default = 50)] limit: i64,
    ) -> async_graphql::Result<Vec<JournalEntry>> {
        let filter = EntryFilter {
            order_id: order_id.as_ref().map(|v| id_arg(v, "order")).transpose()?,
            job_id: job_id.as_ref().map(|v| id_arg(v, "job")).transpose()?,
            source: source
                .as_deref()
                .map(finance::entry_source)
                .transpose()
                .map_err(app_error)?,
            before_id: before_id
                .as_ref()
                .map(|v| id_arg(v, "journal entry"))
                .transpose()?,
            limit,
        };
        count(ctx);
        let all = finance::entries(ctx.data::<Db>()?, &filter)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn journal_entry(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<JournalEntry> {
        let id = id_arg(&id, "journal entry")?;
        count(ctx);
        Ok(finance::entry(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Invoices and credit notes, newest first (a customer: their own).
    #[graphql(guard = "AnyPermissionGuard(INVOICES)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] limit: i64,
    ) -> async_graphql::Result<Vec<InvoiceNode>> {
        let caller = caller(ctx)?;
        count(ctx);
        let all = finance::invoices(ctx.data::<Db>()?, &caller, limit)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(InvoiceNode).collect())
    }

    #[graphql(guard = "AnyPermissionGuard(INVOICES)")]
    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<InvoiceNode> {
        let id = id_arg(&id, "invoice")?;
        let caller = caller(ctx)?;
        count(ctx);
        Ok(InvoiceNode(
            finance::invoice(ctx.data::<Db>()?, &caller, id)
                .await
                .map_err(app_error)?,
        ))
    }

    /// The invoice of an order, if issued.
    #[graphql(guard = "AnyPermissionGuard(INVOICES)")]
    async fn invoice_of_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<Option<InvoiceNode>> {
        let order = id_arg(&order_id, "order")?;
        let caller = caller(ctx)?;
        count(ctx);
        let inv = finance::invoice_of_order(ctx.data::<Db>()?, &caller, order)
            .await
            .map_err(app_error)?;
        Ok(inv.map(InvoiceNode))
    }

    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn tax_rates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TaxRate>> {
        count(ctx);
        let all = finance::tax_rates(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(all
            .into_iter()
            .map(|(c, r)| TaxRate {
                category_id: id(c),
                rate_bp: r,
            })
            .collect())
    }

    /// What each finished or failed job of an order cost (material at lot cost, machine time).
    #[graphql(guard = "AnyPermissionGuard(COSTS)")]
    async fn job_costs(&self, ctx: &Context<'_>, order_id: ID) -> async_graphql::Result<Vec<JobCostObj>> {
        let order = id_arg(&order_id, "order")?;
        count(ctx);
        let all = finance::job_costs(ctx.data::<Db>()?, order)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// An order's actual cost and margin (null before anything was posted for it).
    #[graphql(guard = "AnyPermissionGuard(COSTS)")]
    async fn order_margin(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<Option<MarginObj>> {
        let order = id_arg(&order_id, "order")?;
        count(ctx);
        let m = finance::order_margin(ctx.data::<Db>()?, order)
            .await
            .map_err(app_error)?;
        Ok(m.map(Into::into))
    }

    /// Margins of the most recent orders with postings.
    #[graphql(guard = "AnyPermissionGuard(COSTS)")]
    async fn order_margins(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] limit: i64,
    ) -> async_graphql::Result<Vec<MarginObj>> {
        count(ctx);
        let all = finance::order_margins(ctx.data::<Db>()?, limit)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Profit and loss by month for `from..=to` (`YYYY-MM`).
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn profit_and_loss(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> async_graphql::Result<Vec<PnlObj>> {
        count(ctx);
        let all = finance::pnl(ctx.data::<Db>()?, &from, &to)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn receivables_ageing(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AgeingObj>> {
        count(ctx);
        let all = finance::ageing(ctx.data::<Db>()?, now())
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// The inventory account against the spools' remaining grams at lot cost.
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn inventory_valuation(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InventoryValuation>> {
        count(ctx);
        let all = finance::inventory_check(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(all
            .into_iter()
            .map(|(currency, ledger_minor, stock_minor)| InventoryValuation {
                currency,
                ledger_minor,
                stock_minor,
            })
            .collect())
    }

    /// A report as CSV (RFC 4180): `from`/`to` (`YYYY-MM`) for the P&L, margins and cash
    /// flow, `by` for margins, `orderId` for job costs, `limit` for order margins and expenses.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn finance_report_csv(
        &self,
        ctx: &Context<'_>,
        report: FinanceReport,
        from: Option<String>,
        to: Option<String>,
        order_id: Option<ID>,
        by: Option<MarginDimension>,
        #[graphql(default = 1000)] limit: i64,
    ) -> async_graphql::Result<String> {
        let report = match report {
            FinanceReport::ProfitAndLoss => {
                let (from, to) = period_args(from, to)?;
                Report::Pnl { from, to }
            }
            FinanceReport::OrderMargins => Report::Margins { limit },
            FinanceReport::JobCosts => match order_id {
                Some(o) => Report::JobCosts {
                    order: id_arg(&o, "order")?,
                },
                None => return Err(invalid("give orderId", "ARGUMENT_REQUIRED")),
            },
            FinanceReport::ReceivablesAgeing => Report::Ageing,
            FinanceReport::Margins => {
                let (from, to) = period_args(from, to)?;
                let by = by.ok_or_else(|| invalid("give by", "ARGUMENT_REQUIRED"))?;
                Report::MarginsBy {
                    by: by.into(),
                    from,
                    to,
                }
            }
            FinanceReport::CashFlow => {
                let (from, to) = period_args(from, to)?;
                Report::CashFlow { from, to }
            }
            FinanceReport::TrialBalance => Report::TrialBalance,
            FinanceReport::CustomerBalances => Report::CustomerBalances,
            FinanceReport::Expenses => Report::Expenses { limit },
            FinanceReport::InventoryValuation => Report::InventoryValuation,
        };
        count(ctx);
        finance::report_csv(ctx.data::<Db>()?, now(), &report)
            .await
            .map_err(app_error)
    }

    /// Revenue (net of tax), actual cost and margin along a dimension for the months
    /// `from..=to` (`YYYY-MM`).
    #[graphql(guard = "AnyPermissionGuard(COSTS)")]
    async fn margins(
        &self,
        ctx: &Context<'_>,
        by: MarginDimension,
        from: String,
        to: String,
    ) -> async_graphql::Result<Vec<MarginRowObj>> {
        count(ctx);
        let all = finance::margins_by(ctx.data::<Db>()?, by.into(), &from, &to)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// The cash flow by month for `from..=to` (`YYYY-MM`), per currency.
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn cash_flow(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> async_graphql::Result<Vec<CashFlowObj>> {
        count(ctx);
        let all = finance::cash_flow_report(ctx.data::<Db>()?, &from, &to)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// What customers owe or hold as credit (one customer, or every customer with a balance).
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn customer_balances(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<Vec<CustomerBalanceObj>> {
        let customer = customer_id.as_ref().map(|c| id_arg(c, "customer")).transpose()?;
        count(ctx);
        let all = finance::customer_balances(ctx.data::<Db>()?, customer)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// The payments of an order and what it still owes.
    #[graphql(guard = "AnyPermissionGuard(PAYMENTS_READ)")]
    async fn order_payments(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<OrderPaymentsObj> {
        let order = id_arg(&order_id, "order")?;
        count(ctx);
        Ok(finance::order_payments(ctx.data::<Db>()?, order)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Manual expenses, newest first (page with `beforeId`).
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn expenses(
        &self,
        ctx: &Context<'_>,
        before_id: Option<ID>,
        #[graphql(default = 50)] limit: i64,
    ) -> async_graphql::Result<Vec<ExpenseObj>> {
        let before = before_id.as_ref().map(|b| id_arg(b, "expense")).transpose()?;
        count(ctx);
        let all = finance::expenses(ctx.data::<Db>()?, before, limit)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// An expense's receipt file (`NOT_FOUND` when it has none stored).
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn expense_receipt(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ExpenseReceipt> {
        let expense = id_arg(&id, "expense")?;
        let svc = ctx.data::<Arc<PrintingServices>>()?;
        count(ctx);
        let (key, bytes) = finance::expense_receipt(ctx.data::<Db>()?, &svc.storage, expense)
            .await
            .map_err(app_error)?;
        Ok(ExpenseReceipt {
            expense_id: id,
            key,
            size: bytes.len() as i64,
            base64: gantry_engine::domain::finance::pdf::base64(&bytes),
        })
    }
}

#[derive(Default)]
pub struct FinanceMutation;

#[Object]
impl FinanceMutation {
    /// Issues the invoice of an order on demand (placed, not cancelled or refunded; once).
    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn issue_invoice(&self, ctx: &Context<'_>, order_id: ID) -> async_graphql::Result<InvoiceNode> {
        let order = id_arg(&order_id, "order")?;
        let inv = finance::issue_invoice(ctx.data::<Db>()?, now(), order, &settings(ctx))
            .await
            .map_err(app_error)?;
        Ok(InvoiceNode(inv))
    }

    /// Records a manual expense and posts it. A `receipt` file (multipart upload, up to
    /// 10 MiB) is kept in object storage and the expense points at it.
    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn record_expense(
        &self,
        ctx: &Context<'_>,
        input: RecordExpenseInput,
        receipt: Option<Upload>,
    ) -> async_graphql::Result<ExpenseObj> {
        let caller = caller(ctx)?;
        let db = ctx.data::<Db>()?;
        let amount = input.amount.to_money()?;
        let e = match receipt {
            None => {
                finance::record_expense(
                    db,
                    &caller,
                    now(),
                    &input.category,
                    &input.description,
                    amount,
                    input.paid_in_cash,
                    input.receipt_ref.as_deref(),
                )
                .await
            }
            Some(upload) => {
                let value = upload.value(ctx)?;
                let file_name = value.filename.clone();
                let bytes = tokio::task::spawn_blocking(move || {
                    let mut buf = Vec::new();
                    std::io::Read::read_to_end(&mut value.into_read(), &mut buf).map(|_| buf)
                })
                .await
                .map_err(|e| async_graphql::Error::new(format!("upload task failed: {e}")))?
                .map_err(|e| async_graphql::Error::new(format!("cannot read the upload: {e}")))?;
                let svc = ctx.data::<Arc<PrintingServices>>()?;
                finance::record_expense_with_receipt(
                    db,
                    &svc.storage,
                    &caller,
                    now(),
                    &input.category,
                    &input.description,
                    amount,
                    input.paid_in_cash,
                    ReceiptFile { file_name, bytes },
                )
                .await
            }
        }
        .map_err(app_error)?;
        Ok(e.into())
    }

    /// Records a payment of an order by hand (a bank transfer, cash): in parts while it is
    /// placed; the part that pays it in full makes it paid. Refused: a draft, cancelled or
    /// refunded order (`FINANCE_NOT_PAYABLE`), an order paid already (`FINANCE_ALREADY_PAID`),
    /// more than it owes (`FINANCE_OVERPAYMENT`), another currency, an amount not above zero.
    #[graphql(guard = "AnyPermissionGuard(PAYMENTS)")]
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        amount: MoneyInput,
        #[graphql(default)] reference: String,
    ) -> async_graphql::Result<RecordedPaymentObj> {
        let order = id_arg(&order_id, "order")?;
        let caller = caller(ctx)?;
        let r = finance::record_payment(
            ctx.data::<Db>()?,
            &caller,
            now(),
            order,
            amount.to_money()?,
            &reference,
        )
        .await
        .map_err(app_error)?;
        Ok(r.into())
    }

    /// Posts a manual journal entry (e.g. paying a supplier: Dr 2000 / Cr 1000). Refused with
    /// a coded error, nothing written: no lines or only zero amounts (`FINANCE_ZERO_ENTRY`),
    /// an unknown account, an account only the postings keep (receivables, inventory,
    /// prepayments: `FINANCE_ACCOUNT_NOT_MANUAL`), a line with both or neither side or an
    /// amount not above zero (`FINANCE_INVALID_AMOUNT`), mixed currencies
    /// (`FINANCE_CURRENCY_MISMATCH`), debits ≠ credits (`FINANCE_UNBALANCED`), a single line.
    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn post_journal_entry(
        &self,
        ctx: &Context<'_>,
        input: JournalEntryInput,
    ) -> async_graphql::Result<JournalEntry> {
        let caller = caller(ctx)?;
        let mut lines = Vec::with_capacity(input.lines.len());
        for l in input.lines {
            lines.push(ManualLine {
                account: l.account,
                debit: l.debit.map(|m| m.to_money()).transpose()?,
                credit: l.credit.map(|m| m.to_money()).transpose()?,
            });
        }
        let e = finance::post_manual(ctx.data::<Db>()?, &caller, now(), &input.memo, &lines)
            .await
            .map_err(app_error)?;
        Ok(e.into())
    }

    /// Reverses a posted entry (once): posts its lines swapped.
    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn reverse_journal_entry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<JournalEntry> {
        let id = id_arg(&id, "journal entry")?;
        let caller = caller(ctx)?;
        let e = finance::reverse(ctx.data::<Db>()?, &caller, now(), id, &reason)
            .await
            .map_err(app_error)?;
        Ok(e.into())
    }

    /// Sets a product category's tax rate (basis points, 0–10000).
    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn set_tax_rate(
        &self,
        ctx: &Context<'_>,
        category_id: ID,
        rate_bp: i64,
    ) -> async_graphql::Result<TaxRate> {
        let category = id_arg(&category_id, "category")?;
        finance::set_tax_rate(ctx.data::<Db>()?, category, rate_bp)
            .await
            .map_err(app_error)?;
        Ok(TaxRate {
            category_id: id(category),
            rate_bp,
        })
    }
}
