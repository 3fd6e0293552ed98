//! Finance: the ledger (chart of accounts, trial balance, journal entries, reversals, manual
//! expenses), invoices and credit notes (with their PDF), tax rates, and the costing reports.
//! Reading the ledger needs `finance:read`, writing `finance:write` (accountant, admin); job
//! costs and order margins also `production:plan` (planners see costs, not the ledger); a
//! customer reads their own invoices.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use gantry_app::finance::{self, EntryFilter, Expense, FinanceSettings, Report};
use gantry_app::{Db, now};
use gantry_engine::domain::finance::{
    Account, AccountBalance, Ageing, Invoice, InvoiceLine, JobCost, OrderMargin, PnlMonth, PostedEntry, pdf,
};
use gantry_engine::domain::users::Permission;

use super::connection::{MoneyInput, Ts, id_arg, invalid};
use super::error::app_error;
use super::loaders::count;
use super::principal::{AnyPermissionGuard, PermissionGuard, caller};

const COSTS: &[Permission] = &[Permission::FinanceRead, Permission::ProductionPlan];
const INVOICES: &[Permission] = &[Permission::FinanceRead, Permission::OrdersReadOwn];

fn settings(ctx: &Context<'_>) -> FinanceSettings {
    ctx.data_opt::<FinanceSettings>().cloned().unwrap_or_default()
}

/// An account of the chart.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "LedgerAccount")]
pub struct AccountObj {
    /// The account number, e.g. `1000`.
    pub code: String,
    pub name: String,
    /// `asset`, `liability`, `revenue` or `expense`.
    pub kind: String,
}

impl From<Account> for AccountObj {
    fn from(a: Account) -> Self {
        AccountObj {
            code: a.code().into(),
            name: a.name().into(),
            kind: a.kind().as_str().into(),
        }
    }
}

/// An account's debits and credits in one currency.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "AccountBalance")]
pub struct BalanceObj {
    pub account: AccountObj,
    pub currency: String,
    pub debits: i64,
    pub credits: i64,
    /// Debits − credits.
    pub net: i64,
    /// The balance with the account's normal sign (assets, expenses: debit positive).
    pub balance: i64,
}

impl From<AccountBalance> for BalanceObj {
    fn from(b: AccountBalance) -> Self {
        BalanceObj {
            account: b.account.into(),
            currency: b.currency.to_string(),
            debits: b.debits,
            credits: b.credits,
            net: b.net(),
            balance: b.natural(),
        }
    }
}

/// The trial balance: every account per currency; `balanced` when debits equal credits in
/// every currency.
#[derive(SimpleObject, Debug, Clone)]
pub struct TrialBalance {
    pub balanced: bool,
    pub accounts: Vec<BalanceObj>,
}

/// One line of a journal entry.
#[derive(SimpleObject, Debug, Clone)]
pub struct JournalLine {
    pub account: AccountObj,
    pub debit: i64,
    pub credit: i64,
}

/// A posted (immutable) journal entry.
#[derive(SimpleObject, Debug, Clone)]
pub struct JournalEntry {
    pub id: ID,
    pub posted_at: Ts,
    /// `YYYY-MM`.
    pub period: String,
    pub currency: String,
    pub total_minor: i64,
    pub memo: String,
    /// `invoice`, `credit_note`, `payment`, `refund`, `spool_receipt`, `stock_adjustment`,
    /// `job`, `expense`, `manual` or `reversal`.
    pub source: String,
    pub order_id: Option<ID>,
    pub job_id: Option<ID>,
    pub invoice_id: Option<ID>,
    /// The outbox event it was posted for.
    pub event_id: Option<ID>,
    pub reverses: Option<ID>,
    pub reversed_by: Option<ID>,
    pub lines: Vec<JournalLine>,
}

fn id(v: i64) -> ID {
    ID(v.to_string())
}

impl From<PostedEntry> for JournalEntry {
    fn from(e: PostedEntry) -> Self {
        JournalEntry {
            id: id(e.id),
            posted_at: Ts(e.posted_at),
            period: e.period,
            currency: e.currency.to_string(),
            total_minor: e.total_minor,
            memo: e.memo,
            source: e.source.as_str().into(),
            order_id: e.links.order_id.map(id),
            job_id: e.links.job_id.map(id),
            invoice_id: e.links.invoice_id.map(id),
            event_id: e.links.event_id.map(id),
            reverses: e.reverses.map(id),
            reversed_by: e.reversed_by.map(id),
            lines: e
                .lines
                .into_iter()
                .map(|l| JournalLine {
                    account: l.account.into(),
                    debit: l.debit,
                    credit: l.credit,
                })
                .collect(),
        }
    }
}

