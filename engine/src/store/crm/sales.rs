//! Leads and deals (`crm_leads`, `crm_deals`). Status and stage updates are guarded by the
//! status read (`WHERE status = <expected>`), so a concurrent change is a conflict, not a lost
//! update.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Keyset, emit, ms, named, opt_time, opt_user, parties, rejected, time};
use crate::domain::crm::CrmEvent as E;
use crate::domain::crm::{
    CompanyId, CompanyInput, Contact, ContactId, ContactInput, CrmError, Deal, DealCreated, DealId,
    DealInput, DealStage, DealStageChanged, DealWon, Lead, LeadCreated, LeadId, LeadInput, LeadSource,
    LeadStatus, LeadStatusChanged, WinFacts,
};
use crate::domain::printing::QuoteId;
use crate::domain::types::{Currency, CustomerId, Money, OrderId, UserId};
use crate::store::{StoreError, StoreResult, Tx, col, orders, printing, users};

macro_rules! lead_cols {
    () => {
        "id, name, company_name, email, phone, source, status, owner_id, contact_id, lost_reason, created_at, updated_at"
    };
}

macro_rules! deal_cols {
    () => {
        "id, title, contact_id, company_id, customer_id, lead_id, owner_id, stage, value_minor, currency, \
         probability, expected_close_at, quote_id, order_id, lost_reason, closed_at, created_at, updated_at"
    };
}

fn lead_from_row(row: &AnyRow) -> StoreResult<Lead> {
    const T: &str = "crm_leads";
    Ok(Lead {
        id: LeadId(col(row, T, "id")?),
        name: col(row, T, "name")?,
        company_name: col(row, T, "company_name")?,
        email: col(row, T, "email")?,
        phone: col(row, T, "phone")?,
        source: named(row, T, "source", LeadSource::parse)?,
        status: named(row, T, "status", LeadStatus::parse)?,
        owner_id: opt_user(row, T, "owner_id")?,
        contact_id: col::<Option<i64>>(row, T, "contact_id")?.map(ContactId),
        lost_reason: col(row, T, "lost_reason")?,
        created_at: time(row, T, "created_at")?,
        updated_at: time(row, T, "updated_at")?,
    })
}

fn deal_from_row(row: &AnyRow) -> StoreResult<Deal> {
    const T: &str = "crm_deals";
    let currency: String = col(row, T, "currency")?;
    let currency = Currency::parse(&currency).map_err(|e| StoreError::corrupt(T, e))?;
    Ok(Deal {
        id: DealId(col(row, T, "id")?),
        title: col(row, T, "title")?,
        contact_id: col::<Option<i64>>(row, T, "contact_id")?.map(ContactId),
        company_id: col::<Option<i64>>(row, T, "company_id")?.map(CompanyId),
        customer_id: col::<Option<i64>>(row, T, "customer_id")?.map(CustomerId),
        lead_id: col::<Option<i64>>(row, T, "lead_id")?.map(LeadId),
        owner_id: opt_user(row, T, "owner_id")?,
        stage: named(row, T, "stage", DealStage::parse)?,
        value: Money::new(col(row, T, "value_minor")?, currency),
        probability: col(row, T, "probability")?,
        expected_close_at: opt_time(row, T, "expected_close_at")?,
        quote_id: col::<Option<i64>>(row, T, "quote_id")?.map(QuoteId),
        order_id: col::<Option<i64>>(row, T, "order_id")?.map(OrderId),
        lost_reason: col(row, T, "lost_reason")?,
        closed_at: opt_time(row, T, "closed_at")?,
        created_at: time(row, T, "created_at")?,
        updated_at: time(row, T, "updated_at")?,
    })
}

