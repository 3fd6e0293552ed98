//! Gantry's pure domain core (`gantry-domain`): values, validation, state machines and
//! calculations, one module per domain, and the one table of error kinds ([`error`]).
//!
//! No I/O here, no clocks (callers pass `now`), no sqlx/tokio/actix/GraphQL types: this
//! crate's `Cargo.toml` has none of them, so the compiler keeps it pure.

pub mod auth;
pub mod catalog;
pub mod crm;
pub mod equipment;
pub mod events;
pub mod finance;
pub mod geometry;
pub mod integrations;
pub mod inventory;
pub mod live;
pub mod orders;
pub mod planning;
pub mod printing;
pub mod production;
/// The agent protocol (its own crate, re-exported here).
pub use gantry_protocol as protocol;
pub mod types;
pub mod users;

pub mod error;

pub use error::{Coded, DomainError, ErrorKind};
