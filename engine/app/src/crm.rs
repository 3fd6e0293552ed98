//! Use cases of the CRM: customer records, companies, contacts and notes, leads and their
//! conversion, deals through the pipeline, activities and tasks, support tickets, the
//! customer page, and the export and erasure of a contact's personal data. Each command is
//! one transaction; the store appends the `lead.*`, `deal.*`, `ticket.*` and
//! `contact.erased` events in it.
//!
//! Tickets depend on who asks ([`Caller`]): staff (`Sees::All`) see and answer every ticket;
//! a customer (`Sees::Own`) sees, opens and replies to their own only (another customer's
//! ticket is `NOT_FOUND`). Everything else is staff-only; the transport checks `crm:read` /
//! `crm:write` before calling.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gantry_engine::domain::crm::{
    Activity, ActivityId, ActivityInput, Company, CompanyId, CompanyInput, Contact, ContactExport, ContactId,
    ContactInput, CustomerPage, Deal, DealId, DealInput, DealStage, Lead, LeadId, LeadInput, LeadStatus,
    Note, Reply, Ticket, TicketId, TicketInput, TicketPriority, TicketStatus,
};
use gantry_engine::domain::printing::QuoteId;
use gantry_engine::domain::types::{CustomerId, Money, OrderId, UserId};
use gantry_engine::domain::users::{Customer, NewCustomer};
use gantry_engine::error::ErrorKind;
use gantry_engine::store::crm::{activities, parties, privacy, sales, tickets};
use gantry_engine::store::{PoolConn, users};

pub use gantry_engine::store::crm::Keyset;
pub use gantry_engine::store::crm::activities::ActivityFilter;
pub use gantry_engine::store::crm::parties::ContactFilter;
pub use gantry_engine::store::crm::privacy::Erasure;
pub use gantry_engine::store::crm::sales::Converted;

use crate::{AppError, AppResult, Caller, Db, Sees, conn, in_tx};

// ---------------------------------------------------------------------------------------------
// Customer records, companies, contacts, notes

/// One page of customer records by id, optionally only those whose name, e-mail or company
/// contains `search`.
pub async fn customers(db: &Db, search: Option<&str>, page: Keyset) -> AppResult<Vec<Customer>> {
    Ok(users::customers_page(&mut *conn(db).await?, search, page).await?)
}

/// Creates a customer record (the party that places orders).
pub async fn create_customer(db: &Db, now: DateTime<Utc>, new: &NewCustomer) -> AppResult<Customer> {
    in_tx!(db, tx => users::create_customer(&mut tx, now, new).await?)
}

/// One page of companies, optionally with a tag or of one customer record.
pub async fn companies(
    db: &Db,
    tag: Option<&str>,
    customer: Option<CustomerId>,
    page: Keyset,
) -> AppResult<Vec<Company>> {
    Ok(parties::list_companies(&mut *conn(db).await?, tag, customer, page).await?)
}

/// One company.
pub async fn company(db: &Db, id: CompanyId) -> AppResult<Company> {
    Ok(parties::get_company(&mut *conn(db).await?, id).await?)
}

/// Creates a company.
pub async fn create_company(db: &Db, now: DateTime<Utc>, input: &CompanyInput) -> AppResult<Company> {
    in_tx!(db, tx => parties::create_company(&mut tx, now, input).await?)
}

/// Replaces a company's fields, addresses and tags.
pub async fn update_company(
    db: &Db,
    now: DateTime<Utc>,
    id: CompanyId,
    input: &CompanyInput,
) -> AppResult<Company> {
    in_tx!(db, tx => parties::update_company(&mut tx, now, id, input).await?)
}

/// One page of the contacts matching a filter.
pub async fn contacts(db: &Db, filter: &ContactFilter, page: Keyset) -> AppResult<Vec<Contact>> {
    Ok(parties::list_contacts(&mut *conn(db).await?, filter, page).await?)
}

/// One contact.
pub async fn contact(db: &Db, id: ContactId) -> AppResult<Contact> {
    Ok(parties::get_contact(&mut *conn(db).await?, id).await?)
}

/// Creates a contact.
pub async fn create_contact(db: &Db, now: DateTime<Utc>, input: &ContactInput) -> AppResult<Contact> {
    in_tx!(db, tx => parties::create_contact(&mut tx, now, input).await?)
}

/// Replaces a contact's fields, addresses and tags (not once erased).
pub async fn update_contact(
    db: &Db,
    now: DateTime<Utc>,
    id: ContactId,
    input: &ContactInput,
) -> AppResult<Contact> {
    in_tx!(db, tx => parties::update_contact(&mut tx, now, id, input).await?)
}

/// Adds a note to a company or a contact (exactly one).
pub async fn add_note(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    company: Option<CompanyId>,
    contact: Option<ContactId>,
    body: &str,
) -> AppResult<Note> {
    in_tx!(db, tx => parties::add_note(&mut tx, now, company, contact, body, caller.user_id).await?)
}

