//! Equipment domain (pure): printers, their status machine, print eligibility and maintenance.
//!
//! - [`PrinterStatus`] is a state machine; [`PrinterStatus::can_transition`] is the one table.
//! - [`check_printable`] / [`can_print`] decide statically whether a printer can print a part
//!   (technology, supported material kinds, build volume in any of the 6 axis-aligned
//!   orientations); the current status is not considered.
//! - [`next_window`] computes the next maintenance window of a plan from `now`, the plan's
//!   last-done time and print minutes.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorKind};
use crate::inventory::MaterialKind;
use crate::types::{MaintenancePlanId, MaintenanceWindowId, MaterialId, Money, PrinterId};

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
            | EquipmentError::IllegalWindowTransition { .. } => ErrorKind::Conflict,
        }
    }
}

/// Printing technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Technology {
    /// Fused deposition (filament).
    Fdm,
    /// Stereolithography (resin).
    Sla,
    /// Selective laser sintering (powder).
    Sls,
}

impl Technology {
    /// Every technology.
    pub const ALL: [Technology; 3] = [Technology::Fdm, Technology::Sla, Technology::Sls];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Technology::Fdm => "fdm",
            Technology::Sla => "sla",
            Technology::Sls => "sls",
        }
    }

    /// Parses a name, case-insensitive.
    pub fn parse(s: &str) -> Result<Technology, EquipmentError> {
        let t = s.trim().to_ascii_lowercase();
        Technology::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| EquipmentError::UnknownTechnology(s.to_string()))
    }

    /// Whether the technology can process this material kind at all: FDM takes filaments
    /// (everything but resin), SLA takes resin, SLS takes polyamide powder.
    pub fn accepts(self, kind: MaterialKind) -> bool {
        match self {
            Technology::Fdm => kind != MaterialKind::Resin,
            Technology::Sla => kind == MaterialKind::Resin,
            Technology::Sls => kind == MaterialKind::Pa,
        }
    }
}

impl fmt::Display for Technology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Operational status of a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterStatus {
    Idle,
    Printing,
    Paused,
    /// A print finished or was cancelled; the plate must be cleared before the next print.
    NeedsBedClearing,
    Error,
    Offline,
    Maintenance,
}

impl PrinterStatus {
    /// Every status.
    pub const ALL: [PrinterStatus; 7] = [
        PrinterStatus::Idle,
        PrinterStatus::Printing,
        PrinterStatus::Paused,
        PrinterStatus::NeedsBedClearing,
        PrinterStatus::Error,
        PrinterStatus::Offline,
        PrinterStatus::Maintenance,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterStatus::Idle => "idle",
            PrinterStatus::Printing => "printing",
            PrinterStatus::Paused => "paused",
            PrinterStatus::NeedsBedClearing => "needs_bed_clearing",
            PrinterStatus::Error => "error",
            PrinterStatus::Offline => "offline",
            PrinterStatus::Maintenance => "maintenance",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<PrinterStatus, EquipmentError> {
        let t = s.trim().to_ascii_lowercase();
        PrinterStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| EquipmentError::UnknownStatus(s.to_string()))
    }

    /// The transition table. Self-transitions are illegal.
    ///
    /// - idle → printing, maintenance, error, offline
    /// - printing → paused, needs_bed_clearing (finished/cancelled), error, offline
    /// - paused → printing (resume), needs_bed_clearing (cancelled), error, offline
    /// - needs_bed_clearing → idle (cleared), maintenance, error, offline
    /// - error → idle (reset), needs_bed_clearing, maintenance, offline
    /// - offline → idle, needs_bed_clearing, error, maintenance
    /// - maintenance → idle, error, offline
    pub fn can_transition(self, to: PrinterStatus) -> bool {
        use PrinterStatus::*;
        match self {
            Idle => matches!(to, Printing | Maintenance | Error | Offline),
            Printing => matches!(to, Paused | NeedsBedClearing | Error | Offline),
            Paused => matches!(to, Printing | NeedsBedClearing | Error | Offline),
            NeedsBedClearing => matches!(to, Idle | Maintenance | Error | Offline),
            Error => matches!(to, Idle | NeedsBedClearing | Maintenance | Offline),
            Offline => matches!(to, Idle | NeedsBedClearing | Error | Maintenance),
            Maintenance => matches!(to, Idle | Error | Offline),
        }
    }

