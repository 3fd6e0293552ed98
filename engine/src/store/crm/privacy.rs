//! The customer page, the export of everything held about a contact, and its erasure
//! (anonymisation in place: orders, their lines and history are not touched).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{Keyset, Party, activities, delete_details, emit, ms, parties, rejected, sales, tickets};
use crate::domain::crm::{
    ContactErased, ContactExport, ContactId, CrmEvent, CustomerPage, ERASED_TEXT, PaymentRecord,
    REVENUE_STATUSES, TicketThread, blocks_erasure, check_erasable, erased_contact_name,
    erased_customer_name, erased_user_email,
};
use crate::domain::finance::Invoice;
use crate::domain::orders::{Order, OrderFilter, OrderStatus};
use crate::domain::types::{Currency, CustomerId, Money};
use crate::store::{StoreError, StoreResult, Tx, col, orders, users};

/// Every order of a customer record, by id.
pub async fn all_orders(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<Order>> {
    let mut out = Vec::new();
    let mut filter = OrderFilter {
        customer_id: Some(customer),
        limit: OrderFilter::MAX_LIMIT,
        ..OrderFilter::all()
    };
    loop {
        let page = orders::list_orders(conn, &filter).await?;
        out.extend(page.orders);
        match page.next_cursor {
            Some(c) => filter.after = Some(c),
            None => return Ok(out),
        }
    }
}

fn status_list(keep: impl Fn(OrderStatus) -> bool) -> String {
    OrderStatus::ALL
        .into_iter()
        .filter(|s| keep(*s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lifetime revenue of a customer record: the totals of its paid (not refunded) orders, one
/// amount per currency, by currency code.
pub async fn lifetime_revenue(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<Money>> {
    let sql = format!(
        "SELECT currency, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS total FROM orders \
         WHERE customer_id = $1 AND status IN ({}) GROUP BY currency ORDER BY currency",
        status_list(|s| REVENUE_STATUSES.contains(&s))
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let c: String = col(r, "orders", "currency")?;
            let c = Currency::parse(&c).map_err(|e| StoreError::corrupt("orders", e))?;
            Ok(Money::new(col(r, "orders", "total")?, c))
        })
        .collect()
}

/// How many orders of a customer record keep its contacts from being erased.
pub async fn open_orders(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM orders WHERE customer_id = $1 AND status IN ({})",
        status_list(blocks_erasure)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer.0)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "orders", "n")
}

/// How many of a customer record's invoices are unpaid: invoices without a credit note whose
/// order was never paid in full (still draft or placed, or cancelled from there: an invoice
/// issued on demand stays owed when its order is cancelled). Orders past `paid` were paid in
/// full, so read from the orders, not from the ledger (which the finance consumer posts later).
pub async fn unpaid_invoices(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM invoices i JOIN orders o ON o.id = i.order_id \
         WHERE i.customer_id = $1 AND i.kind = 'invoice' AND o.status IN ('draft', 'placed', 'cancelled') \
         AND NOT EXISTS (SELECT 1 FROM invoices c WHERE c.credits_invoice_id = i.id)",
    )
    .bind(customer.0)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "invoices", "n")
}