/// A line of an invoice (prices gross, tax included).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "InvoiceLine")]
pub struct InvoiceLineObj {
    pub line_no: i64,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
}

impl From<InvoiceLine> for InvoiceLineObj {
    fn from(l: InvoiceLine) -> Self {
        InvoiceLineObj {
            line_no: l.line_no,
            description: l.description,
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            tax_rate_bp: l.tax_rate_bp,
            net_minor: l.net_minor,
            tax_minor: l.tax_minor,
            gross_minor: l.gross_minor,
        }
    }
}

/// An invoice or a credit note.
pub struct InvoiceNode(pub Invoice);

/// An invoice or a credit note.
#[Object(name = "Invoice")]
impl InvoiceNode {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// `invoice` or `credit_note`.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    /// Gap-free per kind and year: `INV-2026-000001`, `CN-2026-000001`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn order_id(&self) -> ID {
        id(self.0.order_id)
    }
    async fn customer_id(&self) -> ID {
        id(self.0.customer_id)
    }
    async fn customer_name(&self) -> &str {
        &self.0.customer_name
    }
    /// The invoice a credit note reverses.
    async fn credits_invoice_id(&self) -> Option<ID> {
        self.0.credits_invoice_id.map(id)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn net_minor(&self) -> i64 {
        self.0.net_minor
    }
    async fn tax_minor(&self) -> i64 {
        self.0.tax_minor
    }
    async fn total_minor(&self) -> i64 {
        self.0.total_minor
    }
    async fn issued_at(&self) -> Ts {
        Ts(self.0.issued_at)
    }
    async fn lines(&self) -> Vec<InvoiceLineObj> {
        self.0.lines.iter().cloned().map(Into::into).collect()
    }
    /// The PDF (A4, PDF 1.4), base64.
    async fn pdf_base64(&self, ctx: &Context<'_>) -> String {
        pdf::base64(&pdf::render_invoice(&self.0, &settings(ctx).seller))
    }
}

/// What a finished or failed job cost.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "JobCost")]
pub struct JobCostObj {
    pub job_id: ID,
    pub order_id: ID,
    pub attempt: i64,
    /// `done` or `failed`.
    pub state: String,
    pub printer_id: Option<ID>,
    pub grams: i64,
    pub minutes: i64,
    pub material_minor: i64,
    pub machine_minor: i64,
    pub total_minor: i64,
    pub currency: String,
}

impl From<JobCost> for JobCostObj {
    fn from(j: JobCost) -> Self {
        JobCostObj {
            job_id: id(j.job_id),
            order_id: id(j.order_id),
            attempt: j.attempt,
            total_minor: j.total(),
            state: j.state,
            printer_id: j.printer_id.map(id),
            grams: j.grams,
            minutes: j.minutes,
            material_minor: j.material_minor,
            machine_minor: j.machine_minor,
            currency: j.currency,
        }
    }
}

/// An order's actual cost against its price and revenue.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OrderMargin")]
pub struct MarginObj {
    pub order_id: ID,
    pub customer_id: ID,
    pub currency: String,
    /// The order's (quoted) price, gross.
    pub price_minor: i64,
    /// Revenue recognised, net of tax.
    pub revenue_minor: i64,
    pub material_minor: i64,
    pub machine_minor: i64,
    /// Cost of failed attempts (included in material and machine).
    pub failed_minor: i64,
    pub cost_minor: i64,
    pub margin_minor: i64,
    /// Margin in basis points of revenue.
    pub margin_bp: Option<i64>,
    pub attempts: i64,
    pub failed_attempts: i64,
}

impl From<OrderMargin> for MarginObj {
    fn from(m: OrderMargin) -> Self {
        MarginObj {
            order_id: id(m.order_id),
            customer_id: id(m.customer_id),
            cost_minor: m.cost(),
            margin_minor: m.margin(),
            margin_bp: m.margin_bp(),
            currency: m.currency,
            price_minor: m.price_minor,
            revenue_minor: m.revenue_minor,
            material_minor: m.material_minor,
            machine_minor: m.machine_minor,
            failed_minor: m.failed_minor,
            attempts: m.attempts,
            failed_attempts: m.failed_attempts,
        }
    }
}

/// One month of the profit and loss statement.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PnlMonth")]
pub struct PnlObj {
    pub period: String,
    pub currency: String,
    pub revenue: i64,
    pub cost_of_goods: i64,
    pub materials: i64,
    pub machine: i64,
    pub scrap: i64,
    pub other: i64,
    pub profit: i64,
}

