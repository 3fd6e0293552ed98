//! CRM: customer records, companies, contacts, notes, leads, deals, activities, support
//! tickets, the customer page and personal data (export, erasure).
//!
//! Staff need `crm:read` to read and `crm:write` to change (sales, admin; accountants read).
//! Tickets are also for customers (`tickets:own`): they see, open and reply to their own, and
//! another customer's ticket answers `NOT_FOUND`. Every resolver calls `gantry_app::crm`.

pub(super) mod types;

use async_graphql::{Context, ID, InputObject, Object};
use gantry_app::{Caller, Db, Sees, crm, now};
use gantry_engine::domain::crm::{ActivityId, CompanyId, ContactId, DealId, LeadId, TicketId, TicketInput};
use gantry_engine::domain::printing::QuoteId;
use gantry_engine::domain::types::{CustomerId, OrderId, UserId};
use gantry_engine::domain::users::{NewCustomer, Permission};

use super::app_error;
use super::connection::{Conn, Forward, id_arg};
use super::orders::CustomerNode;
use super::principal::{AnyPermissionGuard, PermissionGuard, Principal, principal};
use types::*;

const READ_TICKETS: &[Permission] = &[Permission::CrmRead, Permission::TicketsOwn];
const WRITE_TICKETS: &[Permission] = &[Permission::CrmWrite, Permission::TicketsOwn];

/// The caller for tickets: staff who hold `staff` see every ticket; a customer account with
/// `tickets:own` sees its own record's.
fn ticket_caller(p: &Principal, staff: Permission) -> Caller {
    let sees = if p.can(staff) {
        Sees::All
    } else if p.can(Permission::TicketsOwn) {
        p.customer_id.map_or(Sees::None, Sees::Own)
    } else {
        Sees::None
    };
    Caller {
        user_id: Some(p.user_id),
        sees,
    }
}

/// The store page of a forward page.
fn keyset(page: &Forward) -> crm::Keyset {
    let (after, n) = page.read();
    crm::Keyset::new(after, n)
}

fn staff(ctx: &Context<'_>) -> async_graphql::Result<Caller> {
    Ok(Caller {
        user_id: Some(principal(ctx)?.user_id),
        sees: Sees::All,
    })
}

/// A new customer record.
#[derive(InputObject, Debug, Clone)]
pub struct CustomerInput {
    pub name: String,
    pub email: Option<String>,
    pub company: Option<String>,
}

/// A new ticket. Customers omit `customerId` (their own record is used; `contactId` is for
/// staff and ignored for customers).
#[derive(InputObject, Debug, Clone)]
pub struct OpenTicketInput {
    pub customer_id: Option<ID>,
    pub contact_id: Option<ID>,
    /// The order the ticket is about (one of the customer's).
    pub order_id: Option<ID>,
    pub subject: String,
    /// The first message.
    pub body: String,
    #[graphql(default_with = "TicketPriorityGql::Normal")]
    pub priority: TicketPriorityGql,
}

#[derive(Default)]
pub struct CrmQuery;

