//! Leads (where interest came from, how far it got) and deals (a sale moving through the
//! pipeline to won or lost).
//!
//! Lead status machine: `new → contacted → qualified → converted`; `new` may go straight to
//! `qualified`; any open status may be `lost` (with a reason); a lost lead may be reopened to
//! `new`; `converted` is final and is reached only by converting (which creates the contact).
//!
//! Deal pipeline: the open stages `prospecting`, `qualification`, `proposal`, `negotiation`
//! move freely among themselves; an open deal is `won` only with a link to its quote or order
//! (checked by [`Deal::check_win`]), or `lost` with a reason; a lost deal may be reopened to an
//! open stage; a won deal is final.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    CompanyId, ContactId, CrmError, DealId, LeadId, NAME_MAX, SHORT_MAX, named_enum, opt_email, opt_phone,
    opt_text, text,
};
use crate::printing::QuoteId;
use crate::types::{CustomerId, Money, OrderId, UserId};

named_enum!(
    /// Where a lead came from.
    LeadSource {
        Website = "website",
        Referral = "referral",
        Event = "event",
        Email = "email",
        Phone = "phone",
        Social = "social",
        Partner = "partner",
        Other = "other",
    }
);

named_enum!(
    /// How far a lead got.
    LeadStatus {
        New = "new",
        Contacted = "contacted",
        Qualified = "qualified",
        Converted = "converted",
        Lost = "lost",
    }
);

impl LeadStatus {
    /// Whether the status machine allows `from → to` (converting is [`LeadStatus::can_convert`]).
    pub fn can_transition(from: LeadStatus, to: LeadStatus) -> bool {
        use LeadStatus::*;
        matches!(
            (from, to),
            (New, Contacted)
                | (New | Contacted, Qualified)
                | (New | Contacted | Qualified, Lost)
                | (Lost, New)
        )
    }

    /// Whether a lead in this status may be converted (into a contact, and maybe a deal).
    pub fn can_convert(self) -> bool {
        matches!(
            self,
            LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified
        )
    }

    /// [`LeadStatus::can_transition`] as a typed rejection.
    pub fn check_transition(from: LeadStatus, to: LeadStatus) -> Result<(), CrmError> {
        if LeadStatus::can_transition(from, to) {
            Ok(())
        } else {
            Err(CrmError::LeadTransition { from, to })
        }
    }
}

/// Input for a new lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadInput {
    pub name: String,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: LeadSource,
    pub owner_id: Option<UserId>,
}

impl LeadInput {
    /// Validates and normalises.
    pub fn validate(&self) -> Result<LeadInput, CrmError> {
        Ok(LeadInput {
            name: text("lead name", &self.name, NAME_MAX, false)?,
            company_name: opt_text("company name", self.company_name.as_deref(), NAME_MAX, false)?,
            email: opt_email(self.email.as_deref())?,
            phone: opt_phone(self.phone.as_deref())?,
            source: self.source,
            owner_id: self.owner_id,
        })
    }
}

/// A lead: someone who showed interest and is not (yet) a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lead {
    pub id: LeadId,
    pub name: String,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: LeadSource,
    pub status: LeadStatus,
    pub owner_id: Option<UserId>,
    /// The contact the lead became (set when converted).
    pub contact_id: Option<ContactId>,
    pub lost_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Validates a lost reason (required when losing a lead or deal).
pub(crate) fn lost_reason(what: &'static str, reason: Option<&str>) -> Result<String, CrmError> {
    match opt_text("lost reason", reason, SHORT_MAX, false)? {
        Some(r) => Ok(r),
        None => Err(CrmError::LostReasonRequired(what)),
    }
}

impl Lead {
    /// The lead after a status change to `to` (a reason is required for `lost` and dropped
    /// otherwise).
    pub fn with_status(
        &self,
        to: LeadStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Lead, CrmError> {
        LeadStatus::check_transition(self.status, to)?;
        let lost_reason = if to == LeadStatus::Lost {
            Some(lost_reason("lead", reason)?)
        } else {
            None
        };
        Ok(Lead {
            status: to,
            lost_reason,
            updated_at: now,
            ..self.clone()
        })
    }

    /// Refuses converting a lead that is converted or lost.
    pub fn check_convert(&self) -> Result<(), CrmError> {
        if self.status.can_convert() {
            Ok(())
        } else {
            Err(CrmError::LeadTransition {
                from: self.status,
                to: LeadStatus::Converted,
            })
        }
    }
}

named_enum!(
    /// A deal's pipeline stage.
    DealStage {
        Prospecting = "prospecting",
        Qualification = "qualification",
        Proposal = "proposal",
        Negotiation = "negotiation",
        Won = "won",
        Lost = "lost",
    }
);

impl DealStage {
    /// Whether the deal is still being worked on.
    pub fn is_open(self) -> bool {
        !matches!(self, DealStage::Won | DealStage::Lost)
    }

    /// The probability (percent) a deal gets when it enters this stage without one given.
    pub fn default_probability(self) -> i64 {
        match self {
            DealStage::Prospecting => 10,
            DealStage::Qualification => 25,
            DealStage::Proposal => 50,
            DealStage::Negotiation => 75,
            DealStage::Won => 100,
            DealStage::Lost => 0,
        }
    }

