//! Use cases of `catalog`: categories, products and reviews.
//!
//! Browsing is public; an inactive product is seen only by callers who may write the catalog
//! (`sees_inactive`, decided by the transport from the caller's permissions): for anyone else
//! it does not exist (`NOT_FOUND`).

use chrono::{DateTime, Utc};
use gantry_engine::domain::catalog::{
    Category, CategoryNode, NewCategory, NewProduct, NewReview, Product, ProductFilter, ProductPatch,
    RatingSummary, Review,
};
use gantry_engine::domain::types::{CategoryId, CustomerId, ProductId};
use gantry_engine::error::ErrorKind;
use gantry_engine::store::catalog;

use crate::{AppError, AppResult, Caller, Db, Sees, commit, conn};

/// Products by id, of one category and/or by active flag; callers who do not see inactive
/// products get only active ones whatever `active` says.
pub async fn products(
    db: &Db,
    category_id: Option<CategoryId>,
    active: Option<bool>,
    sees_inactive: bool,
) -> AppResult<Vec<Product>> {
    let filter = ProductFilter {
        category_id,
        active: if sees_inactive { active } else { Some(true) },
    };
    let mut c = conn(db).await?;
    Ok(catalog::list_products(&mut c, &filter).await?)
}

/// One product; an inactive one is `NOT_FOUND` unless `sees_inactive`.
pub async fn product(db: &Db, id: ProductId, sees_inactive: bool) -> AppResult<Product> {
    let mut c = conn(db).await?;
    let p = catalog::get_product(&mut c, id).await?;
    if !p.active && !sees_inactive {
        return Err(AppError::not_found("product", id.0));
    }
    Ok(p)
}

/// All categories, flat, by id.
pub async fn categories(db: &Db) -> AppResult<Vec<Category>> {
    let mut c = conn(db).await?;
    Ok(catalog::list_categories(&mut c).await?)
}

/// The category tree (roots with their children).
pub async fn category_tree(db: &Db) -> AppResult<Vec<CategoryNode>> {
    let mut c = conn(db).await?;
    Ok(catalog::category_tree(&mut c).await?)
}

/// The reviews of a product.
pub async fn reviews(db: &Db, product: ProductId) -> AppResult<Vec<Review>> {
    let mut c = conn(db).await?;
    Ok(catalog::list_reviews(&mut c, product).await?)
}

/// Number of reviews and average stars of a product.
pub async fn rating(db: &Db, product: ProductId) -> AppResult<RatingSummary> {
    let mut c = conn(db).await?;
    Ok(catalog::rating_summary(&mut c, product).await?)
}

/// Creates a category.
pub async fn create_category(db: &Db, now: DateTime<Utc>, new: &NewCategory) -> AppResult<Category> {
    let mut tx = db.begin().await?;
    let c = catalog::create_category(&mut tx, now, new).await?;
    commit(tx).await?;
    Ok(c)
}

/// Creates a product.
pub async fn create_product(db: &Db, now: DateTime<Utc>, new: &NewProduct) -> AppResult<Product> {
    let mut tx = db.begin().await?;
    let p = catalog::create_product(&mut tx, now, new).await?;
    commit(tx).await?;
    Ok(p)
}

/// Changes the fields of a product that `patch` names.
pub async fn update_product(
    db: &Db,
    now: DateTime<Utc>,
    id: ProductId,
    patch: &ProductPatch,
) -> AppResult<Product> {
    let mut tx = db.begin().await?;
    let p = catalog::update_product(&mut tx, now, id, patch).await?;
    commit(tx).await?;
    Ok(p)
}

/// Takes a product out of the shop (it stays readable for `catalog:write`).
pub async fn deactivate_product(db: &Db, now: DateTime<Utc>, id: ProductId) -> AppResult<Product> {
    let mut tx = db.begin().await?;
    let p = catalog::deactivate_product(&mut tx, now, id).await?;
    commit(tx).await?;
    Ok(p)
}

/// A review to add: the reviewing customer is decided by [`add_review`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    pub product_id: ProductId,
    /// The customer to review as: customer accounts may leave it out (they review as
    /// themselves, and only as themselves); staff must give it.
    pub customer_id: Option<CustomerId>,
    pub rating: i64,
    pub body: String,
}

/// Reviews a product the customer has received. A customer account reviews as itself
/// (`FORBIDDEN` when it names another customer); anyone else must name the customer
/// (`CUSTOMER_REQUIRED`).
pub async fn add_review(
    db: &Db,
    now: DateTime<Utc>,
    caller: &Caller,
    req: ReviewRequest,
) -> AppResult<Review> {
    let customer_id = match (caller.sees, req.customer_id) {
        (Sees::Own(own), None) => own,
        (Sees::Own(own), Some(r)) if r == own => own,
        (Sees::Own(_), Some(_)) => {
            return Err(AppError::refused(
                ErrorKind::Forbidden,
                "FORBIDDEN",
                "not allowed",
            ));
        }
        (_, Some(r)) => r,
        (_, None) => return Err(AppError::invalid("CUSTOMER_REQUIRED", "customerId is required")),
    };
    let new = NewReview {
        product_id: req.product_id,
        customer_id,
        rating: req.rating,
        body: req.body,
    };
    let mut tx = db.begin().await?;
    let r = catalog::add_review(&mut tx, now, &new).await?;
    commit(tx).await?;
    Ok(r)
}
