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

use chrono::{DateTime, Utc};

use crate::domain::types::{CustomerId, MaterialId, PrinterId, ProductId, UserId};
use crate::store::{Db, StoreResult, Tx, count_rows, meta};

mod data;
mod master;
mod stages;

use master::build_master_data;
use stages::build_orders;

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
