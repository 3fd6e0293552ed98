//! Printing persistence: models (owner scoping, re-upload lookup), quotes (round trip, expiry,
//! one conversion into an order at the quoted price, idempotent retry), product → model links.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{customer, t0};
use gantry_engine::db_test;
use gantry_engine::domain::catalog::{NewProduct, ProductionSpec};
use gantry_engine::domain::printing::{
    self, Estimate, EstimateMethod, NewModel, NewQuote, PartGeometry, PostProcessing, PriceInput,
    PricingPolicy, SliceSettings,
};
use gantry_engine::domain::types::{
    Currency, CustomerId, MaterialId, ModelFileId, Money, PrinterId, ProductId,
};
use gantry_engine::error::Coded;
use gantry_engine::store::{Db, StoreError, catalog, col, count_rows, orders, printing as store};

async fn material(db: &Db) -> MaterialId {
    let row = sqlx::query(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
         VALUES ('PLA-BLK', 'PLA', 'black', 1750, 1240, 2500, 'EUR', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    MaterialId(col(&row, "materials", "id").unwrap())
}

async fn printer(db: &Db) -> PrinterId {
    let row = sqlx::query(
        "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
         hourly_cost_minor, currency, status, created_at) \
         VALUES ('p1', 'MK4', 'fdm', 250, 210, 220, 400, 150, 'EUR', 'idle', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    PrinterId(col(&row, "printers", "id").unwrap())
}

const CUBE: PartGeometry = PartGeometry {
    volume_mm3: 8000.0,
    surface_area_mm2: 2400.0,
    size_mm: [20.0, 20.0, 20.0],
};

fn new_model(sha: &str, owner: Option<CustomerId>) -> NewModel {
    NewModel {
        sha256: sha.into(),
        file_name: "parts/cube.stl".into(),
        format: "stl".into(),
        size_bytes: 684,
        object_key: format!("models/{}/{sha}", &sha[..2]),
        customer_id: owner,
        uploaded_by: None,
        analysis_json: "{\"volume_mm3\":8000.0}".into(),
        estimate: Estimate::formula(&CUBE, &SliceSettings::default()),
    }
}

fn sha(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

async fn insert(db: &Db, new: &NewModel) -> Result<printing::ModelRecord, StoreError> {
    let mut tx = db.begin().await.unwrap();
    let r = store::insert_model(&mut tx, t0(), new).await;
    if r.is_ok() {
        tx.commit().await.unwrap();
    }
    r
}

db_test!(models_are_scoped_by_owner, |db| {
    let a = customer(db, "A").await;
    let b = customer(db, "B").await;
    let ma = insert(db, &new_model(&sha('a'), Some(a))).await.unwrap();
    assert_eq!(ma.file_name, "cube.stl", "only the last path component is kept");
    assert_eq!(ma.estimate.method, EstimateMethod::Formula);
    // The same content for another owner is another row over the same blob.
    let mb = insert(db, &new_model(&sha('a'), Some(b))).await.unwrap();
    let staff = insert(db, &new_model(&sha('b'), None)).await.unwrap();
    assert_eq!(mb.object_key, ma.object_key);
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(store::count_models_with_hash(&mut c, &sha('a')).await.unwrap(), 2);
    let found = store::model_by_owner_and_hash(&mut c, Some(a), &sha('a'))
        .await
        .unwrap();
    assert_eq!(found.map(|m| m.id), Some(ma.id));
    assert!(
        store::model_by_owner_and_hash(&mut c, None, &sha('a'))
            .await
            .unwrap()
            .is_none()
    );
    let found = store::model_by_owner_and_hash(&mut c, None, &sha('b'))
        .await
        .unwrap();
    assert_eq!(found.map(|m| m.id), Some(staff.id));
    let ids = |v: Vec<printing::ModelRecord>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store::list_models(&mut c, Some(a)).await.unwrap()),
        vec![ma.id]
    );
    assert_eq!(
        ids(store::list_models(&mut c, None).await.unwrap()),
        vec![ma.id, mb.id, staff.id]
    );
    assert_eq!(store::get_model(&mut c, mb.id).await.unwrap(), mb);
    drop(c);

    // Rejections write nothing.
    let mut bad = new_model(&sha('c'), Some(a));
    bad.file_name = "dir/".into();
    assert_eq!(insert(db, &bad).await.unwrap_err().code(), "QUOTE_INVALID");
    let ghost = new_model(&sha('c'), Some(CustomerId(999)));
    assert!(matches!(
        insert(db, &ghost).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert_eq!(count_rows(db, "models").await.unwrap(), 3);
});

async fn quote_for(
    db: &Db,
    (m, p): (MaterialId, PrinterId),
    model: ModelFileId,
    owner: Option<CustomerId>,
    quantity: i64,
    expires_at: DateTime<Utc>,
) -> Result<printing::Quote, StoreError> {
    let breakdown = printing::price_quote(
        &PriceInput {
            quantity,
            grams_per_unit: 4,
            minutes_per_unit: 17,
            copies_per_plate: 80,
            material_price_per_kg: Money::new(2500, Currency::EUR),
            printer_hourly_cost: Money::new(150, Currency::EUR),
            options: vec![PostProcessing::Sanding],
        },
        &PricingPolicy::standard(Currency::EUR),
    )
    .unwrap();
    let new = NewQuote {
        model_id: model,
        customer_id: owner,
        material_id: m,
        printer_id: p,
        printer_model: "MK4".into(),
        printer_profile_id: None,
        options: vec![PostProcessing::Sanding, PostProcessing::Sanding],
        method: EstimateMethod::Formula,
        production: ProductionSpec {
            grams_per_unit: 4,
            print_minutes_per_unit: 17,
            copies_per_plate: 80,
        },
        breakdown,
        earliest_delivery: Some(t0() + Duration::hours(3)),
        earliest_delivery_reason: None,
        created_by: None,
        expires_at,
    };
    let mut tx = db.begin().await.unwrap();
    let q = store::create_quote(&mut tx, t0(), &new).await?;
    tx.commit().await.unwrap();
    Ok(q)
}

async fn convert(
    db: &Db,
    now: DateTime<Utc>,
    q: printing::QuoteId,
    customer: Option<CustomerId>,
    key: Option<&str>,
) -> Result<gantry_engine::domain::orders::OrderWithLines, StoreError> {
    let mut tx = db.begin().await.unwrap();
    let r = store::create_order_from_quote(&mut tx, now, q, customer, key, None).await;
    if r.is_ok() {
        tx.commit().await.unwrap();
    }
    r
}

db_test!(a_quote_converts_once_at_its_price, |db| {
    let a = customer(db, "A").await;
    let model = insert(db, &new_model(&sha('d'), Some(a))).await.unwrap();
    let farm = (material(db).await, printer(db).await);
    let q = quote_for(db, farm, model.id, Some(a), 10, t0() + Duration::days(7))
        .await
        .unwrap();
    assert_eq!(
        q.options,
        vec![PostProcessing::Sanding],
        "options are stored once"
    );
    assert_eq!(q.total.minor, q.unit_price.minor * 10);
    assert_eq!(q.earliest_delivery, Some(t0() + Duration::hours(3)));
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(store::get_quote(&mut c, q.id).await.unwrap(), q);
    drop(c);

    let o = convert(db, t0() + Duration::hours(1), q.id, None, Some("q-1"))
        .await
        .unwrap();
    assert_eq!(o.order.customer_id, a);
    assert_eq!(o.order.total, q.total, "the order costs what was quoted");
    assert_eq!(o.lines.len(), 1);
    let line = &o.lines[0];
    assert_eq!(
        line.model_ref.as_deref(),
        Some(format!("model:{}", model.id.0).as_str())
    );
    assert_eq!(line.description, "cube.stl");
    assert_eq!(line.unit_price, q.unit_price);
    assert_eq!(line.production, q.production);
    // A retry with the same key returns the same order; another attempt is refused.
    let again = convert(db, t0() + Duration::hours(2), q.id, None, Some("q-1"))
        .await
        .unwrap();
    assert_eq!(again.order.id, o.order.id);
    let e = convert(db, t0() + Duration::hours(2), q.id, None, Some("q-2"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "QUOTE_ALREADY_CONVERTED");
    let e = convert(db, t0() + Duration::hours(2), q.id, None, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "QUOTE_ALREADY_CONVERTED");
    assert_eq!(count_rows(db, "orders").await.unwrap(), 1);
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(
        store::get_quote(&mut c, q.id).await.unwrap().order_id,
        Some(o.order.id)
    );
    let stored = orders::get_order_with_lines(&mut c, o.order.id).await.unwrap();
    assert_eq!(stored, o);
});

db_test!(expired_and_customerless_quotes, |db| {
    let a = customer(db, "A").await;
    let model = insert(db, &new_model(&sha('e'), None)).await.unwrap();
    let farm = (material(db).await, printer(db).await);
    let q = quote_for(db, farm, model.id, None, 1, t0() + Duration::minutes(30))
        .await
        .unwrap();
    let e = convert(db, t0() + Duration::minutes(30), q.id, Some(a), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "QUOTE_EXPIRED");
    let e = convert(db, t0() + Duration::minutes(5), q.id, None, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "QUOTE_NEEDS_CUSTOMER");
    assert_eq!(count_rows(db, "orders").await.unwrap(), 0, "nothing written");
    let o = convert(db, t0() + Duration::minutes(5), q.id, Some(a), None)
        .await
        .unwrap();
    assert_eq!(o.order.customer_id, a);
    // A quote must expire after it is made.
    let e = quote_for(db, farm, model.id, None, 1, t0()).await.unwrap_err();
    assert_eq!(e.code(), "QUOTE_INVALID");
    let e = convert(db, t0(), printing::QuoteId(999), Some(a), None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }));
    assert_eq!(count_rows(db, "quotes").await.unwrap(), 1);
});

db_test!(products_link_a_model, |db| {
    let m = material(db).await;
    let model = insert(db, &new_model(&sha('f'), None)).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let p = catalog::create_product(
        &mut tx,
        t0(),
        &NewProduct {
            sku: "CUBE-20".into(),
            name: "Cube".into(),
            description: String::new(),
            category_id: None,
            model_ref: None,
            default_material_id: m,
            price: Money::new(900, Currency::EUR),
            production: ProductionSpec {
                grams_per_unit: 4,
                print_minutes_per_unit: 17,
                copies_per_plate: 20,
            },
        },
    )
    .await
    .unwrap();
    store::set_product_model(&mut tx, t0(), p.id, Some(model.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(store::product_model(&mut c, p.id).await.unwrap(), Some(model.id));
    drop(c);
    let mut tx = db.begin().await.unwrap();
    let e = store::set_product_model(&mut tx, t0(), p.id, Some(ModelFileId(999)))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { entity: "model", .. }));
    let e = store::set_product_model(&mut tx, t0(), ProductId(999), None)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::NotFound {
            entity: "product",
            ..
        }
    ));
    store::set_product_model(&mut tx, t0(), p.id, None).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(store::product_model(&mut c, p.id).await.unwrap(), None);
    assert_eq!(catalog::get_product(&mut c, p.id).await.unwrap().id, p.id);
});
