//! The HTTP server: where it listens, how large a request may be, which proxies are believed.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use super::ConfigError;
use super::source::{Source, invalid};

/// `GANTRY_LISTEN`, `GANTRY_MAX_BODY_BYTES`, `GANTRY_TRUSTED_PROXIES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Address and port to serve on (`GANTRY_LISTEN`, default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Largest accepted request body, bytes (`GANTRY_MAX_BODY_BYTES`, default 2 MiB).
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed when deciding the client address
    /// (used by the per-address login rate limit): addresses or CIDR ranges (a pod network,
    /// `10.0.0.0/8`). Empty: the peer address is the client (`GANTRY_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
}

pub(super) fn parse(src: &Source<'_>) -> Result<ServerSettings, ConfigError> {
    let listen_raw = src
        .get("GANTRY_LISTEN")
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen_raw.parse().map_err(|_| {
        invalid(
            "GANTRY_LISTEN",
            listen_raw.clone(),
            "an IP address and port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080",
        )
    })?;
    let max_body_bytes = src.number("GANTRY_MAX_BODY_BYTES", 2 * 1024 * 1024, 1024..=1 << 30)?;
    let trusted_proxies = match src.get("GANTRY_TRUSTED_PROXIES") {
        None => Vec::new(),
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                invalid(
                    "GANTRY_TRUSTED_PROXIES",
                    v.clone(),
                    "a comma-separated list of IP addresses or CIDR ranges, e.g. 10.0.0.1,10.244.0.0/16",
                )
            })?,
    };
    Ok(ServerSettings {
        listen,
        max_body_bytes,
        trusted_proxies,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn defaults_and_values() {
        let s = accepts(&[], |c| c.server.clone());
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.max_body_bytes, 2 * 1024 * 1024);
        assert!(s.trusted_proxies.is_empty());
        let s = accepts(
            &[
                ("GANTRY_LISTEN", "0.0.0.0:9000"),
                ("GANTRY_MAX_BODY_BYTES", "1024"),
                (
                    "GANTRY_TRUSTED_PROXIES",
                    " 10.0.0.1, ::1, 10.244.0.0/16, fd00::/8 ",
                ),
            ],
            |c| c.server.clone(),
        );
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.max_body_bytes, 1024);
        let shown: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.1/32", "::1/128", "10.244.0.0/16", "fd00::/8"]);
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_LISTEN", "localhost", "an IP address and port"),
            ("GANTRY_LISTEN", "127.0.0.1", "an IP address and port"),
            ("GANTRY_MAX_BODY_BYTES", "1023", "a whole number in range"),
            ("GANTRY_MAX_BODY_BYTES", "2GB", "a whole number in range"),
            (
                "GANTRY_TRUSTED_PROXIES",
                "10.0.0.0/33",
                "a comma-separated list of IP addresses or CIDR ranges",
            ),
            (
                "GANTRY_TRUSTED_PROXIES",
                "proxy.local",
                "a comma-separated list of IP addresses or CIDR ranges",
            ),
        ]);
    }
}
