//! The printer backends beyond the simulator and OctoPrint, one module each, all behind
//! [`crate::backend::PrinterBackend`].

pub mod bambu;
pub mod gcode;
pub mod moonraker;
pub mod prusalink;
