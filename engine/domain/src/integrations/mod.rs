//! Integrations (pure): signed webhooks out (Standard Webhooks), and the signatures and
//! payloads of webhooks in (payment provider, shops, carriers). `docs/integrations.md` is the
//! contract.
//!
//! - [`signing`]: HMAC-SHA256 signatures in each format, secrets, timestamp tolerance.
//! - [`delivery`]: endpoint URLs (and the SSRF rule: no private or loopback targets unless
//!   allowed), event-type subscriptions, retry schedule with backoff and jitter, the circuit
//!   that disables a failing endpoint, the delivery body.

pub mod delivery;
pub mod payments;
pub mod shops;
pub mod signing;

#[cfg(test)]
mod tests;

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
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            IntegrationError::SignatureInvalid(_) | IntegrationError::TimestampOutOfTolerance { .. } => {
                ErrorKind::Unauthenticated
            }
            IntegrationError::Replay => ErrorKind::Conflict,
            _ => ErrorKind::Validation,
        }
    }
}
