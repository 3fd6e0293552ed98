//! Payments in over real HTTP: Stripe-format webhooks at `/hooks/stripe` record a payment once
//! per provider event against its order (in parts: the part that pays the rest makes it paid)
//! or hold it for a person (an overpayment whole); bad
//! signatures, stale timestamps, replays, malformed JSON and oversized bodies are refused with
//! 4xx and write nothing. Payment links go through the Stripe provider, here a fake Stripe API
//! on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestApp;
use common::shop::{placed_order, product};
use gantry_engine::domain::finance::Account;
use gantry_engine::domain::integrations::signing::stripe_header;
use gantry_engine::store::{count_rows, events, finance};

const SECRET: &str = "whsec_stripe_test_secret";

fn event(id: &str, kind: &str, order: Option<i64>, amount: i64, currency: &str) -> String {
    let metadata = match order {
        Some(o) => serde_json::json!({"gantry_order_id": o.to_string()}),
        None => serde_json::json!({}),
    };
    serde_json::json!({
        "id": id,
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": format!("pi_{id}"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "currency": currency,
            "metadata": metadata,
        }}
    })
    .to_string()
}

async fn post(app: &TestApp, signature: &str, body: &str) -> (u16, serde_json::Value) {
    let r = app
        .client
        .post(format!("{}/hooks/stripe", app.base))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn signed(app: &TestApp, body: &str) -> (u16, serde_json::Value) {
    post(
        app,
        &stripe_header(SECRET, chrono::Utc::now().timestamp(), body.as_bytes()),
        body,
    )
    .await
}

async fn order_status(app: &TestApp, id: i64) -> String {
    let row: (String,) = sqlx::query_as("SELECT status FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    row.0
}

async fn written(app: &TestApp) -> (i64, i64, i64) {
    let db = &app.db.db;
    (
        count_rows(db, "payments").await.unwrap(),
        count_rows(db, "inbound_webhooks").await.unwrap(),
        sqlx::query_as::<_, (i64,)>(
            "SELECT COUNT(*) FROM events WHERE type LIKE 'payment.%' OR type = 'order.status_changed'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
        .0,
    )
}

app_test_with!(
    a_payment_is_recorded_once_and_pays_its_order,
    [("GANTRY_STRIPE_WEBHOOK_SECRET", SECRET),],
    |app| {
        let db = &app.db.db;
        let p = product(db, "MUG-1", 1250).await;
        let (order, total) = placed_order(db, p, 2).await;
        assert_eq!(total, 2500);
        let body = event("evt_1", "payment_intent.succeeded", Some(order.0), 2500, "eur");
        let sig = stripe_header(SECRET, chrono::Utc::now().timestamp(), body.as_bytes());
        let (status, v) = post(app, &sig, &body).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("recorded")), "{v}");
        assert_eq!(v["order_id"], order.0);
        assert_eq!(order_status(app, order.0).await, "paid");
        let after_first = written(app).await;
        assert_eq!(after_first.0, 1);
        let types: Vec<(String,)> = sqlx::query_as("SELECT type FROM events ORDER BY id DESC LIMIT 2")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(
            types,
            [
                ("payment.recorded".to_string(),),
                ("order.status_changed".to_string(),)
            ]
        );

        // The same signed request again is a replay: refused, nothing written.
        let (status, v) = post(app, &sig, &body).await;
        assert_eq!(
            (status, v["error"]["reason"].as_str()),
            (409, Some("WEBHOOK_REPLAY")),
            "{v}"
        );
        assert_eq!(written(app).await, after_first);
        // Stripe re-sending the event (a new signature): acknowledged as a duplicate, nothing written.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let (status, v) = signed(app, &body).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("duplicate")), "{v}");
        assert_eq!(v["payment_id"], serde_json::Value::from(1));
        assert_eq!(written(app).await, after_first);
    }
);

app_test_with!(
    unmatched_payments_are_held_for_a_person,
    [("GANTRY_STRIPE_WEBHOOK_SECRET", SECRET),],
    |app| {
        let db = &app.db.db;
        let p = product(db, "MUG-2", 1000).await;
        let (order, _) = placed_order(db, p, 1).await;
        // (event, order named, amount, currency, reason contains)
        let cases = [
            ("evt_none", None, 1000, "eur", "names no order"),
            ("evt_missing", Some(999_999), 1000, "eur", "no order 999999"),
            ("evt_usd", Some(order.0), 1000, "usd", "FINANCE_CURRENCY_MISMATCH"),
            ("evt_over", Some(order.0), 1001, "eur", "FINANCE_OVERPAYMENT"),
        ];
        for (id, o, amount, cur, why) in cases {
            let (status, v) = signed(app, &event(id, "payment_intent.succeeded", o, amount, cur)).await;
            assert_eq!((status, v["status"].as_str()), (200, Some("held")), "{id}: {v}");
            let held = gantry_app::payments::payments(db, true, 10).await.unwrap();
            let h = held.iter().find(|p| p.provider_event_id == id).unwrap();
            assert!(h.held_reason.as_deref().unwrap().contains(why), "{id}: {h:?}");
            // Held whole, not lost: the amount is kept with the payment for a person.
            assert_eq!(h.amount_minor, amount, "{id}");
        }
        assert_eq!(
            order_status(app, order.0).await,
            "placed",
            "a held payment pays nothing"
        );
        // Paid in two parts: the first leaves the order placed, the one that pays the rest
        // makes it paid; both are recorded (like `recordPayment`'s parts).
        let part =
            |id: &'static str, amount| event(id, "payment_intent.succeeded", Some(order.0), amount, "eur");
        let (_, v) = signed(app, &part("evt_part1", 600)).await;
        assert_eq!(v["status"], "recorded", "{v}");
        assert_eq!(order_status(app, order.0).await, "placed");
        // More than the 400 still owed is held whole.
        let (_, v) = signed(app, &part("evt_part_over", 401)).await;
        assert_eq!(v["status"], "held", "{v}");
        assert_eq!(order_status(app, order.0).await, "placed");
        let (_, v) = signed(app, &part("evt_part2", 400)).await;
        assert_eq!(v["status"], "recorded", "{v}");
        assert_eq!(order_status(app, order.0).await, "paid");
        let paid = gantry_app::finance::order_payments(db, order.0).await.unwrap();
        assert_eq!(
            (paid.payments.len(), paid.paid_minor, paid.outstanding_minor),
            (2, 1000, 0)
        );
        // Paid again once paid: held (the order is paid in full already).
        let (_, v) = signed(app, &part("evt_twice", 1000)).await;
        assert_eq!(v["status"], "held");
        let held = gantry_app::payments::payments(db, true, 10).await.unwrap();
        let h = held.iter().find(|p| p.provider_event_id == "evt_twice").unwrap();
        assert!(
            h.held_reason.as_deref().unwrap().contains("FINANCE_ALREADY_PAID"),
            "{h:?}"
        );
        assert_eq!(count_rows(db, "payments").await.unwrap(), 8);
        let held_events: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE type = 'payment.held'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(held_events.0, 6);
        // The ledger (the server's finance consumer) posts the two parts as cash and nothing
        // more for the order becoming paid: 1000 in, not 2000.
        let mut c = db.pool().acquire().await.unwrap();
        let last = events::last_id(&mut c).await.unwrap();
        for _ in 0..300 {
            if finance::consumer_cursor(&mut c, "finance").await.unwrap() >= Some(last) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let cash = finance::order_account_net(&mut c, order.0, Account::Cash)
            .await
            .unwrap();
        assert_eq!(cash, 1000);
        drop(c);
        // Other event types are acknowledged and ignored.
        let (status, v) = signed(app, &event("evt_other", "customer.created", None, 1, "eur")).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("ignored")));
        assert_eq!(count_rows(db, "payments").await.unwrap(), 8);
    }
);

