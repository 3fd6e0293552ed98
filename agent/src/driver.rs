//! The protocol loop of one printer, without any I/O of its own: server messages in, backend
//! calls, agent messages out through the [`Outbox`]. The connection ([`crate::conn`]) feeds it
//! and sends what it produces; tests step it with a hand-driven clock.

use gantry_protocol::{AgentMessage, AgentState, JobAssignment, ServerMessage, Temperatures, error_is_final};

use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};
use crate::outbox::Outbox;

/// Settings of the loop that do not depend on the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    /// Send `bed_cleared` this many milliseconds after a print ends (simulating the operator);
    /// `None`: never (a person clears the plate and tells the server).
    pub auto_clear_ms: Option<u64>,
    /// Report `job_progress` each time the progress passes a multiple of this many percent.
    pub progress_step: i64,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            auto_clear_ms: Some(2_000),
            progress_step: 10,
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
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
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
        };
        self.outbox.once(msg)
    }

    /// Applies one server message.
    pub async fn handle(&mut self, msg: ServerMessage, now_ms: u64) {
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
            self.outbox.push(AgentMessage::BedCleared {});
        }
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
mod tests {
    use super::*;
    use crate::sim::{FailPolicy, SimPrinter};

    fn assignment(job: i64, est_minutes: i64) -> JobAssignment {
        JobAssignment {
            job,
            order_id: 1,
            material: "PLA-BLK".into(),
            copies: 1,
            est_minutes,
            grams: 20,
            gcode_url: None,
        }
    }

    /// A simulated printer at 60× (one simulated minute per real second).
    fn driver(fail: FailPolicy) -> Driver<SimPrinter> {
        Driver::new(
            SimPrinter::new(0, 60.0, fail, Some("PLA-BLK".into())),
            DriverConfig {
                auto_clear_ms: Some(2_000),
                progress_step: 25,
            },
            Outbox::new("t"),
        )
    }

    /// Acknowledges everything pending and returns it.
    fn drain(d: &mut Driver<SimPrinter>) -> Vec<AgentMessage> {
        let msgs = d.outbox.pending_messages();
        for id in d.outbox.pending_ids() {
            d.outbox.ack(&id);
        }
        msgs
    }

    async fn run_until(d: &mut Driver<SimPrinter>, from: u64, to: u64) {
        let mut t = from;
        while t <= to {
            d.tick(t).await;
            t += 500;
        }
    }

