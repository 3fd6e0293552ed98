//! The scheduler: supervises the printer, order and stock actors (restarting one that
//! stops), re-plans on events (debounced: a burst of events is one solve; the solver runs on
//! a blocking thread), persists the plan in one transaction, and hands each ready printer its
//! next job from the current plan at once (without waiting for a re-plan).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use gantry_app::agent;
use gantry_app::planning::{self, Replanned};
use gantry_engine::domain::events::Event;
use gantry_engine::domain::live::{DebounceAction, Debouncer};
use gantry_engine::domain::orders::{Order, OrderStatus};
use gantry_engine::domain::production::{Job, JobState};
use gantry_engine::domain::protocol::{JobAssignment, gcode_path};
use gantry_engine::domain::types::{JobId, MaterialId, OrderId, PrinterId};
use gantry_engine::store::StoreError;

use crate::farm::Shared;
use crate::messages::{PlanUpdated, PrinterSnapshot, Shutdown, Snapshot};
use crate::order::{OrderActor, OrderUpdate};
use crate::printer::PrinterActor;
use crate::stock::{StockActor, StockTouched};

/// What a follower answers a re-plan asked of it.
pub const NOT_LEADER: &str = "this replica does not lead the scheduler; the leader plans";

/// The scheduler actor (see the module documentation).
pub struct Scheduler {
    pub(crate) fx: Shared,
    pub(crate) printers: BTreeMap<PrinterId, Addr<PrinterActor>>,
    orders: BTreeMap<OrderId, Addr<OrderActor>>,
    stocks: BTreeMap<MaterialId, Addr<StockActor>>,
    /// Jobs handed to a printer and not started yet (also in `job_handovers`, read back when
    /// the scheduler starts: a restarted server does not hand them to another printer).
    pub(crate) in_flight: BTreeMap<JobId, PrinterId>,
    debounce: Debouncer,
    epoch: Instant,
    /// One solve at a time (debounced and `replanNow` alike).
    solving: Arc<tokio::sync::Mutex<()>>,
    pub(crate) stopping: bool,
}

