//! Shipments (pure): an order's parcels with carrier, service, tracking number and status; the
//! status machine; the carrier status webhook's payload (Gantry's generic signed format, the
//! Standard Webhooks headers of [`super::signing`]); what the shipments mean for their order
//! (it ships when a parcel leaves, and is delivered when every parcel is); the packing slip.
//!
//! ```text
//! label_created → in_transit ⇄ out_for_delivery → delivered
//!        │            │  ↕ exception ↕     │
//!        └→ cancelled └──────→ returned ←──┘
//! ```
//! `delivered`, `returned` and `cancelled` are final. A parcel can be cancelled only before it
//! moves (`label_created`, or an `exception`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::IntegrationError;
use crate::finance::pdf::Document;
use crate::orders::OrderStatus;

/// Where a parcel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    LabelCreated,
    InTransit,
    OutForDelivery,
    Delivered,
    Exception,
    Returned,
    Cancelled,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 7] = [
        ShipmentStatus::LabelCreated,
        ShipmentStatus::InTransit,
        ShipmentStatus::OutForDelivery,
        ShipmentStatus::Delivered,
        ShipmentStatus::Exception,
        ShipmentStatus::Returned,
        ShipmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::LabelCreated => "label_created",
            ShipmentStatus::InTransit => "in_transit",
            ShipmentStatus::OutForDelivery => "out_for_delivery",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Exception => "exception",
            ShipmentStatus::Returned => "returned",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ShipmentStatus> {
        ShipmentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the machine allows `from → to` (a status to itself is no transition).
    pub fn can_transition(from: ShipmentStatus, to: ShipmentStatus) -> bool {
        use ShipmentStatus::*;
        matches!(
            (from, to),
            (
                LabelCreated,
                InTransit | OutForDelivery | Delivered | Exception | Cancelled
            ) | (InTransit, OutForDelivery | Delivered | Exception | Returned)
                | (OutForDelivery, InTransit | Delivered | Exception | Returned)
                | (
                    Exception,
                    InTransit | OutForDelivery | Delivered | Returned | Cancelled
                )
        )
    }

    /// [`ShipmentStatus::can_transition`] as a typed refusal.
    pub fn check_transition(from: ShipmentStatus, to: ShipmentStatus) -> Result<(), IntegrationError> {
        if ShipmentStatus::can_transition(from, to) {
            Ok(())
        } else {
            Err(IntegrationError::ShipmentIllegalTransition {
                from: from.as_str(),
                to: to.as_str(),
            })
        }
    }

    /// The parcel has left the building (its order counts as shipped).
    pub fn has_left(self) -> bool {
        matches!(
            self,
            ShipmentStatus::InTransit | ShipmentStatus::OutForDelivery | ShipmentStatus::Delivered
        )
    }
}

impl std::fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The carrier, service and tracking number of a parcel, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcel {
    /// Lower case, `[a-z0-9_-]`, 1–40 characters (`dhl`, `ups`, `la_poste`).
    pub carrier: String,
    /// Free text, at most 80 characters (`express`, `standard`); may be empty.
    pub service: String,
    /// 1–64 visible ASCII characters without blanks; unique per carrier.
    pub tracking_number: String,
}

fn invalid(field: &'static str, reason: &'static str) -> IntegrationError {
    IntegrationError::ShipmentInvalid { field, reason }
}

/// Normalises a carrier name (trimmed, lower case).
pub fn carrier(s: &str) -> Result<String, IntegrationError> {
    let c = s.trim().to_ascii_lowercase();
    if c.is_empty()
        || c.len() > 40
        || !c
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-')
    {
        return Err(invalid("carrier", "1-40 characters of a-z, 0-9, _ and -"));
    }
    Ok(c)
}

/// Checks a tracking number (trimmed).
pub fn tracking_number(s: &str) -> Result<String, IntegrationError> {
    let t = s.trim();
    if t.is_empty() || t.len() > 64 || !t.chars().all(|c| c.is_ascii_graphic()) {
        return Err(invalid(
            "trackingNumber",
            "1-64 visible ASCII characters without blanks",
        ));
    }
    Ok(t.to_string())
}

/// Checks a service name (trimmed; may be empty).
pub fn service(s: &str) -> Result<String, IntegrationError> {
    let t = s.trim();
    if t.chars().count() > 80 || t.chars().any(char::is_control) {
        return Err(invalid(
            "service",
            "at most 80 characters without control characters",
        ));
    }
    Ok(t.to_string())
}

/// Checks a note on a status change (at most 500 characters, control characters dropped).
pub fn note(s: &str) -> Result<String, IntegrationError> {
    let t: String = s.trim().chars().filter(|c| !c.is_control()).collect();
    if t.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    Ok(t)
}

impl Parcel {
    pub fn new(carrier_name: &str, service_name: &str, tracking: &str) -> Result<Parcel, IntegrationError> {
        Ok(Parcel {
            carrier: carrier(carrier_name)?,
            service: service(service_name)?,
            tracking_number: tracking_number(tracking)?,
        })
    }
}

/// A shipment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub parcel: Parcel,
    pub status: ShipmentStatus,
    /// The note of the latest change.
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One status a shipment had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentChange {
    pub from: Option<ShipmentStatus>,
    pub to: ShipmentStatus,
    pub changed_by: Option<i64>,
    /// `staff` or `carrier`.
    pub source: String,
    pub note: String,
    pub changed_at: DateTime<Utc>,
}

/// An order may get a shipment while it is `ready` (printed) or `shipped` (another parcel).
pub fn check_order_shippable(order: OrderStatus) -> Result<(), IntegrationError> {
    match order {
        OrderStatus::Ready | OrderStatus::Shipped => Ok(()),
        other => Err(IntegrationError::OrderNotShippable {
            status: other.as_str(),
        }),
    }
}

/// What an order's shipments mean for it, as the order transitions to apply in turn (each
/// through the order lifecycle): `ready → shipped` once a parcel has left, then `shipped →
/// delivered` once every parcel that is not cancelled is delivered (there must be one).
pub fn order_moves(order: OrderStatus, shipments: &[ShipmentStatus]) -> Vec<OrderStatus> {
    let live: Vec<ShipmentStatus> = shipments
        .iter()
        .copied()
        .filter(|s| *s != ShipmentStatus::Cancelled)
        .collect();
    let left = live.iter().any(|s| s.has_left());
    let all_delivered = !live.is_empty() && live.iter().all(|s| *s == ShipmentStatus::Delivered);
    let mut moves = Vec::new();
    let mut at = order;
    if at == OrderStatus::Ready && left {
        moves.push(OrderStatus::Shipped);
        at = OrderStatus::Shipped;
    }
    if at == OrderStatus::Shipped && all_delivered {
        moves.push(OrderStatus::Delivered);
    }
    moves
}

/// A carrier's status update (`POST /hooks/carrier`, `docs/integrations.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierUpdate {
    pub carrier: String,
    pub tracking_number: String,
    pub status: ShipmentStatus,
    pub note: String,
}

