//! Margins along a dimension (order, product, customer, material, printer, period) and the cash
//! flow by month, from facts the store reads out of the journal.
//!
//! Revenue is recognised per order line (invoice lines less credit-note lines, net of tax, in
//! the period their entry was posted); costs per job (material at lot cost, machine time, in the
//! period posted). A line's product, material and customer are its order's; a printer earns the
//! revenue of a line in proportion to the finished copies it printed of it (largest remainders,
//! so the shares add up exactly); a line without finished copies has its revenue under no
//! printer (`key` null).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{EntrySource, FinanceError, csv};

/// What a margin report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginBy {
    Order,
    Product,
    Customer,
    Material,
    Printer,
    Period,
}

impl MarginBy {
    pub const ALL: [MarginBy; 6] = [
        MarginBy::Order,
        MarginBy::Product,
        MarginBy::Customer,
        MarginBy::Material,
        MarginBy::Printer,
        MarginBy::Period,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MarginBy::Order => "order",
            MarginBy::Product => "product",
            MarginBy::Customer => "customer",
            MarginBy::Material => "material",
            MarginBy::Printer => "printer",
            MarginBy::Period => "period",
        }
    }

    pub fn parse(s: &str) -> Option<MarginBy> {
        MarginBy::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// Revenue recognised on one order line in one period and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRevenue {
    pub order_id: i64,
    pub line_id: i64,
    pub customer_id: i64,
    pub product_id: Option<i64>,
    pub material_id: i64,
    pub period: String,
    pub currency: String,
    pub revenue_minor: i64,
}

/// Costs posted for one job (one attempt at a plate) in one period and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCharge {
    pub order_id: i64,
    pub line_id: i64,
    pub customer_id: i64,
    pub product_id: Option<i64>,
    pub material_id: i64,
    pub job_id: i64,
    pub printer_id: Option<i64>,
    /// Finished (else a failed attempt).
    pub done: bool,
    pub copies: i64,
    pub period: String,
    pub currency: String,
    pub material_minor: i64,
    pub machine_minor: i64,
}

/// Revenue, cost and margin of one key of a dimension, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarginRow {
    pub by: MarginBy,
    /// The id (order, product, customer, material, printer) or `YYYY-MM`; `None`: no product
    /// (a customer's own model) or no printer.
    pub key: Option<String>,
    pub currency: String,
    /// Net of tax.
    pub revenue_minor: i64,
    pub material_minor: i64,
    pub machine_minor: i64,
    /// Material and machine time of failed attempts (included in the two above).
    pub failed_minor: i64,
    pub orders: i64,
    pub attempts: i64,
    pub failed_attempts: i64,
}

impl MarginRow {
    pub fn cost(&self) -> i64 {
        self.material_minor + self.machine_minor
    }

    pub fn margin(&self) -> i64 {
        self.revenue_minor - self.cost()
    }

    /// Margin in basis points of revenue (None without revenue).
    pub fn margin_bp(&self) -> Option<i64> {
        (self.revenue_minor != 0).then(|| {
            let v = i128::from(self.margin()) * 10_000 / i128::from(self.revenue_minor);
            i64::try_from(v).unwrap_or(0)
        })
    }
}

/// Sort key of a row: ids numerically (none first), periods as text.
type Key = (Option<i64>, String);

fn key_of(by: MarginBy, order: i64, customer: i64, product: Option<i64>, material: i64, period: &str) -> Key {
    match by {
        MarginBy::Order => (Some(order), String::new()),
        MarginBy::Customer => (Some(customer), String::new()),
        MarginBy::Product => (product, String::new()),
        MarginBy::Material => (Some(material), String::new()),
        MarginBy::Period => (None, period.to_string()),
        MarginBy::Printer => (None, String::new()),
    }
}

/// Splits `amount` over `shares` (weights > 0) in proportion, by largest remainders (ties to
/// the smaller key): the parts add up to `amount` exactly.
pub fn allocate(amount: i64, shares: &BTreeMap<i64, i64>) -> Vec<(i64, i64)> {
    let total: i128 = shares.values().map(|&w| i128::from(w.max(0))).sum();
    if total == 0 {
        return Vec::new();
    }
    let sign = if amount < 0 { -1 } else { 1 };
    let abs = i128::from(amount).abs();
    let mut parts: Vec<(i64, i128, i128)> = shares
        .iter()
        .map(|(&k, &w)| {
            let p = abs * i128::from(w.max(0));
            (k, p / total, p % total)
        })
        .collect();
    let mut left = abs - parts.iter().map(|p| p.1).sum::<i128>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].2.cmp(&parts[a].2).then(parts[a].0.cmp(&parts[b].0)));
    for i in order {
        if left == 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|(k, v, _)| (k, sign * i64::try_from(v).unwrap_or(0)))
        .collect()
}

