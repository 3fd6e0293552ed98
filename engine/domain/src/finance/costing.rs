//! Costing: spool valuation at lot cost, machine time, tax out of gross prices, margins and
//! the report shapes (job cost, order margin, P&L month, receivables ageing) with CSV.

use serde::Serialize;

use super::FinanceError;

/// `a × b / d`, rounded half away from zero, in 128-bit arithmetic (no overflow for i64
/// inputs; a result beyond i64 saturates).
fn mul_div_round(a: i64, b: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    let p = i128::from(a) * i128::from(b);
    let d = i128::from(d);
    let q = (p.abs() + d.abs() / 2) / d.abs();
    let q = if (p < 0) != (d < 0) { -q } else { q };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// The inventory value of `grams` of a spool whose lot cost is `cost_per_kg` minor units:
/// `round(grams × cost_per_kg / 1000)`.
pub fn spool_value(grams: i64, cost_per_kg: i64) -> i64 {
    mul_div_round(grams, cost_per_kg, 1000)
}

/// What a movement of a spool from `before` to `after` grams changes its value by
/// (negative when material leaves). Summed over a spool's movements this telescopes to
/// `spool_value(remaining) − spool_value(0)`: no rounding drift.
pub fn movement_value(before: i64, after: i64, cost_per_kg: i64) -> i64 {
    spool_value(after, cost_per_kg) - spool_value(before, cost_per_kg)
}

/// Machine time at an hourly cost: `round(minutes × hourly / 60)`.
pub fn machine_cost(minutes: i64, hourly_cost: i64) -> i64 {
    mul_div_round(minutes.max(0), hourly_cost.max(0), 60)
}

/// Whole minutes between two instants in epoch milliseconds, rounded up (at least 1 when
/// `end > start`, 0 otherwise).
pub fn elapsed_minutes(start_ms: i64, end_ms: i64) -> i64 {
    if end_ms <= start_ms {
        0
    } else {
        (end_ms - start_ms + 59_999) / 60_000
    }
}

/// A tax rate in basis points (`1900` = 19 %), 0–10000.
pub fn tax_rate(bp: i64) -> Result<i64, FinanceError> {
    if (0..=10_000).contains(&bp) {
        Ok(bp)
    } else {
        Err(FinanceError::InvalidField {
            field: "tax rate",
            reason: "basis points from 0 to 10000",
        })
    }
}

/// Splits a gross (tax-inclusive) amount at `rate_bp` into `(net, tax)`, with
/// `tax = round(gross × rate / (10000 + rate))` and `net + tax = gross` exactly.
pub fn split_gross(gross: i64, rate_bp: i64) -> (i64, i64) {
    let tax = mul_div_round(gross, rate_bp, 10_000 + rate_bp);
    (gross - tax, tax)
}

/// What a job (one attempt at a plate) cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobCost {
    pub job_id: i64,
    pub order_id: i64,
    pub attempt: i64,
    /// `done` or `failed`.
    pub state: String,
    pub printer_id: Option<i64>,
    pub grams: i64,
    pub minutes: i64,
    pub material_minor: i64,
    /// Printing time at the printer's hourly cost.
    pub machine_minor: i64,
    /// Set-up time at the printer's hourly cost.
    pub setup_minor: i64,
    pub currency: String,
}

impl JobCost {
    pub fn total(&self) -> i64 {
        self.material_minor + self.machine_minor + self.setup_minor
    }
}

/// An order's actual cost against its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderMargin {
    pub order_id: i64,
    pub customer_id: i64,
    pub currency: String,
    /// The quoted (order) price, gross.
    pub price_minor: i64,
    /// Revenue recognised (net of tax; invoices less credit notes).
    pub revenue_minor: i64,
    pub material_minor: i64,
    pub machine_minor: i64,
    /// Set-up of every attempt at the printers' hourly cost.
    pub setup_minor: i64,
    /// Material, machine and set-up time of failed attempts (included in the three above).
    pub failed_minor: i64,
    pub attempts: i64,
    pub failed_attempts: i64,
}

impl OrderMargin {
    pub fn cost(&self) -> i64 {
        self.material_minor + self.machine_minor + self.setup_minor
    }

    pub fn margin(&self) -> i64 {
        self.revenue_minor - self.cost()
    }

