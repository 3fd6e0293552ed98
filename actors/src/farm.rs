//! The live farm's handle: start it (inside an actix `System`), reach a printer's actor, ask
//! for a re-plan, read its gauges, stop it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix::WeakAddr;
use actix::prelude::*;
use gantry_app::Db;
use gantry_app::cluster::{Mesh, Node, To};
use gantry_app::lease::{Leadership, LeaseConfig};
use gantry_engine::domain::types::PrinterId;

use crate::events::EventBus;
use crate::messages::{Command, Control, ControlError, ControlOutcome, PrinterSnapshot, StatusSet};
use crate::printer::PrinterActor;
use crate::scheduler::{GetPrinter, ReplanNow, RequestReplan, Scheduler, Snapshots, StopFarm};
use crate::writer::StatusWriter;
use chrono::Utc;
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
    /// Whether this replica leads the scheduler (its lease), and its id.
    pub leadership: Leadership,
    /// Messages to the farms of other replicas.
    pub mesh: Mesh,
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
    #[error("this replica does not lead the scheduler (another replica plans); ask again")]
    NotLeader,
}

/// This replica among several on one database: its id and its lease timing.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    pub replica: String,
    pub lease: LeaseConfig,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        static STARTS: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = STARTS.fetch_add(1, Ordering::Relaxed);
        ClusterConfig {
            replica: gantry_app::lease::replica_id("farm", nanos ^ (n as u32).rotate_left(16)),
            lease: LeaseConfig::default(),
        }
    }
}

/// Commands sent to another replica's agent, waiting for its answer, by request id.
type Waiting = Mutex<HashMap<u64, tokio::sync::oneshot::Sender<crate::mesh::WireResult>>>;

/// Re-plans this replica asked of the leader, waiting for its answer, by request id.
type Replans = Mutex<HashMap<u64, tokio::sync::oneshot::Sender<crate::mesh::ReplanResult>>>;

/// How much longer than the solver's time limit a follower waits for the leader's re-plan.
pub const REPLAN_FORWARD_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Where [`Farm::replan_anywhere`] made the plan.
#[derive(Debug)]
pub enum ReplanAt {
    /// This replica leads: the plan it made.
    Here(Box<Replanned>),
    /// The leader (another replica) made and wrote it: read the current plan.
    Leader,
}

/// A handle to a running farm (cheap to clone).
#[derive(Clone)]
pub struct Farm {
    scheduler: Addr<Scheduler>,
    stats: Arc<Stats>,
    cfg: Arc<FarmConfig>,
    bus: EventBus,
    db: Db,
    leadership: Leadership,
    mesh: Mesh,
    node: Arc<Mutex<Option<Node>>>,
    events_woken: Arc<tokio::sync::Notify>,
    waiting: Arc<Waiting>,
    replans: Arc<Replans>,
    next_req: Arc<AtomicU64>,
}

impl Farm {
    /// Starts the farm on the current actix `System`: the scheduler rebuilds the printer,
    /// order and stock actors from SQL and, once this farm holds the scheduler lease, makes a
    /// first plan.
    pub fn start(db: Db, bus: EventBus, cfg: FarmConfig) -> Farm {
        Farm::start_clustered(db, bus, cfg, ClusterConfig::default())
    }

