//! A real OctoPrint (PyPI `octoprint`) with its virtual printer, started for a test and killed
//! on drop; shared by the agent's OctoPrint test and the api's end-to-end farm test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, temp_dir, venv_bin};

pub const API_KEY: &str = "0123456789ABCDEF0123456789ABCDEF";

pub fn octoprint_bin() -> PathBuf {
    venv_bin(
        "GANTRY_OCTOPRINT_BIN",
        "gantry-octoprint",
        "octoprint",
        "octoprint",
    )
}

/// A running OctoPrint, killed on drop.
pub struct OctoServer {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Drop for OctoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn octoprint(bin: &Path, dir: &Path, args: &[&str]) {
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

pub async fn start_octoprint(http: &reqwest::Client) -> OctoServer {
    start_octoprint_with(http, &[]).await
}

/// Like [`start_octoprint`], with more settings (`octoprint config set KEY VALUE`).
pub async fn start_octoprint_with(http: &reqwest::Client, settings: &[(&str, &str)]) -> OctoServer {
    let bin = octoprint_bin();
    let dir = temp_dir("octoprint");
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
    for (key, value) in settings {
        octoprint(&bin, &dir, &["config", "set", key, value]);
    }
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

/// `GET {base}{path}` of OctoPrint's API with the test's key, as JSON.
pub async fn octo_get(http: &reqwest::Client, base: &str, path: &str) -> serde_json::Value {
    http.get(format!("{base}{path}"))
        .header("X-Api-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn octo_state(http: &reqwest::Client, base: &str) -> String {
    let v = octo_get(http, base, "/api/job").await;
    v["state"].as_str().unwrap_or("").to_string()
}

pub async fn wait_for_state(http: &reqwest::Client, base: &str, ok: impl Fn(&str) -> bool, within: Duration) {
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
