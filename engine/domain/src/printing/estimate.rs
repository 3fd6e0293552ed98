//! Print estimates: extruded volume and grams, print time by formula per printer profile, and
//! PrusaSlicer's G-code summary.

use serde::{Deserialize, Serialize};

use super::PrintingError;
use crate::catalog::ProductionSpec;
use crate::equipment::{Printer, Technology};
use crate::planning::scaled_minutes;

/// How an estimate was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateMethod {
    /// The per-printer-profile formula of this module.
    Formula,
    /// PrusaSlicer sliced the model; its estimated time and filament are used.
    PrusaSlicer,
}

impl EstimateMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            EstimateMethod::Formula => "formula",
            EstimateMethod::PrusaSlicer => "prusa_slicer",
        }
    }

    pub fn parse(s: &str) -> Option<EstimateMethod> {
        match s {
            "formula" => Some(EstimateMethod::Formula),
            "prusa_slicer" => Some(EstimateMethod::PrusaSlicer),
            _ => None,
        }
    }
}

/// The geometry an estimate needs (from the geometry analysis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartGeometry {
    pub volume_mm3: f64,
    pub surface_area_mm2: f64,
    /// Bounding box size (x, y, z), millimetres.
    pub size_mm: [f64; 3],
}

/// Slicing settings of the estimate (also passed to PrusaSlicer).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SliceSettings {
    pub layer_height_mm: f64,
    pub perimeters: u32,
    pub line_width_mm: f64,
    /// Sparse infill density, percent.
    pub infill_pct: u32,
}

impl Default for SliceSettings {
    fn default() -> Self {
        SliceSettings {
            layer_height_mm: 0.2,
            perimeters: 2,
            line_width_mm: 0.45,
            infill_pct: 15,
        }
    }
}

/// The time model of a printer (its "profile").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterProfile {
    pub technology: Technology,
    pub nozzle_um: i64,
    /// 100 = nominal speed.
    pub speed_factor_pct: i64,
}

impl PrinterProfile {
    /// The nominal profile the model-level estimate is given for (0.4 mm FDM at 100 %).
    pub const NOMINAL: PrinterProfile = PrinterProfile {
        technology: Technology::Fdm,
        nozzle_um: 400,
        speed_factor_pct: 100,
    };

    pub fn of(p: &Printer) -> PrinterProfile {
        PrinterProfile {
            technology: p.technology,
            nozzle_um: p.nozzle_um,
            speed_factor_pct: p.speed_factor_pct,
        }
    }

    /// Volumetric extrusion rate, mm³/s: 8 mm³/s at 0.4 mm, growing with the nozzle area.
    /// Resin and powder machines expose by layer; their rate is the part volume per second of
    /// a typical layer time (a coarse constant).
    fn rate_mm3_s(&self) -> f64 {
        match self.technology {
            Technology::Fdm => {
                let d = (self.nozzle_um.max(100) as f64) / 400.0;
                8.0 * d * d
            }
            Technology::Sla | Technology::Sls => 40.0,
        }
    }

    fn layer_seconds(&self) -> f64 {
        match self.technology {
            Technology::Fdm => 4.0,
            Technology::Sla => 10.0,
            Technology::Sls => 12.0,
        }
    }

    fn heatup_minutes(&self) -> f64 {
        match self.technology {
            Technology::Fdm => 4.0,
            Technology::Sla => 2.0,
            Technology::Sls => 30.0,
        }
    }
}

/// The volume of material a part takes, mm³: a shell of `perimeters × line width` under the
/// surface (at most the whole part) plus `infill %` of the inside.
pub fn extruded_volume_mm3(g: &PartGeometry, s: &SliceSettings) -> f64 {
    let volume = g.volume_mm3.max(0.0);
    let wall = f64::from(s.perimeters) * s.line_width_mm.max(0.0);
    let shell = (g.surface_area_mm2.max(0.0) * wall).min(volume);
    let infill = (volume - shell) * f64::from(s.infill_pct.min(100)) / 100.0;
    shell + infill
}

/// Grams of a material of `density_mg_cm3` for `cm3` of it, rounded up, at least 1.
pub fn grams_for(cm3: f64, density_mg_cm3: i64) -> i64 {
    let g = cm3.max(0.0) * density_mg_cm3.max(0) as f64 / 1000.0;
    (g.ceil() as i64).clamp(1, ProductionSpec::MAX_GRAMS_PER_UNIT)
}

