//! Finance persistence: the journal (`journal_entries`, `journal_lines`), balances, the
//! finance consumer's bookkeeping (`finance_postings`, its cursor in `outbox_consumers`,
//! `finance_spool_values`), invoices ([`invoices`]) and reports ([`reports`]).
//!
//! Posting ([`post`]) validates the entry in the domain, allocates the entry id from the
//! `entry` counter, writes the lines and then the entry row, whose trigger refuses it unless
//! the lines balance (`engine/migrations/0014_finance.sql`); nothing is ever updated or deleted.

pub mod invoices;
pub mod payments;
pub mod reports;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::finance::{
    Account, AccountBalance, EntryLinks, EntrySource, FinanceError, Line, NewEntry, PostedEntry, period_of,
};
use crate::domain::types::{Currency, from_millis, to_millis};
use crate::error::DomainError;

pub(crate) fn rejected(e: FinanceError) -> StoreError {
    StoreError::Rejected(DomainError::Finance(e))
}

/// Maps a refusal raised by a finance trigger to its coded error.
fn trigger_refusal(e: sqlx::Error, entry: i64) -> StoreError {
    let msg = e.to_string();
    if msg.contains("FINANCE_ENTRY_POSTED") {
        rejected(FinanceError::EntryPosted(entry))
    } else if msg.contains("FINANCE_UNBALANCED") {
        rejected(FinanceError::Unbalanced {
            debits: 0,
            credits: 0,
        })
    } else {
        StoreError::Database(e)
    }
}

fn currency(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<Currency> {
    let c: String = col(row, table, name)?;
    Currency::parse(&c).map_err(|e| StoreError::corrupt(table, e))
}

/// Increments the counter `name` (created at 1) and returns its new value. The row stays
/// locked until the transaction ends, so numbers are handed out one transaction at a time and
/// a rolled-back transaction gives its number back.
pub async fn next_counter(tx: &mut Tx, name: &str) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO finance_counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = finance_counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    col(&row, "finance_counters", "value")
}

