//! Catalog domain (pure): categories, products and reviews.
//!
//! * **Categories** form a forest: each has an optional parent and a unique slug
//!   (`[a-z0-9]+(-[a-z0-9]+)*`, at most [`SLUG_MAX`] characters). Re-parenting a category under
//!   itself or under one of its descendants is rejected ([`CatalogError::CategoryCycle`]).
//! * **Products** have a unique SKU (normalised to upper case; letters, digits, `-`, `_`, `.`),
//!   a name, a description, an optional category, an optional model reference (the printable
//!   file), a default material, a price in integer minor units with its currency, an active
//!   flag and the production data an order line inherits ([`ProductionSpec`]). Products are
//!   never deleted, only deactivated; an inactive product cannot be ordered.
//! * **Reviews**: 1–5 stars and a text (may be empty, at most [`REVIEW_BODY_MAX`] characters).
//!   Only a customer who has *received* the product — an order of theirs in status `delivered`
//!   with a line of that product — may review it ([`CatalogError::ReviewNotPurchased`]), and
//!   only once per product ([`CatalogError::ReviewDuplicate`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorKind};
use crate::types::{CategoryId, CustomerId, MaterialId, Money, ProductId, ReviewId, ValueError};

/// Longest category slug.
pub const SLUG_MAX: usize = 64;
/// Longest SKU.
pub const SKU_MAX: usize = 64;
/// Longest product or category name.
pub const NAME_MAX: usize = 200;
/// Longest product description.
pub const DESCRIPTION_MAX: usize = 20_000;
/// Longest model reference.
pub const MODEL_REF_MAX: usize = 500;
/// Longest review text.
pub const REVIEW_BODY_MAX: usize = 4_000;

/// Rejections of catalog commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A field failed validation (empty name, negative price, bad production data, ...).
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A slug is not of the form `[a-z0-9]+(-[a-z0-9]+)*`.
    #[error("invalid category slug {0:?}: expected lower-case letters, digits and single dashes")]
    InvalidSlug(String),
    /// Another category already has this slug.
    #[error("category slug {0:?} is already taken")]
    SlugTaken(String),
    /// Re-parenting would make a category its own ancestor.
    #[error("moving category {category} under {parent} would create a cycle")]
    CategoryCycle {
        category: CategoryId,
        parent: CategoryId,
    },
    /// A SKU is empty, too long or contains other characters than letters, digits, `-_.`.
    #[error("invalid sku {0:?}: expected letters, digits, '-', '_' or '.'")]
    InvalidSku(String),
    /// Another product already has this SKU.
    #[error("sku {0:?} is already taken")]
    SkuTaken(String),
    /// A rating outside 1..=5.
    #[error("rating {0} is out of range: expected 1 to 5 stars")]
    RatingOutOfRange(i64),
    /// The customer has no delivered order containing the product.
    #[error("customer {customer} has not received product {product}")]
    ReviewNotPurchased {
        customer: CustomerId,
        product: ProductId,
    },
    /// The customer has already reviewed the product.
    #[error("customer {customer} has already reviewed product {product}")]
    ReviewDuplicate {
        customer: CustomerId,
        product: ProductId,
    },
}

impl Coded for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::Invalid { .. } => "CATALOG_INVALID",
            CatalogError::InvalidSlug(_) => "CATEGORY_SLUG_INVALID",
            CatalogError::SlugTaken(_) => "CATEGORY_SLUG_TAKEN",
            CatalogError::CategoryCycle { .. } => "CATEGORY_CYCLE",
            CatalogError::InvalidSku(_) => "PRODUCT_SKU_INVALID",
            CatalogError::SkuTaken(_) => "PRODUCT_SKU_TAKEN",
            CatalogError::RatingOutOfRange(_) => "REVIEW_RATING_INVALID",
            CatalogError::ReviewNotPurchased { .. } => "REVIEW_NOT_PURCHASED",
            CatalogError::ReviewDuplicate { .. } => "REVIEW_DUPLICATE",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            CatalogError::Invalid { .. }
            | CatalogError::InvalidSlug(_)
            | CatalogError::CategoryCycle { .. }
            | CatalogError::InvalidSku(_)
            | CatalogError::RatingOutOfRange(_) => ErrorKind::Validation,
            CatalogError::SlugTaken(_) | CatalogError::SkuTaken(_) | CatalogError::ReviewDuplicate { .. } => {
                ErrorKind::Conflict
            }
            CatalogError::ReviewNotPurchased { .. } => ErrorKind::Forbidden,
        }
    }
}

