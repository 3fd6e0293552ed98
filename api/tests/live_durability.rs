//! The live farm end to end, with the real binaries: `gantry serve` on a fresh database with
//! the demo farm (plus printers up to 20), `gantry printer-tokens`, and
//! `gantry agent --simulate --count 20` (fast clock, some failures). The server is killed with
//! SIGKILL while printers print, then restarted; when the queue has drained:
//! no job lost (nothing left queued, scheduled or printing unless held with a reason), no job
//! printed twice (each job started once, by the server's history and by the agents' own logs),
//! no material consumed twice (one consumption per job key), and every order line's printed /
//! failed counts equal its done / failed jobs, every fully printed order ready.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;

use std::collections::BTreeMap;
use std::time::Duration;

use gantry_engine::store::Backend;
use gantry_engine::store::testing::TestDb;
use live::*;
use sqlx::Row;

const PRINTERS: usize = 20;

async fn scenario(backend: Backend) {
    let t = TestDb::new(backend).await.unwrap();
    let db = &t.db;
    let farm = Farm::prepare(db, &t.url, backend.name(), PRINTERS).await;
    let data = &farm.data;
    let agent_log = data.join("agent.log");

    // The longest open job prints in about 3 s of real time.
    let speed = speed_for(db, 3).await;
    let before = jobs_by_state(db).await;
    let test_start = gantry_engine::store::now().timestamp_millis();

    let mut server = farm.serve("serve-1.log");
    let _agent = farm.agents(
        PRINTERS,
        speed,
        &[
            "--fail-rate",
            "0.15",
            "--seed",
            "3",
            "--auto-clear-secs",
            "0.3",
            "--status-secs",
            "1",
        ],
    );

    // Wait until several printers print jobs they were given in this run, then kill -9.
    wait_printing(db, test_start, 5, || {
        format!(
            "server log:\n{}\nagent log (tail):\n{}",
            std::fs::read_to_string(data.join("serve-1.log")).unwrap_or_default(),
            tail(&agent_log)
        )
    })
    .await;
    let _ = server.0.kill(); // SIGKILL
    let _ = server.0.wait();
    let at_kill = jobs_by_state(db).await;
    // The printers keep printing (and finishing) while the server is away.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _server = farm.serve("serve-2.log");

    // Let everything finish: no open job for a second in a row.
    wait_drained(db, 45, || {
        format!(
            "(at kill: {at_kill:?}); server log:\n{}\nagent log (tail):\n{}",
            tail(&data.join("serve-2.log")),
            tail(&agent_log)
        )
    })
    .await;
    let after = jobs_by_state(db).await;
    let done = |m: &BTreeMap<String, i64>| m.get("done").copied().unwrap_or(0);
    assert!(
        done(&after) >= done(&before) + 10,
        "too little was printed: before {before:?}, at kill {at_kill:?}, after {after:?}"
    );

    // No job printed twice: the server's history has one start per job ...
    assert_eq!(started_twice(db).await, 0, "jobs started more than once");
    // ... and so do the printers' own logs (each job accepted and started by one printer, once).
    // Every job an agent started ended done or failed in the database.
    let starts = agents_printed_each_job_once(db, &farm.agent_log(), "").await;
    assert!(starts.len() >= 10, "{starts:?}");

    // No material consumed twice: per job key, the consumption movements (one per spool drawn
    // from) add up to at most the job's grams, and to exactly its grams for a job printed here.
    let rows = sqlx::query(
        "SELECT j.id, j.grams, j.state, j.finished_at, \
           CAST(COALESCE((SELECT -SUM(m.grams) FROM stock_movements m WHERE m.kind = 'consumption' \
             AND m.job_key = 'job:' || CAST(j.id AS TEXT)), 0) AS BIGINT) \
         FROM jobs j",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut consumed_here = 0;
    for r in &rows {
        let (job, grams, state, finished, used): (i64, i64, String, Option<i64>, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        assert!(
            used <= grams,
            "job {job} ({state}): {used} g consumed for a {grams} g job"
        );
        if state == "done" && finished.is_some_and(|f| f >= test_start) {
            assert_eq!(
                used, grams,
                "job {job} printed in this run consumed {used} g of {grams} g"
            );
            consumed_here += 1;
        }
    }
    assert!(consumed_here >= 10, "{consumed_here}");

    // Order counts match the jobs.
    let rows = sqlx::query(
        "SELECT l.id, l.quantity, l.printed_count, l.failed_count, \
           CAST(COALESCE((SELECT SUM(copies) FROM jobs j WHERE j.order_line_id = l.id AND j.state = 'done'), 0) AS BIGINT), \
           CAST(COALESCE((SELECT SUM(copies) FROM jobs j WHERE j.order_line_id = l.id \
             AND j.state IN ('failed', 'requeued', 'abandoned')), 0) AS BIGINT), \
           o.status, o.id \
         FROM order_lines l JOIN orders o ON o.id = l.order_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut complete: BTreeMap<i64, (bool, String)> = BTreeMap::new();
    for r in &rows {
        let (line, qty, printed, failed, done_copies, failed_copies): (i64, i64, i64, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        assert_eq!(printed, done_copies, "line {line}: printed_count vs done jobs");
        assert_eq!(failed, failed_copies, "line {line}: failed_count vs failed jobs");
        let e = complete.entry(r.get::<i64, _>(7)).or_insert((true, r.get(6)));
        e.0 &= printed >= qty;
    }
    for (order, (all_printed, status)) in &complete {
        if status == "in_production" {
            assert!(
                !all_printed,
                "order {order} is fully printed but still in production"
            );
        }
    }
    let flagged = count(db, "SELECT COUNT(*) FROM order_flags").await;
    let ready = count(db, "SELECT COUNT(*) FROM orders WHERE status = 'ready'").await;
    eprintln!(
        "{}: speed {speed}x, jobs before {before:?}, at kill {at_kill:?}, after {after:?}; \
         {} jobs printed by agents, {ready} orders ready, {flagged} flagged",
        backend.name(),
        starts.len()
    );
    drop(_agent);
    drop(_server);
    t.cleanup().await;
    farm.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_20_printers_print_loses_and_repeats_nothing_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_20_printers_print_loses_and_repeats_nothing_postgres() {
    scenario(Backend::Postgres).await;
}
