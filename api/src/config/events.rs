//! The event outbox.

use super::ConfigError;
use super::source::Source;

/// `GANTRY_EVENTS_RETENTION_DAYS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsSettings {
    /// How long committed events stay in the outbox, days (1–3650, default 30); older ones are
    /// pruned hourly.
    pub retention_days: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<EventsSettings, ConfigError> {
    Ok(EventsSettings {
        retention_days: src.number("GANTRY_EVENTS_RETENTION_DAYS", 30, 1..=3650)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn defaults_and_values() {
        assert_eq!(accepts(&[], |c| c.events.retention_days), 30);
        assert_eq!(
            accepts(&[("GANTRY_EVENTS_RETENTION_DAYS", "1")], |c| c
                .events
                .retention_days),
            1
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_EVENTS_RETENTION_DAYS", "0", "a whole number in range"),
            ("GANTRY_EVENTS_RETENTION_DAYS", "3651", "a whole number in range"),
            (
                "GANTRY_EVENTS_RETENTION_DAYS",
                "a month",
                "a whole number in range",
            ),
        ]);
    }
}