/// The notes of a company or a contact.
pub async fn notes(db: &Db, company: Option<CompanyId>, contact: Option<ContactId>) -> AppResult<Vec<Note>> {
    Ok(parties::notes(&mut *conn(db).await?, company, contact).await?)
}

// ---------------------------------------------------------------------------------------------
// Leads and deals

/// One page of leads, optionally of one status.
pub async fn leads(db: &Db, status: Option<LeadStatus>, page: Keyset) -> AppResult<Vec<Lead>> {
    Ok(sales::list_leads(&mut *conn(db).await?, status, page).await?)
}

/// One lead.
pub async fn lead(db: &Db, id: LeadId) -> AppResult<Lead> {
    Ok(sales::get_lead(&mut *conn(db).await?, id).await?)
}

/// Creates a lead.
pub async fn create_lead(db: &Db, now: DateTime<Utc>, input: &LeadInput) -> AppResult<Lead> {
    in_tx!(db, tx => sales::create_lead(&mut tx, now, input).await?)
}

/// Moves a lead to another status (`lost` with a reason).
pub async fn set_lead_status(
    db: &Db,
    now: DateTime<Utc>,
    id: LeadId,
    to: LeadStatus,
    reason: Option<&str>,
) -> AppResult<Lead> {
    in_tx!(db, tx => sales::set_lead_status(&mut tx, now, id, to, reason).await?)
}

/// Converts a lead into a contact (and company), optionally with a deal, in one transaction.
pub async fn convert_lead(
    db: &Db,
    now: DateTime<Utc>,
    id: LeadId,
    customer: Option<CustomerId>,
    deal: Option<&DealInput>,
) -> AppResult<Converted> {
    in_tx!(db, tx => sales::convert_lead(&mut tx, now, id, customer, deal).await?)
}

/// One page of deals, optionally of one stage or customer record.
pub async fn deals(
    db: &Db,
    stage: Option<DealStage>,
    customer: Option<CustomerId>,
    page: Keyset,
) -> AppResult<Vec<Deal>> {
    Ok(sales::list_deals(&mut *conn(db).await?, stage, customer, None, page).await?)
}

/// One deal.
pub async fn deal(db: &Db, id: DealId) -> AppResult<Deal> {
    Ok(sales::get_deal(&mut *conn(db).await?, id).await?)
}

/// Creates a deal.
pub async fn create_deal(db: &Db, now: DateTime<Utc>, input: &DealInput) -> AppResult<Deal> {
    in_tx!(db, tx => sales::create_deal(&mut tx, now, input).await?)
}

/// Moves a deal to another stage (`lost` with a reason; winning is [`win_deal`]).
pub async fn move_deal(
    db: &Db,
    now: DateTime<Utc>,
    id: DealId,
    to: DealStage,
    probability: Option<i64>,
    reason: Option<&str>,
) -> AppResult<Deal> {
    in_tx!(db, tx => sales::move_deal(&mut tx, now, id, to, probability, reason).await?)
}

/// Wins a deal with its quote or order.
pub async fn win_deal(
    db: &Db,
    now: DateTime<Utc>,
    id: DealId,
    quote: Option<QuoteId>,
    order: Option<OrderId>,
) -> AppResult<Deal> {
    in_tx!(db, tx => sales::win_deal(&mut tx, now, id, quote, order).await?)
}

// ---------------------------------------------------------------------------------------------
// Activities

/// One page of the activities matching a filter, newest first (`page.after`: ids below it).
pub async fn activities(db: &Db, filter: &ActivityFilter, page: Keyset) -> AppResult<Vec<Activity>> {
    Ok(activities::list_activities(&mut *conn(db).await?, filter, page).await?)
}

/// Logs an activity or creates a task (recorded as the caller's).
pub async fn log_activity(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: &ActivityInput,
) -> AppResult<Activity> {
    in_tx!(db, tx => activities::create_activity(&mut tx, now, input, caller.user_id).await?)
}

/// Marks an open task done.
pub async fn complete_task(db: &Db, now: DateTime<Utc>, id: ActivityId) -> AppResult<Activity> {
    in_tx!(db, tx => activities::complete_task(&mut tx, now, id).await?)
}

// ---------------------------------------------------------------------------------------------
// Tickets

fn ticket_visible(caller: &Caller, ticket: Ticket) -> AppResult<Ticket> {
    if caller.may_see(ticket.customer_id) {
        Ok(ticket)
    } else {
        Err(AppError::not_found("ticket", ticket.id.0))
    }
}

/// Tickets the caller may see (staff: all, or one customer's; a customer: their own),
/// optionally of one status or only open and pending ones; one page of them.
pub async fn tickets(
    db: &Db,
    caller: &Caller,
    customer: Option<CustomerId>,
    status: Option<TicketStatus>,
    open_only: bool,
    page: Keyset,
) -> AppResult<Vec<Ticket>> {
    let customer = match caller.sees {
        Sees::All => customer,
        Sees::Own(c) => Some(c),
        Sees::None => return Ok(Vec::new()),
    };
    Ok(tickets::list_tickets(&mut *conn(db).await?, customer, status, open_only, page).await?)
}

