//! Moonraker (Klipper) backend: uploads the job's G-code with `POST /server/files/upload`,
//! starts it with `printer.print.start`, follows `print_stats`, `virtual_sdcard`, `extruder`,
//! `heater_bed` and `webhooks` through `printer.objects.subscribe` on Moonraker's websocket,
//! and maps pause / resume / cancel onto `printer.print.pause|resume|cancel`. Authenticated with
//! Moonraker's API key (`X-Api-Key`, and `api_key` in `server.connection.identify`), or none for a
//! trusted client.

pub mod rpc;

use std::time::Duration;

use gantry_protocol::{JobAssignment, Readings, Temperatures};
use serde_json::{Value, json};

use self::rpc::{Live, Rpc, RpcError};
use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::backends::gcode::{GcodeSource, upload_name};

/// How long a freshly uploaded job may stay unstarted before it counts as failed to start.
const START_GRACE_MS: u64 = 60_000;

/// How to reach one Moonraker.
#[derive(Debug, Clone)]
pub struct MoonrakerConfig {
    /// Base URL, e.g. `http://voron.local:7125`.
    pub url: String,
    /// Moonraker's API key; `None` when the agent's host is a trusted client.
    pub api_key: Option<String>,
    pub material: Option<String>,
    /// Bound on every call to Moonraker (and the connection handshake).
    pub timeout: Duration,
}

