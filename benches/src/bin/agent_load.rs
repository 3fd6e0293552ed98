//! Live-farm load benchmark: N simulated agent connections in one process (the agent crate's
//! WebSocket client) against one `gantry serve`, each sending a status once a second.
//!
//! Reports, per N: connections made, statuses sent and acknowledged, p50 / p99 / max time from
//! a status sent to its `ack` (the server acknowledges after the commit, so the state is
//! visible from then on; a spot check reads it back through GraphQL), the server's CPU (percent
//! of one core, from `/proc/<pid>/stat`) and peak RSS (`/proc/<pid>/status`).
//!
//! ```text
//! cargo build --release -p gantry-api -p gantry-benches --features agent --bin gantry --bin agent-load
//! target/release/agent-load --gantry target/release/gantry --counts 100,1000,10000 --secs 20
//! ```
//! Options: `--database-url URL` (default: a fresh SQLite file), `--ramp K` (concurrent
//! connection attempts, default 200). The benchmark creates the printers (`load-00001`, …),
//! mints their tokens with `gantry printer-tokens`, and starts and stops the server itself.
//!
//! Hand-over mode, `--handover P,J`: P printers and a paid order of J one-plate jobs in
//! production (the engine's live-farm fixture: material in stock, the server's scheduler plans
//! them); P agents print whatever they are assigned at once (`job_started`, then
//! `job_completed` and `bed_cleared` back to back, as an agent whose plate is cleared
//! automatically). Reports p50 / p99 / max time from `job_completed` sent to the next
//! `assign_job` received, over every completion that had a next job (target: under 1 s).
//! ```text
//! target/release/agent-load --gantry target/release/gantry --handover 20,400
//! ```
//!
//! Telemetry mode, `--telemetry N[,S]`: N printers reporting readings at 1 Hz, S subscribers of
//! `printerTelemetry`; the delay from a report to a subscriber (`telemetry_load.rs`).
//!
//! Several replicas (issue 16), `--replicas R` with `--database-url postgres://…`: R servers of
//! one cluster on that database, agent i connected to replica i mod R; the same rounds and
//! table, CPU and RSS summed over the replicas. Failover, `--failover K` (with `--replicas R`,
//! default 3): K times, the leader is killed with SIGKILL and the time until another replica
//! holds the lease is measured, then the leader is stopped with SIGTERM and measured likewise
//! (`replicas_load.rs`).
//! ```text
//! target/release/agent-load --gantry target/release/gantry --database-url postgres://… \
//!     --replicas 3 --counts 1000,10000 --secs 20
//! target/release/agent-load --gantry target/release/gantry --database-url postgres://… --failover 5
//! ```

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_agent::conn::Connection;
use gantry_agent::outbox::{Outbox, boot_id};
use gantry_engine::domain::equipment::{Dimensions, NewPrinter, Technology};
use gantry_engine::domain::inventory::MaterialKind;
use gantry_engine::domain::protocol::{AgentMessage, AgentState, ServerMessage, Temperatures};
use gantry_engine::domain::types::{Currency, Money};
use gantry_engine::store::{Db, equipment};

#[path = "../telemetry_load.rs"]
mod telemetry_load;

#[path = "../replicas_load.rs"]
mod replicas_load;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const ADMIN_EMAIL: &str = "load-admin@gantry.local";
const ADMIN_PASSWORD: &str = "agent load benchmark";

struct Args {
    gantry: PathBuf,
    counts: Vec<usize>,
    secs: u64,
    database_url: Option<String>,
    ramp: usize,
    /// Hand-over mode: (printers, jobs).
    handover: Option<(usize, i64)>,
    /// Telemetry mode: (printers, subscribers).
    telemetry: Option<(usize, usize)>,
    /// Servers of one cluster on `--database-url` (PostgreSQL); agents spread over them.
    replicas: usize,
    /// Failover mode: trials of a leader killed (SIGKILL) and stopped (SIGTERM).
    failover: Option<usize>,
}