/// One ticket the caller may see, with its replies.
pub async fn ticket(db: &Db, caller: &Caller, id: TicketId) -> AppResult<(Ticket, Vec<Reply>)> {
    let mut c = conn(db).await?;
    let ticket = ticket_visible(caller, tickets::get_ticket(&mut c, id).await?)?;
    let replies = tickets::replies(&mut c, id).await?;
    Ok((ticket, replies))
}

/// The replies of tickets already shown to the caller, in one read (for a DataLoader).
pub async fn replies_of(db: &Db, tickets: &[TicketId]) -> AppResult<HashMap<TicketId, Vec<Reply>>> {
    Ok(tickets::replies_of_tickets(&mut *conn(db).await?, tickets).await?)
}

/// Opens a ticket: staff for any customer record, a customer for their own (another customer's
/// order is `NOT_FOUND` to them, like any order they may not see).
pub async fn open_ticket(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: &TicketInput,
) -> AppResult<(Ticket, Reply)> {
    if !caller.may_see(input.customer_id) {
        return Err(AppError::refused(
            ErrorKind::Forbidden,
            "FORBIDDEN",
            "a customer opens tickets for their own record only",
        ));
    }
    let staff = caller.sees == Sees::All;
    in_tx!(db, tx => {
        if let (false, Some(o)) = (staff, input.order_id) {
            let order = gantry_engine::store::orders::get_order(&mut tx, o).await?;
            if !caller.may_see(order.customer_id) {
                return Err(AppError::not_found("order", o.0));
            }
        }
        tickets::open_ticket(&mut tx, now, input, caller.user_id, staff).await?
    })
}

/// Replies to a ticket the caller may see (staff replies count as responses).
pub async fn reply_to_ticket(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: TicketId,
    body: &str,
) -> AppResult<(Ticket, Reply)> {
    let staff = caller.sees == Sees::All;
    in_tx!(db, tx => {
        ticket_visible(caller, tickets::get_ticket(&mut tx, id).await?)?;
        tickets::reply(&mut tx, now, id, body, caller.user_id, staff).await?
    })
}

/// Changes a ticket's status (staff).
pub async fn set_ticket_status(
    db: &Db,
    now: DateTime<Utc>,
    id: TicketId,
    to: TicketStatus,
) -> AppResult<Ticket> {
    in_tx!(db, tx => tickets::set_status(&mut tx, now, id, to).await?)
}

/// Sets a ticket's priority and assignee (staff).
pub async fn assign_ticket(
    db: &Db,
    now: DateTime<Utc>,
    id: TicketId,
    priority: TicketPriority,
    assignee: Option<UserId>,
) -> AppResult<Ticket> {
    in_tx!(db, tx => tickets::assign(&mut tx, now, id, priority, assignee).await?)
}

// ---------------------------------------------------------------------------------------------
// The customer page, export and erasure

/// **Finance seam.** The lifetime margin of a customer record per currency, from the ledger:
/// the revenue of its orders' invoices less credit notes (net of tax) less what their jobs
/// cost (material at lot cost, machine time, failed attempts included). Empty before anything
/// of it was posted.
pub async fn finance_margin(conn: &mut PoolConn, customer: CustomerId) -> AppResult<Option<Vec<Money>>> {
    Ok(Some(crate::finance::customer_margin_on(conn, customer).await?))
}

/// The customer page: the record, its contacts and companies, orders, lifetime revenue (and
/// margin, through [`finance_margin`]), open tickets and deals, last activity.
pub async fn customer_page(db: &Db, customer: CustomerId) -> AppResult<CustomerPage> {
    let mut c = conn(db).await?;
    let mut page = privacy::customer_page(&mut c, customer).await?;
    page.lifetime_margin = finance_margin(&mut c, customer).await?;
    Ok(page)
}

/// Everything held about a contact.
pub async fn export_contact(db: &Db, id: ContactId) -> AppResult<ContactExport> {
    Ok(privacy::export_contact(&mut *conn(db).await?, id).await?)
}

/// Everything held about a contact, as pretty-printed JSON.
pub async fn export_contact_json(db: &Db, id: ContactId) -> AppResult<String> {
    let export = export_contact(db, id).await?;
    serde_json::to_string_pretty(&export).map_err(|e| {
        AppError::refused(
            ErrorKind::Internal,
            "INTERNAL",
            format!("export not serialisable: {e}"),
        )
    })
}

/// Erases (anonymises) a contact, refused while its customer has unfinished orders.
pub async fn erase_contact(db: &Db, now: DateTime<Utc>, id: ContactId) -> AppResult<Erasure> {
    in_tx!(db, tx => privacy::erase_contact(&mut tx, now, id).await?)
}
