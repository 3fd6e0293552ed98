//! The CRM's events (`docs/events.md`): appended to the outbox by the store in the same
//! transaction as the change. Payloads carry ids and states, never personal data (names,
//! e-mail addresses, message text), so erasure never has to rewrite the outbox.

use serde::{Deserialize, Serialize};

use super::{DealStage, LeadSource, LeadStatus, TicketPriority, TicketStatus};

/// One CRM change others care about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CrmEvent {
    LeadCreated(LeadCreated),
    LeadStatusChanged(LeadStatusChanged),
    DealCreated(DealCreated),
    DealStageChanged(DealStageChanged),
    DealWon(DealWon),
    TicketOpened(TicketOpened),
    TicketReplied(TicketReplied),
    TicketStatusChanged(TicketStatusChanged),
    ContactErased(ContactErased),
}

/// `lead.created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadCreated {
    pub lead_id: i64,
    pub source: LeadSource,
    pub owner_id: Option<i64>,
}

/// `lead.status_changed` (`contact_id`: set when the lead was converted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadStatusChanged {
    pub lead_id: i64,
    pub from: LeadStatus,
    pub to: LeadStatus,
    pub contact_id: Option<i64>,
}

/// `deal.created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealCreated {
    pub deal_id: i64,
    pub stage: DealStage,
    pub value_minor: i64,
    pub currency: String,
    pub customer_id: Option<i64>,
    pub lead_id: Option<i64>,
}

/// `deal.stage_changed` (also to `lost` and back; `won` is `deal.won`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealStageChanged {
    pub deal_id: i64,
    pub from: DealStage,
    pub to: DealStage,
    pub probability: i64,
}

/// `deal.won`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealWon {
    pub deal_id: i64,
    pub from: DealStage,
    pub quote_id: Option<i64>,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub value_minor: i64,
    pub currency: String,
}

/// `ticket.opened`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketOpened {
    pub ticket_id: i64,
    pub customer_id: i64,
    pub order_id: Option<i64>,
    pub priority: TicketPriority,
    pub by_user_id: Option<i64>,
}

/// `ticket.replied`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketReplied {
    pub ticket_id: i64,
    pub reply_id: i64,
    pub customer_id: i64,
    pub from_staff: bool,
    pub by_user_id: Option<i64>,
}

/// `ticket.status_changed` (by hand, or by a reply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketStatusChanged {
    pub ticket_id: i64,
    pub customer_id: i64,
    pub from: TicketStatus,
    pub to: TicketStatus,
}

/// `contact.erased`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactErased {
    pub contact_id: i64,
    /// The customer record, when it was anonymised with the contact.
    pub customer_id: Option<i64>,
}

impl CrmEvent {
    /// The event's type (stable).
    pub fn type_name(&self) -> &'static str {
        match self {
            CrmEvent::LeadCreated(_) => "lead.created",
            CrmEvent::LeadStatusChanged(_) => "lead.status_changed",
            CrmEvent::DealCreated(_) => "deal.created",
            CrmEvent::DealStageChanged(_) => "deal.stage_changed",
            CrmEvent::DealWon(_) => "deal.won",
            CrmEvent::TicketOpened(_) => "ticket.opened",
            CrmEvent::TicketReplied(_) => "ticket.replied",
            CrmEvent::TicketStatusChanged(_) => "ticket.status_changed",
            CrmEvent::ContactErased(_) => "contact.erased",
        }
    }

    /// The kind and id of the thing that changed.
    pub fn aggregate(&self) -> (&'static str, i64) {
        match self {
            CrmEvent::LeadCreated(e) => ("lead", e.lead_id),
            CrmEvent::LeadStatusChanged(e) => ("lead", e.lead_id),
            CrmEvent::DealCreated(e) => ("deal", e.deal_id),
            CrmEvent::DealStageChanged(e) => ("deal", e.deal_id),
            CrmEvent::DealWon(e) => ("deal", e.deal_id),
            CrmEvent::TicketOpened(e) => ("ticket", e.ticket_id),
            CrmEvent::TicketReplied(e) => ("ticket", e.ticket_id),
            CrmEvent::TicketStatusChanged(e) => ("ticket", e.ticket_id),
            CrmEvent::ContactErased(e) => ("contact", e.contact_id),
        }
    }

    /// Reads a stored CRM event back; `None` when `type_name` is not a CRM type.
    pub fn parse(type_name: &str, payload: &str) -> Option<Result<CrmEvent, String>> {
        fn de<T: serde::de::DeserializeOwned>(
            p: &str,
            f: fn(T) -> CrmEvent,
        ) -> Option<Result<CrmEvent, String>> {
            Some(serde_json::from_str(p).map(f).map_err(|e| e.to_string()))
        }
        match type_name {
            "lead.created" => de(payload, CrmEvent::LeadCreated),
            "lead.status_changed" => de(payload, CrmEvent::LeadStatusChanged),
            "deal.created" => de(payload, CrmEvent::DealCreated),
            "deal.stage_changed" => de(payload, CrmEvent::DealStageChanged),
            "deal.won" => de(payload, CrmEvent::DealWon),
            "ticket.opened" => de(payload, CrmEvent::TicketOpened),
            "ticket.replied" => de(payload, CrmEvent::TicketReplied),
            "ticket.status_changed" => de(payload, CrmEvent::TicketStatusChanged),
            "contact.erased" => de(payload, CrmEvent::ContactErased),
            _ => None,
        }
    }
}
