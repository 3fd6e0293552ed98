//! The CRM's GraphQL types: outputs mirror the domain records, inputs parse ids and enums and
//! leave every rule to the domain.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_engine::domain::crm::{
    Activity, ActivityInput, ActivityKind, Address, AddressKind, Company, CompanyId, CompanyInput, Contact,
    ContactId, ContactInput, CustomerPage, Deal, DealId, DealInput, DealStage, Lead, LeadId, LeadInput,
    LeadSource, LeadStatus, Note, Reply, Ticket, TicketPriority, TicketStatus,
};
use gantry_engine::domain::types::{CustomerId, UserId};

use crate::graphql::connection::{MoneyInput, MoneyObj, Ts, id_arg, mirror_enum, ts};
use crate::graphql::loaders::loaders;
use crate::graphql::orders::{CustomerNode, OrderNode};

mirror_enum!(
    /// What an address is used for.
    AddressKindGql as "AddressKind" = AddressKind { Billing, Shipping, Other }
);
mirror_enum!(
    /// Where a lead came from.
    LeadSourceGql as "LeadSource" = LeadSource { Website, Referral, Event, Email, Phone, Social, Partner, Other }
);
mirror_enum!(
    /// How far a lead got: NEW → CONTACTED → QUALIFIED → CONVERTED, or LOST (reopened to NEW).
    LeadStatusGql as "LeadStatus" = LeadStatus { New, Contacted, Qualified, Converted, Lost }
);
mirror_enum!(
    /// A deal's pipeline stage.
    DealStageGql as "DealStage" = DealStage { Prospecting, Qualification, Proposal, Negotiation, Won, Lost }
);
mirror_enum!(
    /// What kind of activity.
    ActivityKindGql as "ActivityKind" = ActivityKind { Call, Email, Meeting, Task }
);
mirror_enum!(
    /// Where a ticket stands (PENDING: waiting for the customer).
    TicketStatusGql as "TicketStatus" = TicketStatus { Open, Pending, Resolved, Closed }
);
mirror_enum!(
    /// How urgent a ticket is.
    TicketPriorityGql as "TicketPriority" = TicketPriority { Low, Normal, High, Urgent }
);

pub fn gid(id: i64) -> ID {
    ID(id.to_string())
}

pub fn opt_id<T>(id: Option<&ID>, entity: &'static str, f: fn(i64) -> T) -> async_graphql::Result<Option<T>> {
    id.map(|i| id_arg(i, entity).map(f)).transpose()
}

