//! Schema migrations: one SQL source per migration for both backends.
//!
//! Migration files live in `engine/migrations/NNNN_name.sql` and are embedded at build time.
//! They are written in the SQL both engines accept; the single dialect token is `ID_PK`
//! (an auto-increment `BIGINT` primary key), which expands per backend. Each migration runs in
//! its own transaction and is recorded in `schema_migrations` with a checksum; an applied
//! migration whose file later changes is refused, as is a database newer than the build.

use sha2::{Digest, Sha256};

use super::{Backend, Db, StoreError, StoreResult, col};

/// An embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// All migrations, in order. Add new ones at the end; never edit an applied one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("../../migrations/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "meta",
        sql: include_str!("../../migrations/0002_meta.sql"),
    },
    Migration {
        version: 3,
        name: "auth",
        sql: include_str!("../../migrations/0003_auth.sql"),
    },
    Migration {
        version: 4,
        name: "printing",
        sql: include_str!("../../migrations/0004_printing.sql"),
    },
    Migration {
        version: 5,
        name: "live",
        sql: include_str!("../../migrations/0005_live.sql"),
    },
    Migration {
        version: 6,
        name: "agent_hello",
        sql: include_str!("../../migrations/0006_agent_hello.sql"),
    },
    Migration {
        version: 7,
        name: "job_handovers",
        sql: include_str!("../../migrations/0007_job_handovers.sql"),
    },
    Migration {
        version: 8,
        name: "job_rejections",
        sql: include_str!("../../migrations/0008_job_rejections.sql"),
    },
    Migration {
        version: 9,
        name: "quote_delivery_reason",
        sql: include_str!("../../migrations/0009_quote_delivery_reason.sql"),
    },
    Migration {
        version: 10,
        name: "events",
        sql: include_str!("../../migrations/0010_events.sql"),
    },
    Migration {
        version: 11,
        name: "plans",
        sql: include_str!("../../migrations/0011_plans.sql"),
    },
    Migration {
        version: 12,
        name: "session_started_at",
        sql: include_str!("../../migrations/0012_session_started_at.sql"),
    },
    Migration {
        version: 13,
        name: "leader_lease",
        sql: include_str!("../../migrations/0013_leader_lease.sql"),
    },
    Migration {
        version: 14,
        name: "finance",
        sql: include_str!("../../migrations/0014_finance.sql"),
    },
    Migration {
        version: 16,
        name: "crm",
        sql: include_str!("../../migrations/0016_crm.sql"),
    },
    Migration {
        version: 18,
        name: "webhooks",
        sql: include_str!("../../migrations/0018_webhooks.sql"),
    },
    Migration {
        version: 19,
        name: "payments",
        sql: include_str!("../../migrations/0019_payments.sql"),
    },
    Migration {
        version: 20,
        name: "shop_orders",
        sql: include_str!("../../migrations/0020_shop_orders.sql"),
    },
    Migration {
        version: 25,
        name: "signups",
        sql: include_str!("../../migrations/0025_signups.sql"),
    },
    Migration {
        version: 26,
        name: "shipments",
        sql: include_str!("../../migrations/0026_shipments.sql"),
    },
    Migration {
        version: 27,
        name: "finance_payments",
        sql: include_str!("../../migrations/0027_finance_payments.sql"),
    },
    Migration {
        version: 28,
        name: "printer_telemetry",
        sql: include_str!("../../migrations/0028_printer_telemetry.sql"),
    },
    Migration {
        version: 29,
        name: "outbox_consumers",
        sql: include_str!("../../migrations/0029_outbox_consumers.sql"),
    },
    Migration {
        version: 30,
        name: "job_finishes_and_pins",
        sql: include_str!("../../migrations/0030_job_finishes_and_pins.sql"),
    },
    Migration {
        version: 35,
        name: "printer_profiles",
        sql: include_str!("../../migrations/0035_printer_profiles.sql"),
    },
    Migration {
        version: 36,
        name: "job_snapshot_pruning",
        sql: include_str!("../../migrations/0036_job_snapshot_pruning.sql"),
    },
    Migration {
        version: 37,
        name: "power_and_stability",
        sql: include_str!("../../migrations/0037_power_and_stability.sql"),
    },
    Migration {
        version: 39,
        name: "shifts_and_printer_groups",
        sql: include_str!("../../migrations/0039_shifts_and_printer_groups.sql"),
    },
    Migration {
        version: 40,
        name: "finance_spools_and_setup",
        sql: include_str!("../../migrations/0040_finance_spools_and_setup.sql"),
    },
];

