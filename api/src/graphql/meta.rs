//! Server metadata: version and farm-wide counts.

use async_graphql::{Context, Object, SimpleObject};
use gantry_engine::store::{Db, count_rows};

use super::gql_error;

#[derive(Default)]
pub struct MetaQuery;

/// Counts of the main entities.
#[derive(SimpleObject, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub printers: i64,
    pub materials: i64,
    pub products: i64,
    pub orders: i64,
    pub jobs: i64,
}

#[Object]
impl MetaQuery {
    /// The server version.
    async fn version(&self) -> &'static str {
        crate::VERSION
    }

    /// Farm-wide counts of printers, materials, products, orders and production jobs.
    async fn stats(&self, ctx: &Context<'_>) -> async_graphql::Result<Stats> {
        let db = ctx.data::<Db>()?;
        Ok(Stats {
            printers: count_rows(db, "printers").await.map_err(gql_error)?,
            materials: count_rows(db, "materials").await.map_err(gql_error)?,
            products: count_rows(db, "products").await.map_err(gql_error)?,
            orders: count_rows(db, "orders").await.map_err(gql_error)?,
            jobs: count_rows(db, "jobs").await.map_err(gql_error)?,
        })
    }
}
