//! Use cases of `inventory`: materials, spools, stock levels, movements and reservations (by
//! job key).

use chrono::{DateTime, Utc};
use gantry_engine::domain::inventory::{
    Consumption, Material, MovementKind, NewMaterial, NewSpool, Reservation, Spool, StockLevel, StockMovement,
};
use gantry_engine::domain::types::{MaterialId, Money, SpoolId};
use gantry_engine::store::inventory;

use crate::{AppResult, Db, commit, conn};

/// Every material.
pub async fn materials(db: &Db) -> AppResult<Vec<Material>> {
    let mut c = conn(db).await?;
    Ok(inventory::list_materials(&mut c).await?)
}

/// One material.
pub async fn material(db: &Db, id: MaterialId) -> AppResult<Material> {
    let mut c = conn(db).await?;
    Ok(inventory::get_material(&mut c, id).await?)
}

/// On hand, reserved and available grams of every material.
pub async fn stock_levels(db: &Db) -> AppResult<Vec<StockLevel>> {
    let mut c = conn(db).await?;
    Ok(inventory::stock_summary(&mut c).await?)
}

/// Materials at or below their low-stock threshold.
pub async fn low_stock(db: &Db) -> AppResult<Vec<StockLevel>> {
    let mut c = conn(db).await?;
    Ok(inventory::low_stock(&mut c).await?)
}

/// The spools of a material.
pub async fn spools(db: &Db, material: MaterialId) -> AppResult<Vec<Spool>> {
    let mut c = conn(db).await?;
    Ok(inventory::list_spools(&mut c, material).await?)
}

/// Stock movements (oldest first), optionally of one material and of one kind.
pub async fn movements(
    db: &Db,
    material: Option<MaterialId>,
    kind: Option<MovementKind>,
) -> AppResult<Vec<StockMovement>> {
    let mut c = conn(db).await?;
    let mut all = inventory::list_movements(&mut c, material).await?;
    if let Some(k) = kind {
        all.retain(|m| m.kind == k);
    }
    Ok(all)
}

/// Every reservation of a job key.
pub async fn reservations_for_job(db: &Db, job_key: &str) -> AppResult<Vec<Reservation>> {
    let mut c = conn(db).await?;
    Ok(inventory::reservations_for_job(&mut c, job_key).await?)
}

/// The held reservations of a material.
pub async fn held_reservations(db: &Db, material: MaterialId) -> AppResult<Vec<Reservation>> {
    let mut c = conn(db).await?;
    Ok(inventory::held_reservations(&mut c, material).await?)
}

/// Creates a material.
pub async fn create_material(db: &Db, now: DateTime<Utc>, new: &NewMaterial) -> AppResult<Material> {
    let mut tx = db.begin().await?;
    let m = inventory::create_material(&mut tx, now, new).await?;
    commit(tx).await?;
    Ok(m)
}

/// Receives a spool into stock (a receipt movement) at a lot cost per kg (`None`: the
/// material's price), paid in cash on receipt or bought on account (what the ledger credits).
pub async fn receive_spool(
    db: &Db,
    now: DateTime<Utc>,
    new: &NewSpool,
    lot_cost: Option<Money>,
    paid_in_cash: bool,
) -> AppResult<Spool> {
    let mut tx = db.begin().await?;
    let s = inventory::receive_spool_at(&mut tx, now, new, lot_cost, paid_in_cash).await?;
    commit(tx).await?;
    Ok(s)
}

/// Sets a spool to a counted weight; the adjustment, or `None` when nothing changed.
pub async fn adjust_spool(
    db: &Db,
    now: DateTime<Utc>,
    spool: SpoolId,
    counted_grams: i64,
    note: Option<&str>,
) -> AppResult<Option<StockMovement>> {
    let mut tx = db.begin().await?;
    let m = inventory::adjust_spool(&mut tx, now, spool, counted_grams, note).await?;
    commit(tx).await?;
    Ok(m)
}

/// Scraps grams of a spool.
pub async fn scrap_spool(
    db: &Db,
    now: DateTime<Utc>,
    spool: SpoolId,
    grams: i64,
    note: Option<&str>,
) -> AppResult<StockMovement> {
    let mut tx = db.begin().await?;
    let m = inventory::scrap_spool(&mut tx, now, spool, grams, note).await?;
    commit(tx).await?;
    Ok(m)
}

/// Holds grams of a material for a job key.
pub async fn reserve(
    db: &Db,
    now: DateTime<Utc>,
    job_key: &str,
    material: MaterialId,
    grams: i64,
) -> AppResult<Reservation> {
    let mut tx = db.begin().await?;
    let r = inventory::reserve(&mut tx, now, job_key, material, grams).await?;
    commit(tx).await?;
    Ok(r)
}

/// Releases every held reservation of a job key.
pub async fn release(db: &Db, now: DateTime<Utc>, job_key: &str) -> AppResult<Vec<Reservation>> {
    let mut tx = db.begin().await?;
    let r = inventory::release(&mut tx, now, job_key).await?;
    commit(tx).await?;
    Ok(r)
}

/// Consumes grams of a material for a job key (a retry of a recorded consumption replays it).
pub async fn consume(
    db: &Db,
    now: DateTime<Utc>,
    job_key: &str,
    material: MaterialId,
    grams: i64,
) -> AppResult<Consumption> {
    let mut tx = db.begin().await?;
    let c = inventory::consume(&mut tx, now, job_key, material, grams).await?;
    commit(tx).await?;
    Ok(c)
}
