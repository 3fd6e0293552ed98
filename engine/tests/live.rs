//! Live-farm persistence (`store::live`) on SQLite and PostgreSQL: message ids counted once,
//! status batches (progress never backwards), plans with reservations and holds, and the job
//! transitions a printer reports with their material and order consequences.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::inventory::ReservationState;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::production::{JobState, job_key};
use gantry_engine::domain::protocol::{AgentState, Temperatures};
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::store::live::{self, PlanWrite, StatusReport, testing};
use gantry_engine::store::{Db, count_rows, equipment, inventory, orders, production};

async fn job_state(db: &Db, id: JobId) -> (JobState, Option<PrinterId>, i64) {
    let mut c = db.pool().acquire().await.unwrap();
    let j = production::get_job(&mut c, id).await.unwrap();
    (j.state, j.printer_id, j.progress_pct)
}

async fn available(db: &Db, fx: &testing::Fixture) -> (i64, i64) {
    let mut c = db.pool().acquire().await.unwrap();
    let l = inventory::stock_level(&mut c, fx.material).await.unwrap();
    (l.on_hand, l.reserved)
}

async fn printer_status(db: &Db, id: PrinterId) -> PrinterStatus {
    let mut c = db.pool().acquire().await.unwrap();
    equipment::get_printer(&mut c, id).await.unwrap().status
}

db_test!(message_ids_are_applied_once_and_pruned, |db| {
    let fx = testing::farm(db, t0(), 1, 0, 1).await.unwrap();
    let p = fx.printers[0];
    let mut tx = db.begin().await.unwrap();
    assert!(
        live::record_message(&mut tx, t0(), p, "m-1", "job_started")
            .await
            .unwrap()
    );
    assert!(
        !live::record_message(&mut tx, t0(), p, "m-1", "job_started")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    // A rolled-back transaction leaves no id behind (the change and its id go together).
    let mut tx = db.begin().await.unwrap();
    assert!(
        live::record_message(&mut tx, t0(), p, "m-2", "job_completed")
            .await
            .unwrap()
    );
    drop(tx);
    let mut c = db.pool().acquire().await.unwrap();
    assert!(live::message_seen(&mut c, p, "m-1").await.unwrap());
    assert!(!live::message_seen(&mut c, p, "m-2").await.unwrap());
    drop(c);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        live::prune_messages(&mut tx, t0() + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        live::prune_messages(&mut tx, t0() + Duration::days(4))
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "agent_messages").await.unwrap(), 0);
});

db_test!(status_batches_move_progress_forward_only, |db| {
    let fx = testing::farm(db, t0(), 2, 1000, 1).await.unwrap();
    let (p1, p2) = (fx.printers[0], fx.printers[1]);
    let job = fx.jobs[0].id;
    let mut tx = db.begin().await.unwrap();
    production::schedule_job(&mut tx, t0(), job, p1, t0())
        .await
        .unwrap();
    live::start_on(&mut tx, t0(), p1, job, false).await.unwrap();
    tx.commit().await.unwrap();
    let report = |printer, pct: i64| StatusReport {
        printer_id: printer,
        state: AgentState::Printing,
        job: Some(job),
        progress_pct: Some(pct),
        temperatures: Temperatures {
            nozzle_c: Some(215.0),
            bed_c: Some(60.0),
            ..Default::default()
        },
        seconds_left: Some(600),
        readings: Some(Default::default()),
        at: t0(),
    };
    for (batch, want) in [
        (vec![report(p1, 40)], 40),
        (vec![report(p1, 30)], 40), // backwards: ignored
        (vec![report(p2, 90)], 40), // another printer: ignored
        (vec![report(p1, 55), report(p2, 10)], 55),
    ] {
        let mut tx = db.begin().await.unwrap();
        live::record_statuses(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(job_state(db, job).await.2, want);
    }
    // A single progress message (the printer actor's path) never moves it back either, nor
    // repeats it.
    for pct in [20, 55] {
        let mut tx = db.begin().await.unwrap();
        let moved = live::advance_progress(&mut tx, t0(), p1, job, pct).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!moved, "{pct}");
        assert_eq!(job_state(db, job).await.2, 55);
    }
    let mut c = db.pool().acquire().await.unwrap();
    let t = live::telemetry(&mut c, p1).await.unwrap().unwrap();
    assert_eq!(
        (
            t.reported_state.as_str(),
            t.job_id,
            t.progress_pct,
            t.nozzle_c,
            t.seconds_left
        ),
        ("printing", Some(job), Some(55), Some(215.0), Some(600))
    );
    assert!(live::telemetry(&mut c, PrinterId(9999)).await.unwrap().is_none());
});

