//! Shared by the backend tests: a stand-in for the Gantry server's G-code endpoint, the
//! assignment of a job, and driving a [`Driver`] on real time.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bambu;
pub mod klipper;
pub mod octoprint;
pub mod prusalink;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gantry_agent::backend::PrinterBackend;
use gantry_agent::driver::Driver;
use gantry_protocol::{AgentMessage, JobAssignment};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = "gtp_backend_test_token";
pub const GCODE: &[u8] = include_bytes!("../fixtures/square-20mm.gcode");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(stem: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("gantry-{stem}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A program from a virtualenv in `$HOME/.cache` (scripts/test.sh makes them), or `$var`.
pub fn venv_bin(var: &str, venv: &str, bin: &str, install: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache")
            .join(venv)
            .join("bin")
            .join(bin)
    });
    assert!(
        path.exists(),
        "{bin} not found at {} — install it with `python3 -m venv ~/.cache/{venv} && \
         ~/.cache/{venv}/bin/pip install {install}` (scripts/test.sh does this) or set {var}",
        path.display()
    );
    path
}

/// Serves `body` to requests carrying `Authorization: Bearer TOKEN` (401 otherwise); returns
/// its base URL (G-code at `/jobs/gcode`) and the number of successful downloads.
pub async fn gcode_server_with(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let body: Arc<[u8]> = body.into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                let authorised =
                    head.contains(&format!("authorization: bearer {}", TOKEN.to_ascii_lowercase()));
                let resp = if authorised {
                    count.fetch_add(1, Ordering::SeqCst);
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/x-gcode\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(&body);
                    r
                } else {
                    b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
                };
                let _ = sock.write_all(&resp).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, served)
}

pub async fn gcode_server() -> (String, Arc<AtomicUsize>) {
    gcode_server_with(GCODE.to_vec()).await
}

pub fn assignment(job: i64, gcode_url: Option<&str>) -> JobAssignment {
    JobAssignment {
        job,
        order_id: 1,
        material: "PLA-BLK".into(),
        copies: 1,
        est_minutes: 1,
        grams: 3,
        gcode_url: gcode_url.map(str::to_string),
    }
}

/// The messages waiting in the outbox, acknowledged.
pub fn drain<B: PrinterBackend>(d: &mut Driver<B>) -> Vec<AgentMessage> {
    let msgs = d.outbox.pending_messages();
    for id in d.outbox.pending_ids() {
        d.outbox.ack(&id);
    }
    msgs
}

/// Ticks the driver every `pause` (real time) until `stop` holds for it and the messages
/// produced so far; fails after `within`.
async fn tick_loop<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    within: Duration,
    pause: Duration,
    stop: impl Fn(&Driver<B>, &[AgentMessage]) -> bool,
) -> Vec<AgentMessage> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        d.tick(clock.elapsed().as_millis() as u64).await;
        seen.extend(drain(d));
        if stop(d, &seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting; state {:?} ({:?}), messages so far: {seen:?}",
            d.state(),
            d.backend_error()
        );
        tokio::time::sleep(pause).await;
    }
}

/// Ticks the driver (every 300 ms, real time) until `done` holds for the messages produced.
pub async fn tick_until<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    within: Duration,
    done: impl Fn(&[AgentMessage]) -> bool,
) -> Vec<AgentMessage> {
    tick_loop(d, clock, within, Duration::from_millis(300), |_, m| done(m)).await
}

/// Ticks until `ok` holds for the driver itself (its state, its backend).
pub async fn tick_while<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    within: Duration,
    ok: impl Fn(&Driver<B>) -> bool,
) -> Vec<AgentMessage> {
    tick_loop(d, clock, within, Duration::from_millis(200), |d, _| ok(d)).await
}

/// Whether the messages hold the end of a job (completed or failed).
pub fn ended(m: &[AgentMessage]) -> bool {
    m.iter().any(|m| {
        matches!(
            m,
            AgentMessage::JobCompleted { .. }
                | AgentMessage::JobFailed { .. }
                | AgentMessage::Cancelled { .. }
        )
    })
}

/// The progress values reported, in order.
pub fn progress(m: &[AgentMessage]) -> Vec<i64> {
    m.iter()
        .filter_map(|m| match m {
            AgentMessage::JobProgress { progress_pct, .. } => Some(*progress_pct),
            _ => None,
        })
        .collect()
}

/// A driver of `backend` as the backend tests run it: beds count as cleared at once, progress
/// is reported every 10 %, the outbox is in memory under `name`.
pub fn test_driver<B: PrinterBackend>(backend: B, name: &str) -> gantry_agent::driver::Driver<B> {
    Driver::new(
        backend,
        gantry_agent::driver::DriverConfig {
            auto_clear_ms: Some(0),
            progress_step: 10,
            poll_ms: None,
        },
        gantry_agent::outbox::Outbox::new(name),
    )
}

/// Whether the printer is in error for a reason that says `what`.
pub fn error_says<B: PrinterBackend>(d: &Driver<B>, what: &str) -> bool {
    d.state() == gantry_protocol::AgentState::Error && d.backend_error().is_some_and(|e| e.contains(what))
}

