//! The GraphQL objects of finance: accounts, balances, entries, invoices, costs, margins,
//! reports, payments and expenses.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use gantry_app::finance::{Expense, FinanceSettings, OrderPayments, RecordedPayment};
use gantry_app::payments::Payment;
use gantry_engine::domain::finance::{
    Account, AccountBalance, Ageing, CashFlowMonth, CustomerBalance, Invoice, InvoiceLine, JobCost, MarginBy,
    MarginRow, OrderMargin, PnlMonth, PostedEntry, pdf,
};

use super::super::connection::{MoneyInput, Ts};

pub(super) fn settings(ctx: &Context<'_>) -> FinanceSettings {
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

pub(super) fn id(v: i64) -> ID {
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
    /// Printing time at the printer's hourly cost.
    pub machine_minor: i64,
    /// Set-up time (`GANTRY_FINANCE_SETUP_MINUTES`) at the printer's hourly cost.
    pub setup_minor: i64,
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
            setup_minor: j.setup_minor,
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
    /// Set-up of every attempt at the printers' hourly cost.
    pub setup_minor: i64,
    /// Cost of failed attempts (included in material, machine and set-up).
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
            setup_minor: m.setup_minor,
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
    /// Margins along `by` for `from..=to`.
    Margins,
    CashFlow,
    TrialBalance,
    CustomerBalances,
    Expenses,
    /// The inventory account against the spools at lot cost, per currency.
    InventoryValuation,
}

/// A category's tax rate.
#[derive(SimpleObject, Debug, Clone)]
pub struct TaxRate {
    pub category_id: ID,
    pub rate_bp: i64,
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

/// A manual journal entry: a memo and at least two lines that balance, in one currency.
#[derive(InputObject, Debug, Clone)]
pub struct JournalEntryInput {
    pub memo: String,
    pub lines: Vec<JournalLineInput>,
}

/// One line of a manual entry: an account number (`ledgerAccounts`) and either a debit or a
/// credit above zero.
#[derive(InputObject, Debug, Clone)]
pub struct JournalLineInput {
    pub account: String,
    pub debit: Option<MoneyInput>,
    pub credit: Option<MoneyInput>,
}

/// What a margin report groups by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MarginDimension {
    Order,
    Product,
    Customer,
    Material,
    Printer,
    /// The month (`YYYY-MM`) the revenue or cost was posted in.
    Period,
}

impl From<MarginDimension> for MarginBy {
    fn from(d: MarginDimension) -> Self {
        match d {
            MarginDimension::Order => MarginBy::Order,
            MarginDimension::Product => MarginBy::Product,
            MarginDimension::Customer => MarginBy::Customer,
            MarginDimension::Material => MarginBy::Material,
            MarginDimension::Printer => MarginBy::Printer,
            MarginDimension::Period => MarginBy::Period,
        }
    }
}

/// Revenue (net of tax), actual cost and margin of one key of a dimension, in one currency.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MarginRow")]
pub struct MarginRowObj {
    /// `order`, `product`, `customer`, `material`, `printer` or `period`.
    pub by: String,
    /// The id of the order, product, customer, material or printer, or the month (`YYYY-MM`);
    /// null: no product (a customer's own model) or no printer (revenue of lines without
    /// finished copies).
    pub key: Option<String>,
    pub currency: String,
    pub revenue_minor: i64,
    pub material_minor: i64,
    /// Printing and set-up time at the printers' hourly cost.
    pub machine_minor: i64,
    /// Cost of failed attempts (included in material and machine).
    pub failed_minor: i64,
    pub cost_minor: i64,
    pub margin_minor: i64,
    /// Margin in basis points of revenue.
    pub margin_bp: Option<i64>,
    pub orders: i64,
    pub attempts: i64,
    pub failed_attempts: i64,
}

impl From<MarginRow> for MarginRowObj {
    fn from(m: MarginRow) -> Self {
        MarginRowObj {
            by: m.by.as_str().into(),
            cost_minor: m.cost(),
            margin_minor: m.margin(),
            margin_bp: m.margin_bp(),
            key: m.key,
            currency: m.currency,
            revenue_minor: m.revenue_minor,
            material_minor: m.material_minor,
            machine_minor: m.machine_minor,
            failed_minor: m.failed_minor,
            orders: m.orders,
            attempts: m.attempts,
            failed_attempts: m.failed_attempts,
        }
    }
}

/// One month of cash flow: the cash account's opening balance and movements.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "CashFlowMonth")]
pub struct CashFlowObj {
    pub period: String,
    pub currency: String,
    pub opening: i64,
    /// Customers' payments in.
    pub receipts: i64,
    /// Refunds out (negative).
    pub refunds: i64,
    /// Expenses paid in cash (negative).
    pub expenses: i64,
    /// Manual entries and reversals.
    pub other: i64,
    pub net: i64,
    pub closing: i64,
}

impl From<CashFlowMonth> for CashFlowObj {
    fn from(m: CashFlowMonth) -> Self {
        CashFlowObj {
            net: m.net(),
            closing: m.closing(),
            period: m.period,
            currency: m.currency,
            opening: m.opening,
            receipts: m.receipts,
            refunds: m.refunds,
            expenses: m.expenses,
            other: m.other,
        }
    }
}

/// What a customer owes (invoiced, unpaid) or holds as credit (paid, not yet invoiced).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "CustomerBalance")]
pub struct CustomerBalanceObj {
    pub customer_id: ID,
    pub currency: String,
    pub receivable: i64,
    pub prepaid: i64,
    /// Receivable − prepaid (negative: a credit).
    pub balance: i64,
}

impl From<CustomerBalance> for CustomerBalanceObj {
    fn from(b: CustomerBalance) -> Self {
        CustomerBalanceObj {
            customer_id: id(b.customer_id),
            balance: b.balance(),
            currency: b.currency,
            receivable: b.receivable,
            prepaid: b.prepaid,
        }
    }
}

/// A payment recorded against an order (a provider's or one by hand).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OrderPayment")]
pub struct PaymentObj {
    pub id: ID,
    /// `manual` or the provider's name (e.g. `stripe`).
    pub provider: String,
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub received_at: Ts,
}

impl From<Payment> for PaymentObj {
    fn from(p: Payment) -> Self {
        PaymentObj {
            id: id(p.id),
            provider: p.provider,
            reference: p.reference,
            amount_minor: p.amount_minor,
            currency: p.currency,
            received_at: Ts(p.received_at),
        }
    }
}

/// What an order was paid and still owes.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OrderPayments")]
pub struct OrderPaymentsObj {
    pub order_id: ID,
    pub total_minor: i64,
    pub currency: String,
    pub paid_minor: i64,
    pub outstanding_minor: i64,
    pub payments: Vec<PaymentObj>,
}

impl From<OrderPayments> for OrderPaymentsObj {
    fn from(p: OrderPayments) -> Self {
        OrderPaymentsObj {
            order_id: id(p.order_id),
            total_minor: p.total.minor,
            currency: p.total.currency.to_string(),
            paid_minor: p.paid_minor,
            outstanding_minor: p.outstanding_minor,
            payments: p.payments.into_iter().map(Into::into).collect(),
        }
    }
}

/// A payment just recorded and what it did to its order.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "RecordedPayment")]
pub struct RecordedPaymentObj {
    pub payment: PaymentObj,
    pub order_id: ID,
    /// The order's status now (`paid` once paid in full).
    pub order_status: String,
    pub outstanding_minor: i64,
    /// This payment paid the order in full.
    pub settled: bool,
}

impl From<RecordedPayment> for RecordedPaymentObj {
    fn from(r: RecordedPayment) -> Self {
        RecordedPaymentObj {
            payment: r.payment.into(),
            order_id: id(r.order.id.0),
            order_status: r.order.status.as_str().into(),
            outstanding_minor: r.check.outstanding_after,
            settled: r.check.settles,
        }
    }
}

/// An expense's receipt file.
#[derive(SimpleObject, Debug, Clone)]
pub struct ExpenseReceipt {
    pub expense_id: ID,
    /// Where it is kept: `receipts/<sha256>/<file name>`.
    pub key: String,
    pub size: i64,
    pub base64: String,
}
