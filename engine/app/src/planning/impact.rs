//! What-if: the impact of a rush order (a would-be order of a model in a material, a quantity
//! and a due date) and/or a printer going down (from, until) on the orders' due dates. The farm
//! is read and prepared once, exactly as a re-plan would; the plan as it is and the plan with
//! the scenario are solved side by side (each within the time limit, on two blocking threads);
//! the orders that would become late, or later, are listed with by how much. Nothing is written.
//!
//! The rush order's plates are planned like a quote's (`printing::would_be_plates`: every
//! printer that fits the model in the material, on the cheapest printer's packing); its stock is
//! not checked. Lateness of an order: its last planned job's end past the earliest due date of
//! its jobs, in whole minutes; jobs the plan cannot place are counted apart. Jobs already
//! printing or handed to a printer are not re-planned and do not count.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gantry_engine::domain::planning::{at_minute, minutes_from};
use gantry_engine::domain::printing;
use gantry_engine::domain::types::{MaterialId, ModelFileId, OrderId, PrinterId};
use gantry_engine::store::live;

use super::{PlanView, Prepared, prepare, solve_problem};
use crate::{AppError, AppResult, Caller, Db, conn};

/// A would-be order to plan in.
#[derive(Debug, Clone, PartialEq)]
pub struct RushOrder {
    pub model_id: ModelFileId,
    pub material_id: MaterialId,
    pub quantity: i64,
    pub due_at: DateTime<Utc>,
}

/// A printer that would be down from `from` until `until`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterDown {
    pub printer_id: PrinterId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// What would happen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scenario {
    pub rush: Option<RushOrder>,
    pub down: Option<PrinterDown>,
}

/// One order's due date against both plans.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderImpact {
    /// `None`: the rush order itself.
    pub order_id: Option<OrderId>,
    pub due_at: Option<DateTime<Utc>>,
    /// When its last planned job ends, without and with the scenario.
    pub finish_before: Option<DateTime<Utc>>,
    pub finish_after: Option<DateTime<Utc>>,
    pub late_minutes_before: i64,
    pub late_minutes_after: i64,
    /// Its jobs the plan cannot place, without and with the scenario.
    pub unplaced_before: i64,
    pub unplaced_after: i64,
}

/// The scenario's plan and its impact.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// The plan with the scenario (the rush order's plates are not among its printers' jobs:
    /// they are no jobs yet; see `impact`).
    pub plan: PlanView,
    /// The rush order first (when asked), then every order that would become late or later, or
    /// lose a placed job, most added lateness first.
    pub orders: Vec<OrderImpact>,
    /// Orders on time without the scenario and late with it.
    pub newly_late: i64,
    pub baseline_objective: f64,
}

fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(code, message)
}

/// Per order: (earliest due date, last end, unplaced jobs).
type Finish = BTreeMap<OrderId, (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64)>;

