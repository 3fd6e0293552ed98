//! `/agent/ws` with a real WebSocket client against a spawned server (both backends):
//! authentication before the upgrade, hello → welcome, bad messages closed with a code and a
//! reason, a replaced connection, and a job flowing through to SQL with repeated message ids
//! counted once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use futures_util::SinkExt;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::production::JobState;
use gantry_engine::domain::types::JobId;
use gantry_engine::store::live::testing;
use gantry_engine::store::{orders, production};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

use common::agent::*;
use common::{TestApp, code};

app_test!(bad_or_revoked_tokens_are_refused_before_the_upgrade, |app| {
    let (_, _, revoked) = setup(app).await;
    for token in [
        None,
        Some("gtp_not-a-real-token"),
        Some(revoked.as_str()),
        Some("gty_wrong-kind"),
    ] {
        match connect(app, token).await {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 401, "{token:?}"),
            other => panic!("{token:?}: expected 401, got {:?}", other.map(|_| "a websocket")),
        }
    }
});

app_test!(hello_gets_a_welcome_with_header_or_query_token, |app| {
    let (fx, token, _) = setup(app).await;
    let mut ws = connect(app, Some(&token)).await.unwrap();
    welcome(&mut ws, fx.printers[0]).await;
    // A second connection (query-string token) replaces the first, which is closed.
    let (mut second, _) = tokio_tungstenite::connect_async(url(app, &format!("?token={token}")))
        .await
        .unwrap();
    welcome(&mut second, fx.printers[0]).await;
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, 4003, "{reason}");
    assert!(reason.contains("replaced"), "{reason}");
    assert!(!call(&mut second, json!({"v": 1, "id": "hb-1", "type": "heartbeat"})).await);
});

app_test!(bad_messages_close_the_connection_with_a_reason, |app| {
    let (fx, token, _) = setup(app).await;
    let big = format!(
        r#"{{"v":1,"id":"x","type":"heartbeat","pad":"{}"}}"#,
        "a".repeat(70 * 1024)
    );
    let cases: Vec<(Option<Value>, String, u16, &str)> = vec![
        (
            None,
            json!({"v": 2, "id": "h", "type": "hello", "agent": "a", "state": "idle"}).to_string(),
            4001,
            "UNSUPPORTED_VERSION",
        ),
        (None, "not json".into(), 1007, "MALFORMED_MESSAGE"),
        (
            None,
            json!({"v": 1, "id": "s", "type": "heartbeat"}).to_string(),
            4002,
            "HELLO_EXPECTED",
        ),
        (Some(hello("h", "idle", None)), big, 1009, "MESSAGE_TOO_LARGE"),
        (
            Some(hello("h", "idle", None)),
            json!({"v": 1, "id": "p", "type": "job_progress", "job": 1, "progress_pct": 300}).to_string(),
            1007,
            "BAD_PROGRESS",
        ),
    ];
    for (first, text, code, reason) in cases {
        let mut ws = connect(app, Some(&token)).await.unwrap();
        if let Some(h) = first {
            send(&mut ws, h).await;
            recv_kind(&mut ws, "welcome").await;
        }
        ws.send(Message::text(text)).await.unwrap();
        let (got, why) = closed(&mut ws).await;
        assert_eq!(got, code, "{why}");
        assert!(why.contains(reason), "{why}");
    }
    // Nothing else was affected: a good connection still works.
    let mut ws = connect(app, Some(&token)).await.unwrap();
    welcome(&mut ws, fx.printers[0]).await;
});

