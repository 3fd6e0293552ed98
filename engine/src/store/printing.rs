//! Printing persistence: uploaded models, quotes, the product → model link (tables `models`,
//! `quotes`, `products.model_id`). Rules live in [`crate::domain::printing`]; the file bytes
//! live in object storage (the api's `storage` module) under the row's `object_key`.
//!
//! A quote becomes an order once: [`create_order_from_quote`] creates the order with
//! [`crate::store::orders::create_order`] at the quoted unit price and marks the quote with a
//! guarded update (`WHERE order_id IS NULL`) in the same transaction, so two concurrent
//! conversions cannot both succeed.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::catalog::ProductionSpec;
use crate::domain::orders::{NewOrder, NewOrderLine, OrderWithLines};
use crate::domain::printing::{
    self, Estimate, EstimateMethod, ModelRecord, NewModel, NewQuote, PostProcessing, PriceBreakdown,
    PrintingError, Quote, QuoteId,
};
use crate::domain::types::{
    Currency, CustomerId, MaterialId, ModelFileId, Money, OrderId, PrinterId, ProductId, UserId, from_millis,
    to_millis,
};
use crate::store::orders;

fn rejected(e: PrintingError) -> StoreError {
    StoreError::Rejected(e.into())
}

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<T> {
    let text: String = col(row, table, name)?;
    serde_json::from_str(&text).map_err(|e| StoreError::corrupt(table, format!("{name}: {e}")))
}

fn to_json<T: serde::Serialize>(table: &'static str, v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::corrupt(table, e))
}

// ---------------------------------------------------------------------------------------------
// Models

const MODEL_COLS: &str = "id, sha256, file_name, format, size_bytes, object_key, customer_id, uploaded_by, \
                          analysis, estimate, created_at";

fn model_from_row(row: &AnyRow) -> StoreResult<ModelRecord> {
    const T: &str = "models";
    Ok(ModelRecord {
        id: ModelFileId(col(row, T, "id")?),
        sha256: col(row, T, "sha256")?,
        file_name: col(row, T, "file_name")?,
        format: col(row, T, "format")?,
        size_bytes: col(row, T, "size_bytes")?,
        object_key: col(row, T, "object_key")?,
        customer_id: col::<Option<i64>>(row, T, "customer_id")?.map(CustomerId),
        uploaded_by: col::<Option<i64>>(row, T, "uploaded_by")?.map(UserId),
        analysis_json: col(row, T, "analysis")?,
        estimate: json_col::<Estimate>(row, T, "estimate")?,
        created_at: from_millis(col(row, T, "created_at")?),
    })
}

/// The model of this owner with this content, if it was uploaded before (a re-upload returns it).
pub async fn model_by_owner_and_hash(
    conn: &mut AnyConnection,
    customer: Option<CustomerId>,
    sha256: &str,
) -> StoreResult<Option<ModelRecord>> {
    let row = match customer {
        Some(c) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MODEL_COLS} FROM models WHERE sha256 = $1 AND customer_id = $2 ORDER BY id LIMIT 1"
            )))
            .bind(sha256)
            .bind(c.0)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models WHERE sha256 = $1 AND customer_id IS NULL ORDER BY id LIMIT 1"
        )))
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?,
    };
    row.as_ref().map(model_from_row).transpose()
}

/// Records an uploaded model (its bytes must already be in object storage). An unknown
/// customer is `NotFound`.
pub async fn insert_model(tx: &mut Tx, now: DateTime<Utc>, new: &NewModel) -> StoreResult<ModelRecord> {
    let file_name = printing::clean_file_name(&new.file_name).map_err(rejected)?;
    if let Some(c) = new.customer_id {
        sqlx::query("SELECT id FROM customers WHERE id = $1")
            .bind(c.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", c))?;
    }
    let row = sqlx::query(
        "INSERT INTO models (sha256, file_name, format, size_bytes, object_key, customer_id, uploaded_by, \
         analysis, estimate, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&new.sha256)
    .bind(&file_name)
    .bind(&new.format)
    .bind(new.size_bytes)
    .bind(&new.object_key)
    .bind(new.customer_id.map(|c| c.0))
    .bind(new.uploaded_by.map(|u| u.0))
    .bind(&new.analysis_json)
    .bind(to_json("models", &new.estimate)?)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    get_model(&mut *tx, ModelFileId(col(&row, "models", "id")?)).await
}

pub async fn get_model(conn: &mut AnyConnection, id: ModelFileId) -> StoreResult<ModelRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MODEL_COLS} FROM models WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("model", id))?;
    model_from_row(&row)
}

