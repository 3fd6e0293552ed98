//! The agent's config file (`gantry-agent --config agent.toml`): the Gantry server, where the
//! outbox is kept on disk, and the printers this agent drives, of any mix of kinds:
//!
//! ```toml
//! server = "https://gantry.example.com"
//! state_dir = "/var/lib/gantry-agent"
//!
//! [[printer]]
//! name = "voron-1"
//! kind = "moonraker"            # simulate | octoprint | moonraker | prusalink | bambu
//! token_file = "/etc/gantry-agent/voron-1.token"
//! url = "http://voron-1.local:7125"
//! api_key = "…"                 # optional: none for a trusted client
//! ```
//!
//! Every refusal names the printer and the key ([`ConfigError`]); unknown keys are refused, so a
//! typo does not silently drop a setting.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// A config file that cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("reading {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("printer {printer}: {message}")]
    Printer { printer: String, message: String },
    #[error("the config file lists no [[printer]]")]
    NoPrinters,
}

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    server: Option<String>,
    state_dir: Option<PathBuf>,
    #[serde(default)]
    printer: Vec<toml::Table>,
}

/// One printer's backend and its settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Backend {
    Simulate {
        #[serde(default = "default_speed")]
        speed: f64,
    },
    Octoprint {
        url: String,
        api_key: String,
    },
    Moonraker {
        url: String,
        api_key: Option<String>,
    },
    Prusalink {
        url: String,
        user: Option<String>,
        password: Option<String>,
        api_key: Option<String>,
        storage: Option<String>,
    },
    Bambu {
        host: String,
        serial: String,
        access_code: String,
        /// SHA-256 of the printer's TLS certificate (hex); none: any certificate is accepted.
        tls_fingerprint: Option<String>,
        mqtt_port: Option<u16>,
        ftps_port: Option<u16>,
    },
}

fn default_speed() -> f64 {
    60.0
}

/// Keys every printer takes, whatever its kind.
const COMMON: [&str; 8] = [
    "name",
    "kind",
    "token",
    "token_file",
    "material",
    "snapshot_url",
    "snapshot_secs",
    "poll_ms",
];

fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "simulate" => &["speed"],
        "octoprint" => &["url", "api_key"],
        "moonraker" => &["url", "api_key"],
        "prusalink" => &["url", "user", "password", "api_key", "storage"],
        "bambu" => &[
            "host",
            "serial",
            "access_code",
            "tls_fingerprint",
            "mqtt_port",
            "ftps_port",
        ],
        _ => return None,
    })
}

/// One printer of the file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterEntry {
    pub name: String,
    /// The printer token (`gtp_…`), read from `token` or `token_file`.
    pub token: String,
    pub material: Option<String>,
    /// The camera's snapshot URL (`None`: what the printer reports, if anything).
    pub snapshot_url: Option<String>,
    /// Seconds between snapshots (`None`: the agent's `--snapshot-secs`; 0: only at job start,
    /// end and failure).
    pub snapshot_secs: Option<f64>,
    /// Least milliseconds between polls of the printer (`None`: the agent's `--poll-ms`, else
    /// the backend's own: 1,000 for OctoPrint and PrusaLink, every tick for the others).
    pub poll_ms: Option<u64>,
    pub backend: Backend,
}

/// The whole file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    pub server: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub printers: Vec<PrinterEntry>,
}

