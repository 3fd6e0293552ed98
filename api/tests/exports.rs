//! Exports for ERPs and accountants: orders, invoices, payments, customers and the ledger of a
//! period as CSV and XLSX through GraphQL (`export`) and the CLI (`gantry export`). The XLSX
//! files are read back with an independent reader (calamine) and hold the same rows as the
//! CSV; the CLI writes the same bytes as GraphQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod live;

use std::process::Command;

use base64::Engine;
use calamine::{Data, Reader, Xlsx};
use common::shop::{placed_order, product};
use common::{TestApp, code};
use gantry_engine::domain::integrations::signing::stripe_header;
use gantry_engine::domain::users::Role;
use serde_json::{Value, json};

const STRIPE: &str = "whsec_stripe_export_secret";

/// A tiny RFC 4180 reader (quoted fields, doubled quotes, CRLF).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), vec![sheet.to_string()]);
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) if f.fract() == 0.0 => (*f as i64).to_string(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

async fn export(app: &TestApp, token: &str, kind: &str, format: &str, from: &str, to: &str) -> Value {
    app.graphql_as(
        token,
        "query($k: ExportKind!, $f: ExportFormat!, $from: String!, $to: String!) { \
         export(kind: $k, format: $f, from: $from, to: $to) { fileName contentType rows contentBase64 } }",
        json!({"k": kind, "f": format, "from": from, "to": to}),
    )
    .await
}

fn bytes_of(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(
            v["data"]["export"]["contentBase64"]
                .as_str()
                .unwrap_or_else(|| panic!("{v}")),
        )
        .unwrap()
}

fn gantry(app: &TestApp, args: &[&str]) -> std::process::Output {
    let data = live::temp_dir("export");
    let out = Command::new(live::BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GANTRY_DATA_DIR", &data)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&data);
    out
}

app_test_with!(
    every_export_as_csv_and_xlsx_through_graphql_and_the_cli,
    [("GANTRY_STRIPE_WEBHOOK_SECRET", STRIPE)],
    |app| {
        let db = &app.db.db;
        let p = product(db, "VASE-1", 2500).await;
        let (order, total) = placed_order(db, p, 2).await;
        // Paid by the provider's webhook: a payment, then (finance) an invoice and postings.
        let body = json!({"id": "evt_x1", "type": "payment_intent.succeeded", "data": {"object": {
            "id": "pi_x1", "object": "payment_intent", "amount_received": total, "currency": "eur",
            "metadata": {"gantry_order_id": order.0.to_string()}}}})
        .to_string();
        let r = app
            .client
            .post(format!("{}/hooks/stripe", app.base))
            .header(
                "stripe-signature",
                stripe_header(STRIPE, chrono::Utc::now().timestamp(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        // Wait until finance has handled every event (its cursor is past the last one).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let (inv,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invoices")
                .fetch_one(db.pool())
                .await
                .unwrap();
            let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM events")
                .fetch_one(db.pool())
                .await
                .unwrap();
            let (done,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(last_event_id), 0) FROM outbox_consumers WHERE name = 'finance'",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            if inv >= 1 && done >= last {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "finance did not post the payment"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let accountant = app.login_as(Role::Accountant).await;
        let now = chrono::Utc::now();
        let from = (now - chrono::Duration::days(1)).to_rfc3339();
        let to = (now + chrono::Duration::days(1)).to_rfc3339();
        let mut xlsx_files = Vec::new();
        for (kind, sheet, want_header) in [
            (
                "ORDERS",
                "orders",
                "order_id,customer_id,customer_name,status,currency,total_minor,priority,due_at,created_at,updated_at",
            ),
            (
                "INVOICES",
                "invoices",
                "invoice_id,kind,number,order_id,customer_id,customer_name,credits_invoice_id,currency,net_minor,tax_minor,total_minor,issued_at",
            ),
            (
                "PAYMENTS",
                "payments",
                "payment_id,provider,provider_event_id,reference,order_id,status,held_reason,currency,amount_minor,received_at",
            ),
            (
                "CUSTOMERS",
                "customers",
                "customer_id,name,email,company,created_at",
            ),
            (
                "LEDGER",
                "ledger",
                "entry_id,posted_at,period,source,memo,order_id,account,account_name,currency,debit_minor,credit_minor",
            ),
        ] {
            let v = export(app, &accountant, kind, "CSV", &from, &to).await;
            let f = &v["data"]["export"];
            assert_eq!(f["contentType"], "text/csv; charset=utf-8", "{v}");
            assert!(
                f["fileName"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("gantry-{sheet}-")),
                "{v}"
            );
            let csv = String::from_utf8(bytes_of(&v)).unwrap();
            let rows = csv_rows(&csv);
            assert_eq!(rows[0].join(","), want_header);
            assert!(rows.len() >= 2, "{kind}: {csv}");
            assert_eq!(f["rows"].as_i64(), Some(rows.len() as i64 - 1));
            let v = export(app, &accountant, kind, "XLSX", &from, &to).await;
            assert_eq!(
                v["data"]["export"]["contentType"],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
            let xlsx = bytes_of(&v);
            assert_eq!(
                xlsx_rows(&xlsx, sheet),
                rows,
                "{kind}: the workbook holds the CSV's rows"
            );
            xlsx_files.push((sheet, xlsx, csv));
        }
        // What the rows say.
        let by = |sheet: &str| {
            let (_, _, csv) = xlsx_files.iter().find(|(s, _, _)| *s == sheet).unwrap();
            csv_rows(csv)
        };
        let orders = by("orders");
        let o = orders.iter().find(|r| r[0] == order.0.to_string()).unwrap();
        assert_eq!(
            (o[3].as_str(), o[4].as_str(), o[5].clone()),
            ("paid", "EUR", total.to_string())
        );
        let pay = &by("payments")[1];
        assert_eq!(
            (pay[1].as_str(), pay[2].as_str(), pay[5].as_str()),
            ("stripe", "evt_x1", "recorded")
        );
        assert_eq!(pay[8], total.to_string());
        let ledger = by("ledger");
        let sum = |i: usize| {
            ledger[1..]
                .iter()
                .map(|r| r[i].parse::<i64>().unwrap())
                .sum::<i64>()
        };
        assert!(sum(9) > 0 && sum(9) == sum(10), "the ledger balances: {ledger:?}");
        assert_eq!(by("invoices")[1][3], order.0.to_string());

        // Another period is empty; bad periods and other roles are refused.
        let v = export(app, &accountant, "ORDERS", "XLSX", "2020-01-01", "2020-02-01").await;
        assert_eq!(v["data"]["export"]["rows"], 0, "{v}");
        assert_eq!(xlsx_rows(&bytes_of(&v), "orders").len(), 1, "only the header");
        let v = export(app, &accountant, "ORDERS", "CSV", "2020-02-01", "2020-01-01").await;
        assert_eq!(code(&v), ("VALIDATION", "EXPORT_PERIOD_INVALID"), "{v}");
        let v = export(app, &accountant, "ORDERS", "CSV", "2020-01-01", "2022-01-01").await;
        assert_eq!(code(&v), ("VALIDATION", "EXPORT_PERIOD_INVALID"), "{v}");
        let customer = app.login_as(Role::Customer).await;
        let v = export(app, &customer, "ORDERS", "CSV", &from, &to).await;
        assert_eq!(code(&v).0, "FORBIDDEN", "{v}");

        // The CLI: the same bytes, to a file or to standard output.
        let dir = live::temp_dir("export-out");
        let path = dir.join("ledger.xlsx");
        let ledger_args = [
            "export",
            "ledger",
            "--format",
            "xlsx",
            "--from",
            &from,
            "--to",
            &to,
            "--output",
            path.to_str().unwrap(),
        ];
        let out = gantry(app, &ledger_args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (_, graphql_xlsx, _) = xlsx_files.iter().find(|(s, _, _)| *s == "ledger").unwrap();
        assert_eq!(
            &std::fs::read(&path).unwrap(),
            graphql_xlsx,
            "the CLI writes GraphQL's file"
        );
        // An existing file is not overwritten.
        let out = gantry(app, &ledger_args);
        assert!(!out.status.success());
        let out = gantry(app, &["export", "payments", "--from", &from, "--to", &to]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (_, _, graphql_csv) = xlsx_files.iter().find(|(s, _, _)| *s == "payments").unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), *graphql_csv);
        for (args, says) in [
            (
                vec!["export", "stock", "--from", "2026-01-01", "--to", "2026-02-01"],
                "unknown export",
            ),
            (
                vec![
                    "export",
                    "orders",
                    "--format",
                    "pdf",
                    "--from",
                    "2026-01-01",
                    "--to",
                    "2026-02-01",
                ],
                "csv or xlsx",
            ),
            (
                vec!["export", "orders", "--from", "2026-02-01", "--to", "2026-01-01"],
                "must be after from",
            ),
        ] {
            let out = gantry(app, &args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success() && err.contains(says), "{args:?}: {err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
);
