//! Companies and contacts: names, reachability, addresses, tags and notes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    ADDRESSES_MAX, CompanyId, ContactId, CrmError, NAME_MAX, NoteId, SHORT_MAX, TAG_MAX, TAGS_MAX,
    named_enum, opt_email, opt_phone, opt_text, text,
};
use crate::types::{CustomerId, UserId};

named_enum!(
    /// What an address is used for.
    AddressKind {
        Billing = "billing",
        Shipping = "shipping",
        Other = "other",
    }
);

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub kind: AddressKind,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

impl Address {
    /// Validates and normalises (trimmed, blank optionals dropped, country upper-cased).
    pub fn validate(&self) -> Result<Address, CrmError> {
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(CrmError::InvalidCountry(self.country.clone()));
        }
        Ok(Address {
            kind: self.kind,
            line1: text("address line 1", &self.line1, SHORT_MAX, false)?,
            line2: opt_text("address line 2", self.line2.as_deref(), SHORT_MAX, false)?,
            city: text("city", &self.city, SHORT_MAX, false)?,
            region: opt_text("region", self.region.as_deref(), SHORT_MAX, false)?,
            postal_code: opt_text("postal code", self.postal_code.as_deref(), 20, false)?,
            country,
        })
    }
}

fn addresses(list: &[Address]) -> Result<Vec<Address>, CrmError> {
    if list.len() > ADDRESSES_MAX {
        return Err(CrmError::TooMany {
            what: "addresses",
            max: ADDRESSES_MAX,
        });
    }
    list.iter().map(Address::validate).collect()
}

/// Normalises tags: trimmed, lower case, inner blanks collapsed, sorted, duplicates dropped;
/// each 1 to [`TAG_MAX`] letters, digits, `-`, `_` or blanks; at most [`TAGS_MAX`].
pub fn normalize_tags(tags: &[String]) -> Result<Vec<String>, CrmError> {
    let mut out = Vec::with_capacity(tags.len());
    for t in tags {
        let norm = t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let ok = !norm.is_empty()
            && norm.chars().count() <= TAG_MAX
            && norm.chars().all(|c| c.is_alphanumeric() || " -_".contains(c));
        if !ok {
            return Err(CrmError::InvalidTag(t.clone()));
        }
        out.push(norm);
    }
    out.sort();
    out.dedup();
    if out.len() > TAGS_MAX {
        return Err(CrmError::TooMany {
            what: "tags",
            max: TAGS_MAX,
        });
    }
    Ok(out)
}

/// Input for a company (create, or replace on update).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyInput {
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    /// The customer record the company orders as, if any.
    pub customer_id: Option<CustomerId>,
    pub addresses: Vec<Address>,
    pub tags: Vec<String>,
}

impl CompanyInput {
    /// Validates and normalises.
    pub fn validate(&self) -> Result<CompanyInput, CrmError> {
        Ok(CompanyInput {
            name: text("company name", &self.name, NAME_MAX, false)?,
            website: opt_text("website", self.website.as_deref(), SHORT_MAX, false)?,
            phone: opt_phone(self.phone.as_deref())?,
            customer_id: self.customer_id,
            addresses: addresses(&self.addresses)?,
            tags: normalize_tags(&self.tags)?,
        })
    }
}

/// A company (an organisation customers or leads belong to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub addresses: Vec<Address>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Input for a contact (create, or replace on update).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    pub company_id: Option<CompanyId>,
    /// The customer record this person orders as (its accounts are this person's logins).
    pub customer_id: Option<CustomerId>,
    pub addresses: Vec<Address>,
    pub tags: Vec<String>,
}

impl ContactInput {
    /// Validates and normalises (e-mail lower-cased).
    pub fn validate(&self) -> Result<ContactInput, CrmError> {
        Ok(ContactInput {
            name: text("contact name", &self.name, NAME_MAX, false)?,
            email: opt_email(self.email.as_deref())?,
            phone: opt_phone(self.phone.as_deref())?,
            title: opt_text("job title", self.title.as_deref(), SHORT_MAX, false)?,
            company_id: self.company_id,
            customer_id: self.customer_id,
            addresses: addresses(&self.addresses)?,
            tags: normalize_tags(&self.tags)?,
        })
    }
}

/// A person the business deals with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<CompanyId>,
    pub customer_id: Option<CustomerId>,
    pub addresses: Vec<Address>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the contact was erased (anonymised) on request.
    pub erased_at: Option<DateTime<Utc>>,
}

impl Contact {
    /// Refuses a change to an erased contact.
    pub fn check_not_erased(&self) -> Result<(), CrmError> {
        match self.erased_at {
            Some(_) => Err(CrmError::ContactErased(self.id.0)),
            None => Ok(()),
        }
    }
}

/// A note on a company or a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: NoteId,
    pub company_id: Option<CompanyId>,
    pub contact_id: Option<ContactId>,
    pub body: String,
    pub author_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// Validates a note's body.
pub fn note_body(body: &str) -> Result<String, CrmError> {
    text("note", body, super::BODY_MAX, true)
}
