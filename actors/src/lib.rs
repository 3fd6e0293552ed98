//! Gantry's live farm model: printer, queue, order and stock actors under a scheduler
//! supervisor (actix), thin shells over `gantry-engine` and `gantry-solver`.
//!
//! - [`farm::Farm`] starts and stops it; the transport (`/agent/ws` in `gantry-api`) attaches
//!   agent connections to [`printer::PrinterActor`]s through it.
//! - [`scheduler::Scheduler`] supervises the other actors, re-plans (debounced, solver on a
//!   blocking thread), persists plans and hands ready printers their next job; it is the
//!   queue actor too (the queue is the set of queued and scheduled jobs in SQL, which it plans).
//! - [`order::OrderActor`] and [`stock::StockActor`] mirror an order and a material and announce
//!   their changes.
//! - [`writer::StatusWriter`] batches status reports into one transaction (group commit).
//!
//! Every decision is a pure function of `gantry_engine::domain::live`; every change is committed
//! (through the application layer, `gantry_app`) before it is acknowledged; subscribers learn of
//! it from the outbox relay on the [`EventBus`], never from the actors.

pub mod events;
pub mod farm;
mod leader;
pub mod mesh;
pub mod messages;
pub mod order;
pub mod printer;
pub mod scheduler;
pub mod stock;
pub mod writer;

pub use events::{Committed, EventBus};
pub use farm::{ClusterConfig, Farm, FarmConfig, FarmError, ReplanAt};
