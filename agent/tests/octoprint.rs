//! The OctoPrint backend against a real OctoPrint (PyPI `octoprint`, its built-in virtual
//! printer) started by the test: upload + print of a small real G-code file to the end, then
//! pause / resume / cancel of a second print, the refusals (no G-code, download refused), and
//! printer-level errors for a wrong API key, a server answering garbage and one that stalls.
//!
//! OctoPrint is looked up in `$GANTRY_OCTOPRINT_BIN`, else `$HOME/.cache/gantry-octoprint/bin/
//! octoprint` (scripts/test.sh creates that virtualenv). Missing, the test fails and says how to
//! install it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::octoprint::*;
use common::*;
use gantry_agent::driver::Driver;
use gantry_agent::octoprint::OctoPrint;
use gantry_protocol::{AgentMessage, AgentState, ServerMessage};

fn driver(octo: &str, server: &str, token: &str) -> Driver<OctoPrint> {
    let backend = OctoPrint::new(octo, API_KEY, server, token, Some("PLA-BLK".into())).unwrap();
    test_driver(backend, "octo-test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_on_octoprints_virtual_printer_and_maps_pause_resume_cancel() {
    let http = reqwest::Client::new();
    let octo = start_octoprint(&http).await;
    let (server, served) = gcode_server().await;
    let url = "/jobs/gcode";
    let clock = Instant::now();
    let now = || clock.elapsed().as_millis() as u64;

    // A wrong API key (OctoPrint serves status to anonymous callers, so it shows at the
    // first job: refused with the reason), something that is not OctoPrint and an OctoPrint
    // that stalls (printer-level errors, jobs refused); nothing crashes.
    let mut bad = test_driver(
        OctoPrint::new(&octo.base, &"0".repeat(32), &server, TOKEN, None).unwrap(),
        "octo-bad-key",
    );
    tick_while(&mut bad, clock, Duration::from_secs(10), |d| {
        d.state() == AgentState::Idle || error_says(d, "refused the API key")
    })
    .await;
    let msgs = assign(&mut bad, 1, Some(url), now()).await;
    assert_rejected(&msgs, 1, "refused the API key");
    let garbage = garbage_server().await;
    let mut g = test_driver(
        OctoPrint::new(&garbage, API_KEY, &server, TOKEN, None).unwrap(),
        "octo-garbage",
    );
    refuses_while_in_error(&mut g, clock, url, "OctoPrint", Duration::from_secs(10)).await;
    let stall = stalling_server().await;
    let one_second = Duration::from_secs(1);
    let mut s = test_driver(
        OctoPrint::with_timeout(&stall, API_KEY, &server, TOKEN, None, one_second).unwrap(),
        "octo-stall",
    );
    refuses_while_in_error(&mut s, clock, url, "OctoPrint", Duration::from_secs(10)).await;

    // No G-code for the job: refused, nothing uploaded.
    let mut d = driver(&octo.base, &server, TOKEN);
    assert_eq!(
        assign(&mut d, 1, None, now()).await,
        vec![AgentMessage::JobRejected {
            job: 1,
            reason: "no G-code for this job".into()
        }]
    );
    // The server refuses the download (wrong printer token): refused too.
    let mut wrong = driver(&octo.base, &server, "gtp_someone_else");
    let msgs = assign(&mut wrong, 2, Some(url), now()).await;
    assert_rejected(&msgs, 2, "401");
    // The token is never sent to a host other than the Gantry server: an absolute URL
    // elsewhere is downloaded without it (refused here).
    let mut elsewhere = driver(&octo.base, "http://127.0.0.1:1", TOKEN);
    let msgs = assign(&mut elsewhere, 2, Some(&format!("{server}{url}")), now()).await;
    assert_rejected(&msgs, 2, "401");
    // The wrong-key printer may have fetched job 1's G-code before OctoPrint refused it.
    let fetched = served.load(Ordering::SeqCst);

    // Job 3 prints to the end on the virtual printer.
    assert_eq!(
        assign(&mut d, 3, Some(url), now()).await,
        vec![AgentMessage::JobAccepted { job: 3 }]
    );
    assert_eq!(served.load(Ordering::SeqCst), fetched + 1);
    let msgs = tick_until(&mut d, clock, Duration::from_secs(120), |m| {
        m.iter().any(|m| {
            matches!(
                m,
                AgentMessage::JobCompleted { .. } | AgentMessage::JobFailed { .. }
            )
        })
    })
    .await;
    assert_eq!(
        msgs.first(),
        Some(&AgentMessage::JobStarted { job: 3 }),
        "{msgs:?}"
    );
    assert!(msgs.contains(&AgentMessage::JobCompleted { job: 3 }), "{msgs:?}");
    let progress: Vec<i64> = msgs
        .iter()
        .filter_map(|m| match m {
            AgentMessage::JobProgress { progress_pct, .. } => Some(*progress_pct),
            _ => None,
        })
        .collect();
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
    // The file is on OctoPrint, printed once.
    let files = octo_get(&http, &octo.base, "/api/files/local").await;
    let ours: Vec<_> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"].as_str().unwrap_or("").starts_with("gantry-job-3-"))
        .collect();
    assert_eq!(ours.len(), 1, "{files}");
    assert_eq!(ours[0]["size"].as_u64(), Some(GCODE.len() as u64));
    assert_eq!(ours[0]["prints"]["success"].as_u64(), Some(1), "{}", ours[0]);
    // The plate is cleared right away (auto clear 0 s), temperatures come from /api/printer.
    cleared_with_temperatures(&mut d, clock).await;

    // Job 4: pause, resume, cancel.
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(4, Some(url)),
        },
        now(),
    )
    .await;
    tick_until(&mut d, clock, Duration::from_secs(30), |m| {
        m.contains(&AgentMessage::JobStarted { job: 4 })
    })
    .await;
    control(&mut d, clock, ServerMessage::Pause { job: 4 }).await;
    wait_for_state(&http, &octo.base, |s| s == "Paused", Duration::from_secs(60)).await;
    d.tick(now()).await;
    assert_eq!(d.state(), AgentState::Paused);
    drain(&mut d); // progress made before the pause took hold
    control(&mut d, clock, ServerMessage::Resume { job: 4 }).await;
    wait_for_state(
        &http,
        &octo.base,
        |s| s.starts_with("Printing"),
        Duration::from_secs(30),
    )
    .await;
    control(&mut d, clock, ServerMessage::Cancel { job: 4 }).await;
    wait_for_state(&http, &octo.base, |s| s == "Operational", Duration::from_secs(60)).await;
    let msgs = tick_until(&mut d, clock, Duration::from_secs(5), |m| {
        m.contains(&AgentMessage::BedCleared {})
    })
    .await;
    assert!(
        !msgs
            .iter()
            .any(|m| matches!(m, AgentMessage::JobCompleted { .. })),
        "{msgs:?}"
    );
    assert_eq!(served.load(Ordering::SeqCst), fetched + 2);
}
