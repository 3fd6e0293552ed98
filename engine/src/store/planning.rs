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
    input.pins = production::waiting_pins(&mut *conn).await?;
    input.shifts = super::shifts::operator_shifts(&mut *conn).await?;
    let to = now + Duration::days(WINDOW_HORIZON_DAYS);
    for p in &input.printers {
        input
            .windows
            .extend(equipment::list_windows(&mut *conn, p.id, now - Duration::days(1), to).await?);
    }
    Ok(input)
}

/// How many persisted plans are kept (older ones are pruned when a new one is recorded).
pub const PLANS_KEPT: i64 = 100;

/// A persisted plan as stored: its id, when it was made and its JSON body (the application
/// layer's plan view; opaque here).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: i64,
    pub made_at: DateTime<Utc>,
    pub body: String,
}

/// Records a persisted plan in the caller's transaction (after `live::persist_plan` wrote its
/// jobs) and appends its `plan.changed` event with the plan's id; prunes all but the newest
/// [`PLANS_KEPT`]. Returns the plan's id.
pub async fn record_plan(
    tx: &mut super::Tx,
    now: DateTime<Utc>,
    body: &str,
    summary: crate::domain::events::PlanEvent,
) -> StoreResult<i64> {
    let row = sqlx::query("INSERT INTO plans (made_at, body) VALUES ($1, $2) RETURNING id")
        .bind(crate::domain::types::to_millis(now))
        .bind(body)
        .fetch_one(&mut **tx)
        .await?;
    let id: i64 = super::col(&row, "plans", "id")?;
    sqlx::query("DELETE FROM plans WHERE id <= $1")
        .bind(id - PLANS_KEPT)
        .execute(&mut **tx)
        .await?;
    let event = crate::domain::events::Event::Plan(crate::domain::events::PlanEvent {
        plan_id: id,
        ..summary
    });
    super::events::append(tx, now, &event).await?;
    Ok(id)
}

/// The newest persisted plan, if any.
pub async fn latest_plan(conn: &mut AnyConnection) -> StoreResult<Option<PlanRecord>> {
    let row = sqlx::query("SELECT id, made_at, body FROM plans ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(PlanRecord {
            id: super::col(&r, "plans", "id")?,
            made_at: crate::domain::types::from_millis(super::col(&r, "plans", "made_at")?),
            body: super::col(&r, "plans", "body")?,
        })
    })
    .transpose()
}
