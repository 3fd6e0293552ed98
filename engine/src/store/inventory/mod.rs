//! Inventory persistence: materials, spools, reservations and the stock ledger
//! (`materials`, `spools`, `reservations`, `stock_movements`).
//!
//! Every command that changes a material's stock first locks the material row (a no-op
//! `UPDATE … RETURNING`, which takes a row lock on PostgreSQL; SQLite transactions are already
//! serialised by `BEGIN IMMEDIATE`), then checks everything, then writes. A rejected command
//! writes nothing. See [`crate::domain::inventory`] for the rules (available stock, draw order,
//! movement signs, reservation life cycle).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::inventory::{
    InventoryError, Material, MaterialKind, MovementKind, NewMaterial, NewSpool, Reservation,
    ReservationState, Spool, StockLevel, StockMovement, nonnegative_grams, opt_text, positive_grams,
};
use crate::domain::types::{
    Currency, Grams, MaterialId, Money, ReservationId, SpoolId, from_millis, to_millis,
};
use crate::error::DomainError;

macro_rules! material_cols {
    () => {
        "id, code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, low_stock_grams, created_at"
    };
}
macro_rules! spool_cols {
    () => {
        "id, material_id, lot, location, initial_grams, remaining_grams, created_at"
    };
}
macro_rules! reservation_cols {
    () => {
        "id, material_id, job_key, grams, consumed_grams, state, created_at, updated_at"
    };
}
macro_rules! movement_cols {
    () => {
        "id, material_id, spool_id, kind, grams, job_key, note, created_at"
    };
}

fn rejected(e: InventoryError) -> StoreError {
    StoreError::Rejected(DomainError::Inventory(e))
}

