//! Finance through GraphQL on SQLite and PostgreSQL, beyond the "done when" of
//! `tests/finance.rs`: the issue's bad input (unbalanced, zero and negative entries, currency
//! mismatches) refused with its code and nothing written; manual entries; spools received at a
//! lot cost, paid in cash or on account; tax rates by product category on invoices; invoices
//! issued by parallel requests numbered without gaps; customers reading their own invoice and
//! its PDF only; the inventory valuation as CSV; and the erasure of a contact leaving the
//! ledger, the invoices and the order history whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use common::{TEST_PASSWORD, TestApp, code};
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::finance::pdf;
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::{Currency, CustomerId, MaterialId, OrderId, ProductId};
use gantry_engine::domain::users::{NewUser, Role};
use gantry_engine::store::live::testing;
use gantry_engine::store::{Db, col, count_rows, orders, users};
use serde_json::{Value, json};

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

fn data_dir() -> PathBuf {
    let id = gantry_api::auth::random_id().unwrap();
    let d = std::env::temp_dir().join(format!("gantry-finance-input-{id}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn eur(minor: i64) -> Value {
    json!({"minor": minor, "currency": "EUR"})
}

/// Waits until the server's finance consumer has handled every event in the outbox.
async fn posted(db: &Db) {
    for _ in 0..300 {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(e.id), 0) AS BIGINT) AS last, \
             CAST(COALESCE((SELECT MAX(c.last_event_id) FROM outbox_consumers c WHERE c.name = 'finance'), 0) AS BIGINT) AS pos \
             FROM events e",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let (last, cursor): (i64, i64) = (
            col(&row, "events", "last").unwrap(),
            col(&row, "events", "pos").unwrap(),
        );
        if cursor >= last {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the finance consumer did not catch up");
}

/// Rows of the tables bad input must not touch.
async fn written(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "journal_entries",
        "journal_lines",
        "payments",
        "spools",
        "invoices",
        "events",
    ] {
        out.push(count_rows(db, t).await.unwrap());
    }
    out
}

/// A placed order of `customer`: `lines`, in EUR.
async fn placed(db: &Db, customer: CustomerId, lines: Vec<NewOrderLine>) -> OrderId {
    let now = gantry_app::now();
    let mut tx = db.begin().await.unwrap();
    let o = orders::create_order(
        &mut tx,
        now,
        &NewOrder {
            customer_id: customer,
            currency: Currency::EUR,
            lines,
            priority: 0,
            due_at: None,
            idempotency_key: None,
        },
        None,
    )
    .await
    .unwrap()
    .order
    .id;
    orders::place(&mut tx, now, o, None).await.unwrap();
    tx.commit().await.unwrap();
    o
}

/// Two copies of a customer's model at `unit` minor units each.
fn model_line(material: MaterialId, unit: i64) -> NewOrderLine {
    NewOrderLine::model(
        "uploads/x.stl",
        material,
        2,
        unit,
        ProductionSpec {
            grams_per_unit: 5,
            print_minutes_per_unit: 10,
            copies_per_plate: 1,
        },
    )
}

async fn net(app: &TestApp, token: &str, account: &str) -> i64 {
    let v = app
        .graphql_as(
            token,
            "{ trialBalance { balanced accounts { account { code } net } } inventoryValuation { ledgerMinor stockMinor } }",
            json!({}),
        )
        .await;
    let tb = ok(&v, "trialBalance");
    assert_eq!(tb["balanced"], true, "{v}");
    for row in v["data"]["inventoryValuation"].as_array().unwrap() {
        assert_eq!(row["ledgerMinor"], row["stockMinor"], "{v}");
    }
    tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"]["code"] == account)
        .map(|a| a["net"].as_i64().unwrap())
        .sum()
}

const POST: &str = "mutation($i: JournalEntryInput!) { postJournalEntry(input: $i) { id source currency totalMinor memo \
    lines { account { code } debit credit } } }";
const PAY: &str =
    "mutation($o: ID!, $a: MoneyInput!) { recordPayment(orderId: $o, amount: $a) { orderStatus } }";
const RECEIVE: &str = "mutation($m: ID!, $c: MoneyInput, $cash: Boolean!) { receiveSpool(materialId: $m, grams: 500, \
    lotCost: $c, paidInCash: $cash) { id } }";
