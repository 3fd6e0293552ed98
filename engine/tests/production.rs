//! Production persistence: jobs cut per plate when an order enters production, the job state
//! machine through the store (every state × every command), counts moving the order to
//! `ready`, reprints, refunds cancelling unstarted jobs.

// Test helpers outside #[test] fns unwrap too (clippy.toml only allows it inside tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use chrono::{DateTime, Utc};
use common::{customer, material, spec, t0, user};
use gantry_engine::db_test;
use gantry_engine::domain::catalog::{NewProduct, NewReview, Product};
use gantry_engine::domain::orders::{NewOrder, NewOrderLine, OrderError, OrderLine, OrderStatus};
use gantry_engine::domain::production::{Job, JobState, ProductionError, job_key};
use gantry_engine::domain::types::{
    Currency, CustomerId, JobId, MaterialId, Money, OrderId, PrinterId, UserId,
};
use gantry_engine::error::{Coded, DomainError, ErrorKind};
use gantry_engine::store::production::JobFilter;
use gantry_engine::store::{Db, StoreError, StoreResult, Tx, catalog, col, count_rows, orders, production};

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::minutes(minutes)
}

async fn printer(db: &Db, name: &str) -> PrinterId {
    let row = sqlx::query(
        "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
         hourly_cost_minor, currency, status, created_at) \
         VALUES ($1, 'MK4', 'fdm', 250, 210, 220, 400, 150, 'EUR', 'idle', 0) RETURNING id",
    )
    .bind(name)
    .fetch_one(db.pool())
    .await
    .unwrap();
    PrinterId(col(&row, "printers", "id").unwrap())
}

struct Fx {
    alice: CustomerId,
    planner: UserId,
    pla: MaterialId,
    petg: MaterialId,
    vase: Product,
    p1: PrinterId,
    p2: PrinterId,
}

async fn fixture(db: &Db) -> Fx {
    let pla = material(db, "PLA", "white").await;
    let petg = material(db, "PETG", "white").await;
    let vase = NewProduct {
        sku: "VASE".into(),
        name: "Vase".into(),
        description: String::new(),
        category_id: None,
        model_ref: None,
        default_material_id: petg,
        price: Money::new(1999, Currency::EUR),
        production: spec(30, 90, 4),
    };
    Fx {
        alice: customer(db, "Alice").await,
        planner: user(db, "planner@example.com", "planner").await,
        pla,
        petg,
        vase: ok!(db, |tx| catalog::create_product(&mut tx, t0(), &vase)),
        p1: printer(db, "P1").await,
        p2: printer(db, "P2").await,
    }
}

/// A paid order with the given lines (priority 7, due in two days).
async fn paid_order(db: &Db, fx: &Fx, lines: Vec<NewOrderLine>) -> OrderId {
    let new = NewOrder {
        customer_id: fx.alice,
        currency: Currency::EUR,
        lines,
        priority: 7,
        due_at: Some(t0() + chrono::Duration::days(2)),
        idempotency_key: None,
    };
    let id = ok!(db, |tx| orders::create_order(&mut tx, t0(), &new, None))
        .order
        .id;
    ok!(db, |tx| orders::place(&mut tx, t0(), id, None));
    ok!(db, |tx| orders::pay(&mut tx, t0(), id, None));
    id
}

fn bracket(fx: &Fx, quantity: i64) -> NewOrderLine {
    NewOrderLine::model("uploads/bracket.stl", fx.pla, quantity, 300, spec(12, 45, 3))
}

async fn counts(db: &Db) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, t) in ["jobs", "job_events", "order_status_history", "orders"]
        .into_iter()
        .enumerate()
    {
        out[i] = count_rows(db, t).await.unwrap();
    }
    out
}

async fn lines(db: &Db, id: OrderId) -> Vec<OrderLine> {
    let mut conn = db.pool().acquire().await.unwrap();
    orders::get_order_with_lines(&mut conn, id).await.unwrap().lines
}

async fn status(db: &Db, id: OrderId) -> OrderStatus {
    let mut conn = db.pool().acquire().await.unwrap();
    orders::get_order(&mut conn, id).await.unwrap().status
}

async fn job(db: &Db, id: JobId) -> Job {
    let mut conn = db.pool().acquire().await.unwrap();
    production::get_job(&mut conn, id).await.unwrap()
}

