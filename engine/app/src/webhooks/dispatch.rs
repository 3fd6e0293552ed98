//! The webhook dispatcher: delivers every committed event to the endpoints subscribed to it,
//! at least once.
//!
//! **Fan-out.** A durable cursor (`webhook_cursor`) over the event outbox: each round reads the
//! events after it (and ids it saw skipped, as the relay does: on PostgreSQL a transaction that
//! took a smaller id may commit later), queues one delivery per (endpoint, event) and moves the
//! cursor in the same transaction, so a crash loses nothing and a repeat queues nothing twice.
//! The stored cursor is the settled mark (below the oldest id still awaited), so after a restart
//! the awaited ids are read again.
//!
//! **Sending.** Each endpoint with due deliveries gets its own task that sends them one at a
//! time, oldest event first, so a slow or failing endpoint delays only itself. Deliveries are
//! claimed a batch at a time under a lease (another server does not send them meanwhile; a
//! crashed sender's lease runs out and they are sent again), each is signed (Standard Webhooks:
//! the current secret and the previous one while it overlaps) and sent through a
//! [`WebhookSender`], and the batch's attempts are recorded with the endpoint's health in one
//! transaction (a few statements per batch, not per delivery, so the database keeps up with
//! thousands of deliveries a second). A failure is retried with exponential backoff and jitter
//! until the retry period is over, and ends the batch (the rest are released and claimed by the
//! next one, so a dead endpoint costs one attempt per batch, not a batch of timeouts); an
//! endpoint that keeps failing is disabled by the circuit and `webhook.endpoint_disabled` is
//! appended.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use gantry_engine::domain::events::{Event, WebhookEndpointDisabledEvent};
use gantry_engine::domain::integrations::delivery::{self, AfterFailure, Circuit, RetryPolicy};
use gantry_engine::domain::integrations::signing::{secret_key, signature_header};
use gantry_engine::domain::types::to_millis;
use gantry_engine::store::webhooks::{self as store, Attempt, Claimed, DeliveryStatus, Endpoint};
use gantry_engine::store::{Db, StoreResult, now};
use tokio::sync::Notify;

use crate::events::{Cursor, read_round};

/// One signed request to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    /// `webhook-id`.
    pub msg_id: String,
    /// `webhook-timestamp` (epoch seconds).
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// What came back: the HTTP status, or why there was none (timeout, refused, forbidden
/// address). A 2xx status is a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl SendOutcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends a request over HTTP (the api implements it, with the SSRF guard and a timeout).
pub trait WebhookSender: Send + Sync + 'static {
    fn send(&self, req: OutboundRequest) -> impl Future<Output = SendOutcome> + Send;
}

/// The dispatcher's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DispatchConfig {
    /// How often the outbox and the due deliveries are read.
    pub poll: Duration,
    pub retry: RetryPolicy,
    pub circuit: Circuit,
    /// How long a claimed delivery is held before another sender may take it (longer than the
    /// sender's timeout).
    pub lease: Duration,
    /// Most endpoints sent to at once.
    pub max_endpoints: usize,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            poll: Duration::from_millis(50),
            retry: RetryPolicy::default(),
            circuit: Circuit::default(),
            lease: Duration::from_secs(60),
            max_endpoints: 256,
        }
    }
}

/// Most events read per fan-out round.
const BATCH: i64 = 500;

/// One fan-out round: queues the deliveries of the events committed after the cursor and moves
/// the stored cursor, in one transaction. `cursor` is only changed once that commits. Returns
/// how many events were read.
pub async fn fan_out_once(db: &Db, cursor: &mut Cursor) -> StoreResult<usize> {
    let Some(round) = read_round(db, cursor, BATCH).await? else {
        return Ok(0);
    };
    let t = now();
    let mut tx = db.begin().await?;
    store::fan_out(&mut tx, t, &round.events).await?;
    store::set_cursor(&mut tx, t, round.next.settled()).await?;
    tx.commit().await?;
    *cursor = round.next;
    Ok(round.events.len())
}

/// A cheap source of jitter (splitmix64 over a counter seeded from the clock); no secret
/// depends on it.
#[derive(Debug)]
struct Jitter(AtomicU64);

