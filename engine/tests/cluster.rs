//! Several replicas on one database (`store::cluster`), on SQLite and PostgreSQL: the scheduler
//! lease is taken only when free, a takeover bumps the epoch, renewals and writes of a replaced
//! leader are refused (fencing), a resignation frees the lease at once, and agent gateways
//! record where a printer's agent is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::store::cluster::{self, SCHEDULER};
use gantry_engine::store::live::testing;
use gantry_engine::store::{Db, StoreError, equipment, live};

const TTL: i64 = 10;

fn ttl() -> Duration {
    Duration::seconds(TTL)
}

async fn lease(db: &Db) -> cluster::LeaseRow {
    let mut c = db.pool().acquire().await.unwrap();
    cluster::lease(&mut c).await.unwrap()
}

db_test!(
    a_held_lease_is_taken_over_only_after_it_expires_with_a_new_epoch,
    |db| {
        let mut c = db.pool().acquire().await.unwrap();
        let a = cluster::acquire(&mut c, "a", t0(), ttl(), false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.holder.as_str(), a.epoch), ("a", 1));
        // B cannot take it while it lasts; A renews it.
        assert!(
            cluster::acquire(&mut c, "b", t0() + Duration::seconds(5), ttl(), false)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            cluster::renew(&mut c, "a", 1, t0() + Duration::seconds(5), ttl())
                .await
                .unwrap()
        );
        assert!(
            cluster::acquire(&mut c, "b", t0() + Duration::seconds(12), ttl(), false)
                .await
                .unwrap()
                .is_none()
        );
        // Unrenewed, it expires; B takes it with the next epoch, and A's renewal is refused.
        let b = cluster::acquire(&mut c, "b", t0() + Duration::seconds(16), ttl(), false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((b.holder.as_str(), b.epoch), ("b", 2));
        assert!(
            !cluster::renew(&mut c, "a", 1, t0() + Duration::seconds(16), ttl())
                .await
                .unwrap()
        );
        assert_eq!(lease(db).await.holder, "b");
        // A forced takeover (SQLite's sole server) bumps the epoch too.
        let f = cluster::acquire(&mut c, "c", t0() + Duration::seconds(17), ttl(), true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((f.holder.as_str(), f.epoch), ("c", 3));
    }
);

db_test!(a_replaced_leaders_writes_are_refused_and_write_nothing, |db| {
    let fx = testing::farm(db, t0(), 1, 1000, 1).await.unwrap();
    let printer = fx.printers[0];
    let mut c = db.pool().acquire().await.unwrap();
    cluster::acquire(&mut c, "a", t0(), ttl(), false)
        .await
        .unwrap()
        .unwrap();
    // While A leads, its fenced write commits.
    let mut tx = db.begin().await.unwrap();
    cluster::fence(&mut tx, "a", 1).await.unwrap();
    tx.commit().await.unwrap();
    // B takes over after A's lease expired; A's next write (an offline mark) is refused.
    cluster::acquire(&mut c, "b", t0() + Duration::seconds(TTL + 1), ttl(), false)
        .await
        .unwrap()
        .unwrap();
    drop(c);
    let before = {
        let mut c = db.pool().acquire().await.unwrap();
        equipment::get_printer(&mut c, printer).await.unwrap().status
    };
    let mut tx = db.begin().await.unwrap();
    let refused = async {
        cluster::fence(&mut tx, "a", 1).await?;
        live::mark_offline(&mut tx, t0(), printer).await
    }
    .await;
    match refused {
        Err(StoreError::Fenced { holder, epoch }) => assert_eq!((holder.as_str(), epoch), ("a", 1)),
        other => panic!("a stale leader's write went through: {other:?}"),
    }
    drop(tx);
    let mut c = db.pool().acquire().await.unwrap();
    let after = equipment::get_printer(&mut c, printer).await.unwrap().status;
    assert_eq!(after, before);
    assert_ne!(after, PrinterStatus::Offline);
    // The same holder name with the old epoch is refused too (a restarted process reusing a
    // name does not inherit a lease).
    cluster::acquire(&mut c, "a", t0() + Duration::seconds(3 * TTL), ttl(), false)
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(matches!(
        cluster::fence(&mut tx, "a", 1).await,
        Err(StoreError::Fenced { .. })
    ));
    cluster::fence(&mut tx, "a", 3).await.unwrap();
});

db_test!(a_resigned_lease_is_free_at_once, |db| {
    let mut c = db.pool().acquire().await.unwrap();
    let a = cluster::acquire(&mut c, "a", t0(), ttl(), false)
        .await
        .unwrap()
        .unwrap();
    // Only its holder at its epoch can resign it.
    assert!(!cluster::resign(&mut c, "b", a.epoch).await.unwrap());
    assert!(!cluster::resign(&mut c, "a", a.epoch + 1).await.unwrap());
    assert!(cluster::resign(&mut c, "a", a.epoch).await.unwrap());
    let l = lease(db).await;
    assert_eq!(l.holder, "");
    // Well before A's lease would have expired, B takes it.
    let b = cluster::acquire(&mut c, "b", t0() + Duration::seconds(1), ttl(), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.holder.as_str(), b.epoch), ("b", 2));
    assert_eq!(SCHEDULER, "scheduler");
});

