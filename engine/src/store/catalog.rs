//! Catalog persistence: categories, products, reviews (tables `categories`, `products`,
//! `reviews`). Rules live in [`crate::domain::catalog`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col, flag};
use crate::domain::catalog::{
    self, CatalogError, Category, CategoryNode, NewCategory, NewProduct, NewReview, Product, ProductFilter,
    ProductPatch, ProductionSpec, RatingSummary, Review,
};
use crate::domain::orders::OrderStatus;
use crate::domain::types::{
    CategoryId, Currency, CustomerId, MaterialId, Money, ProductId, ReviewId, from_millis, to_millis,
};

fn rejected(e: CatalogError) -> StoreError {
    StoreError::Rejected(e.into())
}

// ---------------------------------------------------------------------------------------------
// Categories

fn category_from_row(row: &AnyRow) -> StoreResult<Category> {
    Ok(Category {
        id: CategoryId(col(row, "categories", "id")?),
        parent_id: col::<Option<i64>>(row, "categories", "parent_id")?.map(CategoryId),
        name: col(row, "categories", "name")?,
        slug: col(row, "categories", "slug")?,
    })
}

/// Creates a category. Rejects a malformed or taken slug; an unknown parent is `NotFound`.
pub async fn create_category(tx: &mut Tx, _now: DateTime<Utc>, new: &NewCategory) -> StoreResult<Category> {
    let new = new.validate().map_err(rejected)?;
    if let Some(parent) = new.parent_id {
        get_category(&mut *tx, parent).await?;
    }
    if category_by_slug(&mut *tx, &new.slug).await?.is_some() {
        return Err(rejected(CatalogError::SlugTaken(new.slug)));
    }
    let row = sqlx::query("INSERT INTO categories (parent_id, name, slug) VALUES ($1, $2, $3) RETURNING id")
        .bind(new.parent_id.map(|p| p.0))
        .bind(&new.name)
        .bind(&new.slug)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| unique_to(e, || CatalogError::SlugTaken(new.slug.clone())))?;
    let id = CategoryId(col(&row, "categories", "id")?);
    Ok(Category {
        id,
        parent_id: new.parent_id,
        name: new.name,
        slug: new.slug,
    })
}

/// Moves a category under `parent` (or to the top with `None`). Rejects cycles.
pub async fn reparent_category(
    tx: &mut Tx,
    _now: DateTime<Utc>,
    id: CategoryId,
    parent: Option<CategoryId>,
) -> StoreResult<Category> {
    let mut category = get_category(&mut *tx, id).await?;
    if let Some(p) = parent {
        get_category(&mut *tx, p).await?;
    }
    let parents: HashMap<CategoryId, Option<CategoryId>> = list_categories(&mut *tx)
        .await?
        .into_iter()
        .map(|c| (c.id, c.parent_id))
        .collect();
    catalog::check_reparent(&parents, id, parent).map_err(rejected)?;
    sqlx::query("UPDATE categories SET parent_id = $1 WHERE id = $2")
        .bind(parent.map(|p| p.0))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    category.parent_id = parent;
    Ok(category)
}

