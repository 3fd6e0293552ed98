//! Equipment domain (pure): printers, their status machine, print eligibility and maintenance.
//!
//! - [`PrinterStatus`] is a state machine; [`PrinterStatus::can_transition`] is the one table.
//! - [`check_printable`] / [`can_print`] decide statically whether a printer can print a part
//!   (technology, supported material kinds, build volume in any of the 6 axis-aligned
//!   orientations); the current status is not considered.
//! - [`next_window`] computes the next maintenance window of a plan from `now`, the plan's
//!   last-done time and print minutes.
//! - [`parse_timetable`] / [`staffed_windows`]: the weekly operator shifts and the staffed
//!   windows a plan respects.

use crate::error::{Coded, ErrorKind};
use crate::inventory::MaterialKind;

mod maintenance;
mod printers;
mod shifts;

pub use maintenance::*;
pub use printers::*;
pub use shifts::*;

/// Rejections of equipment commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EquipmentError {
    /// A field is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// The technology name is not `fdm`, `sla` or `sls`.
    #[error("unknown technology {0:?}")]
    UnknownTechnology(String),
    /// The status name is not one of [`PrinterStatus::ALL`].
    #[error("unknown printer status {0:?}")]
    UnknownStatus(String),
    /// The material kind cannot be used on this printer (technology or supported list).
    #[error("material kind {kind} is not supported by this {technology} printer")]
    MaterialNotSupported {
        kind: MaterialKind,
        technology: Technology,
    },
    /// Another printer already has this name.
    #[error("printer name {0:?} is already in use")]
    NameTaken(String),
    /// The printer cannot go between these states.
    #[error("printer cannot go from {from} to {to}")]
    IllegalTransition { from: PrinterStatus, to: PrinterStatus },
    /// The printer is printing or paused; the command needs it to be free.
    #[error("printer is {status}")]
    PrinterBusy { status: PrinterStatus },
    /// A number of minutes is zero, negative or overflows.
    #[error("invalid minutes {0}: must be positive")]
    InvalidMinutes(i64),
    /// A maintenance plan has neither a print-hours nor a days interval.
    #[error("a maintenance plan needs every_print_hours or every_days")]
    PlanWithoutInterval,
    /// The printer is retired: it is out of the farm and is not changed any more.
    #[error("the printer is retired")]
    Retired,
    /// A maintenance window cannot go between these states.
    #[error("maintenance window cannot go from {from} to {to}")]
    IllegalWindowTransition { from: WindowState, to: WindowState },
}

impl Coded for EquipmentError {
    fn code(&self) -> &'static str {
        match self {
            EquipmentError::InvalidField { .. } => "EQUIPMENT_INVALID_FIELD",
            EquipmentError::UnknownTechnology(_) => "EQUIPMENT_UNKNOWN_TECHNOLOGY",
            EquipmentError::UnknownStatus(_) => "EQUIPMENT_UNKNOWN_STATUS",
            EquipmentError::MaterialNotSupported { .. } => "EQUIPMENT_MATERIAL_NOT_SUPPORTED",
            EquipmentError::NameTaken(_) => "EQUIPMENT_NAME_TAKEN",
            EquipmentError::IllegalTransition { .. } => "PRINTER_ILLEGAL_TRANSITION",
            EquipmentError::PrinterBusy { .. } => "PRINTER_BUSY",
            EquipmentError::InvalidMinutes(_) => "EQUIPMENT_INVALID_MINUTES",
            EquipmentError::PlanWithoutInterval => "MAINTENANCE_NO_INTERVAL",
            EquipmentError::IllegalWindowTransition { .. } => "MAINTENANCE_ILLEGAL_TRANSITION",
            EquipmentError::Retired => "PRINTER_RETIRED",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            EquipmentError::InvalidField { .. }
            | EquipmentError::UnknownTechnology(_)
            | EquipmentError::UnknownStatus(_)
            | EquipmentError::MaterialNotSupported { .. }
            | EquipmentError::InvalidMinutes(_)
            | EquipmentError::PlanWithoutInterval => ErrorKind::Validation,
            EquipmentError::NameTaken(_)
            | EquipmentError::IllegalTransition { .. }
            | EquipmentError::PrinterBusy { .. }
            | EquipmentError::IllegalWindowTransition { .. }
            | EquipmentError::Retired => ErrorKind::Conflict,
        }
    }
}

fn text(field: &'static str, s: &str, max: usize) -> Result<String, EquipmentError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(EquipmentError::InvalidField {
            field,
            reason: "must not be empty",
        });
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(EquipmentError::InvalidField {
            field,
            reason: "too long or contains control characters",
        });
    }
    Ok(t.to_string())
}

fn in_range(field: &'static str, v: i64, lo: i64, hi: i64) -> Result<i64, EquipmentError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(EquipmentError::InvalidField {
            field,
            reason: "out of range",
        })
    }
}

/// A free-text note or reason (trimmed, may be empty, at most 1 000 characters).
pub fn parse_note(field: &'static str, s: &str) -> Result<String, EquipmentError> {
    let t = s.trim();
    if t.chars().count() > 1_000 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(EquipmentError::InvalidField {
            field,
            reason: "too long or contains control characters",
        });
    }
    Ok(t.to_string())
}

/// Checks a number of print minutes to add: strictly positive.
pub fn positive_minutes(m: i64) -> Result<i64, EquipmentError> {
    if m > 0 {
        Ok(m)
    } else {
        Err(EquipmentError::InvalidMinutes(m))
    }
}

#[cfg(test)]
mod tests;
