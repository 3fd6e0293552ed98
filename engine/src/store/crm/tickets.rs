//! Support tickets and their replies (`crm_tickets`, `crm_ticket_replies`). The first message
//! is the first reply. Status updates are guarded by the status read.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use std::collections::HashMap;

use super::{Keyset, emit, ms, named, opt_time, opt_user, parties, rejected, time};
use crate::domain::crm::CrmEvent as E;
use crate::domain::crm::{
    ContactId, Reply, ReplyId, Ticket, TicketId, TicketInput, TicketOpened, TicketPriority, TicketReplied,
    TicketStatus, TicketStatusChanged, TicketUpdate, after_reply, change_status, reply_body,
};
use crate::domain::types::{CustomerId, OrderId, UserId};
use crate::store::{StoreError, StoreResult, Tx, batch, col, flag, orders, users};

macro_rules! ticket_cols {
    () => {
        "id, customer_id, contact_id, order_id, subject, status, priority, assignee_id, opened_by, created_at, \
         updated_at, first_response_at, resolved_at, closed_at"
    };
}

fn ticket_from_row(row: &AnyRow) -> StoreResult<Ticket> {
    const T: &str = "crm_tickets";
    Ok(Ticket {
        id: TicketId(col(row, T, "id")?),
        customer_id: CustomerId(col(row, T, "customer_id")?),
        contact_id: col::<Option<i64>>(row, T, "contact_id")?.map(ContactId),
        order_id: col::<Option<i64>>(row, T, "order_id")?.map(OrderId),
        subject: col(row, T, "subject")?,
        status: named(row, T, "status", TicketStatus::parse)?,
        priority: named(row, T, "priority", TicketPriority::parse)?,
        assignee_id: opt_user(row, T, "assignee_id")?,
        opened_by: opt_user(row, T, "opened_by")?,
        created_at: time(row, T, "created_at")?,
        updated_at: time(row, T, "updated_at")?,
        first_response_at: opt_time(row, T, "first_response_at")?,
        resolved_at: opt_time(row, T, "resolved_at")?,
        closed_at: opt_time(row, T, "closed_at")?,
    })
}

fn reply_from_row(row: &AnyRow) -> StoreResult<Reply> {
    const T: &str = "crm_ticket_replies";
    Ok(Reply {
        id: ReplyId(col(row, T, "id")?),
        ticket_id: TicketId(col(row, T, "ticket_id")?),
        author_id: opt_user(row, T, "author_id")?,
        from_staff: flag(row, T, "from_staff")?,
        body: col(row, T, "body")?,
        created_at: time(row, T, "created_at")?,
    })
}

async fn insert_reply(
    tx: &mut Tx,
    now: DateTime<Utc>,
    ticket: TicketId,
    body: &str,
    by: Option<UserId>,
    from_staff: bool,
) -> StoreResult<Reply> {
    let row = sqlx::query(
        "INSERT INTO crm_ticket_replies (ticket_id, author_id, from_staff, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id, ticket_id, author_id, from_staff, body, created_at",
    )
    .bind(ticket.0)
    .bind(by.map(|u| u.0))
    .bind(i64::from(from_staff))
    .bind(body)
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    reply_from_row(&row)
}

/// Opens a ticket (status `open`) with its first message; its customer record, contact (not
/// erased) and order (of the same customer) must exist. Appends `ticket.opened`.
pub async fn open_ticket(
    tx: &mut Tx,
    now: DateTime<Utc>,
    input: &TicketInput,
    by: Option<UserId>,
    from_staff: bool,
) -> StoreResult<(Ticket, Reply)> {
    let t = input.validate().map_err(rejected)?;
    users::get_customer(&mut *tx, t.customer_id).await?;
    if let Some(c) = t.contact_id {
        parties::get_contact(&mut *tx, c)
            .await?
            .check_not_erased()
            .map_err(rejected)?;
    }
    if let Some(o) = t.order_id {
        let order = orders::get_order(&mut *tx, o).await?;
        t.check_order(order.customer_id).map_err(rejected)?;
    }
    let row = sqlx::query(concat!(
        "INSERT INTO crm_tickets (customer_id, contact_id, order_id, subject, status, priority, opened_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $7) RETURNING ",
        ticket_cols!()
    ))
    .bind(t.customer_id.0)
    .bind(t.contact_id.map(|c| c.0))
    .bind(t.order_id.map(|o| o.0))
    .bind(&t.subject)
    .bind(t.priority.as_str())
    .bind(by.map(|u| u.0))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await?;
    let ticket = ticket_from_row(&row)?;
    let reply = insert_reply(tx, now, ticket.id, &t.body, by, from_staff).await?;
    emit(
        tx,
        now,
        E::TicketOpened(TicketOpened {
            ticket_id: ticket.id.0,
            customer_id: ticket.customer_id.0,
            order_id: ticket.order_id.map(|o| o.0),
            priority: ticket.priority,
            by_user_id: by.map(|u| u.0),
        }),
    )
    .await?;
    Ok((ticket, reply))
}

/// A ticket by id.
pub async fn get_ticket(conn: &mut AnyConnection, id: TicketId) -> StoreResult<Ticket> {
    let row = sqlx::query(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM crm_tickets WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("ticket", id))?;
    ticket_from_row(&row)
}

