//! Orders domain (pure): order lines, totals and the order lifecycle.
//!
//! # Lines
//! A line is either a catalog product ([`LineItem::Product`]) or an uploaded model
//! ([`LineItem::Model`], identified by its `model_ref`). Each line has a material, a colour, a
//! quantity (1..=[`Quantity::MAX`]), a unit price in the order's currency and the production
//! data ([`ProductionSpec`]). For a product line, the material, unit price and production data
//! default to the product's (the product must be active and, when its price is used, priced
//! in the order's currency); the colour defaults to the material's colour. A model line must
//! give its material, unit price and production data. Totals are integer minor units,
//! overflow-checked; all lines share the order's currency.
//!
//! # Lifecycle
//! ```text
//! draft → placed → paid → in_production → ready → shipped → delivered
//! draft, placed                                   → cancelled   (before payment)
//! paid, in_production, ready, shipped, delivered  → refunded    (after payment)
//! ```
//! Precisely ([`OrderStatus::can_transition`]):
//! * `draft → placed` (needs at least one line), `placed → paid`, `paid → in_production`
//!   (creates the production jobs), `in_production → ready` (every line printed; normally
//!   automatic when the last job completes), `ready → shipped`, `shipped → delivered`.
//! * **cancel** (`→ cancelled`) only before any money is taken: from `draft` and `placed`.
//! * **refund** (`→ refunded`) once money was taken: from `paid`, `in_production`, `ready`,
//!   `shipped` and `delivered`. Cancelling a paid order is a refund; refunding an order in
//!   production cancels its jobs that have not started printing (and is refused while one
//!   is printing).
//! * `cancelled` and `refunded` are terminal; `delivered` only allows a refund.
//!
//! Lines can be added and removed only while the order is a `draft`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Product, ProductionSpec};
use crate::error::{Coded, ErrorKind};
use crate::types::{
    Currency, CustomerId, JobId, MaterialId, Money, OrderId, OrderLineId, ProductId, Quantity, UserId,
};

/// Lowest accepted order priority.
pub const PRIORITY_MIN: i64 = -1_000;
/// Highest accepted order priority.
pub const PRIORITY_MAX: i64 = 1_000;
/// Longest idempotency key.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;
/// Longest line description or colour.
pub const LINE_TEXT_MAX: usize = 200;

/// Rejections of order commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The lifecycle does not allow `from → to`.
    #[error("order cannot go from {from} to {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    /// A line quantity outside 1..=100000.
    #[error("line {line_no}: quantity {quantity} is invalid (expected 1 to 100000)")]
    InvalidQuantity { line_no: i64, quantity: i64 },
    /// A model line lacks data a product line would default (material, price, production data).
    #[error("line {line_no}: {field} is required for a model line")]
    LineIncomplete { line_no: i64, field: &'static str },
    /// A line field failed validation.
    #[error("line {line_no}: invalid {field}: {reason}")]
    InvalidLine {
        line_no: i64,
        field: &'static str,
        reason: String,
    },
    /// The product is deactivated and cannot be ordered.
    #[error("product {product} is not active")]
    ProductInactive { product: ProductId },
    /// A price in another currency than the order's.
    #[error("currency {found} does not match the order currency {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    /// The total does not fit in 64-bit minor units.
    #[error("order total overflows")]
    TotalOverflow,
    /// An order field (priority, idempotency key) failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Lines can only change while the order is a draft.
    #[error("order {order} is {status}, not a draft")]
    NotDraft { order: OrderId, status: OrderStatus },
    /// An order without lines cannot be placed.
    #[error("order {order} has no lines")]
    Empty { order: OrderId },
    /// The idempotency key was already used by another customer.
    #[error("idempotency key {key:?} is already used for another customer's order")]
    IdempotencyConflict { key: String },
    /// `ready` needs every line printed.
    #[error("order {order} is not fully printed yet")]
    ProductionIncomplete { order: OrderId },
    /// A refund of an order in production is refused while one of its jobs prints.
    #[error("order {order} has job {job} printing; finish or fail it first")]
    JobPrinting { order: OrderId, job: JobId },
}