#[Object]
impl CrmQuery {
    /// Customer records, by id, a page at a time; with `search`, those whose name, e-mail or
    /// company contains it (case-insensitive).
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<Conn<CustomerNode>> {
        let page = Forward::new(first, after)?;
        let list = crm::customers(ctx.data::<Db>()?, search.as_deref(), keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |c| c.id.0, CustomerNode))
    }

    /// One customer record at a glance: contacts, companies, orders, lifetime revenue, open
    /// tickets and deals, the latest activity.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn customer_page(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
    ) -> async_graphql::Result<CustomerPageNode> {
        let id = CustomerId(id_arg(&customer_id, "customer")?);
        let page = crm::customer_page(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(CustomerPageNode(page))
    }

    /// Companies, by id, a page at a time; optionally with a tag or of one customer record.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        tag: Option<String>,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<Conn<CompanyObj>> {
        let page = Forward::new(first, after)?;
        let customer = opt_id(customer_id.as_ref(), "customer", CustomerId)?;
        let list = crm::companies(ctx.data::<Db>()?, tag.as_deref(), customer, keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |c| c.id.0, Into::into))
    }

    /// One company.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn company(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CompanyObj> {
        let id = CompanyId(id_arg(&id, "company")?);
        Ok(crm::company(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Contacts, by id, a page at a time; optionally of one company or customer record or with
    /// a tag. Erased contacts only when `erased` is true.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        company_id: Option<ID>,
        customer_id: Option<ID>,
        tag: Option<String>,
        #[graphql(default)] erased: bool,
    ) -> async_graphql::Result<Conn<ContactObj>> {
        let page = Forward::new(first, after)?;
        let filter = crm::ContactFilter {
            company: opt_id(company_id.as_ref(), "company", CompanyId)?,
            customer: opt_id(customer_id.as_ref(), "customer", CustomerId)?,
            tag,
            erased,
        };
        let list = crm::contacts(ctx.data::<Db>()?, &filter, keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |c| c.id.0, Into::into))
    }

    /// One contact.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ContactObj> {
        let id = ContactId(id_arg(&id, "contact")?);
        Ok(crm::contact(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?
            .into())
    }

    /// The notes of a company or a contact, oldest first.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn notes(
        &self,
        ctx: &Context<'_>,
        company_id: Option<ID>,
        contact_id: Option<ID>,
    ) -> async_graphql::Result<Vec<NoteObj>> {
        let company = opt_id(company_id.as_ref(), "company", CompanyId)?;
        let contact = opt_id(contact_id.as_ref(), "contact", ContactId)?;
        let list = crm::notes(ctx.data::<Db>()?, company, contact)
            .await
            .map_err(app_error)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Leads, by id, a page at a time; optionally of one status.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<LeadStatusGql>,
    ) -> async_graphql::Result<Conn<LeadObj>> {
        let page = Forward::new(first, after)?;
        let list = crm::leads(ctx.data::<Db>()?, status.map(Into::into), keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |l| l.id.0, Into::into))
    }

    /// Deals, by id, a page at a time; optionally of one stage or customer record.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn deals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        stage: Option<DealStageGql>,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<Conn<DealObj>> {
        let page = Forward::new(first, after)?;
        let customer = opt_id(customer_id.as_ref(), "customer", CustomerId)?;
        let list = crm::deals(ctx.data::<Db>()?, stage.map(Into::into), customer, keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |d| d.id.0, Into::into))
    }

    /// One deal.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    async fn deal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DealObj> {
        let id = DealId(id_arg(&id, "deal")?);
        Ok(crm::deal(ctx.data::<Db>()?, id).await.map_err(app_error)?.into())
    }

    /// Activities, newest first, a page at a time (`after` an activity: older ones); optionally
    /// about one contact, company, deal or lead, of one owner, or only open tasks.
    #[graphql(guard = "PermissionGuard(Permission::CrmRead)")]
    #[allow(clippy::too_many_arguments)]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        contact_id: Option<ID>,
        company_id: Option<ID>,
        deal_id: Option<ID>,
        lead_id: Option<ID>,
        owner_id: Option<ID>,
        #[graphql(default)] open_tasks: bool,
    ) -> async_graphql::Result<Conn<ActivityObj>> {
        let page = Forward::new(first, after)?;
        let filter = crm::ActivityFilter {
            contact: opt_id(contact_id.as_ref(), "contact", ContactId)?,
            company: opt_id(company_id.as_ref(), "company", CompanyId)?,
            deal: opt_id(deal_id.as_ref(), "deal", DealId)?,
            lead: opt_id(lead_id.as_ref(), "lead", LeadId)?,
            owner: opt_id(owner_id.as_ref(), "user", UserId)?,
            open_tasks,
        };
        let list = crm::activities(ctx.data::<Db>()?, &filter, keyset(&page))
            .await
            .map_err(app_error)?;
        Ok(page.conn(list, |a| a.id.0, Into::into))
    }

    /// Support tickets, by id, a page at a time: staff see all (or one customer's), customers
    /// their own. Their replies are read for the whole page at once.
    #[graphql(guard = "AnyPermissionGuard(READ_TICKETS)")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        customer_id: Option<ID>,
        status: Option<TicketStatusGql>,
        #[graphql(default)] open_only: bool,
    ) -> async_graphql::Result<Conn<TicketNode>> {
        let page = Forward::new(first, after)?;
        let caller = ticket_caller(principal(ctx)?, Permission::CrmRead);
        let customer = opt_id(customer_id.as_ref(), "customer", CustomerId)?;
        let list = crm::tickets(
            ctx.data::<Db>()?,
            &caller,
            customer,
            status.map(Into::into),
            open_only,
            keyset(&page),
        )
        .await
        .map_err(app_error)?;
        Ok(page.conn(list, |t| t.id.0, |t| TicketNode(t, None)))
    }

    /// One ticket with its replies; another customer's ticket is `NOT_FOUND`.
    #[graphql(guard = "AnyPermissionGuard(READ_TICKETS)")]
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<TicketNode> {
        let caller = ticket_caller(principal(ctx)?, Permission::CrmRead);
        let id = TicketId(id_arg(&id, "ticket")?);
        let (t, replies) = crm::ticket(ctx.data::<Db>()?, &caller, id)
            .await
            .map_err(app_error)?;
        Ok(TicketNode(t, Some(replies)))
    }

    /// Everything held about a contact, as JSON (a personal data request).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn export_contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<String> {
        let id = ContactId(id_arg(&id, "contact")?);
        crm::export_contact_json(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)
    }
}

