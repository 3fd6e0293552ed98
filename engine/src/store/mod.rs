//! Persistence: the single source of truth.
//!
//! One code path for SQLite (the embedded default) and PostgreSQL through sqlx's `Any`
//! driver. Every query is written once in the portable SQL subset both accept (`$1`
//! placeholders, `RETURNING`, `BIGINT`, `TEXT`, `CAST(SUM(..) AS BIGINT)`); the only
//! per-backend text is the id column type in migrations (see [`migrate`]).
//!
//! Every domain command runs in one transaction ([`Db::begin`]): it is committed before
//! anything is acknowledged, and a failure writes nothing.
//!
//! Conventions: ids are `BIGINT`; money is `BIGINT` minor units plus a `TEXT` currency;
//! timestamps are `BIGINT` milliseconds since the Unix epoch, UTC; flags are `BIGINT` 0/1
//! (sqlx's `Any` cannot decode SQLite integers as booleans); JSON is `TEXT`.

pub mod auth;
pub mod batch;
pub mod catalog;
pub mod cluster;
pub mod crm;
pub mod demo;
pub mod equipment;
pub mod events;
pub mod exports;
pub mod finance;
pub mod handover;
pub mod inventory;
pub mod live;
pub mod meta;
pub mod migrate;
pub mod orders;
pub mod payments;
pub mod planning;
pub mod printer_records;
pub mod printing;
pub mod production;
pub mod profiles;
pub mod shifts;
pub mod shipments;
pub mod shops;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod users;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::error::{Coded, DomainError, ErrorKind};

/// A transaction on either backend.
pub type Tx = Transaction<'static, Any>;
/// A pooled connection (a read outside a transaction).
pub type PoolConn = sqlx::pool::PoolConnection<Any>;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The command was rejected by the domain; nothing was written.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: String,
        source: sqlx::Error,
    },
    #[error("migration {version} ({name}) was changed after it was applied (checksum differs)")]
    MigrationChanged { version: i64, name: String },
    #[error("the database has migration {0}, which this build does not know; refusing to run an older build")]
    UnknownMigration(i64),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    /// A leader's write was refused: it no longer holds the lease (`store::cluster::fence`).
    #[error("replica {holder} no longer holds the scheduler lease (epoch {epoch}); its write was refused")]
    Fenced { holder: String, epoch: i64 },
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn corrupt(table: &'static str, detail: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            table,
            detail: detail.to_string(),
        }
    }

    /// A unique-constraint violation, which callers often map to a conflict.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

impl Coded for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Rejected(e) => e.code(),
            StoreError::NotFound { .. } => "NOT_FOUND",
            StoreError::Conflict(_) => "CONFLICT",
            StoreError::Fenced { .. } => "NOT_LEADER",
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => "CONFLICT",
            _ => "INTERNAL",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Rejected(e) => e.kind(),
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Conflict(_) | StoreError::Fenced { .. } => ErrorKind::Conflict,
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => ErrorKind::Conflict,
            _ => ErrorKind::Internal,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A connection pool to the database of record.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The URL connected to (a PostgreSQL listener opens its own connection with it).
    url: std::sync::Arc<str>,
}

impl Db {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). SQLite files are created if
    /// missing. Does not migrate; call [`Db::migrate`].
    pub async fn connect(url: &str) -> StoreResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let opts = sqlx::any::AnyConnectOptions::from_str(&sqlite_create_mode(url, backend))?;
        let pool = AnyPoolOptions::new()
            // SQLite allows one writer; BEGIN IMMEDIATE serialises writers, readers still run.
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 30000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Db {
            pool,
            backend,
            url: url.into(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The URL this handle connected to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so two commands never deadlock upgrading a read lock.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Applies pending migrations; returns the versions applied now.
    pub async fn migrate(&self) -> StoreResult<Vec<i64>> {
        migrate::run(self).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_create_mode(url: &str, backend: Backend) -> String {
    if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
}

/// Reads a column, mapping a decode failure to [`StoreError::Corrupt`].
pub fn col<T>(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get::<T, _>(name)
        .map_err(|e| StoreError::corrupt(table, format!("{name}: {e}")))
}

/// Reads a 0/1 flag column.
pub fn flag(row: &AnyRow, table: &'static str, name: &str) -> StoreResult<bool> {
    Ok(col::<i64>(row, table, name)? != 0)
}

/// Current time in storage form (UTC milliseconds). The only clock in the engine; the domain
/// receives `now` as a value.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Counts rows of a table (used by stats and tests). `table` must be a known table name.
pub async fn count_rows(db: &Db, table: &'static str) -> StoreResult<i64> {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()).await?;
    col(&row, table, "n")
}

/// Checks the database answers (`SELECT 1`).
/// What a transaction may serialise on ([`serialise`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Plan writes and hand-overs (`handover::lock_plan`).
    Plan = 727_271,
    /// Generating maintenance windows (two runs at once would both insert a plan's window).
    MaintenanceWindows = 727_272,
}

/// Serialises the rest of `tx` with every other transaction taking the same `lock`
/// (PostgreSQL: an advisory transaction lock; SQLite: every write transaction is exclusive
/// already).
pub async fn serialise(tx: &mut Tx, lock: Lock) -> StoreResult<()> {
    if tx.backend_name().to_ascii_lowercase().starts_with("postgres") {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn ping(db: &Db) -> StoreResult<()> {
    sqlx::query("SELECT 1 AS one").fetch_one(db.pool()).await?;
    Ok(())
}
