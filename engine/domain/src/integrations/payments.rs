//! Payments in (pure): a payment provider's event (Stripe's JSON) read into a payment, and the
//! rule that matches it to an order (in full or in part) or holds it for a person.

use serde_json::Value;

use super::IntegrationError;
use crate::error::Coded;
use crate::finance::{PaymentCheck, check_payment};
use crate::orders::Order;
use crate::types::{Currency, Money};

/// Longest accepted provider id (event, payment intent, session).
pub const REF_MAX: usize = 255;

/// A successful payment as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's event id (`evt_…`): a payment is recorded once per event.
    pub event_id: String,
    /// The provider's payment object (`pi_…`, `cs_…`).
    pub reference: String,
    pub amount_minor: i64,
    pub currency: Currency,
    /// The Gantry order it says it pays (`metadata.gantry_order_id` or `client_reference_id`).
    pub order_id: Option<i64>,
}

/// What a provider event means here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    /// Money was received.
    Paid(ProviderPayment),
    /// Another event type (acknowledged, nothing recorded).
    Ignored { event_id: String, event_type: String },
}

fn bad(reason: impl Into<String>) -> IntegrationError {
    IntegrationError::PayloadInvalid(reason.into())
}

fn text<'a>(v: &'a Value, field: &str) -> Result<&'a str, IntegrationError> {
    let s = v
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{field} must be a string")))?;
    if s.is_empty() || s.len() > REF_MAX || s.chars().any(char::is_control) {
        return Err(bad(format!("{field} must be 1 to 255 printable characters")));
    }
    Ok(s)
}

fn order_ref(v: &Value) -> Result<Option<i64>, IntegrationError> {
    let raw = v
        .get("metadata")
        .and_then(|m| m.get("gantry_order_id"))
        .or_else(|| v.get("client_reference_id"))
        .filter(|r| !r.is_null());
    match raw {
        None => Ok(None),
        Some(Value::String(s)) => Ok(s.trim().parse::<i64>().ok().filter(|n| *n > 0)),
        Some(Value::Number(n)) => Ok(n.as_i64().filter(|n| *n > 0)),
        Some(_) => Err(bad("the order reference must be a string or a number")),
    }
}

/// Reads a Stripe event (`payment_intent.succeeded` or a paid `checkout.session.completed`
/// are payments; other types are ignored).
pub fn parse_stripe_event(payload: &[u8]) -> Result<ProviderEvent, IntegrationError> {
    let v: Value = serde_json::from_slice(payload).map_err(|e| bad(format!("not JSON: {e}")))?;
    let event_id = text(&v, "id")?.to_string();
    let event_type = text(&v, "type")?.to_string();
    let obj = v
        .get("data")
        .and_then(|d| d.get("object"))
        .filter(|o| o.is_object())
        .ok_or_else(|| bad("data.object must be an object"))?;
    let amount_field = match event_type.as_str() {
        "payment_intent.succeeded" => "amount_received",
        "checkout.session.completed" if obj.get("payment_status").and_then(Value::as_str) == Some("paid") => {
            "amount_total"
        }
        _ => return Ok(ProviderEvent::Ignored { event_id, event_type }),
    };
    let amount_minor = obj
        .get(amount_field)
        .and_then(Value::as_i64)
        .filter(|a| *a > 0)
        .ok_or_else(|| bad(format!("data.object.{amount_field} must be a positive integer")))?;
    let currency = Currency::parse(&text(obj, "currency")?.to_ascii_uppercase())
        .map_err(|_| bad("data.object.currency must be a three-letter code"))?;
    Ok(ProviderEvent::Paid(ProviderPayment {
        event_id,
        reference: text(obj, "id")?.to_string(),
        amount_minor,
        currency,
        order_id: order_ref(obj)?,
    }))
}

/// How a payment applies to `order` (found by its reference, `None` when there is none), of
/// which `paid_before` was paid by payments recorded earlier: like a payment recorded by hand
/// ([`check_payment`]), it may pay a part of a placed order (the part that pays the rest
/// settles it). Otherwise why the payment is held for a person, with the reason's code: no
/// such order, another currency, an order not placed or paid already, or more than the order
/// still owes (an overpayment is held whole, not lost).
pub fn match_order(
    payment: &ProviderPayment,
    order: Option<&Order>,
    paid_before: i64,
) -> Result<PaymentCheck, String> {
    let Some(order) = order else {
        return Err(match payment.order_id {
            Some(id) => format!("no order {id}"),
            None => "the payment names no order".into(),
        });
    };
    let amount = Money::new(payment.amount_minor, payment.currency);
    check_payment(order.id.0, order.status, order.total, paid_before, amount)
        .map_err(|e| format!("{}: {e}", e.code()))
}