/// Posts `entry` at `now` (by user `by`); returns the posted entry's id. Refuses an entry the
/// domain refuses ([`NewEntry::validate`]), a reversal of an entry already reversed, and (the
/// database) anything unbalanced.
pub async fn post(tx: &mut Tx, now: DateTime<Utc>, entry: &NewEntry, by: Option<i64>) -> StoreResult<i64> {
    let total = entry.validate().map_err(rejected)?;
    let id = next_counter(tx, "entry").await?;
    let period = period_of(now);
    for l in &entry.lines {
        sqlx::query(
            "INSERT INTO journal_lines (entry_id, account, currency, period, debit_minor, credit_minor) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(l.account.code())
        .bind(entry.currency.as_str())
        .bind(&period)
        .bind(l.debit)
        .bind(l.credit)
        .execute(&mut **tx)
        .await
        .map_err(|e| trigger_refusal(e, id))?;
    }
    sqlx::query(
        "INSERT INTO journal_entries (id, posted_at, period, currency, total_minor, memo, source, order_id, \
         job_id, invoice_id, event_id, reverses, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(to_millis(now))
    .bind(&period)
    .bind(entry.currency.as_str())
    .bind(total)
    .bind(entry.memo.trim())
    .bind(entry.source.as_str())
    .bind(entry.links.order_id)
    .bind(entry.links.job_id)
    .bind(entry.links.invoice_id)
    .bind(entry.links.event_id)
    .bind(entry.reverses)
    .bind(by)
    .execute(&mut **tx)
    .await
    .map_err(|e| match (entry.reverses, StoreError::from(e)) {
        (Some(r), e) if e.is_unique_violation() => rejected(FinanceError::AlreadyReversed(r)),
        (_, StoreError::Database(e)) => trigger_refusal(e, id),
        (_, e) => e,
    })?;
    Ok(id)
}

const ENTRY_COLS: &str = "e.id, e.posted_at, e.period, e.currency, e.total_minor, e.memo, e.source, e.order_id, \
     e.job_id, e.invoice_id, e.event_id, e.reverses, e.created_by, \
     (SELECT r.id FROM journal_entries r WHERE r.reverses = e.id) AS reversed_by";

fn entry_from_row(row: &AnyRow) -> StoreResult<PostedEntry> {
    const T: &str = "journal_entries";
    let source: String = col(row, T, "source")?;
    Ok(PostedEntry {
        id: col(row, T, "id")?,
        posted_at: from_millis(col(row, T, "posted_at")?),
        period: col(row, T, "period")?,
        currency: currency(row, T, "currency")?,
        total_minor: col(row, T, "total_minor")?,
        memo: col(row, T, "memo")?,
        source: EntrySource::parse(&source)
            .ok_or_else(|| StoreError::corrupt(T, format!("source {source:?}")))?,
        links: EntryLinks {
            order_id: col(row, T, "order_id")?,
            job_id: col(row, T, "job_id")?,
            invoice_id: col(row, T, "invoice_id")?,
            event_id: col(row, T, "event_id")?,
        },
        reverses: col(row, T, "reverses")?,
        reversed_by: col(row, T, "reversed_by")?,
        created_by: col(row, T, "created_by")?,
        lines: Vec::new(),
    })
}

async fn with_lines(
    conn: &mut AnyConnection,
    mut entries: Vec<PostedEntry>,
) -> StoreResult<Vec<PostedEntry>> {
    if entries.is_empty() {
        return Ok(entries);
    }
    let ids = entries
        .iter()
        .map(|e| e.id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT entry_id, account, debit_minor, credit_minor FROM journal_lines WHERE entry_id IN ({ids}) ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        const T: &str = "journal_lines";
        let entry: i64 = col(&row, T, "entry_id")?;
        let account: String = col(&row, T, "account")?;
        let line = Line {
            account: Account::parse(&account).map_err(|e| StoreError::corrupt(T, e))?,
            debit: col(&row, T, "debit_minor")?,
            credit: col(&row, T, "credit_minor")?,
        };
        if let Some(e) = entries.iter_mut().find(|e| e.id == entry) {
            e.lines.push(line);
        }
    }
    Ok(entries)
}

/// A posted entry with its lines (`NotFound` if absent).
pub async fn get_entry(conn: &mut AnyConnection, id: i64) -> StoreResult<PostedEntry> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM journal_entries e WHERE e.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("journal entry", id))?;
    let e = entry_from_row(&row)?;
    let mut v = with_lines(conn, vec![e]).await?;
    v.pop().ok_or_else(|| StoreError::not_found("journal entry", id))
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub order_id: Option<i64>,
    pub job_id: Option<i64>,
    pub source: Option<EntrySource>,
    /// Entries with an id below this (paging backwards from the newest).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Entries, newest first, with their lines.
pub async fn list_entries(conn: &mut AnyConnection, f: &EntryFilter) -> StoreResult<Vec<PostedEntry>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM journal_entries e WHERE ($1 IS NULL OR e.order_id = $1) \
         AND ($2 IS NULL OR e.job_id = $2) AND ($3 IS NULL OR e.source = $3) AND ($4 IS NULL OR e.id < $4) \
         ORDER BY e.id DESC LIMIT $5"
    )))
    .bind(f.order_id)
    .bind(f.job_id)
    .bind(f.source.map(|s| s.as_str()))
    .bind(f.before_id)
    .bind(f.limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    let entries = rows.iter().map(entry_from_row).collect::<StoreResult<Vec<_>>>()?;
    with_lines(conn, entries).await
}

/// The balance of every account used, per currency (the trial balance).
pub async fn balances(conn: &mut AnyConnection) -> StoreResult<Vec<AccountBalance>> {
    let rows = sqlx::query(
        "SELECT account, currency, CAST(SUM(debit_minor) AS BIGINT) AS d, CAST(SUM(credit_minor) AS BIGINT) AS c \
         FROM journal_lines GROUP BY account, currency ORDER BY account, currency",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            const T: &str = "journal_lines";
            let account: String = col(row, T, "account")?;
            Ok(AccountBalance {
                account: Account::parse(&account).map_err(|e| StoreError::corrupt(T, e))?,
                currency: currency(row, T, "currency")?,
                debits: col(row, T, "d")?,
                credits: col(row, T, "c")?,
            })
        })
        .collect()
}

/// Debits − credits of `account` on the entries of `order` (e.g. its prepayments).
pub async fn order_account_net(conn: &mut AnyConnection, order: i64, account: Account) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(l.debit_minor - l.credit_minor), 0) AS BIGINT) AS n FROM journal_lines l \
         JOIN journal_entries e ON e.id = l.entry_id WHERE e.order_id = $1 AND l.account = $2",
    )
    .bind(order)
    .bind(account.code())
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "journal_lines", "n")
}

