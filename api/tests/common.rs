//! `spawn_app()`: a real server on port 0 with a fresh database, per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use std::collections::HashMap;

use gantry_api::config::Config;
use gantry_engine::store::Backend;
use gantry_engine::store::testing::TestDb;

pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        self.client
            .post(format!("{}/graphql", self.base))
            .json(&serde_json::json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body")
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.db.cleanup().await;
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new(backend).await.expect("test database");
    let mut vars: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    vars.insert("GANTRY_LISTEN".into(), "127.0.0.1:0".into());
    vars.insert("DATABASE_URL".into(), db.url.clone());
    let config = Config::from_map(&vars).expect("config");
    let running = gantry_api::server::spawn(&config, db.db.clone()).expect("server");
    TestApp {
        base: format!("http://{}", running.addr),
        db,
        client: reqwest::Client::new(),
        handle: running.handle,
    }
}

/// Runs an async test body against a spawned app on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! app_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: &$crate::common::TestApp) $body

            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::common::spawn_app(gantry_engine::store::Backend::Sqlite).await;
                run(&app).await;
                app.stop().await;
            }

            #[actix_web::test]
            async fn postgres() {
                let app = $crate::common::spawn_app(gantry_engine::store::Backend::Postgres).await;
                run(&app).await;
                app.stop().await;
            }
        }
    };
}
