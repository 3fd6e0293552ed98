//! The demo farm: a realistic small business to explore Gantry with.
//!
//! 14 printers of 3 models, 8 materials with spools, a category tree with 20 products, 10
//! customers with accounts, staff accounts of every role, and 30 orders spread over the whole
//! lifecycle — with production jobs queued, scheduled, printing, done and failed, material
//! reserved and consumed, and reviews of delivered products.
//!
//! Loading is one transaction guarded by the `demo_loaded` fact in `app_meta`: a second run
//! adds nothing, and a crash half-way leaves nothing behind. Everything goes through the same
//! store commands the API uses, so the demo obeys every domain rule. The content is fixed (no
//! randomness); only timestamps are relative to the moment of loading.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use super::{
    Db, StoreResult, Tx, catalog, count_rows, equipment, inventory, meta, orders, production, users,
};
use crate::domain::catalog::{NewCategory, NewProduct, NewReview, ProductionSpec};
use crate::domain::equipment::{Dimensions, NewMaintenancePlan, NewPrinter, PrinterStatus, Technology};
use crate::domain::inventory::{MaterialKind, NewMaterial, NewSpool};
use crate::domain::orders::{NewOrder, NewOrderLine};
use crate::domain::production::job_key;
use crate::domain::types::{
    CategoryId, Currency, CustomerId, MaterialId, Money, PrinterId, ProductId, UserId,
};
use crate::domain::users::{NewCustomer, NewUser, Role};

const META_KEY: &str = "demo_loaded";

/// What the database holds after loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// False when the demo was already there and nothing was added.
    pub loaded_now: bool,
    pub printers: i64,
    pub materials: i64,
    pub spools: i64,
    pub products: i64,
    pub customers: i64,
    pub users: i64,
    pub orders: i64,
    pub jobs: i64,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo farm {}: {} printers, {} materials ({} spools), {} products, {} customers, {} users, {} orders, {} jobs",
            if self.loaded_now {
                "loaded"
            } else {
                "already present, nothing added"
            },
            self.printers,
            self.materials,
            self.spools,
            self.products,
            self.customers,
            self.users,
            self.orders,
            self.jobs
        )
    }
}

