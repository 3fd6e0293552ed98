//! The finance consumer: a durable reader of the event outbox. Each event finance cares about
//! is posted together with its `finance_postings` row (so a replayed event posts nothing) and
//! the consumer's cursor row (`outbox_consumers`) in one transaction, so postings happen
//! exactly once whatever restarts or runs alongside. Up to [`CHUNK`] events share a
//! transaction; when one of them fails, they are posted again one per transaction.
//!
//! Ordering is the outbox relay's ([`crate::events::Cursor`]): ids skipped by a round are
//! re-read for a while in case their transaction commits late. After a restart the consumer
//! re-reads the last [`REPLAY_WINDOW`] ids below its cursor; what was already posted is found in
//! `finance_postings` and skipped.

use std::time::{Duration, Instant};

use gantry_engine::store::events as outbox;
use gantry_engine::store::finance as ledger;

use super::FinanceSettings;
use super::postings::{concerns, post_event};
use crate::events::Cursor;
use crate::{AppResult, Db, commit, conn};

/// The consumer's name in `outbox_consumers`.
pub const CONSUMER: &str = "finance";

/// How many ids below the stored cursor are re-read at start.
pub const REPLAY_WINDOW: i64 = 1_000;

/// Most events read per round.
const BATCH: i64 = 500;

/// Most events posted in one transaction.
const CHUNK: usize = 100;

/// A cursor to start from: the stored one less [`REPLAY_WINDOW`] (0 for a new database).
pub async fn start(db: &Db) -> AppResult<Cursor> {
    let mut c = conn(db).await?;
    let last = ledger::consumer_cursor(&mut c, CONSUMER).await?.unwrap_or(0);
    Ok(Cursor::from((last - REPLAY_WINDOW).max(0)))
}

/// One round: reads the outbox after the cursor (and the skipped ids), posts each event finance
/// cares about that is not posted yet. Returns how many events were read. An event that fails
/// to post stops the round (it is read again next round) and is returned as the error.
pub async fn consume_once(db: &Db, settings: &FinanceSettings, cursor: &mut Cursor) -> AppResult<usize> {
    let mut c = conn(db).await?;
    let late = outbox::by_ids(&mut c, &cursor.waiting()).await?;
    let fresh = outbox::after(&mut c, cursor.last, BATCH).await?;
    drop(c);
    let before = cursor.clone();
    let rows = cursor.advance(Instant::now(), fresh, late);
    let n = rows.len();
    let todo: Vec<_> = rows
        .iter()
        .filter_map(|row| match &row.event {
            Ok(event) if concerns(event) => Some((row.id, event)),
            _ => None,
        })
        .collect();
    for chunk in todo.chunks(CHUNK) {
        // The events of a chunk are posted in one transaction (one commit for many postings);
        // if any of them fails, the chunk is posted again one event per transaction, so one
        // bad event holds back only itself and what follows it.
        let together = async {
            let mut tx = db.begin().await?;
            let now = crate::now();
            for (id, event) in chunk {
                if ledger::posted_event(&mut tx, *id).await? {
                    continue;
                }
                let entries = post_event(&mut tx, now, *id, event, settings).await?;
                ledger::record_posting(&mut tx, now, *id, event.type_name(), entries.len() as i64).await?;
            }
            if let Some((last, _)) = chunk.last() {
                ledger::set_consumer_cursor(&mut tx, now, CONSUMER, *last).await?;
            }
            commit(tx).await
        };
        if together.await.is_ok() {
            continue;
        }
        for (id, event) in chunk {
            let mut c = conn(db).await?;
            if ledger::posted_event(&mut c, *id).await? {
                continue;
            }
            drop(c);
            let done = async {
                let mut tx = db.begin().await?;
                let now = crate::now();
                let entries = post_event(&mut tx, now, *id, event, settings).await?;
                ledger::record_posting(&mut tx, now, *id, event.type_name(), entries.len() as i64).await?;
                ledger::set_consumer_cursor(&mut tx, now, CONSUMER, *id).await?;
                commit(tx).await
            };
            if let Err(e) = done.await {
                // Not posted: read this event (and what follows) again next round.
                *cursor = before;
                return Err(e);
            }
        }
    }
    if cursor.last > before.last {
        let mut tx = db.begin().await?;
        ledger::set_consumer_cursor(&mut tx, crate::now(), CONSUMER, cursor.last).await?;
        commit(tx).await?;
    }
    Ok(n)
}

/// Runs rounds until nothing is left to read (tests, the CLI, benchmarks). Returns how many
/// events were read.
pub async fn drain(db: &Db, settings: &FinanceSettings, cursor: &mut Cursor) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let n = consume_once(db, settings, cursor).await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

/// Starts the consumer on the current tokio runtime, polling every `poll`; stops when the
/// handle is dropped.
pub fn spawn(db: Db, settings: FinanceSettings, poll: Duration) -> ConsumerHandle {
    let task = tokio::spawn(async move {
        let mut cursor = loop {
            match start(&db).await {
                Ok(c) => break c,
                Err(e) => tracing::warn!(error = %e, "finance consumer: cannot read its cursor; retrying"),
            }
            tokio::time::sleep(poll.max(Duration::from_millis(100))).await;
        };
        loop {
            match consume_once(&db, &settings, &mut cursor).await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "finance consumer: posting failed; retrying"),
            }
            tokio::time::sleep(poll).await;
        }
    });
    ConsumerHandle(task)
}

/// Stops the consumer when dropped.
#[derive(Debug)]
pub struct ConsumerHandle(tokio::task::JoinHandle<()>);

impl Drop for ConsumerHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}
