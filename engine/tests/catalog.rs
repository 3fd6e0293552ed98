//! Catalog persistence: categories (tree, slugs, cycles), products, reviews.

// Test helpers outside #[test] fns unwrap too (clippy.toml only allows it inside tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::{customer, material, spec, t0};
use gantry_engine::db_test;
use gantry_engine::domain::catalog::{
    CategoryNode, NewCategory, NewProduct, NewReview, Product, ProductFilter, ProductPatch,
};
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::{CategoryId, Currency, CustomerId, MaterialId, Money, ProductId};
use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::{Db, StoreError, catalog, count_rows, orders};

async fn category(db: &Db, parent: Option<CategoryId>, name: &str, slug: &str) -> CategoryId {
    let new = NewCategory {
        parent_id: parent,
        name: name.into(),
        slug: slug.into(),
    };
    ok!(db, |tx| catalog::create_category(&mut tx, t0(), &new)).id
}

fn new_product(sku: &str, category: Option<CategoryId>, material: MaterialId, price: i64) -> NewProduct {
    NewProduct {
        sku: sku.into(),
        name: format!("Product {sku}"),
        description: "A printed thing".into(),
        category_id: category,
        model_ref: Some(format!("models/{sku}.3mf")),
        default_material_id: material,
        price: Money::new(price, Currency::EUR),
        production: spec(30, 90, 4),
    }
}

async fn product(db: &Db, sku: &str, material: MaterialId) -> Product {
    ok!(db, |tx| catalog::create_product(
        &mut tx,
        t0(),
        &new_product(sku, None, material, 1000)
    ))
}

fn render(nodes: &[CategoryNode], depth: usize, out: &mut String) {
    for n in nodes {
        out.push_str(&format!(
            "{}{} [{}]\n",
            "  ".repeat(depth),
            n.category.name,
            n.category.slug
        ));
        render(&n.children, depth + 1, out);
    }
}

async fn tree(db: &Db) -> String {
    let mut conn = db.pool().acquire().await.unwrap();
    let mut out = String::new();
    render(&catalog::category_tree(&mut conn).await.unwrap(), 0, &mut out);
    out
}

fn not_found(e: &StoreError, entity: &str) -> bool {
    matches!(e, StoreError::NotFound { entity: en, .. } if *en == entity)
}