app_test!(a_job_flows_through_to_sql_and_repeats_count_once, |app| {
    let (fx, token, _) = setup(app).await;
    let db = &app.db.db;
    let mut ws = connect(app, Some(&token)).await.unwrap();
    welcome(&mut ws, fx.printers[0]).await;
    let assign = recv_kind(&mut ws, "assign_job").await;
    let job = assign["assignment"]["job"].as_i64().unwrap();
    assert_eq!(assign["assignment"]["order_id"].as_i64(), Some(fx.order.0));
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "a-1", "type": "job_accepted", "job": job})
        )
        .await
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "a-2", "type": "job_started", "job": job})
        )
        .await
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "a-3", "type": "status", "state": "printing", "job": job,
        "progress_pct": 35, "temperatures": {"nozzle_c": 215.0, "bed_c": 60.0}, "seconds_left": 900})
        )
        .await
    );
    let mut c = db.pool().acquire().await.unwrap();
    let j = production::get_job(&mut c, JobId(job)).await.unwrap();
    assert_eq!(
        (j.state, j.printer_id, j.progress_pct),
        (JobState::Printing, Some(fx.printers[0]), 35)
    );
    drop(c);
    // Progress never goes backwards.
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "a-4", "type": "job_progress", "job": job, "progress_pct": 20})
        )
        .await
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "a-5", "type": "job_completed", "job": job})
        )
        .await
    );
    // The completion again after a reconnect, with the same id: acknowledged as a duplicate.
    drop(ws);
    let mut ws = connect(app, Some(&token)).await.unwrap();
    send(&mut ws, hello("h-2", "needs_bed_clearing", Some(job))).await;
    recv_kind(&mut ws, "welcome").await;
    assert!(
        call(
            &mut ws,
            json!({"v": 1, "id": "a-5", "type": "job_completed", "job": job})
        )
        .await
    );
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(
        (order.order.status, order.lines[0].printed_count),
        (OrderStatus::InProduction, 1)
    );
    assert_eq!(
        production::get_job(&mut c, JobId(job)).await.unwrap().state,
        JobState::Done
    );
    drop(c);
    // Bed cleared: the next job comes at once; printing it readies the order.
    assert!(!call(&mut ws, json!({"v": 1, "id": "b-1", "type": "bed_cleared"})).await);
    let next = recv_kind(&mut ws, "assign_job").await["assignment"]["job"]
        .as_i64()
        .unwrap();
    assert_ne!(next, job);
    for (i, t) in ["job_started", "job_completed"].into_iter().enumerate() {
        assert!(
            !call(
                &mut ws,
                json!({"v": 1, "id": format!("n-{i}"), "type": t, "job": next})
            )
            .await
        );
    }
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(
        (order.order.status, order.lines[0].printed_count),
        (OrderStatus::Ready, 2)
    );
    // Job messages that do not fit are refused with an error; the connection stays open.
    for (id, msg, code) in [
        (
            "x-1",
            json!({"type": "job_completed", "job": 999_999}),
            "JOB_NOT_FOUND",
        ),
        (
            "x-2",
            json!({"type": "job_failed", "job": next, "reason": "late"}),
            "JOB_STATE_CONFLICT",
        ),
    ] {
        let mut v = msg;
        v["v"] = json!(1);
        v["id"] = json!(id);
        send(&mut ws, v).await;
        let e = recv_kind(&mut ws, "error").await;
        assert_eq!(
            (e["id"].as_str(), e["code"].as_str()),
            (Some(id), Some(code)),
            "{e}"
        );
    }
    assert!(!call(&mut ws, json!({"v": 1, "id": "hb", "type": "heartbeat"})).await);
});

const PRINTER_Q: &str = "query($id: ID!) { printer(id: $id) { status loadedMaterial { code } \
    agent { software capabilities loadedMaterial reportedState } } }";

/// A GraphQL mutation run concurrently with the simulated agent (which must answer the
/// command the mutation sends it).
fn spawn_graphql(
    app: &TestApp,
    token: &str,
    query: &'static str,
    vars: Value,
) -> tokio::task::JoinHandle<Value> {
    let (client, url, token) = (
        app.client.clone(),
        format!("{}/graphql", app.base),
        token.to_string(),
    );
    tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"query": query, "variables": vars}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    })
}

const PAUSE: &str = "mutation($p: ID!) { pausePrint(printerId: $p) { status } }";
const RESUME: &str = "mutation($p: ID!) { resumePrint(printerId: $p) { status } }";
const CANCEL: &str = "mutation($p: ID!, $r: String!) { cancelPrint(printerId: $p, reason: $r) { status } }";

