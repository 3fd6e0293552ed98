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

app_test!(
    healthz_answers_within_a_bound_while_the_database_is_unavailable,
    |app| {
        // Every connection of the server's pool is taken: a query would wait for the pool's 30 s
        // acquire timeout. Health must answer 503 with the database's state long before.
        let pool = app.db.db.pool();
        let mut held = Vec::new();
        for _ in 0..pool.options().get_max_connections() {
            held.push(pool.acquire().await.unwrap());
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        let resp = client.get(format!("{}/healthz", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), 503);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["database_state"], "timeout");
        // Liveness does not depend on the database.
        let resp = client.get(format!("{}/livez", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        drop(held);
        let resp = client.get(format!("{}/healthz", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
);

app_test!(request_level_errors_carry_a_code, |app| {
    let cases = [
        ("{ nope }", "QUERY_INVALID"),
        ("{ version ", "QUERY_PARSE_ERROR"),
        (
            "{ a: stats { printers } b: stats { printers } }",
            "", // valid: no error
        ),
    ];
    for (query, reason) in cases {
        let v = app.graphql(query, serde_json::json!({})).await;
        if reason.is_empty() {
            assert!(v["errors"].is_null(), "{query}: {v}");
            continue;
        }
        let e = &v["errors"][0];
        assert_eq!(e["extensions"]["code"], "VALIDATION", "{query}: {v}");
        assert_eq!(e["extensions"]["reason"], reason, "{query}: {v}");
    }
});

app_test_with!(
    depth_and_complexity_errors_carry_a_code,
    [
        ("GANTRY_GRAPHQL_MAX_DEPTH", "1"),
        ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "3")
    ],
    |app| {
        let v = app
            .graphql("{ printers { id name status } }", serde_json::json!({}))
            .await;
        let reasons: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["extensions"]["code"], "VALIDATION", "{v}");
                e["extensions"]["reason"].as_str().unwrap()
            })
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| *r == "QUERY_TOO_DEEP" || *r == "QUERY_TOO_COMPLEX"),
            "{v}"
        );
    }
);

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
