use super::*;

use expect_test::expect;

use crate::error::ErrorKind;
use crate::types::{Currency, Grams, MaterialId, Money, SpoolId};

fn g(v: i64) -> Grams {
    Grams::new(v).unwrap()
}

#[test]
fn reservation_transitions_every_pair() {
    let mut out = String::new();
    for from in ReservationState::ALL {
        for to in ReservationState::ALL {
            let r = from.transition(to);
            assert_eq!(r.is_ok(), from.can_transition(to));
            let shown = match r {
                Ok(s) => format!("ok {s}"),
                Err(e) => e.code().to_string(),
            };
            out.push_str(&format!("{from:>8} -> {to:<8} {shown}\n"));
        }
    }
    expect![[r#"
            held -> held     RESERVATION_ILLEGAL_TRANSITION
            held -> consumed ok consumed
            held -> released ok released
        consumed -> held     RESERVATION_ILLEGAL_TRANSITION
        consumed -> consumed RESERVATION_ILLEGAL_TRANSITION
        consumed -> released RESERVATION_ILLEGAL_TRANSITION
        released -> held     ok held
        released -> consumed RESERVATION_ILLEGAL_TRANSITION
        released -> released RESERVATION_ILLEGAL_TRANSITION
    "#]]
    .assert_eq(&out);
}

#[test]
fn cost_rounds_half_up() {
    // (grams, price per kg in minor units) -> cost in minor units
    let cases = [
        (0, 2500, 0),
        (1000, 2500, 2500),
        (1, 2500, 3),     // 2.5 -> 3
        (1, 1499, 1),     // 1.499 -> 1
        (1, 1500, 2),     // 1.5 -> 2
        (3, 500, 2),      // 1.5 -> 2
        (333, 1999, 666), // 665.667 -> 666
        (250, 2000, 500),
        (1, 499, 0), // 0.499 -> 0
        (1, 0, 0),
    ];
    for (grams, price, want) in cases {
        let got = material_cost(g(grams), Money::new(price, Currency::EUR)).unwrap();
        assert_eq!(got, Money::new(want, Currency::EUR), "{grams} g at {price}/kg");
    }
    assert_eq!(
        material_cost(g(1), Money::new(-1, Currency::EUR))
            .unwrap_err()
            .code(),
        "INVENTORY_INVALID_FIELD"
    );
    assert_eq!(
        material_cost(g(i64::MAX), Money::new(i64::MAX, Currency::EUR)),
        Err(InventoryError::Overflow)
    );
}

type DrawResult = Result<Vec<(i64, i64)>, i64>;

#[test]
fn draw_order_emptiest_then_oldest() {
    let m = MaterialId(1);
    let spools = [
        (SpoolId(1), g(800)),
        (SpoolId(2), g(150)),
        (SpoolId(3), g(0)),
        (SpoolId(4), g(150)),
        (SpoolId(5), g(1000)),
    ];
    // grams -> Ok(drawn per spool: (spool id, grams)) or Err(available)
    let cases: &[(i64, DrawResult)] = &[
        (100, Ok(vec![(2, 100)])),
        (150, Ok(vec![(2, 150)])),
        (200, Ok(vec![(2, 150), (4, 50)])),
        (1000, Ok(vec![(2, 150), (4, 150), (1, 700)])),
        (2100, Ok(vec![(2, 150), (4, 150), (1, 800), (5, 1000)])),
        (2101, Err(2100)),
    ];
    for (want_g, want) in cases {
        let got = plan_draw(m, &spools, g(*want_g));
        match (got, want) {
            (Ok(plan), Ok(w)) => {
                let plan: Vec<(i64, i64)> = plan.into_iter().map(|(s, q)| (s.0, q.get())).collect();
                assert_eq!(&plan, w, "{want_g}");
            }
            (
                Err(InventoryError::InsufficientStock {
                    available, requested, ..
                }),
                Err(a),
            ) => {
                assert_eq!((available, requested), (*a, *want_g));
            }
            (got, want) => panic!("{want_g}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(plan_draw(m, &[], g(1)).unwrap_err().code(), "STOCK_INSUFFICIENT");
}

#[test]
fn new_material_validation() {
    let ok = NewMaterial {
        code: " PLA-black-1.75 ".into(),
        kind: MaterialKind::Pla,
        colour: " black ".into(),
        diameter_um: 1750,
        density_mg_cm3: 1240,
        price_per_kg: Money::new(2500, Currency::EUR),
        low_stock_grams: 500,
    };
    let v = ok.validate().unwrap();
    assert_eq!((v.code.as_str(), v.colour.as_str()), ("PLA-black-1.75", "black"));
    let bad: Vec<(NewMaterial, &str)> = vec![
        (
            NewMaterial {
                code: "".into(),
                ..ok.clone()
            },
            "INVENTORY_INVALID_CODE",
        ),
        (
            NewMaterial {
                code: "PLA black".into(),
                ..ok.clone()
            },
            "INVENTORY_INVALID_CODE",
        ),
        (
            NewMaterial {
                code: "x".repeat(65),
                ..ok.clone()
            },
            "INVENTORY_INVALID_CODE",
        ),
        (
            NewMaterial {
                colour: " ".into(),
                ..ok.clone()
            },
            "INVENTORY_INVALID_FIELD",
        ),
        (
            NewMaterial {
                diameter_um: 0,
                ..ok.clone()
            },
            "INVENTORY_INVALID_FIELD",
        ),
        (
            NewMaterial {
                density_mg_cm3: -5,
                ..ok.clone()
            },
            "INVENTORY_INVALID_FIELD",
        ),
        (
            NewMaterial {
                price_per_kg: Money::new(-1, Currency::EUR),
                ..ok.clone()
            },
            "INVENTORY_INVALID_FIELD",
        ),
        (
            NewMaterial {
                low_stock_grams: -1,
                ..ok.clone()
            },
            "INVENTORY_INVALID_GRAMS",
        ),
    ];
    for (m, code) in bad {
        let e = m.validate().unwrap_err();
        assert_eq!((e.code(), e.kind()), (code, ErrorKind::Validation), "{m:?}");
    }
}

#[test]
fn kinds_and_keys() {
    for k in MaterialKind::ALL {
        assert_eq!(MaterialKind::parse(&k.as_str().to_lowercase()), Ok(k));
        assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
    }
    assert_eq!(
        MaterialKind::parse("wood").unwrap_err().code(),
        "INVENTORY_UNKNOWN_KIND"
    );
    assert!(parse_job_key("job-42/attempt-1").is_ok());
    for bad in ["", "  ", "a\nb"] {
        assert_eq!(
            parse_job_key(bad).unwrap_err().code(),
            "INVENTORY_INVALID_JOB_KEY"
        );
    }
    assert!(parse_job_key(&"k".repeat(JOB_KEY_MAX + 1)).is_err());
    for bad in [0, -1] {
        assert_eq!(positive_grams(bad), Err(InventoryError::InvalidGrams(bad)));
    }
    assert_eq!(nonnegative_grams(0), Ok(Grams::ZERO));
    let s = NewSpool {
        material_id: MaterialId(1),
        grams: 0,
        lot: None,
        location: None,
    };
    assert_eq!(s.validate().unwrap_err().code(), "INVENTORY_INVALID_GRAMS");
    let s = NewSpool {
        grams: 1000,
        lot: Some(" ".into()),
        location: Some(" Shelf A ".into()),
        ..s
    };
    let v = s.validate().unwrap();
    assert_eq!((v.lot, v.location.as_deref()), (None, Some("Shelf A")));
}

#[test]
fn stock_level_low_flag() {
    // (on hand, reserved, threshold) -> (available, low)
    let cases = [
        (1000, 200, 500, 800, false),
        (1000, 500, 500, 500, true),
        (0, 0, 0, 0, true),
        (100, 300, 0, -200, true),
    ];
    for (on_hand, reserved, threshold, available, low) in cases {
        let s = StockLevel::new(MaterialId(1), "X".into(), on_hand, reserved, threshold);
        assert_eq!(
            (s.available, s.low),
            (available, low),
            "{on_hand} {reserved} {threshold}"
        );
    }
    assert!(check_available(MaterialId(1), g(801), 800).is_err());
    assert!(check_available(MaterialId(1), g(800), 800).is_ok());
}

#[test]
fn consumption_and_resize_limits() {
    // (on hand, reserved incl. this, held by this) -> limit
    let cases = [
        (1000, 600, 600, 1000), // 600 own + 400 free
        (1000, 900, 500, 600),  // 500 own + 100 free
        (500, 800, 400, 400),   // uncovered: own reservation, physically there
        (300, 800, 400, 300),   // uncovered and not even on hand: what is there
        (0, 100, 100, 0),
    ];
    for (on_hand, reserved, held, limit) in cases {
        assert_eq!(
            consumable_limit(on_hand, reserved, held),
            limit,
            "{on_hand} {reserved} {held}"
        );
    }
    let m = MaterialId(1);
    // (held, requested, available) -> ok?
    let cases = [
        (500, 400, -100, true),
        (500, 500, -100, true),
        (500, 501, 0, false),
        (500, 600, 100, true),
        (500, 601, 100, false),
    ];
    for (held, requested, available, ok) in cases {
        assert_eq!(
            check_resize(m, g(held), g(requested), available).is_ok(),
            ok,
            "{held} {requested} {available}"
        );
    }
}
