//! Holds, order flags and plans: a solved plan with its reservations and holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{handovers, is_insufficient, lock_plan};
use crate::domain::production::{Job, JobState, job_key};
use crate::domain::types::{JobId, MaterialId, OrderId, PrinterId, from_millis, to_millis};
use crate::store::{StoreResult, Tx, col, inventory, production};

// ---------------------------------------------------------------------------------------------
// Holds and flags

/// A job held back from planning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub job_id: JobId,
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// Jobs currently held, by job id.
pub async fn list_holds(conn: &mut AnyConnection) -> StoreResult<Vec<Hold>> {
    const T: &str = "job_holds";
    let rows = sqlx::query("SELECT job_id, reason, since FROM job_holds ORDER BY job_id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Hold {
                job_id: JobId(col(r, T, "job_id")?),
                reason: col(r, T, "reason")?,
                since: from_millis(col(r, T, "since")?),
            })
        })
        .collect()
}

/// Flags an order for a person (keeps the first reason when flagged again).
pub async fn flag_order(tx: &mut Tx, now: DateTime<Utc>, order: OrderId, reason: &str) -> StoreResult<()> {
    let reason: String = reason.chars().take(1000).collect();
    sqlx::query(
        "INSERT INTO order_flags (order_id, reason, flagged_at) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order.0)
    .bind(reason)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The flag of an order, if flagged: (reason, when).
pub async fn order_flag(
    conn: &mut AnyConnection,
    order: OrderId,
) -> StoreResult<Option<(String, DateTime<Utc>)>> {
    let row = sqlx::query("SELECT reason, flagged_at FROM order_flags WHERE order_id = $1")
        .bind(order.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok((
            col(&r, "order_flags", "reason")?,
            from_millis(col(&r, "order_flags", "flagged_at")?),
        ))
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Plans

/// Per material, the grams held by reservations whose job key is one of `keys`.
pub async fn held_by_jobs(
    conn: &mut AnyConnection,
    jobs: &[JobId],
) -> StoreResult<BTreeMap<MaterialId, i64>> {
    let keys: std::collections::BTreeSet<String> = jobs.iter().map(|j| job_key(*j)).collect();
    let rows = sqlx::query("SELECT material_id, job_key, grams FROM reservations WHERE state = 'held'")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        let key: String = col(r, "reservations", "job_key")?;
        if keys.contains(&key) {
            *out.entry(MaterialId(col(r, "reservations", "material_id")?))
                .or_insert(0) += col::<i64>(r, "reservations", "grams")?;
        }
    }
    Ok(out)
}

/// A plan to write: where each job goes, which scheduled jobs leave the plan, which are held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanWrite {
    pub schedule: Vec<(JobId, PrinterId, DateTime<Utc>)>,
    /// Jobs the solver could not place, with its reason.
    pub unschedule: Vec<(JobId, String)>,
    /// Jobs held back (e.g. no stock), with the reason.
    pub hold: Vec<(JobId, String)>,
}

/// What [`persist_plan`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanWritten {
    /// Jobs now scheduled by this plan.
    pub scheduled: usize,
    /// Jobs taken off the plan (unplaceable or held).
    pub unscheduled: usize,
    /// Jobs held, with the reason (including those whose reservation failed now).
    pub held: Vec<(JobId, String)>,
    /// Jobs skipped because they changed state since the plan was computed.
    pub skipped: usize,
}

async fn take_off_plan(tx: &mut Tx, now: DateTime<Utc>, job: &Job, note: &str) -> StoreResult<bool> {
    inventory::release(tx, now, &job_key(job.id)).await?;
    if job.state == JobState::Scheduled {
        production::unschedule_job(tx, now, job.id, note).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Writes a plan in the caller's transaction: each placed job is scheduled on its printer
/// (a job staying on the same printer only gets its new planned start, without a job event)
/// and holds its material (a reservation that fails for lack of stock holds the job instead);
/// unplaceable and held jobs leave the plan and release their material; the holds are
/// replaced. Jobs that are no longer queued or scheduled (they started meanwhile) are skipped.
pub async fn persist_plan(tx: &mut Tx, now: DateTime<Utc>, plan: &PlanWrite) -> StoreResult<PlanWritten> {
    lock_plan(tx).await?;
    let mut out = PlanWritten::default();
    // A job handed to a printer stays where it is until that printer reports: a plan computed
    // before the hand-over must not move it (the holder may be printing it already).
    let handed = handovers(&mut *tx).await?;
    let mut held: Vec<(JobId, String)> = plan
        .hold
        .iter()
        .filter(|(j, _)| !handed.contains_key(j))
        .cloned()
        .collect();
    // Material first comes free (jobs leaving the plan), then is held by the placed jobs.
    for (id, reason) in plan.unschedule.iter().chain(plan.hold.iter()) {
        let job = production::get_job(&mut *tx, *id).await?;
        if !matches!(job.state, JobState::Queued | JobState::Scheduled) || handed.contains_key(id) {
            out.skipped += 1;
            continue;
        }
        if take_off_plan(tx, now, &job, &format!("re-plan: {reason}")).await? {
            out.unscheduled += 1;
        }
    }
    for (id, printer, start) in &plan.schedule {
        let job = production::get_job(&mut *tx, *id).await?;
        if !matches!(job.state, JobState::Queued | JobState::Scheduled)
            || handed.get(id).is_some_and(|h| h != printer)
        {
            out.skipped += 1;
            continue;
        }
        match inventory::reserve(tx, now, &job_key(job.id), job.material_id, job.grams).await {
            Ok(_) => {}
            Err(e) if is_insufficient(&e) => {
                let why = format!("material not in stock: {e}");
                if take_off_plan(tx, now, &job, &format!("held: {why}")).await? {
                    out.unscheduled += 1;
                }
                held.push((job.id, why));
                continue;
            }
            Err(e) => return Err(e),
        }
        if job.state == JobState::Scheduled && job.printer_id == Some(*printer) {
            sqlx::query("UPDATE jobs SET planned_start = $1 WHERE id = $2 AND state = 'scheduled'")
                .bind(to_millis(*start))
                .bind(id.0)
                .execute(&mut **tx)
                .await?;
        } else {
            production::schedule_job(tx, now, *id, *printer, *start).await?;
        }
        out.scheduled += 1;
    }
    sqlx::query("DELETE FROM job_holds").execute(&mut **tx).await?;
    held.sort();
    held.dedup_by_key(|(j, _)| *j);
    for (id, reason) in &held {
        let reason: String = reason.chars().take(1000).collect();
        sqlx::query("INSERT INTO job_holds (job_id, reason, since) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(reason)
            .bind(to_millis(now))
            .execute(&mut **tx)
            .await?;
    }
    out.held = held;
    Ok(out)
}

/// Orders with work in the farm (`paid` or `in_production`): (id, customer, status), by id.
pub async fn open_orders(
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(OrderId, crate::domain::types::CustomerId, String)>> {
    let rows = sqlx::query(
        "SELECT id, customer_id, status FROM orders WHERE status IN ('paid', 'in_production') ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                OrderId(col(r, "orders", "id")?),
                crate::domain::types::CustomerId(col(r, "orders", "customer_id")?),
                col(r, "orders", "status")?,
            ))
        })
        .collect()
}
