//! Several `gantry serve` replicas on one PostgreSQL database, with the real binaries: three
//! servers, simulated agents spread over them (`gantry agent --simulate`, one process per
//! replica). The scheduler leader is killed with SIGKILL while printers print: a survivor takes
//! the lease over (epoch up), no job is handed to two printers or printed twice, no printer whose
//! agent is on a surviving replica is marked offline, and the farm drains. A rolling restart
//! (SIGTERM, restart, one replica after another) loses no job and no order. A replica with
//! another JWT secret refuses to join.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gantry_engine::store::Db;
use gantry_engine::store::testing::TestDb;
use live::*;
use sqlx::Row;

const PRINTERS: usize = 14;
const SECRET: &str = "scale-out-test-secret-0123456789abcdef";

fn server_cmd(farm: &live::Farm, port: u16, secret: &str) -> Command {
    let mut c = gantry(&farm.url, &farm.data, port);
    c.env("GANTRY_JWT_SECRET", secret)
        .env("GANTRY_LEADER_LEASE_SECS", "3");
    c
}

fn start(farm: &live::Farm, port: u16, log: &str) -> Proc {
    let out = std::fs::File::create(farm.data.join(log)).unwrap();
    let child = server_cmd(farm, port, SECRET)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "gantry serve did not listen; see {}",
            farm.data.join(log).display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Proc(child)
}

