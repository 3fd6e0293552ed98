//! Finance through GraphQL on SQLite and PostgreSQL, with the server's own finance consumer
//! posting from the outbox: the issue's "done when" (a paid order printed with one failed
//! attempt shows its invoice, its PDF, its actual cost and margin, and the trial balance is
//! zero), payments in parts with ageing and customer balances following them, paying a
//! cancelled or paid order refused with nothing written, margins along every dimension, the
//! cash flow, every report as CSV, and an expense with its receipt in object storage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{TestApp, code};
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::{Currency, CustomerId, JobId, MaterialId, OrderId, PrinterId};
use gantry_engine::domain::users::Role;
use gantry_engine::store::live::{self, testing};
use gantry_engine::store::{Db, col, count_rows, orders};
use serde_json::{Value, json};

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

fn data_dir() -> PathBuf {
    let id = gantry_api::auth::random_id().unwrap();
    let d = std::env::temp_dir().join(format!("gantry-finance-{id}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Waits until the server's finance consumer has handled every event in the outbox.
async fn posted(db: &Db) {
    for _ in 0..300 {
        let last: i64 = {
            let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM events")
                .fetch_one(db.pool())
                .await
                .unwrap();
            col(&row, "events", "n").unwrap()
        };
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(last_event_id), 0) AS BIGINT) AS n FROM outbox_consumers WHERE name = 'finance'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let cursor: i64 = col(&row, "outbox_consumers", "n").unwrap();
        if cursor >= last {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the finance consumer did not catch up");
}

/// Outbox events about payments and orders (the live farm adds its own meanwhile).
async fn money_events(db: &Db) -> i64 {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM events WHERE type IN \
         ('payment.recorded', 'payment.held', 'order.status_changed', 'invoice.issued')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    col(&row, "events", "n").unwrap()
}

/// Prints `job` on `p` for 30 minutes from `start`: done, or failed at half way.
async fn print(db: &Db, p: PrinterId, job: JobId, start: DateTime<Utc>, fail: bool) -> Option<JobId> {
    let mut tx = db.begin().await.unwrap();
    live::start_on(&mut tx, start, p, job, true).await.unwrap();
    let end = start + chrono::Duration::minutes(30);
    let reprint = if fail {
        live::fail_on(&mut tx, end, p, job, "spaghetti", Some(50), 2)
            .await
            .unwrap()
            .failure
            .reprint
            .map(|j| j.id)
    } else {
        live::complete_on(&mut tx, end, p, job).await.unwrap();
        None
    };
    live::move_printer(&mut tx, end, p, PrinterStatus::Idle)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    reprint
}

/// A placed order of `customer` for two copies at `unit` minor units each.
async fn placed_order(db: &Db, customer: CustomerId, material: MaterialId, unit: i64) -> OrderId {
    let mut tx = db.begin().await.unwrap();
    let o = orders::create_order(
        &mut tx,
        gantry_app::now(),
        &NewOrder {
            customer_id: customer,
            currency: Currency::EUR,
            lines: vec![NewOrderLine::model(
                "uploads/x.stl",
                material,
                2,
                unit,
                ProductionSpec {
                    grams_per_unit: 5,
                    print_minutes_per_unit: 10,
                    copies_per_plate: 1,
                },
            )],
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
    orders::place(&mut tx, gantry_app::now(), o, None).await.unwrap();
    tx.commit().await.unwrap();
    o
}

const PAY: &str = "mutation($o: ID!, $m: Int!) { recordPayment(orderId: $o, amount: {minor: $m, currency: \"EUR\"}, \
    reference: \"bank transfer\") { payment { id provider amountMinor } orderStatus outstandingMinor settled } }";

async fn balance(app: &TestApp, token: &str, customer: i64) -> Value {
    let v = app
        .graphql_as(
            token,
            "query($c: ID) { customerBalances(customerId: $c) { currency receivable prepaid balance } }",
            json!({"c": customer.to_string()}),
        )
        .await;
    ok(&v, "customerBalances").clone()
}

async fn balanced(app: &TestApp, token: &str) {
    let v = app
        .graphql_as(
            token,
            "{ trialBalance { balanced } inventoryValuation { ledgerMinor stockMinor } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&v, "trialBalance")["balanced"], true, "{v}");
    for row in v["data"]["inventoryValuation"].as_array().unwrap() {
        assert_eq!(row["ledgerMinor"], row["stockMinor"], "{v}");
    }
}

async fn run(app: &TestApp) {
    let db = &app.db.db;
    let accountant = app.login_as(Role::Accountant).await;
    let planner = app.login_as(Role::Planner).await;
    let sales = app.login_as(Role::Sales).await;
    let now = gantry_app::now();

    // ---- Done when: a paid order printed with one failed attempt.
    let fx = testing::farm(db, now, 1, 1000, 1).await.unwrap();
    let p = fx.printers[0];
    let reprint = print(db, p, fx.jobs[0].id, now, true).await.expect("a reprint");
    assert!(
        print(db, p, reprint, now + chrono::Duration::hours(1), false)
            .await
            .is_none()
    );
    posted(db).await;
    let order = fx.order.0.to_string();
    let v = app
        .graphql_as(
            &accountant,
            "query($o: ID!) { invoiceOfOrder(orderId: $o) { number netMinor taxMinor totalMinor pdfBase64 } \
             jobCosts(orderId: $o) { state materialMinor machineMinor } \
             orderMargin(orderId: $o) { priceMinor revenueMinor costMinor marginMinor failedMinor attempts failedAttempts } \
             orderPayments(orderId: $o) { paidMinor outstandingMinor } }",
            json!({"o": order}),
        )
        .await;
    let inv = ok(&v, "invoiceOfOrder");
    assert!(inv["number"].as_str().unwrap().starts_with("INV-"), "{v}");
    assert_eq!(
        (&inv["netMinor"], &inv["taxMinor"], &inv["totalMinor"]),
        (&json!(420), &json!(80), &json!(500))
    );
    let pdf = inv["pdfBase64"].as_str().unwrap();
    assert!(pdf.starts_with("JVBERi0xLjQ"), "a PDF 1.4: {}", &pdf[..20]);
    assert_eq!(
        v["data"]["jobCosts"],
        json!([
            {"state": "failed", "materialMinor": 10, "machineMinor": 75},
            {"state": "done", "materialMinor": 20, "machineMinor": 75}
        ])
    );
    assert_eq!(
        v["data"]["orderMargin"],
        json!({"priceMinor": 500, "revenueMinor": 420, "costMinor": 180, "marginMinor": 240,
               "failedMinor": 85, "attempts": 2, "failedAttempts": 1})
    );
    assert_eq!(
        v["data"]["orderPayments"],
        json!({"paidMinor": 500, "outstandingMinor": 0})
    );
    balanced(app, &accountant).await;
    // Planners see costs, not the ledger.
    let v = app
        .graphql_as(
            &planner,
            "query($o: ID!) { orderMargin(orderId: $o) { marginMinor } }",
            json!({"o": order}),
        )
        .await;
    assert_eq!(ok(&v, "orderMargin")["marginMinor"], 240);
    let v = app
        .graphql_as(&planner, "{ trialBalance { balanced } }", json!({}))
        .await;
    assert_eq!(code(&v).0, "FORBIDDEN");

    // ---- Payments in parts: an invoice issued on demand, then paid 300 + 700.
    let customer = {
        let mut c = db.pool().acquire().await.unwrap();
        orders::get_order(&mut c, fx.order).await.unwrap().customer_id
    };
    let o2 = placed_order(db, customer, fx.material, 500).await;
    let v = app
        .graphql_as(
            &accountant,
            "mutation($o: ID!) { issueInvoice(orderId: $o) { totalMinor } }",
            json!({"o": o2.0.to_string()}),
        )
        .await;
    assert_eq!(ok(&v, "issueInvoice")["totalMinor"], 1000);
    posted(db).await;
    assert_eq!(
        balance(app, &accountant, customer.0).await,
        json!([{"currency": "EUR", "receivable": 1000, "prepaid": 0, "balance": 1000}])
    );
    let v = app
        .graphql_as(&sales, PAY, json!({"o": o2.0.to_string(), "m": 300}))
        .await;
    let r = ok(&v, "recordPayment");
    assert_eq!(
        (&r["orderStatus"], &r["outstandingMinor"], &r["settled"]),
        (&json!("placed"), &json!(700), &json!(false))
    );
    assert_eq!(r["payment"]["provider"], "manual");
    posted(db).await;
    assert_eq!(
        balance(app, &accountant, customer.0).await,
        json!([{"currency": "EUR", "receivable": 700, "prepaid": 0, "balance": 700}])
    );
    let v = app
        .graphql_as(&accountant, "{ receivablesAgeing { current total } }", json!({}))
        .await;
    assert_eq!(
        ok(&v, "receivablesAgeing"),
        &json!([{"current": 700, "total": 700}])
    );
    // More than is owed: refused, nothing written.
    let payments = count_rows(db, "payments").await.unwrap();
    let v = app
        .graphql_as(&accountant, PAY, json!({"o": o2.0.to_string(), "m": 701}))
        .await;
    assert_eq!(code(&v), ("CONFLICT", "FINANCE_OVERPAYMENT"), "{v}");
    assert_eq!(count_rows(db, "payments").await.unwrap(), payments);
    let v = app
        .graphql_as(&accountant, PAY, json!({"o": o2.0.to_string(), "m": 700}))
        .await;
    let r = ok(&v, "recordPayment");
    assert_eq!(
        (&r["orderStatus"], &r["outstandingMinor"], &r["settled"]),
        (&json!("paid"), &json!(0), &json!(true))
    );
    posted(db).await;
    assert_eq!(balance(app, &accountant, customer.0).await, json!([]));
    let v = app
        .graphql_as(&accountant, "{ receivablesAgeing { total } }", json!({}))
        .await;
    assert_eq!(ok(&v, "receivablesAgeing"), &json!([]));
    let v = app
        .graphql_as(
            &accountant,
            "query($o: ID!) { orderPayments(orderId: $o) { paidMinor outstandingMinor payments { amountMinor } } }",
            json!({"o": o2.0.to_string()}),
        )
        .await;
    assert_eq!(
        ok(&v, "orderPayments"),
        &json!({"paidMinor": 1000, "outstandingMinor": 0, "payments": [{"amountMinor": 300}, {"amountMinor": 700}]})
    );
    // Paid already; a cancelled order, twice: refused, nothing written.
    let o3 = placed_order(db, customer, fx.material, 100).await;
    let mut tx = db.begin().await.unwrap();
    orders::cancel(&mut tx, gantry_app::now(), o3, None, "changed mind")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    posted(db).await;
    let (payments, entries, events) = (
        count_rows(db, "payments").await.unwrap(),
        count_rows(db, "journal_entries").await.unwrap(),
        money_events(db).await,
    );
    let v = app
        .graphql_as(&accountant, PAY, json!({"o": o2.0.to_string(), "m": 1}))
        .await;
    assert_eq!(code(&v), ("CONFLICT", "FINANCE_ALREADY_PAID"), "{v}");
    for _ in 0..2 {
        let v = app
            .graphql_as(&accountant, PAY, json!({"o": o3.0.to_string(), "m": 200}))
            .await;
        assert_eq!(code(&v), ("CONFLICT", "FINANCE_NOT_PAYABLE"), "{v}");
        let v = app
            .graphql_as(
                &sales,
                "mutation($o: ID!) { payOrder(id: $o) { status } }",
                json!({"o": o3.0.to_string()}),
            )
            .await;
        assert_eq!(code(&v).0, "CONFLICT", "{v}");
    }
    assert_eq!(
        (
            count_rows(db, "payments").await.unwrap(),
            count_rows(db, "journal_entries").await.unwrap(),
            money_events(db).await
        ),
        (payments, entries, events)
    );
    let v = app
        .graphql_as(&planner, PAY, json!({"o": o2.0.to_string(), "m": 1}))
        .await;
    assert_eq!(code(&v).0, "FORBIDDEN");
    balanced(app, &accountant).await;

    // ---- Margins along every dimension add up to the same total; cash flow; CSV of each.
    let period = gantry_engine::domain::finance::period_of(now);
    let mut totals = Vec::new();
    for by in ["ORDER", "PRODUCT", "CUSTOMER", "MATERIAL", "PRINTER", "PERIOD"] {
        let v = app
            .graphql_as(
                &planner,
                &format!("query($f: String!) {{ margins(by: {by}, from: $f, to: $f) {{ by key revenueMinor costMinor marginMinor }} }}"),
                json!({"f": period}),
            )
            .await;
        let rows = ok(&v, "margins").as_array().unwrap().clone();
        totals.push(
            rows.iter()
                .map(|r| r["marginMinor"].as_i64().unwrap())
                .sum::<i64>(),
        );
        if by == "PRINTER" {
            // Order 1 printed on the one printer; order 2's lines have no finished copies.
            let printer = fx.printers[0].0.to_string();
            let mine = rows
                .iter()
                .find(|r| r["key"] == json!(printer))
                .expect("the printer's row");
            assert_eq!(
                (&mine["revenueMinor"], &mine["costMinor"]),
                (&json!(420), &json!(180)),
                "{v}"
            );
            assert!(
                rows.iter()
                    .any(|r| r["key"].is_null() && r["revenueMinor"] == 840),
                "{v}"
            );
        }
    }
    // Order 1: 420 − 180; order 2 (invoiced, not printed): 2 × 500 gross at 19 % = 840 net.
    assert!(totals.iter().all(|t| *t == 240 + 840), "{totals:?}");
    // The CRM's customer page takes the customer's lifetime margin from the same ledger.
    let v = app
        .graphql_as(
            &sales,
            "query($c: ID!) { customerPage(customerId: $c) { lifetimeMargin { minor currency }              lifetimeRevenue { minor currency } } }",
            json!({"c": customer.0.to_string()}),
        )
        .await;
    assert_eq!(
        ok(&v, "customerPage"),
        &json!({"lifetimeMargin": [{"minor": 240 + 840, "currency": "EUR"}],
                "lifetimeRevenue": [{"minor": 1500, "currency": "EUR"}]})
    );
    let v = app
        .graphql_as(
            &accountant,
            "query($f: String!) { cashFlow(from: $f, to: $f) { currency opening receipts refunds expenses net closing } }",
            json!({"f": period}),
        )
        .await;
    assert_eq!(
        ok(&v, "cashFlow"),
        &json!([{"currency": "EUR", "opening": 0, "receipts": 1500, "refunds": 0, "expenses": 0, "net": 1500, "closing": 1500}])
    );
    for (report, header) in [
        ("PROFIT_AND_LOSS", "period,currency,revenue"),
        ("ORDER_MARGINS", "order_id,customer_id"),
        ("RECEIVABLES_AGEING", "currency,current"),
        ("MARGINS", "by,key,currency"),
        ("CASH_FLOW", "period,currency,opening"),
        ("TRIAL_BALANCE", "account,name,currency"),
        ("CUSTOMER_BALANCES", "customer_id,currency"),
        ("EXPENSES", "id,incurred_at,category"),
        ("JOB_COSTS", "job_id,order_id"),
    ] {
        let v = app
            .graphql_as(
                &accountant,
                &format!("query($f: String!, $o: ID!) {{ financeReportCsv(report: {report}, from: $f, to: $f, by: CUSTOMER, orderId: $o) }}"),
                json!({"f": period, "o": order}),
            )
            .await;
        let csv = ok(&v, "financeReportCsv").as_str().unwrap();
        assert!(csv.starts_with(header), "{report}: {csv}");
    }
    let v = app
        .graphql_as(&accountant, "{ financeReportCsv(report: CASH_FLOW) }", json!({}))
        .await;
    assert_eq!(code(&v).1, "ARGUMENT_REQUIRED");

    // ---- An expense with its receipt kept in object storage.
    let q = "mutation($i: RecordExpenseInput!, $r: Upload) { recordExpense(input: $i, receipt: $r) { id receiptRef amountMinor } }";
    let receipt = b"%PDF-1.4 power bill".to_vec();
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": q, "variables": {"i": {"category": "energy", "description": "Power",
                "amount": {"minor": 4200, "currency": "EUR"}}, "r": null}})
            .to_string(),
        )
        .text("map", json!({"0": ["variables.r"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(receipt.clone())
                .file_name("power bill.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let v: Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&accountant)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = ok(&v, "recordExpense").clone();
    let key = e["receiptRef"].as_str().unwrap();
    assert!(
        key.starts_with("receipts/") && key.ends_with("/power_bill.pdf"),
        "{key}"
    );
    let v = app
        .graphql_as(
            &accountant,
            "query($id: ID!) { expenseReceipt(id: $id) { key size base64 } expenses { id } }",
            json!({"id": e["id"]}),
        )
        .await;
    let r = ok(&v, "expenseReceipt");
    assert_eq!(
        (r["key"].as_str(), r["size"].as_i64()),
        (Some(key), Some(receipt.len() as i64))
    );
    assert_eq!(
        r["base64"].as_str().unwrap(),
        gantry_engine::domain::finance::pdf::base64(&receipt)
    );
    assert_eq!(v["data"]["expenses"], json!([{"id": e["id"]}]));
    balanced(app, &accountant).await;
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
async fn done_when_payments_margins_reports_and_receipts_sqlite() {
    go(gantry_engine::store::Backend::Sqlite).await;
}

#[actix_web::test]
async fn done_when_payments_margins_reports_and_receipts_postgres() {
    go(gantry_engine::store::Backend::Postgres).await;
}
