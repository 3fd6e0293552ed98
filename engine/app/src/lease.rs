//! The scheduler leader's lease (`store::cluster`): one replica plans, hands out jobs and marks
//! printers offline; the others serve requests and agents. [`spawn_keeper`] runs a replica's
//! keeper: it takes the lease when it is free, renews it every `renew_every`, publishes who
//! this replica is ([`Leadership`]) and resigns on a graceful stop ([`KeeperHandle::resign`]),
//! waking the followers at once (`NOTIFY`).
//!
//! Every write the leader makes checks the lease in its own transaction with [`fence`]; a
//! refused write ([`StoreError::Fenced`]) means another replica took over, and the caller steps
//! down ([`Leadership::fenced`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gantry_engine::store::cluster as store;
use gantry_engine::store::{Db, StoreError, StoreResult, Tx};
use tokio::sync::{Notify, watch};

/// The lease as this replica holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// This replica's id.
    pub holder: String,
    /// The epoch it took the lease at (goes up with every takeover).
    pub epoch: i64,
    /// When it took the lease (agents get a full heartbeat window from then to show up).
    pub acquired_at: DateTime<Utc>,
}

/// The fencing check for a leader's write in `tx`: refused ([`StoreError::Fenced`]) unless
/// `lease` is still the lease (then no takeover commits before `tx` does).
pub async fn fence(tx: &mut Tx, lease: &Lease) -> StoreResult<()> {
    store::fence(tx, &lease.holder, lease.epoch).await
}

/// [`fence`] when a lease is given (a write made without one — a CLI run, a server without a
/// live farm — is not a leader's).
pub async fn fence_opt(tx: &mut Tx, lease: Option<&Lease>) -> StoreResult<()> {
    match lease {
        Some(l) => fence(tx, l).await,
        None => Ok(()),
    }
}

/// Lease timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseConfig {
    /// How long a lease lasts without renewal (a crashed leader is replaced after this).
    pub ttl: Duration,
    /// How often the holder renews it and followers try to take it.
    pub renew_every: Duration,
    /// Take the lease at start even if another holder's has not expired (SQLite, where the
    /// server holds the database file's lock: no other server runs).
    pub take_over_at_start: bool,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig {
            ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(2),
            take_over_at_start: false,
        }
    }
}

/// Whether this replica leads, as its keeper knows it (cheap to clone).
#[derive(Clone, Debug)]
pub struct Leadership {
    replica: Arc<str>,
    tx: Arc<watch::Sender<Option<Lease>>>,
    wake: Arc<Notify>,
    keeper: Arc<std::sync::Mutex<KeeperRounds>>,
}

/// When the keeper started and last completed a round (for readiness).
#[derive(Debug, Clone, Copy, Default)]
struct KeeperRounds {
    started: Option<Instant>,
    last_ok: Option<Instant>,
    ttl: Duration,
}

/// The keeper as readiness sees it (`/healthz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseHealth {
    /// No keeper runs (a process without a live farm).
    NoKeeper,
    /// The keeper completed a round within the lease's time to live (or started less than that
    /// ago): this replica takes part in the lease, as leader or follower.
    Current,
    /// No round completed for longer than the lease's time to live: this replica can neither
    /// lead nor take over (the lease table does not answer it).
    Stale,
}

/// [`LeaseHealth`] of a keeper started at `started` whose last completed round was `last_ok`.
pub fn lease_health(
    started: Option<Instant>,
    last_ok: Option<Instant>,
    ttl: Duration,
    now: Instant,
) -> LeaseHealth {
    match started {
        None => LeaseHealth::NoKeeper,
        Some(s) if now.saturating_duration_since(last_ok.unwrap_or(s)) > ttl => LeaseHealth::Stale,
        Some(_) => LeaseHealth::Current,
    }
}

impl Leadership {
    /// A replica that is not leading (no keeper yet).
    pub fn new(replica: &str) -> Leadership {
        Leadership {
            replica: replica.into(),
            tx: Arc::new(watch::channel(None).0),
            wake: Arc::new(Notify::new()),
            keeper: Arc::new(std::sync::Mutex::new(KeeperRounds::default())),
        }
    }

    /// Whether this replica's keeper takes part in the lease (readiness).
    pub fn health(&self) -> LeaseHealth {
        let k = self.keeper.lock().map(|k| *k).unwrap_or_default();
        lease_health(k.started, k.last_ok, k.ttl, Instant::now())
    }

    fn keeper_round(&self, started: bool, ok: bool, ttl: Duration) {
        if let Ok(mut k) = self.keeper.lock() {
            let now = Instant::now();
            if started {
                k.started = Some(now);
                k.ttl = ttl;
            }
            if ok {
                k.last_ok = Some(now);
            }
        }
    }

    /// This replica's id.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// The lease while this replica holds it.
    pub fn current(&self) -> Option<Lease> {
        self.tx.borrow().clone()
    }

    pub fn is_leader(&self) -> bool {
        self.tx.borrow().is_some()
    }

    /// Changes of [`Leadership::current`].
    pub fn watch(&self) -> watch::Receiver<Option<Lease>> {
        self.tx.subscribe()
    }

    /// Waits at most `limit` for this replica to lead.
    pub async fn wait_leader(&self, limit: Duration) -> Option<Lease> {
        let mut rx = self.watch();
        let wait = rx.wait_for(Option::is_some);
        match tokio::time::timeout(limit, wait).await {
            Ok(Ok(l)) => l.clone(),
            _ => None,
        }
    }

