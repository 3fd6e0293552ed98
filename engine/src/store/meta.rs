//! `app_meta`: small process-level facts keyed by name.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, Tx, col};

/// Reads a value.
pub async fn get(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT value FROM app_meta WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| col(&r, "app_meta", "value")).transpose()
}

/// Sets a value (insert or replace).
pub async fn set(tx: &mut Tx, now: DateTime<Utc>, key: &str, value: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO app_meta (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
