//! The analytics sink: a durable reader of the event outbox that copies every committed event
//! to an analytics store (MongoDB, behind the [`AnalyticsSink`] trait the api implements).
//!
//! It follows the outbox like the webhook dispatcher and the finance consumer: its own cursor
//! (row `analytics` of `outbox_consumers`), ids seen skipped re-read for a while
//! ([`crate::events::Cursor`]). A round reads a batch, hands it to the sink and only then moves
//! the stored cursor to the settled mark (below the oldest id still awaited). A sink that is
//! down fails the round: the cursor stays, the reader backs off and reads the same events again
//! later, so it falls behind and catches up and nothing is lost (while the outbox keeps the
//! events: `GANTRY_EVENTS_RETENTION_DAYS`). Writing an event twice must be harmless: the sink
//! keys each document by the outbox id. Nothing else in Gantry waits for the sink.

use std::future::Future;
use std::time::Duration;

use gantry_engine::store::events::{self as outbox, StoredEvent};
use gantry_engine::store::{Db, StoreError, now};

use crate::events::{Cursor, read_round};

/// The reader's name in `outbox_consumers`.
pub const CONSUMER: &str = "analytics";

/// Most events read (and written to the sink) per round.
pub const BATCH: i64 = 1_000;

/// Writes events to the analytics store, idempotently by [`StoredEvent::id`]. An error means
/// the batch may be partly written; it is written again later.
pub trait AnalyticsSink: Send + Sync + 'static {
    fn write_events(&self, events: &[StoredEvent]) -> impl Future<Output = Result<(), String>> + Send;
}

/// Why a round did not finish (the cursor did not move).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("analytics store: {0}")]
    Sink(String),
}

/// The cursor to start from: the stored settled mark (0 for a new database: the whole outbox).
pub async fn start(db: &Db) -> Result<Cursor, StoreError> {
    let mut c = db.pool().acquire().await?;
    Ok(Cursor::from(
        outbox::consumer_cursor(&mut c, CONSUMER).await?.unwrap_or(0),
    ))
}

/// One round: reads the events after the cursor (and the ids awaited), writes them to the sink,
/// then moves the stored cursor. `cursor` changes only when both succeeded. Returns how many
/// events were written.
pub async fn sink_once<S: AnalyticsSink>(db: &Db, sink: &S, cursor: &mut Cursor) -> Result<usize, SinkError> {
    let Some(round) = read_round(db, cursor, BATCH).await? else {
        return Ok(0);
    };
    if !round.events.is_empty() {
        sink.write_events(&round.events).await.map_err(SinkError::Sink)?;
    }
    let mut tx = db.begin().await?;
    outbox::set_consumer_cursor(&mut tx, now(), CONSUMER, round.next.settled()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    *cursor = round.next;
    Ok(round.events.len())
}

/// How far behind the outbox the sink is: events committed after its stored cursor.
pub async fn behind(db: &Db) -> Result<i64, StoreError> {
    let mut c = db.pool().acquire().await?;
    let last = outbox::last_id(&mut c).await?;
    let at = outbox::consumer_cursor(&mut c, CONSUMER).await?.unwrap_or(0);
    Ok((last - at).max(0))
}

/// The reader's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkConfig {
    /// How often the outbox is read when the sink keeps up.
    pub poll: Duration,
    /// The longest wait between attempts while the sink (or the database) fails; the wait
    /// doubles from `poll` up to this.
    pub max_backoff: Duration,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            poll: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// The wait after `failures` failed rounds in a row (0: the poll interval).
pub fn backoff(cfg: &SinkConfig, failures: u32) -> Duration {
    let factor = 1u32 << failures.min(16);
    cfg.poll.saturating_mul(factor).min(cfg.max_backoff.max(cfg.poll))
}

/// Starts the reader on the current tokio runtime; stops when the handle is dropped.
pub fn spawn<S: AnalyticsSink>(db: Db, sink: S, cfg: SinkConfig) -> SinkHandle {
    let task = tokio::spawn(async move {
        let mut failures = 0u32;
        let mut cursor = loop {
            match start(&db).await {
                Ok(c) => break c,
                Err(e) => tracing::warn!(error = %e, "analytics sink: cannot read its cursor; retrying"),
            }
            failures = failures.saturating_add(1);
            tokio::time::sleep(backoff(&cfg, failures)).await;
        };
        failures = 0;
        loop {
            match sink_once(&db, &sink, &mut cursor).await {
                Ok(n) => {
                    if failures > 0 {
                        tracing::info!(after = failures, "analytics sink: writing again");
                    }
                    failures = 0;
                    if n as i64 >= BATCH {
                        continue;
                    }
                }
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, "analytics sink: falling behind; retrying with backoff");
                    }
                    failures = failures.saturating_add(1);
                }
            }
            tokio::time::sleep(backoff(&cfg, failures)).await;
        }
    });
    SinkHandle(task)
}

/// Stops the reader when dropped.
#[derive(Debug)]
pub struct SinkHandle(tokio::task::JoinHandle<()>);

impl Drop for SinkHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cfg = SinkConfig {
            poll: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        let waits: Vec<u128> = (0..6).map(|f| backoff(&cfg, f).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(&cfg, u32::MAX), Duration::from_secs(1));
    }
}
