//! The OctoPrint backend against a real OctoPrint (PyPI `octoprint`, its built-in virtual
//! printer) started by the test: upload + print of a small real G-code file to the end, then
//! pause / resume / cancel of a second print, and the refusals (no G-code, download refused).
//!
//! OctoPrint is looked up in `$GANTRY_OCTOPRINT_BIN`, else `$HOME/.cache/gantry-octoprint/bin/
//! octoprint` (scripts/test.sh creates that virtualenv). Missing, the test fails and says how to
//! install it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gantry_agent::driver::{Driver, DriverConfig};
use gantry_agent::octoprint::OctoPrint;
use gantry_agent::outbox::Outbox;
use gantry_protocol::{AgentMessage, AgentState, JobAssignment, ServerMessage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const API_KEY: &str = "0123456789ABCDEF0123456789ABCDEF";
const TOKEN: &str = "gtp_octoprint_test_token";
const GCODE: &[u8] = include_bytes!("fixtures/square-20mm.gcode");

fn octoprint_bin() -> PathBuf {
    let bin = std::env::var_os("GANTRY_OCTOPRINT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/gantry-octoprint/bin/octoprint")
        });
    assert!(
        bin.exists(),
        "OctoPrint not found at {} — install it with \
         `python3 -m venv ~/.cache/gantry-octoprint && ~/.cache/gantry-octoprint/bin/pip install octoprint` \
         (scripts/test.sh does this) or set GANTRY_OCTOPRINT_BIN",
        bin.display()
    );
    bin
}

