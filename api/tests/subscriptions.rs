//! GraphQL subscriptions over a real WebSocket (`graphql-transport-ws`, and the legacy
//! `graphql-ws`) against a spawned server: authentication in `connection_init`, permissions,
//! customer scoping, and events from the server's bus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{TEST_PASSWORD, TestApp};
use futures_util::{SinkExt, StreamExt};
use gantry_app::events::Committed;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::events::{Event, JobProgressEvent, PlanEvent, PrinterEvent};
use gantry_engine::domain::users::Role;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(15);

/// An event as the outbox relay publishes it (these tests publish on the bus directly to check
/// each subscription's filtering).
fn committed(event: Event) -> Committed {
    Committed {
        id: 0,
        at: Utc::now(),
        event,
    }
}

/// Waits for a committed event that makes the scheduler re-plan (`Event::affects_plan`).
async fn plan_affecting_event(
    bus: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<Committed>>,
    after: &str,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, bus.recv()).await {
            Ok(Ok(e)) if e.event.affects_plan() => return,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no event affecting the plan after {after}: {other:?}"),
        }
    }
}

/// Opens `/graphql` as a WebSocket with `protocol` and sends `connection_init` with `payload`.
async fn open(app: &TestApp, protocol: &'static str, payload: Value) -> Ws {
    let url = format!("{}/graphql", app.base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket upgrade");
    assert_eq!(resp.headers()["sec-websocket-protocol"], protocol);
    send(&mut ws, json!({"type": "connection_init", "payload": payload})).await;
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next text message as JSON, or `Err(close frame)` when the server closed.
async fn recv(ws: &mut Ws) -> Result<Value, Option<(u16, String)>> {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message within the timeout");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// A `graphql-transport-ws` connection authenticated with `token`.
async fn connect(app: &TestApp, token: &str) -> Ws {
    let mut ws = open(
        app,
        "graphql-transport-ws",
        json!({"authorization": format!("Bearer {token}")}),
    )
    .await;
    let ack = recv(&mut ws).await.expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

/// Starts subscription `id` and waits until it listens on the bus (`listeners` in total).
async fn subscribe(app: &TestApp, ws: &mut Ws, id: &str, query: &str, listeners: usize) {
    send(
        ws,
        json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
    wait_listeners(app, listeners).await;
}

/// Waits until the bus has `listeners` subscribers (the live farm's own included).
async fn wait_listeners(app: &TestApp, listeners: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.events.subscribers() != listeners {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} listeners, expected {listeners}",
            app.events.subscribers()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The data of the next event of subscription `id` (panics on errors or other ids).
async fn next(ws: &mut Ws) -> (String, Value) {
    let m = recv(ws).await.expect("an event");
    assert_eq!(m["type"], "next", "{m}");
    assert!(m["payload"]["errors"].is_null(), "{m}");
    (
        m["id"].as_str().unwrap().to_string(),
        m["payload"]["data"].clone(),
    )
}

/// The caller's customer id as text.
async fn my_customer(app: &TestApp, token: &str) -> String {
    let v = app.graphql_as(token, "{ me { customerId } }", json!({})).await;
    match &v["data"]["me"]["customerId"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("no customer id: {other} in {v}"),
    }
}

async fn ok(app: &TestApp, token: &str, q: &str, vars: Value) -> Value {
    let v = app.graphql_as(token, q, vars).await;
    assert!(v["errors"].is_null(), "{q}: {v}");
    v["data"].clone()
}

/// A placed order of `customer` (one model line), made by staff; returns its id.
async fn placed_order(app: &TestApp, staff: &str, customer: &str, material: &str) -> String {
    let d = ok(
        app,
        staff,
        "mutation($c: ID!, $m: ID!) { createOrder(input: {customerId: $c, lines: [{modelRef: \"part.stl\", \
         description: \"part\", materialId: $m, quantity: 1, unitPriceMinor: 1500, \
         production: {gramsPerUnit: 20, printMinutesPerUnit: 45, copiesPerPlate: 1}}]}) { id } }",
        json!({"c": customer, "m": material}),
    )
    .await;
    let id = d["createOrder"]["id"].as_str().unwrap().to_string();
    ok(
        app,
        staff,
        "mutation($id: ID!) { placeOrder(id: $id) { status } }",
        json!({"id": id}),
    )
    .await;
    id
}

app_test!(connection_init_without_a_valid_token_is_refused, |app| {
    for payload in [
        json!({}),
        json!({"authorization": "Bearer not-a-token"}),
        json!({"authorization": "Basic dXNlcjpwdw=="}),
    ] {
        let mut ws = open(app, "graphql-transport-ws", payload.clone()).await;
        match recv(&mut ws).await {
            Err(Some((code, reason))) => {
                assert_eq!(code, 1002, "{payload}");
                assert!(reason.starts_with("UNAUTHENTICATED"), "{payload}: {reason}");
            }
            other => panic!("{payload}: expected the connection to be closed, got {other:?}"),
        }
    }
    // A refresh token is not a bearer token either.
    app.create_user(Role::Planner, "p@gantry.test", TEST_PASSWORD)
        .await;
    let refresh = app.login("p@gantry.test", TEST_PASSWORD).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = open(
        app,
        "graphql-transport-ws",
        json!({"authorization": format!("Bearer {refresh}")}),
    )
    .await;
    assert!(matches!(recv(&mut ws).await, Err(Some((1002, r))) if r.starts_with("UNAUTHENTICATED")));
});

app_test!(customers_see_only_their_own_orders_status_and_jobs, |app| {
    let admin = app.login_as(Role::Admin).await;
    let alice = app.login_new(Role::Customer, "alice@gantry.test").await;
    let bob = app.login_new(Role::Customer, "bob@gantry.test").await;
    let (alice_c, bob_c) = (my_customer(app, &alice).await, my_customer(app, &bob).await);
    let material = ok(
        app,
        &admin,
        "mutation { createMaterial(input: {code: \"PLA-BLK\", kind: PLA, colour: \"black\", \
         pricePerKg: {minor: 2000, currency: \"EUR\"}}) { id } }",
        json!({}),
    )
    .await["createMaterial"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob_order = placed_order(app, &admin, &bob_c, &material).await;
    let base = app.events.subscribers();

    let mut ws = connect(app, &alice).await;
    // Bob's order is not there for Alice; printers are not hers to watch.
    send(
        &mut ws,
        json!({"id": "x", "type": "subscribe", "payload": {"query":
            format!("subscription {{ orderStatus(orderId: \"{bob_order}\") {{ status }} }}")}}),
    )
    .await;
    let m = recv(&mut ws).await.unwrap();
    assert_eq!(m["id"], "x");
    assert_eq!(
        m["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{m}"
    );
    send(
        &mut ws,
        json!({"id": "y", "type": "subscribe", "payload": {"query": "subscription { printerStatus { status } }"}}),
    )
    .await;
    // Each ends with an error and `complete`.
    let mut forbidden = None;
    loop {
        let m = recv(&mut ws).await.unwrap();
        if m["id"] == "y" && m["type"] == "next" {
            forbidden = Some(m["payload"]["errors"][0]["extensions"]["code"].clone());
        }
        if m["id"] == "y" && m["type"] == "complete" {
            break;
        }
    }
    assert_eq!(forbidden.unwrap(), "FORBIDDEN");
    wait_listeners(app, base).await;

    subscribe(
        app,
        &mut ws,
        "orders",
        "subscription { orderStatus { orderId customerId status order { id status } } }",
        base + 1,
    )
    .await;
    subscribe(
        app,
        &mut ws,
        "jobs",
        "subscription { jobProgress { jobId orderId progressPct state } }",
        base + 2,
    )
    .await;
    let mut queue = app.events.subscribe();

    // Bob's order moves first, then Alice's: Alice must see only hers.
    ok(
        app,
        &admin,
        "mutation($id: ID!) { payOrder(id: $id) { id } }",
        json!({"id": bob_order}),
    )
    .await;
    let alice_order = placed_order(app, &admin, &alice_c, &material).await;
    ok(
        app,
        &admin,
        "mutation($id: ID!) { payOrder(id: $id) { id } }",
        json!({"id": alice_order}),
    )
    .await;
    let jobs = ok(
        app,
        &admin,
        "mutation($id: ID!) { startProduction(orderId: $id) { id } }",
        json!({"id": alice_order}),
    )
    .await;
    let job_id: i64 = jobs["startProduction"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Her jobs' committed changes (created, scheduled by the farm) reach her jobs feed meanwhile;
    // none of Bob's.
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let (id, data) = next(&mut ws).await;
        if id == "jobs" {
            assert_eq!(data["jobProgress"]["orderId"], alice_order.as_str(), "{data}");
            continue;
        }
        assert_eq!(id, "orders");
        let e = &data["orderStatus"];
        assert_eq!(e["orderId"], alice_order.as_str(), "{data}");
        assert_eq!(e["customerId"], alice_c.as_str());
        assert_eq!(e["order"]["id"], alice_order.as_str());
        seen.push(e["status"].as_str().unwrap().to_string());
    }
    // Created as a draft (published too), then placed, paid and in production.
    assert_eq!(seen, ["DRAFT", "PLACED", "PAID", "IN_PRODUCTION"]);
    // startProduction committed new jobs: their events make the scheduler re-plan.
    plan_affecting_event(&mut queue, "startProduction").await;

    // Job progress of Bob's order is filtered out; Alice's comes through.
    let progress = |order: &str, job: i64, pct: i64| {
        committed(Event::JobProgress(JobProgressEvent {
            job_id: job,
            order_id: order.parse().unwrap(),
            printer_id: 1,
            progress_pct: pct,
        }))
    };
    app.events.publish(progress(&bob_order, 999, 10));
    app.events.publish(progress(&alice_order, job_id, 42));
    let data = loop {
        let (id, data) = next(&mut ws).await;
        assert_eq!(id, "jobs");
        assert_eq!(data["jobProgress"]["orderId"], alice_order.as_str(), "{data}");
        if data["jobProgress"]["progressPct"] == 42 {
            break data;
        }
    };
    assert_eq!(
        data["jobProgress"],
        json!({"jobId": job_id.to_string(), "orderId": alice_order, "progressPct": 42, "state": "PRINTING"})
    );

    // Bob cannot cancel into Alice's feed, and a cancelled order of his stays his.
    let bob_draft =
        ok(app, &bob, "mutation { createOrder(input: {}) { id } }", json!({})).await["createOrder"]["id"]
            .as_str()
            .unwrap()
            .to_string();
    ok(
        app,
        &bob,
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({"id": bob_draft}),
    )
    .await;
    ok(
        app,
        &admin,
        "mutation($id: ID!) { refundOrder(id: $id) { id } }",
        json!({"id": alice_order}),
    )
    .await;
    // (Her jobs are cancelled by the refund: those events come on the jobs feed.)
    let data = loop {
        let (id, data) = next(&mut ws).await;
        if id == "jobs" {
            assert_eq!(data["jobProgress"]["orderId"], alice_order.as_str(), "{data}");
            continue;
        }
        break data;
    };
    assert_eq!(data["orderStatus"]["orderId"], json!(alice_order));
    assert_eq!(data["orderStatus"]["status"], "REFUNDED");
});

app_test!(planners_receive_printer_status_job_progress_and_plans, |app| {
    let planner = app.login_as(Role::Planner).await;
    let base = app.events.subscribers();
    let mut ws = connect(app, &planner).await;
    subscribe(
        app,
        &mut ws,
        "p",
        "subscription { printerStatus(printerId: \"7\") { printerId status jobId progressPct } }",
        base + 1,
    )
    .await;
    subscribe(
        app,
        &mut ws,
        "j",
        "subscription { jobProgress(orderId: \"5\") { jobId orderId progressPct } }",
        base + 2,
    )
    .await;
    subscribe(
        app,
        &mut ws,
        "plan",
        "subscription { planChanged { revision scheduled gap } }",
        base + 3,
    )
    .await;
    let printer = |id: i64, pct: i64| {
        committed(Event::Printer(PrinterEvent {
            printer_id: id,
            from: PrinterStatus::Idle,
            to: PrinterStatus::Printing,
            job_id: Some(3),
            progress_pct: Some(pct),
        }))
    };
    let job = |order: i64, pct: i64| {
        committed(Event::JobProgress(JobProgressEvent {
            job_id: 3,
            order_id: order,
            printer_id: 7,
            progress_pct: pct,
        }))
    };
    app.events.publish(printer(8, 10));
    app.events.publish(job(6, 10));
    app.events.publish(printer(7, 20));
    app.events.publish(job(5, 20));
    app.events.publish(committed(Event::Plan(PlanEvent {
        plan_id: 4,
        scheduled: 12,
        unscheduled: 1,
        held: 0,
        objective: 10.0,
        lower_bound: 9.0,
        gap: 0.1,
    })));
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next(&mut ws).await);
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            (
                "j".to_string(),
                json!({"jobProgress": {"jobId": "3", "orderId": "5", "progressPct": 20}})
            ),
            (
                "p".to_string(),
                json!({"printerStatus": {"printerId": "7", "status": "PRINTING", "jobId": "3", "progressPct": 20}})
            ),
            (
                "plan".to_string(),
                json!({"planChanged": {"revision": 4, "scheduled": 12, "gap": 0.1}})
            ),
        ]
    );
    // Stopping a subscription ends it: the server says complete and stops listening.
    send(&mut ws, json!({"id": "plan", "type": "complete"})).await;
    wait_listeners(app, base + 2).await;
});

app_test!(legacy_graphql_ws_protocol_works_too, |app| {
    let planner = app.login_as(Role::Planner).await;
    let base = app.events.subscribers();
    let mut ws = open(
        app,
        "graphql-ws",
        json!({"authorization": format!("Bearer {planner}")}),
    )
    .await;
    assert_eq!(recv(&mut ws).await.unwrap()["type"], "connection_ack");
    send(
        &mut ws,
        json!({"id": "1", "type": "start", "payload": {"query": "subscription { planChanged { revision } }"}}),
    )
    .await;
    wait_listeners(app, base + 1).await;
    app.events.publish(committed(Event::Plan(PlanEvent {
        plan_id: 1,
        scheduled: 0,
        unscheduled: 0,
        held: 0,
        objective: 0.0,
        lower_bound: 0.0,
        gap: 0.0,
    })));
    let m = loop {
        let m = recv(&mut ws).await.unwrap();
        if m["type"] != "ka" {
            break m;
        }
    };
    assert_eq!(m["type"], "data", "{m}");
    assert_eq!(m["payload"]["data"]["planChanged"]["revision"], 1);
    // A legacy connection without a token is refused too.
    let mut anon = open(app, "graphql-ws", json!({})).await;
    let m = recv(&mut anon).await.unwrap();
    assert_eq!(m["type"], "connection_error", "{m}");
});

/// A child process killed on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// The done-criterion: a subscription receives a job's progress from a simulated printer
// (`gantry agent --simulate`, connected to `/agent/ws` with printer tokens minted through GraphQL).
app_test!(
    job_progress_from_a_simulated_printer_reaches_a_subscriber,
    |app| {
        gantry_engine::store::demo::load(&app.db.db).await.unwrap();
        let planner = app.login_as(Role::Planner).await;
        let printers = ok(app, &planner, "{ printers { id } }", json!({})).await;
        let mut tokens = String::new();
        for p in printers["printers"].as_array().unwrap() {
            let d = ok(
                app,
                &planner,
                "mutation($p: ID!) { createPrinterToken(printerId: $p) { token } }",
                json!({"p": p["id"]}),
            )
            .await;
            tokens.push_str(d["createPrinterToken"]["token"].as_str().unwrap());
            tokens.push('\n');
        }
        let file = std::env::temp_dir().join(format!(
            "gantry-sub-tokens-{}-{}",
            std::process::id(),
            app.base.rsplit(':').next().unwrap()
        ));
        std::fs::write(&file, tokens).unwrap();

        let base = app.events.subscribers();
        let mut ws = connect(app, &planner).await;
        subscribe(
            app,
            &mut ws,
            "jobs",
            "subscription { jobProgress { jobId orderId state progressPct job { id printerId } } }",
            base + 1,
        )
        .await;
        let _agent = Child(
            std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .args(["agent", "--simulate", "--tokens-file"])
                .arg(&file)
                .args([
                    "--server",
                    &app.base,
                    "--speed",
                    "600",
                    "--auto-clear-secs",
                    "0.3",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        // Progress of a job on a printer, as the agent reports it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no job progress from the simulated printers"
            );
            let (id, data) = next(&mut ws).await;
            assert_eq!(id, "jobs");
            let e = &data["jobProgress"];
            if e["state"] == "PRINTING" && e["progressPct"].as_i64().unwrap() > 0 {
                assert_eq!(e["job"]["id"], e["jobId"]);
                assert!(!e["job"]["printerId"].is_null(), "{e}");
                break;
            }
        }
        let _ = std::fs::remove_file(&file);
    }
);

app_test!(a_status_set_by_hand_reaches_printer_status_subscribers, |app| {
    gantry_engine::store::demo::load(&app.db.db).await.unwrap();
    let admin = app.login_as(Role::Admin).await;
    let printers = ok(app, &admin, "{ printers { id status } }", json!({})).await;
    let idle = printers["printers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["status"] == "IDLE")
        .expect("an idle demo printer")["id"]
        .clone();
    let base = app.events.subscribers();
    let mut ws = connect(app, &admin).await;
    let q = format!("subscription {{ printerStatus(printerId: {idle}) {{ printerId status }} }}");
    subscribe(app, &mut ws, "p", &q, base + 1).await;
    ok(
        app,
        &admin,
        "mutation($p: ID!) { setPrinterStatus(id: $p, status: MAINTENANCE) { status } }",
        json!({"p": idle}),
    )
    .await;
    let (id, data) = next(&mut ws).await;
    assert_eq!(id, "p");
    assert_eq!(
        data,
        json!({"printerStatus": {"printerId": idle, "status": "MAINTENANCE"}})
    );
});

app_test!(drafts_new_printers_and_maintenance_are_published, |app| {
    let admin = app.login_as(Role::Admin).await;
    let alice = app.login_new(Role::Customer, "alice@gantry.test").await;
    let alice_c = my_customer(app, &alice).await;
    let base = app.events.subscribers();
    let mut ws = connect(app, &alice).await;
    subscribe(
        app,
        &mut ws,
        "orders",
        "subscription { orderStatus { orderId customerId status } }",
        base + 1,
    )
    .await;
    let mut staff = connect(app, &admin).await;
    subscribe(
        app,
        &mut staff,
        "printers",
        "subscription { printerStatus { printerId status } }",
        base + 2,
    )
    .await;
    let mut bus = app.events.subscribe();

    // A draft created by the customer reaches her orderStatus feed as DRAFT.
    let draft = ok(
        app,
        &alice,
        "mutation { createOrder(input: {}) { id } }",
        json!({}),
    )
    .await["createOrder"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (id, data) = next(&mut ws).await;
    assert_eq!(id, "orders");
    assert_eq!(
        data,
        json!({"orderStatus": {"orderId": draft, "customerId": alice_c, "status": "DRAFT"}})
    );
    // A retry with the same idempotency key returns the same draft and publishes nothing new:
    // the next event of the feed is the cancellation.
    let keyed = "mutation { createOrder(input: {}, idempotencyKey: \"k-1\") { id } }";
    let first = ok(app, &alice, keyed, json!({})).await["createOrder"]["id"].clone();
    let (_, data) = next(&mut ws).await;
    assert_eq!(data["orderStatus"]["orderId"], first);
    assert_eq!(data["orderStatus"]["status"], "DRAFT");
    let again = ok(app, &alice, keyed, json!({})).await["createOrder"]["id"].clone();
    assert_eq!(again, first);
    ok(
        app,
        &alice,
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({"id": draft}),
    )
    .await;
    let (_, data) = next(&mut ws).await;
    assert_eq!(
        (&data["orderStatus"]["orderId"], &data["orderStatus"]["status"]),
        (&json!(draft), &json!("CANCELLED"))
    );

    // A new printer is published with its status, and the scheduler is told to re-plan.
    let printer = ok(
        app,
        &admin,
        "mutation { createPrinter(input: {name: \"P-new\", model: \"MK4\", technology: FDM, \
         buildVolume: {xMm: 250, yMm: 210, zMm: 220}, materials: [PLA], \
         hourlyCost: {minor: 150, currency: \"EUR\"}}) { id } }",
        json!({}),
    )
    .await["createPrinter"]["id"]
        .clone();
    let (id, data) = next(&mut staff).await;
    assert_eq!(id, "printers");
    assert_eq!(
        data,
        json!({"printerStatus": {"printerId": printer, "status": "IDLE"}})
    );
    plan_affecting_event(&mut bus, "createPrinter").await;
    // Maintenance changes the printer's availability: the scheduler is told.
    let starts = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    ok(
        app,
        &admin,
        "mutation($p: ID!, $s: DateTime!) { scheduleMaintenance(printerId: $p, startsAt: $s, durationMinutes: 60) { id } }",
        json!({"p": printer, "s": starts}),
    )
    .await;
    plan_affecting_event(&mut bus, "scheduleMaintenance").await;
});

app_test!(
    changes_committed_by_another_process_reach_subscribers_and_rolled_back_ones_do_not,
    |app| {
        let admin = app.login_as(Role::Admin).await;
        let base = app.events.subscribers();
        let mut ws = connect(app, &admin).await;
        subscribe(
            app,
            &mut ws,
            "p",
            "subscription { printerStatus { printerId status } }",
            base + 1,
        )
        .await;
        let printer = ok(
            app,
            &admin,
            "mutation { createPrinter(input: {name: \"P-x\", model: \"MK4\", technology: FDM, \
         buildVolume: {xMm: 250, yMm: 210, zMm: 220}, materials: [PLA], \
         hourlyCost: {minor: 150, currency: \"EUR\"}}) { id } }",
            json!({}),
        )
        .await["createPrinter"]["id"]
            .clone();
        let (_, data) = next(&mut ws).await;
        assert_eq!(data["printerStatus"]["status"], "IDLE");
        // Another process on the same database (here the test itself, through the store): a change
        // it rolls back never reaches the subscriber, the one it commits does.
        let id = gantry_engine::domain::types::PrinterId(printer.as_str().unwrap().parse().unwrap());
        let db = &app.db.db;
        let mut tx = db.begin().await.unwrap();
        gantry_engine::store::equipment::set_status(&mut tx, Utc::now(), id, PrinterStatus::Maintenance)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        gantry_engine::store::equipment::set_status(&mut tx, Utc::now(), id, PrinterStatus::Offline)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (id, data) = next(&mut ws).await;
        assert_eq!(id, "p");
        assert_eq!(
            data,
            json!({"printerStatus": {"printerId": printer, "status": "OFFLINE"}})
        );
    }
);
