//! At least once across a crash: the real `gantry serve` delivers events to a slow receiver on
//! loopback, is killed with SIGKILL while deliveries are pending (more events are committed
//! while it is down), and after a restart every event reaches the endpoint — none lost, every
//! delivery recorded as succeeded; the only repeats are the attempts in flight at the kill.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod live;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::receiver::{Mode, Receiver};
use gantry_app::webhooks::{self as hooks, EndpointInput};
use gantry_engine::domain::events::{Event, OrderEvent};
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db, events};
use live::{Proc, free_port, gantry, tail, temp_dir};

async fn emit(db: &Db, from: i64, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for order_id in from..from + n {
        let mut tx = db.begin().await.unwrap();
        let e = Event::Order(OrderEvent {
            order_id,
            customer_id: 1,
            from: None,
            to: OrderStatus::Draft,
            by_user_id: None,
            note: String::new(),
        });
        ids.push(events::append(&mut tx, Utc::now(), &e).await.unwrap());
        tx.commit().await.unwrap();
    }
    ids
}

fn serve(url: &str, data: &std::path::Path, port: u16, log: &str) -> Proc {
    let out = std::fs::File::create(data.join(log)).unwrap();
    let child = gantry(url, data, port)
        .env("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "true")
        .env("GANTRY_WEBHOOKS_TIMEOUT_MS", "2000")
        .env("GANTRY_WEBHOOKS_RETRY_FIRST_DELAY_MS", "50")
        .env("GANTRY_WEBHOOKS_RETRY_MAX_DELAY_MS", "200")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "gantry serve did not listen:\n{}",
            tail(&data.join(log))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Proc(child)
}

async fn scenario(backend: Backend) {
    let t = TestDb::new(backend).await.unwrap();
    let db = &t.db;
    let data = temp_dir(&format!("hooks-{}", backend.name()));
    let port = free_port();
    // Each answer takes 40 ms, so deliveries are still pending when the server dies.
    let r = Receiver::start(|_| Mode::Sleep(Duration::from_millis(40))).await;
    let ep = hooks::create_endpoint(
        db,
        Utc::now(),
        &EndpointInput {
            url: r.url.clone(),
            description: "durability".into(),
            event_types: vec!["order.created".into()],
        },
        &[5; 24],
        true,
    )
    .await
    .unwrap();
    r.set_secrets(&[&ep.secret]);

    let mut ids = emit(db, 1, 60).await;
    let mut server = serve(&t.url, &data, port, "serve-1.log");
    r.wait_for(30, "some deliveries before the kill", |g| g.len() >= 8)
        .await;
    let _ = server.0.kill(); // SIGKILL
    let _ = server.0.wait();
    let at_kill = r.got().len();
    assert!(
        at_kill < 60,
        "everything was delivered before the kill; nothing to test"
    );
    // Committed while no server runs.
    ids.extend(emit(db, 100, 20).await);

    let _server = serve(&t.url, &data, port, "serve-2.log");
    let want: Vec<String> = ids.iter().map(|id| format!("msg_{id}")).collect();
    let got = r
        .wait_for(60, "every event after the restart", |g| {
            want.iter()
                .all(|m| g.iter().any(|r| &r.msg_id == m && r.answered == 200))
        })
        .await;
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &got {
        assert_eq!(g.verified_by, vec![0], "{g:?}");
        *times.entry(g.msg_id.as_str()).or_default() += 1;
    }
    assert_eq!(times.len(), 80, "only the events committed: {times:?}");
    let repeats: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeats.len() <= 2,
        "repeats beyond the attempts in flight at the kill: {repeats:?}"
    );
    // The log agrees: every delivery succeeded once all were sent.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = db.pool().acquire().await.unwrap();
        let by = gantry_engine::store::webhooks::count_by_status(&mut c)
            .await
            .unwrap();
        if by == vec![("succeeded".to_string(), 80)] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries by status: {by:?}\n{}",
            tail(&data.join("serve-2.log"))
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{}: {at_kill} received before the kill, {} requests in all, repeats {repeats:?}",
        backend.name(),
        got.len()
    );
    t.cleanup().await;
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_pending_deliveries_loses_none_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_pending_deliveries_loses_none_postgres() {
    scenario(Backend::Postgres).await;
}
