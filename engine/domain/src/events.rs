//! Domain events: what happened, as a value. The store appends one to the event outbox in the
//! same transaction as the change it describes (`store::events`), so no committed change goes
//! without its event and no event exists for a change that was rolled back. The JSON of each
//! payload is a public contract (`docs/events.md`; webhooks deliver it): fields are only ever
//! added, and a breaking change bumps [`PAYLOAD_VERSION`].

use serde::{Deserialize, Serialize};

use crate::equipment::PrinterStatus;
use crate::integrations::shipments::ShipmentStatus;
use crate::orders::OrderStatus;
use crate::production::JobState;

/// The version of every payload's JSON shape.
pub const PAYLOAD_VERSION: i64 = 1;

/// One committed change others care about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Event {
    Order(OrderEvent),
    Job(JobEvent),
    JobProgress(JobProgressEvent),
    JobPriority(JobPriorityEvent),
    JobPinned(JobPinnedEvent),
    JobUnpinned(JobUnpinnedEvent),
    Printer(PrinterEvent),
    PrinterCreated(PrinterCreatedEvent),
    PrinterUpdated(PrinterUpdatedEvent),
    MaterialLoaded(MaterialLoadedEvent),
    Maintenance(MaintenanceEvent),
    Plan(PlanEvent),
    StockLow(StockLowEvent),
    Quote(QuoteEvent),
    /// A CRM change (`lead.*`, `deal.*`, `ticket.*`, `contact.*`).
    Crm(crate::crm::CrmEvent),
    SpoolReceived(SpoolReceivedEvent),
    StockAdjusted(StockAdjustedEvent),
    Invoice(InvoiceEvent),
    WebhookEndpointDisabled(WebhookEndpointDisabledEvent),
    Payment(PaymentEvent),
    ShopOrderHeld(ShopOrderHeldEvent),
    Shipment(ShipmentEvent),
    ShiftsChanged(ShiftsChangedEvent),
    PlanningSettings(PlanningSettingsEvent),
}

/// An order was created (`from: null`) or moved to another status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub order_id: i64,
    pub customer_id: i64,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub by_user_id: Option<i64>,
    pub note: String,
}

/// A production job was created (`from: null`) or changed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub job_id: i64,
    pub order_id: i64,
    pub printer_id: Option<i64>,
    pub from: Option<JobState>,
    pub to: JobState,
    pub progress_pct: i64,
    pub attempt: i64,
    pub note: String,
}

/// A printing job's progress moved forward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobProgressEvent {
    pub job_id: i64,
    pub order_id: i64,
    pub printer_id: i64,
    pub progress_pct: i64,
}

/// A waiting job's priority was changed by hand (`by_user_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPriorityEvent {
    pub job_id: i64,
    pub order_id: i64,
    pub from_priority: i64,
    pub to_priority: i64,
    pub by_user_id: Option<i64>,
}

/// A planner pinned a waiting job to a printer, not before `starts_at` (ms since the epoch,
/// UTC): the plans that follow keep it there (`by_user_id`: who).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobPinnedEvent {
    pub job_id: i64,
    pub order_id: i64,
    pub printer_id: i64,
    pub starts_at: i64,
    pub by_user_id: Option<i64>,
}

/// A planner released a job's pin: the plans that follow place it freely again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUnpinnedEvent {
    pub job_id: i64,
    pub order_id: i64,
    pub by_user_id: Option<i64>,
}

/// The farm's weekly operator shifts were replaced (`shifts`: the whole new timetable, UTC;
/// empty: always staffed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftsChangedEvent {
    pub shifts: Vec<ShiftPayload>,
    pub by_user_id: Option<i64>,
}

/// One weekly shift in an event: weekday 0 = Monday, minutes of the day (an end at or before
/// the start: the next day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftPayload {
    pub weekday: i64,
    pub start_minute: i64,
    pub end_minute: i64,
}

/// A planner changed what plans are made under: a power circuit (`circuit_saved`,
/// `circuit_deleted`; `subject`: its name), a printer model's draw (`model_power_saved`;
/// `subject`: the model) or the stability settings (`settings_saved`; `subject`: `stability`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanningSettingsEvent {
    pub change: String,
    pub subject: String,
    pub by_user_id: Option<i64>,
}

/// A printer moved to another status (`job_id`: the job printing on it, if any).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterEvent {
    pub printer_id: i64,
    pub from: PrinterStatus,
    pub to: PrinterStatus,
    pub job_id: Option<i64>,
    pub progress_pct: Option<i64>,
}

