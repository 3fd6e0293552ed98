//! Integrations (pure): signed webhooks out (Standard Webhooks), and the signatures and
//! payloads of webhooks in (payment provider, shops, carriers). `docs/integrations.md` is the
//! contract.
//!
//! - [`signing`]: HMAC-SHA256 signatures in each format, secrets, timestamp tolerance.
//! - [`delivery`]: endpoint URLs (and the SSRF rule: no private or loopback targets unless
//!   allowed), event-type subscriptions, retry schedule with backoff and jitter, the circuit
//!   that disables a failing endpoint, the delivery body.
//! - [`shipments`]: an order's parcels, their status machine, the carrier webhook's payload,
//!   what they mean for the order, the packing slip.
//! - [`exports`]: orders, invoices, payments, customers and the ledger of a period as CSV or
//!   XLSX.

pub mod delivery;
pub mod exports;
pub mod payments;
pub mod shipments;
pub mod shops;
pub mod signing;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_shipping;

use crate::error::{Coded, ErrorKind};

/// Refusals of the integrations module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrationError {
    /// An endpoint URL is not a plain http(s) URL.
    #[error("invalid endpoint URL {url:?}: {reason}")]
    UrlInvalid { url: String, reason: &'static str },
    /// An endpoint URL points at a private, loopback or otherwise non-public address.
    #[error("endpoint host {host} is a private or loopback address; not allowed by configuration")]
    UrlForbidden { host: String },
    /// An event type is not one of `docs/events.md`.
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    /// An endpoint subscribes to no event type.
    #[error("at least one event type is required")]
    NoEventTypes,
    /// An endpoint subscribes to too many event types.
    #[error("{0} event types; at most 64")]
    TooManyEventTypes(usize),
    /// A description is too long or has control characters.
    #[error("the description must be at most 200 characters without control characters")]
    DescriptionInvalid,
    /// A webhook secret is not `whsec_` + base64 of 16–64 bytes.
    #[error("invalid secret: expected whsec_ followed by base64")]
    SecretInvalid,
    /// A signature is missing, malformed or does not match.
    #[error("invalid signature: {0}")]
    SignatureInvalid(&'static str),
    /// A signed timestamp is further from now than the tolerance.
    #[error("signed timestamp is {skew_secs} s from now; the tolerance is 300 s")]
    TimestampOutOfTolerance { skew_secs: i64 },
    /// The same signed request arrived before.
    #[error("this signed request was received before (replay)")]
    Replay,
    /// An inbound payload is not the JSON expected.
    #[error("invalid payload: {0}")]
    PayloadInvalid(String),
    /// A time range is empty or reversed, or a setting is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        field: &'static str,
        reason: &'static str,
    },
    /// A shipment's carrier, service, tracking number or note is not acceptable.
    #[error("invalid shipment {field}: {reason}")]
    ShipmentInvalid {
        field: &'static str,
        reason: &'static str,
    },
    /// The shipment status machine does not allow `from → to`.
    #[error("shipment cannot go from {from} to {to}")]
    ShipmentIllegalTransition { from: &'static str, to: &'static str },
    /// The order is not ready or shipped, so it cannot get a shipment.
    #[error("an order that is {status} cannot get a shipment (it must be ready or shipped)")]
    OrderNotShippable { status: &'static str },
    /// Another shipment of this carrier has this tracking number.
    #[error("carrier {carrier} already has a shipment with tracking number {tracking_number}")]
    TrackingTaken {
        carrier: String,
        tracking_number: String,
    },
    /// No shipment has this carrier and tracking number.
    #[error("no shipment of carrier {carrier} with tracking number {tracking_number}")]
    ShipmentUnknown {
        carrier: String,
        tracking_number: String,
    },
    /// An export's period is not readable, reversed or too long.
    #[error("invalid export period ({field}): {reason}")]
    ExportPeriodInvalid {
        field: &'static str,
        reason: &'static str,
    },
    /// An export or format name is unknown.
    #[error("unknown export {0:?}: expected orders, invoices, payments, customers or ledger, as csv or xlsx")]
    ExportUnknown(String),
    /// The period holds more rows than one export may.
    #[error("the period holds more than {max_rows} rows; export a shorter period")]
    ExportTooLarge { max_rows: i64 },
    /// Writing the export file failed (not expected: it is written in memory).
    #[error("could not write the export: {0}")]
    ExportFailed(String),
}

impl Coded for IntegrationError {
    fn code(&self) -> &'static str {
        match self {
            IntegrationError::UrlInvalid { .. } => "WEBHOOK_URL_INVALID",
            IntegrationError::UrlForbidden { .. } => "WEBHOOK_URL_FORBIDDEN",
            IntegrationError::UnknownEventType(_) => "WEBHOOK_UNKNOWN_EVENT_TYPE",
            IntegrationError::NoEventTypes => "WEBHOOK_NO_EVENT_TYPES",
            IntegrationError::TooManyEventTypes(_) => "WEBHOOK_TOO_MANY_EVENT_TYPES",
            IntegrationError::DescriptionInvalid => "WEBHOOK_DESCRIPTION_INVALID",
            IntegrationError::SecretInvalid => "WEBHOOK_SECRET_INVALID",
            IntegrationError::SignatureInvalid(_) => "WEBHOOK_SIGNATURE_INVALID",
            IntegrationError::TimestampOutOfTolerance { .. } => "WEBHOOK_TIMESTAMP_STALE",
            IntegrationError::Replay => "WEBHOOK_REPLAY",
            IntegrationError::PayloadInvalid(_) => "WEBHOOK_PAYLOAD_INVALID",
            IntegrationError::InvalidArgument { .. } => "INTEGRATION_INVALID_ARGUMENT",
            IntegrationError::ShipmentInvalid { .. } => "SHIPMENT_INVALID",
            IntegrationError::ShipmentIllegalTransition { .. } => "SHIPMENT_ILLEGAL_TRANSITION",
            IntegrationError::OrderNotShippable { .. } => "SHIPMENT_ORDER_NOT_SHIPPABLE",
            IntegrationError::TrackingTaken { .. } => "SHIPMENT_TRACKING_TAKEN",
            IntegrationError::ShipmentUnknown { .. } => "SHIPMENT_UNKNOWN",
            IntegrationError::ExportPeriodInvalid { .. } => "EXPORT_PERIOD_INVALID",
            IntegrationError::ExportUnknown(_) => "EXPORT_UNKNOWN",
            IntegrationError::ExportTooLarge { .. } => "EXPORT_TOO_LARGE",
            IntegrationError::ExportFailed(_) => "EXPORT_FAILED",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            IntegrationError::SignatureInvalid(_) | IntegrationError::TimestampOutOfTolerance { .. } => {
                ErrorKind::Unauthenticated
            }
            IntegrationError::Replay
            | IntegrationError::ShipmentIllegalTransition { .. }
            | IntegrationError::OrderNotShippable { .. }
            | IntegrationError::TrackingTaken { .. } => ErrorKind::Conflict,
            IntegrationError::ShipmentUnknown { .. } => ErrorKind::NotFound,
            IntegrationError::ExportFailed(_) => ErrorKind::Internal,
            _ => ErrorKind::Validation,
        }
    }
}