async fn events(db: &Db, id: JobId) -> String {
    let mut conn = db.pool().acquire().await.unwrap();
    production::job_events(&mut conn, id)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            let from = e.from.map_or("-", JobState::as_str);
            format!(
                "{from} -> {} at +{}m: {:?}\n",
                e.to,
                (e.at - t0()).num_minutes(),
                e.note
            )
        })
        .collect()
}

/// Schedules, starts and completes a job.
async fn print(db: &Db, id: JobId, printer: PrinterId, minute: i64) -> production::JobCompletion {
    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(minute),
        id,
        printer,
        at(minute + 1)
    ));
    ok!(db, |tx| production::start_job(&mut tx, at(minute + 1), id));
    ok!(db, |tx| production::complete_job(&mut tx, at(minute + 2), id))
}

db_test!(start_production_cuts_one_job_per_plate, |db| {
    let fx = fixture(db).await;
    let id = paid_order(
        db,
        &fx,
        vec![bracket(&fx, 7), NewOrderLine::product(fx.vase.id, 2)],
    )
    .await;
    let jobs = ok!(db, |tx| production::start_production(
        &mut tx,
        at(10),
        id,
        Some(fx.planner)
    ));
    let rendered: Vec<String> = jobs
        .iter()
        .map(|j| {
            format!(
                "line {} plate {} attempt {}: {} copies, material {}, {} g, {} min, {}",
                j.order_line_id,
                j.plate_no,
                j.attempt,
                j.copies,
                j.material_id,
                j.grams,
                j.est_minutes,
                j.state
            )
        })
        .collect();
    expect_test::expect![[r#"
        line 1 plate 1 attempt 1: 3 copies, material 1, 36 g, 135 min, queued
        line 1 plate 2 attempt 1: 3 copies, material 1, 36 g, 135 min, queued
        line 1 plate 3 attempt 1: 1 copies, material 1, 12 g, 45 min, queued
        line 2 plate 1 attempt 1: 2 copies, material 2, 60 g, 180 min, queued"#]]
    .assert_eq(&rendered.join("\n"));
    let order = {
        let mut conn = db.pool().acquire().await.unwrap();
        orders::get_order(&mut conn, id).await.unwrap()
    };
    assert_eq!(order.status, OrderStatus::InProduction);
    for j in &jobs {
        assert_eq!(
            (j.priority, j.due_at, j.printer_id, j.retry_of),
            (order.priority, order.due_at, None, None)
        );
        assert_eq!((j.created_at, j.progress_pct), (at(10), 0));
        assert_eq!(j.key(), job_key(j.id));
        assert_eq!(job(db, j.id).await, *j);
    }
    assert_eq!(job_key(jobs[0].id), format!("job:{}", jobs[0].id));
    expect_test::expect![[r#"
        - -> queued at +10m: "order 1 line 2 plate 1"
    "#]]
    .assert_eq(&events(db, jobs[3].id).await);
    let mut conn = db.pool().acquire().await.unwrap();
    let history = orders::status_history(&mut conn, id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.from, last.to, last.changed_by, last.changed_at),
        (
            Some(OrderStatus::Paid),
            OrderStatus::InProduction,
            Some(fx.planner),
            at(10)
        )
    );
    let by_order = production::list_jobs(
        &mut conn,
        &JobFilter {
            order_id: Some(id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_order, jobs);
    drop(conn);

    // Starting again, or an unpaid order, is an illegal transition and writes nothing.
    let before = counts(db).await;
    let e = rejected!(db, |tx| production::start_production(&mut tx, at(11), id, None));
    assert!(matches!(
        e,
        StoreError::Rejected(DomainError::Order(OrderError::IllegalTransition {
            from: OrderStatus::InProduction,
            to: OrderStatus::InProduction
        }))
    ));
    let unpaid = ok!(db, |tx| orders::create_order(
        &mut tx,
        t0(),
        &NewOrder {
            customer_id: fx.alice,
            currency: Currency::EUR,
            lines: vec![bracket(&fx, 1)],
            priority: 0,
            due_at: None,
            idempotency_key: None
        },
        None
    ))
    .order
    .id;
    ok!(db, |tx| orders::place(&mut tx, t0(), unpaid, None));
    let before = [before[0], before[1], before[2] + 2, before[3] + 1];
    let e = rejected!(db, |tx| production::start_production(
        &mut tx,
        at(11),
        unpaid,
        None
    ));
    assert_eq!(e.to_string(), "order cannot go from placed to in_production");
    let e = rejected!(db, |tx| production::start_production(
        &mut tx,
        at(11),
        OrderId(999),
        None
    ));
    assert!(matches!(e, StoreError::NotFound { entity: "order", .. }));
    assert_eq!(counts(db).await, before);
    assert_eq!(status(db, unpaid).await, OrderStatus::Placed);
});

db_test!(completing_every_job_makes_the_order_ready, |db| {
    let fx = fixture(db).await;
    let id = paid_order(
        db,
        &fx,
        vec![bracket(&fx, 4), NewOrderLine::product(fx.vase.id, 1)],
    )
    .await;
    let jobs = ok!(db, |tx| production::start_production(&mut tx, at(0), id, None));
    assert_eq!(jobs.iter().map(|j| j.copies).collect::<Vec<_>>(), [3, 1, 1]);

    // Schedule, re-plan, unplan, schedule again; progress while printing.
    let j = jobs[0].id;
    let s = ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        j,
        fx.p1,
        at(30)
    ));
    assert_eq!(
        (s.state, s.printer_id, s.planned_start),
        (JobState::Scheduled, Some(fx.p1), Some(at(30)))
    );
    let s = ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(2),
        j,
        fx.p2,
        at(40)
    ));
    assert_eq!((s.printer_id, s.planned_start), (Some(fx.p2), Some(at(40))));
    let q = ok!(db, |tx| production::unschedule_job(
        &mut tx,
        at(3),
        j,
        "printer down"
    ));
    assert_eq!(
        (q.state, q.printer_id, q.planned_start),
        (JobState::Queued, None, None)
    );
    ok!(db, |tx| production::schedule_job(&mut tx, at(4), j, fx.p1, at(5)));
    let p = ok!(db, |tx| production::start_job(&mut tx, at(5), j));
    assert_eq!(
        (p.state, p.started_at, p.progress_pct),
        (JobState::Printing, Some(at(5)), 0)
    );
    let p = ok!(db, |tx| production::report_progress(&mut tx, at(6), j, 40));
    assert_eq!(p.progress_pct, 40);
    for bad in [-1, 101] {
        let e = rejected!(db, |tx| production::report_progress(&mut tx, at(6), j, bad));
        assert_eq!(
            (e.code(), e.kind()),
            ("JOB_PROGRESS_INVALID", ErrorKind::Validation)
        );
    }
    let e = rejected!(db, |tx| production::report_progress(
        &mut tx,
        at(6),
        jobs[1].id,
        10
    ));
    assert!(matches!(
        e,
        StoreError::Rejected(DomainError::Production(ProductionError::NotPrinting {
            state: JobState::Queued,
            ..
        }))
    ));
    assert_eq!(job(db, j).await.progress_pct, 40);

    let c = ok!(db, |tx| production::complete_job(&mut tx, at(7), j));
    assert_eq!(
        (c.job.state, c.job.finished_at, c.job.progress_pct),
        (JobState::Done, Some(at(7)), 100)
    );
    assert_eq!(c.order.status, OrderStatus::InProduction);
    assert_eq!(
        lines(db, id)
            .await
            .iter()
            .map(|l| l.printed_count)
            .collect::<Vec<_>>(),
        [3, 0]
    );
    expect_test::expect![[r#"
        - -> queued at +0m: "order 1 line 1 plate 1"
        queued -> scheduled at +1m: "printer 1 at 2027-01-15T08:30:00+00:00"
        scheduled -> scheduled at +2m: "printer 2 at 2027-01-15T08:40:00+00:00"
        scheduled -> queued at +3m: "printer down"
        queued -> scheduled at +4m: "printer 1 at 2027-01-15T08:05:00+00:00"
        scheduled -> printing at +5m: ""
        printing -> done at +7m: ""
    "#]]
    .assert_eq(&events(db, j).await);

    let c = print(db, jobs[1].id, fx.p2, 10).await;
    assert_eq!(c.order.status, OrderStatus::InProduction);
    let before = count_rows(db, "order_status_history").await.unwrap();
    let c = print(db, jobs[2].id, fx.p1, 20).await;
    assert_eq!((c.order.status, c.order.updated_at), (OrderStatus::Ready, at(22)));
    assert_eq!(status(db, id).await, OrderStatus::Ready);
    assert_eq!(
        lines(db, id)
            .await
            .iter()
            .map(|l| (l.printed_count, l.failed_count))
            .collect::<Vec<_>>(),
        [(4, 0), (1, 0)]
    );
    assert_eq!(count_rows(db, "order_status_history").await.unwrap(), before + 1);
    let mut conn = db.pool().acquire().await.unwrap();
    let h = orders::status_history(&mut conn, id).await.unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.from, last.to, last.changed_by, last.changed_at),
        (Some(OrderStatus::InProduction), OrderStatus::Ready, None, at(22))
    );
    assert_eq!(last.note, format!("all lines printed (job {})", jobs[2].id));
    drop(conn);

    // A manual mark_ready now is an illegal transition; ship and deliver; then the customer
    // has received the vase and may review it.
    let e = rejected!(db, |tx| orders::mark_ready(&mut tx, at(30), id, None));
    assert_eq!(e.code(), "ORDER_ILLEGAL_TRANSITION");
    let review = NewReview {
        product_id: fx.vase.id,
        customer_id: fx.alice,
        rating: 5,
        body: "great".into(),
    };
    let e = rejected!(db, |tx| catalog::add_review(&mut tx, at(30), &review));
    assert_eq!(e.code(), "REVIEW_NOT_PURCHASED");
    ok!(db, |tx| orders::ship(&mut tx, at(31), id, Some(fx.planner)));
    ok!(db, |tx| orders::deliver(&mut tx, at(32), id, None));
    ok!(db, |tx| catalog::add_review(&mut tx, at(33), &review));
});

db_test!(manual_mark_ready_needs_every_copy_printed, |db| {
    let fx = fixture(db).await;
    let id = paid_order(db, &fx, vec![bracket(&fx, 2)]).await;
    let jobs = ok!(db, |tx| production::start_production(&mut tx, at(0), id, None));
    let before = counts(db).await;
    let e = rejected!(db, |tx| orders::mark_ready(&mut tx, at(1), id, None));
    assert_eq!(
        (e.code(), e.kind()),
        ("ORDER_PRODUCTION_INCOMPLETE", ErrorKind::Conflict)
    );
    assert_eq!(counts(db).await, before);
    // Printed outside the job flow (e.g. counted by hand): mark_ready accepts it.
    sqlx::query("UPDATE order_lines SET printed_count = 2 WHERE order_id = $1")
        .bind(id.0)
        .execute(db.pool())
        .await
        .unwrap();
    let o = ok!(db, |tx| orders::mark_ready(&mut tx, at(2), id, Some(fx.planner)));
    assert_eq!(o.status, OrderStatus::Ready);
    // The job no longer needed is cancelled.
    assert_eq!(job(db, jobs[0].id).await.state, JobState::Cancelled);
    assert_eq!(
        events(db, jobs[0].id).await.lines().last(),
        Some("queued -> cancelled at +2m: \"order ready\"")
    );
});

db_test!(failures_are_counted_and_reprinted_up_to_the_limit, |db| {
    let fx = fixture(db).await;
    let id = paid_order(db, &fx, vec![bracket(&fx, 2)]).await;
    let jobs = ok!(db, |tx| production::start_production(&mut tx, at(0), id, None));
    let first = jobs[0].clone();
    assert_eq!(first.copies, 2);

    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        first.id,
        fx.p1,
        at(1)
    ));
    ok!(db, |tx| production::start_job(&mut tx, at(1), first.id));
    let before = counts(db).await;
    let e = rejected!(db, |tx| production::fail_job(&mut tx, at(2), first.id, "   ", 1));
    assert_eq!(e.code(), "JOB_REASON_REQUIRED");
    assert_eq!(counts(db).await, before);
    assert_eq!(job(db, first.id).await.state, JobState::Printing);

    // Attempt 1 fails with one reprint allowed: requeued as attempt 2.
    let f = ok!(db, |tx| production::fail_job(
        &mut tx,
        at(3),
        first.id,
        " spaghetti ",
        1
    ));
    assert_eq!(
        (f.job.state, f.job.failure_reason.as_deref(), f.job.finished_at),
        (JobState::Requeued, Some("spaghetti"), Some(at(3)))
    );
    let second = f.reprint.unwrap();
    assert_eq!(
        (second.state, second.attempt, second.retry_of, second.plate_no),
        (JobState::Queued, 2, Some(first.id), first.plate_no)
    );
    assert_eq!(
        (
            second.copies,
            second.grams,
            second.est_minutes,
            second.material_id
        ),
        (first.copies, first.grams, first.est_minutes, first.material_id)
    );
    assert_eq!(lines(db, id).await[0].failed_count, 2);
    expect_test::expect![[r#"
        - -> queued at +0m: "order 1 line 1 plate 1"
        queued -> scheduled at +1m: "printer 1 at 2027-01-15T08:01:00+00:00"
        scheduled -> printing at +1m: ""
        printing -> failed at +3m: "spaghetti"
        failed -> requeued at +3m: "automatic reprint"
        --
        - -> queued at +3m: "reprint of job 1 (attempt 2)"
    "#]]
    .assert_eq(&(events(db, first.id).await + "--\n" + &events(db, second.id).await));

    // Attempt 2 fails: the limit is reached, it stays failed for a person to decide.
    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(4),
        second.id,
        fx.p2,
        at(4)
    ));
    ok!(db, |tx| production::start_job(&mut tx, at(4), second.id));
    let f = ok!(db, |tx| production::fail_job(
        &mut tx,
        at(5),
        second.id,
        "layer shift",
        1
    ));
    assert_eq!((f.job.state, f.reprint.is_none()), (JobState::Failed, true));
    assert_eq!(lines(db, id).await[0].failed_count, 4);
    assert_eq!(status(db, id).await, OrderStatus::InProduction);

    // By hand: requeue regardless of the limit; the third attempt prints, the order is ready.
    let third = ok!(db, |tx| production::requeue_job(&mut tx, at(6), second.id));
    assert_eq!(
        (third.attempt, third.retry_of, third.state),
        (3, Some(second.id), JobState::Queued)
    );
    assert_eq!(job(db, second.id).await.state, JobState::Requeued);
    let c = print(db, third.id, fx.p1, 7).await;
    assert_eq!(c.order.status, OrderStatus::Ready);
    assert_eq!(
        lines(db, id)
            .await
            .iter()
            .map(|l| (l.printed_count, l.failed_count))
            .collect::<Vec<_>>(),
        [(2, 4)]
    );

    // Without reprints allowed, a failure waits; abandoning ends it.
    let other = paid_order(db, &fx, vec![bracket(&fx, 1)]).await;
    let j = ok!(db, |tx| production::start_production(&mut tx, at(0), other, None))[0].id;
    ok!(db, |tx| production::schedule_job(&mut tx, at(1), j, fx.p1, at(1)));
    ok!(db, |tx| production::start_job(&mut tx, at(1), j));
    let f = ok!(db, |tx| production::fail_job(&mut tx, at(2), j, "clog", 0));
    assert_eq!((f.job.state, f.reprint), (JobState::Failed, None));
    let a = ok!(db, |tx| production::abandon_job(
        &mut tx,
        at(3),
        j,
        "customer accepts fewer"
    ));
    assert_eq!(a.state, JobState::Abandoned);
    let e = rejected!(db, |tx| production::requeue_job(&mut tx, at(4), j));
    assert_eq!(e.code(), "JOB_ILLEGAL_TRANSITION");
});

