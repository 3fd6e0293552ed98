//! Finance reports read from the journal: profit and loss by month, job costs, order margins,
//! the facts of margins along a dimension (revenue per order line, costs per job), cash moves,
//! customer balances and receivables ageing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, col};
use crate::domain::finance::{
    Account, Ageing, CustomerBalance, EntrySource, JobCharge, JobCost, LineRevenue, OrderMargin, PnlMonth,
    elapsed_minutes,
};
use crate::domain::types::to_millis;

/// Profit and loss per month and currency for the periods `from..=to` (`YYYY-MM`).
pub async fn pnl(conn: &mut AnyConnection, from: &str, to: &str) -> StoreResult<Vec<PnlMonth>> {
    let rows = sqlx::query(
        "SELECT period, currency, account, CAST(SUM(debit_minor) AS BIGINT) AS d, \
         CAST(SUM(credit_minor) AS BIGINT) AS c FROM journal_lines \
         WHERE period >= $1 AND period <= $2 AND account >= '4000' \
         GROUP BY period, currency, account",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<(String, String), PnlMonth> = BTreeMap::new();
    for r in rows {
        const T: &str = "journal_lines";
        let period: String = col(&r, T, "period")?;
        let currency: String = col(&r, T, "currency")?;
        let account: String = col(&r, T, "account")?;
        let net: i64 = col::<i64>(&r, T, "d")? - col::<i64>(&r, T, "c")?;
        let m = out
            .entry((period.clone(), currency.clone()))
            .or_insert_with(|| PnlMonth {
                period,
                currency,
                ..PnlMonth::default()
            });
        match Account::parse(&account) {
            Ok(Account::Revenue) => m.revenue -= net,
            Ok(Account::CostOfGoodsSold) => m.cost_of_goods += net,
            Ok(Account::MaterialsExpense) => m.materials += net,
            // Set-up is the printer's time too: the P&L shows it with machine time.
            Ok(Account::MachineCost | Account::Setup) => m.machine += net,
            Ok(Account::Scrap) => m.scrap += net,
            _ => m.other += net,
        }
    }
    Ok(out.into_values().collect())
}

/// What each finished or failed job of `order` cost (its posted job entries), by job id.
pub async fn job_costs(conn: &mut AnyConnection, order: i64) -> StoreResult<Vec<JobCost>> {
    let rows = sqlx::query(
        "SELECT j.id, j.order_id, j.attempt, j.state, j.printer_id, j.grams, j.started_at, j.finished_at, \
         l.account, l.currency, CAST(SUM(l.debit_minor - l.credit_minor) AS BIGINT) AS n \
         FROM jobs j JOIN journal_entries e ON e.job_id = j.id JOIN journal_lines l ON l.entry_id = e.id \
         WHERE j.order_id = $1 AND l.account IN ('5000', '5200', '5210', '5300') \
         GROUP BY j.id, j.order_id, j.attempt, j.state, j.printer_id, j.grams, j.started_at, j.finished_at, \
         l.account, l.currency ORDER BY j.id",
    )
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<i64, JobCost> = BTreeMap::new();
    for r in rows {
        const T: &str = "jobs";
        let id: i64 = col(&r, T, "id")?;
        let started: Option<i64> = col(&r, T, "started_at")?;
        let finished: Option<i64> = col(&r, T, "finished_at")?;
        let account: String = col(&r, T, "account")?;
        let n: i64 = col(&r, T, "n")?;
        let currency: String = col(&r, T, "currency")?;
        let j = match out.entry(id) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(JobCost {
                job_id: id,
                order_id: col(&r, T, "order_id")?,
                attempt: col(&r, T, "attempt")?,
                // A failed attempt may have been requeued (reprinted) or abandoned since.
                state: match col::<String>(&r, T, "state")?.as_str() {
                    "done" => "done".to_string(),
                    _ => "failed".to_string(),
                },
                printer_id: col(&r, T, "printer_id")?,
                grams: col(&r, T, "grams")?,
                minutes: match (started, finished) {
                    (Some(s), Some(f)) => elapsed_minutes(s, f),
                    _ => 0,
                },
                material_minor: 0,
                machine_minor: 0,
                setup_minor: 0,
                currency,
            }),
        };
        match account.as_str() {
            "5200" => j.machine_minor += n,
            "5210" => j.setup_minor += n,
            _ => j.material_minor += n,
        }
    }
    Ok(out.into_values().collect())
}

