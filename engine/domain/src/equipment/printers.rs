//! Printers: technology, the status machine, dimensions, new printers and print eligibility.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{EquipmentError, in_range, text};
use crate::inventory::MaterialKind;
use crate::types::{MaterialId, Money, PrinterId};

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
    /// The group it belongs to (a room, a rack, a line), for filtering; `None`: ungrouped.
    pub group: Option<String>,
    /// When it was retired (out of the farm for good; kept for its history).
    pub retired_at: Option<DateTime<Utc>>,
}

/// Changes to a printer's record (`None`: unchanged). Its technology never changes; its
/// status, loaded material and print hours change through their own commands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterEdit {
    pub name: Option<String>,
    pub model: Option<String>,
    pub build_volume: Option<Dimensions>,
    pub nozzle_um: Option<i64>,
    pub materials: Option<Vec<MaterialKind>>,
    pub speed_factor_pct: Option<i64>,
    pub hourly_cost: Option<Money>,
    /// `Some("")`: no group.
    pub group: Option<String>,
}

impl PrinterEdit {
    /// The printer with the changes applied, checked like a new printer (a retired printer
    /// is not edited: `PRINTER_RETIRED`).
    pub fn apply(&self, p: &Printer) -> Result<Printer, EquipmentError> {
        if p.retired_at.is_some() {
            return Err(EquipmentError::Retired);
        }
        let checked = NewPrinter {
            name: self.name.clone().unwrap_or_else(|| p.name.clone()),
            model: self.model.clone().unwrap_or_else(|| p.model.clone()),
            technology: p.technology,
            build_volume: self.build_volume.unwrap_or(p.build_volume),
            nozzle_um: self.nozzle_um.unwrap_or(p.nozzle_um),
            materials: self.materials.clone().unwrap_or_else(|| p.materials.clone()),
            speed_factor_pct: self.speed_factor_pct.unwrap_or(p.speed_factor_pct),
            hourly_cost: self.hourly_cost.unwrap_or(p.hourly_cost),
        }
        .validate()?;
        let group = match &self.group {
            Some(g) => parse_group(g)?,
            None => p.group.clone(),
        };
        Ok(Printer {
            name: checked.name,
            model: checked.model,
            build_volume: checked.build_volume,
            nozzle_um: checked.nozzle_um,
            materials: checked.materials,
            speed_factor_pct: checked.speed_factor_pct,
            hourly_cost: checked.hourly_cost,
            group,
            ..p.clone()
        })
    }
}

/// A printer group's name: trimmed, at most 60 characters; empty means no group.
pub fn parse_group(s: &str) -> Result<Option<String>, EquipmentError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    text("group", t, 60).map(Some)
}

/// Whether a printer may be retired: not already retired, and not printing or paused (a job
/// on its bed must end first).
pub fn check_retire(p: &Printer) -> Result<(), EquipmentError> {
    if p.retired_at.is_some() {
        return Err(EquipmentError::Retired);
    }
    if matches!(p.status, PrinterStatus::Printing | PrinterStatus::Paused) {
        return Err(EquipmentError::PrinterBusy { status: p.status });
    }
    Ok(())
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
