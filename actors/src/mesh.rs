//! Messages between the farms of several replicas (over `gantry_app::cluster::Mesh`:
//! PostgreSQL `NOTIFY`): a gateway's ready printer asks the leader for work, the leader sends
//! the assignment back to the gateway holding the printer's agent, and pause / resume / cancel
//! asked on one replica reach the replica holding the agent, whose answer comes back.

use gantry_app::cluster::{Envelope, To};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::protocol::JobAssignment;
use gantry_engine::domain::types::{JobId, PrinterId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::farm::{Farm, Shared};
use crate::leader::{RemoteReady, RemoteReleased};
use crate::messages::{Assign, Command, ControlError, ControlOutcome, StatusSet};

/// What one replica's farm tells another's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Wire {
    /// To the leader: a printer whose agent is here is ready for work.
    Ready { printer: i64 },
    /// To the leader: a printer here gave back the job it was handed.
    Released { printer: i64 },
    /// To a gateway: hand this printer this job (recorded as handed out by the leader).
    Assign { printer: i64, assignment: JobAssignment },
    /// To a gateway: the printer's status was set by hand.
    StatusSet { printer: i64, status: PrinterStatus },
    /// To a gateway: send this command to the printer's agent; answer with `ControlDone`.
    Control {
        req: u64,
        printer: i64,
        command: String,
        reason: Option<String>,
    },
    /// The answer to `Control`.
    ControlDone { req: u64, result: WireResult },
    /// To the leader: re-plan now within `time_limit` seconds (`replanNow` asked of a
    /// follower); answer with `Replanned`.
    Replan { req: u64, time_limit: f64 },
    /// The answer to `Replan`.
    Replanned { req: u64, result: ReplanResult },
}

/// A forwarded re-plan's outcome on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "snake_case")]
pub enum ReplanResult {
    /// The plan is written (read the current plan).
    Planned,
    /// The receiver no longer leads.
    NotLeader,
    /// The solve or the write failed.
    Failed { message: String },
}

impl ReplanResult {
    pub fn of(res: &Result<gantry_app::planning::Replanned, crate::farm::FarmError>) -> Self {
        match res {
            Ok(_) => ReplanResult::Planned,
            Err(crate::farm::FarmError::NotLeader) => ReplanResult::NotLeader,
            Err(crate::farm::FarmError::Plan(m)) if m == crate::scheduler::NOT_LEADER => {
                ReplanResult::NotLeader
            }
            Err(e) => ReplanResult::Failed {
                message: e.to_string(),
            },
        }
    }
}

/// A command's outcome on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "snake_case")]
pub enum WireResult {
    Done {
        status: PrinterStatus,
        job: i64,
    },
    Failed {
        code: String,
        status: Option<PrinterStatus>,
        job: Option<i64>,
        secs: Option<u64>,
    },
}

impl WireResult {
    pub fn of(res: &Result<ControlOutcome, ControlError>) -> WireResult {
        match res {
            Ok(o) => WireResult::Done {
                status: o.status,
                job: o.job.0,
            },
            Err(e) => {
                let (status, job, secs) = match e {
                    ControlError::NotPrinting { status, .. } | ControlError::WrongState { status, .. } => {
                        (Some(*status), None, None)
                    }
                    ControlError::JobEnded { job, .. } => (None, Some(job.0), None),
                    ControlError::Timeout { secs, .. } => (None, None, Some(*secs)),
                    _ => (None, None, None),
                };
                WireResult::Failed {
                    code: e.code().to_string(),
                    status,
                    job,
                    secs,
                }
            }
        }
    }

    /// Back to the caller's types (the same error code as if the agent were connected here).
    pub fn into_result(self, printer: PrinterId, command: &Command) -> Result<ControlOutcome, ControlError> {
        let name = command.name();
        match self {
            WireResult::Done { status, job } => Ok(ControlOutcome {
                status,
                job: JobId(job),
            }),
            WireResult::Failed {
                code,
                status,
                job,
                secs,
            } => Err(match code.as_str() {
                "PRINTER_NO_AGENT" => ControlError::NoAgent(printer),
                "PRINTER_NOT_PRINTING" => ControlError::NotPrinting {
                    printer,
                    status: status.unwrap_or(PrinterStatus::Offline),
                },
                "PRINTER_STATE_CONFLICT" => ControlError::WrongState {
                    printer,
                    status: status.unwrap_or(PrinterStatus::Offline),
                    command: name,
                },
                "AGENT_DISCONNECTED" => ControlError::Disconnected(name),
                "COMMAND_SUPERSEDED" => ControlError::Superseded(name),
                "JOB_ENDED" => ControlError::JobEnded {
                    job: JobId(job.unwrap_or(0)),
                    command: name,
                },
                "AGENT_TIMEOUT" => ControlError::Timeout {
                    command: name,
                    secs: secs.unwrap_or(0),
                },
                _ => ControlError::Stopped,
            }),
        }
    }
}

