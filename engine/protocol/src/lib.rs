//! The printer-agent protocol: the JSON messages exchanged over the `/agent/ws` WebSocket
//! (pure data and validation; the transport lives in `api`, the behaviour in `actors`).
//! A crate of its own so that the agent (`gantry-agent`) depends on it and not on the engine.
//!
//! Every message is one JSON object in one text frame. Agent → server messages carry the
//! protocol version `v` and a message id `id`, unique per printer (a repeat after a reconnect
//! carries the same id and is acknowledged again without being applied twice):
//!
//! ```json
//! {"v": 1, "id": "a-17", "type": "job_progress", "job": 42, "progress_pct": 37}
//! ```
//!
//! Server → agent messages carry `type` and their fields. The full exchange is documented in
//! `docs/agent-protocol.md`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod codes;

use crate::codes::{Coded, ErrorKind};

/// The protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest accepted agent message (one text frame), in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest accepted message id, in bytes.
pub const MAX_MESSAGE_ID_LEN: usize = 64;
/// Longest accepted free-text field (reasons, names), in characters.
pub const MAX_TEXT_LEN: usize = 500;

/// What the agent says about its printer's hardware state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Idle,
    Printing,
    Paused,
    /// A print ended; the plate must be cleared by a person before the next print.
    NeedsBedClearing,
    Error,
}

/// Temperatures in degrees Celsius (absent when the printer does not report one).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Temperatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nozzle_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bed_c: Option<f64>,
    /// The temperature the nozzle heats to (0: heater off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nozzle_target_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bed_target_c: Option<f64>,
}

/// What a printer reports beside its state and temperatures (each absent when the printer
/// does not say). Sent in `status`, flattened: `{"type": "status", …, "layer": 12}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Readings {
    /// The layer printing now (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_layers: Option<i64>,
    /// The filament sensor reports no filament.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filament_runout: Option<bool>,
    /// The printer's own error or warning text (e.g. Klipper's shutdown message, a Bambu HMS
    /// code), at most [`MAX_TEXT_LEN`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer_error: Option<String>,
}

/// Agent → server: one message with its envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEnvelope {
    /// Protocol version ([`PROTOCOL_VERSION`]).
    pub v: u32,
    /// Message id, unique per printer; 1–[`MAX_MESSAGE_ID_LEN`] bytes.
    pub id: String,
    #[serde(flatten)]
    pub msg: AgentMessage,
}

/// Agent → server message bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessage {
    /// First message on every connection.
    Hello {
        /// Agent software and backend, e.g. `gantry-agent/0.1 simulate`.
        agent: String,
        #[serde(default)]
        capabilities: Vec<String>,
        /// Code of the material loaded, if known.
        #[serde(default)]
        loaded_material: Option<String>,
        state: AgentState,
        /// The job the printer is running (or finished while disconnected), if any.
        #[serde(default)]
        current_job: Option<i64>,
        #[serde(default)]
        progress_pct: Option<i64>,
    },
    /// Periodic state report.
    Status {
        state: AgentState,
        #[serde(default)]
        job: Option<i64>,
        #[serde(default)]
        progress_pct: Option<i64>,
        #[serde(default)]
        temperatures: Temperatures,
        #[serde(default)]
        seconds_left: Option<i64>,
        /// Layer, filament runout, the printer's error (protocol 1 agents before these fields
        /// send none of them).
        #[serde(flatten)]
        readings: Readings,
    },
    /// The agent took an assigned job (it will start it).
    JobAccepted {
        job: i64,
    },
    /// The agent cannot run an assigned job.
    JobRejected {
        job: i64,
        reason: String,
    },
    JobStarted {
        job: i64,
    },
    JobProgress {
        job: i64,
        progress_pct: i64,
    },
    JobCompleted {
        job: i64,
    },
    /// The print failed; `progress_pct` is how far it got (for partial material use).
    JobFailed {
        job: i64,
        reason: String,
        #[serde(default)]
        progress_pct: Option<i64>,
    },
    /// Confirms a pause / resume / cancel the server asked for (or one done at the printer).
    Paused {
        job: i64,
    },
    Resumed {
        job: i64,
    },
    Cancelled {
        job: i64,
    },
    /// A person cleared the plate; the printer can take the next job.
    BedCleared {},
    Heartbeat {},
}

impl AgentMessage {
    /// The `type` tag of the message.
    pub fn kind(&self) -> &'static str {
        match self {
            AgentMessage::Hello { .. } => "hello",
            AgentMessage::Status { .. } => "status",
            AgentMessage::JobAccepted { .. } => "job_accepted",
            AgentMessage::JobRejected { .. } => "job_rejected",
            AgentMessage::JobStarted { .. } => "job_started",
            AgentMessage::JobProgress { .. } => "job_progress",
            AgentMessage::JobCompleted { .. } => "job_completed",
            AgentMessage::JobFailed { .. } => "job_failed",
            AgentMessage::Paused { .. } => "paused",
            AgentMessage::Resumed { .. } => "resumed",
            AgentMessage::Cancelled { .. } => "cancelled",
            AgentMessage::BedCleared {} => "bed_cleared",
            AgentMessage::Heartbeat {} => "heartbeat",
        }
    }
}

