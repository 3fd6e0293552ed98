//! The event outbox (`store::events`) on SQLite and PostgreSQL: every change others care about
//! appends its event in the same transaction (a rolled-back change leaves no event), ids only
//! grow, payloads read back as they were written, and old events are pruned.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::events::{Event, JobEvent, PlanEvent, PrinterEvent, StockLowEvent};
use gantry_engine::domain::inventory::{MaterialKind, NewMaterial, NewSpool};
use gantry_engine::domain::production::JobState;
use gantry_engine::domain::types::{Currency, Money};
use gantry_engine::store::events::{self, StoredEvent};
use gantry_engine::store::live::{self, PlanWrite, testing};
use gantry_engine::store::{Db, equipment, inventory, planning, webhooks};

async fn all(db: &Db) -> Vec<StoredEvent> {
    let mut c = db.pool().acquire().await.unwrap();
    events::after(&mut c, 0, 10_000).await.unwrap()
}

db_test!(changes_append_their_events_in_the_same_transaction, |db| {
    let fx = testing::farm(db, t0(), 1, 1000, 2).await.unwrap();
    let before = all(db).await;
    // The fixture's order and jobs were created through the store: their events are there.
    let types: Vec<&str> = before.iter().map(|e| e.type_name.as_str()).collect();
    assert!(types.contains(&"order.created"), "{types:?}");
    assert!(types.contains(&"job.created"), "{types:?}");
    assert!(before.windows(2).all(|w| w[0].id < w[1].id), "ids grow");
    for e in &before {
        let parsed = e.event.as_ref().unwrap();
        assert_eq!(parsed.type_name(), e.type_name);
        assert_eq!(parsed.aggregate(), (e.aggregate_type.as_str(), e.aggregate_id));
        assert_eq!(e.version, 1);
    }
    let last = before.last().unwrap().id;

    // A change that is rolled back leaves no event.
    let p = fx.printers[0];
    let mut tx = db.begin().await.unwrap();
    equipment::set_status(&mut tx, t0(), p, PrinterStatus::Maintenance)
        .await
        .unwrap();
    drop(tx);
    assert_eq!(all(db).await.len(), before.len());

    // Committed: one event, after the others, with what changed.
    let mut tx = db.begin().await.unwrap();
    equipment::set_status(&mut tx, t0(), p, PrinterStatus::Maintenance)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let new = events::after(&mut c, last, 100).await.unwrap();
    drop(c);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].type_name, "printer.status_changed");
    assert_eq!(
        new[0].event,
        Ok(Event::Printer(PrinterEvent {
            printer_id: p.0,
            from: PrinterStatus::Idle,
            to: PrinterStatus::Maintenance,
            job_id: None,
            progress_pct: None,
        }))
    );
    assert!(new[0].event.as_ref().unwrap().affects_plan());

    // A persisted plan: its jobs' transitions, then the plan event.
    let mut tx = db.begin().await.unwrap();
    equipment::set_status(&mut tx, t0(), p, PrinterStatus::Idle)
        .await
        .unwrap();
    let plan = PlanWrite {
        schedule: vec![(fx.jobs[0].id, p, t0())],
        ..PlanWrite::default()
    };
    live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
    let summary = PlanEvent {
        plan_id: 0,
        scheduled: 1,
        unscheduled: 0,
        held: 0,
        objective: 12.5,
        lower_bound: 10.0,
        gap: 0.2,
    };
    let plan_id = planning::record_plan(&mut tx, t0(), "{}", summary.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let new = events::after(&mut c, new[0].id, 100).await.unwrap();
    let types: Vec<&str> = new.iter().map(|e| e.type_name.as_str()).collect();
    assert_eq!(
        types,
        ["printer.status_changed", "job.state_changed", "plan.changed"]
    );
    let Ok(Event::Job(JobEvent { to, printer_id, .. })) = &new[1].event else {
        panic!("{:?}", new[1]);
    };
    assert_eq!((*to, *printer_id), (JobState::Scheduled, Some(p.0)));
    assert!(
        !new[1].event.as_ref().unwrap().affects_plan(),
        "the scheduler's own changes do not re-plan"
    );
    // The plan event names the recorded plan, which reads back as the newest.
    assert_eq!(new[2].event, Ok(Event::Plan(PlanEvent { plan_id, ..summary })));
    assert_eq!(
        (new[2].aggregate_type.as_str(), new[2].aggregate_id),
        ("plan", plan_id)
    );
    let latest = planning::latest_plan(&mut c).await.unwrap().unwrap();
    assert_eq!((latest.id, latest.body.as_str()), (plan_id, "{}"));
    assert_eq!(events::last_id(&mut c).await.unwrap(), new[2].id);
    // Re-reading ids that were skipped finds them once they are committed.
    let again = events::by_ids(&mut c, &[new[0].id, new[2].id]).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        [new[0].id, new[2].id]
    );
    drop(c);

    // Pruning removes what occurred before the cut only, and only what every registered
    // durable reader has read: the webhook dispatcher's cursor (0 here: it never ran) holds
    // every event back.
    let last = new[2].id;
    let cut = t0() + Duration::seconds(1);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(events::prune(&mut tx, t0() - Duration::days(1)).await.unwrap(), 0);
    assert_eq!(events::prune(&mut tx, cut).await.unwrap(), 0);
    webhooks::set_cursor(&mut tx, t0(), last).await.unwrap();
    // A second reader (e.g. the analytics sink during a MongoDB outage) is behind: the events
    // after its cursor stay.
    events::set_consumer_cursor(&mut tx, t0(), "analytics", new[0].id)
        .await
        .unwrap();
    let n = events::prune(&mut tx, cut).await.unwrap();
    tx.commit().await.unwrap();
    let kept: Vec<i64> = all(db).await.iter().map(|e| e.id).collect();
    assert_eq!(kept, [new[1].id, new[2].id], "unread by the analytics reader");
    assert_eq!(usize::try_from(n).unwrap(), before.len() + 2);
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(events::readers_low_mark(&mut c).await.unwrap(), Some(new[0].id));
    drop(c);
    // Once it has caught up, the rest goes.
    let mut tx = db.begin().await.unwrap();
    events::set_consumer_cursor(&mut tx, t0(), "analytics", last)
        .await
        .unwrap();
    assert_eq!(events::prune(&mut tx, cut).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert!(all(db).await.is_empty());
});

