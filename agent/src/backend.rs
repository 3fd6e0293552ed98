//! The seam between the protocol loop and a printer: [`PrinterBackend`]. The simulated printer
//! and OctoPrint implement it; Moonraker, PrusaLink or Bambu would too, without touching the
//! protocol, the outbox or the connection.

use std::future::Future;

use gantry_protocol::codes::{Coded, ErrorKind};
use gantry_protocol::{JobAssignment, Readings, Temperatures};
use thiserror::Error;

/// Where the printer is with the job it was given.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// No job.
    Idle,
    Printing,
    Paused,
    /// The job printed to the end; the plate holds the part.
    Done,
    /// The print stopped on its own (the printer or a person at it).
    Failed {
        reason: String,
    },
    /// Stopped because the server asked ([`PrinterBackend::cancel`]).
    Cancelled,
}

/// What a backend reports when polled.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The job the printer holds (running, paused or just ended), if any.
    pub job: Option<i64>,
    pub phase: Phase,
    /// 0–100.
    pub progress_pct: i64,
    pub seconds_left: Option<i64>,
    pub temperatures: Temperatures,
    /// Layer, filament runout, the printer's own error, as far as the printer says.
    pub readings: Readings,
}

impl Snapshot {
    pub fn idle(temperatures: Temperatures) -> Snapshot {
        Snapshot {
            job: None,
            phase: Phase::Idle,
            progress_pct: 0,
            seconds_left: None,
            temperatures,
            readings: Readings::default(),
        }
    }

    /// The same, with the printer's readings.
    pub fn with_readings(mut self, readings: Readings) -> Snapshot {
        self.readings = readings;
        self
    }
}

/// A backend could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BackendError {
    /// The job cannot run on this printer (reported to the server as `job_rejected`).
    #[error("{0}")]
    Rejected(String),
    /// The printer (or its host software) did not answer as expected.
    #[error("printer unavailable: {0}")]
    Unavailable(String),
    /// The command does not apply in the printer's current state.
    #[error("{0}")]
    InvalidState(String),
}

impl Coded for BackendError {
    fn code(&self) -> &'static str {
        match self {
            BackendError::Rejected(_) => "JOB_REJECTED",
            BackendError::Unavailable(_) => "PRINTER_UNAVAILABLE",
            BackendError::InvalidState(_) => "PRINTER_INVALID_STATE",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            BackendError::Rejected(_) | BackendError::InvalidState(_) => ErrorKind::Conflict,
            BackendError::Unavailable(_) => ErrorKind::Internal,
        }
    }
}

/// How often backends that poll the printer over HTTP do so by default: once a second, as the
/// printers' own web pages do (the agent's `--poll-ms`, or `poll_ms` per printer in its config).
pub const HTTP_POLL_MS: u64 = 1_000;

/// A printer the agent drives. `now_ms` is the agent's monotonic clock in milliseconds (tests
/// step it by hand; backends that talk to real hardware may ignore it).
pub trait PrinterBackend: Send {
    /// Backend name for the hello (`simulate`, `octoprint`).
    fn name(&self) -> &'static str;

    /// Capabilities announced in the hello.
    fn capabilities(&self) -> Vec<String> {
        vec!["pause".into(), "resume".into(), "cancel".into()]
    }

    /// The material loaded, if the printer knows.
    fn loaded_material(&self) -> Option<String> {
        None
    }

    /// Starts printing `job` (download, upload, start). `Rejected` becomes `job_rejected`.
    fn start(
        &mut self,
        job: &JobAssignment,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    fn pause(&mut self, now_ms: u64) -> impl Future<Output = Result<(), BackendError>> + Send;

    fn resume(&mut self, now_ms: u64) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Stops the running job; the next [`poll`](Self::poll) reports [`Phase::Cancelled`] or the
    /// printer is already idle.
    fn cancel(&mut self, now_ms: u64) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The plate was cleared: forget the ended job; the printer can take the next one.
    fn clear(&mut self);

    fn poll(&mut self, now_ms: u64) -> impl Future<Output = Result<Snapshot, BackendError>> + Send;

    /// The least time between two polls, in milliseconds (0: every tick of the agent). Backends
    /// that keep the printer's state from pushed updates (Moonraker, Bambu Lab, the simulator)
    /// are cheap to poll; those that ask the printer over HTTP each time (OctoPrint, PrusaLink)
    /// say [`HTTP_POLL_MS`].
    fn poll_every_ms(&self) -> u64 {
        0
    }

    /// Where the printer's camera serves a JPEG snapshot, if the printer's host software knows
    /// one (Moonraker's webcam list, OctoPrint's webcam settings); asked once when the agent
    /// starts, unless the config names a `snapshot_url`. The URL stays in the agent.
    fn camera_url(&mut self) -> impl Future<Output = Option<String>> + Send {
        std::future::ready(None)
    }
}
