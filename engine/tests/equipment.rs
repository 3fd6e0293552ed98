//! Equipment persistence: printers, status, loaded material, print minutes, maintenance.

// Test helpers outside #[test] fns may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::{code, t0};
use gantry_engine::ErrorKind;
use gantry_engine::domain::equipment::{
    Dimensions, NewMaintenancePlan, NewPrinter, Printer, PrinterStatus, Technology, WindowState,
};
use gantry_engine::domain::inventory::{MaterialKind, NewMaterial};
use gantry_engine::domain::types::{
    Currency, MaintenancePlanId, MaintenanceWindowId, MaterialId, Money, PrinterId, UserId, from_millis,
};
use gantry_engine::domain::users::{NewUser, Role};
use gantry_engine::store::{Db, StoreError, count_rows, equipment, inventory, users};

fn fdm(name: &str) -> NewPrinter {
    NewPrinter {
        name: name.into(),
        model: "Prusa MK4".into(),
        technology: Technology::Fdm,
        build_volume: Dimensions::new(250, 210, 220),
        nozzle_um: 400,
        materials: vec![MaterialKind::Petg, MaterialKind::Pla],
        speed_factor_pct: 100,
        hourly_cost: Money::new(180, Currency::EUR),
    }
}

async fn printer(db: &Db, p: NewPrinter) -> Printer {
    let mut tx = db.begin().await.unwrap();
    let p = equipment::create_printer(&mut tx, t0(), &p).await.unwrap();
    tx.commit().await.unwrap();
    p
}

