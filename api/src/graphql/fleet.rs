//! The printer fleet in GraphQL (issue #17): a printer's latest telemetry and its history for
//! charts, its camera snapshot, the snapshots kept for a job, and the telemetry subscription
//! (woken by each commit of status reports, at most one update per printer per interval however
//! often it reports).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use gantry_app::Db;
use gantry_app::fleet::{self, JobSnapshot, Telemetry, TelemetrySample};
use gantry_engine::domain::types::PrinterId;

use super::connection::Ts;

/// Shortest interval of the telemetry subscription, in milliseconds.
pub const MIN_TELEMETRY_INTERVAL_MS: i64 = 500;

/// What a printer last reported: temperatures, progress, layer, time left, filament runout and
/// the printer's own error. Fields the printer does not report are null.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PrinterTelemetry")]
pub struct PrinterTelemetryObj {
    pub printer_id: ID,
    /// The state the agent reported (`idle`, `printing`, `paused`, `needs_bed_clearing`, `error`).
    pub reported_state: String,
    /// The job the printer reports running.
    pub job_id: Option<ID>,
    /// Nozzle temperature in °C, and the temperature it heats to (0: heater off).
    pub nozzle_c: Option<f64>,
    pub nozzle_target_c: Option<f64>,
    /// Bed temperature in °C, and its target.
    pub bed_c: Option<f64>,
    pub bed_target_c: Option<f64>,
    /// Progress of the running job in percent (0–100).
    pub progress: Option<i64>,
    /// The layer printing now, of `totalLayers`.
    pub layer: Option<i64>,
    pub total_layers: Option<i64>,
    /// Seconds left of the running job, as the printer estimates them.
    pub remaining_secs: Option<i64>,
    /// The filament sensor reports no filament.
    pub filament_runout: Option<bool>,
    /// The printer's own error or warning text (e.g. a Klipper shutdown, a Bambu HMS code).
    pub printer_error: Option<String>,
    /// When these readings arrived (the last report with readings).
    pub reported_at: Ts,
    /// When the agent was last heard from (any message).
    pub last_seen_at: Ts,
}

impl From<Telemetry> for PrinterTelemetryObj {
    fn from(t: Telemetry) -> Self {
        PrinterTelemetryObj {
            printer_id: ID(t.printer_id.0.to_string()),
            reported_state: t.reported_state,
            job_id: t.job_id.map(|j| ID(j.0.to_string())),
            nozzle_c: t.nozzle_c,
            nozzle_target_c: t.nozzle_target_c,
            bed_c: t.bed_c,
            bed_target_c: t.bed_target_c,
            progress: t.progress_pct,
            layer: t.layer,
            total_layers: t.total_layers,
            remaining_secs: t.seconds_left,
            filament_runout: t.filament_runout,
            printer_error: t.printer_error,
            reported_at: Ts(t.readings_at.unwrap_or(t.last_seen_at)),
            last_seen_at: Ts(t.last_seen_at),
        }
    }
}

/// One point of a printer's telemetry history (a mean over the point's time bucket).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "TelemetryPoint")]
pub struct TelemetryPointObj {
    pub at: Ts,
    pub nozzle_c: Option<f64>,
    pub nozzle_target_c: Option<f64>,
    pub bed_c: Option<f64>,
    pub bed_target_c: Option<f64>,
    pub progress: Option<i64>,
    pub layer: Option<i64>,
}

impl From<TelemetrySample> for TelemetryPointObj {
    fn from(s: TelemetrySample) -> Self {
        TelemetryPointObj {
            at: Ts(s.at),
            nozzle_c: s.nozzle_c,
            nozzle_target_c: s.nozzle_target_c,
            bed_c: s.bed_c,
            bed_target_c: s.bed_target_c,
            progress: s.progress_pct,
            layer: s.layer,
        }
    }
}

/// A camera picture kept for a job's history.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "JobSnapshot")]
pub struct JobSnapshotObj {
    pub id: ID,
    pub printer_id: ID,
    /// `start`, `end` or `failed`.
    pub moment: String,
    pub taken_at: Ts,
    /// Where the JPEG is served (same bearer token as `/graphql`, `production:read`).
    pub url: String,
}

