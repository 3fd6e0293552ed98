//! Quote latency for a cached model, through the HTTP API.
//!
//! Starts a real server (SQLite in a temporary directory, the demo farm loaded: 12+ printers,
//! queued and scheduled jobs), logs in as an admin, uploads a 20 mm cube once (analysis and
//! estimate are then stored with the model), and times `createQuote` for it: each call reads the
//! model, materials and printers, prices, plans the plates into the current plan (solver
//! repair) and stores the quote.
//!
//! `cargo run [--release] -p gantry-benches --features api --bin quote-bench -- [ITERATIONS]`

use std::time::Instant;

use gantry_api::config::Config;
use gantry_engine::domain::users::{NewUser, Role};
use gantry_engine::store::{Db, demo, users};
use serde_json::{Value, json};

const CUBE: &[u8] = include_bytes!("../../../engine/tests/fixtures/models/cube_20mm.stl");
const PASSWORD: &str = "quote bench password 1";

fn fail(msg: String) -> ! {
    eprintln!("quote-bench: {msg}");
    std::process::exit(1)
}

async fn gql(client: &reqwest::Client, base: &str, token: &str, query: &str, vars: Value) -> Value {
    let mut req = client.post(format!("{base}/graphql"));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    let resp = req
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
        .unwrap_or_else(|e| fail(format!("request: {e}")));
    let v: Value = resp.json().await.unwrap_or_else(|e| fail(format!("body: {e}")));
    if !v["errors"].is_null() {
        fail(format!("graphql error: {v}"));
    }
    v
}

#[actix_web::main]
async fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("gantry-quote-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(format!("temp dir: {e}")));
    let url = format!("sqlite://{}", dir.join("bench.sqlite").display());
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| fail(format!("db: {e}")));
    db.migrate()
        .await
        .unwrap_or_else(|e| fail(format!("migrate: {e}")));
    demo::load(&db)
        .await
        .unwrap_or_else(|e| fail(format!("demo: {e}")));
    let hash =
        gantry_api::auth::hash_password_blocking(PASSWORD).unwrap_or_else(|e| fail(format!("hash: {e}")));
    let mut tx = db.begin().await.unwrap_or_else(|e| fail(format!("begin: {e}")));
    users::create_user(
        &mut tx,
        gantry_engine::store::now(),
        &NewUser {
            email: "bench@gantry.test".into(),
            display_name: "bench".into(),
            role: Role::Admin,
            customer_id: None,
            password_hash: Some(hash),
        },
    )
    .await
    .unwrap_or_else(|e| fail(format!("user: {e}")));
    tx.commit().await.unwrap_or_else(|e| fail(format!("commit: {e}")));

    let vars = std::collections::HashMap::from([
        ("GANTRY_LISTEN".to_string(), "127.0.0.1:0".to_string()),
        ("DATABASE_URL".to_string(), url.clone()),
        ("GANTRY_DATA_DIR".to_string(), dir.display().to_string()),
        ("GANTRY_LOG_FORMAT".to_string(), "text".to_string()),
    ]);
    let config = Config::from_map(&vars).unwrap_or_else(|e| fail(format!("config: {e}")));
    let running =
        gantry_api::server::spawn(&config, db.clone()).unwrap_or_else(|e| fail(format!("server: {e}")));
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();

    let login = gql(
        &client,
        &base,
        "",
        "mutation { login(email: \"bench@gantry.test\", password: \"quote bench password 1\") { accessToken } }",
        json!({}),
    )
    .await;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let operations = json!({
        "query": "mutation($f: Upload!) { uploadModel(file: $f) { id estimate { method } } }",
        "variables": {"f": null}
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.f"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(CUBE.to_vec()).file_name("cube_20mm.stl"),
        );
    let up: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| fail(format!("upload: {e}")))
        .json()
        .await
        .unwrap_or_else(|e| fail(format!("upload body: {e}")));
    let model = up["data"]["uploadModel"]["id"].clone();
    if model.is_null() {
        fail(format!("upload failed: {up}"));
    }
    let materials = gql(&client, &base, &token, "{ materials { id code } }", json!({})).await;
    let material = materials["data"]["materials"][0]["id"].clone();
    let query =
        "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id total { minor } earliestDelivery } }";
    let input = json!({"i": {"modelId": model, "materialId": material, "quantity": 25}});
    // Warm-up (connections, caches).
    for _ in 0..5 {
        gql(&client, &base, &token, query, input.clone()).await;
    }
    let mut ms = Vec::with_capacity(iterations);
    let mut delivery = Value::Null;
    for _ in 0..iterations {
        let t = Instant::now();
        let v = gql(&client, &base, &token, query, input.clone()).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        delivery = v["data"]["createQuote"]["earliestDelivery"].clone();
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let jobs = gantry_engine::store::count_rows(&db, "jobs").await.unwrap_or(-1);
    let printers = gantry_engine::store::count_rows(&db, "printers")
        .await
        .unwrap_or(-1);
    println!(
        "createQuote (cached model, {printers} printers, {jobs} jobs, estimate {}): n={} mean={mean:.1} ms p50={:.1} ms p95={:.1} ms max={:.1} ms; last earliestDelivery={delivery}",
        up["data"]["uploadModel"]["estimate"]["method"],
        ms.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0),
    );
    running.handle.stop(true).await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