impl Coded for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::IllegalTransition { .. } => "ORDER_ILLEGAL_TRANSITION",
            OrderError::InvalidQuantity { .. } => "ORDER_QUANTITY_INVALID",
            OrderError::LineIncomplete { .. } => "ORDER_LINE_INCOMPLETE",
            OrderError::InvalidLine { .. } => "ORDER_LINE_INVALID",
            OrderError::ProductInactive { .. } => "ORDER_PRODUCT_INACTIVE",
            OrderError::CurrencyMismatch { .. } => "ORDER_CURRENCY_MISMATCH",
            OrderError::TotalOverflow => "ORDER_TOTAL_OVERFLOW",
            OrderError::Invalid { .. } => "ORDER_INVALID",
            OrderError::NotDraft { .. } => "ORDER_NOT_DRAFT",
            OrderError::Empty { .. } => "ORDER_EMPTY",
            OrderError::IdempotencyConflict { .. } => "ORDER_IDEMPOTENCY_CONFLICT",
            OrderError::ProductionIncomplete { .. } => "ORDER_PRODUCTION_INCOMPLETE",
            OrderError::JobPrinting { .. } => "ORDER_JOB_PRINTING",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::InvalidQuantity { .. }
            | OrderError::LineIncomplete { .. }
            | OrderError::InvalidLine { .. }
            | OrderError::ProductInactive { .. }
            | OrderError::CurrencyMismatch { .. }
            | OrderError::TotalOverflow
            | OrderError::Invalid { .. }
            | OrderError::Empty { .. } => ErrorKind::Validation,
            OrderError::IllegalTransition { .. }
            | OrderError::NotDraft { .. }
            | OrderError::IdempotencyConflict { .. }
            | OrderError::ProductionIncomplete { .. }
            | OrderError::JobPrinting { .. } => ErrorKind::Conflict,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Status

/// Where an order is in its lifecycle (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Draft,
    Placed,
    Paid,
    InProduction,
    Ready,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Draft,
        OrderStatus::Placed,
        OrderStatus::Paid,
        OrderStatus::InProduction,
        OrderStatus::Ready,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// The stored (and serialised) name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Placed => "placed",
            OrderStatus::Paid => "paid",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Ready => "ready",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Inverse of [`OrderStatus::as_str`].
    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the lifecycle allows `from → to`.
    pub fn can_transition(from: OrderStatus, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (from, to),
            (Draft, Placed)
                | (Placed, Paid)
                | (Paid, InProduction)
                | (InProduction, Ready)
                | (Ready, Shipped)
                | (Shipped, Delivered)
                | (Draft | Placed, Cancelled)
                | (Paid | InProduction | Ready | Shipped | Delivered, Refunded)
        )
    }

    /// [`OrderStatus::can_transition`] as a typed rejection.
    pub fn check_transition(from: OrderStatus, to: OrderStatus) -> Result<(), OrderError> {
        if OrderStatus::can_transition(from, to) {
            Ok(())
        } else {
            Err(OrderError::IllegalTransition { from, to })
        }
    }

    /// No transition leaves this status.
    pub fn is_terminal(self) -> bool {
        OrderStatus::ALL
            .into_iter()
            .all(|to| !OrderStatus::can_transition(self, to))
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// An order header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub status: OrderStatus,
    /// Sum of the line totals, in the order's currency.
    pub total: Money,
    /// Higher is more urgent; copied onto the production jobs.
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The order's currency.
    pub fn currency(&self) -> Currency {
        self.total.currency
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub id: OrderLineId,
    pub order_id: OrderId,
    /// 1-based position within the order.
    pub line_no: i64,
    pub product_id: Option<ProductId>,
    pub model_ref: Option<String>,
    pub description: String,
    pub material_id: MaterialId,
    pub colour: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub production: ProductionSpec,
    /// Copies printed so far (completed jobs).
    pub printed_count: i64,
    /// Copies lost in failed jobs so far.
    pub failed_count: i64,
}

impl OrderLine {
    /// `unit_price × quantity`, overflow-checked.
    pub fn total(&self) -> Result<Money, OrderError> {
        self.unit_price
            .checked_mul(i64::from(self.quantity.get()))
            .map_err(|_| OrderError::TotalOverflow)
    }

    /// Copies still to print (never negative).
    pub fn remaining(&self) -> i64 {
        (i64::from(self.quantity.get()) - self.printed_count).max(0)
    }
}

/// An order with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderWithLines {
    #[serde(flatten)]
    pub order: Order,
    pub lines: Vec<OrderLine>,
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub id: i64,
    pub order_id: OrderId,
    /// `None` for the creation of the order.
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    /// `None` when the system changed it (e.g. `ready` after the last job).
    pub changed_by: Option<UserId>,
    pub changed_at: DateTime<Utc>,
    pub note: String,
}