/// A postal address.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Address")]
pub struct AddressObj {
    pub kind: AddressKindGql,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl From<Address> for AddressObj {
    fn from(a: Address) -> Self {
        AddressObj {
            kind: a.kind.into(),
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

/// A postal address as input.
#[derive(InputObject, Debug, Clone)]
pub struct AddressInput {
    #[graphql(default_with = "AddressKindGql::Billing")]
    pub kind: AddressKindGql,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: String,
}

impl From<AddressInput> for Address {
    fn from(a: AddressInput) -> Self {
        Address {
            kind: a.kind.into(),
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

/// A company.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Company")]
pub struct CompanyObj {
    pub id: ID,
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub customer_id: Option<ID>,
    pub addresses: Vec<AddressObj>,
    pub tags: Vec<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<Company> for CompanyObj {
    fn from(c: Company) -> Self {
        CompanyObj {
            id: gid(c.id.0),
            name: c.name,
            website: c.website,
            phone: c.phone,
            customer_id: c.customer_id.map(|c| gid(c.0)),
            addresses: c.addresses.into_iter().map(Into::into).collect(),
            tags: c.tags,
            created_at: Ts(c.created_at),
            updated_at: Ts(c.updated_at),
        }
    }
}

/// A company as input (an update replaces every field, addresses and tags included).
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "CompanyInput")]
pub struct CompanyIn {
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    /// The customer record the company orders as.
    pub customer_id: Option<ID>,
    #[graphql(default)]
    pub addresses: Vec<AddressInput>,
    #[graphql(default)]
    pub tags: Vec<String>,
}

impl CompanyIn {
    pub fn parse(self) -> async_graphql::Result<CompanyInput> {
        Ok(CompanyInput {
            customer_id: opt_id(self.customer_id.as_ref(), "customer", CustomerId)?,
            name: self.name,
            website: self.website,
            phone: self.phone,
            addresses: self.addresses.into_iter().map(Into::into).collect(),
            tags: self.tags,
        })
    }
}

/// A person the business deals with.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Contact")]
pub struct ContactObj {
    pub id: ID,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    pub company_id: Option<ID>,
    /// The customer record this person orders as.
    pub customer_id: Option<ID>,
    pub addresses: Vec<AddressObj>,
    pub tags: Vec<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// Set once the contact was erased on request.
    pub erased_at: Option<Ts>,
}

impl From<Contact> for ContactObj {
    fn from(c: Contact) -> Self {
        ContactObj {
            id: gid(c.id.0),
            name: c.name,
            email: c.email,
            phone: c.phone,
            title: c.title,
            company_id: c.company_id.map(|c| gid(c.0)),
            customer_id: c.customer_id.map(|c| gid(c.0)),
            addresses: c.addresses.into_iter().map(Into::into).collect(),
            tags: c.tags,
            created_at: Ts(c.created_at),
            updated_at: Ts(c.updated_at),
            erased_at: ts(c.erased_at),
        }
    }
}

/// A contact as input (an update replaces every field, addresses and tags included).
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "ContactInput")]
pub struct ContactIn {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub company_id: Option<ID>,
    pub customer_id: Option<ID>,
    #[graphql(default)]
    pub addresses: Vec<AddressInput>,
    #[graphql(default)]
    pub tags: Vec<String>,
}

impl ContactIn {
    pub fn parse(self) -> async_graphql::Result<ContactInput> {
        Ok(ContactInput {
            company_id: opt_id(self.company_id.as_ref(), "company", CompanyId)?,
            customer_id: opt_id(self.customer_id.as_ref(), "customer", CustomerId)?,
            name: self.name,
            email: self.email,
            phone: self.phone,
            title: self.title,
            addresses: self.addresses.into_iter().map(Into::into).collect(),
            tags: self.tags,
        })
    }
}

/// A note on a company or a contact.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Note")]
pub struct NoteObj {
    pub id: ID,
    pub company_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub body: String,
    pub author_id: Option<ID>,
    pub created_at: Ts,
}

impl From<Note> for NoteObj {
    fn from(n: Note) -> Self {
        NoteObj {
            id: gid(n.id.0),
            company_id: n.company_id.map(|c| gid(c.0)),
            contact_id: n.contact_id.map(|c| gid(c.0)),
            body: n.body,
            author_id: n.author_id.map(|u| gid(u.0)),
            created_at: Ts(n.created_at),
        }
    }
}

/// A lead.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Lead")]
pub struct LeadObj {
    pub id: ID,
    pub name: String,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: LeadSourceGql,
    pub status: LeadStatusGql,
    pub owner_id: Option<ID>,
    /// The contact the lead became.
    pub contact_id: Option<ID>,
    pub lost_reason: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<Lead> for LeadObj {
    fn from(l: Lead) -> Self {
        LeadObj {
            id: gid(l.id.0),
            name: l.name,
            company_name: l.company_name,
            email: l.email,
            phone: l.phone,
            source: l.source.into(),
            status: l.status.into(),
            owner_id: l.owner_id.map(|u| gid(u.0)),
            contact_id: l.contact_id.map(|c| gid(c.0)),
            lost_reason: l.lost_reason,
            created_at: Ts(l.created_at),
            updated_at: Ts(l.updated_at),
        }
    }
}

/// A new lead.
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "LeadInput")]
pub struct LeadIn {
    pub name: String,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[graphql(default_with = "LeadSourceGql::Other")]
    pub source: LeadSourceGql,
    pub owner_id: Option<ID>,
}

impl LeadIn {
    pub fn parse(self) -> async_graphql::Result<LeadInput> {
        Ok(LeadInput {
            owner_id: opt_id(self.owner_id.as_ref(), "user", UserId)?,
            name: self.name,
            company_name: self.company_name,
            email: self.email,
            phone: self.phone,
            source: self.source.into(),
        })
    }
}

/// A deal in the pipeline.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Deal")]
pub struct DealObj {
    pub id: ID,
    pub title: String,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub lead_id: Option<ID>,
    pub owner_id: Option<ID>,
    pub stage: DealStageGql,
    pub value: MoneyObj,
    /// Percent.
    pub probability: i64,
    pub expected_close_at: Option<Ts>,
    /// The quote the deal was won with.
    pub quote_id: Option<ID>,
    /// The order the deal was won with (or its quote's order).
    pub order_id: Option<ID>,
    pub lost_reason: Option<String>,
    pub closed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<Deal> for DealObj {
    fn from(d: Deal) -> Self {
        DealObj {
            id: gid(d.id.0),
            title: d.title,
            contact_id: d.contact_id.map(|c| gid(c.0)),
            company_id: d.company_id.map(|c| gid(c.0)),
            customer_id: d.customer_id.map(|c| gid(c.0)),
            lead_id: d.lead_id.map(|c| gid(c.0)),
            owner_id: d.owner_id.map(|c| gid(c.0)),
            stage: d.stage.into(),
            value: d.value.into(),
            probability: d.probability,
            expected_close_at: ts(d.expected_close_at),
            quote_id: d.quote_id.map(|q| gid(q.0)),
            order_id: d.order_id.map(|o| gid(o.0)),
            lost_reason: d.lost_reason,
            closed_at: ts(d.closed_at),
            created_at: Ts(d.created_at),
            updated_at: Ts(d.updated_at),
        }
    }
}

/// A new deal (needs a contact, a company or a customer; converting a lead fills the contact).
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "DealInput")]
pub struct DealIn {
    pub title: String,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub owner_id: Option<ID>,
    pub value: MoneyInput,
    /// Percent; the stage's default when omitted.
    pub probability: Option<i64>,
    pub expected_close_at: Option<Ts>,
    /// An open stage; PROSPECTING when omitted.
    pub stage: Option<DealStageGql>,
}

impl DealIn {
    pub fn parse(self) -> async_graphql::Result<DealInput> {
        Ok(DealInput {
            contact_id: opt_id(self.contact_id.as_ref(), "contact", ContactId)?,
            company_id: opt_id(self.company_id.as_ref(), "company", CompanyId)?,
            customer_id: opt_id(self.customer_id.as_ref(), "customer", CustomerId)?,
            lead_id: None,
            owner_id: opt_id(self.owner_id.as_ref(), "user", UserId)?,
            value: self.value.to_money()?,
            probability: self.probability,
            expected_close_at: self.expected_close_at.map(|t| t.0),
            stage: self.stage.map(Into::into),
            title: self.title,
        })
    }
}

/// A call, e-mail, meeting or task.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Activity")]
pub struct ActivityObj {
    pub id: ID,
    pub kind: ActivityKindGql,
    pub subject: String,
    pub body: Option<String>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub deal_id: Option<ID>,
    pub lead_id: Option<ID>,
    pub owner_id: Option<ID>,
    /// When a task is due.
    pub due_at: Option<Ts>,
    /// When a call, e-mail or meeting happened or is booked.
    pub occurred_at: Option<Ts>,
    /// When a task was done.
    pub done_at: Option<Ts>,
    pub created_by: Option<ID>,
    pub created_at: Ts,
}

impl From<Activity> for ActivityObj {
    fn from(a: Activity) -> Self {
        ActivityObj {
            id: gid(a.id.0),
            kind: a.kind.into(),
            subject: a.subject,
            body: a.body,
            contact_id: a.contact_id.map(|c| gid(c.0)),
            company_id: a.company_id.map(|c| gid(c.0)),
            deal_id: a.deal_id.map(|c| gid(c.0)),
            lead_id: a.lead_id.map(|c| gid(c.0)),
            owner_id: a.owner_id.map(|c| gid(c.0)),
            due_at: ts(a.due_at),
            occurred_at: ts(a.occurred_at),
            done_at: ts(a.done_at),
            created_by: a.created_by.map(|c| gid(c.0)),
            created_at: Ts(a.created_at),
        }
    }
}

/// A new activity: tasks need `dueAt` and `ownerId`; the others happen at `occurredAt` (now
/// when omitted). It must concern a contact, company, deal or lead.
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "ActivityInput")]
pub struct ActivityIn {
    pub kind: ActivityKindGql,
    pub subject: String,
    pub body: Option<String>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub deal_id: Option<ID>,
    pub lead_id: Option<ID>,
    pub owner_id: Option<ID>,
    pub due_at: Option<Ts>,
    pub occurred_at: Option<Ts>,
}

