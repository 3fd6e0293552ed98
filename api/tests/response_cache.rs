//! The GraphQL response cache (`GANTRY_GRAPHQL_RESPONSE_CACHE_MS`, `api/src/response_cache.rs`):
//! answers are kept per caller and body until an event, a local mutation or their age; errors
//! are never kept; the bearer token is checked before a kept answer is sent. Changes made
//! directly in SQL append no event, which is how these tests tell a kept answer from a fresh one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, code};
use gantry_engine::domain::equipment::{Dimensions, NewPrinter, Technology};
use gantry_engine::domain::inventory::MaterialKind;
use gantry_engine::domain::types::{Currency, Money};
use gantry_engine::domain::users::Role;
use gantry_engine::store::{equipment, now, users};
use serde_json::{Value, json};

const PRINTERS: &str = "{ printers { id name model } }";

/// A printer made through the store: appends `printer.created` to the outbox, as another
/// replica's write would.
async fn printer_with_event(app: &TestApp, name: &str) -> i64 {
    let mut tx = app.db.db.begin().await.unwrap();
    let p = equipment::create_printer(
        &mut tx,
        now(),
        &NewPrinter {
            name: name.into(),
            model: "MK4".into(),
            technology: Technology::Fdm,
            build_volume: Dimensions::new(250, 210, 220),
            nozzle_um: 400,
            materials: vec![MaterialKind::Pla],
            speed_factor_pct: 100,
            hourly_cost: Money::new(150, Currency::EUR),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id.0
}

/// A printer inserted in SQL (no event); returns its id.
async fn printer_quietly(app: &TestApp, name: &str) -> i64 {
    let row = sqlx::query(
        "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
         hourly_cost_minor, currency, status, created_at) \
         VALUES ($1, 'MK4', 'fdm', 250, 210, 220, 400, 150, 'EUR', 'idle', 0) RETURNING id",
    )
    .bind(name)
    .fetch_one(app.db.db.pool())
    .await
    .unwrap();
    sqlx::Row::try_get::<i64, _>(&row, "id").unwrap()
}

/// Renames a printer's model in SQL (no event).
async fn set_model_quietly(app: &TestApp, id: i64, model: &str) {
    sqlx::query("UPDATE printers SET model = $1 WHERE id = $2")
        .bind(model)
        .bind(id)
        .execute(app.db.db.pool())
        .await
        .unwrap();
}

fn models(v: &Value) -> Vec<(String, String)> {
    v["data"]["printers"]
        .as_array()
        .unwrap_or_else(|| panic!("no printers in {v}"))
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["model"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asks `query` until `done` holds of the answer (10 s at most).
async fn until(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let v = app.graphql_as(token, query, json!({})).await;
        if done(&v) {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A change without an event is not seen while the answer is kept. An unrelated event (the live
/// farm's own writes) may empty the cache in between: then the attempt is repeated.
async fn assert_kept(app: &TestApp, token: &str, printer: i64) {
    for attempt in 0..5 {
        let mut rx = app.events.subscribe();
        let before = app.graphql_as(token, PRINTERS, json!({})).await;
        set_model_quietly(app, printer, &format!("quiet-{attempt}")).await;
        let after = app.graphql_as(token, PRINTERS, json!({})).await;
        if after == before {
            return;
        }
        assert!(
            rx.try_recv().is_ok(),
            "the answer changed without an event: {before} → {after}"
        );
    }
    panic!("every attempt was interrupted by an event");
}

app_test_with!(
    answers_are_kept_until_an_event_or_a_mutation,
    [("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", "60000")],
    |app| {
        let admin = app.login_as(Role::Admin).await;
        let p1 = printer_with_event(app, "p1").await;
        until(app, &admin, PRINTERS, |v| {
            models(v).contains(&("p1".into(), "MK4".into()))
        })
        .await;
        assert_kept(app, &admin, p1).await;

        // Another writer's event (the outbox, as from another replica) empties the cache.
        set_model_quietly(app, p1, "seen-after-event").await;
        printer_with_event(app, "p2").await;
        let v = until(app, &admin, PRINTERS, |v| models(v).len() == 2).await;
        assert!(
            models(&v).contains(&("p1".into(), "seen-after-event".into())),
            "{v}"
        );

        // A mutation answered by this server empties it before it answers: read-your-writes.
        assert_kept(app, &admin, p1).await;
        set_model_quietly(app, p1, "seen-after-mutation").await;
        let created = app
            .graphql_as(
                &admin,
                "mutation { createPrinter(input: {name: \"p3\", model: \"MK4\", technology: FDM, \
             buildVolume: {xMm: 250, yMm: 210, zMm: 220}, materials: [PLA], \
             hourlyCost: {minor: 150, currency: \"EUR\"}}) { id } }",
                json!({}),
            )
            .await;
        assert!(created["errors"].is_null(), "{created}");
        let v = app.graphql_as(&admin, PRINTERS, json!({})).await;
        assert_eq!(models(&v).len(), 3, "{v}");
        assert!(
            models(&v).contains(&("p1".into(), "seen-after-mutation".into())),
            "{v}"
        );
        // Counted in /metrics.
        let metrics = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let hits: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("gantry_graphql_response_cache_total{result=\"hit\"} "))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{metrics}"));
        assert!(hits >= 2, "{metrics}");
    }
);

app_test_with!(
    callers_never_share_answers_and_tokens_are_checked_first,
    [
        ("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", "60000"),
        ("GANTRY_AUTH_CACHE_SECS", "0")
    ],
    |app| {
        const ME: &str = "{ me { email role } }";
        let a = app.login_new(Role::Customer, "a@gantry.test").await;
        let b = app.login_new(Role::Customer, "b@gantry.test").await;
        let admin = app.login_as(Role::Admin).await;
        for _ in 0..2 {
            let va = app.graphql_as(&a, ME, json!({})).await;
            let vb = app.graphql_as(&b, ME, json!({})).await;
            assert_eq!(va["data"]["me"]["email"], "a@gantry.test", "{va}");
            assert_eq!(vb["data"]["me"]["email"], "b@gantry.test", "{vb}");
            // The same body without a token is the anonymous caller's, refused.
            assert_eq!(code(&app.graphql(ME, json!({})).await).0, "UNAUTHENTICATED");
        }
        // Same body, another caller with other rights: a customer may not list printers, an
        // admin's kept answer is not theirs.
        let v = app.graphql_as(&admin, PRINTERS, json!({})).await;
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(
            code(&app.graphql_as(&a, PRINTERS, json!({})).await).0,
            "FORBIDDEN"
        );
        // Deactivated in SQL (no event): the kept answer is not sent to a refused token.
        let mut tx = app.db.db.begin().await.unwrap();
        let a_id = users::user_by_email(&mut tx, "a@gantry.test")
            .await
            .unwrap()
            .unwrap()
            .id;
        users::deactivate_user(&mut tx, now(), a_id).await.unwrap();
        tx.commit().await.unwrap();
        let v = app.graphql_as(&a, ME, json!({})).await;
        assert_eq!(code(&v).0, "UNAUTHENTICATED", "{v}");
        assert!(v["data"].is_null(), "{v}");
        let vb = app.graphql_as(&b, ME, json!({})).await;
        assert_eq!(vb["data"]["me"]["email"], "b@gantry.test", "{vb}");
    }
);

app_test_with!(
    errors_are_never_kept_and_limits_still_apply,
    [
        ("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", "60000"),
        ("GANTRY_GRAPHQL_MAX_DEPTH", "3")
    ],
    |app| {
        let admin = app.login_as(Role::Admin).await;
        let p = printer_quietly(app, "q1").await;
        // The next printer inserted gets the next id: not found now, found once it exists,
        // though no event says so (a kept error would hide it).
        let q = format!("{{ printer(id: \"{}\") {{ name }} }}", p + 1);
        let v = app.graphql_as(&admin, &q, json!({})).await;
        assert_eq!(code(&v).0, "NOT_FOUND", "{v}");
        assert_eq!(printer_quietly(app, "q2").await, p + 1);
        let v = app.graphql_as(&admin, &q, json!({})).await;
        assert_eq!(v["data"]["printer"]["name"], "q2", "{v}");
        // Too deep: refused every time, whatever was kept before.
        let deep = "{ printers { loadedMaterial { pricePerKg { minor } } } }";
        for _ in 0..2 {
            let v = app.graphql_as(&admin, deep, json!({})).await;
            assert_eq!(code(&v), ("VALIDATION", "QUERY_TOO_DEEP"), "{v}");
        }
    }
);

app_test!(off_by_default_every_read_is_fresh, |app| {
    let admin = app.login_as(Role::Admin).await;
    let p = printer_quietly(app, "f1").await;
    for model in ["one", "two"] {
        set_model_quietly(app, p, model).await;
        let v = app.graphql_as(&admin, PRINTERS, json!({})).await;
        assert_eq!(models(&v), vec![("f1".to_string(), model.to_string())], "{v}");
    }
});