impl Scheduler {
    pub fn new(fx: Shared) -> Scheduler {
        Scheduler {
            fx,
            printers: BTreeMap::new(),
            orders: BTreeMap::new(),
            stocks: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            debounce: Debouncer::default(),
            epoch: Instant::now(),
            solving: Arc::new(tokio::sync::Mutex::new(())),
            stopping: false,
        }
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.fx.cfg.replan_debounce_ms).unwrap_or(i64::MAX)
    }

    fn printer(&mut self, id: PrinterId) -> Addr<PrinterActor> {
        if let Some(a) = self.printers.get(&id)
            && a.connected()
        {
            return a.clone();
        }
        let fx = self.fx.clone();
        let addr = Supervisor::start(move |_| PrinterActor::new(id, fx));
        self.printers.insert(id, addr.clone());
        addr
    }

    fn order(&mut self, id: OrderId, status: OrderStatus) -> Addr<OrderActor> {
        if let Some(a) = self.orders.get(&id) {
            return a.clone();
        }
        let addr = Supervisor::start(move |_| OrderActor::new(id, status));
        self.orders.insert(id, addr.clone());
        addr
    }

    fn stock(&mut self, id: MaterialId) -> Addr<StockActor> {
        if let Some(a) = self.stocks.get(&id) {
            return a.clone();
        }
        let db = self.fx.db.clone();
        let addr = Supervisor::start(move |_| StockActor::new(id, db));
        self.stocks.insert(id, addr.clone());
        addr
    }

    fn arm(&mut self, action: DebounceAction, ctx: &mut Context<Self>) {
        match action {
            DebounceAction::Wait => {}
            DebounceAction::ArmAt(at) => {
                let wait = u64::try_from(at - self.now_ms()).unwrap_or(0);
                ctx.run_later(Duration::from_millis(wait), |_, ctx| ctx.notify(Fire));
            }
            DebounceAction::Solve => self.solve(ctx, self.fx.cfg.solve_seconds, None),
        }
    }

    /// Solves and persists; answers `reply` (a `replanNow`) when given.
    fn solve(
        &mut self,
        ctx: &mut Context<Self>,
        time_limit: f64,
        reply: Option<tokio::sync::oneshot::Sender<Result<Replanned, String>>>,
    ) {
        let debounced = reply.is_none();
        // Only the leader plans (its writes are fenced by its lease); a follower's debounced
        // request is dropped (the leader re-plans on the same committed events).
        let Some(lease) = self.fx.leadership.current() else {
            if let Some(reply) = reply {
                let _ = reply.send(Err(NOT_LEADER.to_string()));
            }
            if debounced {
                let (now, window) = (self.now_ms(), self.window_ms());
                let next = self.debounce.done(now, window);
                self.arm(next, ctx);
            }
            return;
        };
        let (db, lock, in_flight) = (self.fx.db.clone(), self.solving.clone(), self.in_flight.clone());
        let lease2 = lease.clone();
        let fut = async move {
            let _guard = lock.lock().await;
            planning::replan(&db, Some(&in_flight), time_limit, Some(&lease2)).await
        };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| {
            let res = res.map_err(|e| {
                if let gantry_app::AppError::Store(se) = &e {
                    act.fx.leadership.check(Some(&lease), se);
                }
                e.to_string()
            });
            match &res {
                Ok(r) => act.plan_persisted(r),
                Err(e) => tracing::error!(error = %e, "re-plan failed"),
            }
            if let Some(reply) = reply {
                let _ = reply.send(res);
            }
            if debounced {
                let (now, window) = (act.now_ms(), act.window_ms());
                let next = act.debounce.done(now, window);
                act.arm(next, ctx);
            }
        }));
    }

    fn plan_persisted(&mut self, r: &Replanned) {
        self.fx.stats.plan_persisted(r.view.gap);
        for p in self.printers.values() {
            p.do_send(PlanUpdated);
        }
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Rebuild the live model from SQL: printers, open orders, materials.
        let db = self.fx.db.clone();
        let fut = async move { agent::farm_state(&db).await };
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok(agent::FarmState {
                printers,
                orders,
                materials,
                handed,
            }) => {
                // Jobs handed out before a restart stay on their printer (pinned in the plan,
                // not handed to anyone else) until that printer reports.
                act.in_flight = handed;
                for p in printers {
                    act.printer(p.id);
                }
                for (id, _, status) in orders {
                    let status = if status == "paid" {
                        OrderStatus::Paid
                    } else {
                        OrderStatus::InProduction
                    };
                    act.order(id, status);
                }
                for m in materials {
                    act.stock(m.id);
                }
                tracing::info!(
                    printers = act.printers.len(),
                    orders = act.orders.len(),
                    handed_out = act.in_flight.len(),
                    "live farm started"
                );
                ctx.notify(RequestReplan);
            }
            Err(e) => tracing::error!(error = %e, "the live farm cannot read the database"),
        }));
        crate::leader::started(self, ctx);
        // Committed changes that may change the plan (from anywhere: GraphQL, a CLI run, another
        // server, this farm's printers) cause a re-plan; the relay delivers them.
        let mut rx = self.fx.bus.subscribe();
        let me = ctx.address().downgrade();
        ctx.spawn(
            async move {
                loop {
                    match rx.recv().await {
                        // A job back in the queue is no longer handed out (released by an
                        // operator, or by maintenance): it leaves `in_flight`.
                        Ok(e) if matches!(&e.event, Event::Job(j) if j.to == JobState::Queued) => {
                            let Event::Job(j) = &e.event else { continue };
                            match me.upgrade() {
                                Some(a) => a.do_send(Requeued(JobId(j.job_id))),
                                None => break,
                            }
                            if e.event.affects_plan()
                                && let Some(a) = me.upgrade()
                            {
                                a.do_send(RequestReplan);
                            }
                        }
                        Ok(e) if matches!(&e.event, Event::Job(j) if j.to != JobState::Scheduled) => {
                            // Started, done or failed (reported on any replica): no longer handed out.
                            let Event::Job(j) = &e.event else { continue };
                            match me.upgrade() {
                                Some(a) => a.do_send(JobStarted { job: JobId(j.job_id) }),
                                None => break,
                            }
                            if e.event.affects_plan()
                                && let Some(a) = me.upgrade()
                            {
                                a.do_send(RequestReplan);
                            }
                        }
                        Ok(e) if matches!(&e.event, Event::Plan(_)) => match me.upgrade() {
                            Some(a) => a.do_send(crate::leader::PlanCommitted),
                            None => break,
                        },
                        Ok(e) if !e.event.affects_plan() => {}
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            match me.upgrade() {
                                Some(a) => a.do_send(RequestReplan),
                                None => break,
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            }
            .into_actor(self),
        );
        // Old message ids and events past their retention are pruned hourly.
        ctx.run_interval(Duration::from_secs(3600), |act, _| {
            if !act.fx.leadership.is_leader() {
                return;
            }
            let db = act.fx.db.clone();
            let keep = chrono::Duration::days(i64::try_from(act.fx.cfg.events_retention_days).unwrap_or(30));
            actix::spawn(async move {
                let res = agent::prune(&db, Utc::now(), Utc::now() - keep).await;
                if let Err(e) = res {
                    tracing::warn!(error = %e, "pruning agent message ids and old events failed");
                }
            });
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

/// Something changed: re-plan (debounced).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RequestReplan;

/// The debounce timer fired.
#[derive(Message)]
#[rtype(result = "()")]
struct Fire;

/// Re-plan now (`replanNow`) with this solver time limit; answers with the persisted plan.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReplanNow {
    pub time_limit: f64,
    pub reply: tokio::sync::oneshot::Sender<Result<Replanned, String>>,
}

/// A ready printer asks for its next job.
#[derive(Message)]
#[rtype(result = "Option<JobAssignment>")]
pub struct NextJob {
    pub printer: PrinterId,
}

/// A handed job started.
#[derive(Message)]
#[rtype(result = "()")]
pub struct JobStarted {
    pub job: JobId,
}

/// The printer's handed job (if any) is void (disconnected, rejected, asked again).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Released {
    pub printer: PrinterId,
}

/// A job finished (done, or failed/requeued); `order` after a completion.
#[derive(Message)]
#[rtype(result = "()")]
pub struct JobFinished {
    pub job: Job,
    pub order: Option<Order>,
    pub flagged: Option<String>,
}

/// The printer actor of a printer (started if the printer is new).
#[derive(Message)]
#[rtype(result = "Addr<PrinterActor>")]
pub struct GetPrinter(pub PrinterId);

/// Every printer's snapshot, by id.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Snapshots(pub tokio::sync::oneshot::Sender<Vec<PrinterSnapshot>>);

/// Stop the farm: every actor, for good.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopFarm;

impl Handler<RequestReplan> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: RequestReplan, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        let (now, window) = (self.now_ms(), self.window_ms());
        let action = self.debounce.request(now, window);
        self.arm(action, ctx);
    }
}

impl Handler<Fire> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: Fire, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        let action = self.debounce.fire();
        self.arm(action, ctx);
    }
}

