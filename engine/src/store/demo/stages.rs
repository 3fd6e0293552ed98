//! The demo's orders, each taken to its stage with its jobs, material and reviews.

use chrono::{DateTime, Duration, Utc};

use super::data::{Stage, order_plan};
use super::{Farm, pick};
use crate::domain::catalog::NewReview;
use crate::domain::equipment::PrinterStatus;
use crate::domain::orders::{NewOrder, NewOrderLine};
use crate::domain::production::job_key;
use crate::domain::types::{Currency, PrinterId};
use crate::store::{StoreResult, Tx, catalog, equipment, inventory, orders, production};

/// Printers that take demo work (not the one in maintenance nor the offline one).
fn working_printers(farm: &Farm) -> Vec<PrinterId> {
    farm.printers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5 && *i != 10)
        .map(|(_, p)| *p)
        .collect()
}

pub(super) async fn build_orders(tx: &mut Tx, now: DateTime<Utc>, farm: &Farm) -> StoreResult<()> {
    let planner = Some(farm.planner);
    let printers = working_printers(farm);
    let mut next_printer = 0usize;
    let mut busy: Vec<PrinterId> = Vec::new();

    for (n, (customer, lines, stage, due_days, priority)) in order_plan().into_iter().enumerate() {
        // Orders were created over the last weeks; the oldest first.
        let created = now - Duration::days(21) + Duration::hours(n as i64 * 14);
        let mut new_lines = Vec::new();
        for (product, qty) in &lines {
            new_lines.push(NewOrderLine::product(pick(&farm.products, *product)?, *qty));
        }
        let order = orders::create_order(
            tx,
            created,
            &NewOrder {
                customer_id: pick(&farm.customers, customer)?,
                currency: Currency::EUR,
                lines: new_lines,
                priority,
                due_at: Some(now + Duration::days(due_days)),
                idempotency_key: Some(format!("demo-order-{:02}", n + 1)),
            },
            None,
        )
        .await?;
        let id = order.order.id;
        if stage == Stage::Draft {
            continue;
        }
        let t = created + Duration::minutes(20);
        orders::place(tx, t, id, None).await?;
        match stage {
            Stage::Placed => continue,
            Stage::Cancelled => {
                orders::cancel(
                    tx,
                    t + Duration::hours(3),
                    id,
                    None,
                    "customer changed their mind",
                )
                .await?;
                continue;
            }
            _ => {}
        }
        orders::pay(tx, t + Duration::hours(1), id, None).await?;
        if stage == Stage::Paid {
            continue;
        }
        if stage == Stage::Refunded {
            orders::refund(
                tx,
                t + Duration::days(1),
                id,
                planner,
                "could not meet the deadline",
            )
            .await?;
            continue;
        }
        let started = t + Duration::hours(2);
        let jobs = production::start_production(tx, started, id, planner).await?;
        let done_count = match stage {
            Stage::Production(k) => k.min(jobs.len().saturating_sub(1)),
            Stage::ProductionWithFailure => 0,
            _ => jobs.len(),
        };
        let mut clock = started;
        for (k, job) in jobs.iter().enumerate() {
            let key = job_key(job.id);
            let printer = pick(&printers, next_printer % printers.len())?;
            next_printer += 1;
            if k < done_count {
                // Printed and finished in the past.
                let s = clock;
                let e = s + Duration::minutes(job.est_minutes);
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::complete_job(tx, e, job.id).await?;
                inventory::consume(tx, e, &key, job.material_id, job.grams).await?;
                equipment::add_print_minutes(tx, e, printer, job.est_minutes).await?;
                clock = e;
            } else if k == done_count && stage == Stage::ProductionWithFailure {
                // The first plate failed at 40 % and was requeued as a reprint.
                let s = clock;
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::report_progress(tx, s + Duration::minutes(job.est_minutes * 2 / 5), job.id, 40)
                    .await?;
                let f = s + Duration::minutes(job.est_minutes * 2 / 5);
                production::fail_job(tx, f, job.id, "spaghetti: part detached from the bed", 2).await?;
                inventory::record_partial_use(tx, f, &key, job.material_id, job.grams * 2 / 5).await?;
            } else if k == done_count && !busy.contains(&printer) {
                // Printing now.
                let s = now - Duration::minutes(job.est_minutes / 3);
                production::schedule_job(tx, s, job.id, printer, s).await?;
                inventory::reserve(tx, s, &key, job.material_id, job.grams).await?;
                production::start_job(tx, s, job.id).await?;
                production::report_progress(tx, now, job.id, 33).await?;
                equipment::set_status(tx, now, printer, PrinterStatus::Printing).await?;
                busy.push(printer);
            } else if k == done_count + 1 {
                // Planned for later today.
                let s = now + Duration::hours(2 + k as i64);
                production::schedule_job(tx, now, job.id, printer, s).await?;
                inventory::reserve(tx, now, &key, job.material_id, job.grams).await?;
            }
        }
        match stage {
            Stage::Shipped => {
                orders::ship(tx, clock + Duration::hours(4), id, planner).await?;
            }
            Stage::Delivered => {
                orders::ship(tx, clock + Duration::hours(4), id, planner).await?;
                orders::deliver(tx, clock + Duration::days(2), id, None).await?;
                if let Some((product, _)) = lines.first() {
                    catalog::add_review(
                        tx,
                        clock + Duration::days(3),
                        &NewReview {
                            product_id: pick(&farm.products, *product)?,
                            customer_id: pick(&farm.customers, customer)?,
                            rating: 5 - (n as i64 % 2),
                            body: "Arrived quickly and printed cleanly. Would order again.".into(),
                        },
                    )
                    .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
