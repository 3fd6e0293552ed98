//! Farm benchmark: one `gantry-agent` process driving N printers of the kinds in `--mix`
//! (default `bambu`), each connected to a stand-in server (one WebSocket per printer, welcome +
//! ack). Bambu Lab printers are emulated by `many_bambu.py` behind a real Mosquitto with TLS and
//! a password file (each printer on its own MQTT-over-TLS connection, a partial report per
//! printer per second); Moonraker printers by a WebSocket JSON-RPC emulator here (identify,
//! `printer.objects.subscribe`, a `notify_status_update` per printer per second); PrusaLink and
//! OctoPrint printers by an HTTP emulator here (`/api/v1/status`, `/api/job`, `/api/printer`),
//! which the agent polls every tick. Reports the agent's CPU (percent of one core,
//! `/proc/PID/stat`) over the measured window, its peak RSS (`VmHWM`), and how many printers
//! reached the server and sent status reports.
//!
//! ```text
//! cargo build --profile dist -p gantry-agent --bin gantry-agent --example bench_farm
//! target/dist/examples/bench_farm --agent target/dist/gantry-agent --count 200 --secs 30
//! target/dist/examples/bench_farm --agent target/dist/gantry-agent --count 200 --secs 30 \
//!     --mix bambu,moonraker,prusalink,octoprint [--tick-ms 1000]
//! ```
//! Needs `openssl`, `mosquitto`, `mosquitto_passwd` and paho-mqtt in `~/.cache/gantry-bambu`
//! (`scripts/test.sh` installs it; or `--python PATH`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use gantry_protocol::{AgentEnvelope, AgentMessage, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct Counts {
    hellos: u64,
    statuses: u64,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

