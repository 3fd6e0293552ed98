//! HTTP digest authentication (RFC 7616 with MD5 and MD5-sess, `qop=auth` or none), as PrusaLink
//! asks for it. The challenge is kept, so later requests authenticate at once (with a growing
//! nonce count) instead of being refused first; a `stale` refusal renews it.

use md5::{Digest, Md5};

/// A server's `WWW-Authenticate: Digest …` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// `auth` when the server offers it; `None`: the legacy RFC 2069 form.
    pub qop: Option<String>,
    /// `MD5` or `MD5-sess`.
    pub algorithm: String,
    pub stale: bool,
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `key=value` / `key="value"` pairs of a challenge (commas inside quotes kept).
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            value = r[..end].to_string();
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((key, value));
    }
    out
}

impl Challenge {
    /// Parses a `WWW-Authenticate` header value; `None` when it is not a digest challenge.
    pub fn parse(header: &str) -> Option<Challenge> {
        let h = header.trim();
        if h.len() < 7 || !h[..7].eq_ignore_ascii_case("digest ") {
            return None;
        }
        let p = params(&h[7..]);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let qop = get("qop").and_then(|q| {
            q.split(',')
                .map(str::trim)
                .find(|q| q.eq_ignore_ascii_case("auth"))
                .map(str::to_string)
        });
        Some(Challenge {
            realm: get("realm")?,
            nonce: get("nonce")?,
            opaque: get("opaque"),
            qop,
            algorithm: get("algorithm").unwrap_or_else(|| "MD5".into()),
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The `Authorization` header for request `method uri`, nonce count `nc`, client nonce
    /// `cnonce`.
    pub fn authorization(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let mut ha1 = md5_hex(&format!("{user}:{}:{password}", self.realm));
        if self.algorithm.eq_ignore_ascii_case("MD5-sess") {
            ha1 = md5_hex(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let nc = format!("{nc:08x}");
        let response = match &self.qop {
            Some(qop) => md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", self.nonce)),
            None => md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce)),
        };
        let mut h = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}, response=\"{response}\"",
            self.realm, self.nonce, self.algorithm
        );
        if let Some(qop) = &self.qop {
            h.push_str(&format!(", qop={qop}, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(opaque) = &self.opaque {
            h.push_str(&format!(", opaque=\"{opaque}\""));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_the_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html.
        let c = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert_eq!(c.qop.as_deref(), Some("auth"));
        let h = c.authorization(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(h.contains("response=\"6629fae49393a05397450978507c4ef1\""), "{h}");
        assert!(
            h.contains("nc=00000001") && h.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""),
            "{h}"
        );
    }

    #[test]
    fn parses_prusalinks_challenge_and_refuses_others() {
        let c = Challenge::parse(
            "Digest realm=\"Administrator\",qop=\"auth\",algorithm=\"MD5-sess\",nonce=\"abc\",opaque=\"def\",stale=true",
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge {
                realm: "Administrator".into(),
                nonce: "abc".into(),
                opaque: Some("def".into()),
                qop: Some("auth".into()),
                algorithm: "MD5-sess".into(),
                stale: true,
            }
        );
        // MD5-sess hashes the nonce and client nonce into HA1: another response than MD5.
        let mut plain = c.clone();
        plain.algorithm = "MD5".into();
        assert_ne!(
            c.authorization("u", "p", "GET", "/", 1, "x"),
            plain.authorization("u", "p", "GET", "/", 1, "x")
        );
        assert_eq!(Challenge::parse("Basic realm=\"x\""), None);
        assert_eq!(Challenge::parse("Digest nonce=\"n\""), None, "no realm");
        assert_eq!(Challenge::parse("Dig"), None);
    }
}