/// The commands that move a job, with the state each one targets.
#[derive(Debug, Clone, Copy)]
enum Cmd {
    Schedule,
    Unschedule,
    Start,
    Complete,
    Fail,
    Requeue,
    Abandon,
    Cancel,
}

impl Cmd {
    const ALL: [Cmd; 8] = [
        Cmd::Schedule,
        Cmd::Unschedule,
        Cmd::Start,
        Cmd::Complete,
        Cmd::Fail,
        Cmd::Requeue,
        Cmd::Abandon,
        Cmd::Cancel,
    ];

    fn target(self) -> JobState {
        match self {
            Cmd::Schedule => JobState::Scheduled,
            Cmd::Unschedule => JobState::Queued,
            Cmd::Start => JobState::Printing,
            Cmd::Complete => JobState::Done,
            Cmd::Fail => JobState::Failed,
            Cmd::Requeue => JobState::Requeued,
            Cmd::Abandon => JobState::Abandoned,
            Cmd::Cancel => JobState::Cancelled,
        }
    }

    async fn run(self, tx: &mut Tx, id: JobId, printer: PrinterId) -> StoreResult<()> {
        let now = t0();
        match self {
            Cmd::Schedule => production::schedule_job(tx, now, id, printer, now)
                .await
                .map(drop),
            Cmd::Unschedule => production::unschedule_job(tx, now, id, "").await.map(drop),
            Cmd::Start => production::start_job(tx, now, id).await.map(drop),
            Cmd::Complete => production::complete_job(tx, now, id).await.map(drop),
            Cmd::Fail => production::fail_job(tx, now, id, "test", 0).await.map(drop),
            Cmd::Requeue => production::requeue_job(tx, now, id).await.map(drop),
            Cmd::Abandon => production::abandon_job(tx, now, id, "").await.map(drop),
            Cmd::Cancel => production::cancel_job(tx, now, id, "").await.map(drop),
        }
    }
}

