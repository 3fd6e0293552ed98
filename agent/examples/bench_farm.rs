//! Farm benchmark: one `gantry-agent` process driving N Bambu Lab printers (emulated by
//! `many_bambu.py` behind a real Mosquitto with TLS and a password file, each printer on its own
//! MQTT-over-TLS connection, a partial report per printer per second) and connected to a
//! stand-in server (one WebSocket per printer, welcome + ack). Reports the agent's CPU (percent of
//! one core, `/proc/PID/stat`) over the measured window, its peak RSS (`VmHWM`), and how many
//! printers reached the server and sent status reports.
//!
//! ```text
//! cargo build --profile dist -p gantry-agent --bin gantry-agent --example bench_farm
//! target/dist/examples/bench_farm --agent target/dist/gantry-agent --count 200 --secs 30
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

#[tokio::main]
async fn main() {
    let agent_bin = arg("--agent").expect("--agent PATH of gantry-agent");
    let count: usize = arg("--count").map_or(200, |c| c.parse().unwrap());
    let secs: u64 = arg("--secs").map_or(30, |s| s.parse().unwrap());
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
        .args(["bench", "bench-pw", &count.to_string()])
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

    let mut cfg = format!("server = \"{server}\"\n");
    for i in 0..count {
        cfg.push_str(&format!(
            "\n[[printer]]\nname = \"b{i}\"\nkind = \"bambu\"\ntoken = \"gtp_bench_{i}\"\nhost = \"127.0.0.1\"\n\
             serial = \"BENCH{i:04}\"\naccess_code = \"12345678\"\nmqtt_port = {mqtt_port}\n"
        ));
    }
    std::fs::write(dir.join("agent.toml"), cfg).unwrap();
    let mut agent = Command::new(&agent_bin)
        .arg("--config")
        .arg(dir.join("agent.toml"))
        .args(["--status-secs", "5"])
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
