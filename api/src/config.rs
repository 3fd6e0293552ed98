//! Typed configuration: environment variables (`GANTRY_*`, `DATABASE_URL`, `REDIS_URL`,
//! `MONGODB_URL`) over an optional TOML file (`GANTRY_CONFIG=path`), validated at start.
//!
//! Precedence: environment > file > defaults. An invalid setting is an error that names the
//! setting, the value and what is accepted; `gantry` then exits with status 2.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// A setting that failed validation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("invalid setting {setting}={value:?}: expected {accepted}")]
    Invalid {
        setting: &'static str,
        value: String,
        accepted: &'static str,
    },
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where uploaded model files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectStoreConfig {
    /// A directory on local disk (default: `$GANTRY_DATA_DIR/objects`).
    Local { root: PathBuf },
    /// An S3-compatible bucket (AWS S3, MinIO).
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
    },
}

/// The validated configuration of a Gantry process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub mongodb_url: Option<String>,
    pub object_store: ObjectStoreConfig,
    pub log_format: LogFormat,
    /// GraphQL limits.
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub graphql_introspection: bool,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// HS256 key for access tokens (`GANTRY_JWT_SECRET`, at least 32 bytes). `None`: the server
    /// generates a random one at start (tokens then do not survive a restart and do not work
    /// across replicas).
    pub jwt_secret: Option<Secret>,
    /// Lifetime of access tokens, seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, seconds.
    pub refresh_token_ttl_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed when deciding the client address
    /// (used by the per-address login rate limit). Empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Live farm: automatic reprints of a failed plate before its order is flagged
    /// (`GANTRY_MAX_REPRINTS`).
    pub max_reprints: u32,
    /// Live farm: heartbeat interval told to agents, seconds; offline after 3 missed
    /// (`GANTRY_AGENT_HEARTBEAT_SECS`).
    pub agent_heartbeat_secs: u64,
    /// Live farm: re-plan requests within this window are one solve (`GANTRY_REPLAN_DEBOUNCE_MS`).
    pub replan_debounce_ms: u64,
    /// Largest accepted model upload, bytes (`GANTRY_MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: u64,
    /// Which slicer estimates print time and filament (`GANTRY_SLICER`).
    pub slicer: crate::slicer::SlicerSetting,
    /// How long a verified bearer token's principal is remembered, seconds; 0: not at all
    /// (`GANTRY_AUTH_CACHE_SECS`). Bounds how late a revocation made by another process is seen.
    pub auth_cache_secs: u64,
    /// How long committed events stay in the event outbox, days (`GANTRY_EVENTS_RETENTION_DAYS`);
    /// older ones are pruned hourly.
    pub events_retention_days: u64,
    /// The built web app served at `/` (`GANTRY_WEB_DIR`; default `web/out` when built).
    pub web_dir: Option<PathBuf>,
}

/// A secret setting; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Shortest accepted `GANTRY_JWT_SECRET`, bytes.
pub const JWT_SECRET_MIN_BYTES: usize = 32;

/// The optional config file; every key mirrors an environment variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    redis_url: Option<String>,
    mongodb_url: Option<String>,
    object_store: Option<String>,
    s3_bucket: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    log_format: Option<String>,
    graphql_max_depth: Option<String>,
    graphql_max_complexity: Option<String>,
    graphql_introspection: Option<String>,
    max_body_bytes: Option<String>,
    jwt_secret: Option<String>,
    access_token_ttl_secs: Option<String>,
    refresh_token_ttl_secs: Option<String>,
    trusted_proxies: Option<String>,
    max_reprints: Option<String>,
    agent_heartbeat_secs: Option<String>,
    replan_debounce_ms: Option<String>,
    max_upload_bytes: Option<String>,
    slicer: Option<String>,
    auth_cache_secs: Option<String>,
    events_retention_days: Option<String>,
    web_dir: Option<String>,
}

