//! Order persistence: creation with defaults and totals, idempotency, draft editing, the
//! lifecycle through the store (every status × every command), history, listing.

// Test helpers outside #[test] fns unwrap too (clippy.toml only allows it inside tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::{customer, material, spec, t0, user};
use gantry_engine::db_test;
use gantry_engine::domain::catalog::{NewProduct, Product, ProductPatch};
use gantry_engine::domain::orders::{
    LineItem, NewOrder, NewOrderLine, OrderError, OrderFilter, OrderStatus, OrderWithLines,
};
use gantry_engine::domain::types::{
    Currency, CustomerId, MaterialId, Money, OrderId, OrderLineId, ProductId, UserId,
};
use gantry_engine::error::{Coded, DomainError, ErrorKind};
use gantry_engine::store::{Db, StoreError, StoreResult, Tx, catalog, count_rows, orders, production};

struct Fx {
    alice: CustomerId,
    bob: CustomerId,
    clerk: UserId,
    pla: MaterialId,
    petg: MaterialId,
    vase: Product,
    retired: Product,
}

async fn fixture(db: &Db) -> Fx {
    let pla = material(db, "PLA-RED", "red").await;
    let petg = material(db, "PETG-BLK", "black").await;
    let new = |sku: &str, price: i64| NewProduct {
        sku: sku.into(),
        name: format!("Product {sku}"),
        description: String::new(),
        category_id: None,
        model_ref: Some(format!("models/{sku}.3mf")),
        default_material_id: pla,
        price: Money::new(price, Currency::EUR),
        production: spec(30, 90, 4),
    };
    let vase = ok!(db, |tx| catalog::create_product(
        &mut tx,
        t0(),
        &new("VASE", 1999)
    ));
    let retired = ok!(db, |tx| catalog::create_product(&mut tx, t0(), &new("OLD", 500)));
    let retired = ok!(db, |tx| catalog::deactivate_product(&mut tx, t0(), retired.id));
    Fx {
        alice: customer(db, "Alice").await,
        bob: customer(db, "Bob").await,
        clerk: user(db, "clerk@example.com", "sales").await,
        pla,
        petg,
        vase,
        retired,
    }
}

fn order(customer: CustomerId, lines: Vec<NewOrderLine>) -> NewOrder {
    NewOrder {
        customer_id: customer,
        currency: Currency::EUR,
        lines,
        priority: 0,
        due_at: None,
        idempotency_key: None,
    }
}

fn model_line(material: MaterialId, quantity: i64, price: i64) -> NewOrderLine {
    NewOrderLine::model("uploads/bracket.stl", material, quantity, price, spec(12, 45, 3))
}

/// Row counts of the order tables (and jobs), to check a rejection wrote nothing.
async fn counts(db: &Db) -> [i64; 5] {
    let mut out = [0; 5];
    for (i, t) in [
        "orders",
        "order_lines",
        "order_status_history",
        "jobs",
        "job_events",
    ]
    .into_iter()
    .enumerate()
    {
        out[i] = count_rows(db, t).await.unwrap();
    }
    out
}

async fn get(db: &Db, id: OrderId) -> OrderWithLines {
    let mut conn = db.pool().acquire().await.unwrap();
    orders::get_order_with_lines(&mut conn, id).await.unwrap()
}

async fn history(db: &Db, id: OrderId) -> String {
    let mut conn = db.pool().acquire().await.unwrap();
    orders::status_history(&mut conn, id)
        .await
        .unwrap()
        .iter()
        .map(|h| {
            let from = h.from.map_or("-", OrderStatus::as_str);
            let by = h.changed_by.map_or("system".to_string(), |u| format!("user {u}"));
            format!(
                "{from} -> {} by {by} at +{}s: {:?}\n",
                h.to,
                (h.changed_at - t0()).num_seconds(),
                h.note
            )
        })
        .collect()
}

