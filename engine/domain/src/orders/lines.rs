//! Order inputs: new orders and lines, resolving a line against its product, totals.

use chrono::{DateTime, Utc};

use super::{IDEMPOTENCY_KEY_MAX, LINE_TEXT_MAX, OrderError, PRIORITY_MAX, PRIORITY_MIN};
use crate::catalog::{Product, ProductionSpec};
use crate::types::{Currency, CustomerId, MaterialId, Money, ProductId, Quantity};

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
