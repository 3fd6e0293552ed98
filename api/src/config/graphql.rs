//! Limits of the GraphQL endpoint.

use super::ConfigError;
use super::source::Source;

/// `GANTRY_GRAPHQL_MAX_DEPTH`, `GANTRY_GRAPHQL_MAX_COMPLEXITY`, `GANTRY_GRAPHQL_INTROSPECTION`,
/// `GANTRY_GRAPHQL_RESPONSE_CACHE_MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlSettings {
    /// Query depth limit (1–1000, default 12).
    pub max_depth: usize,
    /// Query complexity limit (1–1000000, default 2000).
    pub max_complexity: usize,
    /// Whether introspection is answered (default true; turn off in production).
    pub introspection: bool,
    /// How long an answer to a query is kept for the same caller and body (0–60000 ms,
    /// default 0: off); emptied by every event and local mutation (`crate::response_cache`).
    pub response_cache_ms: u64,
}

pub(super) fn parse(src: &Source<'_>) -> Result<GraphqlSettings, ConfigError> {
    Ok(GraphqlSettings {
        max_depth: src.number("GANTRY_GRAPHQL_MAX_DEPTH", 12, 1..=1000)?,
        max_complexity: src.number("GANTRY_GRAPHQL_MAX_COMPLEXITY", 2000, 1..=1_000_000)?,
        introspection: src.flag("GANTRY_GRAPHQL_INTROSPECTION", true)?,
        response_cache_ms: src.number("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", 0, 0..=60_000)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            accepts(&[], |c| c.graphql.clone()),
            GraphqlSettings {
                max_depth: 12,
                max_complexity: 2000,
                introspection: true,
                response_cache_ms: 0,
            }
        );
        let g = accepts(
            &[
                ("GANTRY_GRAPHQL_MAX_DEPTH", "1000"),
                ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "1"),
                ("GANTRY_GRAPHQL_INTROSPECTION", "0"),
                ("GANTRY_GRAPHQL_RESPONSE_CACHE_MS", "60000"),
            ],
            |c| c.graphql.clone(),
        );
        assert_eq!((g.max_depth, g.max_complexity, g.introspection), (1000, 1, false));
        assert_eq!(g.response_cache_ms, 60_000);
        assert!(accepts(&[("GANTRY_GRAPHQL_INTROSPECTION", "1")], |c| c
            .graphql
            .introspection));
        assert!(!accepts(&[("GANTRY_GRAPHQL_INTROSPECTION", "false")], |c| c
            .graphql
            .introspection));
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_GRAPHQL_MAX_DEPTH", "0", "a whole number in range"),
            ("GANTRY_GRAPHQL_MAX_DEPTH", "1001", "a whole number in range"),
            ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "-5", "a whole number in range"),
            ("GANTRY_GRAPHQL_MAX_COMPLEXITY", "lots", "a whole number in range"),
            ("GANTRY_GRAPHQL_INTROSPECTION", "yes", "true or false"),
            (
                "GANTRY_GRAPHQL_RESPONSE_CACHE_MS",
                "60001",
                "a whole number in range",
            ),
        ]);
    }
}