/// Tickets by id, optionally of one customer record, one status, or only open and pending; one
/// `page` of them.
pub async fn list_tickets(
    conn: &mut AnyConnection,
    customer: Option<CustomerId>,
    status: Option<TicketStatus>,
    open_only: bool,
    page: Keyset,
) -> StoreResult<Vec<Ticket>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM crm_tickets WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR status = $2) \
         AND ($3 = 0 OR status IN ('open', 'pending')) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
    ))
    .bind(customer.map(|c| c.0))
    .bind(status.map(|s| s.as_str()))
    .bind(i64::from(open_only))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// A ticket's replies, oldest first.
pub async fn replies(conn: &mut AnyConnection, ticket: TicketId) -> StoreResult<Vec<Reply>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, author_id, from_staff, body, created_at FROM crm_ticket_replies \
         WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(reply_from_row).collect()
}

/// The replies of many tickets in one read, oldest first, by ticket (a ticket without replies
/// is absent).
pub async fn replies_of_tickets(
    conn: &mut AnyConnection,
    tickets: &[TicketId],
) -> StoreResult<HashMap<TicketId, Vec<Reply>>> {
    let ids: Vec<i64> = tickets.iter().map(|t| t.0).collect();
    let rows = batch::fetch_in(
        conn,
        "SELECT id, ticket_id, author_id, from_staff, body, created_at FROM crm_ticket_replies \
         WHERE ticket_id IN",
        "ORDER BY id",
        &ids,
    )
    .await?;
    let mut out: HashMap<TicketId, Vec<Reply>> = HashMap::new();
    for r in &rows {
        let reply = reply_from_row(r)?;
        out.entry(reply.ticket_id).or_default().push(reply);
    }
    Ok(out)
}

async fn write_ticket(tx: &mut Tx, before: &Ticket, up: &TicketUpdate) -> StoreResult<()> {
    let t = &up.ticket;
    let res = sqlx::query(
        "UPDATE crm_tickets SET status = $1, updated_at = $2, first_response_at = $3, resolved_at = $4, \
         closed_at = $5 WHERE id = $6 AND status = $7",
    )
    .bind(t.status.as_str())
    .bind(ms(t.updated_at))
    .bind(t.first_response_at.map(ms))
    .bind(t.resolved_at.map(ms))
    .bind(t.closed_at.map(ms))
    .bind(t.id.0)
    .bind(before.status.as_str())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "ticket {} changed concurrently",
            t.id
        )));
    }
    if let Some(from) = up.status_from {
        emit(
            tx,
            t.updated_at,
            E::TicketStatusChanged(TicketStatusChanged {
                ticket_id: t.id.0,
                customer_id: t.customer_id.0,
                from,
                to: t.status,
            }),
        )
        .await?;
    }
    Ok(())
}

/// Adds a reply (staff or customer) and applies its effect on the ticket's status and
/// first-response time. Appends `ticket.replied` (and `ticket.status_changed` when it moved).
pub async fn reply(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: TicketId,
    body: &str,
    by: Option<UserId>,
    from_staff: bool,
) -> StoreResult<(Ticket, Reply)> {
    let body = reply_body(body).map_err(rejected)?;
    let ticket = get_ticket(&mut *tx, id).await?;
    let up = after_reply(&ticket, from_staff, now).map_err(rejected)?;
    write_ticket(tx, &ticket, &up).await?;
    let reply = insert_reply(tx, now, id, &body, by, from_staff).await?;
    emit(
        tx,
        now,
        E::TicketReplied(TicketReplied {
            ticket_id: id.0,
            reply_id: reply.id.0,
            customer_id: ticket.customer_id.0,
            from_staff,
            by_user_id: by.map(|u| u.0),
        }),
    )
    .await?;
    Ok((up.ticket, reply))
}

/// Changes a ticket's status (staff); appends `ticket.status_changed`.
pub async fn set_status(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: TicketId,
    to: TicketStatus,
) -> StoreResult<Ticket> {
    let ticket = get_ticket(&mut *tx, id).await?;
    let up = change_status(&ticket, to, now).map_err(rejected)?;
    write_ticket(tx, &ticket, &up).await?;
    Ok(up.ticket)
}

/// Sets a ticket's priority and assignee (a staff account that must exist).
pub async fn assign(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: TicketId,
    priority: TicketPriority,
    assignee: Option<UserId>,
) -> StoreResult<Ticket> {
    get_ticket(&mut *tx, id).await?;
    if let Some(u) = assignee {
        users::get_user(&mut *tx, u).await?;
    }
    sqlx::query("UPDATE crm_tickets SET priority = $1, assignee_id = $2, updated_at = $3 WHERE id = $4")
        .bind(priority.as_str())
        .bind(assignee.map(|u| u.0))
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    get_ticket(&mut *tx, id).await
}

/// The tickets about a contact: those naming it, and all of its customer record's when it has
/// one; by id.
pub async fn tickets_of_contact(
    conn: &mut AnyConnection,
    contact: ContactId,
    customer: Option<CustomerId>,
) -> StoreResult<Vec<Ticket>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        ticket_cols!(),
        " FROM crm_tickets WHERE contact_id = $1 OR ($2 IS NOT NULL AND customer_id = $2) ORDER BY id"
    ))
    .bind(contact.0)
    .bind(customer.map(|c| c.0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}
