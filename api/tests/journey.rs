//! Issue #15's "done when", end to end over real HTTP and the agent WebSocket: a shop order
//! arrives by Shopify's webhook, a Stripe webhook pays it, its jobs print on a printer driven by
//! an agent over `/agent/ws`, it ships (a shipment, then the carrier's signed webhook delivers
//! it), and an integrator's endpoint — a real HTTP receiver on loopback, registered through
//! GraphQL — receives every signed event of that journey, in order per order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::TestApp;
use common::agent::{call, connect, printer_token, recv_kind, welcome};
use common::receiver::{Received, Receiver};
use gantry_engine::domain::integrations::signing::{body_hmac_base64, secret_key, sign, stripe_header};
use gantry_engine::domain::users::Role;
use gantry_engine::store::live::testing;
use serde_json::{Value, json};

const SHOPIFY: &str = "shpss_journey_secret";
const STRIPE: &str = "whsec_stripe_journey_secret";
const CARRIER: &str = "whsec_am91cm5leS1jYXJyaWVyLXNlY3JldC0yNGJ5dA==";

/// The event types the integrator subscribes to.
const TYPES: &[&str] = &[
    "order.created",
    "order.status_changed",
    "payment.recorded",
    "invoice.issued",
    "job.created",
    "job.state_changed",
    "shipment.created",
    "shipment.status_changed",
];