async fn material(db: &Db, code: &str, kind: MaterialKind) -> MaterialId {
    let mut tx = db.begin().await.unwrap();
    let m = inventory::create_material(
        &mut tx,
        t0(),
        &NewMaterial {
            code: code.into(),
            kind,
            colour: "grey".into(),
            diameter_um: 1750,
            density_mg_cm3: 1200,
            price_per_kg: Money::new(3000, Currency::EUR),
            low_stock_grams: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    m.id
}

async fn get(db: &Db, id: PrinterId) -> Printer {
    let mut conn = db.pool().acquire().await.unwrap();
    equipment::get_printer(&mut conn, id).await.unwrap()
}

/// Everything equipment writes, as text.
async fn dump(db: &Db) -> String {
    let mut conn = db.pool().acquire().await.unwrap();
    let mut out = String::new();
    for p in equipment::list_printers(&mut conn).await.unwrap() {
        out.push_str(&format!(
            "printer {} {} {} {:?} {:?} {}\n",
            p.id, p.name, p.status, p.materials, p.loaded_material_id, p.print_minutes_total
        ));
        for plan in equipment::list_plans(&mut conn, p.id).await.unwrap() {
            out.push_str(&format!("  plan {plan:?}\n"));
        }
        for w in equipment::list_windows(&mut conn, p.id, from_millis(0), from_millis(i64::MAX / 4))
            .await
            .unwrap()
        {
            out.push_str(&format!("  window {w:?}\n"));
        }
        for l in equipment::maintenance_log(&mut conn, p.id).await.unwrap() {
            out.push_str(&format!("  log {l:?}\n"));
        }
    }
    out.push_str(&format!(
        "printer_materials {}\n",
        count_rows(db, "printer_materials").await.unwrap()
    ));
    out
}

gantry_engine::db_test!(printers_are_created_and_found, |db| {
    let a = printer(db, fdm(" mk4-01 ")).await;
    let b = printer(
        db,
        NewPrinter {
            name: "form-01".into(),
            technology: Technology::Sla,
            materials: vec![MaterialKind::Resin],
            build_volume: Dimensions::new(145, 145, 185),
            ..fdm("x")
        },
    )
    .await;
    assert_eq!(
        (a.name.as_str(), a.status, a.print_minutes_total),
        ("mk4-01", PrinterStatus::Idle, 0)
    );
    assert_eq!(a.materials, vec![MaterialKind::Pla, MaterialKind::Petg]);
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(equipment::get_printer(&mut conn, a.id).await.unwrap(), a);
    assert_eq!(
        equipment::printer_by_name(&mut conn, "form-01").await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(equipment::printer_by_name(&mut conn, "nope").await.unwrap(), None);
    assert_eq!(
        equipment::list_printers(&mut conn).await.unwrap(),
        vec![b.clone(), a.clone()]
    );
    let e = equipment::get_printer(&mut conn, PrinterId(99))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));

    // Eligibility over the fleet.
    let names = |ps: Vec<Printer>| ps.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let big = Dimensions::new(200, 240, 100);
    assert_eq!(
        names(
            equipment::eligible_printers(&mut conn, MaterialKind::Pla, big)
                .await
                .unwrap()
        ),
        ["mk4-01"]
    );
    assert!(
        equipment::eligible_printers(&mut conn, MaterialKind::Resin, big)
            .await
            .unwrap()
            .is_empty()
    );
    let small = Dimensions::new(100, 100, 100);
    assert_eq!(
        names(
            equipment::eligible_printers(&mut conn, MaterialKind::Resin, small)
                .await
                .unwrap()
        ),
        ["form-01"]
    );
    assert!(
        equipment::eligible_printers(&mut conn, MaterialKind::Abs, small)
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);

    // Duplicate name and invalid printers: rejected, nothing written (printer_materials too).
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = equipment::create_printer(&mut tx, t0(), &fdm("mk4-01"))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("EQUIPMENT_NAME_TAKEN", ErrorKind::Conflict));
    let e = equipment::create_printer(
        &mut tx,
        t0(),
        &NewPrinter {
            materials: vec![MaterialKind::Resin],
            ..fdm("p2")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        code(&e),
        ("EQUIPMENT_MATERIAL_NOT_SUPPORTED", ErrorKind::Validation)
    );
    let e = equipment::create_printer(
        &mut tx,
        t0(),
        &NewPrinter {
            build_volume: Dimensions::new(0, 1, 1),
            ..fdm("p3")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), ("EQUIPMENT_INVALID_FIELD", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
});

gantry_engine::db_test!(status_machine_is_enforced_in_the_store, |db| {
    let p = printer(db, fdm("mk4-01")).await;
    use PrinterStatus::*;
    // A legal walk through the machine.
    let walk = [
        Printing,
        Paused,
        Printing,
        NeedsBedClearing,
        Idle,
        Maintenance,
        Idle,
        Offline,
        Error,
        Idle,
    ];
    for to in walk {
        let mut tx = db.begin().await.unwrap();
        let got = equipment::set_status(&mut tx, t0(), p.id, to).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(got.status, to);
        assert_eq!(get(db, p.id).await.status, to);
    }
    // Every illegal target from idle is rejected and leaves the printer idle.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    for to in PrinterStatus::ALL
        .into_iter()
        .filter(|to| !Idle.can_transition(*to))
    {
        let e = equipment::set_status(&mut tx, t0(), p.id, to).await.unwrap_err();
        assert_eq!(
            code(&e),
            ("PRINTER_ILLEGAL_TRANSITION", ErrorKind::Conflict),
            "idle -> {to}"
        );
    }
    let e = equipment::set_status(&mut tx, t0(), PrinterId(42), Printing)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
});

gantry_engine::db_test!(material_loading_and_print_minutes, |db| {
    let p = printer(db, fdm("mk4-01")).await;
    let pla = material(db, "PLA-grey", MaterialKind::Pla).await;
    let abs = material(db, "ABS-grey", MaterialKind::Abs).await;

    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        equipment::load_material(&mut tx, t0(), p.id, Some(pla))
            .await
            .unwrap()
            .loaded_material_id,
        Some(pla)
    );
    assert_eq!(
        equipment::add_print_minutes(&mut tx, t0(), p.id, 90)
            .await
            .unwrap()
            .print_minutes_total,
        90
    );
    assert_eq!(
        equipment::add_print_minutes(&mut tx, t0(), p.id, 30)
            .await
            .unwrap()
            .print_minutes_total,
        120
    );
    equipment::set_status(&mut tx, t0(), p.id, PrinterStatus::Printing)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = equipment::load_material(&mut tx, t0(), p.id, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("PRINTER_BUSY", ErrorKind::Conflict));
    for m in [0, -10] {
        let e = equipment::add_print_minutes(&mut tx, t0(), p.id, m)
            .await
            .unwrap_err();
        assert_eq!(code(&e), ("EQUIPMENT_INVALID_MINUTES", ErrorKind::Validation));
    }
    let e = equipment::add_print_minutes(&mut tx, t0(), PrinterId(5), 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    let mut tx = db.begin().await.unwrap();
    equipment::set_status(&mut tx, t0(), p.id, PrinterStatus::NeedsBedClearing)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = equipment::load_material(&mut tx, t0(), p.id, Some(abs))
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        ("EQUIPMENT_MATERIAL_NOT_SUPPORTED", ErrorKind::Validation)
    );
    let e = equipment::load_material(&mut tx, t0(), p.id, Some(MaterialId(77)))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        equipment::load_material(&mut tx, t0(), p.id, None)
            .await
            .unwrap()
            .loaded_material_id,
        None
    );
    tx.commit().await.unwrap();
    let stored = get(db, p.id).await;
    assert_eq!(
        (stored.loaded_material_id, stored.print_minutes_total),
        (None, 120)
    );
});

gantry_engine::db_test!(maintenance_windows_plans_and_log, |db| {
    let p = printer(db, fdm("mk4-01")).await;
    let other = printer(db, fdm("mk4-02")).await;
    let mut tx = db.begin().await.unwrap();
    let tech = users::create_user(
        &mut tx,
        t0(),
        &NewUser {
            email: "op@gantry.example".into(),
            display_name: "Op".into(),
            role: Role::Operator,
            customer_id: None,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    let by_days = equipment::create_plan(
        &mut tx,
        t0(),
        &NewMaintenancePlan {
            printer_id: p.id,
            name: "belts".into(),
            every_print_hours: None,
            every_days: Some(30),
            duration_minutes: 60,
        },
    )
    .await
    .unwrap();
    let by_hours = equipment::create_plan(
        &mut tx,
        t0(),
        &NewMaintenancePlan {
            printer_id: p.id,
            name: "nozzle".into(),
            every_print_hours: Some(10),
            every_days: Some(365),
            duration_minutes: 30,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((by_days.last_done_at, by_days.last_done_print_minutes), (t0(), 0));

    // Bad plans: nothing written.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let mut bad = NewMaintenancePlan {
        printer_id: PrinterId(99),
        name: "x".into(),
        every_print_hours: Some(1),
        every_days: None,
        duration_minutes: 10,
    };
    let e = equipment::create_plan(&mut tx, t0(), &bad).await.unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    bad.printer_id = p.id;
    bad.every_print_hours = None;
    let e = equipment::create_plan(&mut tx, t0(), &bad).await.unwrap_err();
    assert_eq!(code(&e), ("MAINTENANCE_NO_INTERVAL", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // Horizon of 10 days: nothing due yet.
    let now = t0() + Duration::days(1);
    let mut tx = db.begin().await.unwrap();
    assert!(
        equipment::generate_windows(&mut tx, now, now + Duration::days(10))
            .await
            .unwrap()
            .is_empty()
    );
    // 40 days: the belts plan falls due at t0 + 30 days.
    let made = equipment::generate_windows(&mut tx, now, now + Duration::days(40))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(made.len(), 1);
    let w = &made[0];
    assert_eq!(
        (w.plan_id, w.starts_at, w.ends_at),
        (
            Some(by_days.id),
            t0() + Duration::days(30),
            t0() + Duration::days(30) + Duration::minutes(60)
        )
    );
    assert_eq!(
        (w.state, w.reason.as_str()),
        (WindowState::Planned, "belts: every 30 days")
    );

    // Idempotent: generating again adds nothing.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    assert!(
        equipment::generate_windows(&mut tx, now, now + Duration::days(40))
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);
    assert_eq!(count_rows(db, "maintenance_windows").await.unwrap(), 1);

    // 11 print hours: the nozzle plan is due now.
    let now = t0() + Duration::days(2);
    let mut tx = db.begin().await.unwrap();
    equipment::add_print_minutes(&mut tx, now, p.id, 11 * 60)
        .await
        .unwrap();
    let made = equipment::generate_windows(&mut tx, now, now).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0].plan_id, made[0].starts_at, made[0].reason.as_str()),
        (Some(by_hours.id), now, "nozzle: 11 of 10 print hours")
    );
    let nozzle_window = made[0].id;

    let mut conn = db.pool().acquire().await.unwrap();
    let in_range = equipment::list_windows(&mut conn, p.id, now, now + Duration::days(27))
        .await
        .unwrap();
    assert_eq!(
        in_range.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![nozzle_window]
    );
    let all = equipment::list_windows(&mut conn, p.id, t0(), t0() + Duration::days(60))
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].starts_at < all[1].starts_at);
    assert!(
        equipment::list_windows(&mut conn, other.id, t0(), t0() + Duration::days(60))
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);

    // Complete the nozzle window: log written, window done, plan reset to now / 660 minutes.
    let done_at = now + Duration::minutes(45);
    let mut tx = db.begin().await.unwrap();
    let log = equipment::complete_maintenance(&mut tx, done_at, nozzle_window, Some(tech.id), " new nozzle ")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (
            log.printer_id,
            log.plan_id,
            log.performed_at,
            log.performed_by,
            log.note.as_str()
        ),
        (p.id, Some(by_hours.id), done_at, Some(tech.id), "new nozzle")
    );
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(
        equipment::get_window(&mut conn, nozzle_window)
            .await
            .unwrap()
            .state,
        WindowState::Done
    );
    let plan = equipment::get_plan(&mut conn, by_hours.id).await.unwrap();
    assert_eq!((plan.last_done_at, plan.last_done_print_minutes), (done_at, 660));
    drop(conn);
    // Nothing due for the nozzle until another 10 print hours.
    let mut tx = db.begin().await.unwrap();
    assert!(
        equipment::generate_windows(&mut tx, done_at, done_at + Duration::days(20))
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();

    // Completing twice, cancelling a done window, unknown window or user: nothing written.
    let before = dump(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = equipment::complete_maintenance(&mut tx, done_at, nozzle_window, None, "")
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("MAINTENANCE_ILLEGAL_TRANSITION", ErrorKind::Conflict));
    let e = equipment::cancel_window(&mut tx, done_at, nozzle_window)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("MAINTENANCE_ILLEGAL_TRANSITION", ErrorKind::Conflict));
    let e = equipment::complete_maintenance(&mut tx, done_at, MaintenanceWindowId(999), None, "")
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    let e = equipment::complete_maintenance(&mut tx, done_at, made_belts(&all), Some(UserId(999)), "")
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    let e = equipment::get_plan(&mut tx, MaintenancePlanId(999))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(dump(db).await, before);

    // The belts plan becomes overdue: its planned window is kept, not duplicated.
    let late = t0() + Duration::days(31);
    let belts = made_belts(&all);
    let mut tx = db.begin().await.unwrap();
    assert!(
        equipment::generate_windows(&mut tx, late, late + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    let c = equipment::cancel_window(&mut tx, late, belts).await.unwrap();
    assert_eq!(c.state, WindowState::Cancelled);
    // A cancelled window does not block a new one; the plan was not reset.
    let made = equipment::generate_windows(&mut tx, late, late).await.unwrap();
    assert_eq!(
        (made.len(), made[0].starts_at, made[0].plan_id),
        (1, late, Some(by_days.id))
    );
    // Ad-hoc window without a plan.
    let adhoc =
        equipment::schedule_window(&mut tx, late, other.id, late + Duration::hours(3), 20, "firmware")
            .await
            .unwrap();
    assert_eq!(
        (adhoc.plan_id, adhoc.ends_at - adhoc.starts_at),
        (None, Duration::minutes(20))
    );
    let e = equipment::schedule_window(&mut tx, late, other.id, late, 0, "x")
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("EQUIPMENT_INVALID_MINUTES", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "maintenance_windows").await.unwrap(), 4);
    assert_eq!(count_rows(db, "maintenance_log").await.unwrap(), 1);
});

