//! Shop orders in over real HTTP: Shopify (`orders/create`, `X-Shopify-Hmac-Sha256`) and
//! WooCommerce (`order.created`, `X-WC-Webhook-Signature`) become placed Gantry orders mapped by
//! SKU; an unknown SKU holds the order with the reason; a repeated delivery creates nothing
//! twice; bad signatures and malformed JSON are refused with 4xx and write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestApp;
use common::shop::{post, product};
use gantry_engine::domain::integrations::signing::body_hmac_base64;
use gantry_engine::store::count_rows;
use serde_json::json;

/// (headers, body, expected status, expected reason)
type Case = (Vec<(&'static str, String)>, String, u16, &'static str);

const SHOPIFY: &str = "shpss_test_secret_1";
const WOO: &str = "woo_test_secret_12";

async fn shopify(app: &TestApp, body: &str) -> (u16, serde_json::Value) {
    let sig = body_hmac_base64(SHOPIFY, body.as_bytes());
    post(
        app,
        "/hooks/shopify",
        &[
            ("x-shopify-hmac-sha256", sig),
            ("x-shopify-topic", "orders/create".into()),
        ],
        body,
    )
    .await
}

fn shopify_order(id: u64, email: &str, items: serde_json::Value) -> String {
    json!({"id": id, "email": email, "currency": "EUR", "total_price": "0.00",
           "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": email},
           "line_items": items})
    .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.db.db.pool())
        .await
        .unwrap()
        .0
}

app_test_with!(
    shop_orders_become_gantry_orders_once,
    [
        ("GANTRY_SHOPIFY_WEBHOOK_SECRET", SHOPIFY),
        ("GANTRY_WOOCOMMERCE_WEBHOOK_SECRET", WOO),
    ],
    |app| {
        let db = &app.db.db;
        product(db, "VASE-1", 1500).await;
        product(db, "CUP-2", 800).await;
        let body = shopify_order(
            820982911946154508,
            "ada@example.com",
            json!([
                {"sku": "vase-1", "quantity": 2, "price": "19.90"},
                {"sku": "CUP-2", "quantity": 1, "price": "8"},
            ]),
        );
        let (s, v) = shopify(app, &body).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("created")), "{v}");
        let order = v["order_id"].as_i64().unwrap();
        let (status, total): (String, i64) =
            sqlx::query_as("SELECT status, total_minor FROM orders WHERE id = $1")
                .bind(order)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), total),
            ("placed", 2 * 1990 + 800),
            "the shop's prices"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM customers WHERE email = 'ada@example.com'"
            )
            .await,
            1
        );
        // Delivered again: nothing new.
        let (s, v) = shopify(app, &body).await;
        assert_eq!(
            (s, v["status"].as_str(), v["order_id"].as_i64()),
            (200, Some("duplicate"), Some(order))
        );
        assert_eq!(count_rows(db, "orders").await.unwrap(), 1);
        // The same customer's next order reuses the customer record.
        let (_, v) = shopify(
            app,
            &shopify_order(
                2,
                "ADA@example.com",
                json!([{"sku": "CUP-2", "quantity": 3, "price": "8.00"}]),
            ),
        )
        .await;
        assert_eq!(v["status"], "created", "{v}");
        assert_eq!(count_rows(db, "customers").await.unwrap(), 1);

        // WooCommerce.
        let woo = json!({"id": 727, "currency": "EUR", "billing": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
                     "line_items": [{"sku": "VASE-1", "quantity": 1, "price": 15.5, "total": "15.50"}]}).to_string();
        let sig = body_hmac_base64(WOO, woo.as_bytes());
        let headers = [
            ("x-wc-webhook-signature", sig),
            ("x-wc-webhook-topic", "order.created".to_string()),
        ];
        let (s, v) = post(app, "/hooks/woocommerce", &headers, &woo).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("created")), "{v}");
        let (s, v) = post(app, "/hooks/woocommerce", &headers, &woo).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("duplicate")));
        assert_eq!(count_rows(db, "orders").await.unwrap(), 3);
        // WooCommerce's ping when a webhook is saved.
        let ping = "webhook_id=12";
        let (s, v) = post(
            app,
            "/hooks/woocommerce",
            &[("x-wc-webhook-signature", body_hmac_base64(WOO, ping.as_bytes()))],
            ping,
        )
        .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("ignored")));
    }
);

