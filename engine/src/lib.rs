//! Gantry engine: the pure domain core ([`domain`]) and its persistence ([`store`]).
//!
//! Invariant: nothing under `domain` (nor [`error`]) performs I/O or names sqlx, actix or
//! GraphQL types. `store` is the only module that talks to a database; every domain command
//! it exposes runs in one transaction. A test (`tests/architecture.rs`) enforces the absence.

/// The pure domain core (the `gantry-domain` crate).
pub use gantry_domain as domain;
/// The one table of error kinds (from the domain crate).
pub use gantry_domain::error;
pub mod store;

pub use error::{DomainError, ErrorKind};
