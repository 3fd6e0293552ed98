//! Gantry engine: the pure domain core ([`domain`]) and its persistence ([`store`]).
//!
//! Invariant: nothing under `domain` (nor [`error`]) performs I/O or names sqlx, actix or
//! GraphQL types. `store` is the only module that talks to a database; every domain command
//! it exposes runs in one transaction. A test (`tests/architecture.rs`) enforces the absence.

pub mod domain;
pub mod error;
pub mod store;

pub use error::{DomainError, ErrorKind};
