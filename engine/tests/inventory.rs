//! Inventory persistence: materials, spools, reservations, consumption and the ledger.

// Test helpers outside #[test] fns may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::{code, t0};
use gantry_engine::ErrorKind;
use gantry_engine::domain::inventory::{MaterialKind, MovementKind, NewMaterial, NewSpool, ReservationState};
use gantry_engine::domain::types::{Currency, Grams, MaterialId, Money, SpoolId};
use gantry_engine::error::Coded;
use gantry_engine::store::{Db, inventory};

fn pla(code: &str) -> NewMaterial {
    NewMaterial {
        code: code.into(),
        kind: MaterialKind::Pla,
        colour: "black".into(),
        diameter_um: 1750,
        density_mg_cm3: 1240,
        price_per_kg: Money::new(2500, Currency::EUR),
        low_stock_grams: 500,
    }
}

async fn material(db: &Db, code: &str) -> MaterialId {
    let mut tx = db.begin().await.unwrap();
    let m = inventory::create_material(&mut tx, t0(), &pla(code))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    m.id
}

async fn spool(db: &Db, material_id: MaterialId, grams: i64, minutes: i64) -> SpoolId {
    let mut tx = db.begin().await.unwrap();
    let s = inventory::receive_spool(
        &mut tx,
        t0() + Duration::minutes(minutes),
        &NewSpool {
            material_id,
            grams,
            lot: Some("L1".into()),
            location: Some("A1".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    s.id
}

/// Everything inventory writes, as text: spools, reservations, the ledger.
async fn dump(db: &Db) -> String {
    let mut conn = db.pool().acquire().await.unwrap();
    let mut out = String::new();
    for m in inventory::list_materials(&mut conn).await.unwrap() {
        out.push_str(&format!("material {} {}\n", m.id, m.code));
        for s in inventory::list_spools(&mut conn, m.id).await.unwrap() {
            out.push_str(&format!(
                "  spool {} {}/{}\n",
                s.id,
                s.remaining_grams.get(),
                s.initial_grams.get()
            ));
        }
    }
    for mv in inventory::list_movements(&mut conn, None).await.unwrap() {
        out.push_str(&format!(
            "move {:?} {:?} {} {:?}\n",
            mv.spool_id, mv.kind, mv.grams, mv.job_key
        ));
    }
    for key in ["job-1", "job-2", "job-3"] {
        for r in inventory::reservations_for_job(&mut conn, key).await.unwrap() {
            out.push_str(&format!(
                "res {key} {} {} {} {}\n",
                r.material_id,
                r.grams.get(),
                r.consumed_grams.get(),
                r.state
            ));
        }
    }
    out
}

/// The ledger explains every spool: initial receipt plus movements equals remaining.
async fn assert_ledger_balances(db: &Db) {
    let mut conn = db.pool().acquire().await.unwrap();
    let moves = inventory::list_movements(&mut conn, None).await.unwrap();
    for m in inventory::list_materials(&mut conn).await.unwrap() {
        for s in inventory::list_spools(&mut conn, m.id).await.unwrap() {
            let sum: i64 = moves
                .iter()
                .filter(|mv| mv.spool_id == Some(s.id))
                .map(|mv| mv.grams)
                .sum();
            assert_eq!(sum, s.remaining_grams.get(), "spool {}", s.id);
        }
    }
}

async fn level(db: &Db, m: MaterialId) -> (i64, i64, i64) {
    let mut conn = db.pool().acquire().await.unwrap();
    let l = inventory::stock_level(&mut conn, m).await.unwrap();
    (l.on_hand, l.reserved, l.available)
}

gantry_engine::db_test!(materials_are_created_and_found, |db| {
    let id = material(db, "PLA-black-1.75").await;
    let mut conn = db.pool().acquire().await.unwrap();
    let m = inventory::material_by_code(&mut conn, "PLA-black-1.75")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.id, m.kind, m.price_per_kg),
        (id, MaterialKind::Pla, Money::new(2500, Currency::EUR))
    );
    assert_eq!(m.low_stock_grams, Grams::new(500).unwrap());
    assert_eq!(inventory::get_material(&mut conn, id).await.unwrap(), m);
    assert!(
        inventory::material_by_code(&mut conn, "PLA-white-1.75")
            .await
            .unwrap()
            .is_none()
    );
    drop(conn);

    // Duplicate code and invalid input: rejected, nothing written.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = inventory::create_material(&mut tx, t0(), &pla(" PLA-black-1.75 "))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_CODE_TAKEN", ErrorKind::Conflict));
    let e = inventory::create_material(
        &mut tx,
        t0(),
        &NewMaterial {
            diameter_um: 0,
            ..pla("X")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_FIELD", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
    assert_eq!(
        gantry_engine::store::count_rows(db, "materials").await.unwrap(),
        1
    );

    let mut conn = db.pool().acquire().await.unwrap();
    let e = inventory::get_material(&mut conn, MaterialId(999))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
});

gantry_engine::db_test!(receipts_write_the_ledger_and_levels, |db| {
    let m = material(db, "PLA-black-1.75").await;
    let s1 = spool(db, m, 1000, 0).await;
    spool(db, m, 750, 1).await;
    assert_eq!(level(db, m).await, (1750, 0, 1750));
    let mut conn = db.pool().acquire().await.unwrap();
    let moves = inventory::list_movements(&mut conn, Some(m)).await.unwrap();
    let shown: Vec<(MovementKind, i64)> = moves.iter().map(|mv| (mv.kind, mv.grams)).collect();
    assert_eq!(
        shown,
        vec![(MovementKind::Receipt, 1000), (MovementKind::Receipt, 750)]
    );
    assert_eq!(moves[0].spool_id, Some(s1));
    let s = inventory::get_spool(&mut conn, s1).await.unwrap();
    assert_eq!(
        (s.lot.as_deref(), s.location.as_deref(), s.remaining_grams.get()),
        (Some("L1"), Some("A1"), 1000)
    );
    drop(conn);

    // Bad receipts: zero/negative grams, unknown material. Nothing written.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    for g in [0, -5] {
        let e = inventory::receive_spool(
            &mut tx,
            t0(),
            &NewSpool {
                material_id: m,
                grams: g,
                lot: None,
                location: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    }
    let e = inventory::receive_spool(
        &mut tx,
        t0(),
        &NewSpool {
            material_id: MaterialId(77),
            grams: 10,
            lot: None,
            location: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
    assert_ledger_balances(db).await;
});

gantry_engine::db_test!(reservations_respect_available_stock, |db| {
    let m = material(db, "PLA-black-1.75").await;
    spool(db, m, 1000, 0).await;

    let mut tx = db.begin().await.unwrap();
    let r = inventory::reserve(&mut tx, t0(), "job-1", m, 600).await.unwrap();
    assert_eq!((r.state, r.grams.get()), (ReservationState::Held, 600));
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (1000, 600, 400));

    // Same key and amount again: no-op, same reservation.
    let mut tx = db.begin().await.unwrap();
    let again = inventory::reserve(&mut tx, t0() + Duration::minutes(5), "job-1", m, 600)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, r);

    // Beyond available, bad grams, bad key, unknown material: rejected, nothing written.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = inventory::reserve(&mut tx, t0(), "job-2", m, 401)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    let e = inventory::reserve(&mut tx, t0(), "job-1", m, 1001)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    for g in [0, -1] {
        let e = inventory::reserve(&mut tx, t0(), "job-2", m, g)
            .await
            .unwrap_err();
        assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    }
    let e = inventory::reserve(&mut tx, t0(), " ", m, 1).await.unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_JOB_KEY", ErrorKind::Validation));
    let e = inventory::reserve(&mut tx, t0(), "job-2", MaterialId(404), 1)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
    assert_eq!(level(db, m).await, (1000, 600, 400));

    // Adjusting a held reservation: its own grams count as available.
    let mut tx = db.begin().await.unwrap();
    let r2 = inventory::reserve(&mut tx, t0(), "job-1", m, 1000).await.unwrap();
    assert_eq!((r2.id, r2.grams.get()), (r.id, 1000));
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (1000, 1000, 0));
    let mut tx = db.begin().await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-1", m, 300).await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-2", m, 700).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (1000, 1000, 0));
    assert_eq!(
        gantry_engine::store::count_rows(db, "reservations")
            .await
            .unwrap(),
        2
    );
    // Reservations never touch spools.
    assert_eq!(
        gantry_engine::store::count_rows(db, "stock_movements")
            .await
            .unwrap(),
        1
    );
});