db_test!(creates_a_draft_with_defaults_and_totals, |db| {
    let fx = fixture(db).await;
    let due = t0() + chrono::Duration::days(3);
    let new = NewOrder {
        priority: 5,
        due_at: Some(due),
        ..order(
            fx.alice,
            vec![
                NewOrderLine::product(fx.vase.id, 3),
                NewOrderLine {
                    colour: Some("Signal orange".into()),
                    ..model_line(fx.petg, 2, 450)
                },
            ],
        )
    };
    let created = ok!(db, |tx| orders::create_order(&mut tx, t0(), &new, Some(fx.clerk)));
    let o = &created.order;
    assert_eq!(
        (o.status, o.customer_id, o.priority, o.due_at),
        (OrderStatus::Draft, fx.alice, 5, Some(due))
    );
    assert_eq!(o.total, Money::new(3 * 1999 + 2 * 450, Currency::EUR));
    assert_eq!((o.created_at, o.updated_at), (t0(), t0()));

    let [p, m] = &created.lines[..] else {
        panic!("two lines expected")
    };
    // Product line: everything defaulted from the product; colour from its material.
    assert_eq!(
        (p.line_no, p.product_id, p.model_ref.as_deref()),
        (1, Some(fx.vase.id), Some("models/VASE.3mf"))
    );
    assert_eq!(
        (p.material_id, p.colour.as_str(), p.description.as_str()),
        (fx.pla, "red", "Product VASE")
    );
    assert_eq!(
        (p.quantity.get(), p.unit_price, p.production),
        (3, fx.vase.price, fx.vase.production)
    );
    assert_eq!((p.printed_count, p.failed_count), (0, 0));
    // Model line: as given.
    assert_eq!(
        (m.line_no, m.product_id, m.model_ref.as_deref()),
        (2, None, Some("uploads/bracket.stl"))
    );
    assert_eq!((m.material_id, m.colour.as_str()), (fx.petg, "Signal orange"));
    assert_eq!(
        (m.quantity.get(), m.unit_price.minor, m.production),
        (2, 450, spec(12, 45, 3))
    );

    assert_eq!(get(db, o.id).await, created);
    expect_test::expect![[r#"
        - -> draft by user 1 at +0s: "created"
    "#]]
    .assert_eq(&history(db, o.id).await);
});

db_test!(idempotency_key_returns_the_first_order, |db| {
    let fx = fixture(db).await;
    let new = NewOrder {
        idempotency_key: Some("cart-42".into()),
        ..order(fx.alice, vec![NewOrderLine::product(fx.vase.id, 1)])
    };
    let first = ok!(db, |tx| orders::create_order(&mut tx, t0(), &new, None));
    let before = counts(db).await;
    // A retry (even with different lines, or padded key) returns the stored order, writes nothing.
    let retry = NewOrder {
        idempotency_key: Some(" cart-42 ".into()),
        lines: vec![],
        ..new.clone()
    };
    let again = ok!(db, |tx| orders::create_order(&mut tx, t0(), &retry, None));
    assert_eq!(again, first);
    assert_eq!(counts(db).await, before);
    // Another customer cannot reuse the key.
    let theirs = NewOrder {
        customer_id: fx.bob,
        ..new.clone()
    };
    let e = rejected!(db, |tx| orders::create_order(&mut tx, t0(), &theirs, None));
    assert_eq!(
        (e.code(), e.kind()),
        ("ORDER_IDEMPOTENCY_CONFLICT", ErrorKind::Conflict)
    );
    assert_eq!(counts(db).await, before);
    // Without a key, every create is a new order.
    let plain = NewOrder {
        idempotency_key: None,
        ..new
    };
    let a = ok!(db, |tx| orders::create_order(&mut tx, t0(), &plain, None));
    let b = ok!(db, |tx| orders::create_order(&mut tx, t0(), &plain, None));
    assert_ne!(a.order.id, b.order.id);
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(
        orders::order_by_idempotency_key(&mut conn, "cart-42")
            .await
            .unwrap()
            .map(|o| o.id),
        Some(first.order.id)
    );
});

db_test!(bad_input_is_typed_and_writes_nothing, |db| {
    let fx = fixture(db).await;
    let good = NewOrderLine::product(fx.vase.id, 1);
    // Each order has a valid first line, so a partial write would show.
    let with = |bad: NewOrderLine| order(fx.alice, vec![good.clone(), bad]);
    let usd_product = NewOrder {
        currency: Currency::USD,
        ..order(fx.alice, vec![NewOrderLine::product(fx.vase.id, 1)])
    };
    let cases: Vec<(&str, NewOrder, &str)> = vec![
        (
            "zero quantity",
            with(NewOrderLine::product(fx.vase.id, 0)),
            "ORDER_QUANTITY_INVALID",
        ),
        (
            "negative quantity",
            with(model_line(fx.pla, -3, 100)),
            "ORDER_QUANTITY_INVALID",
        ),
        (
            "unknown material",
            with(model_line(MaterialId(999), 1, 100)),
            "NOT_FOUND",
        ),
        (
            "unknown product's material",
            with(NewOrderLine {
                material_id: Some(MaterialId(999)),
                ..good.clone()
            }),
            "NOT_FOUND",
        ),
        (
            "unknown product",
            with(NewOrderLine::product(ProductId(999), 1)),
            "NOT_FOUND",
        ),
        (
            "inactive product",
            with(NewOrderLine::product(fx.retired.id, 1)),
            "ORDER_PRODUCT_INACTIVE",
        ),
        ("currency mismatch", usd_product, "ORDER_CURRENCY_MISMATCH"),
        (
            "negative price",
            with(model_line(fx.pla, 1, -1)),
            "ORDER_LINE_INVALID",
        ),
        (
            "no price",
            with(NewOrderLine {
                unit_price_minor: None,
                ..model_line(fx.pla, 1, 1)
            }),
            "ORDER_LINE_INCOMPLETE",
        ),
        (
            "no material",
            with(NewOrderLine {
                material_id: None,
                ..model_line(fx.pla, 1, 1)
            }),
            "ORDER_LINE_INCOMPLETE",
        ),
        (
            "empty model ref",
            with(NewOrderLine {
                item: LineItem::Model {
                    model_ref: " ".into(),
                    description: String::new(),
                },
                ..model_line(fx.pla, 1, 1)
            }),
            "ORDER_LINE_INVALID",
        ),
        (
            "line overflow",
            with(model_line(fx.pla, 3, i64::MAX / 2)),
            "ORDER_TOTAL_OVERFLOW",
        ),
        (
            "total overflow",
            order(
                fx.alice,
                vec![
                    model_line(fx.pla, 1, i64::MAX / 2 + 1),
                    model_line(fx.pla, 1, i64::MAX / 2 + 1),
                ],
            ),
            "ORDER_TOTAL_OVERFLOW",
        ),
        (
            "unknown customer",
            order(CustomerId(999), vec![good.clone()]),
            "NOT_FOUND",
        ),
        (
            "priority",
            NewOrder {
                priority: 1_000_000,
                ..order(fx.alice, vec![good.clone()])
            },
            "ORDER_INVALID",
        ),
    ];
    let before = counts(db).await;
    for (what, new, code) in cases {
        let e = rejected!(db, |tx| orders::create_order(&mut tx, t0(), &new, Some(fx.clerk)));
        assert_eq!(e.code(), code, "{what}: {e}");
        assert_eq!(counts(db).await, before, "{what} wrote something");
    }
    // The error names the offending line.
    let e = rejected!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &with(NewOrderLine::product(fx.vase.id, 0)),
        None
    ));
    assert!(matches!(
        e,
        StoreError::Rejected(DomainError::Order(OrderError::InvalidQuantity {
            line_no: 2,
            quantity: 0
        }))
    ));
    let e = rejected!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &with(model_line(MaterialId(999), 1, 1)),
        None
    ));
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                entity: "material",
                ..
            }
        ),
        "{e}"
    );
});

