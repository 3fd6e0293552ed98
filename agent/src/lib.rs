//! The Gantry printer agent: a small program beside each printer that speaks the agent
//! protocol to `gantry serve` (simulated printers, OctoPrint, later Moonraker/PrusaLink/Bambu).
//!
//! Not built yet: this crate is owned by the live-farm issue and is intentionally empty until
//! then; `gantry agent` does not exist yet.
