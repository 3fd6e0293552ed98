//! Use cases of orders: reading them (a customer sees only their own: another customer's order
//! is `NOT_FOUND`), the draft's lines, and the lifecycle from placing to delivery. Each command
//! is one transaction; the store appends the `order.*` events in it.

use chrono::{DateTime, Utc};
use gantry_engine::domain::orders::{
    NewOrder, NewOrderLine, Order, OrderFilter, OrderPage, OrderWithLines, StatusChange,
};
use gantry_engine::domain::production::Job;
use gantry_engine::domain::types::{OrderId, OrderLineId};
use gantry_engine::store::{Tx, orders as store, production};

use crate::{AppError, AppResult, Caller, Db, conn, in_tx};

/// A page of orders matching `filter` (the caller's visibility is applied by the filter the
/// transport builds: customers filter by their own id).
pub async fn list(db: &Db, filter: &OrderFilter) -> AppResult<OrderPage> {
    Ok(store::list_orders(&mut *conn(db).await?, filter).await?)
}

/// One order the caller may see.
pub async fn order(db: &Db, caller: &Caller, id: OrderId) -> AppResult<Order> {
    let order = store::get_order(&mut *conn(db).await?, id).await?;
    visible(caller, order)
}

/// An order's status changes, oldest first (the caller must be allowed to see the order).
pub async fn status_history(db: &Db, caller: &Caller, id: OrderId) -> AppResult<Vec<StatusChange>> {
    let mut c = conn(db).await?;
    visible(caller, store::get_order(&mut c, id).await?)?;
    Ok(store::status_history(&mut c, id).await?)
}

/// An order's status changes, for an order already shown to the caller.
pub async fn history_of(db: &Db, order: &Order) -> AppResult<Vec<StatusChange>> {
    Ok(store::status_history(&mut *conn(db).await?, order.id).await?)
}

fn visible(caller: &Caller, order: Order) -> AppResult<Order> {
    if caller.may_see(order.customer_id) {
        Ok(order)
    } else {
        Err(AppError::not_found("order", order.id.0))
    }
}

/// Reads an order the caller may see inside the command's transaction.
async fn visible_in(tx: &mut Tx, caller: &Caller, id: OrderId) -> AppResult<Order> {
    visible(caller, store::get_order(tx, id).await?)
}

/// Creates a draft order for the customer the transport chose for the caller (a retry with the
/// same idempotency key returns the first order).
pub async fn create(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    new: &NewOrder,
) -> AppResult<OrderWithLines> {
    in_tx!(db, tx => store::create_order(&mut tx, now, new, caller.user_id).await?)
}

/// Adds a line to a draft order.
pub async fn add_line(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: OrderId,
    line: &NewOrderLine,
) -> AppResult<OrderWithLines> {
    in_tx!(db, tx => {
        visible_in(&mut tx, caller, id).await?;
        store::add_line(&mut tx, now, id, line).await?
    })
}

/// Removes a line from a draft order.
pub async fn remove_line(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: OrderId,
    line: OrderLineId,
) -> AppResult<OrderWithLines> {
    in_tx!(db, tx => {
        visible_in(&mut tx, caller, id).await?;
        store::remove_line(&mut tx, now, id, line).await?
    })
}

/// Places a draft order.
pub async fn place(db: &Db, caller: &Caller, now: DateTime<Utc>, id: OrderId) -> AppResult<Order> {
    in_tx!(db, tx => {
        visible_in(&mut tx, caller, id).await?;
        store::place(&mut tx, now, id, caller.user_id).await?
    })
}

/// Records the payment of a placed order.
pub async fn pay(db: &Db, caller: &Caller, now: DateTime<Utc>, id: OrderId) -> AppResult<Order> {
    in_tx!(db, tx => store::pay(&mut tx, now, id, caller.user_id).await?)
}

/// Starts production of a paid order: creates its print jobs (one per plate); returns them
/// with the order as it is now.
pub async fn start_production(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: OrderId,
) -> AppResult<(Vec<Job>, Order)> {
    in_tx!(db, tx => {
        let jobs = production::start_production(&mut tx, now, id, caller.user_id).await?;
        let order = store::get_order(&mut tx, id).await?;
        (jobs, order)
    })
}

/// Marks a fully printed order ready.
pub async fn mark_ready(db: &Db, caller: &Caller, now: DateTime<Utc>, id: OrderId) -> AppResult<Order> {
    in_tx!(db, tx => store::mark_ready(&mut tx, now, id, caller.user_id).await?)
}

/// Ships a ready order.
pub async fn ship(db: &Db, caller: &Caller, now: DateTime<Utc>, id: OrderId) -> AppResult<Order> {
    in_tx!(db, tx => store::ship(&mut tx, now, id, caller.user_id).await?)
}

/// Records the delivery of a shipped order.
pub async fn deliver(db: &Db, caller: &Caller, now: DateTime<Utc>, id: OrderId) -> AppResult<Order> {
    in_tx!(db, tx => store::deliver(&mut tx, now, id, caller.user_id).await?)
}

/// Cancels an order the caller may see, while the lifecycle allows it.
pub async fn cancel(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: OrderId,
    reason: &str,
) -> AppResult<Order> {
    in_tx!(db, tx => {
        visible_in(&mut tx, caller, id).await?;
        store::cancel(&mut tx, now, id, caller.user_id, reason).await?
    })
}

/// Refunds an order.
pub async fn refund(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: OrderId,
    reason: &str,
) -> AppResult<Order> {
    in_tx!(db, tx => store::refund(&mut tx, now, id, caller.user_id, reason).await?)
}
