//! The fleet's telemetry and snapshots in `store::live` on SQLite and PostgreSQL: readings
//! beyond temperatures, a progress-only report keeping them, samples at most every
//! `TELEMETRY_SAMPLE_SECS` and pruned after the retention, what changed since a time, and the
//! snapshots kept for a job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::t0;
use gantry_engine::db_test;
use gantry_engine::domain::live::{TELEMETRY_RETENTION_HOURS, TELEMETRY_SAMPLE_SECS};
use gantry_engine::domain::protocol::{AgentState, Readings, Temperatures};
use gantry_engine::domain::types::PrinterId;
use gantry_engine::store::count_rows;
use gantry_engine::store::live::{self, StatusReport, testing};

fn report(printer: PrinterId, secs: i64, nozzle: f64, readings: Option<Readings>) -> StatusReport {
    StatusReport {
        printer_id: printer,
        state: AgentState::Idle,
        job: None,
        progress_pct: None,
        temperatures: Temperatures {
            nozzle_c: Some(nozzle),
            nozzle_target_c: Some(215.0),
            bed_c: Some(60.04),
            bed_target_c: Some(60.0),
        },
        seconds_left: None,
        readings,
        at: t0() + Duration::seconds(secs),
    }
}

db_test!(readings_samples_and_pruning, |db| {
    let fx = testing::farm(db, t0(), 2, 1000, 1).await.unwrap();
    let (p1, p2) = (fx.printers[0], fx.printers[1]);
    let readings = Readings {
        layer: Some(12),
        total_layers: Some(140),
        filament_runout: Some(true),
        printer_error: Some("Filament runout".into()),
    };
    // Reports every 2 s for a minute on p1: samples every TELEMETRY_SAMPLE_SECS only.
    for s in (0..60).step_by(2) {
        let mut tx = db.begin().await.unwrap();
        live::record_statuses(
            &mut tx,
            &[report(p1, s, 200.0 + s as f64, Some(readings.clone()))],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut c = db.pool().acquire().await.unwrap();
    let t = live::telemetry(&mut c, p1).await.unwrap().unwrap();
    assert_eq!(
        (t.nozzle_c, t.nozzle_target_c, t.bed_c, t.bed_target_c),
        (Some(258.0), Some(215.0), Some(60.0), Some(60.0))
    );
    assert_eq!(
        (
            t.layer,
            t.total_layers,
            t.filament_runout,
            t.printer_error.as_deref()
        ),
        (Some(12), Some(140), Some(true), Some("Filament runout"))
    );
    assert_eq!(t.readings_at, Some(t0() + Duration::seconds(58)));
    let samples = live::telemetry_samples(&mut c, p1, t0()).await.unwrap();
    let expect = (60 + TELEMETRY_SAMPLE_SECS - 1) / TELEMETRY_SAMPLE_SECS;
    assert!(
        samples.len() as i64 >= expect - 1 && samples.len() as i64 <= expect,
        "{} samples, expected about {expect}",
        samples.len()
    );
    assert!(
        samples
            .windows(2)
            .all(|w| w[1].at - w[0].at > Duration::seconds(TELEMETRY_SAMPLE_SECS - 1))
    );
    assert_eq!(samples[0].nozzle_c, Some(200.0));
    assert_eq!(samples[0].layer, Some(12));
    // Nothing of p2 yet; what changed after 30 s is p1's row only.
    assert!(
        live::telemetry_samples(&mut c, p2, t0())
            .await
            .unwrap()
            .is_empty()
    );
    let changed = live::telemetry_changed(&mut c, t0() + Duration::seconds(30), None)
        .await
        .unwrap();
    assert_eq!(changed.iter().map(|t| t.printer_id).collect::<Vec<_>>(), [p1]);
    assert!(
        live::telemetry_changed(&mut c, t0() + Duration::seconds(58), Some(p1))
            .await
            .unwrap()
            .is_empty()
    );
    drop(c);
    // A progress-only report (job_progress) keeps the last readings.
    let mut tx = db.begin().await.unwrap();
    live::record_statuses(&mut tx, &[report(p1, 61, 0.0, None)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let t = live::telemetry(&mut c, p1).await.unwrap().unwrap();
    assert_eq!((t.nozzle_c, t.layer), (Some(258.0), Some(12)));
    assert_eq!(t.last_seen_at, t0() + Duration::seconds(61));
    // A full report without readings clears them (the printer no longer says).
    drop(c);
    let mut tx = db.begin().await.unwrap();
    live::record_statuses(&mut tx, &[report(p1, 62, 30.0, Some(Readings::default()))])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let t = live::telemetry(&mut c, p1).await.unwrap().unwrap();
    assert_eq!((t.layer, t.filament_runout, t.printer_error), (None, None, None));
    drop(c);
    // Pruning keeps the retention.
    let before = count_rows(db, "printer_telemetry_samples").await.unwrap();
    assert!(before > 0);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        live::prune_samples(&mut tx, t0() + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        live::prune_samples(
            &mut tx,
            t0() + Duration::hours(TELEMETRY_RETENTION_HOURS) + Duration::minutes(2)
        )
        .await
        .unwrap() as i64,
        before
    );
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "printer_telemetry_samples").await.unwrap(), 0);
});

db_test!(snapshots_of_printers_and_jobs, |db| {
    let fx = testing::farm(db, t0(), 1, 1000, 1).await.unwrap();
    let p = fx.printers[0];
    let job = fx.jobs[0].id;
    // A camera before any hello: the telemetry row is made.
    let mut tx = db.begin().await.unwrap();
    live::record_snapshot(&mut tx, p, t0()).await.unwrap();
    live::add_job_snapshot(&mut tx, job, p, "start", "snapshots/jobs/1/start-a.jpg", t0())
        .await
        .unwrap();
    live::add_job_snapshot(
        &mut tx,
        job,
        p,
        "end",
        "snapshots/jobs/1/end-b.jpg",
        t0() + Duration::minutes(30),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    live::record_snapshot(&mut tx, p, t0() + Duration::seconds(5))
        .await
        .unwrap();
    // A moment outside start/end/failed is refused by the schema.
    assert!(
        live::add_job_snapshot(&mut tx, job, p, "middle", "k", t0())
            .await
            .is_err()
    );
    drop(tx);
    let mut c = db.pool().acquire().await.unwrap();
    let t = live::telemetry(&mut c, p).await.unwrap().unwrap();
    assert_eq!(t.snapshot_at, Some(t0()));
    let snaps = live::job_snapshots(&mut c, job).await.unwrap();
    assert_eq!(
        snaps.iter().map(|s| s.moment.as_str()).collect::<Vec<_>>(),
        ["start", "end"]
    );
    let one = live::job_snapshot(&mut c, snaps[1].id).await.unwrap().unwrap();
    assert_eq!(one.object_key, "snapshots/jobs/1/end-b.jpg");
    assert!(live::job_snapshot(&mut c, 999_999).await.unwrap().is_none());
    assert_eq!(
        live::latest_snapshot_key(p),
        format!("snapshots/printers/{}/latest.jpg", p.0)
    );
});
