//! Order persistence (tables `orders`, `order_lines`, `order_status_history`). Rules and the
//! lifecycle live in [`crate::domain::orders`]; entering production is
//! [`crate::store::production::start_production`].
//!
//! Every status change is written together with its `order_status_history` row, and status
//! updates are guarded (`WHERE status = <expected>`), so a concurrent change is a conflict, not
//! a lost update.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::catalog::ProductionSpec;
use crate::domain::events::{Event, OrderEvent};
use crate::domain::orders::{
    self, LineDraft, NewOrder, NewOrderLine, Order, OrderError, OrderFilter, OrderLine, OrderPage,
    OrderStatus, OrderWithLines, StatusChange,
};
use crate::domain::types::{
    Currency, CustomerId, MaterialId, Money, OrderId, OrderLineId, ProductId, Quantity, UserId, from_millis,
    to_millis,
};
use crate::store::catalog;

pub(crate) fn rejected(e: OrderError) -> StoreError {
    StoreError::Rejected(e.into())
}

// ---------------------------------------------------------------------------------------------
// Rows

macro_rules! order_cols {
    () => {
        "id, customer_id, status, currency, total_minor, priority, due_at, idempotency_key, created_at, updated_at"
    };
}

macro_rules! line_cols {
    () => {
        "id, order_id, line_no, product_id, model_ref, description, material_id, colour, quantity, \
         unit_price_minor, grams_per_unit, print_minutes_per_unit, copies_per_plate, printed_count, failed_count"
    };
}

fn currency_of(row: &AnyRow, table: &'static str) -> StoreResult<Currency> {
    let s: String = col(row, table, "currency")?;
    Currency::parse(&s).map_err(|e| StoreError::corrupt(table, e))
}

fn status_of(s: &str, table: &'static str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(s).ok_or_else(|| StoreError::corrupt(table, format!("unknown order status {s:?}")))
}

