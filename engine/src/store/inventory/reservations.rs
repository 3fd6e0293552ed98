//! Reservations by opaque job key: reserve (with `stock.low` when availability crosses the
//! threshold), release, consume and partial use, settled against spools in the ledger.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::super::{StoreError, StoreResult, Tx, col};
use super::{
    Movement, grams, insert_movement, lock_material, low_stock_crossed, movements_for_job,
    on_hand_and_reserved, rejected, reservation_from_row,
};
use crate::domain::inventory::{
    Consumption, InventoryError, MovementKind, Reservation, ReservationState, check_available, check_resize,
    consumable_limit, nonnegative_grams, parse_job_key, plan_draw, positive_grams,
};
use crate::domain::types::{Grams, MaterialId, ReservationId, SpoolId, to_millis};

/// The reservation of a job key for a material, if any.
pub async fn get_reservation(
    conn: &mut AnyConnection,
    job_key: &str,
    material_id: MaterialId,
) -> StoreResult<Option<Reservation>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        reservation_cols!(),
        " FROM reservations WHERE job_key = $1 AND material_id = $2"
    ))
    .bind(job_key)
    .bind(material_id.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(reservation_from_row).transpose()
}

/// All reservations of a job key (any state), by id.
pub async fn reservations_for_job(conn: &mut AnyConnection, job_key: &str) -> StoreResult<Vec<Reservation>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        reservation_cols!(),
        " FROM reservations WHERE job_key = $1 ORDER BY id"
    ))
    .bind(job_key)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(reservation_from_row).collect()
}

/// Held reservations of a material, by id.
pub async fn held_reservations(
    conn: &mut AnyConnection,
    material_id: MaterialId,
) -> StoreResult<Vec<Reservation>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        reservation_cols!(),
        " FROM reservations WHERE material_id = $1 AND state = 'held' ORDER BY id"
    ))
    .bind(material_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(reservation_from_row).collect()
}

async fn update_reservation(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: ReservationId,
    state: ReservationState,
    grams: i64,
    consumed: i64,
) -> StoreResult<Reservation> {
    let row = sqlx::query(concat!(
        "UPDATE reservations SET state = $1, grams = $2, consumed_grams = $3, updated_at = $4 WHERE id = $5 \
         RETURNING ",
        reservation_cols!()
    ))
    .bind(state.as_str())
    .bind(grams)
    .bind(consumed)
    .bind(to_millis(now))
    .bind(id.0)
    .fetch_one(&mut **tx)
    .await?;
    reservation_from_row(&row)
}

/// Reserves `grams` (`> 0`) of a material for an opaque job key.
///
/// - No reservation yet: holds `grams` if available, else `STOCK_INSUFFICIENT`.
/// - A held reservation for the same key and material is **adjusted** to `grams` (the old
///   amount counts as available; shrinking is always allowed); the same amount again is a
///   no-op, so retries are idempotent.
/// - A released one is held again (`released → held`); a consumed one is final
///   (`RESERVATION_ILLEGAL_TRANSITION`).
///
/// Unknown material: `NotFound`.
pub async fn reserve(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job_key: &str,
    material_id: MaterialId,
    grams: i64,
) -> StoreResult<Reservation> {
    let key = parse_job_key(job_key).map_err(rejected)?;
    let g = positive_grams(grams).map_err(rejected)?;
    let material = lock_material(tx, material_id).await?;
    let existing = get_reservation(&mut *tx, &key, material_id).await?;
    let (on_hand, reserved) = on_hand_and_reserved(&mut *tx, material_id).await?;
    let available = on_hand - reserved;
    // The grams this reservation adds to what is held.
    let added = match &existing {
        Some(r) if r.state == ReservationState::Held => g.get() - r.grams.get(),
        _ => g.get(),
    };
    let held = match existing {
        None => {
            check_available(material_id, g, available).map_err(rejected)?;
            let row = sqlx::query(concat!(
                "INSERT INTO reservations (material_id, job_key, grams, consumed_grams, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, 0, 'held', $4, $4) RETURNING ",
                reservation_cols!()
            ))
            .bind(material_id.0)
            .bind(&key)
            .bind(g.get())
            .bind(to_millis(now))
            .fetch_one(&mut **tx)
            .await?;
            reservation_from_row(&row)
        }
        Some(r) if r.state == ReservationState::Held => {
            if r.grams == g {
                return Ok(r);
            }
            check_resize(material_id, r.grams, g, available).map_err(rejected)?;
            update_reservation(tx, now, r.id, ReservationState::Held, g.get(), 0).await
        }
        Some(r) => {
            let state = r.state.transition(ReservationState::Held).map_err(rejected)?;
            check_available(material_id, g, available).map_err(rejected)?;
            update_reservation(tx, now, r.id, state, g.get(), 0).await
        }
    }?;
    // Only a reservation that was made can cross the threshold (a refused one leaves no event
    // in a transaction the caller goes on with).
    if added > 0 {
        low_stock_crossed(tx, now, &material, available, available - added).await?;
    }
    Ok(held)
}

