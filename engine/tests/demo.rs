//! The demo farm loads on both backends, obeys the domain rules, and loads once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_engine::db_test;
use gantry_engine::store::{Db, col, count_rows, demo};

async fn group_counts(db: &Db, sql: &'static str) -> Vec<(String, i64)> {
    let rows = sqlx::query(sql).fetch_all(db.pool()).await.unwrap();
    rows.iter()
        .map(|r| (col(r, "t", "k").unwrap(), col(r, "t", "n").unwrap()))
        .collect()
}

db_test!(demo_farm_loads_once_with_every_stage, |db| {
    let first = demo::load(db).await.unwrap();
    assert!(first.loaded_now);
    assert!(
        first.printers >= 12 && first.materials >= 8 && first.products >= 20 && first.orders >= 30,
        "{first}"
    );
    assert!(first.spools >= first.materials);

    let models = group_counts(
        db,
        "SELECT model AS k, COUNT(*) AS n FROM printers GROUP BY model ORDER BY model",
    )
    .await;
    assert_eq!(models.len(), 3, "{models:?}");

    let statuses = group_counts(
        db,
        "SELECT status AS k, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status",
    )
    .await;
    let names: Vec<&str> = statuses.iter().map(|(k, _)| k.as_str()).collect();
    for s in [
        "draft",
        "placed",
        "paid",
        "in_production",
        "ready",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ] {
        assert!(names.contains(&s), "no {s} order in {statuses:?}");
    }
    let jobs = group_counts(
        db,
        "SELECT state AS k, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state",
    )
    .await;
    let names: Vec<&str> = jobs.iter().map(|(k, _)| k.as_str()).collect();
    for s in ["queued", "scheduled", "printing", "done", "requeued"] {
        assert!(names.contains(&s), "no {s} job in {jobs:?}");
    }

    // Stock: never negative; the ledger explains every spool.
    let neg = sqlx::query("SELECT COUNT(*) AS n FROM spools WHERE remaining_grams < 0")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(col::<i64>(&neg, "spools", "n").unwrap(), 0);
    let ledger = sqlx::query(
        "SELECT s.id AS id, s.remaining_grams AS remaining,
                COALESCE((SELECT CAST(SUM(m.grams) AS BIGINT) FROM stock_movements m WHERE m.spool_id = s.id), 0) AS moved
         FROM spools s",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for r in &ledger {
        let remaining: i64 = col(r, "s", "remaining").unwrap();
        let moved: i64 = col(r, "s", "moved").unwrap();
        assert_eq!(
            remaining,
            moved,
            "spool {} ledger mismatch",
            col::<i64>(r, "s", "id").unwrap()
        );
    }
    // Every done job consumed material.
    let done_without = sqlx::query(
        "SELECT COUNT(*) AS n FROM jobs j WHERE j.state = 'done' AND NOT EXISTS
           (SELECT 1 FROM stock_movements m WHERE m.job_key = 'job:' || CAST(j.id AS TEXT) AND m.kind = 'consumption')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(col::<i64>(&done_without, "jobs", "n").unwrap(), 0);

    let reviews = count_rows(db, "reviews").await.unwrap();
    assert!(reviews > 0);

    // A second load adds nothing.
    let second = demo::load(db).await.unwrap();
    assert!(!second.loaded_now);
    assert_eq!(DemoCounts::of(&second), DemoCounts::of(&first));
    assert_eq!(count_rows(db, "reviews").await.unwrap(), reviews);
});

#[derive(Debug, PartialEq)]
struct DemoCounts([i64; 8]);

impl DemoCounts {
    fn of(s: &demo::DemoSummary) -> Self {
        DemoCounts([
            s.printers,
            s.materials,
            s.spools,
            s.products,
            s.customers,
            s.users,
            s.orders,
            s.jobs,
        ])
    }
}