gantry_engine::db_test!(consumption_draws_emptiest_first_and_is_idempotent, |db| {
    let m = material(db, "PLA-black-1.75").await;
    let big = spool(db, m, 1000, 0).await;
    let small = spool(db, m, 200, 1).await;
    let small2 = spool(db, m, 200, 2).await;
    let mut tx = db.begin().await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-1", m, 450).await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-2", m, 500).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (1400, 950, 450));

    // Actual use 500 (more than reserved, within reservation + available).
    let mut tx = db.begin().await.unwrap();
    let c = inventory::consume(&mut tx, t0() + Duration::hours(1), "job-1", m, 500)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!c.replayed);
    assert_eq!(
        (c.reservation.state, c.reservation.consumed_grams.get()),
        (ReservationState::Consumed, 500)
    );
    let drawn: Vec<(Option<SpoolId>, i64)> = c.movements.iter().map(|mv| (mv.spool_id, mv.grams)).collect();
    assert_eq!(
        drawn,
        vec![(Some(small), -200), (Some(small2), -200), (Some(big), -100)]
    );
    assert!(
        c.movements
            .iter()
            .all(|mv| mv.kind == MovementKind::Consumption && mv.job_key.as_deref() == Some("job-1"))
    );
    assert_eq!(level(db, m).await, (900, 500, 400));

    // Consuming again: nothing more is drawn, same outcome reported.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let again = inventory::consume(&mut tx, t0() + Duration::hours(2), "job-1", m, 500)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.reservation, c.reservation);
    assert_eq!(again.movements, c.movements);
    assert_eq!(dump(db).await, before);

    // Rejections leave everything as it was.
    let mut tx = db.begin().await.unwrap();
    // job-2 holds 500, available is 400: at most 900.
    let e = inventory::consume(&mut tx, t0(), "job-2", m, 901)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    let e = inventory::consume(&mut tx, t0(), "job-3", m, 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("RESERVATION_NOT_FOUND", ErrorKind::NotFound));
    let e = inventory::consume(&mut tx, t0(), "job-2", m, 0)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    let e = inventory::consume(&mut tx, t0(), "job-2", MaterialId(9), 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // The whole remaining stock can be consumed, never more.
    let mut tx = db.begin().await.unwrap();
    inventory::consume(&mut tx, t0(), "job-2", m, 900).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (0, 0, 0));
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(
        inventory::list_spools(&mut conn, m)
            .await
            .unwrap()
            .iter()
            .all(|s| s.remaining_grams == Grams::ZERO)
    );
    assert_eq!(
        inventory::movements_for_job(&mut conn, "job-2")
            .await
            .unwrap()
            .len(),
        1
    );
    drop(conn);
    assert_ledger_balances(db).await;
});

