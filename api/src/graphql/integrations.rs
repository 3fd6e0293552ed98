//! Integrations: outbound webhook endpoints (create with a secret shown once, rotate with an
//! overlap, enable/disable), the delivery log and replays. Managing endpoints needs
//! `webhooks:manage` (administrators only); reading endpoints and the log needs
//! `webhooks:read` (administrators and integrators, as an API-token scope).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, SecondsFormat, Utc};
use gantry_app::Db;
use gantry_app::webhooks::{
    self as hooks, AttemptRow, Delivery, DeliveryFilter, DeliveryStatus, Endpoint, EndpointInput,
};
use gantry_engine::domain::users::Permission;

use super::connection::id_arg;
use super::error::app_error;
use super::principal::PermissionGuard;

/// The configured payment-link provider (`None`: `GANTRY_PAYMENTS_PROVIDER=none`).
pub struct PaymentLinks(pub Option<crate::stripe::StripeLinks>);

/// A payment received from the provider.
#[derive(SimpleObject, Debug, Clone)]
pub struct PaymentOut {
    pub id: ID,
    pub provider: String,
    /// The provider's payment object (`pi_…`, `cs_…`).
    pub reference: String,
    pub provider_event_id: String,
    /// The order it settled (recorded) or named (held), if it exists.
    pub order_id: Option<ID>,
    pub amount_minor: i64,
    pub currency: String,
    /// `recorded` or `held`.
    pub status: String,
    /// Why a person must look at it.
    pub held_reason: Option<String>,
    pub received_at: String,
}

impl From<gantry_app::payments::Payment> for PaymentOut {
    fn from(p: gantry_app::payments::Payment) -> Self {
        PaymentOut {
            id: ID(p.id.to_string()),
            provider: p.provider,
            reference: p.reference,
            provider_event_id: p.provider_event_id,
            order_id: p.order_id.map(|o| ID(o.to_string())),
            amount_minor: p.amount_minor,
            currency: p.currency,
            status: p.status,
            held_reason: p.held_reason,
            received_at: time(p.received_at),
        }
    }
}

/// An order received from a web shop.
#[derive(SimpleObject, Debug, Clone)]
pub struct ShopOrderOut {
    pub id: ID,
    /// `shopify` or `woocommerce`.
    pub shop: String,
    /// The shop's order id.
    pub external_id: String,
    /// The Gantry order made from it.
    pub order_id: Option<ID>,
    /// `created` or `held`.
    pub status: String,
    /// Why it is held (e.g. `unknown SKU NOPE-9`).
    pub held_reason: Option<String>,
}

/// A payment link made by the provider for an order.
#[derive(SimpleObject, Debug, Clone)]
pub struct PaymentLinkOut {
    pub id: ID,
    pub order_id: ID,
    pub provider: String,
    pub reference: String,
    /// Where the customer pays.
    pub url: String,
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: String,
}

/// Whether endpoints may point at private or loopback addresses (`GANTRY_WEBHOOKS_ALLOW_PRIVATE`).
#[derive(Debug, Clone, Copy)]
pub struct WebhookPolicy {
    pub allow_private: bool,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(s: &str, field: &'static str) -> async_graphql::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            app_error(gantry_app::AppError::invalid(
                "INTEGRATION_INVALID_ARGUMENT",
                format!("{field} must be an RFC 3339 time, e.g. 2026-12-05T10:00:00Z"),
            ))
        })
}

/// A webhook endpoint (its secret is shown only when created or rotated).
#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookEndpoint {
    pub id: ID,
    pub url: String,
    pub description: String,
    /// The event types it receives (`docs/events.md`).
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why it is disabled (by hand, or by the circuit after failing again and again).
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub consecutive_failures: i64,
    /// Until when the previous secret also signs (after a rotation with an overlap).
    pub previous_secret_until: Option<String>,
    pub created_at: String,
}

impl From<Endpoint> for WebhookEndpoint {
    fn from(e: Endpoint) -> Self {
        WebhookEndpoint {
            id: ID(e.id.to_string()),
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            consecutive_failures: e.consecutive_failures,
            previous_secret_until: e
                .previous_secret_until
                .filter(|_| e.previous_secret.is_some())
                .map(time),
            created_at: time(e.created_at),
        }
    }
}

/// An endpoint with its new secret (`whsec_…`): shown this once, keep it.
#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookEndpointSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

impl From<Endpoint> for WebhookEndpointSecret {
    fn from(e: Endpoint) -> Self {
        WebhookEndpointSecret {
            secret: e.secret.clone(),
            endpoint: e.into(),
        }
    }
}

