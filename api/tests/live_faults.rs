//! The live farm end to end under faults, with the real binaries (`gantry serve`, `gantry agent
//! --simulate`):
//! - the database becomes read-only for a few seconds while printers print (a failover): no agent
//!   message is lost or refused, every job ends exactly once;
//! - the server is away while jobs finish, and the agents send no periodic status
//!   (`--status-secs 0`): after the restart every printer returns to idle and takes new work,
//!   and no agent message is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;

use std::time::Duration;

use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db};
use live::*;

const PRINTERS: usize = 14; // the demo farm's printers

/// Every job an agent started ended (done, failed or requeued), none was started or finished
/// twice, and no agent message was refused.
async fn assert_nothing_lost(db: &Db, farm: &Farm, server_log: &str) {
    let log = farm.agent_log();
    let refused = refusals(&log);
    assert!(
        refused.is_empty(),
        "the server refused agent messages:\n{}",
        refused.join("\n")
    );
    assert_eq!(started_twice(db).await, 0, "jobs started more than once");
    let done_twice = count(
        db,
        "SELECT COUNT(*) FROM (SELECT job_id FROM job_events WHERE to_state = 'done' \
         GROUP BY job_id HAVING COUNT(*) > 1) t",
    )
    .await;
    assert_eq!(done_twice, 0, "jobs finished more than once");
    let context = format!("; server log:\n{}", tail(&farm.data.join(server_log)));
    let starts = agents_printed_each_job_once(db, &log, &context).await;
    assert!(starts.len() >= 8, "too little was printed: {starts:?}");
}

/// Makes the test database read-only for `secs` seconds the way a failover does: new sessions
/// are read-only and the open ones are cut (mid-transaction for some); then writable again.
async fn read_only_for(url: &str, secs: u64) {
    let admin_url = std::env::var("GANTRY_TEST_PG_URL")
        .unwrap_or_else(|_| gantry_engine::store::testing::DEFAULT_PG_URL.to_string());
    let name = url.rsplit('/').next().unwrap().to_string();
    let admin = Db::connect(&admin_url).await.unwrap();
    let exec = |sql: String| {
        let admin = admin.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(admin.pool())
                .await
                .unwrap();
        }
    };
    let cut = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    exec(format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    ))
    .await;
    exec(cut.clone()).await;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    exec(format!(
        "ALTER DATABASE {name} RESET default_transaction_read_only"
    ))
    .await;
    exec(cut).await;
    admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_loses_no_agent_message_postgres() {
    let t = TestDb::new(Backend::Postgres).await.unwrap();
    let db = &t.db;
    let farm = Farm::prepare(db, &t.url, "readonly", PRINTERS).await;
    let speed = speed_for(db, 3).await;
    let start = gantry_engine::store::now().timestamp_millis();
    let server = farm.serve("serve.log");
    let agents = farm.agents(
        PRINTERS,
        speed,
        &[
            "--fail-rate",
            "0.1",
            "--seed",
            "5",
            "--auto-clear-secs",
            "0.3",
            "--status-secs",
            "1",
        ],
    );
    let logs = || {
        format!(
            "server log:\n{}\nagent log:\n{}",
            tail(&farm.data.join("serve.log")),
            tail(&farm.data.join("agent.log"))
        )
    };
    wait_printing(db, start, 5, logs).await;
    read_only_for(&t.url, 6).await;
    wait_drained(db, 90, logs).await;
    let server_log = std::fs::read_to_string(farm.data.join("serve.log")).unwrap();
    assert!(
        server_log.contains("store unavailable"),
        "the outage hit no agent message, so this run tests nothing; server log:\n{}",
        tail(&farm.data.join("serve.log"))
    );
    assert_nothing_lost(db, &farm, "serve.log").await;
    drop(agents);
    drop(server);
    t.cleanup().await;
    farm.remove();
}

async fn restart_without_status_reports(backend: Backend) {
    let t = TestDb::new(backend).await.unwrap();
    let db = &t.db;
    let farm = Farm::prepare(db, &t.url, "restart", PRINTERS).await;
    let speed = speed_for(db, 2).await;
    let start = gantry_engine::store::now().timestamp_millis();
    let mut server = farm.serve("serve-1.log");
    let agents = farm.agents(
        PRINTERS,
        speed,
        &["--seed", "7", "--auto-clear-secs", "0.3", "--status-secs", "0"],
    );
    let logs = |log: &'static str| {
        let farm = &farm;
        move || {
            format!(
                "server log:\n{}\nagent log:\n{}",
                tail(&farm.data.join(log)),
                tail(&farm.data.join("agent.log"))
            )
        }
    };
    wait_printing(db, start, 5, logs("serve-1.log")).await;
    let _ = server.0.kill(); // SIGKILL: the jobs printing now finish while no server is there
    let _ = server.0.wait();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _server = farm.serve("serve-2.log");
    // Every printer takes new work until the queue is empty: a printer stuck in PRINTING with
    // no job (the stale-progress bug) would never get work again with status reports off.
    wait_drained(db, 90, logs("serve-2.log")).await;
    let stuck = count(
        db,
        "SELECT COUNT(*) FROM printers WHERE status IN ('printing', 'paused', 'needs_bed_clearing')",
    )
    .await;
    assert_eq!(
        stuck,
        0,
        "printers not idle after the queue drained; {}",
        logs("serve-2.log")()
    );
    assert_nothing_lost(db, &farm, "serve-2.log").await;
    drop(agents);
    t.cleanup().await;
    farm.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_every_printer_takes_new_work_sqlite() {
    restart_without_status_reports(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_every_printer_takes_new_work_postgres() {
    restart_without_status_reports(Backend::Postgres).await;
}
