//! Gantry's live farm model: printer, queue, order and stock actors under a scheduler
//! supervisor (actix), thin shells over `gantry-engine` and `gantry-solver`.
//!
//! Work in progress (live-farm issue): the event bus is the first part in place.

pub mod events;

pub use events::{EventBus, FarmEvent};
