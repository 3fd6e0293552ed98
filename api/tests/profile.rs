//! One's own profile (`myProfile`, `updateProfile`): staff change their name only; customers
//! also their company, phone and addresses, kept on the CRM contact they order as (so sales
//! see them). Refusals write nothing. Every test runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TestApp, code};
use gantry_engine::domain::users::Role;
use serde_json::{Value, json};

const PROFILE: &str = "{ myProfile { user { displayName email role } customer { id name company } phone \
                       addresses { kind line1 line2 city postalCode country } } }";
const UPDATE: &str = "mutation($i: ProfileInput!) { updateProfile(input: $i) { user { displayName } \
                      customer { name company } phone addresses { kind line1 city country } } }";

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql_as(token, UPDATE, json!({ "i": input })).await
}

app_test!(
    a_customer_keeps_company_phone_and_addresses_on_their_contact,
    |app| {
        let token = app.login_new(Role::Customer, "olga@example.com").await;
        let v = app.graphql_as(&token, PROFILE, json!({})).await;
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(v["data"]["myProfile"]["addresses"], json!([]));
        assert!(v["data"]["myProfile"]["customer"]["id"].is_string(), "{v}");
        let customer_id = v["data"]["myProfile"]["customer"]["id"].clone();

        let v = update(
        app,
        &token,
        json!({
            "name": "  Ольга Смирнова ",
            "company": "Смирнова и партнёры",
            "phone": "+49 30 1234567",
            "addresses": [
                {"kind": "SHIPPING", "line1": "Hauptstr. 1", "city": "Berlin", "postalCode": "10115", "country": "de"},
                {"line1": "Invoice Lane 2", "city": "Hamburg", "country": "DE"}
            ]
        }),
    )
    .await;
        assert!(v["errors"].is_null(), "{v}");
        let p = &v["data"]["updateProfile"];
        assert_eq!(p["user"]["displayName"], "Ольга Смирнова");
        assert_eq!(p["customer"]["name"], "Ольга Смирнова");
        assert_eq!(p["customer"]["company"], "Смирнова и партнёры");
        assert_eq!(p["addresses"][0]["country"], "DE", "normalised upper case");
        assert_eq!(p["addresses"][1]["kind"], "BILLING", "the default kind");

        // Sales see the same addresses on the customer's contact in the CRM.
        let sales = app.login_as(Role::Sales).await;
        let c = app
            .graphql_as(
                &sales,
                "query($c: ID!) { contacts(customerId: $c) { nodes { email phone addresses { line1 } } } }",
                json!({ "c": customer_id }),
            )
            .await;
        assert!(c["errors"].is_null(), "{c}");
        assert_eq!(c["data"]["contacts"]["nodes"].as_array().unwrap().len(), 1, "{c}");
        assert_eq!(c["data"]["contacts"]["nodes"][0]["email"], "olga@example.com");
        assert_eq!(c["data"]["contacts"]["nodes"][0]["phone"], "+49 30 1234567");
        assert_eq!(
            c["data"]["contacts"]["nodes"][0]["addresses"][1]["line1"],
            "Invoice Lane 2"
        );

        // A second change updates the same contact (no second one) and may drop addresses.
        let v = update(app, &token, json!({"name": "Ольга Смирнова", "addresses": []})).await;
        assert!(v["errors"].is_null(), "{v}");
        let c = app
            .graphql_as(
                &sales,
                "query($c: ID!) { contacts(customerId: $c) { nodes { id addresses { line1 } } } }",
                json!({ "c": customer_id }),
            )
            .await;
        assert_eq!(c["data"]["contacts"]["nodes"].as_array().unwrap().len(), 1, "{c}");
        assert_eq!(c["data"]["contacts"]["nodes"][0]["addresses"], json!([]));
        let v = app.graphql_as(&token, PROFILE, json!({})).await;
        assert_eq!(
            v["data"]["myProfile"]["customer"]["company"],
            Value::Null,
            "a blank company is dropped"
        );
    }
);

app_test!(bad_profile_changes_are_refused_and_write_nothing, |app| {
    let token = app.login_new(Role::Customer, "kim@example.com").await;
    let ok = update(
        app,
        &token,
        json!({"name": "Kim", "addresses": [{"line1": "A 1", "city": "Seoul", "country": "KR"}]}),
    )
    .await;
    assert!(ok["errors"].is_null(), "{ok}");
    let before = app.graphql_as(&token, PROFILE, json!({})).await;

    let blank = update(app, &token, json!({"name": "   "})).await;
    assert_eq!(code(&blank).0, "VALIDATION", "{blank}");
    let country = update(
        app,
        &token,
        json!({"name": "Kim Lee", "addresses": [{"line1": "B 2", "city": "Busan", "country": "Korea"}]}),
    )
    .await;
    assert_eq!(code(&country), ("VALIDATION", "CRM_INVALID_COUNTRY"), "{country}");
    // The name change of the refused request was rolled back with it.
    assert_eq!(app.graphql_as(&token, PROFILE, json!({})).await, before);

    // Staff change only their name.
    let planner = app.login_as(Role::Planner).await;
    let v = update(
        app,
        &planner,
        json!({"name": "Pat Planner", "phone": "+1 555 0100"}),
    )
    .await;
    assert_eq!(code(&v), ("VALIDATION", "PROFILE_CUSTOMER_ONLY"), "{v}");
    let v = update(app, &planner, json!({"name": "Pat Planner"})).await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["updateProfile"]["customer"], Value::Null);
    let me = app
        .graphql_as(&planner, "{ me { displayName } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["displayName"], "Pat Planner");
    // Not signed in: refused.
    let anon = app.graphql(UPDATE, json!({"i": {"name": "X"}})).await;
    assert_eq!(code(&anon).0, "UNAUTHENTICATED", "{anon}");
});
