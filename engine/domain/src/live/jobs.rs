//! Jobs on printers: which job a ready printer takes next, what a job message means, and what an
//! agent's `hello` means for the stored jobs.

use std::collections::BTreeSet;

use crate::equipment::PrinterStatus;
use crate::production::{Job, JobState};
use crate::protocol::AgentState;
use crate::types::{JobId, PrinterId};

/// A printer can take a job: its agent is connected, it is idle (plate clear), and it is not
/// running or being handed a job.
pub fn is_ready(
    status: PrinterStatus,
    connected: bool,
    current_job: Option<JobId>,
    assigned: Option<JobId>,
) -> bool {
    connected && status == PrinterStatus::Idle && current_job.is_none() && assigned.is_none()
}

/// The job a ready printer takes next from the current plan: among the jobs scheduled on it
/// and not already handed to a printer (`in_flight`), the earliest planned start, then the
/// highest priority, then the lowest id.
pub fn next_job(printer: PrinterId, scheduled: &[Job], in_flight: &BTreeSet<JobId>) -> Option<JobId> {
    scheduled
        .iter()
        .filter(|j| {
            j.state == JobState::Scheduled && j.printer_id == Some(printer) && !in_flight.contains(&j.id)
        })
        .min_by(|a, b| {
            a.planned_start
                .cmp(&b.planned_start)
                .then(b.priority.cmp(&a.priority))
                .then(a.id.cmp(&b.id))
        })
        .map(|j| j.id)
}

/// The parts of a job the live decisions look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobView {
    pub id: JobId,
    pub state: JobState,
    pub printer_id: Option<PrinterId>,
    pub progress_pct: i64,
}

impl From<&Job> for JobView {
    fn from(j: &Job) -> Self {
        JobView {
            id: j.id,
            state: j.state,
            printer_id: j.printer_id,
            progress_pct: j.progress_pct,
        }
    }
}

/// A job message from an agent, reduced to what decides its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobReport {
    Accepted,
    Rejected,
    Started,
    Progress(i64),
    Completed,
    Failed,
    Paused,
    Resumed,
    Cancelled,
}

/// What a job message does to the stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Apply it. `reschedule`: the job is planned on another printer (or not at all) and is
    /// first moved to the reporting one (the agent is printing it, which is what counts).
    Apply { reschedule: bool },
    /// Already applied (a repeat, or reported by a `hello`): acknowledge, change nothing.
    AlreadyApplied,
    /// Nothing to store (e.g. an acceptance): acknowledge.
    Nothing,
    /// Refused: the job is in a state where the message makes no sense.
    Refuse(String),
}

/// Decides the effect of a job message from `printer` about `job`.
pub fn job_message_effect(printer: PrinterId, job: &JobView, report: JobReport) -> Effect {
    let here = job.printer_id == Some(printer);
    let refuse = |what: &str| Effect::Refuse(format!("job {} is {}: cannot {what}", job.id, job.state));
    match report {
        JobReport::Accepted => match job.state {
            JobState::Scheduled | JobState::Printing if here => Effect::Nothing,
            // Resent after a reconnect, once the hello or the messages after it settled the
            // job: an acceptance is informational, nothing to refuse.
            JobState::Done
            | JobState::Failed
            | JobState::Requeued
            | JobState::Abandoned
            | JobState::Cancelled
                if here =>
            {
                Effect::AlreadyApplied
            }
            _ => refuse("accept it"),
        },
        JobReport::Rejected => match job.state {
            JobState::Scheduled if here => Effect::Apply { reschedule: false },
            JobState::Queued => Effect::AlreadyApplied,
            _ => refuse("reject it"),
        },
        JobReport::Started => match job.state {
            JobState::Scheduled => Effect::Apply { reschedule: !here },
            JobState::Queued => Effect::Apply { reschedule: true },
            JobState::Printing if here => Effect::AlreadyApplied,
            JobState::Done | JobState::Failed | JobState::Requeued | JobState::Abandoned if here => {
                Effect::AlreadyApplied
            }
            _ => refuse("start it"),
        },
        JobReport::Progress(pct) => match job.state {
            JobState::Printing if here && pct > job.progress_pct => Effect::Apply { reschedule: false },
            // Progress never goes backwards; a late or repeated report changes nothing.
            JobState::Printing if here => Effect::AlreadyApplied,
            JobState::Done | JobState::Failed | JobState::Requeued | JobState::Abandoned if here => {
                Effect::AlreadyApplied
            }
            _ => refuse("report progress"),
        },
        JobReport::Completed => match job.state {
            JobState::Printing if here => Effect::Apply { reschedule: false },
            JobState::Done if here => Effect::AlreadyApplied,
            _ => refuse("complete it"),
        },
        JobReport::Failed => match job.state {
            JobState::Printing if here => Effect::Apply { reschedule: false },
            JobState::Failed | JobState::Requeued | JobState::Abandoned if here => Effect::AlreadyApplied,
            _ => refuse("fail it"),
        },
        JobReport::Paused | JobReport::Resumed => match job.state {
            JobState::Printing if here => Effect::Apply { reschedule: false },
            _ => refuse("pause or resume it"),
        },
        JobReport::Cancelled => match job.state {
            JobState::Printing if here => Effect::Apply { reschedule: false },
            JobState::Failed | JobState::Requeued | JobState::Abandoned | JobState::Cancelled if here => {
                Effect::AlreadyApplied
            }
            _ => refuse("cancel it"),
        },
    }
}