/// (environment variable, file key) for each setting.
const KEYS: &[(&str, &str)] = &[
    ("GANTRY_LISTEN", "listen"),
    ("GANTRY_DATA_DIR", "data_dir"),
    ("DATABASE_URL", "database_url"),
    ("REDIS_URL", "redis_url"),
    ("MONGODB_URL", "mongodb_url"),
    ("GANTRY_OBJECT_STORE", "object_store"),
    ("GANTRY_S3_BUCKET", "s3_bucket"),
    ("GANTRY_S3_ENDPOINT", "s3_endpoint"),
    ("GANTRY_S3_REGION", "s3_region"),
    ("GANTRY_LOG_FORMAT", "log_format"),
    ("GANTRY_GRAPHQL_MAX_DEPTH", "graphql_max_depth"),
    ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "graphql_max_complexity"),
    ("GANTRY_GRAPHQL_INTROSPECTION", "graphql_introspection"),
    ("GANTRY_MAX_BODY_BYTES", "max_body_bytes"),
    ("GANTRY_JWT_SECRET", "jwt_secret"),
    ("GANTRY_ACCESS_TOKEN_TTL_SECS", "access_token_ttl_secs"),
    ("GANTRY_REFRESH_TOKEN_TTL_SECS", "refresh_token_ttl_secs"),
    ("GANTRY_TRUSTED_PROXIES", "trusted_proxies"),
    ("GANTRY_MAX_REPRINTS", "max_reprints"),
    ("GANTRY_AGENT_HEARTBEAT_SECS", "agent_heartbeat_secs"),
    ("GANTRY_REPLAN_DEBOUNCE_MS", "replan_debounce_ms"),
    ("GANTRY_MAX_UPLOAD_BYTES", "max_upload_bytes"),
    ("GANTRY_SLICER", "slicer"),
    ("GANTRY_AUTH_CACHE_SECS", "auth_cache_secs"),
    ("GANTRY_EVENTS_RETENTION_DAYS", "events_retention_days"),
    ("GANTRY_WEB_DIR", "web_dir"),
];