    /// Whether the pipeline allows `from → to` by a plain move (winning needs a link:
    /// [`Deal::check_win`]; losing needs a reason).
    pub fn can_move(from: DealStage, to: DealStage) -> bool {
        from != to && from != DealStage::Won && to != DealStage::Won && (from.is_open() || to.is_open())
    }
}

fn probability(p: i64) -> Result<i64, CrmError> {
    if (0..=100).contains(&p) {
        Ok(p)
    } else {
        Err(CrmError::ProbabilityInvalid(p))
    }
}

/// Input for a new deal (it starts in `prospecting`, or the stage given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealInput {
    pub title: String,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<LeadId>,
    pub owner_id: Option<UserId>,
    pub value: Money,
    /// Percent; the stage's default when absent.
    pub probability: Option<i64>,
    pub expected_close_at: Option<DateTime<Utc>>,
    pub stage: Option<DealStage>,
}

impl DealInput {
    /// Validates: a title, a party (contact, company or customer), a value ≥ 0, a probability in
    /// 0..=100, an open starting stage. Returns the input with its stage and probability filled.
    pub fn validate(&self) -> Result<DealInput, CrmError> {
        if self.contact_id.is_none() && self.company_id.is_none() && self.customer_id.is_none() {
            return Err(CrmError::DealNeedsParty);
        }
        if self.value.minor < 0 {
            return Err(CrmError::DealValueInvalid(self.value.minor));
        }
        let stage = self.stage.unwrap_or(DealStage::Prospecting);
        if !stage.is_open() {
            return Err(CrmError::DealTransition {
                from: DealStage::Prospecting,
                to: stage,
            });
        }
        Ok(DealInput {
            title: text("deal title", &self.title, NAME_MAX, false)?,
            probability: Some(probability(
                self.probability.unwrap_or(stage.default_probability()),
            )?),
            stage: Some(stage),
            ..self.clone()
        })
    }
}

/// A deal: a sale being worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deal {
    pub id: DealId,
    pub title: String,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<LeadId>,
    pub owner_id: Option<UserId>,
    pub stage: DealStage,
    pub value: Money,
    pub probability: i64,
    pub expected_close_at: Option<DateTime<Utc>>,
    /// The quote the deal was won with (set when won).
    pub quote_id: Option<QuoteId>,
    /// The order the deal was won with, or its quote's order.
    pub order_id: Option<OrderId>,
    pub lost_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the store found about the quote or order a deal is won with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinFacts {
    pub quote_id: Option<QuoteId>,
    pub order_id: Option<OrderId>,
    /// The customer of the quote or order (a quote may have none).
    pub customer_id: Option<CustomerId>,
    /// The quote's or order's total.
    pub total: Money,
    /// `"quote"` or `"order"`, for messages.
    pub what: &'static str,
}

impl Deal {
    /// The deal moved to another open stage, or lost (`reason` required), or reopened from lost.
    pub fn moved(
        &self,
        to: DealStage,
        probability_pct: Option<i64>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Deal, CrmError> {
        if to == DealStage::Won && self.stage.is_open() {
            return Err(CrmError::WinNeedsLink);
        }
        if !DealStage::can_move(self.stage, to) {
            return Err(CrmError::DealTransition { from: self.stage, to });
        }
        let lost = to == DealStage::Lost;
        let p = if lost {
            0
        } else {
            probability(probability_pct.unwrap_or(to.default_probability()))?
        };
        Ok(Deal {
            stage: to,
            probability: p,
            lost_reason: if lost {
                Some(lost_reason("deal", reason)?)
            } else {
                None
            },
            closed_at: if lost { Some(now) } else { None },
            updated_at: now,
            ..self.clone()
        })
    }

    /// The deal won with its quote or order: the link must belong to the deal's customer (a
    /// deal without one takes the link's) and be in the deal's currency.
    pub fn won(&self, facts: &WinFacts, now: DateTime<Utc>) -> Result<Deal, CrmError> {
        if !self.stage.is_open() {
            return Err(CrmError::DealTransition {
                from: self.stage,
                to: DealStage::Won,
            });
        }
        if facts.quote_id.is_none() && facts.order_id.is_none() {
            return Err(CrmError::WinNeedsLink);
        }
        if let (Some(expected), Some(found)) = (self.customer_id, facts.customer_id)
            && expected != found
        {
            return Err(CrmError::CustomerMismatch {
                what: facts.what,
                expected: expected.0,
                found: found.0,
            });
        }
        if facts.total.currency != self.value.currency {
            return Err(CrmError::CurrencyMismatch {
                what: facts.what,
                expected: self.value.currency.to_string(),
                found: facts.total.currency.to_string(),
            });
        }
        Ok(Deal {
            stage: DealStage::Won,
            probability: 100,
            customer_id: self.customer_id.or(facts.customer_id),
            quote_id: facts.quote_id,
            order_id: facts.order_id,
            lost_reason: None,
            closed_at: Some(now),
            updated_at: now,
            ..self.clone()
        })
    }
}