/// What the server does about its stored jobs after an agent's `hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloAction {
    /// The agent runs a job the server had only assigned (its `job_started` was lost): start
    /// it on this printer (`reschedule`: move it here first).
    Start { job: JobId, reschedule: bool },
    /// The job goes on; record its progress (never backwards).
    Progress { job: JobId, pct: i64 },
    /// The job finished while the agent was disconnected: complete it (once).
    Complete { job: JobId },
    /// The job ended without finishing (or the agent no longer knows it): fail it with this
    /// progress, for partial material use and the reprint rules.
    Fail {
        job: JobId,
        reason: String,
        progress_pct: i64,
    },
}

/// Reconciles an agent's `hello` with the stored state.
///
/// `named` is the stored job the agent names as its current job (if any, and if it exists);
/// `printing_here` the jobs stored as printing on this printer; `state` and `progress` what
/// the agent reports. A job finished while disconnected is reported with state
/// `needs_bed_clearing` (or `idle`) and progress 100.
pub fn reconcile_hello(
    printer: PrinterId,
    named: Option<&JobView>,
    printing_here: &[JobView],
    state: AgentState,
    progress: Option<i64>,
) -> Vec<HelloAction> {
    let mut out = Vec::new();
    for j in printing_here {
        if named.map(|n| n.id) != Some(j.id) {
            out.push(HelloAction::Fail {
                job: j.id,
                reason: "the printer's agent no longer reports this job after reconnecting".into(),
                progress_pct: j.progress_pct,
            });
        }
    }
    let Some(job) = named else {
        return out;
    };
    let pct = progress.unwrap_or(job.progress_pct).clamp(0, 100);
    let here = job.printer_id == Some(printer);
    let finished = matches!(state, AgentState::NeedsBedClearing | AgentState::Idle);
    match job.state {
        JobState::Queued | JobState::Scheduled => {
            let reschedule = job.state == JobState::Queued || !here;
            match state {
                AgentState::Printing | AgentState::Paused => {
                    out.push(HelloAction::Start {
                        job: job.id,
                        reschedule,
                    });
                    if pct > 0 {
                        out.push(HelloAction::Progress { job: job.id, pct });
                    }
                }
                _ if finished && pct == 100 => {
                    out.push(HelloAction::Start {
                        job: job.id,
                        reschedule,
                    });
                    out.push(HelloAction::Complete { job: job.id });
                }
                // It ran and stopped part-way (its start and end were both lost): fail it, or
                // the plan would hand the same plate to the printer again.
                _ if pct > 0 => {
                    out.push(HelloAction::Start {
                        job: job.id,
                        reschedule,
                    });
                    out.push(HelloAction::Fail {
                        job: job.id,
                        reason: format!("print stopped at {pct}% while the agent was disconnected"),
                        progress_pct: pct,
                    });
                }
                // Not started (or an error before starting): the plan still holds it.
                _ => {}
            }
        }
        JobState::Printing if here => match state {
            AgentState::Printing | AgentState::Paused => {
                if pct > job.progress_pct {
                    out.push(HelloAction::Progress { job: job.id, pct });
                }
            }
            _ if finished && pct == 100 => out.push(HelloAction::Complete { job: job.id }),
            AgentState::Error => out.push(HelloAction::Fail {
                job: job.id,
                reason: "printer error while the agent was disconnected".into(),
                progress_pct: pct.max(job.progress_pct),
            }),
            _ => out.push(HelloAction::Fail {
                job: job.id,
                reason: format!("print stopped at {pct}% while the agent was disconnected"),
                progress_pct: pct.max(job.progress_pct),
            }),
        },
        // Finished states (already counted once) and jobs printing elsewhere: nothing.
        _ => {}
    }
    out
}
