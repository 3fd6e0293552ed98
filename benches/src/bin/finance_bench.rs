//! Finance benchmarks (issue 14's targets) on a fresh PostgreSQL database each
//! (`GANTRY_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`):
//!
//! ```text
//! finance-bench [--jobs 1000] [--entries 200000]
//!     posting: a farm of 10 printers finishes --jobs jobs (through the live-farm store commands,
//!       not timed), then the finance consumer posts the whole outbox (timed: the target is
//!       1,000 finished jobs within 5 s);
//!     P&L: --entries job entries (material and machine time, 4 lines each) and one invoice entry
//!       per 10 jobs spread over the 12 months of 2026 (bulk-inserted with `generate_series`,
//!       lines first, so the database's balance trigger checks every entry; not timed), then
//!       the P&L of the year (timed, median of 5; the target is under 1 s).
//! ```

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use gantry_app::finance::{self, FinanceSettings, consumer};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::finance::{Account, EntrySource, NewEntry};
use gantry_engine::domain::types::Currency;
use gantry_engine::store::finance as ledger;
use gantry_engine::store::live::{self, testing};
use gantry_engine::store::{count_rows, testing::TestDb};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn num(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn posting(jobs: usize) -> Res<()> {
    let t = TestDb::postgres().await?;
    let db = &t.db;
    let fx = testing::farm(db, t0(), 10, 10 * jobs as i64 + 1000, jobs as i64).await?;
    let start = Instant::now();
    for (i, j) in fx.jobs.iter().enumerate() {
        let p = fx.printers[i % fx.printers.len()];
        let now = t0() + chrono::Duration::minutes(i as i64);
        let mut tx = db.begin().await?;
        live::start_on(&mut tx, now, p, j.id, true).await?;
        live::complete_on(&mut tx, now + chrono::Duration::minutes(30), p, j.id).await?;
        live::move_printer(
            &mut tx,
            now + chrono::Duration::minutes(30),
            p,
            PrinterStatus::Idle,
        )
        .await?;
        tx.commit().await?;
    }
    println!(
        "posting: printed {jobs} jobs in {:.1} s (setup)",
        start.elapsed().as_secs_f64()
    );
    let events = count_rows(db, "events").await?;
    let settings = FinanceSettings::default();
    let start = Instant::now();
    let mut cursor = consumer::start(db).await?;
    consumer::drain(db, &settings, &mut cursor).await?;
    let took = start.elapsed();
    let entries = count_rows(db, "journal_entries").await?;
    let tb = finance::trial_balance(db).await?;
    println!(
        "posting: {events} outbox events read, {entries} entries posted for {jobs} finished jobs in {:.3} s \
         (balanced: {})",
        took.as_secs_f64(),
        gantry_engine::domain::finance::trial_balance_is_zero(&tb)
    );
    t.cleanup().await;
    Ok(())
}

async fn pnl(entries: usize) -> Res<()> {
    let t = TestDb::postgres().await?;
    let db = &t.db;
    let start = Instant::now();
    let n = entries as i64;
    let period = "'2026-' || lpad(((i % 12) + 1)::text, 2, '0')";
    let mut tx = db.begin().await?;
    for sql in [
        format!(
            "INSERT INTO journal_lines (entry_id, account, currency, period, debit_minor, credit_minor) \
             SELECT i, a.account, 'EUR', {period}, a.d, a.c FROM generate_series(1, $1::bigint) i \
             CROSS JOIN LATERAL (VALUES ('5000', 50 + i % 200, 0::bigint), ('1200', 0::bigint, 50 + i % 200), \
             ('5200', 75 + i % 50, 0::bigint), ('2300', 0::bigint, 75 + i % 50)) a(account, d, c)"
        ),
        format!(
            "INSERT INTO journal_entries (id, posted_at, period, currency, total_minor, memo, source) \
             SELECT i, 0, {period}, 'EUR', 125 + i % 200 + i % 50, 'bench job', 'job' \
             FROM generate_series(1, $1::bigint) i"
        ),
        format!(
            "INSERT INTO journal_lines (entry_id, account, currency, period, debit_minor, credit_minor) \
             SELECT $1 + i, a.account, 'EUR', {period}, a.d, a.c FROM generate_series(1, $1::bigint / 10) i \
             CROSS JOIN LATERAL (VALUES ('1100', 5950::bigint, 0::bigint), ('4000', 0::bigint, 5000::bigint), \
             ('2200', 0::bigint, 950::bigint)) a(account, d, c)"
        ),
        format!(
            "INSERT INTO journal_entries (id, posted_at, period, currency, total_minor, memo, source) \
             SELECT $1 + i, 0, {period}, 'EUR', 5950, 'bench invoice', 'invoice' \
             FROM generate_series(1, $1::bigint / 10) i"
        ),
        "UPDATE finance_counters SET value = $1 + $1 / 10 WHERE name = 'entry'".to_string(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(n)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    // One entry through the store on top: the bulk rows are a ledger the store accepts.
    let mut tx = db.begin().await?;
    let at = Utc
        .with_ymd_and_hms(2026, 6, 10, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let job = NewEntry::new(Currency::EUR, EntrySource::Job, "bench job")
        .dr(Account::CostOfGoodsSold, 10)
        .cr(Account::Inventory, 10);
    ledger::post(&mut tx, at, &job, None).await?;
    tx.commit().await?;
    println!(
        "pnl: posted {} entries ({} lines) in {:.1} s (setup)",
        count_rows(db, "journal_entries").await?,
        count_rows(db, "journal_lines").await?,
        start.elapsed().as_secs_f64()
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut months = 0;
    for _ in 0..5 {
        let s = Instant::now();
        months = finance::pnl(db, "2026-01", "2026-12").await?.len();
        times.push(s.elapsed());
    }
    times.sort();
    println!(
        "pnl: P&L of 2026 ({months} months) over {entries} job entries: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        times[2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[4].as_secs_f64() * 1e3
    );
    t.cleanup().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    posting(num(&args, "--jobs", 1_000)).await?;
    pnl(num(&args, "--entries", 200_000)).await?;
    Ok(())
}
