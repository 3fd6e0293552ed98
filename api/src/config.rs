//! Typed configuration: environment variables (`GANTRY_*`, `DATABASE_URL`, `REDIS_URL`,
//! `MONGODB_URL`) over an optional TOML file (`GANTRY_CONFIG=path`), validated at start.
//!
//! Precedence: environment > file > defaults. An invalid setting is an error that names the
//! setting, the value and what is accepted; `gantry` then exits with status 2.
//!
//! The settings come in sections, one module each with its struct and its parser: `server`,
//! `storage`, `database`, `cache`, `telemetry`, `graphql`, `auth`, `printing`, `farm`,
//! `events`, `web`, `finance`. The names are contracts: [`KEYS`] lists every environment variable with its
//! config-file key (the file is flat: `listen = "0.0.0.0:8080"`, not `[server]`), and a test
//! checks that the sections read exactly these variables. `api/tests/infrastructure.rs` reads the
//! same table to check the deployment files.

mod auth;
mod cache;
mod database;
mod events;
mod farm;
mod finance;
mod graphql;
mod payments;
mod printing;
mod server;
mod source;
mod storage;
mod telemetry;
mod web;
mod webhooks;

use std::collections::HashMap;

pub use auth::{AuthSettings, JWT_SECRET_MIN_BYTES, Secret};
pub use cache::CacheSettings;
pub use database::DatabaseSettings;
pub use events::EventsSettings;
pub use farm::FarmSettings;
pub use finance::FinanceConfig;
pub use graphql::GraphqlSettings;
pub use payments::{PaymentProviderKind, PaymentsSettings};
pub use printing::PrintingSettings;
pub use server::ServerSettings;
use source::Source;
pub use storage::{ObjectStoreConfig, StorageSettings};
pub use telemetry::{LogFormat, TelemetrySettings};
pub use web::WebSettings;
pub use webhooks::WebhooksSettings;

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

/// (environment variable, config-file key) of every setting, by section.
const KEYS: &[(&str, &str)] = &[
    // server
    ("GANTRY_LISTEN", "listen"),
    ("GANTRY_MAX_BODY_BYTES", "max_body_bytes"),
    ("GANTRY_TRUSTED_PROXIES", "trusted_proxies"),
    // storage
    ("GANTRY_DATA_DIR", "data_dir"),
    ("GANTRY_OBJECT_STORE", "object_store"),
    ("GANTRY_S3_BUCKET", "s3_bucket"),
    ("GANTRY_S3_ENDPOINT", "s3_endpoint"),
    ("GANTRY_S3_REGION", "s3_region"),
    // database
    ("DATABASE_URL", "database_url"),
    // cache
    ("REDIS_URL", "redis_url"),
    // telemetry
    ("GANTRY_LOG_FORMAT", "log_format"),
    ("MONGODB_URL", "mongodb_url"),
    ("GANTRY_MONGODB_EVENTS_TTL_DAYS", "mongodb_events_ttl_days"),
    ("GANTRY_MONGODB_REQUESTS_TTL_DAYS", "mongodb_requests_ttl_days"),
    // graphql
    ("GANTRY_GRAPHQL_MAX_DEPTH", "graphql_max_depth"),
    ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "graphql_max_complexity"),
    ("GANTRY_GRAPHQL_INTROSPECTION", "graphql_introspection"),
    ("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", "graphql_response_cache_ms"),
    // auth
    ("GANTRY_JWT_SECRET", "jwt_secret"),
    ("GANTRY_ACCESS_TOKEN_TTL_SECS", "access_token_ttl_secs"),
    ("GANTRY_REFRESH_TOKEN_TTL_SECS", "refresh_token_ttl_secs"),
    ("GANTRY_REFRESH_MAX_AGE_DAYS", "refresh_max_age_days"),
    ("GANTRY_AUTH_CACHE_SECS", "auth_cache_secs"),
    // printing
    ("GANTRY_MAX_UPLOAD_BYTES", "max_upload_bytes"),
    ("GANTRY_SLICER", "slicer"),
    // farm
    ("GANTRY_MAX_REPRINTS", "max_reprints"),
    ("GANTRY_AGENT_HEARTBEAT_SECS", "agent_heartbeat_secs"),
    ("GANTRY_LEADER_LEASE_SECS", "leader_lease_secs"),
    ("GANTRY_REPLAN_DEBOUNCE_MS", "replan_debounce_ms"),
    ("GANTRY_SNAPSHOT_RETENTION_DAYS", "snapshot_retention_days"),
    // events
    ("GANTRY_EVENTS_RETENTION_DAYS", "events_retention_days"),
    // web
    ("GANTRY_WEB_DIR", "web_dir"),
    // finance
    ("GANTRY_FINANCE_INVOICE_ON", "finance_invoice_on"),
    ("GANTRY_FINANCE_DEFAULT_TAX_BP", "finance_default_tax_bp"),
    ("GANTRY_FINANCE_SELLER", "finance_seller"),
    ("GANTRY_FINANCE_SETUP_MINUTES", "finance_setup_minutes"),
    // webhooks (integrations, issue #15)
    ("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "webhooks_allow_private"),
    ("GANTRY_WEBHOOKS_TIMEOUT_MS", "webhooks_timeout_ms"),
    (
        "GANTRY_WEBHOOKS_RETRY_FIRST_DELAY_MS",
        "webhooks_retry_first_delay_ms",
    ),
    (
        "GANTRY_WEBHOOKS_RETRY_MAX_DELAY_MS",
        "webhooks_retry_max_delay_ms",
    ),
    ("GANTRY_WEBHOOKS_RETRY_PERIOD_SECS", "webhooks_retry_period_secs"),
    ("GANTRY_WEBHOOKS_CIRCUIT_FAILURES", "webhooks_circuit_failures"),
    (
        "GANTRY_WEBHOOKS_CIRCUIT_MIN_FAILING_SECS",
        "webhooks_circuit_min_failing_secs",
    ),
    // payments and shops in (integrations, issue #15)
    ("GANTRY_PAYMENTS_PROVIDER", "payments_provider"),
    ("GANTRY_STRIPE_API_KEY", "stripe_api_key"),
    ("GANTRY_STRIPE_API_BASE", "stripe_api_base"),
    ("GANTRY_STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret"),
    ("GANTRY_PAYMENTS_RETURN_URL", "payments_return_url"),
    ("GANTRY_SHOPIFY_WEBHOOK_SECRET", "shopify_webhook_secret"),
    ("GANTRY_WOOCOMMERCE_WEBHOOK_SECRET", "woocommerce_webhook_secret"),
    ("GANTRY_CARRIER_WEBHOOK_SECRET", "carrier_webhook_secret"),
];

