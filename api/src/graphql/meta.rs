//! Server metadata: version and farm-wide counts.

use async_graphql::{Context, Object, SimpleObject};
use gantry_app::Db;

use super::app_error;

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
        let c = gantry_app::batch::counts(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(Stats {
            printers: c.printers,
            materials: c.materials,
            products: c.products,
            orders: c.orders,
            jobs: c.jobs,
        })
    }
}