fn grams(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<Grams> {
    let v: i64 = col(row, table, name)?;
    Grams::new(v).map_err(|e| StoreError::corrupt(table, e))
}

fn material_from_row(row: &AnyRow) -> StoreResult<Material> {
    const T: &str = "materials";
    let kind: String = col(row, T, "kind")?;
    let currency: String = col(row, T, "currency")?;
    Ok(Material {
        id: MaterialId(col(row, T, "id")?),
        code: col(row, T, "code")?,
        kind: MaterialKind::parse(&kind).map_err(|e| StoreError::corrupt(T, e))?,
        colour: col(row, T, "colour")?,
        diameter_um: col(row, T, "diameter_um")?,
        density_mg_cm3: col(row, T, "density_mg_cm3")?,
        price_per_kg: Money::new(
            col(row, T, "price_per_kg_minor")?,
            Currency::parse(&currency).map_err(|e| StoreError::corrupt(T, e))?,
        ),
        low_stock_grams: grams(row, T, "low_stock_grams")?,
        created_at: from_millis(col(row, T, "created_at")?),
    })
}

fn spool_from_row(row: &AnyRow) -> StoreResult<Spool> {
    const T: &str = "spools";
    Ok(Spool {
        id: SpoolId(col(row, T, "id")?),
        material_id: MaterialId(col(row, T, "material_id")?),
        lot: col(row, T, "lot")?,
        location: col(row, T, "location")?,
        initial_grams: grams(row, T, "initial_grams")?,
        remaining_grams: grams(row, T, "remaining_grams")?,
        created_at: from_millis(col(row, T, "created_at")?),
    })
}

fn reservation_from_row(row: &AnyRow) -> StoreResult<Reservation> {
    const T: &str = "reservations";
    let state: String = col(row, T, "state")?;
    Ok(Reservation {
        id: ReservationId(col(row, T, "id")?),
        material_id: MaterialId(col(row, T, "material_id")?),
        job_key: col(row, T, "job_key")?,
        grams: grams(row, T, "grams")?,
        consumed_grams: grams(row, T, "consumed_grams")?,
        state: ReservationState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(T, format!("state {state:?}")))?,
        created_at: from_millis(col(row, T, "created_at")?),
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

fn movement_from_row(row: &AnyRow) -> StoreResult<StockMovement> {
    const T: &str = "stock_movements";
    let kind: String = col(row, T, "kind")?;
    Ok(StockMovement {
        id: col(row, T, "id")?,
        material_id: MaterialId(col(row, T, "material_id")?),
        spool_id: col::<Option<i64>>(row, T, "spool_id")?.map(SpoolId),
        kind: MovementKind::parse(&kind).ok_or_else(|| StoreError::corrupt(T, format!("kind {kind:?}")))?,
        grams: col(row, T, "grams")?,
        job_key: col(row, T, "job_key")?,
        note: col(row, T, "note")?,
        created_at: from_millis(col(row, T, "created_at")?),
    })
}

// ---------------------------------------------------------------------------------------------
// Materials

/// Creates a material. Rejects invalid input and a taken code (`INVENTORY_CODE_TAKEN`).
pub async fn create_material(tx: &mut Tx, now: DateTime<Utc>, input: &NewMaterial) -> StoreResult<Material> {
    let m = input.validate().map_err(rejected)?;
    if material_by_code(&mut *tx, &m.code).await?.is_some() {
        return Err(rejected(InventoryError::CodeTaken(m.code)));
    }
    let res = sqlx::query(concat!(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, \
         low_stock_grams, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
        material_cols!()
    ))
    .bind(&m.code)
    .bind(m.kind.as_str())
    .bind(&m.colour)
    .bind(m.diameter_um)
    .bind(m.density_mg_cm3)
    .bind(m.price_per_kg.minor)
    .bind(m.price_per_kg.currency.as_str())
    .bind(m.low_stock_grams)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await;
    match res {
        Ok(row) => material_from_row(&row),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Err(rejected(InventoryError::CodeTaken(m.code)))
            } else {
                Err(e)
            }
        }
    }
}

/// A material by id (`NotFound` if absent).
pub async fn get_material(conn: &mut AnyConnection, id: MaterialId) -> StoreResult<Material> {
    let row = sqlx::query(concat!(
        "SELECT ",
        material_cols!(),
        " FROM materials WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("material", id))?;
    material_from_row(&row)
}

/// A material by its unique code (exact match, surrounding blanks ignored).
pub async fn material_by_code(conn: &mut AnyConnection, code: &str) -> StoreResult<Option<Material>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        material_cols!(),
        " FROM materials WHERE code = $1"
    ))
    .bind(code.trim())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(material_from_row).transpose()
}

/// All materials, by code.
pub async fn list_materials(conn: &mut AnyConnection) -> StoreResult<Vec<Material>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        material_cols!(),
        " FROM materials ORDER BY code"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(material_from_row).collect()
}