    #[tokio::test]
    async fn prints_a_job_reports_progress_then_clears_the_plate() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(5, 10),
            },
            0,
        )
        .await;
        assert_eq!(drain(&mut d), vec![AgentMessage::JobAccepted { job: 5 }]);
        // 10 simulated minutes = 10 real seconds.
        run_until(&mut d, 0, 9_500).await;
        assert_eq!(d.state(), AgentState::Printing);
        assert_eq!(
            drain(&mut d),
            vec![
                AgentMessage::JobStarted { job: 5 },
                AgentMessage::JobProgress {
                    job: 5,
                    progress_pct: 25
                },
                AgentMessage::JobProgress {
                    job: 5,
                    progress_pct: 50
                },
                AgentMessage::JobProgress {
                    job: 5,
                    progress_pct: 75
                },
            ]
        );
        d.tick(10_000).await;
        assert_eq!(drain(&mut d), vec![AgentMessage::JobCompleted { job: 5 }]);
        assert_eq!(d.state(), AgentState::NeedsBedClearing);
        // A new job is refused while the plate holds the last one.
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(6, 10),
            },
            10_500,
        )
        .await;
        assert!(matches!(
            drain(&mut d)[..],
            [AgentMessage::JobRejected { job: 6, .. }]
        ));
        d.tick(11_900).await;
        assert!(drain(&mut d).is_empty(), "the operator needs 2 s");
        d.tick(12_000).await;
        assert_eq!(drain(&mut d), vec![AgentMessage::BedCleared {}]);
        assert_eq!(d.state(), AgentState::Idle);
    }

    #[tokio::test]
    async fn pause_freezes_the_print_and_resume_continues_it() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(1, 10),
            },
            0,
        )
        .await;
        d.tick(3_000).await;
        d.handle(ServerMessage::Pause { job: 1 }, 3_000).await;
        assert_eq!(d.state(), AgentState::Paused);
        d.tick(60_000).await;
        let (_, status) = d.status();
        assert!(status.contains(r#""progress_pct":30"#), "{status}");
        d.handle(ServerMessage::Resume { job: 1 }, 60_000).await;
        d.tick(66_000).await;
        assert_eq!(d.state(), AgentState::Printing, "7 s of printing in all, of 10");
        d.tick(67_000).await;
        let msgs = drain(&mut d);
        assert!(msgs.contains(&AgentMessage::Paused { job: 1 }), "{msgs:?}");
        assert!(msgs.contains(&AgentMessage::Resumed { job: 1 }), "{msgs:?}");
        assert_eq!(msgs.last(), Some(&AgentMessage::JobCompleted { job: 1 }));
        // Pause for a job the printer does not run: nothing happens.
        d.handle(ServerMessage::Pause { job: 99 }, 67_000).await;
        assert!(drain(&mut d).is_empty());
    }

    #[tokio::test]
    async fn cancel_stops_the_print_without_completing_it() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(3, 10),
            },
            0,
        )
        .await;
        d.tick(4_000).await;
        drain(&mut d);
        d.handle(ServerMessage::Cancel { job: 3 }, 4_000).await;
        run_until(&mut d, 4_000, 30_000).await;
        assert_eq!(
            drain(&mut d),
            vec![AgentMessage::Cancelled { job: 3 }, AgentMessage::BedCleared {}]
        );
        // A cancel of a job the printer never had is confirmed too.
        d.handle(ServerMessage::Cancel { job: 8 }, 30_000).await;
        assert_eq!(drain(&mut d), vec![AgentMessage::Cancelled { job: 8 }]);
    }

    #[tokio::test]
    async fn a_job_told_to_fail_fails_part_way_with_its_progress() {
        let mut d = driver(FailPolicy {
            jobs: [4].into(),
            ..FailPolicy::default()
        });
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(4, 10),
            },
            0,
        )
        .await;
        run_until(&mut d, 0, 10_000).await;
        let msgs = drain(&mut d);
        let Some(AgentMessage::JobFailed {
            job: 4,
            progress_pct: Some(p),
            reason,
        }) = msgs.iter().find(|m| matches!(m, AgentMessage::JobFailed { .. }))
        else {
            panic!("{msgs:?}");
        };
        assert_eq!(
            msgs.last(),
            Some(&AgentMessage::BedCleared {}),
            "the plate is cleared after a failure too"
        );
        assert!((10..90).contains(p) && reason.contains("simulated"), "{msgs:?}");
        assert!(!msgs.contains(&AgentMessage::JobCompleted { job: 4 }));
    }

    #[tokio::test]
    async fn a_repeated_assignment_is_ignored_and_another_job_is_refused_while_busy() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(1, 10),
            },
            0,
        )
        .await;
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(1, 10),
            },
            100,
        )
        .await;
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(2, 10),
            },
            200,
        )
        .await;
        let msgs = drain(&mut d);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(msgs[0], AgentMessage::JobAccepted { job: 1 });
        assert!(matches!(&msgs[1], AgentMessage::JobRejected { job: 2, reason } if reason.contains("job 1")));
    }

    #[tokio::test]
    async fn after_a_reconnect_hello_says_where_the_printer_is_and_unacked_messages_go_again() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(9, 10),
            },
            0,
        )
        .await;
        assert_eq!(d.outbox.take_unsent().len(), 1);
        d.tick(2_500).await;
        d.tick(5_000).await;
        let sent = d.outbox.take_unsent();
        assert_eq!(sent.len(), 3, "started, 25 %, 50 %");
        // The server acknowledged only the acceptance, then the connection dropped.
        let accepted = d.outbox.pending_ids()[0].clone();
        d.handle(
            ServerMessage::Ack {
                id: accepted,
                duplicate: false,
            },
            5_000,
        )
        .await;
        d.outbox.connection_lost();
        let (_, hello) = d.hello();
        let hello: gantry_protocol::AgentEnvelope = serde_json::from_str(&hello).unwrap();
        let AgentMessage::Hello {
            state,
            current_job,
            progress_pct,
            loaded_material,
            ..
        } = hello.msg
        else {
            panic!("{hello:?}")
        };
        assert_eq!(
            (state, current_job, progress_pct, loaded_material.as_deref()),
            (AgentState::Printing, Some(9), Some(50), Some("PLA-BLK"))
        );
        let again = d.outbox.take_unsent();
        assert_eq!(again, sent, "same messages, same ids");
        // A message the server could not record (its database was away) stays in the outbox,
        // whatever the code's case of "not final" is, and is re-sent after the next reconnect.
        let first = d.outbox.pending_ids()[0].clone();
        for code in ["INTERNAL", "UNAVAILABLE"] {
            d.handle(
                ServerMessage::Error {
                    id: Some(first.clone()),
                    code: code.into(),
                    message: "database error".into(),
                },
                5_000,
            )
            .await;
            assert!(d.outbox.pending_ids().contains(&first), "{code}");
        }
        d.outbox.connection_lost();
        assert_eq!(d.outbox.take_unsent(), sent, "re-sent after the reconnect");
        // A refused message is not sent forever.
        d.handle(
            ServerMessage::Error {
                id: Some(first.clone()),
                code: "BAD_PROGRESS".into(),
                message: "no".into(),
            },
            5_000,
        )
        .await;
        assert!(!d.outbox.pending_ids().contains(&first));
    }

    #[tokio::test]
    async fn hello_after_a_print_ended_offline_names_the_job_and_how_far_it_got() {
        for (fail, want_pct) in [
            (FailPolicy::default(), 100),
            (
                FailPolicy {
                    jobs: [2].into(),
                    ..FailPolicy::default()
                },
                -1,
            ),
        ] {
            let mut d = Driver::new(
                SimPrinter::new(0, 60.0, fail, None),
                DriverConfig {
                    auto_clear_ms: None,
                    progress_step: 10,
                },
                Outbox::new("t"),
            );
            d.handle(
                ServerMessage::AssignJob {
                    assignment: assignment(2, 10),
                },
                0,
            )
            .await;
            run_until(&mut d, 0, 20_000).await;
            let (_, hello) = d.hello();
            let hello: gantry_protocol::AgentEnvelope = serde_json::from_str(&hello).unwrap();
            let AgentMessage::Hello {
                state,
                current_job,
                progress_pct: Some(p),
                ..
            } = hello.msg
            else {
                panic!("{hello:?}")
            };
            assert_eq!((state, current_job), (AgentState::NeedsBedClearing, Some(2)));
            if want_pct == 100 {
                assert_eq!(p, 100);
            } else {
                assert!(p < 100, "a failed print reports where it stopped: {p}");
            }
        }
    }

    #[tokio::test]
    async fn a_job_that_ended_while_offline_is_named_in_hello_and_not_printed_again() {
        let mut d = driver(FailPolicy::default());
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(7, 10),
            },
            0,
        )
        .await;
        let sent = d.outbox.take_unsent();
        let accepted = d.outbox.pending_ids()[0].clone();
        d.handle(
            ServerMessage::Ack {
                id: accepted,
                duplicate: false,
            },
            0,
        )
        .await;
        assert_eq!(sent.len(), 1);
        // The server is away: the print ends and the operator clears the plate.
        run_until(&mut d, 0, 13_000).await;
        assert_eq!(d.state(), AgentState::Idle);
        d.outbox.connection_lost();
        let (_, hello) = d.hello();
        assert!(
            hello.contains(r#""state":"idle","current_job":7,"progress_pct":100"#),
            "{hello}"
        );
        // The restarted server assigns the job again before it reads the completion: ignored.
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(7, 10),
            },
            13_000,
        )
        .await;
        assert_eq!(d.current_job(), None);
        let pending = d.outbox.pending_messages();
        assert!(
            !pending
                .iter()
                .any(|m| matches!(m, AgentMessage::JobAccepted { .. })),
            "{pending:?}"
        );
        // The server could not record the completion (database away): the job stays unsettled,
        // so the next hello still names it (else the server could fail it and print it again).
        for id in d.outbox.pending_ids() {
            d.handle(
                ServerMessage::Error {
                    id: Some(id),
                    code: "INTERNAL".into(),
                    message: "database error".into(),
                },
                13_000,
            )
            .await;
        }
        d.outbox.connection_lost();
        let (_, hello) = d.hello();
        assert!(hello.contains(r#""current_job":7"#), "{hello}");
        // Once the completion is acknowledged the job is settled and no longer named.
        for id in d.outbox.pending_ids() {
            d.handle(ServerMessage::Ack { id, duplicate: false }, 13_000)
                .await;
        }
        let (_, hello) = d.hello();
        assert!(hello.contains(r#""current_job":null"#), "{hello}");
        // Even once settled, an assignment of a job printed here is not printed again (a
        // server that missed its start and end hands the same plate out once more).
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(7, 10),
            },
            13_000,
        )
        .await;
        assert_eq!(d.current_job(), None);
    }

    #[test]
    fn the_failure_rate_is_honoured_and_reproducible() {
        let p = FailPolicy {
            rate: 0.3,
            seed: 7,
            ..FailPolicy::default()
        };
        let fails = (0..2000).filter(|j| p.fails_at(1, *j, 1).is_some()).count();
        assert!((500..700).contains(&fails), "{fails}");
        let again = (0..2000).filter(|j| p.fails_at(1, *j, 1).is_some()).count();
        assert_eq!(fails, again);
        let other_seed = FailPolicy { seed: 8, ..p.clone() };
        let differ = (0..200)
            .filter(|j| p.fails_at(1, *j, 1) != other_seed.fails_at(1, *j, 1))
            .count();
        assert!(differ > 20, "{differ}");
        assert_eq!(
            (0..100)
                .filter(|j| FailPolicy::default().fails_at(1, *j, 1).is_some())
                .count(),
            0
        );
    }
}
