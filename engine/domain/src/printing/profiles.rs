//! Printer profiles (per printer model: build volume, nozzle, allowed materials and a
//! PrusaSlicer configuration passed with `--load`) and filament profiles (per material, a
//! PrusaSlicer filament configuration). Estimates and G-code made with them are kept per
//! (uploaded model, printer profile, material) — [`ProfiledEstimateKey`].
//!
//! A configuration is PrusaSlicer's INI text: `key = value` lines, comments (`#`, `;`) and blank
//! lines. It is checked here before anything is stored: syntax, size, one line per key, no
//! `post_process` (it would run programs on the server), no binary G-code (the summary must be
//! readable), and a printer configuration that names `nozzle_diameter`, `max_print_height` or
//! `bed_shape` must agree with the profile's nozzle and build volume.

use chrono::{DateTime, Utc};

use super::PrintingError;
use crate::equipment::{Dimensions, Printer};
use crate::inventory::MaterialKind;
use crate::types::{MaterialId, ModelFileId};

/// Largest configuration text, bytes.
pub const MAX_SLICER_CONFIG_BYTES: usize = 128 * 1024;
/// Longest printer model name, characters.
pub const MAX_PRINTER_MODEL_CHARS: usize = 100;

/// Keys a stored configuration may not set.
const FORBIDDEN_KEYS: &[&str] = &["post_process"];

/// A printer profile as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterModelProfile {
    pub id: i64,
    /// The printer model it describes; printers whose `model` is this name use it.
    pub printer_model: String,
    pub build_volume: Dimensions,
    pub nozzle_um: i64,
    /// Material kinds the model may print, sorted.
    pub materials: Vec<MaterialKind>,
    /// PrusaSlicer printer (and print) settings, INI text.
    pub slicer_config: String,
    /// Bumped by every change; estimates made with an older revision are not reused.
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
}

impl PrinterModelProfile {
    /// Whether a printer is of this profile's model.
    pub fn applies_to(&self, p: &Printer) -> bool {
        p.model == self.printer_model
    }

    /// Whether the profile allows the material kind.
    pub fn allows(&self, kind: MaterialKind) -> bool {
        self.materials.contains(&kind)
    }
}

/// Input of a printer profile (created or replaced by printer model).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPrinterModelProfile {
    pub printer_model: String,
    pub build_volume: Dimensions,
    pub nozzle_um: i64,
    pub materials: Vec<MaterialKind>,
    pub slicer_config: String,
}

/// A filament profile as stored (one per material).
#[derive(Debug, Clone, PartialEq)]
pub struct FilamentProfile {
    pub material_id: MaterialId,
    /// PrusaSlicer filament settings, INI text.
    pub slicer_config: String,
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
}

/// The key estimates and G-code made with profiles are cached by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfiledEstimateKey {
    pub model_id: ModelFileId,
    pub profile_id: i64,
    pub material_id: MaterialId,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PrintingError {
    PrintingError::ProfileInvalid {
        field,
        reason: reason.into(),
    }
}

fn config_error(field: &'static str, line: usize, reason: impl Into<String>) -> PrintingError {
    PrintingError::SlicerConfigInvalid {
        field,
        line,
        reason: reason.into(),
    }
}

/// The `key = value` pairs of a PrusaSlicer INI text (checked: syntax, size, duplicates,
/// forbidden keys), in order. `field` names the input in errors.
pub fn parse_slicer_config(field: &'static str, text: &str) -> Result<Vec<(String, String)>, PrintingError> {
    if text.len() > MAX_SLICER_CONFIG_BYTES {
        return Err(config_error(
            field,
            0,
            format!("{} bytes, more than {MAX_SLICER_CONFIG_BYTES}", text.len()),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            return Err(config_error(
                field,
                n,
                "sections are bundle syntax; give one profile's settings without [sections]",
            ));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(config_error(field, n, "expected `key = value`"));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(config_error(field, n, format!("{key:?} is not a setting name")));
        }
        let value = value.trim();
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(config_error(field, n, "control characters in the value"));
        }
        if FORBIDDEN_KEYS.contains(&key) && !value.is_empty() {
            return Err(config_error(
                field,
                n,
                format!("`{key}` may not be set (it would run programs on the server)"),
            ));
        }
        if key == "binary_gcode" && value != "0" {
            return Err(config_error(field, n, "binary G-code cannot be read back; use 0"));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(config_error(field, n, format!("`{key}` is set twice")));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

fn number(field: &'static str, key: &str, value: &str) -> Result<f64, PrintingError> {
    // Per-extruder lists (`0.4,0.4`): the first extruder is the one printed with.
    let first = value.split(',').next().unwrap_or("").trim();
    match first.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(config_error(
            field,
            0,
            format!("`{key}` = {value:?} is not a positive number"),
        )),
    }
}

/// Extents (x, y) of a `bed_shape` polygon (`0x0,250x0,250x210,0x210`), millimetres.
fn bed_extents(value: &str) -> Option<(f64, f64)> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for p in value.split(',') {
        let (x, y) = p.trim().split_once('x')?;
        let (x, y): (f64, f64) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        xs.push(x);
        ys.push(y);
    }
    if xs.len() < 3 {
        return None;
    }
    let span =
        |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min);
    Some((span(&xs), span(&ys)))
}

