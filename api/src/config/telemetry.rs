//! Logs: their format, and where logs and analytics are to be sent.

use super::ConfigError;
use super::source::{Source, invalid};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `GANTRY_LOG_FORMAT`, `MONGODB_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetrySettings {
    /// `text` (default) or `json`; the filter is `RUST_LOG` (`GANTRY_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// MongoDB for logs and analytics (`MONGODB_URL`; validated only, nothing is sent yet).
    pub mongodb_url: Option<String>,
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
        ]);
    }
}