/// Actual cost against price and revenue of `order` (or of every order with a posted entry,
/// newest first, at most `limit`).
pub async fn order_margins(
    conn: &mut AnyConnection,
    order: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<OrderMargin>> {
    let orders = sqlx::query(
        "SELECT o.id, o.customer_id, o.currency, o.total_minor FROM orders o WHERE ($1 IS NULL OR o.id = $1) \
         AND EXISTS (SELECT 1 FROM journal_entries e WHERE e.order_id = o.id) ORDER BY o.id DESC LIMIT $2",
    )
    .bind(order)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        const T: &str = "orders";
        let id: i64 = col(&o, T, "id")?;
        let mut m = OrderMargin {
            order_id: id,
            customer_id: col(&o, T, "customer_id")?,
            currency: col(&o, T, "currency")?,
            price_minor: col(&o, T, "total_minor")?,
            revenue_minor: 0,
            material_minor: 0,
            machine_minor: 0,
            setup_minor: 0,
            failed_minor: 0,
            attempts: 0,
            failed_attempts: 0,
        };
        let rows = sqlx::query(
            "SELECT l.account, COALESCE(j.state, '') AS state, CAST(SUM(l.debit_minor - l.credit_minor) AS BIGINT) AS n \
             FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id LEFT JOIN jobs j ON j.id = e.job_id \
             WHERE e.order_id = $1 AND l.account IN ('4000', '5000', '5200', '5210', '5300') GROUP BY l.account, j.state",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let account: String = col(&r, "journal_lines", "account")?;
            let state: String = col(&r, "journal_lines", "state")?;
            let n: i64 = col(&r, "journal_lines", "n")?;
            match account.as_str() {
                "4000" => m.revenue_minor -= n,
                "5200" => m.machine_minor += n,
                "5210" => m.setup_minor += n,
                _ => m.material_minor += n,
            }
            if !state.is_empty() && state != "done" && account != "4000" {
                m.failed_minor += n;
            }
        }
        let counts = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN state = 'done' THEN 0 ELSE 1 END), 0) AS BIGINT) AS f \
             FROM jobs WHERE order_id = $1 AND state IN ('done', 'failed', 'requeued', 'abandoned')",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        m.attempts = col(&counts, "jobs", "n")?;
        m.failed_attempts = col(&counts, "jobs", "f")?;
        out.push(m);
    }
    Ok(out)
}

/// Receivables by age at `now`: each invoiced order's receivable balance, aged by its
/// invoice's issue date.
pub async fn ageing(conn: &mut AnyConnection, now: DateTime<Utc>) -> StoreResult<Vec<Ageing>> {
    let rows = sqlx::query(
        "SELECT i.currency, i.issued_at, CAST(COALESCE((SELECT SUM(l.debit_minor - l.credit_minor) \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE e.order_id = i.order_id AND l.account = '1100'), 0) AS BIGINT) AS open \
         FROM invoices i WHERE i.kind = 'invoice'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, Ageing> = BTreeMap::new();
    for r in rows {
        const T: &str = "invoices";
        let open: i64 = col(&r, T, "open")?;
        if open == 0 {
            continue;
        }
        let currency: String = col(&r, T, "currency")?;
        let issued: i64 = col(&r, T, "issued_at")?;
        let days = (to_millis(now) - issued).max(0) / 86_400_000;
        out.entry(currency.clone())
            .or_insert_with(|| Ageing {
                currency,
                ..Ageing::default()
            })
            .add(days, open);
    }
    Ok(out.into_values().collect())
}

/// Revenue recognised per order line and period in `from..=to` (`YYYY-MM`): the lines of posted
/// invoices less those of posted credit notes, net of tax (of one customer's orders, or all). A
/// manual reversal of an invoice's (or credit note's) entry takes its lines back in the
/// reversal's period.
pub async fn line_revenue(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    customer: Option<i64>,
) -> StoreResult<Vec<LineRevenue>> {
    let rows = sqlx::query(
        "SELECT ol.id AS line_id, ol.order_id, o.customer_id, ol.product_id, ol.material_id, e.period, i.currency, \
         CAST(SUM(CASE WHEN i.kind = 'invoice' THEN il.net_minor ELSE -il.net_minor END \
         * CASE WHEN e.source = 'reversal' THEN -1 ELSE 1 END) AS BIGINT) AS revenue \
         FROM invoices i JOIN journal_entries e ON e.invoice_id = i.id \
         LEFT JOIN journal_entries r ON r.id = e.reverses \
         JOIN invoice_lines il ON il.invoice_id = i.id \
         JOIN order_lines ol ON ol.order_id = i.order_id AND ol.line_no = il.line_no \
         JOIN orders o ON o.id = i.order_id \
         WHERE (e.source IN ('invoice', 'credit_note') \
         OR (e.source = 'reversal' AND r.source IN ('invoice', 'credit_note'))) \
         AND e.period >= $1 AND e.period <= $2 AND ($3 IS NULL OR o.customer_id = $3) \
         GROUP BY ol.id, ol.order_id, o.customer_id, ol.product_id, ol.material_id, e.period, i.currency \
         ORDER BY ol.id",
    )
    .bind(from)
    .bind(to)
    .bind(customer)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "invoice_lines";
            Ok(LineRevenue {
                order_id: col(r, T, "order_id")?,
                line_id: col(r, T, "line_id")?,
                customer_id: col(r, T, "customer_id")?,
                product_id: col(r, T, "product_id")?,
                material_id: col(r, T, "material_id")?,
                period: col(r, T, "period")?,
                currency: col(r, T, "currency")?,
                revenue_minor: col(r, T, "revenue")?,
            })
        })
        .collect()
}