app_test_with!(
    unknown_skus_hold_the_order_with_the_reason,
    [("GANTRY_SHOPIFY_WEBHOOK_SECRET", SHOPIFY)],
    |app| {
        let db = &app.db.db;
        product(db, "VASE-1", 1500).await;
        let (s, v) = shopify(
            app,
            &shopify_order(
                5,
                "bob@example.com",
                json!([
                    {"sku": "VASE-1", "quantity": 1, "price": "15.00"},
                    {"sku": "NOPE-9", "quantity": 1, "price": "1.00"},
                ]),
            ),
        )
        .await;
        assert_eq!(
            (s, v["status"].as_str(), v["held_reason"].as_str()),
            (200, Some("held"), Some("unknown SKU NOPE-9")),
            "{v}"
        );
        let (_, v) = shopify(
            app,
            &shopify_order(6, "bob@example.com", json!([{"quantity": 1, "price": "1.00"}])),
        )
        .await;
        assert_eq!(v["held_reason"], "line 1 has no SKU");
        assert_eq!(count_rows(db, "orders").await.unwrap(), 0, "no order made");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM events WHERE type = 'shop_order.held'").await,
            2
        );
        let sales = app.login_as(gantry_engine::domain::users::Role::Sales).await;
        let v = app
            .graphql_as(
                &sales,
                "{ shopOrders(heldOnly: true) { shop externalId status heldReason orderId } }",
                json!({}),
            )
            .await;
        let held = v["data"]["shopOrders"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"));
        assert_eq!(held.len(), 2, "{v}");
        assert_eq!(held[1]["heldReason"], "unknown SKU NOPE-9");
        assert_eq!(
            (held[1]["shop"].as_str(), held[1]["status"].as_str()),
            (Some("shopify"), Some("held"))
        );
        assert!(held[1]["orderId"].is_null());
        // Held again on a repeat? No: the repeat is a duplicate.
        let (_, v) = shopify(
            app,
            &shopify_order(6, "bob@example.com", json!([{"quantity": 1, "price": "1.00"}])),
        )
        .await;
        assert_eq!(v["status"], "duplicate");
        assert_eq!(count_rows(db, "shop_orders").await.unwrap(), 2);
    }
);

app_test_with!(
    bad_shop_requests_are_refused_and_write_nothing,
    [("GANTRY_SHOPIFY_WEBHOOK_SECRET", SHOPIFY)],
    |app| {
        let db = &app.db.db;
        product(db, "VASE-1", 1500).await;
        let good = shopify_order(
            9,
            "eve@example.com",
            json!([{"sku": "VASE-1", "quantity": 1, "price": "15.00"}]),
        );
        let topic = ("x-shopify-topic", "orders/create".to_string());
        let cases: Vec<Case> = vec![
            (
                vec![topic.clone()],
                good.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                vec![
                    (
                        "x-shopify-hmac-sha256",
                        body_hmac_base64("wrong", good.as_bytes()),
                    ),
                    topic.clone(),
                ],
                good.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                vec![
                    (
                        "x-shopify-hmac-sha256",
                        body_hmac_base64(SHOPIFY, good.as_bytes()),
                    ),
                    topic.clone(),
                ],
                good.replace("15.00", "0.01"),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
            (
                vec![
                    ("x-shopify-hmac-sha256", body_hmac_base64(SHOPIFY, b"{oops")),
                    topic.clone(),
                ],
                "{oops".into(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                vec![
                    ("x-shopify-hmac-sha256", body_hmac_base64(SHOPIFY, b"{\"id\":1}")),
                    topic.clone(),
                ],
                "{\"id\":1}".into(),
                400,
                "WEBHOOK_PAYLOAD_INVALID",
            ),
            (
                vec![
                    ("x-shopify-hmac-sha256", "bm9wZQ==".into()),
                    ("x-shopify-topic", "orders/paid".into()),
                ],
                good.clone(),
                401,
                "WEBHOOK_SIGNATURE_INVALID",
            ),
        ];
        for (headers, body, status, reason) in &cases {
            let (s, v) = post(app, "/hooks/shopify", headers, body).await;
            assert_eq!(
                (s, v["error"]["reason"].as_str()),
                (*status, Some(*reason)),
                "{headers:?} {body}: {v}"
            );
        }
        assert_eq!(count_rows(db, "shop_orders").await.unwrap(), 0);
        assert_eq!(count_rows(db, "orders").await.unwrap(), 0);
        assert_eq!(count_rows(db, "customers").await.unwrap(), 0);
        // Not configured: 404.
        let (s, _) = post(app, "/hooks/woocommerce", &[], &good).await;
        assert_eq!(s, 404);
    }
);