/// Whether every line has all its copies printed (an order without lines is not).
pub fn all_printed(lines: &[OrderLine]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| l.remaining() == 0)
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// What a line orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineItem {
    /// A catalog product.
    Product(ProductId),
    /// An uploaded model; `description` may be empty (the model reference is used then).
    Model { model_ref: String, description: String },
}

/// Input for one order line. `None` fields default from the product (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderLine {
    pub item: LineItem,
    pub material_id: Option<MaterialId>,
    pub colour: Option<String>,
    pub quantity: i64,
    /// In the order's currency.
    pub unit_price_minor: Option<i64>,
    pub production: Option<ProductionSpec>,
}

impl NewOrderLine {
    /// A product line with every default.
    pub fn product(product_id: ProductId, quantity: i64) -> NewOrderLine {
        NewOrderLine {
            item: LineItem::Product(product_id),
            material_id: None,
            colour: None,
            quantity,
            unit_price_minor: None,
            production: None,
        }
    }

    /// A model line (the colour defaults to the material's).
    pub fn model(
        model_ref: &str,
        material_id: MaterialId,
        quantity: i64,
        unit_price_minor: i64,
        production: ProductionSpec,
    ) -> NewOrderLine {
        NewOrderLine {
            item: LineItem::Model {
                model_ref: model_ref.to_string(),
                description: String::new(),
            },
            material_id: Some(material_id),
            colour: None,
            quantity,
            unit_price_minor: Some(unit_price_minor),
            production: Some(production),
        }
    }

    /// The product this line refers to, if any.
    pub fn product_id(&self) -> Option<ProductId> {
        match self.item {
            LineItem::Product(p) => Some(p),
            LineItem::Model { .. } => None,
        }
    }

    /// Checks what needs no lookup (quantity, model data present). Run before any lookup.
    pub fn check_shape(&self, line_no: i64) -> Result<(), OrderError> {
        Quantity::new(self.quantity).map_err(|_| OrderError::InvalidQuantity {
            line_no,
            quantity: self.quantity,
        })?;
        if let LineItem::Model { .. } = self.item {
            if self.material_id.is_none() {
                return Err(OrderError::LineIncomplete {
                    line_no,
                    field: "material",
                });
            }
            if self.unit_price_minor.is_none() {
                return Err(OrderError::LineIncomplete {
                    line_no,
                    field: "unit price",
                });
            }
            if self.production.is_none() {
                return Err(OrderError::LineIncomplete {
                    line_no,
                    field: "production data",
                });
            }
        }
        Ok(())
    }

    /// The material of this line: given, or the product's default.
    pub fn material_for(&self, line_no: i64, product: Option<&Product>) -> Result<MaterialId, OrderError> {
        self.material_id
            .or(product.map(|p| p.default_material_id))
            .ok_or(OrderError::LineIncomplete {
                line_no,
                field: "material",
            })
    }
}

/// Input for a new (draft) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: CustomerId,
    pub currency: Currency,
    pub lines: Vec<NewOrderLine>,
    /// [`PRIORITY_MIN`]..=[`PRIORITY_MAX`]; higher is more urgent.
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
    /// A retried create with the same key returns the first order instead of a second one.
    pub idempotency_key: Option<String>,
}

