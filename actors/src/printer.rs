//! The printer actor: one per printer. It holds the printer's status, current job, last
//! telemetry and its agent connection; it applies the agent's messages through the application
//! layer (`gantry_app::agent`: the decision of `domain::live` and the transaction), acknowledges
//! after the commit, and asks the scheduler for the next job when the printer becomes ready.
//!
//! Messages of one printer are applied one at a time, in order (`ctx.wait`), so a printer's
//! changes never race each other; different printers run concurrently.

use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};
use gantry_app::agent::{self, Applied, Change, StatusReport};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::live::{self as live, JobReport, is_ready, status_report_target};
use gantry_engine::domain::production::Job;
use gantry_engine::domain::protocol::{AgentMessage, AgentState, PROTOCOL_VERSION, ServerMessage};
use gantry_engine::domain::types::{JobId, OrderId, PrinterId};
use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::StoreError;

use crate::farm::Shared;
use crate::messages::*;
use crate::scheduler::{JobFinished, JobStarted, NextJob, Released, RequestReplan};

mod gateway;

/// The printer actor (see the module documentation).
pub struct PrinterActor {
    pub(crate) id: PrinterId,
    name: String,
    pub(crate) fx: Shared,
    pub(crate) status: PrinterStatus,
    current_job: Option<JobId>,
    current_order: Option<OrderId>,
    pub(crate) assigned: Option<JobId>,
    progress: i64,
    /// An agent has spoken for this printer (then missed heartbeats mark it offline).
    pub(crate) agent_seen: bool,
    pub(crate) last_seen: DateTime<Utc>,
    pub(crate) conn: Option<(u64, AgentConn)>,
    asking: bool,
    pub(crate) shutdown: bool,
    starts: u32,
    /// A command asked through the API, sent to the agent and not confirmed yet.
    pending: Option<Pending>,
}

/// A command waiting for the agent's confirmation.
struct Pending {
    command: Command,
    job: JobId,
    reply: tokio::sync::oneshot::Sender<Result<ControlOutcome, ControlError>>,
}

impl Pending {
    fn answer(self, res: Result<ControlOutcome, ControlError>) {
        let _ = self.reply.send(res);
    }

    /// Whether the agent's report `r` about `job` confirms this command.
    fn confirmed_by(&self, r: JobReport, job: JobId) -> bool {
        job == self.job
            && matches!(
                (&self.command, r),
                (Command::Pause, JobReport::Paused)
                    | (Command::Resume, JobReport::Resumed)
                    | (Command::Cancel { .. }, JobReport::Cancelled)
            )
    }
}

impl PrinterActor {
    pub fn new(id: PrinterId, fx: Shared) -> PrinterActor {
        PrinterActor {
            id,
            name: String::new(),
            fx,
            status: PrinterStatus::Offline,
            current_job: None,
            current_order: None,
            assigned: None,
            progress: 0,
            agent_seen: false,
            last_seen: Utc::now(),
            conn: None,
            asking: false,
            shutdown: false,
            starts: 0,
            pending: None,
        }
    }

    fn send(&self, msg: ServerMessage) {
        if let Some((_, conn)) = &self.conn {
            conn.do_send(ToAgent::Send(msg));
        }
    }

    fn ack(&self, id: &str, duplicate: bool) {
        self.send(ServerMessage::Ack {
            id: id.to_string(),
            duplicate,
        });
    }

    fn refuse(&self, id: &str, code: &str, message: String) {
        self.send(ServerMessage::Error {
            id: Some(id.to_string()),
            code: code.to_string(),
            message,
        });
    }

    /// Takes the job a stored printing job says the printer runs.
    fn set_current(&mut self, job: Option<&Job>) {
        self.current_job = job.map(|j| j.id);
        self.current_order = job.map(|j| j.order_id);
        self.progress = job.map(|j| j.progress_pct).unwrap_or(0);
    }

