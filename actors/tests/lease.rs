//! The scheduler leader's lease (`gantry_app::lease`) on SQLite and PostgreSQL: a leader that
//! was replaced has its plan, hand-over and offline mark refused by fencing (nothing written)
//! and steps down; a crashed leader's lease is taken over after it expires; a resigned one at
//! once; of two farms on one database only the leader plans.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use gantry_actors::{ClusterConfig, EventBus, Farm, FarmConfig};
use gantry_app::cluster::Node;
use gantry_app::lease::{Leadership, LeaseConfig, keep_once, spawn_keeper};
use gantry_app::{agent, planning};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::error::Coded;
use gantry_engine::store::live::testing;
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db, count_rows, equipment};

macro_rules! both {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: &Db) $body

            #[actix::test]
            async fn sqlite() {
                let t = TestDb::new(Backend::Sqlite).await.unwrap();
                run(&t.db).await;
                t.cleanup().await;
            }

            #[actix::test]
            async fn postgres() {
                let t = TestDb::new(Backend::Postgres).await.unwrap();
                run(&t.db).await;
                t.cleanup().await;
            }
        }
    };
}

fn quick(ttl_ms: u64) -> LeaseConfig {
    LeaseConfig {
        ttl: Duration::from_millis(ttl_ms),
        renew_every: Duration::from_millis(ttl_ms / 5),
        take_over_at_start: false,
    }
}

async fn status(db: &Db, p: gantry_engine::domain::types::PrinterId) -> PrinterStatus {
    let mut c = db.pool().acquire().await.unwrap();
    equipment::get_printer(&mut c, p).await.unwrap().status
}

both!(a_replaced_leaders_writes_are_fenced_and_it_steps_down, |db| {
    let fx = testing::farm(db, Utc::now(), 1, 1000, 2).await.unwrap();
    let printer = fx.printers[0];
    let started = Utc::now();
    let (a, b) = (Leadership::new("a"), Leadership::new("b"));
    let cfg = quick(300);
    let stale = keep_once(db, &a, started, &cfg, false).await.unwrap().unwrap();
    // While A leads, B cannot take the lease.
    assert!(keep_once(db, &b, started, &cfg, false).await.unwrap().is_none());
    // A's lease lapses (A paused, say); B takes over with the next epoch.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fresh = keep_once(db, &b, started, &cfg, false).await.unwrap().unwrap();
    assert_eq!(fresh.epoch, stale.epoch + 1);
    assert!(a.is_leader(), "A has not noticed yet");

    // A's writes as leader are refused, and write nothing.
    let plans = count_rows(db, "plans").await.unwrap();
    let err = planning::replan(db, None, 0.2, Some(&stale)).await.unwrap_err();
    assert_eq!(err.code(), "NOT_LEADER");
    assert_eq!(count_rows(db, "plans").await.unwrap(), plans);
    let none = BTreeSet::new();
    let err = agent::hand_over_next(db, Utc::now(), printer, &none, false, Some(&stale))
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "NOT_LEADER");
    assert_eq!(count_rows(db, "job_handovers").await.unwrap(), 0);
    let before = status(db, printer).await;
    let err = agent::mark_offline(db, Utc::now(), printer, Some(&stale))
        .await
        .unwrap_err();
    assert!(a.check(Some(&stale), &err), "a fencing refusal");
    assert_eq!(status(db, printer).await, before);
    // ... and A stepped down.
    assert!(!a.is_leader());

    // B's writes go through.
    let r = planning::replan(db, None, 0.2, Some(&fresh)).await.unwrap();
    assert!(r.view.id > 0);
    assert_eq!(count_rows(db, "plans").await.unwrap(), plans + 1);
    let handed = agent::hand_over_next(db, Utc::now(), printer, &none, false, Some(&fresh))
        .await
        .unwrap();
    assert!(handed.is_some(), "the plan gives the printer a job");
});

both!(a_crashed_leaders_lease_is_taken_over_after_it_expires, |db| {
    let a = Leadership::new("a");
    let b = Leadership::new("b");
    let ka = spawn_keeper(db.clone(), a.clone(), quick(1000));
    let first = a.wait_leader(Duration::from_secs(5)).await.unwrap();
    let _kb = spawn_keeper(db.clone(), b.clone(), quick(1000));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!b.is_leader(), "a follower while A renews");
    // A crashes (its keeper stops without resigning): B leads once A's lease expires.
    drop(ka);
    let t = std::time::Instant::now();
    let taken = b.wait_leader(Duration::from_secs(5)).await.unwrap();
    assert!(taken.epoch > first.epoch);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "not before A's lease expired"
    );
});

both!(a_resigned_lease_is_taken_at_once, |db| {
    // A long lease: only the resignation lets B in within the test's wait.
    let long = LeaseConfig {
        ttl: Duration::from_secs(60),
        renew_every: Duration::from_millis(200),
        take_over_at_start: false,
    };
    let bus = EventBus::default();
    let (mut a, _ia) = Node::start(db, "a", long, &bus);
    a.leadership.wait_leader(Duration::from_secs(5)).await.unwrap();
    let (b, _ib) = Node::start(db, "b", long, &bus);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!b.leadership.is_leader());
    a.stop().await;
    assert!(!a.leadership.is_leader());
    b.leadership
        .wait_leader(Duration::from_secs(3))
        .await
        .expect("B leads within a renewal of A resigning");
});

both!(of_two_farms_on_one_database_only_the_leader_plans, |db| {
    testing::farm(db, Utc::now(), 2, 1000, 3).await.unwrap();
    let cfg = FarmConfig {
        replan_debounce_ms: 20,
        solve_seconds: 0.2,
        ..FarmConfig::default()
    };
    let lease = LeaseConfig {
        ttl: Duration::from_secs(30),
        renew_every: Duration::from_millis(200),
        take_over_at_start: false,
    };
    let start = |name: &str| {
        Farm::start_clustered(
            db.clone(),
            EventBus::default(),
            cfg.clone(),
            ClusterConfig {
                replica: name.into(),
                lease,
            },
        )
    };
    let a = start("a");
    a.leadership().wait_leader(Duration::from_secs(5)).await.unwrap();
    let b = start("b");
    a.replan_now(0.2).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!b.leadership().is_leader());
    assert_eq!(b.plan_revision(), 0, "a follower never plans");
    assert!(matches!(
        b.replan_now(0.2).await,
        Err(gantry_actors::FarmError::NotLeader)
    ));
    let plans = count_rows(db, "plans").await.unwrap();
    assert!(plans >= 1);
    // The leader stops (resigning): the follower leads and plans.
    a.stop().await;
    b.leadership().wait_leader(Duration::from_secs(3)).await.unwrap();
    b.replan_now(0.2).await.unwrap();
    assert!(count_rows(db, "plans").await.unwrap() > plans);
    b.stop().await;
});
