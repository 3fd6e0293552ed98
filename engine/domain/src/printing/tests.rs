use super::*;

use chrono::{DateTime, Duration, Utc};

use crate::catalog::ProductionSpec;
use crate::equipment::Technology;
use crate::error::ErrorKind;
use crate::inventory::Material;
use crate::types::{Currency, MaterialId, ModelFileId, Money, OrderId, PrinterId};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

#[test]
fn quote_jobs_use_only_planned_printers() {
    let material = Material {
        id: MaterialId(1),
        code: "PLA-BLK".into(),
        kind: crate::inventory::MaterialKind::Pla,
        colour: "black".into(),
        diameter_um: 1750,
        density_mg_cm3: 1240,
        price_per_kg: eur(2000),
        low_stock_grams: crate::types::Grams::ZERO,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    };
    let cand = |p: i64, min: i64| Candidate {
        printer_id: PrinterId(p),
        minutes_per_unit: min,
        copies_per_plate: 2,
        hourly_cost: eur(100),
    };
    let cands = [cand(6, 10), cand(2, 12), cand(3, 15)];
    // Printer 6 (the cheapest) is in maintenance: not in the problem, not a duration.
    let jobs = quote_jobs(5, &cands, &material, None, &[PrinterId(2), PrinterId(3)]);
    assert_eq!(
        jobs.len(),
        3,
        "5 copies, 2 per plate (counted on the first candidate's bed)"
    );
    for j in &jobs {
        assert_eq!(
            j.durations.keys().copied().collect::<Vec<_>>(),
            [PrinterId(2), PrinterId(3)]
        );
    }
    assert_eq!(jobs[2].durations[&PrinterId(2)], 12, "last plate: one copy");
    // No candidate planned: nothing to plan (the caller says why).
    assert!(quote_jobs(5, &cands, &material, None, &[PrinterId(6 + 1)]).is_empty());
}

const CUBE: PartGeometry = PartGeometry {
    volume_mm3: 8000.0,
    surface_area_mm2: 2400.0,
    size_mm: [20.0, 20.0, 20.0],
};

#[test]
fn extruded_volume_shell_and_infill() {
    let s = SliceSettings::default();
    // shell 2400 × 0.9 = 2160; infill 15 % of 5840 = 876.
    assert!((extruded_volume_mm3(&CUBE, &s) - 3036.0).abs() < 1e-9);
    // A thin part is all shell.
    let thin = PartGeometry {
        volume_mm3: 100.0,
        surface_area_mm2: 1000.0,
        size_mm: [10.0, 10.0, 1.0],
    };
    assert!((extruded_volume_mm3(&thin, &s) - 100.0).abs() < 1e-9);
    let solid = SliceSettings { infill_pct: 100, ..s };
    assert!((extruded_volume_mm3(&CUBE, &solid) - 8000.0).abs() < 1e-9);
    // PLA 1.24 g/cm³: 3.036 cm³ → 3.76 g → 4 g.
    assert_eq!(grams_for(3.036, 1240), 4);
    assert_eq!(grams_for(0.0, 1240), 1);
}

#[test]
fn formula_minutes_per_profile() {
    let s = SliceSettings::default();
    // 3036 mm³ / 8 mm³/s = 379.5 s; 100 layers × 4 s = 400 s; 4 min heat-up → 17 min.
    let cases: &[(Technology, i64, i64, i64)] = &[
        (Technology::Fdm, 400, 100, 17),
        (Technology::Fdm, 400, 200, 9),
        (Technology::Fdm, 600, 100, 14),
        (Technology::Sla, 400, 100, 20),
    ];
    for &(technology, nozzle_um, speed_factor_pct, want) in cases {
        let p = PrinterProfile {
            technology,
            nozzle_um,
            speed_factor_pct,
        };
        assert_eq!(formula_minutes(&CUBE, &s, &p), want, "{p:?}");
    }
    let e = Estimate::formula(&CUBE, &s);
    assert_eq!((e.method, e.minutes), (EstimateMethod::Formula, 17));
    let slow = PrinterProfile {
        speed_factor_pct: 50,
        ..PrinterProfile::NOMINAL
    };
    assert_eq!(e.minutes_on(&CUBE, &slow), 34);
}

#[test]
fn slicer_durations() {
    let cases: &[(&str, Option<i64>)] = &[
        ("13m 45s", Some(825)),
        ("45s", Some(45)),
        ("1h 0m 5s", Some(3605)),
        ("1d 2h 3m 4s", Some(93_784)),
        ("", None),
        ("13x", None),
        ("m", None),
    ];
    for &(s, want) in cases {
        assert_eq!(parse_slicer_duration(s), want, "{s:?}");
    }
}