    /// A write under `lease` was refused by fencing: this replica no longer leads under it.
    pub fn fenced(&self, lease: &Lease) {
        let stepped = self.tx.send_if_modified(|cur| {
            if cur.as_ref() == Some(lease) {
                *cur = None;
                true
            } else {
                false
            }
        });
        if stepped {
            tracing::warn!(replica = %self.replica, epoch = lease.epoch, "a write was fenced: another replica leads; stepping down");
        }
        self.wake.notify_one();
    }

    /// The lease may be free (another replica resigned): try to take it now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Steps down if `e` is a fencing refusal of `lease`; returns whether it was.
    pub fn check(&self, lease: Option<&Lease>, e: &StoreError) -> bool {
        match (lease, e) {
            (Some(l), StoreError::Fenced { .. }) => {
                self.fenced(l);
                true
            }
            _ => false,
        }
    }

    fn set(&self, lease: Option<Lease>) {
        self.tx.send_if_modified(|cur| {
            if *cur == lease {
                false
            } else {
                *cur = lease;
                true
            }
        });
    }
}

/// One round of the keeper: renews the held lease or tries to take a free one, and records the
/// replica as alive. Returns the lease held after the round.
pub async fn keep_once(
    db: &Db,
    me: &Leadership,
    started: DateTime<Utc>,
    cfg: &LeaseConfig,
    force: bool,
) -> StoreResult<Option<Lease>> {
    let now = gantry_engine::store::now();
    let ttl = chrono::Duration::from_std(cfg.ttl).unwrap_or(chrono::Duration::seconds(10));
    let mut c = db.pool().acquire().await?;
    store::replica_seen(&mut c, me.replica(), started, now).await?;
    let held = match me.current() {
        Some(l) => {
            if store::renew(&mut c, &l.holder, l.epoch, now, ttl).await? {
                Some(l)
            } else {
                tracing::warn!(replica = %me.replica(), epoch = l.epoch, "the scheduler lease was taken over; stepping down");
                None
            }
        }
        None => None,
    };
    let held = match held {
        Some(l) => Some(l),
        None => store::acquire(&mut c, me.replica(), now, ttl, force)
            .await?
            .map(|row| {
                tracing::info!(replica = %me.replica(), epoch = row.epoch, "this replica now leads the scheduler");
                Lease {
                    holder: row.holder,
                    epoch: row.epoch,
                    acquired_at: row.acquired_at,
                }
            }),
    };
    me.set(held.clone());
    Ok(held)
}

/// Runs the keeper of `me` on the current runtime until [`KeeperHandle::resign`] or drop.
pub fn spawn_keeper(db: Db, me: Leadership, cfg: LeaseConfig) -> KeeperHandle {
    let started = gantry_engine::store::now();
    let (db2, me2) = (db.clone(), me.clone());
    me.keeper_round(true, false, cfg.ttl);
    let task = tokio::spawn(async move {
        let mut force = cfg.take_over_at_start;
        let mut last_ok = tokio::time::Instant::now();
        loop {
            match keep_once(&db2, &me2, started, &cfg, force).await {
                Ok(_) => {
                    force = false;
                    last_ok = tokio::time::Instant::now();
                    me2.keeper_round(false, true, cfg.ttl);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lease keeper: the database did not answer");
                    // A leader that cannot renew steps down before its lease can expire.
                    if me2.is_leader() && last_ok.elapsed() + cfg.renew_every * 2 >= cfg.ttl {
                        tracing::warn!(replica = %me2.replica(), "cannot renew the scheduler lease; stepping down");
                        me2.set(None);
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(cfg.renew_every) => {}
                _ = me2.wake.notified() => {}
            }
        }
    });
    KeeperHandle { task, db, me }
}

/// Stops the keeper (on drop, without resigning: the lease then expires).
#[derive(Debug)]
pub struct KeeperHandle {
    task: tokio::task::JoinHandle<()>,
    db: Db,
    me: Leadership,
}

impl KeeperHandle {
    /// Stops the keeper, resigns the lease (if held) and tells the followers, and records this
    /// replica as gone (its agents' connections with it).
    pub async fn resign(self) {
        self.task.abort();
        let lease = self.me.current();
        self.me.set(None);
        let now = gantry_engine::store::now();
        let res = async {
            let mut c = self.db.pool().acquire().await?;
            if let Some(l) = &lease
                && store::resign(&mut c, &l.holder, l.epoch).await?
            {
                tracing::info!(replica = %self.me.replica(), epoch = l.epoch, "resigned the scheduler lease");
            }
            store::replica_gone(&mut c, self.me.replica(), now).await?;
            drop(c);
            store::notify(&self.db, store::LEASE_CHANNEL, "resigned").await
        }
        .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "could not resign the scheduler lease; it expires on its own");
        }
    }
}

impl Drop for KeeperHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A replica id: host name, process id and a random suffix (unique per process start).
pub fn replica_id(host: &str, random: u32) -> String {
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(63)
        .collect();
    let host = if host.is_empty() { "gantry".into() } else { host };
    format!("{host}-{}-{random:08x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_follows_the_keepers_rounds() {
        let t = Instant::now();
        let ttl = Duration::from_secs(10);
        let s = Duration::from_secs;
        // (started, last completed round, now) → health
        let cases = [
            (None, None, t, LeaseHealth::NoKeeper),
            (Some(t), None, t + s(5), LeaseHealth::Current),
            (Some(t), None, t + s(11), LeaseHealth::Stale),
            (Some(t), Some(t + s(8)), t + s(17), LeaseHealth::Current),
            (Some(t), Some(t + s(8)), t + s(19), LeaseHealth::Stale),
        ];
        for (started, last_ok, now, want) in cases {
            assert_eq!(
                lease_health(started, last_ok, ttl, now),
                want,
                "{started:?} {last_ok:?} {now:?}"
            );
        }
    }
}