impl From<ValueError> for CatalogError {
    fn from(e: ValueError) -> Self {
        CatalogError::Invalid {
            field: e.field,
            reason: format!("{:?}: {}", e.value, e.reason),
        }
    }
}

/// Per-unit production data of a printable item: what an order line of it costs the farm.
///
/// Plain input struct; [`ProductionSpec::validate`] checks the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProductionSpec {
    /// Filament per copy, in grams (1..=[`ProductionSpec::MAX_GRAMS_PER_UNIT`]).
    pub grams_per_unit: i64,
    /// Print time per copy, in minutes (1..=[`ProductionSpec::MAX_MINUTES_PER_UNIT`]).
    pub print_minutes_per_unit: i64,
    /// How many copies fit on one build plate (1..=[`ProductionSpec::MAX_COPIES_PER_PLATE`]).
    pub copies_per_plate: i64,
}

impl ProductionSpec {
    pub const MAX_GRAMS_PER_UNIT: i64 = 100_000;
    pub const MAX_MINUTES_PER_UNIT: i64 = 100_000;
    pub const MAX_COPIES_PER_PLATE: i64 = 1_000;

    /// Checks every field is within its bounds.
    pub fn validate(self) -> Result<Self, ValueError> {
        let check = |field: &'static str, v: i64, max: i64| {
            if v < 1 {
                Err(ValueError::new(field, v, "must be at least 1"))
            } else if v > max {
                Err(ValueError::new(field, v, "too large"))
            } else {
                Ok(())
            }
        };
        check("grams_per_unit", self.grams_per_unit, Self::MAX_GRAMS_PER_UNIT)?;
        check(
            "print_minutes_per_unit",
            self.print_minutes_per_unit,
            Self::MAX_MINUTES_PER_UNIT,
        )?;
        check(
            "copies_per_plate",
            self.copies_per_plate,
            Self::MAX_COPIES_PER_PLATE,
        )?;
        Ok(self)
    }
}

// ---------------------------------------------------------------------------------------------
// Categories

/// A product category; `parent_id` makes the categories a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub name: String,
    pub slug: String,
}

/// Input for a new category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    pub parent_id: Option<CategoryId>,
    pub name: String,
    pub slug: String,
}

impl NewCategory {
    /// Validates and normalises (trimmed name, checked slug).
    pub fn validate(&self) -> Result<NewCategory, CatalogError> {
        Ok(NewCategory {
            parent_id: self.parent_id,
            name: crate::types::parse_name("category name", &self.name, NAME_MAX)?,
            slug: parse_slug(&self.slug)?,
        })
    }
}

/// Checks a slug: `[a-z0-9]+(-[a-z0-9]+)*`, at most [`SLUG_MAX`] characters.
pub fn parse_slug(s: &str) -> Result<String, CatalogError> {
    let ok = !s.is_empty()
        && s.len() <= SLUG_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(s.to_string())
    } else {
        Err(CatalogError::InvalidSlug(s.to_string()))
    }
}

/// A category with its sub-categories, for the category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub category: Category,
    pub children: Vec<CategoryNode>,
}

