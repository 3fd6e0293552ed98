//! Companies, contacts and their notes (`crm_companies`, `crm_contacts`, `crm_addresses`,
//! `crm_tags`, `crm_notes`). An update replaces the whole record, addresses and tags included.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{Keyset, Party, details, details_of, ms, opt_time, opt_user, rejected, replace_details, time};
use crate::domain::crm::{
    Address, Company, CompanyId, CompanyInput, Contact, ContactId, ContactInput, Note, NoteId,
    normalize_tags, note_body,
};
use crate::domain::types::{CustomerId, UserId};
use crate::store::{StoreError, StoreResult, Tx, col, users};

macro_rules! company_cols {
    () => {
        "id, name, website, phone, customer_id, created_at, updated_at"
    };
}

macro_rules! contact_cols {
    () => {
        "id, name, email, phone, title, company_id, customer_id, created_at, updated_at, erased_at"
    };
}

type Details = (Vec<Address>, Vec<String>);

fn company_with(row: &AnyRow, (addresses, tags): Details) -> StoreResult<Company> {
    const T: &str = "crm_companies";
    Ok(Company {
        id: CompanyId(col(row, T, "id")?),
        name: col(row, T, "name")?,
        website: col(row, T, "website")?,
        phone: col(row, T, "phone")?,
        customer_id: col::<Option<i64>>(row, T, "customer_id")?.map(CustomerId),
        addresses,
        tags,
        created_at: time(row, T, "created_at")?,
        updated_at: time(row, T, "updated_at")?,
    })
}

async fn company_from_row(conn: &mut AnyConnection, row: &AnyRow) -> StoreResult<Company> {
    let id = CompanyId(col(row, "crm_companies", "id")?);
    company_with(row, details(conn, Party::Company(id)).await?)
}

fn contact_with(row: &AnyRow, (addresses, tags): Details) -> StoreResult<Contact> {
    const T: &str = "crm_contacts";
    Ok(Contact {
        id: ContactId(col(row, T, "id")?),
        name: col(row, T, "name")?,
        email: col(row, T, "email")?,
        phone: col(row, T, "phone")?,
        title: col(row, T, "title")?,
        company_id: col::<Option<i64>>(row, T, "company_id")?.map(CompanyId),
        customer_id: col::<Option<i64>>(row, T, "customer_id")?.map(CustomerId),
        addresses,
        tags,
        created_at: time(row, T, "created_at")?,
        updated_at: time(row, T, "updated_at")?,
        erased_at: opt_time(row, T, "erased_at")?,
    })
}

async fn contact_from_row(conn: &mut AnyConnection, row: &AnyRow) -> StoreResult<Contact> {
    let id = ContactId(col(row, "crm_contacts", "id")?);
    contact_with(row, details(conn, Party::Contact(id)).await?)
}

/// Builds every row of a list with its addresses and tags, read for the whole list at once.
async fn with_details<T>(
    conn: &mut AnyConnection,
    rows: &[AnyRow],
    table: &'static str,
    contacts: bool,
    build: fn(&AnyRow, Details) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let ids = rows
        .iter()
        .map(|r| col::<i64>(r, table, "id"))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut found = details_of(conn, contacts, &ids).await?;
    rows.iter()
        .zip(&ids)
        .map(|(r, id)| build(r, found.remove(id).unwrap_or_default()))
        .collect()
}

async fn ensure_customer(conn: &mut AnyConnection, id: Option<CustomerId>) -> StoreResult<()> {
    if let Some(id) = id {
        users::get_customer(conn, id).await?;
    }
    Ok(())
}