fn hwm_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The body of an emulated HTTP printer's answer to `GET path` (PrusaLink, OctoPrint, Moonraker's
/// webcam list), with its status line.
fn http_answer(path: &str, n: u64) -> (&'static str, String) {
    let t = 200.0 + (n % 10) as f64 / 10.0;
    match path {
        "/api/v1/status" => (
            "200 OK",
            format!(
                r#"{{"printer":{{"state":"IDLE","temp_nozzle":{t},"target_nozzle":0.0,"temp_bed":60.0,"target_bed":0.0}}}}"#
            ),
        ),
        "/api/v1/job" => ("204 No Content", String::new()),
        "/api/job" => (
            "200 OK",
            r#"{"state":"Operational","job":{"file":{"name":null}},"progress":{"completion":null,"printTimeLeft":null}}"#.into(),
        ),
        "/api/printer" => (
            "200 OK",
            format!(
                r#"{{"temperature":{{"tool0":{{"actual":{t},"target":0.0}},"bed":{{"actual":60.0,"target":0.0}}}},"state":{{"text":"Operational","flags":{{"error":false,"operational":true}}}}}}"#
            ),
        ),
        "/api/settings" => ("200 OK", r#"{"webcam":{"snapshotUrl":""}}"#.into()),
        "/server/webcams/list" => ("200 OK", r#"{"result":{"webcams":[]}}"#.into()),
        _ => ("404 Not Found", String::new()),
    }
}

/// One emulated HTTP printer connection: answers GETs, keeps the connection alive.
async fn serve_http(mut sock: tokio::net::TcpStream, served: Arc<Mutex<u64>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let n = {
            let mut s = served.lock().unwrap();
            *s += 1;
            *s
        };
        let (status, body) = http_answer(&path, n);
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if sock.write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// One emulated Moonraker WebSocket: answers identify and subscribe, then pushes a status
/// update once a second.
async fn serve_moonraker(sock: tokio::net::TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            frame = ws.next() => {
                let Some(Ok(Message::Text(text))) = frame else { return };
                let Ok(req) = serde_json::from_str::<serde_json::Value>(text.as_str()) else { continue };
                let result = match req["method"].as_str() {
                    Some("server.connection.identify") => serde_json::json!({"connection_id": 1}),
                    Some("printer.objects.subscribe") => serde_json::json!({"eventtime": 1.0, "status": {
                        "print_stats": {"state": "standby", "filename": "", "message": "", "info": {}},
                        "virtual_sdcard": {"progress": 0.0, "is_active": false},
                        "extruder": {"temperature": 25.0, "target": 0.0},
                        "heater_bed": {"temperature": 24.0, "target": 0.0},
                        "webhooks": {"state": "ready", "state_message": ""}}}),
                    _ => serde_json::json!({}),
                };
                let reply = serde_json::json!({"jsonrpc": "2.0", "result": result, "id": req["id"]});
                if ws.send(Message::text(reply.to_string())).await.is_err() {
                    return;
                }
            }
            _ = tick.tick() => {
                n += 1;
                let t = 200.0 + (n % 10) as f64 / 10.0;
                let update = serde_json::json!({"jsonrpc": "2.0", "method": "notify_status_update",
                    "params": [{"extruder": {"temperature": t}}, n as f64]});
                if ws.send(Message::text(update.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Emulated HTTP printers (PrusaLink, OctoPrint) and Moonraker WebSockets on one port: a
/// connection whose request asks for a WebSocket upgrade is Moonraker's.
async fn printer_emulator() -> (u16, Arc<Mutex<u64>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(Mutex::new(0));
    let s2 = served.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let served = s2.clone();
            tokio::spawn(async move {
                let mut peek = [0u8; 2048];
                let mut k = 0;
                for _ in 0..50 {
                    k = sock.peek(&mut peek).await.unwrap_or(0);
                    if k == 0 || peek[..k].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let head = String::from_utf8_lossy(&peek[..k]).to_ascii_lowercase();
                if head.contains("upgrade: websocket") {
                    serve_moonraker(sock).await;
                } else {
                    serve_http(sock, served).await;
                }
            });
        }
    });
    (port, served)
}

#[tokio::main]
async fn main() {
    let agent_bin = arg("--agent").expect("--agent PATH of gantry-agent");
    let count: usize = arg("--count").map_or(200, |c| c.parse().unwrap());
    let secs: u64 = arg("--secs").map_or(30, |s| s.parse().unwrap());
    let mix: Vec<String> = arg("--mix")
        .unwrap_or_else(|| "bambu".into())
        .split(',')
        .map(str::to_string)
        .collect();
    for k in &mix {
        assert!(
            ["bambu", "moonraker", "prusalink", "octoprint"].contains(&k.as_str()),
            "--mix takes bambu, moonraker, prusalink and octoprint, not {k}"
        );
    }
    let kind_of = |i: usize| mix[i % mix.len()].as_str();
    let bambus = (0..count).filter(|i| kind_of(*i) == "bambu").count();
    let tick_ms = arg("--tick-ms");
    let python = arg("--python").unwrap_or_else(|| {
        format!(
            "{}/.cache/gantry-bambu/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let dir = std::env::temp_dir().join(format!("gantry-bench-farm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=bench",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem")));
    let passwd = dir.join("passwd");
    run(Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwd)
        .args(["bblp", "12345678"]));
    run(Command::new("mosquitto_passwd")
        .arg("-b")
        .arg(&passwd)
        .args(["bench", "bench-pw"]));
    let mqtt_port = free_port();
    std::fs::write(
        dir.join("mosquitto.conf"),
        format!(
            "user root\npersistence false\nallow_anonymous false\nmax_connections -1\npassword_file {}\n\
             listener {mqtt_port} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
            passwd.display(),
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        ),
    )
    .unwrap();
    let mut broker = Command::new("mosquitto")
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/many_bambu.py");
    let mut printers = Command::new(&python)
        .arg(script)
        .arg(mqtt_port.to_string())
        .arg(dir.join("cert.pem"))
        .args(["bench", "bench-pw", &bambus.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // The stand-in server: welcome, ack every report, count statuses.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let counts = Arc::new(Mutex::new(Counts::default()));
    let c2 = counts.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let counts = c2.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
                    return;
                };
                let send = |m: ServerMessage| Message::text(serde_json::to_string(&m).unwrap());
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let Ok(env) = serde_json::from_str::<AgentEnvelope>(text.as_str()) else {
                        continue;
                    };
                    let reply = match env.msg {
                        AgentMessage::Hello { .. } => {
                            counts.lock().unwrap().hellos += 1;
                            Some(ServerMessage::Welcome {
                                v: 1,
                                printer_id: 1,
                                printer: "p".into(),
                                heartbeat_secs: 10,
                            })
                        }
                        AgentMessage::Status { .. } => {
                            counts.lock().unwrap().statuses += 1;
                            None
                        }
                        AgentMessage::Heartbeat {} => None,
                        _ => Some(ServerMessage::Ack {
                            id: env.id,
                            duplicate: false,
                        }),
                    };
                    if let Some(r) = reply {
                        let _ = ws.send(send(r)).await;
                    }
                }
            });
        }
    });

    let (emulator_port, http_served) = printer_emulator().await;
    let emulator = format!("http://127.0.0.1:{emulator_port}");
    let mut cfg = format!("server = \"{server}\"\n");
    let mut b = 0;
    for i in 0..count {
        let head = format!("\n[[printer]]\nname = \"p{i}\"\ntoken = \"gtp_bench_{i}\"\n");
        cfg.push_str(&head);
        cfg.push_str(&match kind_of(i) {
            "bambu" => {
                b += 1;
                format!(
                    "kind = \"bambu\"\nhost = \"127.0.0.1\"\nserial = \"BENCH{:04}\"\naccess_code = \"12345678\"\n\
                     mqtt_port = {mqtt_port}\n",
                    b - 1
                )
            }
            "moonraker" => format!("kind = \"moonraker\"\nurl = \"{emulator}\"\n"),
            "prusalink" => format!("kind = \"prusalink\"\nurl = \"{emulator}\"\napi_key = \"bench\"\n"),
            _ => format!("kind = \"octoprint\"\nurl = \"{emulator}\"\napi_key = \"bench\"\n"),
        });
    }
    std::fs::write(dir.join("agent.toml"), cfg).unwrap();
    let mut agent = Command::new(&agent_bin)
        .arg("--config")
        .arg(dir.join("agent.toml"))
        .args(["--status-secs", "5"])
        .args(tick_ms.iter().flat_map(|t| ["--tick-ms".to_string(), t.clone()]))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = agent.id();
    let warmup = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let connected = counts.lock().unwrap().hellos;
    let (t0, s0) = (cpu_ticks(pid), counts.lock().unwrap().statuses);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (t1, s1) = (cpu_ticks(pid), counts.lock().unwrap().statuses);
    let elapsed = start.elapsed().as_secs_f64();
    let hz = 100.0; // USER_HZ on Linux
    let cpu_pct = (t1 - t0) as f64 / hz / elapsed * 100.0;
    let polls = *http_served.lock().unwrap();
    println!(
        "mix {} | HTTP requests answered by the emulator: {polls}",
        mix.join(",")
    );
    println!(
        "printers {count} | hellos after 10 s: {connected} | statuses in {secs} s: {} ({:.1}/s) | agent CPU {cpu_pct:.2} % of one core | peak RSS {:.1} MB | warm-up {:.0} s",
        s1 - s0,
        (s1 - s0) as f64 / elapsed,
        hwm_mb(pid),
        warmup.elapsed().as_secs_f64() - elapsed
    );
    let _ = agent.kill();
    let _ = agent.wait();
    let _ = printers.kill();
    let _ = printers.wait();
    let _ = broker.kill();
    let _ = broker.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
