//! In-process delivery of committed events: the outbox relay reads the `events` table (the
//! transactional outbox every state change appends to, `store::events`) and publishes each row
//! once on the [`EventBus`]. GraphQL subscriptions and the scheduler's re-plan trigger listen
//! there; nobody publishes a change by hand, so a subscriber sees exactly what was committed —
//! by this process, by a CLI run or by another server on the same database.
//!
//! Ordering: ids are handed out when a transaction inserts its event, so on PostgreSQL a
//! transaction that took a smaller id may commit after a larger one became visible. The relay
//! remembers the ids it saw skipped and re-reads them on every round for [`GAP_WAIT`]; an id
//! that appears late is delivered then (out of id order), one that never appears was rolled
//! back. Publishing never blocks; a subscriber that falls more than the bus capacity behind
//! skips events (`RecvError::Lagged`) and should re-read the state it shows.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gantry_engine::domain::events::Event;
use gantry_engine::store::events::{self as outbox, StoredEvent};
use gantry_engine::store::{Db, StoreResult};
use tokio::sync::broadcast;

/// How long a skipped id is re-read before it is taken as rolled back.
pub const GAP_WAIT: Duration = Duration::from_secs(10);

/// Most rows read per round.
const BATCH: i64 = 500;

/// Most skipped ids remembered at once (a larger jump is not tracked id by id).
const MAX_GAPS: usize = 10_000;

/// One committed event as subscribers receive it.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The outbox id (monotonic per database, gaps possible).
    pub id: i64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// A cloneable handle to the broadcast channel of [`Committed`] events.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Committed>>,
    /// Bumped when subscribers must re-read the state they show (the PostgreSQL listener that
    /// wakes the relay reconnected: changes may have been delivered late).
    resync: Arc<tokio::sync::watch::Sender<u64>>,
}

impl EventBus {
    /// A bus keeping up to `capacity` undelivered events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus {
            tx,
            resync: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// Tells every subscriber to re-read the state it shows.
    pub fn resync(&self) {
        self.resync.send_modify(|n| *n += 1);
    }

    /// Re-read requests ([`EventBus::resync`]): changes after the receiver was made.
    pub fn resyncs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.resync.subscribe()
    }

    /// Sends an event to every current subscriber (none is fine). Only the relay calls this.
    pub fn publish(&self, event: Committed) {
        let _ = self.tx.send(Arc::new(event));
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.tx.subscribe()
    }

    /// How many subscribers are listening.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(1024)
    }
}

/// What the relay knows between rounds: the highest id delivered and the ids skipped below it
/// that may still commit (with the time they stop being waited for).
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    pub last: i64,
    pub gaps: BTreeMap<i64, Instant>,
}

impl Cursor {
    /// A cursor that delivers what is committed after `last`.
    pub fn from(last: i64) -> Self {
        Cursor {
            last,
            gaps: BTreeMap::new(),
        }
    }

    /// Takes the rows read after `self.last` (ascending) and the rows found among the gaps, and
    /// returns what to deliver now, in that order. Pure: the caller reads, this decides.
    pub fn advance(
        &mut self,
        now: Instant,
        fresh: Vec<StoredEvent>,
        late: Vec<StoredEvent>,
    ) -> Vec<StoredEvent> {
        let mut out = Vec::with_capacity(fresh.len() + late.len());
        for e in late {
            if self.gaps.remove(&e.id).is_some() {
                out.push(e);
            }
        }
        for e in fresh {
            if e.id <= self.last {
                continue;
            }
            let mut missing = self.last + 1;
            while missing < e.id && self.gaps.len() < MAX_GAPS {
                self.gaps.insert(missing, now + GAP_WAIT);
                missing += 1;
            }
            self.last = e.id;
            out.push(e);
        }
        self.gaps.retain(|_, until| *until > now);
        out
    }

    /// The skipped ids to re-read.
    pub fn waiting(&self) -> Vec<i64> {
        self.gaps.keys().copied().collect()
    }

    /// The settled mark: every id up to it was delivered or given up (a durable reader stores
    /// this, so the ids still awaited are read again after a restart).
    pub fn settled(&self) -> i64 {
        self.gaps.keys().next().map_or(self.last, |g| g - 1)
    }
}

/// A durable reader's next round, read but not yet applied: the reader handles `events`, stores
/// `next.settled()` in the same step, and only then takes `next` as its cursor.
#[derive(Debug, Clone)]
pub struct Round {
    pub next: Cursor,
    pub events: Vec<StoredEvent>,
}

/// Reads the events after `cursor` (at most `batch`) and the ids it awaits; `None` when nothing
/// changed (no event, no gap given up).
pub async fn read_round(db: &Db, cursor: &Cursor, batch: i64) -> StoreResult<Option<Round>> {
    let (late, fresh) = {
        let mut c = db.pool().acquire().await?;
        (
            outbox::by_ids(&mut c, &cursor.waiting()).await?,
            outbox::after(&mut c, cursor.last, batch).await?,
        )
    };
    let mut next = cursor.clone();
    let events = next.advance(Instant::now(), fresh, late);
    if events.is_empty() && next.gaps.len() == cursor.gaps.len() && next.last == cursor.last {
        return Ok(None);
    }
    Ok(Some(Round { next, events }))
}

