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

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::equipment::PrinterStatus;
use crate::protocol::AgentState;
use crate::types::JobId;

mod debounce;
mod jobs;
mod stock;
mod telemetry;

pub use debounce::*;
pub use jobs::*;
pub use stock::*;
pub use telemetry::*;

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

#[cfg(test)]
mod tests;
