use super::*;

use chrono::{DateTime, TimeZone, Utc};
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
        group: None,
        retired_at: None,
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

// Operator shifts.
fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[test]
fn bad_shifts_name_their_field() {
    let err = |d, s, e| WeeklyShift::parse(d, s, e).unwrap_err().to_string();
    assert_eq!(
        err(7, 0, 60),
        "invalid shifts.weekday: must be 0 (Monday) to 6 (Sunday)"
    );
    assert_eq!(err(0, 1440, 60), "invalid shifts.startMinute: must be 0 to 1439");
    assert_eq!(err(0, 60, 0), "invalid shifts.endMinute: must be 1 to 1440");
    assert_eq!(
        err(0, 60, 60),
        "invalid shifts.endMinute: a shift must not start and end at the same minute"
    );
}

#[test]
fn overlapping_shifts_are_refused_also_across_midnight_and_the_week_end() {
    let overlap = |t: &[(i64, i64, i64)]| parse_timetable(t).is_err();
    assert!(overlap(&[(0, 480, 1020), (0, 1000, 1200)]));
    // Monday 22:00–06:00 runs into Tuesday 05:00.
    assert!(overlap(&[(0, 1320, 360), (1, 300, 600)]));
    // Sunday night into Monday morning.
    assert!(overlap(&[(6, 1320, 360), (0, 0, 120)]));
    // Touching is fine.
    assert!(!overlap(&[
        (0, 480, 1020),
        (0, 1020, 1200),
        (6, 1320, 1440),
        (0, 0, 120)
    ]));
    assert_eq!(
        parse_timetable(&[(0, 480, 1020); 71]).unwrap_err().to_string(),
        "invalid shifts: at most 70 shifts a week"
    );
}

#[test]
fn windows_are_minutes_from_now_merged_and_include_a_running_night_shift() {
    // 2026-12-07 is a Monday. Now: Tuesday 02:00, inside Monday's 22:00–06:00 shift.
    let now = at(2026, 12, 8, 2, 0);
    let shifts = parse_timetable(&[(0, 1320, 360), (1, 360, 600), (1, 780, 1020)]).unwrap();
    let w = staffed_windows(now, &shifts).unwrap();
    // Monday night (until 06:00 = 240 min) touches Tuesday 06:00–10:00 and merges with it.
    assert_eq!(w[0], [0, 480]);
    // Tuesday 13:00–17:00.
    assert_eq!(w[1], [660, 900]);
    // The next Monday 22:00 is 6 days and 20 hours from now; its night runs into Tuesday's
    // 06:00–10:00 shift (merged).
    assert_eq!(w[2], [6 * DAY_MINUTES + 20 * 60, 6 * DAY_MINUTES + 32 * 60]);
    assert!(w.windows(2).all(|p| p[0][1] < p[1][0]));
    assert!(w.last().unwrap()[0] <= SHIFT_HORIZON_DAYS * DAY_MINUTES);
}

#[test]
fn no_shifts_means_always_staffed() {
    assert_eq!(staffed_windows(at(2026, 12, 8, 2, 0), &[]), None);
}

#[test]
fn windows_keep_to_whole_minutes_inside_the_shift_when_now_has_seconds() {
    let now = at(2026, 12, 8, 2, 0) + chrono::Duration::seconds(30);
    let shifts = parse_timetable(&[(1, 360, 600)]).unwrap();
    let w = staffed_windows(now, &shifts).unwrap();
    let first = now + chrono::Duration::minutes(w[0][0]);
    let last = now + chrono::Duration::minutes(w[0][1]);
    assert!(
        first >= at(2026, 12, 8, 6, 0) && first < at(2026, 12, 8, 6, 1),
        "{first}"
    );
    assert!(
        last <= at(2026, 12, 8, 10, 0) && last > at(2026, 12, 8, 9, 59),
        "{last}"
    );
}

// Editing and retiring printers.

#[test]
fn an_edit_is_checked_like_a_new_printer_and_keeps_what_it_does_not_name() {
    let p = printer();
    let edit = PrinterEdit {
        speed_factor_pct: Some(120),
        group: Some("  Room A ".into()),
        materials: Some(vec![MaterialKind::Petg, MaterialKind::Pla, MaterialKind::Pla]),
        ..Default::default()
    };
    let q = edit.apply(&p).unwrap();
    assert_eq!((q.speed_factor_pct, q.group.as_deref()), (120, Some("Room A")));
    assert_eq!(q.materials, [MaterialKind::Pla, MaterialKind::Petg]);
    assert_eq!((q.name.as_str(), q.status, q.id), ("mk4-01", p.status, p.id));
    let bad = |e: PrinterEdit| e.apply(&p).unwrap_err().code();
    let resin = PrinterEdit {
        materials: Some(vec![MaterialKind::Resin]),
        ..Default::default()
    };
    assert_eq!(bad(resin), "EQUIPMENT_MATERIAL_NOT_SUPPORTED");
    let blank = PrinterEdit {
        name: Some(" ".into()),
        ..Default::default()
    };
    assert_eq!(bad(blank), "EQUIPMENT_INVALID_FIELD");
    let ungroup = PrinterEdit {
        group: Some(String::new()),
        ..Default::default()
    };
    assert_eq!(ungroup.apply(&q).unwrap().group, None);
    let retired = Printer {
        retired_at: Some(DateTime::default()),
        ..p.clone()
    };
    assert_eq!(
        PrinterEdit::default().apply(&retired).unwrap_err().code(),
        "PRINTER_RETIRED"
    );
}

#[test]
fn only_a_printer_without_a_job_on_its_bed_is_retired() {
    for status in PrinterStatus::ALL {
        let p = Printer { status, ..printer() };
        let r = check_retire(&p);
        match status {
            PrinterStatus::Printing | PrinterStatus::Paused => {
                assert_eq!(r.unwrap_err().code(), "PRINTER_BUSY", "{status}")
            }
            _ => assert!(r.is_ok(), "{status}"),
        }
    }
    let gone = Printer {
        retired_at: Some(DateTime::default()),
        ..printer()
    };
    assert_eq!(check_retire(&gone).unwrap_err().code(), "PRINTER_RETIRED");
}
