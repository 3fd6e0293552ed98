//! PrusaLink backend (HTTP API v1, Prusa MK4/XL/MINI firmware and the Raspberry Pi PrusaLink of
//! the MK3): uploads with `PUT /api/v1/files/{storage}/{name}` and `Print-After-Upload`, follows
//! `GET /api/v1/status` (and `GET /api/v1/job` to recognise its job), pauses / resumes with
//! `PUT /api/v1/job/{id}/pause|resume` and stops with `DELETE /api/v1/job/{id}`. Authenticated
//! with HTTP digest (user and password) or an `X-Api-Key`.

pub mod digest;

use std::time::Duration;

use gantry_protocol::{JobAssignment, Readings, Temperatures};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use self::digest::Challenge;
use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::backends::gcode::{GcodeSource, upload_name};

/// How long a freshly uploaded job may stay unseen before it counts as failed to start.
const START_GRACE_MS: u64 = 60_000;

/// How long an upload of `len` bytes may take to be answered: 30 s, plus the time to send it
/// at 256 kB/s (a Raspberry Pi on a weak Wi-Fi), at most 10 minutes.
fn upload_budget(len: usize) -> Duration {
    Duration::from_secs((30 + len as u64 / 256_000).min(600))
}

/// How PrusaLink lets the agent in.
#[derive(Debug, Clone, PartialEq)]
pub enum PrusaLinkAuth {
    Digest { user: String, password: String },
    ApiKey(String),
}

/// How to reach one PrusaLink.
#[derive(Debug, Clone)]
pub struct PrusaLinkConfig {
    /// Base URL, e.g. `http://mk4.local`.
    pub url: String,
    pub auth: PrusaLinkAuth,
    /// Storage to upload to: `usb` on MK4/XL/MINI, `local` on the Raspberry Pi PrusaLink.
    pub storage: String,
    pub material: Option<String>,
    /// Bound on each status request.
    pub timeout: Duration,
}

