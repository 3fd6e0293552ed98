//! The live farm end to end, with the real binaries: `gantry serve` on a fresh database with
//! the demo farm (plus printers up to 20), `gantry printer-tokens`, and
//! `gantry agent --simulate --count 20` (fast clock, some failures). The server is killed with
//! SIGKILL while printers print, then restarted; when the queue has drained:
//! no job lost (nothing left queued, scheduled or printing unless held with a reason), no job
//! printed twice (each job started once, by the server's history and by the agents' own logs),
//! no material consumed twice (one consumption per job key), and every order line's printed /
//! failed counts equal its done / failed jobs, every fully printed order ready.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gantry_engine::domain::equipment::NewPrinter;
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db, equipment};
use sqlx::Row;

const BIN: &str = env!("CARGO_BIN_EXE_gantry");
const PRINTERS: usize = 20;

/// A child process killed (SIGKILL) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("gantry-live-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gantry(db_url: &str, data: &Path, port: u16) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("GANTRY_DATA_DIR", data)
        .env("GANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .env("GANTRY_AGENT_HEARTBEAT_SECS", "2")
        .env("GANTRY_REPLAN_DEBOUNCE_MS", "100")
        .env("GANTRY_MAX_REPRINTS", "3")
        .env("RUST_LOG", "info");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(db_url: &str, data: &Path, port: u16, log: &str) -> Proc {
    let out = std::fs::File::create(data.join(log)).unwrap();
    let child = gantry(db_url, data, port)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "gantry serve did not listen; see {}",
            data.join(log).display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Proc(child)
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn jobs_by_state(db: &Db) -> BTreeMap<String, i64> {
    sqlx::query("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect()
}

/// Jobs neither finished nor held back with a reason.
const OPEN_JOBS: &str = "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'printing') \
     AND id NOT IN (SELECT job_id FROM job_holds)";

/// Adds printers (copies of the first one) until the farm has `n`.
async fn grow_farm(db: &Db, n: usize) {
    let mut tx = db.begin().await.unwrap();
    let printers = equipment::list_printers(&mut tx).await.unwrap();
    let model = equipment::get_printer(&mut tx, printers[0].id).await.unwrap();
    for i in printers.len()..n {
        equipment::create_printer(
            &mut tx,
            gantry_engine::store::now(),
            &NewPrinter {
                name: format!("extra-{:02}", i + 1),
                model: model.model.clone(),
                technology: model.technology,
                build_volume: model.build_volume,
                nozzle_um: model.nozzle_um,
                materials: model.materials.clone(),
                speed_factor_pct: model.speed_factor_pct,
                hourly_cost: model.hourly_cost,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn scenario(backend: Backend) {
    let t = TestDb::new(backend).await.unwrap();
    let db = &t.db;
    let data = temp_dir(backend.name());
    let port = free_port();

    let out = gantry(&t.url, &data, port).arg("demo").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    grow_farm(db, PRINTERS).await;
    let tokens = data.join("tokens.txt");
    let out = gantry(&t.url, &data, port)
        .args(["printer-tokens", "--output"])
        .arg(&tokens)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&tokens).unwrap().lines().count(),
        PRINTERS
    );

    // The longest open job prints in about 3 s of real time.
    let longest = count(
        db,
        "SELECT COALESCE(MAX(est_minutes), 60) FROM jobs WHERE state IN ('queued', 'scheduled', 'printing')",
    )
    .await;
    let speed = (longest * 60 / 3).max(60);
    let before = jobs_by_state(db).await;
    let test_start = gantry_engine::store::now().timestamp_millis();

    let mut server = start_server(&t.url, &data, port, "serve-1.log");
    let agent_log = data.join("agent.log");
    let _agent = Proc(
        gantry(&t.url, &data, port)
            .args([
                "agent",
                "--simulate",
                "--count",
                &PRINTERS.to_string(),
                "--tokens-file",
            ])
            .arg(&tokens)
            .args([
                "--server",
                &format!("http://127.0.0.1:{port}"),
                "--speed",
                &speed.to_string(),
            ])
            .args([
                "--fail-rate",
                "0.15",
                "--seed",
                "3",
                "--auto-clear-secs",
                "0.3",
                "--status-secs",
                "1",
            ])
            .args(["--tick-ms", "100"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&agent_log).unwrap())
            .spawn()
            .unwrap(),
    );

    // Wait until several printers print jobs they were given in this run, then kill -9.
    let printing_now =
        format!("SELECT COUNT(*) FROM jobs WHERE state = 'printing' AND started_at >= {test_start}");
    let deadline = Instant::now() + Duration::from_secs(25);
    while count(db, &printing_now).await < 5 {
        assert!(
            Instant::now() < deadline,
            "printers did not start printing: jobs {:?}; server log:\n{}\nagent log (tail):\n{}",
            jobs_by_state(db).await,
            std::fs::read_to_string(data.join("serve-1.log")).unwrap_or_default(),
            tail(&agent_log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.0.kill(); // SIGKILL
    let _ = server.0.wait();
    let at_kill = jobs_by_state(db).await;
    // The printers keep printing (and finishing) while the server is away.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _server = start_server(&t.url, &data, port, "serve-2.log");

    // Let everything finish: no open job for a second in a row.
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut quiet = 0;
    while quiet < 3 {
        let open = count(db, OPEN_JOBS).await;
        quiet = if open == 0 { quiet + 1 } else { 0 };
        assert!(
            Instant::now() < deadline,
            "{open} jobs still open: {:?} (at kill: {at_kill:?}); server log:\n{}\nagent log (tail):\n{}",
            jobs_by_state(db).await,
            tail(&data.join("serve-2.log")),
            tail(&agent_log)
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let after = jobs_by_state(db).await;
    let done = |m: &BTreeMap<String, i64>| m.get("done").copied().unwrap_or(0);
    assert!(
        done(&after) >= done(&before) + 10,
        "too little was printed: before {before:?}, at kill {at_kill:?}, after {after:?}"
    );

    // No job printed twice: the server's history has one start per job ...
    let twice = count(
        db,
        "SELECT COUNT(*) FROM (SELECT job_id FROM job_events WHERE to_state = 'printing' \
         GROUP BY job_id HAVING COUNT(*) > 1) t",
    )
    .await;
    assert_eq!(twice, 0, "jobs started more than once");
    // ... and so do the printers' own logs (each job accepted and started by one printer, once).
    let log = std::fs::read_to_string(&agent_log).unwrap();
    let mut starts: BTreeMap<i64, usize> = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("job started")) {
        let job = line
            .split("job=")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("no job id in {line:?}"));
        *starts.entry(job).or_default() += 1;
    }
    assert!(starts.len() >= 10, "{starts:?}");
    let repeated: Vec<_> = starts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "printed twice by the agents: {repeated:?}");
    // Every job an agent started ended done or failed in the database.
    for job in starts.keys() {
        let state: String = sqlx::query("SELECT state FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
        assert!(
            ["done", "failed", "requeued"].contains(&state.as_str()),
            "job {job} printed but is {state}"
        );
    }

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
    let _ = std::fs::remove_dir_all(&data);
}

fn tail(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_20_printers_print_loses_and_repeats_nothing_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_20_printers_print_loses_and_repeats_nothing_postgres() {
    scenario(Backend::Postgres).await;
}