db_test!(draft_lines_change_until_placed, |db| {
    let fx = fixture(db).await;
    let draft = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &order(fx.alice, vec![]),
        None
    ));
    let id = draft.order.id;
    assert_eq!(draft.order.total, Money::zero(Currency::EUR));
    let e = rejected!(db, |tx| orders::place(&mut tx, t0(), id, None));
    assert_eq!(e.code(), "ORDER_EMPTY");

    let later = t0() + chrono::Duration::minutes(5);
    let o = ok!(db, |tx| orders::add_line(
        &mut tx,
        later,
        id,
        &NewOrderLine::product(fx.vase.id, 2)
    ));
    assert_eq!((o.order.total.minor, o.order.updated_at), (2 * 1999, later));
    let o = ok!(db, |tx| orders::add_line(
        &mut tx,
        later,
        id,
        &model_line(fx.pla, 4, 250)
    ));
    assert_eq!(o.order.total.minor, 2 * 1999 + 1000);
    assert_eq!(o.lines.iter().map(|l| l.line_no).collect::<Vec<_>>(), [1, 2]);

    let before = counts(db).await;
    for (line, code) in [
        (NewOrderLine::product(fx.vase.id, 0), "ORDER_QUANTITY_INVALID"),
        (NewOrderLine::product(fx.retired.id, 1), "ORDER_PRODUCT_INACTIVE"),
        (model_line(fx.pla, 1, i64::MAX - 100), "ORDER_TOTAL_OVERFLOW"),
    ] {
        let e = rejected!(db, |tx| orders::add_line(&mut tx, later, id, &line));
        assert_eq!(e.code(), code);
    }
    assert_eq!(counts(db).await, before);
    assert_eq!(get(db, id).await, o);

    let first = o.lines[0].id;
    let o = ok!(db, |tx| orders::remove_line(&mut tx, later, id, first));
    assert_eq!((o.order.total.minor, o.lines.len()), (1000, 1));
    // Line numbers keep growing after a removal.
    let o = ok!(db, |tx| orders::add_line(
        &mut tx,
        later,
        id,
        &NewOrderLine::product(fx.vase.id, 1)
    ));
    assert_eq!(o.lines.iter().map(|l| l.line_no).collect::<Vec<_>>(), [2, 3]);

    // A line of another order, or no line at all, is not found.
    let other = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &order(fx.bob, vec![model_line(fx.pla, 1, 1)]),
        None
    ));
    let e = rejected!(db, |tx| orders::remove_line(
        &mut tx,
        later,
        id,
        other.lines[0].id
    ));
    assert!(matches!(
        e,
        StoreError::NotFound {
            entity: "order line",
            ..
        }
    ));
    let e = rejected!(db, |tx| orders::remove_line(&mut tx, later, id, OrderLineId(999)));
    assert_eq!(e.code(), "NOT_FOUND");

    ok!(db, |tx| orders::place(&mut tx, later, id, Some(fx.clerk)));
    let placed = get(db, id).await;
    let before = counts(db).await;
    let e = rejected!(db, |tx| orders::add_line(
        &mut tx,
        later,
        id,
        &NewOrderLine::product(fx.vase.id, 1)
    ));
    assert_eq!((e.code(), e.kind()), ("ORDER_NOT_DRAFT", ErrorKind::Conflict));
    let e = rejected!(db, |tx| orders::remove_line(
        &mut tx,
        later,
        id,
        placed.lines[0].id
    ));
    assert_eq!(e.code(), "ORDER_NOT_DRAFT");
    assert_eq!(counts(db).await, before);
    assert_eq!(get(db, id).await, placed);
});