/// Releases every held reservation of a job key (idempotent); returns those released now.
pub async fn release(tx: &mut Tx, now: DateTime<Utc>, job_key: &str) -> StoreResult<Vec<Reservation>> {
    let key = parse_job_key(job_key).map_err(rejected)?;
    let mut materials: Vec<MaterialId> = reservations_for_job(&mut *tx, &key)
        .await?
        .into_iter()
        .filter(|r| r.state == ReservationState::Held)
        .map(|r| r.material_id)
        .collect();
    // Lock in material order (no deadlock with other multi-material transactions), then re-read:
    // a concurrent command may have settled the reservation meanwhile.
    materials.sort();
    let mut out = Vec::with_capacity(materials.len());
    for m in materials {
        lock_material(tx, m).await?;
        if let Some(r) = get_reservation(&mut *tx, &key, m).await?
            && r.state == ReservationState::Held
        {
            out.push(update_reservation(tx, now, r.id, ReservationState::Released, r.grams.get(), 0).await?);
        }
    }
    Ok(out)
}

/// Consumes `grams` (`> 0`, the actual use) for a job key's held reservation of a material:
/// draws from spools (emptiest first, then oldest; possibly several), writes one
/// `consumption` movement per spool and marks the reservation consumed.
///
/// The actual use may differ from the reserved amount but must fit into the reservation plus
/// the unreserved stock, and into what is on hand (`STOCK_INSUFFICIENT`; see
/// [`consumable_limit`]). Idempotent: consuming an already consumed
/// reservation writes nothing and returns the recorded outcome (`replayed = true`).
/// A missing reservation is `RESERVATION_NOT_FOUND`; a released one
/// `RESERVATION_ILLEGAL_TRANSITION`.
pub async fn consume(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job_key: &str,
    material_id: MaterialId,
    grams: i64,
) -> StoreResult<Consumption> {
    let g = positive_grams(grams).map_err(rejected)?;
    settle(tx, now, job_key, material_id, g).await
}

/// Records partial use for a failed print: consumes `used_grams` (`>= 0`) like [`consume`]
/// and releases the rest of the reservation. With `0` the reservation is simply released.
/// Idempotent like [`consume`].
pub async fn record_partial_use(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job_key: &str,
    material_id: MaterialId,
    used_grams: i64,
) -> StoreResult<Consumption> {
    let g = nonnegative_grams(used_grams).map_err(rejected)?;
    settle(tx, now, job_key, material_id, g).await
}

async fn settle(
    tx: &mut Tx,
    now: DateTime<Utc>,
    job_key: &str,
    material_id: MaterialId,
    used: Grams,
) -> StoreResult<Consumption> {
    let key = parse_job_key(job_key).map_err(rejected)?;
    lock_material(tx, material_id).await?;
    let r = get_reservation(&mut *tx, &key, material_id)
        .await?
        .ok_or_else(|| {
            rejected(InventoryError::ReservationNotFound {
                job_key: key.clone(),
                material_id,
            })
        })?;
    match r.state {
        ReservationState::Held => {}
        ReservationState::Consumed => return replay(tx, r).await,
        ReservationState::Released if used == Grams::ZERO => return replay(tx, r).await,
        ReservationState::Released => {
            return Err(rejected(InventoryError::IllegalTransition {
                from: ReservationState::Released,
                to: ReservationState::Consumed,
            }));
        }
    }
    if used == Grams::ZERO {
        let reservation =
            update_reservation(tx, now, r.id, ReservationState::Released, r.grams.get(), 0).await?;
        return Ok(Consumption {
            reservation,
            movements: Vec::new(),
            replayed: false,
        });
    }
    let (on_hand, reserved) = on_hand_and_reserved(&mut *tx, material_id).await?;
    let limit = consumable_limit(on_hand, reserved, r.grams.get());
    check_available(material_id, used, limit).map_err(rejected)?;
    let rows =
        sqlx::query("SELECT id, remaining_grams FROM spools WHERE material_id = $1 AND remaining_grams > 0")
            .bind(material_id.0)
            .fetch_all(&mut **tx)
            .await?;
    let spools = rows
        .iter()
        .map(|row| {
            Ok((
                SpoolId(col(row, "spools", "id")?),
                grams(row, "spools", "remaining_grams")?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let plan = plan_draw(material_id, &spools, used).map_err(rejected)?;
    let mut movements = Vec::with_capacity(plan.len());
    for (spool_id, take) in plan {
        let done = sqlx::query(
            "UPDATE spools SET remaining_grams = remaining_grams - $1 WHERE id = $2 AND remaining_grams >= $1",
        )
        .bind(take.get())
        .bind(spool_id.0)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "spool {spool_id} changed concurrently"
            )));
        }
        movements.push(
            insert_movement(
                tx,
                now,
                Movement {
                    material_id,
                    spool_id,
                    kind: MovementKind::Consumption,
                    grams: -take.get(),
                    job_key: Some(&key),
                    note: None,
                },
            )
            .await?,
        );
    }
    let reservation = update_reservation(
        tx,
        now,
        r.id,
        ReservationState::Consumed,
        r.grams.get(),
        used.get(),
    )
    .await?;
    Ok(Consumption {
        reservation,
        movements,
        replayed: false,
    })
}

async fn replay(tx: &mut Tx, reservation: Reservation) -> StoreResult<Consumption> {
    let movements = movements_for_job(&mut *tx, &reservation.job_key)
        .await?
        .into_iter()
        .filter(|m| m.material_id == reservation.material_id && m.kind == MovementKind::Consumption)
        .collect();
    Ok(Consumption {
        reservation,
        movements,
        replayed: true,
    })
}