/// Loads the demo farm unless it is already there.
pub async fn load(db: &Db) -> StoreResult<DemoSummary> {
    let mut tx = db.begin().await?;
    let loaded_now = if meta::get(&mut tx, META_KEY).await?.is_some() {
        false
    } else {
        let now = super::now();
        build(&mut tx, now).await?;
        meta::set(&mut tx, now, META_KEY, &now.to_rfc3339()).await?;
        true
    };
    tx.commit().await?;
    Ok(DemoSummary {
        loaded_now,
        printers: count_rows(db, "printers").await?,
        materials: count_rows(db, "materials").await?,
        spools: count_rows(db, "spools").await?,
        products: count_rows(db, "products").await?,
        customers: count_rows(db, "customers").await?,
        users: count_rows(db, "users").await?,
        orders: count_rows(db, "orders").await?,
        jobs: count_rows(db, "jobs").await?,
    })
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// (code, kind, colour, density mg/cm³, €/kg in cents, spools, grams per spool, low-stock g)
#[allow(clippy::type_complexity)] // a data table, read positionally right below
const MATERIALS: [(&str, MaterialKind, &str, i64, i64, i64, i64, i64); 8] = [
    (
        "PLA-black-1.75",
        MaterialKind::Pla,
        "black",
        1240,
        2199,
        5,
        1000,
        1500,
    ),
    (
        "PLA-white-1.75",
        MaterialKind::Pla,
        "white",
        1240,
        2199,
        4,
        1000,
        1500,
    ),
    (
        "PLA-red-1.75",
        MaterialKind::Pla,
        "red",
        1240,
        2399,
        3,
        1000,
        1000,
    ),
    (
        "PLA-grey-1.75",
        MaterialKind::Pla,
        "grey",
        1240,
        2199,
        3,
        1000,
        1000,
    ),
    (
        "PETG-black-1.75",
        MaterialKind::Petg,
        "black",
        1270,
        2599,
        4,
        1000,
        1000,
    ),
    (
        "PETG-blue-1.75",
        MaterialKind::Petg,
        "blue",
        1270,
        2799,
        2,
        1000,
        1000,
    ),
    (
        "ASA-grey-1.75",
        MaterialKind::Asa,
        "grey",
        1070,
        3299,
        3,
        1000,
        800,
    ),
    (
        "TPU-black-1.75",
        MaterialKind::Tpu,
        "black",
        1210,
        3999,
        1,
        750,
        500,
    ),
];

/// (name prefix, model, count, build volume, speed %, €/h in cents, material kinds)
#[allow(clippy::type_complexity)] // a data table, read positionally right below
const PRINTER_MODELS: [(&str, &str, i64, (i64, i64, i64), i64, i64, &[MaterialKind]); 3] = [
    (
        "MK4",
        "Prusa MK4",
        6,
        (250, 210, 220),
        100,
        150,
        &[
            MaterialKind::Pla,
            MaterialKind::Petg,
            MaterialKind::Asa,
            MaterialKind::Tpu,
        ],
    ),
    (
        "X1C",
        "Bambu Lab X1 Carbon",
        5,
        (256, 256, 256),
        160,
        190,
        &[
            MaterialKind::Pla,
            MaterialKind::Petg,
            MaterialKind::Asa,
            MaterialKind::Tpu,
        ],
    ),
    (
        "XL",
        "Prusa XL",
        3,
        (360, 360, 360),
        90,
        260,
        &[MaterialKind::Pla, MaterialKind::Petg, MaterialKind::Asa],
    ),
];

/// (parent slug or "", slug, name)
const CATEGORIES: [(&str, &str, &str); 9] = [
    ("", "home", "Home"),
    ("home", "kitchen", "Kitchen"),
    ("home", "decor", "Decor"),
    ("", "office", "Office"),
    ("", "workshop", "Workshop"),
    ("workshop", "tools", "Tools"),
    ("workshop", "jigs", "Jigs & fixtures"),
    ("", "toys", "Toys & games"),
    ("", "spare-parts", "Spare parts"),
];

/// (sku, name, category slug, material code, price cents, grams/unit, minutes/unit, copies/plate)
#[allow(clippy::type_complexity)] // a data table, read positionally right below
const PRODUCTS: [(&str, &str, &str, &str, i64, i64, i64, i64); 20] = [
    (
        "KIT-HOOK-01",
        "Utensil hook",
        "kitchen",
        "PLA-white-1.75",
        499,
        12,
        25,
        8,
    ),
    (
        "KIT-CLIP-02",
        "Bag clip (set of 4)",
        "kitchen",
        "PLA-red-1.75",
        699,
        18,
        35,
        6,
    ),
    (
        "KIT-SPICE-03",
        "Spice rack module",
        "kitchen",
        "PETG-black-1.75",
        1899,
        95,
        190,
        1,
    ),
    (
        "DEC-VASE-01",
        "Spiral vase",
        "decor",
        "PLA-grey-1.75",
        2499,
        110,
        240,
        1,
    ),
    (
        "DEC-LAMP-02",
        "Voronoi lamp shade",
        "decor",
        "PLA-white-1.75",
        3999,
        160,
        420,
        1,
    ),
    (
        "DEC-PLANT-03",
        "Self-watering planter",
        "decor",
        "PETG-blue-1.75",
        2199,
        130,
        260,
        1,
    ),
    (
        "OFF-CABLE-01",
        "Cable organiser",
        "office",
        "PLA-black-1.75",
        599,
        15,
        30,
        6,
    ),
    (
        "OFF-STAND-02",
        "Laptop stand",
        "office",
        "PETG-black-1.75",
        3499,
        220,
        480,
        1,
    ),
    (
        "OFF-PEN-03",
        "Pen holder",
        "office",
        "PLA-grey-1.75",
        899,
        45,
        90,
        2,
    ),
    (
        "OFF-HEAD-04",
        "Headphone hanger",
        "office",
        "PLA-black-1.75",
        1299,
        60,
        120,
        2,
    ),
    (
        "TOOL-HOLD-01",
        "Screwdriver holder",
        "tools",
        "PETG-black-1.75",
        1499,
        70,
        150,
        2,
    ),
    (
        "TOOL-BIT-02",
        "Bit organiser",
        "tools",
        "PLA-black-1.75",
        999,
        40,
        80,
        3,
    ),
    (
        "JIG-DRILL-01",
        "Drill guide",
        "jigs",
        "ASA-grey-1.75",
        1799,
        55,
        110,
        2,
    ),
    (
        "JIG-SQUARE-02",
        "Corner clamp square",
        "jigs",
        "ASA-grey-1.75",
        1299,
        35,
        70,
        4,
    ),
    (
        "TOY-DRAGON-01",
        "Articulated dragon",
        "toys",
        "PLA-red-1.75",
        2999,
        85,
        300,
        1,
    ),
    (
        "TOY-DICE-02",
        "Dice tower",
        "toys",
        "PLA-black-1.75",
        2499,
        120,
        260,
        1,
    ),
    (
        "TOY-PUZZLE-03",
        "Interlocking puzzle cube",
        "toys",
        "PLA-white-1.75",
        1499,
        40,
        95,
        2,
    ),
    (
        "SPR-FOOT-01",
        "Anti-slip feet (set of 8)",
        "spare-parts",
        "TPU-black-1.75",
        899,
        16,
        40,
        8,
    ),
    (
        "SPR-KNOB-02",
        "Replacement knob",
        "spare-parts",
        "PETG-black-1.75",
        599,
        10,
        20,
        10,
    ),
    (
        "SPR-GEAR-03",
        "Nylon-free drive gear",
        "spare-parts",
        "ASA-grey-1.75",
        1199,
        20,
        45,
        6,
    ),
];

const CUSTOMERS: [(&str, &str, Option<&str>); 10] = [
    ("Ada Lovelace", "ada@example.com", None),
    ("Grace Hopper", "grace@navy.example", Some("US Navy Research")),
    ("Linus Torvalds", "linus@example.org", None),
    (
        "Margaret Hamilton",
        "margaret@apollo.example",
        Some("Apollo Software"),
    ),
    ("Alan Turing", "alan@bletchley.example", Some("Bletchley Park")),
    (
        "Katherine Johnson",
        "katherine@nasa.example",
        Some("NASA Langley"),
    ),
    ("Dennis Ritchie", "dmr@bell.example", Some("Bell Labs")),
    ("Barbara Liskov", "barbara@mit.example", Some("MIT CSAIL")),
    ("Ken Thompson", "ken@bell.example", Some("Bell Labs")),
    ("Frances Allen", "frances@ibm.example", Some("IBM Research")),
];

const STAFF: [(&str, &str, Role); 6] = [
    ("admin@gantry.local", "Alex Admin", Role::Admin),
    ("planner@gantry.local", "Pat Planner", Role::Planner),
    ("operator@gantry.local", "Olly Operator", Role::Operator),
    ("accountant@gantry.local", "Ace Accountant", Role::Accountant),
    ("sales@gantry.local", "Sam Sales", Role::Sales),
    (
        "shop-integration@gantry.local",
        "Web shop integration",
        Role::Integrator,
    ),
];

/// Where an order ends up in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Draft,
    Placed,
    Paid,
    /// In production; `n` of its jobs are done, the next is printing, one scheduled, the rest queued.
    Production(usize),
    /// In production with its first job failed once (and requeued as a reprint).
    ProductionWithFailure,
    Ready,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

/// 30 orders: (customer index, lines as (product index, quantity), stage, due in days, priority)
#[allow(clippy::type_complexity)] // a data table, read positionally right below
fn order_plan() -> Vec<(usize, Vec<(usize, i64)>, Stage, i64, i64)> {
    use Stage::*;
    vec![
        (0, vec![(0, 4), (6, 2)], Delivered, -10, 0),
        (1, vec![(7, 1)], Delivered, -8, 0),
        (2, vec![(14, 1), (16, 2)], Delivered, -6, 0),
        (3, vec![(12, 2), (13, 4)], Delivered, -5, 1),
        (4, vec![(3, 1)], Shipped, -2, 0),
        (5, vec![(9, 1), (8, 1)], Shipped, -1, 0),
        (6, vec![(19, 6)], Shipped, -1, 0),
        (7, vec![(17, 8)], Ready, 1, 0),
        (8, vec![(1, 2)], Ready, 1, 0),
        (9, vec![(10, 2), (11, 3)], Ready, 2, 0),
        (0, vec![(4, 1), (5, 1)], Production(1), 2, 1),
        (1, vec![(2, 2)], Production(0), 3, 0),
        (2, vec![(15, 2)], Production(1), 3, 0),
        (3, vec![(7, 2)], ProductionWithFailure, 4, 2),
        (4, vec![(0, 16), (6, 6)], Production(2), 4, 0),
        (5, vec![(12, 4)], Production(0), 5, 0),
        (6, vec![(18, 20), (19, 6)], Production(1), 5, 0),
        (7, vec![(3, 2), (5, 1)], Production(0), 6, 0),
        (8, vec![(14, 1)], Paid, 6, 0),
        (9, vec![(8, 3)], Paid, 7, 0),
        (0, vec![(16, 4)], Paid, 7, 0),
        (1, vec![(9, 2), (10, 1)], Paid, 8, 0),
        (2, vec![(1, 5)], Placed, 9, 0),
        (3, vec![(4, 2)], Placed, 10, 0),
        (4, vec![(13, 8)], Placed, 10, 0),
        (5, vec![(11, 2), (17, 8)], Placed, 12, 0),
        (6, vec![(2, 1)], Draft, 14, 0),
        (7, vec![(15, 1), (16, 1)], Draft, 14, 0),
        (8, vec![(5, 2)], Cancelled, 5, 0),
        (9, vec![(7, 1)], Refunded, 3, 0),
    ]
}

struct Farm {
    printers: Vec<PrinterId>,
    products: Vec<ProductId>,
    customers: Vec<CustomerId>,
    planner: UserId,
}

async fn build(tx: &mut Tx, now: DateTime<Utc>) -> StoreResult<()> {
    let farm = build_master_data(tx, now).await?;
    build_orders(tx, now, &farm).await?;
    Ok(())
}

async fn build_master_data(tx: &mut Tx, now: DateTime<Utc>) -> StoreResult<Farm> {
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
    let planner = planner.ok_or_else(|| super::StoreError::corrupt("users", "demo planner missing"))?;
    Ok(Farm {
        printers,
        products,
        customers,
        planner,
    })
}

fn material_id(materials: &[(MaterialId, &str)], code: &str) -> StoreResult<MaterialId> {
    materials
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(id, _)| *id)
        .ok_or_else(|| super::StoreError::not_found("material", code))
}

