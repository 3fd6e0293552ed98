//! The farm's event bus is the application layer's ([`gantry_app::events::EventBus`]): the
//! outbox relay publishes every committed event there, and the scheduler listens for the ones
//! that may change the plan (`Event::affects_plan`). Actors publish nothing themselves: what they
//! commit reaches subscribers through the outbox.

pub use gantry_app::events::{Committed, EventBus};