db_test!(lifecycle_is_recorded_and_illegal_moves_are_typed, |db| {
    let fx = fixture(db).await;
    let by = Some(fx.clerk);
    let id = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &order(fx.alice, vec![model_line(fx.pla, 1, 100)]),
        by
    ))
    .order
    .id;
    let at = |m: i64| t0() + chrono::Duration::minutes(m);
    ok!(db, |tx| orders::place(&mut tx, at(1), id, by));
    let paid = ok!(db, |tx| orders::pay(&mut tx, at(2), id, by));
    assert_eq!((paid.status, paid.updated_at), (OrderStatus::Paid, at(2)));

    let before = counts(db).await;
    let e = rejected!(db, |tx| orders::ship(&mut tx, at(3), id, by));
    assert!(
        matches!(
            e,
            StoreError::Rejected(DomainError::Order(OrderError::IllegalTransition {
                from: OrderStatus::Paid,
                to: OrderStatus::Shipped
            }))
        ),
        "{e}"
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("ORDER_ILLEGAL_TRANSITION", ErrorKind::Conflict)
    );
    assert_eq!(e.to_string(), "order cannot go from paid to shipped");
    let e = rejected!(db, |tx| orders::cancel(&mut tx, at(3), id, by, "changed my mind"));
    assert_eq!(e.to_string(), "order cannot go from paid to cancelled");
    assert_eq!(counts(db).await, before);
    assert_eq!(get(db, id).await.order.status, OrderStatus::Paid);

    ok!(db, |tx| orders::refund(
        &mut tx,
        at(4),
        id,
        by,
        "  changed my mind "
    ));
    let e = rejected!(db, |tx| orders::pay(&mut tx, at(5), id, by));
    assert_eq!(e.to_string(), "order cannot go from refunded to paid");

    let cancelled = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &order(fx.bob, vec![]),
        None
    ))
    .order
    .id;
    ok!(db, |tx| orders::cancel(
        &mut tx,
        at(9),
        cancelled,
        None,
        "duplicate"
    ));

    expect_test::expect![[r#"
        - -> draft by user 1 at +0s: "created"
        draft -> placed by user 1 at +60s: ""
        placed -> paid by user 1 at +120s: ""
        paid -> refunded by user 1 at +240s: "changed my mind"
        --
        - -> draft by system at +0s: "created"
        draft -> cancelled by system at +540s: "duplicate"
    "#]]
    .assert_eq(&(history(db, id).await + "--\n" + &history(db, cancelled).await));
});