impl ActivityIn {
    pub fn parse(self) -> async_graphql::Result<ActivityInput> {
        Ok(ActivityInput {
            kind: self.kind.into(),
            contact_id: opt_id(self.contact_id.as_ref(), "contact", ContactId)?,
            company_id: opt_id(self.company_id.as_ref(), "company", CompanyId)?,
            deal_id: opt_id(self.deal_id.as_ref(), "deal", DealId)?,
            lead_id: opt_id(self.lead_id.as_ref(), "lead", LeadId)?,
            owner_id: opt_id(self.owner_id.as_ref(), "user", UserId)?,
            due_at: self.due_at.map(|t| t.0),
            occurred_at: self.occurred_at.map(|t| t.0),
            subject: self.subject,
            body: self.body,
        })
    }
}

/// A reply on a ticket (the first message is one too).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "TicketReply")]
pub struct ReplyObj {
    pub id: ID,
    pub author_id: Option<ID>,
    /// Written by staff (not by the customer).
    pub from_staff: bool,
    pub body: String,
    pub created_at: Ts,
}

impl From<Reply> for ReplyObj {
    fn from(r: Reply) -> Self {
        ReplyObj {
            id: gid(r.id.0),
            author_id: r.author_id.map(|u| gid(u.0)),
            from_staff: r.from_staff,
            body: r.body,
            created_at: Ts(r.created_at),
        }
    }
}

