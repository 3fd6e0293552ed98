//! Fixtures shared by the engine's integration tests (`#[macro_use] mod common;`).

#![allow(dead_code, unused_macros)] // each test binary uses its part
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use gantry_engine::ErrorKind;
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::types::{CustomerId, MaterialId, UserId};
use gantry_engine::error::Coded;
use gantry_engine::store::{Db, StoreError, col};

/// The tests' "now": 2027-01-15T08:00:00Z.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// Runs a command in its own transaction and commits it: `ok!(db, |tx| store::f(&mut tx, …))`.
macro_rules! ok {
    ($db:expr, |$tx:ident| $call:expr) => {{
        let mut $tx = $db.begin().await.unwrap();
        let v = $call.await.unwrap();
        $tx.commit().await.unwrap();
        v
    }};
}

/// A command expected to be rejected; the transaction is committed anyway, so anything it
/// wrote would stay (a rejected command must have written nothing).
macro_rules! rejected {
    ($db:expr, |$tx:ident| $call:expr) => {{
        let mut $tx = $db.begin().await.unwrap();
        let e = match $call.await {
            Ok(v) => panic!("expected a rejection, got {v:?}"),
            Err(e) => e,
        };
        $tx.commit().await.unwrap();
        e
    }};
}

/// A customer row with just a name.
pub async fn customer(db: &Db, name: &str) -> CustomerId {
    let row = sqlx::query("INSERT INTO customers (name, created_at) VALUES ($1, 0) RETURNING id")
        .bind(name)
        .fetch_one(db.pool())
        .await
        .unwrap();
    CustomerId(col(&row, "customers", "id").unwrap())
}

/// A staff account row of `role` (`sales`, `planner`, …), without a password.
pub async fn user(db: &Db, email: &str, role: &str) -> UserId {
    let row = sqlx::query(
        "INSERT INTO users (email, display_name, role, created_at) VALUES ($1, $1, $2, 0) RETURNING id",
    )
    .bind(email)
    .bind(role)
    .fetch_one(db.pool())
    .await
    .unwrap();
    UserId(col(&row, "users", "id").unwrap())
}

/// A PLA material row (1.75 mm, 1.24 g/cm³, 20 EUR/kg).
pub async fn material(db: &Db, code: &str, colour: &str) -> MaterialId {
    let row = sqlx::query(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
         VALUES ($1, 'PLA', $2, 1750, 1240, 2000, 'EUR', 0) RETURNING id",
    )
    .bind(code)
    .bind(colour)
    .fetch_one(db.pool())
    .await
    .unwrap();
    MaterialId(col(&row, "materials", "id").unwrap())
}

/// Production data: grams and print minutes per unit, copies per plate.
pub fn spec(g: i64, m: i64, c: i64) -> ProductionSpec {
    ProductionSpec {
        grams_per_unit: g,
        print_minutes_per_unit: m,
        copies_per_plate: c,
    }
}

/// A store error's stable code and kind.
pub fn code(e: &StoreError) -> (&'static str, ErrorKind) {
    (e.code(), e.kind())
}