async fn ensure_user(conn: &mut AnyConnection, id: Option<UserId>) -> StoreResult<()> {
    if let Some(id) = id {
        users::get_user(conn, id).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Leads

/// Creates a lead (status `new`); appends `lead.created`.
pub async fn create_lead(tx: &mut Tx, now: DateTime<Utc>, input: &LeadInput) -> StoreResult<Lead> {
    let l = input.validate().map_err(rejected)?;
    ensure_user(&mut *tx, l.owner_id).await?;
    let row = sqlx::query(concat!(
        "INSERT INTO crm_leads (name, company_name, email, phone, source, status, owner_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, $7) RETURNING ",
        lead_cols!()
    ))
    .bind(&l.name)
    .bind(l.company_name.as_deref())
    .bind(l.email.as_deref())
    .bind(l.phone.as_deref())
    .bind(l.source.as_str())
    .bind(l.owner_id.map(|u| u.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    let lead = lead_from_row(&row)?;
    emit(
        tx,
        now,
        E::LeadCreated(LeadCreated {
            lead_id: lead.id.0,
            source: lead.source,
            owner_id: lead.owner_id.map(|u| u.0),
        }),
    )
    .await?;
    Ok(lead)
}

/// A lead by id.
pub async fn get_lead(conn: &mut AnyConnection, id: LeadId) -> StoreResult<Lead> {
    let row = sqlx::query(concat!("SELECT ", lead_cols!(), " FROM crm_leads WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("lead", id))?;
    lead_from_row(&row)
}

/// Leads by id, optionally of one status; one `page` of them.
pub async fn list_leads(
    conn: &mut AnyConnection,
    status: Option<LeadStatus>,
    page: Keyset,
) -> StoreResult<Vec<Lead>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        lead_cols!(),
        " FROM crm_leads WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    ))
    .bind(status.map(|s| s.as_str()))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(lead_from_row).collect()
}

async fn write_lead(tx: &mut Tx, before: &Lead, after: &Lead) -> StoreResult<()> {
    let res = sqlx::query(
        "UPDATE crm_leads SET status = $1, contact_id = $2, lost_reason = $3, updated_at = $4 \
         WHERE id = $5 AND status = $6",
    )
    .bind(after.status.as_str())
    .bind(after.contact_id.map(|c| c.0))
    .bind(after.lost_reason.as_deref())
    .bind(ms(after.updated_at))
    .bind(after.id.0)
    .bind(before.status.as_str())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "lead {} changed concurrently",
            after.id
        )));
    }
    emit(
        tx,
        after.updated_at,
        E::LeadStatusChanged(LeadStatusChanged {
            lead_id: after.id.0,
            from: before.status,
            to: after.status,
            contact_id: after.contact_id.map(|c| c.0),
        }),
    )
    .await
}

/// Moves a lead to another status (`lost` needs a reason); appends `lead.status_changed`.
pub async fn set_lead_status(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: LeadId,
    to: LeadStatus,
    reason: Option<&str>,
) -> StoreResult<Lead> {
    let lead = get_lead(&mut *tx, id).await?;
    let next = lead.with_status(to, reason, now).map_err(rejected)?;
    write_lead(tx, &lead, &next).await?;
    Ok(next)
}

/// What converting a lead made.
#[derive(Debug, Clone)]
pub struct Converted {
    pub lead: Lead,
    pub contact: Contact,
    pub deal: Option<Deal>,
}

/// Converts a lead: a contact from its name, e-mail and phone (and a company when it named
/// one), the lead `converted` and linked to the contact, and optionally a deal for the contact
/// (`deal`'s party fields are filled from the conversion).
pub async fn convert_lead(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: LeadId,
    customer: Option<CustomerId>,
    deal: Option<&DealInput>,
) -> StoreResult<Converted> {
    let lead = get_lead(&mut *tx, id).await?;
    lead.check_convert().map_err(rejected)?;
    let company = match &lead.company_name {
        Some(name) => Some(
            parties::create_company(
                tx,
                now,
                &CompanyInput {
                    name: name.clone(),
                    customer_id: customer,
                    ..CompanyInput::default()
                },
            )
            .await?,
        ),
        None => None,
    };
    let contact = parties::create_contact(
        tx,
        now,
        &ContactInput {
            name: lead.name.clone(),
            email: lead.email.clone(),
            phone: lead.phone.clone(),
            company_id: company.as_ref().map(|c| c.id),
            customer_id: customer,
            ..ContactInput::default()
        },
    )
    .await?;
    let next = Lead {
        status: LeadStatus::Converted,
        contact_id: Some(contact.id),
        lost_reason: None,
        updated_at: now,
        ..lead.clone()
    };
    write_lead(tx, &lead, &next).await?;
    let deal = match deal {
        Some(d) => {
            let input = DealInput {
                contact_id: Some(contact.id),
                company_id: company.as_ref().map(|c| c.id),
                customer_id: d.customer_id.or(customer),
                lead_id: Some(lead.id),
                owner_id: d.owner_id.or(lead.owner_id),
                ..d.clone()
            };
            Some(create_deal(tx, now, &input).await?)
        }
        None => None,
    };
    Ok(Converted {
        lead: next,
        contact,
        deal,
    })
}

// ---------------------------------------------------------------------------------------------
// Deals

/// Creates a deal; its contact (not erased), company, customer, lead and owner must exist.
/// Appends `deal.created`.
pub async fn create_deal(tx: &mut Tx, now: DateTime<Utc>, input: &DealInput) -> StoreResult<Deal> {
    let d = input.validate().map_err(rejected)?;
    if let Some(c) = d.contact_id {
        parties::get_contact(&mut *tx, c)
            .await?
            .check_not_erased()
            .map_err(rejected)?;
    }
    if let Some(c) = d.company_id {
        parties::get_company(&mut *tx, c).await?;
    }
    if let Some(c) = d.customer_id {
        users::get_customer(&mut *tx, c).await?;
    }
    if let Some(l) = d.lead_id {
        get_lead(&mut *tx, l).await?;
    }
    ensure_user(&mut *tx, d.owner_id).await?;
    let stage = d.stage.unwrap_or(DealStage::Prospecting);
    let row = sqlx::query(concat!(
        "INSERT INTO crm_deals (title, contact_id, company_id, customer_id, lead_id, owner_id, stage, value_minor, \
         currency, probability, expected_close_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING ",
        deal_cols!()
    ))
    .bind(&d.title)
    .bind(d.contact_id.map(|c| c.0))
    .bind(d.company_id.map(|c| c.0))
    .bind(d.customer_id.map(|c| c.0))
    .bind(d.lead_id.map(|c| c.0))
    .bind(d.owner_id.map(|c| c.0))
    .bind(stage.as_str())
    .bind(d.value.minor)
    .bind(d.value.currency.as_str())
    .bind(d.probability.unwrap_or(stage.default_probability()))
    .bind(d.expected_close_at.map(ms))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    let deal = deal_from_row(&row)?;
    emit(
        tx,
        now,
        E::DealCreated(DealCreated {
            deal_id: deal.id.0,
            stage: deal.stage,
            value_minor: deal.value.minor,
            currency: deal.value.currency.as_str().to_string(),
            customer_id: deal.customer_id.map(|c| c.0),
            lead_id: deal.lead_id.map(|l| l.0),
        }),
    )
    .await?;
    Ok(deal)
}

/// A deal by id.
pub async fn get_deal(conn: &mut AnyConnection, id: DealId) -> StoreResult<Deal> {
    let row = sqlx::query(concat!("SELECT ", deal_cols!(), " FROM crm_deals WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("deal", id))?;
    deal_from_row(&row)
}

/// Deals by id, optionally of one stage, customer record or contact; one `page` of them.
pub async fn list_deals(
    conn: &mut AnyConnection,
    stage: Option<DealStage>,
    customer: Option<CustomerId>,
    contact: Option<ContactId>,
    page: Keyset,
) -> StoreResult<Vec<Deal>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        deal_cols!(),
        " FROM crm_deals WHERE ($1 IS NULL OR stage = $1) AND ($2 IS NULL OR customer_id = $2) \
         AND ($3 IS NULL OR contact_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
    ))
    .bind(stage.map(|s| s.as_str()))
    .bind(customer.map(|c| c.0))
    .bind(contact.map(|c| c.0))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(deal_from_row).collect()
}