/// Models by id; only `customer`'s when given, every model otherwise.
pub async fn list_models(
    conn: &mut AnyConnection,
    customer: Option<CustomerId>,
) -> StoreResult<Vec<ModelRecord>> {
    let rows = match customer {
        Some(c) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MODEL_COLS} FROM models WHERE customer_id = $1 ORDER BY id"
            )))
            .bind(c.0)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MODEL_COLS} FROM models ORDER BY id"
            )))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(model_from_row).collect()
}

/// How many model rows reference a blob (tests and clean-up).
pub async fn count_models_with_hash(conn: &mut AnyConnection, sha256: &str) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM models WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "models", "n")
}

// ---------------------------------------------------------------------------------------------
// Products

/// Links a catalog product to a stored model (`None` unlinks). Unknown product or model is
/// `NotFound`.
pub async fn set_product_model(
    tx: &mut Tx,
    now: DateTime<Utc>,
    product: ProductId,
    model: Option<ModelFileId>,
) -> StoreResult<()> {
    if let Some(m) = model {
        get_model(&mut *tx, m).await?;
    }
    let res = sqlx::query("UPDATE products SET model_id = $1, updated_at = $2 WHERE id = $3")
        .bind(model.map(|m| m.0))
        .bind(to_millis(now))
        .bind(product.0)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 0 {
        return Err(StoreError::not_found("product", product));
    }
    Ok(())
}

/// The model a product prints from, if linked. Unknown product is `NotFound`.
pub async fn product_model(conn: &mut AnyConnection, product: ProductId) -> StoreResult<Option<ModelFileId>> {
    let row = sqlx::query("SELECT model_id FROM products WHERE id = $1")
        .bind(product.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("product", product))?;
    Ok(col::<Option<i64>>(&row, "products", "model_id")?.map(ModelFileId))
}

// ---------------------------------------------------------------------------------------------
// Quotes

const QUOTE_COLS: &str = "id, model_id, customer_id, material_id, printer_id, quantity, options, method, \
                          grams_per_unit, print_minutes_per_unit, copies_per_plate, currency, unit_price_minor, \
                          total_minor, breakdown, earliest_delivery_at, earliest_delivery_reason, created_at, expires_at, order_id, printer_model, printer_profile_id";

fn quote_from_row(row: &AnyRow) -> StoreResult<Quote> {
    const T: &str = "quotes";
    let currency: String = col(row, T, "currency")?;
    let currency = Currency::parse(&currency).map_err(|e| StoreError::corrupt(T, e))?;
    let method: String = col(row, T, "method")?;
    Ok(Quote {
        id: QuoteId(col(row, T, "id")?),
        model_id: ModelFileId(col(row, T, "model_id")?),
        customer_id: col::<Option<i64>>(row, T, "customer_id")?.map(CustomerId),
        material_id: MaterialId(col(row, T, "material_id")?),
        printer_id: PrinterId(col(row, T, "printer_id")?),
        printer_model: col(row, T, "printer_model")?,
        printer_profile_id: col(row, T, "printer_profile_id")?,
        quantity: col(row, T, "quantity")?,
        options: json_col::<Vec<PostProcessing>>(row, T, "options")?,
        method: EstimateMethod::parse(&method)
            .ok_or_else(|| StoreError::corrupt(T, format!("unknown method {method:?}")))?,
        production: ProductionSpec {
            grams_per_unit: col(row, T, "grams_per_unit")?,
            print_minutes_per_unit: col(row, T, "print_minutes_per_unit")?,
            copies_per_plate: col(row, T, "copies_per_plate")?,
        },
        breakdown: json_col::<PriceBreakdown>(row, T, "breakdown")?,
        unit_price: Money::new(col(row, T, "unit_price_minor")?, currency),
        total: Money::new(col(row, T, "total_minor")?, currency),
        earliest_delivery: col::<Option<i64>>(row, T, "earliest_delivery_at")?.map(from_millis),
        earliest_delivery_reason: col(row, T, "earliest_delivery_reason")?,
        created_at: from_millis(col(row, T, "created_at")?),
        expires_at: from_millis(col(row, T, "expires_at")?),
        order_id: col::<Option<i64>>(row, T, "order_id")?.map(OrderId),
    })
}