/// A running OctoPrint, killed on drop.
struct OctoServer {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Drop for OctoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn octoprint(bin: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .arg("--basedir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "octoprint {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_octoprint(http: &reqwest::Client) -> OctoServer {
    let bin = octoprint_bin();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("gantry-octoprint-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    octoprint(
        &bin,
        &dir,
        &["user", "add", "admin", "--password", "gantry-test-pw", "--admin"],
    );
    octoprint(
        &bin,
        &dir,
        &[
            "config",
            "set",
            "--bool",
            "plugins.virtual_printer.enabled",
            "true",
        ],
    );
    octoprint(
        &bin,
        &dir,
        &["config", "set", "--bool", "server.firstRun", "false"],
    );
    octoprint(&bin, &dir, &["config", "set", "api.key", API_KEY]);
    let port = free_port();
    let child = Command::new(&bin)
        .args([
            "serve",
            "--iknowwhatimdoing",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--basedir",
        ])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = OctoServer {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
    };
    // Until it is fully up, OctoPrint answers 501 to POSTs: wait for /api/version.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ok = http
            .get(format!("{}/api/version", server.base))
            .header("X-Api-Key", API_KEY)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "OctoPrint did not come up on {}",
            server.base
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let r = http
        .post(format!("{}/api/connection", server.base))
        .header("X-Api-Key", API_KEY)
        .json(&serde_json::json!({"command": "connect", "port": "VIRTUAL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{:?}", r.text().await);
    wait_for_state(
        http,
        &server.base,
        |s| s == "Operational",
        Duration::from_secs(30),
    )
    .await;
    server
}

async fn octo_state(http: &reqwest::Client, base: &str) -> String {
    let v: serde_json::Value = http
        .get(format!("{base}/api/job"))
        .header("X-Api-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["state"].as_str().unwrap_or("").to_string()
}

async fn wait_for_state(http: &reqwest::Client, base: &str, ok: impl Fn(&str) -> bool, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let s = octo_state(http, base).await;
        if ok(&s) {
            return;
        }
        assert!(Instant::now() < deadline, "OctoPrint stayed {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Serves the G-code fixture to requests carrying `Authorization: Bearer TOKEN` (401 otherwise);
/// returns its base URL (G-code at `/jobs/gcode`) and the number of successful downloads.
async fn gcode_server() -> (String, Arc<AtomicUsize>) {
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
                        GCODE.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(GCODE);
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

fn assignment(job: i64, gcode_url: Option<&str>) -> JobAssignment {
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

fn drain(d: &mut Driver<OctoPrint>) -> Vec<AgentMessage> {
    let msgs = d.outbox.pending_messages();
    for id in d.outbox.pending_ids() {
        d.outbox.ack(&id);
    }
    msgs
}

/// Ticks the driver (every 300 ms, real time) until `done` holds for the messages produced.
async fn tick_until(
    d: &mut Driver<OctoPrint>,
    clock: Instant,
    within: Duration,
    done: impl Fn(&[AgentMessage]) -> bool,
) -> Vec<AgentMessage> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        d.tick(clock.elapsed().as_millis() as u64).await;
        seen.extend(drain(d));
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting; messages so far: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn driver(octo: &str, server: &str, token: &str) -> Driver<OctoPrint> {
    let backend = OctoPrint::new(octo, API_KEY, server, token, Some("PLA-BLK".into())).unwrap();
    Driver::new(
        backend,
        DriverConfig {
            auto_clear_ms: Some(0),
            progress_step: 10,
        },
        Outbox::new("octo-test"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_on_octoprints_virtual_printer_and_maps_pause_resume_cancel() {
    let http = reqwest::Client::new();
    let octo = start_octoprint(&http).await;
    let (server, served) = gcode_server().await;
    let url = "/jobs/gcode";
    let clock = Instant::now();
    let now = || clock.elapsed().as_millis() as u64;

    // No G-code for the job: refused, nothing uploaded.
    let mut d = driver(&octo.base, &server, TOKEN);
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(1, None),
        },
        now(),
    )
    .await;
    assert_eq!(
        drain(&mut d),
        vec![AgentMessage::JobRejected {
            job: 1,
            reason: "no G-code for this job".into()
        }]
    );
    // The server refuses the download (wrong printer token): refused too.
    let mut wrong = driver(&octo.base, &server, "gtp_someone_else");
    wrong
        .handle(
            ServerMessage::AssignJob {
                assignment: assignment(2, Some(url)),
            },
            now(),
        )
        .await;
    let msgs = drain(&mut wrong);
    assert!(
        matches!(&msgs[..], [AgentMessage::JobRejected { job: 2, reason }] if reason.contains("401")),
        "{msgs:?}"
    );
    // The token is never sent to a host other than the Gantry server: an absolute URL
    // elsewhere is downloaded without it (refused here).
    let mut elsewhere = driver(&octo.base, "http://127.0.0.1:1", TOKEN);
    elsewhere
        .handle(
            ServerMessage::AssignJob {
                assignment: assignment(2, Some(&format!("{server}{url}"))),
            },
            now(),
        )
        .await;
    let msgs = drain(&mut elsewhere);
    assert!(
        matches!(&msgs[..], [AgentMessage::JobRejected { job: 2, reason }] if reason.contains("401")),
        "{msgs:?}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);

    // Job 3 prints to the end on the virtual printer.
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(3, Some(url)),
        },
        now(),
    )
    .await;
    assert_eq!(drain(&mut d), vec![AgentMessage::JobAccepted { job: 3 }]);
    assert_eq!(served.load(Ordering::SeqCst), 1);
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
    let files: serde_json::Value = http
        .get(format!("{}/api/files/local", octo.base))
        .header("X-Api-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let msgs = tick_until(&mut d, clock, Duration::from_secs(5), |m| {
        m.contains(&AgentMessage::BedCleared {})
    })
    .await;
    assert_eq!(msgs, vec![AgentMessage::BedCleared {}]);
    assert_eq!(d.state(), AgentState::Idle);
    let (_, status) = d.status();
    assert!(
        status.contains("nozzle_c") && status.contains("bed_c"),
        "{status}"
    );

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
    d.handle(ServerMessage::Pause { job: 4 }, now()).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::Paused { job: 4 }]);
    wait_for_state(&http, &octo.base, |s| s == "Paused", Duration::from_secs(60)).await;
    d.tick(now()).await;
    assert_eq!(d.state(), AgentState::Paused);
    drain(&mut d); // progress made before the pause took hold
    d.handle(ServerMessage::Resume { job: 4 }, now()).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::Resumed { job: 4 }]);
    wait_for_state(
        &http,
        &octo.base,
        |s| s.starts_with("Printing"),
        Duration::from_secs(30),
    )
    .await;
    d.handle(ServerMessage::Cancel { job: 4 }, now()).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::Cancelled { job: 4 }]);
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
    assert_eq!(served.load(Ordering::SeqCst), 2);
}
