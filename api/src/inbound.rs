//! Webhooks in (issue #15): `POST /hooks/stripe` (payments), `/hooks/shopify` and
//! `/hooks/woocommerce` (shop orders), `/hooks/carrier` (shipment status, Gantry's generic
//! signed format). Each checks its provider's signature over the raw body
//! before reading it, then calls one use case; a refusal is a 4xx with a JSON error
//! (`{"error": {"code", "reason", "message"}}`) and writes nothing. A body over
//! `GANTRY_MAX_BODY_BYTES` is refused with 413 before it is read. Formats: `docs/integrations.md`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gantry_app::AppError;
use gantry_app::payments::{self, Received};
use gantry_app::shipments::{self, CarrierReceived};
use gantry_app::shops::{self, ShopKind, ShopReceived};
use gantry_engine::error::{Coded, ErrorKind};

use crate::config::PaymentsSettings;
use crate::server::AppState;

/// The inbound settings handed to the handlers.
#[derive(Debug, Clone)]
pub struct Inbound(pub PaymentsSettings);

/// Registers the inbound routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hooks/stripe", web::post().to(stripe))
        .route("/hooks/shopify", web::post().to(shopify))
        .route("/hooks/woocommerce", web::post().to(woocommerce))
        .route("/hooks/carrier", web::post().to(carrier));
}

fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Validation => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal as JSON (internal details are logged, not shown).
pub fn refusal(e: &AppError) -> HttpResponse {
    let kind = e.kind();
    let message = if kind == ErrorKind::Internal {
        tracing::error!(error = %e, "inbound webhook failed");
        "internal error".to_string()
    } else {
        tracing::info!(reason = e.code(), error = %e, "inbound webhook refused");
        e.to_string()
    };
    HttpResponse::build(status_of(kind)).json(serde_json::json!({
        "error": {"code": kind.as_code(), "reason": e.code(), "message": message}
    }))
}

fn not_configured(what: &str) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "error": {"code": "NOT_FOUND", "reason": "WEBHOOK_NOT_CONFIGURED",
                  "message": format!("{what} webhooks are not configured on this server")}
    }))
}

/// The first value of a header as text ("" when absent or not text).
pub fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `POST /hooks/stripe`: a Stripe event signed with `Stripe-Signature`.
async fn stripe(
    state: web::Data<AppState>,
    inbound: web::Data<Inbound>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &inbound.0.stripe_webhook_secret else {
        return not_configured("Stripe");
    };
    let sig = header(&req, "stripe-signature");
    match payments::receive_stripe(&state.db, gantry_app::now(), &secret.0, sig, &body).await {
        Ok(r) => {
            let (status, payment) = match &r {
                Received::Recorded(p) => ("recorded", Some(p)),
                Received::Held(p) => ("held", Some(p)),
                Received::Duplicate(p) => ("duplicate", Some(p)),
                Received::Ignored { .. } => ("ignored", None),
            };
            HttpResponse::Ok().json(serde_json::json!({
                "status": status,
                "payment_id": payment.map(|p| p.id),
                "order_id": payment.and_then(|p| p.order_id),
            }))
        }
        Err(e) => refusal(&e),
    }
}

/// `POST /hooks/shopify`: `orders/create`, signed with `X-Shopify-Hmac-Sha256` (other topics
/// are acknowledged and ignored).
async fn shopify(
    state: web::Data<AppState>,
    inbound: web::Data<Inbound>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &inbound.0.shopify_webhook_secret else {
        return not_configured("Shopify");
    };
    let topic = header(&req, "x-shopify-topic");
    shop(
        &state,
        ShopKind::Shopify,
        &secret.0,
        header(&req, "x-shopify-hmac-sha256"),
        topic,
        "orders/create",
        &body,
    )
    .await
}

/// `POST /hooks/woocommerce`: `order.created`, signed with `X-WC-Webhook-Signature` (other
/// topics, and WooCommerce's ping when a webhook is saved, are acknowledged and ignored).
async fn woocommerce(
    state: web::Data<AppState>,
    inbound: web::Data<Inbound>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &inbound.0.woocommerce_webhook_secret else {
        return not_configured("WooCommerce");
    };
    let topic = header(&req, "x-wc-webhook-topic");
    shop(
        &state,
        ShopKind::WooCommerce,
        &secret.0,
        header(&req, "x-wc-webhook-signature"),
        topic,
        "order.created",
        &body,
    )
    .await
}

async fn shop(
    state: &AppState,
    kind: ShopKind,
    secret: &str,
    sig: &str,
    topic: &str,
    wanted: &str,
    body: &[u8],
) -> HttpResponse {
    if topic != wanted {
        // The signature is still checked, so an unsigned request learns nothing.
        if let Err(e) = gantry_app::domain::integrations::signing::verify_body_hmac(secret, sig, body) {
            return refusal(&e.into());
        }
        return HttpResponse::Ok().json(serde_json::json!({"status": "ignored", "topic": topic}));
    }
    match shops::receive(&state.db, gantry_app::now(), kind, secret, sig, body).await {
        Ok(r) => {
            let (status, row) = match &r {
                ShopReceived::Created(r) => ("created", r),
                ShopReceived::Held(r) => ("held", r),
                ShopReceived::Duplicate(r) => ("duplicate", r),
            };
            HttpResponse::Ok().json(serde_json::json!({
                "status": status,
                "shop_order_id": row.id,
                "order_id": row.order_id,
                "held_reason": row.held_reason,
            }))
        }
        Err(e) => refusal(&e),
    }
}

/// `POST /hooks/carrier`: a carrier's shipment status, signed with the Standard Webhooks
/// headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and the carrier secret.
async fn carrier(
    state: web::Data<AppState>,
    inbound: web::Data<Inbound>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &inbound.0.carrier_webhook_secret else {
        return not_configured("Carrier");
    };
    let received = shipments::receive_carrier(
        &state.db,
        gantry_app::now(),
        &secret.0,
        header(&req, "webhook-id"),
        header(&req, "webhook-timestamp"),
        header(&req, "webhook-signature"),
        &body,
    )
    .await;
    match received {
        Ok(r) => {
            let (status, s) = match &r {
                CarrierReceived::Updated(s) => ("updated", s),
                CarrierReceived::Unchanged(s) => ("unchanged", s),
            };
            HttpResponse::Ok().json(serde_json::json!({
                "status": status,
                "shipment_id": s.id,
                "order_id": s.order_id,
                "shipment_status": s.status.as_str(),
            }))
        }
        Err(e) => refusal(&e),
    }
}
