//! Support tickets: a customer's question or complaint, maybe about an order, with replies,
//! a status, a priority, and the two service times (first response, resolution).
//!
//! Status machine: `open ⇄ pending` (pending: waiting for the customer), `open | pending →
//! resolved`, `resolved → open` (reopened), `open | pending | resolved → closed`; `closed` is
//! final. A staff reply sets the first-response time once and moves an open ticket to
//! pending; a customer reply moves a pending or resolved ticket back to open. A closed ticket
//! takes no replies.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{BODY_MAX, ContactId, CrmError, NAME_MAX, ReplyId, TicketId, named_enum, text};
use crate::types::{CustomerId, OrderId, UserId};

named_enum!(
    /// Where a ticket stands.
    TicketStatus {
        Open = "open",
        Pending = "pending",
        Resolved = "resolved",
        Closed = "closed",
    }
);

named_enum!(
    /// How urgent a ticket is.
    TicketPriority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

impl TicketStatus {
    /// Whether the status machine allows `from → to`.
    pub fn can_transition(from: TicketStatus, to: TicketStatus) -> bool {
        use TicketStatus::*;
        matches!(
            (from, to),
            (Open, Pending)
                | (Pending, Open)
                | (Open | Pending, Resolved)
                | (Resolved, Open)
                | (Open | Pending | Resolved, Closed)
        )
    }

    /// Whether the ticket still needs work (open or pending).
    pub fn is_open(self) -> bool {
        matches!(self, TicketStatus::Open | TicketStatus::Pending)
    }
}

/// Input for a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketInput {
    pub customer_id: CustomerId,
    pub contact_id: Option<ContactId>,
    pub order_id: Option<OrderId>,
    pub subject: String,
    /// The first message.
    pub body: String,
    pub priority: TicketPriority,
}

impl TicketInput {
    /// Validates the subject and first message.
    pub fn validate(&self) -> Result<TicketInput, CrmError> {
        Ok(TicketInput {
            subject: text("subject", &self.subject, NAME_MAX, false)?,
            body: reply_body(&self.body)?,
            ..self.clone()
        })
    }

    /// Refuses an order of another customer (`order_customer`: the order's customer).
    pub fn check_order(&self, order_customer: CustomerId) -> Result<(), CrmError> {
        match self.order_id {
            Some(order) if order_customer != self.customer_id => Err(CrmError::TicketOrderMismatch {
                order: order.0,
                customer: self.customer_id.0,
            }),
            _ => Ok(()),
        }
    }
}

/// Validates a reply's (or first message's) body.
pub fn reply_body(body: &str) -> Result<String, CrmError> {
    text("message", body, BODY_MAX, true)
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: TicketId,
    pub customer_id: CustomerId,
    pub contact_id: Option<ContactId>,
    pub order_id: Option<OrderId>,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub assignee_id: Option<UserId>,
    pub opened_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The first staff reply.
    pub first_response_at: Option<DateTime<Utc>>,
    /// When it was (last) resolved; cleared when reopened.
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// Seconds from opening to the first staff reply.
    pub fn first_response_secs(&self) -> Option<i64> {
        self.first_response_at
            .map(|t| (t - self.created_at).num_seconds())
    }

    /// Seconds from opening to resolution.
    pub fn resolution_secs(&self) -> Option<i64> {
        self.resolved_at.map(|t| (t - self.created_at).num_seconds())
    }
}

/// A reply on a ticket (the first message is a reply too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub id: ReplyId,
    pub ticket_id: TicketId,
    pub author_id: Option<UserId>,
    /// Written by staff (not by the customer).
    pub from_staff: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A ticket's new state after a command, and whether its status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    pub ticket: Ticket,
    /// `Some(from)` when the status changed.
    pub status_from: Option<TicketStatus>,
}

/// The ticket after a reply (staff or customer) at `now`.
pub fn after_reply(ticket: &Ticket, from_staff: bool, now: DateTime<Utc>) -> Result<TicketUpdate, CrmError> {
    if ticket.status == TicketStatus::Closed {
        return Err(CrmError::TicketClosed(ticket.id.0));
    }
    let mut t = ticket.clone();
    t.updated_at = now;
    let to = if from_staff {
        if t.first_response_at.is_none() {
            t.first_response_at = Some(now);
        }
        match t.status {
            TicketStatus::Open => TicketStatus::Pending,
            s => s,
        }
    } else {
        match t.status {
            TicketStatus::Pending | TicketStatus::Resolved => TicketStatus::Open,
            s => s,
        }
    };
    let status_from = (to != ticket.status).then_some(ticket.status);
    if to == TicketStatus::Open {
        t.resolved_at = None;
    }
    t.status = to;
    Ok(TicketUpdate {
        ticket: t,
        status_from,
    })
}

/// The ticket after a status change by staff at `now`.
pub fn change_status(
    ticket: &Ticket,
    to: TicketStatus,
    now: DateTime<Utc>,
) -> Result<TicketUpdate, CrmError> {
    if !TicketStatus::can_transition(ticket.status, to) {
        return Err(CrmError::TicketTransition {
            from: ticket.status,
            to,
        });
    }
    let mut t = ticket.clone();
    t.status = to;
    t.updated_at = now;
    match to {
        TicketStatus::Resolved => t.resolved_at = Some(now),
        TicketStatus::Closed => {
            t.closed_at = Some(now);
            t.resolved_at = t.resolved_at.or(Some(now));
        }
        TicketStatus::Open => t.resolved_at = None,
        TicketStatus::Pending => {}
    }
    Ok(TicketUpdate {
        ticket: t,
        status_from: Some(ticket.status),
    })
}
