//! The live farm's handle: start it (inside an actix `System`), reach a printer's actor, ask
//! for a re-plan, read its gauges, stop it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use actix::WeakAddr;
use actix::prelude::*;
use gantry_app::Db;
use gantry_engine::domain::types::PrinterId;

use crate::events::EventBus;
use crate::messages::{Command, Control, ControlError, ControlOutcome, PrinterSnapshot, StatusSet};
use crate::printer::PrinterActor;
use crate::scheduler::{GetPrinter, ReplanNow, RequestReplan, Scheduler, Snapshots, StopFarm};
use crate::writer::StatusWriter;
use gantry_app::planning::Replanned;

/// Settings of the live farm.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmConfig {
    /// Automatic reprints of a failed plate before its order is flagged.
    pub max_reprints: u32,
    /// Heartbeat interval agents are told; a printer is offline after 3 missed.
    pub heartbeat_secs: u64,
    /// Re-plan requests within this window are one solve.
    pub replan_debounce_ms: u64,
    /// Solver time limit of a background re-plan, seconds.
    pub solve_seconds: f64,
    /// G-code can be made on demand (a slicer is configured): a job whose model has no stored
    /// G-code still gets a `gcode_url` (the server slices it when the agent downloads it).
    pub slice_on_demand: bool,
    /// How long a pause / resume / cancel asked through the API waits for the agent's
    /// confirmation.
    pub control_timeout_secs: u64,
    /// How long committed events stay in the event outbox, days (pruned hourly).
    pub events_retention_days: u64,
}

impl Default for FarmConfig {
    fn default() -> Self {
        FarmConfig {
            max_reprints: 2,
            heartbeat_secs: 10,
            replan_debounce_ms: 200,
            solve_seconds: 1.0,
            slice_on_demand: false,
            control_timeout_secs: 15,
            events_retention_days: 30,
        }
    }
}

/// Gauges shared by the actors and read by `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    connected: AtomicI64,
    gap_bits: AtomicU64,
    revision: AtomicU64,
}

impl Stats {
    pub(crate) fn agent_connected(&self) {
        self.connected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn agent_disconnected(&self) {
        self.connected.fetch_sub(1, Ordering::Relaxed);
    }

    /// Records a persisted plan; returns its revision.
    pub(crate) fn plan_persisted(&self, gap: f64) -> u64 {
        self.gap_bits.store(gap.to_bits(), Ordering::Relaxed);
        self.revision.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// What every actor of the farm shares.
#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    pub bus: EventBus,
    pub cfg: Arc<FarmConfig>,
    pub writer: StatusWriter,
    pub stats: Arc<Stats>,
    scheduler: WeakAddr<Scheduler>,
}

impl Shared {
    /// The scheduler, while it runs.
    pub fn scheduler(&self) -> Option<Addr<Scheduler>> {
        self.scheduler.upgrade()
    }
}

/// Why a farm request failed.
#[derive(Debug, thiserror::Error)]
pub enum FarmError {
    #[error("the live farm is not running")]
    Stopped,
    #[error("{0}")]
    Plan(String),
}

/// A handle to a running farm (cheap to clone).
#[derive(Clone)]
pub struct Farm {
    scheduler: Addr<Scheduler>,
    stats: Arc<Stats>,
    cfg: Arc<FarmConfig>,
    bus: EventBus,
}

impl Farm {
    /// Starts the farm on the current actix `System`: the scheduler rebuilds the printer,
    /// order and stock actors from SQL and makes a first plan.
    pub fn start(db: Db, bus: EventBus, cfg: FarmConfig) -> Farm {
        let cfg = Arc::new(cfg);
        let stats = Arc::new(Stats::default());
        let writer = StatusWriter::start(db.clone());
        let (bus2, cfg2, stats2) = (bus.clone(), cfg.clone(), stats.clone());
        let scheduler = Scheduler::create(move |ctx| {
            Scheduler::new(Shared {
                db,
                bus: bus2,
                cfg: cfg2,
                writer,
                stats: stats2,
                scheduler: ctx.address().downgrade(),
            })
        });
        Farm {
            scheduler,
            stats,
            cfg,
            bus,
        }
    }

    pub fn config(&self) -> &FarmConfig {
        &self.cfg
    }

    pub fn events(&self) -> &EventBus {
        &self.bus
    }

    /// The actor of a printer (started if the printer was created after the farm).
    pub async fn printer(&self, id: PrinterId) -> Result<Addr<PrinterActor>, FarmError> {
        self.scheduler
            .send(GetPrinter(id))
            .await
            .map_err(|_| FarmError::Stopped)
    }

    /// Sends `command` to the printer's agent and waits (at most `control_timeout_secs`) until
    /// the agent's confirmation is committed.
    pub async fn control(
        &self,
        printer: PrinterId,
        command: Command,
    ) -> Result<ControlOutcome, ControlError> {
        let name = command.name();
        let addr = self.printer(printer).await.map_err(|_| ControlError::Stopped)?;
        let (reply, rx) = tokio::sync::oneshot::channel();
        addr.send(Control { command, reply })
            .await
            .map_err(|_| ControlError::Stopped)?;
        let secs = self.cfg.control_timeout_secs;
        match tokio::time::timeout(std::time::Duration::from_secs(secs), rx).await {
            Ok(Ok(res)) => res,
            Ok(Err(_)) => Err(ControlError::Stopped),
            Err(_) => Err(ControlError::Timeout { command: name, secs }),
        }
    }

    /// Tells the printer's actor that its status was set by hand (already committed).
    pub async fn status_set(
        &self,
        printer: PrinterId,
        status: gantry_engine::domain::equipment::PrinterStatus,
    ) {
        if let Ok(addr) = self.printer(printer).await {
            addr.do_send(StatusSet(status));
        }
    }

    /// Asks for a (debounced) re-plan.
    pub fn request_replan(&self) {
        self.scheduler.do_send(RequestReplan);
    }

    /// Solves now with `time_limit` seconds and persists the plan (the one writer of plans).
    pub async fn replan_now(&self, time_limit: f64) -> Result<Replanned, FarmError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.scheduler
            .send(ReplanNow { time_limit, reply })
            .await
            .map_err(|_| FarmError::Stopped)?;
        rx.await.map_err(|_| FarmError::Stopped)?.map_err(FarmError::Plan)
    }

    /// Every printer actor's state, by printer id.
    pub async fn snapshots(&self) -> Result<Vec<PrinterSnapshot>, FarmError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.scheduler
            .send(Snapshots(tx))
            .await
            .map_err(|_| FarmError::Stopped)?;
        rx.await.map_err(|_| FarmError::Stopped)
    }

    /// Agents connected now.
    pub fn connected_agents(&self) -> i64 {
        self.stats.connected.load(Ordering::Relaxed)
    }

    /// The optimality gap of the last persisted plan (0 before the first).
    pub fn plan_gap(&self) -> f64 {
        f64::from_bits(self.stats.gap_bits.load(Ordering::Relaxed))
    }

    /// Plans persisted by this process.
    pub fn plan_revision(&self) -> u64 {
        self.stats.revision.load(Ordering::Relaxed)
    }

    /// Stops every actor of the farm (agents are disconnected with "going away").
    pub async fn stop(&self) {
        let _ = self.scheduler.send(StopFarm).await;
    }
}