/// A job handed to a printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobAssignment {
    pub job: i64,
    pub order_id: i64,
    /// Material code the job prints with.
    pub material: String,
    pub copies: i64,
    pub est_minutes: i64,
    pub grams: i64,
    /// Where the agent downloads the G-code, when the job has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcode_url: Option<String>,
}

/// The server path (relative to its base URL) where the agent of the printer a job is assigned
/// to downloads that job's G-code, authenticated with its printer token.
pub fn gcode_path(job: i64) -> String {
    format!("/agent/jobs/{job}/gcode")
}

/// Server → agent messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `hello`: the printer's identity and the heartbeat interval the server expects.
    Welcome {
        v: u32,
        printer_id: i64,
        printer: String,
        heartbeat_secs: u64,
    },
    /// The message `id` was received and committed (`duplicate`: it had been already).
    Ack {
        id: String,
        duplicate: bool,
    },
    /// The message `id` (if known) was refused; the connection stays open.
    Error {
        #[serde(default)]
        id: Option<String>,
        code: String,
        message: String,
    },
    /// Print this job next.
    AssignJob {
        assignment: JobAssignment,
    },
    Pause {
        job: i64,
    },
    Resume {
        job: i64,
    },
    Cancel {
        job: i64,
    },
}

/// Whether an `error` with this code is final ("do not resend"). `INTERNAL` and `UNAVAILABLE`
/// say the server could not record the message (its database was unavailable): the agent keeps
/// it in its outbox and re-sends it after reconnecting. Servers from this version on close the
/// connection (1011) instead of answering such errors; the rule protects against older ones.
pub fn error_is_final(code: &str) -> bool {
    !matches!(code, "INTERNAL" | "UNAVAILABLE")
}

/// Why an agent message was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("message of {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("unsupported protocol version {got}; this server speaks version {supported}")]
    UnsupportedVersion { got: u32, supported: u32 },
    #[error("message id must be 1 to {MAX_MESSAGE_ID_LEN} bytes")]
    BadMessageId,
    #[error("{field} must be at most {MAX_TEXT_LEN} characters")]
    TextTooLong { field: &'static str },
    #[error("progress_pct must be between 0 and 100, got {0}")]
    BadProgress(i64),
    #[error("the first message must be hello, got {0}")]
    HelloExpected(&'static str),
}

impl Coded for ProtocolError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }

    fn code(&self) -> &'static str {
        match self {
            ProtocolError::TooLarge { .. } => "MESSAGE_TOO_LARGE",
            ProtocolError::Malformed(_) => "MALFORMED_MESSAGE",
            ProtocolError::UnsupportedVersion { .. } => "UNSUPPORTED_VERSION",
            ProtocolError::BadMessageId => "BAD_MESSAGE_ID",
            ProtocolError::TextTooLong { .. } => "TEXT_TOO_LONG",
            ProtocolError::BadProgress(_) => "BAD_PROGRESS",
            ProtocolError::HelloExpected(_) => "HELLO_EXPECTED",
        }
    }
}

impl ProtocolError {
    /// Whether the connection must be closed (the peer does not speak this protocol), rather
    /// than the one message refused.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ProtocolError::UnsupportedVersion { .. } | ProtocolError::HelloExpected(_)
        )
    }
}

fn check_text(field: &'static str, s: &str) -> Result<(), ProtocolError> {
    if s.chars().count() > MAX_TEXT_LEN {
        return Err(ProtocolError::TextTooLong { field });
    }
    Ok(())
}

fn check_pct(p: Option<i64>) -> Result<(), ProtocolError> {
    match p {
        Some(p) if !(0..=100).contains(&p) => Err(ProtocolError::BadProgress(p)),
        _ => Ok(()),
    }
}

/// Parses and validates one agent message (size, JSON shape, version, id, field ranges).
pub fn decode(text: &str) -> Result<AgentEnvelope, ProtocolError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge {
            size: text.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    // The version is checked before the body, so a future message shape is reported as a
    // version mismatch rather than as malformed.
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    match raw.get("v").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(ProtocolError::UnsupportedVersion {
                got: u32::try_from(v).unwrap_or(u32::MAX),
                supported: PROTOCOL_VERSION,
            });
        }
        None => {
            return Err(ProtocolError::Malformed(
                "missing or non-integer field `v`".into(),
            ));
        }
    }
    let env: AgentEnvelope =
        serde_json::from_value(raw).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    if env.id.is_empty() || env.id.len() > MAX_MESSAGE_ID_LEN {
        return Err(ProtocolError::BadMessageId);
    }
    match &env.msg {
        AgentMessage::Hello {
            agent,
            capabilities,
            loaded_material,
            progress_pct,
            ..
        } => {
            check_text("agent", agent)?;
            for c in capabilities {
                check_text("capabilities", c)?;
            }
            if let Some(m) = loaded_material {
                check_text("loaded_material", m)?;
            }
            check_pct(*progress_pct)?;
        }
        AgentMessage::Status {
            progress_pct,
            readings,
            ..
        } => {
            check_pct(*progress_pct)?;
            if let Some(e) = &readings.printer_error {
                check_text("printer_error", e)?;
            }
            if readings.layer.is_some_and(|l| l < 0) || readings.total_layers.is_some_and(|l| l < 0) {
                return Err(ProtocolError::Malformed("layer must not be negative".into()));
            }
        }
        AgentMessage::JobProgress { progress_pct, .. } => check_pct(Some(*progress_pct))?,
        AgentMessage::JobRejected { reason, .. } => check_text("reason", reason)?,
        AgentMessage::JobFailed {
            reason, progress_pct, ..
        } => {
            check_text("reason", reason)?;
            check_pct(*progress_pct)?;
        }
        _ => {}
    }
    Ok(env)
}