    /// Asks the scheduler for the next job when the printer is ready.
    fn ask_for_work(&mut self, ctx: &mut Context<Self>) {
        if self.asking
            || self.shutdown
            || !is_ready(self.status, self.conn.is_some(), self.current_job, self.assigned)
        {
            return;
        }
        self.asking = true;
        let req = self.fx.scheduler().map(|s| s.send(NextJob { printer: self.id }));
        let Some(req) = req else {
            self.asking = false;
            return;
        };
        ctx.spawn(req.into_actor(self).map(|res, act, ctx| {
            act.asking = false;
            match res {
                Ok(Some(assignment)) => {
                    if is_ready(act.status, act.conn.is_some(), act.current_job, act.assigned) {
                        act.assigned = Some(JobId(assignment.job));
                        act.send(ServerMessage::AssignJob { assignment });
                    } else if let Some(s) = act.fx.scheduler() {
                        // No longer ready (e.g. disconnected meanwhile): give it back.
                        s.do_send(Released { printer: act.id });
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(printer = %act.id, error = %e, "cannot ask the scheduler for work"),
            }
            let _ = ctx;
        }));
    }

    fn load(&mut self, ctx: &mut Context<Self>) {
        let (db, id) = (self.fx.db.clone(), self.id);
        let fut = async move { agent::printer_state(&db, id).await };
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok((status, name, job, tel)) => {
                act.status = status;
                act.name = name;
                act.set_current(job.as_ref());
                act.agent_seen = tel.is_some();
                // After a (re)start the agent gets its full heartbeat allowance to reconnect.
                act.last_seen = tel.map(|t| t.last_seen_at).unwrap_or_default().max(Utc::now());
                act.ask_for_work(ctx);
            }
            Err(e) => {
                tracing::error!(printer = %act.id, error = %e, "printer actor cannot load its state; restarting");
                ctx.stop();
            }
        }));
    }
}

impl Actor for PrinterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.starts += 1;
        if self.shutdown {
            return;
        }
        ctx.set_mailbox_capacity(1024);
        self.load(ctx);
        let every = Duration::from_secs(self.fx.cfg.heartbeat_secs.max(1));
        ctx.run_interval(every, |_, ctx| ctx.notify(CheckHeartbeat { now: Utc::now() }));
    }
}

impl Supervised for PrinterActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        // The connection survives a restart; everything else is read again from SQL.
        self.current_job = None;
        self.current_order = None;
        self.assigned = None;
        self.asking = false;
        tracing::warn!(printer = %self.id, "printer actor restarting");
    }
}

// ---------------------------------------------------------------------------------------------
// Applying messages

impl PrinterActor {
    /// Takes in a committed change: state, acknowledgement, events, scheduler.
    fn absorb(&mut self, ch: Change, ctx: &mut Context<Self>) {
        let before = (self.status, self.current_job);
        if let Some(s) = ch.status {
            self.status = s;
        }
        if let Some(cur) = ch.current {
            self.set_current(cur.as_ref());
        }
        for j in &ch.jobs {
            if self.current_job == Some(j.id) {
                self.progress = self.progress.max(j.progress_pct);
            }
        }
        let sched = self.fx.scheduler();
        if let Some(job) = ch.started {
            if self.assigned == Some(job) || self.assigned.is_none() {
                self.assigned = None;
            }
            if let Some(s) = &sched {
                s.do_send(JobStarted { job });
            }
        }
        if ch.rejected.is_some() {
            self.assigned = None;
            if let Some(s) = &sched {
                s.do_send(Released { printer: self.id });
                s.do_send(RequestReplan);
            }
        }
        for c in ch.completions {
            if let Some(s) = &sched {
                s.do_send(JobFinished {
                    job: c.job.clone(),
                    order: Some(c.order),
                    flagged: None,
                });
            }
        }
        for f in ch.failures {
            if let Some(s) = &sched {
                s.do_send(JobFinished {
                    job: f.failure.job.clone(),
                    order: None,
                    flagged: f.flagged,
                });
            }
        }
        if let Some((report, job)) = ch.confirmed
            && self.pending.as_ref().is_some_and(|p| p.confirmed_by(report, job))
            && let Some(p) = self.pending.take()
        {
            p.answer(Ok(ControlOutcome {
                status: self.status,
                job,
            }));
        }
        let current = self.current_job;
        if let Some(p) = self.pending.take_if(|p| current != Some(p.job)) {
            let command = p.command.name();
            let job = p.job;
            p.answer(Err(ControlError::JobEnded { job, command }));
        }
        if ch.replan
            && let Some(s) = &sched
        {
            s.do_send(RequestReplan);
        }
        if before.0 == PrinterStatus::Offline
            && self.status != PrinterStatus::Offline
            && let Some(s) = &sched
        {
            // Back from offline: the plan may use it again.
            s.do_send(RequestReplan);
        }
        self.ask_for_work(ctx);
    }