/// The belts plan's window in a list of windows.
fn made_belts(all: &[gantry_engine::domain::equipment::MaintenanceWindow]) -> MaintenanceWindowId {
    all.iter()
        .find(|w| w.reason.starts_with("belts"))
        .map(|w| w.id)
        .unwrap()
}

/// The shortest legal path of statuses from `from` to `to` (excluding `from`).
fn path(from: PrinterStatus, to: PrinterStatus) -> Vec<PrinterStatus> {
    let mut prev: Vec<(PrinterStatus, PrinterStatus)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([from]);
    let mut seen = vec![from];
    while let Some(s) = queue.pop_front() {
        if s == to {
            break;
        }
        let next: Vec<PrinterStatus> = PrinterStatus::ALL
            .into_iter()
            .filter(|n| s.can_transition(*n) && !seen.contains(n))
            .collect();
        for n in next {
            seen.push(n);
            prev.push((n, s));
            queue.push_back(n);
        }
    }
    let mut out = Vec::new();
    let mut cur = to;
    while cur != from {
        out.push(cur);
        cur = prev.iter().find(|(n, _)| *n == cur).map(|(_, p)| *p).unwrap();
    }
    out.reverse();
    out
}

gantry_engine::db_test!(every_status_pair_through_the_store, |db| {
    let p = printer(db, fdm("mk4-01")).await;
    let mut current = PrinterStatus::Idle;
    let (mut legal, mut illegal) = (0, 0);
    for from in PrinterStatus::ALL {
        for to in PrinterStatus::ALL {
            // Walk the printer to `from` through legal transitions.
            let mut tx = db.begin().await.unwrap();
            for step in path(current, from) {
                equipment::set_status(&mut tx, t0(), p.id, step).await.unwrap();
            }
            tx.commit().await.unwrap();
            current = from;
            let mut tx = db.begin().await.unwrap();
            let res = equipment::set_status(&mut tx, t0(), p.id, to).await;
            tx.commit().await.unwrap();
            match res {
                Ok(got) => {
                    assert!(from.can_transition(to), "{from} -> {to} accepted");
                    assert_eq!(got.status, to);
                    current = to;
                    legal += 1;
                }
                Err(e) => {
                    assert!(!from.can_transition(to), "{from} -> {to} rejected");
                    assert_eq!(code(&e), ("PRINTER_ILLEGAL_TRANSITION", ErrorKind::Conflict));
                    illegal += 1;
                }
            }
            assert_eq!(get(db, p.id).await.status, current, "{from} -> {to}");
        }
    }
    assert_eq!((legal, illegal), (27, 22));
});