impl PrusaLinkConfig {
    pub fn new(url: &str, auth: PrusaLinkAuth) -> PrusaLinkConfig {
        PrusaLinkConfig {
            url: url.trim_end_matches('/').to_string(),
            auth,
            storage: "usb".into(),
            material: None,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
struct PlJob {
    id: i64,
    file: String,
    /// PrusaLink's id of the job, once recognised by its file name.
    link_id: Option<i64>,
    started_ms: u64,
    seen_running: bool,
    cancelled: bool,
    /// The progress last seen (PrusaLink's status forgets it when the job ends).
    last_pct: i64,
    ended: Option<(Phase, i64)>,
}

/// A printer behind PrusaLink.
pub struct PrusaLink {
    cfg: PrusaLinkConfig,
    http: reqwest::Client,
    gcode: GcodeSource,
    challenge: Option<Challenge>,
    nc: u32,
    job: Option<PlJob>,
    uploads: u64,
}

/// What `/api/v1/status` says, reduced to what the agent needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Status {
    /// IDLE, BUSY, PRINTING, PAUSED, FINISHED, STOPPED, ERROR, ATTENTION, READY.
    pub state: String,
    pub job_id: Option<i64>,
    /// 0–100.
    pub progress: Option<f64>,
    pub seconds_left: Option<i64>,
    pub temperatures: Temperatures,
    pub readings: Readings,
}

impl Status {
    pub(crate) fn parse(v: &Value) -> Status {
        Status {
            state: v
                .pointer("/printer/state")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_uppercase(),
            job_id: v.pointer("/job/id").and_then(Value::as_i64),
            progress: v.pointer("/job/progress").and_then(Value::as_f64),
            seconds_left: v.pointer("/job/time_remaining").and_then(Value::as_i64),
            temperatures: Temperatures {
                nozzle_c: v.pointer("/printer/temp_nozzle").and_then(Value::as_f64),
                bed_c: v.pointer("/printer/temp_bed").and_then(Value::as_f64),
                nozzle_target_c: v.pointer("/printer/target_nozzle").and_then(Value::as_f64),
                bed_target_c: v.pointer("/printer/target_bed").and_then(Value::as_f64),
            },
            readings: Readings {
                printer_error: match v.pointer("/printer/state").and_then(Value::as_str) {
                    Some(s) if s.eq_ignore_ascii_case("ERROR") => {
                        Some("PrusaLink: the printer reports an error".into())
                    }
                    Some(s) if s.eq_ignore_ascii_case("ATTENTION") => {
                        Some("PrusaLink: the printer needs attention (e.g. filament runout)".into())
                    }
                    _ => None,
                },
                ..Readings::default()
            },
        }
    }
}

/// Whether PrusaLink's state (without a job of ours) is one the printer takes jobs in, or soon
/// will by itself: IDLE and READY, and FINISHED and STOPPED, which turn IDLE a few seconds later
/// (the Raspberry Pi PrusaLink).
fn idle_state(state: &str) -> bool {
    matches!(state, "IDLE" | "READY" | "FINISHED" | "STOPPED")
}

/// The phase of `job` given PrusaLink's status (pure, unit-tested).
fn phase_of(job: &mut PlJob, st: &Status, now_ms: u64) -> (Phase, i64) {
    if let Some(end) = &job.ended {
        return end.clone();
    }
    // PrusaLink drops the job from its status once it ended (FINISHED, STOPPED): the job that
    // ran last is then ours if we saw it run.
    let ours =
        job.link_id.is_some() && (st.job_id == job.link_id || (st.job_id.is_none() && job.seen_running));
    let pct = match st.progress {
        Some(p) if ours && st.job_id.is_some() => p.floor().clamp(0.0, 100.0) as i64,
        _ => job.last_pct,
    };
    job.last_pct = pct;
    let end = match st.state.as_str() {
        "PRINTING" | "BUSY" if ours => {
            job.seen_running = true;
            return (Phase::Printing, pct);
        }
        // ATTENTION: the printer waits for a person (filament runout, a crash): paused.
        "PAUSED" | "ATTENTION" if ours => {
            job.seen_running = true;
            return (Phase::Paused, pct);
        }
        "FINISHED" if ours => Some(Phase::Done),
        _ if job.cancelled => Some(Phase::Cancelled),
        "STOPPED" if ours => Some(Phase::Failed {
            reason: "the print was stopped at the printer".into(),
        }),
        "ERROR" => Some(Phase::Failed {
            reason: "PrusaLink: the printer reports an error".into(),
        }),
        _ if job.seen_running => Some(Phase::Failed {
            reason: "the print stopped at the printer".into(),
        }),
        _ if now_ms.saturating_sub(job.started_ms) > START_GRACE_MS => Some(Phase::Failed {
            reason: "PrusaLink did not start the print".into(),
        }),
        _ => None,
    };
    match end {
        Some(phase) => {
            job.ended = Some((phase.clone(), pct));
            (phase, pct)
        }
        None => (Phase::Printing, pct),
    }
}

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(e.to_string())
}

/// The path and query of `url` (what digest authentication signs).
fn request_uri(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// Percent-encodes one path segment.
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl PrusaLink {
    /// `server`/`token`: the Gantry server and printer token, to download jobs' G-code.
    pub fn new(cfg: PrusaLinkConfig, server: &str, token: &str) -> Result<PrusaLink, BackendError> {
        if !cfg.url.starts_with("http://") && !cfg.url.starts_with("https://") {
            return Err(BackendError::Unavailable(format!(
                "bad PrusaLink URL {:?}",
                cfg.url
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(unavailable)?;
        Ok(PrusaLink {
            gcode: GcodeSource::new(http.clone(), server, token),
            http,
            cfg,
            challenge: None,
            nc: 0,
            job: None,
            uploads: 0,
        })
    }

    fn authorize(
        &mut self,
        req: reqwest::RequestBuilder,
        method: &Method,
        url: &str,
    ) -> reqwest::RequestBuilder {
        match &self.cfg.auth {
            PrusaLinkAuth::ApiKey(key) => req.header("X-Api-Key", key),
            PrusaLinkAuth::Digest { user, password } => match &self.challenge {
                Some(c) => {
                    self.nc = self.nc.wrapping_add(1);
                    let cnonce = format!("{}{:x}", crate::outbox::boot_id(), self.nc);
                    let h = c.authorization(
                        user,
                        password,
                        method.as_str(),
                        request_uri(url),
                        self.nc,
                        &cnonce,
                    );
                    req.header("Authorization", h)
                }
                None => req,
            },
        }
    }

    /// Sends a request, answering a digest challenge (once) when refused.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<reqwest::Response, BackendError> {
        let url = format!("{}{path}", self.cfg.url);
        for attempt in 0..2 {
            let mut req = self.http.request(method.clone(), &url).timeout(timeout);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            req = self.authorize(req, &method, &url);
            let resp = req.send().await.map_err(|e| {
                BackendError::Unavailable(if e.is_timeout() {
                    format!(
                        "PrusaLink did not answer {method} {path} within {} s",
                        timeout.as_secs()
                    )
                } else {
                    format!("cannot reach PrusaLink at {}: {e}", self.cfg.url)
                })
            })?;
            if resp.status() != StatusCode::UNAUTHORIZED {
                return Ok(resp);
            }
            let challenge = resp
                .headers()
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(Challenge::parse);
            let retry = match (&self.cfg.auth, challenge) {
                (PrusaLinkAuth::Digest { .. }, Some(c)) => {
                    // A first challenge, or a stale nonce: answer it; else the password is wrong.
                    let fresh = self.challenge.is_none() || c.stale;
                    self.challenge = Some(c);
                    self.nc = 0;
                    fresh && attempt == 0
                }
                _ => false,
            };
            if !retry {
                return Err(BackendError::Unavailable(match self.cfg.auth {
                    PrusaLinkAuth::Digest { .. } => {
                        "PrusaLink refused the user name or password (401)".into()
                    }
                    PrusaLinkAuth::ApiKey(_) => "PrusaLink refused the API key (401)".into(),
                }));
            }
        }
        Err(BackendError::Unavailable(
            "PrusaLink refused the credentials (401)".into(),
        ))
    }

    async fn get_json(&mut self, path: &str) -> Result<Option<Value>, BackendError> {
        let resp = self.send(Method::GET, path, &[], None, self.cfg.timeout).await?;
        match resp.status() {
            StatusCode::NO_CONTENT => Ok(None),
            s if s.is_success() => resp.json().await.map(Some).map_err(|e| {
                BackendError::Unavailable(format!(
                    "PrusaLink answered GET {path} with something that is not JSON: {e}"
                ))
            }),
            s => Err(BackendError::Unavailable(format!("GET {path}: HTTP {s}"))),
        }
    }

    /// Whether PrusaLink holds the file at `path` (`/api/v1/files/{storage}/{name}`).
    async fn file_arrived(&mut self, path: &str) -> bool {
        let timeout = self.cfg.timeout;
        matches!(self.send(Method::GET, path, &[], None, timeout).await, Ok(r) if r.status().is_success())
    }

    async fn job_command(&mut self, method: Method, suffix: &str) -> Result<(), BackendError> {
        let Some(id) = self.job.as_ref().and_then(|j| j.link_id) else {
            return Err(BackendError::InvalidState(
                "PrusaLink has not started the job yet".into(),
            ));
        };
        let path = format!("/api/v1/job/{id}{suffix}");
        let resp = self.send(method, &path, &[], None, self.cfg.timeout).await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::CONFLICT => Err(BackendError::InvalidState(format!("PrusaLink: {path}: HTTP 409"))),
            s => Err(BackendError::Unavailable(format!("{path}: HTTP {s}"))),
        }
    }
}

impl PrinterBackend for PrusaLink {
    fn name(&self) -> &'static str {
        "prusalink"
    }

    fn loaded_material(&self) -> Option<String> {
        self.cfg.material.clone()
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
        let status = self
            .get_json("/api/v1/status")
            .await
            .map_err(|e| BackendError::Rejected(format!("printer not ready: {e}")))?
            .map(|v| Status::parse(&v))
            .unwrap_or_default();
        // FINISHED and STOPPED turn IDLE by themselves a few seconds later; PrusaLink refuses
        // to print before (409 "Not in state to print").
        if !matches!(status.state.as_str(), "IDLE" | "READY") {
            return Err(BackendError::Rejected(format!(
                "printer not ready: PrusaLink says {}",
                status.state
            )));
        }
        let gcode = self.gcode.download(url).await?;
        let budget = upload_budget(gcode.len());
        self.uploads += 1;
        let file = upload_name(job.job, self.uploads, "gcode");
        let path = format!(
            "/api/v1/files/{}/{}",
            encode_segment(&self.cfg.storage),
            encode_segment(&file)
        );
        let sent = self
            .send(
                Method::PUT,
                &path,
                &[
                    ("Content-Type", "text/x.gcode"),
                    ("Print-After-Upload", "?1"),
                    ("Overwrite", "?0"),
                ],
                Some(gcode),
                budget,
            )
            .await;
        let resp = match sent {
            Ok(resp) => Some(resp),
            // PrusaLink answers a Print-After-Upload upload only once its command queue has
            // started the print, which a busy printer can hold up for minutes (the driver must
            // not wait that long). A file that arrived is stored whole (PrusaLink writes a
            // `.part` and renames it): the print is then PrusaLink's to start, and `poll`
            // recognises it by its name or, after START_GRACE_MS, reports it never started.
            Err(e) => match self.file_arrived(&path).await {
                true => {
                    tracing::warn!(file, error = %e, "PrusaLink kept the upload's answer; the file arrived");
                    None
                }
                false => return Err(BackendError::Rejected(format!("upload to PrusaLink failed: {e}"))),
            },
        };
        if let Some(resp) = resp
            && !resp.status().is_success()
        {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            return Err(BackendError::Rejected(format!(
                "PrusaLink refused the upload: HTTP {status} {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        self.job = Some(PlJob {
            id: job.job,
            file,
            link_id: None,
            started_ms: now_ms,
            seen_running: false,
            cancelled: false,
            last_pct: 0,
            ended: None,
        });
        Ok(())
    }

    async fn pause(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.job_command(Method::PUT, "/pause").await
    }

    async fn resume(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.job_command(Method::PUT, "/resume").await
    }

    async fn cancel(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        let Some(job) = &self.job else {
            return Ok(());
        };
        if job.ended.is_some() {
            return Ok(());
        }
        if job.link_id.is_some() {
            match self.job_command(Method::DELETE, "").await {
                Ok(()) | Err(BackendError::InvalidState(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(job) = &mut self.job {
            job.cancelled = true;
        }
        Ok(())
    }

    fn clear(&mut self) {
        self.job = None;
    }

    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        let status = self
            .get_json("/api/v1/status")
            .await?
            .map(|v| Status::parse(&v))
            .ok_or_else(|| BackendError::Unavailable("PrusaLink sent an empty status".into()))?;
        if status.state.is_empty() {
            return Err(BackendError::Unavailable(
                "PrusaLink's status names no printer state".into(),
            ));
        }
        // Recognise the job PrusaLink started from our upload by its file name.
        if let Some(job) = &self.job
            && job.link_id.is_none()
            && job.ended.is_none()
            && status.job_id.is_some()
        {
            let file = job.file.clone();
            if let Some(v) = self.get_json("/api/v1/job").await?
                && v.pointer("/file/name").and_then(Value::as_str) == Some(file.as_str())
                && let Some(job) = &mut self.job
            {
                job.link_id = v.get("id").and_then(Value::as_i64);
            }
        }
        let Some(job) = &mut self.job else {
            if status.state == "ERROR" {
                return Err(BackendError::Unavailable(
                    "PrusaLink: the printer reports an error".into(),
                ));
            }
            if !idle_state(&status.state) {
                // Starting up (BUSY), or printing or paused by someone else: not idle, so the
                // server hands it no job that `start` would refuse.
                return Err(BackendError::Unavailable(format!(
                    "PrusaLink says {}: not ready to print",
                    status.state
                )));
            }
            return Ok(Snapshot::idle(status.temperatures).with_readings(status.readings));
        };
        let (phase, pct) = phase_of(job, &status, now_ms);
        Ok(Snapshot {
            job: Some(job.id),
            seconds_left: if matches!(phase, Phase::Printing | Phase::Paused) {
                status.seconds_left
            } else {
                None
            },
            phase,
            progress_pct: pct,
            temperatures: status.temperatures,
            readings: status.readings.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
