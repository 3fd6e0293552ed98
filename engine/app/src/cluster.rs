//! Several replicas on one database: the settings they must agree on, which replica holds
//! which printer's agent (the gateway), missed heartbeats judged from the database, and the
//! messages between replicas (PostgreSQL `NOTIFY` on one channel; one process on SQLite).
//!
//! [`Node`] is one replica's part: its [`Leadership`] (the lease keeper), the [`Mesh`] it sends
//! and receives messages on, and the listener that wakes the event relay, the lease keeper and
//! the mesh inbox from `NOTIFY`s.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::error::ErrorKind;
use gantry_engine::store::cluster::{self as store, Gateway, Heard, Listener};
use gantry_engine::store::{Db, StoreResult};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

use crate::events::EventBus;
use crate::lease::{KeeperHandle, Leadership, Lease, LeaseConfig, spawn_keeper};
use crate::{AppError, AppResult};

// ---------------------------------------------------------------------------------------------
// Settings every replica must agree on

/// A setting replicas must agree on: its name, this replica's value, and what to tell an
/// operator when they differ (the variable to set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    pub name: &'static str,
    pub value: String,
    pub fix: &'static str,
}

/// Checks this replica's `wanted` settings against those recorded by the replicas running now
/// (seen within `alive`, and seen again after `settle` — a killed replica's row stays fresh for
/// a while, but it no longer renews it): a difference refuses the start (`CLUSTER_MISMATCH`,
/// naming the setting and what to set), and so does a setting that cannot be shared
/// (`unshareable`, e.g. no JWT secret: every process would sign with its own random key). When
/// no other replica runs, this replica's values are recorded.
pub async fn join(
    db: &Db,
    me: &str,
    wanted: &[Agreed],
    alive: Duration,
    settle: Duration,
    unshareable: &dyn Fn(&Agreed) -> bool,
) -> AppResult<()> {
    let now = gantry_engine::store::now();
    let since = now - chrono::Duration::from_std(alive).unwrap_or(chrono::Duration::seconds(30));
    let mut c = crate::conn(db).await?;
    let mut seen = store::live_replicas(&mut c, since).await?;
    seen.remove(me);
    drop(c);
    let mut others = Vec::new();
    if !seen.is_empty() {
        tokio::time::sleep(settle).await;
        let mut c = crate::conn(db).await?;
        let again = store::live_replicas(&mut c, since).await?;
        others = again
            .into_iter()
            .filter(|(r, at)| seen.get(r).is_some_and(|before| at > before))
            .map(|(r, _)| r)
            .collect();
    }
    let mut tx = db.begin().await?;
    let recorded = store::settings(&mut tx).await?;
    if !others.is_empty() {
        for w in wanted {
            let differs = recorded.get(w.name).filter(|(value, _)| *value != w.value);
            if differs.is_some() || unshareable(w) {
                let by = differs.map(|(_, by)| by.as_str()).unwrap_or("them");
                return Err(AppError::refused(
                    ErrorKind::Conflict,
                    "CLUSTER_MISMATCH",
                    format!(
                        "this replica cannot join the running replicas ({}): its {} ({}) is not the one recorded by {by}; {}",
                        others.join(", "),
                        w.name,
                        w.value,
                        w.fix
                    ),
                ));
            }
        }
    }
    for w in wanted {
        if recorded.get(w.name).map(|(v, _)| v) != Some(&w.value) {
            store::set_setting(&mut tx, w.name, &w.value, me, now).await?;
        }
    }
    crate::commit(tx).await
}

// ---------------------------------------------------------------------------------------------
// Gateways and heartbeats

/// The agent of `printer` connected to this replica (connection `conn_id`).
pub async fn attach(
    db: &Db,
    printer: PrinterId,
    replica: &str,
    conn_id: u64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut c = db.pool().acquire().await?;
    store::attach(
        &mut c,
        printer,
        replica,
        i64::try_from(conn_id).unwrap_or(i64::MAX),
        now,
    )
    .await
}

/// The connection `conn_id` of `printer` on this replica ended; the agent was last heard at
/// `last_seen`.
pub async fn detach(
    db: &Db,
    printer: PrinterId,
    replica: &str,
    conn_id: u64,
    last_seen: DateTime<Utc>,
) -> StoreResult<()> {
    let mut c = db.pool().acquire().await?;
    store::detach(
        &mut c,
        printer,
        replica,
        i64::try_from(conn_id).unwrap_or(i64::MAX),
        last_seen,
    )
    .await
}

/// Where `printer`'s agent is connected, if it ever was.
pub async fn gateway(db: &Db, printer: PrinterId) -> StoreResult<Option<Gateway>> {
    let mut c = db.pool().acquire().await?;
    store::gateway(&mut c, printer).await
}

/// The replica holding `printer`'s agent now (connected, and its replica alive within `alive`).
pub fn holder(gw: Option<&Gateway>, now: DateTime<Utc>, alive: chrono::Duration) -> Option<&str> {
    let gw = gw?;
    (gw.connected && gw.replica_seen_at.is_some_and(|s| s >= now - alive)).then_some(gw.replica.as_str())
}