/// Costs posted per job and period in `from..=to`: material (cost of goods or scrap) and
/// machine time (of one customer's orders, or all).
pub async fn job_charges(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
    customer: Option<i64>,
) -> StoreResult<Vec<JobCharge>> {
    let rows = sqlx::query(
        "SELECT j.id AS job_id, j.order_id, j.order_line_id, o.customer_id, ol.product_id, ol.material_id, \
         j.printer_id, j.state, j.copies, l.period, l.currency, \
         CAST(SUM(CASE WHEN l.account IN ('5200', '5210') THEN 0 ELSE l.debit_minor - l.credit_minor END) AS BIGINT) AS material, \
         CAST(SUM(CASE WHEN l.account IN ('5200', '5210') THEN l.debit_minor - l.credit_minor ELSE 0 END) AS BIGINT) AS machine \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id JOIN jobs j ON j.id = e.job_id \
         JOIN order_lines ol ON ol.id = j.order_line_id JOIN orders o ON o.id = j.order_id \
         WHERE l.account IN ('5000', '5200', '5210', '5300') AND l.period >= $1 AND l.period <= $2 \
         AND ($3 IS NULL OR o.customer_id = $3) \
         GROUP BY j.id, j.order_id, j.order_line_id, o.customer_id, ol.product_id, ol.material_id, j.printer_id, \
         j.state, j.copies, l.period, l.currency ORDER BY j.id",
    )
    .bind(from)
    .bind(to)
    .bind(customer)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "jobs";
            Ok(JobCharge {
                order_id: col(r, T, "order_id")?,
                line_id: col(r, T, "order_line_id")?,
                customer_id: col(r, T, "customer_id")?,
                product_id: col(r, T, "product_id")?,
                material_id: col(r, T, "material_id")?,
                job_id: col(r, T, "job_id")?,
                printer_id: col(r, T, "printer_id")?,
                done: col::<String>(r, T, "state")? == "done",
                copies: col(r, T, "copies")?,
                period: col(r, T, "period")?,
                currency: col(r, T, "currency")?,
                material_minor: col(r, T, "material")?,
                machine_minor: col(r, T, "machine")?,
            })
        })
        .collect()
}

/// The cash account's balance per currency before period `from`.
pub async fn cash_before(conn: &mut AnyConnection, from: &str) -> StoreResult<BTreeMap<String, i64>> {
    let rows = sqlx::query(
        "SELECT currency, CAST(SUM(debit_minor - credit_minor) AS BIGINT) AS n FROM journal_lines \
         WHERE account = '1000' AND period < $1 GROUP BY currency",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "journal_lines", "currency")?,
                col(r, "journal_lines", "n")?,
            ))
        })
        .collect()
}

/// The cash account's net movements per period, currency and entry source in `from..=to`.
pub async fn cash_moves(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> StoreResult<Vec<(String, String, EntrySource, i64)>> {
    let rows = sqlx::query(
        "SELECT l.period, l.currency, e.source, CAST(SUM(l.debit_minor - l.credit_minor) AS BIGINT) AS n \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE l.account = '1000' AND l.period >= $1 AND l.period <= $2 \
         GROUP BY l.period, l.currency, e.source ORDER BY l.period",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "journal_lines";
            let source: String = col(r, T, "source")?;
            Ok((
                col(r, T, "period")?,
                col(r, T, "currency")?,
                EntrySource::parse(&source).unwrap_or(EntrySource::Manual),
                col(r, T, "n")?,
            ))
        })
        .collect()
}

/// What customers owe (receivables) or hold as credit (prepayments), per currency; of one
/// customer or of every customer with either.
pub async fn customer_balances(
    conn: &mut AnyConnection,
    customer: Option<i64>,
) -> StoreResult<Vec<CustomerBalance>> {
    let rows = sqlx::query(
        "SELECT o.customer_id, l.currency, l.account, CAST(SUM(l.debit_minor - l.credit_minor) AS BIGINT) AS n \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id JOIN orders o ON o.id = e.order_id \
         WHERE l.account IN ('1100', '2100') AND ($1 IS NULL OR o.customer_id = $1) \
         GROUP BY o.customer_id, l.currency, l.account ORDER BY o.customer_id, l.currency",
    )
    .bind(customer)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<(i64, String), CustomerBalance> = BTreeMap::new();
    for r in rows {
        const T: &str = "journal_lines";
        let id: i64 = col(&r, T, "customer_id")?;
        let currency: String = col(&r, T, "currency")?;
        let account: String = col(&r, T, "account")?;
        let n: i64 = col(&r, T, "n")?;
        let b = out
            .entry((id, currency.clone()))
            .or_insert_with(|| CustomerBalance {
                customer_id: id,
                currency,
                ..CustomerBalance::default()
            });
        if account == "1100" {
            b.receivable += n;
        } else {
            b.prepaid -= n;
        }
    }
    Ok(out
        .into_values()
        .filter(|b| b.receivable != 0 || b.prepaid != 0)
        .collect())
}
