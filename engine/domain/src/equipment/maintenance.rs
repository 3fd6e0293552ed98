//! Maintenance: plans, the next window of a plan, window states and the log.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{EquipmentError, in_range, text};
use crate::types::{MaintenancePlanId, MaintenanceWindowId, PrinterId};

/// Input for a maintenance plan: due every N print hours, every N days, or whichever comes
/// first when both are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenancePlan {
    pub printer_id: PrinterId,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    /// Length of the window, 1..=10 080 minutes (one week).
    pub duration_minutes: i64,
}

impl NewMaintenancePlan {
    /// Validates: a name, at least one interval, intervals 1..=100 000 hours / 1..=3 650 days.
    pub fn validate(&self) -> Result<NewMaintenancePlan, EquipmentError> {
        let name = text("plan name", &self.name, 100)?;
        if self.every_print_hours.is_none() && self.every_days.is_none() {
            return Err(EquipmentError::PlanWithoutInterval);
        }
        let every_print_hours = self
            .every_print_hours
            .map(|h| in_range("every print hours", h, 1, 100_000))
            .transpose()?;
        let every_days = self
            .every_days
            .map(|d| in_range("every days", d, 1, 3_650))
            .transpose()?;
        let duration_minutes = in_range("duration minutes", self.duration_minutes, 1, 10_080)?;
        Ok(NewMaintenancePlan {
            printer_id: self.printer_id,
            name,
            every_print_hours,
            every_days,
            duration_minutes,
        })
    }
}

/// A recurring maintenance task of one printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenancePlan {
    pub id: MaintenancePlanId,
    pub printer_id: PrinterId,
    pub name: String,
    pub every_print_hours: Option<i64>,
    pub every_days: Option<i64>,
    pub duration_minutes: i64,
    /// When it was last performed (creation time until first performed).
    pub last_done_at: DateTime<Utc>,
    /// The printer's `print_minutes_total` when it was last performed.
    pub last_done_print_minutes: i64,
}

/// A window to be planned: `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowSpec {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// The next maintenance window of `plan`, if it starts no later than `horizon_end`.
///
/// The plan is due at the earlier of: `last_done_at + every_days`, and — once the printer has
/// printed `every_print_hours` since `last_done_print_minutes` — now (the exact past moment the
/// threshold was crossed is unknown and future print hours are not predicted). The window
/// starts when the plan is due, clamped to `now`, and lasts `duration_minutes`.
pub fn next_window(
    plan: &MaintenancePlan,
    now: DateTime<Utc>,
    print_minutes_total: i64,
    horizon_end: DateTime<Utc>,
) -> Option<WindowSpec> {
    let by_days = plan.every_days.and_then(|d| {
        Duration::try_days(d)
            .and_then(|dur| plan.last_done_at.checked_add_signed(dur))
            .map(|at| (at, d))
    });
    let printed = print_minutes_total.saturating_sub(plan.last_done_print_minutes);
    let by_hours = plan
        .every_print_hours
        .filter(|h| printed >= h.saturating_mul(60))
        .map(|h| (now, h));
    let (due, reason) = match (by_days, by_hours) {
        (Some((d_at, _)), Some((_, h))) if d_at >= now => (now, hours_reason(plan, printed, h)),
        (Some((d_at, d)), _) => (d_at, format!("{}: every {d} days", plan.name)),
        (None, Some((at, h))) => (at, hours_reason(plan, printed, h)),
        (None, None) => return None,
    };
    let starts_at = due.max(now);
    if starts_at > horizon_end {
        return None;
    }
    let ends_at = starts_at.checked_add_signed(Duration::try_minutes(plan.duration_minutes)?)?;
    Some(WindowSpec {
        starts_at,
        ends_at,
        reason,
    })
}

fn hours_reason(plan: &MaintenancePlan, printed_minutes: i64, every_hours: i64) -> String {
    format!(
        "{}: {} of {every_hours} print hours",
        plan.name,
        printed_minutes / 60
    )
}

/// State of a maintenance window: `planned → done` or `planned → cancelled`; both final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Planned,
    Done,
    Cancelled,
}

impl WindowState {
    /// Every state.
    pub const ALL: [WindowState; 3] = [WindowState::Planned, WindowState::Done, WindowState::Cancelled];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowState::Planned => "planned",
            WindowState::Done => "done",
            WindowState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<WindowState> {
        WindowState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `to` if legal (`planned → done | cancelled`), else `MAINTENANCE_ILLEGAL_TRANSITION`.
    pub fn transition(self, to: WindowState) -> Result<WindowState, EquipmentError> {
        match (self, to) {
            (WindowState::Planned, WindowState::Done | WindowState::Cancelled) => Ok(to),
            _ => Err(EquipmentError::IllegalWindowTransition { from: self, to }),
        }
    }
}

impl fmt::Display for WindowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A maintenance window: the printer is unavailable for printing during `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub printer_id: PrinterId,
    pub plan_id: Option<MaintenancePlanId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub state: WindowState,
}

/// A performed maintenance (append-only log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceLogEntry {
    pub id: i64,
    pub printer_id: PrinterId,
    pub plan_id: Option<MaintenancePlanId>,
    pub performed_at: DateTime<Utc>,
    pub performed_by: Option<crate::types::UserId>,
    pub note: String,
}