fn pick<T: Copy>(items: &[T], i: usize) -> StoreResult<T> {
    items
        .get(i)
        .copied()
        .ok_or_else(|| super::StoreError::corrupt("demo", format!("index {i} out of range")))
}

/// Printers that take demo work (not the one in maintenance nor the offline one).
fn working_printers(farm: &Farm) -> Vec<PrinterId> {
    farm.printers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5 && *i != 10)
        .map(|(_, p)| *p)
        .collect()
}

async fn build_orders(tx: &mut Tx, now: DateTime<Utc>, farm: &Farm) -> StoreResult<()> {
    let planner = Some(farm.planner);
    let printers = working_printers(farm);
    let mut next_printer = 0usize;
    let mut busy: Vec<PrinterId> = Vec::new();

    for (n, (customer, lines, stage, due_days, priority)) in order_plan().into_iter().enumerate() {
        // Orders were created over the last weeks; the oldest first.
        let created = now - Duration::days(21) + Duration::hours(n as i64 * 14);
        let mut new_lines = Vec::new();
        for (product, qty) in &lines {
            new_lines.push(NewOrderLine::product(pick(&farm.products, *product)?, *qty));
        }
        let order = orders::create_order(
            tx,
            created,
            &NewOrder {
                customer_id: pick(&farm.customers, customer)?,
                currency: Currency::EUR,
                lines: new_lines,
                priority,
                due_at: Some(now + Duration::days(due_days)),
                idempotency_key: Some(format!("demo-order-{:02}", n + 1)),
            },
            None,
        )
        .await?;
        let id = order.order.id;
        if stage == Stage::Draft {
            continue;
        }
        let t = created + Duration::minutes(20);
        orders::place(tx, t, id, None).await?;
        match stage {
            Stage::Placed => continue,
            Stage::Cancelled => {
                orders::cancel(
                    tx,
                    t + Duration::hours(3),
                    id,
                    None,
                    "customer changed their mind",
                )
                .await?;
                continue;
            }
            _ => {}
        }
        orders::pay(tx, t + Duration::hours(1), id, None).await?;
        if stage == Stage::Paid {
            continue;
        }
        if stage == Stage::Refunded {
            orders::refund(
                tx,
                t + Duration::days(1),
                id,
                planner,
                "could not meet the deadline",
            )
            .await?;
            continue;
        }
        let started = t + Duration::hours(2);
        let jobs = production::start_production(tx, started, id, planner).await?;
        let done_count = match stage {
            Stage::Production(k) => k.min(jobs.len().saturating_sub(1)),
            Stage::ProductionWithFailure => 0,
            _ => jobs.len(),
        };
        let mut clock = started;
        for (k, job) in jobs.iter().enumerate() {
            let key = job_key(job.id);
            let printer = pick(&printers, next_printer % printers.len())?;
            next_printer += 1;
            if k < done_count {
                // Printed and finished in the past.
                let s = clock;
                let e = s + Duration::minutes(job.est_minutes);
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::complete_job(tx, e, job.id).await?;
                inventory::consume(tx, e, &key, job.material_id, job.grams).await?;
                equipment::add_print_minutes(tx, e, printer, job.est_minutes).await?;
                clock = e;
            } else if k == done_count && stage == Stage::ProductionWithFailure {
                // The first plate failed at 40 % and was requeued as a reprint.
                let s = clock;
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::report_progress(tx, s + Duration::minutes(job.est_minutes * 2 / 5), job.id, 40)
                    .await?;
                let f = s + Duration::minutes(job.est_minutes * 2 / 5);
                production::fail_job(tx, f, job.id, "spaghetti: part detached from the bed", 2).await?;
                inventory::record_partial_use(tx, f, &key, job.material_id, job.grams * 2 / 5).await?;
            } else if k == done_count && !busy.contains(&printer) {
                // Printing now.
                let s = now - Duration::minutes(job.est_minutes / 3);
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::report_progress(tx, now, job.id, 33).await?;
                equipment::set_status(tx, now, printer, PrinterStatus::Printing).await?;
                busy.push(printer);
            } else if k == done_count + 1 {
                // Planned for later today.
                let s = now + Duration::hours(2 + k as i64);
                production::schedule_job(tx, now, job.id, printer, s).await?;
                inventory::reserve(tx, now, &key, job.material_id, job.grams).await?;
            }
        }
        match stage {
            Stage::Shipped => {
                orders::ship(tx, clock + Duration::hours(4), id, planner).await?;
            }
            Stage::Delivered => {
                orders::ship(tx, clock + Duration::hours(4), id, planner).await?;
                orders::deliver(tx, clock + Duration::days(2), id, None).await?;
                if let Some((product, _)) = lines.first() {
                    catalog::add_review(
                        tx,
                        clock + Duration::days(3),
                        &NewReview {
                            product_id: pick(&farm.products, *product)?,
                            customer_id: pick(&farm.customers, customer)?,
                            rating: 5 - (n as i64 % 2),
                            body: "Arrived quickly and printed cleanly. Would order again.".into(),
                        },
                    )
                    .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
