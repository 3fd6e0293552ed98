//! Live subscriptions over WebSocket (`graphql-transport-ws`, and the legacy `graphql-ws` of
//! subscriptions-transport-ws) on `GET /graphql`, fed by the farm's [`EventBus`].
//!
//! Authentication happens once, in `connection_init`: its payload carries
//! `{"authorization": "Bearer <token>"}` (an access token or an API token, checked exactly as
//! the HTTP `Authorization` header is). Without a valid token the connection is refused (closed
//! with code 1002 and a reason starting with the error code, e.g. `UNAUTHENTICATED: …`).
//! The principal is fixed for the lifetime of the connection: a token that expires later does
//! not end it (reconnect with a fresh token to change who you are).
//!
//! Every field has the permission of the matching query (`printerStatus`: `equipment:read`,
//! `planChanged`: `production:read`, `orderStatus`: the order readers, `jobProgress`:
//! `production:read` or the order readers). Customers receive only the events of their own
//! orders; subscribing with another customer's `orderId` or `jobId` is `NOT_FOUND`, as for the
//! queries.
//!
//! Events come from the outbox: every change appends its event in its own transaction, and the
//! relay (`gantry_app::events`) publishes each committed event once on the bus — whoever made
//! the change (a mutation, an agent's report, the scheduler, a CLI run, another server on the
//! same database). A subscriber that falls more than the bus capacity (1024 events) behind skips
//! the events it missed (logged at `warn`) and goes on with the next one: clients that must not
//! miss a change re-read the state after reconnecting or periodically. When the PostgreSQL
//! listener that wakes the relay had to reconnect, every subscription completes, telling its
//! client to subscribe again and re-read.

use std::collections::HashMap;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{ComplexObject, Context, Data, ID, SimpleObject, Subscription};
use std::sync::Arc;

use gantry_app::events::{Committed, EventBus};
use gantry_app::{AppError, Caller, Db, equipment, orders, production};
use gantry_engine::domain::events::Event;
use gantry_engine::domain::production::JobState;
use gantry_engine::domain::types::{CustomerId, JobId, OrderId, PrinterId};
use gantry_engine::domain::users::Permission;
use gantry_engine::error::Coded;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use super::app_error;
use super::connection::{Ts, id_arg, not_found};
use super::equipment::PrinterStatusGql;
use super::fleet::{PrinterTelemetryObj, telemetry_stream};
use super::orders::{OrderNode, OrderStatusGql};
use super::principal::{AnyPermissionGuard, PermissionGuard, Principal, caller, principal};
use super::production::{JobNode, JobStateGql};
use crate::auth::{Auth, authenticate};

/// A printer's status, current job or progress changed.
#[derive(SimpleObject, Debug, Clone)]
pub struct PrinterStatusEvent {
    pub printer_id: ID,
    pub status: PrinterStatusGql,
    pub job_id: Option<ID>,
    pub progress_pct: Option<i64>,
    pub at: Ts,
}

/// A job changed state or reported progress.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct JobProgressEvent {
    pub job_id: ID,
    pub order_id: ID,
    pub printer_id: Option<ID>,
    pub state: JobStateGql,
    pub progress_pct: i64,
    pub at: Ts,
}

#[ComplexObject]
impl JobProgressEvent {
    /// The job as it is now (read when this field is resolved).
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<JobNode> {
        let id = JobId(id_arg(&self.job_id, "job")?);
        let job = production::job(ctx.data::<Db>()?, id).await.map_err(app_error)?;
        Ok(JobNode(job))
    }
}

/// The scheduler persisted a new plan.
#[derive(SimpleObject, Debug, Clone)]
pub struct PlanChangedEvent {
    /// The persisted plan's id: increases with every plan persisted (read it with `plan`).
    pub revision: i64,
    pub scheduled: i64,
    pub unscheduled: i64,
    pub objective: f64,
    pub lower_bound: f64,
    /// Relative gap between the objective and the lower bound (0 = proven optimal).
    pub gap: f64,
    pub at: Ts,
}