db_test!(store_applies_exactly_the_legal_job_transitions, |db| {
    let fx = fixture(db).await;
    let id = paid_order(db, &fx, vec![bracket(&fx, 3 * JobState::ALL.len() as i64)]).await;
    let jobs = ok!(db, |tx| production::start_production(&mut tx, at(0), id, None));
    assert_eq!(jobs.len(), JobState::ALL.len());
    let mut table = String::new();
    for (from, j) in JobState::ALL.into_iter().zip(&jobs) {
        sqlx::query("UPDATE jobs SET state = $1, printer_id = $2 WHERE id = $3")
            .bind(from.as_str())
            .bind(fx.p1.0)
            .bind(j.id.0)
            .execute(db.pool())
            .await
            .unwrap();
        let stored = job(db, j.id).await;
        let line_before = lines(db, id).await;
        table.push_str(&format!("{:<10}", from.as_str()));
        for cmd in Cmd::ALL {
            let before = counts(db).await;
            let mut tx = db.begin().await.unwrap();
            let result = cmd.run(&mut tx, j.id, fx.p2).await;
            let legal = JobState::can_transition(from, cmd.target());
            match result {
                Ok(()) => {
                    assert!(legal, "{from} -{cmd:?}-> accepted");
                    assert_eq!(
                        production::get_job(&mut tx, j.id).await.unwrap().state,
                        cmd.target()
                    );
                    tx.rollback().await.unwrap();
                    table.push_str(" X");
                }
                Err(e) => {
                    tx.commit().await.unwrap();
                    assert!(!legal, "{from} -{cmd:?}-> rejected: {e}");
                    assert!(
                        matches!(&e, StoreError::Rejected(DomainError::Production(ProductionError::IllegalTransition { job, from: f, to }))
                            if *job == j.id && *f == from && *to == cmd.target()),
                        "{from} -{cmd:?}->: {e}"
                    );
                    assert_eq!(
                        (e.code(), e.kind()),
                        ("JOB_ILLEGAL_TRANSITION", ErrorKind::Conflict)
                    );
                    assert_eq!(counts(db).await, before, "{from} -{cmd:?}-> wrote something");
                    assert_eq!(job(db, j.id).await, stored);
                    assert_eq!(lines(db, id).await, line_before);
                    table.push_str(" .");
                }
            }
        }
        table.push('\n');
    }
    // Columns: schedule unschedule start complete fail requeue abandon cancel.
    expect_test::expect![[r#"
        queued     X . . . . . . X
        scheduled  X X X . . . . X
        printing   . . . X X . . .
        done       . . . . . . . .
        failed     . . . . . X X .
        requeued   . . . . . . . .
        abandoned  . . . . . . . .
        cancelled  . . . . . . . .
    "#]]
    .assert_eq(&table);
    let e = rejected!(db, |tx| production::start_job(&mut tx, at(1), JobId(9999)));
    assert!(matches!(e, StoreError::NotFound { entity: "job", .. }));
    let e = rejected!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        jobs[0].id,
        PrinterId(999),
        at(1)
    ));
    assert!(matches!(
        e,
        StoreError::NotFound {
            entity: "printer",
            ..
        }
    ));
});

