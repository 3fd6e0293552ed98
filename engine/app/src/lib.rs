//! The application layer: one function per use case (place an order, record an agent report,
//! quote a model, compute → solve → persist a plan, receive a spool, …).
//!
//! A use case takes the database handle ([`Db`]), the caller ([`Caller`]) where access depends
//! on who asks, plain arguments and, where it needs the outside world, small adapter traits
//! (object storage, slicer, cache); never a GraphQL context or an actor address. It opens the
//! transaction, calls the domain and the store, commits, and returns domain values or an
//! [`AppError`] with a stable code. Events are appended by the store in the same transaction;
//! nobody here publishes to subscribers (the outbox relay does, from committed events).
//!
//! The transports (`api`, `actors`) parse, check permissions, call one use case and map the
//! result; `api/tests/architecture.rs` checks they do not name the store, the solver, the
//! slicer or object storage themselves.

pub mod agent;
pub mod analytics;
pub mod auth;
pub mod batch;
pub mod catalog;
pub mod cluster;
pub mod crm;
pub mod equipment;
mod error;
pub mod events;
pub mod exports;
pub mod finance;
pub mod fleet;
pub mod inventory;
pub mod lease;
pub mod orders;
pub mod payments;
pub mod planning;
pub mod printing;
pub mod production;
pub mod profile;
pub mod profiles;
pub mod shipments;
pub mod shops;
pub mod users;
pub mod webhooks;

pub use error::{AppError, AppResult};
pub use gantry_engine::domain;
pub use gantry_engine::store::{Backend, Db, now};

use gantry_engine::domain::types::{CustomerId, UserId};
use gantry_engine::store::{StoreError, Tx};

/// Commits a use case's transaction.
pub(crate) async fn commit(tx: Tx) -> AppResult<()> {
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Who asks, as far as the use cases need to know: the acting user (recorded in histories)
/// and which customers' data they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The acting user; `None` for the system (the scheduler, a CLI run, a test).
    pub user_id: Option<UserId>,
    /// Which customers' data this caller may see.
    pub sees: Sees,
}

/// Which customers' data a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sees {
    /// Every customer's (staff with an all-orders read permission, the system).
    All,
    /// Only this customer's (a customer account).
    Own(CustomerId),
    /// No customer's data.
    None,
}

impl Caller {
    /// The system itself: sees everything, acts as no user.
    pub const SYSTEM: Caller = Caller {
        user_id: None,
        sees: Sees::All,
    };

    /// Whether this caller may see data of `customer`.
    pub fn may_see(&self, customer: CustomerId) -> bool {
        match self.sees {
            Sees::All => true,
            Sees::Own(c) => c == customer,
            Sees::None => false,
        }
    }
}

/// A pooled connection for reads (`let mut c = conn(db).await?;`). Reads take no write lock
/// (on SQLite [`Db::begin`] does).
pub(crate) async fn conn(db: &Db) -> AppResult<gantry_engine::store::PoolConn> {
    Ok(db
        .pool()
        .acquire()
        .await
        .map_err(gantry_engine::store::StoreError::from)?)
}

/// Runs `$body` (which uses `$tx`, the transaction) and commits; an error drops the
/// transaction, so nothing is written: `in_tx!(db, tx => store::x(&mut tx, …).await?)`.
macro_rules! in_tx {
    ($db:expr, $tx:ident => $body:expr) => {{
        let mut $tx = $db.begin().await?;
        let out = $body;
        $crate::commit($tx).await?;
        Ok(out)
    }};
}
pub(crate) use in_tx;