impl Migration {
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }

    /// The statements of this migration for `backend`.
    pub fn statements(&self, backend: Backend) -> Vec<String> {
        let id_pk = match backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let mut out = Vec::new();
        let mut cur = String::new();
        for line in self.sql.lines() {
            // `--@sqlite STATEMENT;` / `--@postgres STATEMENT;`: a one-line statement for one
            // backend (triggers, whose syntax differs).
            let line = match (line.strip_prefix("--@sqlite "), line.strip_prefix("--@postgres ")) {
                (Some(stmt), _) if backend == Backend::Sqlite => stmt,
                (_, Some(stmt)) if backend == Backend::Postgres => stmt,
                _ => line,
            };
            let code = line.split("--").next().unwrap_or("");
            cur.push_str(code);
            cur.push('\n');
            if code.trim_end().ends_with(';') {
                let stmt = cur.trim().trim_end_matches(';').replace("ID_PK", id_pk);
                if !stmt.trim().is_empty() {
                    out.push(stmt);
                }
                cur.clear();
            }
        }
        if !cur.trim().is_empty() {
            out.push(cur.trim().replace("ID_PK", id_pk));
        }
        out
    }
}

pub(crate) async fn run(db: &Db) -> StoreResult<Vec<i64>> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(db.pool())
    .await?;

    let mut applied_now = Vec::new();
    for m in MIGRATIONS {
        let mut tx = db.begin().await?;
        if db.backend() == Backend::Postgres {
            // Serialise concurrent migrators (several replicas starting at once).
            sqlx::query("SELECT pg_advisory_xact_lock(727270)")
                .execute(&mut *tx)
                .await?;
        }
        let existing = sqlx::query("SELECT checksum FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            let sum: String = col(&row, "schema_migrations", "checksum")?;
            if sum != m.checksum() {
                return Err(StoreError::MigrationChanged {
                    version: m.version,
                    name: m.name.into(),
                });
            }
            continue;
        }
        for stmt in m.statements(db.backend()) {
            sqlx::query(sqlx::AssertSqlSafe(stmt))
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: m.version,
                    name: m.name.into(),
                    source,
                })?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(m.checksum())
        .bind(super::now().timestamp_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied_now.push(m.version);
    }

    let newest = sqlx::query("SELECT MAX(version) AS v FROM schema_migrations")
        .fetch_one(db.pool())
        .await?;
    let newest: Option<i64> = col(&newest, "schema_migrations", "v")?;
    let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    if let Some(v) = newest.filter(|v| *v > known) {
        return Err(StoreError::UnknownMigration(v));
    }
    Ok(applied_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase_and_files_split() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "migration {} out of order", m.version);
            last = m.version;
            assert!(!m.statements(Backend::Sqlite).is_empty());
            if !m.sql.contains("\n--@") {
                assert_eq!(
                    m.statements(Backend::Sqlite).len(),
                    m.statements(Backend::Postgres).len()
                );
            }
        }
    }

    /// A file in `migrations/` that is not in [`MIGRATIONS`] would never run.
    #[test]
    fn every_migration_file_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let registered: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files, registered);
    }

    #[test]
    fn id_pk_expands_per_backend() {
        let m = Migration {
            version: 9,
            name: "t",
            sql: "CREATE TABLE t (id ID_PK, x TEXT); -- c\nCREATE INDEX i ON t (x);",
        };
        let s = m.statements(Backend::Sqlite);
        assert_eq!(s.len(), 2);
        assert!(s[0].contains("INTEGER PRIMARY KEY AUTOINCREMENT"));
        assert!(m.statements(Backend::Postgres)[0].contains("GENERATED BY DEFAULT AS IDENTITY"));
    }

    #[test]
    fn backend_lines_go_to_their_backend_only() {
        let m = Migration {
            version: 9,
            name: "t",
            sql: "CREATE TABLE t (x TEXT);\n--@sqlite CREATE TRIGGER a BEGIN SELECT 1; END;\n\
                  --@postgres CREATE FUNCTION f() AS $$ BEGIN x; END $$;\n--@postgres CREATE TRIGGER b;\n",
        };
        let s = m.statements(Backend::Sqlite);
        assert_eq!(
            s,
            vec!["CREATE TABLE t (x TEXT)", "CREATE TRIGGER a BEGIN SELECT 1; END"]
        );
        let p = m.statements(Backend::Postgres);
        assert_eq!(
            p,
            vec![
                "CREATE TABLE t (x TEXT)",
                "CREATE FUNCTION f() AS $$ BEGIN x; END $$",
                "CREATE TRIGGER b"
            ]
        );
    }
}