fn order_from_row(row: &AnyRow) -> StoreResult<Order> {
    const T: &str = "orders";
    Ok(Order {
        id: OrderId(col(row, T, "id")?),
        customer_id: CustomerId(col(row, T, "customer_id")?),
        status: status_of(&col::<String>(row, T, "status")?, T)?,
        total: Money::new(col(row, T, "total_minor")?, currency_of(row, T)?),
        priority: col(row, T, "priority")?,
        due_at: col::<Option<i64>>(row, T, "due_at")?.map(from_millis),
        idempotency_key: col(row, T, "idempotency_key")?,
        created_at: from_millis(col(row, T, "created_at")?),
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

fn line_from_row(row: &AnyRow, currency: Currency) -> StoreResult<OrderLine> {
    const T: &str = "order_lines";
    let quantity: i64 = col(row, T, "quantity")?;
    Ok(OrderLine {
        id: OrderLineId(col(row, T, "id")?),
        order_id: OrderId(col(row, T, "order_id")?),
        line_no: col(row, T, "line_no")?,
        product_id: col::<Option<i64>>(row, T, "product_id")?.map(ProductId),
        model_ref: col(row, T, "model_ref")?,
        description: col(row, T, "description")?,
        material_id: MaterialId(col(row, T, "material_id")?),
        colour: col(row, T, "colour")?,
        quantity: Quantity::new(quantity).map_err(|e| StoreError::corrupt(T, e))?,
        unit_price: Money::new(col(row, T, "unit_price_minor")?, currency),
        production: ProductionSpec {
            grams_per_unit: col(row, T, "grams_per_unit")?,
            print_minutes_per_unit: col(row, T, "print_minutes_per_unit")?,
            copies_per_plate: col(row, T, "copies_per_plate")?,
        },
        printed_count: col(row, T, "printed_count")?,
        failed_count: col(row, T, "failed_count")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Reads

/// An order header by id.
pub async fn get_order(conn: &mut AnyConnection, id: OrderId) -> StoreResult<Order> {
    let row = sqlx::query(concat!("SELECT ", order_cols!(), " FROM orders WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("order", id))?;
    order_from_row(&row)
}

/// The lines of an order, by line number.
pub async fn list_lines(conn: &mut AnyConnection, order: &Order) -> StoreResult<Vec<OrderLine>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        line_cols!(),
        " FROM order_lines WHERE order_id = $1 ORDER BY line_no"
    ))
    .bind(order.id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| line_from_row(r, order.currency())).collect()
}

/// An order with its lines.
pub async fn get_order_with_lines(conn: &mut AnyConnection, id: OrderId) -> StoreResult<OrderWithLines> {
    let order = get_order(&mut *conn, id).await?;
    let lines = list_lines(&mut *conn, &order).await?;
    Ok(OrderWithLines { order, lines })
}

/// The order created with this idempotency key, if any.
pub async fn order_by_idempotency_key(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<Order>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        order_cols!(),
        " FROM orders WHERE idempotency_key = $1"
    ))
    .bind(key.trim())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(order_from_row).transpose()
}

/// One page of orders matching `filter`, by ascending id.
pub async fn list_orders(conn: &mut AnyConnection, filter: &OrderFilter) -> StoreResult<OrderPage> {
    let size = filter.page_size();
    let rows = sqlx::query(concat!(
        "SELECT ",
        order_cols!(),
        " FROM orders WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR status = $2) AND id > $3 \
         ORDER BY id LIMIT $4"
    ))
    .bind(filter.customer_id.map(|c| c.0))
    .bind(filter.status.map(OrderStatus::as_str))
    .bind(filter.after.map_or(0, |a| a.0))
    .bind(size + 1)
    .fetch_all(&mut *conn)
    .await?;
    let mut orders = rows.iter().map(order_from_row).collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = if orders.len() as i64 > size {
        orders.truncate(size as usize);
        orders.last().map(|o| o.id)
    } else {
        None
    };
    Ok(OrderPage { orders, next_cursor })
}

/// The status changes of an order, oldest first (the first is the creation as `draft`).
pub async fn status_history(conn: &mut AnyConnection, id: OrderId) -> StoreResult<Vec<StatusChange>> {
    const T: &str = "order_status_history";
    let rows = sqlx::query(
        "SELECT id, order_id, from_status, to_status, changed_by, changed_at, note FROM order_status_history \
         WHERE order_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StatusChange {
                id: col(row, T, "id")?,
                order_id: OrderId(col(row, T, "order_id")?),
                from: col::<Option<String>>(row, T, "from_status")?
                    .map(|s| status_of(&s, T))
                    .transpose()?,
                to: status_of(&col::<String>(row, T, "to_status")?, T)?,
                changed_by: col::<Option<i64>>(row, T, "changed_by")?.map(UserId),
                changed_at: from_millis(col(row, T, "changed_at")?),
                note: col(row, T, "note")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Creating and editing drafts

/// Looks up what a line refers to and resolves it (no writes).
async fn resolve(
    conn: &mut AnyConnection,
    currency: Currency,
    line_no: i64,
    line: &NewOrderLine,
) -> StoreResult<LineDraft> {
    line.check_shape(line_no).map_err(rejected)?;
    let product = match line.product_id() {
        Some(p) => Some(catalog::get_product(&mut *conn, p).await?),
        None => None,
    };
    let material = line.material_for(line_no, product.as_ref()).map_err(rejected)?;
    let colour = catalog::ensure_material(&mut *conn, material).await?;
    orders::resolve_line(currency, line_no, line, product.as_ref(), &colour).map_err(rejected)
}

async fn insert_line(tx: &mut Tx, order: OrderId, d: &LineDraft) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_lines (order_id, line_no, product_id, model_ref, description, material_id, colour, \
         quantity, unit_price_minor, grams_per_unit, print_minutes_per_unit, copies_per_plate) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(order.0)
    .bind(d.line_no)
    .bind(d.product_id.map(|p| p.0))
    .bind(d.model_ref.as_deref())
    .bind(&d.description)
    .bind(d.material_id.0)
    .bind(&d.colour)
    .bind(i64::from(d.quantity.get()))
    .bind(d.unit_price.minor)
    .bind(d.production.grams_per_unit)
    .bind(d.production.print_minutes_per_unit)
    .bind(d.production.copies_per_plate)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_history(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: OrderId,
    from: Option<OrderStatus>,
    to: OrderStatus,
    by: Option<UserId>,
    note: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, changed_at, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order.0)
    .bind(from.map(OrderStatus::as_str))
    .bind(to.as_str())
    .bind(by.map(|u| u.0))
    .bind(to_millis(now))
    .bind(note)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query("SELECT customer_id FROM orders WHERE id = $1")
        .bind(order.0)
        .fetch_one(&mut **tx)
        .await?;
    let event = Event::Order(OrderEvent {
        order_id: order.0,
        customer_id: col(&row, "orders", "customer_id")?,
        from,
        to,
        by_user_id: by.map(|u| u.0),
        note: note.to_string(),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

async fn ensure_customer(conn: &mut AnyConnection, id: CustomerId) -> StoreResult<()> {
    sqlx::query("SELECT id FROM customers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("customer", id))?;
    Ok(())
}

/// Creates a `draft` order with its lines and total, recording the creation in the history.
///
/// With an `idempotency_key` already used by the same customer, returns that order and writes
/// nothing; used by another customer, it is `ORDER_IDEMPOTENCY_CONFLICT` (as is the loser of two
/// concurrent creates with one key, whose retry then returns the winner's order). Unknown
/// customer, product or material is `NotFound`; every other rejection is typed ([`OrderError`]).
pub async fn create_order(
    tx: &mut Tx,
    now: DateTime<Utc>,
    new: &NewOrder,
    by: Option<UserId>,
) -> StoreResult<OrderWithLines> {
    let key = new.check_shape().map_err(rejected)?;
    if let Some(k) = &key
        && let Some(existing) = order_by_idempotency_key(&mut *tx, k).await?
    {
        if existing.customer_id != new.customer_id {
            return Err(rejected(OrderError::IdempotencyConflict { key: k.clone() }));
        }
        return get_order_with_lines(&mut *tx, existing.id).await;
    }
    ensure_customer(&mut *tx, new.customer_id).await?;
    let mut drafts = Vec::with_capacity(new.lines.len());
    for (i, line) in new.lines.iter().enumerate() {
        drafts.push(resolve(&mut *tx, new.currency, i as i64 + 1, line).await?);
    }
    let total = orders::order_total(new.currency, drafts.iter().map(|d| (&d.unit_price, d.quantity)))
        .map_err(rejected)?;

    let row = sqlx::query(
        "INSERT INTO orders (customer_id, status, currency, total_minor, priority, due_at, idempotency_key, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(new.customer_id.0)
    .bind(OrderStatus::Draft.as_str())
    .bind(new.currency.as_str())
    .bind(total.minor)
    .bind(new.priority)
    .bind(new.due_at.map(to_millis))
    .bind(key.as_deref())
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        let e = StoreError::Database(e);
        match &key {
            Some(k) if e.is_unique_violation() => {
                rejected(OrderError::IdempotencyConflict { key: k.clone() })
            }
            _ => e,
        }
    })?;
    let id = OrderId(col(&row, "orders", "id")?);
    for d in &drafts {
        insert_line(tx, id, d).await?;
    }
    insert_history(tx, now, id, None, OrderStatus::Draft, by, "created").await?;
    get_order_with_lines(&mut *tx, id).await
}

fn ensure_draft(order: &Order) -> StoreResult<()> {
    if order.status == OrderStatus::Draft {
        Ok(())
    } else {
        Err(rejected(OrderError::NotDraft {
            order: order.id,
            status: order.status,
        }))
    }
}

/// Recomputes and stores the total of a draft from its lines.
async fn store_total(tx: &mut Tx, now: DateTime<Utc>, order: &Order, lines: &[OrderLine]) -> StoreResult<()> {
    let total = orders::order_total(
        order.currency(),
        lines.iter().map(|l| (&l.unit_price, l.quantity)),
    )
    .map_err(rejected)?;
    sqlx::query("UPDATE orders SET total_minor = $1, updated_at = $2 WHERE id = $3")
        .bind(total.minor)
        .bind(to_millis(now))
        .bind(order.id.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds a line to a draft order (as the next line number) and updates the total.
pub async fn add_line(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order_id: OrderId,
    line: &NewOrderLine,
) -> StoreResult<OrderWithLines> {
    let order = get_order(&mut *tx, order_id).await?;
    ensure_draft(&order)?;
    let lines = list_lines(&mut *tx, &order).await?;
    let line_no = lines.iter().map(|l| l.line_no).max().unwrap_or(0) + 1;
    let draft = resolve(&mut *tx, order.currency(), line_no, line).await?;
    // Check the new total before writing anything.
    orders::order_total(
        order.currency(),
        lines
            .iter()
            .map(|l| (&l.unit_price, l.quantity))
            .chain([(&draft.unit_price, draft.quantity)]),
    )
    .map_err(rejected)?;
    insert_line(tx, order.id, &draft).await?;
    let lines = list_lines(&mut *tx, &order).await?;
    store_total(tx, now, &order, &lines).await?;
    get_order_with_lines(&mut *tx, order.id).await
}

/// Removes a line from a draft order and updates the total. A line of another order is
/// `NotFound`.
pub async fn remove_line(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order_id: OrderId,
    line_id: OrderLineId,
) -> StoreResult<OrderWithLines> {
    let order = get_order(&mut *tx, order_id).await?;
    let lines = list_lines(&mut *tx, &order).await?;
    if !lines.iter().any(|l| l.id == line_id) {
        return Err(StoreError::not_found("order line", line_id));
    }
    ensure_draft(&order)?;
    sqlx::query("DELETE FROM order_lines WHERE id = $1 AND order_id = $2")
        .bind(line_id.0)
        .bind(order.id.0)
        .execute(&mut **tx)
        .await?;
    let rest: Vec<OrderLine> = lines.into_iter().filter(|l| l.id != line_id).collect();
    store_total(tx, now, &order, &rest).await?;
    get_order_with_lines(&mut *tx, order.id).await
}

// ---------------------------------------------------------------------------------------------
// Transitions

/// Moves `order` to `to` if the lifecycle allows it, with its history row. The update is
/// guarded by the status `order` was read with.
pub(crate) async fn apply_transition(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: &Order,
    to: OrderStatus,
    by: Option<UserId>,
    note: &str,
) -> StoreResult<Order> {
    OrderStatus::check_transition(order.status, to).map_err(rejected)?;
    let done = sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(to.as_str())
        .bind(to_millis(now))
        .bind(order.id.0)
        .bind(order.status.as_str())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "order {} changed concurrently",
            order.id
        )));
    }
    insert_history(tx, now, order.id, Some(order.status), to, by, note).await?;
    Ok(Order {
        status: to,
        updated_at: from_millis(to_millis(now)),
        ..order.clone()
    })
}

/// `draft → placed`; the order needs at least one line (`ORDER_EMPTY`).
pub async fn place(tx: &mut Tx, now: DateTime<Utc>, id: OrderId, by: Option<UserId>) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    OrderStatus::check_transition(order.status, OrderStatus::Placed).map_err(rejected)?;
    if list_lines(&mut *tx, &order).await?.is_empty() {
        return Err(rejected(OrderError::Empty { order: id }));
    }
    apply_transition(tx, now, &order, OrderStatus::Placed, by, "").await
}

/// `placed → paid`.
pub async fn pay(tx: &mut Tx, now: DateTime<Utc>, id: OrderId, by: Option<UserId>) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    apply_transition(tx, now, &order, OrderStatus::Paid, by, "").await
}

/// `in_production → ready` by hand; every line must be printed (`ORDER_PRODUCTION_INCOMPLETE`).
/// Jobs no longer needed are closed (queued and scheduled cancelled, failed abandoned); a
/// printing job finishes normally. Completing the last job does this automatically.
pub async fn mark_ready(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: OrderId,
    by: Option<UserId>,
) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    OrderStatus::check_transition(order.status, OrderStatus::Ready).map_err(rejected)?;
    if !orders::all_printed(&list_lines(&mut *tx, &order).await?) {
        return Err(rejected(OrderError::ProductionIncomplete { order: id }));
    }
    let order = apply_transition(tx, now, &order, OrderStatus::Ready, by, "").await?;
    super::production::close_jobs_of_order(tx, now, id, "order ready").await?;
    Ok(order)
}

/// `ready → shipped`.
pub async fn ship(tx: &mut Tx, now: DateTime<Utc>, id: OrderId, by: Option<UserId>) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    apply_transition(tx, now, &order, OrderStatus::Shipped, by, "").await
}

/// `shipped → delivered`.
pub async fn deliver(tx: &mut Tx, now: DateTime<Utc>, id: OrderId, by: Option<UserId>) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    apply_transition(tx, now, &order, OrderStatus::Delivered, by, "").await
}

/// `draft | placed → cancelled` (before payment; afterwards use [`refund`]).
pub async fn cancel(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: OrderId,
    by: Option<UserId>,
    reason: &str,
) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    apply_transition(tx, now, &order, OrderStatus::Cancelled, by, reason.trim()).await
}

/// `paid | in_production | ready | shipped | delivered → refunded`. An order in production
/// must have no job printing (`ORDER_JOB_PRINTING`); its queued and scheduled jobs are
/// cancelled and its failed jobs abandoned, in the same transaction.
pub async fn refund(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: OrderId,
    by: Option<UserId>,
    reason: &str,
) -> StoreResult<Order> {
    let order = get_order(&mut *tx, id).await?;
    OrderStatus::check_transition(order.status, OrderStatus::Refunded).map_err(rejected)?;
    if let Some(job) = super::production::printing_job_of_order(&mut *tx, id).await? {
        return Err(rejected(OrderError::JobPrinting { order: id, job }));
    }
    let order = apply_transition(tx, now, &order, OrderStatus::Refunded, by, reason.trim()).await?;
    super::production::close_jobs_of_order(tx, now, id, "order refunded").await?;
    Ok(order)
}
