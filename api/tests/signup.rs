//! Customers' self-registration (`signUp`): a customer record and a customer account made in
//! one transaction and logged in; refusals write nothing but the rate limit's attempt; at most
//! five attempts per client address within the hour. Every test runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TestApp, code};
use gantry_engine::store::count_rows;
use serde_json::{Value, json};

const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { email role customerId } } }";
const PASSWORD: &str = "a long enough secret";

async fn sign_up(app: &TestApp, email: &str, password: &str, name: &str) -> Value {
    app.graphql(
        SIGN_UP,
        json!({"i": {"email": email, "password": password, "name": name, "company": "Ivanov & Co"}}),
    )
    .await
}

async fn accounts(app: &TestApp) -> (i64, i64) {
    (
        count_rows(&app.db.db, "users").await.unwrap(),
        count_rows(&app.db.db, "customers").await.unwrap(),
    )
}

app_test!(sign_up_creates_a_customer_and_logs_in, |app| {
    let before = accounts(app).await;
    let v = sign_up(app, " Ivan@Example.COM ", PASSWORD, "Иван Иванов").await;
    assert!(v["errors"].is_null(), "{v}");
    let out = &v["data"]["signUp"];
    assert_eq!(out["user"]["email"], "ivan@example.com");
    assert_eq!(out["user"]["role"], "CUSTOMER");
    assert!(out["user"]["customerId"].is_string(), "{v}");
    assert_eq!(accounts(app).await, (before.0 + 1, before.1 + 1));

    // The access token works at once and sees the customer's own (empty) order list.
    let token = out["accessToken"].as_str().unwrap();
    let me = app
        .graphql_as(
            token,
            "{ me { email role } orders(first: 5) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(me["errors"].is_null(), "{me}");
    assert_eq!(me["data"]["me"]["role"], "CUSTOMER");
    assert_eq!(me["data"]["orders"]["edges"], json!([]));
    // Staff pages' data is refused.
    let staff = app.graphql_as(token, "{ users { id } }", json!({})).await;
    assert_eq!(code(&staff).0, "FORBIDDEN", "{staff}");
    // And the password logs in later.
    app.login("ivan@example.com", PASSWORD).await;
});

app_test!(refused_sign_ups_write_nothing, |app| {
    let ok = sign_up(app, "olga@example.com", PASSWORD, "Ольга").await;
    assert!(ok["errors"].is_null(), "{ok}");
    let before = accounts(app).await;
    let cases = [
        (
            "OLGA@example.com",
            PASSWORD,
            "Ольга",
            ("CONFLICT", "USER_EMAIL_TAKEN"),
        ),
        (
            "petr@example.com",
            "short",
            "Пётр",
            ("VALIDATION", "AUTH_WEAK_PASSWORD"),
        ),
        (
            "not an address",
            PASSWORD,
            "Пётр",
            ("VALIDATION", "USER_INVALID_EMAIL"),
        ),
        (
            "petr@example.com",
            PASSWORD,
            "   ",
            ("VALIDATION", "USER_INVALID_FIELD"),
        ),
    ];
    for (email, password, name, want) in cases {
        let v = sign_up(app, email, password, name).await;
        assert_eq!(code(&v), want, "{email}: {v}");
        assert!(v["data"].is_null(), "{v}");
        assert_eq!(accounts(app).await, before, "{email}: something was written");
    }
});

app_test!(sign_ups_are_rate_limited_per_address, |app| {
    for i in 0..5 {
        let v = sign_up(app, &format!("c{i}@example.com"), PASSWORD, "Покупатель").await;
        assert!(v["errors"].is_null(), "{v}");
    }
    let before = accounts(app).await;
    let v = sign_up(app, "c5@example.com", PASSWORD, "Покупатель").await;
    assert_eq!(code(&v), ("RATE_LIMITED", "AUTH_RATE_LIMITED"), "{v}");
    let retry = v["errors"][0]["extensions"]["retryAfterSeconds"].as_i64();
    assert!(retry.is_none_or(|s| s > 0 && s <= 3600), "{v}");
    assert_eq!(accounts(app).await, before);
    assert_eq!(
        count_rows(&app.db.db, "signup_attempts").await.unwrap(),
        5,
        "a refused attempt is not recorded"
    );
});