/// A delivery's state.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "gantry_app::webhooks::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet (a retry is due at `nextAttemptAt`, or the endpoint is disabled).
    Pending,
    Succeeded,
    /// The retry period ended without a successful attempt.
    Failed,
}

/// One attempt of a delivery.
#[derive(SimpleObject, Debug, Clone)]
pub struct WebhookAttempt {
    pub attempt: i64,
    pub at: String,
    pub succeeded: bool,
    /// The HTTP status, if one came back.
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

impl From<AttemptRow> for WebhookAttempt {
    fn from(a: AttemptRow) -> Self {
        WebhookAttempt {
            attempt: a.attempt,
            at: time(a.at),
            succeeded: a.succeeded,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
        }
    }
}

/// One event queued for one endpoint, with its latest attempt.
#[derive(Debug, Clone)]
pub struct WebhookDelivery(Delivery);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn endpoint_id(&self) -> ID {
        ID(self.0.endpoint_id.to_string())
    }
    /// The outbox event's id (`webhook-id` is `msg_<eventId>`).
    async fn event_id(&self) -> i64 {
        self.0.event_id
    }
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    async fn attempts(&self) -> i64 {
        self.0.attempts
    }
    async fn created_at(&self) -> String {
        time(self.0.created_at)
    }
    async fn next_attempt_at(&self) -> Option<String> {
        (self.0.status == DeliveryStatus::Pending).then(|| time(self.0.next_attempt_at))
    }
    async fn last_attempt_at(&self) -> Option<String> {
        self.0.last_attempt_at.map(time)
    }
    async fn last_status_code(&self) -> Option<i64> {
        self.0.last_status_code
    }
    async fn last_latency_ms(&self) -> Option<i64> {
        self.0.last_latency_ms
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// Every attempt, oldest first.
    async fn log(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookAttempt>> {
        let db = ctx.data::<Db>()?;
        let rows = hooks::attempts(db, self.0.id).await.map_err(app_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject, Debug, Clone)]
pub struct WebhookEndpointInput {
    /// `http(s)://…`; private and loopback hosts are refused unless allowed by configuration.
    pub url: String,
    #[graphql(default)]
    pub description: String,
    /// Event types of `docs/events.md` (see `webhookEventTypes`); at least one.
    pub event_types: Vec<String>,
}

#[derive(Default)]
pub struct IntegrationsQuery;

#[Object]
impl IntegrationsQuery {
    /// Every webhook endpoint.
    #[graphql(guard = "PermissionGuard(Permission::WebhooksRead)")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        let db = ctx.data::<Db>()?;
        let v = hooks::endpoints(db).await.map_err(app_error)?;
        Ok(v.into_iter().map(Into::into).collect())
    }

    /// The delivery log, newest first (`before`: a delivery id to page on from).
    #[graphql(guard = "PermissionGuard(Permission::WebhooksRead)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<WebhookDeliveryStatus>,
        before: Option<ID>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<WebhookDelivery>> {
        let db = ctx.data::<Db>()?;
        let filter = DeliveryFilter {
            endpoint_id: endpoint_id
                .as_ref()
                .map(|i| id_arg(i, "webhook endpoint"))
                .transpose()?,
            status: status.map(Into::into),
            before_id: before
                .as_ref()
                .map(|i| id_arg(i, "webhook delivery"))
                .transpose()?,
            limit: i64::from(first.clamp(1, 500)),
        };
        let v = hooks::deliveries(db, &filter).await.map_err(app_error)?;
        Ok(v.into_iter().map(WebhookDelivery).collect())
    }

    /// The event types an endpoint may subscribe to.
    #[graphql(guard = "PermissionGuard(Permission::WebhooksRead)")]
    async fn webhook_event_types(&self) -> Vec<String> {
        hooks::event_types().iter().map(|t| t.to_string()).collect()
    }

    /// Orders received from web shops, newest first (`heldOnly`: those held for a person).
    #[graphql(guard = "PermissionGuard(Permission::OrdersReadAll)")]
    async fn shop_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] held_only: bool,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<ShopOrderOut>> {
        let db = ctx.data::<Db>()?;
        let v = gantry_app::shops::shop_orders(db, held_only, i64::from(first.clamp(1, 500)))
            .await
            .map_err(app_error)?;
        Ok(v.into_iter()
            .map(|r| ShopOrderOut {
                id: ID(r.id.to_string()),
                shop: r.shop,
                external_id: r.external_id,
                order_id: r.order_id.map(|o| ID(o.to_string())),
                status: r.status,
                held_reason: r.held_reason,
            })
            .collect())
    }

    /// Payments received from the provider, newest first (`heldOnly`: those held for a person).
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] held_only: bool,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<PaymentOut>> {
        let db = ctx.data::<Db>()?;
        let v = gantry_app::payments::payments(db, held_only, i64::from(first.clamp(1, 500)))
            .await
            .map_err(app_error)?;
        Ok(v.into_iter().map(Into::into).collect())
    }
}