/// The customer page (without the finance margin, which the application layer adds).
pub async fn customer_page(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<CustomerPage> {
    let record = users::get_customer(conn, customer).await?;
    let contacts = parties::list_contacts(
        conn,
        &parties::ContactFilter {
            customer: Some(customer),
            ..parties::ContactFilter::default()
        },
        Keyset::ALL,
    )
    .await?;
    let companies = parties::list_companies(conn, None, Some(customer), Keyset::ALL).await?;
    let orders = all_orders(conn, customer).await?;
    let lifetime_revenue = lifetime_revenue(conn, customer).await?;
    let open_tickets = tickets::list_tickets(conn, Some(customer), None, true, Keyset::ALL).await?;
    let open_deals = sales::list_deals(conn, None, Some(customer), None, Keyset::ALL)
        .await?
        .into_iter()
        .filter(|d| d.stage.is_open())
        .collect();
    let last_activity = activities::customer_activities(conn, customer)
        .await?
        .into_iter()
        .max_by_key(|a| (a.last_at(), a.id));
    Ok(CustomerPage {
        customer: record,
        contacts,
        companies,
        orders,
        lifetime_revenue,
        lifetime_margin: None,
        open_tickets,
        open_deals,
        last_activity,
    })
}

/// Everything held about a contact.
pub async fn export_contact(conn: &mut AnyConnection, id: ContactId) -> StoreResult<ContactExport> {
    let contact = parties::get_contact(conn, id).await?;
    let company = match contact.company_id {
        Some(c) => Some(parties::get_company(conn, c).await?),
        None => None,
    };
    let notes = parties::notes(conn, None, Some(id)).await?;
    let leads = sales::list_leads(conn, None, Keyset::ALL)
        .await?
        .into_iter()
        .filter(|l| l.contact_id == Some(id))
        .collect();
    let deals = sales::list_deals(conn, None, None, Some(id), Keyset::ALL).await?;
    let activities = activities::list_activities(
        conn,
        &activities::ActivityFilter {
            contact: Some(id),
            ..activities::ActivityFilter::default()
        },
        Keyset::ALL,
    )
    .await?;
    let (customer, accounts, orders) = match contact.customer_id {
        Some(c) => (
            Some(users::get_customer(conn, c).await?),
            users::users_of_customer(conn, c).await?,
            all_orders(conn, c).await?,
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    let (invoices, payments, reviews) = match contact.customer_id {
        Some(c) => (
            invoices_of(conn, c).await?,
            payments_of(conn, c).await?,
            crate::store::catalog::reviews_of_customer(conn, c).await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let mut threads = Vec::new();
    for ticket in tickets::tickets_of_contact(conn, id, contact.customer_id).await? {
        let replies = tickets::replies(conn, ticket.id).await?;
        threads.push(TicketThread { ticket, replies });
    }
    Ok(ContactExport {
        contact,
        company,
        notes,
        leads,
        deals,
        activities,
        customer,
        accounts,
        orders,
        invoices,
        payments,
        reviews,
        tickets: threads,
    })
}

/// A customer record's invoices and credit notes with their lines, oldest first.
async fn invoices_of(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<Invoice>> {
    let rows = sqlx::query("SELECT id FROM invoices WHERE customer_id = $1 ORDER BY id")
        .bind(customer.0)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(crate::store::finance::invoices::get_invoice(conn, col(&r, "invoices", "id")?).await?);
    }
    Ok(out)
}

/// The payments received against a customer record's orders, oldest first.
async fn payments_of(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<PaymentRecord>> {
    let rows = sqlx::query(
        "SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.customer_id = $1 ORDER BY p.id",
    )
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let p = crate::store::payments::get(conn, col(&r, "payments", "id")?).await?;
        out.push(PaymentRecord {
            id: p.id,
            order_id: p.order_id,
            provider: p.provider,
            reference: p.reference,
            amount_minor: p.amount_minor,
            currency: p.currency,
            status: p.status,
            received_at: p.received_at,
        });
    }
    Ok(out)
}

/// What an erasure changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Erasure {
    pub contact: crate::domain::crm::Contact,
    /// The customer record anonymised with the contact (it had no other contact left).
    pub customer: Option<CustomerId>,
}

async fn exec(tx: &mut Tx, sql: &'static str, a: Option<&str>, id: i64) -> StoreResult<()> {
    let q = sqlx::query(sql);
    let q = match a {
        Some(a) => q.bind(a.to_string()),
        None => q,
    };
    q.bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Erases (anonymises) a contact: its name becomes `Erased contact <id>`, its e-mail, phone,
/// title, addresses, tags and notes go, the leads it came from lose their personal fields,
/// activities and tickets about it lose their text. When no other contact is left on its
/// customer record, that record, its accounts (deactivated, e-mail replaced), its tickets and
/// its reviews' text are anonymised too. Orders are kept as they are. Refused while the
/// customer has unfinished orders (`CRM_ERASE_OPEN_ORDERS`), unpaid invoices
/// (`CRM_ERASE_OPEN_INVOICES`) or when already erased.
/// Appends `contact.erased`.
pub async fn erase_contact(tx: &mut Tx, now: DateTime<Utc>, id: ContactId) -> StoreResult<Erasure> {
    let contact = parties::get_contact(&mut *tx, id).await?;
    let (open, unpaid) = match contact.customer_id {
        Some(c) => (
            open_orders(&mut *tx, c).await?,
            unpaid_invoices(&mut *tx, c).await?,
        ),
        None => (0, 0),
    };
    check_erasable(&contact, open, unpaid).map_err(rejected)?;
    sqlx::query(
        "UPDATE crm_contacts SET name = $1, email = NULL, phone = NULL, title = NULL, updated_at = $2, \
         erased_at = $2 WHERE id = $3",
    )
    .bind(erased_contact_name(id.0))
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    delete_details(tx, Party::Contact(id)).await?;
    exec(tx, "DELETE FROM crm_notes WHERE contact_id = $1", None, id.0).await?;
    let name = erased_contact_name(id.0);
    exec(
        tx,
        "UPDATE crm_leads SET name = $1, company_name = NULL, email = NULL, phone = NULL WHERE contact_id = $2",
        Some(name.as_str()),
        id.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE crm_activities SET subject = $1, body = NULL WHERE contact_id = $2",
        Some(ERASED_TEXT),
        id.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE crm_tickets SET subject = $1 WHERE contact_id = $2",
        Some(ERASED_TEXT),
        id.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE crm_ticket_replies SET body = $1 WHERE ticket_id IN (SELECT id FROM crm_tickets WHERE contact_id = $2)",
        Some(ERASED_TEXT),
        id.0,
    )
    .await?;
    let mut customer_erased = None;
    if let Some(c) = contact.customer_id {
        let others = sqlx::query(
            "SELECT COUNT(*) AS n FROM crm_contacts WHERE customer_id = $1 AND id <> $2 AND erased_at IS NULL",
        )
        .bind(c.0)
        .bind(id.0)
        .fetch_one(&mut **tx)
        .await?;
        if col::<i64>(&others, "crm_contacts", "n")? == 0 {
            erase_customer(tx, c).await?;
            customer_erased = Some(c);
        }
    }
    emit(
        tx,
        now,
        CrmEvent::ContactErased(ContactErased {
            contact_id: id.0,
            customer_id: customer_erased.map(|c| c.0),
        }),
    )
    .await?;
    Ok(Erasure {
        contact: parties::get_contact(&mut *tx, id).await?,
        customer: customer_erased,
    })
}

async fn erase_customer(tx: &mut Tx, c: CustomerId) -> StoreResult<()> {
    let name = erased_customer_name(c.0);
    exec(
        tx,
        "UPDATE customers SET name = $1, email = NULL, company = NULL WHERE id = $2",
        Some(name.as_str()),
        c.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE crm_tickets SET subject = $1 WHERE customer_id = $2",
        Some(ERASED_TEXT),
        c.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE crm_ticket_replies SET body = $1 WHERE ticket_id IN (SELECT id FROM crm_tickets WHERE customer_id = $2)",
        Some(ERASED_TEXT),
        c.0,
    )
    .await?;
    exec(
        tx,
        "UPDATE reviews SET body = $1 WHERE customer_id = $2",
        Some(ERASED_TEXT),
        c.0,
    )
    .await?;
    for u in users::users_of_customer(&mut *tx, c).await? {
        sqlx::query(
            "UPDATE users SET email = $1, display_name = 'Erased', password_hash = NULL, active = 0 WHERE id = $2",
        )
        .bind(erased_user_email(u.id.0))
        .bind(u.id.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