/// The validated configuration of a Gantry process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub server: ServerSettings,
    pub storage: StorageSettings,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub telemetry: TelemetrySettings,
    pub graphql: GraphqlSettings,
    pub auth: AuthSettings,
    pub printing: PrintingSettings,
    pub farm: FarmSettings,
    pub events: EventsSettings,
    pub web: WebSettings,
    pub finance: FinanceConfig,
    pub webhooks: WebhooksSettings,
    pub payments: PaymentsSettings,
}

impl Config {
    /// Loads from the process environment (and `GANTRY_CONFIG`, if set).
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_map(&env)
    }

    /// Loads from a given environment map (tests use this; no global state).
    pub fn from_map(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        Self::parse(&Source::new(env)?)
    }

    fn parse(src: &Source<'_>) -> Result<Config, ConfigError> {
        let storage = storage::parse(src)?;
        Ok(Config {
            server: server::parse(src)?,
            database: database::parse(src, &storage.data_dir)?,
            storage,
            cache: cache::parse(src)?,
            telemetry: telemetry::parse(src)?,
            graphql: graphql::parse(src)?,
            auth: auth::parse(src)?,
            printing: printing::parse(src)?,
            farm: farm::parse(src)?,
            events: events::parse(src)?,
            web: web::parse(src)?,
            finance: finance::parse(src)?,
            webhooks: webhooks::parse(src)?,
            payments: payments::parse(src)?,
        })
    }
}

/// Helpers of the sections' table tests.
#[cfg(test)]
mod testing {
    use super::*;

    pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The part `pick` of the configuration from `pairs`, which must be valid.
    #[track_caller]
    pub fn accepts<T>(pairs: &[(&str, &str)], pick: impl Fn(&Config) -> T) -> T {
        match Config::from_map(&env(pairs)) {
            Ok(c) => pick(&c),
            Err(e) => panic!("{pairs:?} refused: {e}"),
        }
    }