/// One round: reads what was committed since the cursor (and the skipped ids), moves the
/// cursor and publishes. Returns how many events were published.
pub async fn relay_once(db: &Db, bus: &EventBus, cursor: &mut Cursor) -> StoreResult<usize> {
    let mut conn = db.pool().acquire().await?;
    let late = outbox::by_ids(&mut conn, &cursor.waiting()).await?;
    let fresh = outbox::after(&mut conn, cursor.last, BATCH).await?;
    drop(conn);
    let out = cursor.advance(Instant::now(), fresh, late);
    let n = out.len();
    for e in out {
        match e.event {
            Ok(event) => bus.publish(Committed {
                id: e.id,
                at: e.occurred_at,
                event,
            }),
            Err(why) => {
                tracing::warn!(id = e.id, r#type = %e.type_name, %why, "event not understood by this build; not delivered")
            }
        }
    }
    Ok(n)
}

/// How often the relay reads the outbox (sooner while a round comes back full).
pub const RELAY_POLL: Duration = Duration::from_millis(25);

/// Starts the relay task on the current tokio runtime: it delivers every event that occurred
/// from now on (also those committed by other processes on the same database), polling every
/// `poll`. Stops when the returned handle is dropped.
pub fn spawn_relay(db: Db, bus: EventBus, poll: Duration) -> RelayHandle {
    spawn_relay_woken(db, bus, poll, None)
}

/// [`spawn_relay`] that also reads at once when `wake` is notified (PostgreSQL: a `NOTIFY` sent
/// by the committing transaction, on any replica); `poll` is then only the fallback.
pub fn spawn_relay_woken(
    db: Db,
    bus: EventBus,
    poll: Duration,
    wake: Option<Arc<tokio::sync::Notify>>,
) -> RelayHandle {
    let since = gantry_engine::store::now();
    let task = tokio::spawn(async move {
        let mut cursor = loop {
            let start = async {
                let mut conn = db.pool().acquire().await?;
                outbox::last_id_before(&mut conn, since).await
            };
            match start.await {
                Ok(last) => break Cursor::from(last),
                Err(e) => tracing::warn!(error = %e, "event relay: cannot read the outbox; retrying"),
            }
            tokio::time::sleep(poll.max(Duration::from_millis(100))).await;
        };
        loop {
            match relay_once(&db, &bus, &mut cursor).await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event relay: cannot read the outbox; retrying"),
            }
            match &wake {
                Some(w) => {
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = w.notified() => {}
                    }
                }
                None => tokio::time::sleep(poll).await,
            }
        }
    });
    RelayHandle(task)
}

/// Stops the relay when dropped.
#[derive(Debug)]
pub struct RelayHandle(tokio::task::JoinHandle<()>);

impl Drop for RelayHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> StoredEvent {
        let event = Event::Plan(gantry_engine::domain::events::PlanEvent {
            plan_id: id,
            scheduled: id,
            unscheduled: 0,
            held: 0,
            objective: 0.0,
            lower_bound: 0.0,
            gap: 0.0,
        });
        StoredEvent {
            id,
            type_name: event.type_name().to_string(),
            aggregate_type: "plan".into(),
            aggregate_id: 0,
            occurred_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default(),
            version: 1,
            payload: event.payload_json().unwrap_or_default(),
            event: Ok(event),
        }
    }

    fn ids(v: &[StoredEvent]) -> Vec<i64> {
        v.iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_skipped_id_is_delivered_when_it_commits_late_and_once() {
        let t = Instant::now();
        let mut c = Cursor::from(10);
        assert_eq!(ids(&c.advance(t, vec![row(11), row(13)], vec![])), vec![11, 13]);
        assert_eq!(c.waiting(), vec![12]);
        // 12 commits after 13: delivered on the next round, then forgotten.
        assert_eq!(ids(&c.advance(t, vec![], vec![row(12)])), vec![12]);
        assert!(c.waiting().is_empty());
        assert!(c.advance(t, vec![row(12), row(13)], vec![row(12)]).is_empty());
    }

    #[test]
    fn a_gap_that_never_commits_is_given_up_after_the_wait() {
        let t = Instant::now();
        let mut c = Cursor::from(0);
        c.advance(t, vec![row(3)], vec![]);
        assert_eq!(c.waiting(), vec![1, 2]);
        c.advance(t + GAP_WAIT / 2, vec![], vec![]);
        assert_eq!(c.waiting(), vec![1, 2]);
        c.advance(t + GAP_WAIT + Duration::from_millis(1), vec![], vec![]);
        assert!(c.waiting().is_empty());
        assert_eq!(c.last, 3);
    }
}