/// Stores a priced quote. The expiry must be after `now`; the production data must be valid.
pub async fn create_quote(tx: &mut Tx, now: DateTime<Utc>, new: &NewQuote) -> StoreResult<Quote> {
    let production = new.production.validate().map_err(|e| {
        rejected(PrintingError::Invalid {
            field: e.field,
            reason: e.reason.to_string(),
        })
    })?;
    printing::check_quantity(new.breakdown.quantity).map_err(rejected)?;
    if new.expires_at <= now {
        return Err(rejected(PrintingError::Invalid {
            field: "expires_at",
            reason: "must be after the quote's creation".into(),
        }));
    }
    let mut options = new.options.clone();
    options.sort();
    options.dedup();
    let row = sqlx::query(
        "INSERT INTO quotes (model_id, customer_id, material_id, printer_id, quantity, options, method, \
         grams_per_unit, print_minutes_per_unit, copies_per_plate, currency, unit_price_minor, total_minor, \
         breakdown, earliest_delivery_at, earliest_delivery_reason, created_by, created_at, expires_at, \
         printer_model, printer_profile_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
         RETURNING id",
    )
    .bind(new.model_id.0)
    .bind(new.customer_id.map(|c| c.0))
    .bind(new.material_id.0)
    .bind(new.printer_id.0)
    .bind(new.breakdown.quantity)
    .bind(to_json("quotes", &options)?)
    .bind(new.method.as_str())
    .bind(production.grams_per_unit)
    .bind(production.print_minutes_per_unit)
    .bind(production.copies_per_plate)
    .bind(new.breakdown.currency.as_str())
    .bind(new.breakdown.unit_price_minor)
    .bind(new.breakdown.total_minor)
    .bind(to_json("quotes", &new.breakdown)?)
    .bind(new.earliest_delivery.map(to_millis))
    .bind(new.earliest_delivery_reason.clone())
    .bind(new.created_by.map(|u| u.0))
    .bind(to_millis(now))
    .bind(to_millis(new.expires_at))
    .bind(new.printer_model.as_str())
    .bind(new.printer_profile_id)
    .fetch_one(&mut **tx)
    .await?;
    let quote = get_quote(&mut *tx, QuoteId(col(&row, "quotes", "id")?)).await?;
    let event = crate::domain::events::Event::Quote(crate::domain::events::QuoteEvent {
        quote_id: quote.id.0,
        customer_id: quote.customer_id.map(|c| c.0),
        model_id: quote.model_id.0,
        total_minor: quote.total.minor,
        currency: quote.total.currency.as_str().to_string(),
        earliest_delivery_at: quote.earliest_delivery.map(to_millis),
    });
    super::events::append(tx, now, &event).await?;
    Ok(quote)
}

pub async fn get_quote(conn: &mut AnyConnection, id: QuoteId) -> StoreResult<Quote> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {QUOTE_COLS} FROM quotes WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("quote", id))?;
    quote_from_row(&row)
}

/// Creates a draft order from a quote at the quoted unit price (one model line; the order's
/// total is the quote's total) and marks the quote converted.
///
/// The order is for the quote's customer, or `customer` when the quote has none (a quote made
/// by staff); a quote without either is `QUOTE_NEEDS_CUSTOMER`. Expired is `QUOTE_EXPIRED`,
/// converted before is `QUOTE_ALREADY_CONVERTED` — except a retry with the idempotency key of
/// the order it became, which returns that order and writes nothing.
pub async fn create_order_from_quote(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: QuoteId,
    customer: Option<CustomerId>,
    idempotency_key: Option<&str>,
    by: Option<UserId>,
) -> StoreResult<OrderWithLines> {
    let quote = get_quote(&mut *tx, id).await?;
    if let (Some(order), Some(key)) = (quote.order_id, idempotency_key) {
        let existing = orders::get_order(&mut *tx, order).await?;
        if existing.idempotency_key.as_deref() == Some(key.trim()) {
            return orders::get_order_with_lines(&mut *tx, order).await;
        }
    }
    printing::check_convertible(&quote, now).map_err(rejected)?;
    let customer_id = quote
        .customer_id
        .or(customer)
        .ok_or_else(|| rejected(PrintingError::QuoteNeedsCustomer(id.0)))?;
    let model = get_model(&mut *tx, quote.model_id).await?;
    let mut line = NewOrderLine::model(
        &printing::model_ref(quote.model_id),
        quote.material_id,
        quote.quantity,
        quote.unit_price.minor,
        quote.production,
    );
    line.item = crate::domain::orders::LineItem::Model {
        model_ref: printing::model_ref(quote.model_id),
        description: model.file_name,
    };
    let new = NewOrder {
        customer_id,
        currency: quote.unit_price.currency,
        lines: vec![line],
        priority: 0,
        due_at: None,
        idempotency_key: idempotency_key.map(str::to_owned),
    };
    let order = orders::create_order(tx, now, &new, by).await?;
    let res = sqlx::query("UPDATE quotes SET order_id = $1 WHERE id = $2 AND order_id IS NULL")
        .bind(order.order.id.0)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 0 {
        // Converted concurrently (or the key named another quote's order): the caller's
        // transaction is dropped, so the order above is rolled back.
        let now_quote = get_quote(&mut *tx, id).await?;
        return Err(rejected(PrintingError::QuoteAlreadyConverted {
            quote: id.0,
            order: now_quote.order_id.unwrap_or(order.order.id),
        }));
    }
    Ok(order)
}