fn parse_args() -> Res<Args> {
    let mut a = Args {
        gantry: PathBuf::from("target/release/gantry"),
        counts: vec![100, 1000],
        secs: 20,
        database_url: None,
        ramp: 200,
        handover: None,
        telemetry: None,
        replicas: 1,
        failover: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--gantry" => a.gantry = PathBuf::from(val()?),
            "--counts" => {
                a.counts = val()?
                    .split(',')
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<_, _>>()?
            }
            "--secs" => a.secs = val()?.parse()?,
            "--database-url" => a.database_url = Some(val()?),
            "--ramp" => a.ramp = val()?.parse()?,
            "--handover" => {
                let v = val()?;
                let (p, j) = v.split_once(',').ok_or("--handover takes PRINTERS,JOBS")?;
                let (p, j) = (p.trim().parse::<usize>()?, j.trim().parse::<i64>()?);
                if p == 0 || j <= 0 {
                    return Err("--handover needs positive numbers".into());
                }
                a.handover = Some((p, j));
            }
            "--telemetry" => {
                let v = val()?;
                let (p, subs) = v.split_once(',').unwrap_or((v.as_str(), "1"));
                let (p, subs) = (p.trim().parse::<usize>()?, subs.trim().parse::<usize>()?);
                if p == 0 || subs == 0 {
                    return Err("--telemetry needs positive numbers".into());
                }
                a.telemetry = Some((p, subs));
            }
            "--replicas" => {
                a.replicas = val()?.parse()?;
                if a.replicas == 0 {
                    return Err("--replicas needs a positive number".into());
                }
            }
            "--failover" => {
                let k: usize = val()?.parse()?;
                if k == 0 {
                    return Err("--failover needs a positive number of trials".into());
                }
                a.failover = Some(k);
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if a.counts.is_empty() || a.counts.contains(&0) {
        return Err("--counts must list positive numbers".into());
    }
    Ok(a)
}

/// `gantry serve`, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gantry(bin: &Path, db_url: &str, data: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("GANTRY_DATA_DIR", data)
        .env("GANTRY_AGENT_HEARTBEAT_SECS", "30")
        // One secret for every server of a run (replicas of one cluster must share it).
        .env(
            "GANTRY_JWT_SECRET",
            "agent-load-benchmark-secret-0123456789abcdef",
        )
        .env("RUST_LOG", "warn");
    if let Ok(v) = std::env::var("GANTRY_LEADER_LEASE_SECS") {
        c.env("GANTRY_LEADER_LEASE_SECS", v);
    }
    c
}

/// A fresh data directory under the system temp dir and the database URL of the run (the
/// given `--database-url`, or a SQLite file in that directory), migrated.
fn scratch(args: &Args, stem: &str) -> Res<(PathBuf, String)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let data = std::env::temp_dir().join(format!("gantry-agent-{stem}-{nanos}"));
    std::fs::create_dir_all(&data)?;
    let db_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data.join(format!("{stem}.sqlite")).display()));
    let mut c = gantry(&args.gantry, &db_url, &data);
    c.arg("migrate");
    run_ok(c, None)?;
    Ok((data, db_url))
}

/// Starts `gantry serve` on a free port and waits (up to 2 minutes) until it accepts connections.
async fn serve(bin: &Path, db_url: &str, data: &Path) -> Res<Server> {
    serve_logged(bin, db_url, data, "serve.log").await
}