#[derive(Default)]
struct Acc {
    revenue: i64,
    material: i64,
    machine: i64,
    failed: i64,
    orders: BTreeSet<i64>,
    jobs: BTreeSet<i64>,
    failed_jobs: BTreeSet<i64>,
}

/// The margin of every key of `by` (sorted by key, then currency).
pub fn margins(by: MarginBy, revenue: &[LineRevenue], charges: &[JobCharge]) -> Vec<MarginRow> {
    let mut acc: BTreeMap<(Key, String), Acc> = BTreeMap::new();
    // Finished copies per line and printer (each job once), for the printer dimension.
    let mut copies: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for c in charges {
        if c.done
            && let Some(p) = c.printer_id
            && seen.insert(c.job_id)
        {
            *copies.entry(c.line_id).or_default().entry(p).or_default() += c.copies;
        }
    }
    for r in revenue {
        if by == MarginBy::Printer {
            let parts = copies
                .get(&r.line_id)
                .map(|s| allocate(r.revenue_minor, s))
                .unwrap_or_default();
            if parts.is_empty() {
                let a = acc
                    .entry(((None, String::new()), r.currency.clone()))
                    .or_default();
                a.revenue += r.revenue_minor;
                a.orders.insert(r.order_id);
            }
            for (printer, v) in parts {
                let a = acc
                    .entry(((Some(printer), String::new()), r.currency.clone()))
                    .or_default();
                a.revenue += v;
                a.orders.insert(r.order_id);
            }
            continue;
        }
        let k = key_of(
            by,
            r.order_id,
            r.customer_id,
            r.product_id,
            r.material_id,
            &r.period,
        );
        let a = acc.entry((k, r.currency.clone())).or_default();
        a.revenue += r.revenue_minor;
        a.orders.insert(r.order_id);
    }
    for c in charges {
        let k = match by {
            MarginBy::Printer => (c.printer_id, String::new()),
            _ => key_of(
                by,
                c.order_id,
                c.customer_id,
                c.product_id,
                c.material_id,
                &c.period,
            ),
        };
        let a = acc.entry((k, c.currency.clone())).or_default();
        a.material += c.material_minor;
        a.machine += c.machine_minor;
        a.orders.insert(c.order_id);
        a.jobs.insert(c.job_id);
        if !c.done {
            a.failed += c.material_minor + c.machine_minor;
            a.failed_jobs.insert(c.job_id);
        }
    }
    acc.into_iter()
        .map(|(((id, text), currency), a)| MarginRow {
            by,
            key: match (by, id) {
                (MarginBy::Period, _) => Some(text),
                (_, Some(id)) => Some(id.to_string()),
                (_, None) => None,
            },
            currency,
            revenue_minor: a.revenue,
            material_minor: a.material,
            machine_minor: a.machine,
            failed_minor: a.failed,
            orders: a.orders.len() as i64,
            attempts: a.jobs.len() as i64,
            failed_attempts: a.failed_jobs.len() as i64,
        })
        .collect()
}

/// CSV of margins along a dimension.
pub fn margin_rows_csv(rows: &[MarginRow]) -> String {
    csv(
        &[
            "by",
            "key",
            "currency",
            "revenue_minor",
            "material_minor",
            "machine_minor",
            "failed_minor",
            "cost_minor",
            "margin_minor",
            "margin_bp",
            "orders",
            "attempts",
            "failed_attempts",
        ],
        rows.iter().map(|m| {
            vec![
                m.by.as_str().to_string(),
                m.key.clone().unwrap_or_default(),
                m.currency.clone(),
                m.revenue_minor.to_string(),
                m.material_minor.to_string(),
                m.machine_minor.to_string(),
                m.failed_minor.to_string(),
                m.cost().to_string(),
                m.margin().to_string(),
                m.margin_bp().map(|v| v.to_string()).unwrap_or_default(),
                m.orders.to_string(),
                m.attempts.to_string(),
                m.failed_attempts.to_string(),
            ]
        }),
    )
}

