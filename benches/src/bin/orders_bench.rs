//! The GraphQL orders-list benchmark (issue 4's target: `orders(first: 50)` with lines and
//! customer against PostgreSQL holding the demo farm scaled to 10,000 orders).
//!
//! ```text
//! orders-bench load --database-url postgres://root@127.0.0.1/gantry_bench --orders 10000
//!     migrates, loads the demo farm, adds orders (through the engine's store commands, so every
//!     domain rule holds) until there are N, and prints an API token (orders:read_all) of the
//!     demo sales account for `run`. Idempotent: a second run only mints another token.
//! orders-bench run --url http://127.0.0.1:8080/graphql --token gty_… \
//!     [--concurrency 32] [--duration 20] [--warmup 3] [--threads 1]
//!     sends the query from C concurrent keep-alive connections for the duration and reports
//!     requests per second, latency percentiles and errors.
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use gantry_engine::domain::auth::{TOKEN_SECRET_BYTES, TokenKind};
use gantry_engine::domain::catalog::ProductFilter;
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::Currency;
use gantry_engine::domain::users::{NewCustomer, Role};
use gantry_engine::store::{Db, auth, catalog, count_rows, demo, orders, users};

/// The measured query: the first page of 50 orders with their lines and customer.
pub const QUERY: &str = "query { orders(first: 50) { edges { node { id status priority createdAt \
    total { minor currency } customer { id name email } \
    lines { id lineNo description quantity unitPrice { minor currency } materialId } } } \
    pageInfo { hasNextPage endCursor } } }";

/// Extra customers the scaled farm spreads its orders over.
const BENCH_CUSTOMERS: usize = 400;
/// Orders created per transaction while loading.
const BATCH: usize = 250;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn usage() -> ! {
    eprintln!(
        "usage:\n  orders-bench load --database-url URL [--orders 10000]\n  orders-bench run --url URL \
         --token TOKEN [--concurrency 32] [--duration 20] [--warmup 3] [--threads 1]"
    );
    std::process::exit(2)
}

/// `--name value` options.
fn opt(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    match opt(args, name) {
        Some(v) => v.parse().unwrap_or_else(|_| usage()),
        None => default,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("load") => runtime(2).and_then(|rt| rt.block_on(load(&args))),
        Some("run") => runtime(num(&args, "--threads", 1)).and_then(|rt| rt.block_on(run(&args))),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("orders-bench: {e}");
        std::process::exit(1);
    }
}

fn runtime(threads: usize) -> Res<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?)
}

/// 32 random bytes (std's randomly keyed hasher; good enough for a benchmark token).
fn random_secret() -> [u8; TOKEN_SECRET_BYTES] {
    let mut out = [0u8; TOKEN_SECRET_BYTES];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        let bytes = h.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    out
}

async fn load(args: &[String]) -> Res<()> {
    let url = opt(args, "--database-url").unwrap_or_else(|| usage());
    let target: i64 = num(args, "--orders", 10_000);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let summary = demo::load(&db).await?;
    eprintln!("{summary}");
    let started = Instant::now();
    let mut have = count_rows(&db, "orders").await?;
    if have < target {
        let (customers, products) = farm(&db).await?;
        let mut n = usize::try_from(have)?;
        while have < target {
            let now = gantry_engine::store::now();
            let mut tx = db.begin().await?;
            let todo = usize::try_from((target - have).min(BATCH as i64))?;
            for _ in 0..todo {
                n += 1;
                let lines = (0..1 + n % 3)
                    .map(|k| {
                        NewOrderLine::product(products[(n * 7 + k * 13) % products.len()], 1 + (n % 4) as i64)
                    })
                    .collect();
                let created = orders::create_order(
                    &mut tx,
                    now,
                    &NewOrder {
                        customer_id: customers[n % customers.len()],
                        currency: Currency::EUR,
                        lines,
                        priority: (n % 3) as i64,
                        due_at: None,
                        idempotency_key: Some(format!("bench-order-{n}")),
                    },
                    None,
                )
                .await?;
                let id = created.order.id;
                // A mix of statuses: a quarter each draft, placed, paid and cancelled.
                match n % 4 {
                    0 => {}
                    1 => {
                        orders::place(&mut tx, now, id, None).await?;
                    }
                    2 => {
                        orders::place(&mut tx, now, id, None).await?;
                        orders::pay(&mut tx, now, id, None).await?;
                    }
                    _ => {
                        orders::cancel(&mut tx, now, id, None, "bench").await?;
                    }
                }
            }
            tx.commit().await?;
            have = count_rows(&db, "orders").await?;
            eprint!("\r{have} orders");
        }
        eprintln!(" (loaded in {:.1} s)", started.elapsed().as_secs_f64());
    }
    println!("orders: {have}");
    println!("token: {}", bench_token(&db).await?);
    Ok(())
}

