//! Integrations: outbound webhooks (delivery, retries, circuit, SSRF guard) and the inbound
//! receivers' secrets.

use super::ConfigError;
use super::source::Source;

/// `GANTRY_WEBHOOKS_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhooksSettings {
    /// Endpoints may point at private, loopback or link-local addresses (default false: they
    /// are refused when created and again when the sender connects).
    pub allow_private: bool,
    /// How long one delivery attempt may take, ms (100–120000, default 15000).
    pub timeout_ms: u64,
    /// The delay after a first failure, ms; doubles per failure (10–3600000, default 5000).
    pub retry_first_delay_ms: u64,
    /// The longest delay between attempts, ms (10–86400000, default 3600000).
    pub retry_max_delay_ms: u64,
    /// How long a delivery is retried, seconds (1–2592000, default 259200 = 3 days).
    pub retry_period_secs: u64,
    /// Failed attempts in a row after which an endpoint is disabled (1–100000, default 50)…
    pub circuit_failures: u64,
    /// …provided it has been failing for at least this long, seconds (0–2592000, default 3600).
    pub circuit_min_failing_secs: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<WebhooksSettings, ConfigError> {
    Ok(WebhooksSettings {
        allow_private: src.flag("GANTRY_WEBHOOKS_ALLOW_PRIVATE", false)?,
        timeout_ms: src.number("GANTRY_WEBHOOKS_TIMEOUT_MS", 15_000, 100..=120_000)?,
        retry_first_delay_ms: src.number("GANTRY_WEBHOOKS_RETRY_FIRST_DELAY_MS", 5_000, 10..=3_600_000)?,
        retry_max_delay_ms: src.number("GANTRY_WEBHOOKS_RETRY_MAX_DELAY_MS", 3_600_000, 10..=86_400_000)?,
        retry_period_secs: src.number("GANTRY_WEBHOOKS_RETRY_PERIOD_SECS", 259_200, 1..=2_592_000)?,
        circuit_failures: src.number("GANTRY_WEBHOOKS_CIRCUIT_FAILURES", 50, 1..=100_000)?,
        circuit_min_failing_secs: src.number(
            "GANTRY_WEBHOOKS_CIRCUIT_MIN_FAILING_SECS",
            3_600,
            0..=2_592_000,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            accepts(&[], |c| c.webhooks.clone()),
            WebhooksSettings {
                allow_private: false,
                timeout_ms: 15_000,
                retry_first_delay_ms: 5_000,
                retry_max_delay_ms: 3_600_000,
                retry_period_secs: 259_200,
                circuit_failures: 50,
                circuit_min_failing_secs: 3_600,
            }
        );
        let c = accepts(
            &[
                ("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "true"),
                ("GANTRY_WEBHOOKS_TIMEOUT_MS", "500"),
                ("GANTRY_WEBHOOKS_CIRCUIT_FAILURES", "3"),
                ("GANTRY_WEBHOOKS_CIRCUIT_MIN_FAILING_SECS", "0"),
            ],
            |c| c.webhooks.clone(),
        );
        assert!(c.allow_private);
        assert_eq!(
            (c.timeout_ms, c.circuit_failures, c.circuit_min_failing_secs),
            (500, 3, 0)
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_WEBHOOKS_ALLOW_PRIVATE", "maybe", "true"),
            ("GANTRY_WEBHOOKS_TIMEOUT_MS", "50", "a whole number in range"),
            (
                "GANTRY_WEBHOOKS_RETRY_PERIOD_SECS",
                "0",
                "a whole number in range",
            ),
            ("GANTRY_WEBHOOKS_CIRCUIT_FAILURES", "0", "a whole number in range"),
        ]);
    }
}
