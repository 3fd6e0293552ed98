//! Outbound delivery rules (pure): which endpoint URLs are allowed, which event types an
//! endpoint may subscribe to, when a failed attempt is retried, when an endpoint's circuit
//! opens, and the body every delivery carries.

// IP addresses as values (no sockets, no resolution): `core::net`.
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::IntegrationError;

/// Longest accepted endpoint URL.
pub const URL_MAX: usize = 2048;
/// Longest accepted endpoint description, in characters.
pub const DESCRIPTION_MAX: usize = 200;
/// Most event types one endpoint subscribes to.
pub const TYPES_MAX: usize = 64;

/// A checked endpoint URL: `http(s)://host[:port]/path`, no credentials, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    pub url: String,
    /// The host as written (an IP literal without brackets, or a lower-cased name).
    pub host: String,
    pub https: bool,
}

/// Checks an endpoint URL and, unless `allow_private`, refuses hosts that are loopback,
/// private, link-local or otherwise not public (IP literals and the `localhost` names; a name
/// resolving to such an address is refused again when the sender connects).
pub fn check_url(url: &str, allow_private: bool) -> Result<EndpointUrl, IntegrationError> {
    let bad = |reason: &'static str| IntegrationError::UrlInvalid {
        url: url.chars().take(200).collect(),
        reason,
    };
    let u = url.trim();
    if u.is_empty() || u.len() > URL_MAX {
        return Err(bad("must be 1 to 2048 characters"));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain blanks or control characters"));
    }
    let (https, rest) = if let Some(r) = strip_prefix_ci(u, "https://") {
        (true, r)
    } else if let Some(r) = strip_prefix_ci(u, "http://") {
        (false, r)
    } else {
        return Err(bad("must start with http:// or https://"));
    };
    if u.contains('#') {
        return Err(bad("must not have a fragment"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    let host = if let Some(r) = authority.strip_prefix('[') {
        let (h, after) = r.split_once(']').ok_or_else(|| bad("unclosed IPv6 bracket"))?;
        if !(after.is_empty() || after.starts_with(':')) {
            return Err(bad("bad port"));
        }
        check_port(after.strip_prefix(':')).map_err(|_| bad("bad port"))?;
        h.parse::<Ipv6Addr>().map_err(|_| bad("bad IPv6 address"))?;
        h.to_string()
    } else {
        let (h, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        check_port(port).map_err(|_| bad("bad port"))?;
        h.to_ascii_lowercase()
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
    {
        return Err(bad("host has characters outside letters, digits, '.', '-'"));
    }
    if !allow_private && host_forbidden(&host) {
        return Err(IntegrationError::UrlForbidden { host });
    }
    Ok(EndpointUrl {
        url: u.to_string(),
        host,
        https,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &s[prefix.len()..])
}

fn check_port(p: Option<&str>) -> Result<(), ()> {
    match p {
        None => Ok(()),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(()),
            _ => Err(()),
        },
    }
}

/// Whether a host as written is not a public target: a non-public IP literal or a
/// `localhost` name.
pub fn host_forbidden(host: &str) -> bool {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip_forbidden(ip);
    }
    let h = host.trim_end_matches('.');
    h == "localhost" || h.ends_with(".localhost")
}

/// Whether an address is not a public unicast target: unspecified, loopback, private
/// (RFC 1918, unique-local), link-local, carrier-grade NAT, benchmarking, documentation,
/// multicast, broadcast or reserved; IPv4-mapped IPv6 addresses are judged as IPv4.
pub fn ip_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_forbidden(v4);
            }
            let s = v6.segments();
            v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 (embeds IPv4)
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0) // IPv4-compatible
        }
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240 // reserved
}

/// Checks an endpoint's subscription: at least one type, each one of `known` (the types of
/// `docs/events.md`), without repeats. Returns them sorted.
pub fn check_event_types<S: AsRef<str>>(
    types: &[S],
    known: &[&str],
) -> Result<Vec<String>, IntegrationError> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.as_ref().trim();
        if !known.contains(&t) {
            return Err(IntegrationError::UnknownEventType(t.chars().take(100).collect()));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.is_empty() {
        return Err(IntegrationError::NoEventTypes);
    }
    if out.len() > TYPES_MAX {
        return Err(IntegrationError::TooManyEventTypes(out.len()));
    }
    out.sort();
    Ok(out)
}