    /// Each (variable, value, part of the accepted values) is refused with an error naming the
    /// variable and its value.
    #[track_caller]
    pub fn rejects(cases: &[(&'static str, &str, &str)]) {
        for &(var, value, accepted_part) in cases {
            match Config::from_map(&env(&[(var, value)])) {
                Err(ConfigError::Invalid {
                    setting,
                    value: shown,
                    accepted,
                }) => {
                    assert_eq!((setting, shown.as_str()), (var, value), "{var}={value}");
                    assert!(accepted.contains(accepted_part), "{var}={value}: {accepted}");
                    let message = Config::from_map(&env(&[(var, value)])).unwrap_err().to_string();
                    assert!(
                        message.starts_with(&format!("invalid setting {var}=")),
                        "{message}"
                    );
                }
                other => panic!("{var}={value}: expected an error naming {var}, got {other:?}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::testing::env;
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database.url, "sqlite://./data/gantry.sqlite");
        assert_eq!(
            c.storage.objects,
            ObjectStoreConfig::Local {
                root: PathBuf::from("./data/objects")
            }
        );
        assert_eq!(c.telemetry.log_format, LogFormat::Text);
        assert!(c.graphql.introspection);
        assert_eq!(c.auth.jwt_secret, None);
        assert_eq!(
            (c.auth.access_token_ttl_secs, c.auth.refresh_token_ttl_secs),
            (900, 30 * 86_400)
        );
        assert_eq!(c.auth.refresh_max_age_days, 30);
    }

    #[test]
    fn upload_limit_and_slicer() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.printing.max_upload_bytes, 100 * 1024 * 1024);
        assert_eq!(c.printing.slicer, crate::slicer::SlicerSetting::Auto);
        let c = Config::from_map(&env(&[
            ("GANTRY_MAX_UPLOAD_BYTES", "2048"),
            ("GANTRY_SLICER", "/opt/ps/prusa-slicer"),
        ]))
        .unwrap();
        assert_eq!(c.printing.max_upload_bytes, 2048);
        assert_eq!(
            c.printing.slicer,
            crate::slicer::SlicerSetting::Program(PathBuf::from("/opt/ps/prusa-slicer"))
        );
        let off = Config::from_map(&env(&[("GANTRY_SLICER", "off")])).unwrap();
        assert_eq!(off.printing.slicer, crate::slicer::SlicerSetting::Off);
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
        assert_eq!(c.auth.jwt_secret, Some(Secret(long.clone())));
        assert_eq!(c.auth.access_token_ttl_secs, 60);
        assert!(!format!("{c:?}").contains(&long));
        assert!(Config::from_map(&env(&[("GANTRY_ACCESS_TOKEN_TTL_SECS", "0")])).is_err());
    }

    #[test]
    fn live_farm_settings() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(
            (
                c.farm.max_reprints,
                c.farm.agent_heartbeat_secs,
                c.farm.replan_debounce_ms
            ),
            (2, 10, 200)
        );
        let c = Config::from_map(&env(&[
            ("GANTRY_MAX_REPRINTS", "0"),
            ("GANTRY_AGENT_HEARTBEAT_SECS", "1"),
            ("GANTRY_REPLAN_DEBOUNCE_MS", "0"),
        ]))
        .unwrap();
        assert_eq!(
            (
                c.farm.max_reprints,
                c.farm.agent_heartbeat_secs,
                c.farm.replan_debounce_ms
            ),
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
        assert_eq!(c.server.trusted_proxies.len(), 2);
        assert!(
            Config::from_map(&env(&[]))
                .unwrap()
                .server
                .trusted_proxies
                .is_empty()
        );
        assert!(Config::from_map(&env(&[("GANTRY_TRUSTED_PROXIES", "10.0.0.0/8")])).is_ok());
        assert!(Config::from_map(&env(&[("GANTRY_TRUSTED_PROXIES", "10.0.0.0/40")])).is_err());
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
            (
                "GANTRY_REFRESH_MAX_AGE_DAYS",
                "0",
                "invalid setting GANTRY_REFRESH_MAX_AGE_DAYS=\"0\": expected a whole number in range",
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
        assert!(matches!(c.storage.objects, ObjectStoreConfig::S3 { ref bucket, .. } if bucket == "models"));
    }

    /// A config file in a fresh folder; removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, text: &str) -> TempFile {
            let dir = std::env::temp_dir().join(format!("gantry-cfg-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("gantry.toml");
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }

        fn path(&self) -> String {
            self.0.display().to_string()
        }

        fn load(&self, more: &[(&str, &str)]) -> Result<Config, ConfigError> {
            let p = self.path();
            let mut vars = vec![("GANTRY_CONFIG", p.as_str())];
            vars.extend_from_slice(more);
            Config::from_map(&env(&vars))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    #[test]
    fn file_then_env_precedence() {
        let f = TempFile::new("precedence", "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n");
        let c = f.load(&[]).unwrap();
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.telemetry.log_format, LogFormat::Json);
        let c = f.load(&[("GANTRY_LISTEN", "127.0.0.1:7000")]).unwrap();
        assert_eq!(c.server.listen.port(), 7000);
        std::fs::write(&f.0, "lisen = \"x\"\n").unwrap();
        assert!(matches!(f.load(&[]), Err(ConfigError::File { .. })));
    }

    #[test]
    fn every_file_key_sets_its_variable() {
        // An invalid value under each file key is reported under the key's environment variable
        // (the free-form settings are checked by value instead).
        let free_form = [
            "data_dir",
            "finance_seller",
            "s3_bucket",
            "s3_endpoint",
            "s3_region",
        ];
        for (var, key) in KEYS.iter().filter(|(_, k)| !free_form.contains(k)) {
            let f = TempFile::new(key, &format!("{key} = \"not valid!\"\n"));
            match f.load(&[]) {
                Err(ConfigError::Invalid { setting, .. }) => assert_eq!(setting, *var, "{key}"),
                other => panic!("{key} = \"not valid!\": {other:?}"),
            }
        }
        let f = TempFile::new(
            "free-form",
            "data_dir = \"/srv/gantry\"\nobject_store = \"s3\"\ns3_bucket = \"b\"\n\
             s3_endpoint = \"http://minio:9000\"\ns3_region = \"eu-west-1\"\n",
        );
        let c = f.load(&[]).unwrap();
        assert_eq!(c.storage.data_dir, PathBuf::from("/srv/gantry"));
        assert_eq!(c.database.url, "sqlite:///srv/gantry/gantry.sqlite");
        assert_eq!(
            c.storage.objects,
            ObjectStoreConfig::S3 {
                bucket: "b".into(),
                endpoint: Some("http://minio:9000".into()),
                region: "eu-west-1".into()
            }
        );
    }

    #[test]
    fn file_values_may_be_numbers_and_booleans() {
        let f = TempFile::new(
            "typed",
            "graphql_max_depth = 20\ngraphql_introspection = false\nrefresh_max_age_days = 7\n",
        );
        let c = f.load(&[]).unwrap();
        assert_eq!(c.graphql.max_depth, 20);
        assert!(!c.graphql.introspection);
        assert_eq!(c.auth.refresh_max_age_days, 7);
        // Out of range from the file: the same error as from the environment.
        let f = TempFile::new("typed-bad", "refresh_max_age_days = 0\n");
        assert_eq!(
            f.load(&[]).unwrap_err().to_string(),
            "invalid setting GANTRY_REFRESH_MAX_AGE_DAYS=\"0\": expected a whole number in range"
        );
        for (name, text, reason) in [
            (
                "unknown",
                "server_listen = \"x\"\n",
                "unknown key `server_listen`",
            ),
            ("table", "[server]\nlisten = \"x\"\n", "unknown key `server`"),
            (
                "float",
                "graphql_max_depth = 1.5\n",
                "key `graphql_max_depth`: expected a string",
            ),
            ("syntax", "listen = \n", ""),
        ] {
            let f = TempFile::new(name, text);
            match f.load(&[]) {
                Err(ConfigError::File { path, reason: r }) => {
                    assert_eq!(path, f.path());
                    assert!(r.contains(reason), "{name}: {r}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let missing = Config::from_map(&env(&[("GANTRY_CONFIG", "/no/such/gantry.toml")]));
        assert!(matches!(missing, Err(ConfigError::File { .. })));
    }

    #[test]
    fn the_sections_read_exactly_the_listed_variables() {
        let mut asked = BTreeSet::new();
        // The S3 settings are read only when the object store is S3.
        for pairs in [
            vec![],
            vec![("GANTRY_OBJECT_STORE", "s3"), ("GANTRY_S3_BUCKET", "b")],
        ] {
            let vars = env(&pairs);
            let src = Source::new(&vars).unwrap();
            Config::parse(&src).unwrap();
            asked.extend(src.asked());
        }
        let listed: BTreeSet<&str> = KEYS.iter().map(|(var, _)| *var).collect();
        assert_eq!(asked, listed);
        // Names are unique, and every file key is its variable in lower case without `GANTRY_`.
        let keys: BTreeSet<&str> = KEYS.iter().map(|(_, key)| *key).collect();
        assert_eq!((listed.len(), keys.len()), (KEYS.len(), KEYS.len()));
        for (var, key) in KEYS {
            assert_eq!(var.trim_start_matches("GANTRY_").to_lowercase(), *key);
        }
    }
}
