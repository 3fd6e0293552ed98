//! Logs: their format, and where logs and analytics are to be sent.

use super::ConfigError;
use super::source::{Source, invalid};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `GANTRY_LOG_FORMAT`, `MONGODB_URL`, `GANTRY_MONGODB_EVENTS_TTL_DAYS`,
/// `GANTRY_MONGODB_REQUESTS_TTL_DAYS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetrySettings {
    /// `text` (default) or `json`; the filter is `RUST_LOG` (`GANTRY_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// MongoDB for analytics (`MONGODB_URL`): when set, every event of the outbox and a log of
    /// the requests are written there (`api/src/analytics.rs`). The database is the URL's path
    /// (default `gantry`).
    pub mongodb_url: Option<String>,
    /// How long MongoDB keeps the events it was sent, days (TTL index; 1–36500, default 365).
    pub mongodb_events_ttl_days: u64,
    /// How long MongoDB keeps the request log, days (TTL index; 1–36500, default 30).
    pub mongodb_requests_ttl_days: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<TelemetrySettings, ConfigError> {
    let log_format = src.one_of(
        "GANTRY_LOG_FORMAT",
        LogFormat::Text,
        &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        "text or json",
    )?;
    let mongodb_url = src.get("MONGODB_URL");
    if let Some(u) = &mongodb_url
        && !(u.starts_with("mongodb://") || u.starts_with("mongodb+srv://"))
    {
        return Err(invalid(
            "MONGODB_URL",
            u.clone(),
            "mongodb://HOST:PORT or mongodb+srv://…",
        ));
    }
    Ok(TelemetrySettings {
        log_format,
        mongodb_url,
        mongodb_events_ttl_days: src.number("GANTRY_MONGODB_EVENTS_TTL_DAYS", 365, 1..=36_500)?,
        mongodb_requests_ttl_days: src.number("GANTRY_MONGODB_REQUESTS_TTL_DAYS", 30, 1..=36_500)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn text_logs_by_default() {
        let t = accepts(&[], |c| c.telemetry.clone());
        assert_eq!((t.log_format, t.mongodb_url), (LogFormat::Text, None));
        let t = accepts(
            &[
                ("GANTRY_LOG_FORMAT", "json"),
                ("MONGODB_URL", "mongodb+srv://logs.example"),
            ],
            |c| c.telemetry.clone(),
        );
        assert_eq!(t.log_format, LogFormat::Json);
        assert_eq!(t.mongodb_url.as_deref(), Some("mongodb+srv://logs.example"));
        assert_eq!(
            (t.mongodb_events_ttl_days, t.mongodb_requests_ttl_days),
            (365, 30)
        );
        let t = accepts(
            &[
                ("GANTRY_MONGODB_EVENTS_TTL_DAYS", "7"),
                ("GANTRY_MONGODB_REQUESTS_TTL_DAYS", "1"),
            ],
            |c| c.telemetry.clone(),
        );
        assert_eq!((t.mongodb_events_ttl_days, t.mongodb_requests_ttl_days), (7, 1));
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_LOG_FORMAT", "xml", "text or json"),
            ("GANTRY_LOG_FORMAT", "JSON", "text or json"),
            (
                "MONGODB_URL",
                "localhost:27017",
                "mongodb://HOST:PORT or mongodb+srv://…",
            ),
            ("GANTRY_MONGODB_EVENTS_TTL_DAYS", "0", "a whole number in range"),
            (
                "GANTRY_MONGODB_REQUESTS_TTL_DAYS",
                "a week",
                "a whole number in range",
            ),
        ]);
    }
}