/// The customers (demo ones plus [`BENCH_CUSTOMERS`] more) and active products.
async fn farm(
    db: &Db,
) -> Res<(
    Vec<gantry_engine::domain::types::CustomerId>,
    Vec<gantry_engine::domain::types::ProductId>,
)> {
    let mut conn = db.pool().acquire().await?;
    let mut customers: Vec<_> = users::list_customers(&mut conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let products: Vec<_> = catalog::list_products(
        &mut conn,
        &ProductFilter {
            active: Some(true),
            ..ProductFilter::default()
        },
    )
    .await?
    .into_iter()
    .map(|p| p.id)
    .collect();
    drop(conn);
    if products.is_empty() {
        return Err("the demo farm has no active products".into());
    }
    if customers.len() < BENCH_CUSTOMERS {
        let now = gantry_engine::store::now();
        let mut tx = db.begin().await?;
        for i in customers.len()..BENCH_CUSTOMERS {
            let c = users::create_customer(
                &mut tx,
                now,
                &NewCustomer {
                    name: format!("Bench customer {i}"),
                    email: Some(format!("bench{i}@example.com")),
                    company: None,
                },
            )
            .await?;
            customers.push(c.id);
        }
        tx.commit().await?;
    }
    Ok((customers, products))
}

/// A new API token of the demo sales account limited to reading orders.
async fn bench_token(db: &Db) -> Res<String> {
    let mut tx = db.begin().await?;
    let owner = users::list_users(&mut tx)
        .await?
        .into_iter()
        .find(|u| u.role == Role::Sales && u.active)
        .ok_or("no active sales account in the demo farm")?;
    let token = TokenKind::Api.format(&random_secret());
    auth::create_api_token(
        &mut tx,
        gantry_engine::store::now(),
        &owner,
        &format!("orders-bench {}", gantry_engine::store::now().timestamp()),
        &["orders:read_all"],
        &token,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Latencies in microseconds and errors of one worker.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
}

async fn worker(client: reqwest::Client, url: String, token: String, until: Instant, record: bool) -> Tally {
    let body = serde_json::json!({ "query": QUERY }).to_string();
    let mut tally = Tally::default();
    while Instant::now() < until {
        let t0 = Instant::now();
        let ok = match client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
        {
            Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                // A page of orders and no error: the response starts with {"data":{"orders"
                Ok(b) => b.starts_with(br#"{"data":{"orders""#),
                Err(_) => false,
            },
            _ => false,
        };
        if record {
            if ok {
                tally
                    .latencies_us
                    .push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
            } else {
                tally.errors += 1;
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

async fn run(args: &[String]) -> Res<()> {
    let url = opt(args, "--url").unwrap_or_else(|| usage());
    let token = opt(args, "--token").unwrap_or_else(|| usage());
    let concurrency: usize = num(args, "--concurrency", 32);
    let duration = Duration::from_secs_f64(num(args, "--duration", 20.0));
    let warmup = Duration::from_secs_f64(num(args, "--warmup", 3.0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    // One request to fail fast on a wrong URL or token.
    let probe: serde_json::Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": QUERY }))
        .send()
        .await?
        .json()
        .await?;
    let edges = probe["data"]["orders"]["edges"]
        .as_array()
        .ok_or_else(|| format!("unexpected answer: {probe}"))?;
    let lines: usize = edges
        .iter()
        .map(|e| e["node"]["lines"].as_array().map_or(0, Vec::len))
        .sum();
    eprintln!(
        "probe: {} orders, {} lines, {} bytes",
        edges.len(),
        lines,
        probe.to_string().len()
    );

    for (phase, length, record) in [("warm-up", warmup, false), ("measure", duration, true)] {
        let until = Instant::now() + length;
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| tokio::spawn(worker(client.clone(), url.clone(), token.clone(), until, record)))
            .collect();
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await?;
            all.latencies_us.extend(t.latencies_us);
            all.errors += t.errors;
        }
        if !record {
            eprintln!("{phase}: {:.1} s done", started.elapsed().as_secs_f64());
            continue;
        }
        let secs = started.elapsed().as_secs_f64();
        // Server, database and this client share the machine: say how busy it was.
        if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
            eprintln!(
                "load average (1, 5, 15 min) at the end: {}",
                load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            );
        }
        all.latencies_us.sort_unstable();
        let n = all.latencies_us.len();
        println!(
            "concurrency {concurrency}, {secs:.1} s: {n} requests, {:.0} req/s, p50 {:.2} ms, p90 {:.2} ms, \
             p99 {:.2} ms, max {:.2} ms, errors {}",
            n as f64 / secs,
            percentile(&all.latencies_us, 50.0),
            percentile(&all.latencies_us, 90.0),
            percentile(&all.latencies_us, 99.0),
            percentile(&all.latencies_us, 100.0),
            all.errors
        );
    }
    Ok(())
}