async fn post(app: &TestApp, path: &str, headers: &[(&str, String)], body: &str) -> Value {
    let (status, v) = common::shop::post(app, path, headers, body).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

async fn scalar(app: &TestApp, sql: &str, id: i64) -> String {
    let (v,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    v
}

async fn order_status(app: &TestApp, id: i64) -> String {
    scalar(app, "SELECT status FROM orders WHERE id = $1", id).await
}

async fn wait(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not after 90 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The order an event is about (`order_id` in its data).
fn order_of(r: &Received) -> Option<i64> {
    r.body["data"]["order_id"].as_i64()
}

async fn carrier(app: &TestApp, id: &str, status: &str) -> Value {
    let body = json!({"type": "shipment.status", "carrier": "dhl", "tracking_number": "JD0001",
                      "status": status})
    .to_string();
    let ts = chrono::Utc::now().timestamp();
    let sig = sign(&secret_key(CARRIER).unwrap(), id, ts, body.as_bytes());
    post(
        app,
        "/hooks/carrier",
        &[
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", sig),
        ],
        &body,
    )
    .await
}

app_test_with!(
    a_shop_order_is_paid_printed_shipped_and_every_signed_event_arrives_in_order,
    [
        ("GANTRY_SHOPIFY_WEBHOOK_SECRET", SHOPIFY),
        ("GANTRY_STRIPE_WEBHOOK_SECRET", STRIPE),
        ("GANTRY_CARRIER_WEBHOOK_SECRET", CARRIER),
        ("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "true"),
    ],
    |app| {
        let db = &app.db.db;
        // The farm: one printer, PLA in stock (and the fixture's own order in production).
        let fx = testing::farm(db, gantry_engine::store::now(), 1, 1000, 1)
            .await
            .unwrap();
        common::shop::product_of(db, "JOURNEY-VASE", 1990, fx.material).await;
        // The integrator's endpoint, registered through GraphQL.
        let receiver = Receiver::ok().await;
        let admin = app.login_as(Role::Admin).await;
        let v = app
            .graphql_as(
                &admin,
                "mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }",
                json!({"i": {"url": receiver.url, "description": "ERP", "eventTypes": TYPES}}),
            )
            .await;
        let secret = v["data"]["createWebhookEndpoint"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string();
        receiver.set_secrets(&[&secret]);
        let endpoint: i64 = v["data"]["createWebhookEndpoint"]["endpoint"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();

        // 1. The shop's order arrives.
        let shop = json!({"id": 5550001, "email": "journey@example.com", "currency": "EUR",
                          "customer": {"first_name": "Jo", "last_name": "Urney"},
                          "line_items": [{"sku": "JOURNEY-VASE", "quantity": 2, "price": "19.90"}]})
        .to_string();
        let v = post(
            app,
            "/hooks/shopify",
            &[
                ("x-shopify-topic", "orders/create".into()),
                (
                    "x-shopify-hmac-sha256",
                    body_hmac_base64(SHOPIFY, shop.as_bytes()),
                ),
            ],
            &shop,
        )
        .await;
        assert_eq!(v["status"], "created", "{v}");
        let order = v["order_id"].as_i64().unwrap();
        assert_eq!(order_status(app, order).await, "placed");

        // 2. The provider's webhook pays it; finance issues the invoice.
        let pay = json!({"id": "evt_journey", "type": "payment_intent.succeeded", "data": {"object": {
            "id": "pi_journey", "object": "payment_intent", "amount_received": 3980, "currency": "eur",
            "metadata": {"gantry_order_id": order.to_string()}}}})
        .to_string();
        let ts = chrono::Utc::now().timestamp();
        let v = post(
            app,
            "/hooks/stripe",
            &[("stripe-signature", stripe_header(STRIPE, ts, pay.as_bytes()))],
            &pay,
        )
        .await;
        assert_eq!(v["status"], "recorded", "{v}");
        assert_eq!(order_status(app, order).await, "paid");
        wait("the invoice", async || {
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM invoices WHERE order_id = $1")
                .bind(order)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .0
                == 1
        })
        .await;

        // 3. It prints: production starts, the farm hands the jobs to the printer's agent.
        let planner = app.login_as(Role::Planner).await;
        let v = app
            .graphql_as(
                &planner,
                "mutation($o: ID!) { startProduction(orderId: $o) { id } }",
                json!({"o": order.to_string()}),
            )
            .await;
        assert_eq!(
            v["data"]["startProduction"].as_array().map(Vec::len),
            Some(2),
            "{v}"
        );
        app.request_replan();
        let token = printer_token(db, fx.printers[0]).await;
        let mut ws = connect(app, Some(&token)).await.unwrap();
        welcome(&mut ws, fx.printers[0]).await;
        let mut printed = 0;
        while order_status(app, order).await != "ready" {
            assert!(printed < 3, "three jobs in all, and the order is not ready");
            let assign = recv_kind(&mut ws, "assign_job").await;
            let job = assign["assignment"]["job"].as_i64().unwrap();
            for t in ["job_accepted", "job_started", "job_completed"] {
                assert!(
                    !call(
                        &mut ws,
                        json!({"v": 1, "id": format!("{job}-{t}"), "type": t, "job": job})
                    )
                    .await
                );
            }
            assert!(
                !call(
                    &mut ws,
                    json!({"v": 1, "id": format!("{job}-clear"), "type": "bed_cleared"})
                )
                .await
            );
            printed += 1;
        }

        // 4. It ships: a parcel, which the carrier reports in transit, then delivered.
        let operator = app.login_as(Role::Operator).await;
        let v = app
            .graphql_as(
                &operator,
                "mutation($i: CreateShipmentInput!) { createShipment(input: $i) { id } }",
                json!({"i": {"orderId": order.to_string(), "carrier": "dhl", "trackingNumber": "JD0001"}}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(
            carrier(app, "msg_transit", "in_transit").await["status"],
            "updated"
        );
        assert_eq!(order_status(app, order).await, "shipped");
        assert_eq!(
            carrier(app, "msg_delivered", "delivered").await["status"],
            "updated"
        );
        assert_eq!(order_status(app, order).await, "delivered");

        // 5. The integrator got the whole journey, signed, in order per order.
        let delivered = |g: &[Received]| {
            g.iter().any(|r| {
                order_of(r) == Some(order)
                    && r.body["type"] == "order.status_changed"
                    && r.body["data"]["to"] == "delivered"
            })
        };
        receiver
            .wait_for(90, "the order's delivery event", delivered)
            .await;
        // Everything the outbox holds of these types that occurred since the endpoint exists
        // (the dispatcher's rule) is delivered, each once, verified.
        let outbox: Vec<String> = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM events WHERE occurred_at >= (SELECT created_at FROM webhook_endpoints WHERE id = $1) \
             AND type IN ({}) ORDER BY id",
            TYPES
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
        .bind(endpoint)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(id,)| format!("msg_{id}"))
        .collect();
        let got = receiver
            .wait_for(60, "every subscribed event", |g| {
                outbox.iter().all(|id| g.iter().any(|r| &r.msg_id == id))
            })
            .await;
        assert_eq!(got.len(), outbox.len(), "nothing else");
        let mut ids: Vec<&str> = got.iter().map(|r| r.msg_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), got.len(), "each event delivered once");
        assert!(
            got.iter().all(|r| r.verified_by == [0] && r.answered == 200),
            "every delivery is signed with the endpoint's secret"
        );
        // Per order: the events of each order arrive in the order they happened.
        let mut per_order: BTreeMap<i64, Vec<&Received>> = BTreeMap::new();
        for r in &got {
            if let Some(o) = order_of(r) {
                per_order.entry(o).or_default().push(r);
            }
        }
        assert!(
            per_order.contains_key(&fx.order.0),
            "the fixture's order is there too"
        );
        let mine = &per_order[&order];
        let statuses: Vec<&str> = mine
            .iter()
            .filter(|r| r.body["type"].as_str().unwrap().starts_with("order."))
            .map(|r| r.body["data"]["to"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            [
                "draft",
                "placed",
                "paid",
                "in_production",
                "ready",
                "shipped",
                "delivered"
            ],
            "the order's lifecycle, in order"
        );
        let kinds: Vec<&str> = mine.iter().map(|r| r.body["type"].as_str().unwrap()).collect();
        let at = |t: &str| {
            kinds
                .iter()
                .position(|k| *k == t)
                .unwrap_or_else(|| panic!("no {t} in {kinds:?}"))
        };
        let status_at = |s: &str| {
            mine.iter()
                .position(|r| r.body["type"] == "order.status_changed" && r.body["data"]["to"] == s)
                .unwrap()
        };
        assert!(status_at("paid") < at("payment.recorded") && at("payment.recorded") < at("invoice.issued"));
        assert!(at("invoice.issued") < status_at("in_production"));
        assert!(status_at("ready") < at("shipment.created") && at("shipment.created") < status_at("shipped"));
        let shipment: Vec<&str> = mine
            .iter()
            .filter(|r| r.body["type"] == "shipment.status_changed")
            .map(|r| r.body["data"]["to"].as_str().unwrap())
            .collect();
        assert_eq!(shipment, ["in_transit", "delivered"]);
        // Each of its jobs went through its states in order, ending done.
        let mut jobs: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for r in mine
            .iter()
            .filter(|r| r.body["type"].as_str().unwrap().starts_with("job."))
        {
            jobs.entry(r.body["data"]["job_id"].as_i64().unwrap())
                .or_default()
                .push(r.body["data"]["to"].as_str().unwrap());
        }
        assert_eq!(jobs.len(), 2, "{jobs:?}");
        for (job, states) in &jobs {
            assert_eq!(states.first(), Some(&"queued"), "job {job}: {states:?}");
            assert_eq!(states.last(), Some(&"done"), "job {job}: {states:?}");
            let (from, to): (Vec<String>, Vec<String>) = sqlx::query_as::<_, (String,)>(
                "SELECT payload FROM events WHERE type IN ('job.created', 'job.state_changed') \
                 AND aggregate_id = $1 ORDER BY id",
            )
            .bind(job)
            .fetch_all(db.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|(p,)| {
                let v: Value = serde_json::from_str(&p).unwrap();
                (
                    v["from"].as_str().unwrap_or("").to_string(),
                    v["to"].as_str().unwrap().to_string(),
                )
            })
            .unzip();
            let _ = from;
            assert_eq!(
                states,
                &to.iter().map(String::as_str).collect::<Vec<_>>(),
                "job {job}: as committed"
            );
        }
        // Every event of this order in the outbox is among them (the journey is complete).
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM events WHERE type IN ({}) AND payload LIKE $1",
            TYPES
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
        .bind(format!("%\"order_id\":{order},%"))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(mine.len() as i64, n, "{kinds:?}");
    }
);