#[derive(Default)]
pub struct CrmMutation;

#[Object]
impl CrmMutation {
    /// Creates a customer record (the party that places orders).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInput,
    ) -> async_graphql::Result<CustomerNode> {
        let new = NewCustomer {
            name: input.name,
            email: input.email,
            company: input.company,
        };
        let c = crm::create_customer(ctx.data::<Db>()?, now(), &new)
            .await
            .map_err(app_error)?;
        Ok(CustomerNode(c))
    }

    /// Creates a company.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn create_company(&self, ctx: &Context<'_>, input: CompanyIn) -> async_graphql::Result<CompanyObj> {
        let input = input.parse()?;
        Ok(crm::create_company(ctx.data::<Db>()?, now(), &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Replaces a company's fields, addresses and tags.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CompanyIn,
    ) -> async_graphql::Result<CompanyObj> {
        let id = CompanyId(id_arg(&id, "company")?);
        let input = input.parse()?;
        Ok(crm::update_company(ctx.data::<Db>()?, now(), id, &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Creates a contact.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn create_contact(&self, ctx: &Context<'_>, input: ContactIn) -> async_graphql::Result<ContactObj> {
        let input = input.parse()?;
        Ok(crm::create_contact(ctx.data::<Db>()?, now(), &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Replaces a contact's fields, addresses and tags (`CRM_CONTACT_ERASED` once erased).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ContactIn,
    ) -> async_graphql::Result<ContactObj> {
        let id = ContactId(id_arg(&id, "contact")?);
        let input = input.parse()?;
        Ok(crm::update_contact(ctx.data::<Db>()?, now(), id, &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Adds a note to a company or a contact (exactly one of the two).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        company_id: Option<ID>,
        contact_id: Option<ID>,
        body: String,
    ) -> async_graphql::Result<NoteObj> {
        let company = opt_id(company_id.as_ref(), "company", CompanyId)?;
        let contact = opt_id(contact_id.as_ref(), "contact", ContactId)?;
        let caller = staff(ctx)?;
        Ok(
            crm::add_note(ctx.data::<Db>()?, &caller, now(), company, contact, &body)
                .await
                .map_err(app_error)?
                .into(),
        )
    }

    /// Creates a lead (status NEW).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn create_lead(&self, ctx: &Context<'_>, input: LeadIn) -> async_graphql::Result<LeadObj> {
        let input = input.parse()?;
        Ok(crm::create_lead(ctx.data::<Db>()?, now(), &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Moves a lead to another status (LOST needs a `reason`; converting is `convertLead`).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn set_lead_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: LeadStatusGql,
        reason: Option<String>,
    ) -> async_graphql::Result<LeadObj> {
        let id = LeadId(id_arg(&id, "lead")?);
        Ok(
            crm::set_lead_status(ctx.data::<Db>()?, now(), id, status.into(), reason.as_deref())
                .await
                .map_err(app_error)?
                .into(),
        )
    }

    /// Converts a lead into a contact (and a company when it named one), linked to a customer
    /// record if given, optionally with a deal for the new contact.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn convert_lead(
        &self,
        ctx: &Context<'_>,
        id: ID,
        customer_id: Option<ID>,
        deal: Option<DealIn>,
    ) -> async_graphql::Result<ConvertLeadPayload> {
        let id = LeadId(id_arg(&id, "lead")?);
        let customer = opt_id(customer_id.as_ref(), "customer", CustomerId)?;
        let deal = deal.map(DealIn::parse).transpose()?;
        let c = crm::convert_lead(ctx.data::<Db>()?, now(), id, customer, deal.as_ref())
            .await
            .map_err(app_error)?;
        Ok(ConvertLeadPayload {
            lead: c.lead.into(),
            contact: c.contact.into(),
            deal: c.deal.map(Into::into),
        })
    }

    /// Creates a deal (PROSPECTING unless an open stage is given).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn create_deal(&self, ctx: &Context<'_>, input: DealIn) -> async_graphql::Result<DealObj> {
        let input = input.parse()?;
        Ok(crm::create_deal(ctx.data::<Db>()?, now(), &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Moves a deal to another stage: open stages freely, LOST with a `reason`, a lost deal back
    /// to an open stage. Winning is `winDeal`.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn move_deal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stage: DealStageGql,
        probability: Option<i64>,
        reason: Option<String>,
    ) -> async_graphql::Result<DealObj> {
        let id = DealId(id_arg(&id, "deal")?);
        Ok(crm::move_deal(
            ctx.data::<Db>()?,
            now(),
            id,
            stage.into(),
            probability,
            reason.as_deref(),
        )
        .await
        .map_err(app_error)?
        .into())
    }

    /// Wins a deal with its quote or its order (a converted quote links its order too). The
    /// quote or order must be the deal's customer's and in the deal's currency.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn win_deal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        quote_id: Option<ID>,
        order_id: Option<ID>,
    ) -> async_graphql::Result<DealObj> {
        let id = DealId(id_arg(&id, "deal")?);
        let quote = opt_id(quote_id.as_ref(), "quote", QuoteId)?;
        let order = opt_id(order_id.as_ref(), "order", OrderId)?;
        Ok(crm::win_deal(ctx.data::<Db>()?, now(), id, quote, order)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Logs a call, e-mail or meeting, or creates a task.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn log_activity(&self, ctx: &Context<'_>, input: ActivityIn) -> async_graphql::Result<ActivityObj> {
        let input = input.parse()?;
        let caller = staff(ctx)?;
        Ok(crm::log_activity(ctx.data::<Db>()?, &caller, now(), &input)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Marks an open task done.
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn complete_task(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ActivityObj> {
        let id = ActivityId(id_arg(&id, "activity")?);
        Ok(crm::complete_task(ctx.data::<Db>()?, now(), id)
            .await
            .map_err(app_error)?
            .into())
    }

    /// Opens a support ticket: staff for any customer record (`customerId` required), a
    /// customer for their own.
    #[graphql(guard = "AnyPermissionGuard(WRITE_TICKETS)")]
    async fn open_ticket(
        &self,
        ctx: &Context<'_>,
        input: OpenTicketInput,
    ) -> async_graphql::Result<TicketNode> {
        let p = principal(ctx)?;
        let caller = ticket_caller(p, Permission::CrmWrite);
        let customer = match (
            caller.sees,
            opt_id(input.customer_id.as_ref(), "customer", CustomerId)?,
        ) {
            (Sees::Own(own), _) => own,
            (_, Some(c)) => c,
            (_, None) => {
                return Err(super::connection::invalid(
                    "customerId is required when staff open a ticket",
                    "CRM_INVALID_FIELD",
                ));
            }
        };
        let new = TicketInput {
            customer_id: customer,
            // A customer does not pick among the business's contacts.
            contact_id: match caller.sees {
                Sees::All => opt_id(input.contact_id.as_ref(), "contact", ContactId)?,
                _ => None,
            },
            order_id: opt_id(input.order_id.as_ref(), "order", OrderId)?,
            subject: input.subject,
            body: input.body,
            priority: input.priority.into(),
        };
        let (t, first) = crm::open_ticket(ctx.data::<Db>()?, &caller, now(), &new)
            .await
            .map_err(app_error)?;
        Ok(TicketNode(t, Some(vec![first])))
    }

    /// Replies to a ticket (customers: their own). A staff reply counts as the first response
    /// and moves an open ticket to PENDING; a customer reply reopens a pending or resolved one.
    #[graphql(guard = "AnyPermissionGuard(WRITE_TICKETS)")]
    async fn reply_to_ticket(
        &self,
        ctx: &Context<'_>,
        id: ID,
        body: String,
    ) -> async_graphql::Result<TicketNode> {
        let caller = ticket_caller(principal(ctx)?, Permission::CrmWrite);
        let id = TicketId(id_arg(&id, "ticket")?);
        let db = ctx.data::<Db>()?;
        let (t, _) = crm::reply_to_ticket(db, &caller, now(), id, &body)
            .await
            .map_err(app_error)?;
        Ok(TicketNode(t, None))
    }

    /// Changes a ticket's status (staff).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn set_ticket_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: TicketStatusGql,
    ) -> async_graphql::Result<TicketNode> {
        let id = TicketId(id_arg(&id, "ticket")?);
        let t = crm::set_ticket_status(ctx.data::<Db>()?, now(), id, status.into())
            .await
            .map_err(app_error)?;
        Ok(TicketNode(t, None))
    }

    /// Sets a ticket's priority and assignee (staff).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn assign_ticket(
        &self,
        ctx: &Context<'_>,
        id: ID,
        priority: TicketPriorityGql,
        assignee_id: Option<ID>,
    ) -> async_graphql::Result<TicketNode> {
        let id = TicketId(id_arg(&id, "ticket")?);
        let assignee = opt_id(assignee_id.as_ref(), "user", UserId)?;
        let t = crm::assign_ticket(ctx.data::<Db>()?, now(), id, priority.into(), assignee)
            .await
            .map_err(app_error)?;
        Ok(TicketNode(t, None))
    }

    /// Erases (anonymises) a contact on request; orders and their history stay. Refused while
    /// its customer has unfinished orders (`CRM_ERASE_OPEN_ORDERS`).
    #[graphql(guard = "PermissionGuard(Permission::CrmWrite)")]
    async fn erase_contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<EraseContactPayload> {
        let id = ContactId(id_arg(&id, "contact")?);
        let e = crm::erase_contact(ctx.data::<Db>()?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(EraseContactPayload {
            contact: e.contact.into(),
            erased_customer_id: e.customer.map(|c| gid(c.0)),
        })
    }
}