    /// `to` if legal, else `PRINTER_ILLEGAL_TRANSITION`.
    pub fn transition(self, to: PrinterStatus) -> Result<PrinterStatus, EquipmentError> {
        if self.can_transition(to) {
            Ok(to)
        } else {
            Err(EquipmentError::IllegalTransition { from: self, to })
        }
    }

    /// Whether a print job holds the printer (printing or paused).
    pub fn is_busy(self) -> bool {
        matches!(self, PrinterStatus::Printing | PrinterStatus::Paused)
    }
}

impl fmt::Display for PrinterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Three extents in whole millimetres (a build volume or a part's bounding box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Dimensions {
    pub x_mm: i64,
    pub y_mm: i64,
    pub z_mm: i64,
}

impl Dimensions {
    /// Shorthand constructor.
    pub fn new(x_mm: i64, y_mm: i64, z_mm: i64) -> Self {
        Dimensions { x_mm, y_mm, z_mm }
    }

    /// Whether a box of these dimensions fits into `volume` in at least one of the six
    /// axis-aligned orientations (edges may touch). Non-positive dimensions never fit.
    pub fn fits_within(self, volume: Dimensions) -> bool {
        let [a, b, c] = [self.x_mm, self.y_mm, self.z_mm];
        if a <= 0 || b <= 0 || c <= 0 {
            return false;
        }
        let v = [volume.x_mm, volume.y_mm, volume.z_mm];
        [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]
            .iter()
            .any(|p| p[0] <= v[0] && p[1] <= v[1] && p[2] <= v[2])
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

/// Input for a new printer (created `idle`, with no material loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPrinter {
    /// Unique name, e.g. `mk4-01`.
    pub name: String,
    pub model: String,
    pub technology: Technology,
    /// Build volume, each axis 1..=10 000 mm.
    pub build_volume: Dimensions,
    /// Nozzle diameter in µm (1..=5 000; for SLA/SLS the nominal XY resolution).
    pub nozzle_um: i64,
    /// Material kinds it may print; non-empty, each accepted by the technology.
    pub materials: Vec<MaterialKind>,
    /// Speed relative to the reference printer, percent (1..=1 000).
    pub speed_factor_pct: i64,
    /// Cost of one printing hour, not negative.
    pub hourly_cost: Money,
}

impl NewPrinter {
    /// Validates and normalises (trimmed names, material kinds sorted and deduplicated).
    pub fn validate(&self) -> Result<NewPrinter, EquipmentError> {
        let name = text("name", &self.name, 100)?;
        let model = text("model", &self.model, 100)?;
        let v = self.build_volume;
        let build_volume = Dimensions::new(
            in_range("build volume x", v.x_mm, 1, 10_000)?,
            in_range("build volume y", v.y_mm, 1, 10_000)?,
            in_range("build volume z", v.z_mm, 1, 10_000)?,
        );
        let nozzle_um = in_range("nozzle", self.nozzle_um, 1, 5_000)?;
        let speed_factor_pct = in_range("speed factor", self.speed_factor_pct, 1, 1_000)?;
        if self.hourly_cost.minor < 0 {
            return Err(EquipmentError::InvalidField {
                field: "hourly cost",
                reason: "must not be negative",
            });
        }
        if self.materials.is_empty() {
            return Err(EquipmentError::InvalidField {
                field: "materials",
                reason: "must not be empty",
            });
        }
        let mut materials = self.materials.clone();
        materials.sort();
        materials.dedup();
        if let Some(&kind) = materials.iter().find(|k| !self.technology.accepts(**k)) {
            return Err(EquipmentError::MaterialNotSupported {
                kind,
                technology: self.technology,
            });
        }
        Ok(NewPrinter {
            name,
            model,
            technology: self.technology,
            build_volume,
            nozzle_um,
            materials,
            speed_factor_pct,
            hourly_cost: self.hourly_cost,
        })
    }
}

/// A printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Printer {
    pub id: PrinterId,
    pub name: String,
    pub model: String,
    pub technology: Technology,
    pub build_volume: Dimensions,
    pub nozzle_um: i64,
    /// Supported material kinds, sorted.
    pub materials: Vec<MaterialKind>,
    pub speed_factor_pct: i64,
    pub hourly_cost: Money,
    pub status: PrinterStatus,
    pub loaded_material_id: Option<MaterialId>,
    /// Minutes printed over the printer's life.
    pub print_minutes_total: i64,
    pub created_at: DateTime<Utc>,
}