impl NewOrder {
    /// Checks the header and every line's shape; returns the normalised idempotency key.
    pub fn check_shape(&self) -> Result<Option<String>, OrderError> {
        if !(PRIORITY_MIN..=PRIORITY_MAX).contains(&self.priority) {
            return Err(OrderError::Invalid {
                field: "priority",
                reason: format!("{} out of range", self.priority),
            });
        }
        let key = match &self.idempotency_key {
            None => None,
            Some(k) => Some(parse_idempotency_key(k)?),
        };
        for (i, line) in self.lines.iter().enumerate() {
            line.check_shape(i as i64 + 1)?;
        }
        Ok(key)
    }
}

/// Checks an idempotency key: trimmed, 1..=128 characters, no control characters.
pub fn parse_idempotency_key(k: &str) -> Result<String, OrderError> {
    let t = k.trim();
    if t.is_empty() || t.chars().count() > IDEMPOTENCY_KEY_MAX || t.chars().any(char::is_control) {
        return Err(OrderError::Invalid {
            field: "idempotency_key",
            reason: "expected 1 to 128 printable characters".into(),
        });
    }
    Ok(t.to_string())
}

/// A validated line, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    pub line_no: i64,
    pub product_id: Option<ProductId>,
    pub model_ref: Option<String>,
    pub description: String,
    pub material_id: MaterialId,
    pub colour: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub production: ProductionSpec,
}

impl LineDraft {
    /// `unit_price × quantity`, overflow-checked.
    pub fn total(&self) -> Result<Money, OrderError> {
        self.unit_price
            .checked_mul(i64::from(self.quantity.get()))
            .map_err(|_| OrderError::TotalOverflow)
    }
}

fn line_text(line_no: i64, field: &'static str, s: &str) -> Result<String, OrderError> {
    crate::types::parse_name(field, s, LINE_TEXT_MAX).map_err(|e| OrderError::InvalidLine {
        line_no,
        field,
        reason: e.reason.to_string(),
    })
}

/// Resolves one input line against what the store looked up: the product (for a product
/// line) and the colour of the line's material.
pub fn resolve_line(
    currency: Currency,
    line_no: i64,
    line: &NewOrderLine,
    product: Option<&Product>,
    material_colour: &str,
) -> Result<LineDraft, OrderError> {
    line.check_shape(line_no)?;
    let quantity = Quantity::new(line.quantity).map_err(|_| OrderError::InvalidQuantity {
        line_no,
        quantity: line.quantity,
    })?;
    let (product_id, model_ref, description, default_price, default_spec) = match (&line.item, product) {
        (LineItem::Product(id), Some(p)) if p.id == *id => {
            if !p.active {
                return Err(OrderError::ProductInactive { product: p.id });
            }
            (
                Some(p.id),
                p.model_ref.clone(),
                p.name.clone(),
                Some(p.price),
                Some(p.production),
            )
        }
        (LineItem::Product(_), _) => {
            return Err(OrderError::InvalidLine {
                line_no,
                field: "product",
                reason: "product data missing".into(),
            });
        }
        (
            LineItem::Model {
                model_ref,
                description,
            },
            _,
        ) => {
            let model_ref = line_text(line_no, "model_ref", model_ref)?;
            let description = if description.trim().is_empty() {
                model_ref.clone()
            } else {
                line_text(line_no, "description", description)?
            };
            (None, Some(model_ref), description, None, None)
        }
    };
    let material_id = line.material_for(line_no, product)?;
    let unit_price = match (line.unit_price_minor, default_price) {
        (Some(minor), _) => Money::price(minor, currency).map_err(|e| OrderError::InvalidLine {
            line_no,
            field: "unit price",
            reason: e.reason.to_string(),
        })?,
        (None, Some(p)) if p.currency == currency => p,
        (None, Some(p)) => {
            return Err(OrderError::CurrencyMismatch {
                expected: currency,
                found: p.currency,
            });
        }
        (None, None) => {
            return Err(OrderError::LineIncomplete {
                line_no,
                field: "unit price",
            });
        }
    };
    let production = line
        .production
        .or(default_spec)
        .ok_or(OrderError::LineIncomplete {
            line_no,
            field: "production data",
        })?
        .validate()
        .map_err(|e| OrderError::InvalidLine {
            line_no,
            field: e.field,
            reason: e.reason.to_string(),
        })?;
    let colour = match &line.colour {
        Some(c) => line_text(line_no, "colour", c)?,
        None => line_text(line_no, "colour", material_colour)?,
    };
    let draft = LineDraft {
        line_no,
        product_id,
        model_ref,
        description,
        material_id,
        colour,
        quantity,
        unit_price,
        production,
    };
    draft.total()?;
    Ok(draft)
}