impl Jitter {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9);
        Jitter(AtomicU64::new(seed))
    }

    /// A number in [0, 1).
    fn next(&self) -> f64 {
        let mut z = self.0.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The signed request of a claimed delivery for `endpoint` at `at`; `None` when its event is no
/// longer in the outbox or the endpoint has no usable secret.
pub fn request_for(endpoint: &Endpoint, claimed: &Claimed, at: DateTime<Utc>) -> Option<OutboundRequest> {
    let e = claimed.event.as_ref()?;
    let body = delivery::body(
        &e.type_name,
        e.id,
        &e.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        &e.payload,
    );
    let keys: Vec<Vec<u8>> = endpoint
        .signing_secrets(at)
        .into_iter()
        .filter_map(|s| secret_key(s).ok())
        .collect();
    if keys.is_empty() {
        return None;
    }
    let msg_id = delivery::message_id(e.id);
    let timestamp = at.timestamp();
    Some(OutboundRequest {
        url: endpoint.url.clone(),
        signature: signature_header(&keys, &msg_id, timestamp, body.as_bytes()),
        msg_id,
        timestamp,
        body: body.into_bytes(),
    })
}

struct Shared<S> {
    db: Db,
    sender: Arc<S>,
    cfg: DispatchConfig,
    jitter: Jitter,
    busy: Mutex<HashSet<i64>>,
    wake: Notify,
}

/// Sends the endpoint's due deliveries, a batch at a time, until none is due (or it is
/// disabled).
async fn drain<S: WebhookSender>(sh: Arc<Shared<S>>, endpoint_id: i64) {
    loop {
        match attempt_batch(&sh, endpoint_id).await {
            Ok(true) => continue,
            Ok(false) => break,
            Err(e) => {
                tracing::warn!(endpoint_id, error = %e, "webhooks: cannot send; retrying later");
                break;
            }
        }
    }
    if let Ok(mut busy) = sh.busy.lock() {
        busy.remove(&endpoint_id);
    }
}

/// Most deliveries one endpoint's task claims at once.
const SEND_BATCH: usize = 100;

/// How often a batch's attempts so far are recorded while it is being sent.
const RECORD_EVERY: Duration = Duration::from_millis(25);

/// One sent delivery of a batch.
struct Sent<'a> {
    claimed: &'a Claimed,
    at: DateTime<Utc>,
    outcome: SendOutcome,
    latency_ms: i64,
}

/// Claims a batch of the endpoint's due deliveries, sends them one after another in event order
/// and records them, a transaction for what was sent in each [`RECORD_EVERY`]; `false` when
/// nothing was due. The batch stops at the
/// first failed attempt or when half the lease has passed; what was not sent is released (and
/// claimed again by the next batch).
async fn attempt_batch<S: WebhookSender>(sh: &Shared<S>, endpoint_id: i64) -> StoreResult<bool> {
    let t = now();
    let lease = chrono::Duration::from_std(sh.cfg.lease).unwrap_or(chrono::Duration::seconds(60));
    let mut tx = sh.db.begin().await?;
    let endpoint = store::get_endpoint(&mut tx, endpoint_id).await?;
    if !endpoint.enabled {
        return Ok(false);
    }
    let claimed = store::claim_due(&mut tx, t, endpoint_id, t + lease, SEND_BATCH).await?;
    if claimed.is_empty() {
        return Ok(false);
    }
    tx.commit().await?;

    let deadline = Instant::now() + sh.cfg.lease / 2;
    let mut sent: Vec<Sent> = Vec::with_capacity(claimed.len());
    let mut unsent = Vec::new();
    let mut flushed = Instant::now();
    let mut stop = false;
    for (i, c) in claimed.iter().enumerate() {
        if stop || Instant::now() >= deadline {
            unsent.extend(claimed[i..].iter().map(|c| c.delivery.id));
            break;
        }
        let at = now();
        let started = Instant::now();
        let outcome = match request_for(&endpoint, c, at) {
            Some(req) => sh.sender.send(req).await,
            None => SendOutcome {
                status: None,
                error: Some("the event is no longer in the outbox (pruned)".into()),
            },
        };
        stop = !outcome.succeeded() && c.event.is_some();
        sent.push(Sent {
            claimed: c,
            at,
            outcome,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        });
        // Recorded every few milliseconds, so that a crash repeats only what was sent in
        // the last of them (fast endpoints still get many deliveries per transaction).
        if flushed.elapsed() >= RECORD_EVERY {
            record(sh, &endpoint, &sent, &[]).await?;
            sent.clear();
            flushed = Instant::now();
        }
    }
    record(sh, &endpoint, &sent, &unsent).await?;
    Ok(true)
}

/// What becomes of a delivery after an attempt: done, given up, or retried later (backoff with
/// jitter until the retry period is over).
fn next_state<S>(sh: &Shared<S>, s: &Sent, t: DateTime<Utc>) -> (DeliveryStatus, DateTime<Utc>) {
    let d = &s.claimed.delivery;
    if s.outcome.succeeded() {
        (DeliveryStatus::Succeeded, t)
    } else if s.claimed.event.is_none() {
        (DeliveryStatus::Failed, t)
    } else {
        match sh.cfg.retry.after_failure(
            d.attempts + 1,
            to_millis(d.created_at),
            to_millis(t),
            sh.jitter.next(),
        ) {
            AfterFailure::RetryAt(ms) => (
                DeliveryStatus::Pending,
                gantry_engine::domain::types::from_millis(ms),
            ),
            AfterFailure::GiveUp => (DeliveryStatus::Failed, t),
        }
    }
}