/// Hands `job` (G-code at `url`) to the driver at `now` ms and returns what it answered.
pub async fn assign<B: PrinterBackend>(
    d: &mut Driver<B>,
    job: i64,
    url: Option<&str>,
    now: u64,
) -> Vec<AgentMessage> {
    d.handle(
        gantry_protocol::ServerMessage::AssignJob {
            assignment: assignment(job, url),
        },
        now,
    )
    .await;
    drain(d)
}

/// Waits until the driver is idle, hands it `job` and waits (up to `within`) for the job to
/// start (`job_started`, or with `progress` its first progress: a printer that reports
/// started before it really prints); the messages seen while it started.
pub async fn assign_and_start<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    job: i64,
    url: &str,
    within: Duration,
    progress_first: bool,
) -> Vec<AgentMessage> {
    tick_while(d, clock, Duration::from_secs(20), |d| {
        d.state() == gantry_protocol::AgentState::Idle
    })
    .await;
    let now = clock.elapsed().as_millis() as u64;
    assert_eq!(
        assign(d, job, Some(url), now).await,
        vec![AgentMessage::JobAccepted { job }]
    );
    tick_until(d, clock, within, |m| {
        if progress_first {
            !progress(m).is_empty()
        } else {
            m.contains(&AgentMessage::JobStarted { job })
        }
    })
    .await
}

/// Sends a pause, resume or cancel of `job` and checks the driver confirms it at once.
pub async fn control<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    msg: gantry_protocol::ServerMessage,
) {
    let expected = match &msg {
        gantry_protocol::ServerMessage::Pause { job } => AgentMessage::Paused { job: *job },
        gantry_protocol::ServerMessage::Resume { job } => AgentMessage::Resumed { job: *job },
        gantry_protocol::ServerMessage::Cancel { job } => AgentMessage::Cancelled { job: *job },
        other => panic!("not a job control: {other:?}"),
    };
    d.handle(msg, clock.elapsed().as_millis() as u64).await;
    assert_eq!(drain(d), vec![expected]);
}

/// After a cancel: ticks until the bed is cleared and checks the job neither completed nor
/// failed.
pub async fn cleared_without_an_end<B: PrinterBackend>(d: &mut Driver<B>, clock: Instant, within: Duration) {
    let msgs = tick_until(d, clock, within, |m| m.contains(&AgentMessage::BedCleared {})).await;
    assert!(
        !msgs.iter().any(|m| matches!(
            m,
            AgentMessage::JobCompleted { .. } | AgentMessage::JobFailed { .. }
        )),
        "{msgs:?}"
    );
}

/// Checks the messages are exactly the refusal of `job` for a reason that says `what`.
pub fn assert_rejected(msgs: &[AgentMessage], job: i64, what: &str) {
    assert!(
        matches!(msgs, [AgentMessage::JobRejected { job: j, reason }] if *j == job && reason.contains(what)),
        "expected job {job} refused for {what:?}: {msgs:?}"
    );
}

/// Ticks until the printer is in error for a reason that says `what`, then checks that a job
/// handed to it is refused for that reason (a printer-level error, the agent still running).
pub async fn refuses_while_in_error<B: PrinterBackend>(
    d: &mut Driver<B>,
    clock: Instant,
    url: &str,
    what: &str,
    within: Duration,
) {
    tick_while(d, clock, within, |d| error_says(d, what)).await;
    let msgs = assign(d, 1, Some(url), clock.elapsed().as_millis() as u64).await;
    assert_rejected(&msgs, 1, what);
}

/// Ticks (up to 5 s) until the driver is in `state`.
pub async fn reach<B: PrinterBackend>(d: &mut Driver<B>, clock: Instant, state: gantry_protocol::AgentState) {
    tick_while(d, clock, Duration::from_secs(5), |d| d.state() == state).await;
}

/// After a finished print: the plate is cleared at once (auto clear 0 s), the driver is idle
/// and its status carries the printer's temperatures.
pub async fn cleared_with_temperatures<B: PrinterBackend>(d: &mut Driver<B>, clock: Instant) {
    let msgs = tick_until(d, clock, Duration::from_secs(5), |m| {
        m.contains(&AgentMessage::BedCleared {})
    })
    .await;
    assert_eq!(msgs, vec![AgentMessage::BedCleared {}]);
    assert_eq!(d.state(), gantry_protocol::AgentState::Idle);
    let (_, status) = d.status();
    assert!(
        status.contains("nozzle_c") && status.contains("bed_c"),
        "{status}"
    );
}

/// A loopback HTTP server that answers every request with `200 OK` and a body that is no
/// printer's API (`hello`); its base URL.
pub async fn garbage_server() -> String {
    let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", garbage.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = garbage.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                .await;
        }
    });
    url
}

/// A loopback server that accepts connections and never answers; its base URL.
pub async fn stalling_server() -> String {
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", stall.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = stall.accept().await {
            held.push(s);
        }
    });
    url
}