db_test!(refund_cancels_jobs_that_have_not_started, |db| {
    let fx = fixture(db).await;
    let id = paid_order(db, &fx, vec![bracket(&fx, 12)]).await;
    let jobs = ok!(db, |tx| production::start_production(&mut tx, at(0), id, None));
    let [queued, scheduled, printing, failed] = [jobs[0].id, jobs[1].id, jobs[2].id, jobs[3].id];
    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        scheduled,
        fx.p1,
        at(10)
    ));
    for j in [printing, failed] {
        ok!(db, |tx| production::schedule_job(&mut tx, at(1), j, fx.p2, at(1)));
        ok!(db, |tx| production::start_job(&mut tx, at(2), j));
    }
    ok!(db, |tx| production::fail_job(&mut tx, at(3), failed, "warped", 0));

    // Refused while a job prints; nothing changes.
    let before = counts(db).await;
    let e = rejected!(db, |tx| orders::refund(
        &mut tx,
        at(4),
        id,
        Some(fx.planner),
        "customer cancelled"
    ));
    assert!(matches!(
        e,
        StoreError::Rejected(DomainError::Order(OrderError::JobPrinting { job, .. })) if job == printing
    ));
    assert_eq!(e.code(), "ORDER_JOB_PRINTING");
    assert_eq!(counts(db).await, before);
    assert_eq!(status(db, id).await, OrderStatus::InProduction);
    // A printing job cannot be cancelled either.
    let e = rejected!(db, |tx| production::cancel_job(&mut tx, at(4), printing, "stop"));
    assert_eq!(e.code(), "JOB_ILLEGAL_TRANSITION");

    ok!(db, |tx| production::complete_job(&mut tx, at(5), printing));
    let o = ok!(db, |tx| orders::refund(
        &mut tx,
        at(6),
        id,
        Some(fx.planner),
        "customer cancelled"
    ));
    assert_eq!(o.status, OrderStatus::Refunded);
    let states: Vec<JobState> = {
        let mut conn = db.pool().acquire().await.unwrap();
        let js = production::list_jobs(
            &mut conn,
            &JobFilter {
                order_id: Some(id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        js.iter().map(|j| j.state).collect()
    };
    assert_eq!(
        states,
        [
            JobState::Cancelled,
            JobState::Cancelled,
            JobState::Done,
            JobState::Abandoned
        ]
    );
    assert_eq!(
        events(db, queued).await.lines().last(),
        Some("queued -> cancelled at +6m: \"order refunded\"")
    );
    assert_eq!(
        events(db, failed).await.lines().last(),
        Some("failed -> abandoned at +6m: \"order refunded\"")
    );
    assert_eq!(lines(db, id).await[0].printed_count, 3);
});

db_test!(lists_jobs_by_state_order_and_printer, |db| {
    let fx = fixture(db).await;
    let a = paid_order(db, &fx, vec![bracket(&fx, 6)]).await;
    let b = paid_order(
        db,
        &fx,
        vec![NewOrderLine {
            material_id: Some(fx.pla),
            ..NewOrderLine::product(fx.vase.id, 4)
        }],
    )
    .await;
    let ja = ok!(db, |tx| production::start_production(&mut tx, at(0), a, None));
    let jb = ok!(db, |tx| production::start_production(&mut tx, at(0), b, None));
    assert_eq!((ja.len(), jb.len()), (2, 1));
    assert_eq!(jb[0].material_id, fx.pla);
    assert_eq!(fx.vase.default_material_id, fx.petg);
    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        ja[0].id,
        fx.p1,
        at(2)
    ));
    ok!(db, |tx| production::schedule_job(
        &mut tx,
        at(1),
        jb[0].id,
        fx.p2,
        at(2)
    ));
    ok!(db, |tx| production::start_job(&mut tx, at(2), jb[0].id));

    let mut conn = db.pool().acquire().await.unwrap();
    let ids = |js: Vec<Job>| js.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let f = |state, order, printer| JobFilter {
        state,
        order_id: order,
        printer_id: printer,
    };
    let cases = [
        (f(None, None, None), vec![ja[0].id, ja[1].id, jb[0].id]),
        (f(Some(JobState::Queued), None, None), vec![ja[1].id]),
        (f(Some(JobState::Scheduled), None, None), vec![ja[0].id]),
        (f(Some(JobState::Printing), None, None), vec![jb[0].id]),
        (f(None, Some(a), None), vec![ja[0].id, ja[1].id]),
        (f(None, None, Some(fx.p2)), vec![jb[0].id]),
        (f(Some(JobState::Scheduled), None, Some(fx.p1)), vec![ja[0].id]),
        (f(Some(JobState::Printing), Some(a), None), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(production::list_jobs(&mut conn, &filter).await.unwrap()),
            expected,
            "{filter:?}"
        );
    }
    assert!(matches!(
        production::get_job(&mut conn, JobId(999)).await.unwrap_err(),
        StoreError::NotFound { entity: "job", .. }
    ));
});