db_test!(
    a_large_status_batch_keeps_each_printers_last_report_and_one_progress_event,
    |db| {
        // 250 printers (more than one multi-row statement holds), each reporting twice in one batch:
        // even printers a reading then a progress-only report, odd ones the other way round; the
        // printing job's progress reported twice (40 then 30).
        let fx = testing::farm(db, t0(), 250, 1000, 1).await.unwrap();
        let job = fx.jobs[0].id;
        let p0 = fx.printers[0];
        let mut tx = db.begin().await.unwrap();
        production::schedule_job(&mut tx, t0(), job, p0, t0())
            .await
            .unwrap();
        live::start_on(&mut tx, t0(), p0, job, false).await.unwrap();
        tx.commit().await.unwrap();
        let report = |printer: PrinterId, secs: i64, nozzle: f64, readings: bool| StatusReport {
            printer_id: printer,
            state: AgentState::Printing,
            job: (printer == p0).then_some(job),
            progress_pct: (printer == p0).then_some(if readings { 40 } else { 30 }),
            temperatures: Temperatures {
                nozzle_c: Some(nozzle),
                ..Default::default()
            },
            seconds_left: None,
            readings: readings.then(|| gantry_engine::domain::protocol::Readings {
                layer: Some(secs),
                ..Default::default()
            }),
            at: t0() + Duration::seconds(secs),
        };
        let mut batch = Vec::new();
        for (i, p) in fx.printers.iter().enumerate() {
            if i % 2 == 0 {
                batch.push(report(*p, 10, 200.0 + i as f64, true));
                batch.push(report(*p, 11, 0.0, false));
            } else {
                batch.push(report(*p, 9, 0.0, false));
                batch.push(report(*p, 10, 200.0 + i as f64, true));
            }
        }
        let events = count_rows(db, "events").await.unwrap();
        let mut tx = db.begin().await.unwrap();
        live::record_statuses(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = db.pool().acquire().await.unwrap();
        for (i, p) in fx.printers.iter().enumerate() {
            let t = live::telemetry(&mut c, *p).await.unwrap().unwrap();
            let seen = if i % 2 == 0 { 11 } else { 10 };
            assert_eq!(
                (t.nozzle_c, t.layer, t.readings_at, t.last_seen_at),
                (
                    Some(200.0 + i as f64),
                    Some(10),
                    Some(t0() + Duration::seconds(10)),
                    t0() + Duration::seconds(seen)
                ),
                "printer {i}"
            );
            assert_eq!(live::telemetry_samples(&mut c, *p, t0()).await.unwrap().len(), 1);
        }
        drop(c);
        assert_eq!(job_state(db, job).await.2, 40);
        assert_eq!(count_rows(db, "events").await.unwrap(), events + 1);
    }
);

db_test!(plans_reserve_material_and_hold_what_is_not_in_stock, |db| {
    // 25 g in stock, three jobs of 10 g: two fit.
    let fx = testing::farm(db, t0(), 2, 25, 3).await.unwrap();
    let (p1, p2) = (fx.printers[0], fx.printers[1]);
    let [a, b, c] = [fx.jobs[0].id, fx.jobs[1].id, fx.jobs[2].id];
    let plan = PlanWrite {
        schedule: vec![
            (a, p1, t0()),
            (b, p2, t0()),
            (c, p1, t0() + Duration::minutes(30)),
        ],
        unschedule: vec![],
        hold: vec![],
    };
    let mut tx = db.begin().await.unwrap();
    let w = live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((w.scheduled, w.unscheduled, w.held.len()), (2, 0, 1));
    assert_eq!(w.held[0].0, c);
    assert!(w.held[0].1.contains("not in stock"), "{}", w.held[0].1);
    assert_eq!(job_state(db, a).await.0, JobState::Scheduled);
    assert_eq!(job_state(db, c).await.0, JobState::Queued);
    assert_eq!(available(db, &fx).await, (25, 20));
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(live::list_holds(&mut conn).await.unwrap().len(), 1);
    let events_before = production::job_events(&mut conn, a).await.unwrap().len();
    drop(conn);

    // Re-plan: `a` stays on p1 with a new start (no new event), `b` cannot be placed (back to
    // the queue, material released), the hold is lifted and `c` fits now.
    let plan = PlanWrite {
        schedule: vec![(a, p1, t0() + Duration::minutes(5)), (c, p2, t0())],
        unschedule: vec![(b, "no eligible printer".into())],
        hold: vec![],
    };
    let mut tx = db.begin().await.unwrap();
    let w = live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((w.scheduled, w.unscheduled, w.held.len()), (2, 1, 0));
    assert_eq!(job_state(db, b).await, (JobState::Queued, None, 0));
    assert_eq!(job_state(db, c).await.0, JobState::Scheduled);
    assert_eq!(available(db, &fx).await, (25, 20));
    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(
        production::job_events(&mut conn, a).await.unwrap().len(),
        events_before
    );
    let a_job = production::get_job(&mut conn, a).await.unwrap();
    assert_eq!(a_job.planned_start, Some(t0() + Duration::minutes(5)));
    assert!(live::list_holds(&mut conn).await.unwrap().is_empty());
});

db_test!(completion_consumes_once_and_readies_the_order, |db| {
    let fx = testing::farm(db, t0(), 1, 100, 2).await.unwrap();
    let p = fx.printers[0];
    for (i, j) in fx.jobs.iter().enumerate() {
        let now = t0() + Duration::minutes(10 * i as i64);
        let mut tx = db.begin().await.unwrap();
        // Started by the agent without a plan (queued): moved to this printer first.
        let started = live::start_on(&mut tx, now, p, j.id, true).await.unwrap();
        assert_eq!((started.state, started.printer_id), (JobState::Printing, Some(p)));
        tx.commit().await.unwrap();
        assert_eq!(printer_status(db, p).await, PrinterStatus::Printing);
        let mut tx = db.begin().await.unwrap();
        let done = live::complete_on(&mut tx, now, p, j.id).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(done.job.state, JobState::Done);
        assert_eq!(printer_status(db, p).await, PrinterStatus::NeedsBedClearing);
        let mut tx = db.begin().await.unwrap();
        live::move_printer(&mut tx, now, p, PrinterStatus::Idle)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // A second completion is refused by the job state machine: nothing consumed twice.
        let mut tx = db.begin().await.unwrap();
        assert!(live::complete_on(&mut tx, now, p, j.id).await.is_err());
        drop(tx);
    }
    assert_eq!(available(db, &fx).await, (80, 0));
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(order.order.status, OrderStatus::Ready);
    assert_eq!(order.lines[0].printed_count, 2);
    let r = inventory::get_reservation(&mut c, &job_key(fx.jobs[0].id), fx.material)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.state, r.consumed_grams.get()),
        (ReservationState::Consumed, 10)
    );
    assert_eq!(
        equipment::get_printer(&mut c, p)
            .await
            .unwrap()
            .print_minutes_total,
        60
    );
});

