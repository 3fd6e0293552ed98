//! The MongoDB analytics sink's throughput (issue 15's target: 5,000 events/s in batches).
//!
//! ```text
//! analytics-bench [--events 50000] [--backend postgres|sqlite]
//! ```
//!
//! Fills a fresh database's outbox with `--events` events (`job.progress`, through the store,
//! not timed), then drains it with the sink's reader (`gantry_app::analytics::sink_once`, 1,000
//! events a round, the cursor moved in SQL after each batch) twice, timed:
//!
//! - `null`: the reader and the BSON documents only (no MongoDB): Gantry's own cost;
//! - `nx-27017`: into a real MongoDB-wire server (`nx-27017`, PyPI, started here on a spare
//!   port; `$GANTRY_NX27017_BIN`, default `~/.cache/gantry-mongo/bin/nx-27017`), then checks
//!   that MongoDB holds every event once.
//!
//! PostgreSQL from `GANTRY_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gantry_api::analytics::{Mongo, MongoEvents, event_document};
use gantry_app::analytics::{AnalyticsSink, CONSUMER, sink_once};
use gantry_app::events::Cursor;
use gantry_engine::domain::events::{Event, JobProgressEvent};
use gantry_engine::store::events::{StoredEvent, append};
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Builds the documents and drops them.
struct Null;

impl AnalyticsSink for Null {
    async fn write_events(&self, events: &[StoredEvent]) -> Result<(), String> {
        let docs: Vec<_> = events.iter().map(event_document).collect();
        std::hint::black_box(docs);
        Ok(())
    }
}

async fn fill(db: &Db, n: usize) -> Res<()> {
    let now = gantry_engine::store::now();
    for chunk in 0..n.div_ceil(1000) {
        let mut tx = db.begin().await?;
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            let i = i as i64;
            append(
                &mut tx,
                now,
                &Event::JobProgress(JobProgressEvent {
                    job_id: i,
                    order_id: i / 10,
                    printer_id: i % 40,
                    progress_pct: i % 100,
                }),
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Drains the outbox from 0 into `sink`; returns (events, seconds).
async fn drain<S: AnalyticsSink>(db: &Db, sink: &S) -> Res<(usize, f64)> {
    let mut tx = db.begin().await?;
    sqlx_reset(&mut tx).await?;
    tx.commit().await?;
    let mut cursor = Cursor::from(0);
    let start = Instant::now();
    let mut total = 0;
    loop {
        let n = sink_once(db, sink, &mut cursor).await?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok((total, start.elapsed().as_secs_f64()))
}

/// Forgets the sink's stored cursor (a second run starts from the beginning).
async fn sqlx_reset(tx: &mut gantry_engine::store::Tx) -> Res<()> {
    gantry_engine::store::events::set_consumer_cursor(tx, gantry_engine::store::now(), CONSUMER, 0).await?;
    Ok(())
}

fn nx_bin() -> PathBuf {
    std::env::var_os("GANTRY_NX27017_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/gantry-mongo/bin/nx-27017")
        })
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--events")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let backend = match arg(&args, "--backend").as_deref() {
        Some("sqlite") => Backend::Sqlite,
        _ => Backend::Postgres,
    };
    let t = TestDb::new(backend).await?;
    let db = &t.db;
    let started = Instant::now();
    fill(db, n).await?;
    println!(
        "{} events in the outbox ({}) in {:.1} s (not timed)",
        n,
        backend.name(),
        started.elapsed().as_secs_f64()
    );

    let (events, secs) = drain(db, &Null).await?;
    println!(
        "null sink:  {events} events in {secs:.2} s = {:.0} events/s",
        events as f64 / secs
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dir = std::env::temp_dir().join(format!("gantry-analytics-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut nx = Command::new(nx_bin())
        .arg("--db")
        .arg(dir.join("mongo.db"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--log-file")
        .arg(dir.join("nx.log"))
        .arg("--pid-file")
        .arg(dir.join("nx.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("nx-27017 did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = format!("mongodb://127.0.0.1:{port}/bench?directConnection=true");
    let result = async {
        let sink = MongoEvents::new(&url, 365, 30);
        let (events, secs) = drain(db, &sink).await?;
        println!(
            "nx-27017:   {events} events in {secs:.2} s = {:.0} events/s",
            events as f64 / secs
        );
        let mongo = Mongo::connect(&url).await?;
        let stored = mongo
            .database()
            .collection::<mongodb::bson::Document>("events")
            .count_documents(mongodb::bson::doc! {})
            .await?;
        println!("MongoDB holds {stored} events (expected {n})");
        Res::Ok(())
    }
    .await;
    let _ = nx.kill();
    let _ = nx.wait();
    let _ = std::fs::remove_dir_all(&dir);
    t.cleanup().await;
    result
}
