//! `kill -9` of the `gantry-agent` binary mid-job loses no report: run from a config file with a
//! `state_dir`, against a stand-in server that assigns a job and acknowledges nothing, the agent
//! is killed after reporting the job's end; started again, it sends every unacknowledged report
//! once more with its original id, and the outbox file empties once the server acknowledges.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use gantry_protocol::{AgentEnvelope, AgentMessage, JobAssignment, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// What the server received: (connection number, message id, message).
type Seen = Arc<Mutex<Vec<(usize, String, AgentMessage)>>>;

/// A server that welcomes each connection, assigns job 9 on the first, and acknowledges
/// messages only from connection `ack_from` on.
async fn server(ack_from: usize) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((sock, _)) = listener.accept().await {
            n += 1;
            let conn = n;
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
                    return;
                };
                let send = |m: ServerMessage| Message::text(serde_json::to_string(&m).unwrap());
                while let Some(Ok(frame)) = ws.next().await {
                    let Message::Text(text) = frame else { continue };
                    let Ok(env) = serde_json::from_str::<AgentEnvelope>(text.as_str()) else {
                        continue;
                    };
                    log.lock().unwrap().push((conn, env.id.clone(), env.msg.clone()));
                    let reply = match env.msg {
                        AgentMessage::Hello { .. } => {
                            let _ = ws
                                .send(send(ServerMessage::Welcome {
                                    v: 1,
                                    printer_id: 1,
                                    printer: "sim".into(),
                                    heartbeat_secs: 30,
                                }))
                                .await;
                            (conn == 1).then(|| ServerMessage::AssignJob {
                                assignment: JobAssignment {
                                    job: 9,
                                    order_id: 1,
                                    material: "PLA-BLK".into(),
                                    copies: 1,
                                    est_minutes: 1,
                                    grams: 3,
                                    gcode_url: None,
                                },
                            })
                        }
                        AgentMessage::Heartbeat {} | AgentMessage::Status { .. } => None,
                        _ if conn >= ack_from => Some(ServerMessage::Ack {
                            id: env.id,
                            duplicate: false,
                        }),
                        _ => None,
                    };
                    if let Some(r) = reply {
                        let _ = ws.send(send(r)).await;
                    }
                }
            });
        }
    });
    (url, seen)
}

fn agent(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gantry-agent"))
        .arg("--config")
        .arg(config)
        .args(["--status-secs", "0", "--tick-ms", "50"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_for(seen: &Seen, what: &str, ok: impl Fn(&[(usize, String, AgentMessage)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if ok(&seen.lock().unwrap()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {what}: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_report(m: &AgentMessage) -> bool {
    !matches!(
        m,
        AgentMessage::Hello { .. } | AgentMessage::Heartbeat {} | AgentMessage::Status { .. }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_agent_resends_every_unacknowledged_report_with_its_id() {
    let (url, seen) = server(2).await;
    let dir = common::temp_dir("agent-restart");
    let config = dir.join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "server = \"{url}\"\nstate_dir = \"{}\"\n\n[[printer]]\nname = \"sim-1\"\nkind = \"simulate\"\n\
             token = \"gtp_restart\"\nspeed = 600.0\n",
            dir.join("state").display()
        ),
    )
    .unwrap();

    let mut first = agent(&config);
    wait_for(&seen, "job 9 to end", |s| {
        s.iter()
            .any(|(_, _, m)| *m == AgentMessage::JobCompleted { job: 9 })
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before: Vec<(String, AgentMessage)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(c, _, m)| *c == 1 && is_report(m))
        .map(|(_, id, m)| (id.clone(), m.clone()))
        .collect();
    assert!(
        before
            .iter()
            .any(|(_, m)| *m == AgentMessage::JobAccepted { job: 9 }),
        "{before:?}"
    );
    let outbox = std::fs::read_to_string(dir.join("state/sim-1.outbox")).unwrap();
    assert!(outbox.lines().count() >= before.len(), "{outbox}");

    let mut second = agent(&config);
    wait_for(&seen, "the reports again", |s| {
        before
            .iter()
            .all(|(id, _)| s.iter().any(|(c, i, _)| *c == 2 && i == id))
    })
    .await;
    // Acknowledged on the second connection: the outbox empties.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(dir.join("state/sim-1.outbox"))
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the outbox kept acknowledged reports");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
    // Re-sent with the same ids and the same content.
    let again: Vec<(String, AgentMessage)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(c, id, _)| *c == 2 && before.iter().any(|(i, _)| i == id))
        .map(|(_, id, m)| (id.clone(), m.clone()))
        .collect();
    assert_eq!(again, before);
    let _ = std::fs::remove_dir_all(&dir);
}