fn finishes(prepared: &Prepared, plan: &gantry_solver::Plan) -> Finish {
    let ends: BTreeMap<&str, i64> = plan.assignments.iter().map(|a| (a.job.as_str(), a.end)).collect();
    let mut out: Finish = BTreeMap::new();
    for j in &prepared.input.jobs {
        let e = out.entry(j.order_id).or_insert((None, None, 0));
        e.0 = match (e.0, j.due_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match ends.get(j.id.0.to_string().as_str()) {
            Some(end) => e.1 = e.1.max(Some(at_minute(prepared.now, *end))),
            None => e.2 += 1,
        }
    }
    out
}

fn late(due: Option<DateTime<Utc>>, finish: Option<DateTime<Utc>>) -> i64 {
    match (due, finish) {
        (Some(d), Some(f)) if f > d => ((f - d).num_seconds() + 59) / 60,
        _ => 0,
    }
}

/// Solves the farm as it is and with `scenario` (see the module docs); writes nothing.
pub async fn what_if(db: &Db, caller: &Caller, time_limit: f64, scenario: &Scenario) -> AppResult<WhatIf> {
    let now = gantry_engine::store::now();
    if let Some(d) = &scenario.down
        && (d.until <= d.from || d.until <= now)
    {
        return Err(invalid(
            "WHATIF_WINDOW_INVALID",
            "printerDown.until: must be after printerDown.from and in the future",
        ));
    }
    let rush = match &scenario.rush {
        Some(r) => Some((
            r,
            crate::printing::would_be_plates(db, caller, r.model_id, r.material_id, r.quantity).await?,
        )),
        None => None,
    };
    let in_flight = {
        let mut c = conn(db).await?;
        live::handovers(&mut c).await?
    };
    let prepared = prepare(db, now, &in_flight).await?;
    let mut changed = prepared.problem.clone();
    if let Some(d) = &scenario.down {
        let Some(p) = changed.printers.iter_mut().find(|p| p.id == d.printer_id) else {
            return Err(if prepared.input.printers.iter().any(|p| p.id == d.printer_id) {
                invalid(
                    "WHATIF_PRINTER_NOT_PLANNED",
                    format!(
                        "printerDown.printerId: printer {} is not planned now (offline, in error or under maintenance)",
                        d.printer_id
                    ),
                )
            } else {
                AppError::not_found("printer", d.printer_id)
            });
        };
        p.unavailable
            .push([minutes_from(now, d.from), minutes_from(now, d.until)]);
        p.unavailable.sort_unstable();
    }
    let mut rush_ids: Vec<String> = Vec::new();
    if let Some((r, (quantity, material, cands))) = &rush {
        let planned: Vec<PrinterId> = changed.printers.iter().map(|p| p.id).collect();
        let jobs = printing::quote_jobs(
            *quantity,
            cands,
            material,
            Some(minutes_from(now, r.due_at)),
            &planned,
        );
        if jobs.is_empty() {
            return Err(invalid(
                "WHATIF_NO_PRINTER",
                "rushOrder: no printer that can print it is available for planning",
            ));
        }
        rush_ids = jobs.iter().map(|j| j.id.0.to_string()).collect();
        if !changed.setup_classes.contains(&material.code) {
            changed.setup_classes.push(material.code.clone());
        }
        changed.jobs.extend(jobs);
    }
    let (before, after) = tokio::join!(
        solve_problem(prepared.problem.clone(), time_limit),
        solve_problem(changed, time_limit)
    );
    let (before, after) = (before?, after?);
    let (fb, fa) = (finishes(&prepared, &before), finishes(&prepared, &after));
    let mut orders = Vec::new();
    if let Some((r, _)) = &rush {
        let ends: Vec<i64> = after
            .assignments
            .iter()
            .filter(|a| rush_ids.contains(&a.job))
            .map(|a| a.end)
            .collect();
        let finish = ends.iter().max().map(|e| at_minute(now, *e));
        orders.push(OrderImpact {
            order_id: None,
            due_at: Some(r.due_at),
            finish_before: None,
            finish_after: finish,
            late_minutes_before: 0,
            late_minutes_after: late(Some(r.due_at), finish),
            unplaced_before: 0,
            unplaced_after: (rush_ids.len() - ends.len()) as i64,
        });
    }
    let mut hit = Vec::new();
    let mut newly_late = 0;
    for (order, (due, finish_before, unplaced_before)) in &fb {
        let (_, finish_after, unplaced_after) = fa.get(order).copied().unwrap_or((None, None, 0));
        let (lb, la) = (late(*due, *finish_before), late(*due, finish_after));
        if la > lb || unplaced_after > *unplaced_before {
            if lb == 0 && la > 0 {
                newly_late += 1;
            }
            hit.push(OrderImpact {
                order_id: Some(*order),
                due_at: *due,
                finish_before: *finish_before,
                finish_after,
                late_minutes_before: lb,
                late_minutes_after: la,
                unplaced_before: *unplaced_before,
                unplaced_after,
            });
        }
    }
    hit.sort_by_key(|o| {
        (
            std::cmp::Reverse(o.late_minutes_after - o.late_minutes_before),
            o.order_id,
        )
    });
    orders.extend(hit);
    let baseline_objective = before.objective.value;
    Ok(WhatIf {
        plan: prepared.solved(after).view(0),
        orders,
        newly_late,
        baseline_objective,
    })
}
