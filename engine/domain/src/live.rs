//! The live farm's decisions (pure): what the actors in `gantry-actors` do when an agent
//! speaks, a printer becomes ready, a heartbeat is missed or the queue changes.
//!
//! The actors are thin shells: they decode a message, ask a function here what it means, persist
//! the outcome through `store::live` in one transaction, acknowledge and emit events. Everything
//! that can be decided without I/O is decided here, and tested with tables:
//!
//! - [`printer_status_for`] / [`status_path`]: the agent's hardware state as a printer status,
//!   and the legal path through the printer state machine to reach it;
//! - [`heartbeat_expired`]: when a silent printer is declared offline;
//! - [`is_ready`] / [`next_job`]: which job a ready printer takes next from the current plan;
//! - [`job_message_effect`]: whether a job message (started, completed, …) applies, was already
//!   applied (a repeat is acknowledged, not applied twice), or is refused;
//! - [`reconcile_hello`]: what an agent's `hello` after a reconnect means for the stored jobs
//!   (a job finished while the server was down is completed once);
//! - [`hold_for_stock`]: which jobs are held because their material is not in stock;
//! - [`Debouncer`]: a burst of re-plan requests causes one solve;
//! - [`partial_grams`]: material used by a failed print, from its last progress.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::equipment::PrinterStatus;
use crate::production::{Job, JobState};
use crate::protocol::AgentState;
use crate::types::{JobId, MaterialId, PrinterId};

/// How many heartbeat intervals a printer may miss before it is marked offline.
pub const MISSED_HEARTBEATS: u32 = 3;

/// Agent message ids older than this are pruned (a repeat older than this would be applied
/// again; agents resend unacknowledged messages within seconds of reconnecting).
pub const MESSAGE_ID_RETENTION_HOURS: i64 = 72;

/// The printer status an agent's reported hardware state stands for.
pub fn printer_status_for(state: AgentState) -> PrinterStatus {
    match state {
        AgentState::Idle => PrinterStatus::Idle,
        AgentState::Printing => PrinterStatus::Printing,
        AgentState::Paused => PrinterStatus::Paused,
        AgentState::NeedsBedClearing => PrinterStatus::NeedsBedClearing,
        AgentState::Error => PrinterStatus::Error,
    }
}

/// The status a printer should be stored in after its agent reports `reported`, or `None` to
/// keep `stored`: a printer a person put in maintenance stays there while its agent reports
/// idle, and an unchanged status is not rewritten.
pub fn target_status(stored: PrinterStatus, reported: AgentState) -> Option<PrinterStatus> {
    let to = printer_status_for(reported);
    if to == stored || (stored == PrinterStatus::Maintenance && to == PrinterStatus::Idle) {
        None
    } else {
        Some(to)
    }
}

/// The status a periodic status report moves the printer to, or `None`: like
/// [`target_status`], except that while a job is printing on the printer only a job message
/// ends it (a report of `idle` or `needs_bed_clearing` then changes nothing; `error`,
/// `paused` and `printing` do apply).
pub fn status_report_target(
    stored: PrinterStatus,
    reported: AgentState,
    has_job: bool,
) -> Option<PrinterStatus> {
    if has_job && matches!(reported, AgentState::Idle | AgentState::NeedsBedClearing) {
        return None;
    }
    target_status(stored, reported)
}

/// Whether a `job_progress` for `reported` is about the job printing on the printer now
/// (`current`). Only then is it a status report (and may move the printer's status); a progress
/// report for any other job is stale — e.g. re-sent after a restart, when the job has already
/// ended through the `hello` or a `job_completed` — and is acknowledged without changing anything.
pub fn progress_applies(current: Option<JobId>, reported: JobId) -> bool {
    current == Some(reported)
}

/// What `bed_cleared` does: a printer waiting for (or after) a cleared plate becomes idle;
/// an idle one is already; a printing one is refused.
pub fn bed_cleared_effect(stored: PrinterStatus) -> Effect {
    match stored {
        PrinterStatus::NeedsBedClearing | PrinterStatus::Error | PrinterStatus::Offline => {
            Effect::Apply { reschedule: false }
        }
        PrinterStatus::Idle | PrinterStatus::Maintenance => Effect::AlreadyApplied,
        PrinterStatus::Printing | PrinterStatus::Paused => Effect::Refuse(format!(
            "printer is {stored}: the plate cannot be cleared while printing"
        )),
    }
}