gantry_engine::db_test!(release_and_partial_use, |db| {
    let m = material(db, "PETG-blue-1.75").await;
    let other = material(db, "PLA-black-1.75").await;
    spool(db, m, 1000, 0).await;
    spool(db, other, 1000, 0).await;
    let mut tx = db.begin().await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-1", m, 400).await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-1", other, 100)
        .await
        .unwrap();
    inventory::reserve(&mut tx, t0(), "job-2", m, 500).await.unwrap();
    tx.commit().await.unwrap();

    // Release frees every held reservation of the key; a second release is a no-op.
    let mut tx = db.begin().await.unwrap();
    let released = inventory::release(&mut tx, t0(), "job-1").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(released.len(), 2);
    assert!(released.iter().all(|r| r.state == ReservationState::Released));
    assert_eq!(level(db, m).await, (1000, 500, 500));
    assert_eq!(level(db, other).await, (1000, 0, 1000));
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    assert!(
        inventory::release(&mut tx, t0(), "job-1")
            .await
            .unwrap()
            .is_empty()
    );
    // Consuming a released reservation is illegal; partial use of 0 is a replay.
    let e = inventory::consume(&mut tx, t0(), "job-1", m, 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("RESERVATION_ILLEGAL_TRANSITION", ErrorKind::Conflict));
    let replay = inventory::record_partial_use(&mut tx, t0(), "job-1", m, 0)
        .await
        .unwrap();
    assert!(replay.replayed && replay.movements.is_empty());
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // A released reservation can be held again under the same key.
    let mut tx = db.begin().await.unwrap();
    let r = inventory::reserve(&mut tx, t0(), "job-1", m, 200).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((r.state, r.grams.get()), (ReservationState::Held, 200));
    assert_eq!(level(db, m).await, (1000, 700, 300));

    // Failed print: 120 g used, the rest of job-2's 500 g freed.
    let mut tx = db.begin().await.unwrap();
    let c = inventory::record_partial_use(&mut tx, t0(), "job-2", m, 120)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (
            c.reservation.state,
            c.reservation.grams.get(),
            c.reservation.consumed_grams.get()
        ),
        (ReservationState::Consumed, 500, 120)
    );
    assert_eq!(c.movements.iter().map(|mv| mv.grams).sum::<i64>(), -120);
    assert_eq!(level(db, m).await, (880, 200, 680));
    // Replayed partial use draws nothing more; a consumed reservation cannot be re-reserved.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    assert!(
        inventory::record_partial_use(&mut tx, t0(), "job-2", m, 300)
            .await
            .unwrap()
            .replayed
    );
    let e = inventory::reserve(&mut tx, t0(), "job-2", m, 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("RESERVATION_ILLEGAL_TRANSITION", ErrorKind::Conflict));
    let e = inventory::record_partial_use(&mut tx, t0(), "job-1", m, -1)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // Partial use of 0 on a held reservation just releases it.
    let mut tx = db.begin().await.unwrap();
    let c = inventory::record_partial_use(&mut tx, t0(), "job-1", m, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (c.reservation.state, c.movements.len(), c.replayed),
        (ReservationState::Released, 0, false)
    );
    assert_eq!(level(db, m).await, (880, 0, 880));
    assert_ledger_balances(db).await;
});