    /// [`Farm::start`] as replica `cluster.replica`: it leads (plans, hands out jobs, marks
    /// printers offline) while it holds the lease, and is a gateway for the agents connected
    /// to it in any case.
    pub fn start_clustered(db: Db, bus: EventBus, cfg: FarmConfig, cluster: ClusterConfig) -> Farm {
        let (node, inbox) = Node::start(&db, &cluster.replica, cluster.lease, &bus);
        let (leadership, mesh) = (node.leadership.clone(), node.mesh.clone());
        let events_woken = node.events_woken.clone();
        let cfg = Arc::new(cfg);
        let stats = Arc::new(Stats::default());
        let writer = StatusWriter::start(db.clone());
        let db2 = db.clone();
        let (bus2, cfg2, stats2) = (bus.clone(), cfg.clone(), stats.clone());
        let (lead2, mesh2) = (leadership.clone(), mesh.clone());
        let scheduler = Scheduler::create(move |ctx| {
            Scheduler::new(Shared {
                db,
                bus: bus2,
                cfg: cfg2,
                writer,
                stats: stats2,
                leadership: lead2,
                mesh: mesh2,
                scheduler: ctx.address().downgrade(),
            })
        });
        let farm = Farm {
            scheduler,
            stats,
            cfg,
            bus,
            db: db2,
            leadership,
            mesh,
            node: Arc::new(Mutex::new(Some(node))),
            events_woken,
            waiting: Arc::new(Mutex::new(HashMap::new())),
            replans: Arc::new(Mutex::new(HashMap::new())),
            next_req: Arc::new(AtomicU64::new(1)),
        };
        actix::spawn(crate::mesh::run(inbox, farm.clone()));
        farm
    }

    /// Whether this replica leads the scheduler.
    pub fn leadership(&self) -> &Leadership {
        &self.leadership
    }

    /// Notified when events were committed on any replica (wakes the outbox relay).
    pub fn events_woken(&self) -> Arc<tokio::sync::Notify> {
        self.events_woken.clone()
    }

    pub(crate) fn scheduler_addr(&self) -> &Addr<Scheduler> {
        &self.scheduler
    }

