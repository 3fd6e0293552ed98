//! Gathers the inputs of a production plan ([`crate::domain::planning`]) from the store.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, equipment, inventory, production};
use crate::domain::planning::PlanningInput;
use crate::domain::production::JobState;

/// How far ahead maintenance windows are read.
pub const WINDOW_HORIZON_DAYS: i64 = 30;

/// Queued and scheduled jobs, printing jobs, printers, materials and the maintenance windows of
/// the next [`WINDOW_HORIZON_DAYS`] days.
pub async fn planning_input(conn: &mut AnyConnection, now: DateTime<Utc>) -> StoreResult<PlanningInput> {
    let mut input = PlanningInput::default();
    for state in [JobState::Queued, JobState::Scheduled] {
        let filter = production::JobFilter {
            state: Some(state),
            ..Default::default()
        };
        input
            .jobs
            .extend(production::list_jobs(&mut *conn, &filter).await?);
    }
    input.jobs.sort_by_key(|j| j.id);
    let printing = production::JobFilter {
        state: Some(JobState::Printing),
        ..Default::default()
    };
    input.printing = production::list_jobs(&mut *conn, &printing).await?;
    input.printers = equipment::list_printers(&mut *conn).await?;
    input.materials = inventory::list_materials(&mut *conn).await?;
    let to = now + Duration::days(WINDOW_HORIZON_DAYS);
    for p in &input.printers {
        input
            .windows
            .extend(equipment::list_windows(&mut *conn, p.id, now - Duration::days(1), to).await?);
    }
    Ok(input)
}
