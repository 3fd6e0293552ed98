//! The printer fleet through the server (issue #17): telemetry from an agent's status reports
//! to `Printer.telemetry`, `Printer.telemetryHistory` and the `printerTelemetry` subscription;
//! camera snapshots from the real agent (`gantry agent --simulate --snapshot-url`, fetching a
//! JPEG from a real HTTP server on loopback) to `Printer.snapshotUrl`, the snapshot routes and
//! `Job.snapshots`, and the pruning of kept snapshots past their retention. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::agent::{call, connect, setup, welcome};
use common::{TestApp, spawn_app, spawn_app_with};
use futures_util::{SinkExt, StreamExt};
use gantry_engine::domain::protocol::{AgentState, Readings, Temperatures};
use gantry_engine::domain::users::Role;
use gantry_engine::store::Backend;
use gantry_engine::store::live::{self, StatusReport};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const PRINTER: &str = "query($id: ID!, $since: DateTime!) { printer(id: $id) { \
    telemetry { printerId reportedState jobId nozzleC nozzleTargetC bedC bedTargetC progress layer \
    totalLayers remainingSecs filamentRunout printerError reportedAt lastSeenAt } \
    telemetryHistory(since: $since, maxPoints: 50) { at nozzleC nozzleTargetC bedC bedTargetC progress layer } \
    snapshotUrl snapshotTakenAt } }";

fn status(id: &str, nozzle: f64, extra: Value) -> Value {
    let mut v = json!({"v": 1, "id": id, "type": "status", "state": "idle",
        "temperatures": {"nozzle_c": nozzle, "nozzle_target_c": 215.0, "bed_c": 59.5, "bed_target_c": 60.0}});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}

async fn ok(app: &TestApp, token: &str, q: &str, vars: Value) -> Value {
    let v = app.graphql_as(token, q, vars).await;
    assert!(v["errors"].is_null(), "{v}");
    v["data"].clone()
}