/// [`serve`] with its log in `data/log`.
async fn serve_logged(bin: &Path, db_url: &str, data: &Path, log: &str) -> Res<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = gantry(bin, db_url, data)
        .env("GANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data.join(log))?)
        .spawn()?;
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("gantry serve did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(server)
}

fn run_ok(mut c: Command, stdin: Option<&str>) -> Res<String> {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn()?;
    if let (Some(text), Some(mut s)) = (stdin, child.stdin.take()) {
        s.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(format!("{c:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn create_printers(db_url: &str, n: usize) -> Res<()> {
    let db = Db::connect(db_url).await?;
    let mut tx = db.begin().await?;
    let now = gantry_engine::store::now();
    for i in 1..=n {
        equipment::create_printer(
            &mut tx,
            now,
            &NewPrinter {
                name: format!("load-{i:05}"),
                model: "Load test printer".into(),
                technology: Technology::Fdm,
                build_volume: Dimensions::new(250, 210, 220),
                nozzle_um: 400,
                materials: vec![MaterialKind::Pla],
                speed_factor_pct: 100,
                hourly_cost: Money::new(100, Currency::EUR),
            },
        )
        .await?;
    }
    tx.commit().await?;
    db.close().await;
    Ok(())
}

/// Server CPU time (utime + stime) in clock ticks, and RSS in KiB.
fn proc_sample(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((ticks, rss))
}

/// [`proc_sample`] summed over several processes.
fn proc_sum(pids: &[u32]) -> Option<(u64, u64)> {
    pids.iter().try_fold((0, 0), |(t, r), pid| {
        let (t1, r1) = proc_sample(*pid)?;
        Some((t + t1, r + r1))
    })
}

fn clk_tck() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

async fn connect(server: &str, token: &str, outbox: &mut Outbox) -> Res<(Connection, i64)> {
    let mut c = Connection::open(server, token).await?;
    let (_, hello) = outbox.once(AgentMessage::Hello {
        agent: "agent-load".into(),
        capabilities: vec![],
        loaded_material: None,
        state: AgentState::Idle,
        current_job: None,
        progress_pct: None,
    });
    c.send_text(hello).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = tokio::time::timeout_at(deadline.into(), c.recv()).await??;
        if let ServerMessage::Welcome { printer_id, .. } = m {
            return Ok((c, printer_id));
        }
    }
}

fn status(outbox: &mut Outbox, state: AgentState) -> (String, String) {
    outbox.once(AgentMessage::Status {
        state,
        job: None,
        progress_pct: None,
        temperatures: Temperatures {
            nozzle_c: Some(24.5),
            bed_c: Some(23.0),
            ..Default::default()
        },
        seconds_left: None,
        readings: Default::default(),
    })
}

/// Sends a status once a second from `start + offset` until `end`; returns the ack latencies
/// (µs), the statuses sent, and whether the connection stayed up.
async fn drive(
    mut c: Connection,
    mut outbox: Outbox,
    start: Instant,
    offset: Duration,
    end: Instant,
) -> (Vec<u64>, u64, bool) {
    let mut next = start + offset;
    let mut pending: HashMap<String, Instant> = HashMap::new();
    let mut lat = Vec::new();
    let mut sent = 0;
    let give_up = end + Duration::from_secs(5);
    loop {
        if Instant::now() >= end && pending.is_empty() {
            c.close().await;
            return (lat, sent, true);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()), if next < end => {
                let (id, text) = status(&mut outbox, AgentState::Idle);
                pending.insert(id, Instant::now());
                sent += 1;
                if c.send_text(text).await.is_err() {
                    return (lat, sent, false);
                }
                next += Duration::from_secs(1);
            }
            m = c.recv() => match m {
                Ok(ServerMessage::Ack { id, .. }) => {
                    if let Some(t) = pending.remove(&id) {
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                }
                Ok(_) => {}
                Err(_) => return (lat, sent, false),
            },
            _ = tokio::time::sleep_until(give_up.into()) => return (lat, sent, true),
        }
    }
}

struct Round {
    n: usize,
    connected: usize,
    connect_secs: f64,
    sent: u64,
    acked: usize,
    dropped: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    cpu_pct: f64,
    rss_mb: f64,
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// One measured round: `n` agents spread over `servers` (agent i on server i mod len), each
/// sending a status a second for `secs`; CPU and RSS are the servers' sums.
async fn round(servers: &[Server], tokens: &[String], n: usize, secs: u64, ramp: usize) -> Res<Round> {
    let urls: Vec<String> = servers
        .iter()
        .map(|s| format!("http://127.0.0.1:{}", s.port))
        .collect();
    let boot = boot_id();
    let t0 = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(ramp.max(1)));
    let mut opening = tokio::task::JoinSet::new();
    for (i, token) in tokens.iter().take(n).enumerate() {
        let url = urls[i % urls.len()].clone();
        let (token, sem, boot) = (token.clone(), sem.clone(), boot.clone());
        opening.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            let mut outbox = Outbox::new(format!("{boot}{i}"));
            match connect(&url, &token, &mut outbox).await {
                Ok((c, _)) => Some((i, c, outbox)),
                Err(e) => {
                    eprintln!("connection {i}: {e}");
                    None
                }
            }
        });
    }
    let mut conns = Vec::new();
    while let Some(r) = opening.join_next().await {
        if let Ok(Some(c)) = r {
            conns.push(c);
        }
    }
    let connect_secs = t0.elapsed().as_secs_f64();
    let connected = conns.len();
    eprintln!("N={n}: {connected} connected in {connect_secs:.1} s; sending statuses for {secs} s");
    // Let the connection burst settle, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    let (cpu0, _) = proc_sum(&pids).ok_or("cannot read a server's /proc entry")?;
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, c, outbox) in conns {
        // Spread the sends over the second.
        let offset = Duration::from_micros((i as u64 * 1_000_000 / n as u64) % 1_000_000);
        tasks.spawn(drive(c, outbox, start, offset, end));
    }
    let mut rss_peak = 0;
    let sampler = async {
        while Instant::now() < end {
            if let Some((_, rss)) = proc_sum(&pids) {
                rss_peak = rss_peak.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    sampler.await;
    let (cpu1, rss) = proc_sum(&pids).ok_or("cannot read a server's /proc entry")?;
    let wall = start.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    let (mut sent, mut dropped) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        if let Ok((l, s, ok)) = r {
            lat.extend(l);
            sent += s;
            dropped += usize::from(!ok);
        }
    }
    lat.sort_unstable();
    Ok(Round {
        n,
        connected,
        connect_secs,
        sent,
        acked: lat.len(),
        dropped,
        p50_ms: pct(&lat, 0.50),
        p99_ms: pct(&lat, 0.99),
        max_ms: lat.last().map_or(f64::NAN, |v| *v as f64 / 1000.0),
        cpu_pct: (cpu1.saturating_sub(cpu0)) as f64 / clk_tck() as f64 / wall.min(secs as f64 + 5.0) * 100.0,
        rss_mb: rss_peak.max(rss) as f64 / 1024.0,
    })
}

/// After an ack, the reported state is visible through GraphQL (`printer(id) { status }`).
async fn spot_check(server: &Server, tokens: &[String], http: &reqwest::Client, access: &str) -> Res<usize> {
    let url = format!("http://127.0.0.1:{}", server.port);
    let mut ok = 0;
    for (i, token) in tokens.iter().take(5).enumerate() {
        let mut outbox = Outbox::new(format!("spot{}{i}", boot_id()));
        let (mut c, printer_id) = connect(&url, token, &mut outbox).await?;
        for (state, want) in [(AgentState::Error, "ERROR"), (AgentState::Idle, "IDLE")] {
            let (id, text) = status(&mut outbox, state);
            c.send_text(text).await?;
            loop {
                if let ServerMessage::Ack { id: acked, .. } = c.recv().await?
                    && acked == id
                {
                    break;
                }
            }
            let v: serde_json::Value = http
                .post(format!("{url}/graphql"))
                .bearer_auth(access)
                .json(&serde_json::json!({
                    "query": "query($id: ID!) { printer(id: $id) { status } }",
                    "variables": {"id": printer_id.to_string()},
                }))
                .send()
                .await?
                .json()
                .await?;
            let got = v
                .pointer("/data/printer/status")
                .and_then(|s| s.as_str())
                .unwrap_or("");
            if got.eq_ignore_ascii_case(want) {
                ok += 1;
            } else {
                eprintln!("spot check: printer {printer_id} shows {v} after an acked {want}");
            }
        }
        c.close().await;
    }
    Ok(ok)
}

async fn login(http: &reqwest::Client, port: u16) -> Res<String> {
    let v: serde_json::Value = http
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&serde_json::json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
        }))
        .send()
        .await?
        .json()
        .await?;
    v.pointer("/data/login/accessToken")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("login failed: {v}").into())
}