/// Sum of line totals (`unit price × quantity`) in `currency`, overflow-checked.
pub fn order_total<'a>(
    currency: Currency,
    lines: impl IntoIterator<Item = (&'a Money, Quantity)>,
) -> Result<Money, OrderError> {
    let mut total = Money::zero(currency);
    for (unit, qty) in lines {
        if unit.currency != currency {
            return Err(OrderError::CurrencyMismatch {
                expected: currency,
                found: unit.currency,
            });
        }
        let line = unit
            .checked_mul(i64::from(qty.get()))
            .map_err(|_| OrderError::TotalOverflow)?;
        total = total.checked_add(line).map_err(|_| OrderError::TotalOverflow)?;
    }
    Ok(total)
}

/// Which orders to list; pages go by ascending id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFilter {
    pub customer_id: Option<CustomerId>,
    pub status: Option<OrderStatus>,
    /// Only orders with an id greater than this (the previous page's `next_cursor`).
    pub after: Option<OrderId>,
    /// Page size, clamped to 1..=[`OrderFilter::MAX_LIMIT`].
    pub limit: i64,
}

impl OrderFilter {
    pub const MAX_LIMIT: i64 = 500;

    /// All orders, first page of 50.
    pub fn all() -> OrderFilter {
        OrderFilter {
            customer_id: None,
            status: None,
            after: None,
            limit: 50,
        }
    }

    /// The page size actually used.
    pub fn page_size(&self) -> i64 {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }
}

