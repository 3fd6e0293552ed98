//! Migration drift tests.
//!
//! 1. `docs/database.md` is generated from the migrated SQLite schema; this test fails when the
//!    file and the migrations disagree (`UPDATE_EXPECT=1 cargo test -p gantry-engine --test schema`
//!    rewrites it).
//! 2. The same migrations produce the same tables, columns and nullability on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Db, col};

#[derive(Debug)]
struct Column {
    name: String,
    ty: String,
    not_null: bool,
    default: Option<String>,
    pk: bool,
}

async fn sqlite_tables(db: &Db) -> Vec<String> {
    let rows = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| col::<String>(r, "sqlite_master", "name").unwrap())
        .collect()
}

async fn sqlite_columns(db: &Db, table: &str) -> Vec<Column> {
    let rows = sqlx::query(
        "SELECT name, type, \"notnull\" AS nn, dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
    )
    .bind(table)
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| Column {
            name: col(r, "t", "name").unwrap(),
            ty: col(r, "t", "type").unwrap(),
            not_null: col::<i64>(r, "t", "nn").unwrap() != 0,
            default: col(r, "t", "dflt_value").unwrap(),
            pk: col::<i64>(r, "t", "pk").unwrap() != 0,
        })
        .collect()
}

async fn render(db: &Db) -> String {
    let mut out = String::from(
        "# Database\n\n\
         Generated from the migrations (`engine/migrations/`) by `engine/tests/schema.rs`; do not edit by\n\
         hand: run `UPDATE_EXPECT=1 cargo test -p gantry-engine --test schema` after changing a migration.\n\
         The same migrations run on SQLite (default) and PostgreSQL; the test also checks both produce the\n\
         same tables, columns and nullability.\n\n\
         Conventions: ids are `BIGINT` (auto-increment primary keys); money is `BIGINT` minor units with a\n\
         `TEXT` currency; times are `BIGINT` milliseconds since the Unix epoch, UTC; flags are `BIGINT` 0/1.\n",
    );
    for table in sqlite_tables(db).await {
        out.push_str(&format!(
            "\n## `{table}`\n\n| column | type | null | default | key |\n|---|---|---|---|---|\n"
        ));
        let fks =
            sqlx::query("SELECT \"from\" AS f, \"table\" AS t, \"to\" AS c FROM pragma_foreign_key_list($1)")
                .bind(&table)
                .fetch_all(db.pool())
                .await
                .unwrap();
        let fks: Vec<(String, String, String)> = fks
            .iter()
            .map(|r| {
                (
                    col(r, "fk", "f").unwrap(),
                    col(r, "fk", "t").unwrap(),
                    col(r, "fk", "c").unwrap(),
                )
            })
            .collect();
        for c in sqlite_columns(db, &table).await {
            let ty = if c.pk && c.ty == "INTEGER" {
                "BIGINT".to_string()
            } else {
                c.ty.clone()
            };
            let mut key = Vec::new();
            if c.pk {
                key.push("PK".to_string());
            }
            for (f, t, to) in &fks {
                if *f == c.name {
                    key.push(format!("→ {t}.{to}"));
                }
            }
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.name,
                ty,
                if c.not_null || c.pk { "no" } else { "yes" },
                c.default.unwrap_or_default(),
                key.join(" ")
            ));
        }
        let idx =
            sqlx::query("SELECT name, \"unique\" AS u, origin FROM pragma_index_list($1) ORDER BY name")
                .bind(&table)
                .fetch_all(db.pool())
                .await
                .unwrap();
        let mut lines = Vec::new();
        for r in &idx {
            let name: String = col(r, "idx", "name").unwrap();
            let unique = col::<i64>(r, "idx", "u").unwrap() != 0;
            let origin: String = col(r, "idx", "origin").unwrap();
            if origin == "pk" {
                continue;
            }
            let cols = sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(db.pool())
                .await
                .unwrap();
            let cols: Vec<String> = cols.iter().map(|r| col(r, "idx", "name").unwrap()).collect();
            let label = if origin == "u" {
                "unique constraint".to_string()
            } else {
                format!("index `{name}`")
            };
            lines.push(format!(
                "- {}{} ({})\n",
                if unique && origin != "u" { "unique " } else { "" },
                label,
                cols.join(", ")
            ));
        }
        lines.sort();
        if !lines.is_empty() {
            out.push_str("\nIndexes:\n");
            for l in lines {
                out.push_str(&l);
            }
        }
    }
    out
}

#[tokio::test]
async fn database_doc_matches_migrations() {
    let t = TestDb::sqlite().await.unwrap();
    let doc = render(&t.db).await;
    t.cleanup().await;
    expect_test::expect_file!["../../docs/database.md"].assert_eq(&doc);
}

#[tokio::test]
async fn postgres_schema_matches_sqlite() {
    let s = TestDb::sqlite().await.unwrap();
    let p = TestDb::postgres().await.unwrap();
    let mut lite = BTreeSet::new();
    for table in sqlite_tables(&s.db).await {
        for c in sqlite_columns(&s.db, &table).await {
            lite.insert((table.clone(), c.name, c.not_null || c.pk));
        }
    }
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(p.db.pool())
    .await
    .unwrap();
    let pg: BTreeSet<(String, String, bool)> = rows
        .iter()
        .map(|r| {
            (
                col(r, "c", "t").unwrap(),
                col(r, "c", "c").unwrap(),
                col::<String>(r, "c", "n").unwrap() == "NO",
            )
        })
        .collect();
    s.cleanup().await;
    p.cleanup().await;
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "drift: only SQLite {only_lite:?}; only PostgreSQL {only_pg:?}"
    );
}

/// Applying migrations twice is a no-op, and a changed migration is refused.
#[tokio::test]
async fn migrations_are_idempotent() {
    let t = TestDb::sqlite().await.unwrap();
    assert!(t.db.migrate().await.unwrap().is_empty());
    sqlx::query("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1")
        .execute(t.db.pool())
        .await
        .unwrap();
    let err = t.db.migrate().await.unwrap_err();
    assert!(
        err.to_string().contains("was changed after it was applied"),
        "{err}"
    );
    t.cleanup().await;
}
