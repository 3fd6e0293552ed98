//! A Bambu Lab printer in LAN mode for tests: the real Mosquitto with TLS (a certificate made by
//! `openssl`) and a password file, and `fixtures/bambu/printer.py` as the printer (MQTT reports,
//! uploads over implicit FTPS); killed on drop. Shared by the agent's Bambu test and the api's
//! end-to-end farm test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gantry_agent::backends::bambu::BambuConfig;

use super::{free_port, temp_dir, venv_bin};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/tests/fixtures/bambu");
pub const SERIAL: &str = "01S00A0TEST0001";
pub const CODE: &str = "31415926";

pub struct Farm {
    pub broker: Option<Child>,
    pub printer: Child,
    pub dir: PathBuf,
    pub broker_port: u16,
    pub ftps_port: u16,
    pub fingerprint: String,
}

impl Drop for Farm {
    fn drop(&mut self) {
        self.stop_broker();
        let _ = self.printer.kill();
        let _ = self.printer.wait();
        if std::env::var_os("GANTRY_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Farm {
    pub async fn start() -> Farm {
        let python = venv_bin(
            "GANTRY_BAMBU_PYTHON",
            "gantry-bambu",
            "python",
            "paho-mqtt==2.1.0",
        );
        let dir = temp_dir("bambu");
        std::fs::create_dir_all(dir.join("sdcard")).unwrap();
        run(Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            ])
            .arg(format!("/CN={SERIAL}"))
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem")));
        let fp = run(Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(dir.join("cert.pem")));
        let fingerprint = fp.split('=').nth(1).unwrap().trim().to_string();
        let passwd = dir.join("passwd");
        run(Command::new("mosquitto_passwd")
            .args(["-c", "-b"])
            .arg(&passwd)
            .args(["bblp", CODE]));
        run(Command::new("mosquitto_passwd")
            .arg("-b")
            .arg(&passwd)
            .args(["printer", "printer-pw"]));
        let broker_port = free_port();
        std::fs::write(
            dir.join("mosquitto.conf"),
            format!(
                "user root\npersistence false\nallow_anonymous false\npassword_file {}\n\
                 log_dest file {}\nlistener {broker_port} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
                passwd.display(),
                dir.join("mosquitto.log").display(),
                dir.join("cert.pem").display(),
                dir.join("key.pem").display()
            ),
        )
        .unwrap();
        let ftps_port = free_port();
        let mut farm = Farm {
            broker: None,
            printer: Command::new("true").spawn().unwrap(),
            dir,
            broker_port,
            ftps_port,
            fingerprint,
        };
        farm.start_broker().await;
        let d = &farm.dir;
        farm.printer = Command::new(python)
            .arg(Path::new(FIXTURES).join("printer.py"))
            .arg(broker_port.to_string())
            .arg(d.join("cert.pem"))
            .args([SERIAL, CODE, "printer", "printer-pw"])
            .arg(ftps_port.to_string())
            .arg(d.join("cert.pem"))
            .arg(d.join("key.pem"))
            .arg(d.join("sdcard"))
            .arg("10")
            .arg(d.join("halt"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        farm
    }

    pub async fn start_broker(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.broker = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.broker_port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn stop_broker(&mut self) {
        if let Some(mut c) = self.broker.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn config(&self) -> BambuConfig {
        let mut c = BambuConfig::new("127.0.0.1", SERIAL, CODE);
        c.mqtt_port = self.broker_port;
        c.ftps_port = self.ftps_port;
        c.tls_fingerprint = Some(self.fingerprint.clone());
        c.material = Some("PLA-BLK".into());
        c.timeout = Duration::from_secs(3);
        c
    }
}
