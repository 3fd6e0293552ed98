//! CRM domain (pure): companies and contacts with addresses, tags and notes; leads and their
//! status machine; deals through pipeline stages; activities (calls, e-mails, meetings, tasks);
//! support tickets with replies and service times; what personal data erasure changes.
//!
//! It builds on the existing [`Customer`](crate::users::Customer) record (the party that places
//! orders): a company or a contact may be linked to one (`customer_id`), and a customer's
//! accounts (`users.customer_id`) are reached through it. Every rejection is a [`CrmError`]
//! with a stable `CRM_*` code. Topic files: `parties` (companies, contacts, addresses, tags,
//! notes), `sales` (leads, deals), `activities`, `tickets`, `privacy` (export shape, erasure),
//! `events` (the `lead.*`, `deal.*`, `ticket.*`, `contact.*` events).

mod activities;
mod events;
mod page;
mod parties;
mod privacy;
mod sales;
mod tickets;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorKind};

pub use activities::{Activity, ActivityInput, ActivityKind};
pub use events::{
    ContactErased, CrmEvent, DealCreated, DealStageChanged, DealWon, LeadCreated, LeadStatusChanged,
    TicketOpened, TicketReplied, TicketStatusChanged,
};
pub use page::{CustomerPage, REVENUE_STATUSES};
pub use parties::{
    Address, AddressKind, Company, CompanyInput, Contact, ContactInput, Note, normalize_tags, note_body,
};
pub use privacy::{
    ContactExport, ERASED_TEXT, PaymentRecord, TicketThread, blocks_erasure, check_erasable,
    erased_contact_name, erased_customer_name, erased_user_email,
};
pub use sales::{Deal, DealInput, DealStage, Lead, LeadInput, LeadSource, LeadStatus, WinFacts};
pub use tickets::{
    Reply, Ticket, TicketInput, TicketPriority, TicketStatus, TicketUpdate, after_reply, change_status,
    reply_body,
};

/// Longest name (company, contact, lead, deal title, ticket subject), in characters.
pub const NAME_MAX: usize = 200;
/// Longest free text (notes, activity and ticket bodies, replies), in characters.
pub const BODY_MAX: usize = 20_000;
/// Longest short text (phone, job title, website, address lines, reasons), in characters.
pub const SHORT_MAX: usize = 200;
/// Most tags on one company or contact.
pub const TAGS_MAX: usize = 20;
/// Longest tag, in characters.
pub const TAG_MAX: usize = 40;
/// Most addresses on one company or contact.
pub const ADDRESSES_MAX: usize = 10;

