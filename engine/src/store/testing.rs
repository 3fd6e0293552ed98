//! Test harness: a fresh, migrated database per test, on either backend.
//!
//! SQLite: a new file in the system temp directory. PostgreSQL: a new database
//! `gantry_t_<pid>_<n>_<nanos>` created on the server named by `GANTRY_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped afterwards.
//! Use [`db_test!`](crate::db_test) to run one test body on both backends; the test names
//! end in `::sqlite` and `::postgres`, so the output shows both ran.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Backend, Db, StoreResult};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The default server for PostgreSQL tests.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A fresh migrated database, removed by [`TestDb::cleanup`].
pub struct TestDb {
    pub db: Db,
    /// The URL the database can be reached at (e.g. for a spawned server).
    pub url: String,
    sqlite_file: Option<PathBuf>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> StoreResult<TestDb> {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> StoreResult<TestDb> {
        let file = std::env::temp_dir().join(format!("{}.sqlite", unique("gantry_t")));
        let url = format!("sqlite://{}", file.display());
        let db = Db::connect(&url).await?;
        db.migrate().await?;
        Ok(TestDb {
            db,
            url,
            sqlite_file: Some(file),
            pg_admin: None,
        })
    }

    pub async fn postgres() -> StoreResult<TestDb> {
        let admin_url = std::env::var("GANTRY_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let name = unique("gantry_t");
        let admin = Db::connect(&admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await?;
        admin.close().await;
        let base = match admin_url.rfind('/') {
            Some(i) if i > "postgres://".len() => &admin_url[..i],
            _ => admin_url.as_str(),
        };
        let url = format!("{base}/{name}");
        let db = Db::connect(&url).await?;
        db.migrate().await?;
        Ok(TestDb {
            db,
            url,
            sqlite_file: None,
            pg_admin: Some((admin_url, name)),
        })
    }

    /// Closes the pool and removes the database.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some(file) = self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Some((admin_url, name)) = self.pg_admin
            && let Ok(admin) = Db::connect(&admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(admin.pool())
            .await;
            admin.close().await;
        }
    }
}

/// Runs one async test body against a fresh database on SQLite and on PostgreSQL:
///
/// ```text
/// db_test!(places_an_order, |db| {
///     let order = orders::create(db, ...).await.unwrap();
///     assert_eq!(...);
/// });
/// ```
/// expands to `mod places_an_order { async fn sqlite(); async fn postgres(); }`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: &$crate::store::Db) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::store::testing::TestDb::sqlite().await.expect("sqlite test database");
                run(&t.db).await;
                t.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let t = $crate::store::testing::TestDb::postgres()
                    .await
                    .expect("postgres test database (is PostgreSQL running? set GANTRY_TEST_PG_URL)");
                run(&t.db).await;
                t.cleanup().await;
            }
        }
    };
}