/// A `graphql-transport-ws` subscription; returns the socket after `subscribe` was sent.
async fn subscribe(app: &TestApp, token: &str, query: &str) -> common::agent::Ws {
    let url = format!("{}/graphql", app.base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_text(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let sub = json!({"id": "t", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(sub.to_string())).await.unwrap();
    ws
}

async fn next_text(ws: &mut common::agent::Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

async fn telemetry_reaches_the_planner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (fx, token, _) = setup(&app).await;
    let p = fx.printers[0];
    let admin = app.login_as(Role::Admin).await;
    let since = (Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let vars = json!({"id": p.0.to_string(), "since": since});
    // No agent yet: nothing reported.
    let d = ok(&app, &admin, PRINTER, vars.clone()).await;
    assert_eq!(d["printer"]["telemetry"], Value::Null, "{d}");
    assert_eq!(d["printer"]["telemetryHistory"], json!([]));
    assert_eq!(d["printer"]["snapshotUrl"], Value::Null);

    // The subscription, before the reports: each change reaches it, coalesced per printer.
    let sub = format!(
        "subscription {{ printerTelemetry(printerId: \"{}\", intervalMs: 500) {{ printerId nozzleC layer printerError }} }}",
        p.0
    );
    let mut sws = subscribe(&app, &admin, &sub).await;

    let mut ws = connect(&app, Some(&token)).await.unwrap();
    welcome(&mut ws, p).await;
    const N: usize = 20;
    for i in 0..N {
        let extra = json!({"layer": i + 1, "total_layers": 140});
        call(&mut ws, status(&format!("s-{i}"), 200.0 + i as f64, extra)).await;
    }
    let mut updates = 0;
    loop {
        let m = next_text(&mut sws).await;
        assert_eq!(m["type"], "next", "{m}");
        assert!(m["payload"]["errors"].is_null(), "{m}");
        let t = &m["payload"]["data"]["printerTelemetry"];
        assert_eq!(t["printerId"], p.0.to_string());
        updates += 1;
        if t["nozzleC"] == json!(200.0 + (N - 1) as f64) {
            assert_eq!(t["layer"], json!(N));
            break;
        }
        assert!(updates < N, "every report was sent on its own: not coalesced");
    }

    // A printer error and a filament runout reach the printer's telemetry.
    let extra = json!({"layer": 33, "total_layers": 140, "filament_runout": true,
                       "printer_error": "Filament runout on extruder 0"});
    call(&mut ws, status("s-err", 190.5, extra)).await;
    let d = ok(&app, &admin, PRINTER, vars.clone()).await;
    let t = &d["printer"]["telemetry"];
    assert_eq!(
        (
            &t["reportedState"],
            &t["nozzleC"],
            &t["nozzleTargetC"],
            &t["bedC"],
            &t["bedTargetC"]
        ),
        (
            &json!("idle"),
            &json!(190.5),
            &json!(215.0),
            &json!(59.5),
            &json!(60.0)
        )
    );
    assert_eq!(
        (
            &t["layer"],
            &t["totalLayers"],
            &t["filamentRunout"],
            &t["printerError"]
        ),
        (
            &json!(33),
            &json!(140),
            &json!(true),
            &json!("Filament runout on extruder 0")
        )
    );
    assert!(t["reportedAt"].is_string() && t["lastSeenAt"].is_string(), "{t}");
    // The subscription sees it too.
    loop {
        let m = next_text(&mut sws).await;
        let t = &m["payload"]["data"]["printerTelemetry"];
        if t["printerError"] == "Filament runout on extruder 0" {
            break;
        }
    }
    // The live reports made at least one sample for the charts.
    let h = d["printer"]["telemetryHistory"].as_array().unwrap().clone();
    assert!(!h.is_empty(), "{d}");
    assert_eq!(h[0]["nozzleTargetC"], json!(215.0));

    // An hour of samples (written as the status writer does, at their times) is downsampled.
    let now = Utc::now();
    let reports: Vec<StatusReport> = (1..=360)
        .map(|i| StatusReport {
            printer_id: p,
            state: AgentState::Printing,
            job: None,
            progress_pct: Some(i * 100 / 360),
            temperatures: Temperatures {
                nozzle_c: Some(if i % 2 == 0 { 210.0 } else { 200.0 }),
                nozzle_target_c: Some(205.0),
                bed_c: Some(60.0),
                bed_target_c: Some(60.0),
            },
            seconds_left: None,
            readings: Some(Readings::default()),
            at: now - chrono::Duration::seconds(3700 - i * 10),
        })
        .collect();
    // One batch per report: a batch keeps each printer's latest report only.
    let mut tx = app.db.db.begin().await.unwrap();
    for r in &reports {
        live::record_statuses(&mut tx, std::slice::from_ref(r))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let d = ok(&app, &admin, PRINTER, vars.clone()).await;
    let h = d["printer"]["telemetryHistory"].as_array().unwrap().clone();
    assert!(h.len() <= 50 && h.len() >= 40, "{} points", h.len());
    let mid = &h[h.len() / 2];
    let nozzle = mid["nozzleC"].as_f64().unwrap();
    assert!(nozzle > 200.0 && nozzle < 210.0, "a mean of 200 and 210: {mid}");
    assert_eq!(mid["nozzleTargetC"], json!(205.0));
    // maxPoints is bounded; a customer reads no printers.
    let bad = app
        .graphql_as(
            &admin,
            "query($id: ID!) { printer(id: $id) { telemetryHistory(since: \"2020-01-01T00:00:00Z\", maxPoints: 5000) { at } } }",
            json!({"id": p.0.to_string()}),
        )
        .await;
    assert_eq!(
        common::code(&bad),
        ("VALIDATION", "TELEMETRY_BAD_MAX_POINTS"),
        "{bad}"
    );
    let customer = app.login_as(Role::Customer).await;
    let denied = app.graphql_as(&customer, PRINTER, vars).await;
    assert_eq!(common::code(&denied).0, "FORBIDDEN", "{denied}");
    app.stop().await;
}

#[actix_web::test]
async fn telemetry_reaches_the_planner_sqlite() {
    telemetry_reaches_the_planner(Backend::Sqlite).await;
}

#[actix_web::test]
async fn telemetry_reaches_the_planner_postgres() {
    telemetry_reaches_the_planner(Backend::Postgres).await;
}

/// A tiny JPEG (SOI, APP0/JFIF, EOI): what a webcam's snapshot URL serves.
fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

/// A real HTTP server on loopback serving `body` as `image/jpeg` at any path; counts requests.
fn camera_server(body: Vec<u8>) -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            h.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (port, hits)
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Vec<u8>, Value) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, bytes, json)
}

async fn snapshots_from_a_real_camera(backend: Backend) {
    let id = gantry_api::auth::random_id().unwrap();
    let dir = std::env::temp_dir().join(format!("gantry-fleet-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let app = spawn_app_with(backend, &[("GANTRY_DATA_DIR", d.as_str())]).await;
    let (fx, token, _) = setup(&app).await;
    let p = fx.printers[0];
    let admin = app.login_as(Role::Admin).await;
    let picture = jpeg();
    let (cam_port, hits) = camera_server(picture.clone());

    // The agent refuses nothing; the server refuses what is not a JPEG, and a job that is not
    // the printer's.
    let put = |q: &str, body: Vec<u8>, tok: Option<&str>| {
        let mut req = app
            .client
            .put(format!("{}/agent/snapshot{q}", app.base))
            .body(body);
        if let Some(t) = tok {
            req = req.bearer_auth(t.to_string());
        }
        req.send()
    };
    let r = put("", b"<html>".to_vec(), Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "SNAPSHOT_NOT_JPEG"
    );
    let r = put("", picture.clone(), None).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = put("?job=999999&moment=start", picture.clone(), Some(&token))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = put(
        &format!("?job={}&moment=middle", fx.jobs[0].id.0),
        picture.clone(),
        Some(&token),
    )
    .await
    .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "SNAPSHOT_BAD_MOMENT"
    );
    let (status, _, body) = get(&app, &format!("/printers/{}/snapshot.jpg", p.0), Some(&admin)).await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("SNAPSHOT_NONE")));

    // The real agent, with the camera URL in its configuration, prints the fixture's jobs.
    let log_path = dir.join("agent.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut agent = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["agent", "--simulate", "--token", &token, "--server", &app.base])
        .args(["--speed", "600", "--tick-ms", "100", "--status-secs", "0.5"])
        .args([
            "--snapshot-url",
            &format!("http://127.0.0.1:{cam_port}/webcam/?action=snapshot"),
        ])
        .args(["--snapshot-secs", "1"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let kept = "SELECT COUNT(*) FROM job_snapshots WHERE moment = 'end'";
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let n: i64 = sqlx::query_scalar(kept)
            .fetch_one(app.db.db.pool())
            .await
            .unwrap();
        if n >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no job snapshot; agent log:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(
        hits.load(Ordering::SeqCst) >= 2,
        "the agent fetched from the camera"
    );

    // The latest picture, for staff only; the camera's address never reaches the server.
    let since = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let d = ok(
        &app,
        &admin,
        PRINTER,
        json!({"id": p.0.to_string(), "since": since}),
    )
    .await;
    let url = d["printer"]["snapshotUrl"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/printers/{}/snapshot.jpg", p.0));
    assert!(d["printer"]["snapshotTakenAt"].is_string());
    let t = &d["printer"]["telemetry"];
    assert!(
        t["nozzleTargetC"].is_number() && t["totalLayers"] == json!(100),
        "{t}"
    );
    let (status, bytes, _) = get(&app, &url, Some(&admin)).await;
    assert_eq!((status, bytes), (200, picture.clone()));
    assert_eq!(get(&app, &url, None).await.0, 401);
    let customer = app.login_as(Role::Customer).await;
    assert_eq!(get(&app, &url, Some(&customer)).await.0, 403);
    assert_eq!(
        get(&app, "/printers/999999/snapshot.jpg", Some(&admin)).await.0,
        404
    );
    let all = format!("{:?}", d);
    assert!(
        !all.contains(&cam_port.to_string()),
        "the camera's address leaked: {all}"
    );

    // The job that ended has its start and end pictures.
    let job: i64 =
        sqlx::query_scalar("SELECT job_id FROM job_snapshots WHERE moment = 'end' ORDER BY id LIMIT 1")
            .fetch_one(app.db.db.pool())
            .await
            .unwrap();
    let d = ok(
        &app,
        &admin,
        "query($id: ID!) { job(id: $id) { state snapshots { id printerId moment takenAt url } } }",
        json!({"id": job.to_string()}),
    )
    .await;
    let snaps = d["job"]["snapshots"].as_array().unwrap().clone();
    let moments: Vec<&str> = snaps.iter().map(|s| s["moment"].as_str().unwrap()).collect();
    assert_eq!(moments, ["start", "end"], "{d}");
    assert_eq!(d["job"]["state"], "DONE");
    assert_eq!(snaps[1]["printerId"], p.0.to_string());
    let kept_url = snaps[1]["url"].as_str().unwrap();
    let (status, bytes, _) = get(&app, kept_url, Some(&admin)).await;
    assert_eq!((status, bytes), (200, picture.clone()));
    assert_eq!(get(&app, kept_url, Some(&customer)).await.0, 403);
    let wrong_job = format!(
        "/jobs/{}/snapshots/{}.jpg",
        job + 1000,
        snaps[1]["id"].as_str().unwrap()
    );
    assert_eq!(get(&app, &wrong_job, Some(&admin)).await.0, 404);

    // Pruning: a kept snapshot past the retention goes with its JPEG; newer ones stay.
    let key_of = |moment: &'static str| {
        let pool = app.db.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT object_key FROM job_snapshots WHERE job_id = $1 AND moment = $2",
            )
            .bind(job)
            .bind(moment)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (start_key, end_key) = (key_of("start").await, key_of("end").await);
    let old = (Utc::now() - chrono::Duration::days(100)).timestamp_millis();
    sqlx::query("UPDATE job_snapshots SET taken_at = $1 WHERE job_id = $2 AND moment = 'start'")
        .bind(old)
        .bind(job)
        .execute(app.db.db.pool())
        .await
        .unwrap();
    let config = gantry_api::config::Config::from_map(
        &[("GANTRY_DATA_DIR".to_string(), dir.display().to_string())]
            .into_iter()
            .collect(),
    )
    .unwrap();
    let objects = gantry_api::storage::Storage::new(&config.storage.objects);
    assert!(dir.join("objects").join(&start_key).is_file());
    let before = Utc::now() - chrono::Duration::days(90);
    let pruned = gantry_app::fleet::prune_job_snapshots(&app.db.db, &objects, before)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert!(
        !dir.join("objects").join(&start_key).exists(),
        "the pruned JPEG is deleted"
    );
    assert!(dir.join("objects").join(&end_key).is_file(), "a newer JPEG stays");
    let d = ok(
        &app,
        &admin,
        "query($id: ID!) { job(id: $id) { snapshots { moment } } }",
        json!({"id": job.to_string()}),
    )
    .await;
    assert_eq!(d["job"]["snapshots"], json!([{"moment": "end"}]));
    // Nothing more is past the retention.
    let again = gantry_app::fleet::prune_job_snapshots(&app.db.db, &objects, before)
        .await
        .unwrap();
    assert_eq!(again, 0);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn snapshots_from_a_real_camera_sqlite() {
    snapshots_from_a_real_camera(Backend::Sqlite).await;
}

#[actix_web::test]
async fn snapshots_from_a_real_camera_postgres() {
    snapshots_from_a_real_camera(Backend::Postgres).await;
}