    /// A message that met a store error. A refusal by the domain (a rule, a missing row, a
    /// conflict) is final and answered with `error`. Anything else (the database restarting,
    /// a cut connection, a read-only failover) is transient: the message is not answered, the
    /// connection is closed with 1011 and dropped at once, so this and every later message of
    /// the connection stay in the agent's outbox and are re-sent, in order, after it reconnects
    /// (the message-id table applies each exactly once).
    fn on_store_error(&mut self, id: &str, e: &StoreError) {
        if e.kind() != ErrorKind::Internal {
            tracing::warn!(printer = %self.id, msg = id, error = %e, "agent message refused");
            self.refuse(id, e.code(), e.to_string());
            return;
        }
        tracing::warn!(printer = %self.id, msg = id, error = %e, "agent message not applied: store unavailable, closing the connection");
        self.drop_connection(
            close::INTERNAL,
            "the server could not record a message; reconnect and re-send it".into(),
        );
    }

    /// Closes the agent's connection and forgets it at once (later messages of that
    /// connection are ignored, not applied out of order).
    fn drop_connection(&mut self, code: u16, reason: String) {
        if let Some((conn_id, conn)) = self.conn.take() {
            self.fx.stats.agent_disconnected();
            conn.do_send(ToAgent::Close { code, reason });
            self.assigned = None;
            self.disconnected();
            self.detach_later(conn_id);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

impl Handler<Attach> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: Attach, ctx: &mut Context<Self>) {
        if let Some((old, conn)) = self.conn.take()
            && old != msg.conn_id
        {
            conn.do_send(ToAgent::Close {
                code: close::REPLACED,
                reason: "replaced by a newer connection of this printer".into(),
            });
        } else {
            self.fx.stats.agent_connected();
        }
        self.conn = Some((msg.conn_id, msg.conn));
        self.agent_seen = true;
        self.last_seen = Utc::now();
        // A job handed to this printer stays with it (the scheduler keeps it in flight) until
        // the agent shows it does not hold it: it starts it (the hello may say so), rejects it,
        // or asks for work. Releasing it here would let another printer print it too.
        self.assigned = None;
        let (fx, id, env) = (self.fx.clone(), self.id, msg.hello);
        let hello_id = env.id.clone();
        let conn_id = msg.conn_id;
        ctx.wait(
            async move {
                // This replica is the printer's gateway now (control commands and the leader's
                // hand-overs for it are sent here).
                let now = Utc::now();
                if let Err(e) =
                    gantry_app::cluster::attach(&fx.db, id, fx.leadership.replica(), conn_id, now).await
                {
                    tracing::warn!(printer = %id, error = %e, "cannot record the agent's gateway");
                }
                agent::apply_hello(&fx.db, id, env, now, fx.cfg.max_reprints).await
            }
            .into_actor(self)
            .map(move |res, act, ctx| {
                if act.conn.as_ref().map(|(c, _)| *c) != Some(conn_id) {
                    return;
                }
                match res {
                    Ok(ch) => {
                        act.send(ServerMessage::Welcome {
                            v: PROTOCOL_VERSION,
                            printer_id: act.id.0,
                            printer: act.name.clone(),
                            heartbeat_secs: act.fx.cfg.heartbeat_secs,
                        });
                        act.ack(&hello_id, false);
                        act.absorb(ch, ctx);
                    }
                    Err(e) => {
                        tracing::error!(printer = %act.id, error = %e, "hello not reconciled");
                        act.drop_connection(
                            close::INTERNAL,
                            "the server could not record the hello; reconnect later".into(),
                        );
                    }
                }
            }),
        );
    }
}

impl Handler<Detach> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: Detach, _ctx: &mut Context<Self>) {
        if self.conn.as_ref().map(|(c, _)| *c) == Some(msg.conn_id) {
            self.conn = None;
            // The job handed to it (if any) stays in flight: the printer may be printing it.
            self.assigned = None;
            self.disconnected();
            self.fx.stats.agent_disconnected();
            self.record_detach(msg.conn_id, _ctx);
        }
    }
}

