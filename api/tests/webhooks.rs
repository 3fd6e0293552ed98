//! Outbound webhooks end to end over real HTTP on loopback: the server's dispatcher delivers
//! committed events to a receiver that checks Standard Webhooks signatures and fails on purpose
//! (error statuses, timeouts, slow bodies) to drive retries, the circuit and replays; one bad
//! endpoint never holds up another; private targets are refused unless allowed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::receiver::{Mode, Received, Receiver};
use gantry_app::webhooks::{self as hooks, EndpointInput};
use gantry_engine::domain::events::{Event, OrderEvent};
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::error::Coded;
use gantry_engine::store::webhooks::{DeliveryFilter, DeliveryStatus, Endpoint};
use gantry_engine::store::{Db, events};

/// Fast retries, short timeouts, loopback allowed, the circuit out of the way.
macro_rules! hooks_test {
    ($name:ident, [$(($k:expr, $v:expr)),* $(,)?], |$app:ident| $body:block) => {
        app_test_with!($name, [
            ("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "true"),
            ("GANTRY_WEBHOOKS_TIMEOUT_MS", "400"),
            ("GANTRY_WEBHOOKS_RETRY_FIRST_DELAY_MS", "40"),
            ("GANTRY_WEBHOOKS_RETRY_MAX_DELAY_MS", "200"),
            $(($k, $v),)*
        ], |$app| $body);
    };
}

fn order_event(order_id: i64, from: Option<OrderStatus>, to: OrderStatus) -> Event {
    Event::Order(OrderEvent {
        order_id,
        customer_id: 1,
        from,
        to,
        by_user_id: None,
        note: String::new(),
    })
}

/// Commits `evs` to the outbox, one transaction each; returns their ids.
async fn emit(db: &Db, evs: &[Event]) -> Vec<i64> {
    let mut ids = Vec::new();
    for e in evs {
        let mut tx = db.begin().await.unwrap();
        ids.push(events::append(&mut tx, Utc::now(), e).await.unwrap());
        tx.commit().await.unwrap();
    }
    ids
}

async fn endpoint(db: &Db, url: &str, types: &[&str], seed: u8) -> Endpoint {
    hooks::create_endpoint(
        db,
        Utc::now(),
        &EndpointInput {
            url: url.into(),
            description: "test receiver".into(),
            event_types: types.iter().map(|t| t.to_string()).collect(),
        },
        &[seed; 24],
        true,
    )
    .await
    .unwrap()
}

async fn deliveries(db: &Db, endpoint_id: i64) -> Vec<gantry_engine::store::webhooks::Delivery> {
    let mut v = hooks::deliveries(
        db,
        &DeliveryFilter {
            endpoint_id: Some(endpoint_id),
            limit: 1000,
            ..DeliveryFilter::default()
        },
    )
    .await
    .unwrap();
    v.reverse();
    v
}

fn types(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.body["type"].as_str().unwrap_or("").to_string())
        .collect()
}

const ORDER_TYPES: &[&str] = &["order.created", "order.status_changed"];