/// Checks an endpoint description (trimmed, at most [`DESCRIPTION_MAX`] characters).
pub fn check_description(s: &str) -> Result<String, IntegrationError> {
    let t = s.trim();
    if t.chars().count() > DESCRIPTION_MAX || t.chars().any(char::is_control) {
        return Err(IntegrationError::DescriptionInvalid);
    }
    Ok(t.to_string())
}

/// How a failed delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failure, ms; it doubles after every further failure.
    pub first_delay_ms: i64,
    /// The longest delay between two attempts, ms.
    pub max_delay_ms: i64,
    /// How long after a delivery was created it is still attempted, ms (default 3 days).
    pub period_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay_ms: 5_000,
            max_delay_ms: 3_600_000,
            period_ms: 3 * 24 * 3_600_000,
        }
    }
}

/// What to do with a delivery after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (epoch ms).
    RetryAt(i64),
    /// The retry period is over: the delivery has failed.
    GiveUp,
}

impl RetryPolicy {
    /// After the `attempt`-th attempt (1-based) failed at `now_ms` for a delivery created at
    /// `created_ms`: exponential backoff with jitter (`jitter` in [0, 1), drawn by the caller,
    /// scales the delay between 50 % and 100 %), never past the retry period.
    pub fn after_failure(&self, attempt: i64, created_ms: i64, now_ms: i64, jitter: f64) -> AfterFailure {
        let exp = u32::try_from((attempt - 1).clamp(0, 40)).unwrap_or(40);
        let base = self
            .first_delay_ms
            .max(1)
            .saturating_mul(2_i64.saturating_pow(exp))
            .min(self.max_delay_ms.max(1));
        let j = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let delay = ((base as f64) * (0.5 + 0.5 * j)).round() as i64;
        let at = now_ms.saturating_add(delay.max(1));
        if at > created_ms.saturating_add(self.period_ms) {
            AfterFailure::GiveUp
        } else {
            AfterFailure::RetryAt(at)
        }
    }
}

/// When an endpoint is switched off: after `threshold` failed attempts in a row, provided the
/// first of them is at least `min_failing_ms` old (one burst of failures does not disable an
/// endpoint that was healthy a moment ago).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circuit {
    pub threshold: i64,
    pub min_failing_ms: i64,
}

impl Default for Circuit {
    fn default() -> Self {
        Circuit {
            threshold: 50,
            min_failing_ms: 3_600_000,
        }
    }
}

impl Circuit {
    /// Whether an endpoint with `consecutive_failures` (counting the one just recorded),
    /// failing since `failing_since_ms`, is disabled now.
    pub fn opens(&self, consecutive_failures: i64, failing_since_ms: i64, now_ms: i64) -> bool {
        consecutive_failures >= self.threshold.max(1)
            && now_ms.saturating_sub(failing_since_ms) >= self.min_failing_ms
    }
}

/// The body of a delivery (the Standard Webhooks payload shape): `{"type", "timestamp" (RFC
/// 3339, when the event occurred), "event_id", "data" (the event's payload as in
/// `docs/events.md`)}`. Deterministic, so every attempt of a delivery sends the same bytes.
pub fn body(event_type: &str, event_id: i64, occurred_at_rfc3339: &str, payload_json: &str) -> String {
    let data = if serde_json::from_str::<serde_json::Value>(payload_json).is_ok() {
        payload_json
    } else {
        "null"
    };
    format!(
        "{{\"type\":{},\"timestamp\":{},\"event_id\":{event_id},\"data\":{data}}}",
        serde_json::Value::from(event_type),
        serde_json::Value::from(occurred_at_rfc3339),
    )
}

/// The `webhook-id` of an event's message: the same for every attempt and replay, so a
/// receiver can drop duplicates.
pub fn message_id(event_id: i64) -> String {
    format!("msg_{event_id}")
}