app_test_with!(
    bad_inbound_requests_are_refused_and_write_nothing,
    [
        ("GANTRY_STRIPE_WEBHOOK_SECRET", SECRET),
        ("GANTRY_MAX_BODY_BYTES", "4096"),
    ],
    |app| {
        let db = &app.db.db;
        let p = product(db, "MUG-3", 500).await;
        let (order, _) = placed_order(db, p, 1).await;
        let body = event("evt_bad", "payment_intent.succeeded", Some(order.0), 500, "eur");
        let now = chrono::Utc::now().timestamp();
        let before = written(app).await;
        let cases: Vec<(String, String, u16, &str)> = vec![
            // (signature, body, status, reason)
            (
                stripe_header("whsec_wrong", now, body.as_bytes()),
                body.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (String::new(), body.clone(), 401, "WEBHOOK_SIGNATURE_INVALID"),
            (
                "t=abc,v1=zz".into(),
                body.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                stripe_header(SECRET, now, body.as_bytes()),
                body.replace("500", "5"),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                stripe_header(SECRET, now - 301, body.as_bytes()),
                body.clone(),
                401,
                "WEBHOOK_TIMESTAMP_STALE",
            ),
            (
                stripe_header(SECRET, now + 400, body.as_bytes()),
                body.clone(),
                401,
                "WEBHOOK_TIMESTAMP_STALE",
            ),
            (
                stripe_header(SECRET, now, b"{not json"),
                "{not json".into(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                stripe_header(SECRET, now, b"{\"id\":\"evt_x\"}"),
                "{\"id\":\"evt_x\"}".into(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
        ];
        for (sig, b, status, reason) in &cases {
            let (s, v) = post(app, sig, b).await;
            assert_eq!(
                (s, v["error"]["reason"].as_str()),
                (*status, Some(*reason)),
                "{sig} {b}: {v}"
            );
        }
        // Too large: refused before it is read.
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000));
        let (s, _) = post(app, &stripe_header(SECRET, now, big.as_bytes()), &big).await;
        assert_eq!(s, 413);
        assert_eq!(written(app).await, before, "nothing written");
        assert_eq!(order_status(app, order.0).await, "placed");
    }
);

app_test!(stripe_webhooks_are_off_without_a_secret, |app| {
    let body = event("evt_1", "payment_intent.succeeded", None, 100, "eur");
    let (s, v) = signed(app, &body).await;
    assert_eq!(
        (s, v["error"]["reason"].as_str()),
        (404, Some("WEBHOOK_NOT_CONFIGURED"))
    );
});

/// A fake Stripe API on loopback: answers `POST /v1/checkout/sessions` with a session and
/// records the request (first line, headers and form body).
async fn fake_stripe() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let mut buf = vec![0u8; 16384];
            let mut got = Vec::new();
            loop {
                let n = sock.read(&mut buf).await.unwrap_or(0);
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if n == 0 {
                    break;
                }
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if got.len() >= i + 4 + len {
                        break;
                    }
                }
            }
            s.lock().unwrap().push(String::from_utf8_lossy(&got).to_string());
            let body = r#"{"id":"cs_test_1","url":"https://checkout.stripe.test/c/cs_test_1"}"#;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    (base, seen)
}