/// Reverses entry `id` (once): posts its lines swapped; returns the reversal's id.
pub async fn reverse(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    reason: &str,
    by: Option<i64>,
) -> StoreResult<i64> {
    let e = get_entry(&mut *tx, id).await?;
    let r = NewEntry::reversal_of(&e, reason).map_err(rejected)?;
    post(tx, now, &r, by).await
}

// ---------------------------------------------------------------------------------------------
// The finance consumer's bookkeeping

/// The consumer's cursor (`outbox_consumers`, shared by every durable reader of the outbox).
pub use super::events::{consumer_cursor, set_consumer_cursor};

/// Whether event `id` was handled already.
pub async fn posted_event(conn: &mut AnyConnection, id: i64) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM finance_postings WHERE event_id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Records that event `id` was handled with `entries` entries. A second record of the same
/// event (another consumer got there first) is a conflict, which rolls the caller back.
pub async fn record_posting(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    event_type: &str,
    entries: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO finance_postings (event_id, event_type, entries, posted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(event_type)
    .bind(entries)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        e if e.is_unique_violation() => StoreError::Conflict(format!("event {id} was posted concurrently")),
        e => e,
    })?;
    Ok(())
}

/// What the ledger holds of a spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolValue {
    pub spool_id: i64,
    pub cost_per_kg_minor: i64,
    pub currency: Currency,
    pub grams: i64,
    pub value_minor: i64,
}

/// The ledger's record of a spool, if it was valued.
pub async fn spool_value(conn: &mut AnyConnection, spool: i64) -> StoreResult<Option<SpoolValue>> {
    let row = sqlx::query(
        "SELECT spool_id, cost_per_kg_minor, currency, grams, value_minor FROM finance_spool_values WHERE spool_id = $1",
    )
    .bind(spool)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        const T: &str = "finance_spool_values";
        Ok(SpoolValue {
            spool_id: col(&r, T, "spool_id")?,
            cost_per_kg_minor: col(&r, T, "cost_per_kg_minor")?,
            currency: currency(&r, T, "currency")?,
            grams: col(&r, T, "grams")?,
            value_minor: col(&r, T, "value_minor")?,
        })
    })
    .transpose()
}

/// Writes the ledger's record of a spool.
pub async fn put_spool_value(tx: &mut Tx, v: &SpoolValue) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO finance_spool_values (spool_id, cost_per_kg_minor, currency, grams, value_minor) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (spool_id) DO UPDATE SET grams = $4, value_minor = $5",
    )
    .bind(v.spool_id)
    .bind(v.cost_per_kg_minor)
    .bind(v.currency.as_str())
    .bind(v.grams)
    .bind(v.value_minor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How a spool was bought, as the ledger values its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolLot {
    /// Lot cost per kg (spools received before finance: their material's price).
    pub cost_per_kg_minor: i64,
    pub currency: Currency,
    /// The grams it was received with.
    pub initial_grams: i64,
    /// Paid in cash on receipt (else bought on account).
    pub paid_in_cash: bool,
}

/// A spool's lot: cost per kg and currency, the grams it was received with and how it was paid.
pub async fn spool_lot(conn: &mut AnyConnection, spool: i64) -> StoreResult<SpoolLot> {
    let row = sqlx::query(
        "SELECT COALESCE(s.cost_per_kg_minor, m.price_per_kg_minor) AS cost, \
         COALESCE(s.cost_currency, m.currency) AS currency, s.initial_grams, s.paid FROM spools s \
         JOIN materials m ON m.id = s.material_id WHERE s.id = $1",
    )
    .bind(spool)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("spool", spool))?;
    Ok(SpoolLot {
        cost_per_kg_minor: col(&row, "spools", "cost")?,
        currency: currency(&row, "spools", "currency")?,
        initial_grams: col(&row, "spools", "initial_grams")?,
        paid_in_cash: col::<String>(&row, "spools", "paid")? == "cash",
    })
}

