//! Activities: calls, e-mails and meetings that happened (or are booked) at a time, and tasks
//! with a due date and an owner, each about a contact, company, deal or lead.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    ActivityId, BODY_MAX, CompanyId, ContactId, CrmError, DealId, LeadId, NAME_MAX, named_enum, opt_text,
    text,
};
use crate::types::UserId;

named_enum!(
    /// What kind of activity.
    ActivityKind {
        Call = "call",
        Email = "email",
        Meeting = "meeting",
        Task = "task",
    }
);

/// Input for a new activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityInput {
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub deal_id: Option<DealId>,
    pub lead_id: Option<LeadId>,
    /// Who is responsible (required for tasks).
    pub owner_id: Option<UserId>,
    /// When a task is due (tasks only, required).
    pub due_at: Option<DateTime<Utc>>,
    /// When a call, e-mail or meeting happened or is booked (default: now; not for tasks).
    pub occurred_at: Option<DateTime<Utc>>,
}

impl ActivityInput {
    /// Validates: a subject, at least one link, a task with a due date and an owner, no due
    /// date on other kinds (their time defaults to `now`).
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ActivityInput, CrmError> {
        let subject = text("subject", &self.subject, NAME_MAX, false)?;
        let body = opt_text("body", self.body.as_deref(), BODY_MAX, true)?;
        if self.contact_id.is_none()
            && self.company_id.is_none()
            && self.deal_id.is_none()
            && self.lead_id.is_none()
        {
            return Err(CrmError::ActivityUnlinked);
        }
        let (due_at, occurred_at) = if self.kind == ActivityKind::Task {
            if self.due_at.is_none() {
                return Err(CrmError::TaskIncomplete("a due date"));
            }
            if self.owner_id.is_none() {
                return Err(CrmError::TaskIncomplete("an owner"));
            }
            (self.due_at, None)
        } else {
            if self.due_at.is_some() {
                return Err(CrmError::DueDateNotAllowed);
            }
            (None, Some(self.occurred_at.unwrap_or(now)))
        };
        Ok(ActivityInput {
            subject,
            body,
            due_at,
            occurred_at,
            ..self.clone()
        })
    }
}

/// A logged activity or a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub deal_id: Option<DealId>,
    pub lead_id: Option<LeadId>,
    pub owner_id: Option<UserId>,
    pub due_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// When a task was done.
    pub done_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl Activity {
    /// When it last mattered: done, happened, or was logged.
    pub fn last_at(&self) -> DateTime<Utc> {
        self.done_at.or(self.occurred_at).unwrap_or(self.created_at)
    }

    /// Refuses completing anything but an open task.
    pub fn check_complete(&self) -> Result<(), CrmError> {
        if self.kind == ActivityKind::Task && self.done_at.is_none() {
            Ok(())
        } else {
            Err(CrmError::NotAnOpenTask(self.id.0))
        }
    }

    /// Whether this is a task not yet done whose due date has passed at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.kind == ActivityKind::Task && self.done_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }
}