fn bad(reason: impl Into<String>) -> IntegrationError {
    IntegrationError::PayloadInvalid(reason.into())
}

/// Reads the carrier webhook's JSON body:
/// `{"type": "shipment.status", "carrier", "tracking_number", "status", "note"?}`.
pub fn parse_carrier_update(body: &[u8]) -> Result<CarrierUpdate, IntegrationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    match v.get("type").and_then(Value::as_str) {
        Some("shipment.status") => {}
        _ => return Err(bad("type must be \"shipment.status\"")),
    }
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    let carrier_name = text("carrier").ok_or_else(|| bad("carrier must be a string"))?;
    let tracking = text("tracking_number").ok_or_else(|| bad("tracking_number must be a string"))?;
    let status = text("status")
        .and_then(ShipmentStatus::parse)
        .ok_or_else(|| bad("status must be one of label_created, in_transit, out_for_delivery, delivered, exception, returned, cancelled"))?;
    Ok(CarrierUpdate {
        carrier: carrier(carrier_name).map_err(|e| bad(e.to_string()))?,
        tracking_number: tracking_number(tracking).map_err(|e| bad(e.to_string()))?,
        status,
        note: note(text("note").unwrap_or("")).map_err(|e| bad(e.to_string()))?,
    })
}

/// One line on a packing slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipLine {
    pub line_no: i64,
    pub description: String,
    pub quantity: i64,
}

/// What a packing slip shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackingSlip {
    pub seller: String,
    pub order_id: i64,
    pub shipment_id: i64,
    pub customer_name: String,
    pub customer_company: Option<String>,
    pub parcel: Parcel,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<SlipLine>,
}

/// Renders a packing slip as an A4 PDF (no prices: it travels in the parcel).
pub fn render_packing_slip(s: &PackingSlip) -> Vec<u8> {
    let mut d = Document::new(&format!("Packing slip {}-{}", s.order_id, s.shipment_id));
    d.text(50, 790, 20, true, "Packing slip");
    d.text(50, 765, 10, false, &s.seller);
    d.text(
        50,
        750,
        10,
        false,
        &format!("Order {} - shipment {}", s.order_id, s.shipment_id),
    );
    d.text(
        50,
        735,
        10,
        false,
        &format!("Date: {}", s.created_at.format("%Y-%m-%d")),
    );
    d.text(320, 765, 10, true, "Ship to");
    d.text(320, 750, 10, false, &s.customer_name);
    if let Some(c) = &s.customer_company {
        d.text(320, 735, 10, false, c);
    }
    let service = if s.parcel.service.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.parcel.service)
    };
    d.text(
        50,
        715,
        10,
        false,
        &format!("Carrier: {}{service}", s.parcel.carrier),
    );
    d.text(
        50,
        700,
        10,
        false,
        &format!("Tracking number: {}", s.parcel.tracking_number),
    );
    let header = |d: &mut Document, y: i64| {
        d.text(50, y, 9, true, "#");
        d.text(70, y, 9, true, "Item");
        d.text(480, y, 9, true, "Qty");
        d.text(520, y, 9, true, "Packed");
        d.rule(50, 560, y - 4);
    };
    let mut y = 670;
    header(&mut d, y);
    y -= 18;
    for l in &s.lines {
        if y < 80 {
            d.page();
            y = 790;
            header(&mut d, y);
            y -= 18;
        }
        let desc: String = l.description.chars().take(70).collect();
        d.text(50, y, 9, false, &l.line_no.to_string());
        d.text(70, y, 9, false, &desc);
        d.text(480, y, 9, false, &l.quantity.to_string());
        d.text(520, y, 9, false, "[  ]");
        y -= 14;
    }
    let units: i64 = s.lines.iter().map(|l| l.quantity).sum();
    d.rule(50, 560, y + 6);
    d.text(400, y - 10, 10, true, &format!("Units: {units}"));
    d.to_bytes()
}
