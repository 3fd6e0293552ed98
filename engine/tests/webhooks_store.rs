//! The webhook store's batch statements on SQLite and PostgreSQL: fan-out in multi-row inserts,
//! claiming a batch under a lease, recording a batch's attempts through one joined UPDATE,
//! giving back what was not sent, and the endpoint's health after a batch.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::events::{Event, WebhookEndpointDisabledEvent};
use gantry_engine::store::webhooks::{self as hooks, Attempt, DeliveryFilter, DeliveryStatus, NewEndpoint};
use gantry_engine::store::{Db, events};

const TYPE: &str = "webhook.endpoint_disabled";

fn event(n: i64) -> Event {
    Event::WebhookEndpointDisabled(WebhookEndpointDisabledEvent {
        endpoint_id: n,
        url: format!("https://example.com/{n}"),
        consecutive_failures: n,
        reason: "test".into(),
    })
}

async fn endpoint(db: &Db, n: u8) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let ep = hooks::create_endpoint(
        &mut tx,
        t0() - Duration::hours(1),
        &NewEndpoint {
            url: format!("https://example.com/hook/{n}"),
            description: String::new(),
            event_types: vec![TYPE.into()],
            secret: format!("whsec_{}", "A".repeat(43)),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    ep.id
}

/// Appends `n` events and fans them out; returns their ids.
async fn queued(db: &Db, n: i64) -> Vec<i64> {
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(events::append(&mut tx, t0(), &event(i)).await.unwrap());
    }
    let stored = events::by_ids(&mut tx, &ids).await.unwrap();
    let q = hooks::fan_out(&mut tx, t0(), &stored).await.unwrap();
    // Twice: nothing is queued again.
    assert_eq!(hooks::fan_out(&mut tx, t0(), &stored).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert!(q > 0);
    ids
}

fn attempt(c: &hooks::Claimed, ok: bool, at_ms: i64) -> Attempt {
    let at = t0() + Duration::milliseconds(at_ms);
    Attempt {
        delivery_id: c.delivery.id,
        attempt: c.delivery.attempts + 1,
        at,
        succeeded: ok,
        status_code: Some(if ok { 204 } else { 503 }),
        latency_ms: at_ms,
        error: (!ok).then(|| "HTTP 503".to_string()),
        next: if ok {
            DeliveryStatus::Succeeded
        } else {
            DeliveryStatus::Pending
        },
        next_attempt_at: at + Duration::seconds(if ok { 0 } else { 30 }),
    }
}

db_test!(a_batch_is_claimed_recorded_and_given_back, |db| {
    let a = endpoint(db, 1).await;
    let b = endpoint(db, 2).await;
    // 350 events x 2 endpoints: more rows than one insert statement takes.
    let ids = queued(db, 350).await;
    let lease = t0() + Duration::seconds(60);

    // Oldest event first, at most the batch asked for, the event attached.
    let mut tx = db.begin().await.unwrap();
    let first = hooks::claim_due(&mut tx, t0(), a, lease, 5).await.unwrap();
    assert_eq!(
        first.iter().map(|c| c.delivery.event_id).collect::<Vec<_>>(),
        ids[..5].to_vec()
    );
    assert!(
        first
            .iter()
            .all(|c| c.event.as_ref().map(|e| e.id) == Some(c.delivery.event_id))
    );
    // Leased: the next claim goes on after them; the other endpoint is untouched.
    let second = hooks::claim_due(&mut tx, t0(), a, lease, 5).await.unwrap();
    assert_eq!(second[0].delivery.event_id, ids[5]);
    let other = hooks::claim_due(&mut tx, t0(), b, lease, 1).await.unwrap();
    assert_eq!(other[0].delivery.event_id, ids[0]);
    // Two sent (one failed), three given back.
    hooks::record_attempts(
        &mut tx,
        &[attempt(&first[0], true, 12), attempt(&first[1], false, 40)],
    )
    .await
    .unwrap();
    hooks::release(
        &mut tx,
        &[first[2].delivery.id, first[3].delivery.id, first[4].delivery.id],
    )
    .await
    .unwrap();
    let health = hooks::record_health(&mut tx, t0(), a, &[true, false])
        .await
        .unwrap();
    assert_eq!(health, (1, Some(t0())));
    tx.commit().await.unwrap();

    let mut c = db.pool().acquire().await.unwrap();
    let all = hooks::list_deliveries(
        &mut c,
        &DeliveryFilter {
            endpoint_id: Some(a),
            limit: 1000,
            ..DeliveryFilter::default()
        },
    )
    .await
    .unwrap();
    let by_event = |e: i64| all.iter().find(|d| d.event_id == e).unwrap().clone();
    let ok = by_event(ids[0]);
    assert_eq!(
        (ok.status, ok.attempts, ok.last_status_code, ok.last_latency_ms),
        (DeliveryStatus::Succeeded, 1, Some(204), Some(12))
    );
    let failed = by_event(ids[1]);
    assert_eq!(
        (failed.status, failed.attempts, failed.last_error.as_deref()),
        (DeliveryStatus::Pending, 1, Some("HTTP 503"))
    );
    assert_eq!(
        failed.next_attempt_at,
        t0() + Duration::milliseconds(40) + Duration::seconds(30)
    );
    let log = hooks::attempts(&mut c, failed.id).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|r| (r.attempt, r.succeeded, r.status_code))
            .collect::<Vec<_>>(),
        vec![(1, false, Some(503))]
    );
    drop(c);

    // The given-back three are claimed again at once, before the ones still leased; the
    // failed one waits for its retry time.
    let mut tx = db.begin().await.unwrap();
    let again = hooks::claim_due(&mut tx, t0(), a, lease, 200).await.unwrap();
    let got: Vec<i64> = again.iter().map(|c| c.delivery.event_id).collect();
    assert_eq!(&got[..3], &ids[2..5]);
    assert_eq!(got.len(), 200);
    assert!(!got.contains(&ids[1]) && !got.contains(&ids[5]));
    // A whole batch recorded in one go (more than one chunk is not needed: 200 is the most).
    let attempts: Vec<Attempt> = again.iter().map(|c| attempt(c, true, 3)).collect();
    hooks::record_attempts(&mut tx, &attempts).await.unwrap();
    assert_eq!(
        hooks::record_health(&mut tx, t0(), a, &[true]).await.unwrap(),
        (0, None)
    );
    // All failed: added to the stored count, the start kept.
    assert_eq!(
        hooks::record_health(&mut tx, t0(), a, &[false, false])
            .await
            .unwrap(),
        (2, Some(t0()))
    );
    let later = t0() + Duration::seconds(5);
    assert_eq!(
        hooks::record_health(&mut tx, later, a, &[false]).await.unwrap(),
        (3, Some(t0()))
    );
    tx.commit().await.unwrap();

    // After the retry time the failed one is due again, first in line.
    let mut tx = db.begin().await.unwrap();
    let retry_at = t0() + Duration::seconds(31);
    let next = hooks::claim_due(&mut tx, retry_at, a, retry_at + Duration::seconds(60), 1)
        .await
        .unwrap();
    assert_eq!(next[0].delivery.event_id, ids[1]);
    assert_eq!(next[0].delivery.attempts, 1);
    tx.commit().await.unwrap();
});
