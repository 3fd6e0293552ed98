//! A small farm for tests of the live farm (engine, actors and api tests share it): printers
//! that print PLA, one PLA material with some stock, and a paid order put into production.

use chrono::{DateTime, Utc};

use crate::domain::catalog::ProductionSpec;
use crate::domain::equipment::{Dimensions, NewPrinter, Technology};
use crate::domain::inventory::{MaterialKind, NewMaterial, NewSpool};
use crate::domain::orders::{NewOrder, NewOrderLine};
use crate::domain::production::Job;
use crate::domain::types::{Currency, MaterialId, Money, OrderId, PrinterId};
use crate::domain::users::NewCustomer;
use crate::store::{Db, StoreResult, equipment, inventory, orders, production, users};

/// What [`farm`] made.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub printers: Vec<PrinterId>,
    pub material: MaterialId,
    pub order: OrderId,
    /// The order's jobs (one per copy), queued, by id.
    pub jobs: Vec<Job>,
}

/// `printers` PLA printers, material `PLA-BLK` with `stock_grams` on one spool (none when
/// 0), and a paid order of `copies` copies (10 g and 30 minutes each, one per plate) in
/// production.
pub async fn farm(
    db: &Db,
    now: DateTime<Utc>,
    printers: usize,
    stock_grams: i64,
    copies: i64,
) -> StoreResult<Fixture> {
    let mut tx = db.begin().await?;
    let material = inventory::create_material(
        &mut tx,
        now,
        &NewMaterial {
            code: "PLA-BLK".into(),
            kind: MaterialKind::Pla,
            colour: "black".into(),
            diameter_um: 1750,
            density_mg_cm3: 1240,
            price_per_kg: Money::new(2000, Currency::EUR),
            low_stock_grams: 0,
        },
    )
    .await?
    .id;
    if stock_grams > 0 {
        inventory::receive_spool(
            &mut tx,
            now,
            &NewSpool {
                material_id: material,
                grams: stock_grams,
                lot: None,
                location: None,
            },
        )
        .await?;
    }
    let mut ids = Vec::new();
    for i in 0..printers {
        let p = equipment::create_printer(
            &mut tx,
            now,
            &NewPrinter {
                name: format!("p{}", i + 1),
                model: "MK4".into(),
                technology: Technology::Fdm,
                build_volume: Dimensions::new(250, 210, 220),
                nozzle_um: 400,
                materials: vec![MaterialKind::Pla],
                speed_factor_pct: 100,
                hourly_cost: Money::new(150, Currency::EUR),
            },
        )
        .await?;
        ids.push(p.id);
    }
    let customer = users::create_customer(
        &mut tx,
        now,
        &NewCustomer {
            name: "Alice".into(),
            email: None,
            company: None,
        },
    )
    .await?;
    let spec = ProductionSpec {
        grams_per_unit: 10,
        print_minutes_per_unit: 30,
        copies_per_plate: 1,
    };
    let order = orders::create_order(
        &mut tx,
        now,
        &NewOrder {
            customer_id: customer.id,
            currency: Currency::EUR,
            lines: vec![NewOrderLine::model(
                "uploads/part.stl",
                material,
                copies,
                500,
                spec,
            )],
            priority: 0,
            due_at: None,
            idempotency_key: None,
        },
        None,
    )
    .await?
    .order
    .id;
    orders::place(&mut tx, now, order, None).await?;
    orders::pay(&mut tx, now, order, None).await?;
    let jobs = production::start_production(&mut tx, now, order, None).await?;
    tx.commit().await?;
    Ok(Fixture {
        printers: ids,
        material,
        order,
        jobs,
    })
}