const ISSUE: &str = "mutation($o: ID!) { issueInvoice(orderId: $o) { number totalMinor taxMinor \
    lines { taxRateBp netMinor taxMinor grossMinor } } }";

async fn run(app: &TestApp) {
    let db = &app.db.db;
    let accountant = app.login_as(Role::Accountant).await;
    let admin = app.login_as(Role::Admin).await;
    let operator = app.login_as(Role::Operator).await;
    let planner = app.login_as(Role::Planner).await;
    let sales = app.login_as(Role::Sales).await;
    let now = gantry_app::now();
    // 1000 g of PLA at 20.00 EUR/kg bought on account; a paid order of Alice (invoiced).
    let fx = testing::farm(db, now, 1, 1000, 1).await.unwrap();
    let customer = {
        let mut c = db.pool().acquire().await.unwrap();
        orders::get_order(&mut c, fx.order).await.unwrap().customer_id
    };
    posted(db).await;
    assert_eq!(net(app, &accountant, "2000").await, -2000);

    // ---- Manual entries: each bad one refused with its code, nothing written.
    let dr = |a: &str, m: i64| json!({"account": a, "debit": eur(m)});
    let cr = |a: &str, m: i64| json!({"account": a, "credit": eur(m)});
    let before = written(db).await;
    for (lines, reason) in [
        (json!([]), "FINANCE_ZERO_ENTRY"),
        (json!([dr("2000", 0), cr("1000", 0)]), "FINANCE_ZERO_ENTRY"),
        (json!([dr("2000", 500)]), "FINANCE_ZERO_ENTRY"),
        (json!([dr("2000", 500), cr("1000", 499)]), "FINANCE_UNBALANCED"),
        (
            json!([dr("2000", -500), cr("1000", -500)]),
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            json!([{"account": "2000", "debit": eur(5), "credit": eur(5)}, cr("1000", 5)]),
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            json!([dr("2000", 500), {"account": "1000", "credit": {"minor": 500, "currency": "USD"}}]),
            "FINANCE_CURRENCY_MISMATCH",
        ),
        (
            json!([dr("2000", 500), cr("9999", 500)]),
            "FINANCE_UNKNOWN_ACCOUNT",
        ),
        (
            json!([dr("1200", 500), cr("1000", 500)]),
            "FINANCE_ACCOUNT_NOT_MANUAL",
        ),
        (
            json!([dr("2000", 500), cr("1100", 500)]),
            "FINANCE_ACCOUNT_NOT_MANUAL",
        ),
    ] {
        let v = app
            .graphql_as(
                &accountant,
                POST,
                json!({"i": {"memo": "Supplier", "lines": lines}}),
            )
            .await;
        assert_eq!(code(&v), ("VALIDATION", reason), "{lines}: {v}");
    }
    let v = app
        .graphql_as(
            &accountant,
            POST,
            json!({"i": {"memo": " ", "lines": [dr("2000", 5), cr("1000", 5)]}}),
        )
        .await;
    assert_eq!(code(&v), ("VALIDATION", "FINANCE_INVALID_FIELD"), "{v}");
    let v = app
        .graphql_as(
            &planner,
            POST,
            json!({"i": {"memo": "x", "lines": [dr("2000", 5), cr("1000", 5)]}}),
        )
        .await;
    assert_eq!(code(&v).0, "FORBIDDEN");
    assert_eq!(written(db).await, before);
    // Paying the filament supplier settles the spool bought on account.
    let v = app
        .graphql_as(
            &accountant,
            POST,
            json!({"i": {"memo": "Pay the filament supplier", "lines": [dr("2000", 2000), cr("1000", 2000)]}}),
        )
        .await;
    assert_eq!(
        ok(&v, "postJournalEntry"),
        &json!({"id": ok(&v, "postJournalEntry")["id"], "source": "manual", "currency": "EUR", "totalMinor": 2000,
            "memo": "Pay the filament supplier", "lines": [
                {"account": {"code": "2000"}, "debit": 2000, "credit": 0},
                {"account": {"code": "1000"}, "debit": 0, "credit": 2000}]})
    );
    assert_eq!(net(app, &accountant, "2000").await, 0);
    assert_eq!(net(app, &accountant, "1000").await, 500 - 2000);

    // ---- A spool at its lot cost, paid in cash; refused lot costs write nothing.
    let material = fx.material.0.to_string();
    let before = written(db).await;
    for (cost, reason) in [
        (
            json!({"minor": 3000, "currency": "USD"}),
            ("VALIDATION", "FINANCE_CURRENCY_MISMATCH"),
        ),
        (eur(-1), ("VALIDATION", "INVENTORY_INVALID_FIELD")),
    ] {
        let v = app
            .graphql_as(
                &operator,
                RECEIVE,
                json!({"m": material, "c": cost, "cash": true}),
            )
            .await;
        assert_eq!(code(&v), reason, "{v}");
    }
    assert_eq!(written(db).await, before);
    let v = app
        .graphql_as(
            &operator,
            RECEIVE,
            json!({"m": material, "c": eur(3000), "cash": true}),
        )
        .await;
    ok(&v, "receiveSpool");
    posted(db).await;
    let v = app
        .graphql_as(
            &accountant,
            "{ journalEntries(source: \"spool_receipt\", limit: 1) { memo lines { account { code } debit credit } } }",
            json!({}),
        )
        .await;
    let e = &ok(&v, "journalEntries")[0];
    assert!(e["memo"].as_str().unwrap().contains("paid in cash"), "{e}");
    // 500 g at 30.00 EUR/kg: 15.00 into inventory, out of the cash account.
    assert_eq!(
        e["lines"],
        json!([{"account": {"code": "1200"}, "debit": 1500, "credit": 0},
               {"account": {"code": "1000"}, "debit": 0, "credit": 1500}])
    );
    assert_eq!(net(app, &accountant, "1000").await, 500 - 2000 - 1500);
    assert_eq!(net(app, &accountant, "2000").await, 0);
    let v = app
        .graphql_as(
            &accountant,
            "{ financeReportCsv(report: INVENTORY_VALUATION) }",
            json!({}),
        )
        .await;
    let csv = ok(&v, "financeReportCsv").as_str().unwrap();
    // The farm's 1000 g at 20.00 EUR/kg (nothing printed yet) and the new 500 g at 30.00.
    assert_eq!(
        csv,
        "currency,ledger_minor,stock_minor,difference_minor\r\nEUR,3500,3500,0\r\n"
    );

    // ---- Tax by product category: 7 % on spare parts, the default 19 % on the rest.
    let v = app
        .graphql_as(
            &admin,
            "mutation { createCategory(input: {name: \"Spare parts\", slug: \"spare-parts\"}) { id } }",
            json!({}),
        )
        .await;
    let category = id(ok(&v, "createCategory"));
    let v = app
        .graphql_as(
            &admin,
            "mutation($c: ID!, $m: ID!) { createProduct(input: {sku: \"BRKT-1\", name: \"Bracket\", categoryId: $c, \
             defaultMaterialId: $m, price: {minor: 1070, currency: \"EUR\"}, \
             production: {gramsPerUnit: 5, printMinutesPerUnit: 10, copiesPerPlate: 1}}) { id } }",
            json!({"c": category, "m": material}),
        )
        .await;
    let product: i64 = id(ok(&v, "createProduct")).parse().unwrap();
    let set = "mutation($c: ID!, $r: Int!) { setTaxRate(categoryId: $c, rateBp: $r) { rateBp } }";
    for bad in [-1, 10_001] {
        let v = app
            .graphql_as(&accountant, set, json!({"c": category, "r": bad}))
            .await;
        assert_eq!(code(&v), ("VALIDATION", "FINANCE_INVALID_FIELD"), "{v}");
    }
    let v = app
        .graphql_as(&accountant, set, json!({"c": category, "r": 700}))
        .await;
    assert_eq!(ok(&v, "setTaxRate")["rateBp"], 700);
    let taxed = placed(
        db,
        customer,
        vec![
            NewOrderLine::product(ProductId(product), 2),
            model_line(fx.material, 500),
        ],
    )
    .await;
    let v = app
        .graphql_as(&accountant, ISSUE, json!({"o": taxed.0.to_string()}))
        .await;
    // 2 × 10.70 gross at 7 %: 20.00 + 1.40; 2 × 5.00 gross at 19 %: 8.40 + 1.60.
    assert_eq!(
        ok(&v, "issueInvoice")["lines"],
        json!([{"taxRateBp": 700, "netMinor": 2000, "taxMinor": 140, "grossMinor": 2140},
               {"taxRateBp": 1900, "netMinor": 840, "taxMinor": 160, "grossMinor": 1000}])
    );
    assert_eq!(
        (
            &v["data"]["issueInvoice"]["totalMinor"],
            &v["data"]["issueInvoice"]["taxMinor"]
        ),
        (&json!(3140), &json!(300))
    );

    // ---- Payments in another currency, of nothing or less: refused, nothing written.
    posted(db).await;
    let before = written(db).await;
    for (amount, reason) in [
        (
            json!({"minor": 100, "currency": "USD"}),
            "FINANCE_CURRENCY_MISMATCH",
        ),
        (eur(0), "FINANCE_INVALID_AMOUNT"),
        (eur(-5), "FINANCE_INVALID_AMOUNT"),
    ] {
        let v = app
            .graphql_as(&accountant, PAY, json!({"o": taxed.0.to_string(), "a": amount}))
            .await;
        assert_eq!(code(&v), ("VALIDATION", reason), "{v}");
    }
    assert_eq!(written(db).await, before);

    // ---- Parallel requests issue gap-free numbers: each of six orders asked twice at once.
    let mut six = Vec::new();
    for unit in 100..106 {
        six.push(placed(db, customer, vec![model_line(fx.material, unit)]).await);
    }
    let issued_before = count_rows(db, "invoices").await.unwrap();
    let calls = six
        .iter()
        .chain(six.iter())
        .map(|o| app.graphql_as(&accountant, ISSUE, json!({"o": o.0.to_string()})));
    let (mut seqs, mut refused) = (Vec::new(), 0);
    for v in futures_util::future::join_all(calls).await {
        if v["errors"].is_null() {
            let number = v["data"]["issueInvoice"]["number"].as_str().unwrap();
            seqs.push(number.rsplit('-').next().unwrap().parse::<i64>().unwrap());
        } else {
            assert_eq!(code(&v), ("CONFLICT", "FINANCE_ALREADY_ISSUED"), "{v}");
            refused += 1;
        }
    }
    seqs.sort();
    assert_eq!(
        seqs,
        ((issued_before + 1)..=(issued_before + 6)).collect::<Vec<_>>()
    );
    assert_eq!(refused, 6);
    assert_eq!(count_rows(db, "invoices").await.unwrap(), issued_before + 6);

    // ---- A customer reads their own invoice and its PDF; another customer nothing of it.
    {
        let hash = gantry_api::auth::hash_password_blocking(TEST_PASSWORD).unwrap();
        let mut tx = db.begin().await.unwrap();
        users::create_user(
            &mut tx,
            now,
            &NewUser {
                email: "alice@finance.test".into(),
                display_name: "Alice".into(),
                role: Role::Customer,
                customer_id: Some(customer),
                password_hash: Some(hash),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let alice = app.login("alice@finance.test", TEST_PASSWORD).await["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let mine = "query($o: ID!) { invoiceOfOrder(orderId: $o) { id number customerName pdfBase64 } }";
    let v = app
        .graphql_as(&alice, mine, json!({"o": fx.order.0.to_string()}))
        .await;
    let inv = ok(&v, "invoiceOfOrder").clone();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(inv["pdfBase64"].as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    let text = pdf::extract_text(&bytes);
    assert!(
        text.contains(inv["number"].as_str().unwrap()) && text.contains("5.00 EUR"),
        "{text}"
    );
    let v = app.graphql_as(&alice, "{ invoices { id } }", json!({})).await;
    assert_eq!(ok(&v, "invoices").as_array().unwrap().len(), 8);
    let dan = app.login_new(Role::Customer, "dan@finance.test").await;
    let v = app
        .graphql_as(&dan, mine, json!({"o": fx.order.0.to_string()}))
        .await;
    assert_eq!(code(&v).0, "NOT_FOUND", "{v}");
    let v = app
        .graphql_as(
            &dan,
            "query($id: ID!) { invoice(id: $id) { pdfBase64 } }",
            json!({"id": inv["id"]}),
        )
        .await;
    assert_eq!(code(&v).0, "NOT_FOUND", "{v}");
    let v = app.graphql_as(&dan, "{ invoices { id } }", json!({})).await;
    assert_eq!(ok(&v, "invoices"), &json!([]));
    let v = app
        .graphql_as(&alice, "{ trialBalance { balanced } }", json!({}))
        .await;
    assert_eq!(code(&v).0, "FORBIDDEN");

    // ---- Erasing a contact leaves the ledger, its invoices and the order history whole.
    let v = app
        .graphql_as(
            &sales,
            "mutation { createCustomer(input: {name: \"Fay Doe\", email: \"fay@finance.test\"}) { id } }",
            json!({}),
        )
        .await;
    let fay = id(ok(&v, "createCustomer"));
    let v = app
        .graphql_as(
            &sales,
            "mutation($c: ID!) { createContact(input: {name: \"Fay Doe\", email: \"fay@finance.test\", customerId: $c}) { id } }",
            json!({"c": fay}),
        )
        .await;
    let contact = id(ok(&v, "createContact"));
    let fay_order = placed(
        db,
        CustomerId(fay.parse().unwrap()),
        vec![model_line(fx.material, 450)],
    )
    .await;
    let v = app
        .graphql_as(
            &accountant,
            PAY,
            json!({"o": fay_order.0.to_string(), "a": eur(900)}),
        )
        .await;
    assert_eq!(ok(&v, "recordPayment")["orderStatus"], "paid");
    posted(db).await;
    let mut tx = db.begin().await.unwrap();
    orders::refund(&mut tx, gantry_app::now(), fay_order, None, "arrived broken")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    posted(db).await;
    let export = "query($id: ID!) { exportContact(id: $id) }";
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    let json: Value = serde_json::from_str(ok(&v, "exportContact").as_str().unwrap()).unwrap();
    let kinds: Vec<&str> = json["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["invoice", "credit_note"], "{json}");
    assert_eq!(json["invoices"][0]["lines"][0]["gross_minor"], 900, "{json}");
    assert_eq!(
        (
            json["payments"][0]["amount_minor"].clone(),
            json["payments"].as_array().unwrap().len()
        ),
        (json!(900), 1),
        "{json}"
    );
    assert_eq!(json["reviews"], json!([]));
    let ledger = "query($o: ID!) { journalEntries(orderId: $o) { id totalMinor } \
        invoiceOfOrder(orderId: $o) { number customerName totalMinor pdfBase64 } \
        orderMargin(orderId: $o) { revenueMinor marginMinor } trialBalance { balanced } }";
    let before = app
        .graphql_as(&accountant, ledger, json!({"o": fay_order.0.to_string()}))
        .await;
    assert!(before["errors"].is_null(), "{before}");
    assert_eq!(
        before["data"]["journalEntries"].as_array().unwrap().len(),
        4,
        "payment, invoice, credit note, refund: {before}"
    );
    let (entries, lines) = (
        count_rows(db, "journal_entries").await.unwrap(),
        count_rows(db, "journal_lines").await.unwrap(),
    );
    let v = app
        .graphql_as(
            &sales,
            "mutation($id: ID!) { eraseContact(id: $id) { erasedCustomerId } }",
            json!({"id": contact}),
        )
        .await;
    assert_eq!(ok(&v, "eraseContact")["erasedCustomerId"], json!(fay));
    let after = app
        .graphql_as(&accountant, ledger, json!({"o": fay_order.0.to_string()}))
        .await;
    // The invoice is an accounting record: kept as issued, to the name it was issued to.
    assert_eq!(after, before);
    assert_eq!(after["data"]["invoiceOfOrder"]["customerName"], "Fay Doe");
    assert_eq!(
        (
            count_rows(db, "journal_entries").await.unwrap(),
            count_rows(db, "journal_lines").await.unwrap()
        ),
        (entries, lines)
    );
    let mut c = db.pool().acquire().await.unwrap();
    let o = orders::get_order(&mut c, fay_order).await.unwrap();
    assert_eq!((o.total.minor, o.status.as_str()), (900, "refunded"));
    drop(c);
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    let text = ok(&v, "exportContact").as_str().unwrap().to_string();
    assert!(!text.contains("fay@finance.test"), "{text}");
    net(app, &accountant, "1000").await;
}

async fn go(backend: gantry_engine::store::Backend) {
    let dir = data_dir();
    let d = dir.display().to_string();
    let app = common::spawn_app_with(backend, &[("GANTRY_DATA_DIR", d.as_str())]).await;
    run(&app).await;
    app.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[actix_web::test]
async fn bad_input_manual_entries_lot_costs_tax_numbers_and_erasure_sqlite() {
    go(gantry_engine::store::Backend::Sqlite).await;
}

#[actix_web::test]
async fn bad_input_manual_entries_lot_costs_tax_numbers_and_erasure_postgres() {
    go(gantry_engine::store::Backend::Postgres).await;
}
