//! A signed-in user's own profile: their name, and for a customer account the customer
//! record's company and the CRM contact they order as (phone and addresses). Staff edit
//! only their name; the CRM keeps the addresses, so sales see what the customer entered.

use chrono::{DateTime, Utc};
use gantry_engine::domain::crm::{Address, Contact, ContactInput};
use gantry_engine::domain::types::UserId;
use gantry_engine::domain::users::{Customer, User};
use gantry_engine::store::crm::Keyset;
use gantry_engine::store::crm::parties::{self, ContactFilter};
use gantry_engine::store::{Tx, users};

use crate::{AppError, AppResult, Db, conn, in_tx};

/// What a user sees and edits about themselves.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: User,
    /// The customer record of a customer account.
    pub customer: Option<Customer>,
    /// The CRM contact the customer orders as (their phone and addresses), once there is one.
    pub contact: Option<Contact>,
}

/// A profile change; `company`, `phone` and `addresses` are for customer accounts only.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub addresses: Vec<Address>,
}

/// The caller's profile.
pub async fn profile(db: &Db, user: UserId) -> AppResult<Profile> {
    let mut c = conn(db).await?;
    let user = users::get_user(&mut c, user).await?;
    let Some(customer_id) = user.customer_id else {
        return Ok(Profile {
            user,
            customer: None,
            contact: None,
        });
    };
    let customer = users::get_customer(&mut c, customer_id).await?;
    let contact = own_contact(
        &user,
        parties::list_contacts(&mut c, &contacts_of(&user), Keyset::ALL).await?,
    );
    Ok(Profile {
        user,
        customer: Some(customer),
        contact,
    })
}

/// The customer's own contact among their customer record's contacts: the not-erased one
/// with their e-mail, else the first not-erased one.
fn own_contact(user: &User, mut all: Vec<Contact>) -> Option<Contact> {
    all.retain(|x| x.erased_at.is_none());
    let mine = all
        .iter()
        .position(|x| x.email.as_deref() == Some(user.email.as_str()));
    match mine {
        Some(i) => Some(all.swap_remove(i)),
        None => all.into_iter().next(),
    }
}

fn contacts_of(user: &User) -> ContactFilter {
    ContactFilter {
        customer: user.customer_id,
        ..ContactFilter::default()
    }
}

/// Changes the caller's profile in one transaction: the account's name; for a customer also
/// the customer record (name, company) and their contact (created on the first change with
/// the account's e-mail; its title, company and tags stay). A staff account given customer
/// fields: `PROFILE_CUSTOMER_ONLY`; invalid fields: the users' or CRM's codes; nothing is
/// written on refusal.
pub async fn update_profile(
    db: &Db,
    now: DateTime<Utc>,
    user: UserId,
    change: &ProfileChange,
) -> AppResult<Profile> {
    in_tx!(db, tx => apply(&mut tx, now, user, change).await?)
}

async fn apply(tx: &mut Tx, now: DateTime<Utc>, user: UserId, change: &ProfileChange) -> AppResult<Profile> {
    let current = users::get_user(tx, user).await?;
    let Some(customer_id) = current.customer_id else {
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
        if !blank(&change.company) || !blank(&change.phone) || !change.addresses.is_empty() {
            return Err(AppError::invalid(
                "PROFILE_CUSTOMER_ONLY",
                "company, phone and addresses belong to customer accounts",
            ));
        }
        let user = users::set_display_name(tx, user, &change.name).await?;
        return Ok(Profile {
            user,
            customer: None,
            contact: None,
        });
    };
    let user = users::set_display_name(tx, user, &change.name).await?;
    let customer = users::update_customer(tx, customer_id, &change.name, change.company.as_deref()).await?;
    let existing = own_contact(
        &user,
        parties::list_contacts(tx, &contacts_of(&user), Keyset::ALL).await?,
    );
    let input = ContactInput {
        name: user.display_name.clone(),
        email: Some(user.email.clone()),
        phone: change.phone.clone(),
        title: existing.as_ref().and_then(|c| c.title.clone()),
        company_id: existing.as_ref().and_then(|c| c.company_id),
        customer_id: Some(customer_id),
        addresses: change.addresses.clone(),
        tags: existing.as_ref().map(|c| c.tags.clone()).unwrap_or_default(),
    };
    let contact = match existing {
        Some(c) => parties::update_contact(tx, now, c.id, &input).await?,
        None => parties::create_contact(tx, now, &input).await?,
    };
    Ok(Profile {
        user,
        customer: Some(customer),
        contact: Some(contact),
    })
}