/// The months `from..=to` (`YYYY-MM`, checked), at most 1200.
pub fn months(from: &str, to: &str) -> Result<Vec<String>, FinanceError> {
    fn parse(p: &str) -> Option<(i32, u32)> {
        let ok = p.len() == 7 && p.as_bytes()[4] == b'-';
        let y = p.get(..4)?.parse::<i32>().ok()?;
        let m = p.get(5..)?.parse::<u32>().ok()?;
        (ok && p[..4].bytes().all(|b| b.is_ascii_digit()) && (1..=12).contains(&m)).then_some((y, m))
    }
    let bad = FinanceError::InvalidField {
        field: "period",
        reason: "use YYYY-MM, from not after to, at most 100 years",
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(from), parse(to)) else {
        return Err(bad);
    };
    let mut out = Vec::new();
    while (y, m) <= end {
        if out.len() >= 1200 {
            return Err(bad);
        }
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    if out.is_empty() {
        return Err(bad);
    }
    Ok(out)
}

/// One month of cash flow in one currency: the cash account's movements by what moved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CashFlowMonth {
    pub period: String,
    pub currency: String,
    pub opening: i64,
    /// Customers' payments in.
    pub receipts: i64,
    /// Refunds out (negative).
    pub refunds: i64,
    /// Expenses paid in cash (negative).
    pub expenses: i64,
    /// Anything else (manual entries, reversals).
    pub other: i64,
}

impl CashFlowMonth {
    pub fn net(&self) -> i64 {
        self.receipts + self.refunds + self.expenses + self.other
    }

    pub fn closing(&self) -> i64 {
        self.opening + self.net()
    }
}

/// The cash flow of `months` per currency, from the cash account's balance before the first
/// month (`opening`, per currency) and its net movements `(period, currency, source, net)`.
/// Every currency with an opening balance or a movement has a row for every month.
pub fn cash_flow(
    months: &[String],
    opening: &BTreeMap<String, i64>,
    moves: &[(String, String, EntrySource, i64)],
) -> Vec<CashFlowMonth> {
    let mut currencies: BTreeSet<&String> = opening.keys().collect();
    currencies.extend(moves.iter().map(|m| &m.1));
    let mut out = Vec::new();
    for cur in currencies {
        let mut balance = opening.get(cur).copied().unwrap_or(0);
        for p in months {
            let mut m = CashFlowMonth {
                period: p.clone(),
                currency: cur.clone(),
                opening: balance,
                ..CashFlowMonth::default()
            };
            for (_, _, source, net) in moves.iter().filter(|x| &x.0 == p && &x.1 == cur) {
                match source {
                    EntrySource::Payment => m.receipts += net,
                    EntrySource::Refund => m.refunds += net,
                    EntrySource::Expense => m.expenses += net,
                    _ => m.other += net,
                }
            }
            balance = m.closing();
            out.push(m);
        }
    }
    out
}

/// CSV of a cash flow.
pub fn cash_flow_csv(rows: &[CashFlowMonth]) -> String {
    csv(
        &[
            "period", "currency", "opening", "receipts", "refunds", "expenses", "other", "net", "closing",
        ],
        rows.iter().map(|m| {
            vec![
                m.period.clone(),
                m.currency.clone(),
                m.opening.to_string(),
                m.receipts.to_string(),
                m.refunds.to_string(),
                m.expenses.to_string(),
                m.other.to_string(),
                m.net().to_string(),
                m.closing().to_string(),
            ]
        }),
    )
}

/// CSV of customer balances.
pub fn balances_csv(rows: &[super::CustomerBalance]) -> String {
    csv(
        &["customer_id", "currency", "receivable", "prepaid", "balance"],
        rows.iter().map(|b| {
            vec![
                b.customer_id.to_string(),
                b.currency.clone(),
                b.receivable.to_string(),
                b.prepaid.to_string(),
                b.balance().to_string(),
            ]
        }),
    )
}

/// CSV of a trial balance.
pub fn trial_balance_csv(rows: &[super::AccountBalance]) -> String {
    csv(
        &["account", "name", "currency", "debits", "credits", "net"],
        rows.iter().map(|b| {
            vec![
                b.account.code().to_string(),
                b.account.name().to_string(),
                b.currency.to_string(),
                b.debits.to_string(),
                b.credits.to_string(),
                b.net().to_string(),
            ]
        }),
    )
}
