//! The HTTP surface of `gantry serve`: health, GraphQL basics, limits, errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

app_test!(healthz_reports_backend, |app| {
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], app.db.db.backend().name());
});

app_test!(graphql_version_and_empty_stats, |app| {
    let v = app
        .graphql(
            "{ version stats { printers materials products orders jobs } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(v["data"]["version"], gantry_api::VERSION);
    assert_eq!(
        v["data"]["stats"],
        serde_json::json!({"printers": 0, "materials": 0, "products": 0, "orders": 0, "jobs": 0})
    );
});

app_test!(unknown_field_is_a_graphql_error, |app| {
    let v = app.graphql("{ nope }", serde_json::json!({})).await;
    assert!(v["data"].is_null());
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("Unknown field \"nope\""), "{msg}");
});

app_test!(graphiql_is_served, |app| {
    let resp = app
        .client
        .get(format!("{}/graphiql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("graphiql"));
});

#[actix_web::test]
async fn oversized_body_is_rejected() {
    let app = common::spawn_app_with(
        gantry_engine::store::Backend::Sqlite,
        &[("GANTRY_MAX_BODY_BYTES", "2048")],
    )
    .await;
    let big = "x".repeat(10_000);
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&serde_json::json!({"query": format!("{{ version }} # {big}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    app.stop().await;
}

#[actix_web::test]
async fn over_deep_query_is_rejected() {
    let app = common::spawn_app_with(
        gantry_engine::store::Backend::Sqlite,
        &[("GANTRY_GRAPHQL_MAX_DEPTH", "1")],
    )
    .await;
    let v = app.graphql("{ stats { printers } }", serde_json::json!({})).await;
    assert!(v["data"].is_null());
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{v}"
    );
    app.stop().await;
}

app_test!(stats_report_the_demo_farm, |app| {
    let summary = gantry_engine::store::demo::load(&app.db.db).await.unwrap();
    let v = app
        .graphql(
            "{ stats { printers materials products orders jobs } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        v["data"]["stats"],
        serde_json::json!({
            "printers": summary.printers,
            "materials": summary.materials,
            "products": summary.products,
            "orders": summary.orders,
            "jobs": summary.jobs,
        })
    );
});