impl Handler<ReplanNow> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: ReplanNow, ctx: &mut Context<Self>) {
        self.solve(ctx, msg.time_limit, Some(msg.reply));
    }
}

impl Handler<NextJob> for Scheduler {
    type Result = ResponseActFuture<Self, Option<JobAssignment>>;

    fn handle(&mut self, msg: NextJob, _ctx: &mut Context<Self>) -> Self::Result {
        let printer = msg.printer;
        if !self.fx.leadership.is_leader() {
            // The leader hands out jobs: it is asked through the mesh and answers with `Assign`.
            crate::mesh::forward(&self.fx, crate::mesh::Wire::Ready { printer: printer.0 });
            return Box::pin(actix::fut::ready(None));
        }
        self.hand_over(printer)
    }
}

impl Scheduler {
    /// The leader hands `printer` (ready, here or on another replica) its next job.
    pub(crate) fn hand_over(&mut self, printer: PrinterId) -> ResponseActFuture<Self, Option<JobAssignment>> {
        let Some(lease) = self.fx.leadership.current() else {
            return Box::pin(actix::fut::ready(None));
        };
        // A printer asking is ready: what it was handed before is void.
        self.in_flight.retain(|_, p| *p != printer);
        let db = self.fx.db.clone();
        let on_demand = self.fx.cfg.slice_on_demand;
        let flying: BTreeSet<JobId> = self.in_flight.keys().copied().collect();
        let lease2 = lease.clone();
        // Chosen and recorded in one transaction (durable before it is sent: after a restart
        // the job stays with this printer); in flight only once that is committed.
        let fut = async move {
            let Some(h) =
                agent::hand_over_next(&db, Utc::now(), printer, &flying, on_demand, Some(&lease2)).await?
            else {
                return Ok::<_, StoreError>(None);
            };
            // Whether the job has G-code decides its URL; the scheduler knows only that, not
            // where or how it is stored.
            let gcode_url = h.has_gcode.then(|| gcode_path(h.job.id.0));
            let job = &h.job;
            Ok(Some(JobAssignment {
                job: job.id.0,
                order_id: job.order_id.0,
                material: h.material,
                copies: job.copies,
                est_minutes: job.est_minutes,
                grams: job.grams,
                gcode_url,
            }))
        };
        Box::pin(fut.into_actor(self).map(move |res, act, _| match res {
            Ok(Some(a)) => {
                act.in_flight.insert(JobId(a.job), printer);
                Some(a)
            }
            Ok(None) => None,
            Err(e) => {
                act.fx.leadership.check(Some(&lease), &e);
                tracing::warn!(printer = %printer, error = %e, "cannot hand the printer its next job");
                None
            }
        }))
    }
}

