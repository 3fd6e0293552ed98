//! The MongoDB analytics sink against a real MongoDB-wire server: `nx-27017` (PyPI; pure
//! Python, SQLite-backed), started by the test on a spare port. Events reach MongoDB with their
//! indexes and TTL; with MongoDB stopped Gantry keeps working and the sink falls behind; after
//! a restart it catches up from the outbox, nothing lost and nothing written twice; requests are
//! logged with the caller.
//!
//! nx-27017 is looked up in `$GANTRY_NX27017_BIN`, else `$HOME/.cache/gantry-mongo/bin/nx-27017`
//! (scripts/test.sh creates that virtualenv). Missing, the test fails and says how to install it.
//! (Needs the `mongodb` crate: a dependency of gantry-api, so the tests have it too.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use gantry_engine::domain::users::Role;
use gantry_engine::store::Backend;
use mongodb::bson::{Bson, Document, doc};
use serde_json::json;

use common::tools::{Proc, free_port, venv_tool, wait_listening};
use common::{TestApp, spawn_app_with};

/// An nx-27017 server on `port` keeping its data in `dir` (so a restart keeps it).
fn start_nx(port: u16, dir: &Path) -> Proc {
    let bin = venv_tool("GANTRY_NX27017_BIN", "gantry-mongo", "nx-27017", "nx-27017");
    let child = Command::new(bin)
        .arg("--db")
        .arg(dir.join("mongo.db"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--log-file")
        .arg(dir.join("nx.log"))
        .arg("--pid-file")
        .arg(dir.join("nx.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nx-27017");
    let nx = Proc(child);
    wait_listening(port, "nx-27017");
    nx
}

async fn outbox_ids(app: &TestApp) -> BTreeSet<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM events")
        .fetch_all(app.db.db.pool())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn mongo_ids(db: &mongodb::Database) -> Option<Vec<i64>> {
    let docs: Vec<Document> = db
        .collection::<Document>("events")
        .find(doc! {})
        .await
        .ok()?
        .try_collect()
        .await
        .ok()?;
    Some(docs.iter().map(|d| int(d, "_id")).collect())
}

/// An integer field (a server may hand back a small 64-bit integer as 32-bit).
fn int(d: &Document, key: &str) -> i64 {
    match d.get(key) {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        other => panic!("{key} is not an integer: {other:?} in {d}"),
    }
}

/// Waits until MongoDB holds exactly the outbox's events, each once.
async fn caught_up(app: &TestApp, db: &mongodb::Database, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let want = outbox_ids(app).await;
        let got = mongo_ids(db).await.unwrap_or_default();
        let distinct: BTreeSet<i64> = got.iter().copied().collect();
        assert_eq!(distinct.len(), got.len(), "{what}: an event was written twice");
        assert!(
            distinct.is_subset(&want),
            "{what}: MongoDB holds events the outbox does not"
        );
        if distinct == want && !want.is_empty() {
            return got.len();
        }
        assert!(
            Instant::now() < deadline,
            "{what}: MongoDB has {} of {} events",
            distinct.len(),
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn create_leads(app: &TestApp, token: &str, prefix: &str, n: usize) {
    for i in 0..n {
        let v = app
            .graphql_as(
                token,
                "mutation CreateLead($i: LeadInput!) { createLead(input: $i) { id } }",
                json!({"i": {"name": format!("{prefix} {i}")}}),
            )
            .await;
        assert!(v["data"]["createLead"]["id"].is_string(), "{v}");
    }
}

async fn outage(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("gantry-nx-{}-{}", std::process::id(), backend.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let nx = start_nx(port, &dir);
    let url = format!("mongodb://127.0.0.1:{port}/gantry_analytics?directConnection=true");
    let app = spawn_app_with(backend, &[("MONGODB_URL", url.as_str())]).await;
    let mongo = gantry_api::analytics::Mongo::connect(&url).await.unwrap();
    let db = mongo.database().clone();

    // 1. Events reach MongoDB, keyed by the outbox id, with the payload as a document.
    let admin = app.login_as(Role::Admin).await;
    create_leads(&app, &admin, "before", 5).await;
    let n = caught_up(&app, &db, "while MongoDB is up").await;
    assert!(n >= 5, "{n}");
    let lead: Document = db
        .collection::<Document>("events")
        .find_one(doc! {"type": "lead.created"})
        .await
        .unwrap()
        .expect("a lead.created event");
    assert_eq!(
        lead.get_document("aggregate").unwrap().get_str("type").unwrap(),
        "lead"
    );
    assert!(lead.get_document("payload").is_ok(), "{lead}");
    assert!(lead.get_datetime("occurred_at").is_ok(), "{lead}");

    // Indexes, with the TTLs of the settings (365 and 30 days by default).
    for (coll, field, days) in [("events", "occurred_at", 365i64), ("requests", "at", 30)] {
        let indexes: Vec<_> = db
            .collection::<Document>(coll)
            .list_indexes()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let ttl = indexes
            .iter()
            .find(|i| i.keys.len() == 1 && i.keys.get(field).is_some())
            .unwrap_or_else(|| panic!("no index on {coll}.{field}: {indexes:?}"));
        let expire = ttl.options.as_ref().and_then(|o| o.expire_after);
        assert_eq!(expire, Some(Duration::from_secs(days as u64 * 86_400)), "{coll}");
        assert!(indexes.len() >= 3, "{coll}: {indexes:?}");
    }

    // The request log: the GraphQL calls with their caller and operation.
    let deadline = Instant::now() + Duration::from_secs(30);
    let logged = loop {
        let graphql: Vec<Document> = db
            .collection::<Document>("requests")
            .find(doc! {"path": "/graphql"})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let found = graphql.into_iter().find(|d| {
            d.get_array("operations")
                .is_ok_and(|ops| ops.iter().any(|o| o.as_str() == Some("mutation CreateLead")))
        });
        if let Some(d) = found {
            break d;
        }
        assert!(Instant::now() < deadline, "no request logged");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(logged.get_i32("status").unwrap(), 200);
    assert!(int(&logged, "user_id") > 0, "{logged}");
    assert!(!logged.get_str("request_id").unwrap().is_empty());

    // 2. MongoDB stops: Gantry keeps working, the sink falls behind.
    nx.kill();
    create_leads(&app, &admin, "during", 20).await;
    let v = app
        .graphql_as(&admin, "{ leads { nodes { id } } }", json!({}))
        .await;
    assert_eq!(v["data"]["leads"]["nodes"].as_array().unwrap().len(), 25, "{v}");
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let behind = gantry_app::analytics::behind(&app.db.db).await.unwrap();
    assert!(
        behind >= 20,
        "the sink should be behind by the events of the outage: {behind}"
    );

    // 3. MongoDB is back (same data): the sink catches up, nothing lost, nothing doubled.
    let _nx = start_nx(port, &dir);
    let n = caught_up(&app, &db, "after MongoDB restarted").await;
    assert!(n >= 25, "{n}");
    let during = db
        .collection::<Document>("events")
        .count_documents(doc! {"type": "lead.created"})
        .await
        .unwrap();
    assert_eq!(during, 25);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

mod sink_survives_a_mongo_outage {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        outage(Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        outage(Backend::Postgres).await;
    }
}