#[test]
fn slicer_gcode_summary() {
    let gcode = "G1 X1 Y1\n\
        ; filament used [mm] = 1095.62\n\
        ; filament used [cm3] = 2.64\n\
        ; filament used [g] = 3.27\n\
        ; filament cost = 0.08\n\
        ; total filament used [g] = 3.27\n\
        ; estimated printing time (normal mode) = 13m 45s\n\
        ; estimated first layer printing time (normal mode) = 42s\n";
    let r = parse_slicer_gcode(gcode).unwrap();
    assert_eq!(r.minutes, 14);
    assert_eq!(r.filament_cm3, Some(2.64));
    assert_eq!(r.filament_g, Some(3.27));
    // Two extruders are summed.
    let two = "; filament used [cm3] = 1.5, 2.5\n; estimated printing time (normal mode) = 1h 2m 0s\n";
    let r = parse_slicer_gcode(two).unwrap();
    assert_eq!((r.minutes, r.filament_cm3, r.filament_g), (62, Some(4.0), None));
    let bad: &[(&str, PrintingError)] = &[
        ("", PrintingError::SlicerOutput("estimated printing time")),
        (
            "; estimated printing time (normal mode) = 5m\n",
            PrintingError::SlicerOutput("filament used"),
        ),
        (
            "; filament used [g] = 3\n; estimated printing time (normal mode) = soon\n",
            PrintingError::SlicerOutput("estimated printing time"),
        ),
    ];
    for (text, want) in bad {
        assert_eq!(parse_slicer_gcode(text).unwrap_err(), *want, "{text:?}");
    }
    let e = Estimate::from_slicer(
        &SlicerReport {
            minutes: 14,
            filament_cm3: None,
            filament_g: Some(2.48),
        },
        &SliceSettings::default(),
        1240,
        "k".into(),
    );
    assert!((e.material_cm3 - 2.0).abs() < 1e-9);
    assert_eq!(e.minutes_on(&CUBE, &PrinterProfile::NOMINAL), 14);
}

#[test]
fn plate_packing() {
    // (footprint x, y, bed x, bed y, limit, copies)
    let cases: &[(f64, f64, f64, f64, i64, i64)] = &[
        (20.0, 20.0, 250.0, 210.0, 1000, 10 * 8),
        (20.0, 20.0, 250.0, 210.0, 7, 7),
        (300.0, 20.0, 250.0, 210.0, 1000, 8),
        (250.0, 210.0, 250.0, 210.0, 1000, 1),
        (0.0, 0.0, 100.0, 100.0, 5, 1),
    ];
    for &(fx, fy, bx, by, limit, want) in cases {
        assert_eq!(copies_per_plate([fx, fy, 1.0], bx, by, limit), want, "{fx}x{fy}");
    }
    assert_eq!((plates(1, 80), plates(80, 80), plates(81, 80)), (1, 1, 2));
}

fn policy() -> PricingPolicy {
    PricingPolicy::standard(Currency::EUR)
}

fn input(quantity: i64) -> PriceInput {
    PriceInput {
        quantity,
        grams_per_unit: 4,
        minutes_per_unit: 17,
        copies_per_plate: 80,
        material_price_per_kg: eur(2500),
        printer_hourly_cost: eur(150),
        options: vec![],
    }
}

fn summary(b: &PriceBreakdown) -> String {
    let lines: Vec<String> = b
        .lines
        .iter()
        .map(|l| format!("{}={}", l.kind.as_str(), l.amount_minor))
        .collect();
    format!(
        "{} | unit {} total {} ({} %)",
        lines.join(" "),
        b.unit_price_minor,
        b.total_minor,
        b.discount_pct
    )
}

#[test]
fn quote_prices_and_quantity_breaks() {
    let mut with_options = input(10);
    with_options.options = vec![
        PostProcessing::Sanding,
        PostProcessing::SupportRemoval,
        PostProcessing::Sanding,
    ];
    let cases: Vec<(PriceInput, expect_test::Expect)> = vec![
        (
            input(1),
            expect_test::expect![
                "material=10 machine_time=43 setup=500 labour=100 margin=196 | unit 849 total 849 (0 %)"
            ],
        ),
        (
            input(10),
            expect_test::expect![
                "material=100 machine_time=425 setup=500 labour=100 quantity_discount=-56 margin=321 | unit 139 total 1390 (5 %)"
            ],
        ),
        (
            input(100),
            expect_test::expect![
                "material=1000 machine_time=4250 setup=500 labour=200 quantity_discount=-892 margin=1518 rounding=24 | unit 66 total 6600 (15 %)"
            ],
        ),
        (
            with_options,
            expect_test::expect![
                "material=100 machine_time=425 setup=500 labour=100 post_processing=1500 post_processing=4000 quantity_discount=-331 margin=1889 rounding=7 | unit 819 total 8190 (5 %)"
            ],
        ),
    ];
    for (inp, want) in cases {
        let b = price_quote(&inp, &policy()).unwrap();
        let sum: i64 = b.lines.iter().map(|l| l.amount_minor).sum();
        assert_eq!(sum, b.total_minor, "lines add up to the total");
        assert_eq!(b.total_minor, b.unit_price_minor * inp.quantity);
        want.assert_eq(&summary(&b));
    }
}

