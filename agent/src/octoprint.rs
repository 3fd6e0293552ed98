//! OctoPrint backend: uploads the job's G-code through `POST /api/files/local` (and starts it),
//! follows `GET /api/job` and `GET /api/printer`, and maps pause / resume / cancel onto
//! `POST /api/job`. Authenticated with an OctoPrint API key (`X-Api-Key`).

use gantry_protocol::{JobAssignment, Readings, Temperatures};
use serde_json::Value;

use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::backends::gcode::{GcodeSource, upload_name};

/// How long a freshly uploaded job may stay idle before it counts as failed to start.
const START_GRACE_MS: u64 = 60_000;

#[derive(Debug, Clone)]
struct OpJob {
    id: i64,
    /// The file name on OctoPrint, unique per upload.
    file: String,
    started_ms: u64,
    seen_running: bool,
    cancelled: bool,
    /// Set once the print ended, so later polls keep reporting the same end.
    ended: Option<(Phase, i64)>,
}

/// An OctoPrint instance driving one printer.
pub struct OctoPrint {
    base: String,
    api_key: String,
    /// Where jobs' G-code comes from (the Gantry server).
    gcode: GcodeSource,
    material: Option<String>,
    http: reqwest::Client,
    job: Option<OpJob>,
    uploads: u64,
}

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(e.to_string())
}

/// An answer OctoPrint gave with a failure status: a refused API key says so.
fn refused(what: &str, status: reqwest::StatusCode) -> BackendError {
    if matches!(status.as_u16(), 401 | 403) {
        BackendError::Unavailable(format!(
            "{what}: OctoPrint refused the API key (HTTP {status}); check api_key"
        ))
    } else {
        BackendError::Unavailable(format!("{what}: HTTP {status}"))
    }
}

/// A request OctoPrint did not answer: stalled (timed out) or unreachable.
fn send_error(e: &reqwest::Error) -> BackendError {
    // reqwest's own timeout can surface as a request error whose cause says it timed out.
    if e.is_timeout() || format!("{e:?}").to_ascii_lowercase().contains("timed out") {
        BackendError::Unavailable(format!("OctoPrint did not answer in time (timed out): {e}"))
    } else {
        BackendError::Unavailable(format!("cannot reach OctoPrint: {e}"))
    }
}