/// When the agent of a printer was last known alive, from the database: now while a live
/// replica holds its connection, else when its connection ended (or its replica was last seen),
/// and never before `floor` (this replica's own knowledge: the last message it received, or when
/// it started leading).
pub fn last_alive(
    gw: Option<&Gateway>,
    now: DateTime<Utc>,
    alive: chrono::Duration,
    floor: DateTime<Utc>,
) -> DateTime<Utc> {
    let db_seen = match gw {
        Some(g) if g.connected => match g.replica_seen_at {
            Some(r) if r >= now - alive => now,
            Some(r) => r.max(g.seen_at),
            None => g.seen_at,
        },
        Some(g) => g.seen_at,
        None => DateTime::<Utc>::MIN_UTC,
    };
    db_seen.max(floor)
}

/// What the leader found about a printer's heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Its agent was alive at this time (e.g. connected to another replica: now).
    Alive(DateTime<Utc>),
    /// It was silent for longer than the window and is now marked offline.
    Offline(PrinterStatus),
}

/// Missed heartbeats, judged from the database: a printer is marked offline (in the leader's
/// fenced transaction) when its agent was last alive ([`last_alive`]) more than `window` ago.
/// A printer no agent ever spoke for (no gateway row and not `agent_seen`) is operated by hand
/// and never marked.
pub async fn judge_heartbeat(
    db: &Db,
    now: DateTime<Utc>,
    printer: PrinterId,
    lease: &Lease,
    window: chrono::Duration,
    floor: DateTime<Utc>,
    agent_seen: bool,
) -> StoreResult<Judged> {
    let gw = gateway(db, printer).await?;
    if gw.is_none() && !agent_seen {
        return Ok(Judged::Alive(now));
    }
    let seen = last_alive(gw.as_ref(), now, window, floor);
    if seen >= now - window {
        return Ok(Judged::Alive(seen));
    }
    let mut tx = db.begin().await?;
    crate::lease::fence(&mut tx, lease).await?;
    let gw = store::gateway(&mut tx, printer).await?;
    let seen = last_alive(gw.as_ref(), now, window, floor);
    if seen >= now - window {
        return Ok(Judged::Alive(seen));
    }
    let stored = gantry_engine::store::equipment::get_printer(&mut tx, printer)
        .await?
        .status;
    if matches!(stored, PrinterStatus::Offline | PrinterStatus::Maintenance) {
        return Ok(Judged::Offline(stored));
    }
    let p = gantry_engine::store::live::mark_offline(&mut tx, now, printer).await?;
    tx.commit().await?;
    Ok(Judged::Offline(p.status))
}

/// The jobs handed to a printer and not started (a new leader reads them from SQL).
pub async fn handed_out(db: &Db) -> StoreResult<std::collections::BTreeMap<JobId, PrinterId>> {
    let mut c = db.pool().acquire().await?;
    gantry_engine::store::live::handovers(&mut c).await
}

/// The replica holding `printer`'s agent now, if another one than `me` (see [`holder`]).
pub async fn held_elsewhere(
    db: &Db,
    printer: PrinterId,
    me: &str,
    now: DateTime<Utc>,
    alive: chrono::Duration,
) -> StoreResult<Option<String>> {
    let gw = gateway(db, printer).await?;
    Ok(holder(gw.as_ref(), now, alive)
        .filter(|r| *r != me)
        .map(str::to_string))
}

// ---------------------------------------------------------------------------------------------
// Messages between replicas

/// Who a mesh message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// Whichever replica leads now.
    Leader,
    Replica(String),
}

const LEADER: &str = "@leader";

/// A mesh message as sent: addressee, sender, body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub to: String,
    pub from: String,
    pub body: serde_json::Value,
}

/// Sends and receives messages between replicas: on PostgreSQL a `NOTIFY` on one channel every
/// replica listens to (each keeps what is addressed to it); a message for this replica (or for
/// the leader, while it leads) is delivered without the database.
#[derive(Clone, Debug)]
pub struct Mesh {
    db: Db,
    me: Leadership,
    inbox: mpsc::UnboundedSender<Envelope>,
}

impl Mesh {
    /// This replica's id.
    pub fn replica(&self) -> &str {
        self.me.replica()
    }

    /// Sends `body` to `to` (best effort: lost when the addressee is gone).
    pub async fn send(&self, to: To, body: serde_json::Value) -> StoreResult<()> {
        let env = Envelope {
            to: match &to {
                To::Leader => LEADER.to_string(),
                To::Replica(r) => r.clone(),
            },
            from: self.me.replica().to_string(),
            body,
        };
        let local = match &to {
            To::Leader => self.me.is_leader(),
            To::Replica(r) => r == self.me.replica(),
        };
        if local || self.db.backend() != gantry_engine::store::Backend::Postgres {
            if local {
                let _ = self.inbox.send(env);
            }
            return Ok(());
        }
        let payload = serde_json::to_string(&env)
            .map_err(|e| gantry_engine::store::StoreError::corrupt("mesh", e.to_string()))?;
        store::notify(&self.db, store::MESH_CHANNEL, &payload).await
    }

