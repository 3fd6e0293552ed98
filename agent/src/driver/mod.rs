//! The protocol loop of one printer, without any I/O of its own: server messages in, backend
//! calls, agent messages out through the [`Outbox`]. The connection ([`crate::conn`]) feeds it
//! and sends what it produces; tests step it with a hand-driven clock.

use gantry_protocol::{AgentMessage, AgentState, JobAssignment, ServerMessage, Temperatures, error_is_final};

use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::camera::Moment;
use crate::outbox::Outbox;

/// Settings of the loop that do not depend on the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    /// Send `bed_cleared` this many milliseconds after a print ends (simulating the operator);
    /// `None`: never (a person clears the plate and tells the server).
    pub auto_clear_ms: Option<u64>,
    /// Report `job_progress` each time the progress passes a multiple of this many percent.
    pub progress_step: i64,
    /// Poll the printer at most this often, in milliseconds (`None`: the backend's own
    /// [`PrinterBackend::poll_every_ms`]); a command to the printer makes the next tick poll.
    pub poll_ms: Option<u64>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            auto_clear_ms: Some(2_000),
            progress_step: 10,
            poll_ms: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Active {
    assignment: JobAssignment,
    started_sent: bool,
    last_step: i64,
    progress_pct: i64,
}

#[derive(Debug, Clone, Copy)]
struct Ended {
    job: i64,
    since_ms: u64,
    /// How far it got: 100 when it printed to the end.
    progress_pct: i64,
}

/// One printer's protocol state.
pub struct Driver<B> {
    backend: B,
    cfg: DriverConfig,
    pub outbox: Outbox,
    active: Option<Active>,
    /// The last job that ended, while its plate waits to be cleared.
    ended: Option<Ended>,
    /// The last job that ended, until the server acknowledged its end message (the id): a
    /// hello names it (even after the plate was cleared) so a server that missed the end can
    /// settle it, and a repeated assignment of it is not printed again.
    unsettled: Option<(Ended, String)>,
    /// Jobs that ended here lately (a job id is one plate attempt: it is never printed twice,
    /// whatever a server that missed its end assigns).
    recent: std::collections::VecDeque<i64>,
    last: Snapshot,
    backend_error: Option<String>,
    /// `printer_id` from the last welcome.
    pub printer_id: Option<i64>,
    /// Heartbeat interval from the last welcome.
    pub heartbeat_secs: Option<u64>,
    /// Jobs that started or ended since the camera last looked (for its pictures).
    moments: Vec<(i64, Moment)>,
    /// When the printer was last polled (`None`: poll at the next tick).
    polled_at: Option<u64>,
}

/// How many ended jobs the driver remembers (see `Driver::recent`).
const RECENT_JOBS: usize = 256;