fn random_secret() -> async_graphql::Result<[u8; 24]> {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).map_err(|e| {
        tracing::error!(error = %e, "no OS randomness for a webhook secret");
        async_graphql::Error::new("internal error")
    })?;
    Ok(b)
}

#[derive(Default)]
pub struct IntegrationsMutation;

#[Object]
impl IntegrationsMutation {
    /// Creates a webhook endpoint; its secret is in the answer, once.
    #[graphql(guard = "PermissionGuard(Permission::WebhooksManage)")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointSecret> {
        let db = ctx.data::<Db>()?;
        let allow = ctx.data_opt::<WebhookPolicy>().is_some_and(|p| p.allow_private);
        let input = EndpointInput {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
        };
        let e = hooks::create_endpoint(db, gantry_app::now(), &input, &random_secret()?, allow)
            .await
            .map_err(app_error)?;
        Ok(e.into())
    }

    /// Gives an endpoint a new secret (in the answer, once); the old one also signs for
    /// `overlapHours` (0–168, default 24), so the receiver can switch without losing a delivery.
    #[graphql(guard = "PermissionGuard(Permission::WebhooksManage)")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 24)] overlap_hours: i32,
    ) -> async_graphql::Result<WebhookEndpointSecret> {
        let db = ctx.data::<Db>()?;
        let id = id_arg(&id, "webhook endpoint")?;
        let overlap = chrono::Duration::hours(i64::from(overlap_hours));
        let e = hooks::rotate_secret(db, gantry_app::now(), id, &random_secret()?, overlap)
            .await
            .map_err(app_error)?;
        Ok(e.into())
    }

    /// Enables an endpoint (pending deliveries resume) or disables it (nothing is queued or sent).
    #[graphql(guard = "PermissionGuard(Permission::WebhooksManage)")]
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let db = ctx.data::<Db>()?;
        let id = id_arg(&id, "webhook endpoint")?;
        let e = hooks::set_enabled(db, gantry_app::now(), id, enabled)
            .await
            .map_err(app_error)?;
        Ok(e.into())
    }

    /// Makes a payment link for a placed order through the configured provider.
    #[graphql(guard = "PermissionGuard(Permission::OrdersWrite)")]
    async fn create_payment_link(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<PaymentLinkOut> {
        let db = ctx.data::<Db>()?;
        let id = id_arg(&order_id, "order")?;
        let Some(provider) = ctx.data_opt::<PaymentLinks>().and_then(|p| p.0.as_ref()) else {
            return Err(app_error(gantry_app::AppError::refused(
                gantry_engine::error::ErrorKind::Validation,
                "PAYMENT_PROVIDER_NONE",
                "no payment provider is configured (GANTRY_PAYMENTS_PROVIDER)",
            )));
        };
        let l = gantry_app::payments::create_payment_link(
            db,
            gantry_app::now(),
            provider,
            gantry_engine::domain::types::OrderId(id),
        )
        .await
        .map_err(app_error)?;
        Ok(PaymentLinkOut {
            id: ID(l.id.to_string()),
            order_id: ID(l.order_id.to_string()),
            provider: l.provider,
            reference: l.reference,
            url: l.url,
            amount_minor: l.amount_minor,
            currency: l.currency,
            created_at: time(l.created_at),
        })
    }

    /// Sends one delivery again (its retry period restarts).
    #[graphql(guard = "PermissionGuard(Permission::WebhooksManage)")]
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let db = ctx.data::<Db>()?;
        let id = id_arg(&id, "webhook delivery")?;
        let d = hooks::replay_delivery(db, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(WebhookDelivery(d))
    }

    /// Sends an endpoint every event of its types that occurred in `[from, to)` again (RFC 3339
    /// times, at most 31 days apart, events still in the outbox). Returns how many.
    #[graphql(guard = "PermissionGuard(Permission::WebhooksManage)")]
    async fn replay_webhook_events(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        from: String,
        to: String,
    ) -> async_graphql::Result<i64> {
        let db = ctx.data::<Db>()?;
        let id = id_arg(&endpoint_id, "webhook endpoint")?;
        let (from, to) = (parse_time(&from, "from")?, parse_time(&to, "to")?);
        let n = hooks::replay_range(db, gantry_app::now(), id, from, to)
            .await
            .map_err(app_error)?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