impl AgentConfig {
    pub fn load(path: &Path) -> Result<AgentConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        AgentConfig::parse(&text, &path.display().to_string(), path.parent())
    }

    /// Parses `text`; relative `token_file`s are read from `base`.
    pub fn parse(text: &str, path: &str, base: Option<&Path>) -> Result<AgentConfig, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_string(),
            message: e.message().to_string(),
        })?;
        if file.printer.is_empty() {
            return Err(ConfigError::NoPrinters);
        }
        let mut names = BTreeSet::new();
        let mut printers = Vec::new();
        for (i, table) in file.printer.into_iter().enumerate() {
            let name = table
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{}", i + 1));
            let err = |message: String| ConfigError::Printer {
                printer: name.clone(),
                message,
            };
            if !table.contains_key("name") {
                return Err(err("name is missing".into()));
            }
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(err("name: letters, digits, - and _ only".into()));
            }
            if !names.insert(name.clone()) {
                return Err(err("two printers have this name".into()));
            }
            let kind = table.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let Some(keys) = keys_of(kind) else {
                return Err(err(format!(
                    "kind {kind:?}: expected simulate, octoprint, moonraker, prusalink or bambu"
                )));
            };
            if let Some(k) = table
                .keys()
                .find(|k| !COMMON.contains(&k.as_str()) && !keys.contains(&k.as_str()))
            {
                return Err(err(format!("unknown key {k:?} for a {kind} printer")));
            }
            let backend: Backend = table
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| err(e.message().to_string()))?;
            let token = match (
                table.get("token").and_then(|v| v.as_str()),
                table.get("token_file"),
            ) {
                (Some(t), None) => t.trim().to_string(),
                (None, Some(f)) => {
                    let f = PathBuf::from(
                        f.as_str()
                            .ok_or_else(|| err("token_file: expected a path".into()))?,
                    );
                    let f = match base {
                        Some(b) if f.is_relative() => b.join(f),
                        _ => f,
                    };
                    std::fs::read_to_string(&f)
                        .map_err(|e| err(format!("token_file {}: {e}", f.display())))?
                        .trim()
                        .to_string()
                }
                (Some(_), Some(_)) => return Err(err("give token or token_file, not both".into())),
                (None, None) => return Err(err("token or token_file is missing".into())),
            };
            if token.is_empty() {
                return Err(err("the printer token is empty".into()));
            }
            if let Backend::Prusalink {
                user,
                password,
                api_key,
                ..
            } = &backend
            {
                let digest = user.is_some() && password.is_some();
                if digest == api_key.is_some() || user.is_some() != password.is_some() {
                    return Err(err("give user and password (digest), or api_key".into()));
                }
            }
            if let Backend::Simulate { speed } = &backend
                && !(speed.is_finite() && *speed > 0.0)
            {
                return Err(err("speed must be above 0".into()));
            }
            let snapshot_url = match table.get("snapshot_url") {
                None => None,
                Some(v) => match v.as_str() {
                    Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.to_string()),
                    _ => return Err(err("snapshot_url: expected an http(s):// URL".into())),
                },
            };
            let snapshot_secs = match table.get("snapshot_secs") {
                None => None,
                Some(v) => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                    Some(s) if s.is_finite() && s >= 0.0 => Some(s),
                    _ => {
                        return Err(err(
                            "snapshot_secs: expected a number of seconds, 0 or more".into()
                        ));
                    }
                },
            };
            let poll_ms = match table.get("poll_ms") {
                None => None,
                Some(v) => match v.as_integer() {
                    Some(ms) if (0..=3_600_000).contains(&ms) => Some(ms as u64),
                    _ => {
                        return Err(err("poll_ms: expected whole milliseconds, 0 to 3600000".into()));
                    }
                },
            };
            printers.push(PrinterEntry {
                name,
                token,
                material: table.get("material").and_then(|v| v.as_str()).map(str::to_string),
                snapshot_url,
                snapshot_secs,
                poll_ms,
                backend,
            });
        }
        Ok(AgentConfig {
            server: file.server,
            state_dir: file.state_dir,
            printers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FARM: &str = r#"
server = "http://gantry.local:8080"
state_dir = "/var/lib/gantry-agent"

[[printer]]
name = "voron-1"
kind = "moonraker"
token = "gtp_a"
url = "http://voron.local:7125"

[[printer]]
name = "mk4-1"
kind = "prusalink"
token = "gtp_b"
url = "http://mk4.local"
user = "maker"
password = "secret"
material = "PETG-BLK"
snapshot_url = "http://mk4-cam.local/snapshot.jpg"
snapshot_secs = 10
poll_ms = 2000

[[printer]]
name = "x1c-1"
kind = "bambu"
token = "gtp_c"
host = "192.168.1.50"
serial = "01S00A000000001"
access_code = "12345678"

[[printer]]
name = "sim"
kind = "simulate"
token = "gtp_d"
"#;

    #[test]
    fn reads_a_farm_of_mixed_printers() {
        let c = AgentConfig::parse(FARM, "agent.toml", None).unwrap();
        assert_eq!(c.server.as_deref(), Some("http://gantry.local:8080"));
        assert_eq!(c.printers.len(), 4);
        assert_eq!(
            c.printers[1],
            PrinterEntry {
                name: "mk4-1".into(),
                token: "gtp_b".into(),
                material: Some("PETG-BLK".into()),
                snapshot_url: Some("http://mk4-cam.local/snapshot.jpg".into()),
                snapshot_secs: Some(10.0),
                poll_ms: Some(2_000),
                backend: Backend::Prusalink {
                    url: "http://mk4.local".into(),
                    user: Some("maker".into()),
                    password: Some("secret".into()),
                    api_key: None,
                    storage: None,
                },
            }
        );
        assert_eq!(c.printers[3].backend, Backend::Simulate { speed: 60.0 });
        assert!(
            matches!(&c.printers[2].backend, Backend::Bambu { serial, .. } if serial == "01S00A000000001")
        );
    }

    #[test]
    fn the_documented_example_is_a_valid_config() {
        let example = include_str!("../../infrastructure/agent/agent.example.toml");
        // Its token files live on the printer host: inline tokens instead.
        let text: String = example
            .lines()
            .map(|l| {
                if l.starts_with("token_file") {
                    "token = \"gtp_x\""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = AgentConfig::parse(&text, "agent.example.toml", None).unwrap();
        let kinds: Vec<&str> = c
            .printers
            .iter()
            .map(|p| match p.backend {
                Backend::Moonraker { .. } => "moonraker",
                Backend::Prusalink { .. } => "prusalink",
                Backend::Bambu { .. } => "bambu",
                Backend::Octoprint { .. } => "octoprint",
                Backend::Simulate { .. } => "simulate",
            })
            .collect();
        assert_eq!(kinds, ["moonraker", "prusalink", "bambu", "octoprint"]);
        assert_eq!(c.state_dir, Some(PathBuf::from("/var/lib/gantry-agent")));
    }

    #[test]
    fn refusals_name_the_printer_and_the_problem() {
        let bad = |text: &str| {
            AgentConfig::parse(text, "agent.toml", None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(bad("server = \"x\""), "the config file lists no [[printer]]");
        assert!(bad("[[printer]\n").starts_with("agent.toml:"));
        let one = |body: &str| format!("[[printer]]\nname = \"p1\"\ntoken = \"gtp_x\"\n{body}");
        assert_eq!(
            bad(&one("kind = \"moonraker\"\nurl = \"http://k\"\napi_kye = \"x\"")),
            "printer p1: unknown key \"api_kye\" for a moonraker printer"
        );
        assert!(
            bad(&one("kind = \"moonraker\"")).contains("url"),
            "{}",
            bad(&one("kind = \"moonraker\""))
        );
        assert!(bad(&one("kind = \"repetier\"")).starts_with("printer p1: kind \"repetier\""));
        assert_eq!(
            bad(&one("kind = \"simulate\"\nsnapshot_url = \"rtsp://cam\"")),
            "printer p1: snapshot_url: expected an http(s):// URL"
        );
        assert_eq!(
            bad(&one("kind = \"simulate\"\nsnapshot_secs = -1")),
            "printer p1: snapshot_secs: expected a number of seconds, 0 or more"
        );
        for poll in ["-1", "1.5", "\"fast\"", "3600001"] {
            assert_eq!(
                bad(&one(&format!("kind = \"simulate\"\npoll_ms = {poll}"))),
                "printer p1: poll_ms: expected whole milliseconds, 0 to 3600000"
            );
        }
        assert_eq!(
            bad(&one("kind = \"prusalink\"\nurl = \"http://p\"\nuser = \"u\"")),
            "printer p1: give user and password (digest), or api_key"
        );
        assert_eq!(
            bad("[[printer]]\nname = \"p1\"\nkind = \"simulate\""),
            "printer p1: token or token_file is missing"
        );
        assert_eq!(
            bad(&format!(
                "{}\n{}",
                one("kind = \"simulate\""),
                one("kind = \"simulate\"")
            )),
            "printer p1: two printers have this name"
        );
        assert_eq!(
            bad("[[printer]]\nname = \"../x\"\nkind = \"simulate\"\ntoken = \"t\""),
            "printer ../x: name: letters, digits, - and _ only"
        );
        assert!(
            bad("[[printer]]\nname = \"p\"\nkind = \"simulate\"\ntoken_file = \"/nonexistent/t\"")
                .starts_with("printer p: token_file /nonexistent/t:")
        );
    }
}