gantry_engine::db_test!(planned_window_moves_earlier_when_print_hours_run_out, |db| {
    let p = printer(db, fdm("mk4-01")).await;
    let mut tx = db.begin().await.unwrap();
    let plan = equipment::create_plan(
        &mut tx,
        t0(),
        &NewMaintenancePlan {
            printer_id: p.id,
            name: "service".into(),
            every_print_hours: Some(10),
            every_days: Some(30),
            duration_minutes: 120,
        },
    )
    .await
    .unwrap();
    let first = equipment::generate_windows(&mut tx, t0(), t0() + Duration::days(45))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].starts_at, t0() + Duration::days(30));

    // Ten print hours later the plan is due now: the same window moves, no second one appears.
    let now = t0() + Duration::days(3);
    let mut tx = db.begin().await.unwrap();
    equipment::add_print_minutes(&mut tx, now, p.id, 600)
        .await
        .unwrap();
    let moved = equipment::generate_windows(&mut tx, now, now + Duration::days(45))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved.len(), 1);
    let w = &moved[0];
    assert_eq!(
        (w.id, w.plan_id, w.starts_at, w.ends_at),
        (first[0].id, Some(plan.id), now, now + Duration::minutes(120))
    );
    assert_eq!(w.reason, "service: 10 of 10 print hours");
    assert_eq!(count_rows(db, "maintenance_windows").await.unwrap(), 1);
    // A later horizon does not move it back.
    let mut tx = db.begin().await.unwrap();
    assert!(
        equipment::generate_windows(&mut tx, now + Duration::hours(1), now + Duration::days(90))
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(
        equipment::get_window(&mut conn, w.id).await.unwrap().starts_at,
        now
    );
});