impl MoonrakerConfig {
    pub fn new(url: &str, api_key: Option<String>) -> MoonrakerConfig {
        MoonrakerConfig {
            url: url.trim_end_matches('/').to_string(),
            api_key: api_key.filter(|k| !k.is_empty()),
            material: None,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
struct MrJob {
    id: i64,
    /// The file name on Moonraker, unique per upload.
    file: String,
    started_ms: u64,
    seen_running: bool,
    cancelled: bool,
    /// Set once the print ended, so later polls keep reporting the same end.
    ended: Option<(Phase, i64)>,
}

/// A Klipper printer behind Moonraker.
pub struct Moonraker {
    cfg: MoonrakerConfig,
    ws_url: String,
    http: reqwest::Client,
    gcode: GcodeSource,
    /// Started at the first use (it needs the runtime).
    rpc: Option<Rpc>,
    job: Option<MrJob>,
    uploads: u64,
}

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(e.to_string())
}

/// `http://host:7125` → `ws://host:7125/websocket`.
fn websocket_url(base: &str) -> Result<String, BackendError> {
    let (scheme, rest) = base
        .split_once("://")
        .ok_or_else(|| BackendError::Unavailable(format!("bad Moonraker URL {base:?}")))?;
    let ws = match scheme {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        _ => return Err(BackendError::Unavailable(format!("bad Moonraker URL {base:?}"))),
    };
    Ok(format!("{ws}://{rest}/websocket"))
}

/// What Klipper's objects say, reduced to what the agent needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct View {
    /// `webhooks.state`: ready, startup, shutdown, error.
    pub klippy: String,
    pub klippy_message: String,
    /// `print_stats.state`: standby, printing, paused, complete, cancelled, error.
    pub state: String,
    pub file: String,
    pub message: String,
    /// `virtual_sdcard.progress`, 0–1.
    pub progress: f64,
    pub print_duration: f64,
    pub temperatures: Temperatures,
    pub readings: Readings,
}

impl View {
    pub(crate) fn parse(live: &Live) -> View {
        let s = |obj: &str, field: &str| {
            live.status
                .get(obj)
                .and_then(|o| o.get(field))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let f = |obj: &str, field: &str| {
            live.status
                .get(obj)
                .and_then(|o| o.get(field))
                .and_then(Value::as_f64)
        };
        View {
            klippy: s("webhooks", "state"),
            klippy_message: s("webhooks", "state_message"),
            state: s("print_stats", "state"),
            file: s("print_stats", "filename"),
            message: s("print_stats", "message"),
            progress: f("virtual_sdcard", "progress").unwrap_or(0.0).clamp(0.0, 1.0),
            print_duration: f("print_stats", "print_duration").unwrap_or(0.0),
            temperatures: Temperatures {
                nozzle_c: f("extruder", "temperature"),
                bed_c: f("heater_bed", "temperature"),
                nozzle_target_c: f("extruder", "target"),
                bed_target_c: f("heater_bed", "target"),
            },
            readings: Self::readings(live),
        }
    }

    /// Layers (`print_stats.info`, set by slicers' SET_PRINT_STATS_INFO) and Klipper's error.
    fn readings(live: &Live) -> Readings {
        let info = |field: &str| {
            live.status
                .get("print_stats")
                .and_then(|o| o.pointer(&format!("/info/{field}")))
                .and_then(Value::as_i64)
        };
        let text = |obj: &str, field: &str| {
            live.status
                .get(obj)
                .and_then(|o| o.get(field))
                .and_then(Value::as_str)
                .map(first_line)
        };
        let klippy = text("webhooks", "state").unwrap_or_default();
        let printer_error = if matches!(klippy.as_str(), "shutdown" | "error") {
            Some(format!(
                "Klipper {klippy}: {}",
                text("webhooks", "state_message").unwrap_or_default()
            ))
        } else if text("print_stats", "state").as_deref() == Some("error") {
            text("print_stats", "message").map(|m| format!("Klipper: {m}"))
        } else {
            None
        };
        Readings {
            layer: info("current_layer"),
            total_layers: info("total_layer"),
            filament_runout: None,
            printer_error,
        }
    }

    fn klippy_down(&self) -> bool {
        matches!(self.klippy.as_str(), "shutdown" | "error")
    }

    /// Seconds left, from the time printed and the file position (what Moonraker's clients show).
    fn seconds_left(&self) -> Option<i64> {
        (self.progress > 0.01 && self.print_duration > 0.0)
            .then(|| (self.print_duration / self.progress - self.print_duration).max(0.0) as i64)
    }
}

/// The phase of `job` given Klipper's view (pure, unit-tested).
fn phase_of(job: &mut MrJob, view: &View, now_ms: u64) -> (Phase, i64) {
    if let Some(end) = &job.ended {
        return end.clone();
    }
    let ours = view.file == job.file;
    let pct = if ours {
        (view.progress * 100.0).floor().clamp(0.0, 100.0) as i64
    } else {
        0
    };
    let end = if view.klippy_down() {
        Some(Phase::Failed {
            reason: format!("Klipper {}: {}", view.klippy, first_line(&view.klippy_message)),
        })
    } else if ours && view.state == "printing" {
        job.seen_running = true;
        return (Phase::Printing, pct);
    } else if ours && view.state == "paused" {
        job.seen_running = true;
        return (Phase::Paused, pct);
    } else if ours && view.state == "complete" {
        Some(Phase::Done)
    } else if job.cancelled {
        Some(Phase::Cancelled)
    } else if ours && view.state == "cancelled" {
        Some(Phase::Failed {
            reason: "the print was cancelled at the printer".into(),
        })
    } else if ours && view.state == "error" {
        Some(Phase::Failed {
            reason: format!("Klipper: {}", first_line(&view.message)),
        })
    } else if job.seen_running {
        Some(Phase::Failed {
            reason: "the print stopped at the printer".into(),
        })
    } else if now_ms.saturating_sub(job.started_ms) > START_GRACE_MS {
        Some(Phase::Failed {
            reason: "Moonraker did not start the print".into(),
        })
    } else {
        None
    };
    match end {
        Some(phase) => {
            job.ended = Some((phase.clone(), pct));
            (phase, pct)
        }
        None => (Phase::Printing, pct),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

impl Moonraker {
    /// `server`/`token`: the Gantry server and printer token, to download jobs' G-code.
    pub fn new(cfg: MoonrakerConfig, server: &str, token: &str) -> Result<Moonraker, BackendError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(unavailable)?;
        Ok(Moonraker {
            ws_url: websocket_url(&cfg.url)?,
            gcode: GcodeSource::new(http.clone(), server, token),
            http,
            cfg,
            rpc: None,
            job: None,
            uploads: 0,
        })
    }

    fn rpc(&mut self) -> &Rpc {
        let (url, key, timeout) = (self.ws_url.clone(), self.cfg.api_key.clone(), self.cfg.timeout);
        self.rpc.get_or_insert_with(|| Rpc::spawn(url, key, timeout))
    }

    /// Klipper's view, or why there is none (not connected, key refused, Klipper away).
    fn view(&mut self) -> Result<View, BackendError> {
        let live = self.rpc().live();
        if !live.connected || !live.subscribed {
            return Err(BackendError::Unavailable(
                live.error.unwrap_or_else(|| "connecting to Moonraker".into()),
            ));
        }
        Ok(View::parse(&live))
    }

    async fn command(&mut self, method: &str) -> Result<(), BackendError> {
        match self.rpc().call(method, json!({})).await {
            Ok(_) => Ok(()),
            Err(RpcError::Refused { message, .. }) => Err(BackendError::InvalidState(message)),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn upload(&self, file: &str, gcode: Vec<u8>) -> Result<(), BackendError> {
        let form = reqwest::multipart::Form::new().text("root", "gcodes").part(
            "file",
            reqwest::multipart::Part::bytes(gcode)
                .file_name(file.to_string())
                .mime_str("application/octet-stream")
                .map_err(unavailable)?,
        );
        let mut req = self
            .http
            .post(format!("{}/server/files/upload", self.cfg.url))
            .multipart(form);
        if let Some(key) = &self.cfg.api_key {
            req = req.header("X-Api-Key", key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| BackendError::Rejected(format!("upload to Moonraker failed: {e}")))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let why = body["error"]["message"].as_str().unwrap_or("");
            return Err(BackendError::Rejected(format!(
                "Moonraker refused the upload: HTTP {status} {}",
                first_line(why)
            )));
        }
        Ok(())
    }
}

impl PrinterBackend for Moonraker {
    fn name(&self) -> &'static str {
        "moonraker"
    }

    fn loaded_material(&self) -> Option<String> {
        self.cfg.material.clone()
    }

    async fn start(&mut self, job: &JobAssignment, now_ms: u64) -> Result<(), BackendError> {
        if let Some(j) = &self.job {
            return Err(BackendError::Rejected(format!("busy with job {}", j.id)));
        }
        let Some(url) = &job.gcode_url else {
            return Err(BackendError::Rejected("no G-code for this job".into()));
        };
        let view = self
            .view()
            .map_err(|e| BackendError::Rejected(format!("printer not ready: {e}")))?;
        if view.klippy != "ready" {
            return Err(BackendError::Rejected(format!(
                "printer not ready: Klipper {}",
                view.klippy
            )));
        }
        if matches!(view.state.as_str(), "printing" | "paused") {
            return Err(BackendError::Rejected(format!(
                "the printer is already {} {}",
                view.state, view.file
            )));
        }
        let gcode = self.gcode.download(url).await?;
        self.uploads += 1;
        let file = upload_name(job.job, self.uploads, "gcode");
        self.upload(&file, gcode).await?;
        match self
            .rpc()
            .call("printer.print.start", json!({ "filename": file }))
            .await
        {
            Ok(_) => {}
            Err(e) => {
                return Err(BackendError::Rejected(format!(
                    "Moonraker did not start the print: {e}"
                )));
            }
        }
        self.job = Some(MrJob {
            id: job.job,
            file,
            started_ms: now_ms,
            seen_running: false,
            cancelled: false,
            ended: None,
        });
        Ok(())
    }

    async fn pause(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.command("printer.print.pause").await
    }

    async fn resume(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.command("printer.print.resume").await
    }

    async fn cancel(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        let Some(job) = &self.job else {
            return Ok(());
        };
        if job.ended.is_some() {
            return Ok(());
        }
        match self.command("printer.print.cancel").await {
            // Nothing printing any more.
            Ok(()) | Err(BackendError::InvalidState(_)) => {}
            Err(e) => return Err(e),
        }
        if let Some(job) = &mut self.job {
            job.cancelled = true;
        }
        Ok(())
    }

    fn clear(&mut self) {
        self.job = None;
    }

    /// The first enabled webcam of Moonraker's list (`/server/webcams/list`) with a snapshot URL.
    async fn camera_url(&mut self) -> Option<String> {
        let mut req = self.http.get(format!("{}/server/webcams/list", self.cfg.url));
        if let Some(key) = &self.cfg.api_key {
            req = req.header("X-Api-Key", key);
        }
        let v: Value = req
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .json()
            .await
            .ok()?;
        let url = v
            .pointer("/result/webcams")?
            .as_array()?
            .iter()
            .filter(|c| c.get("enabled").and_then(Value::as_bool).unwrap_or(true))
            .find_map(|c| {
                c.get("snapshot_url")
                    .and_then(Value::as_str)
                    .filter(|u| !u.is_empty())
            })?;
        crate::camera::resolve(url, &self.cfg.url)
    }

    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        let view = self.view()?;
        let Some(job) = &mut self.job else {
            if view.klippy_down() {
                return Err(BackendError::Unavailable(format!(
                    "Klipper {}: {}",
                    view.klippy,
                    first_line(&view.klippy_message)
                )));
            }
            return Ok(Snapshot::idle(view.temperatures).with_readings(view.readings));
        };
        let (phase, pct) = phase_of(job, &view, now_ms);
        Ok(Snapshot {
            job: Some(job.id),
            seconds_left: if matches!(phase, Phase::Printing | Phase::Paused) {
                view.seconds_left()
            } else {
                None
            },
            phase,
            progress_pct: pct,
            temperatures: view.temperatures,
            readings: view.readings.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