/// Builds the category forest. Roots are categories without a (known) parent; siblings are
/// ordered by name, then id.
pub fn build_tree(categories: Vec<Category>) -> Vec<CategoryNode> {
    let known: std::collections::HashSet<CategoryId> = categories.iter().map(|c| c.id).collect();
    let mut by_parent: HashMap<Option<CategoryId>, Vec<Category>> = HashMap::new();
    for c in categories {
        let parent = c.parent_id.filter(|p| known.contains(p));
        by_parent.entry(parent).or_default().push(c);
    }
    for v in by_parent.values_mut() {
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    fn build(
        parent: Option<CategoryId>,
        by_parent: &mut HashMap<Option<CategoryId>, Vec<Category>>,
    ) -> Vec<CategoryNode> {
        let Some(children) = by_parent.remove(&parent) else {
            return Vec::new();
        };
        children
            .into_iter()
            .map(|c| {
                let children = build(Some(c.id), by_parent);
                CategoryNode {
                    category: c,
                    children,
                }
            })
            .collect()
    }
    build(None, &mut by_parent)
}

/// Checks that making `new_parent` the parent of `category` keeps the categories a tree.
/// `parents` maps every existing category to its current parent.
pub fn check_reparent(
    parents: &HashMap<CategoryId, Option<CategoryId>>,
    category: CategoryId,
    new_parent: Option<CategoryId>,
) -> Result<(), CatalogError> {
    let Some(parent) = new_parent else { return Ok(()) };
    let cycle = CatalogError::CategoryCycle { category, parent };
    let mut cur = Some(parent);
    // A walk longer than the number of categories means an existing cycle: refuse as well.
    for _ in 0..=parents.len() {
        match cur {
            None => return Ok(()),
            Some(c) if c == category => return Err(cycle),
            Some(c) => cur = parents.get(&c).copied().flatten(),
        }
    }
    Err(cycle)
}

// ---------------------------------------------------------------------------------------------
// Products

/// A catalog product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_id: Option<CategoryId>,
    pub model_ref: Option<String>,
    pub default_material_id: MaterialId,
    pub price: Money,
    pub production: ProductionSpec,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Input for a new product (created active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_id: Option<CategoryId>,
    pub model_ref: Option<String>,
    pub default_material_id: MaterialId,
    pub price: Money,
    pub production: ProductionSpec,
}

impl NewProduct {
    /// Validates and normalises (upper-case SKU, trimmed texts).
    pub fn validate(&self) -> Result<NewProduct, CatalogError> {
        Ok(NewProduct {
            sku: parse_sku(&self.sku)?,
            name: crate::types::parse_name("product name", &self.name, NAME_MAX)?,
            description: parse_description(&self.description)?,
            category_id: self.category_id,
            model_ref: parse_model_ref(self.model_ref.as_deref())?,
            default_material_id: self.default_material_id,
            price: Money::price(self.price.minor, self.price.currency)?,
            production: self.production.validate()?,
        })
    }
}

/// A partial update of a product; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` removes the product from its category.
    pub category_id: Option<Option<CategoryId>>,
    /// `Some(None)` clears the model reference.
    pub model_ref: Option<Option<String>>,
    pub default_material_id: Option<MaterialId>,
    pub price: Option<Money>,
    pub production: Option<ProductionSpec>,
    pub active: Option<bool>,
}

impl Product {
    /// The product after `patch`, validated; `updated_at` becomes `now`.
    pub fn apply(&self, patch: &ProductPatch, now: DateTime<Utc>) -> Result<Product, CatalogError> {
        let mut p = self.clone();
        if let Some(name) = &patch.name {
            p.name = crate::types::parse_name("product name", name, NAME_MAX)?;
        }
        if let Some(d) = &patch.description {
            p.description = parse_description(d)?;
        }
        if let Some(c) = patch.category_id {
            p.category_id = c;
        }
        if let Some(m) = &patch.model_ref {
            p.model_ref = parse_model_ref(m.as_deref())?;
        }
        if let Some(m) = patch.default_material_id {
            p.default_material_id = m;
        }
        if let Some(price) = patch.price {
            p.price = Money::price(price.minor, price.currency)?;
        }
        if let Some(spec) = patch.production {
            p.production = spec.validate()?;
        }
        if let Some(a) = patch.active {
            p.active = a;
        }
        p.updated_at = now;
        Ok(p)
    }
}

/// Which products to list; `None` means "any".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only products directly in this category.
    pub category_id: Option<CategoryId>,
    /// Only active (`Some(true)`) or inactive (`Some(false)`) products.
    pub active: Option<bool>,
}

/// Checks and normalises a SKU (trimmed, upper case).
pub fn parse_sku(s: &str) -> Result<String, CatalogError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= SKU_MAX
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(CatalogError::InvalidSku(s.to_string()))
    }
}

fn parse_description(s: &str) -> Result<String, CatalogError> {
    let t = s.trim();
    if t.chars().count() > DESCRIPTION_MAX {
        return Err(CatalogError::Invalid {
            field: "description",
            reason: "too long".into(),
        });
    }
    Ok(t.to_string())
}

