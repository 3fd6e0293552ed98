//! The real PrusaLink (PyPI `prusalink` 0.8.1, the Raspberry Pi PrusaLink) driving the stand-in
//! MK3S firmware (`fixtures/prusalink/fake_mk3s.py`) on a pty, started for a test and killed on
//! drop; shared by the agent's PrusaLink test and the api's end-to-end farm test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gantry_agent::backends::prusalink::digest::Challenge;
use md5::{Digest, Md5};
use serde_json::Value;

use super::{free_port, venv_bin};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/tests/fixtures/prusalink");
pub const USER: &str = "gantry";
pub const PASSWORD: &str = "gantry-pw-123";

/// PrusaLink and its printer, killed on drop.
pub struct Link {
    pub fw: Child,
    pub link: Child,
    pub dir: PathBuf,
    pub base: String,
    pub http: reqwest::Client,
}

impl Drop for Link {
    fn drop(&mut self) {
        for c in [&mut self.link, &mut self.fw] {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Link {
    pub async fn start() -> Link {
        let bin = venv_bin(
            "GANTRY_PRUSALINK_BIN",
            "gantry-prusalink",
            "prusalink",
            "prusalink==0.8.1",
        );
        // PrusaLink ignores storage under /tmp: the run directory lives in the target dir.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("prusalink-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("prusalink.ini"),
            format!("[daemon]\ndata_dir = {}\n", dir.display()),
        )
        .unwrap();
        let ha1: String = Md5::digest(format!("{USER}:Administrator:{PASSWORD}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            dir.join("prusa_printer_settings.ini"),
            format!(
                "[printer]\ntype = MK3S\nname = gantry-test\nlocation = lab\nfarm_mode = False\n\
                 network_error_chime = False\n\n[network]\nhostname = \n\n[service::connect]\n\
                 hostname = connect.prusa3d.com\ntls = True\nport = 0\ntoken = \n\n\
                 [service::local]\nenable = 1\nusername = {USER}\ndigest = {ha1}\napi_key = \n"
            ),
        )
        .unwrap();
        let fw = Command::new("python3")
            .arg(Path::new(FIXTURES).join("fake_mk3s.py"))
            .arg(dir.join("pty"))
            .arg(dir.join("halt"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !dir.join("pty").exists() {
            assert!(Instant::now() < deadline, "the fake printer did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pty = std::fs::read_to_string(dir.join("pty")).unwrap();
        let port = free_port();
        // PrusaLink's log goes to `prusalink.log` in its directory ([`Link::broke_itself`]
        // reads it); GANTRY_PRUSALINK_LOG=FILE keeps a debug log instead (and FAKE_MK3S_LOG=FILE
        // the serial lines the stand-in firmware got), to see why a print stalled.
        let debug = std::env::var_os("GANTRY_PRUSALINK_LOG");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(
                debug
                    .clone()
                    .map_or_else(|| dir.join("prusalink.log"), PathBuf::from),
            )
            .unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(["-f", "-c"])
            .arg(dir.join("prusalink.ini"))
            .args(["-s", pty.trim(), "-a", "127.0.0.1", "-t", &port.to_string()])
            .current_dir(&dir)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        if debug.is_some() {
            cmd.arg("-d");
        }
        let link = cmd.spawn().unwrap();
        Link {
            fw,
            link,
            dir,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    /// Whether PrusaLink broke itself: a thread of it died and it says "This instance is now
    /// broken" (PrusaLink 0.8.1 races at the start of a print from its own storage: its serial
    /// sender may record the first line before the job's path is set, fails PPData's
    /// validation and dies, and the printer is then in ERROR for good). Seen only on a loaded
    /// machine; a test that meets it may run once more with a fresh PrusaLink.
    pub fn broke_itself(&self) -> bool {
        std::fs::read_to_string(self.dir.join("prusalink.log"))
            .is_ok_and(|log| log.contains("This instance is now broken"))
    }

    /// GET with digest authentication (the test's own view of PrusaLink).
    pub async fn get(&self, path: &str) -> Option<Value> {
        let url = format!("{}{path}", self.base);
        let first = self.http.get(&url).send().await.ok()?;
        let c = Challenge::parse(first.headers().get("www-authenticate")?.to_str().ok()?)?;
        let auth = c.authorization(USER, PASSWORD, "GET", path, 1, "testcnonce");
        let resp = self
            .http
            .get(&url)
            .header("Authorization", auth)
            .send()
            .await
            .ok()?;
        resp.json().await.ok()
    }

    pub async fn state(&self) -> String {
        self.get("/api/v1/status").await.map_or(String::new(), |v| {
            v["printer"]["state"].as_str().unwrap_or("").to_string()
        })
    }

    pub async fn wait_state(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.state().await;
            if s == want {
                return;
            }
            assert!(Instant::now() < deadline, "PrusaLink stayed {s:?}, wanted {want}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
