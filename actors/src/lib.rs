//! Gantry's live farm model: printer, queue, order and stock actors under a scheduler
//! supervisor (actix), thin shells over `gantry-engine` and `gantry-solver`.
//!
//! Not built yet: this crate is owned by the live-farm issue and is intentionally empty until
//! then. Nothing in the server depends on it at run time.