impl Printer {
    /// Whether the printer may use this material kind (technology and supported list).
    pub fn supports(&self, kind: MaterialKind) -> bool {
        self.technology.accepts(kind) && self.materials.contains(&kind)
    }
}

/// Why a printer cannot print a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Ineligible {
    /// The printer's technology cannot process the material kind.
    TechnologyMismatch {
        technology: Technology,
        kind: MaterialKind,
    },
    /// The technology could, but the printer is not set up for this kind.
    MaterialNotSupported { kind: MaterialKind },
    /// The part's bounding box has a non-positive dimension.
    InvalidBoundingBox,
    /// The part does not fit the build volume in any axis-aligned orientation.
    TooLarge,
}

/// Checks whether `printer` can print a part of `kind` with bounding box `bbox` (mm).
pub fn check_printable(printer: &Printer, kind: MaterialKind, bbox: Dimensions) -> Result<(), Ineligible> {
    if !printer.technology.accepts(kind) {
        return Err(Ineligible::TechnologyMismatch {
            technology: printer.technology,
            kind,
        });
    }
    if !printer.materials.contains(&kind) {
        return Err(Ineligible::MaterialNotSupported { kind });
    }
    if bbox.x_mm <= 0 || bbox.y_mm <= 0 || bbox.z_mm <= 0 {
        return Err(Ineligible::InvalidBoundingBox);
    }
    if !bbox.fits_within(printer.build_volume) {
        return Err(Ineligible::TooLarge);
    }
    Ok(())
}

/// Whether `printer` can print a part of `kind` with bounding box `bbox`; see [`check_printable`].
pub fn can_print(printer: &Printer, kind: MaterialKind, bbox: Dimensions) -> bool {
    check_printable(printer, kind, bbox).is_ok()
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

/// Input for a maintenance plan: due every N print hours, every N days, or whichever comes
/// first when both are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenancePlan {
    pub printer_id: PrinterId,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    /// Length of the window, 1..=10 080 minutes (one week).
    pub duration_minutes: i64,
}

impl NewMaintenancePlan {
    /// Validates: a name, at least one interval, intervals 1..=100 000 hours / 1..=3 650 days.
    pub fn validate(&self) -> Result<NewMaintenancePlan, EquipmentError> {
        let name = text("plan name", &self.name, 100)?;
        if self.every_print_hours.is_none() && self.every_days.is_none() {
            return Err(EquipmentError::PlanWithoutInterval);
        }
        let every_print_hours = self
            .every_print_hours
            .map(|h| in_range("every print hours", h, 1, 100_000))
            .transpose()?;
        let every_days = self
            .every_days
            .map(|d| in_range("every days", d, 1, 3_650))
            .transpose()?;
        let duration_minutes = in_range("duration minutes", self.duration_minutes, 1, 10_080)?;
        Ok(NewMaintenancePlan {
            printer_id: self.printer_id,
            name,
            every_print_hours,
            every_days,
            duration_minutes,
        })
    }
}