impl From<JobSnapshot> for JobSnapshotObj {
    fn from(s: JobSnapshot) -> Self {
        JobSnapshotObj {
            id: ID(s.id.to_string()),
            printer_id: ID(s.printer_id.0.to_string()),
            moment: s.moment,
            taken_at: Ts(s.taken_at),
            url: crate::snapshots::job_snapshot_path(s.job_id.0, s.id),
        }
    }
}

/// How far back each look of the telemetry subscription reaches before the last report it saw:
/// a report stamped earlier but committed later (another batch, another server) is not missed.
const TELEMETRY_OVERLAP_SECS: i64 = 5;

/// Least time between two reads of one telemetry subscription: a burst of commits is one read.
const TELEMETRY_READ_GAP: Duration = Duration::from_millis(100);

/// The telemetry subscription: the printers (or `printer`) whose telemetry changed, one update
/// each with its latest readings, at most one per printer per `interval_ms`. It reads when
/// status reports were committed in this process (at most every [`TELEMETRY_READ_GAP`]) and
/// every `interval_ms` (reports committed by another server, updates held back by the
/// per-printer bound). A failed read is logged and tried again at the next interval.
pub fn telemetry_stream(
    db: Db,
    printer: Option<PrinterId>,
    interval_ms: i64,
    start: DateTime<Utc>,
) -> impl Stream<Item = PrinterTelemetryObj> + use<> {
    let every = Duration::from_millis(interval_ms.max(MIN_TELEMETRY_INTERVAL_MS) as u64);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = Poll {
        db,
        every,
        tick,
        commits: fleet::telemetry_commits(),
        read_at: None,
        cursor: start,
        sent: HashMap::new(),
        held: HashMap::new(),
        queue: VecDeque::new(),
    };
    stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(next) = st.queue.pop_front() {
                return Some((next, st));
            }
            tokio::select! {
                _ = st.tick.tick() => {}
                // The sender is a process-wide static: it never closes.
                _ = st.commits.changed() => {}
            }
            if let Some(at) = st.read_at {
                tokio::time::sleep_until(at + TELEMETRY_READ_GAP).await;
            }
            st.read_at = Some(tokio::time::Instant::now());
            st.read(printer).await;
        }
    })
}

struct Poll {
    db: Db,
    /// Least time between two updates of one printer.
    every: Duration,
    tick: tokio::time::Interval,
    commits: tokio::sync::watch::Receiver<u64>,
    read_at: Option<tokio::time::Instant>,
    /// The latest report seen.
    cursor: DateTime<Utc>,
    /// Per printer, the report last sent and when.
    sent: HashMap<i64, (DateTime<Utc>, tokio::time::Instant)>,
    /// Per printer, the latest report not sent yet because the last one went out less than
    /// `every` ago.
    held: HashMap<i64, Telemetry>,
    queue: VecDeque<PrinterTelemetryObj>,
}

impl Poll {
    async fn read(&mut self, printer: Option<PrinterId>) {
        let after = self.cursor - chrono::Duration::seconds(TELEMETRY_OVERLAP_SECS);
        match fleet::telemetry_changed(&self.db, after, printer).await {
            Ok(rows) => {
                for t in rows {
                    self.cursor = self.cursor.max(t.last_seen_at);
                    let id = t.printer_id.0;
                    if self
                        .sent
                        .get(&id)
                        .is_some_and(|(seen, _)| *seen >= t.last_seen_at)
                        || self
                            .held
                            .get(&id)
                            .is_some_and(|h| h.last_seen_at >= t.last_seen_at)
                    {
                        continue;
                    }
                    self.held.insert(id, t);
                }
            }
            Err(e) => tracing::warn!(error = %e, "printerTelemetry: cannot read telemetry"),
        }
        let now = tokio::time::Instant::now();
        let mut due: Vec<i64> = self
            .held
            .keys()
            .copied()
            .filter(|id| {
                self.sent
                    .get(id)
                    .is_none_or(|(_, at)| now.duration_since(*at) >= self.every)
            })
            .collect();
        due.sort_unstable();
        for id in due {
            if let Some(t) = self.held.remove(&id) {
                self.sent.insert(id, (t.last_seen_at, now));
                self.queue.push_back(PrinterTelemetryObj::from(t));
            }
        }
    }
}