/// How long one request to OctoPrint may take before the printer counts as stalled.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl OctoPrint {
    pub fn new(
        base: &str,
        api_key: &str,
        server: &str,
        token: &str,
        material: Option<String>,
    ) -> Result<OctoPrint, BackendError> {
        Self::with_timeout(base, api_key, server, token, material, REQUEST_TIMEOUT)
    }

    /// [`OctoPrint::new`] with another request time limit (a stalled OctoPrint is an error
    /// after it).
    pub fn with_timeout(
        base: &str,
        api_key: &str,
        server: &str,
        token: &str,
        material: Option<String>,
        timeout: std::time::Duration,
    ) -> Result<OctoPrint, BackendError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(unavailable)?;
        Ok(OctoPrint {
            base: base.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            gcode: GcodeSource::new(http.clone(), server, token),
            material,
            http,
            job: None,
            uploads: 0,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get_json(&self, path: &str) -> Result<Option<Value>, BackendError> {
        let resp = self
            .http
            .get(self.url(path))
            .header("X-Api-Key", &self.api_key)
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        if resp.status() == reqwest::StatusCode::CONFLICT {
            return Ok(None); // e.g. /api/printer while the printer is not connected
        }
        if !resp.status().is_success() {
            return Err(refused(&format!("GET {path}"), resp.status()));
        }
        resp.json().await.map(Some).map_err(|e| {
            BackendError::Unavailable(format!("GET {path}: not an answer of OctoPrint's API ({e})"))
        })
    }

    async fn job_command(&self, body: Value) -> Result<(), BackendError> {
        let resp = self
            .http
            .post(self.url("/api/job"))
            .header("X-Api-Key", &self.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            reqwest::StatusCode::CONFLICT => Err(BackendError::InvalidState(
                resp.text().await.unwrap_or_else(|_| "conflict".into()),
            )),
            s => Err(refused("POST /api/job", s)),
        }
    }

    fn temperatures(printer: Option<&Value>) -> Temperatures {
        let t = |key: &str, field: &str| {
            printer
                .and_then(|p| p.pointer(&format!("/temperature/{key}/{field}")))
                .and_then(Value::as_f64)
        };
        Temperatures {
            nozzle_c: t("tool0", "actual"),
            bed_c: t("bed", "actual"),
            nozzle_target_c: t("tool0", "target"),
            bed_target_c: t("bed", "target"),
        }
    }

    /// The printer's error from `/api/printer` (`state.flags.error`, with `state.text`).
    fn readings(printer: Option<&Value>) -> Readings {
        let error = printer
            .and_then(|p| p.pointer("/state/flags/error"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Readings {
            printer_error: error.then(|| {
                printer
                    .and_then(|p| p.pointer("/state/text"))
                    .and_then(Value::as_str)
                    .unwrap_or("OctoPrint reports an error")
                    .chars()
                    .take(200)
                    .collect()
            }),
            ..Readings::default()
        }
    }
}

/// What OctoPrint's `/api/job` says, reduced to what the agent needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobView {
    pub state: String,
    pub file: Option<String>,
    pub completion: Option<f64>,
    pub seconds_left: Option<i64>,
}

impl JobView {
    pub(crate) fn parse(v: &Value) -> JobView {
        JobView {
            state: v.get("state").and_then(Value::as_str).unwrap_or("").to_string(),
            file: v
                .pointer("/job/file/name")
                .and_then(Value::as_str)
                .map(str::to_string),
            completion: v.pointer("/progress/completion").and_then(Value::as_f64),
            seconds_left: v.pointer("/progress/printTimeLeft").and_then(Value::as_i64),
        }
    }
}

/// The phase of `job` given OctoPrint's view (pure, unit-tested).
fn phase_of(job: &mut OpJob, view: &JobView, now_ms: u64) -> (Phase, i64) {
    if let Some(end) = &job.ended {
        return end.clone();
    }
    let ours = view.file.as_deref() == Some(job.file.as_str());
    let pct = if ours {
        view.completion
            .map(|c| c.floor().clamp(0.0, 100.0) as i64)
            .unwrap_or(0)
    } else {
        0
    };
    let state = view.state.to_ascii_lowercase();
    let running = ["printing", "starting", "resuming", "finishing"]
        .iter()
        .any(|s| state.starts_with(s));
    let paused = state.starts_with("paus");
    let end = if ours && (running || paused || state.starts_with("cancelling")) {
        job.seen_running = true;
        if job.cancelled && state.starts_with("cancelling") {
            None
        } else if paused {
            return (Phase::Paused, pct);
        } else {
            return (Phase::Printing, pct);
        }
    } else if ours && state.starts_with("operational") && view.completion.is_some_and(|c| c >= 100.0) {
        Some(Phase::Done)
    } else if job.cancelled {
        Some(Phase::Cancelled)
    } else if state.starts_with("error") || state.starts_with("offline") || state.starts_with("closed") {
        Some(Phase::Failed {
            reason: format!("OctoPrint: {}", view.state),
        })
    } else if job.seen_running {
        Some(Phase::Failed {
            reason: "the print stopped at the printer".into(),
        })
    } else if now_ms.saturating_sub(job.started_ms) > START_GRACE_MS {
        Some(Phase::Failed {
            reason: "OctoPrint did not start the print".into(),
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

impl PrinterBackend for OctoPrint {
    fn name(&self) -> &'static str {
        "octoprint"
    }

    fn loaded_material(&self) -> Option<String> {
        self.material.clone()
    }

    fn poll_every_ms(&self) -> u64 {
        crate::backend::HTTP_POLL_MS
    }

    async fn start(&mut self, job: &JobAssignment, now_ms: u64) -> Result<(), BackendError> {
        if let Some(j) = &self.job {
            return Err(BackendError::Rejected(format!("busy with job {}", j.id)));
        }
        let Some(url) = &job.gcode_url else {
            return Err(BackendError::Rejected("no G-code for this job".into()));
        };
        let gcode = self.gcode.download(url).await?;
        self.uploads += 1;
        let file = upload_name(job.job, self.uploads, "gcode");
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(gcode)
                    .file_name(file.clone())
                    .mime_str("application/octet-stream")
                    .map_err(unavailable)?,
            )
            .text("select", "true")
            .text("print", "true");
        let resp = self
            .http
            .post(self.url("/api/files/local"))
            .header("X-Api-Key", &self.api_key)
            .multipart(form)
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            // OctoPrint serves status to anonymous callers; an unknown key shows when it
            // writes: 401/403, or a refused CSRF check (a request without a valid key).
            if matches!(status.as_u16(), 401 | 403) || body.contains("CSRF") {
                return Err(BackendError::Rejected(format!(
                    "OctoPrint refused the API key (upload: HTTP {status}); check api_key"
                )));
            }
            return Err(BackendError::Rejected(format!(
                "OctoPrint refused the upload: HTTP {status} {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        self.job = Some(OpJob {
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
        self.job_command(serde_json::json!({"command": "pause", "action": "pause"}))
            .await
    }

    async fn resume(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.job_command(serde_json::json!({"command": "pause", "action": "resume"}))
            .await
    }

    async fn cancel(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        let Some(job) = &self.job else {
            return Ok(());
        };
        if job.ended.is_some() {
            return Ok(());
        }
        match self.job_command(serde_json::json!({"command": "cancel"})).await {
            // 409: nothing is printing any more.
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

    /// OctoPrint's webcam snapshot URL (`/api/settings`: `webcam.snapshotUrl`, when the webcam
    /// is enabled).
    async fn camera_url(&mut self) -> Option<String> {
        let v = self.get_json("/api/settings").await.ok()??;
        let cam = v.get("webcam")?;
        if cam.get("webcamEnabled").and_then(Value::as_bool) == Some(false) {
            return None;
        }
        let url = cam.get("snapshotUrl").and_then(Value::as_str)?;
        crate::camera::resolve(url, &self.base)
    }

    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        let view = self
            .get_json("/api/job")
            .await?
            .map(|v| JobView::parse(&v))
            .ok_or_else(|| BackendError::Unavailable("GET /api/job: HTTP 409".into()))?;
        let printer = self.get_json("/api/printer").await?;
        let temperatures = Self::temperatures(printer.as_ref());
        let readings = Self::readings(printer.as_ref());
        let Some(job) = &mut self.job else {
            return Ok(Snapshot::idle(temperatures).with_readings(readings));
        };
        let (phase, pct) = phase_of(job, &view, now_ms);
        Ok(Snapshot {
            job: Some(job.id),
            seconds_left: if matches!(phase, Phase::Printing | Phase::Paused) {
                view.seconds_left
            } else {
                None
            },
            phase,
            progress_pct: pct,
            temperatures,
            readings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_targets_and_the_printer_error() {
        let printer = serde_json::json!({
            "temperature": {"tool0": {"actual": 209.8, "target": 210.0}, "bed": {"actual": 59.0, "target": 60.0}},
            "state": {"text": "Error: Heating failed", "flags": {"error": true, "operational": false}},
        });
        let t = OctoPrint::temperatures(Some(&printer));
        assert_eq!(
            (t.nozzle_c, t.nozzle_target_c, t.bed_c, t.bed_target_c),
            (Some(209.8), Some(210.0), Some(59.0), Some(60.0))
        );
        assert_eq!(
            OctoPrint::readings(Some(&printer)).printer_error.as_deref(),
            Some("Error: Heating failed")
        );
        let fine = serde_json::json!({"state": {"text": "Printing", "flags": {"error": false}}});
        assert_eq!(OctoPrint::readings(Some(&fine)), Readings::default());
        assert_eq!(OctoPrint::readings(None), Readings::default());
    }

    fn job() -> OpJob {
        OpJob {
            id: 7,
            file: "gantry-job-7-x-1.gcode".into(),
            started_ms: 0,
            seen_running: false,
            cancelled: false,
            ended: None,
        }
    }

    fn view(state: &str, file: Option<&str>, completion: Option<f64>) -> JobView {
        JobView {
            state: state.into(),
            file: file.map(str::to_string),
            completion,
            seconds_left: None,
        }
    }

    #[test]
    fn maps_octoprint_states_to_phases() {
        let f = Some("gantry-job-7-x-1.gcode");
        let mut j = job();
        // Uploaded, not started yet: still printing (within the grace period).
        assert_eq!(
            phase_of(&mut j, &view("Operational", None, None), 10).0,
            Phase::Printing
        );
        assert_eq!(
            phase_of(&mut j, &view("Printing", f, Some(42.7)), 20),
            (Phase::Printing, 42)
        );
        assert_eq!(
            phase_of(&mut j, &view("Paused", f, Some(50.0)), 30),
            (Phase::Paused, 50)
        );
        assert_eq!(
            phase_of(&mut j, &view("Operational", f, Some(100.0)), 40),
            (Phase::Done, 100)
        );
        // The end sticks, whatever OctoPrint shows afterwards.
        assert_eq!(
            phase_of(&mut j, &view("Printing", Some("other"), Some(3.0)), 50).0,
            Phase::Done
        );

        let mut j = job();
        phase_of(&mut j, &view("Printing", f, Some(30.0)), 10);
        let (p, pct) = phase_of(&mut j, &view("Operational", f, Some(30.0)), 20);
        assert!(matches!(p, Phase::Failed { .. }), "{p:?}");
        assert_eq!(pct, 30);

        let mut j = job();
        j.cancelled = true;
        assert_eq!(
            phase_of(&mut j, &view("Cancelling", f, Some(12.0)), 10).0,
            Phase::Printing
        );
        assert_eq!(
            phase_of(&mut j, &view("Operational", f, Some(12.0)), 20).0,
            Phase::Cancelled
        );

        let mut j = job();
        assert_eq!(
            phase_of(&mut j, &view("Operational", None, None), START_GRACE_MS + 1).0,
            Phase::Failed {
                reason: "OctoPrint did not start the print".into()
            }
        );
        let mut j = job();
        assert!(matches!(
            phase_of(&mut j, &view("Offline after error", None, None), 5).0,
            Phase::Failed { .. }
        ));
    }
}