#[actix_web::test]
async fn payment_links_go_through_the_configured_provider() {
    use gantry_engine::domain::users::Role;
    let (base, seen) = fake_stripe().await;
    let app = common::spawn_app_with(
        gantry_engine::store::Backend::Sqlite,
        &[
            ("GANTRY_PAYMENTS_PROVIDER", "stripe"),
            ("GANTRY_STRIPE_API_KEY", "sk_test_fake_key"),
            ("GANTRY_STRIPE_API_BASE", &base),
            ("GANTRY_PAYMENTS_RETURN_URL", "https://shop.example/paid"),
        ],
    )
    .await;
    let p = product(&app.db.db, "LINK-1", 700).await;
    let (order, _) = placed_order(&app.db.db, p, 3).await;
    let sales = app.login_as(Role::Sales).await;
    let q = "mutation($o: ID!) { createPaymentLink(orderId: $o) { url reference amountMinor currency provider } }";
    let v = app
        .graphql_as(&sales, q, serde_json::json!({"o": order.0.to_string()}))
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let l = &v["data"]["createPaymentLink"];
    assert_eq!(l["url"], "https://checkout.stripe.test/c/cs_test_1");
    assert_eq!(
        (
            l["reference"].as_str(),
            l["amountMinor"].as_i64(),
            l["currency"].as_str()
        ),
        (Some("cs_test_1"), Some(2100), Some("EUR"))
    );
    let req = seen.lock().unwrap()[0].clone();
    assert!(req.starts_with("POST /v1/checkout/sessions"), "{req}");
    assert!(
        req.to_ascii_lowercase()
            .contains("authorization: bearer sk_test_fake_key"),
        "{req}"
    );
    assert!(req.contains(&format!("client_reference_id={}", order.0)), "{req}");
    assert!(
        req.contains("unit_amount%5D=2100") && req.contains("currency%5D=eur"),
        "{req}"
    );
    assert_eq!(count_rows(&app.db.db, "payment_links").await.unwrap(), 1);
    app.stop().await;
}