/// Locks the material row for the rest of the transaction and returns it (`NotFound` if absent).
async fn lock_material(tx: &mut Tx, id: MaterialId) -> StoreResult<Material> {
    let row = sqlx::query(concat!(
        "UPDATE materials SET low_stock_grams = low_stock_grams WHERE id = $1 RETURNING ",
        material_cols!()
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("material", id))?;
    material_from_row(&row)
}

/// Appends `stock.low` when a change took the material's available grams from above its
/// low-stock threshold to at or below it (`available <= low_stock_grams` is low).
async fn low_stock_crossed(
    tx: &mut Tx,
    now: DateTime<Utc>,
    m: &Material,
    before: i64,
    after: i64,
) -> StoreResult<()> {
    let threshold = m.low_stock_grams.get();
    if before > threshold && after <= threshold {
        let event = crate::domain::events::Event::StockLow(crate::domain::events::StockLowEvent {
            material_id: m.id.0,
            code: m.code.clone(),
            available_grams: after,
            threshold_grams: threshold,
        });
        super::events::append(tx, now, &event).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Spools and the ledger

/// One ledger row to append.
struct Movement<'a> {
    material_id: MaterialId,
    spool_id: SpoolId,
    kind: MovementKind,
    grams: i64,
    job_key: Option<&'a str>,
    note: Option<&'a str>,
}

async fn insert_movement(tx: &mut Tx, now: DateTime<Utc>, mv: Movement<'_>) -> StoreResult<StockMovement> {
    let row = sqlx::query(concat!(
        "INSERT INTO stock_movements (material_id, spool_id, kind, grams, job_key, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        movement_cols!()
    ))
    .bind(mv.material_id.0)
    .bind(mv.spool_id.0)
    .bind(mv.kind.as_str())
    .bind(mv.grams)
    .bind(mv.job_key)
    .bind(mv.note)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    movement_from_row(&row)
}

/// Receives a spool (or lot) at the material's current price per kg as its lot cost, bought on
/// account, and writes its `receipt` movement (`+grams`); see [`receive_spool_at`].
pub async fn receive_spool(tx: &mut Tx, now: DateTime<Utc>, input: &NewSpool) -> StoreResult<Spool> {
    receive_spool_at(tx, now, input, None, false).await
}

/// Receives a spool (or lot) at a lot cost per kg (`None`: the material's price per kg, in its
/// currency), paid in cash on receipt or bought on account, and writes its `receipt` movement
/// (`+grams`) and its `spool.received` event. Refuses a negative lot cost
/// (`INVENTORY_INVALID_FIELD`) and one in another currency than the material's price
/// (`FINANCE_CURRENCY_MISMATCH`), nothing written.
pub async fn receive_spool_at(
    tx: &mut Tx,
    now: DateTime<Utc>,
    input: &NewSpool,
    lot_cost: Option<Money>,
    paid_in_cash: bool,
) -> StoreResult<Spool> {
    let s = input.validate().map_err(rejected)?;
    let material = lock_material(tx, s.material_id).await?;
    let cost = match lot_cost {
        Some(c) => {
            crate::domain::finance::same_currency(material.price_per_kg.currency, c.currency)
                .map_err(crate::store::finance::rejected)?;
            c.minor
        }
        None => material.price_per_kg.minor,
    };
    if cost < 0 {
        return Err(rejected(InventoryError::InvalidField {
            field: "lot cost",
            reason: "must not be negative",
        }));
    }
    let row = sqlx::query(concat!(
        "INSERT INTO spools (material_id, lot, location, initial_grams, remaining_grams, created_at, \
         cost_per_kg_minor, cost_currency, paid) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING ",
        spool_cols!()
    ))
    .bind(s.material_id.0)
    .bind(s.lot.as_deref())
    .bind(s.location.as_deref())
    .bind(s.grams)
    .bind(to_millis(now))
    .bind(cost)
    .bind(material.price_per_kg.currency.as_str())
    .bind(if paid_in_cash { "cash" } else { "on_account" })
    .fetch_one(&mut **tx)
    .await?;
    let spool = spool_from_row(&row)?;
    let event = crate::domain::events::Event::SpoolReceived(crate::domain::events::SpoolReceivedEvent {
        spool_id: spool.id.0,
        material_id: spool.material_id.0,
        grams: s.grams,
        cost_per_kg_minor: cost,
        currency: material.price_per_kg.currency.to_string(),
        paid_in_cash,
    });
    super::events::append(tx, now, &event).await?;
    insert_movement(
        tx,
        now,
        Movement {
            material_id: spool.material_id,
            spool_id: spool.id,
            kind: MovementKind::Receipt,
            grams: s.grams,
            job_key: None,
            note: None,
        },
    )
    .await?;
    Ok(spool)
}

/// A spool by id (`NotFound` if absent).
pub async fn get_spool(conn: &mut AnyConnection, id: SpoolId) -> StoreResult<Spool> {
    let row = sqlx::query(concat!("SELECT ", spool_cols!(), " FROM spools WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("spool", id))?;
    spool_from_row(&row)
}

/// The spools of a material, by id (empty ones included).
pub async fn list_spools(conn: &mut AnyConnection, material_id: MaterialId) -> StoreResult<Vec<Spool>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        spool_cols!(),
        " FROM spools WHERE material_id = $1 ORDER BY id"
    ))
    .bind(material_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(spool_from_row).collect()
}

/// Records a physical count: sets the spool's remaining grams to `counted_grams` (`>= 0`) and
/// writes an `adjustment` movement with the signed difference. Returns `None` (and writes
/// nothing) when the count matches.
pub async fn adjust_spool(
    tx: &mut Tx,
    now: DateTime<Utc>,
    spool_id: SpoolId,
    counted_grams: i64,
    note: Option<&str>,
) -> StoreResult<Option<StockMovement>> {
    let counted = nonnegative_grams(counted_grams).map_err(rejected)?;
    let note = opt_text("note", note, 500).map_err(rejected)?;
    let spool = get_spool(&mut *tx, spool_id).await?;
    let material = lock_material(tx, spool.material_id).await?;
    let spool = get_spool(&mut *tx, spool_id).await?;
    let delta = counted.get() - spool.remaining_grams.get();
    if delta == 0 {
        return Ok(None);
    }
    let (on_hand, reserved) = on_hand_and_reserved(&mut *tx, spool.material_id).await?;
    low_stock_crossed(tx, now, &material, on_hand - reserved, on_hand - reserved + delta).await?;
    sqlx::query("UPDATE spools SET remaining_grams = $1 WHERE id = $2")
        .bind(counted.get())
        .bind(spool_id.0)
        .execute(&mut **tx)
        .await?;
    let m = insert_movement(
        tx,
        now,
        Movement {
            material_id: spool.material_id,
            spool_id,
            kind: MovementKind::Adjustment,
            grams: delta,
            job_key: None,
            note: note.as_deref(),
        },
    )
    .await?;
    stock_adjusted(tx, now, &m).await?;
    Ok(Some(m))
}

/// Scraps `grams` (`> 0`) of a spool, writing a `scrap` movement (`-grams`). Rejects more than
/// the spool holds (`SPOOL_INSUFFICIENT`).
pub async fn scrap_spool(
    tx: &mut Tx,
    now: DateTime<Utc>,
    spool_id: SpoolId,
    grams: i64,
    note: Option<&str>,
) -> StoreResult<StockMovement> {
    let g = positive_grams(grams).map_err(rejected)?;
    let note = opt_text("note", note, 500).map_err(rejected)?;
    let spool = get_spool(&mut *tx, spool_id).await?;
    let material = lock_material(tx, spool.material_id).await?;
    let spool = get_spool(&mut *tx, spool_id).await?;
    if g > spool.remaining_grams {
        return Err(rejected(InventoryError::SpoolInsufficient {
            spool_id,
            requested: g.get(),
            remaining: spool.remaining_grams.get(),
        }));
    }
    let (on_hand, reserved) = on_hand_and_reserved(&mut *tx, spool.material_id).await?;
    low_stock_crossed(
        tx,
        now,
        &material,
        on_hand - reserved,
        on_hand - reserved - g.get(),
    )
    .await?;
    sqlx::query("UPDATE spools SET remaining_grams = remaining_grams - $1 WHERE id = $2")
        .bind(g.get())
        .bind(spool_id.0)
        .execute(&mut **tx)
        .await?;
    let m = insert_movement(
        tx,
        now,
        Movement {
            material_id: spool.material_id,
            spool_id,
            kind: MovementKind::Scrap,
            grams: -g.get(),
            job_key: None,
            note: note.as_deref(),
        },
    )
    .await?;
    stock_adjusted(tx, now, &m).await?;
    Ok(m)
}

/// Appends `stock.adjusted` for a count or scrap movement (finance values it).
async fn stock_adjusted(tx: &mut Tx, now: DateTime<Utc>, m: &StockMovement) -> StoreResult<()> {
    let event = crate::domain::events::Event::StockAdjusted(crate::domain::events::StockAdjustedEvent {
        spool_id: m.spool_id.map_or(0, |s| s.0),
        material_id: m.material_id.0,
        kind: m.kind.as_str().to_string(),
        grams: m.grams,
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}

/// The ledger of one material (or of all materials with `None`), oldest first.
pub async fn list_movements(
    conn: &mut AnyConnection,
    material_id: Option<MaterialId>,
) -> StoreResult<Vec<StockMovement>> {
    let rows = match material_id {
        Some(m) => {
            sqlx::query(concat!(
                "SELECT ",
                movement_cols!(),
                " FROM stock_movements WHERE material_id = $1 ORDER BY id"
            ))
            .bind(m.0)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(concat!(
                "SELECT ",
                movement_cols!(),
                " FROM stock_movements ORDER BY id"
            ))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(movement_from_row).collect()
}

/// The movements written for one job key, oldest first.
pub async fn movements_for_job(conn: &mut AnyConnection, job_key: &str) -> StoreResult<Vec<StockMovement>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        movement_cols!(),
        " FROM stock_movements WHERE job_key = $1 ORDER BY id"
    ))
    .bind(job_key)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(movement_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Stock levels

async fn sum(conn: &mut AnyConnection, sql: &'static str, material_id: MaterialId) -> StoreResult<i64> {
    let row = sqlx::query(sql).bind(material_id.0).fetch_one(&mut *conn).await?;
    col(&row, "stock", "n")
}

async fn on_hand_and_reserved(conn: &mut AnyConnection, material_id: MaterialId) -> StoreResult<(i64, i64)> {
    let on_hand = sum(
        conn,
        "SELECT COALESCE(CAST(SUM(remaining_grams) AS BIGINT), 0) AS n FROM spools WHERE material_id = $1",
        material_id,
    )
    .await?;
    let reserved = sum(
        conn,
        "SELECT COALESCE(CAST(SUM(grams) AS BIGINT), 0) AS n FROM reservations \
         WHERE material_id = $1 AND state = 'held'",
        material_id,
    )
    .await?;
    Ok((on_hand, reserved))
}

/// The stock position of one material (`NotFound` if absent).
pub async fn stock_level(conn: &mut AnyConnection, material_id: MaterialId) -> StoreResult<StockLevel> {
    let m = get_material(conn, material_id).await?;
    let (on_hand, reserved) = on_hand_and_reserved(conn, material_id).await?;
    Ok(StockLevel::new(
        m.id,
        m.code,
        on_hand,
        reserved,
        m.low_stock_grams.get(),
    ))
}

/// The stock position of every material, by code.
pub async fn stock_summary(conn: &mut AnyConnection) -> StoreResult<Vec<StockLevel>> {
    let rows = sqlx::query(
        "SELECT m.id, m.code, m.low_stock_grams, \
           COALESCE((SELECT CAST(SUM(s.remaining_grams) AS BIGINT) FROM spools s WHERE s.material_id = m.id), 0) \
             AS on_hand, \
           COALESCE((SELECT CAST(SUM(r.grams) AS BIGINT) FROM reservations r \
             WHERE r.material_id = m.id AND r.state = 'held'), 0) AS reserved \
         FROM materials m ORDER BY m.code",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StockLevel::new(
                MaterialId(col(r, "materials", "id")?),
                col(r, "materials", "code")?,
                col(r, "materials", "on_hand")?,
                col(r, "materials", "reserved")?,
                col(r, "materials", "low_stock_grams")?,
            ))
        })
        .collect()
}

/// Materials whose available stock is at or below their threshold, by code.
pub async fn low_stock(conn: &mut AnyConnection) -> StoreResult<Vec<StockLevel>> {
    Ok(stock_summary(conn).await?.into_iter().filter(|s| s.low).collect())
}

mod reservations;
pub use reservations::{
    consume, get_reservation, held_reservations, record_partial_use, release, reservations_for_job, reserve,
};
