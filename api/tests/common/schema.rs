//! Running GraphQL on the schema directly (no server, no live farm) with the demo farm loaded
//! and a `Principal` in the request data.

use std::collections::HashMap;

use async_graphql::Request;
use gantry_api::config::Config;
use gantry_api::graphql::principal::{Principal, PrincipalKind};
use gantry_api::graphql::{GantrySchema, build_schema};
use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, demo, users};
use serde_json::Value;

/// Loads the demo farm and builds the schema on `db`.
pub async fn setup(db: &Db) -> GantrySchema {
    demo::load(db).await.expect("demo farm");
    build_schema(
        db.clone(),
        &Config::from_map(&HashMap::new()).expect("config"),
        Default::default(),
    )
}

/// The first demo account of a role (customers: the first customer account).
pub async fn as_role(db: &Db, role: Role) -> Principal {
    let mut c = db.pool().acquire().await.unwrap();
    let u = users::list_users(&mut c)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == role && u.active)
        .expect("a demo account of the role");
    Principal {
        user_id: u.id,
        role: u.role,
        customer_id: u.customer_id,
        kind: PrincipalKind::User,
    }
}

pub async fn exec(schema: &GantrySchema, who: &Principal, q: &str, vars: Value) -> Value {
    let req = Request::new(q)
        .variables(async_graphql::Variables::from_json(vars))
        .data(who.clone());
    serde_json::to_value(schema.execute(req).await).unwrap()
}

/// Runs and asserts there is no error; returns `data`.
pub async fn ok(schema: &GantrySchema, who: &Principal, q: &str, vars: Value) -> Value {
    let r = exec(schema, who, q, vars).await;
    assert!(r.get("errors").is_none(), "unexpected errors for {q}: {r:#}");
    r["data"].clone()
}

/// Rows in a table.
pub async fn rows(db: &Db, table: &'static str) -> i64 {
    gantry_engine::store::count_rows(db, table).await.unwrap()
}