db_test!(failures_record_partial_use_reprint_then_flag, |db| {
    let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
    let p = fx.printers[0];
    let max_reprints = 1;
    let mut job = fx.jobs[0].id;
    let mut flagged = None;
    // attempt 1 fails at 50 % (reprinted), attempt 2 fails at 20 % (limit reached: flagged).
    for (attempt, pct) in [(1, 50), (2, 20)] {
        let mut tx = db.begin().await.unwrap();
        live::start_on(&mut tx, t0(), p, job, true).await.unwrap();
        let out = live::fail_on(&mut tx, t0(), p, job, "spaghetti", Some(pct), max_reprints)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(out.used_grams, 10 * pct / 100, "attempt {attempt}");
        assert_eq!(printer_status(db, p).await, PrinterStatus::NeedsBedClearing);
        let mut tx = db.begin().await.unwrap();
        live::move_printer(&mut tx, t0(), p, PrinterStatus::Idle)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        flagged = out.flagged.clone();
        match out.failure.reprint {
            Some(r) => {
                assert_eq!((attempt, r.attempt), (1, 2));
                job = r.id;
            }
            None => assert_eq!(attempt, 2),
        }
    }
    // 5 g + 2 g consumed, the rest released.
    assert_eq!(available(db, &fx).await, (93, 0));
    let mut c = db.pool().acquire().await.unwrap();
    let flag = live::order_flag(&mut c, fx.order).await.unwrap().unwrap();
    assert_eq!(Some(flag.0.clone()), flagged);
    assert!(flag.0.contains("reprint limit of 1"), "{}", flag.0);
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(
        (order.order.status, order.lines[0].failed_count),
        (OrderStatus::InProduction, 2)
    );
});

db_test!(
    printer_moves_along_legal_paths_and_rejects_go_back_to_the_queue,
    |db| {
        let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
        let p = fx.printers[0];
        let job = fx.jobs[0].id;
        let mut tx = db.begin().await.unwrap();
        live::move_printer(&mut tx, t0(), p, PrinterStatus::Paused)
            .await
            .unwrap();
        live::mark_offline(&mut tx, t0(), p).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(printer_status(db, p).await, PrinterStatus::Offline);
        let plan = PlanWrite {
            schedule: vec![(job, p, t0())],
            ..PlanWrite::default()
        };
        let mut tx = db.begin().await.unwrap();
        live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
        live::reject_on(&mut tx, t0(), p, job, "wrong nozzle")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(job_state(db, job).await, (JobState::Queued, None, 0));
        assert_eq!(available(db, &fx).await, (100, 0));
    }
);