/// An order moved to another status.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct OrderStatusEvent {
    pub order_id: ID,
    pub customer_id: ID,
    pub status: OrderStatusGql,
    pub at: Ts,
}

#[ComplexObject]
impl OrderStatusEvent {
    /// The order as it is now (read when this field is resolved).
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&self.order_id, "order")?);
        let order = orders::order(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(order))
    }
}

fn gid(id: i64) -> ID {
    ID(id.to_string())
}

/// The next event of the bus; a lagging receiver skips what it missed.
async fn next_event(rx: &mut Receiver<Arc<Committed>>) -> Option<Arc<Committed>> {
    loop {
        match rx.recv().await {
            Ok(e) => return Some(e),
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(
                    skipped = n,
                    "subscriber lagged behind the event bus; events skipped"
                );
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

/// The events of the bus mapped by `pick` (`None` = not for this subscriber).
fn feed<S, T, F, Fut>(bus: &EventBus, state: S, pick: F) -> impl Stream<Item = T> + use<S, T, F, Fut>
where
    S: Send + 'static,
    T: Send + 'static,
    F: FnMut(S, Arc<Committed>) -> Fut + Send + 'static,
    Fut: Future<Output = (S, Option<T>)> + Send,
{
    let rx = bus.subscribe();
    let resync = bus.resyncs();
    stream::unfold(
        (rx, resync, state, pick),
        |(mut rx, mut resync, mut state, mut pick)| async move {
            loop {
                let event = tokio::select! {
                    e = next_event(&mut rx) => e?,
                    // The listener that wakes the relay reconnected: the subscription completes, so
                    // the client subscribes again and re-reads the state it shows.
                    _ = resync.changed() => {
                        tracing::info!("event delivery resynchronised; subscription completed so the client re-reads");
                        return None;
                    }
                };
                let (s, out) = pick(state, event).await;
                state = s;
                if let Some(out) = out {
                    return Some((out, (rx, resync, state, pick)));
                }
            }
        },
    )
}

fn bus<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a EventBus> {
    ctx.data::<EventBus>()
}

fn opt_id(id: Option<&ID>, entity: &'static str) -> async_graphql::Result<Option<i64>> {
    id.map(|i| id_arg(i, entity)).transpose()
}

/// Who may see which order's events, with the owners of the orders seen so far.
struct OrderScope {
    db: Db,
    principal: Principal,
    owners: HashMap<OrderId, CustomerId>,
}

impl OrderScope {
    fn sees_all(&self) -> bool {
        self.principal.can(Permission::ProductionRead) || self.principal.can(Permission::OrdersReadAll)
    }

    /// Whether the caller may see the events of `order` (its owner is read once and kept).
    async fn visible(&mut self, order: OrderId) -> Result<bool, AppError> {
        if self.sees_all() {
            return Ok(true);
        }
        let owner = match self.owners.get(&order) {
            Some(c) => *c,
            None => {
                let c = orders::order(&self.db, &Caller::SYSTEM, order).await?.customer_id;
                self.owners.insert(order, c);
                c
            }
        };
        Ok(self.principal.may_see_customer(owner))
    }
}

/// The root of all subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Status changes of every printer, or of `printerId` (`equipment:read`).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn printer_status(
        &self,
        ctx: &Context<'_>,
        printer_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = PrinterStatusEvent> + use<>> {
        let only = opt_id(printer_id.as_ref(), "printer")?.map(PrinterId);
        Ok(feed(bus(ctx)?, (), move |_, c| {
            let out = match &c.event {
                Event::Printer(e) if only.is_none_or(|p| p.0 == e.printer_id) => Some(PrinterStatusEvent {
                    printer_id: gid(e.printer_id),
                    status: e.to.into(),
                    job_id: e.job_id.map(gid),
                    progress_pct: e.progress_pct,
                    at: Ts(c.at),
                }),
                Event::PrinterCreated(e) if only.is_none_or(|p| p.0 == e.printer_id) => {
                    Some(PrinterStatusEvent {
                        printer_id: gid(e.printer_id),
                        status: PrinterStatusGql::Idle,
                        job_id: None,
                        progress_pct: None,
                        at: Ts(c.at),
                    })
                }
                _ => None,
            };
            std::future::ready(((), out))
        }))
    }

    /// Telemetry of every printer, or of `printerId` (`equipment:read`): temperatures, progress,
    /// layer, time left, runout, errors. Each printer whose telemetry changed is sent with its
    /// latest readings as soon as its report is committed, at most once per `intervalMs` (at
    /// least 500, default 1000) however often it reports.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn printer_telemetry(
        &self,
        ctx: &Context<'_>,
        printer_id: Option<ID>,
        #[graphql(default = 1000)] interval_ms: i64,
    ) -> async_graphql::Result<impl Stream<Item = PrinterTelemetryObj> + use<>> {
        let only = opt_id(printer_id.as_ref(), "printer")?.map(PrinterId);
        let db = ctx.data::<Db>()?.clone();
        if let Some(p) = only {
            equipment::printer(&db, p).await.map_err(app_error)?;
        }
        Ok(telemetry_stream(db, only, interval_ms, gantry_app::now()))
    }

    /// State changes and progress of jobs: all of them, those of `jobId`, or those of the order
    /// `orderId`. Customers receive only their own orders' jobs.
    #[graphql(
        guard = "AnyPermissionGuard(&[Permission::ProductionRead, Permission::OrdersReadAll, \
                       Permission::OrdersReadOwn])"
    )]
    async fn job_progress(
        &self,
        ctx: &Context<'_>,
        job_id: Option<ID>,
        order_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = JobProgressEvent> + use<>> {
        let p = principal(ctx)?.clone();
        let only_job = opt_id(job_id.as_ref(), "job")?.map(JobId);
        let only_order = opt_id(order_id.as_ref(), "order")?.map(OrderId);
        let mut scope = OrderScope {
            db: ctx.data::<Db>()?.clone(),
            principal: p,
            owners: HashMap::new(),
        };
        // An order or job the caller may not see is NOT_FOUND, as for the queries.
        if let Some(j) = only_job {
            let job = production::job(ctx.data::<Db>()?, j).await.map_err(app_error)?;
            if !scope.visible(job.order_id).await.map_err(app_error)? {
                return Err(not_found("job", j.0));
            }
        }
        if let Some(o) = only_order
            && !scope.visible(o).await.map_err(app_error)?
        {
            return Err(not_found("order", o.0));
        }
        Ok(feed(bus(ctx)?, scope, move |mut scope, c| async move {
            let (job_id, order_id, printer_id, state, progress_pct) = match &c.event {
                Event::Job(e) => (
                    JobId(e.job_id),
                    OrderId(e.order_id),
                    e.printer_id,
                    e.to,
                    e.progress_pct,
                ),
                Event::JobProgress(e) => (
                    JobId(e.job_id),
                    OrderId(e.order_id),
                    Some(e.printer_id),
                    JobState::Printing,
                    e.progress_pct,
                ),
                _ => return (scope, None),
            };
            if only_job.is_some_and(|j| j != job_id) || only_order.is_some_and(|o| o != order_id) {
                return (scope, None);
            }
            match scope.visible(order_id).await {
                Ok(true) => {}
                Ok(false) => return (scope, None),
                Err(e) => {
                    tracing::warn!(error = %e, "jobProgress: cannot check the order's customer; event skipped");
                    return (scope, None);
                }
            }
            let out = JobProgressEvent {
                job_id: gid(job_id.0),
                order_id: gid(order_id.0),
                printer_id: printer_id.map(gid),
                state: state.into(),
                progress_pct,
                at: Ts(c.at),
            };
            (scope, Some(out))
        }))
    }

    /// Every plan the scheduler persists (`production:read`).
    #[graphql(guard = "PermissionGuard(Permission::ProductionRead)")]
    async fn plan_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = PlanChangedEvent> + use<>> {
        Ok(feed(bus(ctx)?, (), |_, c| {
            let out = match &c.event {
                Event::Plan(e) => Some(PlanChangedEvent {
                    revision: e.plan_id,
                    scheduled: e.scheduled,
                    unscheduled: e.unscheduled + e.held,
                    objective: e.objective,
                    lower_bound: e.lower_bound,
                    gap: e.gap,
                    at: Ts(c.at),
                }),
                _ => None,
            };
            std::future::ready(((), out))
        }))
    }

    /// Status changes of orders: all the caller may see, or those of `orderId`. Customers
    /// receive only their own orders'.
    #[graphql(guard = "AnyPermissionGuard(&[Permission::OrdersReadAll, Permission::OrdersReadOwn])")]
    async fn order_status(
        &self,
        ctx: &Context<'_>,
        order_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = OrderStatusEvent> + use<>> {
        let p = principal(ctx)?.clone();
        let only = opt_id(order_id.as_ref(), "order")?.map(OrderId);
        if let Some(o) = only {
            let order = orders::order(ctx.data::<Db>()?, &Caller::SYSTEM, o)
                .await
                .map_err(app_error)?;
            if !p.may_see_customer(order.customer_id) {
                return Err(not_found("order", o.0));
            }
        }
        Ok(feed(bus(ctx)?, (), move |_, c| {
            let out = match &c.event {
                Event::Order(e)
                    if only.is_none_or(|o| o.0 == e.order_id)
                        && p.may_see_customer(CustomerId(e.customer_id)) =>
                {
                    Some(OrderStatusEvent {
                        order_id: gid(e.order_id),
                        customer_id: gid(e.customer_id),
                        status: e.to.into(),
                        at: Ts(c.at),
                    })
                }
                _ => None,
            };
            std::future::ready(((), out))
        }))
    }
}

/// The token of a `connection_init` payload: `{"authorization": "Bearer <token>"}` (the key is
/// matched case-insensitively).
fn payload_token(payload: &serde_json::Value) -> Option<&str> {
    let value = payload
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?
        .1
        .as_str()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Authenticates a WebSocket connection from its `connection_init` payload; the error message
/// (the close reason) starts with the error code.
pub async fn connection_init(auth: Auth, db: Db, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let Some(token) = payload_token(&payload) else {
        return Err(async_graphql::Error::new(
            "UNAUTHENTICATED: connection_init needs the payload {\"authorization\": \"Bearer <token>\"}",
        ));
    };
    match authenticate(&auth, &db, token, gantry_app::now()).await {
        Ok(principal) => {
            let mut data = Data::default();
            data.insert(principal);
            Ok(data)
        }
        Err(e) => {
            let kind = e.kind();
            let message = app_error(AppError::from(e)).message;
            Err(async_graphql::Error::new(format!(
                "{}: {message}",
                kind.as_code()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_init_payload_token() {
        let t = |v: serde_json::Value| payload_token(&v).map(str::to_owned);
        assert_eq!(
            t(serde_json::json!({"authorization": "Bearer abc"})),
            Some("abc".into())
        );
        assert_eq!(
            t(serde_json::json!({"Authorization": "bearer  abc "})),
            Some("abc".into())
        );
        assert_eq!(t(serde_json::json!({"authorization": "Basic abc"})), None);
        assert_eq!(t(serde_json::json!({"authorization": "Bearer "})), None);
        assert_eq!(t(serde_json::json!({"token": "abc"})), None);
        assert_eq!(t(serde_json::json!(null)), None);
    }
}