/// Print time of one copy by formula on a printer profile, whole minutes (rounded up, ≥ 1).
pub fn formula_minutes(g: &PartGeometry, s: &SliceSettings, profile: &PrinterProfile) -> i64 {
    let extruded = extruded_volume_mm3(g, s);
    let layers = (g.size_mm[2].max(0.0) / s.layer_height_mm.max(0.01)).ceil();
    let seconds = extruded / profile.rate_mm3_s() + layers * profile.layer_seconds();
    let nominal = (profile.heatup_minutes() + seconds / 60.0).ceil() as i64;
    scaled_minutes(
        nominal.clamp(1, ProductionSpec::MAX_MINUTES_PER_UNIT),
        profile.speed_factor_pct,
    )
}

/// A model's estimate at the nominal profile, kept with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub method: EstimateMethod,
    /// Material volume of one copy, cm³.
    pub material_cm3: f64,
    /// Print minutes of one copy at the nominal profile.
    pub minutes: i64,
    /// Object-store key of the G-code when PrusaSlicer made it.
    pub gcode_key: Option<String>,
    pub settings: SliceSettings,
}

impl Estimate {
    /// The formula estimate at the nominal profile.
    pub fn formula(g: &PartGeometry, s: &SliceSettings) -> Estimate {
        Estimate {
            method: EstimateMethod::Formula,
            material_cm3: extruded_volume_mm3(g, s) / 1000.0,
            minutes: formula_minutes(g, s, &PrinterProfile::NOMINAL),
            gcode_key: None,
            settings: *s,
        }
    }

    /// The estimate from PrusaSlicer's report.
    pub fn from_slicer(
        report: &SlicerReport,
        s: &SliceSettings,
        fallback_density_mg_cm3: i64,
        gcode_key: String,
    ) -> Estimate {
        let cm3 = report.filament_cm3.unwrap_or_else(|| {
            // Only grams reported: back to volume with the density the slicer assumed.
            report.filament_g.unwrap_or(0.0) * 1000.0 / fallback_density_mg_cm3.max(1) as f64
        });
        Estimate {
            method: EstimateMethod::PrusaSlicer,
            material_cm3: cm3,
            minutes: report.minutes.clamp(1, ProductionSpec::MAX_MINUTES_PER_UNIT),
            gcode_key: Some(gcode_key),
            settings: *s,
        }
    }

    /// Minutes of one copy on a printer: the formula for its profile, or the slicer's time
    /// scaled by its speed factor.
    pub fn minutes_on(&self, g: &PartGeometry, profile: &PrinterProfile) -> i64 {
        match self.method {
            EstimateMethod::Formula => formula_minutes(g, &self.settings, profile),
            EstimateMethod::PrusaSlicer => scaled_minutes(self.minutes, profile.speed_factor_pct),
        }
    }
}

/// What PrusaSlicer reports at the end of its G-code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlicerReport {
    /// `estimated printing time (normal mode)`, whole minutes rounded up.
    pub minutes: i64,
    /// `filament used [cm3]` (summed over extruders).
    pub filament_cm3: Option<f64>,
    /// `filament used [g]` (summed over extruders).
    pub filament_g: Option<f64>,
}

/// Parses a slicer duration such as `1d 2h 13m 45s` (any subset, in this order) into seconds.
pub fn parse_slicer_duration(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut any = false;
    for part in s.split_whitespace() {
        let (num, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = num.parse().ok()?;
        let mult = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        any = true;
    }
    any.then_some(total)
}

fn sum_values(v: &str) -> Option<f64> {
    let mut sum = 0.0;
    for x in v.split(',') {
        let f: f64 = x.trim().parse().ok()?;
        if !f.is_finite() || f < 0.0 {
            return None;
        }
        sum += f;
    }
    Some(sum)
}

/// Reads PrusaSlicer's summary comments (`; estimated printing time (normal mode) = 13m 45s`,
/// `; filament used [cm3] = 2.9`, `; filament used [g] = 3.6`). The time is required; without
/// any filament figure the output is rejected too.
pub fn parse_slicer_gcode(text: &str) -> Result<SlicerReport, PrintingError> {
    let mut seconds = None;
    let mut cm3 = None;
    let mut grams = None;
    for line in text.lines().rev() {
        let Some(rest) = line.trim().strip_prefix(';') else {
            continue;
        };
        let Some((key, value)) = rest.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "estimated printing time (normal mode)" if seconds.is_none() => {
                seconds = parse_slicer_duration(value);
            }
            "filament used [cm3]" if cm3.is_none() => cm3 = sum_values(value),
            "filament used [g]" if grams.is_none() => grams = sum_values(value),
            _ => {}
        }
        if seconds.is_some() && cm3.is_some() && grams.is_some() {
            break;
        }
    }
    let seconds = seconds.ok_or(PrintingError::SlicerOutput("estimated printing time"))?;
    if cm3.is_none() && grams.is_none() {
        return Err(PrintingError::SlicerOutput("filament used"));
    }
    Ok(SlicerReport {
        minutes: ((seconds + 59) / 60).max(1),
        filament_cm3: cm3,
        filament_g: grams,
    })
}