/// A recurring maintenance task of one printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenancePlan {
    pub id: MaintenancePlanId,
    pub printer_id: PrinterId,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    pub duration_minutes: i64,
    /// When it was last performed (creation time until first performed).
    pub last_done_at: DateTime<Utc>,
    /// The printer's `print_minutes_total` when it was last performed.
    pub last_done_print_minutes: i64,
}

/// A window to be planned: `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowSpec {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// The next maintenance window of `plan`, if it starts no later than `horizon_end`.
///
/// The plan is due at the earlier of: `last_done_at + every_days`, and — once the printer has
/// printed `every_print_hours` since `last_done_print_minutes` — now (the exact past moment the
/// threshold was crossed is unknown and future print hours are not predicted). The window
/// starts when the plan is due, clamped to `now`, and lasts `duration_minutes`.
pub fn next_window(
    plan: &MaintenancePlan,
    now: DateTime<Utc>,
    print_minutes_total: i64,
    horizon_end: DateTime<Utc>,
) -> Option<WindowSpec> {
    let by_days = plan.every_days.and_then(|d| {
        Duration::try_days(d)
            .and_then(|dur| plan.last_done_at.checked_add_signed(dur))
            .map(|at| (at, d))
    });
    let printed = print_minutes_total.saturating_sub(plan.last_done_print_minutes);
    let by_hours = plan
        .every_print_hours
        .filter(|h| printed >= h.saturating_mul(60))
        .map(|h| (now, h));
    let (due, reason) = match (by_days, by_hours) {
        (Some((d_at, _)), Some((_, h))) if d_at >= now => (now, hours_reason(plan, printed, h)),
        (Some((d_at, d)), _) => (d_at, format!("{}: every {d} days", plan.name)),
        (None, Some((at, h))) => (at, hours_reason(plan, printed, h)),
        (None, None) => return None,
    };
    let starts_at = due.max(now);
    if starts_at > horizon_end {
        return None;
    }
    let ends_at = starts_at.checked_add_signed(Duration::try_minutes(plan.duration_minutes)?)?;
    Some(WindowSpec {
        starts_at,
        ends_at,
        reason,
    })
}

fn hours_reason(plan: &MaintenancePlan, printed_minutes: i64, every_hours: i64) -> String {
    format!(
        "{}: {} of {every_hours} print hours",
        plan.name,
        printed_minutes / 60
    )
}

/// State of a maintenance window: `planned → done` or `planned → cancelled`; both final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Planned,
    Done,
    Cancelled,
}