impl<B: PrinterBackend> Driver<B> {
    pub fn new(backend: B, cfg: DriverConfig, outbox: Outbox) -> Driver<B> {
        Driver {
            backend,
            cfg,
            outbox,
            active: None,
            ended: None,
            unsettled: None,
            recent: std::collections::VecDeque::new(),
            last: Snapshot::idle(Temperatures::default()),
            backend_error: None,
            printer_id: None,
            heartbeat_secs: None,
            moments: Vec::new(),
            polled_at: None,
        }
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// The jobs that started (`Start`), printed to the end (`End`) or failed or were cancelled
    /// (`Failed`) since the last call, for the camera.
    pub fn take_moments(&mut self) -> Vec<(i64, Moment)> {
        std::mem::take(&mut self.moments)
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Why the printer is in error (the last poll of the backend failed), if it is.
    pub fn backend_error(&self) -> Option<&str> {
        self.backend_error.as_deref()
    }

    /// The job being printed (or paused), if any.
    pub fn current_job(&self) -> Option<i64> {
        self.active.as_ref().map(|a| a.assignment.job)
    }

    /// The state to report.
    pub fn state(&self) -> AgentState {
        if self.backend_error.is_some() {
            return AgentState::Error;
        }
        match (&self.active, self.ended) {
            (Some(_), _) if self.last.phase == Phase::Paused => AgentState::Paused,
            (Some(_), _) => AgentState::Printing,
            (None, Some(_)) => AgentState::NeedsBedClearing,
            (None, None) => AgentState::Idle,
        }
    }

    fn progress(&self) -> Option<i64> {
        self.active.as_ref().map(|a| a.progress_pct)
    }

    /// The job the hello names: the one running, else the one whose plate waits to be cleared
    /// (with how far it got, so a server that missed its end can settle it).
    fn hello_job(&self) -> (Option<i64>, Option<i64>) {
        match (
            &self.active,
            self.ended.or(self.unsettled.as_ref().map(|(e, _)| *e)),
        ) {
            (Some(a), _) => (Some(a.assignment.job), Some(a.progress_pct)),
            (None, Some(e)) => (Some(e.job), Some(e.progress_pct)),
            (None, None) => (None, None),
        }
    }

    /// The hello for a new connection (its id is not kept: each connection sends a fresh one).
    pub fn hello(&mut self) -> (String, String) {
        let (current_job, progress_pct) = self.hello_job();
        let msg = AgentMessage::Hello {
            agent: format!(
                "gantry-agent/{} {}",
                env!("CARGO_PKG_VERSION"),
                self.backend.name()
            ),
            capabilities: self.backend.capabilities(),
            loaded_material: self.backend.loaded_material(),
            state: self.state(),
            current_job,
            progress_pct,
        };
        self.outbox.once(msg)
    }

    pub fn heartbeat(&mut self) -> (String, String) {
        self.outbox.once(AgentMessage::Heartbeat {})
    }

    pub fn status(&mut self) -> (String, String) {
        let msg = AgentMessage::Status {
            state: self.state(),
            job: self.current_job(),
            progress_pct: self.progress(),
            temperatures: self.last.temperatures,
            seconds_left: self.active.as_ref().and(self.last.seconds_left),
            readings: {
                let mut r = self.last.readings.clone();
                // A printer the agent cannot reach reports that as its error.
                if let Some(e) = &self.backend_error {
                    r.printer_error = Some(e.chars().take(gantry_protocol::MAX_TEXT_LEN).collect());
                }
                r
            },
        };
        self.outbox.once(msg)
    }

    /// Applies one server message.
    pub async fn handle(&mut self, msg: ServerMessage, now_ms: u64) {
        if matches!(
            msg,
            ServerMessage::AssignJob { .. }
                | ServerMessage::Pause { .. }
                | ServerMessage::Resume { .. }
                | ServerMessage::Cancel { .. }
        ) {
            // The printer is told something: see what it made of it at the next tick.
            self.polled_at = None;
        }
        match msg {
            ServerMessage::Welcome {
                printer_id,
                heartbeat_secs,
                ..
            } => {
                self.printer_id = Some(printer_id);
                self.heartbeat_secs = Some(heartbeat_secs);
            }
            ServerMessage::Ack { id, .. } => {
                self.outbox.ack(&id);
                if self.unsettled.as_ref().is_some_and(|(_, m)| *m == id) {
                    self.unsettled = None;
                }
            }
            ServerMessage::Error { id, code, message } => {
                if !error_is_final(&code) {
                    // The server could not record it (not a refusal): keep it in the outbox;
                    // it is re-sent after the next reconnect and applied once.
                    tracing::warn!(?id, %code, %message, "server could not record a message; it will be re-sent");
                    return;
                }
                tracing::warn!(?id, %code, %message, "server refused a message");
                // A refused message would be refused again: stop re-sending it.
                if let Some(id) = id {
                    self.outbox.ack(&id);
                    if self.unsettled.as_ref().is_some_and(|(_, m)| *m == id) {
                        self.unsettled = None;
                    }
                }
            }
            ServerMessage::AssignJob { assignment } => self.assign(assignment, now_ms).await,
            ServerMessage::Pause { job } => {
                if self.current_job() == Some(job) {
                    match self.backend.pause(now_ms).await {
                        Ok(()) => {
                            self.last.phase = Phase::Paused;
                            self.outbox.push(AgentMessage::Paused { job });
                        }
                        Err(e) => tracing::warn!(job, error = %e, "pause failed"),
                    }
                }
            }
            ServerMessage::Resume { job } => {
                if self.current_job() == Some(job) {
                    match self.backend.resume(now_ms).await {
                        Ok(()) => {
                            self.last.phase = Phase::Printing;
                            self.outbox.push(AgentMessage::Resumed { job });
                        }
                        Err(e) => tracing::warn!(job, error = %e, "resume failed"),
                    }
                }
            }
            ServerMessage::Cancel { job } => {
                if self.current_job() == Some(job) {
                    if let Err(e) = self.backend.cancel(now_ms).await {
                        tracing::warn!(job, error = %e, "cancel failed");
                        return;
                    }
                    let progress_pct = self.progress().unwrap_or(0);
                    self.active = None;
                    let ended = Ended {
                        job,
                        since_ms: now_ms,
                        progress_pct,
                    };
                    self.ended = Some(ended);
                    let id = self.outbox.push(AgentMessage::Cancelled { job });
                    self.unsettled = Some((ended, id));
                    self.moments.push((job, Moment::Failed));
                    return;
                }
                // Not (or no longer) ours: confirm anyway, the printer is not running it.
                self.outbox.push(AgentMessage::Cancelled { job });
            }
        }
    }

    async fn assign(&mut self, assignment: JobAssignment, now_ms: u64) {
        let job = assignment.job;
        if self.current_job() == Some(job) {
            return; // A repeat (e.g. after the server restarted): already printing it.
        }
        if self.unsettled.as_ref().is_some_and(|(e, _)| e.job == job) || self.recent.contains(&job) {
            // Assigned again before the server saw this job's end (sent, not yet acknowledged):
            // that message settles it; printing it again would print it twice.
            tracing::info!(job, "assignment of a job that already ended here: ignored");
            return;
        }
        if let Some(busy) = self.current_job() {
            self.reject(job, format!("busy printing job {busy}"));
            return;
        }
        if let Some(e) = self.ended {
            self.reject(job, format!("the plate holds job {}; clear the bed first", e.job));
            return;
        }
        match self.backend.start(&assignment, now_ms).await {
            Ok(()) => {
                tracing::info!(job, "job accepted");
                self.outbox.push(AgentMessage::JobAccepted { job });
                self.active = Some(Active {
                    assignment,
                    started_sent: false,
                    last_step: 0,
                    progress_pct: 0,
                });
            }
            Err(BackendError::Rejected(reason)) => self.reject(job, reason),
            Err(e) => self.reject(job, e.to_string()),
        }
    }

    fn reject(&mut self, job: i64, reason: String) {
        let reason: String = reason.chars().take(gantry_protocol::MAX_TEXT_LEN).collect();
        self.outbox.push(AgentMessage::JobRejected { job, reason });
    }

    /// Polls the printer and turns what changed into messages; clears the plate when due.
    pub async fn tick(&mut self, now_ms: u64) {
        if let Some(e) = self.ended
            && self.active.is_none()
            && self
                .cfg
                .auto_clear_ms
                .is_some_and(|d| now_ms.saturating_sub(e.since_ms) >= d)
        {
            self.backend.clear();
            self.ended = None;
            self.polled_at = None;
            self.outbox.push(AgentMessage::BedCleared {});
        }
        let every = self.cfg.poll_ms.unwrap_or_else(|| self.backend.poll_every_ms());
        if every > 0 && self.polled_at.is_some_and(|at| now_ms.saturating_sub(at) < every) {
            return;
        }
        self.polled_at = Some(now_ms);
        let snap = match self.backend.poll(now_ms).await {
            Ok(s) => {
                self.backend_error = None;
                s
            }
            Err(e) => {
                if self.backend_error.is_none() {
                    tracing::warn!(error = %e, "printer poll failed");
                }
                self.backend_error = Some(e.to_string());
                return;
            }
        };
        self.last = snap.clone();
        let Some(active) = &mut self.active else {
            return;
        };
        let job = active.assignment.job;
        if snap.job != Some(job) {
            return; // The printer has not picked it up yet.
        }
        let pct = snap.progress_pct.clamp(0, 100);
        active.progress_pct = pct;
        let step = self.cfg.progress_step.max(1);
        match snap.phase {
            Phase::Idle => {}
            Phase::Printing | Phase::Paused => {
                if !active.started_sent {
                    active.started_sent = true;
                    tracing::info!(job, "job started");
                    self.outbox.push(AgentMessage::JobStarted { job });
                    self.moments.push((job, Moment::Start));
                }
                if pct / step > active.last_step && pct < 100 {
                    active.last_step = pct / step;
                    self.outbox.push(AgentMessage::JobProgress {
                        job,
                        progress_pct: pct,
                    });
                }
            }
            Phase::Done | Phase::Failed { .. } | Phase::Cancelled => {
                if !active.started_sent {
                    tracing::info!(job, "job started");
                    self.outbox.push(AgentMessage::JobStarted { job });
                }
                tracing::info!(job, outcome = ?snap.phase, progress_pct = pct, "job ended");
                let progress_pct = if snap.phase == Phase::Done { 100 } else { pct };
                self.moments.push((
                    job,
                    if snap.phase == Phase::Done {
                        Moment::End
                    } else {
                        Moment::Failed
                    },
                ));
                let msg = match snap.phase {
                    Phase::Done => AgentMessage::JobCompleted { job },
                    Phase::Failed { reason } => AgentMessage::JobFailed {
                        job,
                        reason,
                        progress_pct: Some(pct),
                    },
                    _ => AgentMessage::Cancelled { job },
                };
                let id = self.outbox.push(msg);
                self.active = None;
                let ended = Ended {
                    job,
                    since_ms: now_ms,
                    progress_pct,
                };
                self.ended = Some(ended);
                self.unsettled = Some((ended, id));
                if self.recent.len() >= RECENT_JOBS {
                    self.recent.pop_front();
                }
                self.recent.push_back(job);
            }
        }
    }
}

#[cfg(test)]
mod tests;
