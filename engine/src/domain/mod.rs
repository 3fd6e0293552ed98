//! The pure domain core: validation, state machines and calculations.
//!
//! No I/O here, no clocks (callers pass `now`), no sqlx/actix/GraphQL types.

pub mod auth;
pub mod catalog;
pub mod equipment;
pub mod geometry;
pub mod inventory;
pub mod live;
pub mod orders;
pub mod planning;
pub mod printing;
pub mod production;
pub mod protocol;
pub mod types;
pub mod users;