/// The shortest legal sequence of statuses from `from` to `to` (excluding `from`; empty when
/// they are equal), e.g. `printing → idle` is `[needs_bed_clearing, idle]`. `None` if `to`
/// cannot be reached (never happens with the current machine, which is strongly connected).
pub fn status_path(from: PrinterStatus, to: PrinterStatus) -> Option<Vec<PrinterStatus>> {
    if from == to {
        return Some(Vec::new());
    }
    let mut prev: BTreeMap<&'static str, PrinterStatus> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(s) = queue.pop_front() {
        for next in PrinterStatus::ALL {
            if !s.can_transition(next) || next == from || prev.contains_key(next.as_str()) {
                continue;
            }
            prev.insert(next.as_str(), s);
            if next == to {
                let mut path = vec![to];
                let mut cur = to;
                while let Some(p) = prev.get(cur.as_str()).copied() {
                    if p == from {
                        break;
                    }
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(next);
        }
    }
    None
}

/// Whether a printer last heard from at `last_seen` has missed [`MISSED_HEARTBEATS`]
/// heartbeats of `heartbeat_secs` by `now`.
pub fn heartbeat_expired(last_seen: DateTime<Utc>, now: DateTime<Utc>, heartbeat_secs: u64) -> bool {
    let limit_ms =
        i64::try_from(heartbeat_secs.saturating_mul(u64::from(MISSED_HEARTBEATS)) * 1000).unwrap_or(i64::MAX);
    (now - last_seen).num_milliseconds() > limit_ms
}

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

/// The need of one candidate job for the stock check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockNeed {
    pub job: JobId,
    pub material_id: MaterialId,
    pub material_code: String,
    pub grams: i64,
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
}

/// Which jobs are held because their material is not in stock, with the reason. `available`
/// is, per material, the stock the candidates may use (on hand minus what other jobs hold).
/// Candidates are served highest priority first, then earliest due date, then lowest id;
/// a job that does not fit is held (a smaller later one may still fit).
pub fn hold_for_stock(needs: &[StockNeed], available: &BTreeMap<MaterialId, i64>) -> Vec<(JobId, String)> {
    let mut order: Vec<&StockNeed> = needs.iter().collect();
    order.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then(a.due_at.cmp(&b.due_at))
            .then(a.job.cmp(&b.job))
    });
    let mut left = available.clone();
    let mut held = Vec::new();
    for n in order {
        let avail = left.entry(n.material_id).or_insert(0);
        if n.grams <= *avail {
            *avail -= n.grams;
        } else {
            held.push((
                n.job,
                format!(
                    "material {} not in stock: needs {} g, {} g available",
                    n.material_code,
                    n.grams,
                    (*avail).max(0)
                ),
            ));
        }
    }
    held.sort();
    held
}

/// Grams used by a print that stopped at `progress_pct` of a job of `grams` (rounded up;
/// 0 % uses nothing).
pub fn partial_grams(grams: i64, progress_pct: i64) -> i64 {
    let pct = progress_pct.clamp(0, 100);
    (grams.max(0).saturating_mul(pct) + 99) / 100
}

/// Debounces re-plan requests: the first request of a burst arms a timer of `window_ms`;
/// requests while it is armed join it; requests during a solve cause exactly one more solve
/// after it. Times are milliseconds of any monotonic clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Debouncer {
    /// When the armed timer fires.
    due_at: Option<i64>,
    solving: bool,
    /// A request arrived during the solve.
    again: bool,
}

/// What the caller must do after telling the [`Debouncer`] something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebounceAction {
    /// Nothing (the request joined a pending or running solve).
    Wait,
    /// Arm a timer to call [`Debouncer::fire`] at this time.
    ArmAt(i64),
    /// Solve now.
    Solve,
}