    /// Margin as basis points of revenue (None without revenue).
    pub fn margin_bp(&self) -> Option<i64> {
        (self.revenue_minor != 0).then(|| mul_div_round(self.margin(), 10_000, self.revenue_minor))
    }
}

/// One month of the profit and loss statement, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PnlMonth {
    /// `YYYY-MM`.
    pub period: String,
    pub currency: String,
    pub revenue: i64,
    pub cost_of_goods: i64,
    pub materials: i64,
    pub machine: i64,
    pub scrap: i64,
    pub other: i64,
}

impl PnlMonth {
    pub fn expenses(&self) -> i64 {
        self.cost_of_goods + self.materials + self.machine + self.scrap + self.other
    }

    pub fn profit(&self) -> i64 {
        self.revenue - self.expenses()
    }
}

/// Receivables by age of the invoice, one row per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Ageing {
    pub currency: String,
    pub current: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub over_90: i64,
}

impl Ageing {
    /// Adds an outstanding amount of an invoice `age_days` old.
    pub fn add(&mut self, age_days: i64, minor: i64) {
        match age_days {
            ..=30 => self.current += minor,
            31..=60 => self.days_31_60 += minor,
            61..=90 => self.days_61_90 += minor,
            _ => self.over_90 += minor,
        }
    }

    pub fn total(&self) -> i64 {
        self.current + self.days_31_60 + self.days_61_90 + self.over_90
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV document from a header and rows (CRLF line ends, RFC 4180).
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// CSV of order margins.
pub fn margins_csv(rows: &[OrderMargin]) -> String {
    csv(
        &[
            "order_id",
            "customer_id",
            "currency",
            "price_minor",
            "revenue_minor",
            "material_minor",
            "machine_minor",
            "setup_minor",
            "failed_minor",
            "cost_minor",
            "margin_minor",
            "attempts",
            "failed_attempts",
        ],
        rows.iter().map(|m| {
            vec![
                m.order_id.to_string(),
                m.customer_id.to_string(),
                m.currency.clone(),
                m.price_minor.to_string(),
                m.revenue_minor.to_string(),
                m.material_minor.to_string(),
                m.machine_minor.to_string(),
                m.setup_minor.to_string(),
                m.failed_minor.to_string(),
                m.cost().to_string(),
                m.margin().to_string(),
                m.attempts.to_string(),
                m.failed_attempts.to_string(),
            ]
        }),
    )
}

/// CSV of a P&L.
pub fn pnl_csv(rows: &[PnlMonth]) -> String {
    csv(
        &[
            "period",
            "currency",
            "revenue",
            "cost_of_goods",
            "materials",
            "machine",
            "scrap",
            "other",
            "profit",
        ],
        rows.iter().map(|m| {
            vec![
                m.period.clone(),
                m.currency.clone(),
                m.revenue.to_string(),
                m.cost_of_goods.to_string(),
                m.materials.to_string(),
                m.machine.to_string(),
                m.scrap.to_string(),
                m.other.to_string(),
                m.profit().to_string(),
            ]
        }),
    )
}

/// CSV of receivables ageing.
pub fn ageing_csv(rows: &[Ageing]) -> String {
    csv(
        &[
            "currency",
            "current",
            "days_31_60",
            "days_61_90",
            "over_90",
            "total",
        ],
        rows.iter().map(|a| {
            vec![
                a.currency.clone(),
                a.current.to_string(),
                a.days_31_60.to_string(),
                a.days_61_90.to_string(),
                a.over_90.to_string(),
                a.total().to_string(),
            ]
        }),
    )
}

/// CSV of job costs.
pub fn job_costs_csv(rows: &[JobCost]) -> String {
    csv(
        &[
            "job_id",
            "order_id",
            "attempt",
            "state",
            "printer_id",
            "grams",
            "minutes",
            "material_minor",
            "machine_minor",
            "setup_minor",
            "total_minor",
            "currency",
        ],
        rows.iter().map(|j| {
            vec![
                j.job_id.to_string(),
                j.order_id.to_string(),
                j.attempt.to_string(),
                j.state.clone(),
                j.printer_id.map(|p| p.to_string()).unwrap_or_default(),
                j.grams.to_string(),
                j.minutes.to_string(),
                j.material_minor.to_string(),
                j.machine_minor.to_string(),
                j.setup_minor.to_string(),
                j.total().to_string(),
                j.currency.clone(),
            ]
        }),
    )
}