/// Creates a company (its customer record, if given, must exist).
pub async fn create_company(tx: &mut Tx, now: DateTime<Utc>, input: &CompanyInput) -> StoreResult<Company> {
    let c = input.validate().map_err(rejected)?;
    ensure_customer(&mut *tx, c.customer_id).await?;
    let row = sqlx::query(
        "INSERT INTO crm_companies (name, website, phone, customer_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&c.name)
    .bind(c.website.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.customer_id.map(|c| c.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    let id = CompanyId(col(&row, "crm_companies", "id")?);
    replace_details(tx, Party::Company(id), &c.addresses, &c.tags).await?;
    get_company(&mut *tx, id).await
}

/// Replaces a company's fields, addresses and tags.
pub async fn update_company(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: CompanyId,
    input: &CompanyInput,
) -> StoreResult<Company> {
    let c = input.validate().map_err(rejected)?;
    get_company(&mut *tx, id).await?;
    ensure_customer(&mut *tx, c.customer_id).await?;
    sqlx::query(
        "UPDATE crm_companies SET name = $1, website = $2, phone = $3, customer_id = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(&c.name)
    .bind(c.website.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.customer_id.map(|c| c.0))
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    replace_details(tx, Party::Company(id), &c.addresses, &c.tags).await?;
    get_company(&mut *tx, id).await
}

/// A company by id.
pub async fn get_company(conn: &mut AnyConnection, id: CompanyId) -> StoreResult<Company> {
    let row = sqlx::query(concat!(
        "SELECT ",
        company_cols!(),
        " FROM crm_companies WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("company", id))?;
    company_from_row(conn, &row).await
}

/// Companies by id, optionally only those with `tag` (normalised) or of one customer record;
/// one `page` of them.
pub async fn list_companies(
    conn: &mut AnyConnection,
    tag: Option<&str>,
    customer: Option<CustomerId>,
    page: Keyset,
) -> StoreResult<Vec<Company>> {
    let tag = normal_tag(tag)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        company_cols!(),
        " FROM crm_companies c WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM crm_tags t \
         WHERE t.company_id = c.id AND t.tag = $1)) AND ($2 IS NULL OR c.customer_id = $2) \
         AND ($3 IS NULL OR c.id > $3) ORDER BY id LIMIT $4"
    ))
    .bind(tag)
    .bind(customer.map(|c| c.0))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    with_details(conn, &rows, "crm_companies", false, company_with).await
}

fn normal_tag(tag: Option<&str>) -> StoreResult<Option<String>> {
    match tag {
        None => Ok(None),
        Some(t) => Ok(normalize_tags(&[t.to_string()]).map_err(rejected)?.pop()),
    }
}

/// Creates a contact (its company and customer record, if given, must exist).
pub async fn create_contact(tx: &mut Tx, now: DateTime<Utc>, input: &ContactInput) -> StoreResult<Contact> {
    let c = input.validate().map_err(rejected)?;
    ensure_links(tx, &c).await?;
    let row = sqlx::query(
        "INSERT INTO crm_contacts (name, email, phone, title, company_id, customer_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&c.name)
    .bind(c.email.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.title.as_deref())
    .bind(c.company_id.map(|c| c.0))
    .bind(c.customer_id.map(|c| c.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    let id = ContactId(col(&row, "crm_contacts", "id")?);
    replace_details(tx, Party::Contact(id), &c.addresses, &c.tags).await?;
    get_contact(&mut *tx, id).await
}

async fn ensure_links(tx: &mut Tx, c: &ContactInput) -> StoreResult<()> {
    if let Some(company) = c.company_id {
        get_company(&mut *tx, company).await?;
    }
    ensure_customer(&mut *tx, c.customer_id).await
}

/// Replaces a contact's fields, addresses and tags (refused once it was erased).
pub async fn update_contact(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: ContactId,
    input: &ContactInput,
) -> StoreResult<Contact> {
    let c = input.validate().map_err(rejected)?;
    get_contact(&mut *tx, id)
        .await?
        .check_not_erased()
        .map_err(rejected)?;
    ensure_links(tx, &c).await?;
    sqlx::query(
        "UPDATE crm_contacts SET name = $1, email = $2, phone = $3, title = $4, company_id = $5, \
         customer_id = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&c.name)
    .bind(c.email.as_deref())
    .bind(c.phone.as_deref())
    .bind(c.title.as_deref())
    .bind(c.company_id.map(|c| c.0))
    .bind(c.customer_id.map(|c| c.0))
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    replace_details(tx, Party::Contact(id), &c.addresses, &c.tags).await?;
    get_contact(&mut *tx, id).await
}

/// A contact by id.
pub async fn get_contact(conn: &mut AnyConnection, id: ContactId) -> StoreResult<Contact> {
    let row = sqlx::query(concat!(
        "SELECT ",
        contact_cols!(),
        " FROM crm_contacts WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("contact", id))?;
    contact_from_row(conn, &row).await
}

/// Filters for [`list_contacts`].
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub company: Option<CompanyId>,
    pub customer: Option<CustomerId>,
    pub tag: Option<String>,
    /// Include erased contacts.
    pub erased: bool,
}

/// Contacts by id matching `filter`; one `page` of them.
pub async fn list_contacts(
    conn: &mut AnyConnection,
    filter: &ContactFilter,
    page: Keyset,
) -> StoreResult<Vec<Contact>> {
    let tag = normal_tag(filter.tag.as_deref())?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        contact_cols!(),
        " FROM crm_contacts c WHERE ($1 IS NULL OR c.company_id = $1) AND ($2 IS NULL OR c.customer_id = $2) \
         AND ($3 IS NULL OR EXISTS (SELECT 1 FROM crm_tags t WHERE t.contact_id = c.id AND t.tag = $3)) \
         AND ($4 = 1 OR c.erased_at IS NULL) AND ($5 IS NULL OR c.id > $5) ORDER BY id LIMIT $6"
    ))
    .bind(filter.company.map(|c| c.0))
    .bind(filter.customer.map(|c| c.0))
    .bind(tag)
    .bind(i64::from(filter.erased))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    with_details(conn, &rows, "crm_contacts", true, contact_with).await
}

fn note_from_row(row: &AnyRow) -> StoreResult<Note> {
    const T: &str = "crm_notes";
    Ok(Note {
        id: NoteId(col(row, T, "id")?),
        company_id: col::<Option<i64>>(row, T, "company_id")?.map(CompanyId),
        contact_id: col::<Option<i64>>(row, T, "contact_id")?.map(ContactId),
        body: col(row, T, "body")?,
        author_id: opt_user(row, T, "author_id")?,
        created_at: time(row, T, "created_at")?,
    })
}

/// Adds a note to a company or a contact (not to an erased contact).
pub async fn add_note(
    tx: &mut Tx,
    now: DateTime<Utc>,
    company: Option<CompanyId>,
    contact: Option<ContactId>,
    body: &str,
    author: Option<UserId>,
) -> StoreResult<Note> {
    let body = note_body(body).map_err(rejected)?;
    match (company, contact) {
        (Some(c), None) => {
            get_company(&mut *tx, c).await?;
        }
        (None, Some(c)) => get_contact(&mut *tx, c)
            .await?
            .check_not_erased()
            .map_err(rejected)?,
        _ => {
            return Err(rejected(crate::domain::crm::CrmError::InvalidField {
                field: "note target",
                reason: "give exactly one of a company or a contact",
            }));
        }
    }
    let row = sqlx::query(
        "INSERT INTO crm_notes (company_id, contact_id, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, company_id, contact_id, body, author_id, created_at",
    )
    .bind(company.map(|c| c.0))
    .bind(contact.map(|c| c.0))
    .bind(&body)
    .bind(author.map(|u| u.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    note_from_row(&row)
}

/// The notes of a company or contact, oldest first.
pub async fn notes(
    conn: &mut AnyConnection,
    company: Option<CompanyId>,
    contact: Option<ContactId>,
) -> StoreResult<Vec<Note>> {
    let rows = sqlx::query(
        "SELECT id, company_id, contact_id, body, author_id, created_at FROM crm_notes \
         WHERE ($1 IS NOT NULL AND company_id = $1) OR ($2 IS NOT NULL AND contact_id = $2) ORDER BY id",
    )
    .bind(company.map(|c| c.0))
    .bind(contact.map(|c| c.0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(note_from_row).collect()
}
