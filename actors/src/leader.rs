//! The scheduler as leader or follower: it follows this replica's lease ([`gantry_app::lease`]).
//! Taking the lease, it reads the jobs handed out from SQL and re-plans; losing it, it forgets
//! them. Followers' printers hear of new plans from the committed `plan.changed` event; the
//! leader hands out jobs to printers on other replicas when their gateway asks (`Ready` on the
//! mesh) and sends the assignment back.

use actix::prelude::*;
use gantry_app::cluster::To;
use gantry_app::lease::Lease;
use gantry_engine::domain::types::PrinterId;

use crate::messages::{Assign, PlanUpdated};
use crate::scheduler::{RequestReplan, Scheduler};

/// Starts following the lease (called when the scheduler starts).
pub(crate) fn started(act: &mut Scheduler, ctx: &mut Context<Scheduler>) {
    let mut rx = act.fx.leadership.watch();
    let me = ctx.address().downgrade();
    ctx.spawn(
        async move {
            let first = rx.borrow_and_update().clone();
            if let Some(a) = me.upgrade() {
                a.do_send(LeadershipChanged(first));
            }
            while rx.changed().await.is_ok() {
                let now = rx.borrow_and_update().clone();
                match me.upgrade() {
                    Some(a) => a.do_send(LeadershipChanged(now)),
                    None => break,
                }
            }
        }
        .into_actor(act),
    );
}

/// This replica took (`Some`) or lost (`None`) the lease.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct LeadershipChanged(pub Option<Lease>);

impl Handler<LeadershipChanged> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: LeadershipChanged, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        let Some(lease) = msg.0 else {
            // Another replica plans now; what this one handed out is its business.
            self.in_flight.clear();
            return;
        };
        tracing::info!(
            epoch = lease.epoch,
            "leading the scheduler: reading the jobs handed out, re-planning"
        );
        let db = self.fx.db.clone();
        ctx.wait(
            async move { gantry_app::cluster::handed_out(&db).await }
                .into_actor(self)
                .map(|res, act, ctx| {
                    match res {
                        Ok(handed) => act.in_flight = handed,
                        Err(e) => {
                            tracing::error!(error = %e, "the new leader cannot read the jobs handed out")
                        }
                    }
                    ctx.notify(RequestReplan);
                }),
        );
    }
}

/// A plan was committed (by whichever replica leads): a follower's ready printers ask for work.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct PlanCommitted;

impl Handler<PlanCommitted> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: PlanCommitted, _ctx: &mut Context<Self>) {
        if self.fx.leadership.is_leader() {
            return;
        }
        for p in self.printers.values() {
            p.do_send(PlanUpdated);
        }
    }
}

/// A printer on replica `from` is ready (its gateway asks the leader).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct RemoteReady {
    pub printer: PrinterId,
    pub from: String,
}

impl Handler<RemoteReady> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: RemoteReady, ctx: &mut Context<Self>) {
        let fut = self.hand_over(msg.printer);
        let (printer, from) = (msg.printer, msg.from);
        ctx.spawn(fut.map(move |res, act, _| {
            let Some(assignment) = res else { return };
            if from == act.fx.leadership.replica() {
                if let Some(p) = act.printers.get(&printer) {
                    p.do_send(Assign(assignment));
                }
                return;
            }
            let wire = crate::mesh::Wire::Assign {
                printer: printer.0,
                assignment,
            };
            crate::mesh::send(&act.fx, To::Replica(from), wire);
        }));
    }
}

/// A printer on another replica gave back what it was handed.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct RemoteReleased(pub PrinterId);

impl Handler<RemoteReleased> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: RemoteReleased, _ctx: &mut Context<Self>) {
        self.in_flight.retain(|_, p| *p != msg.0);
    }
}