#[test]
fn quote_rejections() {
    let usd = PriceInput {
        printer_hourly_cost: Money::new(150, Currency::USD),
        ..input(1)
    };
    let cases: Vec<(PriceInput, &str)> = vec![
        (input(0), "QUOTE_INVALID_QUANTITY"),
        (input(MAX_QUANTITY + 1), "QUOTE_INVALID_QUANTITY"),
        (usd, "QUOTE_CURRENCY_MISMATCH"),
        (
            PriceInput {
                grams_per_unit: 0,
                ..input(1)
            },
            "QUOTE_INVALID",
        ),
        (
            PriceInput {
                material_price_per_kg: eur(i64::MAX),
                grams_per_unit: 100_000,
                ..input(MAX_QUANTITY)
            },
            "QUOTE_PRICE_OVERFLOW",
        ),
    ];
    for (inp, code) in cases {
        assert_eq!(price_quote(&inp, &policy()).unwrap_err().code(), code);
    }
    let mut p = policy();
    p.post_processing_minor.remove(&PostProcessing::Painting);
    let mut inp = input(1);
    inp.options = vec![PostProcessing::Painting];
    assert_eq!(price_quote(&inp, &p).unwrap_err().code(), "QUOTE_INVALID");
    assert_eq!(check_upload_size(11, 10).unwrap_err().code(), "UPLOAD_TOO_LARGE");
    assert!(check_upload_size(10, 10).is_ok());
}

#[test]
fn cheapest_candidate() {
    let c = |id: i64, minutes: i64, hourly: i64| Candidate {
        printer_id: PrinterId(id),
        minutes_per_unit: minutes,
        copies_per_plate: 4,
        hourly_cost: eur(hourly),
    };
    let cands = [c(1, 60, 200), c(2, 40, 200), c(3, 80, 100), c(4, 40, 200)];
    assert_eq!(cheapest(&cands, 3).map(|c| c.printer_id), Some(PrinterId(2)));
    assert_eq!(cheapest(&[], 3), None);
}

fn quote(order: Option<OrderId>, expires_in_min: i64) -> Quote {
    let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let b = price_quote(&input(1), &policy()).unwrap();
    Quote {
        id: QuoteId(7),
        model_id: ModelFileId(1),
        customer_id: None,
        material_id: MaterialId(1),
        printer_id: PrinterId(1),
        printer_model: Some("MK4".into()),
        printer_profile_id: None,
        quantity: 1,
        options: vec![],
        method: EstimateMethod::Formula,
        production: ProductionSpec {
            grams_per_unit: 4,
            print_minutes_per_unit: 17,
            copies_per_plate: 1,
        },
        unit_price: eur(b.unit_price_minor),
        total: eur(b.total_minor),
        breakdown: b,
        earliest_delivery: None,
        earliest_delivery_reason: None,
        created_at: now,
        expires_at: now + Duration::minutes(expires_in_min),
        order_id: order,
    }
}

#[test]
fn conversion_rules() {
    let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    assert!(check_convertible(&quote(None, 1), now).is_ok());
    assert_eq!(
        check_convertible(&quote(None, 0), now).unwrap_err().code(),
        "QUOTE_EXPIRED"
    );
    let e = check_convertible(&quote(Some(OrderId(3)), 10), now).unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        ("QUOTE_ALREADY_CONVERTED", ErrorKind::Conflict)
    );
    assert_eq!(model_ref(ModelFileId(12)), "model:12");
    assert_eq!(clean_file_name(" C:\\parts\\cube.stl ").unwrap(), "cube.stl");
    assert_eq!(clean_file_name("/tmp/x/sphere.obj").unwrap(), "sphere.obj");
    for bad in ["", "dir/", "a\u{7}b.stl"] {
        assert_eq!(
            clean_file_name(bad).unwrap_err().code(),
            "QUOTE_INVALID",
            "{bad:?}"
        );
    }
}
