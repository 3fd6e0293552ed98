//! The event outbox (`store::events`) on SQLite and PostgreSQL: every change others care about
//! appends its event in the same transaction (a rolled-back change leaves no event), ids only
//! grow, payloads read back as they were written, and old events are pruned.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::events::{Event, JobEvent, PrinterEvent};
use gantry_engine::domain::production::JobState;
use gantry_engine::store::events::{self, StoredEvent};
use gantry_engine::store::live::{self, PlanWrite, testing};
use gantry_engine::store::{Db, equipment};

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
    assert_eq!(events::last_id(&mut c).await.unwrap(), new[2].id);
    // Re-reading ids that were skipped finds them once they are committed.
    let again = events::by_ids(&mut c, &[new[0].id, new[2].id]).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        [new[0].id, new[2].id]
    );
    drop(c);

    // Pruning removes what occurred before the cut only.
    let mut tx = db.begin().await.unwrap();
    assert_eq!(events::prune(&mut tx, t0() - Duration::days(1)).await.unwrap(), 0);
    let n = events::prune(&mut tx, t0() + Duration::seconds(1)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(usize::try_from(n).unwrap(), before.len() + 4);
    assert!(all(db).await.is_empty());
});

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