app_test!(pause_resume_cancel_from_the_api_reach_the_agent, |app| {
    let (fx, token, _) = setup(app).await;
    let db = &app.db.db;
    let printer = fx.printers[0].0.to_string();
    let op = app.login_as(gantry_engine::domain::users::Role::Operator).await;
    // No agent connected: a clear conflict.
    let v = app.graphql_as(&op, PAUSE, json!({"p": printer})).await;
    assert_eq!(code(&v), ("CONFLICT", "PRINTER_NO_AGENT"), "{v}");
    let v = app.graphql_as(&op, PAUSE, json!({"p": "999999"})).await;
    assert_eq!(code(&v).0, "NOT_FOUND", "{v}");

    let mut ws = connect(app, Some(&token)).await.unwrap();
    send(
        &mut ws,
        json!({"v": 1, "id": "h-1", "type": "hello", "agent": "test/1 simulate", "state": "idle",
               "capabilities": ["simulate", "pause"], "loaded_material": "PLA-BLK"}),
    )
    .await;
    recv_kind(&mut ws, "welcome").await;
    // The hello is stored: capabilities and loaded material; the material code names a
    // material the printer prints, so it is the printer's loaded material.
    let v = app.graphql_as(&op, PRINTER_Q, json!({"id": printer})).await;
    let p = &v["data"]["printer"];
    assert_eq!(
        p["agent"],
        json!({"software": "test/1 simulate", "capabilities": ["simulate", "pause"],
               "loadedMaterial": "PLA-BLK", "reportedState": "idle"}),
        "{v}"
    );
    assert_eq!(p["loadedMaterial"]["code"], "PLA-BLK", "{v}");
    // Idle: nothing to pause.
    let v = app.graphql_as(&op, PAUSE, json!({"p": printer})).await;
    assert_eq!(code(&v), ("CONFLICT", "PRINTER_NOT_PRINTING"), "{v}");

    let job = recv_kind(&mut ws, "assign_job").await["assignment"]["job"]
        .as_i64()
        .unwrap();
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "s-1", "type": "job_started", "job": job})
        )
        .await
    );
    // Pause: the agent gets `pause`, confirms, and the mutation answers PAUSED (committed).
    let pending = spawn_graphql(app, &op, PAUSE, json!({"p": printer}));
    assert_eq!(
        recv_kind(&mut ws, "pause").await,
        json!({"type": "pause", "job": job})
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "p-1", "type": "paused", "job": job})
        )
        .await
    );
    let v = pending.await.unwrap();
    assert_eq!(v["data"]["pausePrint"]["status"], "PAUSED", "{v}");
    let v = app.graphql_as(&op, PRINTER_Q, json!({"id": printer})).await;
    assert_eq!(v["data"]["printer"]["status"], "PAUSED", "{v}");
    let v = app.graphql_as(&op, PAUSE, json!({"p": printer})).await;
    assert_eq!(code(&v), ("CONFLICT", "PRINTER_STATE_CONFLICT"), "{v}");
    // Resume.
    let pending = spawn_graphql(app, &op, RESUME, json!({"p": printer}));
    assert_eq!(
        recv_kind(&mut ws, "resume").await,
        json!({"type": "resume", "job": job})
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "r-1", "type": "resumed", "job": job})
        )
        .await
    );
    let v = pending.await.unwrap();
    assert_eq!(v["data"]["resumePrint"]["status"], "PRINTING", "{v}");
    // Cancel with a reason: the job fails with it and its plate is requeued (a reprint).
    let pending = spawn_graphql(app, &op, CANCEL, json!({"p": printer, "r": "wrong colour"}));
    assert_eq!(
        recv_kind(&mut ws, "cancel").await,
        json!({"type": "cancel", "job": job})
    );
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "c-1", "type": "cancelled", "job": job})
        )
        .await
    );
    let v = pending.await.unwrap();
    assert_eq!(v["data"]["cancelPrint"]["status"], "NEEDS_BED_CLEARING", "{v}");
    let mut c = db.pool().acquire().await.unwrap();
    let j = production::get_job(&mut c, JobId(job)).await.unwrap();
    // Failed and replaced by a reprint (state `requeued`), as an agent's cancel is.
    assert_eq!(j.state, JobState::Requeued);
    assert_eq!(
        j.failure_reason.as_deref(),
        Some("cancelled from Gantry: wrong colour")
    );
    let jobs = production::list_jobs(&mut c, &Default::default()).await.unwrap();
    assert!(
        jobs.iter()
            .any(|r| r.retry_of == Some(JobId(job)) && r.attempt == 2),
        "{jobs:?}"
    );
    drop(c);
    let v = app.graphql_as(&op, CANCEL, json!({"p": printer, "r": " "})).await;
    assert_eq!(code(&v).0, "VALIDATION", "{v}");
    // The agent going away answers a waiting command.
    assert!(!call(&mut ws, json!({"v": 1, "id": "b-1", "type": "bed_cleared"})).await);
    let next = recv_kind(&mut ws, "assign_job").await["assignment"]["job"]
        .as_i64()
        .unwrap();
    assert!(
        !call(
            &mut ws,
            json!({"v": 1, "id": "s-2", "type": "job_started", "job": next})
        )
        .await
    );
    let pending = spawn_graphql(app, &op, PAUSE, json!({"p": printer}));
    recv_kind(&mut ws, "pause").await;
    drop(ws);
    let v = pending.await.unwrap();
    assert_eq!(code(&v), ("CONFLICT", "AGENT_DISCONNECTED"), "{v}");
    // A customer may not.
    let cust = app.login_as(gantry_engine::domain::users::Role::Customer).await;
    let v = app.graphql_as(&cust, PAUSE, json!({"p": printer})).await;
    assert_eq!(code(&v).0, "FORBIDDEN", "{v}");
});