/// Declares an `i64`-backed id newtype of the CRM.
macro_rules! crm_id {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

crm_id!(
    /// Id of a company.
    CompanyId,
    /// Id of a contact (a person).
    ContactId,
    /// Id of a note on a company or contact.
    NoteId,
    /// Id of a lead.
    LeadId,
    /// Id of a deal.
    DealId,
    /// Id of an activity.
    ActivityId,
    /// Id of a support ticket.
    TicketId,
    /// Id of a reply to a ticket.
    ReplyId,
);

/// Rejections of CRM commands (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// A text field is empty, too long or contains control characters.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// Not a plausible e-mail address.
    #[error("invalid e-mail address {value:?}: {reason}")]
    InvalidEmail { value: String, reason: &'static str },
    /// Not a plausible phone number.
    #[error("invalid phone number {0:?}: digits, spaces and + - ( ) . only, 4 to 20 digits")]
    InvalidPhone(String),
    /// Not an ISO 3166-1 alpha-2 country code.
    #[error("invalid country {0:?}: expected two letters, e.g. DE")]
    InvalidCountry(String),
    /// A tag is empty, too long or has characters other than letters, digits, `-`, `_`, blanks.
    #[error("invalid tag {0:?}: 1 to 40 letters, digits, '-', '_' or blanks")]
    InvalidTag(String),
    /// Too many tags or addresses.
    #[error("too many {what}: at most {max}")]
    TooMany { what: &'static str, max: usize },
    /// The lead's status machine does not allow this change.
    #[error("a lead cannot go from {from} to {to}")]
    LeadTransition { from: LeadStatus, to: LeadStatus },
    /// A lost lead or deal needs a reason.
    #[error("a reason is required when a {0} is lost")]
    LostReasonRequired(&'static str),
    /// A deal's value is negative.
    #[error("a deal's value must not be negative (got {0})")]
    DealValueInvalid(i64),
    /// A probability outside 0..=100.
    #[error("probability must be between 0 and 100 (got {0})")]
    ProbabilityInvalid(i64),
    /// The pipeline does not allow this stage change.
    #[error("a deal cannot go from {from} to {to}")]
    DealTransition { from: DealStage, to: DealStage },
    /// A deal is won only with a link to its quote or order.
    #[error("a won deal must link to its quote or order")]
    WinNeedsLink,
    /// A deal needs a contact, a company or a customer.
    #[error("a deal needs a contact, a company or a customer")]
    DealNeedsParty,
    /// The quote or order belongs to another customer than the deal.
    #[error("{what} belongs to customer {found}, the deal to customer {expected}")]
    CustomerMismatch {
        what: &'static str,
        expected: i64,
        found: i64,
    },
    /// Amounts in different currencies.
    #[error("currency mismatch: the deal is in {expected}, the {what} in {found}")]
    CurrencyMismatch {
        what: &'static str,
        expected: String,
        found: String,
    },
    /// A task needs a due date and an owner.
    #[error("a task needs {0}")]
    TaskIncomplete(&'static str),
    /// Only tasks have a due date.
    #[error("only tasks have a due date")]
    DueDateNotAllowed,
    /// An activity must concern a contact, company, deal or lead.
    #[error("an activity must concern a contact, company, deal or lead")]
    ActivityUnlinked,
    /// Completing something that is not an open task.
    #[error("activity {0} is not an open task")]
    NotAnOpenTask(i64),
    /// The ticket's status machine does not allow this change.
    #[error("a ticket cannot go from {from} to {to}")]
    TicketTransition { from: TicketStatus, to: TicketStatus },
    /// A closed ticket takes no replies.
    #[error("ticket {0} is closed")]
    TicketClosed(i64),
    /// A ticket's order belongs to another customer.
    #[error("order {order} does not belong to customer {customer}")]
    TicketOrderMismatch { order: i64, customer: i64 },
    /// The contact was erased: it cannot be changed (or erased again).
    #[error("contact {0} was erased")]
    ContactErased(i64),
    /// Erasure is refused while the contact's customer has orders not yet finished.
    #[error("contact {contact} has {count} open or unpaid order(s); erase after they are finished")]
    EraseOpenOrders { contact: i64, count: i64 },
    /// Erasure is refused while the contact's customer has invoices not yet paid.
    #[error("contact {contact} has {count} unpaid invoice(s); erase after they are paid or credited")]
    EraseOpenInvoices { contact: i64, count: i64 },
}

impl Coded for CrmError {
    fn code(&self) -> &'static str {
        match self {
            CrmError::InvalidField { .. } => "CRM_INVALID_FIELD",
            CrmError::InvalidEmail { .. } => "CRM_INVALID_EMAIL",
            CrmError::InvalidPhone(_) => "CRM_INVALID_PHONE",
            CrmError::InvalidCountry(_) => "CRM_INVALID_COUNTRY",
            CrmError::InvalidTag(_) => "CRM_INVALID_TAG",
            CrmError::TooMany { .. } => "CRM_TOO_MANY",
            CrmError::LeadTransition { .. } => "CRM_LEAD_ILLEGAL_TRANSITION",
            CrmError::LostReasonRequired(_) => "CRM_LOST_REASON_REQUIRED",
            CrmError::DealValueInvalid(_) => "CRM_DEAL_VALUE_INVALID",
            CrmError::ProbabilityInvalid(_) => "CRM_PROBABILITY_INVALID",
            CrmError::DealTransition { .. } => "CRM_DEAL_ILLEGAL_TRANSITION",
            CrmError::WinNeedsLink => "CRM_DEAL_WIN_NEEDS_LINK",
            CrmError::DealNeedsParty => "CRM_DEAL_NEEDS_PARTY",
            CrmError::CustomerMismatch { .. } => "CRM_CUSTOMER_MISMATCH",
            CrmError::CurrencyMismatch { .. } => "CRM_CURRENCY_MISMATCH",
            CrmError::TaskIncomplete(_) => "CRM_TASK_INCOMPLETE",
            CrmError::DueDateNotAllowed => "CRM_DUE_DATE_NOT_ALLOWED",
            CrmError::ActivityUnlinked => "CRM_ACTIVITY_UNLINKED",
            CrmError::NotAnOpenTask(_) => "CRM_NOT_AN_OPEN_TASK",
            CrmError::TicketTransition { .. } => "CRM_TICKET_ILLEGAL_TRANSITION",
            CrmError::TicketClosed(_) => "CRM_TICKET_CLOSED",
            CrmError::TicketOrderMismatch { .. } => "CRM_TICKET_ORDER_MISMATCH",
            CrmError::ContactErased(_) => "CRM_CONTACT_ERASED",
            CrmError::EraseOpenOrders { .. } => "CRM_ERASE_OPEN_ORDERS",
            CrmError::EraseOpenInvoices { .. } => "CRM_ERASE_OPEN_INVOICES",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            CrmError::LeadTransition { .. }
            | CrmError::DealTransition { .. }
            | CrmError::NotAnOpenTask(_)
            | CrmError::TicketTransition { .. }
            | CrmError::TicketClosed(_)
            | CrmError::ContactErased(_)
            | CrmError::EraseOpenOrders { .. }
            | CrmError::EraseOpenInvoices { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Validation,
        }
    }
}

/// Required text: trimmed, non-empty, at most `max` characters, no control characters other
/// than line breaks and tabs when `multiline`.
pub(crate) fn text(field: &'static str, s: &str, max: usize, multiline: bool) -> Result<String, CrmError> {
    let t = s.trim();
    let bad = |reason| Err(CrmError::InvalidField { field, reason });
    if t.is_empty() {
        return bad("must not be empty");
    }
    if t.chars().count() > max {
        return bad("too long");
    }
    if t.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return bad("contains a control character");
    }
    Ok(t.to_string())
}

/// Optional text: absent or blank becomes `None`.
pub(crate) fn opt_text(
    field: &'static str,
    s: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, CrmError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, max, multiline).map(Some),
    }
}

/// Optional e-mail address, normalised (lower case) by the users module's rule.
pub(crate) fn opt_email(s: Option<&str>) -> Result<Option<String>, CrmError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(e) => crate::users::normalize_email(e)
            .map(Some)
            .map_err(|err| match err {
                crate::users::UserError::InvalidEmail { value, reason } => {
                    CrmError::InvalidEmail { value, reason }
                }
                _ => CrmError::InvalidEmail {
                    value: e.to_string(),
                    reason: "not an address",
                },
            }),
    }
}

/// Optional phone number: digits, blanks and `+ - ( ) .`, 4 to 20 digits; kept as typed
/// (trimmed).
pub(crate) fn opt_phone(s: Option<&str>) -> Result<Option<String>, CrmError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(p) => {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if allowed && (4..=20).contains(&digits) && p.chars().count() <= 40 {
                Ok(Some(p.to_string()))
            } else {
                Err(CrmError::InvalidPhone(p.to_string()))
            }
        }
    }
}

/// Declares a CRM enum stored by name, with `ALL`, `as_str`, `parse` and `Display`.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),* }

        impl $name {
            /// Every value, in a stable order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }

            /// Inverse of `as_str`.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;
