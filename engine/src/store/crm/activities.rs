//! Activities and tasks (`crm_activities`).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Keyset, ms, named, opt_time, opt_user, parties, rejected, sales, time};
use crate::domain::crm::{
    Activity, ActivityId, ActivityInput, ActivityKind, CompanyId, ContactId, DealId, LeadId,
};
use crate::domain::types::{CustomerId, UserId};
use crate::store::{StoreError, StoreResult, Tx, col, users};

macro_rules! activity_cols {
    () => {
        "a.id, a.kind, a.subject, a.body, a.contact_id, a.company_id, a.deal_id, a.lead_id, a.owner_id, a.due_at, \
         a.occurred_at, a.done_at, a.created_by, a.created_at"
    };
}

fn activity_from_row(row: &AnyRow) -> StoreResult<Activity> {
    const T: &str = "crm_activities";
    Ok(Activity {
        id: ActivityId(col(row, T, "id")?),
        kind: named(row, T, "kind", ActivityKind::parse)?,
        subject: col(row, T, "subject")?,
        body: col(row, T, "body")?,
        contact_id: col::<Option<i64>>(row, T, "contact_id")?.map(ContactId),
        company_id: col::<Option<i64>>(row, T, "company_id")?.map(CompanyId),
        deal_id: col::<Option<i64>>(row, T, "deal_id")?.map(DealId),
        lead_id: col::<Option<i64>>(row, T, "lead_id")?.map(LeadId),
        owner_id: opt_user(row, T, "owner_id")?,
        due_at: opt_time(row, T, "due_at")?,
        occurred_at: opt_time(row, T, "occurred_at")?,
        done_at: opt_time(row, T, "done_at")?,
        created_by: opt_user(row, T, "created_by")?,
        created_at: time(row, T, "created_at")?,
    })
}

/// Logs an activity or creates a task; everything it names must exist (an erased contact
/// takes no new activities).
pub async fn create_activity(
    tx: &mut Tx,
    now: DateTime<Utc>,
    input: &ActivityInput,
    by: Option<UserId>,
) -> StoreResult<Activity> {
    let a = input.validate(now).map_err(rejected)?;
    if let Some(c) = a.contact_id {
        parties::get_contact(&mut *tx, c)
            .await?
            .check_not_erased()
            .map_err(rejected)?;
    }
    if let Some(c) = a.company_id {
        parties::get_company(&mut *tx, c).await?;
    }
    if let Some(d) = a.deal_id {
        sales::get_deal(&mut *tx, d).await?;
    }
    if let Some(l) = a.lead_id {
        sales::get_lead(&mut *tx, l).await?;
    }
    if let Some(u) = a.owner_id {
        users::get_user(&mut *tx, u).await?;
    }
    let row = sqlx::query(
        "INSERT INTO crm_activities (kind, subject, body, contact_id, company_id, deal_id, lead_id, owner_id, \
         due_at, occurred_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         RETURNING id",
    )
    .bind(a.kind.as_str())
    .bind(&a.subject)
    .bind(a.body.as_deref())
    .bind(a.contact_id.map(|c| c.0))
    .bind(a.company_id.map(|c| c.0))
    .bind(a.deal_id.map(|c| c.0))
    .bind(a.lead_id.map(|c| c.0))
    .bind(a.owner_id.map(|c| c.0))
    .bind(a.due_at.map(ms))
    .bind(a.occurred_at.map(ms))
    .bind(by.map(|u| u.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    get_activity(&mut *tx, ActivityId(col(&row, "crm_activities", "id")?)).await
}

/// An activity by id.
pub async fn get_activity(conn: &mut AnyConnection, id: ActivityId) -> StoreResult<Activity> {
    let row = sqlx::query(concat!(
        "SELECT ",
        activity_cols!(),
        " FROM crm_activities a WHERE a.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("activity", id))?;
    activity_from_row(&row)
}

/// Marks an open task done.
pub async fn complete_task(tx: &mut Tx, now: DateTime<Utc>, id: ActivityId) -> StoreResult<Activity> {
    let a = get_activity(&mut *tx, id).await?;
    a.check_complete().map_err(rejected)?;
    sqlx::query("UPDATE crm_activities SET done_at = $1 WHERE id = $2 AND done_at IS NULL")
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(Activity {
        done_at: Some(now),
        ..a
    })
}

/// Filters for [`list_activities`] (all given must hold).
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub contact: Option<ContactId>,
    pub company: Option<CompanyId>,
    pub deal: Option<DealId>,
    pub lead: Option<LeadId>,
    pub owner: Option<UserId>,
    /// Only tasks not done yet.
    pub open_tasks: bool,
}

/// Activities matching `filter`, newest first (by id descending); one `page` of them (`after`:
/// ids below it).
pub async fn list_activities(
    conn: &mut AnyConnection,
    f: &ActivityFilter,
    page: Keyset,
) -> StoreResult<Vec<Activity>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        activity_cols!(),
        " FROM crm_activities a WHERE ($1 IS NULL OR a.contact_id = $1) AND ($2 IS NULL OR a.company_id = $2) \
         AND ($3 IS NULL OR a.deal_id = $3) AND ($4 IS NULL OR a.lead_id = $4) AND ($5 IS NULL OR a.owner_id = $5) \
         AND ($6 = 0 OR (a.kind = 'task' AND a.done_at IS NULL)) AND ($7 IS NULL OR a.id < $7) \
         ORDER BY a.id DESC LIMIT $8"
    ))
    .bind(f.contact.map(|c| c.0))
    .bind(f.company.map(|c| c.0))
    .bind(f.deal.map(|c| c.0))
    .bind(f.lead.map(|c| c.0))
    .bind(f.owner.map(|c| c.0))
    .bind(i64::from(f.open_tasks))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(activity_from_row).collect()
}

/// The activities about a customer record: those of its contacts, its companies and its deals,
/// newest first.
pub async fn customer_activities(
    conn: &mut AnyConnection,
    customer: CustomerId,
) -> StoreResult<Vec<Activity>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        activity_cols!(),
        " FROM crm_activities a WHERE a.contact_id IN (SELECT id FROM crm_contacts WHERE customer_id = $1) \
         OR a.company_id IN (SELECT id FROM crm_companies WHERE customer_id = $1) \
         OR a.deal_id IN (SELECT id FROM crm_deals WHERE customer_id = $1) ORDER BY a.id DESC"
    ))
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(activity_from_row).collect()
}
