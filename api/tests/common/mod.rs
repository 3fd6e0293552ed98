//! `spawn_app()`: a real server on port 0 with a fresh database, per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

pub mod agent;
pub mod receiver;
pub mod schema;
pub mod shop;
pub mod tools;

use std::collections::HashMap;
use std::path::PathBuf;

use gantry_api::config::Config;
use gantry_engine::domain::users::{NewCustomer, NewUser, Role};
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, users};

/// The password of users made by [`TestApp::login_as`].
pub const TEST_PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// The server's event bus (fed by its outbox relay).
    pub events: gantry_actors::EventBus,
    /// The server's live farm.
    pub farm: Option<gantry_actors::Farm>,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// Asks the live farm for a (debounced) re-plan, e.g. after a fixture wrote jobs directly.
    pub fn request_replan(&self) {
        if let Some(farm) = &self.farm {
            farm.request_replan();
        }
    }

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

    /// A GraphQL request with `Authorization: Bearer <token>`.
    pub async fn graphql_as(
        &self,
        token: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        self.client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&serde_json::json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body")
    }

    /// Creates an account of `role` with `password` directly through the engine store (customer
    /// accounts get a fresh customer record). Returns the user id.
    pub async fn create_user(&self, role: Role, email: &str, password: &str) -> i64 {
        let now = gantry_engine::store::now();
        let hash = gantry_api::auth::hash_password_blocking(password).expect("hash");
        let mut tx = self.db.db.begin().await.expect("begin");
        let customer_id = if role == Role::Customer {
            let c = users::create_customer(
                &mut tx,
                now,
                &NewCustomer {
                    name: format!("Customer of {email}"),
                    email: None,
                    company: None,
                },
            )
            .await
            .expect("customer");
            Some(c.id)
        } else {
            None
        };
        let u = users::create_user(
            &mut tx,
            now,
            &NewUser {
                email: email.into(),
                display_name: format!("{role} user"),
                role,
                customer_id,
                password_hash: Some(hash),
            },
        )
        .await
        .expect("user");
        tx.commit().await.expect("commit");
        u.id.0
    }

    /// Logs in through GraphQL; returns the whole `login` payload (panics on an error).
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let v = self
            .graphql(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) \
                 { accessToken refreshToken expiresAt user { id email role } } }",
                serde_json::json!({"e": email, "p": password}),
            )
            .await;
        assert!(v["errors"].is_null(), "login failed: {v}");
        v["data"]["login"].clone()
    }

    /// Creates a user of `role` (`<role>@gantry.test`, password [`TEST_PASSWORD`]) and logs in
    /// through GraphQL; returns the access token.
    pub async fn login_as(&self, role: Role) -> String {
        self.login_new(role, &format!("{}@gantry.test", role.as_str()))
            .await
    }

    /// Creates a user of `role` with `email` (password [`TEST_PASSWORD`]; a customer account
    /// gets a fresh customer record) and logs in through GraphQL; returns the access token.
    pub async fn login_new(&self, role: Role, email: &str) -> String {
        self.create_user(role, email, TEST_PASSWORD).await;
        self.login(email, TEST_PASSWORD).await["accessToken"]
            .as_str()
            .expect("access token")
            .to_string()
    }

    /// A GraphQL multipart request (the multipart request spec) as `token`: `query` (a mutation
    /// taking `$file: Upload!`) with the file as `$file`; (status, response).
    pub async fn upload_model(
        &self,
        token: &str,
        query: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let operations = serde_json::json!({"query": query, "variables": {"file": null}});
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", serde_json::json!({"0": ["variables.file"]}).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_string())
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        let resp = self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.db.cleanup().await;
    }
}

/// The first GraphQL error's `(extensions.code, extensions.reason)`; `""` where absent.
pub fn code(v: &serde_json::Value) -> (&str, &str) {
    let e = &v["errors"][0]["extensions"];
    (
        e["code"].as_str().unwrap_or(""),
        e["reason"].as_str().unwrap_or(""),
    )
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
        events: running.events,
        farm: running.farm,
        handle: running.handle,
    }
}

/// Like [`app_test!`], with extra configuration: `app_test_with!(name, [("K", "V")], |app| { .. })`.
#[macro_export]
macro_rules! app_test_with {
    ($name:ident, [$(($k:expr, $v:expr)),* $(,)?], |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: &$crate::common::TestApp) $body

            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::common::spawn_app_with(gantry_engine::store::Backend::Sqlite, &[$(($k, $v)),*]).await;
                run(&app).await;
                app.stop().await;
            }

            #[actix_web::test]
            async fn postgres() {
                let app = $crate::common::spawn_app_with(gantry_engine::store::Backend::Postgres, &[$(($k, $v)),*]).await;
                run(&app).await;
                app.stop().await;
            }
        }
    };
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

/// A fresh data directory for a test (objects go to `<dir>/objects`).
pub fn data_dir(stem: &str) -> PathBuf {
    let id = gantry_api::auth::random_id().unwrap();
    let d = std::env::temp_dir().join(format!("gantry-{stem}-{id}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Like [`app_test_with!`], with a fresh data directory (`GANTRY_DATA_DIR`, removed after):
/// `app_test_in_dir!(name, [("K", "V")], |app, dir| { .. })`.
#[macro_export]
macro_rules! app_test_in_dir {
    ($name:ident, [$(($k:expr, $v:expr)),* $(,)?], |$app:ident, $dir:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: &$crate::common::TestApp, $dir: &std::path::Path) $body

            async fn go(backend: gantry_engine::store::Backend) {
                let dir = $crate::common::data_dir(stringify!($name));
                let d = dir.display().to_string();
                let app = $crate::common::spawn_app_with(backend, &[("GANTRY_DATA_DIR", d.as_str()), $(($k, $v)),*]).await;
                run(&app, &dir).await;
                app.stop().await;
                std::fs::remove_dir_all(&dir).unwrap();
            }

            #[actix_web::test]
            async fn sqlite() {
                go(gantry_engine::store::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                go(gantry_engine::store::Backend::Postgres).await;
            }
        }
    };
}
