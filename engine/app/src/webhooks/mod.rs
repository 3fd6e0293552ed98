//! Outbound webhooks (issue #15): managing endpoints (create with a secret shown once, rotate
//! with an overlap, enable/disable), reading the delivery log, replaying one delivery or a time
//! range. The dispatcher that delivers is [`dispatch`]. Rules are
//! `domain::integrations::delivery`; the resolvers check who may call these (admins).

pub mod dispatch;

use chrono::{DateTime, Duration, Utc};
use gantry_engine::domain::events::TYPES;
use gantry_engine::domain::integrations::IntegrationError;
use gantry_engine::domain::integrations::delivery::{self, check_description, check_event_types, check_url};
use gantry_engine::domain::integrations::signing::{SECRET_BYTES, secret_from_bytes};
use gantry_engine::store::Db;
use gantry_engine::store::webhooks::{self as store, NewEndpoint};
pub use gantry_engine::store::webhooks::{AttemptRow, Delivery, DeliveryFilter, DeliveryStatus, Endpoint};

use crate::{AppResult, conn, in_tx};

/// The longest overlap of a rotated secret.
pub const MAX_OVERLAP: Duration = Duration::days(7);
/// The longest time range one replay covers.
pub const MAX_REPLAY_RANGE: Duration = Duration::days(31);

/// What an endpoint is created from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
}

/// Creates an endpoint with a new secret from `random` (drawn from the OS by the caller). The
/// returned endpoint carries the secret: show it once. Private and loopback hosts are refused
/// unless `allow_private`.
pub async fn create_endpoint(
    db: &Db,
    now: DateTime<Utc>,
    input: &EndpointInput,
    random: &[u8; SECRET_BYTES],
    allow_private: bool,
) -> AppResult<Endpoint> {
    let url = check_url(&input.url, allow_private)?;
    let new = NewEndpoint {
        url: url.url,
        description: check_description(&input.description)?,
        event_types: check_event_types(&input.event_types, TYPES)?,
        secret: secret_from_bytes(random),
    };
    in_tx!(db, tx => store::create_endpoint(&mut tx, now, &new).await?)
}

/// Replaces an endpoint's secret with a new one (returned: show it once); the old one keeps
/// signing for `overlap` (0 to 7 days), so receivers can switch without losing a delivery.
pub async fn rotate_secret(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    random: &[u8; SECRET_BYTES],
    overlap: Duration,
) -> AppResult<Endpoint> {
    if overlap < Duration::zero() || overlap > MAX_OVERLAP {
        return Err(IntegrationError::InvalidArgument {
            field: "overlap",
            reason: "must be between 0 and 7 days",
        }
        .into());
    }
    let secret = secret_from_bytes(random);
    let until = (overlap > Duration::zero()).then(|| now + overlap);
    in_tx!(db, tx => store::rotate_secret(&mut tx, now, id, &secret, until).await?)
}

/// Enables an endpoint (its failure count cleared; pending deliveries resume) or disables it
/// by hand (nothing more is queued or sent to it).
pub async fn set_enabled(db: &Db, now: DateTime<Utc>, id: i64, enabled: bool) -> AppResult<Endpoint> {
    let reason = (!enabled).then_some("disabled by an administrator");
    in_tx!(db, tx => store::set_enabled(&mut tx, now, id, enabled, reason).await?)
}

pub async fn endpoints(db: &Db) -> AppResult<Vec<Endpoint>> {
    let mut c = conn(db).await?;
    Ok(store::list_endpoints(&mut c).await?)
}

pub async fn endpoint(db: &Db, id: i64) -> AppResult<Endpoint> {
    let mut c = conn(db).await?;
    Ok(store::get_endpoint(&mut c, id).await?)
}

/// The delivery log, newest first.
pub async fn deliveries(db: &Db, filter: &DeliveryFilter) -> AppResult<Vec<Delivery>> {
    let mut c = conn(db).await?;
    Ok(store::list_deliveries(&mut c, filter).await?)
}

/// The attempts of one delivery, oldest first.
pub async fn attempts(db: &Db, delivery_id: i64) -> AppResult<Vec<AttemptRow>> {
    let mut c = conn(db).await?;
    store::get_delivery(&mut c, delivery_id).await?;
    Ok(store::attempts(&mut c, delivery_id).await?)
}

/// Sends one delivery again (whatever its status), its retry period restarted.
pub async fn replay_delivery(db: &Db, now: DateTime<Utc>, id: i64) -> AppResult<Delivery> {
    in_tx!(db, tx => store::replay_delivery(&mut tx, now, id).await?)
}

/// Sends again to an endpoint every event of its types that occurred in `[from, to)` (at most
/// 31 days, still in the outbox). Returns how many deliveries are pending because of it.
pub async fn replay_range(
    db: &Db,
    now: DateTime<Utc>,
    endpoint_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    if to <= from || to - from > MAX_REPLAY_RANGE {
        return Err(IntegrationError::InvalidArgument {
            field: "range",
            reason: "`to` must be after `from`, at most 31 days later",
        }
        .into());
    }
    in_tx!(db, tx => store::replay_range(&mut tx, now, endpoint_id, from, to).await?)
}

/// The event types an endpoint may subscribe to.
pub fn event_types() -> &'static [&'static str] {
    TYPES
}

/// Re-exported for the transports: the URL rule the sender applies again at connect time.
pub use delivery::ip_forbidden;

impl From<IntegrationError> for crate::AppError {
    fn from(e: IntegrationError) -> Self {
        gantry_engine::error::DomainError::from(e).into()
    }
}
