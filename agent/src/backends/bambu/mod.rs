//! Bambu Lab backend, LAN mode: MQTT over TLS (port 8883, user `bblp`, the printer's access
//! code) — reports on `device/{serial}/report` (the full state after `pushing.pushall`, then
//! changes), commands on `device/{serial}/request` (`print.gcode_file` / `project_file` to start
//! an uploaded file, `pause`, `resume`, `stop`) — and the file uploaded over implicit FTPS
//! (port 990). One background task per printer keeps the MQTT connection and merges the reports.

pub mod ftps;
pub mod mqtt;
pub mod tls;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gantry_protocol::{JobAssignment, Readings, Temperatures};
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::backends::gcode::{GcodeSource, upload_name};

const START_GRACE_MS: u64 = 90_000;

/// How to reach one printer.
#[derive(Debug, Clone)]
pub struct BambuConfig {
    pub host: String,
    pub serial: String,
    pub access_code: String,
    /// SHA-256 of the printer's certificate; `None`: any certificate.
    pub tls_fingerprint: Option<String>,
    pub mqtt_port: u16,
    pub ftps_port: u16,
    pub material: Option<String>,
    pub timeout: Duration,
}

impl BambuConfig {
    pub fn new(host: &str, serial: &str, access_code: &str) -> BambuConfig {
        BambuConfig {
            host: host.to_string(),
            serial: serial.to_string(),
            access_code: access_code.to_string(),
            tls_fingerprint: None,
            mqtt_port: 8883,
            ftps_port: 990,
            material: None,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Live {
    connected: bool,
    /// A full report (pushall answer) arrived on this connection.
    complete: bool,
    error: Option<String>,
    /// The merged `print` object of the reports.
    print: Map<String, Value>,
}

fn lock(l: &Mutex<Live>) -> MutexGuard<'_, Live> {
    l.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the reports say, reduced to what the agent needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct View {
    /// IDLE, PREPARE, SLICING, RUNNING, PAUSE, FINISH, FAILED.
    pub state: String,
    pub subtask: String,
    pub percent: Option<f64>,
    pub minutes_left: Option<i64>,
    pub print_error: i64,
    pub temperatures: Temperatures,
    pub readings: Readings,
}

impl View {
    pub(crate) fn parse(p: &Map<String, Value>) -> View {
        let num = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        };
        View {
            state: p
                .get("gcode_state")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_uppercase(),
            subtask: p
                .get("subtask_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            percent: num("mc_percent"),
            minutes_left: num("mc_remaining_time").map(|m| m as i64),
            print_error: num("print_error").unwrap_or(0.0) as i64,
            temperatures: Temperatures {
                nozzle_c: num("nozzle_temper"),
                bed_c: num("bed_temper"),
                nozzle_target_c: num("nozzle_target_temper"),
                bed_target_c: num("bed_target_temper"),
            },
            readings: Readings {
                layer: num("layer_num").map(|l| l as i64),
                total_layers: num("total_layer_num").map(|l| l as i64),
                // Bambu's print_error codes 0x0700_8011 / 0x0701_8011 …: "filament ran out".
                filament_runout: num("print_error").map(|e| (e as i64 & 0xFFFF) == 0x8011),
                printer_error: num("print_error")
                    .filter(|e| *e != 0.0)
                    .map(|e| format!("Bambu print_error {:08X}", e as i64)),
            },
        }
    }
}

#[derive(Debug, Clone)]
struct BbJob {
    id: i64,
    file: String,
    started_ms: u64,
    seen_running: bool,
    cancelled: bool,
    ended: Option<(Phase, i64)>,
}

/// The phase of `job` given the printer's reports (pure, unit-tested).
fn phase_of(job: &mut BbJob, v: &View, now_ms: u64) -> (Phase, i64) {
    if let Some(end) = &job.ended {
        return end.clone();
    }
    let stem = job.file.rsplit_once('.').map_or(job.file.as_str(), |(s, _)| s);
    let ours = v.subtask == job.file || v.subtask == stem;
    let pct = if ours {
        v.percent.map(|p| p.floor().clamp(0.0, 100.0) as i64).unwrap_or(0)
    } else {
        0
    };
    let end = match v.state.as_str() {
        "RUNNING" | "PREPARE" | "SLICING" if ours => {
            job.seen_running = true;
            return (Phase::Printing, pct);
        }
        "PAUSE" if ours => {
            job.seen_running = true;
            return (Phase::Paused, pct);
        }
        "FINISH" if ours => Some(Phase::Done),
        _ if job.cancelled => Some(Phase::Cancelled),
        "FAILED" if ours || job.seen_running => Some(Phase::Failed {
            reason: if v.print_error != 0 {
                format!("Bambu Lab print error {:08X}", v.print_error)
            } else {
                "the print failed or was stopped at the printer".into()
            },
        }),
        _ if job.seen_running => Some(Phase::Failed {
            reason: "the print stopped at the printer".into(),
        }),
        _ if now_ms.saturating_sub(job.started_ms) > START_GRACE_MS => Some(Phase::Failed {
            reason: "the printer did not start the print".into(),
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

struct Task {
    requests: mpsc::Sender<Vec<u8>>,
    live: Arc<Mutex<Live>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Task {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// A Bambu Lab printer in LAN mode.
pub struct Bambu {
    cfg: BambuConfig,
    tls: Arc<rustls::ClientConfig>,
    gcode: GcodeSource,
    task: Option<Task>,
    job: Option<BbJob>,
    uploads: u64,
    seq: u64,
}

async fn run(
    cfg: BambuConfig,
    tls: Arc<rustls::ClientConfig>,
    mut rx: mpsc::Receiver<Vec<u8>>,
    live: Arc<Mutex<Live>>,
) {
    let login = mqtt::Login {
        client_id: format!("gantry-{}-{}", cfg.serial, crate::outbox::boot_id()),
        user: "bblp".into(),
        password: cfg.access_code.clone(),
        topic: format!("device/{}/report", cfg.serial),
    };
    let request_topic = format!("device/{}/request", cfg.serial);
    let mut backoff = Duration::from_millis(250);
    loop {
        let err = match mqtt::session(&cfg.host, cfg.mqtt_port, tls.clone(), cfg.timeout, &login).await {
            Err(e) => e,
            Ok(stream) => {
                backoff = Duration::from_millis(250);
                {
                    let mut l = lock(&live);
                    l.connected = true;
                    l.complete = false;
                    l.error = None;
                }
                let (mut rd, mut wr) = tokio::io::split(stream);
                let pushall = json!({"pushing": {"sequence_id": "0", "command": "pushall"}}).to_string();
                let mut ping = tokio::time::interval(Duration::from_secs(15));
                ping.reset();
                // Until a full report arrives, ask again (the printer may have missed the first).
                let mut again = tokio::time::interval(Duration::from_secs(2));
                again.reset();
                let result: Result<(), String> = async {
                    wr.write_all(&mqtt::publish(&request_topic, pushall.as_bytes()))
                        .await
                        .map_err(|e| format!("MQTT: {e}"))?;
                    loop {
                        tokio::select! {
                            p = mqtt::read(&mut rd) => {
                                if let mqtt::Incoming::Publish { payload, .. } = p? {
                                    let Ok(v) = serde_json::from_slice::<Value>(&payload) else {
                                        tracing::debug!("a report that is not JSON: ignored");
                                        continue;
                                    };
                                    if let Some(print) = v.get("print").and_then(Value::as_object) {
                                        let mut l = lock(&live);
                                        for (k, val) in print {
                                            l.print.insert(k.clone(), val.clone());
                                        }
                                        // A full report (the answer to pushall) carries them all.
                                        if ["gcode_state", "mc_percent", "nozzle_temper", "bed_temper"]
                                            .iter()
                                            .all(|k| print.contains_key(*k))
                                        {
                                            l.complete = true;
                                        }
                                    }
                                }
                            }
                            req = rx.recv() => {
                                let Some(req) = req else { return Ok(()) };
                                wr.write_all(&mqtt::publish(&request_topic, &req)).await.map_err(|e| format!("MQTT: {e}"))?;
                            }
                            _ = again.tick(), if !lock(&live).complete => {
                                wr.write_all(&mqtt::publish(&request_topic, pushall.as_bytes()))
                                    .await
                                    .map_err(|e| format!("MQTT: {e}"))?;
                            }
                            _ = ping.tick() => {
                                wr.write_all(&mqtt::pingreq()).await.map_err(|e| format!("MQTT: {e}"))?;
                            }
                        }
                    }
                }
                .await;
                match result {
                    Ok(()) => {
                        let _ = wr.write_all(&mqtt::disconnect()).await;
                        return;
                    }
                    Err(e) => e,
                }
            }
        };
        tracing::debug!(error = %err, "Bambu MQTT connection lost");
        {
            let mut l = lock(&live);
            l.connected = false;
            l.complete = false;
            l.error = Some(err);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl Bambu {
    pub fn new(cfg: BambuConfig, server: &str, token: &str) -> Result<Bambu, BackendError> {
        let tls = tls::client_config(cfg.tls_fingerprint.as_deref()).map_err(BackendError::Unavailable)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| BackendError::Unavailable(e.to_string()))?;
        Ok(Bambu {
            gcode: GcodeSource::new(http, server, token),
            tls,
            cfg,
            task: None,
            job: None,
            uploads: 0,
            seq: 0,
        })
    }

    fn task(&mut self) -> &Task {
        let (cfg, tls) = (self.cfg.clone(), self.tls.clone());
        self.task.get_or_insert_with(|| {
            let live = Arc::new(Mutex::new(Live {
                error: Some("connecting to the printer".into()),
                ..Live::default()
            }));
            let (tx, rx) = mpsc::channel(8);
            let handle = tokio::spawn(run(cfg, tls, rx, live.clone()));
            Task {
                requests: tx,
                live,
                handle,
            }
        })
    }

    fn view(&mut self) -> Result<View, BackendError> {
        let live = lock(&self.task().live).clone();
        if !live.connected || !live.complete {
            return Err(BackendError::Unavailable(
                live.error
                    .unwrap_or_else(|| "waiting for the printer's full report".into()),
            ));
        }
        Ok(View::parse(&live.print))
    }

    async fn command(&mut self, command: &str, extra: Value) -> Result<(), BackendError> {
        self.seq += 1;
        let mut print = json!({"sequence_id": self.seq.to_string(), "command": command});
        if let (Some(p), Some(e)) = (print.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        let body = json!({ "print": print }).to_string().into_bytes();
        self.view()?; // only on a live connection
        self.task()
            .requests
            .send(body)
            .await
            .map_err(|_| BackendError::Unavailable("the printer connection task stopped".into()))
    }
}

impl PrinterBackend for Bambu {
    fn name(&self) -> &'static str {
        "bambu"
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
        let v = self
            .view()
            .map_err(|e| BackendError::Rejected(format!("printer not ready: {e}")))?;
        if !matches!(v.state.as_str(), "IDLE" | "FINISH" | "FAILED" | "") {
            return Err(BackendError::Rejected(format!(
                "printer not ready: it is {}",
                v.state
            )));
        }
        let data = self.gcode.download(url).await?;
        self.uploads += 1;
        let three_mf = url.ends_with(".3mf");
        let file = upload_name(
            job.job,
            self.uploads,
            if three_mf { "gcode.3mf" } else { "gcode" },
        );
        ftps::upload(
            &self.cfg.host,
            self.cfg.ftps_port,
            self.tls.clone(),
            self.cfg.timeout,
            &self.cfg.access_code,
            &file,
            &data,
        )
        .await
        .map_err(BackendError::Rejected)?;
        let started = if three_mf {
            let stem = file.trim_end_matches(".gcode.3mf").to_string();
            self.command(
                "project_file",
                json!({
                    "param": "Metadata/plate_1.gcode", "url": format!("file:///sdcard/{file}"),
                    "subtask_name": stem, "bed_type": "auto", "timelapse": false, "bed_leveling": true,
                    "flow_cali": false, "vibration_cali": false, "layer_inspect": false, "use_ams": false,
                    "profile_id": "0", "project_id": "0", "subtask_id": "0", "task_id": "0",
                }),
            )
            .await
        } else {
            self.command("gcode_file", json!({ "param": format!("/sdcard/{file}") }))
                .await
        };
        started.map_err(|e| BackendError::Rejected(format!("the printer did not take the print: {e}")))?;
        self.job = Some(BbJob {
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
        self.command("pause", json!({})).await
    }

    async fn resume(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        self.command("resume", json!({})).await
    }

    async fn cancel(&mut self, _now_ms: u64) -> Result<(), BackendError> {
        let Some(job) = &self.job else {
            return Ok(());
        };
        if job.ended.is_some() {
            return Ok(());
        }
        self.command("stop", json!({})).await?;
        if let Some(job) = &mut self.job {
            job.cancelled = true;
        }
        // Confirm once the printer stopped (bounded: a slow printer ends up cancelled anyway).
        let deadline = tokio::time::Instant::now() + self.cfg.timeout;
        while tokio::time::Instant::now() < deadline {
            match self.view() {
                Ok(v) if !matches!(v.state.as_str(), "RUNNING" | "PAUSE" | "PREPARE" | "SLICING") => break,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Ok(())
    }

    fn clear(&mut self) {
        self.job = None;
    }

    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        let v = self.view()?;
        let Some(job) = &mut self.job else {
            return Ok(Snapshot::idle(v.temperatures).with_readings(v.readings));
        };
        let (phase, pct) = phase_of(job, &v, now_ms);
        Ok(Snapshot {
            job: Some(job.id),
            seconds_left: if matches!(phase, Phase::Printing | Phase::Paused) {
                v.minutes_left.map(|m| m * 60)
            } else {
                None
            },
            phase,
            progress_pct: pct,
            temperatures: v.temperatures,
            readings: v.readings.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