db_test!(category_tree_slugs_and_cycles, |db| {
    let home = category(db, None, "Home", "home").await;
    let _vases = category(db, Some(home), "Vases", "vases").await;
    let lamps = category(db, Some(home), "Lamps", "lamps").await;
    let desk = category(db, Some(lamps), "Desk lamps", "desk-lamps").await;
    let garden = category(db, None, "Garden", "garden").await;
    expect_test::expect![[r#"
        Garden [garden]
        Home [home]
          Lamps [lamps]
            Desk lamps [desk-lamps]
          Vases [vases]
    "#]]
    .assert_eq(&tree(db).await);

    let mut conn = db.pool().acquire().await.unwrap();
    let found = catalog::category_by_slug(&mut conn, "desk-lamps")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.parent_id), (desk, Some(lamps)));
    assert!(
        catalog::category_by_slug(&mut conn, "nope")
            .await
            .unwrap()
            .is_none()
    );
    drop(conn);

    // Rejections write nothing.
    let before = count_rows(db, "categories").await.unwrap();
    let cases = [
        (
            NewCategory {
                parent_id: None,
                name: "Again".into(),
                slug: "home".into(),
            },
            "CATEGORY_SLUG_TAKEN",
        ),
        (
            NewCategory {
                parent_id: None,
                name: "Bad".into(),
                slug: "Bad Slug".into(),
            },
            "CATEGORY_SLUG_INVALID",
        ),
        (
            NewCategory {
                parent_id: None,
                name: "  ".into(),
                slug: "blank".into(),
            },
            "CATALOG_INVALID",
        ),
        (
            NewCategory {
                parent_id: Some(CategoryId(999)),
                name: "Orphan".into(),
                slug: "orphan".into(),
            },
            "NOT_FOUND",
        ),
    ];
    for (new, code) in cases {
        let e = rejected!(db, |tx| catalog::create_category(&mut tx, t0(), &new));
        assert_eq!(e.code(), code, "{new:?}");
    }
    let e = rejected!(db, |tx| catalog::create_category(
        &mut tx,
        t0(),
        &NewCategory {
            parent_id: None,
            name: "x".into(),
            slug: "lamps".into()
        }
    ));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(count_rows(db, "categories").await.unwrap(), before);

    // Re-parenting: under itself or a descendant is a cycle; nothing changes.
    for (cat, parent) in [(home, desk), (home, lamps), (home, home), (lamps, desk)] {
        let e = rejected!(db, |tx| catalog::reparent_category(
            &mut tx,
            t0(),
            cat,
            Some(parent)
        ));
        assert_eq!(e.code(), "CATEGORY_CYCLE");
    }
    let e = rejected!(db, |tx| catalog::reparent_category(
        &mut tx,
        t0(),
        home,
        Some(CategoryId(999))
    ));
    assert!(not_found(&e, "category"));
    let moved = ok!(db, |tx| catalog::reparent_category(
        &mut tx,
        t0(),
        desk,
        Some(garden)
    ));
    assert_eq!(moved.parent_id, Some(garden));
    ok!(db, |tx| catalog::reparent_category(&mut tx, t0(), lamps, None));
    expect_test::expect![[r#"
        Garden [garden]
          Desk lamps [desk-lamps]
        Home [home]
          Vases [vases]
        Lamps [lamps]
    "#]]
    .assert_eq(&tree(db).await);
});

db_test!(products_crud_and_lookups, |db| {
    let pla = material(db, "PLA-RED", "red").await;
    let petg = material(db, "PETG-BLK", "black").await;
    let home = category(db, None, "Home", "home").await;
    let vases = category(db, Some(home), "Vases", "vases").await;

    let vase = ok!(db, |tx| catalog::create_product(
        &mut tx,
        t0(),
        &new_product(" vase-1 ", Some(vases), pla, 1999)
    ));
    assert_eq!(vase.sku, "VASE-1");
    assert_eq!(vase.price, Money::new(1999, Currency::EUR));
    assert_eq!(vase.production, spec(30, 90, 4));
    assert_eq!(
        (vase.category_id, vase.default_material_id, vase.active),
        (Some(vases), pla, true)
    );
    assert_eq!((vase.created_at, vase.updated_at), (t0(), t0()));
    let lamp = ok!(db, |tx| catalog::create_product(
        &mut tx,
        t0(),
        &new_product("LAMP", Some(home), petg, 4500)
    ));

    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(catalog::get_product(&mut conn, vase.id).await.unwrap(), vase);
    assert_eq!(
        catalog::product_by_sku(&mut conn, "vase-1").await.unwrap(),
        Some(vase.clone())
    );
    assert_eq!(catalog::product_by_sku(&mut conn, "NOPE").await.unwrap(), None);
    assert!(not_found(
        &catalog::get_product(&mut conn, ProductId(999)).await.unwrap_err(),
        "product"
    ));
    let ids = |ps: Vec<Product>| ps.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let in_vases = ProductFilter {
        category_id: Some(vases),
        active: None,
    };
    assert_eq!(
        ids(catalog::list_products(&mut conn, &in_vases).await.unwrap()),
        [vase.id]
    );
    assert_eq!(
        ids(catalog::list_products(&mut conn, &ProductFilter::default())
            .await
            .unwrap()),
        [vase.id, lamp.id]
    );
    // A category lists the products of its sub-categories too (Home ⊃ Vases).
    let in_home = ProductFilter {
        category_id: Some(home),
        active: None,
    };
    assert_eq!(
        ids(catalog::list_products(&mut conn, &in_home).await.unwrap()),
        [vase.id, lamp.id]
    );
    drop(conn);

    // Update: a patch changes only what it names.
    let later = t0() + chrono::Duration::hours(1);
    let patch = ProductPatch {
        name: Some("Tall vase".into()),
        price: Some(Money::new(2499, Currency::EUR)),
        category_id: Some(Some(home)),
        default_material_id: Some(petg),
        production: Some(spec(40, 120, 2)),
        ..Default::default()
    };
    let updated = ok!(db, |tx| catalog::update_product(&mut tx, later, vase.id, &patch));
    let mut conn = db.pool().acquire().await.unwrap();
    let stored = catalog::get_product(&mut conn, vase.id).await.unwrap();
    assert_eq!(stored, updated);
    assert_eq!(
        (stored.name.as_str(), stored.price.minor, stored.category_id),
        ("Tall vase", 2499, Some(home))
    );
    assert_eq!(
        (stored.default_material_id, stored.production, stored.updated_at),
        (petg, spec(40, 120, 2), later)
    );
    assert_eq!(
        (
            stored.sku.as_str(),
            stored.description.as_str(),
            stored.created_at
        ),
        ("VASE-1", "A printed thing", t0())
    );
    drop(conn);

    // Deactivate.
    let off = ok!(db, |tx| catalog::deactivate_product(&mut tx, later, vase.id));
    assert!(!off.active);
    let mut conn = db.pool().acquire().await.unwrap();
    let active = ProductFilter {
        category_id: None,
        active: Some(true),
    };
    let inactive = ProductFilter {
        category_id: None,
        active: Some(false),
    };
    assert_eq!(
        ids(catalog::list_products(&mut conn, &active).await.unwrap()),
        [lamp.id]
    );
    assert_eq!(
        ids(catalog::list_products(&mut conn, &inactive).await.unwrap()),
        [vase.id]
    );
    let home_active = ProductFilter {
        category_id: Some(home),
        active: Some(true),
    };
    assert_eq!(
        ids(catalog::list_products(&mut conn, &home_active).await.unwrap()),
        [lamp.id]
    );
    drop(conn);

    // Rejections write nothing.
    let before = count_rows(db, "products").await.unwrap();
    let cases: Vec<(NewProduct, &str)> = vec![
        (new_product("vase-1", None, pla, 1), "PRODUCT_SKU_TAKEN"),
        (new_product("bad sku", None, pla, 1), "PRODUCT_SKU_INVALID"),
        (new_product("NEG", None, pla, -1), "CATALOG_INVALID"),
        (
            NewProduct {
                production: spec(0, 1, 1),
                ..new_product("NOGRAMS", None, pla, 1)
            },
            "CATALOG_INVALID",
        ),
        (new_product("NOMAT", None, MaterialId(999), 1), "NOT_FOUND"),
        (new_product("NOCAT", Some(CategoryId(999)), pla, 1), "NOT_FOUND"),
    ];
    for (new, code) in cases {
        let e = rejected!(db, |tx| catalog::create_product(&mut tx, t0(), &new));
        assert_eq!(e.code(), code, "{new:?}");
    }
    let e = rejected!(db, |tx| catalog::create_product(
        &mut tx,
        t0(),
        &new_product("Lamp", None, pla, 1)
    ));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(count_rows(db, "products").await.unwrap(), before);

    let bad_patches = [
        (
            ProductPatch {
                default_material_id: Some(MaterialId(999)),
                ..Default::default()
            },
            "NOT_FOUND",
        ),
        (
            ProductPatch {
                category_id: Some(Some(CategoryId(999))),
                ..Default::default()
            },
            "NOT_FOUND",
        ),
        (
            ProductPatch {
                price: Some(Money::new(-5, Currency::EUR)),
                ..Default::default()
            },
            "CATALOG_INVALID",
        ),
    ];
    for (patch, code) in bad_patches {
        let e = rejected!(db, |tx| catalog::update_product(&mut tx, t0(), lamp.id, &patch));
        assert_eq!(e.code(), code, "{patch:?}");
    }
    let e = rejected!(db, |tx| catalog::update_product(
        &mut tx,
        t0(),
        ProductId(999),
        &ProductPatch::default()
    ));
    assert!(not_found(&e, "product"));
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(catalog::get_product(&mut conn, lamp.id).await.unwrap(), lamp);
});

/// Creates an order of `product` for `customer` and forces it into `status` (the order
/// lifecycle is tested in `orders.rs`; here only the status matters).
async fn order_in_status(db: &Db, customer: CustomerId, product: ProductId, status: &str) {
    let new = NewOrder {
        customer_id: customer,
        currency: Currency::EUR,
        lines: vec![NewOrderLine::product(product, 1)],
        priority: 0,
        due_at: None,
        idempotency_key: None,
    };
    let order = ok!(db, |tx| orders::create_order(&mut tx, t0(), &new, None));
    sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(order.order.id.0)
        .execute(db.pool())
        .await
        .unwrap();
}

db_test!(reviews_need_a_delivered_order, |db| {
    let pla = material(db, "PLA", "white").await;
    let alice = customer(db, "Alice").await;
    let bob = customer(db, "Bob").await;
    let vase = product(db, "VASE", pla).await;
    let lamp = product(db, "LAMP", pla).await;
    let review = |customer, product, rating: i64| NewReview {
        product_id: product,
        customer_id: customer,
        rating,
        body: format!("  {rating} stars  "),
    };

    // Ordered but not received, or received something else: not allowed.
    for status in [
        "draft",
        "placed",
        "paid",
        "in_production",
        "ready",
        "shipped",
        "refunded",
    ] {
        order_in_status(db, alice, vase.id, status).await;
    }
    order_in_status(db, alice, lamp.id, "delivered").await;
    let e = rejected!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(alice, vase.id, 5)
    ));
    assert_eq!(
        (e.code(), e.kind()),
        ("REVIEW_NOT_PURCHASED", ErrorKind::Forbidden)
    );
    let e = rejected!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(bob, lamp.id, 5)
    ));
    assert_eq!(e.code(), "REVIEW_NOT_PURCHASED");
    assert_eq!(count_rows(db, "reviews").await.unwrap(), 0);

    // Received: one review each.
    order_in_status(db, alice, vase.id, "delivered").await;
    let r = ok!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(alice, vase.id, 5)
    ));
    assert_eq!(
        (r.rating, r.body.as_str(), r.customer_id, r.created_at),
        (5, "5 stars", alice, t0())
    );
    let e = rejected!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(alice, vase.id, 1)
    ));
    assert_eq!((e.code(), e.kind()), ("REVIEW_DUPLICATE", ErrorKind::Conflict));
    for rating in [0, 6, -1] {
        let e = rejected!(db, |tx| catalog::add_review(
            &mut tx,
            t0(),
            &review(alice, lamp.id, rating)
        ));
        assert_eq!(e.code(), "REVIEW_RATING_INVALID");
    }
    let e = rejected!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(alice, ProductId(999), 3)
    ));
    assert!(not_found(&e, "product"));
    assert_eq!(count_rows(db, "reviews").await.unwrap(), 1);

    order_in_status(db, bob, vase.id, "delivered").await;
    ok!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(bob, vase.id, 4)
    ));
    ok!(db, |tx| catalog::add_review(
        &mut tx,
        t0(),
        &review(alice, lamp.id, 2)
    ));

    let mut conn = db.pool().acquire().await.unwrap();
    let listed = catalog::list_reviews(&mut conn, vase.id).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|r| (r.customer_id, r.rating))
            .collect::<Vec<_>>(),
        [(alice, 5), (bob, 4)]
    );
    assert_eq!(listed[0], r);
    let s = catalog::rating_summary(&mut conn, vase.id).await.unwrap();
    assert_eq!((s.count, s.average), (2, Some(4.5)));
    let s = catalog::rating_summary(&mut conn, lamp.id).await.unwrap();
    assert_eq!((s.count, s.average), (1, Some(2.0)));
    let nobody = product(db, "NOBODY", pla).await;
    let s = catalog::rating_summary(&mut conn, nobody.id).await.unwrap();
    assert_eq!((s.count, s.average), (0, None));
});
