//! Messages between the transport (the `/agent/ws` handler), the printer actors and the
//! scheduler.

use actix::prelude::*;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::protocol::{AgentEnvelope, JobAssignment, ServerMessage};
use gantry_engine::domain::types::{JobId, PrinterId};

/// WebSocket close codes the server uses (see `docs/agent-protocol.md`).
pub mod close {
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The message was not valid JSON or not a valid message.
    pub const MALFORMED: u16 = 1007;
    /// The message was larger than the limit.
    pub const TOO_LARGE: u16 = 1009;
    /// The server failed (e.g. the database is unreachable); reconnect later.
    pub const INTERNAL: u16 = 1011;
    /// The protocol version is not spoken here.
    pub const UNSUPPORTED_VERSION: u16 = 4001;
    /// The first message was not `hello`.
    pub const HELLO_EXPECTED: u16 = 4002;
    /// A newer connection for the same printer replaced this one.
    pub const REPLACED: u16 = 4003;
    /// The agent missed its heartbeats; the printer was marked offline.
    pub const HEARTBEAT_MISSED: u16 = 4004;
}

/// What the farm sends to an agent connection.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub enum ToAgent {
    Send(ServerMessage),
    /// Close the connection with this WebSocket close code and reason.
    Close {
        code: u16,
        reason: String,
    },
}

/// An agent's connection: where the printer actor sends to.
pub type AgentConn = Recipient<ToAgent>;

/// A connection for the printer attaches, with its `hello` (already decoded and validated).
/// Replaces (and closes) any previous connection of the printer. The printer actor answers
/// `welcome` (after reconciling and committing) and an ack of the hello through `conn`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Attach {
    pub conn_id: u64,
    pub conn: AgentConn,
    pub hello: AgentEnvelope,
}

/// A decoded message of the connection `conn_id` (ignored if that connection was replaced).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromAgent {
    pub conn_id: u64,
    pub env: AgentEnvelope,
}

/// The connection `conn_id` ended.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Detach {
    pub conn_id: u64,
}

/// The scheduler hands the printer its next job.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Assign(pub JobAssignment);

/// Check the heartbeat against `now` (sent by the printer's own timer; tests send it with a
/// chosen time).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CheckHeartbeat {
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A new plan was persisted: a ready printer asks for its next job.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PlanUpdated;

/// Stop for good (the farm is stopping): close the connection, do not restart.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// Stop now, as a crash would (tests of the supervisor): the actor is restarted and rebuilt
/// from SQL.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;

/// What a printer actor knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSnapshot {
    pub id: PrinterId,
    pub status: PrinterStatus,
    pub connected: bool,
    pub current_job: Option<JobId>,
    pub assigned: Option<JobId>,
    pub progress_pct: i64,
    /// How many times the actor was (re)started.
    pub starts: u32,
}

/// Reads a printer actor's state.
#[derive(Message)]
#[rtype(result = "PrinterSnapshot")]
pub struct Snapshot;

/// A command for the job a printer runs, asked through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Pause,
    Resume,
    /// Cancel, with the reason recorded on the job.
    Cancel {
        reason: String,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::Cancel { .. } => "cancel",
        }
    }
}

/// Why a printer command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("printer {0} has no agent connected; operate it by hand")]
    NoAgent(PrinterId),
    #[error("printer {printer} is not printing (status {status:?})")]
    NotPrinting {
        printer: PrinterId,
        status: PrinterStatus,
    },
    #[error("printer {printer} is {status:?}: cannot {command}")]
    WrongState {
        printer: PrinterId,
        status: PrinterStatus,
        command: &'static str,
    },
    #[error("the agent disconnected before confirming the {0}")]
    Disconnected(&'static str),
    #[error("another {0} command replaced this one before the agent confirmed it")]
    Superseded(&'static str),
    #[error("job {job} ended before the agent confirmed the {command}")]
    JobEnded { job: JobId, command: &'static str },
    #[error("the agent did not confirm the {command} within {secs} s (it was sent)")]
    Timeout { command: &'static str, secs: u64 },
    #[error("the live farm is not running")]
    Stopped,
}

impl ControlError {
    /// Stable code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::NoAgent(_) => "PRINTER_NO_AGENT",
            ControlError::NotPrinting { .. } => "PRINTER_NOT_PRINTING",
            ControlError::WrongState { .. } => "PRINTER_STATE_CONFLICT",
            ControlError::Disconnected(_) => "AGENT_DISCONNECTED",
            ControlError::Superseded(_) => "COMMAND_SUPERSEDED",
            ControlError::JobEnded { .. } => "JOB_ENDED",
            ControlError::Timeout { .. } => "AGENT_TIMEOUT",
            ControlError::Stopped => "FARM_NOT_RUNNING",
        }
    }
}

/// What a confirmed command changed: the printer's status after the agent's confirmation was
/// committed, and the job it acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlOutcome {
    pub status: PrinterStatus,
    pub job: JobId,
}

/// Sends `command` to the printer's agent; `reply` is answered once the agent's confirmation
/// (`paused` / `resumed` / `cancelled`) is committed, or with why it was not carried out.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Control {
    pub command: Command,
    pub reply: tokio::sync::oneshot::Sender<Result<ControlOutcome, ControlError>>,
}

/// The printer's status was set by hand (GraphQL `setPrinterStatus`, committed): the actor
/// takes it (and asks for work when that made the printer ready).
#[derive(Message)]
#[rtype(result = "()")]
pub struct StatusSet(pub PrinterStatus);