async fn write_deal(tx: &mut Tx, before: &Deal, after: &Deal) -> StoreResult<()> {
    let res = sqlx::query(
        "UPDATE crm_deals SET stage = $1, probability = $2, customer_id = $3, quote_id = $4, order_id = $5, \
         lost_reason = $6, closed_at = $7, updated_at = $8 WHERE id = $9 AND stage = $10",
    )
    .bind(after.stage.as_str())
    .bind(after.probability)
    .bind(after.customer_id.map(|c| c.0))
    .bind(after.quote_id.map(|q| q.0))
    .bind(after.order_id.map(|o| o.0))
    .bind(after.lost_reason.as_deref())
    .bind(after.closed_at.map(ms))
    .bind(ms(after.updated_at))
    .bind(after.id.0)
    .bind(before.stage.as_str())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "deal {} changed concurrently",
            after.id
        )));
    }
    Ok(())
}

/// Moves a deal to another stage (`lost` needs a reason; `won` is [`win_deal`]); appends
/// `deal.stage_changed`.
pub async fn move_deal(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: DealId,
    to: DealStage,
    probability: Option<i64>,
    reason: Option<&str>,
) -> StoreResult<Deal> {
    let deal = get_deal(&mut *tx, id).await?;
    let next = deal.moved(to, probability, reason, now).map_err(rejected)?;
    write_deal(tx, &deal, &next).await?;
    emit(
        tx,
        now,
        E::DealStageChanged(DealStageChanged {
            deal_id: next.id.0,
            from: deal.stage,
            to: next.stage,
            probability: next.probability,
        }),
    )
    .await?;
    Ok(next)
}

