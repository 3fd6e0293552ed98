//! Master data: materials with spools, printers, maintenance plans, categories, products,
//! customers and staff.

use chrono::{DateTime, Duration, Utc};

use super::data::{CATEGORIES, CUSTOMERS, MATERIALS, PRINTER_MODELS, PRODUCTS, STAFF, eur};
use super::{Farm, material_id};
use crate::domain::catalog::{NewCategory, NewProduct, ProductionSpec};
use crate::domain::equipment::{Dimensions, NewMaintenancePlan, NewPrinter, PrinterStatus, Technology};
use crate::domain::inventory::{NewMaterial, NewSpool};
use crate::domain::types::CategoryId;
use crate::domain::users::{NewCustomer, NewUser, Role};
use crate::store::{StoreResult, Tx, catalog, equipment, inventory, users};

pub(super) async fn build_master_data(tx: &mut Tx, now: DateTime<Utc>) -> StoreResult<Farm> {
    let mut materials = Vec::new();
    for (i, (code, kind, colour, density, price, spools, grams, low)) in MATERIALS.into_iter().enumerate() {
        let m = inventory::create_material(
            tx,
            now,
            &NewMaterial {
                code: code.into(),
                kind,
                colour: colour.into(),
                diameter_um: 1750,
                density_mg_cm3: density,
                price_per_kg: eur(price),
                low_stock_grams: low,
            },
        )
        .await?;
        for s in 0..spools {
            inventory::receive_spool(
                tx,
                now,
                &NewSpool {
                    material_id: m.id,
                    grams,
                    lot: Some(format!("L2611-{:02}{:02}", i + 1, s + 1)),
                    location: Some(format!("Rack {}-{}", (b'A' + (i / 3) as u8) as char, s + 1)),
                },
            )
            .await?;
        }
        materials.push((m.id, code));
    }

    let mut printers = Vec::new();
    for (prefix, model, count, (x, y, z), speed, cost, kinds) in PRINTER_MODELS {
        for n in 1..=count {
            let p = equipment::create_printer(
                tx,
                now,
                &NewPrinter {
                    name: format!("{prefix}-{n:02}"),
                    model: model.into(),
                    technology: Technology::Fdm,
                    build_volume: Dimensions::new(x, y, z),
                    nozzle_um: 400,
                    materials: kinds.to_vec(),
                    speed_factor_pct: speed,
                    hourly_cost: eur(cost),
                },
            )
            .await?;
            equipment::create_plan(
                tx,
                now,
                &NewMaintenancePlan {
                    printer_id: p.id,
                    name: "Nozzle, belts and bed check".into(),
                    every_print_hours: Some(200),
                    every_days: None,
                    duration_minutes: 30,
                },
            )
            .await?;
            equipment::create_plan(
                tx,
                now,
                &NewMaintenancePlan {
                    printer_id: p.id,
                    name: "Clean and lubricate".into(),
                    every_print_hours: None,
                    every_days: Some(30 + n * 2),
                    duration_minutes: 45,
                },
            )
            .await?;
            printers.push(p.id);
        }
    }
    equipment::generate_windows(tx, now, now + Duration::days(60)).await?;
    // A couple of printers are not available right now.
    if let Some(p) = printers.get(5) {
        equipment::set_status(tx, now, *p, PrinterStatus::Maintenance).await?;
    }
    if let Some(p) = printers.get(10) {
        equipment::set_status(tx, now, *p, PrinterStatus::Offline).await?;
    }

    let mut categories: Vec<(&str, CategoryId)> = Vec::new();
    for (parent, slug, name) in CATEGORIES {
        let parent_id = categories.iter().find(|(s, _)| *s == parent).map(|(_, id)| *id);
        let c = catalog::create_category(
            tx,
            now,
            &NewCategory {
                parent_id,
                name: name.into(),
                slug: slug.into(),
            },
        )
        .await?;
        categories.push((slug, c.id));
    }

    let mut products = Vec::new();
    for (sku, name, cat, material, price, grams, minutes, per_plate) in PRODUCTS {
        let default_material_id = material_id(&materials, material)?;
        let p = catalog::create_product(
            tx,
            now,
            &NewProduct {
                sku: sku.into(),
                name: name.into(),
                description: format!("{name}, printed to order in {material}."),
                category_id: categories.iter().find(|(s, _)| *s == cat).map(|(_, id)| *id),
                model_ref: Some(format!("demo/{}.3mf", sku.to_lowercase())),
                default_material_id,
                price: eur(price),
                production: ProductionSpec {
                    grams_per_unit: grams,
                    print_minutes_per_unit: minutes,
                    copies_per_plate: per_plate,
                },
            },
        )
        .await?;
        products.push(p.id);
    }

    let mut customers = Vec::new();
    for (name, email, company) in CUSTOMERS {
        let c = users::create_customer(
            tx,
            now,
            &NewCustomer {
                name: name.into(),
                email: Some(email.into()),
                company: company.map(String::from),
            },
        )
        .await?;
        users::create_user(
            tx,
            now,
            &NewUser {
                email: email.into(),
                display_name: name.into(),
                role: Role::Customer,
                customer_id: Some(c.id),
                password_hash: None,
            },
        )
        .await?;
        customers.push(c.id);
    }
    let mut planner = None;
    for (email, name, role) in STAFF {
        let u = users::create_user(
            tx,
            now,
            &NewUser {
                email: email.into(),
                display_name: name.into(),
                role,
                customer_id: None,
                password_hash: None,
            },
        )
        .await?;
        if role == Role::Planner {
            planner = Some(u.id);
        }
    }
    let planner =
        planner.ok_or_else(|| crate::store::StoreError::corrupt("users", "demo planner missing"))?;
    Ok(Farm {
        printers,
        products,
        customers,
        planner,
    })
}