impl Config {
    /// Loads from the process environment (and `GANTRY_CONFIG`, if set).
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_map(&env)
    }

    /// Loads from a given environment map (tests use this; no global state).
    pub fn from_map(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let file = match env.get("GANTRY_CONFIG").filter(|p| !p.is_empty()) {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let f: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                f
            }
            None => FileConfig::default(),
        };
        let file_map: HashMap<&str, Option<String>> = HashMap::from([
            ("listen", file.listen),
            ("data_dir", file.data_dir),
            ("database_url", file.database_url),
            ("redis_url", file.redis_url),
            ("mongodb_url", file.mongodb_url),
            ("object_store", file.object_store),
            ("s3_bucket", file.s3_bucket),
            ("s3_endpoint", file.s3_endpoint),
            ("s3_region", file.s3_region),
            ("log_format", file.log_format),
            ("graphql_max_depth", file.graphql_max_depth),
            ("graphql_max_complexity", file.graphql_max_complexity),
            ("graphql_introspection", file.graphql_introspection),
            ("max_body_bytes", file.max_body_bytes),
            ("jwt_secret", file.jwt_secret),
            ("access_token_ttl_secs", file.access_token_ttl_secs),
            ("refresh_token_ttl_secs", file.refresh_token_ttl_secs),
            ("trusted_proxies", file.trusted_proxies),
            ("max_reprints", file.max_reprints),
            ("agent_heartbeat_secs", file.agent_heartbeat_secs),
            ("replan_debounce_ms", file.replan_debounce_ms),
            ("max_upload_bytes", file.max_upload_bytes),
            ("slicer", file.slicer),
            ("auth_cache_secs", file.auth_cache_secs),
            ("events_retention_days", file.events_retention_days),
            ("web_dir", file.web_dir),
        ]);
        let get = |var: &'static str| -> Option<String> {
            if let Some(v) = env.get(var).filter(|v| !v.trim().is_empty()) {
                return Some(v.trim().to_string());
            }
            let key = KEYS.iter().find(|(e, _)| *e == var).map(|(_, k)| *k)?;
            file_map
                .get(key)
                .cloned()
                .flatten()
                .filter(|v| !v.trim().is_empty())
        };

        let listen_raw = get("GANTRY_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| ConfigError::Invalid {
            setting: "GANTRY_LISTEN",
            value: listen_raw.clone(),
            accepted: "an IP address and port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080",
        })?;

        let data_dir = PathBuf::from(get("GANTRY_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(ConfigError::Invalid {
                        setting: "DATABASE_URL",
                        value: url,
                        accepted: "sqlite://PATH or postgres://USER@HOST:PORT/DB",
                    });
                }
                url
            }
            None => format!("sqlite://{}", data_dir.join("gantry.sqlite").display()),
        };

        let redis_url = get("REDIS_URL");
        if let Some(u) = &redis_url
            && !(u.starts_with("redis://") || u.starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid {
                setting: "REDIS_URL",
                value: u.clone(),
                accepted: "redis://HOST:PORT[/DB] or rediss://…",
            });
        }
        let mongodb_url = get("MONGODB_URL");
        if let Some(u) = &mongodb_url
            && !(u.starts_with("mongodb://") || u.starts_with("mongodb+srv://"))
        {
            return Err(ConfigError::Invalid {
                setting: "MONGODB_URL",
                value: u.clone(),
                accepted: "mongodb://HOST:PORT or mongodb+srv://…",
            });
        }

        let object_store = match get("GANTRY_OBJECT_STORE").as_deref() {
            None | Some("local") => ObjectStoreConfig::Local {
                root: data_dir.join("objects"),
            },
            Some("s3") => {
                let bucket = get("GANTRY_S3_BUCKET").ok_or(ConfigError::Invalid {
                    setting: "GANTRY_S3_BUCKET",
                    value: String::new(),
                    accepted: "a bucket name (required when GANTRY_OBJECT_STORE=s3)",
                })?;
                ObjectStoreConfig::S3 {
                    bucket,
                    endpoint: get("GANTRY_S3_ENDPOINT"),
                    region: get("GANTRY_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                }
            }
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "GANTRY_OBJECT_STORE",
                    value: other.into(),
                    accepted: "local or s3",
                });
            }
        };

        let log_format = match get("GANTRY_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "GANTRY_LOG_FORMAT",
                    value: other.into(),
                    accepted: "text or json",
                });
            }
        };

        let number =
            |var: &'static str, default: usize, min: usize, max: usize| -> Result<usize, ConfigError> {
                match get(var) {
                    None => Ok(default),
                    Some(v) => match v.parse::<usize>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(ConfigError::Invalid {
                            setting: var,
                            value: v,
                            accepted: "a whole number in range",
                        }),
                    },
                }
            };
        let graphql_max_depth = number("GANTRY_GRAPHQL_MAX_DEPTH", 12, 1, 1000)?;
        let graphql_max_complexity = number("GANTRY_GRAPHQL_MAX_COMPLEXITY", 2000, 1, 1_000_000)?;
        let max_body_bytes = number("GANTRY_MAX_BODY_BYTES", 2 * 1024 * 1024, 1024, 1 << 30)?;
        let graphql_introspection = match get("GANTRY_GRAPHQL_INTROSPECTION").as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "GANTRY_GRAPHQL_INTROSPECTION",
                    value: other.into(),
                    accepted: "true or false",
                });
            }
        };

        let jwt_secret = match get("GANTRY_JWT_SECRET") {
            None => None,
            Some(v) if v.len() >= JWT_SECRET_MIN_BYTES => Some(Secret(v)),
            Some(v) => {
                return Err(ConfigError::Invalid {
                    setting: "GANTRY_JWT_SECRET",
                    // Never echo a secret, even a rejected one.
                    value: format!("<{} bytes>", v.len()),
                    accepted: "a random string of at least 32 bytes",
                });
            }
        };
        let access_token_ttl_secs = number("GANTRY_ACCESS_TOKEN_TTL_SECS", 900, 1, 86_400)? as u64;
        let refresh_token_ttl_secs =
            number("GANTRY_REFRESH_TOKEN_TTL_SECS", 30 * 86_400, 60, 365 * 86_400)? as u64;

        let trusted_proxies = match get("GANTRY_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<std::net::IpAddr>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ConfigError::Invalid {
                    setting: "GANTRY_TRUSTED_PROXIES",
                    value: v.clone(),
                    accepted: "a comma-separated list of IP addresses, e.g. 10.0.0.1,10.0.0.2",
                })?,
        };

        let max_upload_bytes = number("GANTRY_MAX_UPLOAD_BYTES", 100 * 1024 * 1024, 1024, 1 << 32)? as u64;
        let slicer = match get("GANTRY_SLICER").as_deref() {
            None | Some("auto") => crate::slicer::SlicerSetting::Auto,
            Some("off") => crate::slicer::SlicerSetting::Off,
            Some(path) if path.starts_with('/') => crate::slicer::SlicerSetting::Program(PathBuf::from(path)),
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "GANTRY_SLICER",
                    value: other.into(),
                    accepted: "auto, off or an absolute path to prusa-slicer",
                });
            }
        };

        let max_reprints = number("GANTRY_MAX_REPRINTS", 2, 0, 100)? as u32;
        let agent_heartbeat_secs = number("GANTRY_AGENT_HEARTBEAT_SECS", 10, 1, 3600)? as u64;
        let replan_debounce_ms = number("GANTRY_REPLAN_DEBOUNCE_MS", 200, 0, 60_000)? as u64;
        let auth_cache_secs = number("GANTRY_AUTH_CACHE_SECS", 5, 0, 60)? as u64;
        let events_retention_days = number("GANTRY_EVENTS_RETENTION_DAYS", 30, 1, 3650)? as u64;
        let web_dir = crate::web_static::resolve_dir(get("GANTRY_WEB_DIR"))?;

        Ok(Config {
            listen,
            data_dir,
            database_url,
            redis_url,
            mongodb_url,
            object_store,
            log_format,
            graphql_max_depth,
            graphql_max_complexity,
            graphql_introspection,
            max_body_bytes,
            jwt_secret,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            trusted_proxies,
            max_reprints,
            agent_heartbeat_secs,
            replan_debounce_ms,
            max_upload_bytes,
            slicer,
            auth_cache_secs,
            events_retention_days,
            web_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/gantry.sqlite");
        assert_eq!(
            c.object_store,
            ObjectStoreConfig::Local {
                root: PathBuf::from("./data/objects")
            }
        );
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.graphql_introspection);
        assert_eq!(c.jwt_secret, None);
        assert_eq!(
            (c.access_token_ttl_secs, c.refresh_token_ttl_secs),
            (900, 30 * 86_400)
        );
    }

    #[test]
    fn upload_limit_and_slicer() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.max_upload_bytes, 100 * 1024 * 1024);
        assert_eq!(c.slicer, crate::slicer::SlicerSetting::Auto);
        let c = Config::from_map(&env(&[
            ("GANTRY_MAX_UPLOAD_BYTES", "2048"),
            ("GANTRY_SLICER", "/opt/ps/prusa-slicer"),
        ]))
        .unwrap();
        assert_eq!(c.max_upload_bytes, 2048);
        assert_eq!(
            c.slicer,
            crate::slicer::SlicerSetting::Program(PathBuf::from("/opt/ps/prusa-slicer"))
        );
        let off = Config::from_map(&env(&[("GANTRY_SLICER", "off")])).unwrap();
        assert_eq!(off.slicer, crate::slicer::SlicerSetting::Off);
        for (k, v) in [
            ("GANTRY_MAX_UPLOAD_BYTES", "12"),
            ("GANTRY_MAX_UPLOAD_BYTES", "lots"),
            ("GANTRY_SLICER", "cura"),
        ] {
            assert!(
                matches!(Config::from_map(&env(&[(k, v)])), Err(ConfigError::Invalid { setting, .. }) if setting == k),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn jwt_secret_needs_32_bytes_and_is_never_shown() {
        let err = Config::from_map(&env(&[("GANTRY_JWT_SECRET", "short-secret")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting GANTRY_JWT_SECRET=\"<12 bytes>\": expected a random string of at least 32 bytes"
        );
        let long = "k".repeat(32);
        let c = Config::from_map(&env(&[
            ("GANTRY_JWT_SECRET", &long),
            ("GANTRY_ACCESS_TOKEN_TTL_SECS", "60"),
        ]))
        .unwrap();
        assert_eq!(c.jwt_secret, Some(Secret(long.clone())));
        assert_eq!(c.access_token_ttl_secs, 60);
        assert!(!format!("{c:?}").contains(&long));
        assert!(Config::from_map(&env(&[("GANTRY_ACCESS_TOKEN_TTL_SECS", "0")])).is_err());
    }

    #[test]
    fn live_farm_settings() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(
            (c.max_reprints, c.agent_heartbeat_secs, c.replan_debounce_ms),
            (2, 10, 200)
        );
        let c = Config::from_map(&env(&[
            ("GANTRY_MAX_REPRINTS", "0"),
            ("GANTRY_AGENT_HEARTBEAT_SECS", "1"),
            ("GANTRY_REPLAN_DEBOUNCE_MS", "0"),
        ]))
        .unwrap();
        assert_eq!(
            (c.max_reprints, c.agent_heartbeat_secs, c.replan_debounce_ms),
            (0, 1, 0)
        );
        for (k, v) in [
            ("GANTRY_MAX_REPRINTS", "-1"),
            ("GANTRY_AGENT_HEARTBEAT_SECS", "0"),
            ("GANTRY_REPLAN_DEBOUNCE_MS", "soon"),
        ] {
            let err = Config::from_map(&env(&[(k, v)])).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
    }

    #[test]
    fn trusted_proxies() {
        let c = Config::from_map(&env(&[("GANTRY_TRUSTED_PROXIES", " 10.0.0.1, ::1 ")])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(Config::from_map(&env(&[])).unwrap().trusted_proxies.is_empty());
        assert!(Config::from_map(&env(&[("GANTRY_TRUSTED_PROXIES", "10.0.0.0/8")])).is_err());
    }

    #[test]
    fn invalid_settings_name_the_setting_and_accepted_values() {
        let cases = [
            (
                "GANTRY_LISTEN",
                "localhost",
                "invalid setting GANTRY_LISTEN=\"localhost\": expected an IP address and port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080",
            ),
            (
                "DATABASE_URL",
                "mysql://x",
                "invalid setting DATABASE_URL=\"mysql://x\": expected sqlite://PATH or postgres://USER@HOST:PORT/DB",
            ),
            (
                "GANTRY_LOG_FORMAT",
                "xml",
                "invalid setting GANTRY_LOG_FORMAT=\"xml\": expected text or json",
            ),
            (
                "GANTRY_OBJECT_STORE",
                "ftp",
                "invalid setting GANTRY_OBJECT_STORE=\"ftp\": expected local or s3",
            ),
            (
                "REDIS_URL",
                "localhost:6379",
                "invalid setting REDIS_URL=\"localhost:6379\": expected redis://HOST:PORT[/DB] or rediss://…",
            ),
            (
                "GANTRY_GRAPHQL_MAX_DEPTH",
                "0",
                "invalid setting GANTRY_GRAPHQL_MAX_DEPTH=\"0\": expected a whole number in range",
            ),
        ];
        for (k, v, msg) in cases {
            let err = Config::from_map(&env(&[(k, v)])).unwrap_err();
            assert_eq!(err.to_string(), msg);
        }
    }

    #[test]
    fn s3_requires_bucket() {
        let err = Config::from_map(&env(&[("GANTRY_OBJECT_STORE", "s3")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                setting: "GANTRY_S3_BUCKET",
                ..
            }
        ));
        let c = Config::from_map(&env(&[
            ("GANTRY_OBJECT_STORE", "s3"),
            ("GANTRY_S3_BUCKET", "models"),
        ]))
        .unwrap();
        assert!(matches!(c.object_store, ObjectStoreConfig::S3 { ref bucket, .. } if bucket == "models"));
    }

    #[test]
    fn file_then_env_precedence() {
        let dir = std::env::temp_dir().join(format!("gantry-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gantry.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
        let p = path.display().to_string();
        let c = Config::from_map(&env(&[("GANTRY_CONFIG", &p)])).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.log_format, LogFormat::Json);
        let c = Config::from_map(&env(&[
            ("GANTRY_CONFIG", &p),
            ("GANTRY_LISTEN", "127.0.0.1:7000"),
        ]))
        .unwrap();
        assert_eq!(c.listen.port(), 7000);
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(matches!(
            Config::from_map(&env(&[("GANTRY_CONFIG", &p)])),
            Err(ConfigError::File { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
