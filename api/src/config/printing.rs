//! Model uploads and print estimates.

use std::path::PathBuf;

use super::ConfigError;
use super::source::{Source, invalid};
use crate::slicer::SlicerSetting;

/// `GANTRY_MAX_UPLOAD_BYTES`, `GANTRY_SLICER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintingSettings {
    /// Largest accepted model upload, bytes (1 KiB–4 GiB, default 100 MiB).
    pub max_upload_bytes: u64,
    /// Which slicer estimates print time and filament (`auto`, `off` or an absolute path).
    pub slicer: SlicerSetting,
}

pub(super) fn parse(src: &Source<'_>) -> Result<PrintingSettings, ConfigError> {
    let max_upload_bytes = src.number("GANTRY_MAX_UPLOAD_BYTES", 100 * 1024 * 1024, 1024..=1 << 32)?;
    let slicer = match src.get("GANTRY_SLICER").as_deref() {
        None | Some("auto") => SlicerSetting::Auto,
        Some("off") => SlicerSetting::Off,
        Some(path) if path.starts_with('/') => SlicerSetting::Program(PathBuf::from(path)),
        Some(other) => {
            return Err(invalid(
                "GANTRY_SLICER",
                other,
                "auto, off or an absolute path to prusa-slicer",
            ));
        }
    };
    Ok(PrintingSettings {
        max_upload_bytes,
        slicer,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        let p = accepts(&[], |c| c.printing.clone());
        assert_eq!(p.max_upload_bytes, 100 * 1024 * 1024);
        assert_eq!(p.slicer, SlicerSetting::Auto);
        let p = accepts(
            &[
                ("GANTRY_MAX_UPLOAD_BYTES", "2048"),
                ("GANTRY_SLICER", "/opt/ps/prusa-slicer"),
            ],
            |c| c.printing.clone(),
        );
        assert_eq!(p.max_upload_bytes, 2048);
        assert_eq!(
            p.slicer,
            SlicerSetting::Program(PathBuf::from("/opt/ps/prusa-slicer"))
        );
        assert_eq!(
            accepts(&[("GANTRY_SLICER", "off")], |c| c.printing.slicer.clone()),
            SlicerSetting::Off
        );
        assert_eq!(
            accepts(&[("GANTRY_MAX_UPLOAD_BYTES", "4294967296")], |c| c
                .printing
                .max_upload_bytes),
            1 << 32
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_MAX_UPLOAD_BYTES", "12", "a whole number in range"),
            ("GANTRY_MAX_UPLOAD_BYTES", "4294967297", "a whole number in range"),
            ("GANTRY_MAX_UPLOAD_BYTES", "lots", "a whole number in range"),
            (
                "GANTRY_SLICER",
                "cura",
                "auto, off or an absolute path to prusa-slicer",
            ),
            (
                "GANTRY_SLICER",
                "bin/prusa-slicer",
                "auto, off or an absolute path to prusa-slicer",
            ),
        ]);
    }
}