db_test!(
    gateways_record_where_an_agent_is_and_when_it_was_last_heard,
    |db| {
        let fx = testing::farm(db, t0(), 2, 1000, 1).await.unwrap();
        let (p, q) = (fx.printers[0], fx.printers[1]);
        let mut c = db.pool().acquire().await.unwrap();
        assert_eq!(cluster::gateway(&mut c, p).await.unwrap(), None);
        cluster::replica_seen(&mut c, "a", t0(), t0() + Duration::seconds(1))
            .await
            .unwrap();
        cluster::attach(&mut c, p, "a", 7, t0()).await.unwrap();
        cluster::attach(&mut c, q, "a", 8, t0()).await.unwrap();
        let g = cluster::gateway(&mut c, p).await.unwrap().unwrap();
        assert_eq!((g.replica.as_str(), g.conn_id, g.connected), ("a", 7, true));
        assert_eq!(g.replica_seen_at, Some(t0() + Duration::seconds(1)));
        // The agent moved to B; A's late detach of the old connection changes nothing.
        cluster::attach(&mut c, p, "b", 1, t0() + Duration::seconds(2))
            .await
            .unwrap();
        cluster::detach(&mut c, p, "a", 7, t0() + Duration::seconds(3))
            .await
            .unwrap();
        let g = cluster::gateway(&mut c, p).await.unwrap().unwrap();
        assert_eq!(
            (g.replica.as_str(), g.connected, g.replica_seen_at),
            ("b", true, None)
        );
        // B's connection ends: recorded with when the agent was last heard.
        cluster::detach(&mut c, p, "b", 1, t0() + Duration::seconds(4))
            .await
            .unwrap();
        let g = cluster::gateway(&mut c, p).await.unwrap().unwrap();
        assert_eq!((g.connected, g.seen_at), (false, t0() + Duration::seconds(4)));
        // A stops: its connections end with it, and it is no longer alive.
        cluster::replica_gone(&mut c, "a", t0() + Duration::seconds(5))
            .await
            .unwrap();
        let g = cluster::gateway(&mut c, q).await.unwrap().unwrap();
        assert_eq!(
            (g.connected, g.seen_at, g.replica_seen_at),
            (false, t0() + Duration::seconds(5), None)
        );
        assert!(cluster::live_replicas(&mut c, t0()).await.unwrap().is_empty());
    }
);

db_test!(settings_are_recorded_and_replaced, |db| {
    let mut tx = db.begin().await.unwrap();
    cluster::set_setting(&mut tx, "heartbeat", "10", "a", t0())
        .await
        .unwrap();
    cluster::set_setting(&mut tx, "heartbeat", "5", "b", t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let s = cluster::settings(&mut c).await.unwrap();
    assert_eq!(s.get("heartbeat"), Some(&("5".to_string(), "b".to_string())));
});

db_test!(
    a_notification_is_sent_when_the_writing_transaction_commits,
    |db| {
        let Some(mut l) = cluster::Listener::connect(db, &[cluster::EVENTS_CHANNEL, cluster::MESH_CHANNEL])
            .await
            .unwrap()
        else {
            // SQLite: one process serves the database; nothing to listen to.
            assert_eq!(db.backend(), gantry_engine::store::Backend::Sqlite);
            cluster::notify(db, cluster::MESH_CHANNEL, "x").await.unwrap();
            return;
        };
        // Rolled back: nothing is heard. Committed: heard once.
        let mut tx = db.begin().await.unwrap();
        cluster::notify_in(&mut tx, cluster::MESH_CHANNEL, "rolled back")
            .await
            .unwrap();
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        cluster::notify_in(&mut tx, cluster::MESH_CHANNEL, "committed")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let heard = tokio::time::timeout(std::time::Duration::from_secs(10), l.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            heard,
            cluster::Heard::Notification {
                channel: cluster::MESH_CHANNEL.into(),
                payload: "committed".into()
            }
        );
        // An event appended in a transaction wakes the relays when it commits.
        testing::farm(db, t0(), 1, 1000, 1).await.unwrap();
        let heard = tokio::time::timeout(std::time::Duration::from_secs(10), l.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(heard, cluster::Heard::Notification { channel, .. } if channel == cluster::EVENTS_CHANNEL)
        );
    }
);