/// One hand-over agent: prints every assigned job at once; returns the latencies (µs) from
/// `job_completed` sent to the next `assign_job` received, and the jobs it printed.
async fn handover_agent(mut c: Connection, mut outbox: Outbox, until: Instant) -> (Vec<u64>, u64) {
    let mut lat = Vec::new();
    let mut done = 0;
    let mut completed_at: Option<Instant> = None;
    loop {
        let m = match tokio::time::timeout_at(until.into(), c.recv()).await {
            Ok(Ok(m)) => m,
            _ => break,
        };
        let ServerMessage::AssignJob { assignment } = m else {
            continue;
        };
        if let Some(t) = completed_at.take() {
            lat.push(t.elapsed().as_micros() as u64);
        }
        let job = assignment.job;
        let (_, started) = outbox.once(AgentMessage::JobStarted { job });
        if c.send_text(started).await.is_err() {
            break;
        }
        let (_, completed) = outbox.once(AgentMessage::JobCompleted { job });
        let (_, cleared) = outbox.once(AgentMessage::BedCleared {});
        completed_at = Some(Instant::now());
        if c.send_text(completed).await.is_err() || c.send_text(cleared).await.is_err() {
            break;
        }
        done += 1;
    }
    c.close().await;
    (lat, done)
}

/// Hand-over mode (see the module documentation).
async fn handover(args: &Args, printers: usize, jobs: i64) -> Res<()> {
    let (data, db_url) = scratch(args, "handover")?;
    {
        let db = Db::connect(&db_url).await?;
        gantry_engine::store::live::testing::farm(
            &db,
            gantry_engine::store::now(),
            printers,
            jobs * 10,
            jobs,
        )
        .await?;
        db.close().await;
    }
    let tokens_file = data.join("tokens.txt");
    let mut c = gantry(&args.gantry, &db_url, &data);
    c.args(["printer-tokens", "--output"]).arg(&tokens_file);
    run_ok(c, None)?;
    let tokens: Vec<String> = std::fs::read_to_string(&tokens_file)?
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let server = serve(&args.gantry, &db_url, &data).await?;
    let url = format!("http://127.0.0.1:{}", server.port);
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(args.secs.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, token) in tokens.iter().take(printers).enumerate() {
        let mut outbox = Outbox::new(format!("{}h{i}", boot_id()));
        let (c, _) = connect(&url, token, &mut outbox).await?;
        tasks.spawn(handover_agent(c, outbox, until));
    }
    let (pid, cpu0) = (
        server.child.id(),
        proc_sample(server.child.id()).map_or(0, |s| s.0),
    );
    let mut lat = Vec::new();
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        if let Ok((l, d)) = r {
            lat.extend(l);
            done += d;
        }
    }
    let cpu1 = proc_sample(pid).map_or(0, |s| s.0);
    let wall = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let within = lat.iter().filter(|&&v| v < 1_000_000).count();
    println!(
        "| printers | jobs | printed in {}s | hand-overs measured | p50 ms | p99 ms | max ms | under 1 s | server CPU % of 1 core |",
        args.secs
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {printers} | {jobs} | {done} | {} | {:.1} | {:.1} | {:.1} | {within}/{} | {:.0} |",
        lat.len(),
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        lat.last().map_or(f64::NAN, |v| *v as f64 / 1000.0),
        lat.len(),
        cpu1.saturating_sub(cpu0) as f64 / clk_tck() as f64 / wall * 100.0,
    );
    drop(server);
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}