hooks_test!(signed_events_reach_their_subscribers_in_order, [], |app| {
    let db = &app.db.db;
    let orders = Receiver::ok().await;
    let printers = Receiver::ok().await;
    let ep = endpoint(db, &orders.url, ORDER_TYPES, 1).await;
    let other = endpoint(db, &printers.url, &["printer.created"], 2).await;
    orders.set_secrets(&[&ep.secret]);
    assert!(ep.secret.starts_with("whsec_") && ep.secret != other.secret);

    let ids = emit(
        db,
        &[
            order_event(7, None, OrderStatus::Draft),
            order_event(7, Some(OrderStatus::Draft), OrderStatus::Placed),
            order_event(7, Some(OrderStatus::Placed), OrderStatus::Paid),
        ],
    )
    .await;
    let got = orders.wait_for(10, "three deliveries", |g| g.len() >= 3).await;
    assert_eq!(got.len(), 3, "each event once");
    assert_eq!(
        types(&got),
        ["order.created", "order.status_changed", "order.status_changed"]
    );
    for (r, id) in got.iter().zip(&ids) {
        assert_eq!(
            r.verified_by,
            vec![0],
            "signature checks with the endpoint's secret: {r:?}"
        );
        assert_eq!(r.msg_id, format!("msg_{id}"));
        assert_eq!(r.body["event_id"], *id);
        assert_eq!(r.body["data"]["order_id"], 7);
        assert!(r.timestamp.parse::<i64>().unwrap() > 1_700_000_000);
    }
    assert_eq!(got[2].body["data"]["to"], "paid");
    // The log: one successful attempt each, with the status and a latency.
    let mut log = Vec::new();
    for _ in 0..100 {
        log = deliveries(db, ep.id).await;
        if log.iter().all(|d| d.status == DeliveryStatus::Succeeded) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(log.len(), 3);
    for d in &log {
        assert_eq!(
            (d.status, d.attempts, d.last_status_code),
            (DeliveryStatus::Succeeded, 1, Some(200))
        );
        let a = hooks::attempts(db, d.id).await.unwrap();
        assert_eq!(a.len(), 1);
        assert!(a[0].succeeded && a[0].latency_ms >= 0 && a[0].error.is_none());
    }
    // The other endpoint subscribed to none of these.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(printers.got().is_empty());
    assert!(deliveries(db, other.id).await.is_empty());
});

hooks_test!(failures_are_retried_with_backoff_until_they_succeed, [], |app| {
    let db = &app.db.db;
    // 500, 503, a timeout (the sender gives up after 400 ms), a slow body, then fine.
    let r = Receiver::start(|n| match n {
        0 => Mode::Status(500),
        1 => Mode::Status(503),
        2 => Mode::Sleep(Duration::from_millis(1500)),
        _ => Mode::SlowBody(Duration::from_millis(100)),
    })
    .await;
    let ep = endpoint(db, &r.url, ORDER_TYPES, 3).await;
    r.set_secrets(&[&ep.secret]);
    let ids = emit(db, &[order_event(9, None, OrderStatus::Draft)]).await;
    let got = r.wait_for(20, "four attempts", |g| g.len() >= 4).await;
    // Every attempt is the same signed message.
    assert!(
        got.iter()
            .all(|g| g.msg_id == format!("msg_{}", ids[0]) && g.verified_by == vec![0])
    );
    let mut d = deliveries(db, ep.id).await;
    for _ in 0..100 {
        if d[0].status == DeliveryStatus::Succeeded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        d = deliveries(db, ep.id).await;
    }
    assert_eq!(
        (d[0].status, d[0].attempts),
        (DeliveryStatus::Succeeded, 4),
        "{d:?}"
    );
    let log = hooks::attempts(db, d[0].id).await.unwrap();
    let summary: Vec<(i64, bool, Option<i64>)> = log
        .iter()
        .map(|a| (a.attempt, a.succeeded, a.status_code))
        .collect();
    assert_eq!(
        summary,
        [
            (1, false, Some(500)),
            (2, false, Some(503)),
            (3, false, None),
            (4, true, Some(200))
        ]
    );
    assert!(
        log[2].error.as_deref().unwrap_or("").contains("timeout"),
        "{:?}",
        log[2]
    );
    assert!(log[2].latency_ms >= 350, "{:?}", log[2]);
    // Backoff: each wait at least half the doubled delay (40 ms, 80 ms, 160 ms; jitter 50-100 %).
    let gaps: Vec<i64> = log
        .windows(2)
        .map(|w| (w[1].at - w[0].at).num_milliseconds() - w[0].latency_ms)
        .collect();
    for (i, gap) in gaps.iter().enumerate() {
        let min = 20 << i;
        assert!(
            *gap >= min - 5,
            "wait {i} was {gap} ms; expected at least {min} ms: {gaps:?}"
        );
    }
});

hooks_test!(
    a_stuck_endpoint_does_not_hold_up_the_others,
    [("GANTRY_WEBHOOKS_TIMEOUT_MS", "30000")],
    |app| {
        let db = &app.db.db;
        let stuck = Receiver::start(|n| if n == 0 { Mode::Hold } else { Mode::Ok }).await;
        let fine = Receiver::ok().await;
        endpoint(db, &stuck.url, ORDER_TYPES, 4).await;
        endpoint(db, &fine.url, ORDER_TYPES, 5).await;
        let evs: Vec<Event> = (1..=5)
            .map(|i| order_event(i, None, OrderStatus::Draft))
            .collect();
        emit(db, &evs).await;
        // The stuck endpoint holds its first request unanswered; the other gets all five meanwhile.
        stuck
            .wait_for(10, "the stuck endpoint's first request", |g| g.len() == 1)
            .await;
        fine.wait_for(10, "five deliveries to the healthy endpoint", |g| g.len() == 5)
            .await;
        let s = stuck.got();
        assert_eq!((s.len(), s[0].answered), (1, 0), "still one request, unanswered");
        stuck.release();
        stuck
            .wait_for(10, "the rest once released", |g| g.len() == 5)
            .await;
        assert_eq!(types(&fine.got()).len(), 5);
    }
);

hooks_test!(
    the_circuit_disables_a_failing_endpoint_and_says_so,
    [
        ("GANTRY_WEBHOOKS_CIRCUIT_FAILURES", "3"),
        ("GANTRY_WEBHOOKS_CIRCUIT_MIN_FAILING_SECS", "0"),
    ],
    |app| {
        let db = &app.db.db;
        let bad = Receiver::start(|_| Mode::Status(500)).await;
        let watcher = Receiver::ok().await;
        let ep = endpoint(db, &bad.url, ORDER_TYPES, 6).await;
        let w = endpoint(db, &watcher.url, &["webhook.endpoint_disabled"], 7).await;
        watcher.set_secrets(&[&w.secret]);
        emit(db, &[order_event(1, None, OrderStatus::Draft)]).await;
        // The watcher hears of it, signed like every other event.
        let got = watcher
            .wait_for(20, "webhook.endpoint_disabled", |g| !g.is_empty())
            .await;
        assert_eq!(got[0].body["type"], "webhook.endpoint_disabled");
        assert_eq!(got[0].body["data"]["endpoint_id"], ep.id);
        assert_eq!(got[0].body["data"]["consecutive_failures"], 3);
        assert_eq!(got[0].verified_by, vec![0]);
        let now = hooks::endpoint(db, ep.id).await.unwrap();
        assert!(!now.enabled);
        assert!(now.disabled_reason.unwrap().contains("3 failed attempts"));
        // Nothing more is sent to it: three attempts, the delivery still pending.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(bad.got().len(), 3);
        let d = deliveries(db, ep.id).await;
        assert_eq!((d[0].status, d[0].attempts), (DeliveryStatus::Pending, 3));
        // Enabled again (the receiver is still failing): attempts resume.
        hooks::set_enabled(db, Utc::now(), ep.id, true).await.unwrap();
        bad.wait_for(10, "attempts after re-enabling", |g| g.len() > 3)
            .await;
    }
);

hooks_test!(
    a_delivery_gives_up_after_the_retry_period,
    [("GANTRY_WEBHOOKS_RETRY_PERIOD_SECS", "1")],
    |app| {
        let db = &app.db.db;
        let bad = Receiver::start(|_| Mode::Status(502)).await;
        let ep = endpoint(db, &bad.url, ORDER_TYPES, 8).await;
        emit(db, &[order_event(1, None, OrderStatus::Draft)]).await;
        let mut d = deliveries(db, ep.id).await;
        for _ in 0..250 {
            if d.first().is_some_and(|d| d.status == DeliveryStatus::Failed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            d = deliveries(db, ep.id).await;
        }
        assert_eq!(d[0].status, DeliveryStatus::Failed, "{d:?}");
        let n = d[0].attempts;
        assert!(n >= 3, "{n} attempts within the period");
        assert_eq!(d[0].last_status_code, Some(502));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(bad.got().len() as i64, n, "no attempt after giving up");
    }
);

hooks_test!(secrets_rotate_with_an_overlap, [], |app| {
    let db = &app.db.db;
    let r = Receiver::ok().await;
    let ep = endpoint(db, &r.url, ORDER_TYPES, 9).await;
    let rotated = hooks::rotate_secret(db, Utc::now(), ep.id, &[10; 24], chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_ne!(rotated.secret, ep.secret);
    r.set_secrets(&[&ep.secret, &rotated.secret]);
    emit(db, &[order_event(1, None, OrderStatus::Draft)]).await;
    let got = r
        .wait_for(10, "a delivery during the overlap", |g| g.len() == 1)
        .await;
    assert_eq!(got[0].signature.split(' ').count(), 2, "{}", got[0].signature);
    assert_eq!(
        got[0].verified_by,
        vec![0, 1],
        "both the old and the new secret verify"
    );
    // Rotated again without overlap: only the newest secret signs.
    let last = hooks::rotate_secret(db, Utc::now(), ep.id, &[11; 24], chrono::Duration::zero())
        .await
        .unwrap();
    r.set_secrets(&[&ep.secret, &rotated.secret, &last.secret]);
    emit(db, &[order_event(2, None, OrderStatus::Draft)]).await;
    let got = r
        .wait_for(10, "a delivery after the second rotation", |g| g.len() == 2)
        .await;
    assert_eq!(got[1].verified_by, vec![2]);
    // An overlap past a week is refused.
    let e = hooks::rotate_secret(db, Utc::now(), ep.id, &[12; 24], chrono::Duration::days(8))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INTEGRATION_INVALID_ARGUMENT");
    assert_eq!(hooks::endpoint(db, ep.id).await.unwrap().secret, last.secret);
});

hooks_test!(replays_of_one_delivery_and_of_a_time_range, [], |app| {
    let db = &app.db.db;
    let r = Receiver::ok().await;
    let ep = endpoint(db, &r.url, ORDER_TYPES, 13).await;
    let from = Utc::now();
    let ids = emit(
        db,
        &[
            order_event(1, None, OrderStatus::Draft),
            order_event(2, None, OrderStatus::Draft),
        ],
    )
    .await;
    r.wait_for(10, "two deliveries", |g| g.len() == 2).await;
    let to = Utc::now() + chrono::Duration::milliseconds(1);
    let d = deliveries(db, ep.id).await;
    for _ in 0..100 {
        if deliveries(db, ep.id)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Succeeded)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hooks::replay_delivery(db, Utc::now(), d[0].id).await.unwrap();
    let got = r.wait_for(10, "the replayed delivery", |g| g.len() == 3).await;
    assert_eq!(
        got[2].msg_id,
        format!("msg_{}", ids[0]),
        "a replay keeps the message id"
    );
    for _ in 0..100 {
        if deliveries(db, ep.id)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Succeeded)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        hooks::replay_range(db, Utc::now(), ep.id, from, to)
            .await
            .unwrap(),
        2
    );
    let got = r.wait_for(10, "the replayed range", |g| g.len() == 5).await;
    let mut last_two: Vec<&str> = got[3..].iter().map(|g| g.msg_id.as_str()).collect();
    last_two.sort();
    let mut want = vec![format!("msg_{}", ids[0]), format!("msg_{}", ids[1])];
    want.sort();
    assert_eq!(last_two, want);
    // The dispatcher records a batch's attempts after sending it: wait for the third.
    let mut attempts = 0;
    for _ in 0..250 {
        attempts = hooks::attempts(db, d[0].id).await.unwrap().len();
        if attempts >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(attempts, 3, "the log keeps every attempt");
    // A reversed range or an unknown delivery is refused.
    let e = hooks::replay_range(db, Utc::now(), ep.id, to, from)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INTEGRATION_INVALID_ARGUMENT");
    assert_eq!(
        hooks::replay_delivery(db, Utc::now(), 999_999)
            .await
            .unwrap_err()
            .code(),
        "NOT_FOUND"
    );
});

app_test!(private_targets_and_unknown_types_are_refused, |app| {
    let db = &app.db.db;
    let input = |url: &str, t: &str| EndpointInput {
        url: url.into(),
        description: String::new(),
        event_types: vec![t.into()],
    };
    for url in [
        "http://127.0.0.1:9/h",
        "http://localhost/h",
        "http://10.0.0.1/h",
        "http://[::1]/h",
    ] {
        let e = hooks::create_endpoint(db, Utc::now(), &input(url, "order.created"), &[1; 24], false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "WEBHOOK_URL_FORBIDDEN", "{url}");
    }
    let e = hooks::create_endpoint(
        db,
        Utc::now(),
        &input("https://example.com/h", "order.exploded"),
        &[1; 24],
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "WEBHOOK_UNKNOWN_EVENT_TYPE");
    let e = hooks::create_endpoint(
        db,
        Utc::now(),
        &input("ftp://example.com/h", "order.created"),
        &[1; 24],
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "WEBHOOK_URL_INVALID");
    assert!(hooks::endpoints(db).await.unwrap().is_empty(), "nothing written");

    // A name that resolves to loopback is refused when the sender connects (the server here
    // does not allow private targets): the attempt fails, the receiver hears nothing.
    let r = Receiver::ok().await;
    let port = r
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let ep = hooks::create_endpoint(
        db,
        Utc::now(),
        &input(&format!("http://127.0.0.1:{port}/hook"), "order.created"),
        &[1; 24],
        true, // as if the rule had been relaxed when it was created
    )
    .await
    .unwrap();
    sqlx::query("UPDATE webhook_endpoints SET url = $1 WHERE id = $2")
        .bind(format!("http://localhost:{port}/hook"))
        .bind(ep.id)
        .execute(db.pool())
        .await
        .unwrap();
    let ip_ep = hooks::create_endpoint(db, Utc::now(), &input(&r.url, "order.created"), &[2; 24], true)
        .await
        .unwrap();
    emit(db, &[order_event(1, None, OrderStatus::Draft)]).await;
    let mut errors = Vec::new();
    for _ in 0..250 {
        errors = Vec::new();
        for id in [ep.id, ip_ep.id] {
            if let Some(d) = deliveries(db, id).await.first()
                && d.attempts > 0
            {
                errors.push(d.last_error.clone().unwrap_or_default());
            }
        }
        if errors.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(errors.len(), 2, "both attempted: {errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("forbidden target")),
        "{errors:?}"
    );
    assert!(r.got().is_empty(), "nothing reached the loopback receiver");
});

const CREATE: &str = "mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) \
     { secret endpoint { id url eventTypes enabled } } }";

hooks_test!(endpoints_are_managed_through_graphql_by_admins, [], |app| {
    use gantry_engine::domain::users::Role;
    use serde_json::json;
    let admin = app.login_as(Role::Admin).await;
    let integrator = app.login_as(Role::Integrator).await;
    let r = Receiver::ok().await;
    let input = json!({"i": {"url": r.url, "description": "ERP", "eventTypes": ["order.created"]}});
    // Integrators may read, not manage.
    let v = app.graphql_as(&integrator, CREATE, input.clone()).await;
    assert_eq!(common::code(&v), ("FORBIDDEN", "FORBIDDEN"), "{v}");
    let v = app.graphql_as(&admin, CREATE, input).await;
    assert!(v["errors"].is_null(), "{v}");
    let secret = v["data"]["createWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let id = v["data"]["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("whsec_"));
    r.set_secrets(&[&secret]);
    // Unknown types and forbidden hosts are refused with their codes (this server allows
    // loopback, so a bad URL shows the validation instead).
    let v = app
        .graphql_as(
            &admin,
            CREATE,
            json!({"i": {"url": r.url, "eventTypes": ["order.exploded"]}}),
        )
        .await;
    assert_eq!(
        common::code(&v),
        ("VALIDATION", "WEBHOOK_UNKNOWN_EVENT_TYPE"),
        "{v}"
    );
    let v = app
        .graphql_as(
            &admin,
            CREATE,
            json!({"i": {"url": "gopher://x", "eventTypes": ["order.created"]}}),
        )
        .await;
    assert_eq!(common::code(&v), ("VALIDATION", "WEBHOOK_URL_INVALID"), "{v}");

    emit(&app.db.db, &[order_event(1, None, OrderStatus::Draft)]).await;
    let got = r.wait_for(10, "a delivery", |g| g.len() == 1).await;
    assert_eq!(got[0].verified_by, vec![0]);

    // The log, readable by the integrator; secrets never listed.
    let q = "query($e: ID) { webhookEndpoints { id url } webhookDeliveries(endpointId: $e) \
             { id eventType status attempts log { attempt succeeded statusCode latencyMs } } }";
    let mut v = json!(null);
    for _ in 0..100 {
        v = app.graphql_as(&integrator, q, json!({"e": id})).await;
        if v["data"]["webhookDeliveries"][0]["status"] == "SUCCEEDED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(v["errors"].is_null(), "{v}");
    assert!(!v.to_string().contains("whsec_"), "{v}");
    let d = &v["data"]["webhookDeliveries"][0];
    assert_eq!(
        (
            d["eventType"].as_str(),
            d["status"].as_str(),
            d["attempts"].as_i64()
        ),
        (Some("order.created"), Some("SUCCEEDED"), Some(1)),
        "{v}"
    );
    assert_eq!(d["log"][0]["statusCode"], 200);
    let delivery = d["id"].as_str().unwrap().to_string();

    // Rotate (both secrets sign during the overlap), replay, disable.
    let v = app
        .graphql_as(&admin, "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 1) { secret endpoint { previousSecretUntil } } }", json!({"id": id}))
        .await;
    let new_secret = v["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        v["data"]["rotateWebhookSecret"]["endpoint"]["previousSecretUntil"].is_string(),
        "{v}"
    );
    r.set_secrets(&[&secret, &new_secret]);
    let v = app
        .graphql_as(
            &admin,
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) { status } }",
            json!({"id": delivery}),
        )
        .await;
    assert_eq!(v["data"]["replayWebhookDelivery"]["status"], "PENDING", "{v}");
    let got = r.wait_for(10, "the replay", |g| g.len() == 2).await;
    assert_eq!(got[1].verified_by, vec![0, 1]);
    let v = app
        .graphql_as(
            &integrator,
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) { status } }",
            json!({"id": delivery}),
        )
        .await;
    assert_eq!(common::code(&v), ("FORBIDDEN", "FORBIDDEN"));
    let v = app
        .graphql_as(&admin, "mutation($id: ID!) { setWebhookEndpointEnabled(id: $id, enabled: false) { enabled disabledReason } }", json!({"id": id}))
        .await;
    assert_eq!(v["data"]["setWebhookEndpointEnabled"]["enabled"], false, "{v}");
    emit(&app.db.db, &[order_event(2, None, OrderStatus::Draft)]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.got().len(), 2, "a disabled endpoint gets nothing");
    let v = app
        .graphql_as(&admin, "mutation($id: ID!) { replayWebhookEvents(endpointId: $id, from: \"2020-01-01T00:00:00Z\", to: \"2020-01-02T00:00:00Z\") }", json!({"id": id}))
        .await;
    assert_eq!(v["data"]["replayWebhookEvents"], 0, "{v}");
    let v = app
        .graphql_as(&admin, "mutation($id: ID!) { replayWebhookEvents(endpointId: $id, from: \"yesterday\", to: \"2020-01-02T00:00:00Z\") }", json!({"id": id}))
        .await;
    assert_eq!(
        common::code(&v),
        ("VALIDATION", "INTEGRATION_INVALID_ARGUMENT"),
        "{v}"
    );
});