impl Debouncer {
    /// A re-plan was requested at `now`.
    pub fn request(&mut self, now: i64, window_ms: i64) -> DebounceAction {
        if self.solving {
            self.again = true;
            return DebounceAction::Wait;
        }
        if self.due_at.is_some() {
            return DebounceAction::Wait;
        }
        let at = now.saturating_add(window_ms.max(0));
        self.due_at = Some(at);
        DebounceAction::ArmAt(at)
    }

    /// The timer fired: solve if one was armed.
    pub fn fire(&mut self) -> DebounceAction {
        if self.due_at.take().is_some() && !self.solving {
            self.solving = true;
            DebounceAction::Solve
        } else {
            DebounceAction::Wait
        }
    }

    /// A solve requested directly (e.g. `replanNow`) begins: any armed timer is absorbed.
    pub fn begin_now(&mut self) {
        self.due_at = None;
        self.solving = true;
    }

    /// The solve finished at `now`: arm again if requests came in meanwhile.
    pub fn done(&mut self, now: i64, window_ms: i64) -> DebounceAction {
        self.solving = false;
        if std::mem::take(&mut self.again) {
            self.request(now, window_ms)
        } else {
            DebounceAction::Wait
        }
    }

    pub fn is_solving(&self) -> bool {
        self.solving
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{OrderId, OrderLineId};
    use PrinterStatus as S;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn only_progress_of_the_current_job_is_applied() {
        let (a, b) = (JobId(1), JobId(2));
        let cases = [
            (Some(a), a, true),
            (Some(a), b, false),
            (None, a, false), // the job ended (e.g. settled by the hello): a stale report
        ];
        for (current, reported, want) in cases {
            assert_eq!(
                progress_applies(current, reported),
                want,
                "{current:?} {reported:?}"
            );
        }
    }

    #[test]
    fn status_paths_follow_the_machine() {
        let cases: [(S, S, &[S]); 6] = [
            (S::Idle, S::Idle, &[]),
            (S::Idle, S::Printing, &[S::Printing]),
            (S::Printing, S::Idle, &[S::NeedsBedClearing, S::Idle]),
            (S::Offline, S::Printing, &[S::Idle, S::Printing]),
            (S::Maintenance, S::Paused, &[S::Idle, S::Printing, S::Paused]),
            (S::Paused, S::Offline, &[S::Offline]),
        ];
        for (from, to, want) in cases {
            let path = status_path(from, to).unwrap();
            assert_eq!(path, want, "{from} -> {to}");
            let mut cur = from;
            for s in path {
                assert!(cur.can_transition(s), "{cur} -> {s}");
                cur = s;
            }
        }
        for from in S::ALL {
            for to in S::ALL {
                assert!(status_path(from, to).is_some(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn target_status_keeps_maintenance_and_skips_no_ops() {
        let cases = [
            (S::Idle, AgentState::Idle, None),
            (S::Idle, AgentState::Printing, Some(S::Printing)),
            (S::Maintenance, AgentState::Idle, None),
            (S::Maintenance, AgentState::Error, Some(S::Error)),
            (S::Offline, AgentState::Idle, Some(S::Idle)),
            (
                S::Printing,
                AgentState::NeedsBedClearing,
                Some(S::NeedsBedClearing),
            ),
        ];
        for (stored, reported, want) in cases {
            assert_eq!(target_status(stored, reported), want, "{stored} {reported:?}");
        }
    }

    #[test]
    fn status_reports_do_not_end_jobs() {
        let cases = [
            (S::Printing, AgentState::Idle, true, None),
            (S::Printing, AgentState::Idle, false, Some(S::Idle)),
            (S::Printing, AgentState::Paused, true, Some(S::Paused)),
            (S::Printing, AgentState::Error, true, Some(S::Error)),
            (S::NeedsBedClearing, AgentState::Idle, false, Some(S::Idle)),
        ];
        for (stored, reported, job, want) in cases {
            assert_eq!(
                status_report_target(stored, reported, job),
                want,
                "{stored} {reported:?} {job}"
            );
        }
        let cases = [
            (S::NeedsBedClearing, Effect::Apply { reschedule: false }),
            (S::Idle, Effect::AlreadyApplied),
            (S::Maintenance, Effect::AlreadyApplied),
        ];
        for (stored, want) in cases {
            assert_eq!(bed_cleared_effect(stored), want, "{stored}");
        }
        assert!(matches!(bed_cleared_effect(S::Printing), Effect::Refuse(_)));
    }

    #[test]
    fn heartbeat_expiry_after_three_missed() {
        // (seconds since last seen, heartbeat secs, expired)
        let cases = [
            (0, 10, false),
            (29, 10, false),
            (30, 10, false),
            (31, 10, true),
            (4, 1, true),
        ];
        for (ago, hb, want) in cases {
            assert_eq!(heartbeat_expired(t(0), t(ago), hb), want, "{ago} {hb}");
        }
    }

    fn job(id: i64, state: JobState, printer: Option<i64>, start: i64, priority: i64) -> Job {
        Job {
            id: JobId(id),
            order_id: OrderId(1),
            order_line_id: OrderLineId(1),
            plate_no: 1,
            attempt: 1,
            retry_of: None,
            copies: 1,
            material_id: MaterialId(1),
            grams: 10,
            est_minutes: 10,
            state,
            printer_id: printer.map(PrinterId),
            priority,
            due_at: None,
            planned_start: Some(t(start)),
            started_at: None,
            finished_at: None,
            progress_pct: 0,
            failure_reason: None,
            created_at: t(0),
            updated_at: t(0),
        }
    }

    #[test]
    fn ready_printer_takes_its_earliest_planned_job() {
        let jobs = [
            job(1, JobState::Scheduled, Some(1), 60, 0),
            job(2, JobState::Scheduled, Some(1), 0, 0),
            job(3, JobState::Scheduled, Some(2), 0, 0),
            job(4, JobState::Queued, None, 0, 9),
            job(5, JobState::Scheduled, Some(1), 0, 5),
        ];
        let none = BTreeSet::new();
        // (printer, in flight, expected)
        let cases: [(i64, &[i64], Option<i64>); 5] = [
            (1, &[], Some(5)),
            (1, &[5], Some(2)),
            (1, &[5, 2], Some(1)),
            (1, &[5, 2, 1], None),
            (3, &[], None),
        ];
        for (p, flight, want) in cases {
            let flight: BTreeSet<JobId> = flight.iter().copied().map(JobId).collect();
            assert_eq!(
                next_job(PrinterId(p), &jobs, &flight),
                want.map(JobId),
                "{p} {flight:?}"
            );
        }
        assert_eq!(next_job(PrinterId(2), &jobs, &none), Some(JobId(3)));
        assert!(is_ready(S::Idle, true, None, None));
        assert!(!is_ready(S::Idle, false, None, None));
        assert!(!is_ready(S::NeedsBedClearing, true, None, None));
        assert!(!is_ready(S::Idle, true, None, Some(JobId(1))));
        assert!(!is_ready(S::Idle, true, Some(JobId(1)), None));
    }

    fn view(id: i64, state: JobState, printer: Option<i64>, pct: i64) -> JobView {
        JobView {
            id: JobId(id),
            state,
            printer_id: printer.map(PrinterId),
            progress_pct: pct,
        }
    }

    #[test]
    fn job_messages_apply_once() {
        use Effect::*;
        use JobReport as R;
        use JobState::*;
        let me = PrinterId(1);
        let ok = Apply { reschedule: false };
        // (job state, job's printer, report, expected; "refuse" for a refusal)
        let cases: Vec<(JobState, Option<i64>, JobReport, Option<Effect>)> = vec![
            (Scheduled, Some(1), R::Started, Some(ok.clone())),
            (Scheduled, Some(2), R::Started, Some(Apply { reschedule: true })),
            (Queued, None, R::Started, Some(Apply { reschedule: true })),
            (Printing, Some(1), R::Started, Some(AlreadyApplied)),
            (Printing, Some(2), R::Started, None),
            (Printing, Some(1), R::Progress(50), Some(ok.clone())),
            (Printing, Some(1), R::Progress(10), Some(AlreadyApplied)),
            (Done, Some(1), R::Progress(100), Some(AlreadyApplied)),
            (Scheduled, Some(1), R::Progress(5), None),
            (Printing, Some(1), R::Completed, Some(ok.clone())),
            (Done, Some(1), R::Completed, Some(AlreadyApplied)),
            (Scheduled, Some(1), R::Completed, None),
            (Printing, Some(1), R::Failed, Some(ok.clone())),
            (Requeued, Some(1), R::Failed, Some(AlreadyApplied)),
            (Done, Some(1), R::Failed, None),
            (Scheduled, Some(1), R::Accepted, Some(Nothing)),
            (Scheduled, Some(2), R::Accepted, None),
            (Done, Some(1), R::Accepted, Some(AlreadyApplied)),
            (Requeued, Some(1), R::Accepted, Some(AlreadyApplied)),
            (Done, Some(2), R::Accepted, None),
            (Scheduled, Some(1), R::Rejected, Some(ok.clone())),
            (Queued, None, R::Rejected, Some(AlreadyApplied)),
            (Printing, Some(1), R::Paused, Some(ok.clone())),
            (Done, Some(1), R::Resumed, None),
            (Printing, Some(1), R::Cancelled, Some(ok)),
            (Cancelled, Some(1), R::Cancelled, Some(AlreadyApplied)),
        ];
        for (state, printer, report, want) in cases {
            let got = job_message_effect(me, &view(7, state, printer, 20), report);
            match want {
                Some(w) => assert_eq!(got, w, "{state} {printer:?} {report:?}"),
                None => assert!(
                    matches!(got, Refuse(_)),
                    "{state} {printer:?} {report:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn hello_reconciliation() {
        use AgentState as A;
        use HelloAction as H;
        use JobState::*;
        let me = PrinterId(1);
        let j = JobId(7);
        // (named job, printing here, agent state, progress, expected)
        type Case = (
            Option<JobView>,
            Vec<JobView>,
            AgentState,
            Option<i64>,
            Vec<HelloAction>,
        );
        let cases: Vec<Case> = vec![
            // resumes: progress forward only
            (
                Some(view(7, Printing, Some(1), 40)),
                vec![view(7, Printing, Some(1), 40)],
                A::Printing,
                Some(55),
                vec![H::Progress { job: j, pct: 55 }],
            ),
            (
                Some(view(7, Printing, Some(1), 40)),
                vec![view(7, Printing, Some(1), 40)],
                A::Printing,
                Some(30),
                vec![],
            ),
            // finished while the server was down: completed once
            (
                Some(view(7, Printing, Some(1), 90)),
                vec![view(7, Printing, Some(1), 90)],
                A::NeedsBedClearing,
                Some(100),
                vec![H::Complete { job: j }],
            ),
            (
                Some(view(7, Done, Some(1), 100)),
                vec![],
                A::NeedsBedClearing,
                Some(100),
                vec![],
            ),
            // started while the start message was lost
            (
                Some(view(7, Scheduled, Some(1), 0)),
                vec![],
                A::Printing,
                Some(12),
                vec![
                    H::Start {
                        job: j,
                        reschedule: false,
                    },
                    H::Progress { job: j, pct: 12 },
                ],
            ),
            (
                Some(view(7, Scheduled, Some(2), 0)),
                vec![],
                A::NeedsBedClearing,
                Some(100),
                vec![
                    H::Start {
                        job: j,
                        reschedule: true,
                    },
                    H::Complete { job: j },
                ],
            ),
            (
                Some(view(7, Scheduled, Some(1), 0)),
                vec![],
                A::Idle,
                None,
                vec![],
            ),
            // stopped or errored while disconnected
            (
                Some(view(7, Printing, Some(1), 40)),
                vec![view(7, Printing, Some(1), 40)],
                A::Error,
                Some(45),
                vec![H::Fail {
                    job: j,
                    reason: "printer error while the agent was disconnected".into(),
                    progress_pct: 45,
                }],
            ),
            (
                Some(view(7, Printing, Some(1), 40)),
                vec![view(7, Printing, Some(1), 40)],
                A::Idle,
                Some(40),
                vec![H::Fail {
                    job: j,
                    reason: "print stopped at 40% while the agent was disconnected".into(),
                    progress_pct: 40,
                }],
            ),
            // started and stopped part-way while the server was away (start and end lost)
            (
                Some(view(7, Scheduled, Some(1), 0)),
                vec![],
                A::NeedsBedClearing,
                Some(12),
                vec![
                    H::Start {
                        job: j,
                        reschedule: false,
                    },
                    H::Fail {
                        job: j,
                        reason: "print stopped at 12% while the agent was disconnected".into(),
                        progress_pct: 12,
                    },
                ],
            ),
            // handed out, never started: the plan keeps it
            (
                Some(view(7, Scheduled, Some(1), 0)),
                vec![],
                A::Idle,
                Some(0),
                vec![],
            ),
            // the agent forgot a job it was printing
            (
                None,
                vec![view(8, Printing, Some(1), 30)],
                A::Idle,
                None,
                vec![H::Fail {
                    job: JobId(8),
                    reason: "the printer's agent no longer reports this job after reconnecting".into(),
                    progress_pct: 30,
                }],
            ),
            // a job printing on another printer is not touched
            (
                Some(view(7, Printing, Some(2), 40)),
                vec![],
                A::Printing,
                Some(50),
                vec![],
            ),
        ];
        for (named, here, state, pct, want) in cases {
            assert_eq!(
                reconcile_hello(me, named.as_ref(), &here, state, pct),
                want,
                "{named:?} {state:?} {pct:?}"
            );
        }
    }

    #[test]
    fn jobs_without_stock_are_held_in_priority_order() {
        let need = |job: i64, grams: i64, priority: i64| StockNeed {
            job: JobId(job),
            material_id: MaterialId(1),
            material_code: "PLA-BLK".into(),
            grams,
            priority,
            due_at: None,
        };
        let avail = BTreeMap::from([(MaterialId(1), 100)]);
        let held = hold_for_stock(&[need(1, 60, 0), need(2, 60, 5), need(3, 40, 0)], &avail);
        assert_eq!(
            held,
            vec![(
                JobId(1),
                "material PLA-BLK not in stock: needs 60 g, 40 g available".to_string()
            )]
        );
        let none = hold_for_stock(&[need(1, 10, 0)], &BTreeMap::new());
        assert_eq!(none.len(), 1);
        assert!(hold_for_stock(&[need(1, 100, 0)], &avail).is_empty());
    }

    #[test]
    fn partial_use_rounds_up() {
        for (grams, pct, want) in [
            (40, 0, 0),
            (40, 50, 20),
            (40, 1, 1),
            (40, 100, 40),
            (3, 33, 1),
            (40, 150, 40),
        ] {
            assert_eq!(partial_grams(grams, pct), want, "{grams} {pct}");
        }
    }

    #[test]
    fn a_burst_of_requests_is_one_solve() {
        use DebounceAction::*;
        let mut d = Debouncer::default();
        // (step, expected)
        assert_eq!(d.request(0, 200), ArmAt(200));
        assert_eq!(d.request(50, 200), Wait);
        assert_eq!(d.request(199, 200), Wait);
        assert_eq!(d.fire(), Solve);
        assert_eq!(d.fire(), Wait, "a second timer does not solve twice");
        assert_eq!(d.request(300, 200), Wait, "during the solve");
        assert_eq!(d.request(310, 200), Wait);
        assert_eq!(
            d.done(400, 200),
            ArmAt(600),
            "one more solve for requests during the solve"
        );
        assert_eq!(d.fire(), Solve);
        assert_eq!(d.done(700, 200), Wait);
        assert_eq!(d.request(800, 200), ArmAt(1000));
        d.begin_now();
        assert_eq!(d.fire(), Wait, "a direct solve absorbs the armed timer");
        assert!(d.is_solving());
        assert_eq!(d.done(900, 200), Wait);
    }
}
