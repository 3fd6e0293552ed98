//! Orders: the order book (customer-scoped), lines, status history and the lifecycle mutations.
//!
//! Scoping: callers with `orders:read_all` see every order; a customer (`orders:read_own`) sees
//! only their own, and any other order id answers `NOT_FOUND`, exactly as a missing one.

use async_graphql::{Context, ID, InputObject, Object};
use gantry_app::{Db, now, orders};
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::orders::{
    LineItem, NewOrder, NewOrderLine, Order, OrderFilter, OrderLine, OrderStatus, StatusChange,
};
use gantry_engine::domain::types::{CustomerId, MaterialId, OrderId, OrderLineId, ProductId};
use gantry_engine::domain::users::{Customer, Permission};

use super::app_error;
use super::catalog::ProductNode;
use super::connection::{
    Conn, IdOrder, MoneyObj, PageArgs, Ts, id_arg, invalid, mirror_enum, parse_currency, ts,
};
use super::inventory::MaterialNode;
use super::loaders::{CustomerFetch, LinesFetch, count, loaders, prefetch};
use super::principal::{
    AnyPermissionGuard, IdempotencyKey, PermissionGuard, Principal, caller, forbidden, principal,
};
use super::production::JobNode;

mirror_enum!(
    /// Lifecycle status of an order.
    OrderStatusGql as "OrderStatus" = OrderStatus { Draft, Placed, Paid, InProduction, Ready, Shipped, Delivered, Cancelled, Refunded }
);

const READ_ORDERS: &[Permission] = &[Permission::OrdersReadAll, Permission::OrdersReadOwn];
const PLACE_ORDERS: &[Permission] = &[Permission::OrdersWrite, Permission::OrdersPlaceOwn];
const FULFIL: &[Permission] = &[Permission::OrdersWrite, Permission::ProductionOperate];

/// A CRM customer record.
pub struct CustomerNode(pub Customer);

/// A CRM customer record.
#[Object(name = "Customer")]
impl CustomerNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
}

/// An order (header); lines and customer are loaded in batches, or were read ahead for the
/// whole page by the `orders` list.
pub struct OrderNode(pub Order, pub OrderPrefetch);

/// Relations of an order read ahead with its page (`None`: not read ahead, use the loader).
#[derive(Default)]
pub struct OrderPrefetch {
    customer: Option<Option<Customer>>,
    lines: Option<Vec<OrderLine>>,
}

impl OrderNode {
    /// An order whose relations are loaded on demand.
    pub fn new(order: Order) -> Self {
        OrderNode(order, OrderPrefetch::default())
    }
}