/// A category by id.
pub async fn get_category(conn: &mut AnyConnection, id: CategoryId) -> StoreResult<Category> {
    let row = sqlx::query("SELECT id, parent_id, name, slug FROM categories WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("category", id))?;
    category_from_row(&row)
}

/// A category by slug, if any.
pub async fn category_by_slug(conn: &mut AnyConnection, slug: &str) -> StoreResult<Option<Category>> {
    let row = sqlx::query("SELECT id, parent_id, name, slug FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(category_from_row).transpose()
}

/// Every category, by id.
pub async fn list_categories(conn: &mut AnyConnection) -> StoreResult<Vec<Category>> {
    let rows = sqlx::query("SELECT id, parent_id, name, slug FROM categories ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(category_from_row).collect()
}

/// The categories as a forest (siblings by name).
pub async fn category_tree(conn: &mut AnyConnection) -> StoreResult<Vec<CategoryNode>> {
    Ok(catalog::build_tree(list_categories(conn).await?))
}

// ---------------------------------------------------------------------------------------------
// Products

macro_rules! product_cols {
    () => {
        "id, sku, name, description, category_id, model_ref, default_material_id, price_minor, currency, \
         grams_per_unit, print_minutes_per_unit, copies_per_plate, active, created_at, updated_at"
    };
}

fn product_from_row(row: &AnyRow) -> StoreResult<Product> {
    const T: &str = "products";
    let currency: String = col(row, T, "currency")?;
    Ok(Product {
        id: ProductId(col(row, T, "id")?),
        sku: col(row, T, "sku")?,
        name: col(row, T, "name")?,
        description: col(row, T, "description")?,
        category_id: col::<Option<i64>>(row, T, "category_id")?.map(CategoryId),
        model_ref: col(row, T, "model_ref")?,
        default_material_id: MaterialId(col(row, T, "default_material_id")?),
        price: Money::new(
            col(row, T, "price_minor")?,
            Currency::parse(&currency).map_err(|e| StoreError::corrupt(T, e))?,
        ),
        production: ProductionSpec {
            grams_per_unit: col(row, T, "grams_per_unit")?,
            print_minutes_per_unit: col(row, T, "print_minutes_per_unit")?,
            copies_per_plate: col(row, T, "copies_per_plate")?,
        },
        active: flag(row, T, "active")?,
        created_at: from_millis(col(row, T, "created_at")?),
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

/// Maps a unique violation to a domain conflict; other errors pass through.
fn unique_to(e: sqlx::Error, conflict: impl FnOnce() -> CatalogError) -> StoreError {
    let e = StoreError::Database(e);
    if e.is_unique_violation() {
        rejected(conflict())
    } else {
        e
    }
}

/// Checks a material exists (materials belong to inventory; only existence matters here).
pub(crate) async fn ensure_material(conn: &mut AnyConnection, id: MaterialId) -> StoreResult<String> {
    let row = sqlx::query("SELECT colour FROM materials WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("material", id))?;
    col(&row, "materials", "colour")
}

/// Creates an active product. A taken SKU is `PRODUCT_SKU_TAKEN`; an unknown category or
/// material is `NotFound`.
pub async fn create_product(tx: &mut Tx, now: DateTime<Utc>, new: &NewProduct) -> StoreResult<Product> {
    let new = new.validate().map_err(rejected)?;
    if let Some(c) = new.category_id {
        get_category(&mut *tx, c).await?;
    }
    ensure_material(&mut *tx, new.default_material_id).await?;
    if product_by_sku(&mut *tx, &new.sku).await?.is_some() {
        return Err(rejected(CatalogError::SkuTaken(new.sku)));
    }
    let row = sqlx::query(
        "INSERT INTO products (sku, name, description, category_id, model_ref, default_material_id, price_minor, \
         currency, grams_per_unit, print_minutes_per_unit, copies_per_plate, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id",
    )
    .bind(&new.sku)
    .bind(&new.name)
    .bind(&new.description)
    .bind(new.category_id.map(|c| c.0))
    .bind(new.model_ref.as_deref())
    .bind(new.default_material_id.0)
    .bind(new.price.minor)
    .bind(new.price.currency.as_str())
    .bind(new.production.grams_per_unit)
    .bind(new.production.print_minutes_per_unit)
    .bind(new.production.copies_per_plate)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| unique_to(e, || CatalogError::SkuTaken(new.sku.clone())))?;
    let id = ProductId(col(&row, "products", "id")?);
    get_product(&mut *tx, id).await
}

/// Applies a partial update to a product (validated as a whole).
pub async fn update_product(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: ProductId,
    patch: &ProductPatch,
) -> StoreResult<Product> {
    let current = get_product(&mut *tx, id).await?;
    let p = current.apply(patch, now).map_err(rejected)?;
    if let Some(c) = p.category_id.filter(|c| Some(*c) != current.category_id) {
        get_category(&mut *tx, c).await?;
    }
    if p.default_material_id != current.default_material_id {
        ensure_material(&mut *tx, p.default_material_id).await?;
    }
    sqlx::query(
        "UPDATE products SET name = $1, description = $2, category_id = $3, model_ref = $4, \
         default_material_id = $5, price_minor = $6, currency = $7, grams_per_unit = $8, \
         print_minutes_per_unit = $9, copies_per_plate = $10, active = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.category_id.map(|c| c.0))
    .bind(p.model_ref.as_deref())
    .bind(p.default_material_id.0)
    .bind(p.price.minor)
    .bind(p.price.currency.as_str())
    .bind(p.production.grams_per_unit)
    .bind(p.production.print_minutes_per_unit)
    .bind(p.production.copies_per_plate)
    .bind(i64::from(p.active))
    .bind(to_millis(now))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(p)
}

/// Deactivates a product: it stays listed for history but can no longer be ordered.
pub async fn deactivate_product(tx: &mut Tx, now: DateTime<Utc>, id: ProductId) -> StoreResult<Product> {
    update_product(
        tx,
        now,
        id,
        &ProductPatch {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
}

/// A product by id.
pub async fn get_product(conn: &mut AnyConnection, id: ProductId) -> StoreResult<Product> {
    let row = sqlx::query(concat!(
        "SELECT ",
        product_cols!(),
        " FROM products WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("product", id))?;
    product_from_row(&row)
}

/// A product by SKU (case-insensitive: SKUs are stored upper case), if any.
pub async fn product_by_sku(conn: &mut AnyConnection, sku: &str) -> StoreResult<Option<Product>> {
    let sku = sku.trim().to_ascii_uppercase();
    let row = sqlx::query(concat!(
        "SELECT ",
        product_cols!(),
        " FROM products WHERE sku = $1"
    ))
    .bind(&sku)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(product_from_row).transpose()
}

/// Products matching `filter`, by id.
pub async fn list_products(conn: &mut AnyConnection, filter: &ProductFilter) -> StoreResult<Vec<Product>> {
    // A category's products include those of its sub-categories, at any depth.
    let rows = sqlx::query(concat!(
        "WITH RECURSIVE cats (id) AS (SELECT id FROM categories WHERE id = $1 \
         UNION SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id) \
         SELECT ",
        product_cols!(),
        " FROM products WHERE ($1 IS NULL OR category_id IN (SELECT id FROM cats)) AND ($2 IS NULL OR active = $2) ORDER BY id"
    ))
    .bind(filter.category_id.map(|c| c.0))
    .bind(filter.active.map(i64::from))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(product_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Reviews

fn review_from_row(row: &AnyRow) -> StoreResult<Review> {
    const T: &str = "reviews";
    Ok(Review {
        id: ReviewId(col(row, T, "id")?),
        product_id: ProductId(col(row, T, "product_id")?),
        customer_id: CustomerId(col(row, T, "customer_id")?),
        rating: col(row, T, "rating")?,
        body: col(row, T, "body")?,
        created_at: from_millis(col(row, T, "created_at")?),
    })
}

/// Whether the customer has an order in status `delivered` with a line of the product.
pub async fn has_received(
    conn: &mut AnyConnection,
    customer: CustomerId,
    product: ProductId,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id \
         WHERE o.customer_id = $1 AND l.product_id = $2 AND o.status = $3 LIMIT 1",
    )
    .bind(customer.0)
    .bind(product.0)
    .bind(OrderStatus::Delivered.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Adds a review. Only a customer who received the product (`REVIEW_NOT_PURCHASED`), once
/// (`REVIEW_DUPLICATE`); rating 1–5 (`REVIEW_RATING_INVALID`).
pub async fn add_review(tx: &mut Tx, now: DateTime<Utc>, new: &NewReview) -> StoreResult<Review> {
    get_product(&mut *tx, new.product_id).await?;
    let received = has_received(&mut *tx, new.customer_id, new.product_id).await?;
    let existing = sqlx::query("SELECT id FROM reviews WHERE product_id = $1 AND customer_id = $2")
        .bind(new.product_id.0)
        .bind(new.customer_id.0)
        .fetch_optional(&mut **tx)
        .await?;
    let review = catalog::validate_review(new, received, existing.is_some()).map_err(rejected)?;
    let row = sqlx::query(
        "INSERT INTO reviews (product_id, customer_id, rating, body, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(review.product_id.0)
    .bind(review.customer_id.0)
    .bind(review.rating)
    .bind(&review.body)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        unique_to(e, || CatalogError::ReviewDuplicate {
            customer: review.customer_id,
            product: review.product_id,
        })
    })?;
    Ok(Review {
        id: ReviewId(col(&row, "reviews", "id")?),
        product_id: review.product_id,
        customer_id: review.customer_id,
        rating: review.rating,
        body: review.body,
        created_at: from_millis(to_millis(now)),
    })
}

/// Reviews of a product, oldest first.
pub async fn list_reviews(conn: &mut AnyConnection, product: ProductId) -> StoreResult<Vec<Review>> {
    let rows = sqlx::query(
        "SELECT id, product_id, customer_id, rating, body, created_at FROM reviews WHERE product_id = $1 ORDER BY id",
    )
    .bind(product.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(review_from_row).collect()
}

/// A customer record's reviews, oldest first.
pub async fn reviews_of_customer(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<Review>> {
    let rows = sqlx::query(
        "SELECT id, product_id, customer_id, rating, body, created_at FROM reviews WHERE customer_id = $1 ORDER BY id",
    )
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(review_from_row).collect()
}

/// Number of reviews and average rating of a product.
pub async fn rating_summary(conn: &mut AnyConnection, product: ProductId) -> StoreResult<RatingSummary> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(CAST(SUM(rating) AS BIGINT), 0) AS total FROM reviews WHERE product_id = $1",
    )
    .bind(product.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok(RatingSummary::from_totals(
        product,
        col(&row, "reviews", "n")?,
        col(&row, "reviews", "total")?,
    ))
}