/// A scratch database with `n` printers, a printer token each and the admin user; (data
/// directory, database URL, tokens).
async fn farm_with_tokens(args: &Args, stem: &str, n: usize) -> Res<(PathBuf, String, Vec<String>)> {
    let (data, db_url) = scratch(args, stem)?;
    eprintln!("preparing {n} printers in {db_url}");
    create_printers(&db_url, n).await?;
    let tokens_file = data.join("tokens.txt");
    let mut c = gantry(&args.gantry, &db_url, &data);
    c.args(["printer-tokens", "--output"]).arg(&tokens_file);
    run_ok(c, None)?;
    let tokens: Vec<String> = std::fs::read_to_string(&tokens_file)?
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let mut c = gantry(&args.gantry, &db_url, &data);
    c.args([
        "create-user",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Load",
        "--role",
        "admin",
    ]);
    run_ok(c, Some(&format!("{ADMIN_PASSWORD}\n")))?;
    Ok((data, db_url, tokens))
}

/// The rounds as a Markdown table.
fn print_rounds(rows: &[Round]) {
    println!(
        "| agents | connected (s to connect) | statuses sent | acked | dropped conns | p50 ms | p99 ms | max ms | server CPU % of 1 core | server RSS MB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} ({:.1}) | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            r.n,
            r.connected,
            r.connect_secs,
            r.sent,
            r.acked,
            r.dropped,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.cpu_pct,
            r.rss_mb
        );
    }
}

async fn run(args: Args) -> Res<()> {
    if let Some((printers, jobs)) = args.handover {
        return handover(&args, printers, jobs).await;
    }
    if let Some((printers, subs)) = args.telemetry {
        return telemetry_load::telemetry(&args, printers, subs).await;
    }
    if let Some(trials) = args.failover {
        return replicas_load::failover(&args, trials).await;
    }
    if args.replicas > 1 {
        return replicas_load::replicas(&args).await;
    }
    let max = args.counts.iter().copied().max().unwrap_or(0);
    let (data, db_url, tokens) = farm_with_tokens(&args, "load", max).await?;

    let server = serve(&args.gantry, &db_url, &data).await?;
    let http = reqwest::Client::new();
    let access = login(&http, server.port).await?;
    let (_, idle_rss) = proc_sample(server.child.id()).unwrap_or((0, 0));
    eprintln!(
        "server up (pid {}, RSS {} MB idle)",
        server.child.id(),
        idle_rss / 1024
    );

    let mut rows = Vec::new();
    for &n in &args.counts {
        let r = round(std::slice::from_ref(&server), &tokens, n, args.secs, args.ramp).await?;
        eprintln!(
            "N={}: p50 {:.1} ms, p99 {:.1} ms, CPU {:.0} %, RSS {:.0} MB",
            r.n, r.p50_ms, r.p99_ms, r.cpu_pct, r.rss_mb
        );
        rows.push(r);
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let spot = spot_check(&server, &tokens, &http, &access).await?;
    print_rounds(&rows);
    println!("\nspot check: {spot}/10 acked statuses visible through GraphQL right after the ack");
    drop(server);
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("agent-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("agent-load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agent-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