impl Handler<JobStarted> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: JobStarted, _ctx: &mut Context<Self>) {
        self.in_flight.remove(&msg.job);
    }
}

/// A job went back to the queue (committed): if it was handed out, it no longer is, and the plan
/// may give it to another printer.
#[derive(Message)]
#[rtype(result = "()")]
struct Requeued(JobId);

impl Handler<Requeued> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: Requeued, ctx: &mut Context<Self>) {
        if self.in_flight.remove(&msg.0).is_some() {
            ctx.notify(RequestReplan);
        }
    }
}

impl Handler<Released> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: Released, _ctx: &mut Context<Self>) {
        if !self.fx.leadership.is_leader() {
            crate::mesh::forward(
                &self.fx,
                crate::mesh::Wire::Released {
                    printer: msg.printer.0,
                },
            );
        }
        self.in_flight.retain(|_, p| *p != msg.printer);
    }
}

impl Handler<JobFinished> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: JobFinished, ctx: &mut Context<Self>) {
        self.in_flight.remove(&msg.job.id);
        let status = msg
            .order
            .as_ref()
            .map(|o| o.status)
            .unwrap_or(OrderStatus::InProduction);
        let order = self.order(msg.job.order_id, status);
        order.do_send(OrderUpdate {
            job: msg.job.clone(),
            order: msg.order.clone(),
            flagged: msg.flagged,
        });
        if msg
            .order
            .as_ref()
            .is_some_and(|o| o.status != OrderStatus::InProduction)
            && let Some(a) = self.orders.remove(&msg.job.order_id)
        {
            // The order has left production: its actor ends.
            a.do_send(Shutdown);
        }
        self.stock(msg.job.material_id).do_send(StockTouched);
        ctx.notify(RequestReplan);
    }
}

impl Handler<GetPrinter> for Scheduler {
    type Result = MessageResult<GetPrinter>;

    fn handle(&mut self, msg: GetPrinter, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(self.printer(msg.0))
    }
}

impl Handler<Snapshots> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: Snapshots, ctx: &mut Context<Self>) {
        let addrs: Vec<Addr<PrinterActor>> = self.printers.values().cloned().collect();
        ctx.spawn(
            async move {
                let mut out = Vec::with_capacity(addrs.len());
                for a in addrs {
                    if let Ok(s) = a.send(Snapshot).await {
                        out.push(s);
                    }
                }
                let _ = msg.0.send(out);
            }
            .into_actor(self),
        );
    }
}

impl Handler<StopFarm> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: StopFarm, ctx: &mut Context<Self>) {
        self.stopping = true;
        for a in std::mem::take(&mut self.printers).into_values() {
            a.do_send(Shutdown);
        }
        for a in std::mem::take(&mut self.orders).into_values() {
            a.do_send(Shutdown);
        }
        for a in std::mem::take(&mut self.stocks).into_values() {
            a.do_send(Shutdown);
        }
        ctx.stop();
    }
}