/// Checks an optional model reference: trimmed, non-empty, bounded.
pub fn parse_model_ref(s: Option<&str>) -> Result<Option<String>, CatalogError> {
    match s {
        None => Ok(None),
        Some(s) => Ok(Some(crate::types::parse_name("model_ref", s, MODEL_REF_MAX)?)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reviews

/// A customer's review of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: ProductId,
    pub customer_id: CustomerId,
    /// 1 to 5 stars.
    pub rating: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Input for a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub product_id: ProductId,
    pub customer_id: CustomerId,
    pub rating: i64,
    pub body: String,
}

/// Validates a review given what the store found: whether the customer has received the
/// product and whether they have reviewed it already. Returns the normalised review.
pub fn validate_review(
    review: &NewReview,
    has_received: bool,
    already_reviewed: bool,
) -> Result<NewReview, CatalogError> {
    if !(1..=5).contains(&review.rating) {
        return Err(CatalogError::RatingOutOfRange(review.rating));
    }
    let body = review.body.trim();
    if body.chars().count() > REVIEW_BODY_MAX {
        return Err(CatalogError::Invalid {
            field: "review body",
            reason: "too long".into(),
        });
    }
    if !has_received {
        return Err(CatalogError::ReviewNotPurchased {
            customer: review.customer_id,
            product: review.product_id,
        });
    }
    if already_reviewed {
        return Err(CatalogError::ReviewDuplicate {
            customer: review.customer_id,
            product: review.product_id,
        });
    }
    Ok(NewReview {
        body: body.to_string(),
        ..review.clone()
    })
}

/// Number of reviews of a product and their average rating.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatingSummary {
    pub product_id: ProductId,
    pub count: i64,
    /// Mean stars rounded to two decimals; `None` without reviews.
    pub average: Option<f64>,
}

impl RatingSummary {
    /// From the count and the sum of the ratings.
    pub fn from_totals(product_id: ProductId, count: i64, sum: i64) -> RatingSummary {
        let average = (count > 0).then(|| ((sum as f64 / count as f64) * 100.0).round() / 100.0);
        RatingSummary {
            product_id,
            count,
            average,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Currency;

    #[test]
    fn slugs() {
        for good in ["a", "printers", "abc-123", "x-y-z"] {
            assert_eq!(parse_slug(good).unwrap(), good);
        }
        for bad in [
            "",
            "A",
            "a b",
            "-a",
            "a-",
            "a--b",
            "ä",
            "a_b",
            &"a".repeat(SLUG_MAX + 1),
        ] {
            assert_eq!(
                parse_slug(bad).unwrap_err().code(),
                "CATEGORY_SLUG_INVALID",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn skus() {
        assert_eq!(parse_sku(" vase-01.b_x ").unwrap(), "VASE-01.B_X");
        for bad in ["", "  ", "a b", "a/b", &"A".repeat(SKU_MAX + 1)] {
            assert_eq!(
                parse_sku(bad).unwrap_err().code(),
                "PRODUCT_SKU_INVALID",
                "{bad:?}"
            );
        }
    }

    fn cat(id: i64, parent: Option<i64>, name: &str) -> Category {
        Category {
            id: CategoryId(id),
            parent_id: parent.map(CategoryId),
            name: name.into(),
            slug: name.into(),
        }
    }

    fn render(nodes: &[CategoryNode], depth: usize, out: &mut String) {
        for n in nodes {
            out.push_str(&format!(
                "{}{} ({})\n",
                "  ".repeat(depth),
                n.category.name,
                n.category.id
            ));
            render(&n.children, depth + 1, out);
        }
    }

    #[test]
    fn tree_is_nested_and_sorted() {
        let cats = vec![
            cat(1, None, "home"),
            cat(2, Some(1), "vases"),
            cat(3, Some(1), "lamps"),
            cat(4, None, "garden"),
            cat(5, Some(3), "desk"),
            cat(6, Some(99), "orphan"),
        ];
        let mut out = String::new();
        render(&build_tree(cats), 0, &mut out);
        expect_test::expect![[r#"
            garden (4)
            home (1)
              lamps (3)
                desk (5)
              vases (2)
            orphan (6)
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn reparent_cycles() {
        // 1 -> 2 -> 3 (3's parent is 2, 2's parent is 1), 4 is a root.
        let parents: HashMap<CategoryId, Option<CategoryId>> = [
            (CategoryId(1), None),
            (CategoryId(2), Some(CategoryId(1))),
            (CategoryId(3), Some(CategoryId(2))),
            (CategoryId(4), None),
        ]
        .into_iter()
        .collect();
        // (category, new parent, allowed)
        let table = [
            (1, None, true),
            (1, Some(1), false),
            (1, Some(2), false),
            (1, Some(3), false),
            (1, Some(4), true),
            (2, Some(3), false),
            (2, Some(4), true),
            (3, Some(1), true),
            (3, None, true),
            (4, Some(3), true),
        ];
        for (c, p, allowed) in table {
            let r = check_reparent(&parents, CategoryId(c), p.map(CategoryId));
            assert_eq!(r.is_ok(), allowed, "{c} under {p:?}: {r:?}");
            if let Err(e) = r {
                assert_eq!(e.code(), "CATEGORY_CYCLE");
            }
        }
        // An existing (corrupt) cycle not involving the category is refused, not looped on.
        let corrupt: HashMap<_, _> = [
            (CategoryId(1), Some(CategoryId(2))),
            (CategoryId(2), Some(CategoryId(1))),
            (CategoryId(3), None),
        ]
        .into_iter()
        .collect();
        assert!(check_reparent(&corrupt, CategoryId(3), Some(CategoryId(1))).is_err());
    }

    fn spec(g: i64, m: i64, c: i64) -> ProductionSpec {
        ProductionSpec {
            grams_per_unit: g,
            print_minutes_per_unit: m,
            copies_per_plate: c,
        }
    }

    #[test]
    fn production_spec_bounds() {
        assert!(spec(1, 1, 1).validate().is_ok());
        let table = [
            (spec(0, 1, 1), "grams_per_unit"),
            (spec(1, 0, 1), "print_minutes_per_unit"),
            (spec(1, 1, 0), "copies_per_plate"),
            (spec(-5, 1, 1), "grams_per_unit"),
            (
                spec(ProductionSpec::MAX_GRAMS_PER_UNIT + 1, 1, 1),
                "grams_per_unit",
            ),
            (
                spec(1, 1, ProductionSpec::MAX_COPIES_PER_PLATE + 1),
                "copies_per_plate",
            ),
        ];
        for (s, field) in table {
            assert_eq!(s.validate().unwrap_err().field, field);
        }
    }

    fn product() -> Product {
        Product {
            id: ProductId(1),
            sku: "A".into(),
            name: "Vase".into(),
            description: String::new(),
            category_id: None,
            model_ref: None,
            default_material_id: MaterialId(1),
            price: Money::new(1000, Currency::EUR),
            production: spec(10, 20, 2),
            active: true,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn patch_validates_each_field() {
        let p = product();
        let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(5);
        let patched = p
            .apply(
                &ProductPatch {
                    name: Some(" Big vase ".into()),
                    price: Some(Money::new(1500, Currency::USD)),
                    active: Some(false),
                    category_id: Some(Some(CategoryId(3))),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        assert_eq!(patched.name, "Big vase");
        assert_eq!(patched.price, Money::new(1500, Currency::USD));
        assert!(!patched.active);
        assert_eq!(patched.category_id, Some(CategoryId(3)));
        assert_eq!(patched.updated_at, now);
        assert_eq!(patched.sku, p.sku);

        let bad = [
            ProductPatch {
                name: Some("  ".into()),
                ..Default::default()
            },
            ProductPatch {
                price: Some(Money::new(-1, Currency::EUR)),
                ..Default::default()
            },
            ProductPatch {
                production: Some(spec(1, 1, 0)),
                ..Default::default()
            },
            ProductPatch {
                model_ref: Some(Some(" ".into())),
                ..Default::default()
            },
        ];
        for patch in bad {
            assert_eq!(
                p.apply(&patch, now).unwrap_err().code(),
                "CATALOG_INVALID",
                "{patch:?}"
            );
        }
    }

    #[test]
    fn review_rules() {
        let r = NewReview {
            product_id: ProductId(1),
            customer_id: CustomerId(2),
            rating: 4,
            body: " ok ".into(),
        };
        assert_eq!(validate_review(&r, true, false).unwrap().body, "ok");
        // (rating, received, already reviewed, expected code)
        let table = [
            (0, true, false, "REVIEW_RATING_INVALID"),
            (6, true, false, "REVIEW_RATING_INVALID"),
            (5, false, false, "REVIEW_NOT_PURCHASED"),
            (5, true, true, "REVIEW_DUPLICATE"),
            (1, false, true, "REVIEW_NOT_PURCHASED"),
        ];
        for (rating, received, dup, code) in table {
            let e = validate_review(&NewReview { rating, ..r.clone() }, received, dup).unwrap_err();
            assert_eq!(e.code(), code);
        }
        assert_eq!(
            CatalogError::ReviewNotPurchased {
                customer: CustomerId(1),
                product: ProductId(1)
            }
            .kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            CatalogError::ReviewDuplicate {
                customer: CustomerId(1),
                product: ProductId(1)
            }
            .kind(),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn rating_average() {
        assert_eq!(RatingSummary::from_totals(ProductId(1), 0, 0).average, None);
        assert_eq!(
            RatingSummary::from_totals(ProductId(1), 3, 13).average,
            Some(4.33)
        );
        assert_eq!(RatingSummary::from_totals(ProductId(1), 2, 9).average, Some(4.5));
    }
}
