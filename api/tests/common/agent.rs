//! A raw agent over `/agent/ws` (tokio-tungstenite), for the WebSocket tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gantry_engine::domain::auth::TokenKind;
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::printing::model_ref;
use gantry_engine::domain::types::{Currency, MaterialId, ModelFileId, OrderId, PrinterId};
use gantry_engine::store::live::testing;
use gantry_engine::store::{Db, auth, orders, production};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use super::TestApp;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for one message (generous: on a loaded machine a plan takes a while).
pub const WAIT: Duration = Duration::from_secs(60);

/// A farm of one printer with a token for it (and a revoked token); returns (fixture, token,
/// revoked token).
pub async fn setup(app: &TestApp) -> (testing::Fixture, String, String) {
    let db = &app.db.db;
    let fx = testing::farm(db, gantry_engine::store::now(), 1, 1000, 2)
        .await
        .unwrap();
    let now = gantry_engine::store::now();
    let token = printer_token(db, fx.printers[0]).await;
    let revoked = gantry_api::auth::new_token(TokenKind::Printer).unwrap();
    let mut tx = db.begin().await.unwrap();
    let r = auth::create_printer_token(&mut tx, now, fx.printers[0], None, &revoked)
        .await
        .unwrap();
    auth::revoke_printer_token(&mut tx, now, r.id).await.unwrap();
    tx.commit().await.unwrap();
    // The farm started before the fixture existed: let it plan the new jobs.
    app.request_replan();
    (fx, token, revoked)
}

/// A new printer token for `printer`, stored.
pub async fn printer_token(db: &Db, printer: PrinterId) -> String {
    let token = gantry_api::auth::new_token(TokenKind::Printer).unwrap();
    let mut tx = db.begin().await.unwrap();
    auth::create_printer_token(&mut tx, gantry_engine::store::now(), printer, None, &token)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    token
}

pub fn url(app: &TestApp, query: &str) -> String {
    format!("{}/agent/ws{query}", app.base.replacen("http", "ws", 1))
}

pub async fn connect(app: &TestApp, token: Option<&str>) -> Result<Ws, tungstenite::Error> {
    let mut req = url(app, "").into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON message (skipping pings); panics on close or timeout.
pub async fn recv(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("timed out") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Reads until a message of `kind` (others are skipped).
pub async fn recv_kind(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let m = recv(ws).await;
        if m["type"] == kind {
            return m;
        }
        assert_ne!(m["type"], "error", "refused: {m}");
    }
}

/// The close frame's (code, reason).
pub async fn closed(ws: &mut Ws) -> (u16, String) {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("timed out") {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a reason"),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("error instead of a close frame: {e}"),
        }
    }
}

pub fn hello(id: &str, state: &str, job: Option<i64>) -> Value {
    json!({"v": 1, "id": id, "type": "hello", "agent": "test/1 simulate", "state": state,
           "current_job": job, "capabilities": ["simulate"]})
}

pub async fn welcome(ws: &mut Ws, printer: PrinterId) {
    send(ws, hello("h-1", "idle", None)).await;
    let w = recv_kind(ws, "welcome").await;
    assert_eq!(
        (
            w["printer_id"].as_i64(),
            w["heartbeat_secs"].as_u64(),
            w["v"].as_u64()
        ),
        (Some(printer.0), Some(10), Some(1))
    );
    let ack = recv_kind(ws, "ack").await;
    assert_eq!(ack, json!({"type": "ack", "id": "h-1", "duplicate": false}));
}

/// Sends and waits for the ack of `id`; returns `duplicate`.
pub async fn call(ws: &mut Ws, v: Value) -> bool {
    let id = v["id"].clone();
    send(ws, v).await;
    loop {
        let m = recv(ws).await;
        if m["id"] == id {
            assert_eq!(m["type"], "ack", "refused: {m}");
            return m["duplicate"].as_bool().unwrap();
        }
    }
}

/// A paid order of one copy of `model` in production (its line names the model, as a line
/// made from a quote does).
pub async fn model_order(db: &Db, customer_of: OrderId, material: MaterialId, model: ModelFileId) -> OrderId {
    let now = gantry_engine::store::now();
    let mut tx = db.begin().await.unwrap();
    let customer = orders::get_order(&mut tx, customer_of).await.unwrap().customer_id;
    let spec = ProductionSpec {
        grams_per_unit: 10,
        print_minutes_per_unit: 30,
        copies_per_plate: 1,
    };
    let order = orders::create_order(
        &mut tx,
        now,
        &NewOrder {
            customer_id: customer,
            currency: Currency::EUR,
            lines: vec![NewOrderLine::model(&model_ref(model), material, 1, 500, spec)],
            priority: 0,
            due_at: None,
            idempotency_key: None,
        },
        None,
    )
    .await
    .unwrap()
    .order
    .id;
    tx.commit().await.unwrap();
    into_production(db, order).await;
    order
}

/// Staff take an order in: placed, paid, into production (its jobs are created).
pub async fn into_production(db: &Db, order: OrderId) {
    let now = gantry_engine::store::now();
    let mut tx = db.begin().await.unwrap();
    orders::place(&mut tx, now, order, None).await.unwrap();
    orders::pay(&mut tx, now, order, None).await.unwrap();
    production::start_production(&mut tx, now, order, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