/// Σ over spools of `round(remaining grams × lot cost / 1000)`, per currency: what the
/// inventory account should hold once every movement is posted.
pub async fn stock_value(conn: &mut AnyConnection) -> StoreResult<Vec<(Currency, i64)>> {
    let rows = sqlx::query(
        "SELECT s.remaining_grams AS g, COALESCE(s.cost_per_kg_minor, m.price_per_kg_minor) AS cost, \
         COALESCE(s.cost_currency, m.currency) AS currency FROM spools s JOIN materials m ON m.id = s.material_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: std::collections::BTreeMap<Currency, i64> = Default::default();
    for r in rows {
        let v = crate::domain::finance::spool_value(col(&r, "spools", "g")?, col(&r, "spools", "cost")?);
        *out.entry(currency(&r, "spools", "currency")?).or_default() += v;
    }
    Ok(out.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------
// Expenses

/// A manual expense as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expense {
    pub id: i64,
    pub category: crate::domain::finance::ExpenseCategory,
    pub description: String,
    pub amount_minor: i64,
    pub currency: Currency,
    /// Paid in cash (`true`) or owed (`false`, on account: payables).
    pub paid_in_cash: bool,
    pub receipt_ref: Option<String>,
    pub entry_id: i64,
    pub incurred_at: DateTime<Utc>,
}

/// Records a manual expense and posts it (expense account of its category / cash or payables).
#[allow(clippy::too_many_arguments)]
pub async fn record_expense(
    tx: &mut Tx,
    now: DateTime<Utc>,
    category: crate::domain::finance::ExpenseCategory,
    description: &str,
    amount: crate::domain::types::Money,
    paid_in_cash: bool,
    receipt_ref: Option<&str>,
    by: Option<i64>,
) -> StoreResult<Expense> {
    let description = crate::domain::finance::text("description", description, 200).map_err(rejected)?;
    let receipt_ref = match receipt_ref.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(crate::domain::finance::text("receipt", r, 300).map_err(rejected)?),
        None => None,
    };
    if amount.minor <= 0 {
        return Err(rejected(FinanceError::InvalidAmount {
            field: "expense",
            amount: amount.minor,
            reason: "must be above zero",
        }));
    }
    let credit = if paid_in_cash {
        Account::Cash
    } else {
        Account::Payables
    };
    let entry = NewEntry::new(
        amount.currency,
        EntrySource::Expense,
        format!("Expense ({}): {description}", category.as_str()),
    )
    .dr(category.account(), amount.minor)
    .cr(credit, amount.minor);
    let entry_id = post(tx, now, &entry, by).await?;
    let row = sqlx::query(
        "INSERT INTO expenses (category, description, amount_minor, currency, paid, receipt_ref, entry_id, incurred_at, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(category.as_str())
    .bind(&description)
    .bind(amount.minor)
    .bind(amount.currency.as_str())
    .bind(if paid_in_cash { "cash" } else { "on_account" })
    .bind(receipt_ref.as_deref())
    .bind(entry_id)
    .bind(to_millis(now))
    .bind(by)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Expense {
        id: col(&row, "expenses", "id")?,
        category,
        description,
        amount_minor: amount.minor,
        currency: amount.currency,
        paid_in_cash,
        receipt_ref,
        entry_id,
        incurred_at: from_millis(to_millis(now)),
    })
}

fn expense_from_row(row: &AnyRow) -> StoreResult<Expense> {
    const T: &str = "expenses";
    let category: String = col(row, T, "category")?;
    let paid: String = col(row, T, "paid")?;
    Ok(Expense {
        id: col(row, T, "id")?,
        category: crate::domain::finance::ExpenseCategory::parse(&category)
            .map_err(|e| StoreError::corrupt(T, e))?,
        description: col(row, T, "description")?,
        amount_minor: col(row, T, "amount_minor")?,
        currency: currency(row, T, "currency")?,
        paid_in_cash: paid == "cash",
        receipt_ref: col(row, T, "receipt_ref")?,
        entry_id: col(row, T, "entry_id")?,
        incurred_at: from_millis(col(row, T, "incurred_at")?),
    })
}

const EXPENSE_COLS: &str =
    "id, category, description, amount_minor, currency, paid, receipt_ref, entry_id, incurred_at";

/// One expense (`NotFound` if absent).
pub async fn get_expense(conn: &mut AnyConnection, id: i64) -> StoreResult<Expense> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPENSE_COLS} FROM expenses WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("expense", id))?;
    expense_from_row(&row)
}

/// Expenses, newest first (ids below `before_id` when given), at most `limit` (1–1000).
pub async fn list_expenses(
    conn: &mut AnyConnection,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Expense>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPENSE_COLS} FROM expenses WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
    )))
    .bind(before_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(expense_from_row).collect()
}
