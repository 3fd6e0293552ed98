//! For `farm_backends.rs`: `gantry serve` as a process on a fresh database, talked to through
//! its GraphQL API only, and a camera on loopback.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gantry_engine::store::Backend;
use gantry_engine::store::testing::TestDb;
use serde_json::{Value, json};

use crate::live;

const PASSWORD: &str = "correct horse battery staple";

/// `gantry serve` on a fresh database, killed (and the database dropped) by [`Gantry::stop`].
pub struct Gantry {
    pub db: TestDb,
    pub data: PathBuf,
    pub base: String,
    pub http: reqwest::Client,
    server: Option<live::Proc>,
}

impl Gantry {
    pub async fn start(backend: Backend, tag: &str) -> Gantry {
        let db = TestDb::new(backend).await.unwrap();
        let data = live::temp_dir(&format!("e2e-{tag}"));
        let port = live::free_port();
        let log = std::fs::File::create(data.join("serve.log")).unwrap();
        // The server slices with `prusa-slicer` from PATH (GANTRY_SLICER's default, `auto`).
        let child = live::gantry(&db.url, &data, port)
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = live::Proc(child);
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                std::time::Instant::now() < deadline,
                "gantry serve did not come up:\n{}",
                live::tail(&data.join("serve.log"))
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Gantry {
            db,
            data,
            base,
            http,
            server: Some(server),
        }
    }

    /// The first administrator, made as an operator would (`gantry create-user`); logged in.
    pub async fn admin(&self) -> String {
        let email = "admin@example.test";
        let mut c = live::gantry(&self.db.url, &self.data, 0)
            .args([
                "create-user",
                "--email",
                email,
                "--name",
                "Admin",
                "--role",
                "admin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        self.login(email).await
    }

    /// A customer account made by signing up; its access token.
    pub async fn sign_up(&self, email: &str) -> String {
        let v = self
            .graphql(
                None,
                "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
                json!({"i": {"email": email, "password": PASSWORD, "name": "Maker"}}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["signUp"]["accessToken"].as_str().unwrap().to_string()
    }

    async fn login(&self, email: &str) -> String {
        let v = self
            .graphql(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                json!({"e": email, "p": PASSWORD}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["login"]["accessToken"].as_str().unwrap().to_string()
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.http.post(format!("{}/graphql", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The data of a request that must succeed.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let v = self.graphql(Some(token), query, variables).await;
        assert!(v["errors"].is_null(), "{query}: {v}");
        v["data"].clone()
    }

    /// Uploads a model (`uploadModel`, a GraphQL multipart request); its id.
    pub async fn upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> Value {
        let operations = json!({"query": "mutation($file: Upload!) { uploadModel(file: $file) { id } }",
                                "variables": {"file": null}});
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({"0": ["variables.file"]}).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_string())
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        let v: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["uploadModel"]["id"].clone()
    }

    /// `GET path` with the token: (status, body).
    pub async fn get(&self, token: &str, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }

    pub async fn count(&self, sql: &str) -> i64 {
        live::count(&self.db.db, sql).await
    }

    pub async fn stop(mut self) {
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.data);
        self.db.cleanup().await;
    }
}

/// Every file under `dir` (recursively) whose text holds `needle`.
pub fn files_with(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            out.push(p);
        }
    }
    out
}

/// A tiny JPEG (SOI, APP0/JFIF, EOI): what the camera serves.
pub fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

/// A camera on loopback: an HTTP server answering every request with [`jpeg`].
pub struct Camera {
    pub port: u16,
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    /// Whether the agent finds it through the printer's host software (Moonraker, OctoPrint)
    /// rather than its `snapshot_url`.
    pub discovered: bool,
}

impl Camera {
    pub fn start(discovered: bool) -> Camera {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 4096];
                let mut req = Vec::new();
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let body = jpeg();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&body);
            }
        });
        Camera {
            port,
            url: format!("http://127.0.0.1:{port}/snapshot"),
            hits,
            discovered,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
