//! Fetching a job's G-code from the Gantry server, shared by the backends that upload it to a
//! printer: a relative URL (what the server sends, `/agent/jobs/{job}/gcode`) is resolved
//! against the server, and the printer token goes only to the Gantry server, never elsewhere.

use serde_json::Value;

use crate::backend::BackendError;

/// Where a backend downloads its jobs' G-code from.
#[derive(Clone)]
pub struct GcodeSource {
    http: reqwest::Client,
    /// Base URL of the Gantry server (http(s)://), for relative `gcode_url`s.
    server: String,
    /// The printer token, sent only to the Gantry server.
    token: String,
}

/// Whether `url` is on the server `base` (same scheme, host and port).
pub fn same_origin(url: &str, base: &str) -> bool {
    fn origin(u: &str) -> Option<&str> {
        let (scheme, rest) = u.split_once("://")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        Some(&u[..scheme.len() + 3 + end])
    }
    match (origin(url), origin(base)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// A file name unique per upload of `job` by this agent process (`gantry-job-7-<boot>-3.gcode`).
pub fn upload_name(job: i64, uploads: u64, ext: &str) -> String {
    format!("gantry-job-{job}-{}-{uploads}.{ext}", crate::outbox::boot_id())
}

impl GcodeSource {
    pub fn new(http: reqwest::Client, server: &str, token: &str) -> GcodeSource {
        GcodeSource {
            http,
            server: server
                .trim_end_matches('/')
                .replacen("ws://", "http://", 1)
                .replacen("wss://", "https://", 1),
            token: token.to_string(),
        }
    }

    /// Downloads a job's G-code. A refusal names the server's reason; every failure is
    /// `Rejected` (the job cannot run here), so the server hands it to another printer.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, BackendError> {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.server)
        } else {
            url.to_string()
        };
        let mut req = self.http.get(&url);
        if same_origin(&url, &self.server) {
            req = req.bearer_auth(&self.token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| BackendError::Rejected(format!("G-code download failed: {e}")))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let why: String = body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(300)
                .collect();
            return Err(BackendError::Rejected(if why.is_empty() {
                format!("G-code download failed: HTTP {status}")
            } else {
                format!("G-code download failed: HTTP {status}: {why}")
            }));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| BackendError::Rejected(format!("G-code download failed: {e}")))?;
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_only_to_the_gantry_server() {
        let server = "http://gantry.local:8080";
        assert!(same_origin("http://gantry.local:8080/agent/jobs/1/gcode", server));
        assert!(same_origin("HTTP://Gantry.local:8080", server));
        assert!(!same_origin(
            "http://gantry.local:8081/agent/jobs/1/gcode",
            server
        ));
        assert!(!same_origin("http://gantry.local:8080.evil.example/x", server));
        assert!(!same_origin("https://gantry.local:8080/x", server));
        assert!(!same_origin("/relative", server));
    }
}
