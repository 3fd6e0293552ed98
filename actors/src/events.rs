//! The farm's event bus: what happened, after it was committed, for live subscribers
//! (GraphQL subscriptions, metrics). Publishing never blocks; a subscriber that falls behind
//! loses the oldest events (`RecvError::Lagged`) and should re-read the state it shows.

use chrono::{DateTime, Utc};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::production::JobState;
use gantry_engine::domain::types::{CustomerId, JobId, OrderId, PrinterId};
use serde::Serialize;
use tokio::sync::broadcast;

/// One committed change of the live farm.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FarmEvent {
    /// A printer's status, current job or telemetry changed.
    PrinterStatus {
        printer_id: PrinterId,
        status: PrinterStatus,
        job_id: Option<JobId>,
        progress_pct: Option<i64>,
        at: DateTime<Utc>,
    },
    /// A job changed state or reported progress.
    JobProgress {
        job_id: JobId,
        order_id: OrderId,
        printer_id: Option<PrinterId>,
        state: JobState,
        progress_pct: i64,
        at: DateTime<Utc>,
    },
    /// The scheduler persisted a new plan.
    PlanChanged {
        /// Increases with every persisted plan of this process.
        revision: u64,
        scheduled: usize,
        unscheduled: usize,
        objective: f64,
        lower_bound: f64,
        gap: f64,
        at: DateTime<Utc>,
    },
    /// Jobs were created, cancelled or edited outside the farm's actors (e.g. by a GraphQL
    /// mutation): the scheduler re-reads the queue and re-plans.
    QueueChanged { at: DateTime<Utc> },
    /// An order moved to another status.
    OrderStatus {
        order_id: OrderId,
        customer_id: CustomerId,
        status: OrderStatus,
        at: DateTime<Utc>,
    },
}

/// A cloneable handle to the broadcast channel of [`FarmEvent`]s.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<FarmEvent>,
}

impl EventBus {
    /// A bus keeping up to `capacity` undelivered events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus { tx }
    }

    /// Sends an event to every current subscriber (none is fine).
    pub fn publish(&self, event: FarmEvent) {
        let _ = self.tx.send(event);
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<FarmEvent> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_published_events_in_order() {
        let bus = EventBus::new(8);
        let mut rx = bus.subscribe();
        let at = DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default();
        for pct in [10, 20] {
            bus.publish(FarmEvent::JobProgress {
                job_id: JobId(1),
                order_id: OrderId(2),
                printer_id: Some(PrinterId(3)),
                state: JobState::Printing,
                progress_pct: pct,
                at,
            });
        }
        for want in [10, 20] {
            match rx.recv().await.unwrap() {
                FarmEvent::JobProgress { progress_pct, .. } => assert_eq!(progress_pct, want),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(bus.subscribers(), 1);
    }
}