impl WindowState {
    /// Every state.
    pub const ALL: [WindowState; 3] = [WindowState::Planned, WindowState::Done, WindowState::Cancelled];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowState::Planned => "planned",
            WindowState::Done => "done",
            WindowState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<WindowState> {
        WindowState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `to` if legal (`planned → done | cancelled`), else `MAINTENANCE_ILLEGAL_TRANSITION`.
    pub fn transition(self, to: WindowState) -> Result<WindowState, EquipmentError> {
        match (self, to) {
            (WindowState::Planned, WindowState::Done | WindowState::Cancelled) => Ok(to),
            _ => Err(EquipmentError::IllegalWindowTransition { from: self, to }),
        }
    }
}

impl fmt::Display for WindowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A maintenance window: the printer is unavailable for printing during `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub printer_id: PrinterId,
    pub plan_id: Option<MaintenancePlanId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub state: WindowState,
}

/// A performed maintenance (append-only log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceLogEntry {
    pub id: i64,
    pub printer_id: PrinterId,
    pub plan_id: Option<MaintenancePlanId>,
    pub performed_at: DateTime<Utc>,
    pub performed_by: Option<crate::types::UserId>,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Currency, from_millis};
    use expect_test::expect;

    #[test]
    fn printer_status_every_transition() {
        let mut out = String::new();
        for from in PrinterStatus::ALL {
            let legal: Vec<&str> = PrinterStatus::ALL
                .into_iter()
                .filter(|to| from.can_transition(*to))
                .map(|s| s.as_str())
                .collect();
            out.push_str(&format!("{from:<18} -> {}\n", legal.join(", ")));
            for to in PrinterStatus::ALL {
                let r = from.transition(to);
                assert_eq!(r.is_ok(), from.can_transition(to), "{from} -> {to}");
                match r {
                    Ok(s) => assert_eq!(s, to),
                    Err(e) => {
                        assert_eq!(e, EquipmentError::IllegalTransition { from, to });
                        assert_eq!(
                            (e.code(), e.kind()),
                            ("PRINTER_ILLEGAL_TRANSITION", ErrorKind::Conflict)
                        );
                    }
                }
            }
            assert!(!from.can_transition(from), "self transition {from}");
            assert_eq!(PrinterStatus::parse(from.as_str()), Ok(from));
        }
        expect![[r#"
            idle               -> printing, error, offline, maintenance
            printing           -> paused, needs_bed_clearing, error, offline
            paused             -> printing, needs_bed_clearing, error, offline
            needs_bed_clearing -> idle, error, offline, maintenance
            error              -> idle, needs_bed_clearing, offline, maintenance
            offline            -> idle, needs_bed_clearing, error, maintenance
            maintenance        -> idle, error, offline
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn window_state_every_transition() {
        let mut out = String::new();
        for from in WindowState::ALL {
            for to in WindowState::ALL {
                let shown = match from.transition(to) {
                    Ok(s) => format!("ok {s}"),
                    Err(e) => e.code().to_string(),
                };
                out.push_str(&format!("{from:>9} -> {to:<9} {shown}\n"));
            }
        }
        expect![[r#"
              planned -> planned   MAINTENANCE_ILLEGAL_TRANSITION
              planned -> done      ok done
              planned -> cancelled ok cancelled
                 done -> planned   MAINTENANCE_ILLEGAL_TRANSITION
                 done -> done      MAINTENANCE_ILLEGAL_TRANSITION
                 done -> cancelled MAINTENANCE_ILLEGAL_TRANSITION
            cancelled -> planned   MAINTENANCE_ILLEGAL_TRANSITION
            cancelled -> done      MAINTENANCE_ILLEGAL_TRANSITION
            cancelled -> cancelled MAINTENANCE_ILLEGAL_TRANSITION
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn technology_material_matrix() {
        let mut out = String::new();
        for t in Technology::ALL {
            let kinds: Vec<&str> = MaterialKind::ALL
                .into_iter()
                .filter(|k| t.accepts(*k))
                .map(|k| k.as_str())
                .collect();
            out.push_str(&format!("{t}: {}\n", kinds.join(" ")));
        }
        expect![[r#"
            fdm: PLA PETG ABS ASA TPU PA PC
            sla: RESIN
            sls: PA
        "#]]
        .assert_eq(&out);
    }

    fn printer() -> Printer {
        Printer {
            id: PrinterId(1),
            name: "mk4-01".into(),
            model: "MK4".into(),
            technology: Technology::Fdm,
            build_volume: Dimensions::new(250, 210, 220),
            nozzle_um: 400,
            materials: vec![MaterialKind::Pla, MaterialKind::Petg],
            speed_factor_pct: 100,
            hourly_cost: Money::new(150, Currency::EUR),
            status: PrinterStatus::Idle,
            loaded_material_id: None,
            print_minutes_total: 0,
            created_at: DateTime::default(),
        }
    }

    #[test]
    fn eligibility() {
        let p = printer();
        use Ineligible::*;
        let d = Dimensions::new;
        let cases: &[(MaterialKind, Dimensions, Result<(), Ineligible>)] = &[
            (MaterialKind::Pla, d(100, 100, 100), Ok(())),
            (MaterialKind::Pla, d(250, 210, 220), Ok(())),
            // Fits only when rotated: each of the six orientations is needed by some box.
            (MaterialKind::Pla, d(220, 250, 210), Ok(())),
            (MaterialKind::Pla, d(210, 220, 250), Ok(())),
            (MaterialKind::Pla, d(220, 210, 250), Ok(())),
            (MaterialKind::Pla, d(210, 250, 220), Ok(())),
            (MaterialKind::Pla, d(250, 220, 210), Ok(())),
            (MaterialKind::Petg, d(10, 10, 10), Ok(())),
            (MaterialKind::Pla, d(251, 10, 10), Err(TooLarge)),
            (MaterialKind::Pla, d(230, 230, 10), Err(TooLarge)),
            (MaterialKind::Pla, d(221, 221, 221), Err(TooLarge)),
            (MaterialKind::Pla, d(0, 10, 10), Err(InvalidBoundingBox)),
            (MaterialKind::Pla, d(10, -1, 10), Err(InvalidBoundingBox)),
            (
                MaterialKind::Abs,
                d(10, 10, 10),
                Err(MaterialNotSupported {
                    kind: MaterialKind::Abs,
                }),
            ),
            (
                MaterialKind::Resin,
                d(10, 10, 10),
                Err(TechnologyMismatch {
                    technology: Technology::Fdm,
                    kind: MaterialKind::Resin,
                }),
            ),
        ];
        for (kind, bbox, want) in cases {
            assert_eq!(check_printable(&p, *kind, *bbox), *want, "{kind} {bbox:?}");
            assert_eq!(can_print(&p, *kind, *bbox), want.is_ok());
        }
        assert_eq!(
            serde_json::to_value(Ineligible::TooLarge).unwrap(),
            serde_json::json!({"reason": "too_large"})
        );
        assert_eq!(
            serde_json::to_value(MaterialNotSupported {
                kind: MaterialKind::Abs
            })
            .unwrap(),
            serde_json::json!({"reason": "material_not_supported", "kind": "ABS"})
        );
        // A box that fits only in a non-identity orientation, checked against each orientation
        // of the volume.
        let vol = [250, 210, 220];
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for p in perms {
            let b = Dimensions::new(vol[p[0]], vol[p[1]], vol[p[2]]);
            assert!(b.fits_within(Dimensions::new(250, 210, 220)), "{b:?}");
        }
    }

    #[test]
    fn new_printer_validation() {
        let ok = NewPrinter {
            name: " mk4-01 ".into(),
            model: "Prusa MK4".into(),
            technology: Technology::Fdm,
            build_volume: Dimensions::new(250, 210, 220),
            nozzle_um: 400,
            materials: vec![MaterialKind::Petg, MaterialKind::Pla, MaterialKind::Petg],
            speed_factor_pct: 100,
            hourly_cost: Money::new(150, Currency::EUR),
        };
        let v = ok.validate().unwrap();
        assert_eq!(v.name, "mk4-01");
        assert_eq!(v.materials, vec![MaterialKind::Pla, MaterialKind::Petg]);
        let bad: Vec<(NewPrinter, &str)> = vec![
            (
                NewPrinter {
                    name: " ".into(),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    model: "".into(),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    build_volume: Dimensions::new(0, 1, 1),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    build_volume: Dimensions::new(1, 1, -1),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    nozzle_um: 0,
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    speed_factor_pct: 0,
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    hourly_cost: Money::new(-1, Currency::EUR),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    materials: vec![],
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewPrinter {
                    materials: vec![MaterialKind::Resin],
                    ..ok.clone()
                },
                "EQUIPMENT_MATERIAL_NOT_SUPPORTED",
            ),
        ];
        for (p, code) in bad {
            assert_eq!(p.validate().unwrap_err().code(), code, "{p:?}");
        }
        assert_eq!(Technology::parse("SLA"), Ok(Technology::Sla));
        assert_eq!(
            Technology::parse("fff").unwrap_err().code(),
            "EQUIPMENT_UNKNOWN_TECHNOLOGY"
        );
        assert_eq!(positive_minutes(0), Err(EquipmentError::InvalidMinutes(0)));
    }

    const DAY_MS: i64 = 86_400_000;
    const T0: i64 = 1_700_000_000_000;

    fn plan(hours: Option<i64>, days: Option<i64>) -> MaintenancePlan {
        MaintenancePlan {
            id: MaintenancePlanId(1),
            printer_id: PrinterId(1),
            name: "lube".into(),
            every_print_hours: hours,
            every_days: days,
            duration_minutes: 90,
            last_done_at: from_millis(T0),
            last_done_print_minutes: 600,
        }
    }

    /// (every hours, every days, now offset days, printed minutes total, horizon days after now)
    ///   -> (window start offset from T0 in ms, reason), or no window.
    type WindowCase = (
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        i64,
        Option<(i64, &'static str)>,
    );

    #[test]
    fn maintenance_windows() {
        #[rustfmt::skip]
        let cases: &[WindowCase] = &[
            // Days: due in the future within the horizon.
            (None, Some(30), 10, 600, 30, Some((30 * DAY_MS, "lube: every 30 days"))),
            // Days: due beyond the horizon.
            (None, Some(30), 10, 600, 5, None),
            // Days: overdue, clamped to now.
            (None, Some(30), 40, 600, 1, Some((40 * DAY_MS, "lube: every 30 days"))),
            // Hours: threshold not reached.
            (Some(100), None, 1, 600 + 99 * 60, 365, None),
            // Hours: threshold reached exactly -> now.
            (Some(100), None, 1, 600 + 100 * 60, 0, Some((DAY_MS, "lube: 100 of 100 print hours"))),
            // Both: hours reached before the day interval -> now.
            (Some(100), Some(30), 2, 600 + 150 * 60, 0, Some((2 * DAY_MS, "lube: 150 of 100 print hours"))),
            // Both: hours not reached -> day interval.
            (Some(100), Some(30), 2, 600, 60, Some((30 * DAY_MS, "lube: every 30 days"))),
            // Both overdue: days win the reason, clamped to now.
            (Some(100), Some(30), 45, 600 + 150 * 60, 0, Some((45 * DAY_MS, "lube: every 30 days"))),
        ];
        for (hours, days, now_d, printed, horizon_d, want) in cases {
            let p = plan(*hours, *days);
            let now = from_millis(T0 + now_d * DAY_MS);
            let horizon = from_millis(T0 + (now_d + horizon_d) * DAY_MS);
            let got = next_window(&p, now, *printed, horizon);
            let got = got.map(|w| {
                assert_eq!((w.ends_at - w.starts_at).num_minutes(), 90);
                (w.starts_at.timestamp_millis() - T0, w.reason)
            });
            let want = want.map(|(off, r)| (off, r.to_string()));
            assert_eq!(got, want, "{hours:?} {days:?} now+{now_d}d printed {printed}");
        }
    }

    #[test]
    fn plan_validation() {
        let ok = NewMaintenancePlan {
            printer_id: PrinterId(1),
            name: "nozzle".into(),
            every_print_hours: Some(200),
            every_days: None,
            duration_minutes: 30,
        };
        assert!(ok.validate().is_ok());
        let bad = [
            (
                NewMaintenancePlan {
                    every_print_hours: None,
                    ..ok.clone()
                },
                "MAINTENANCE_NO_INTERVAL",
            ),
            (
                NewMaintenancePlan {
                    every_print_hours: Some(0),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewMaintenancePlan {
                    every_days: Some(-3),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewMaintenancePlan {
                    duration_minutes: 0,
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
            (
                NewMaintenancePlan {
                    name: "".into(),
                    ..ok.clone()
                },
                "EQUIPMENT_INVALID_FIELD",
            ),
        ];
        for (p, code) in bad {
            assert_eq!(p.validate().unwrap_err().code(), code, "{p:?}");
        }
    }
}