/// Reads the customers and lines of every order of a page in one read each, when the query
/// selects them (`edges { node { … } }` or `nodes { … }`), instead of letting every order ask its
/// loader. Same data and visibility as the loaders: only relations of orders already on the page.
async fn prefetch_page(ctx: &Context<'_>, conn: &mut Conn<OrderNode>) -> async_graphql::Result<()> {
    if conn.edges.is_empty() {
        return Ok(());
    }
    let look = ctx.look_ahead();
    let edge_node = look.field("edges").field("node");
    let nodes = look.field("nodes");
    let wants = |f: &str| edge_node.field(f).exists() || nodes.field(f).exists();
    let (want_customer, want_lines) = (wants("customer"), wants("lines"));
    if !want_customer && !want_lines {
        return Ok(());
    }
    let order_ids: Vec<OrderId> = conn.edges.iter().map(|e| e.node.0.id).collect();
    let customer_ids: Vec<CustomerId> = conn.edges.iter().map(|e| e.node.0.customer_id).collect();
    let customers = async {
        if want_customer {
            prefetch::<CustomerFetch>(ctx, customer_ids).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let lines = async {
        if want_lines {
            prefetch::<LinesFetch>(ctx, order_ids).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (customers, lines) = futures_util::future::join(customers, lines).await;
    let (customers, mut lines) = (customers?, lines?);
    for e in &mut conn.edges {
        let node = &mut e.node;
        if let Some(c) = &customers {
            node.1.customer = Some(c.get(&node.0.customer_id).cloned());
        }
        if let Some(l) = &mut lines {
            node.1.lines = Some(l.remove(&node.0.id).unwrap_or_default());
        }
    }
    Ok(())
}

/// An order (header); lines and customer are loaded in batches.
#[Object(name = "Order")]
impl OrderNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.0.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CustomerNode>> {
        if let Some(c) = &self.1.customer {
            return Ok(c.clone().map(CustomerNode));
        }
        Ok(loaders(ctx)?
            .customers
            .load(ctx, self.0.customer_id)
            .await?
            .map(CustomerNode))
    }
    async fn status(&self) -> OrderStatusGql {
        self.0.status.into()
    }
    async fn total(&self) -> MoneyObj {
        self.0.total.into()
    }
    async fn priority(&self) -> i64 {
        self.0.priority
    }
    async fn due_at(&self) -> Option<Ts> {
        ts(self.0.due_at)
    }
    async fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn updated_at(&self) -> Ts {
        Ts(self.0.updated_at)
    }
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LineNode>> {
        if let Some(lines) = &self.1.lines {
            return Ok(lines.iter().cloned().map(LineNode).collect());
        }
        let lines = loaders(ctx)?
            .lines
            .load(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(lines.into_iter().map(LineNode).collect())
    }
    /// Status changes, oldest first (the first is the creation as draft).
    async fn status_history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StatusChangeNode>> {
        count(ctx);
        let h = orders::history_of(ctx.data::<Db>()?, &self.0)
            .await
            .map_err(app_error)?;
        Ok(h.into_iter().map(StatusChangeNode).collect())
    }
    /// The production jobs of this order.
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<JobNode>> {
        let jobs = loaders(ctx)?.jobs.load(ctx, self.0.id).await?.unwrap_or_default();
        Ok(jobs.into_iter().map(JobNode).collect())
    }
    /// The order's shipments (parcels), oldest first (read for every order of a list at once).
    async fn shipments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::shipping::ShipmentNode>> {
        // Only orders the caller may see become nodes; checked again since the loader does not.
        if !caller(ctx)?.may_see(self.0.customer_id) {
            return Err(super::connection::not_found("order", self.0.id.0));
        }
        let all = loaders(ctx)?
            .shipments
            .load(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(all.into_iter().map(super::shipping::ShipmentNode).collect())
    }
}

/// One line of an order.
pub struct LineNode(pub OrderLine);

/// One line of an order.
#[Object(name = "OrderLine")]
impl LineNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn line_no(&self) -> i64 {
        self.0.line_no
    }
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.map(|p| ID(p.0.to_string()))
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductNode>> {
        match self.0.product_id {
            Some(p) => Ok(loaders(ctx)?.products.load(ctx, p).await?.map(ProductNode)),
            None => Ok(None),
        }
    }
    async fn model_ref(&self) -> Option<&str> {
        self.0.model_ref.as_deref()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn material_id(&self) -> ID {
        ID(self.0.material_id.0.to_string())
    }
    async fn material(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MaterialNode>> {
        Ok(loaders(ctx)?
            .materials
            .load(ctx, self.0.material_id)
            .await?
            .map(MaterialNode))
    }
    async fn colour(&self) -> &str {
        &self.0.colour
    }
    async fn quantity(&self) -> i64 {
        i64::from(self.0.quantity.get())
    }
    async fn unit_price(&self) -> MoneyObj {
        self.0.unit_price.into()
    }
    async fn grams_per_unit(&self) -> i64 {
        self.0.production.grams_per_unit
    }
    async fn print_minutes_per_unit(&self) -> i64 {
        self.0.production.print_minutes_per_unit
    }
    async fn copies_per_plate(&self) -> i64 {
        self.0.production.copies_per_plate
    }
    async fn printed_count(&self) -> i64 {
        self.0.printed_count
    }
    async fn failed_count(&self) -> i64 {
        self.0.failed_count
    }
}

/// One status change of an order.
pub struct StatusChangeNode(pub StatusChange);

/// One status change of an order.
#[Object(name = "OrderStatusChange")]
impl StatusChangeNode {
    async fn from(&self) -> Option<OrderStatusGql> {
        self.0.from.map(Into::into)
    }
    async fn to(&self) -> OrderStatusGql {
        self.0.to.into()
    }
    async fn changed_by(&self) -> Option<ID> {
        self.0.changed_by.map(|u| ID(u.0.to_string()))
    }
    async fn changed_at(&self) -> Ts {
        Ts(self.0.changed_at)
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
}

/// Per-unit production data (grams, minutes, copies per plate) for a model line.
#[derive(InputObject, Debug, Clone)]
pub struct ProductionSpecInput {
    pub grams_per_unit: i64,
    pub print_minutes_per_unit: i64,
    pub copies_per_plate: i64,
}

impl From<&ProductionSpecInput> for ProductionSpec {
    fn from(p: &ProductionSpecInput) -> Self {
        ProductionSpec {
            grams_per_unit: p.grams_per_unit,
            print_minutes_per_unit: p.print_minutes_per_unit,
            copies_per_plate: p.copies_per_plate,
        }
    }
}

/// A line to add: a catalog product (`productId`) or an uploaded model (`modelRef` +
/// `description`). Prices and production data are set by staff only.
#[derive(InputObject, Debug, Clone)]
pub struct OrderLineInput {
    pub product_id: Option<ID>,
    pub model_ref: Option<String>,
    pub description: Option<String>,
    pub material_id: Option<ID>,
    pub colour: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: Option<i64>,
    pub production: Option<ProductionSpecInput>,
}

/// A new order. Customers create orders for themselves (`customerId` omitted or their own).
#[derive(InputObject, Debug, Clone)]
pub struct CreateOrderInput {
    pub customer_id: Option<ID>,
    #[graphql(default_with = "String::from(\"EUR\")")]
    pub currency: String,
    #[graphql(default)]
    pub lines: Vec<OrderLineInput>,
    #[graphql(default)]
    pub priority: i64,
    pub due_at: Option<Ts>,
}

fn line_from_input(p: &Principal, l: &OrderLineInput) -> async_graphql::Result<NewOrderLine> {
    if (l.unit_price_minor.is_some() || l.production.is_some()) && !p.can(Permission::OrdersWrite) {
        return Err(forbidden());
    }
    let item = match (&l.product_id, &l.model_ref) {
        (Some(id), None) => LineItem::Product(ProductId(id_arg(id, "product")?)),
        (None, Some(m)) => LineItem::Model {
            model_ref: m.clone(),
            description: l.description.clone().unwrap_or_default(),
        },
        _ => {
            return Err(invalid(
                "a line needs exactly one of productId and modelRef",
                "ORDER_LINE_ITEM",
            ));
        }
    };
    Ok(NewOrderLine {
        item,
        material_id: l
            .material_id
            .as_ref()
            .map(|m| id_arg(m, "material").map(MaterialId))
            .transpose()?,
        colour: l.colour.clone(),
        quantity: l.quantity,
        unit_price_minor: l.unit_price_minor,
        production: l.production.as_ref().map(Into::into),
    })
}

#[derive(Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// Orders, by id. Customers see only their own (a `customerId` filter is then ignored).
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "AnyPermissionGuard(READ_ORDERS)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IdOrder>,
        status: Option<OrderStatusGql>,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<Conn<OrderNode>> {
        let p = principal(ctx)?;
        let page = PageArgs::new(first, after, last, before, order_by).check()?;
        let customer = if p.can(Permission::OrdersReadAll) {
            customer_id
                .as_ref()
                .map(|c| id_arg(c, "customer").map(CustomerId))
                .transpose()?
        } else {
            match p.customer_id {
                Some(c) => Some(c),
                None => return Ok(page.slice(Vec::new(), |o: &Order| o.id.0, OrderNode::new)),
            }
        };
        let mut filter = OrderFilter {
            customer_id: customer,
            status: status.map(Into::into),
            after: None,
            limit: OrderFilter::MAX_LIMIT,
        };
        // Fast path: forward pages in id order map directly onto the store's keyset pages.
        if page.order == IdOrder::IdAsc && page.last.is_none() && page.before.is_none() {
            let size = page.first.unwrap_or(super::connection::DEFAULT_PAGE);
            filter.after = page.after.map(OrderId);
            filter.limit = size.max(1) as i64;
            count(ctx);
            let got = orders::list(ctx.data::<Db>()?, &filter)
                .await
                .map_err(app_error)?;
            let mut items = got.orders;
            items.truncate(size);
            let has_next = got.next_cursor.is_some() && size > 0;
            let mut conn = page.slice(items, |o| o.id.0, OrderNode::new);
            conn.has_next_page = has_next;
            conn.has_previous_page = page.after.is_some();
            prefetch_page(ctx, &mut conn).await?;
            return Ok(conn);
        }
        let mut all = Vec::new();
        loop {
            count(ctx);
            let got = orders::list(ctx.data::<Db>()?, &filter)
                .await
                .map_err(app_error)?;
            all.extend(got.orders);
            match got.next_cursor {
                Some(next) => filter.after = Some(next),
                None => break,
            }
        }
        let mut conn = page.slice(all, |o| o.id.0, OrderNode::new);
        prefetch_page(ctx, &mut conn).await?;
        Ok(conn)
    }

    /// One order; another customer's order is `NOT_FOUND`.
    #[graphql(guard = "AnyPermissionGuard(READ_ORDERS)")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        count(ctx);
        let order = orders::order(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(order))
    }

    /// The status history of one order (same visibility as `order`).
    #[graphql(guard = "AnyPermissionGuard(READ_ORDERS)")]
    async fn order_status_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Vec<StatusChangeNode>> {
        let id = OrderId(id_arg(&id, "order")?);
        count(ctx);
        let h = orders::status_history(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(h.into_iter().map(StatusChangeNode).collect())
    }
}

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Creates a draft order. With an idempotency key (argument, or the `Idempotency-Key`
    /// header), a retry returns the first order instead of creating another.
    #[graphql(guard = "AnyPermissionGuard(PLACE_ORDERS)")]
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        input: CreateOrderInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<OrderNode> {
        let p = principal(ctx)?;
        let requested = input
            .customer_id
            .as_ref()
            .map(|c| id_arg(c, "customer").map(CustomerId))
            .transpose()?;
        let customer_id = if p.can(Permission::OrdersWrite) {
            match requested.or(p.customer_id) {
                Some(c) => c,
                None => return Err(invalid("customerId is required", "CUSTOMER_REQUIRED")),
            }
        } else {
            match (p.customer_id, requested) {
                (Some(own), None) => own,
                (Some(own), Some(r)) if r == own => own,
                _ => return Err(forbidden()),
            }
        };
        let lines = input
            .lines
            .iter()
            .map(|l| line_from_input(p, l))
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let key = idempotency_key.or_else(|| ctx.data_opt::<IdempotencyKey>().map(|k| k.0.clone()));
        let new = NewOrder {
            customer_id,
            currency: parse_currency(&input.currency)?,
            lines,
            priority: input.priority,
            due_at: input.due_at.map(|t| t.0),
            idempotency_key: key,
        };
        let created = orders::create(ctx.data::<Db>()?, &p.caller(), now(), &new)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(created.order))
    }

    /// Adds a line to a draft order.
    #[graphql(guard = "AnyPermissionGuard(PLACE_ORDERS)")]
    async fn add_order_line(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        line: OrderLineInput,
    ) -> async_graphql::Result<OrderNode> {
        let p = principal(ctx)?;
        let id = OrderId(id_arg(&order_id, "order")?);
        let new = line_from_input(p, &line)?;
        let o = orders::add_line(ctx.data::<Db>()?, &p.caller(), now(), id, &new)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o.order))
    }

    /// Removes a line from a draft order.
    #[graphql(guard = "AnyPermissionGuard(PLACE_ORDERS)")]
    async fn remove_order_line(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        line_id: ID,
    ) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&order_id, "order")?);
        let line = OrderLineId(id_arg(&line_id, "order line")?);
        let o = orders::remove_line(ctx.data::<Db>()?, &caller(ctx)?, now(), id, line)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o.order))
    }

    /// Places a draft order.
    #[graphql(guard = "AnyPermissionGuard(PLACE_ORDERS)")]
    async fn place_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::place(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Records the payment of a placed order.
    #[graphql(guard = "PermissionGuard(Permission::OrdersWrite)")]
    async fn pay_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::pay(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Starts production of a paid order: creates its print jobs.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn start_production(&self, ctx: &Context<'_>, order_id: ID) -> async_graphql::Result<Vec<JobNode>> {
        let id = OrderId(id_arg(&order_id, "order")?);
        let (jobs, _order) = orders::start_production(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(jobs.into_iter().map(JobNode).collect())
    }

    /// Marks a fully printed order ready.
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn mark_ready(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::mark_ready(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Ships a ready order.
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn ship_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::ship(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Records the delivery of a shipped order.
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn deliver_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::deliver(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Cancels an order (customers: their own, while the lifecycle allows it).
    #[graphql(guard = "AnyPermissionGuard(PLACE_ORDERS)")]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] reason: String,
    ) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::cancel(ctx.data::<Db>()?, &caller(ctx)?, now(), id, &reason)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }

    /// Refunds an order.
    #[graphql(guard = "PermissionGuard(Permission::OrdersWrite)")]
    async fn refund_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] reason: String,
    ) -> async_graphql::Result<OrderNode> {
        let id = OrderId(id_arg(&id, "order")?);
        let o = orders::refund(ctx.data::<Db>()?, &caller(ctx)?, now(), id, &reason)
            .await
            .map_err(app_error)?;
        Ok(OrderNode::new(o))
    }
}
