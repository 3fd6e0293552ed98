//! Payments in (issue #15): a payment provider's signed webhook recorded once per provider
//! event against its order (in parts like a payment recorded by hand: the part that pays the
//! rest makes it paid) or held for a person (no such order, another currency, not payable,
//! more than it owes); payment links made
//! through a [`PaymentProvider`] (Stripe is the one implementation, in the api). The ledger
//! (finance) posts from the `payment.recorded` event, never from here.

use std::future::Future;

use chrono::{DateTime, Utc};
use gantry_engine::domain::integrations::IntegrationError;
use gantry_engine::domain::integrations::payments::{ProviderEvent, match_order, parse_stripe_event};
use gantry_engine::domain::integrations::signing::verify_stripe;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::types::OrderId;
use gantry_engine::error::ErrorKind;
use gantry_engine::store::finance::next_counter;
use gantry_engine::store::finance::payments::paid_for_order;
use gantry_engine::store::payments::{self as store, NewLink, NewPayment};
pub use gantry_engine::store::payments::{Payment, PaymentLink};
use gantry_engine::store::{Db, StoreError, orders};

use crate::{AppError, AppResult, commit, conn};

/// The provider name stored with Stripe's payments.
pub const STRIPE: &str = "stripe";

/// What became of a provider's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Recorded against its order: in full (the order is now paid) or a part of it (the order
    /// stays placed until the part that pays the rest).
    Recorded(Payment),
    /// Recorded and held for a person (see `held_reason`).
    Held(Payment),
    /// The provider's event was recorded before: nothing written.
    Duplicate(Payment),
    /// Not a payment event: acknowledged, nothing recorded.
    Ignored { event_type: String },
}

/// Receives a Stripe webhook: checks `Stripe-Signature` with `secret` (5-minute tolerance),
/// refuses a signed request seen before (`WEBHOOK_REPLAY`), reads the event and records a
/// payment once per event id. Bad signatures, stale timestamps and malformed JSON write
/// nothing.
pub async fn receive_stripe(
    db: &Db,
    now: DateTime<Utc>,
    secret: &str,
    signature: &str,
    payload: &[u8],
) -> AppResult<Received> {
    verify_stripe(secret, signature, payload, now.timestamp())?;
    let event = parse_stripe_event(payload)?;
    let mut tx = db.begin().await?;
    if !store::first_receipt(&mut tx, now, STRIPE, signature.trim()).await? {
        return Err(IntegrationError::Replay.into());
    }
    let p = match event {
        ProviderEvent::Ignored { event_type, .. } => {
            commit(tx).await?;
            return Ok(Received::Ignored { event_type });
        }
        ProviderEvent::Paid(p) => p,
    };
    if let Some(existing) = store::by_provider_event(&mut tx, STRIPE, &p.event_id).await? {
        return Ok(Received::Duplicate(existing));
    }
    // Payments against orders (by hand and from providers) queue on one counter row, so two
    // parts at once cannot both pay what is left.
    if p.order_id.is_some() {
        next_counter(&mut tx, "manual_payment").await?;
    }
    let order = match p.order_id {
        Some(id) => match orders::get_order(&mut tx, OrderId(id)).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let paid_before = match &order {
        Some(o) => paid_for_order(&mut tx, o.id.0).await?,
        None => 0,
    };
    let held_reason = match match_order(&p, order.as_ref(), paid_before) {
        Ok(check) => {
            // The part that pays the rest settles the order; an earlier part leaves it placed.
            if check.settles
                && let Some(o) = &order
            {
                orders::pay(&mut tx, now, o.id, None).await?;
            }
            None
        }
        Err(why) => Some(why),
    };
    let new = NewPayment {
        provider: STRIPE.into(),
        provider_event_id: p.event_id.clone(),
        reference: p.reference,
        order_id: order.map(|o| o.id.0),
        amount_minor: p.amount_minor,
        currency: p.currency.as_str().to_string(),
        held_reason,
        payload: String::from_utf8_lossy(payload).into_owned(),
    };
    let recorded = store::record(&mut tx, now, &new).await;
    let payment = match recorded {
        Ok(p) => p,
        // The same event arrived twice at once (two signatures): the other one recorded it.
        Err(e) if e.is_unique_violation() => {
            drop(tx);
            let mut c = conn(db).await?;
            return match store::by_provider_event(&mut c, STRIPE, &p.event_id).await? {
                Some(existing) => Ok(Received::Duplicate(existing)),
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    commit(tx).await?;
    Ok(if payment.held_reason.is_some() {
        Received::Held(payment)
    } else {
        Received::Recorded(payment)
    })
}

/// Payments, newest first (only the held ones with `held_only`).
pub async fn payments(db: &Db, held_only: bool, limit: i64) -> AppResult<Vec<Payment>> {
    let mut c = conn(db).await?;
    Ok(store::list(&mut c, held_only, limit).await?)
}

/// What a provider is asked to make a payment link for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub order_id: i64,
    pub amount_minor: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub description: String,
}

/// A payment link the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLink {
    /// The provider's id for it (e.g. a Checkout Session `cs_…`).
    pub reference: String,
    /// Where the customer pays.
    pub url: String,
}

/// A payment provider that makes payment links (the api implements Stripe's; the
/// configuration chooses).
pub trait PaymentProvider: Send + Sync {
    /// The provider's name (stored with the link).
    fn name(&self) -> &'static str;
    fn create_link(&self, req: LinkRequest) -> impl Future<Output = Result<CreatedLink, String>> + Send;
}

/// Makes a payment link for a placed order through `provider` and remembers it.
pub async fn create_payment_link<P: PaymentProvider>(
    db: &Db,
    now: DateTime<Utc>,
    provider: &P,
    order_id: OrderId,
) -> AppResult<PaymentLink> {
    let order = {
        let mut c = conn(db).await?;
        orders::get_order(&mut c, order_id).await?
    };
    if order.status != OrderStatus::Placed {
        return Err(AppError::refused(
            ErrorKind::Conflict,
            "PAYMENT_ORDER_NOT_PAYABLE",
            format!(
                "order {} is {}; only a placed order is paid",
                order.id,
                order.status.as_str()
            ),
        ));
    }
    let req = LinkRequest {
        order_id: order.id.0,
        amount_minor: order.total.minor,
        currency: order.currency().as_str().to_string(),
        description: format!("Order {}", order.id),
    };
    let made = provider.create_link(req).await.map_err(|e| {
        tracing::warn!(order_id = order.id.0, error = %e, "payment provider refused a link");
        AppError::refused(
            ErrorKind::Internal,
            "PAYMENT_PROVIDER_FAILED",
            format!("the payment provider did not make a link: {e}"),
        )
    })?;
    let mut tx = db.begin().await?;
    let link = store::add_link(
        &mut tx,
        now,
        &NewLink {
            order_id: order.id,
            provider: provider.name().into(),
            reference: made.reference,
            url: made.url,
            amount_minor: order.total.minor,
            currency: order.currency().as_str().to_string(),
        },
    )
    .await?;
    commit(tx).await?;
    Ok(link)
}
