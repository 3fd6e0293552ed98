//! PrusaSlicer as an external estimator: when it is installed (`GANTRY_SLICER=auto`, the
//! default, looks for `prusa-slicer` on `PATH`; a path names the program; `off` never slices),
//! a model is sliced with the estimate's settings in a private temporary directory, as an async
//! child process with a time limit (killed when it runs over), and its G-code summary is read
//! by [`gantry_engine::domain::printing::parse_slicer_gcode`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use gantry_engine::domain::printing::{SliceSettings, SlicerReport, parse_slicer_gcode};

/// Longest a slice may take.
pub const SLICE_TIMEOUT: Duration = Duration::from_secs(120);

/// Which slicer to use (`GANTRY_SLICER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlicerSetting {
    /// `prusa-slicer` from `PATH` when present, the formula otherwise.
    Auto,
    /// Always the formula.
    Off,
    /// This program.
    Program(PathBuf),
}

/// Slicing failed; the caller falls back to the formula.
#[derive(Debug, thiserror::Error)]
pub enum SlicerError {
    #[error("cannot run the slicer: {0}")]
    Io(#[from] std::io::Error),
    #[error("the slicer took longer than {0:?}")]
    Timeout(Duration),
    #[error("the slicer failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
    #[error(transparent)]
    Output(#[from] gantry_engine::domain::printing::PrintingError),
}

/// A located slicer (or none).
#[derive(Debug, Clone)]
pub struct Slicer {
    program: Option<PathBuf>,
    timeout: Duration,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Slicer {
    pub fn new(setting: &SlicerSetting) -> Slicer {
        let program = match setting {
            SlicerSetting::Off => None,
            SlicerSetting::Auto => on_path("prusa-slicer"),
            SlicerSetting::Program(p) => Some(p.clone()),
        };
        Slicer {
            program,
            timeout: SLICE_TIMEOUT,
        }
    }

    /// Whether slicing will be attempted.
    pub fn available(&self) -> bool {
        self.program.is_some()
    }

    /// Slices `bytes` (a model file with extension `ext`) and returns the report and the G-code.
    /// `configs` (INI texts: the printer profile, then the filament profile) are written to the
    /// temporary directory and passed with `--load` in order, before the settings' options.
    /// `Ok(None)` when no slicer is configured.
    pub async fn slice(
        &self,
        ext: &str,
        bytes: &[u8],
        settings: &SliceSettings,
        configs: &[&str],
    ) -> Result<Option<(SlicerReport, Vec<u8>)>, SlicerError> {
        let Some(program) = &self.program else {
            return Ok(None);
        };
        let dir = TempDir::new()?;
        let model = dir.path().join(format!("model.{ext}"));
        let out = dir.path().join("out.gcode");
        tokio::fs::write(&model, bytes).await?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.arg("--export-gcode");
        for (i, text) in configs.iter().enumerate() {
            let ini = dir.path().join(format!("profile-{i}.ini"));
            tokio::fs::write(&ini, text).await?;
            cmd.arg("--load").arg(&ini);
        }
        cmd.arg("--layer-height")
            .arg(settings.layer_height_mm.to_string())
            .arg("--perimeters")
            .arg(settings.perimeters.to_string())
            .arg("--fill-density")
            .arg(format!("{}%", settings.infill_pct))
            .arg("--output")
            .arg(&out)
            .arg(&model)
            // Its configuration directory goes to the temporary directory, not the user's home.
            .env("HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn()?;
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(r) => r?,
            Err(_) => return Err(SlicerError::Timeout(self.timeout)),
        };
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stderr);
            let tail: String = text
                .chars()
                .rev()
                .take(500)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(SlicerError::Failed {
                status: output.status.to_string(),
                stderr: tail,
            });
        }
        let gcode = tokio::fs::read(&out).await?;
        let report = parse_slicer_gcode(&String::from_utf8_lossy(&gcode))?;
        Ok(Some((report, gcode)))
    }
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let id = crate::auth::random_id().map_err(std::io::Error::other)?;
        let p = std::env::temp_dir().join(format!("gantry-slice-{id}"));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(error = %e, dir = %self.0.display(), "cannot remove a slicer directory");
        }
    }
}

impl gantry_app::printing::Slicer for Slicer {
    fn available(&self) -> bool {
        Slicer::available(self)
    }

    async fn slice(
        &self,
        format: &str,
        bytes: &[u8],
        settings: &SliceSettings,
        configs: &[&str],
    ) -> Result<Option<(gantry_engine::domain::printing::SlicerReport, Vec<u8>)>, String> {
        Slicer::slice(self, format, bytes, settings, configs)
            .await
            .map_err(|e| e.to_string())
    }
}
