//! The ledger's database guarantees on SQLite and PostgreSQL, checked with raw SQL: an
//! unbalanced entry cannot be committed, posted entries and lines cannot be changed, deleted or
//! added to; and the store's posting refuses bad entries with their codes, writing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::finance::{Account, EntrySource, NewEntry};
use gantry_engine::domain::types::Currency;
use gantry_engine::error::Coded;
use gantry_engine::store::finance as ledger;
use gantry_engine::store::{Db, count_rows};

async fn raw_lines(
    tx: &mut gantry_engine::store::Tx,
    entry: i64,
    lines: &[(&str, i64, i64)],
) -> Result<(), sqlx::Error> {
    for (account, d, c) in lines {
        sqlx::query(
            "INSERT INTO journal_lines (entry_id, account, currency, period, debit_minor, credit_minor) \
             VALUES ($1, $2, 'EUR', '2027-01', $3, $4)",
        )
        .bind(entry)
        .bind(*account)
        .bind(*d)
        .bind(*c)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn raw_entry(tx: &mut gantry_engine::store::Tx, entry: i64, total: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO journal_entries (id, posted_at, period, currency, total_minor, memo, source) \
         VALUES ($1, 0, '2027-01', 'EUR', $2, 'raw', 'manual')",
    )
    .bind(entry)
    .bind(total)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn refused(r: Result<(), sqlx::Error>, code: &str) {
    let e = r.expect_err(code);
    assert!(e.to_string().contains(code), "{code}: {e}");
}

db_test!(the_database_refuses_unbalanced_entries, |db| {
    // Debits 100, credits 90: the entry row is refused.
    let mut tx = db.begin().await.unwrap();
    raw_lines(&mut tx, 900, &[("1000", 100, 0), ("4000", 0, 90)])
        .await
        .unwrap();
    refused(raw_entry(&mut tx, 900, 100).await, "FINANCE_UNBALANCED");
    drop(tx);
    // A single line, or a total that is not the lines' sum, likewise.
    for (lines, total) in [
        (vec![("1000", 100, 0)], 100),
        (vec![("1000", 100, 0), ("4000", 0, 100)], 90),
    ] {
        let mut tx = db.begin().await.unwrap();
        raw_lines(&mut tx, 901, &lines).await.unwrap();
        refused(raw_entry(&mut tx, 901, total).await, "FINANCE_UNBALANCED");
    }
    // Lines whose entry is never written fail the commit (deferred foreign key).
    let mut tx = db.begin().await.unwrap();
    raw_lines(&mut tx, 902, &[("1000", 100, 0)]).await.unwrap();
    assert!(
        tx.commit().await.is_err(),
        "lines without an entry were committed"
    );
    // A line that is both debit and credit, or negative, is refused by its CHECK.
    let mut tx = db.begin().await.unwrap();
    assert!(raw_lines(&mut tx, 903, &[("1000", 5, 5)]).await.is_err());
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    assert!(raw_lines(&mut tx, 903, &[("1000", -5, 0)]).await.is_err());
    drop(tx);
    assert_eq!(count_rows(db, "journal_lines").await.unwrap(), 0);
    assert_eq!(count_rows(db, "journal_entries").await.unwrap(), 0);

    // A balanced raw entry commits.
    let mut tx = db.begin().await.unwrap();
    raw_lines(
        &mut tx,
        904,
        &[("1000", 100, 0), ("4000", 0, 60), ("2200", 0, 40)],
    )
    .await
    .unwrap();
    raw_entry(&mut tx, 904, 100).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "journal_lines").await.unwrap(), 3);
});

db_test!(posted_entries_are_immutable, |db| {
    let id = post_sale(db).await;
    for sql in [
        "UPDATE journal_lines SET debit_minor = debit_minor + 1 WHERE entry_id = $1",
        "DELETE FROM journal_lines WHERE entry_id = $1",
        "UPDATE journal_entries SET memo = 'edited' WHERE id = $1",
        "DELETE FROM journal_entries WHERE id = $1",
    ] {
        let mut tx = db.begin().await.unwrap();
        let r = sqlx::query(sql).bind(id).execute(&mut *tx).await.map(|_| ());
        refused(r, "FINANCE_ENTRY_POSTED");
    }
    // No line can be added to a posted entry, even a balancing pair.
    let mut tx = db.begin().await.unwrap();
    refused(
        raw_lines(&mut tx, id, &[("1000", 1, 0)]).await,
        "FINANCE_ENTRY_POSTED",
    );
    drop(tx);
    let e = {
        let mut c = db.pool().acquire().await.unwrap();
        ledger::get_entry(&mut c, id).await.unwrap()
    };
    assert_eq!((e.total_minor, e.lines.len(), e.memo.as_str()), (119, 3, "Sale"));
});

async fn post_sale(db: &Db) -> i64 {
    let entry = NewEntry::new(Currency::EUR, EntrySource::Manual, "Sale")
        .dr(Account::Cash, 119)
        .cr(Account::Revenue, 100)
        .cr(Account::TaxPayable, 19);
    ok!(db, |tx| ledger::post(&mut tx, t0(), &entry, None))
}

db_test!(posting_refuses_bad_entries_with_codes_and_writes_nothing, |db| {
    let eur = || NewEntry::new(Currency::EUR, EntrySource::Manual, "x");
    for (entry, code) in [
        (
            eur().dr(Account::Cash, 100).cr(Account::Revenue, 99),
            "FINANCE_UNBALANCED",
        ),
        (eur().dr(Account::Cash, 100), "FINANCE_ZERO_ENTRY"),
        (
            eur().dr(Account::Cash, -100).cr(Account::Revenue, -100),
            "FINANCE_INVALID_AMOUNT",
        ),
    ] {
        let e = rejected!(db, |tx| ledger::post(&mut tx, t0(), &entry, None));
        assert_eq!(e.code(), code);
    }
    assert_eq!(count_rows(db, "journal_lines").await.unwrap(), 0);
    // Entry ids come from the counter in the posting transaction: a rolled-back posting gives
    // its id back.
    let first = post_sale(db).await;
    let mut tx = db.begin().await.unwrap();
    ledger::post(
        &mut tx,
        t0(),
        &eur().dr(Account::Cash, 1).cr(Account::Revenue, 1),
        None,
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(post_sale(db).await, first + 1);
    let mut c = db.pool().acquire().await.unwrap();
    let tb = ledger::balances(&mut c).await.unwrap();
    assert!(gantry_engine::domain::finance::trial_balance_is_zero(&tb));
    assert_eq!(
        tb.iter().find(|b| b.account == Account::Cash).map(|b| b.net()),
        Some(238)
    );
});