/// Records a batch's attempts, the endpoint's health and, when it keeps failing, opens its
/// circuit (disables it and appends `webhook.endpoint_disabled`), in one transaction.
async fn record<S: WebhookSender>(
    sh: &Shared<S>,
    endpoint: &Endpoint,
    sent: &[Sent<'_>],
    unsent: &[i64],
) -> StoreResult<()> {
    if sent.is_empty() {
        if !unsent.is_empty() {
            let mut tx = sh.db.begin().await?;
            store::release(&mut tx, unsent).await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    let t = now();
    let attempts: Vec<Attempt> = sent
        .iter()
        .map(|s| {
            let ok = s.outcome.succeeded();
            let (next, next_attempt_at) = next_state(sh, s, t);
            let error = s
                .outcome
                .error
                .clone()
                .or_else(|| (!ok).then(|| format!("HTTP {}", s.outcome.status.map_or(0, i64::from))));
            Attempt {
                delivery_id: s.claimed.delivery.id,
                attempt: s.claimed.delivery.attempts + 1,
                at: s.at,
                succeeded: ok,
                status_code: s.outcome.status.map(i64::from),
                latency_ms: s.latency_ms,
                error: error.map(|e| e.chars().take(500).collect()),
                next,
                next_attempt_at,
            }
        })
        .collect();
    let outcomes: Vec<bool> = sent.iter().map(|s| s.outcome.succeeded()).collect();
    // A failure for a pruned event says nothing about the endpoint.
    let endpoint_failed = sent
        .last()
        .is_some_and(|s| !s.outcome.succeeded() && s.claimed.event.is_some());
    let mut tx = sh.db.begin().await?;
    store::record_attempts(&mut tx, &attempts).await?;
    store::release(&mut tx, unsent).await?;
    let (failures, since) = store::record_health(&mut tx, t, endpoint.id, &outcomes).await?;
    if endpoint_failed
        && let Some(since) = since
        && sh.cfg.circuit.opens(failures, to_millis(since), to_millis(t))
    {
        let reason = format!("{failures} failed attempts in a row since {}", since.to_rfc3339());
        let still = store::get_endpoint(&mut tx, endpoint.id).await?;
        if still.enabled {
            store::set_enabled(&mut tx, t, endpoint.id, false, Some(&reason)).await?;
            store::append_event(
                &mut tx,
                t,
                &Event::WebhookEndpointDisabled(WebhookEndpointDisabledEvent {
                    endpoint_id: endpoint.id,
                    url: endpoint.url.clone(),
                    consecutive_failures: failures,
                    reason,
                }),
            )
            .await?;
            tracing::warn!(
                endpoint_id = endpoint.id,
                failures,
                "webhooks: endpoint disabled by its circuit"
            );
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Starts one task per due endpoint that has none running (up to the limit).
async fn schedule<S: WebhookSender>(sh: &Arc<Shared<S>>) -> StoreResult<()> {
    let due = {
        let mut c = sh.db.pool().acquire().await?;
        store::due_endpoints(&mut c, now(), 10_000).await?
    };
    for id in due {
        let start = match sh.busy.lock() {
            Ok(mut busy) if busy.len() < sh.cfg.max_endpoints => busy.insert(id),
            _ => false,
        };
        if start {
            tokio::spawn(drain(sh.clone(), id));
        }
    }
    Ok(())
}

/// Stops the dispatcher when dropped (deliveries in flight are sent again after their lease).
#[derive(Debug)]
pub struct DispatcherHandle(Vec<tokio::task::JoinHandle<()>>);

impl Drop for DispatcherHandle {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Starts the dispatcher on the current tokio runtime: the fan-out loop from the stored cursor
/// and the sending loop.
pub fn spawn_dispatcher<S: WebhookSender>(db: Db, sender: Arc<S>, cfg: DispatchConfig) -> DispatcherHandle {
    let sh = Arc::new(Shared {
        db,
        sender,
        cfg,
        jitter: Jitter::new(),
        busy: Mutex::new(HashSet::new()),
        wake: Notify::new(),
    });
    let fan = {
        let sh = sh.clone();
        tokio::spawn(async move {
            let mut cursor = loop {
                let start = async {
                    let mut c = sh.db.pool().acquire().await?;
                    store::cursor(&mut c).await
                };
                match start.await {
                    Ok(last) => break Cursor::from(last),
                    Err(e) => tracing::warn!(error = %e, "webhooks: cannot read the cursor; retrying"),
                }
                tokio::time::sleep(sh.cfg.poll.max(Duration::from_millis(100))).await;
            };
            loop {
                match fan_out_once(&sh.db, &mut cursor).await {
                    Ok(n) if n > 0 => {
                        sh.wake.notify_one();
                        if n as i64 >= BATCH {
                            continue;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "webhooks: fan-out failed; retrying"),
                }
                tokio::time::sleep(sh.cfg.poll).await;
            }
        })
    };
    let send = tokio::spawn(async move {
        loop {
            if let Err(e) = schedule(&sh).await {
                tracing::warn!(error = %e, "webhooks: cannot read due deliveries; retrying");
            }
            let _ = tokio::time::timeout(sh.cfg.poll, sh.wake.notified()).await;
        }
    });
    DispatcherHandle(vec![fan, send])
}
