//! Outbound webhook fan-out (issue 15's target: 1,000 events/s to 10 endpoints, p99 from commit
//! to the first delivery attempt under 1 s).
//!
//! ```text
//! webhook-bench [--events 10000] [--rate 1000] [--endpoints 10] [--backend postgres|sqlite]
//! ```
//!
//! Starts `--endpoints` real HTTP/1.1 receivers on loopback (each answers 200 at once and notes
//! when the first request for each `webhook-id` arrived), registers one endpoint per receiver
//! for `job.progress` (private addresses allowed, as `GANTRY_WEBHOOKS_ALLOW_PRIVATE=true`) and
//! runs the server's dispatcher with its real reqwest sender (`gantry_api::webhooks::start`,
//! default settings: 50 ms poll). A producer commits `--events` events at `--rate` per second
//! (a transaction every 10 ms with the events due by then) and notes each commit's instant; the
//! latency of a delivery is its first arrival at the receiver minus its event's commit. Prints
//! p50/p95/p99/max over every (endpoint, event) pair and checks that each was delivered.
//!
//! PostgreSQL from `GANTRY_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! a fresh database per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_api::config::Config;
use gantry_app::webhooks::{EndpointInput, create_endpoint};
use gantry_engine::domain::events::{Event, JobProgressEvent};
use gantry_engine::domain::integrations::signing::SECRET_BYTES;
use gantry_engine::store::events::append;
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, now};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// First arrival per event id at one receiver.
type Arrivals = Arc<Mutex<HashMap<i64, Instant>>>;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serves one keep-alive connection: notes each request's `webhook-id` (`msg_<event id>`) when
/// its headers have arrived, reads the body, answers 200.
async fn serve(stream: TcpStream, arrivals: Arrivals) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        let mut event = None;
        loop {
            let mut h = String::new();
            if read.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "webhook-id" => event = value.strip_prefix("msg_").and_then(|v| v.parse::<i64>().ok()),
                    _ => {}
                }
            }
        }
        let at = Instant::now();
        if let Some(id) = event {
            arrivals
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id)
                .or_insert(at);
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await?;
        write
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await?;
    }
}

/// A receiver on a loopback port; returns its URL.
async fn receiver(arrivals: Arrivals) -> Res<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(serve(s, arrivals.clone()));
        }
    });
    Ok(url)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--events", 10_000);
    let rate: usize = arg(&args, "--rate", 1_000);
    let endpoints: usize = arg(&args, "--endpoints", 10);
    let backend = match args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
    {
        Some("sqlite") => Backend::Sqlite,
        _ => Backend::Postgres,
    };
    let t = TestDb::new(backend).await?;
    let db = t.db.clone();

    let mut receivers = Vec::new();
    for i in 0..endpoints {
        let arrivals: Arrivals = Arc::default();
        let url = receiver(arrivals.clone()).await?;
        let mut random = [0u8; SECRET_BYTES];
        random[0] = i as u8;
        random[1] = 0x5A;
        create_endpoint(
            &db,
            now(),
            &EndpointInput {
                url,
                description: format!("bench receiver {i}"),
                event_types: vec!["job.progress".into()],
            },
            &random,
            true,
        )
        .await?;
        receivers.push(arrivals);
    }
    // The server's settings with only the loopback receivers allowed.
    let env = HashMap::from([("GANTRY_WEBHOOKS_ALLOW_PRIVATE".to_string(), "true".to_string())]);
    let settings = Config::from_map(&env)?.webhooks;
    let dispatcher = gantry_api::webhooks::start(&settings, db.clone()).ok_or("no HTTP client")?;

    // Producer: `rate` events/s, one transaction every 10 ms holding the events due by then (a
    // transaction that took longer is followed by a bigger one, so the rate holds).
    let mut committed: HashMap<i64, Instant> = HashMap::with_capacity(n);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut made = 0usize;
    while made < n {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as usize).clamp(made + 1, n);
        let mut tx = db.begin().await?;
        let mut ids = Vec::with_capacity(due - made);
        for _ in made..due {
            let i = made as i64;
            ids.push(
                append(
                    &mut tx,
                    now(),
                    &Event::JobProgress(JobProgressEvent {
                        job_id: i,
                        order_id: i / 10,
                        printer_id: i % 40,
                        progress_pct: i % 100,
                    }),
                )
                .await?,
            );
            made += 1;
        }
        tx.commit().await?;
        let at = Instant::now();
        committed.extend(ids.into_iter().map(|id| (id, at)));
    }
    let produced = started.elapsed().as_secs_f64();
    println!(
        "{n} events committed in {produced:.2} s = {:.0} events/s (to {endpoints} endpoints, {}): {} deliveries expected",
        n as f64 / produced,
        backend.name(),
        n * endpoints
    );

    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let got: usize = receivers
            .iter()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum();
        if got >= n * endpoints {
            break;
        }
        if Instant::now() > deadline {
            println!("only {got} of {} deliveries arrived within 300 s", n * endpoints);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_done = started.elapsed().as_secs_f64();
    drop(dispatcher);

    let mut latencies = Vec::with_capacity(n * endpoints);
    let mut missing = 0usize;
    for r in &receivers {
        let r = r.lock().unwrap_or_else(|e| e.into_inner());
        for (id, at) in &committed {
            match r.get(id) {
                Some(first) => latencies.push(first.saturating_duration_since(*at).as_secs_f64() * 1000.0),
                None => missing += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "commit -> first attempt (ms) over {} deliveries: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}; missing {missing}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "all deliveries in {all_done:.2} s from the first commit = {:.0} deliveries/s",
        latencies.len() as f64 / all_done
    );
    t.cleanup().await;
    if missing > 0 {
        return Err(format!("{missing} deliveries did not arrive").into());
    }
    Ok(())
}
