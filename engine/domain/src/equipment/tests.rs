use super::*;

use chrono::DateTime;
use expect_test::expect;

use crate::error::ErrorKind;
use crate::inventory::MaterialKind;
use crate::types::{Currency, MaintenancePlanId, Money, PrinterId, from_millis};

#[test]
fn printer_status_every_transition() {
    let mut out = String::new();
    for from in PrinterStatus::ALL {
        let legal: Vec<&str> = PrinterStatus::ALL
            .into_iter()
            .filter(|to| from.can_transition(*to))
            .map(|s| s.as_str())
            .collect();
        out.push_str(&format!("{from:<18} -> {}\n", legal.join(", ")));
        for to in PrinterStatus::ALL {
            let r = from.transition(to);
            assert_eq!(r.is_ok(), from.can_transition(to), "{from} -> {to}");
            match r {
                Ok(s) => assert_eq!(s, to),
                Err(e) => {
                    assert_eq!(e, EquipmentError::IllegalTransition { from, to });
                    assert_eq!(
                        (e.code(), e.kind()),
                        ("PRINTER_ILLEGAL_TRANSITION", ErrorKind::Conflict)
                    );
                }
            }
        }
        assert!(!from.can_transition(from), "self transition {from}");
        assert_eq!(PrinterStatus::parse(from.as_str()), Ok(from));
    }
    expect![[r#"
        idle               -> printing, error, offline, maintenance
        printing           -> paused, needs_bed_clearing, error, offline
        paused             -> printing, needs_bed_clearing, error, offline
        needs_bed_clearing -> idle, error, offline, maintenance
        error              -> idle, needs_bed_clearing, offline, maintenance
        offline            -> idle, needs_bed_clearing, error, maintenance
        maintenance        -> idle, error, offline
    "#]]
    .assert_eq(&out);
}

#[test]
fn window_state_every_transition() {
    let mut out = String::new();
    for from in WindowState::ALL {
        for to in WindowState::ALL {
            let shown = match from.transition(to) {
                Ok(s) => format!("ok {s}"),
                Err(e) => e.code().to_string(),
            };
            out.push_str(&format!("{from:>9} -> {to:<9} {shown}\n"));
        }
    }
    expect![[r#"
          planned -> planned   MAINTENANCE_ILLEGAL_TRANSITION
          planned -> done      ok done
          planned -> cancelled ok cancelled
             done -> planned   MAINTENANCE_ILLEGAL_TRANSITION
             done -> done      MAINTENANCE_ILLEGAL_TRANSITION
             done -> cancelled MAINTENANCE_ILLEGAL_TRANSITION
        cancelled -> planned   MAINTENANCE_ILLEGAL_TRANSITION
        cancelled -> done      MAINTENANCE_ILLEGAL_TRANSITION
        cancelled -> cancelled MAINTENANCE_ILLEGAL_TRANSITION
    "#]]
    .assert_eq(&out);
}

#[test]
fn technology_material_matrix() {
    let mut out = String::new();
    for t in Technology::ALL {
        let kinds: Vec<&str> = MaterialKind::ALL
            .into_iter()
            .filter(|k| t.accepts(*k))
            .map(|k| k.as_str())
            .collect();
        out.push_str(&format!("{t}: {}\n", kinds.join(" ")));
    }
    expect![[r#"
        fdm: PLA PETG ABS ASA TPU PA PC
        sla: RESIN
        sls: PA
    "#]]
    .assert_eq(&out);
}

fn printer() -> Printer {
    Printer {
        id: PrinterId(1),
        name: "mk4-01".into(),
        model: "MK4".into(),
        technology: Technology::Fdm,
        build_volume: Dimensions::new(250, 210, 220),
        nozzle_um: 400,
        materials: vec![MaterialKind::Pla, MaterialKind::Petg],
        speed_factor_pct: 100,
        hourly_cost: Money::new(150, Currency::EUR),
        status: PrinterStatus::Idle,
        loaded_material_id: None,
        print_minutes_total: 0,
        created_at: DateTime::default(),
    }
}

#[test]
fn eligibility() {
    let p = printer();
    use Ineligible::*;
    let d = Dimensions::new;
    let cases: &[(MaterialKind, Dimensions, Result<(), Ineligible>)] = &[
        (MaterialKind::Pla, d(100, 100, 100), Ok(())),
        (MaterialKind::Pla, d(250, 210, 220), Ok(())),
        // Fits only when rotated: each of the six orientations is needed by some box.
        (MaterialKind::Pla, d(220, 250, 210), Ok(())),
        (MaterialKind::Pla, d(210, 220, 250), Ok(())),
        (MaterialKind::Pla, d(220, 210, 250), Ok(())),
        (MaterialKind::Pla, d(210, 250, 220), Ok(())),
        (MaterialKind::Pla, d(250, 220, 210), Ok(())),
        (MaterialKind::Petg, d(10, 10, 10), Ok(())),
        (MaterialKind::Pla, d(251, 10, 10), Err(TooLarge)),
        (MaterialKind::Pla, d(230, 230, 10), Err(TooLarge)),
        (MaterialKind::Pla, d(221, 221, 221), Err(TooLarge)),
        (MaterialKind::Pla, d(0, 10, 10), Err(InvalidBoundingBox)),
        (MaterialKind::Pla, d(10, -1, 10), Err(InvalidBoundingBox)),
        (
            MaterialKind::Abs,
            d(10, 10, 10),
            Err(MaterialNotSupported {
                kind: MaterialKind::Abs,
            }),
        ),
        (
            MaterialKind::Resin,
            d(10, 10, 10),
            Err(TechnologyMismatch {
                technology: Technology::Fdm,
                kind: MaterialKind::Resin,
            }),
        ),
    ];
    for (kind, bbox, want) in cases {
        assert_eq!(check_printable(&p, *kind, *bbox), *want, "{kind} {bbox:?}");
        assert_eq!(can_print(&p, *kind, *bbox), want.is_ok());
    }
    assert_eq!(
        serde_json::to_value(Ineligible::TooLarge).unwrap(),
        serde_json::json!({"reason": "too_large"})
    );
    assert_eq!(
        serde_json::to_value(MaterialNotSupported {
            kind: MaterialKind::Abs
        })
        .unwrap(),
        serde_json::json!({"reason": "material_not_supported", "kind": "ABS"})
    );
    // A box that fits only in a non-identity orientation, checked against each orientation
    // of the volume.
    let vol = [250, 210, 220];
    let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for p in perms {
        let b = Dimensions::new(vol[p[0]], vol[p[1]], vol[p[2]]);
        assert!(b.fits_within(Dimensions::new(250, 210, 220)), "{b:?}");
    }
}

#[test]
fn new_printer_validation() {
    let ok = NewPrinter {
        name: " mk4-01 ".into(),
        model: "Prusa MK4".into(),
        technology: Technology::Fdm,
        build_volume: Dimensions::new(250, 210, 220),
        nozzle_um: 400,
        materials: vec![MaterialKind::Petg, MaterialKind::Pla, MaterialKind::Petg],
        speed_factor_pct: 100,
        hourly_cost: Money::new(150, Currency::EUR),
    };
    let v = ok.validate().unwrap();
    assert_eq!(v.name, "mk4-01");
    assert_eq!(v.materials, vec![MaterialKind::Pla, MaterialKind::Petg]);
    let bad: Vec<(NewPrinter, &str)> = vec![
        (
            NewPrinter {
                name: " ".into(),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                model: "".into(),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                build_volume: Dimensions::new(0, 1, 1),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                build_volume: Dimensions::new(1, 1, -1),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                nozzle_um: 0,
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                speed_factor_pct: 0,
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                hourly_cost: Money::new(-1, Currency::EUR),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                materials: vec![],
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewPrinter {
                materials: vec![MaterialKind::Resin],
                ..ok.clone()
            },
            "EQUIPMENT_MATERIAL_NOT_SUPPORTED",
        ),
    ];
    for (p, code) in bad {
        assert_eq!(p.validate().unwrap_err().code(), code, "{p:?}");
    }
    assert_eq!(Technology::parse("SLA"), Ok(Technology::Sla));
    assert_eq!(
        Technology::parse("fff").unwrap_err().code(),
        "EQUIPMENT_UNKNOWN_TECHNOLOGY"
    );
    assert_eq!(positive_minutes(0), Err(EquipmentError::InvalidMinutes(0)));
}

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_700_000_000_000;

fn plan(hours: Option<i64>, days: Option<i64>) -> MaintenancePlan {
    MaintenancePlan {
        id: MaintenancePlanId(1),
        printer_id: PrinterId(1),
        name: "lube".into(),
        every_print_hours: hours,
        every_days: days,
        duration_minutes: 90,
        last_done_at: from_millis(T0),
        last_done_print_minutes: 600,
    }
}

/// (every hours, every days, now offset days, printed minutes total, horizon days after now)
///   -> (window start offset from T0 in ms, reason), or no window.
type WindowCase = (
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<(i64, &'static str)>,
);

#[test]
fn maintenance_windows() {
    #[rustfmt::skip]
    let cases: &[WindowCase] = &[
        // Days: due in the future within the horizon.
        (None, Some(30), 10, 600, 30, Some((30 * DAY_MS, "lube: every 30 days"))),
        // Days: due beyond the horizon.
        (None, Some(30), 10, 600, 5, None),
        // Days: overdue, clamped to now.
        (None, Some(30), 40, 600, 1, Some((40 * DAY_MS, "lube: every 30 days"))),
        // Hours: threshold not reached.
        (Some(100), None, 1, 600 + 99 * 60, 365, None),
        // Hours: threshold reached exactly -> now.
        (Some(100), None, 1, 600 + 100 * 60, 0, Some((DAY_MS, "lube: 100 of 100 print hours"))),
        // Both: hours reached before the day interval -> now.
        (Some(100), Some(30), 2, 600 + 150 * 60, 0, Some((2 * DAY_MS, "lube: 150 of 100 print hours"))),
        // Both: hours not reached -> day interval.
        (Some(100), Some(30), 2, 600, 60, Some((30 * DAY_MS, "lube: every 30 days"))),
        // Both overdue: days win the reason, clamped to now.
        (Some(100), Some(30), 45, 600 + 150 * 60, 0, Some((45 * DAY_MS, "lube: every 30 days"))),
    ];
    for (hours, days, now_d, printed, horizon_d, want) in cases {
        let p = plan(*hours, *days);
        let now = from_millis(T0 + now_d * DAY_MS);
        let horizon = from_millis(T0 + (now_d + horizon_d) * DAY_MS);
        let got = next_window(&p, now, *printed, horizon);
        let got = got.map(|w| {
            assert_eq!((w.ends_at - w.starts_at).num_minutes(), 90);
            (w.starts_at.timestamp_millis() - T0, w.reason)
        });
        let want = want.map(|(off, r)| (off, r.to_string()));
        assert_eq!(got, want, "{hours:?} {days:?} now+{now_d}d printed {printed}");
    }
}

#[test]
fn plan_validation() {
    let ok = NewMaintenancePlan {
        printer_id: PrinterId(1),
        name: "nozzle".into(),
        every_print_hours: Some(200),
        every_days: None,
        duration_minutes: 30,
    };
    assert!(ok.validate().is_ok());
    let bad = [
        (
            NewMaintenancePlan {
                every_print_hours: None,
                ..ok.clone()
            },
            "MAINTENANCE_NO_INTERVAL",
        ),
        (
            NewMaintenancePlan {
                every_print_hours: Some(0),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewMaintenancePlan {
                every_days: Some(-3),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewMaintenancePlan {
                duration_minutes: 0,
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
        (
            NewMaintenancePlan {
                name: "".into(),
                ..ok.clone()
            },
            "EQUIPMENT_INVALID_FIELD",
        ),
    ];
    for (p, code) in bad {
        assert_eq!(p.validate().unwrap_err().code(), code, "{p:?}");
    }
}
