//! A printer's camera: the agent fetches a JPEG from the camera's snapshot URL (configured, or
//! found by the backend: Moonraker's webcam list, OctoPrint's webcam settings) and sends it to
//! the Gantry server (`PUT /agent/snapshot`, with the printer token). The camera's address and
//! any credentials in it stay here: the server only ever sees the picture.
//!
//! A picture is sent every `every` (the printer's latest), and at once when a job starts, ends
//! or fails (`?job=…&moment=start|end|failed`, kept for the job's history). Each capture runs
//! on its own task with a time limit, so a slow camera never holds up the protocol loop; a
//! periodic capture is skipped while the previous one still runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Largest picture sent (the server refuses bigger ones).
pub const MAX_SNAPSHOT_BYTES: usize = 4 << 20;

/// Where and how often to take pictures.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraConfig {
    /// The camera's snapshot URL; `None`: ask the backend.
    pub url: Option<String>,
    /// Between periodic pictures; `None`: only at job start, end and failure.
    pub every: Option<Duration>,
}

/// When in a job's life a picture is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Start,
    End,
    Failed,
}

impl Moment {
    pub fn as_str(self) -> &'static str {
        match self {
            Moment::Start => "start",
            Moment::End => "end",
            Moment::Failed => "failed",
        }
    }
}

/// Whether `bytes` look like a JPEG.
pub fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.len() > 4 && bytes[..3] == [0xFF, 0xD8, 0xFF]
}

/// Resolves a snapshot URL a printer's host software reports: absolute as it is, a path
/// (`/webcam/?action=snapshot`) against `base`'s scheme and host (without its port: the webcam
/// is served by the web server in front, not by the API's port), else relative to `base`.
pub fn resolve(url: &str, base: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Some(url.to_string());
    }
    let (scheme, rest) = base.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    if url.starts_with('/') {
        Some(format!("{scheme}://{host}{url}"))
    } else {
        Some(format!("{}/{url}", base.trim_end_matches('/')))
    }
}

/// A camera ready to take pictures.
#[derive(Clone)]
pub struct Camera {
    http: reqwest::Client,
    url: String,
    upload: String,
    token: String,
    busy: Arc<AtomicBool>,
    pub every: Option<Duration>,
}

impl std::fmt::Debug for Camera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry credentials: never printed.
        f.debug_struct("Camera")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Camera {
    /// `server`: the Gantry server (http(s):// or ws(s)://); `token`: the printer token.
    pub fn new(url: &str, every: Option<Duration>, server: &str, token: &str) -> Option<Camera> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .ok()?;
        let server = server
            .trim_end_matches('/')
            .trim_end_matches("/agent/ws")
            .replacen("ws://", "http://", 1)
            .replacen("wss://", "https://", 1);
        Some(Camera {
            http,
            url: url.to_string(),
            upload: format!("{server}/agent/snapshot"),
            token: token.to_string(),
            busy: Arc::new(AtomicBool::new(false)),
            every,
        })
    }

    /// Takes a picture on its own task: a periodic one (`moment: None`) unless one is under
    /// way, one for a job's moment always.
    pub fn capture(&self, moment: Option<(i64, Moment)>) {
        if moment.is_none() && self.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let cam = self.clone();
        tokio::spawn(async move {
            if let Err(e) = cam.capture_now(moment).await {
                tracing::warn!(error = %e, "camera snapshot not sent");
            }
            if moment.is_none() {
                cam.busy.store(false, Ordering::Release);
            }
        });
    }

    /// Fetches the picture and sends it to the server.
    pub async fn capture_now(&self, moment: Option<(i64, Moment)>) -> Result<(), String> {
        let resp = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("camera: {}", e.without_url()))?;
        if !resp.status().is_success() {
            return Err(format!("camera: HTTP {}", resp.status()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_SNAPSHOT_BYTES as u64)
        {
            return Err("camera: the picture is over 4 MiB".into());
        }
        let jpeg = resp
            .bytes()
            .await
            .map_err(|e| format!("camera: {}", e.without_url()))?;
        if jpeg.len() > MAX_SNAPSHOT_BYTES {
            return Err("camera: the picture is over 4 MiB".into());
        }
        if !is_jpeg(&jpeg) {
            return Err("camera: the answer is not a JPEG".into());
        }
        let url = match moment {
            Some((job, m)) => format!("{}?job={job}&moment={}", self.upload, m.as_str()),
            None => self.upload.clone(),
        };
        let req = self.http.put(url).header("content-type", "image/jpeg");
        // The printer token goes to the Gantry server only (the upload URL is built from it).
        let resp = req
            .bearer_auth(&self.token)
            .body(jpeg)
            .send()
            .await
            .map_err(|e| format!("sending the snapshot: {e}"))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            return Err(format!(
                "the server refused the snapshot: HTTP {status} {}",
                body.chars().take(300).collect::<String>()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_what_printers_report() {
        let base = "http://voron.local:7125";
        assert_eq!(
            resolve("/webcam/?action=snapshot", base).as_deref(),
            Some("http://voron.local/webcam/?action=snapshot")
        );
        assert_eq!(
            resolve("http://cam.local:8080/?action=snapshot", base).as_deref(),
            Some("http://cam.local:8080/?action=snapshot")
        );
        assert_eq!(
            resolve("snapshot.jpg", "http://octopi.local/").as_deref(),
            Some("http://octopi.local/snapshot.jpg")
        );
        assert_eq!(resolve("", base), None);
        assert_eq!(resolve("/x", "not a url"), None);
    }

    #[test]
    fn tells_a_jpeg() {
        assert!(is_jpeg(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]));
        assert!(!is_jpeg(b"<html>"));
        assert!(!is_jpeg(&[0xFF, 0xD8]));
    }
}
