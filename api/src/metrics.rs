//! A small hand-written Prometheus registry (text exposition format 0.0.4), served at `/metrics`.
//!
//! Series:
//! - `gantry_http_requests_total{method,route,status}` — counter of HTTP requests.
//! - `gantry_http_request_duration_seconds{route}` — histogram of request latency.
//! - `gantry_graphql_errors_total{code}` — counter of GraphQL errors by `extensions.code`.
//! - `gantry_queue_length` — gauge: production jobs in state `queued` (read at scrape time).
//! - `gantry_agents_connected` — gauge: printer agents connected to `/agent/ws` now.
//! - `gantry_plan_gap` — gauge: relative optimality gap of the last plan the live farm's
//!   scheduler persisted (0 before the first).
//!
//! Routes are a fixed set (unknown paths count as `other`), so label cardinality is bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The routes used as labels.
pub const ROUTES: [&str; 6] = [
    "/graphql",
    "/healthz",
    "/metrics",
    "/graphiql",
    "/agent/ws",
    "other",
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct State {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    graphql_errors: BTreeMap<String, u64>,
}

/// Process-wide metrics.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// Values read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub queue_length: i64,
    pub agents_connected: i64,
    pub plan_gap: f64,
    /// GraphQL answers sent from the response cache, and requests it could not answer
    /// (`crate::response_cache`; both 0 while it is off).
    pub response_cache_hits: u64,
    pub response_cache_misses: u64,
}

/// The route label for a path.
pub fn route(path: &str) -> &'static str {
    ROUTES.into_iter().find(|r| *r == path).unwrap_or("other")
}

impl Metrics {
    /// Records one HTTP request.
    pub fn observe_request(&self, method: &str, path: &str, status: u16, elapsed: Duration) {
        let route = route(path);
        let method = match method {
            "GET" | "POST" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "PATCH" => method,
            _ => "OTHER",
        };
        let secs = elapsed.as_secs_f64();
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        *s.requests.entry((method.to_string(), route, status)).or_default() += 1;
        let h = s.latency.entry(route).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le
                && let Some(c) = h.counts.get_mut(i)
            {
                *c += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// Records one GraphQL error by its `extensions.code` (or `UNKNOWN`).
    pub fn observe_graphql_error(&self, code: &str) {
        // Codes come from our own table; anything else is folded to bound cardinality.
        let known = [
            "VALIDATION",
            "NOT_FOUND",
            "FORBIDDEN",
            "UNAUTHENTICATED",
            "CONFLICT",
            "RATE_LIMITED",
            "INTERNAL",
        ];
        let code = if known.contains(&code) { code } else { "OTHER" };
        if let Ok(mut s) = self.state.lock() {
            *s.graphql_errors.entry(code.to_string()).or_default() += 1;
        }
    }

    /// The exposition text.
    pub fn render(&self, g: Gauges) -> String {
        let mut out = String::new();
        let Ok(s) = self.state.lock() else {
            return out;
        };
        let _ = writeln!(out, "# HELP gantry_http_requests_total HTTP requests served.");
        let _ = writeln!(out, "# TYPE gantry_http_requests_total counter");
        for ((method, route, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "gantry_http_requests_total{{method=\"{}\",route=\"{route}\",status=\"{status}\"}} {n}",
                escape(method)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gantry_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(out, "# TYPE gantry_http_request_duration_seconds histogram");
        for (route, h) in &s.latency {
            for (le, c) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "gantry_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "gantry_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "gantry_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "gantry_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP gantry_graphql_errors_total GraphQL errors by extensions.code."
        );
        let _ = writeln!(out, "# TYPE gantry_graphql_errors_total counter");
        for (code, n) in &s.graphql_errors {
            let _ = writeln!(out, "gantry_graphql_errors_total{{code=\"{code}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP gantry_graphql_response_cache_total GraphQL requests answered from the response cache (hit) or not (miss)."
        );
        let _ = writeln!(out, "# TYPE gantry_graphql_response_cache_total counter");
        for (result, n) in [("hit", g.response_cache_hits), ("miss", g.response_cache_misses)] {
            let _ = writeln!(
                out,
                "gantry_graphql_response_cache_total{{result=\"{result}\"}} {n}"
            );
        }
        let gauges = [
            (
                "gantry_queue_length",
                "Production jobs waiting in state queued.",
                g.queue_length as f64,
            ),
            (
                "gantry_agents_connected",
                "Printer agents connected to /agent/ws now.",
                g.agents_connected as f64,
            ),
            (
                "gantry_plan_gap",
                "Relative optimality gap of the live farm's last plan (0 when proved optimal or no farm runs).",
                g.plan_gap,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {v}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.observe_request("POST", "/graphql", 200, Duration::from_millis(3));
        m.observe_request("POST", "/graphql", 200, Duration::from_millis(30));
        m.observe_request("GET", "/nope", 404, Duration::from_millis(1));
        m.observe_graphql_error("UNAUTHENTICATED");
        m.observe_graphql_error("weird");
        let text = m.render(Gauges {
            queue_length: 4,
            response_cache_hits: 7,
            ..Gauges::default()
        });
        assert!(
            text.contains("gantry_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"} 2")
        );
        assert!(text.contains("gantry_http_requests_total{method=\"GET\",route=\"other\",status=\"404\"} 1"));
        assert!(
            text.contains("gantry_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("gantry_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"+Inf\"} 2")
        );
        assert!(text.contains("gantry_http_request_duration_seconds_count{route=\"/graphql\"} 2"));
        assert!(text.contains("gantry_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1"));
        assert!(text.contains("gantry_graphql_errors_total{code=\"OTHER\"} 1"));
        assert!(text.contains("gantry_queue_length 4\n"));
        assert!(text.contains("# TYPE gantry_agents_connected gauge\ngantry_agents_connected 0\n"));
        assert!(text.contains("gantry_plan_gap 0\n"));
        assert!(text.contains("gantry_graphql_response_cache_total{result=\"hit\"} 7\n"));
        assert!(text.contains("gantry_graphql_response_cache_total{result=\"miss\"} 0\n"));
    }
}