impl Handler<FromAgent> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: FromAgent, ctx: &mut Context<Self>) {
        if self.conn.as_ref().map(|(c, _)| *c) != Some(msg.conn_id) {
            return;
        }
        let now = Utc::now();
        self.last_seen = now;
        let env = msg.env;
        let id = env.id.clone();
        match &env.msg {
            AgentMessage::Heartbeat {} => self.ack(&id, false),
            AgentMessage::Hello { .. } => self.refuse(
                &id,
                "HELLO_REPEATED",
                "hello is only the first message of a connection".into(),
            ),
            AgentMessage::Status {
                state,
                job,
                progress_pct,
                temperatures,
                seconds_left,
                readings,
            } => {
                let report = StatusReport {
                    printer_id: self.id,
                    state: *state,
                    job: job.map(JobId),
                    progress_pct: *progress_pct,
                    temperatures: *temperatures,
                    seconds_left: *seconds_left,
                    readings: Some(readings.clone()),
                    at: now,
                };
                self.status_report(report, id, ctx);
            }
            AgentMessage::JobProgress { job, .. }
                if !live::progress_applies(self.current_job, JobId(*job)) =>
            {
                tracing::debug!(printer = %self.id, job, "progress for a job not printing here: ignored");
                self.ack(&id, false);
            }
            AgentMessage::JobProgress { job, progress_pct } => {
                let report = StatusReport {
                    printer_id: self.id,
                    state: if self.status == PrinterStatus::Paused {
                        AgentState::Paused
                    } else {
                        AgentState::Printing
                    },
                    job: Some(JobId(*job)),
                    progress_pct: Some(*progress_pct),
                    temperatures: Default::default(),
                    seconds_left: None,
                    readings: None,
                    at: now,
                };
                self.status_report(report, id, ctx);
            }
            _ => {
                let (fx, id_of) = (self.fx.clone(), self.id);
                let cancel_reason = match (&env.msg, &self.pending) {
                    (
                        AgentMessage::Cancelled { job },
                        Some(Pending {
                            command: Command::Cancel { reason },
                            job: pending,
                            ..
                        }),
                    ) if pending.0 == *job => Some(format!("cancelled from Gantry: {reason}")),
                    _ => None,
                };
                ctx.wait(
                    async move {
                        agent::apply_recorded(&fx.db, id_of, env, now, cancel_reason, fx.cfg.max_reprints)
                            .await
                    }
                    .into_actor(self)
                    .map(move |res, act, ctx| match res {
                        Ok(Applied::Duplicate) => act.ack(&id, true),
                        Ok(Applied::Refused(code, why)) => act.refuse(&id, code, why),
                        Ok(Applied::Done(ch)) => {
                            act.ack(&id, false);
                            act.absorb(*ch, ctx);
                        }
                        Err(e) => act.on_store_error(&id, &e),
                    }),
                );
            }
        }
    }
}

impl PrinterActor {
    /// A status (or progress) report: through the group-commit writer, or in its own
    /// transaction when it changes the printer's status. Acknowledged after the commit.
    fn status_report(&mut self, report: StatusReport, id: String, ctx: &mut Context<Self>) {
        let pct = report.progress_pct;
        let job = report.job;
        match status_report_target(self.status, report.state, self.current_job.is_some()) {
            Some(to) => {
                let fx = self.fx.clone();
                let id_of = self.id;
                let fut = async move { agent::apply_status_change(&fx.db, id_of, report, to).await };
                ctx.wait(fut.into_actor(self).map(move |res, act, ctx| match res {
                    Ok(status) => {
                        act.ack(&id, false);
                        act.absorb(
                            Change {
                                status: Some(status),
                                ..Change::default()
                            },
                            ctx,
                        );
                    }
                    Err(e) => act.on_store_error(&id, &e),
                }));
            }
            None => {
                let writer = self.fx.writer.clone();
                ctx.wait(async move { writer.write(report).await }.into_actor(self).map(
                    move |res, act, _| match res {
                        Ok(()) => {
                            act.ack(&id, false);
                            if let (Some(j), Some(p)) = (job, pct)
                                && act.current_job == Some(j)
                                && p > act.progress
                            {
                                act.progress = p;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(printer = %act.id, msg = %id, error = %e, "status not written: store unavailable, closing the connection");
                            act.drop_connection(
                                close::INTERNAL,
                                "the server could not record a status report; reconnect and re-send it".into(),
                            );
                        }
                    },
                ));
            }
        }
    }
}

impl Handler<Assign> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: Assign, _ctx: &mut Context<Self>) {
        if is_ready(self.status, self.conn.is_some(), self.current_job, self.assigned) {
            self.assigned = Some(JobId(msg.0.job));
            self.send(ServerMessage::AssignJob { assignment: msg.0 });
        } else if self.conn.is_some()
            && let Some(s) = self.fx.scheduler()
        {
            // Handed by the leader while no longer ready: give it back.
            s.do_send(Released { printer: self.id });
        }
    }
}

