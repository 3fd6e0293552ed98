//! Use cases of the printer agents: each message an agent sends is applied in one transaction
//! with its message id (so a re-sent message is applied once), after the pure decision of
//! `domain::live`; the printer actor acknowledges only after this returns. Also the reads and
//! writes the live farm's actors need (a printer's state on start, missed heartbeats, batched
//! status reports, a material's stock level).
//!
//! Errors stay `StoreError`s here: the printer actor tells a refusal (answered with `error`)
//! from a transient failure (the connection is closed so the agent re-sends) by their kind.

use chrono::{DateTime, Utc};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::inventory::StockLevel;
use gantry_engine::domain::live::{
    self as live, Effect, HelloAction, JobReport, JobView, bed_cleared_effect, job_message_effect,
    reconcile_hello,
};
use gantry_engine::domain::production::{Job, JobState};
use gantry_engine::domain::protocol::{AgentEnvelope, AgentMessage};
use gantry_engine::domain::types::{JobId, MaterialId, PrinterId};
use gantry_engine::store::live::{self as store, FailOutcome, Telemetry};
use gantry_engine::store::production::{self, JobCompletion, JobFilter};
use gantry_engine::store::{Db, StoreError, StoreResult, Tx, equipment, inventory};

pub use gantry_engine::store::live::StatusReport;

/// What the printer actor loads when it starts: the stored status, the printer's name, the job
/// printing on it and its last telemetry.
pub async fn printer_state(
    db: &Db,
    id: PrinterId,
) -> StoreResult<(PrinterStatus, String, Option<Job>, Option<Telemetry>)> {
    let mut c = db.pool().acquire().await?;
    let p = equipment::get_printer(&mut c, id).await?;
    let filter = JobFilter {
        state: Some(JobState::Printing),
        printer_id: Some(id),
        ..Default::default()
    };
    let printing = production::list_jobs(&mut c, &filter).await?;
    let tel = store::telemetry(&mut c, id).await?;
    Ok((p.status, p.name, printing.into_iter().next(), tel))
}

/// Missed heartbeats: the printer is marked offline (by the leader: fenced by its `lease`);
/// returns its status now.
pub async fn mark_offline(
    db: &Db,
    now: DateTime<Utc>,
    id: PrinterId,
    lease: Option<&crate::lease::Lease>,
) -> StoreResult<PrinterStatus> {
    let mut tx = db.begin().await?;
    crate::lease::fence_opt(&mut tx, lease).await?;
    let p = store::mark_offline(&mut tx, now, id).await?;
    tx.commit().await?;
    Ok(p.status)
}

/// Writes a batch of status reports (telemetry, progress) in one transaction (group commit).
pub async fn record_statuses(db: &Db, reports: &[StatusReport]) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    store::record_statuses(&mut tx, reports).await?;
    tx.commit().await?;
    crate::fleet::telemetry_committed();
    Ok(())
}

/// A material's stock level now.
pub async fn stock_level(db: &Db, id: MaterialId) -> StoreResult<StockLevel> {
    let mut c = db.pool().acquire().await?;
    inventory::stock_level(&mut c, id).await
}

/// What a committed message changed.
#[derive(Debug, Default)]
pub struct Change {
    pub status: Option<PrinterStatus>,
    /// `Some(None)`: no job any more.
    pub current: Option<Option<Job>>,
    pub jobs: Vec<Job>,
    pub started: Option<JobId>,
    pub rejected: Option<JobId>,
    pub completions: Vec<JobCompletion>,
    pub failures: Vec<FailOutcome>,
    /// A `paused` / `resumed` / `cancelled` of this job that is (now or already) applied.
    pub confirmed: Option<(JobReport, JobId)>,
    /// Something the plan depends on changed (e.g. the loaded material).
    pub replan: bool,
}

