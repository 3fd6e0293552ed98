//! The order actor: one per open order. It follows the order's jobs as they finish and mirrors
//! the order's status and whether it is flagged (a plate failed more often than the reprint
//! limit). The moves themselves are committed by the printer's transaction (with their
//! `order.status_changed` events, which reach subscribers through the outbox relay); this actor
//! only mirrors them.

use actix::prelude::*;
use gantry_engine::domain::orders::{Order, OrderStatus};
use gantry_engine::domain::production::{Job, JobState};
use gantry_engine::domain::types::OrderId;

use crate::messages::Shutdown;

pub struct OrderActor {
    id: OrderId,
    status: OrderStatus,
    /// Jobs of this order finished (done) and failed, as seen by this actor.
    pub done: u32,
    pub failed: u32,
    pub flagged: Option<String>,
    shutdown: bool,
}

impl OrderActor {
    pub fn new(id: OrderId, status: OrderStatus) -> OrderActor {
        OrderActor {
            id,
            status,
            done: 0,
            failed: 0,
            flagged: None,
            shutdown: false,
        }
    }
}

impl Actor for OrderActor {
    type Context = Context<Self>;
}

impl Supervised for OrderActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        tracing::warn!(order = %self.id, "order actor restarting");
    }
}

/// One of the order's jobs finished (`order`: the order after a completion).
#[derive(Message)]
#[rtype(result = "()")]
pub struct OrderUpdate {
    pub job: Job,
    pub order: Option<Order>,
    pub flagged: Option<String>,
}

impl Handler<OrderUpdate> for OrderActor {
    type Result = ();

    fn handle(&mut self, msg: OrderUpdate, _ctx: &mut Context<Self>) {
        match msg.job.state {
            JobState::Done => self.done += 1,
            JobState::Failed | JobState::Requeued => self.failed += 1,
            _ => {}
        }
        if let Some(why) = msg.flagged {
            tracing::warn!(order = %self.id, reason = %why, "order flagged");
            self.flagged = Some(why);
        }
        if let Some(order) = msg.order
            && order.status != self.status
        {
            self.status = order.status;
        }
    }
}

impl Handler<Shutdown> for OrderActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        self.shutdown = true;
        ctx.stop();
    }
}
