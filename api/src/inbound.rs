//! Webhooks in (issue #15): `POST /hooks/stripe` (payments), `/hooks/shopify` and
//! `/hooks/woocommerce` (shop orders). Each checks its provider's signature over the raw body
//! before reading it, then calls one use case; a refusal is a 4xx with a JSON error
//! (`{"error": {"code", "reason", "message"}}`) and writes nothing. A body over
//! `GANTRY_MAX_BODY_BYTES` is refused with 413 before it is read. Formats: `docs/integrations.md`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gantry_app::AppError;
use gantry_app::payments::{self, Received};
use gantry_engine::error::{Coded, ErrorKind};

use crate::config::PaymentsSettings;
use crate::server::AppState;

/// The inbound settings handed to the handlers.
#[derive(Debug, Clone)]
pub struct Inbound(pub PaymentsSettings);

/// Registers the inbound routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hooks/stripe", web::post().to(stripe));
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