db_test!(
    hand_overs_survive_until_the_job_starts_is_rejected_or_the_printer_asks_again,
    |db| {
        let fx = testing::farm(db, t0(), 2, 100, 3).await.unwrap();
        let (p1, p2) = (fx.printers[0], fx.printers[1]);
        let (a, b, c) = (fx.jobs[0].id, fx.jobs[1].id, fx.jobs[2].id);
        let plan = PlanWrite {
            schedule: vec![(a, p1, t0()), (b, p1, t0()), (c, p2, t0())],
            ..PlanWrite::default()
        };
        let mut tx = db.begin().await.unwrap();
        live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
        live::hand_over(&mut tx, t0(), p1, a).await.unwrap();
        live::hand_over(&mut tx, t0(), p2, c).await.unwrap();
        tx.commit().await.unwrap();
        let handed = |db: &Db| {
            let db = db.clone();
            async move {
                let mut conn = db.pool().acquire().await.unwrap();
                live::handovers(&mut conn)
                    .await
                    .unwrap()
                    .into_iter()
                    .collect::<Vec<_>>()
            }
        };
        // What a restarted server reads back.
        assert_eq!(handed(db).await, vec![(a, p1), (c, p2)]);
        // A plan computed before the hand-over moves `a` to the other printer, or takes it off
        // the plan: `a` stays scheduled on p1, still handed to it.
        let moved = PlanWrite {
            schedule: vec![(a, p2, t0())],
            ..PlanWrite::default()
        };
        let dropped = PlanWrite {
            unschedule: vec![(a, "no printer".into())],
            hold: vec![(a, "no stock".into())],
            ..PlanWrite::default()
        };
        for plan in [moved, dropped] {
            let mut tx = db.begin().await.unwrap();
            let w = live::persist_plan(&mut tx, t0(), &plan).await.unwrap();
            tx.commit().await.unwrap();
            assert!(w.held.is_empty(), "{w:?}");
            assert_eq!(handed(db).await, vec![(a, p1), (c, p2)]);
            assert_eq!(job_state(db, a).await, (JobState::Scheduled, Some(p1), 0));
        }
        // A printer handed a new job holds only that one.
        let mut tx = db.begin().await.unwrap();
        live::hand_over(&mut tx, t0(), p1, b).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(handed(db).await, vec![(b, p1), (c, p2)]);
        // Started (by whoever prints it): no longer handed. Rejected: likewise.
        let mut tx = db.begin().await.unwrap();
        live::start_on(&mut tx, t0(), p1, b, false).await.unwrap();
        live::reject_on(&mut tx, t0(), p2, c, "no G-code").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(handed(db).await, vec![]);
        // The refusal is remembered for the plan (job c, printer p2).
        let mut conn = db.pool().acquire().await.unwrap();
        assert_eq!(
            live::rejections(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![(c, vec![(p2, "no G-code".to_string())])]
        );
        drop(conn);
        // Its agent connecting again (a new hello) forgets the refusal, and asks for a re-plan.
        let mut tx = db.begin().await.unwrap();
        let hello = live::HelloReport {
            agent: "sim/1",
            state: AgentState::Idle,
            capabilities: &[],
            loaded_material: None,
        };
        assert!(live::record_hello(&mut tx, t0(), p2, &hello).await.unwrap());
        assert!(!live::record_hello(&mut tx, t0(), p2, &hello).await.unwrap());
        tx.commit().await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        assert!(live::rejections(&mut conn).await.unwrap().is_empty());
        drop(conn);
        // A printer asking for work holds nothing it was handed.
        let mut tx = db.begin().await.unwrap();
        live::hand_over(&mut tx, t0(), p2, a).await.unwrap();
        assert_eq!(live::release_handovers(&mut tx, p2).await.unwrap(), 1);
        assert_eq!(live::release_handovers(&mut tx, p2).await.unwrap(), 0);
        tx.commit().await.unwrap();
        assert_eq!(handed(db).await, vec![]);
        assert_eq!(count_rows(db, "job_handovers").await.unwrap(), 0);
        // The printer that starts a job keeps it, even when the job was read as scheduled on it
        // and a plan committed in between moved it (`a`, no longer handed out, to p2).
        let mut tx = db.begin().await.unwrap();
        let moved = PlanWrite {
            schedule: vec![(a, p2, t0())],
            ..PlanWrite::default()
        };
        live::persist_plan(&mut tx, t0(), &moved).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(job_state(db, a).await, (JobState::Scheduled, Some(p2), 0));
        let mut tx = db.begin().await.unwrap();
        live::start_on(&mut tx, t0(), p1, a, false).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(job_state(db, a).await, (JobState::Printing, Some(p1), 0));
    }
);