/// A support ticket; `replies` are read when asked for (or were read with the ticket).
pub struct TicketNode(pub Ticket, pub Option<Vec<Reply>>);

/// A support ticket.
#[Object(name = "Ticket")]
impl TicketNode {
    async fn id(&self) -> ID {
        gid(self.0.id.0)
    }
    async fn customer_id(&self) -> ID {
        gid(self.0.customer_id.0)
    }
    async fn contact_id(&self) -> Option<ID> {
        self.0.contact_id.map(|c| gid(c.0))
    }
    /// The order the ticket is about.
    async fn order_id(&self) -> Option<ID> {
        self.0.order_id.map(|o| gid(o.0))
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn status(&self) -> TicketStatusGql {
        self.0.status.into()
    }
    async fn priority(&self) -> TicketPriorityGql {
        self.0.priority.into()
    }
    async fn assignee_id(&self) -> Option<ID> {
        self.0.assignee_id.map(|u| gid(u.0))
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn updated_at(&self) -> Ts {
        Ts(self.0.updated_at)
    }
    /// The first staff reply.
    async fn first_response_at(&self) -> Option<Ts> {
        ts(self.0.first_response_at)
    }
    /// Seconds from opening to the first staff reply.
    async fn first_response_seconds(&self) -> Option<i64> {
        self.0.first_response_secs()
    }
    async fn resolved_at(&self) -> Option<Ts> {
        ts(self.0.resolved_at)
    }
    /// Seconds from opening to resolution.
    async fn resolution_seconds(&self) -> Option<i64> {
        self.0.resolution_secs()
    }
    async fn closed_at(&self) -> Option<Ts> {
        ts(self.0.closed_at)
    }
    /// The messages, oldest first (read for every ticket of a list at once).
    async fn replies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReplyObj>> {
        let list = match &self.1 {
            Some(r) => r.clone(),
            None => loaders(ctx)?
                .replies
                .load(ctx, self.0.id)
                .await?
                .unwrap_or_default(),
        };
        Ok(list.into_iter().map(Into::into).collect())
    }
}

/// One customer record at a glance.
pub struct CustomerPageNode(pub CustomerPage);

/// One customer record at a glance: people, orders, money, tickets, latest activity.
#[Object(name = "CustomerPage")]
impl CustomerPageNode {
    async fn customer(&self) -> CustomerNode {
        CustomerNode(self.0.customer.clone())
    }
    async fn contacts(&self) -> Vec<ContactObj> {
        self.0.contacts.iter().cloned().map(Into::into).collect()
    }
    async fn companies(&self) -> Vec<CompanyObj> {
        self.0.companies.iter().cloned().map(Into::into).collect()
    }
    /// Every order of the customer, by id.
    async fn orders(&self) -> Vec<OrderNode> {
        self.0.orders.iter().cloned().map(OrderNode::new).collect()
    }
    /// Totals of the paid (and not refunded) orders, one amount per currency.
    async fn lifetime_revenue(&self) -> Vec<MoneyObj> {
        self.0.lifetime_revenue.iter().map(|m| (*m).into()).collect()
    }
    /// Lifetime margin per currency from the finance ledger: its orders' invoices less credit
    /// notes (net of tax) less what their jobs cost; empty before anything of it was posted.
    async fn lifetime_margin(&self) -> Option<Vec<MoneyObj>> {
        self.0
            .lifetime_margin
            .as_ref()
            .map(|v| v.iter().map(|m| (*m).into()).collect())
    }
    /// Open and pending tickets.
    async fn open_tickets(&self) -> Vec<TicketNode> {
        self.0
            .open_tickets
            .iter()
            .cloned()
            .map(|t| TicketNode(t, None))
            .collect()
    }
    /// Deals still in the pipeline.
    async fn open_deals(&self) -> Vec<DealObj> {
        self.0.open_deals.iter().cloned().map(Into::into).collect()
    }
    /// The latest activity about the customer's contacts, companies or deals.
    async fn last_activity(&self) -> Option<ActivityObj> {
        self.0.last_activity.clone().map(Into::into)
    }
}

/// What converting a lead made.
#[derive(SimpleObject)]
pub struct ConvertLeadPayload {
    pub lead: LeadObj,
    pub contact: ContactObj,
    pub deal: Option<DealObj>,
}

/// What erasing a contact changed.
#[derive(SimpleObject)]
pub struct EraseContactPayload {
    /// The contact as it is now (anonymised).
    pub contact: ContactObj,
    /// The customer record anonymised with it (it had no other contact left).
    pub erased_customer_id: Option<ID>,
}