gantry_engine::db_test!(adjust_scrap_and_low_stock, |db| {
    let m = material(db, "PLA-black-1.75").await; // threshold 500
    let s = spool(db, m, 1000, 0).await;
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(inventory::low_stock(&mut conn).await.unwrap().is_empty());
    drop(conn);

    let mut tx = db.begin().await.unwrap();
    let mv = inventory::adjust_spool(&mut tx, t0(), s, 940, Some("weighed"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (mv.kind, mv.grams, mv.note.as_deref()),
        (MovementKind::Adjustment, -60, Some("weighed"))
    );
    assert!(
        inventory::adjust_spool(&mut tx, t0(), s, 940, None)
            .await
            .unwrap()
            .is_none()
    );
    let mv = inventory::adjust_spool(&mut tx, t0(), s, 960, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mv.grams, 20);
    let mv = inventory::scrap_spool(&mut tx, t0(), s, 400, Some("wet"))
        .await
        .unwrap();
    assert_eq!((mv.kind, mv.grams), (MovementKind::Scrap, -400));
    inventory::reserve(&mut tx, t0(), "job-1", m, 100).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (560, 100, 460));

    let mut conn = db.pool().acquire().await.unwrap();
    let low = inventory::low_stock(&mut conn).await.unwrap();
    assert_eq!(low.len(), 1);
    assert_eq!((low[0].material_id, low[0].available, low[0].low), (m, 460, true));
    let summary = inventory::stock_summary(&mut conn).await.unwrap();
    assert_eq!(summary, low);
    drop(conn);

    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = inventory::scrap_spool(&mut tx, t0(), s, 561, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("SPOOL_INSUFFICIENT", ErrorKind::Conflict));
    let e = inventory::scrap_spool(&mut tx, t0(), s, 0, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    let e = inventory::adjust_spool(&mut tx, t0(), s, -1, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("INVENTORY_INVALID_GRAMS", ErrorKind::Validation));
    let e = inventory::adjust_spool(&mut tx, t0(), SpoolId(999), 5, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // A count down to zero: stock never negative, but the reservation is now uncovered.
    let mut tx = db.begin().await.unwrap();
    inventory::adjust_spool(&mut tx, t0(), s, 0, None).await.unwrap();
    let e = inventory::reserve(&mut tx, t0(), "job-2", m, 1)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    tx.commit().await.unwrap();
    assert_eq!(level(db, m).await, (0, 100, -100));

    // Shrinking an uncovered reservation is allowed; growing it is not.
    let mut tx = db.begin().await.unwrap();
    inventory::reserve(&mut tx, t0(), "job-1", m, 50).await.unwrap();
    let e = inventory::reserve(&mut tx, t0(), "job-1", m, 51)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    tx.commit().await.unwrap();
    // 30 g arrive: the job may consume what is physically there, no more.
    spool(db, m, 30, 5).await;
    assert_eq!(level(db, m).await, (30, 50, -20));
    let mut tx = db.begin().await.unwrap();
    let e = inventory::consume(&mut tx, t0(), "job-1", m, 31)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("STOCK_INSUFFICIENT", ErrorKind::Conflict));
    let c = inventory::consume(&mut tx, t0(), "job-1", m, 30).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(c.movements.len(), 1);
    assert_eq!(level(db, m).await, (0, 0, 0));
    assert_ledger_balances(db).await;
});

gantry_engine::db_test!(concurrent_commands_never_oversell_or_double_consume, |db| {
    let m = material(db, "PLA-black-1.75").await;
    spool(db, m, 1000, 0).await;

    // Four transactions race to reserve 400 g each of 1000 g: exactly two win.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let res = inventory::reserve(&mut tx, t0(), &format!("race-{i}"), m, 400).await;
            // Keep the transaction open a little so the others overlap with it.
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            match res {
                Ok(_) => {
                    tx.commit().await.unwrap();
                    true
                }
                Err(e) => {
                    assert_eq!(e.code(), "STOCK_INSUFFICIENT");
                    false
                }
            }
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 2);
    assert_eq!(level(db, m).await, (1000, 800, 200));

    // Two transactions consume the same reservation at once: it is drawn once.
    let mut conn = db.pool().acquire().await.unwrap();
    let key = inventory::held_reservations(&mut conn, m).await.unwrap()[0]
        .job_key
        .clone();
    drop(conn);
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (db, key) = (db.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let c = inventory::consume(&mut tx, t0(), &key, m, 400).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            tx.commit().await.unwrap();
            c.replayed
        }));
    }
    let mut replays = 0;
    for t in tasks {
        replays += usize::from(t.await.unwrap());
    }
    assert_eq!(replays, 1);
    assert_eq!(level(db, m).await, (600, 400, 200));
    assert_ledger_balances(db).await;
});