gantry_engine::db_test!(concurrent_window_generation_makes_one_window, |db| {
    let p = printer(db, fdm("race")).await;
    let mut tx = db.begin().await.unwrap();
    equipment::create_plan(
        &mut tx,
        t0(),
        &NewMaintenancePlan {
            printer_id: p.id,
            name: "belts".into(),
            every_print_hours: None,
            every_days: Some(30),
            duration_minutes: 60,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Two generators at once (e.g. two servers, or two planners pressing the button): both
    // succeed and the plan has one planned window.
    // On PostgreSQL both transactions are open before either reads (SQLite serialises write
    // transactions at BEGIN, so there they simply run one after the other).
    let concurrent = db.backend() == gantry_engine::store::Backend::Postgres;
    let (t1, t2) = if concurrent {
        (Some(db.begin().await.unwrap()), Some(db.begin().await.unwrap()))
    } else {
        (None, None)
    };
    let run = |tx: Option<gantry_engine::store::Tx>| async {
        let mut tx = match tx {
            Some(tx) => tx,
            None => db.begin().await?,
        };
        let made = equipment::generate_windows(&mut tx, t0(), t0() + Duration::days(40)).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(made.len())
    };
    let (a, b) = tokio::join!(run(t1), run(t2));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a + b,
        1,
        "one run makes the window, the other finds it: {a} + {b}"
    );
    assert_eq!(count_rows(db, "maintenance_windows").await.unwrap(), 1);
});