/// The commands that move an order, with the status each one targets.
#[derive(Debug, Clone, Copy)]
enum Cmd {
    Place,
    Pay,
    StartProduction,
    MarkReady,
    Ship,
    Deliver,
    Cancel,
    Refund,
}

impl Cmd {
    const ALL: [Cmd; 8] = [
        Cmd::Place,
        Cmd::Pay,
        Cmd::StartProduction,
        Cmd::MarkReady,
        Cmd::Ship,
        Cmd::Deliver,
        Cmd::Cancel,
        Cmd::Refund,
    ];

    fn target(self) -> OrderStatus {
        match self {
            Cmd::Place => OrderStatus::Placed,
            Cmd::Pay => OrderStatus::Paid,
            Cmd::StartProduction => OrderStatus::InProduction,
            Cmd::MarkReady => OrderStatus::Ready,
            Cmd::Ship => OrderStatus::Shipped,
            Cmd::Deliver => OrderStatus::Delivered,
            Cmd::Cancel => OrderStatus::Cancelled,
            Cmd::Refund => OrderStatus::Refunded,
        }
    }

    async fn run(self, tx: &mut Tx, id: OrderId) -> StoreResult<OrderStatus> {
        let now = t0();
        Ok(match self {
            Cmd::Place => orders::place(tx, now, id, None).await?.status,
            Cmd::Pay => orders::pay(tx, now, id, None).await?.status,
            Cmd::StartProduction => {
                production::start_production(tx, now, id, None).await?;
                orders::get_order(&mut *tx, id).await?.status
            }
            Cmd::MarkReady => orders::mark_ready(tx, now, id, None).await?.status,
            Cmd::Ship => orders::ship(tx, now, id, None).await?.status,
            Cmd::Deliver => orders::deliver(tx, now, id, None).await?.status,
            Cmd::Cancel => orders::cancel(tx, now, id, None, "").await?.status,
            Cmd::Refund => orders::refund(tx, now, id, None, "").await?.status,
        })
    }
}

