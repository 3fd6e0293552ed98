//! A webhook receiver on loopback for the delivery tests: a small HTTP/1.1 server that checks
//! Standard Webhooks signatures with the keys it is given and answers as told (200, an error
//! status, a hang past the sender's timeout, a slow body), recording every request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gantry_engine::domain::integrations::signing::{secret_key, verify};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Mode {
    /// 200 at once.
    Ok,
    /// This status at once.
    Status(u16),
    /// Wait this long, then 200 (past the sender's timeout: a timeout).
    Sleep(Duration),
    /// Wait until [`Receiver::release`], then 200.
    Hold,
    /// Headers at once, then a body trickled over this long.
    SlowBody(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub msg_id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: serde_json::Value,
    /// Which of the receiver's keys verified the signature (indexes into its keys).
    pub verified_by: Vec<usize>,
    /// The status answered (0 while held).
    pub answered: u16,
}

type Script = dyn Fn(usize) -> Mode + Send + Sync;

pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    keys: Arc<Mutex<Vec<Vec<u8>>>>,
    release: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// A receiver answering the `n`-th request (0-based) as `script(n)` says.
    pub async fn start(script: impl Fn(usize) -> Mode + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let keys = Arc::new(Mutex::new(Vec::new()));
        let release = Arc::new(Notify::new());
        let script: Arc<Script> = Arc::new(script);
        let count = Arc::new(Mutex::new(0usize));
        let (g, k, r) = (got.clone(), keys.clone(), release.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (g, k, r, s, c) = (g.clone(), k.clone(), r.clone(), script.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, g, k, r, s, c).await;
                });
            }
        });
        Receiver {
            url,
            got,
            keys,
            release,
            task,
        }
    }

    /// A receiver that always answers 200.
    pub async fn ok() -> Receiver {
        Receiver::start(|_| Mode::Ok).await
    }

    /// Sets the secrets (`whsec_…`) signatures are checked with.
    pub fn set_secrets(&self, secrets: &[&str]) {
        *self.keys.lock().unwrap() = secrets.iter().map(|s| secret_key(s).unwrap()).collect();
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Answers every held request.
    pub fn release(&self) {
        self.release.notify_waiters();
    }

    /// Waits until `pred` holds for what was received (panics after `secs`).
    pub async fn wait_for(&self, secs: u64, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.got();
            if pred(&got) {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not after {secs} s; received {:#?}",
                got.iter()
                    .map(|r| (&r.msg_id, r.answered, &r.body["type"]))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn serve(
    mut sock: TcpStream,
    got: Arc<Mutex<Vec<Received>>>,
    keys: Arc<Mutex<Vec<Vec<u8>>>>,
    release: Arc<Notify>,
    script: Arc<Script>,
    count: Arc<Mutex<usize>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[head_end..(head_end + len).min(buf.len())];
    let h = |k: &str| headers.get(k).cloned().unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let verified_by = keys
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, k)| {
            verify(
                k,
                &h("webhook-id"),
                &h("webhook-timestamp"),
                &h("webhook-signature"),
                body,
                now,
            )
            .is_ok()
        })
        .map(|(i, _)| i)
        .collect();
    let n = {
        let mut c = count.lock().unwrap();
        *c += 1;
        *c - 1
    };
    let index = {
        let mut g = got.lock().unwrap();
        g.push(Received {
            msg_id: h("webhook-id"),
            timestamp: h("webhook-timestamp"),
            signature: h("webhook-signature"),
            body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
            verified_by,
            answered: 0,
        });
        g.len() - 1
    };
    let mode = script(n);
    let status = match &mode {
        Mode::Status(s) => *s,
        _ => 200,
    };
    match mode {
        Mode::Sleep(d) => tokio::time::sleep(d).await,
        Mode::Hold => release.notified().await,
        _ => {}
    }
    got.lock().unwrap()[index].answered = status;
    if let Mode::SlowBody(d) = mode {
        sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n")
            .await?;
        for _ in 0..10 {
            tokio::time::sleep(d / 10).await;
            sock.write_all(b".").await?;
        }
        return Ok(());
    }
    let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    sock.write_all(resp.as_bytes()).await?;
    sock.shutdown().await
}
