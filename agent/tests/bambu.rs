//! The Bambu Lab backend through the real Mosquitto broker (TLS with a certificate made by
//! `openssl` here, a password file made by `mosquitto_passwd`: user `bblp` with the access code),
//! with `fixtures/bambu/printer.py` as the printer: an emulator speaking the documented report
//! and request formats over MQTT (paho-mqtt, `$HOME/.cache/gantry-bambu`) and taking uploads over
//! implicit FTPS. Upload, start, progress to the end, pause / resume / stop, a printer error, the
//! broker going away mid-print, a wrong access code, a certificate that does not match, and a
//! server on the MQTT port that answers garbage or stalls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::bambu::*;
use common::*;
use gantry_agent::backends::bambu::{Bambu, BambuConfig};
use gantry_agent::driver::Driver;
use gantry_protocol::{AgentMessage, AgentState, ServerMessage};

fn driver(cfg: BambuConfig, server: &str) -> Driver<Bambu> {
    test_driver(Bambu::new(cfg, server, TOKEN).unwrap(), "bambu-test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_on_an_emulated_bambu_printer_through_real_mosquitto() {
    let mut farm = Farm::start().await;
    let (server, _) = gcode_server().await;
    let url = "/jobs/gcode";
    let clock = Instant::now();
    let now = || clock.elapsed().as_millis() as u64;

    let mut d = driver(farm.config(), &server);
    tick_while(&mut d, clock, Duration::from_secs(30), |d| {
        d.state() == AgentState::Idle
    })
    .await;

    // A wrong access code, and a certificate that is not the printer's: printer-level errors.
    let mut wrong = farm.config();
    wrong.access_code = "00000000".into();
    let mut bad = driver(wrong, &server);
    refuses_while_in_error(&mut bad, clock, url, "access code", Duration::from_secs(10)).await;
    let mut other = farm.config();
    other.tls_fingerprint = Some("00".repeat(32));
    let mut mitm = driver(other, &server);
    tick_while(&mut mitm, clock, Duration::from_secs(10), |d| {
        error_says(d, "certificate mismatch")
    })
    .await;
    // Something on the MQTT port that is not a printer (answers garbage) and one that stalls.
    for (base, name) in [
        (garbage_server().await, "bambu-garbage"),
        (stalling_server().await, "bambu-stall"),
    ] {
        let mut c = farm.config();
        c.mqtt_port = base.rsplit(':').next().unwrap().parse().unwrap();
        c.timeout = Duration::from_secs(1);
        let mut d = test_driver(Bambu::new(c, &server, TOKEN).unwrap(), name);
        refuses_while_in_error(&mut d, clock, url, "", Duration::from_secs(15)).await;
    }

    // Job 3: uploaded over FTPS, started, printed to the end.
    assert_eq!(
        assign(&mut d, 3, Some(url), now()).await,
        vec![AgentMessage::JobAccepted { job: 3 }]
    );
    let uploaded: Vec<_> = std::fs::read_dir(farm.dir.join("sdcard"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gantry-job-3-"))
        .collect();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(std::fs::read(uploaded[0].path()).unwrap(), GCODE);
    let msgs = tick_until(&mut d, clock, Duration::from_secs(40), ended).await;
    assert_eq!(
        msgs.first(),
        Some(&AgentMessage::JobStarted { job: 3 }),
        "{msgs:?}"
    );
    assert!(msgs.contains(&AgentMessage::JobCompleted { job: 3 }), "{msgs:?}");
    let steps = progress(&msgs);
    assert!(
        steps.len() >= 3 && steps.windows(2).all(|w| w[0] < w[1]),
        "{steps:?}"
    );
    let (_, status) = d.status();
    assert!(
        status.contains("nozzle_c") && status.contains("bed_c"),
        "{status}"
    );
    // The readings beside the temperatures: targets (off after the print), layers.
    assert!(
        status.contains(r#""nozzle_target_c":0.0"#)
            && status.contains(r#""layer":20"#)
            && status.contains(r#""total_layers":20"#),
        "{status}"
    );

    // Job 4: pause, resume, stop.
    assign_and_start(&mut d, clock, 4, url, Duration::from_secs(20), true).await;
    control(&mut d, clock, ServerMessage::Pause { job: 4 }).await;
    reach(&mut d, clock, AgentState::Paused).await;
    control(&mut d, clock, ServerMessage::Resume { job: 4 }).await;
    reach(&mut d, clock, AgentState::Printing).await;
    control(&mut d, clock, ServerMessage::Cancel { job: 4 }).await;
    cleared_without_an_end(&mut d, clock, Duration::from_secs(5)).await;

    // Job 5: the broker goes away mid-print and comes back; the job goes on to its end, once.
    assert_eq!(
        assign(&mut d, 5, Some(url), now()).await,
        vec![AgentMessage::JobAccepted { job: 5 }]
    );
    // (JobStarted comes as soon as the upload is taken; progress shows the printer runs it.)
    let mut seen = tick_until(&mut d, clock, Duration::from_secs(20), |m| {
        !progress(m).is_empty()
    })
    .await;
    farm.stop_broker();
    seen.extend(
        tick_while(&mut d, clock, Duration::from_secs(10), |d| {
            d.state() == AgentState::Error
        })
        .await,
    );
    assert_eq!(d.current_job(), Some(5));
    farm.start_broker().await;
    seen.extend(tick_until(&mut d, clock, Duration::from_secs(60), ended).await);
    assert!(seen.contains(&AgentMessage::JobCompleted { job: 5 }), "{seen:?}");

    // Job 6: the printer stops with an error: the job fails with the printer's code.
    assign_and_start(&mut d, clock, 6, url, Duration::from_secs(20), true).await;
    std::fs::write(farm.dir.join("halt"), b"").unwrap();
    let msgs = tick_until(&mut d, clock, Duration::from_secs(20), ended).await;
    assert!(
        msgs.iter().any(
            |m| matches!(m, AgentMessage::JobFailed { job: 6, reason, .. } if reason.contains("0300400C"))
        ),
        "{msgs:?}"
    );
}