    pub(crate) fn mesh(&self) -> &Mesh {
        &self.mesh
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

    /// Sends `command` to the printer's agent — connected here or to another replica — and
    /// waits (at most `control_timeout_secs`) until the agent's confirmation is committed.
    pub async fn control(
        &self,
        printer: PrinterId,
        command: Command,
    ) -> Result<ControlOutcome, ControlError> {
        match self.control_here(printer, command.clone()).await {
            Err(ControlError::NoAgent(_)) => {}
            other => return other,
        }
        let alive =
            chrono::Duration::seconds(i64::try_from(self.cfg.heartbeat_secs.max(1) * 3).unwrap_or(30));
        let holder = gantry_app::cluster::held_elsewhere(
            &self.db,
            printer,
            self.leadership.replica(),
            Utc::now(),
            alive,
        )
        .await;
        let Ok(Some(replica)) = holder else {
            return Err(ControlError::NoAgent(printer));
        };
        let req = self.next_req.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(req, tx);
        }
        let wire = crate::mesh::Wire::Control {
            req,
            printer: printer.0,
            command: command.name().to_string(),
            reason: match &command {
                Command::Cancel { reason } => Some(reason.clone()),
                _ => None,
            },
        };
        let sent = match serde_json::to_value(&wire) {
            Ok(body) => self.mesh.send(To::Replica(replica), body).await.is_ok(),
            Err(_) => false,
        };
        let secs = self.cfg.control_timeout_secs;
        // The holder waits `secs` for its agent; its answer needs a moment more to come back.
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(if sent { secs + 2 } else { 0 }),
            rx,
        )
        .await;
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(&req);
        }
        if !sent {
            return Err(ControlError::Stopped);
        }
        match res {
            Ok(Ok(answer)) => answer.into_result(printer, &command),
            Ok(Err(_)) => Err(ControlError::Stopped),
            Err(_) => Err(ControlError::Timeout {
                command: command.name(),
                secs,
            }),
        }
    }

    /// Another replica answered the command `req`.
    pub(crate) fn control_answered(&self, req: u64, result: crate::mesh::WireResult) {
        let tx = self.waiting.lock().ok().and_then(|mut w| w.remove(&req));
        if let Some(tx) = tx {
            let _ = tx.send(result);
        }
    }

    /// [`Farm::control`] for an agent connected to this replica (`PRINTER_NO_AGENT` otherwise).
    pub async fn control_here(
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
        // The replica holding its agent (if another) takes it too.
        let wire = crate::mesh::Wire::StatusSet {
            printer: printer.0,
            status,
        };
        let alive =
            chrono::Duration::seconds(i64::try_from(self.cfg.heartbeat_secs.max(1) * 3).unwrap_or(30));
        let holder = gantry_app::cluster::held_elsewhere(
            &self.db,
            printer,
            self.leadership.replica(),
            Utc::now(),
            alive,
        )
        .await;
        if let (Ok(Some(r)), Ok(body)) = (holder, serde_json::to_value(&wire)) {
            let _ = self.mesh.send(To::Replica(r), body).await;
        }
    }

    /// Asks for a (debounced) re-plan.
    pub fn request_replan(&self) {
        self.scheduler.do_send(RequestReplan);
    }

    /// Solves now with `time_limit` seconds and persists the plan (the one writer of plans).
    /// Only the leader plans: a replica that does not lead (yet: the lease is taken within a
    /// renewal after start) waits a little for the lease, then refuses.
    pub async fn replan_now(&self, time_limit: f64) -> Result<Replanned, FarmError> {
        if self
            .leadership
            .wait_leader(std::time::Duration::from_secs(3))
            .await
            .is_none()
        {
            return Err(FarmError::NotLeader);
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.scheduler
            .send(ReplanNow { time_limit, reply })
            .await
            .map_err(|_| FarmError::Stopped)?;
        rx.await.map_err(|_| FarmError::Stopped)?.map_err(FarmError::Plan)
    }

    /// [`Farm::replan_now`] on whichever replica leads: here when this one does, else asked of
    /// the leader over the mesh, waiting for its plan to be written (at most the time limit and
    /// [`REPLAN_FORWARD_GRACE`]). `NotLeader` when no replica leads or answers in that time (a
    /// leader is elected within the lease: ask again).
    pub async fn replan_anywhere(&self, time_limit: f64) -> Result<ReplanAt, FarmError> {
        if self.leadership.is_leader() {
            return match self.replan_now(time_limit).await {
                Ok(r) => Ok(ReplanAt::Here(Box::new(r))),
                Err(FarmError::Plan(m)) if m == crate::scheduler::NOT_LEADER => Err(FarmError::NotLeader),
                Err(e) => Err(e),
            };
        }
        let req = self.next_req.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Ok(mut w) = self.replans.lock() {
            w.insert(req, tx);
        }
        let wire = crate::mesh::Wire::Replan { req, time_limit };
        let sent = match serde_json::to_value(&wire) {
            Ok(body) => self.mesh.send(To::Leader, body).await.is_ok(),
            Err(_) => false,
        };
        let limit = if time_limit.is_finite() {
            time_limit.clamp(0.0, 3600.0)
        } else {
            0.0
        };
        let wait = std::time::Duration::from_secs_f64(limit) + REPLAN_FORWARD_GRACE;
        let answer = if sent {
            tokio::time::timeout(wait, rx).await.ok().and_then(Result::ok)
        } else {
            None
        };
        if let Ok(mut w) = self.replans.lock() {
            w.remove(&req);
        }
        match answer {
            Some(crate::mesh::ReplanResult::Planned) => Ok(ReplanAt::Leader),
            Some(crate::mesh::ReplanResult::Failed { message }) => Err(FarmError::Plan(message)),
            Some(crate::mesh::ReplanResult::NotLeader) | None => Err(FarmError::NotLeader),
        }
    }

    /// The leader answered the re-plan `req`.
    pub(crate) fn replan_answered(&self, req: u64, result: crate::mesh::ReplanResult) {
        let tx = self.replans.lock().ok().and_then(|mut w| w.remove(&req));
        if let Some(tx) = tx {
            let _ = tx.send(result);
        }
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

    /// Stops every actor of the farm (agents are disconnected with "going away") and resigns
    /// the scheduler lease, so another replica leads at once.
    pub async fn stop(&self) {
        let _ = self.scheduler.send(StopFarm).await;
        let node = self.node.lock().ok().and_then(|mut n| n.take());
        if let Some(mut node) = node {
            node.stop().await;
        }
    }
}