impl NewPrinterModelProfile {
    /// The profile, checked (name, build volume 1..=10 000 mm per axis, nozzle 1..=5 000 µm,
    /// a non-empty list of materials, and the configuration as [`parse_slicer_config`] and
    /// consistent with the nozzle and the build volume).
    pub fn validate(mut self) -> Result<NewPrinterModelProfile, PrintingError> {
        let name = self.printer_model.trim().to_string();
        if name.is_empty()
            || name.chars().count() > MAX_PRINTER_MODEL_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(invalid(
                "printerModel",
                format!("expected 1 to {MAX_PRINTER_MODEL_CHARS} printable characters"),
            ));
        }
        self.printer_model = name;
        let v = self.build_volume;
        for (axis, mm) in [("x", v.x_mm), ("y", v.y_mm), ("z", v.z_mm)] {
            if !(1..=10_000).contains(&mm) {
                return Err(invalid(
                    "buildVolume",
                    format!("{axis} = {mm} mm, expected 1 to 10000"),
                ));
            }
        }
        if !(1..=5_000).contains(&self.nozzle_um) {
            return Err(invalid(
                "nozzleUm",
                format!("{} µm, expected 1 to 5000", self.nozzle_um),
            ));
        }
        self.materials.sort();
        self.materials.dedup();
        if self.materials.is_empty() {
            return Err(invalid("materials", "name at least one material kind"));
        }
        const F: &str = "slicerConfig";
        let pairs = parse_slicer_config(F, &self.slicer_config)?;
        for (key, value) in &pairs {
            match key.as_str() {
                "nozzle_diameter" => {
                    let mm = number(F, key, value)?;
                    if (mm * 1000.0 - self.nozzle_um as f64).abs() > 1.0 {
                        return Err(config_error(
                            F,
                            0,
                            format!(
                                "nozzle_diameter = {value} disagrees with the profile's nozzle of {} µm",
                                self.nozzle_um
                            ),
                        ));
                    }
                }
                "max_print_height" => {
                    let mm = number(F, key, value)?;
                    if (mm - v.z_mm as f64).abs() > 1.0 {
                        return Err(config_error(
                            F,
                            0,
                            format!(
                                "max_print_height = {value} disagrees with the build height of {} mm",
                                v.z_mm
                            ),
                        ));
                    }
                }
                "bed_shape" => {
                    let (x, y) = bed_extents(value).ok_or_else(|| {
                        config_error(F, 0, format!("bed_shape = {value:?} is not a list of XxY points"))
                    })?;
                    if (x - v.x_mm as f64).abs() > 1.0 || (y - v.y_mm as f64).abs() > 1.0 {
                        return Err(config_error(
                            F,
                            0,
                            format!(
                                "bed_shape spans {x} × {y} mm, the build volume is {} × {} mm",
                                v.x_mm, v.y_mm
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(self)
    }
}

/// Temperatures of a filament profile, whole °C.
const TEMPERATURE_KEYS: &[&str] = &[
    "temperature",
    "first_layer_temperature",
    "bed_temperature",
    "first_layer_bed_temperature",
];

/// A filament configuration, checked: the syntax of [`parse_slicer_config`], and
/// `filament_diameter` / `filament_density` positive numbers and the temperatures whole °C
/// (0–500) where given.
pub fn validate_filament_config(text: &str) -> Result<(), PrintingError> {
    const F: &str = "slicerConfig";
    for (key, value) in parse_slicer_config(F, text)? {
        if key == "filament_diameter" || key == "filament_density" {
            number(F, &key, &value)?;
        }
        // PrusaSlicer reads a word as 0 °C here; a typo must not print cold.
        if TEMPERATURE_KEYS.contains(&key.as_str()) {
            let ok = value
                .split(',')
                .all(|t| t.trim().parse::<u32>().is_ok_and(|c| c <= 500));
            if !ok {
                return Err(config_error(
                    F,
                    0,
                    format!("`{key}` = {value:?} is not a temperature in whole °C (0 to 500)"),
                ));
            }
        }
    }
    Ok(())
}

/// The profile of a printer's model, if one is defined.
pub fn profile_of<'a>(profiles: &'a [PrinterModelProfile], p: &Printer) -> Option<&'a PrinterModelProfile> {
    profiles.iter().find(|pr| pr.applies_to(p))
}