impl Handler<PlanUpdated> for PrinterActor {
    type Result = ();

    fn handle(&mut self, _: PlanUpdated, ctx: &mut Context<Self>) {
        self.ask_for_work(ctx);
    }
}

impl Handler<Shutdown> for PrinterActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        self.shutdown = true;
        if let Some((_, conn)) = self.conn.take() {
            self.fx.stats.agent_disconnected();
            conn.do_send(ToAgent::Close {
                code: close::GOING_AWAY,
                reason: "the server is shutting down".into(),
            });
        }
        ctx.stop();
    }
}

impl Handler<Crash> for PrinterActor {
    type Result = ();

    fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Handler<Snapshot> for PrinterActor {
    type Result = MessageResult<Snapshot>;

    fn handle(&mut self, _: Snapshot, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(PrinterSnapshot {
            id: self.id,
            status: self.status,
            connected: self.conn.is_some(),
            current_job: self.current_job,
            assigned: self.assigned,
            progress_pct: self.progress,
            starts: self.starts,
        })
    }
}

impl PrinterActor {
    /// The agent is gone: a command waiting for its confirmation will not get one.
    fn disconnected(&mut self) {
        if let Some(p) = self.pending.take() {
            let command = p.command.name();
            p.answer(Err(ControlError::Disconnected(command)));
        }
    }
}

impl Handler<Control> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: Control, _ctx: &mut Context<Self>) {
        let (printer, status) = (self.id, self.status);
        let job = match (&self.conn, self.current_job) {
            (None, _) => {
                let _ = msg.reply.send(Err(ControlError::NoAgent(printer)));
                return;
            }
            (Some(_), Some(job)) if matches!(status, PrinterStatus::Printing | PrinterStatus::Paused) => job,
            (Some(_), _) => {
                let _ = msg.reply.send(Err(ControlError::NotPrinting { printer, status }));
                return;
            }
        };
        let out = match (&msg.command, status) {
            (Command::Pause, PrinterStatus::Paused) | (Command::Resume, PrinterStatus::Printing) => {
                let _ = msg.reply.send(Err(ControlError::WrongState {
                    printer,
                    status,
                    command: msg.command.name(),
                }));
                return;
            }
            (Command::Pause, _) => ServerMessage::Pause { job: job.0 },
            (Command::Resume, _) => ServerMessage::Resume { job: job.0 },
            (Command::Cancel { .. }, _) => ServerMessage::Cancel { job: job.0 },
        };
        if let Some(old) = self.pending.take() {
            let command = old.command.name();
            old.answer(Err(ControlError::Superseded(command)));
        }
        tracing::info!(printer = %printer, job = %job, command = msg.command.name(), "command sent to the agent");
        self.send(out);
        self.pending = Some(Pending {
            command: msg.command,
            job,
            reply: msg.reply,
        });
    }
}

impl Handler<StatusSet> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: StatusSet, ctx: &mut Context<Self>) {
        if self.status == msg.0 {
            return;
        }
        self.status = msg.0;
        if !matches!(msg.0, PrinterStatus::Printing | PrinterStatus::Paused) {
            self.pending_job_ended();
        }
        self.ask_for_work(ctx);
    }
}

impl PrinterActor {
    /// The printer no longer runs a job: a command waiting for its confirmation is answered.
    fn pending_job_ended(&mut self) {
        if let Some(p) = self.pending.take() {
            let (command, job) = (p.command.name(), p.job);
            p.answer(Err(ControlError::JobEnded { job, command }));
        }
    }
}