db_test!(store_applies_exactly_the_legal_transitions, |db| {
    let fx = fixture(db).await;
    // One order per status, each with one line; lines of orders past production are printed.
    let mut table = String::new();
    for from in OrderStatus::ALL {
        let id = ok!(db, |tx| orders::create_order(
            &mut tx,
            t0(),
            &order(fx.alice, vec![model_line(fx.pla, 2, 10)]),
            None
        ))
        .order
        .id;
        sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
            .bind(from.as_str())
            .bind(id.0)
            .execute(db.pool())
            .await
            .unwrap();
        if from != OrderStatus::Paid {
            // mark_ready needs every line printed; start_production needs something to print.
            sqlx::query("UPDATE order_lines SET printed_count = quantity WHERE order_id = $1")
                .bind(id.0)
                .execute(db.pool())
                .await
                .unwrap();
        }
        table.push_str(&format!("{:<14}", from.as_str()));
        for cmd in Cmd::ALL {
            let before = counts(db).await;
            let mut tx = db.begin().await.unwrap();
            let result = cmd.run(&mut tx, id).await;
            let legal = OrderStatus::can_transition(from, cmd.target());
            match result {
                Ok(status) => {
                    assert!(legal, "{from} -{cmd:?}-> accepted");
                    assert_eq!(status, cmd.target());
                    tx.rollback().await.unwrap();
                    table.push_str(" X");
                }
                Err(e) => {
                    tx.commit().await.unwrap();
                    assert!(!legal, "{from} -{cmd:?}-> rejected: {e}");
                    assert!(
                        matches!(&e, StoreError::Rejected(DomainError::Order(OrderError::IllegalTransition { from: f, to }))
                            if *f == from && *to == cmd.target()),
                        "{from} -{cmd:?}->: {e}"
                    );
                    assert_eq!(counts(db).await, before, "{from} -{cmd:?}-> wrote something");
                    table.push_str(" .");
                }
            }
        }
        table.push('\n');
    }
    // Columns: place pay start_production mark_ready ship deliver cancel refund.
    expect_test::expect![[r#"
        draft          X . . . . . X .
        placed         . X . . . . X .
        paid           . . X . . . . X
        in_production  . . . X . . . X
        ready          . . . . X . . X
        shipped        . . . . . X . X
        delivered      . . . . . . . X
        cancelled      . . . . . . . .
        refunded       . . . . . . . .
    "#]]
    .assert_eq(&table);
});

db_test!(lists_by_customer_and_status_in_pages, |db| {
    let fx = fixture(db).await;
    let mut alice = Vec::new();
    for i in 0..5 {
        let o = ok!(db, |tx| orders::create_order(
            &mut tx,
            t0(),
            &order(fx.alice, vec![model_line(fx.pla, 1, i)]),
            None
        ));
        alice.push(o.order.id);
        let b = ok!(db, |tx| orders::create_order(
            &mut tx,
            t0(),
            &order(fx.bob, vec![model_line(fx.pla, 1, i)]),
            None
        ));
        if i % 2 == 0 {
            ok!(db, |tx| orders::place(&mut tx, t0(), o.order.id, None));
            ok!(db, |tx| orders::place(&mut tx, t0(), b.order.id, None));
        }
    }
    let mut conn = db.pool().acquire().await.unwrap();
    let mut seen = Vec::new();
    let mut filter = OrderFilter {
        customer_id: Some(fx.alice),
        status: None,
        after: None,
        limit: 2,
    };
    let mut pages = 0;
    loop {
        let page = orders::list_orders(&mut conn, &filter).await.unwrap();
        pages += 1;
        assert!(page.orders.len() <= 2);
        seen.extend(page.orders.iter().map(|o| o.id));
        match page.next_cursor {
            Some(c) => filter.after = Some(c),
            None => break,
        }
    }
    assert_eq!((seen.clone(), pages), (alice.clone(), 3));

    let placed = OrderFilter {
        customer_id: Some(fx.alice),
        status: Some(OrderStatus::Placed),
        after: None,
        limit: 10,
    };
    let page = orders::list_orders(&mut conn, &placed).await.unwrap();
    assert_eq!(
        page.orders.iter().map(|o| o.id).collect::<Vec<_>>(),
        [alice[0], alice[2], alice[4]]
    );
    assert_eq!(page.next_cursor, None);
    let all_placed = OrderFilter {
        customer_id: None,
        status: Some(OrderStatus::Placed),
        after: None,
        limit: 10,
    };
    let page = orders::list_orders(&mut conn, &all_placed).await.unwrap();
    assert_eq!(page.orders.len(), 6);
    assert!(page.orders.iter().all(|o| o.status == OrderStatus::Placed));
    let page = orders::list_orders(&mut conn, &OrderFilter::all()).await.unwrap();
    assert_eq!(page.orders.len(), 10);
    // An exact last page has no cursor.
    let exact = OrderFilter {
        limit: 10,
        ..OrderFilter::all()
    };
    assert_eq!(
        orders::list_orders(&mut conn, &exact).await.unwrap().next_cursor,
        None
    );
    let partial = OrderFilter {
        limit: 9,
        ..OrderFilter::all()
    };
    assert!(
        orders::list_orders(&mut conn, &partial)
            .await
            .unwrap()
            .next_cursor
            .is_some()
    );
    assert!(matches!(
        orders::get_order(&mut conn, OrderId(999)).await.unwrap_err(),
        StoreError::NotFound { entity: "order", .. }
    ));
    // Price edits of the product do not touch existing lines.
    drop(conn);
    let o = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &order(fx.alice, vec![NewOrderLine::product(fx.vase.id, 1)]),
        None
    ));
    let patch = ProductPatch {
        price: Some(Money::new(1, Currency::EUR)),
        ..Default::default()
    };
    ok!(db, |tx| catalog::update_product(
        &mut tx,
        t0(),
        fx.vase.id,
        &patch
    ));
    assert_eq!(get(db, o.order.id).await.lines[0].unit_price.minor, 1999);
});