db_test!(
    stock_low_is_appended_when_availability_crosses_the_threshold,
    |db| {
        let mut tx = db.begin().await.unwrap();
        let m = inventory::create_material(
            &mut tx,
            t0(),
            &NewMaterial {
                code: "PETG-LOW".into(),
                kind: MaterialKind::Petg,
                colour: "red".into(),
                diameter_um: 1750,
                density_mg_cm3: 1270,
                price_per_kg: Money::new(2500, Currency::EUR),
                low_stock_grams: 100,
            },
        )
        .await
        .unwrap();
        let spool = inventory::receive_spool(
            &mut tx,
            t0(),
            &NewSpool {
                material_id: m.id,
                grams: 150,
                lot: None,
                location: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let low = |e: &StoredEvent| matches!(e.event, Ok(Event::StockLow(_)));
        let reserve = async |key: &str, grams: i64| {
            let mut tx = db.begin().await.unwrap();
            let r = inventory::reserve(&mut tx, t0(), key, m.id, grams).await;
            tx.commit().await.unwrap();
            r.is_ok()
        };
        // 150 → 110 available: above the threshold, no event.
        assert!(reserve("job:1", 40).await);
        assert!(!all(db).await.iter().any(low));
        // A refused reservation in a transaction that goes on (as a plan write does) leaves none.
        assert!(!reserve("job:2", 1000).await);
        assert!(!all(db).await.iter().any(low));
        // 110 → 90: crossed, one event with what is left.
        assert!(reserve("job:3", 20).await);
        let lows: Vec<_> = all(db).await.into_iter().filter(low).collect();
        assert_eq!(
            lows.iter().map(|e| e.event.clone().unwrap()).collect::<Vec<_>>(),
            [Event::StockLow(StockLowEvent {
                material_id: m.id.0,
                code: "PETG-LOW".into(),
                available_grams: 90,
                threshold_grams: 100,
            })]
        );
        // Already low: lower still is no new crossing; scrapping from above the threshold is.
        assert!(reserve("job:4", 10).await);
        assert_eq!(all(db).await.iter().filter(|e| low(e)).count(), 1);
        let mut tx = db.begin().await.unwrap();
        inventory::release(&mut tx, t0(), "job:3").await.unwrap();
        inventory::release(&mut tx, t0(), "job:4").await.unwrap();
        inventory::scrap_spool(&mut tx, t0(), spool.id, 20, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(all(db).await.iter().filter(|e| low(e)).count(), 2);
    }
);

#[test]
fn unknown_types_and_bad_payloads_are_told_apart_from_events() {
    assert!(Event::parse("order.teleported", "{}").is_err());
    assert!(Event::parse("printer.status_changed", "{\"printer_id\": \"x\"}").is_err());
    let e = Event::parse(
        "printer.status_changed",
        r#"{"printer_id":3,"from":"idle","to":"offline","job_id":null,"progress_pct":null}"#,
    )
    .unwrap();
    assert_eq!(e.type_name(), "printer.status_changed");
    assert_eq!(
        e.payload_json().unwrap(),
        r#"{"printer_id":3,"from":"idle","to":"offline","job_id":null,"progress_pct":null}"#
    );
}