/// Serialises a server message (infallible for these types).
pub fn encode(msg: &ServerMessage) -> String {
    serde_json::to_string(msg).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_progress() {
        let env = decode(r#"{"v":1,"id":"a-1","type":"job_progress","job":42,"progress_pct":37}"#).unwrap();
        assert_eq!(env.id, "a-1");
        assert_eq!(
            env.msg,
            AgentMessage::JobProgress {
                job: 42,
                progress_pct: 37
            }
        );
    }

    #[test]
    fn rejects_bad_input() {
        let cases = [
            (r#"{"v":2,"id":"x","type":"heartbeat"}"#, "UNSUPPORTED_VERSION"),
            (r#"{"id":"x","type":"heartbeat"}"#, "MALFORMED_MESSAGE"),
            (r#"{"v":1,"id":"","type":"heartbeat"}"#, "BAD_MESSAGE_ID"),
            (r#"{"v":1,"id":"x","type":"teleport"}"#, "MALFORMED_MESSAGE"),
            (
                r#"{"v":1,"id":"x","type":"job_progress","job":1,"progress_pct":101}"#,
                "BAD_PROGRESS",
            ),
            ("not json", "MALFORMED_MESSAGE"),
        ];
        for (text, code) in cases {
            assert_eq!(decode(text).unwrap_err().code(), code, "{text}");
        }
        let big = format!(
            r#"{{"v":1,"id":"x","type":"heartbeat","pad":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(decode(&big).unwrap_err().code(), "MESSAGE_TOO_LARGE");
    }

    #[test]
    fn status_readings_are_optional_and_flat() {
        // An agent from before the readings: still a valid status.
        let old = decode(
            r#"{"v":1,"id":"s","type":"status","state":"printing","job":3,"temperatures":{"nozzle_c":210.5}}"#,
        )
        .unwrap();
        let AgentMessage::Status {
            readings,
            temperatures,
            ..
        } = old.msg
        else {
            panic!("not a status")
        };
        assert_eq!(readings, Readings::default());
        assert_eq!(temperatures.nozzle_c, Some(210.5));
        assert_eq!(temperatures.nozzle_target_c, None);
        let new = decode(
            r#"{"v":1,"id":"s","type":"status","state":"error","temperatures":{"nozzle_c":30,"nozzle_target_c":0,"bed_target_c":60},"layer":12,"total_layers":140,"filament_runout":true,"printer_error":"MCU shutdown"}"#,
        )
        .unwrap();
        let AgentMessage::Status {
            readings,
            temperatures,
            ..
        } = new.msg.clone()
        else {
            panic!("not a status")
        };
        assert_eq!(
            readings,
            Readings {
                layer: Some(12),
                total_layers: Some(140),
                filament_runout: Some(true),
                printer_error: Some("MCU shutdown".into()),
            }
        );
        assert_eq!(temperatures.bed_target_c, Some(60.0));
        // Encoding keeps the fields flat and round-trips.
        let text = serde_json::to_string(&new).unwrap();
        assert!(text.contains(r#""layer":12"#), "{text}");
        assert_eq!(decode(&text).unwrap(), new);
        let long = format!(
            r#"{{"v":1,"id":"s","type":"status","state":"error","printer_error":"{}"}}"#,
            "x".repeat(MAX_TEXT_LEN + 1)
        );
        assert_eq!(decode(&long).unwrap_err().code(), "TEXT_TOO_LONG");
        let neg = r#"{"v":1,"id":"s","type":"status","state":"printing","layer":-1}"#;
        assert_eq!(decode(neg).unwrap_err().code(), "MALFORMED_MESSAGE");
    }

    #[test]
    fn server_messages_round_trip() {
        let m = ServerMessage::AssignJob {
            assignment: JobAssignment {
                job: 7,
                order_id: 3,
                material: "PLA-BLK".into(),
                copies: 2,
                est_minutes: 90,
                grams: 40,
                gcode_url: None,
            },
        };
        let text = encode(&m);
        assert!(text.contains(r#""type":"assign_job""#), "{text}");
        let back: ServerMessage = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }
}