/// One page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<OrderId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_pair() {
        let mut out = String::from("from \\ to       ");
        for to in OrderStatus::ALL {
            out.push_str(&format!("{:>4}", &to.as_str()[..3]));
        }
        out.push('\n');
        for from in OrderStatus::ALL {
            out.push_str(&format!("{:<16}", from.as_str()));
            for to in OrderStatus::ALL {
                let legal = OrderStatus::can_transition(from, to);
                assert_eq!(OrderStatus::check_transition(from, to).is_ok(), legal);
                if !legal {
                    let e = OrderStatus::check_transition(from, to).unwrap_err();
                    assert_eq!(e, OrderError::IllegalTransition { from, to });
                    assert_eq!(e.code(), "ORDER_ILLEGAL_TRANSITION");
                }
                out.push_str(if legal { "   X" } else { "   ." });
            }
            out.push('\n');
        }
        expect_test::expect![[r#"
            from \ to        dra pla pai in_ rea shi del can ref
            draft              .   X   .   .   .   .   .   X   .
            placed             .   .   X   .   .   .   .   X   .
            paid               .   .   .   X   .   .   .   .   X
            in_production      .   .   .   .   X   .   .   .   X
            ready              .   .   .   .   .   X   .   .   X
            shipped            .   .   .   .   .   .   X   .   X
            delivered          .   .   .   .   .   .   .   .   X
            cancelled          .   .   .   .   .   .   .   .   .
            refunded           .   .   .   .   .   .   .   .   .
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn terminal_states_and_names() {
        let terminal: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(terminal, [OrderStatus::Cancelled, OrderStatus::Refunded]);
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(OrderStatus::parse("DRAFT"), None);
    }

    fn spec() -> ProductionSpec {
        ProductionSpec {
            grams_per_unit: 12,
            print_minutes_per_unit: 30,
            copies_per_plate: 4,
        }
    }

    fn product(active: bool, currency: Currency) -> Product {
        Product {
            id: ProductId(7),
            sku: "VASE".into(),
            name: "Vase".into(),
            description: String::new(),
            category_id: None,
            model_ref: Some("models/vase.3mf".into()),
            default_material_id: MaterialId(3),
            price: Money::new(1250, currency),
            production: spec(),
            active,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn product_line_defaults() {
        let p = product(true, Currency::EUR);
        let d = resolve_line(Currency::EUR, 1, &NewOrderLine::product(p.id, 3), Some(&p), "red").unwrap();
        assert_eq!(d.material_id, MaterialId(3));
        assert_eq!(d.unit_price, Money::new(1250, Currency::EUR));
        assert_eq!(d.production, spec());
        assert_eq!(d.colour, "red");
        assert_eq!(d.description, "Vase");
        assert_eq!(d.model_ref.as_deref(), Some("models/vase.3mf"));
        assert_eq!(d.total().unwrap().minor, 3750);

        // Explicit values win over the defaults.
        let line = NewOrderLine {
            material_id: Some(MaterialId(9)),
            colour: Some(" blue ".into()),
            unit_price_minor: Some(999),
            production: Some(ProductionSpec {
                copies_per_plate: 1,
                ..spec()
            }),
            ..NewOrderLine::product(p.id, 2)
        };
        let d = resolve_line(Currency::EUR, 2, &line, Some(&p), "red").unwrap();
        assert_eq!(
            (
                d.material_id,
                d.colour.as_str(),
                d.unit_price.minor,
                d.production.copies_per_plate
            ),
            (MaterialId(9), "blue", 999, 1)
        );
        // An explicit price makes the product's currency irrelevant.
        let usd = product(true, Currency::USD);
        assert!(resolve_line(Currency::EUR, 1, &line, Some(&usd), "red").is_ok());
    }

    #[test]
    fn line_rejections() {
        let p = product(true, Currency::EUR);
        let inactive = product(false, Currency::EUR);
        let usd = product(true, Currency::USD);
        let model = NewOrderLine::model("m.stl", MaterialId(1), 2, 500, spec());
        // (line, product, expected code)
        let table: Vec<(NewOrderLine, Option<&Product>, &str)> = vec![
            (NewOrderLine::product(p.id, 0), Some(&p), "ORDER_QUANTITY_INVALID"),
            (
                NewOrderLine::product(p.id, -2),
                Some(&p),
                "ORDER_QUANTITY_INVALID",
            ),
            (
                NewOrderLine::product(p.id, 100_001),
                Some(&p),
                "ORDER_QUANTITY_INVALID",
            ),
            (
                NewOrderLine::product(p.id, 1),
                Some(&inactive),
                "ORDER_PRODUCT_INACTIVE",
            ),
            (
                NewOrderLine::product(p.id, 1),
                Some(&usd),
                "ORDER_CURRENCY_MISMATCH",
            ),
            (NewOrderLine::product(p.id, 1), None, "ORDER_LINE_INVALID"),
            (
                NewOrderLine {
                    unit_price_minor: Some(-1),
                    ..NewOrderLine::product(p.id, 1)
                },
                Some(&p),
                "ORDER_LINE_INVALID",
            ),
            (
                NewOrderLine {
                    colour: Some(" ".into()),
                    ..NewOrderLine::product(p.id, 1)
                },
                Some(&p),
                "ORDER_LINE_INVALID",
            ),
            (
                NewOrderLine {
                    material_id: None,
                    ..model.clone()
                },
                None,
                "ORDER_LINE_INCOMPLETE",
            ),
            (
                NewOrderLine {
                    unit_price_minor: None,
                    ..model.clone()
                },
                None,
                "ORDER_LINE_INCOMPLETE",
            ),
            (
                NewOrderLine {
                    production: None,
                    ..model.clone()
                },
                None,
                "ORDER_LINE_INCOMPLETE",
            ),
            (
                NewOrderLine {
                    production: Some(ProductionSpec {
                        copies_per_plate: 0,
                        ..spec()
                    }),
                    ..model.clone()
                },
                None,
                "ORDER_LINE_INVALID",
            ),
            (
                NewOrderLine {
                    item: LineItem::Model {
                        model_ref: "  ".into(),
                        description: String::new(),
                    },
                    ..model.clone()
                },
                None,
                "ORDER_LINE_INVALID",
            ),
            (
                NewOrderLine {
                    unit_price_minor: Some(i64::MAX / 2 + 1),
                    ..model.clone()
                },
                None,
                "ORDER_TOTAL_OVERFLOW",
            ),
        ];
        for (line, prod, code) in table {
            let e = resolve_line(Currency::EUR, 1, &line, prod, "red").unwrap_err();
            assert_eq!(e.code(), code, "{line:?}: {e}");
        }
        let d = resolve_line(Currency::EUR, 1, &model, None, "grey").unwrap();
        assert_eq!(
            (d.description.as_str(), d.colour.as_str(), d.product_id),
            ("m.stl", "grey", None)
        );
    }

    #[test]
    fn totals_are_checked() {
        let q = |n| Quantity::new(n).unwrap();
        let a = Money::new(1999, Currency::EUR);
        let b = Money::new(1, Currency::EUR);
        assert_eq!(
            order_total(Currency::EUR, [(&a, q(3)), (&b, q(2))]).unwrap(),
            Money::new(5999, Currency::EUR)
        );
        assert_eq!(
            order_total(Currency::EUR, []).unwrap(),
            Money::zero(Currency::EUR)
        );
        let usd = Money::new(1, Currency::USD);
        assert_eq!(
            order_total(Currency::EUR, [(&usd, q(1))]).unwrap_err().code(),
            "ORDER_CURRENCY_MISMATCH"
        );
        let big = Money::new(i64::MAX / 2 + 1, Currency::EUR);
        assert_eq!(
            order_total(Currency::EUR, [(&big, q(1)), (&big, q(1))]).unwrap_err(),
            OrderError::TotalOverflow
        );
    }

    #[test]
    fn header_checks() {
        let base = NewOrder {
            customer_id: CustomerId(1),
            currency: Currency::EUR,
            lines: vec![],
            priority: 0,
            due_at: None,
            idempotency_key: Some("  abc  ".into()),
        };
        assert_eq!(base.check_shape().unwrap().as_deref(), Some("abc"));
        let bad = [
            NewOrder {
                priority: PRIORITY_MAX + 1,
                ..base.clone()
            },
            NewOrder {
                idempotency_key: Some(" ".into()),
                ..base.clone()
            },
            NewOrder {
                idempotency_key: Some("x".repeat(IDEMPOTENCY_KEY_MAX + 1)),
                ..base.clone()
            },
            NewOrder {
                idempotency_key: Some("a\nb".into()),
                ..base.clone()
            },
        ];
        for o in bad {
            assert_eq!(o.check_shape().unwrap_err().code(), "ORDER_INVALID");
        }
        let with_bad_line = NewOrder {
            lines: vec![
                NewOrderLine::product(ProductId(1), 1),
                NewOrderLine::product(ProductId(1), 0),
            ],
            ..base
        };
        assert_eq!(
            with_bad_line.check_shape().unwrap_err(),
            OrderError::InvalidQuantity {
                line_no: 2,
                quantity: 0
            }
        );
    }

    #[test]
    fn filter_page_size_is_clamped() {
        assert_eq!(
            OrderFilter {
                limit: 0,
                ..OrderFilter::all()
            }
            .page_size(),
            1
        );
        assert_eq!(
            OrderFilter {
                limit: 10_000,
                ..OrderFilter::all()
            }
            .page_size(),
            OrderFilter::MAX_LIMIT
        );
        assert_eq!(OrderFilter::all().page_size(), 50);
    }
}
