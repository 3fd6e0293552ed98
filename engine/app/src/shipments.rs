//! Shipments (issue #15): an order's parcels created and moved by staff, moved by the carrier's
//! signed status webhook, and their packing slips. The order follows its shipments (it ships
//! when a parcel leaves and is delivered when every parcel is) in the same transaction; the
//! store appends the `shipment.*` and `order.status_changed` events.

use chrono::{DateTime, Utc};
use gantry_engine::domain::integrations::IntegrationError;
use gantry_engine::domain::integrations::shipments::{
    PackingSlip, Parcel, ShipmentStatus, note, parse_carrier_update, render_packing_slip,
};
pub use gantry_engine::domain::integrations::shipments::{Shipment, ShipmentChange};
use gantry_engine::domain::integrations::signing::{secret_key, verify};
use gantry_engine::domain::types::OrderId;
use gantry_engine::store::shipments::{self as store, Source};
use gantry_engine::store::{Db, orders, payments};

use crate::{AppError, AppResult, Caller, commit, conn, in_tx};

fn visible(caller: &Caller, s: Shipment) -> AppResult<Shipment> {
    if caller.may_see(gantry_engine::domain::types::CustomerId(s.customer_id)) {
        Ok(s)
    } else {
        Err(AppError::not_found("shipment", s.id))
    }
}

/// The shipments of an order the caller may see, oldest first.
pub async fn of_order(db: &Db, caller: &Caller, order: OrderId) -> AppResult<Vec<Shipment>> {
    let mut c = conn(db).await?;
    let o = orders::get_order(&mut c, order).await?;
    if !caller.may_see(o.customer_id) {
        return Err(AppError::not_found("order", order.0));
    }
    Ok(store::of_order(&mut c, order).await?)
}

/// One shipment the caller may see.
pub async fn shipment(db: &Db, caller: &Caller, id: i64) -> AppResult<Shipment> {
    visible(caller, store::get(&mut *conn(db).await?, id).await?)
}

/// A shipment's status changes, oldest first.
pub async fn history(db: &Db, id: i64) -> AppResult<Vec<ShipmentChange>> {
    Ok(store::history(&mut *conn(db).await?, id).await?)
}

/// What a new shipment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShipment {
    pub order_id: OrderId,
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    /// Default `label_created`.
    pub status: Option<ShipmentStatus>,
    pub note: String,
}

/// Creates a shipment of a ready or shipped order.
pub async fn create(db: &Db, caller: &Caller, now: DateTime<Utc>, new: &NewShipment) -> AppResult<Shipment> {
    let parcel = Parcel::new(&new.carrier, &new.service, &new.tracking_number)?;
    let n = note(&new.note)?;
    let status = new.status.unwrap_or(ShipmentStatus::LabelCreated);
    in_tx!(db, tx => store::create(&mut tx, now, new.order_id, &parcel, status, &n, caller.user_id).await?)
}

/// Moves a shipment to another status by hand.
pub async fn set_status(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    to: ShipmentStatus,
    note_text: &str,
) -> AppResult<Shipment> {
    let n = note(note_text)?;
    in_tx!(db, tx => store::set_status(&mut tx, now, id, to, &n, caller.user_id, Source::Staff).await?.0)
}

/// Corrects a shipment's carrier, service or tracking number (`None`: unchanged).
pub async fn update(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    carrier: Option<&str>,
    service: Option<&str>,
    tracking_number: Option<&str>,
) -> AppResult<Shipment> {
    in_tx!(db, tx => {
        let s = store::get(&mut tx, id).await?;
        let parcel = Parcel::new(
            carrier.unwrap_or(&s.parcel.carrier),
            service.unwrap_or(&s.parcel.service),
            tracking_number.unwrap_or(&s.parcel.tracking_number),
        )?;
        store::update(&mut tx, now, id, &parcel, caller.user_id).await?
    })
}

/// The packing slip of a shipment the caller may see, as a PDF.
pub async fn packing_slip(db: &Db, caller: &Caller, id: i64, seller: &str) -> AppResult<Vec<u8>> {
    let mut c = conn(db).await?;
    let s = visible(caller, store::get(&mut c, id).await?)?;
    let (customer_name, customer_company, lines) = store::slip_parts(&mut c, &s).await?;
    Ok(render_packing_slip(&PackingSlip {
        seller: seller.to_string(),
        order_id: s.order_id,
        shipment_id: s.id,
        customer_name,
        customer_company,
        parcel: s.parcel,
        created_at: s.created_at,
        lines,
    }))
}

/// What became of a carrier's status webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierReceived {
    /// The shipment moved (and its order followed).
    Updated(Shipment),
    /// The shipment already had this status: nothing changed.
    Unchanged(Shipment),
}

/// The source name of carrier webhooks in the replay table.
pub const CARRIER: &str = "carrier";

/// Receives a carrier's status webhook in Gantry's generic signed format: the Standard
/// Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) signed with the
/// carrier secret (`whsec_…`), the timestamp within 5 minutes, each `webhook-id` once
/// (`WEBHOOK_REPLAY`). A bad signature, stale timestamp, replay, malformed body, unknown
/// shipment or refused transition writes nothing.
pub async fn receive_carrier(
    db: &Db,
    now: DateTime<Utc>,
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> AppResult<CarrierReceived> {
    let key = secret_key(secret)?;
    let msg_id = msg_id.trim();
    if msg_id.is_empty() || msg_id.len() > 128 {
        return Err(IntegrationError::SignatureInvalid("webhook-id must be 1-128 characters").into());
    }
    verify(&key, msg_id, timestamp, signature, body, now.timestamp())?;
    let update = parse_carrier_update(body)?;
    let mut tx = db.begin().await?;
    if !payments::first_receipt(&mut tx, now, CARRIER, msg_id).await? {
        return Err(IntegrationError::Replay.into());
    }
    let Some(s) = store::by_tracking(&mut tx, &update.carrier, &update.tracking_number).await? else {
        return Err(IntegrationError::ShipmentUnknown {
            carrier: update.carrier,
            tracking_number: update.tracking_number,
        }
        .into());
    };
    let (s, changed) = store::set_status(
        &mut tx,
        now,
        s.id,
        update.status,
        &update.note,
        None,
        Source::Carrier,
    )
    .await?;
    commit(tx).await?;
    Ok(if changed {
        CarrierReceived::Updated(s)
    } else {
        CarrierReceived::Unchanged(s)
    })
}