impl From<PnlMonth> for PnlObj {
    fn from(m: PnlMonth) -> Self {
        PnlObj {
            profit: m.profit(),
            period: m.period,
            currency: m.currency,
            revenue: m.revenue,
            cost_of_goods: m.cost_of_goods,
            materials: m.materials,
            machine: m.machine,
            scrap: m.scrap,
            other: m.other,
        }
    }
}

/// Receivables by age of their invoice.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ReceivablesAgeing")]
pub struct AgeingObj {
    pub currency: String,
    pub current: i64,
    pub days31_60: i64,
    pub days61_90: i64,
    pub over90: i64,
    pub total: i64,
}

impl From<Ageing> for AgeingObj {
    fn from(a: Ageing) -> Self {
        AgeingObj {
            total: a.total(),
            currency: a.currency,
            current: a.current,
            days31_60: a.days_31_60,
            days61_90: a.days_61_90,
            over90: a.over_90,
        }
    }
}

/// The inventory account against the stock at lot cost, per currency.
#[derive(SimpleObject, Debug, Clone)]
pub struct InventoryValuation {
    pub currency: String,
    pub ledger_minor: i64,
    pub stock_minor: i64,
}

/// A recorded manual expense.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Expense")]
pub struct ExpenseObj {
    pub id: ID,
    pub category: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub paid_in_cash: bool,
    pub receipt_ref: Option<String>,
    pub entry_id: ID,
    pub incurred_at: Ts,
}

impl From<Expense> for ExpenseObj {
    fn from(e: Expense) -> Self {
        ExpenseObj {
            id: id(e.id),
            category: e.category.as_str().into(),
            description: e.description,
            amount_minor: e.amount_minor,
            currency: e.currency.to_string(),
            paid_in_cash: e.paid_in_cash,
            receipt_ref: e.receipt_ref,
            entry_id: id(e.entry_id),
            incurred_at: Ts(e.incurred_at),
        }
    }
}

/// A finance report to export as CSV.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FinanceReport {
    ProfitAndLoss,
    OrderMargins,
    JobCosts,
    ReceivablesAgeing,
}

/// A category's tax rate.
#[derive(SimpleObject, Debug, Clone)]
pub struct TaxRate {
    pub category_id: ID,
    pub rate_bp: i64,
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

    /// A report as CSV (RFC 4180): `from`/`to` for the P&L, `orderId` for job costs, `limit`
    /// for margins.
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn finance_report_csv(
        &self,
        ctx: &Context<'_>,
        report: FinanceReport,
        from: Option<String>,
        to: Option<String>,
        order_id: Option<ID>,
        #[graphql(default = 1000)] limit: i64,
    ) -> async_graphql::Result<String> {
        let report = match report {
            FinanceReport::ProfitAndLoss => match (from, to) {
                (Some(from), Some(to)) => Report::Pnl { from, to },
                _ => return Err(invalid("give from and to (YYYY-MM)", "ARGUMENT_REQUIRED")),
            },
            FinanceReport::OrderMargins => Report::Margins { limit },
            FinanceReport::JobCosts => match order_id {
                Some(o) => Report::JobCosts {
                    order: id_arg(&o, "order")?,
                },
                None => return Err(invalid("give orderId", "ARGUMENT_REQUIRED")),
            },
            FinanceReport::ReceivablesAgeing => Report::Ageing,
        };
        count(ctx);
        finance::report_csv(ctx.data::<Db>()?, now(), &report)
            .await
            .map_err(app_error)
    }
}

/// A manual expense.
#[derive(InputObject, Debug, Clone)]
pub struct RecordExpenseInput {
    /// `materials`, `energy`, `maintenance`, `rent`, `shipping`, `software` or `other`.
    pub category: String,
    pub description: String,
    pub amount: MoneyInput,
    /// Paid in cash (else owed: payables).
    #[graphql(default = true)]
    pub paid_in_cash: bool,
    /// Where the receipt is kept (an object-storage key or URL).
    pub receipt_ref: Option<String>,
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

    #[graphql(guard = "PermissionGuard(Permission::FinanceWrite)")]
    async fn record_expense(
        &self,
        ctx: &Context<'_>,
        input: RecordExpenseInput,
    ) -> async_graphql::Result<ExpenseObj> {
        let caller = caller(ctx)?;
        let e = finance::record_expense(
            ctx.data::<Db>()?,
            &caller,
            now(),
            &input.category,
            &input.description,
            input.amount.to_money()?,
            input.paid_in_cash,
            input.receipt_ref.as_deref(),
        )
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