/// Wins a deal with its quote or its order (or both, when the order came from the quote); a
/// quote already turned into an order links that order too. Appends `deal.won`.
pub async fn win_deal(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: DealId,
    quote: Option<QuoteId>,
    order: Option<OrderId>,
) -> StoreResult<Deal> {
    let deal = get_deal(&mut *tx, id).await?;
    let facts = match (quote, order) {
        (None, None) => return Err(rejected(CrmError::WinNeedsLink)),
        (Some(q), o) => {
            let quote = printing::get_quote(&mut *tx, q).await?;
            if o.is_some() && quote.order_id != o {
                return Err(rejected(CrmError::InvalidField {
                    field: "order",
                    reason: "is not the order made from the quote",
                }));
            }
            WinFacts {
                quote_id: Some(quote.id),
                order_id: quote.order_id,
                customer_id: quote.customer_id,
                total: quote.total,
                what: "quote",
            }
        }
        (None, Some(o)) => {
            let order = orders::get_order(&mut *tx, o).await?;
            WinFacts {
                quote_id: None,
                order_id: Some(order.id),
                customer_id: Some(order.customer_id),
                total: order.total,
                what: "order",
            }
        }
    };
    let next = deal.won(&facts, now).map_err(rejected)?;
    write_deal(tx, &deal, &next).await?;
    emit(
        tx,
        now,
        E::DealWon(DealWon {
            deal_id: next.id.0,
            from: deal.stage,
            quote_id: next.quote_id.map(|q| q.0),
            order_id: next.order_id.map(|o| o.0),
            customer_id: next.customer_id.map(|c| c.0),
            value_minor: next.value.minor,
            currency: next.value.currency.as_str().to_string(),
        }),
    )
    .await?;
    Ok(next)
}
