use super::*;

use crate::catalog::{Product, ProductionSpec};
use crate::types::{Currency, CustomerId, MaterialId, Money, ProductId, Quantity};

#[test]
fn every_transition_pair() {
    let mut out = String::from("from \\ to       ");
    for to in OrderStatus::ALL {
        out.push_str(&format!("{:>4}", &to.as_str()[..3]));
    }
    out.push('\n');
    for from in OrderStatus::ALL {
        out.push_str(&format!("{:<16}", from.as_str()));
        for to in OrderStatus::ALL {
            let legal = OrderStatus::can_transition(from, to);
            assert_eq!(OrderStatus::check_transition(from, to).is_ok(), legal);
            if !legal {
                let e = OrderStatus::check_transition(from, to).unwrap_err();
                assert_eq!(e, OrderError::IllegalTransition { from, to });
                assert_eq!(e.code(), "ORDER_ILLEGAL_TRANSITION");
            }
            out.push_str(if legal { "   X" } else { "   ." });
        }
        out.push('\n');
    }
    expect_test::expect![[r#"
        from \ to        dra pla pai in_ rea shi del can ref
        draft              .   X   .   .   .   .   .   X   .
        placed             .   .   X   .   .   .   .   X   .
        paid               .   .   .   X   .   .   .   .   X
        in_production      .   .   .   .   X   .   .   .   X
        ready              .   .   .   .   .   X   .   .   X
        shipped            .   .   .   .   .   .   X   .   X
        delivered          .   .   .   .   .   .   .   .   X
        cancelled          .   .   .   .   .   .   .   .   .
        refunded           .   .   .   .   .   .   .   .   .
    "#]]
    .assert_eq(&out);
}

#[test]
fn terminal_states_and_names() {
    let terminal: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
    assert_eq!(terminal, [OrderStatus::Cancelled, OrderStatus::Refunded]);
    for s in OrderStatus::ALL {
        assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
    }
    assert_eq!(OrderStatus::parse("DRAFT"), None);
}

fn spec() -> ProductionSpec {
    ProductionSpec {
        grams_per_unit: 12,
        print_minutes_per_unit: 30,
        copies_per_plate: 4,
    }
}

fn product(active: bool, currency: Currency) -> Product {
    Product {
        id: ProductId(7),
        sku: "VASE".into(),
        name: "Vase".into(),
        description: String::new(),
        category_id: None,
        model_ref: Some("models/vase.3mf".into()),
        default_material_id: MaterialId(3),
        price: Money::new(1250, currency),
        production: spec(),
        active,
        created_at: chrono::DateTime::UNIX_EPOCH,
        updated_at: chrono::DateTime::UNIX_EPOCH,
    }
}

#[test]
fn product_line_defaults() {
    let p = product(true, Currency::EUR);
    let d = resolve_line(Currency::EUR, 1, &NewOrderLine::product(p.id, 3), Some(&p), "red").unwrap();
    assert_eq!(d.material_id, MaterialId(3));
    assert_eq!(d.unit_price, Money::new(1250, Currency::EUR));
    assert_eq!(d.production, spec());
    assert_eq!(d.colour, "red");
    assert_eq!(d.description, "Vase");
    assert_eq!(d.model_ref.as_deref(), Some("models/vase.3mf"));
    assert_eq!(d.total().unwrap().minor, 3750);

    // Explicit values win over the defaults.
    let line = NewOrderLine {
        material_id: Some(MaterialId(9)),
        colour: Some(" blue ".into()),
        unit_price_minor: Some(999),
        production: Some(ProductionSpec {
            copies_per_plate: 1,
            ..spec()
        }),
        ..NewOrderLine::product(p.id, 2)
    };
    let d = resolve_line(Currency::EUR, 2, &line, Some(&p), "red").unwrap();
    assert_eq!(
        (
            d.material_id,
            d.colour.as_str(),
            d.unit_price.minor,
            d.production.copies_per_plate
        ),
        (MaterialId(9), "blue", 999, 1)
    );
    // An explicit price makes the product's currency irrelevant.
    let usd = product(true, Currency::USD);
    assert!(resolve_line(Currency::EUR, 1, &line, Some(&usd), "red").is_ok());
}

#[test]
fn line_rejections() {
    let p = product(true, Currency::EUR);
    let inactive = product(false, Currency::EUR);
    let usd = product(true, Currency::USD);
    let model = NewOrderLine::model("m.stl", MaterialId(1), 2, 500, spec());
    // (line, product, expected code)
    let table: Vec<(NewOrderLine, Option<&Product>, &str)> = vec![
        (NewOrderLine::product(p.id, 0), Some(&p), "ORDER_QUANTITY_INVALID"),
        (
            NewOrderLine::product(p.id, -2),
            Some(&p),
            "ORDER_QUANTITY_INVALID",
        ),
        (
            NewOrderLine::product(p.id, 100_001),
            Some(&p),
            "ORDER_QUANTITY_INVALID",
        ),
        (
            NewOrderLine::product(p.id, 1),
            Some(&inactive),
            "ORDER_PRODUCT_INACTIVE",
        ),
        (
            NewOrderLine::product(p.id, 1),
            Some(&usd),
            "ORDER_CURRENCY_MISMATCH",
        ),
        (NewOrderLine::product(p.id, 1), None, "ORDER_LINE_INVALID"),
        (
            NewOrderLine {
                unit_price_minor: Some(-1),
                ..NewOrderLine::product(p.id, 1)
            },
            Some(&p),
            "ORDER_LINE_INVALID",
        ),
        (
            NewOrderLine {
                colour: Some(" ".into()),
                ..NewOrderLine::product(p.id, 1)
            },
            Some(&p),
            "ORDER_LINE_INVALID",
        ),
        (
            NewOrderLine {
                material_id: None,
                ..model.clone()
            },
            None,
            "ORDER_LINE_INCOMPLETE",
        ),
        (
            NewOrderLine {
                unit_price_minor: None,
                ..model.clone()
            },
            None,
            "ORDER_LINE_INCOMPLETE",
        ),
        (
            NewOrderLine {
                production: None,
                ..model.clone()
            },
            None,
            "ORDER_LINE_INCOMPLETE",
        ),
        (
            NewOrderLine {
                production: Some(ProductionSpec {
                    copies_per_plate: 0,
                    ..spec()
                }),
                ..model.clone()
            },
            None,
            "ORDER_LINE_INVALID",
        ),
        (
            NewOrderLine {
                item: LineItem::Model {
                    model_ref: "  ".into(),
                    description: String::new(),
                },
                ..model.clone()
            },
            None,
            "ORDER_LINE_INVALID",
        ),
        (
            NewOrderLine {
                unit_price_minor: Some(i64::MAX / 2 + 1),
                ..model.clone()
            },
            None,
            "ORDER_TOTAL_OVERFLOW",
        ),
    ];
    for (line, prod, code) in table {
        let e = resolve_line(Currency::EUR, 1, &line, prod, "red").unwrap_err();
        assert_eq!(e.code(), code, "{line:?}: {e}");
    }
    let d = resolve_line(Currency::EUR, 1, &model, None, "grey").unwrap();
    assert_eq!(
        (d.description.as_str(), d.colour.as_str(), d.product_id),
        ("m.stl", "grey", None)
    );
}

#[test]
fn totals_are_checked() {
    let q = |n| Quantity::new(n).unwrap();
    let a = Money::new(1999, Currency::EUR);
    let b = Money::new(1, Currency::EUR);
    assert_eq!(
        order_total(Currency::EUR, [(&a, q(3)), (&b, q(2))]).unwrap(),
        Money::new(5999, Currency::EUR)
    );
    assert_eq!(
        order_total(Currency::EUR, []).unwrap(),
        Money::zero(Currency::EUR)
    );
    let usd = Money::new(1, Currency::USD);
    assert_eq!(
        order_total(Currency::EUR, [(&usd, q(1))]).unwrap_err().code(),
        "ORDER_CURRENCY_MISMATCH"
    );
    let big = Money::new(i64::MAX / 2 + 1, Currency::EUR);
    assert_eq!(
        order_total(Currency::EUR, [(&big, q(1)), (&big, q(1))]).unwrap_err(),
        OrderError::TotalOverflow
    );
}

#[test]
fn header_checks() {
    let base = NewOrder {
        customer_id: CustomerId(1),
        currency: Currency::EUR,
        lines: vec![],
        priority: 0,
        due_at: None,
        idempotency_key: Some("  abc  ".into()),
    };
    assert_eq!(base.check_shape().unwrap().as_deref(), Some("abc"));
    let bad = [
        NewOrder {
            priority: PRIORITY_MAX + 1,
            ..base.clone()
        },
        NewOrder {
            idempotency_key: Some(" ".into()),
            ..base.clone()
        },
        NewOrder {
            idempotency_key: Some("x".repeat(IDEMPOTENCY_KEY_MAX + 1)),
            ..base.clone()
        },
        NewOrder {
            idempotency_key: Some("a\nb".into()),
            ..base.clone()
        },
    ];
    for o in bad {
        assert_eq!(o.check_shape().unwrap_err().code(), "ORDER_INVALID");
    }
    let with_bad_line = NewOrder {
        lines: vec![
            NewOrderLine::product(ProductId(1), 1),
            NewOrderLine::product(ProductId(1), 0),
        ],
        ..base
    };
    assert_eq!(
        with_bad_line.check_shape().unwrap_err(),
        OrderError::InvalidQuantity {
            line_no: 2,
            quantity: 0
        }
    );
}

#[test]
fn filter_page_size_is_clamped() {
    assert_eq!(
        OrderFilter {
            limit: 0,
            ..OrderFilter::all()
        }
        .page_size(),
        1
    );
    assert_eq!(
        OrderFilter {
            limit: 10_000,
            ..OrderFilter::all()
        }
        .page_size(),
        OrderFilter::MAX_LIMIT
    );
    assert_eq!(OrderFilter::all().page_size(), 50);
}