/// A printer was added to the farm (its status is `idle`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterCreatedEvent {
    pub printer_id: i64,
    pub name: String,
}

/// A printer's record was edited (`printer.updated`) or the printer was retired
/// (`printer.retired`: out of the farm for good).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterUpdatedEvent {
    pub printer_id: i64,
    pub name: String,
    pub group: Option<String>,
    pub retired: bool,
    pub by_user_id: Option<i64>,
}

/// A material was loaded into a printer (`material_id: null`: unloaded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialLoadedEvent {
    pub printer_id: i64,
    pub material_id: Option<i64>,
}

/// A maintenance window was planned, generated, completed or cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceEvent {
    pub window_id: i64,
    pub printer_id: i64,
    /// `scheduled`, `completed` or `cancelled`.
    pub change: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// A new plan was persisted: how many jobs it placed, took off the plan and holds back (e.g.
/// no stock), with its objective, proved lower bound and gap. The plan itself is read with the
/// `plan` query (`plan_id` is its id there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEvent {
    /// The persisted plan's id (0 in events written before plans were recorded).
    #[serde(default)]
    pub plan_id: i64,
    pub scheduled: i64,
    pub unscheduled: i64,
    pub held: i64,
    #[serde(default)]
    pub objective: f64,
    #[serde(default)]
    pub lower_bound: f64,
    #[serde(default)]
    pub gap: f64,
}

/// A material's available stock fell below its low-stock threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockLowEvent {
    pub material_id: i64,
    pub code: String,
    pub available_grams: i64,
    pub threshold_grams: i64,
}

/// A quote was priced and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteEvent {
    pub quote_id: i64,
    pub customer_id: Option<i64>,
    pub model_id: i64,
    pub total_minor: i64,
    pub currency: String,
    pub earliest_delivery_at: Option<i64>,
}

/// A spool (or lot) was received into stock at its lot cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpoolReceivedEvent {
    pub spool_id: i64,
    pub material_id: i64,
    pub grams: i64,
    /// The lot cost per kilogram, minor units of `currency`.
    pub cost_per_kg_minor: i64,
    pub currency: String,
    /// Paid in cash on receipt (else bought on account; events written before this field
    /// existed read as on account).
    #[serde(default)]
    pub paid_in_cash: bool,
}

/// A spool's grams changed outside production: a physical count (`adjustment`, signed
/// `grams`) or a scrapped spool (`scrap`, negative `grams`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockAdjustedEvent {
    pub spool_id: i64,
    pub material_id: i64,
    /// `adjustment` or `scrap`.
    pub kind: String,
    pub grams: i64,
}

/// An invoice or a credit note was issued (finance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceEvent {
    pub invoice_id: i64,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: String,
    pub order_id: i64,
    pub customer_id: i64,
    pub total_minor: i64,
    pub currency: String,
}
/// The circuit disabled a webhook endpoint that kept failing (issue #15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpointDisabledEvent {
    pub endpoint_id: i64,
    pub url: String,
    pub consecutive_failures: i64,
    pub reason: String,
}

/// A provider's payment was recorded against an order (`payment.recorded`, the order is now
/// paid; the ledger posts from this) or held for a person (`payment.held`: no matching order,
/// wrong currency or amount, order not awaiting payment; `order_id` is what it named, if any).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub payment_id: i64,
    pub order_id: Option<i64>,
    pub amount_minor: i64,
    pub currency: String,
    pub provider: String,
    /// The provider's payment object (`pi_…`) and event (`evt_…`).
    pub reference: String,
    pub provider_event_id: String,
    /// Why it is held (`null` when recorded).
    pub held_reason: Option<String>,
}

/// A shop's order could not become a Gantry order (e.g. an unknown SKU) and waits for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopOrderHeldEvent {
    pub shop_order_id: i64,
    pub shop: String,
    pub external_id: String,
    pub reason: String,
}

/// A shipment of an order was created (`from: null`), changed status, or had its carrier,
/// service or tracking number corrected (`shipment.updated`: `from` = `to`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentEvent {
    pub shipment_id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub carrier: String,
    pub service: String,
    pub tracking_number: String,
    pub from: Option<ShipmentStatus>,
    pub to: ShipmentStatus,
    /// Who changed it (`null`: the carrier's webhook or the system).
    pub by_user_id: Option<i64>,
    pub note: String,
}

