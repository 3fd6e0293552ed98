//! CRM persistence (tables `crm_*`, migration `0016_crm.sql`): companies and contacts with
//! their addresses, tags and notes (`parties`), leads and deals (`sales`), activities
//! (`activities`), support tickets and replies (`tickets`), and the customer page, export and
//! erasure of personal data (`privacy`). Rules live in [`crate::domain::crm`]; every command
//! validates through it first and writes nothing when it is rejected; the main changes append
//! their event (`lead.*`, `deal.*`, `ticket.*`, `contact.erased`) in the caller's transaction.

pub mod activities;
pub mod parties;
pub mod privacy;
pub mod sales;
pub mod tickets;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use std::collections::HashMap;

use super::{StoreError, StoreResult, Tx, batch, col};
use crate::domain::crm::{Address, AddressKind, CompanyId, ContactId, CrmError, CrmEvent};
use crate::domain::events::Event;
use crate::domain::types::{UserId, from_millis, to_millis};

pub(crate) fn rejected(e: CrmError) -> StoreError {
    StoreError::Rejected(e.into())
}

/// Appends a CRM event to the outbox in `tx`.
pub(crate) async fn emit(tx: &mut Tx, now: DateTime<Utc>, event: CrmEvent) -> StoreResult<()> {
    super::events::append(tx, now, &Event::Crm(event)).await?;
    Ok(())
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    to_millis(t)
}

pub(crate) fn opt_time(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(col::<Option<i64>>(row, table, name)?.map(from_millis))
}

pub(crate) fn time(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<DateTime<Utc>> {
    Ok(from_millis(col(row, table, name)?))
}

pub(crate) fn opt_user(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<Option<UserId>> {
    Ok(col::<Option<i64>>(row, table, name)?.map(UserId))
}

/// Parses a stored enum name, a corrupt row otherwise.
pub(crate) fn named<T>(
    row: &AnyRow,
    table: &'static str,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let s: String = col(row, table, name)?;
    parse(&s).ok_or_else(|| StoreError::corrupt(table, format!("{name} {s:?}")))
}

/// One page of a list read in key order: rows after `after` (exclusive; "after" in the list's
/// order, so for a newest-first list a smaller id), at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub after: Option<i64>,
    pub limit: i64,
}

impl Keyset {
    /// The whole list.
    pub const ALL: Keyset = Keyset {
        after: None,
        limit: i64::MAX,
    };

    /// `limit` rows after `after`.
    pub fn new(after: Option<i64>, limit: usize) -> Self {
        Keyset {
            after,
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
        }
    }
}

/// Whose addresses and tags: a company's or a contact's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Party {
    Company(CompanyId),
    Contact(ContactId),
}

impl Party {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Party::Company(c) => (Some(c.0), None),
            Party::Contact(c) => (None, Some(c.0)),
        }
    }

    fn column(self) -> &'static str {
        match self {
            Party::Company(_) => "company_id",
            Party::Contact(_) => "contact_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Party::Company(c) => c.0,
            Party::Contact(c) => c.0,
        }
    }
}

/// Replaces a party's addresses and tags (already validated).
pub(crate) async fn replace_details(
    tx: &mut Tx,
    party: Party,
    addresses: &[Address],
    tags: &[String],
) -> StoreResult<()> {
    delete_details(tx, party).await?;
    let (company, contact) = party.ids();
    for (i, a) in addresses.iter().enumerate() {
        sqlx::query(
            "INSERT INTO crm_addresses (company_id, contact_id, position, kind, line1, line2, city, region, \
             postal_code, country) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(company)
        .bind(contact)
        .bind(i as i64)
        .bind(a.kind.as_str())
        .bind(&a.line1)
        .bind(a.line2.as_deref())
        .bind(&a.city)
        .bind(a.region.as_deref())
        .bind(a.postal_code.as_deref())
        .bind(&a.country)
        .execute(&mut **tx)
        .await?;
    }
    for t in tags {
        sqlx::query("INSERT INTO crm_tags (company_id, contact_id, tag) VALUES ($1, $2, $3)")
            .bind(company)
            .bind(contact)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Removes a party's addresses and tags.
pub(crate) async fn delete_details(tx: &mut Tx, party: Party) -> StoreResult<()> {
    for table in ["crm_addresses", "crm_tags"] {
        let sql = format!("DELETE FROM {table} WHERE {} = $1", party.column());
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(party.id())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn address_from_row(r: &AnyRow) -> StoreResult<Address> {
    const A: &str = "crm_addresses";
    Ok(Address {
        kind: named(r, A, "kind", AddressKind::parse)?,
        line1: col(r, A, "line1")?,
        line2: col(r, A, "line2")?,
        city: col(r, A, "city")?,
        region: col(r, A, "region")?,
        postal_code: col(r, A, "postal_code")?,
        country: col(r, A, "country")?,
    })
}

/// The addresses and tags of many companies (`contacts` false) or contacts (true) in two reads,
/// by party id (a party without any is absent).
pub(crate) async fn details_of(
    conn: &mut AnyConnection,
    contacts: bool,
    ids: &[i64],
) -> StoreResult<HashMap<i64, (Vec<Address>, Vec<String>)>> {
    let column = if contacts { "contact_id" } else { "company_id" };
    let mut out: HashMap<i64, (Vec<Address>, Vec<String>)> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = batch::fetch_in(
        conn,
        &format!(
            "SELECT {column} AS party, kind, line1, line2, city, region, postal_code, country \
             FROM crm_addresses WHERE {column} IN"
        ),
        "ORDER BY position",
        ids,
    )
    .await?;
    for r in &rows {
        let party: i64 = col(r, "crm_addresses", "party")?;
        out.entry(party).or_default().0.push(address_from_row(r)?);
    }
    let rows = batch::fetch_in(
        conn,
        &format!("SELECT {column} AS party, tag FROM crm_tags WHERE {column} IN"),
        "ORDER BY tag",
        ids,
    )
    .await?;
    for r in &rows {
        let party: i64 = col(r, "crm_tags", "party")?;
        out.entry(party).or_default().1.push(col(r, "crm_tags", "tag")?);
    }
    Ok(out)
}

/// A party's addresses (in the order given) and tags (sorted).
pub(crate) async fn details(
    conn: &mut AnyConnection,
    party: Party,
) -> StoreResult<(Vec<Address>, Vec<String>)> {
    let sql = format!(
        "SELECT kind, line1, line2, city, region, postal_code, country FROM crm_addresses \
         WHERE {} = $1 ORDER BY position",
        party.column()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(party.id())
        .fetch_all(&mut *conn)
        .await?;
    let addresses = rows
        .iter()
        .map(address_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let sql = format!(
        "SELECT tag FROM crm_tags WHERE {} = $1 ORDER BY tag",
        party.column()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(party.id())
        .fetch_all(&mut *conn)
        .await?;
    let tags = rows
        .iter()
        .map(|r| col(r, "crm_tags", "tag"))
        .collect::<StoreResult<Vec<String>>>()?;
    Ok((addresses, tags))
}