/// The command of a `Control` message.
pub fn command_of(name: &str, reason: Option<String>) -> Option<Command> {
    Some(match name {
        "pause" => Command::Pause,
        "resume" => Command::Resume,
        "cancel" => Command::Cancel {
            reason: reason.unwrap_or_default(),
        },
        _ => return None,
    })
}

/// Sends `wire` to `to` in the background (best effort, logged when it fails).
pub(crate) fn send(fx: &Shared, to: To, wire: Wire) {
    let mesh = fx.mesh.clone();
    let Ok(body) = serde_json::to_value(&wire) else {
        return;
    };
    actix::spawn(async move {
        if let Err(e) = mesh.send(to, body).await {
            tracing::warn!(error = %e, "mesh: a message to another replica was not sent");
        }
    });
}

/// Sends `wire` to the leader.
pub(crate) fn forward(fx: &Shared, wire: Wire) {
    send(fx, To::Leader, wire);
}

/// Applies the mesh messages addressed to this replica until the farm stops.
pub(crate) async fn run(mut inbox: mpsc::UnboundedReceiver<Envelope>, farm: Farm) {
    while let Some(env) = inbox.recv().await {
        let wire: Wire = match serde_json::from_value(env.body) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, from = %env.from, "mesh: a message this build does not know was ignored");
                continue;
            }
        };
        let sched = farm.scheduler_addr();
        match wire {
            Wire::Ready { printer } => sched.do_send(RemoteReady {
                printer: PrinterId(printer),
                from: env.from,
            }),
            Wire::Released { printer } => sched.do_send(RemoteReleased(PrinterId(printer))),
            Wire::Assign { printer, assignment } => {
                if let Ok(p) = farm.printer(PrinterId(printer)).await {
                    p.do_send(Assign(assignment));
                }
            }
            Wire::StatusSet { printer, status } => {
                if let Ok(p) = farm.printer(PrinterId(printer)).await {
                    p.do_send(StatusSet(status));
                }
            }
            Wire::Control {
                req,
                printer,
                command,
                reason,
            } => {
                let Some(command) = command_of(&command, reason) else {
                    continue;
                };
                let (farm, from) = (farm.clone(), env.from);
                actix::spawn(async move {
                    let res = farm.control_here(PrinterId(printer), command).await;
                    let wire = Wire::ControlDone {
                        req,
                        result: WireResult::of(&res),
                    };
                    if let Ok(body) = serde_json::to_value(&wire)
                        && let Err(e) = farm.mesh().send(To::Replica(from), body).await
                    {
                        tracing::warn!(error = %e, "mesh: a command's answer was not sent back");
                    }
                });
            }
            Wire::ControlDone { req, result } => farm.control_answered(req, result),
            Wire::Replan { req, time_limit } => {
                let (farm, from) = (farm.clone(), env.from);
                actix::spawn(async move {
                    let res = farm.replan_now(time_limit).await;
                    let wire = Wire::Replanned {
                        req,
                        result: ReplanResult::of(&res),
                    };
                    if let Ok(body) = serde_json::to_value(&wire)
                        && let Err(e) = farm.mesh().send(To::Replica(from), body).await
                    {
                        tracing::warn!(error = %e, "mesh: a re-plan's answer was not sent back");
                    }
                });
            }
            Wire::Replanned { req, result } => farm.replan_answered(req, result),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_answer_crosses_the_wire_with_its_code() {
        let p = PrinterId(7);
        let cases = [
            Err(ControlError::NoAgent(p)),
            Err(ControlError::NotPrinting {
                printer: p,
                status: PrinterStatus::Idle,
            }),
            Err(ControlError::WrongState {
                printer: p,
                status: PrinterStatus::Paused,
                command: "pause",
            }),
            Err(ControlError::Disconnected("pause")),
            Err(ControlError::JobEnded {
                job: JobId(3),
                command: "pause",
            }),
            Err(ControlError::Timeout {
                command: "pause",
                secs: 15,
            }),
            Ok(ControlOutcome {
                status: PrinterStatus::Paused,
                job: JobId(3),
            }),
        ];
        for res in cases {
            let wire = serde_json::to_string(&Wire::ControlDone {
                req: 1,
                result: WireResult::of(&res),
            })
            .unwrap_or_default();
            let Ok(Wire::ControlDone { result, .. }) = serde_json::from_str::<Wire>(&wire) else {
                panic!("{wire}");
            };
            assert_eq!(result.into_result(p, &Command::Pause), res, "{wire}");
        }
    }
}
