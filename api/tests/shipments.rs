//! Shipments over real HTTP: staff create and move an order's shipments through GraphQL, a
//! customer sees only their own order's, the carrier's signed status webhook (`/hooks/carrier`,
//! Standard Webhooks headers) moves them, the order ships when a parcel leaves and is delivered
//! when all are, the packing slip is a PDF; bad signatures, stale timestamps, replays,
//! malformed bodies, unknown parcels and refused transitions are 4xx and write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use common::shop::product;
use common::{TestApp, code};
use gantry_engine::domain::finance::pdf::extract_text;
use gantry_engine::domain::integrations::signing::{secret_key, sign};
use gantry_engine::domain::types::{CustomerId, ProductId};
use gantry_engine::domain::users::Role;
use gantry_engine::store::count_rows;
use serde_json::{Value, json};

/// The carriers' secret (`whsec_` + base64 of 24 bytes).
pub const CARRIER_SECRET: &str = "whsec_c2hpcG1lbnRzLXRlc3Qtc2VjcmV0LTI0Ynl0";

async fn customer_of(app: &TestApp, email: &str) -> CustomerId {
    let (c,): (i64,) = sqlx::query_as("SELECT customer_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    CustomerId(c)
}

/// A placed order of `customer`, then moved to `ready` by hand (a fixture shortcut: printing it
/// is the journey test's part).
async fn ready_order(app: &TestApp, customer: CustomerId, product: ProductId) -> i64 {
    let db = &app.db.db;
    let (id, _) = common::shop::placed_order_for(db, customer, product, 3).await;
    sqlx::query("UPDATE orders SET status = 'ready' WHERE id = $1")
        .bind(id.0)
        .execute(db.pool())
        .await
        .unwrap();
    id.0
}

async fn order_status(app: &TestApp, id: i64) -> String {
    let (s,): (String,) = sqlx::query_as("SELECT status FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
    s
}

async fn events_of(app: &TestApp, prefix: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("SELECT type FROM events WHERE type LIKE $1 ORDER BY id")
        .bind(format!("{prefix}%"))
        .fetch_all(app.db.db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect()
}

const CREATE: &str = "mutation($i: CreateShipmentInput!) { createShipment(input: $i) \
                      { id orderId carrier service trackingNumber status } }";
const SET: &str = "mutation($id: ID!, $s: ShipmentStatus!) { setShipmentStatus(id: $id, status: $s, note: \"by hand\") \
                   { id status note } }";

/// POSTs a carrier update signed with `secret` at `ts` as message `id`.
pub async fn carrier_post(app: &TestApp, secret: &str, id: &str, ts: i64, body: &str) -> (u16, Value) {
    let sig = sign(&secret_key(secret).unwrap(), id, ts, body.as_bytes());
    let r = app
        .client
        .post(format!("{}/hooks/carrier", app.base))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub fn update(carrier: &str, tracking: &str, status: &str) -> String {
    json!({"type": "shipment.status", "carrier": carrier, "tracking_number": tracking,
           "status": status, "note": "scan"})
    .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

app_test_with!(
    shipments_move_the_order_and_customers_see_their_own,
    [("GANTRY_CARRIER_WEBHOOK_SECRET", CARRIER_SECRET)],
    |app| {
        let p = product(&app.db.db, "VASE-1", 1500).await;
        let customer = app.login_new(Role::Customer, "ada@example.com").await;
        let other = app.login_new(Role::Customer, "bob@example.com").await;
        let operator = app.login_as(Role::Operator).await;
        let order = ready_order(app, customer_of(app, "ada@example.com").await, p).await;
        let input = |tracking: &str| {
            json!({"i": {"orderId": order.to_string(), "carrier": "DHL", "service": "express",
                         "trackingNumber": tracking}})
        };
        // Customers do not create shipments.
        let v = app.graphql_as(&customer, CREATE, input("JD1")).await;
        assert_eq!(code(&v).0, "FORBIDDEN", "{v}");
        let v = app.graphql_as(&operator, CREATE, input("JD1")).await;
        let first = v["data"]["createShipment"].clone();
        assert_eq!(
            (first["carrier"].as_str(), first["status"].as_str()),
            (Some("dhl"), Some("LABEL_CREATED")),
            "{v}"
        );
        assert_eq!(
            order_status(app, order).await,
            "ready",
            "a label is not a shipment"
        );
        // The same tracking number of the same carrier again.
        let v = app.graphql_as(&operator, CREATE, input(" JD1 ")).await;
        assert_eq!(code(&v), ("CONFLICT", "SHIPMENT_TRACKING_TAKEN"), "{v}");

        // The customer sees their order's shipments (also on the order); another does not.
        let q = "query($o: ID!) { shipments(orderId: $o) { trackingNumber status } \
                 order(id: $o) { shipments { trackingNumber } } }";
        let v = app
            .graphql_as(&customer, q, json!({"o": order.to_string()}))
            .await;
        assert_eq!(v["data"]["shipments"][0]["trackingNumber"], "JD1", "{v}");
        assert_eq!(v["data"]["order"]["shipments"][0]["trackingNumber"], "JD1", "{v}");
        let v = app
            .graphql_as(
                &other,
                "query($o: ID!) { shipments(orderId: $o) { id } }",
                json!({"o": order.to_string()}),
            )
            .await;
        assert_eq!(code(&v).0, "NOT_FOUND", "{v}");
        let v = app
            .graphql_as(
                &other,
                "query($id: ID!) { shipment(id: $id) { id } }",
                json!({"id": first["id"]}),
            )
            .await;
        assert_eq!(code(&v).0, "NOT_FOUND", "{v}");

        // In transit by hand: the order ships.
        let v = app
            .graphql_as(&operator, SET, json!({"id": first["id"], "s": "IN_TRANSIT"}))
            .await;
        assert_eq!(v["data"]["setShipmentStatus"]["status"], "IN_TRANSIT", "{v}");
        assert_eq!(order_status(app, order).await, "shipped");
        // A second parcel of a shipped order, created in transit.
        let mut second = input("JD2");
        second["i"]["status"] = json!("IN_TRANSIT");
        let sales = app.login_as(Role::Sales).await;
        let v = app.graphql_as(&sales, CREATE, second).await;
        let second_id = v["data"]["createShipment"]["id"].clone();
        assert!(second_id.is_string(), "{v}");
        // A tracking number corrected.
        let v = app
            .graphql_as(
                &operator,
                "mutation($id: ID!) { updateShipment(id: $id, trackingNumber: \"JD2B\") { trackingNumber carrier } }",
                json!({"id": second_id}),
            )
            .await;
        assert_eq!(v["data"]["updateShipment"]["trackingNumber"], "JD2B", "{v}");

        // The carrier delivers the first: the order waits for the second.
        let (s, v) = carrier_post(
            app,
            CARRIER_SECRET,
            "msg_1",
            now(),
            &update("dhl", "JD1", "delivered"),
        )
        .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("updated")), "{v}");
        assert_eq!(order_status(app, order).await, "shipped");
        // The same status again (a new message): nothing changes.
        let (s, v) = carrier_post(
            app,
            CARRIER_SECRET,
            "msg_2",
            now(),
            &update("dhl", "JD1", "delivered"),
        )
        .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("unchanged")), "{v}");
        let (s, v) = carrier_post(
            app,
            CARRIER_SECRET,
            "msg_3",
            now(),
            &update("DHL", "JD2B", "delivered"),
        )
        .await;
        assert_eq!(
            (s, v["shipment_status"].as_str(), v["order_id"].as_i64()),
            (200, Some("delivered"), Some(order)),
            "{v}"
        );
        assert_eq!(
            order_status(app, order).await,
            "delivered",
            "every parcel delivered"
        );

        // Delivered is final, and a delivered order gets no new shipment.
        let v = app
            .graphql_as(&operator, SET, json!({"id": first["id"], "s": "IN_TRANSIT"}))
            .await;
        assert_eq!(code(&v), ("CONFLICT", "SHIPMENT_ILLEGAL_TRANSITION"), "{v}");
        let v = app.graphql_as(&operator, CREATE, input("JD3")).await;
        assert_eq!(code(&v), ("CONFLICT", "SHIPMENT_ORDER_NOT_SHIPPABLE"), "{v}");
        let v = app
            .graphql_as(
                &operator,
                CREATE,
                json!({"i": {"orderId": order.to_string(), "carrier": "d h l", "trackingNumber": "X"}}),
            )
            .await;
        assert_eq!(code(&v), ("VALIDATION", "SHIPMENT_INVALID"), "{v}");

        // The history says who moved it; the order's history says why.
        let v = app
            .graphql_as(
                &customer,
                "query($id: ID!) { shipment(id: $id) { history { from to source note } packingSlipPdfBase64 } }",
                json!({"id": first["id"]}),
            )
            .await;
        let s = &v["data"]["shipment"];
        assert_eq!(
            s["history"],
            json!([
                {"from": null, "to": "LABEL_CREATED", "source": "staff", "note": ""},
                {"from": "LABEL_CREATED", "to": "IN_TRANSIT", "source": "staff", "note": "by hand"},
                {"from": "IN_TRANSIT", "to": "DELIVERED", "source": "carrier", "note": "scan"},
            ]),
            "{v}"
        );
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(s["packingSlipPdfBase64"].as_str().unwrap())
            .unwrap();
        let text = extract_text(&pdf);
        assert!(pdf.starts_with(b"%PDF-1.4"), "a PDF");
        for want in [
            "Tracking number: JD1",
            "Carrier: dhl (express)",
            "VASE-1 ",
            "Units: 3",
        ] {
            assert!(text.contains(want), "{want:?} not in {text}");
        }
        assert_eq!(
            events_of(app, "shipment.").await,
            [
                "shipment.created",
                "shipment.status_changed",
                "shipment.created",
                "shipment.updated",
                "shipment.status_changed",
                "shipment.status_changed",
            ]
        );
        let (to, note): (String, String) = sqlx::query_as(
            "SELECT to_status, note FROM order_status_history WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(order)
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
        assert_eq!(
            (to.as_str(), note.as_str()),
            ("delivered", "every shipment delivered")
        );
    }
);

/// What a carrier request may have written.
async fn written(app: &TestApp) -> (i64, i64, i64, String) {
    let db = &app.db.db;
    let (status,): (String,) = sqlx::query_as("SELECT status FROM shipments ORDER BY id LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    (
        count_rows(db, "events").await.unwrap(),
        count_rows(db, "inbound_webhooks").await.unwrap(),
        count_rows(db, "shipment_status_history").await.unwrap(),
        status,
    )
}

app_test_with!(
    bad_carrier_webhooks_are_refused_and_write_nothing,
    [("GANTRY_CARRIER_WEBHOOK_SECRET", CARRIER_SECRET)],
    |app| {
        let p = product(&app.db.db, "CUP-2", 800).await;
        let c = common::shop::customer(&app.db.db, "Carol").await;
        let order = ready_order(app, c, p).await;
        let operator = app.login_as(Role::Operator).await;
        let mut i = json!({"i": {"orderId": order.to_string(), "carrier": "ups", "trackingNumber": "1Z1",
                                 "status": "IN_TRANSIT"}});
        let v = app.graphql_as(&operator, CREATE, i.clone()).await;
        assert!(v["errors"].is_null(), "{v}");
        i["i"]["trackingNumber"] = json!("1Z2");
        app.graphql_as(&operator, CREATE, i).await;
        let good = update("ups", "1Z1", "out_for_delivery");
        let other = "whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVzLXh4";
        let before = written(app).await;
        let cases: Vec<(&str, String, i64, String, u16, &str)> = vec![
            (
                "another secret",
                other.into(),
                now(),
                good.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                "stale",
                CARRIER_SECRET.into(),
                now() - 400,
                good.clone(),
                401,
                "WEBHOOK_TIMESTAMP_STALE",
            ),
            (
                "future",
                CARRIER_SECRET.into(),
                now() + 400,
                good.clone(),
                401,
                "WEBHOOK_TIMESTAMP_STALE",
            ),
            (
                "not JSON",
                CARRIER_SECRET.into(),
                now(),
                "{nope".into(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                "no type",
                CARRIER_SECRET.into(),
                now(),
                json!({"carrier": "ups", "tracking_number": "1Z1", "status": "delivered"}).to_string(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                "unknown status",
                CARRIER_SECRET.into(),
                now(),
                update("ups", "1Z1", "lost"),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                "unknown parcel",
                CARRIER_SECRET.into(),
                now(),
                update("ups", "1Z9", "delivered"),
                404,
                "SHIPMENT_UNKNOWN",
            ),
            (
                "other carrier",
                CARRIER_SECRET.into(),
                now(),
                update("dhl", "1Z1", "delivered"),
                404,
                "SHIPMENT_UNKNOWN",
            ),
            (
                "refused move",
                CARRIER_SECRET.into(),
                now(),
                update("ups", "1Z1", "label_created"),
                409,
                "SHIPMENT_ILLEGAL_TRANSITION",
            ),
        ];
        for (n, (what, secret, ts, body, status, reason)) in cases.into_iter().enumerate() {
            let (s, v) = carrier_post(app, &secret, &format!("msg_bad_{n}"), ts, &body).await;
            assert_eq!(
                (s, v["error"]["reason"].as_str()),
                (status, Some(reason)),
                "{what}: {v}"
            );
            assert_eq!(written(app).await, before, "{what}: nothing written");
        }
        // Tampered body, missing headers.
        let sig = sign(
            &secret_key(CARRIER_SECRET).unwrap(),
            "msg_t",
            now(),
            good.as_bytes(),
        );
        for headers in [
            vec![
                ("webhook-id", "msg_t".to_string()),
                ("webhook-timestamp", now().to_string()),
                ("webhook-signature", sig.clone()),
            ],
            vec![
                ("webhook-timestamp", now().to_string()),
                ("webhook-signature", sig.clone()),
            ],
            vec![
                ("webhook-id", "msg_t".to_string()),
                ("webhook-signature", sig.clone()),
            ],
            vec![
                ("webhook-id", "msg_t".to_string()),
                ("webhook-timestamp", now().to_string()),
            ],
        ] {
            let mut r = app
                .client
                .post(format!("{}/hooks/carrier", app.base))
                .body(update("ups", "1Z1", "delivered"));
            for (k, v) in &headers {
                r = r.header(*k, v);
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 401, "{headers:?}");
            assert_eq!(written(app).await, before);
        }
        // The good one once; the same message again is a replay.
        let ts = now();
        let (s, v) = carrier_post(app, CARRIER_SECRET, "msg_good", ts, &good).await;
        assert_eq!(
            (s, v["shipment_status"].as_str()),
            (200, Some("out_for_delivery")),
            "{v}"
        );
        let after = written(app).await;
        assert_eq!(
            (after.1, after.2, after.3.as_str()),
            (before.1 + 1, before.2 + 1, "out_for_delivery")
        );
        let (s, v) = carrier_post(app, CARRIER_SECRET, "msg_good", ts, &good).await;
        assert_eq!(
            (s, v["error"]["reason"].as_str()),
            (409, Some("WEBHOOK_REPLAY")),
            "{v}"
        );
        assert_eq!(written(app).await, after, "a replay writes nothing");
        assert_eq!(order_status(app, order).await, "shipped");
    }
);

app_test!(the_carrier_route_is_off_without_its_secret, |app| {
    let (s, v) = carrier_post(
        app,
        CARRIER_SECRET,
        "msg_1",
        now(),
        &update("ups", "1", "delivered"),
    )
    .await;
    assert_eq!(
        (s, v["error"]["reason"].as_str()),
        (404, Some("WEBHOOK_NOT_CONFIGURED"))
    );
});