const SET_STATUS: &str =
    "mutation($p: ID!, $s: PrinterStatus!) { setPrinterStatus(id: $p, status: $s) { status } }";

app_test!(a_status_set_by_hand_reaches_the_printer_actor, |app| {
    let (fx, token, _) = setup(app).await;
    let printer = fx.printers[0].0.to_string();
    let op = app.login_as(gantry_engine::domain::users::Role::Operator).await;
    let mut ws = connect(app, Some(&token)).await.unwrap();
    welcome(&mut ws, fx.printers[0]).await;
    let job = recv_kind(&mut ws, "assign_job").await["assignment"]["job"]
        .as_i64()
        .unwrap();
    for (i, t) in ["job_started", "job_completed"].into_iter().enumerate() {
        assert!(
            !call(
                &mut ws,
                json!({"v": 1, "id": format!("j-{i}"), "type": t, "job": job})
            )
            .await
        );
    }
    // The plate is cleared by a person who tells Gantry, not the agent: the printer actor
    // learns the status at once and hands the next job.
    let v = app
        .graphql_as(&op, SET_STATUS, json!({"p": printer, "s": "IDLE"}))
        .await;
    assert_eq!(v["data"]["setPrinterStatus"]["status"], "IDLE", "{v}");
    let next = recv_kind(&mut ws, "assign_job").await["assignment"]["job"]
        .as_i64()
        .unwrap();
    assert_ne!(next, job);
});

app_test_with!(
    a_job_handed_to_a_printer_that_went_away_is_not_handed_to_another,
    [("GANTRY_AGENT_HEARTBEAT_SECS", "1")],
    |app| {
        let db = &app.db.db;
        let fx = testing::farm(db, gantry_engine::store::now(), 2, 1000, 2)
            .await
            .unwrap();
        let a_token = printer_token(db, fx.printers[0]).await;
        let b_token = printer_token(db, fx.printers[1]).await;
        app.request_replan();
        // Printer A is handed a job, then goes silent before its start reaches the server
        // (it may well be printing it).
        let mut a = connect(app, Some(&a_token)).await.unwrap();
        send(&mut a, hello("a-1", "idle", None)).await;
        let handed = recv_kind(&mut a, "assign_job").await["assignment"]["job"]
            .as_i64()
            .unwrap();
        drop(a);
        // Missed heartbeats: A is marked offline and its other work goes to B.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mut c = db.pool().acquire().await.unwrap();
            let p = gantry_engine::store::equipment::get_printer(&mut c, fx.printers[0])
                .await
                .unwrap();
            if p.status == gantry_engine::domain::equipment::PrinterStatus::Offline {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "A never went offline");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // B prints whatever it is given, and is never given A's job.
        let mut b = connect(app, Some(&b_token)).await.unwrap();
        send(&mut b, hello("b-1", "idle", None)).await;
        let mut n = 0;
        let quiet = Duration::from_secs(3);
        while let Ok(m) = tokio::time::timeout(quiet, recv_kind(&mut b, "assign_job")).await {
            let job = m["assignment"]["job"].as_i64().unwrap();
            assert_ne!(job, handed, "job {job} was handed to A and is handed to B too");
            for (kind, id) in [("job_started", "s"), ("job_completed", "c")] {
                assert!(
                    !call(
                        &mut b,
                        json!({"v": 1, "id": format!("b-{id}{n}"), "type": kind, "job": job})
                    )
                    .await
                );
            }
            assert!(
                !call(
                    &mut b,
                    json!({"v": 1, "id": format!("b-bc{n}"), "type": "bed_cleared"})
                )
                .await
            );
            n += 1;
        }
        // A comes back printing it: the job starts there, once.
        let mut a = connect(app, Some(&a_token)).await.unwrap();
        send(
            &mut a,
            json!({"v": 1, "id": "a-2", "type": "hello", "agent": "test/1 simulate",
                   "state": "printing", "current_job": handed, "progress_pct": 40}),
        )
        .await;
        recv_kind(&mut a, "welcome").await;
        let mut c = db.pool().acquire().await.unwrap();
        let job = production::get_job(&mut c, JobId(handed)).await.unwrap();
        assert_eq!(
            (job.state, job.printer_id, job.progress_pct),
            (JobState::Printing, Some(fx.printers[0]), 40)
        );
    }
);