    /// Takes a received `NOTIFY` payload: queued when it is for this replica.
    fn received(&self, payload: &str) {
        let Ok(env) = serde_json::from_str::<Envelope>(payload) else {
            tracing::warn!("mesh: a message that is not an envelope was ignored");
            return;
        };
        if env.from == self.me.replica() {
            return;
        }
        let mine = if env.to == LEADER {
            self.me.is_leader()
        } else {
            env.to == self.me.replica()
        };
        if mine {
            let _ = self.inbox.send(env);
        }
    }
}

/// One replica's part of the cluster (see the module documentation).
pub struct Node {
    pub leadership: Leadership,
    pub mesh: Mesh,
    /// Notified when events were committed (anywhere): the event relay reads at once.
    pub events_woken: Arc<Notify>,
    keeper: Option<KeeperHandle>,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Node {
    /// Starts the lease keeper and (PostgreSQL) the listener on the current runtime. Returns the
    /// node and the inbox of mesh messages for this replica.
    pub fn start(
        db: &Db,
        replica: &str,
        cfg: LeaseConfig,
        bus: &EventBus,
    ) -> (Node, mpsc::UnboundedReceiver<Envelope>) {
        let leadership = Leadership::new(replica);
        let (tx, rx) = mpsc::unbounded_channel();
        let mesh = Mesh {
            db: db.clone(),
            me: leadership.clone(),
            inbox: tx,
        };
        let events_woken = Arc::new(Notify::new());
        let listener = (db.backend() == gantry_engine::store::Backend::Postgres).then(|| {
            tokio::spawn(listen(
                db.clone(),
                leadership.clone(),
                mesh.clone(),
                events_woken.clone(),
                bus.clone(),
            ))
        });
        let keeper = Some(spawn_keeper(db.clone(), leadership.clone(), cfg));
        (
            Node {
                leadership,
                mesh,
                events_woken,
                keeper,
                listener,
            },
            rx,
        )
    }

    /// Graceful stop: resigns the lease (followers take it at once) and records this replica
    /// as gone.
    pub async fn stop(&mut self) {
        if let Some(k) = self.keeper.take() {
            k.resign().await;
        }
        if let Some(l) = self.listener.take() {
            l.abort();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            l.abort();
        }
    }
}

/// The listener: wakes the relay on committed events, the keeper on a resigned lease, queues
/// mesh messages; after a reconnect, subscribers are told to re-read and the relay reads.
async fn listen(db: Db, me: Leadership, mesh: Mesh, events: Arc<Notify>, bus: EventBus) {
    let channels = [store::EVENTS_CHANNEL, store::LEASE_CHANNEL, store::MESH_CHANNEL];
    let mut first = true;
    loop {
        let mut l = match Listener::connect(&db, &channels).await {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cluster listener: cannot LISTEN; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !first {
            reconnected(&bus, &events, &me);
        }
        first = false;
        loop {
            match l.recv().await {
                Ok(Heard::Notification { channel, payload }) => match channel.as_str() {
                    store::EVENTS_CHANNEL => events.notify_one(),
                    store::LEASE_CHANNEL => me.wake(),
                    store::MESH_CHANNEL => mesh.received(&payload),
                    _ => {}
                },
                Ok(Heard::Reconnected) => reconnected(&bus, &events, &me),
                Err(e) => {
                    tracing::warn!(error = %e, "cluster listener: connection lost; reconnecting");
                    break;
                }
            }
        }
    }
}

fn reconnected(bus: &EventBus, events: &Notify, me: &Leadership) {
    tracing::warn!("cluster listener reconnected: subscribers re-read, the relay catches up");
    bus.resync();
    events.notify_one();
    me.wake();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
    }

    fn gw(connected: bool, seen: i64, replica_seen: Option<i64>) -> Gateway {
        Gateway {
            replica: "b".into(),
            conn_id: 1,
            connected,
            seen_at: at(seen),
            replica_seen_at: replica_seen.map(at),
        }
    }

    #[test]
    fn an_agent_is_alive_while_a_live_replica_holds_it_and_silent_after() {
        let w = chrono::Duration::seconds(30);
        let floor = at(0);
        let now = at(100);
        // (gateway, last alive)
        let cases = [
            (Some(gw(true, 10, Some(99))), at(100)),
            (Some(gw(true, 10, Some(50))), at(50)),
            (Some(gw(true, 10, None)), at(10)),
            (Some(gw(false, 80, Some(99))), at(80)),
            (None, at(0)),
        ];
        for (g, want) in cases {
            assert_eq!(last_alive(g.as_ref(), now, w, floor), want, "{g:?}");
        }
        // The replica's own knowledge (a later message, or when it started leading) counts.
        assert_eq!(last_alive(Some(&gw(false, 5, None)), now, w, at(90)), at(90));
        assert_eq!(holder(Some(&gw(true, 10, Some(99))), now, w), Some("b"));
        assert_eq!(holder(Some(&gw(true, 10, Some(50))), now, w), None);
        assert_eq!(holder(Some(&gw(false, 10, Some(99))), now, w), None);
    }
}