/// Every event type (`docs/events.md` lists each with its payload; webhook endpoints subscribe
/// to these and no others).
pub const TYPES: &[&str] = &[
    "order.created",
    "order.status_changed",
    "job.created",
    "job.state_changed",
    "job.progress",
    "job.priority_changed",
    "job.pinned",
    "job.unpinned",
    "planning.settings_changed",
    "printer.status_changed",
    "printer.created",
    "printer.updated",
    "printer.retired",
    "printer.material_loaded",
    "maintenance.changed",
    "plan.changed",
    "stock.low",
    "quote.created",
    "webhook.endpoint_disabled",
    "payment.recorded",
    "payment.held",
    "shop_order.held",
    "shipment.created",
    "shipment.status_changed",
    "shipment.updated",
    "lead.created",
    "lead.status_changed",
    "deal.created",
    "deal.stage_changed",
    "deal.won",
    "ticket.opened",
    "ticket.replied",
    "ticket.status_changed",
    "contact.erased",
    "spool.received",
    "stock.adjusted",
    "invoice.issued",
    "credit_note.issued",
    "shifts.changed",
];

impl Event {
    /// The event's type, e.g. `job.state_changed` (stable; `docs/events.md` lists them all).
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Order(e) if e.from.is_none() => "order.created",
            Event::Order(_) => "order.status_changed",
            Event::Job(e) if e.from.is_none() => "job.created",
            Event::Job(_) => "job.state_changed",
            Event::JobProgress(_) => "job.progress",
            Event::JobPriority(_) => "job.priority_changed",
            Event::JobPinned(_) => "job.pinned",
            Event::JobUnpinned(_) => "job.unpinned",
            Event::PlanningSettings(_) => "planning.settings_changed",
            Event::Printer(_) => "printer.status_changed",
            Event::PrinterCreated(_) => "printer.created",
            Event::PrinterUpdated(e) if e.retired => "printer.retired",
            Event::PrinterUpdated(_) => "printer.updated",
            Event::MaterialLoaded(_) => "printer.material_loaded",
            Event::Maintenance(_) => "maintenance.changed",
            Event::Plan(_) => "plan.changed",
            Event::StockLow(_) => "stock.low",
            Event::Quote(_) => "quote.created",
            Event::Crm(e) => e.type_name(),
            Event::SpoolReceived(_) => "spool.received",
            Event::StockAdjusted(_) => "stock.adjusted",
            Event::Invoice(e) if e.kind == "credit_note" => "credit_note.issued",
            Event::Invoice(_) => "invoice.issued",
            Event::WebhookEndpointDisabled(_) => "webhook.endpoint_disabled",
            Event::Payment(e) if e.held_reason.is_none() => "payment.recorded",
            Event::Payment(_) => "payment.held",
            Event::ShopOrderHeld(_) => "shop_order.held",
            Event::Shipment(e) if e.from.is_none() => "shipment.created",
            Event::Shipment(e) if e.from == Some(e.to) => "shipment.updated",
            Event::Shipment(_) => "shipment.status_changed",
            Event::ShiftsChanged(_) => "shifts.changed",
        }
    }

    /// The kind and id of the thing that changed (a plan: its persisted id).
    pub fn aggregate(&self) -> (&'static str, i64) {
        match self {
            Event::Order(e) => ("order", e.order_id),
            Event::Job(e) => ("job", e.job_id),
            Event::JobProgress(e) => ("job", e.job_id),
            Event::JobPriority(e) => ("job", e.job_id),
            Event::JobPinned(e) => ("job", e.job_id),
            Event::JobUnpinned(e) => ("job", e.job_id),
            Event::PlanningSettings(_) => ("planning", 0),
            Event::Printer(e) => ("printer", e.printer_id),
            Event::PrinterCreated(e) => ("printer", e.printer_id),
            Event::PrinterUpdated(e) => ("printer", e.printer_id),
            Event::MaterialLoaded(e) => ("printer", e.printer_id),
            Event::Maintenance(e) => ("printer", e.printer_id),
            Event::Plan(e) => ("plan", e.plan_id),
            Event::StockLow(e) => ("material", e.material_id),
            Event::Quote(e) => ("quote", e.quote_id),
            Event::Crm(e) => e.aggregate(),
            Event::SpoolReceived(e) => ("spool", e.spool_id),
            Event::StockAdjusted(e) => ("spool", e.spool_id),
            Event::Invoice(e) => ("invoice", e.invoice_id),
            Event::WebhookEndpointDisabled(e) => ("webhook_endpoint", e.endpoint_id),
            Event::Payment(e) => ("payment", e.payment_id),
            Event::ShopOrderHeld(e) => ("shop_order", e.shop_order_id),
            Event::Shipment(e) => ("shipment", e.shipment_id),
            Event::ShiftsChanged(_) => ("farm", 0),
        }
    }

    /// The payload's JSON (the store appends it with [`Event::type_name`]).
    pub fn payload_json(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| e.to_string())
    }

    /// Reads a stored event back from its type and JSON payload (an error for an unknown type
    /// or a payload that does not fit it, e.g. one written by a newer version).
    pub fn parse(type_name: &str, payload: &str) -> Result<Event, String> {
        fn de<T: serde::de::DeserializeOwned>(p: &str) -> Result<T, String> {
            serde_json::from_str(p).map_err(|e| e.to_string())
        }
        Ok(match type_name {
            "order.created" | "order.status_changed" => Event::Order(de(payload)?),
            "job.created" | "job.state_changed" => Event::Job(de(payload)?),
            "job.progress" => Event::JobProgress(de(payload)?),
            "job.priority_changed" => Event::JobPriority(de(payload)?),
            "job.pinned" => Event::JobPinned(de(payload)?),
            "job.unpinned" => Event::JobUnpinned(de(payload)?),
            "planning.settings_changed" => Event::PlanningSettings(de(payload)?),
            "printer.status_changed" => Event::Printer(de(payload)?),
            "printer.created" => Event::PrinterCreated(de(payload)?),
            "printer.updated" | "printer.retired" => Event::PrinterUpdated(de(payload)?),
            "printer.material_loaded" => Event::MaterialLoaded(de(payload)?),
            "maintenance.changed" => Event::Maintenance(de(payload)?),
            "plan.changed" => Event::Plan(de(payload)?),
            "stock.low" => Event::StockLow(de(payload)?),
            "quote.created" => Event::Quote(de(payload)?),
            "spool.received" => Event::SpoolReceived(de(payload)?),
            "stock.adjusted" => Event::StockAdjusted(de(payload)?),
            "invoice.issued" | "credit_note.issued" => Event::Invoice(de(payload)?),
            "webhook.endpoint_disabled" => Event::WebhookEndpointDisabled(de(payload)?),
            "payment.recorded" | "payment.held" => Event::Payment(de(payload)?),
            "shop_order.held" => Event::ShopOrderHeld(de(payload)?),
            "shifts.changed" => Event::ShiftsChanged(de(payload)?),
            "shipment.created" | "shipment.status_changed" | "shipment.updated" => {
                Event::Shipment(de(payload)?)
            }
            other => match crate::crm::CrmEvent::parse(other, payload) {
                Some(e) => Event::Crm(e?),
                None => return Err(format!("unknown event type {other:?}")),
            },
        })
    }

    /// Whether the change may change the plan: the scheduler re-plans after it. Changes the
    /// scheduler and the printers make themselves (scheduling, starting, progress, the plan)
    /// are not: they reach the scheduler directly, and re-planning on them would loop.
    pub fn affects_plan(&self) -> bool {
        match self {
            Event::Order(e) => matches!(e.to, OrderStatus::Cancelled | OrderStatus::Refunded),
            // A job the plan itself takes off a printer (scheduled → queued) is not news to it.
            Event::Job(e) => {
                e.from.is_none()
                    || e.to == JobState::Cancelled
                    || (e.to == JobState::Queued && e.from != Some(JobState::Scheduled))
            }
            Event::Printer(e) => [e.from, e.to].iter().any(|s| {
                matches!(
                    s,
                    PrinterStatus::Maintenance | PrinterStatus::Offline | PrinterStatus::Error
                )
            }),
            Event::PrinterCreated(_)
            | Event::PrinterUpdated(_)
            | Event::MaterialLoaded(_)
            | Event::Maintenance(_)
            | Event::JobPriority(_)
            | Event::JobPinned(_)
            | Event::JobUnpinned(_)
            | Event::ShiftsChanged(_)
            | Event::PlanningSettings(_) => true,
            Event::JobProgress(_)
            | Event::Plan(_)
            | Event::StockLow(_)
            | Event::Quote(_)
            | Event::Crm(_)
            | Event::SpoolReceived(_)
            | Event::StockAdjusted(_)
            | Event::Invoice(_)
            | Event::WebhookEndpointDisabled(_)
            | Event::Payment(_)
            | Event::ShopOrderHeld(_)
            | Event::Shipment(_) => false,
        }
    }
}