/// One `gantry agent --simulate` process for `tokens` against the replica on `port`.
fn agents(farm: &live::Farm, port: u16, tokens: &Path, n: usize, speed: i64, log: &str) -> Proc {
    let log = std::fs::File::create(farm.data.join(log)).unwrap();
    Proc(
        gantry(&farm.url, &farm.data, port)
            .args(["agent", "--simulate", "--count", &n.to_string(), "--tokens-file"])
            .arg(tokens)
            .args([
                "--server",
                &format!("http://127.0.0.1:{port}"),
                "--speed",
                &speed.to_string(),
                "--tick-ms",
                "100",
                "--auto-clear-secs",
                "0.3",
                "--status-secs",
                "1",
                "--seed",
                "5",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// Splits the printers' tokens into one file per replica.
fn split_tokens(farm: &live::Farm, parts: usize) -> Vec<(PathBuf, usize)> {
    let all = std::fs::read_to_string(&farm.tokens).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    (0..parts)
        .map(|i| {
            let mine: Vec<&str> = lines.iter().skip(i).step_by(parts).copied().collect();
            let path = farm.data.join(format!("tokens-{i}.txt"));
            std::fs::write(&path, mine.join("\n") + "\n").unwrap();
            (path, mine.len())
        })
        .collect()
}

async fn lease(db: &Db) -> (String, i64) {
    let r = sqlx::query("SELECT holder, epoch FROM leader_lease WHERE name = 'scheduler'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

/// The process id in a replica id (`host-pid-random`).
fn pid_of(replica: &str) -> Option<u32> {
    replica.rsplit('-').nth(1)?.parse().ok()
}

async fn wait_leader(db: &Db, not: &str, secs: u64) -> (String, i64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let l = lease(db).await;
        if !l.0.is_empty() && l.0 != not {
            return l;
        }
        assert!(
            Instant::now() < deadline,
            "no new leader within {secs} s (lease {l:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Printers whose agent is connected to a replica other than `replica`, by id.
async fn held_by_others(db: &Db, replica: &str) -> Vec<i64> {
    sqlx::query(
        "SELECT printer_id FROM agent_gateways WHERE connected = 1 AND replica <> $1 ORDER BY printer_id",
    )
    .bind(replica)
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

async fn offline_marks_since(db: &Db, since_id: i64, printers: &[i64]) -> Vec<i64> {
    let rows = sqlx::query(
        "SELECT aggregate_id FROM events WHERE id > $1 AND type = 'printer.status_changed' \
         AND payload LIKE '%\"to\":\"offline\"%'",
    )
    .bind(since_id)
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| r.get::<i64, _>(0))
        .filter(|p| printers.contains(p))
        .collect()
}

async fn last_event(db: &Db) -> i64 {
    count(db, "SELECT COALESCE(MAX(id), 0) FROM events").await
}

fn logs(farm: &live::Farm) -> String {
    [
        "serve-0.log",
        "serve-1.log",
        "serve-2.log",
        "agents-0.log",
        "agents-1.log",
        "agents-2.log",
    ]
    .iter()
    .map(|f| format!("--- {f}\n{}", tail(&farm.data.join(f))))
    .collect::<Vec<_>>()
    .join("\n")
}

fn all_agent_logs(farm: &live::Farm) -> String {
    (0..3)
        .map(|i| std::fs::read_to_string(farm.data.join(format!("agents-{i}.log"))).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Three replicas of `farm` (the first on `farm.port`) with the simulated agents split over
/// them: (ports, servers, agent processes).
fn three_replicas(farm: &live::Farm, speed: i64) -> ([u16; 3], Vec<Option<Proc>>, Vec<Proc>) {
    let ports = [farm.port, free_port(), free_port()];
    let servers = ports
        .iter()
        .enumerate()
        .map(|(i, p)| Some(start(farm, *p, &format!("serve-{i}.log"))))
        .collect();
    let agents = split_tokens(farm, 3)
        .iter()
        .enumerate()
        .map(|(i, (file, n))| agents(farm, ports[i], file, *n, speed, &format!("agents-{i}.log")))
        .collect();
    (ports, servers, agents)
}

/// The three-replica tests run one at a time: together they start six servers and their
/// agents, more than PostgreSQL's default 100 connections leave room for beside the rest of the
/// suite (a `PoolTimedOut` otherwise).
static THREE_REPLICAS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_leader_of_three_replicas_loses_and_repeats_nothing_postgres() {
    let _one_at_a_time = THREE_REPLICAS.lock().await;
    let t = TestDb::postgres().await.unwrap();
    let db = &t.db;
    let farm = live::Farm::prepare(db, &t.url, "scaleout", PRINTERS).await;
    let speed = speed_for(db, 4).await;
    let orders_before = count(db, "SELECT COUNT(*) FROM orders").await;
    let test_start = gantry_engine::store::now().timestamp_millis();
    let (ports, mut servers, _agents) = three_replicas(&farm, speed);

    // One leader; agents on every replica get work (the leader hands out through the mesh).
    let (leader, epoch) = wait_leader(db, "", 20).await;
    wait_printing(db, test_start, 6, || logs(&farm)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let on_each = count(
            db,
            "SELECT COUNT(DISTINCT replica) FROM agent_gateways WHERE connected = 1",
        )
        .await;
        if on_each == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "agents on {on_each} replicas, not 3; {}",
            logs(&farm)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Kill -9 the leader.
    let pid = pid_of(&leader).unwrap();
    let idx = servers
        .iter()
        .position(|s| s.as_ref().is_some_and(|p| p.0.id() == pid))
        .unwrap_or_else(|| panic!("the leader {leader} is none of the servers"));
    let survivors_printers = held_by_others(db, &leader).await;
    let mark = last_event(db).await;
    let killed_at = Instant::now();
    let mut dead = servers[idx].take().unwrap();
    let _ = dead.0.kill();
    let _ = dead.0.wait();

    // A survivor leads within the lease (3 s) and a renewal or two.
    let (new_leader, new_epoch) = wait_leader(db, &leader, 15).await;
    let took = killed_at.elapsed();
    assert!(new_epoch > epoch);
    assert!(took < Duration::from_secs(15), "{took:?}");
    // The killed replica's agents reconnect to a survivor (they are told one address: restart
    // the dead replica on its port, as Kubernetes would).
    servers[idx] = Some(start(&farm, ports[idx], "serve-restarted.log"));

    wait_drained(db, 90, || logs(&farm)).await;
    // No job handed to two printers nor printed twice.
    assert_eq!(
        started_twice(db).await,
        0,
        "jobs started more than once; {}",
        logs(&farm)
    );
    let starts = agents_printed_each_job_once(db, &all_agent_logs(&farm), "").await;
    assert!(starts.len() >= 6, "{starts:?}");
    // No printer whose agent was on a surviving replica was marked offline.
    let marked = offline_marks_since(db, mark, &survivors_printers).await;
    assert!(
        marked.is_empty(),
        "printers marked offline though their agents were connected: {marked:?}; {}",
        logs(&farm)
    );
    assert_eq!(count(db, "SELECT COUNT(*) FROM orders").await, orders_before);
    eprintln!("leader {leader} (epoch {epoch}) killed; {new_leader} (epoch {new_epoch}) led after {took:?}");
    drop(servers);
    t.cleanup().await;
    farm.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_three_replicas_loses_no_job_and_no_order_postgres() {
    let _one_at_a_time = THREE_REPLICAS.lock().await;
    let t = TestDb::postgres().await.unwrap();
    let db = &t.db;
    let farm = live::Farm::prepare(db, &t.url, "rolling", PRINTERS).await;
    let speed = speed_for(db, 4).await;
    let orders_before = count(db, "SELECT COUNT(*) FROM orders").await;
    let jobs_before = count(db, "SELECT COUNT(*) FROM jobs").await;
    let test_start = gantry_engine::store::now().timestamp_millis();
    let ports = [farm.port, free_port(), free_port()];
    let mut servers: Vec<Proc> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| start(&farm, *p, &format!("serve-{i}.log")))
        .collect();
    let tokens = split_tokens(&farm, 3);
    let _agents: Vec<Proc> = tokens
        .iter()
        .enumerate()
        .map(|(i, (file, n))| agents(&farm, ports[i], file, *n, speed, &format!("agents-{i}.log")))
        .collect();
    wait_printing(db, test_start, 4, || logs(&farm)).await;
    for (i, port) in ports.iter().enumerate() {
        let (leader, _) = lease(db).await;
        let pid = servers[i].0.id();
        // Graceful stop (SIGTERM): it resigns, so a leader's successor takes over at once.
        let stopped = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
        let _ = servers[i].0.wait();
        if pid_of(&leader) == Some(pid) {
            let t = Instant::now();
            wait_leader(db, &leader, 5).await;
            assert!(
                t.elapsed() < Duration::from_secs(3),
                "a resigned lease is taken at once: {:?}",
                t.elapsed()
            );
        }
        servers[i] = start(&farm, *port, &format!("serve-{i}-again.log"));
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    wait_drained(db, 90, || logs(&farm)).await;
    assert_eq!(started_twice(db).await, 0);
    agents_printed_each_job_once(db, &all_agent_logs(&farm), "").await;
    assert_eq!(count(db, "SELECT COUNT(*) FROM orders").await, orders_before);
    // Jobs only grow (reprints), none disappears.
    assert!(count(db, "SELECT COUNT(*) FROM jobs").await >= jobs_before);
    drop(servers);
    t.cleanup().await;
    farm.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_with_another_jwt_secret_refuses_to_join_postgres() {
    let t = TestDb::postgres().await.unwrap();
    let farm = live::Farm::prepare(&t.db, &t.url, "mismatch", PRINTERS).await;
    let _first = start(&farm, farm.port, "serve-0.log");
    // Give the first replica a renewal to be seen alive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = server_cmd(&farm, free_port(), "another-secret-that-is-long-enough-0123")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("JWT secret") && err.contains("GANTRY_JWT_SECRET"),
        "{err}"
    );
    t.cleanup().await;
    farm.remove();
}

/// `gantry serve` with `env` on `farm`: refused, with stderr naming `needles`.
fn refused_to_join(farm: &live::Farm, env: &[(&str, &str)], needles: &[&str]) {
    let mut cmd = server_cmd(farm, free_port(), SECRET);
    cmd.envs(env.iter().copied());
    let out = cmd.arg("serve").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{env:?} joined: {err}");
    for n in needles {
        assert!(err.contains(n), "{env:?}: no {n:?} in {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_with_another_schema_or_farm_timing_refuses_to_join_postgres() {
    let t = TestDb::postgres().await.unwrap();
    let farm = live::Farm::prepare(&t.db, &t.url, "mismatch-settings", PRINTERS).await;
    let _first = start(&farm, farm.port, "serve-0.log");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Heartbeat expiry and the lease are judged by every replica: they must agree.
    refused_to_join(
        &farm,
        &[("GANTRY_AGENT_HEARTBEAT_SECS", "7")],
        &["agent heartbeat", "GANTRY_AGENT_HEARTBEAT_SECS"],
    );
    refused_to_join(
        &farm,
        &[("GANTRY_LEADER_LEASE_SECS", "9")],
        &["leader lease", "GANTRY_LEADER_LEASE_SECS"],
    );
    // The running replicas are of a newer schema (as during a rollout of a newer version):
    // this older binary refuses rather than run beside them.
    sqlx::query("UPDATE cluster_settings SET value = '99999' WHERE name = 'schema version'")
        .execute(t.db.pool())
        .await
        .unwrap();
    refused_to_join(&farm, &[], &["schema version", "same Gantry version"]);
    t.cleanup().await;
    farm.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_refuses_to_start() {
    let t = TestDb::sqlite().await.unwrap();
    let farm = live::Farm::prepare(&t.db, &t.url, "sqlite-lock", PRINTERS).await;
    let _first = start(&farm, farm.port, "serve-0.log");
    let out = server_cmd(&farm, free_port(), SECRET)
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another `gantry serve` is running on the SQLite database"),
        "{err}"
    );
    t.cleanup().await;
    farm.remove();
}

// ---------------------------------------------------------------------------------------------
// Operators on any replica, after the leader's crash

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An admin made in the database, logged in through the replica at `port`: the access token
/// (valid on every replica: they share the JWT secret).
async fn admin_token(db: &Db, port: u16) -> String {
    use gantry_engine::domain::users::{NewUser, Role};
    const PASSWORD: &str = "correct horse battery staple";
    let hash = gantry_api::auth::hash_password_blocking(PASSWORD).unwrap();
    let mut tx = db.begin().await.unwrap();
    gantry_engine::store::users::create_user(
        &mut tx,
        gantry_engine::store::now(),
        &NewUser {
            email: "scale-admin@gantry.test".into(),
            display_name: "Scale admin".into(),
            role: Role::Admin,
            customer_id: None,
            password_hash: Some(hash),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let v = gql(
        port,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        serde_json::json!({"e": "scale-admin@gantry.test", "p": PASSWORD}),
    )
    .await;
    v["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {v}"))
        .to_string()
}

async fn gql(port: u16, token: Option<&str>, query: &str, vars: serde_json::Value) -> serde_json::Value {
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&serde_json::json!({"query": query, "variables": vars}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// A `printerStatus(printerId)` subscription on the replica at `port`.
async fn watch_printer(port: u16, token: &str, printer: i64) -> Ws {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let mut req = format!("ws://127.0.0.1:{port}/graphql")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = serde_json::json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_message(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(
        ack.as_ref().map(|a| a["type"].clone()),
        Some("connection_ack".into()),
        "{ack:?}"
    );
    let query = format!("subscription {{ printerStatus(printerId: \"{printer}\") {{ printerId status }} }}");
    let sub = serde_json::json!({"id": "s", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(sub.to_string())).await.unwrap();
    ws
}

/// The next text message, `None` when nothing came within `within`.
async fn next_message(ws: &mut Ws, within: Duration) -> Option<serde_json::Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

/// Waits (30 s at most) for a `printerStatus` event with `status` on `ws`.
async fn status_seen(ws: &mut Ws, status: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(m) = next_message(ws, Duration::from_secs(1)).await else {
            continue;
        };
        assert_ne!(m["type"], "error", "{what}: {m}");
        if m["payload"]["data"]["printerStatus"]["status"] == status {
            return;
        }
    }
    panic!("{what}: no {status} event within 30 s");
}

/// The replica holding a printing printer's agent, and the printer, among `replicas`: the one
/// whose job has the longest time left (so it is still printing when paused).
async fn printing_on(db: &Db, replicas: &[String]) -> Option<(String, i64)> {
    let rows = sqlx::query(
        "SELECT g.replica, g.printer_id FROM agent_gateways g JOIN printers p ON p.id = g.printer_id \
         JOIN jobs j ON j.printer_id = p.id AND j.state = 'printing' \
         WHERE g.connected = 1 AND p.status = 'printing' \
         ORDER BY j.est_minutes DESC, j.started_at DESC",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .find(|(r, _)| replicas.contains(r))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_leader_is_killed_every_replica_serves_subscriptions_control_and_replans_postgres() {
    let _one_at_a_time = THREE_REPLICAS.lock().await;
    let t = TestDb::postgres().await.unwrap();
    let db = &t.db;
    let farm = live::Farm::prepare(db, &t.url, "scaleout-ops", PRINTERS).await;
    // Long prints: a printer is still printing when it is paused after the failover.
    let speed = speed_for(db, 40).await;
    let test_start = gantry_engine::store::now().timestamp_millis();
    let (ports, mut servers, _agents) = three_replicas(&farm, speed);
    let (leader, _) = wait_leader(db, "", 20).await;
    wait_printing(db, test_start, 3, || logs(&farm)).await;
    let idx_of = |replica: &str, servers: &[Option<Proc>]| -> usize {
        let pid = pid_of(replica).unwrap();
        servers
            .iter()
            .position(|s| s.as_ref().is_some_and(|p| p.0.id() == pid))
            .unwrap_or_else(|| panic!("{replica} is none of the servers"))
    };
    let token = admin_token(db, ports[0]).await;

    // Kill -9 the leader; a survivor takes the lease.
    let dead = idx_of(&leader, &servers);
    let mark = last_event(db).await;
    let mut killed = servers[dead].take().unwrap();
    let _ = killed.0.kill();
    let _ = killed.0.wait();
    let (new_leader, _) = wait_leader(db, &leader, 15).await;
    let lead = idx_of(&new_leader, &servers);
    let follower = (0..3).find(|i| *i != dead && *i != lead).unwrap();
    let survivors: Vec<String> =
        sqlx::query("SELECT DISTINCT replica FROM agent_gateways WHERE connected = 1")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .filter(|r| *r != leader)
            .collect();

    // A printer printing through a surviving replica; the command goes to the other survivor.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (holder, printer) = loop {
        if let Some(found) = printing_on(db, &survivors).await {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no printer printing on a survivor; {}",
            logs(&farm)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let at_holder = idx_of(&holder, &servers);
    let elsewhere = if at_holder == lead { follower } else { lead };
    // Subscriptions on both surviving replicas, opened after the crash.
    let mut subs = Vec::new();
    for i in [lead, follower] {
        subs.push((i, watch_printer(ports[i], &token, printer).await));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    for (command, status) in [("pausePrint", "PAUSED"), ("resumePrint", "PRINTING")] {
        let v = gql(
            ports[elsewhere],
            Some(&token),
            &format!("mutation {{ {command}(printerId: \"{printer}\") {{ id status }} }}"),
            serde_json::json!({}),
        )
        .await;
        assert!(
            v["errors"].is_null(),
            "{command} of printer {printer} (agent on {holder}) through replica {elsewhere}: {v}; {}",
            logs(&farm)
        );
        assert_eq!(v["data"][command]["status"], status, "{v}");
        for (i, ws) in subs.iter_mut() {
            status_seen(ws, status, &format!("{command}: subscription on replica {i}")).await;
        }
    }
    let v = gql(
        ports[elsewhere],
        Some(&token),
        &format!("mutation {{ cancelPrint(printerId: \"{printer}\", reason: \"scale-out test\") {{ id }} }}"),
        serde_json::json!({}),
    )
    .await;
    assert!(
        v["errors"].is_null(),
        "cancelPrint through replica {elsewhere}: {v}"
    );

    // replanNow on the follower: made by the leader, answered with the plan it wrote.
    let plans_before = count(db, "SELECT COALESCE(MAX(id), 0) FROM plans").await;
    let v = gql(
        ports[follower],
        Some(&token),
        "mutation { replanNow(timeLimitSeconds: 1) { id } }",
        serde_json::json!({}),
    )
    .await;
    assert!(
        v["errors"].is_null(),
        "replanNow on a follower: {v}; {}",
        logs(&farm)
    );
    let id: i64 = v["data"]["replanNow"]["id"].as_str().unwrap().parse().unwrap();
    assert!(id > plans_before, "plan {id}, before {plans_before}");
    assert_eq!(
        count(db, &format!("SELECT COUNT(*) FROM plans WHERE id = {id}")).await,
        1
    );
    // No printer whose agent was on a survivor was marked offline.
    let survivors_printers: Vec<i64> = held_by_others(db, &leader).await;
    let marked = offline_marks_since(db, mark, &survivors_printers).await;
    assert!(marked.is_empty(), "marked offline: {marked:?}; {}", logs(&farm));
    drop(servers);
    t.cleanup().await;
    farm.remove();
}