#[derive(Debug)]
pub enum Applied {
    Duplicate,
    /// Refused with an error code and the reason.
    Refused(&'static str, String),
    Done(Box<Change>),
}

pub fn report_of(msg: &AgentMessage) -> Option<(JobId, JobReport)> {
    Some(match msg {
        AgentMessage::JobAccepted { job } => (JobId(*job), JobReport::Accepted),
        AgentMessage::JobRejected { job, .. } => (JobId(*job), JobReport::Rejected),
        AgentMessage::JobStarted { job } => (JobId(*job), JobReport::Started),
        AgentMessage::JobCompleted { job } => (JobId(*job), JobReport::Completed),
        AgentMessage::JobFailed { job, .. } => (JobId(*job), JobReport::Failed),
        AgentMessage::Paused { job } => (JobId(*job), JobReport::Paused),
        AgentMessage::Resumed { job } => (JobId(*job), JobReport::Resumed),
        AgentMessage::Cancelled { job } => (JobId(*job), JobReport::Cancelled),
        _ => return None,
    })
}

async fn printer_status(tx: &mut Tx, id: PrinterId) -> StoreResult<PrinterStatus> {
    Ok(equipment::get_printer(&mut *tx, id).await?.status)
}

/// Applies a job message or `bed_cleared` in one transaction with its message id.
pub async fn apply_recorded(
    db: &Db,
    printer: PrinterId,
    env: AgentEnvelope,
    now: DateTime<Utc>,
    cancel_reason: Option<String>,
    max_reprints: u32,
) -> StoreResult<Applied> {
    let mut tx = db.begin().await?;
    if !store::record_message(&mut tx, now, printer, &env.id, env.msg.kind()).await? {
        return Ok(Applied::Duplicate);
    }
    let mut ch = Change::default();
    if let AgentMessage::BedCleared {} = env.msg {
        let status = printer_status(&mut tx, printer).await?;
        match bed_cleared_effect(status) {
            Effect::Refuse(why) => return Ok(Applied::Refused("JOB_STATE_CONFLICT", why)),
            Effect::Apply { .. } => {
                ch.status = Some(
                    store::move_printer(&mut tx, now, printer, PrinterStatus::Idle)
                        .await?
                        .status,
                );
            }
            Effect::AlreadyApplied | Effect::Nothing => {}
        }
        tx.commit().await?;
        return Ok(Applied::Done(Box::new(ch)));
    }
    let Some((job_id, report)) = report_of(&env.msg) else {
        return Ok(Applied::Refused(
            "UNEXPECTED_MESSAGE",
            format!("{} is not a job message", env.msg.kind()),
        ));
    };
    let job = match production::get_job(&mut tx, job_id).await {
        Ok(j) => j,
        Err(StoreError::NotFound { .. }) => {
            return Ok(Applied::Refused(
                "JOB_NOT_FOUND",
                format!("job {job_id} does not exist"),
            ));
        }
        Err(e) => return Err(e),
    };
    let effect = job_message_effect(printer, &JobView::from(&job), report);
    if matches!(
        report,
        JobReport::Paused | JobReport::Resumed | JobReport::Cancelled
    ) && !matches!(effect, Effect::Refuse(_))
    {
        ch.confirmed = Some((report, job_id));
    }
    let reschedule = match effect {
        Effect::Refuse(why) => return Ok(Applied::Refused("JOB_STATE_CONFLICT", why)),
        Effect::AlreadyApplied | Effect::Nothing => {
            tx.commit().await?;
            return Ok(Applied::Done(Box::new(ch)));
        }
        Effect::Apply { reschedule } => reschedule,
    };
    match &env.msg {
        AgentMessage::JobRejected { reason, .. } => {
            ch.jobs
                .push(store::reject_on(&mut tx, now, printer, job_id, reason).await?);
            ch.rejected = Some(job_id);
        }
        AgentMessage::JobStarted { .. } => {
            let j = store::start_on(&mut tx, now, printer, job_id, reschedule).await?;
            ch.current = Some(Some(j.clone()));
            ch.jobs.push(j);
            ch.started = Some(job_id);
            ch.status = Some(PrinterStatus::Printing);
        }
        AgentMessage::JobCompleted { .. } => {
            let done = store::complete_on(&mut tx, now, printer, job_id).await?;
            ch.jobs.push(done.job.clone());
            ch.completions.push(done);
            ch.current = Some(None);
            ch.status = Some(printer_status(&mut tx, printer).await?);
        }
        AgentMessage::JobFailed { .. } | AgentMessage::Cancelled { .. } => {
            let (reason, pct) = match &env.msg {
                AgentMessage::JobFailed {
                    reason, progress_pct, ..
                } => (reason.as_str(), *progress_pct),
                _ => (
                    cancel_reason.as_deref().unwrap_or("cancelled at the printer"),
                    None,
                ),
            };
            let f = store::fail_on(&mut tx, now, printer, job_id, reason, pct, max_reprints).await?;
            ch.jobs.push(f.failure.job.clone());
            ch.jobs.extend(f.failure.reprint.clone());
            ch.failures.push(f);
            ch.current = Some(None);
            ch.status = Some(printer_status(&mut tx, printer).await?);
        }
        AgentMessage::Paused { .. } => {
            ch.status = Some(
                store::move_printer(&mut tx, now, printer, PrinterStatus::Paused)
                    .await?
                    .status,
            );
        }
        AgentMessage::Resumed { .. } => {
            ch.status = Some(
                store::move_printer(&mut tx, now, printer, PrinterStatus::Printing)
                    .await?
                    .status,
            );
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(Applied::Done(Box::new(ch)))
}

/// Reconciles a `hello` with the stored state in one transaction.
pub async fn apply_hello(
    db: &Db,
    printer: PrinterId,
    env: AgentEnvelope,
    now: DateTime<Utc>,
    max_reprints: u32,
) -> StoreResult<Change> {
    let AgentMessage::Hello {
        agent,
        capabilities,
        loaded_material,
        state,
        current_job,
        progress_pct,
    } = env.msg
    else {
        return Ok(Change::default());
    };
    let mut tx = db.begin().await?;
    let named = match current_job {
        Some(j) => match production::get_job(&mut tx, JobId(j)).await {
            Ok(job) => Some(job),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let filter = JobFilter {
        state: Some(JobState::Printing),
        printer_id: Some(printer),
        ..Default::default()
    };
    let here: Vec<JobView> = production::list_jobs(&mut tx, &filter)
        .await?
        .iter()
        .map(JobView::from)
        .collect();
    let mut ch = Change::default();
    let actions = reconcile_hello(
        printer,
        named.as_ref().map(JobView::from).as_ref(),
        &here,
        state,
        progress_pct,
    );
    for a in actions {
        match a {
            HelloAction::Start { job, reschedule } => {
                let j = store::start_on(&mut tx, now, printer, job, reschedule).await?;
                ch.started = Some(job);
                ch.jobs.push(j);
            }
            HelloAction::Progress { job, pct } => {
                store::advance_progress(&mut tx, now, printer, job, pct).await?;
            }
            HelloAction::Complete { job } => {
                let done = store::complete_on(&mut tx, now, printer, job).await?;
                ch.jobs.push(done.job.clone());
                ch.completions.push(done);
            }
            HelloAction::Fail {
                job,
                reason,
                progress_pct,
            } => {
                let f = store::fail_on(
                    &mut tx,
                    now,
                    printer,
                    job,
                    &reason,
                    Some(progress_pct),
                    max_reprints,
                )
                .await?;
                ch.jobs.push(f.failure.job.clone());
                ch.jobs.extend(f.failure.reprint.clone());
                ch.failures.push(f);
            }
        }
    }
    let printing = production::list_jobs(&mut tx, &filter).await?.into_iter().next();
    let stored = printer_status(&mut tx, printer).await?;
    if let Some(to) = live::status_report_target(stored, state, printing.is_some()) {
        store::move_printer(&mut tx, now, printer, to).await?;
    }
    ch.replan = store::record_hello(
        &mut tx,
        now,
        printer,
        &store::HelloReport {
            agent: &agent,
            state,
            capabilities: &capabilities,
            loaded_material: loaded_material.as_deref(),
        },
    )
    .await?;
    ch.status = Some(printer_status(&mut tx, printer).await?);
    ch.current = Some(printing);
    tx.commit().await?;
    Ok(ch)
}

/// A status report that changes the printer's status: written in its own transaction.
pub async fn apply_status_change(
    db: &Db,
    printer: PrinterId,
    report: StatusReport,
    to: PrinterStatus,
) -> StoreResult<PrinterStatus> {
    let mut tx = db.begin().await?;
    let p = store::move_printer(&mut tx, report.at, printer, to).await?;
    store::record_statuses(&mut tx, std::slice::from_ref(&report)).await?;
    tx.commit().await?;
    Ok(p.status)
}

/// What the scheduler rebuilds the live farm from: every printer, the orders with work in the
/// farm (id, customer, status), every material, and the jobs handed out but not started.
pub struct FarmState {
    pub printers: Vec<gantry_engine::domain::equipment::Printer>,
    pub orders: Vec<(
        gantry_engine::domain::types::OrderId,
        gantry_engine::domain::types::CustomerId,
        String,
    )>,
    pub materials: Vec<gantry_engine::domain::inventory::Material>,
    pub handed: std::collections::BTreeMap<JobId, PrinterId>,
}

/// Reads the [`FarmState`].
pub async fn farm_state(db: &Db) -> StoreResult<FarmState> {
    let mut c = db.pool().acquire().await?;
    Ok(FarmState {
        printers: equipment::list_printers(&mut c).await?,
        orders: store::open_orders(&mut c).await?,
        materials: inventory::list_materials(&mut c).await?,
        handed: store::handovers(&mut c).await?,
    })
}

/// Prunes agent message ids and telemetry samples past their retention and events that
/// occurred before `events_before`; returns how many message ids and events.
pub async fn prune(db: &Db, now: DateTime<Utc>, events_before: DateTime<Utc>) -> StoreResult<(u64, u64)> {
    let mut tx = db.begin().await?;
    let n = store::prune_messages(&mut tx, now).await?;
    store::prune_samples(&mut tx, now).await?;
    let e = gantry_engine::store::events::prune(&mut tx, events_before).await?;
    tx.commit().await?;
    Ok((n, e))
}

/// A job handed to a ready printer: the next job of its plan, recorded as handed out in one
/// transaction (durable before it is sent), and whether its model has G-code (stored, or to
/// be sliced on demand when `slice_on_demand`).
pub struct Handed {
    pub job: Job,
    pub material: String,
    pub has_gcode: bool,
}

/// Chooses and records the next job of `printer` (none of `flying`, the jobs other printers
/// hold). `None` when its plan has nothing ready. Fenced by the leader's `lease`.
pub async fn hand_over_next(
    db: &Db,
    now: DateTime<Utc>,
    printer: PrinterId,
    flying: &std::collections::BTreeSet<JobId>,
    slice_on_demand: bool,
    lease: Option<&crate::lease::Lease>,
) -> StoreResult<Option<Handed>> {
    let mut tx = db.begin().await?;
    crate::lease::fence_opt(&mut tx, lease).await?;
    let handed = store::hand_over_next(&mut tx, now, printer, flying).await?;
    tx.commit().await?;
    let Some(h) = handed else {
        return Ok(None);
    };
    let model = async {
        let mut c = db.pool().acquire().await?;
        store::job_model(&mut c, h.job.id).await
    }
    .await;
    let has_gcode = match model {
        Ok(Some(m)) => m.estimate.gcode_key.is_some() || slice_on_demand,
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(job = h.job.id.0, error = %e, "cannot read the job's model");
            false
        }
    };
    Ok(Some(Handed {
        job: h.job,
        material: h.material,
        has_gcode,
    }))
}
