//! Shared by the end-to-end live-farm tests: the real `gantry` binary as server and agents,
//! on a fresh database with the demo farm.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gantry_engine::domain::equipment::NewPrinter;
use gantry_engine::store::{Db, equipment};
use sqlx::Row;

pub const BIN: &str = env!("CARGO_BIN_EXE_gantry");
/// A child process killed (SIGKILL) on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("gantry-live-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn gantry(db_url: &str, data: &Path, port: u16) -> Command {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start_server(db_url: &str, data: &Path, port: u16, log: &str) -> Proc {
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

pub async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

pub async fn jobs_by_state(db: &Db) -> BTreeMap<String, i64> {
    sqlx::query("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect()
}

/// Jobs neither finished nor held back with a reason.
pub const OPEN_JOBS: &str = "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'printing') \
     AND id NOT IN (SELECT job_id FROM job_holds)";

/// Adds printers (copies of the first one) until the farm has `n`.
pub async fn grow_farm(db: &Db, n: usize) {
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

pub fn tail(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A prepared farm: a fresh database with the demo farm grown to `printers` printers, a data
/// directory and a token per printer, and a free port for the server.
pub struct Farm {
    pub data: PathBuf,
    pub port: u16,
    pub tokens: PathBuf,
    pub url: String,
}

impl Farm {
    pub async fn prepare(db: &Db, url: &str, tag: &str, printers: usize) -> Farm {
        let data = temp_dir(tag);
        let port = free_port();
        let out = gantry(url, &data, port).arg("demo").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        grow_farm(db, printers).await;
        let tokens = data.join("tokens.txt");
        let out = gantry(url, &data, port)
            .args(["printer-tokens", "--output"])
            .arg(&tokens)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            std::fs::read_to_string(&tokens).unwrap().lines().count(),
            printers
        );
        Farm {
            data,
            port,
            tokens,
            url: url.to_string(),
        }
    }

    pub fn serve(&self, log: &str) -> Proc {
        start_server(&self.url, &self.data, self.port, log)
    }

    /// `gantry agent --simulate` for every printer, logging to `agent.log`; `extra` flags after
    /// the common ones.
    pub fn agents(&self, count: usize, speed: i64, extra: &[&str]) -> Proc {
        let cmd = gantry(&self.url, &self.data, self.port);
        self.agents_with(cmd, &["agent"], count, speed, extra)
    }

    /// Like [`Farm::agents`], with another program (e.g. the standalone `gantry-agent`) and the
    /// arguments before the agent flags.
    pub fn agents_with(
        &self,
        mut cmd: Command,
        pre: &[&str],
        count: usize,
        speed: i64,
        extra: &[&str],
    ) -> Proc {
        let log = std::fs::File::create(self.data.join("agent.log")).unwrap();
        Proc(
            cmd.args(pre)
                .args(["--simulate", "--count", &count.to_string(), "--tokens-file"])
                .arg(&self.tokens)
                .args([
                    "--server",
                    &format!("http://127.0.0.1:{}", self.port),
                    "--speed",
                    &speed.to_string(),
                    "--tick-ms",
                    "100",
                ])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.data.join("agent.log")).unwrap_or_default()
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The speed-up for the simulated printers so that the longest open job prints in about
/// `secs` seconds of real time.
pub async fn speed_for(db: &Db, secs: i64) -> i64 {
    let longest = count(
        db,
        "SELECT COALESCE(MAX(est_minutes), 60) FROM jobs WHERE state IN ('queued', 'scheduled', 'printing')",
    )
    .await;
    (longest * 60 / secs).max(60)
}

/// Waits until at least `n` jobs started at or after `since` (epoch ms) are printing.
pub async fn wait_printing(db: &Db, since: i64, n: i64, what: impl Fn() -> String) {
    let printing_now =
        format!("SELECT COUNT(*) FROM jobs WHERE state = 'printing' AND started_at >= {since}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(db, &printing_now).await < n {
        assert!(
            Instant::now() < deadline,
            "printers did not start printing: jobs {:?}; {}",
            jobs_by_state(db).await,
            what()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until no job is open (queued, scheduled or printing without a hold) three polls in
/// a row.
pub async fn wait_drained(db: &Db, secs: u64, what: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut quiet = 0;
    while quiet < 3 {
        let open = count(db, OPEN_JOBS).await;
        quiet = if open == 0 { quiet + 1 } else { 0 };
        assert!(
            Instant::now() < deadline,
            "{open} jobs still open: {:?}; {}",
            jobs_by_state(db).await,
            what()
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// Jobs the agents' logs say were started, with how often.
/// The agents' starts by job (from their log), after checking that no job was started by more
/// than one agent or twice, and that every started job ended done, failed or requeued in the
/// database; `context` (e.g. the server log's tail) is added to that last failure.
pub async fn agents_printed_each_job_once(db: &Db, log: &str, context: &str) -> BTreeMap<i64, usize> {
    let starts = agent_starts(log);
    let repeated: Vec<_> = starts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "printed twice by the agents: {repeated:?}");
    for job in starts.keys() {
        let state: String = sqlx::query("SELECT state FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
        assert!(
            ["done", "failed", "requeued"].contains(&state.as_str()),
            "job {job} printed but is {state}{context}"
        );
    }
    starts
}

pub fn agent_starts(log: &str) -> BTreeMap<i64, usize> {
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
    starts
}

/// Jobs the server's history shows started more than once.
pub async fn started_twice(db: &Db) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM (SELECT job_id FROM job_events WHERE to_state = 'printing' \
         GROUP BY job_id HAVING COUNT(*) > 1) t",
    )
    .await
}

/// Lines of the agents' log where the server refused a message.
pub fn refusals(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("server refused a message"))
        .collect()
}
