//! The live farm: reprints, agent heartbeats, re-planning.

use super::ConfigError;
use super::source::Source;

/// `GANTRY_MAX_REPRINTS`, `GANTRY_AGENT_HEARTBEAT_SECS`, `GANTRY_REPLAN_DEBOUNCE_MS`,
/// `GANTRY_LEADER_LEASE_SECS`, `GANTRY_SNAPSHOT_RETENTION_DAYS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmSettings {
    /// Automatic reprints of a failed plate before its order is flagged (0–100, default 2).
    pub max_reprints: u32,
    /// Heartbeat interval told to agents, seconds; offline after 3 missed (1–3600, default 10).
    pub agent_heartbeat_secs: u64,
    /// Re-plan requests within this window are one solve, ms (0–60000, default 200).
    pub replan_debounce_ms: u64,
    /// How long the scheduler leader's lease lasts without renewal, seconds (3–300, default
    /// 10): a crashed leader is replaced after about this long (`GANTRY_LEADER_LEASE_SECS`).
    pub leader_lease_secs: u64,
    /// How long camera snapshots kept for job histories stay, days (1–3650, default 90;
    /// `GANTRY_SNAPSHOT_RETENTION_DAYS`); older ones and their JPEGs are pruned hourly.
    pub snapshot_retention_days: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<FarmSettings, ConfigError> {
    Ok(FarmSettings {
        max_reprints: src.number("GANTRY_MAX_REPRINTS", 2, 0..=100)?,
        agent_heartbeat_secs: src.number("GANTRY_AGENT_HEARTBEAT_SECS", 10, 1..=3600)?,
        replan_debounce_ms: src.number("GANTRY_REPLAN_DEBOUNCE_MS", 200, 0..=60_000)?,
        leader_lease_secs: src.number("GANTRY_LEADER_LEASE_SECS", 10, 3..=300)?,
        snapshot_retention_days: src.number("GANTRY_SNAPSHOT_RETENTION_DAYS", 90, 1..=3650)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            accepts(&[], |c| c.farm.clone()),
            FarmSettings {
                max_reprints: 2,
                agent_heartbeat_secs: 10,
                replan_debounce_ms: 200,
                leader_lease_secs: 10,
                snapshot_retention_days: 90
            }
        );
        assert_eq!(
            accepts(
                &[
                    ("GANTRY_MAX_REPRINTS", "0"),
                    ("GANTRY_AGENT_HEARTBEAT_SECS", "1"),
                    ("GANTRY_REPLAN_DEBOUNCE_MS", "0"),
                    ("GANTRY_LEADER_LEASE_SECS", "3"),
                    ("GANTRY_SNAPSHOT_RETENTION_DAYS", "1"),
                ],
                |c| c.farm.clone()
            ),
            FarmSettings {
                max_reprints: 0,
                agent_heartbeat_secs: 1,
                replan_debounce_ms: 0,
                leader_lease_secs: 3,
                snapshot_retention_days: 1
            }
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_MAX_REPRINTS", "-1", "a whole number in range"),
            ("GANTRY_MAX_REPRINTS", "101", "a whole number in range"),
            ("GANTRY_AGENT_HEARTBEAT_SECS", "0", "a whole number in range"),
            ("GANTRY_AGENT_HEARTBEAT_SECS", "3601", "a whole number in range"),
            ("GANTRY_REPLAN_DEBOUNCE_MS", "soon", "a whole number in range"),
            ("GANTRY_REPLAN_DEBOUNCE_MS", "60001", "a whole number in range"),
            ("GANTRY_LEADER_LEASE_SECS", "2", "a whole number in range"),
            ("GANTRY_SNAPSHOT_RETENTION_DAYS", "0", "a whole number in range"),
            (
                "GANTRY_SNAPSHOT_RETENTION_DAYS",
                "3651",
                "a whole number in range",
            ),
        ]);
    }
}
