//! The WebSocket side: connect to `/agent/ws` with the printer token, say hello, keep the
//! heartbeat, send the outbox, and reconnect with backoff when the link or the server drops.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gantry_protocol::ServerMessage;
use gantry_protocol::codes::{Coded, ErrorKind};
use thiserror::Error;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::backend::PrinterBackend;
use crate::camera::{Camera, CameraConfig};
use crate::driver::Driver;

/// Why a connection could not be made or used.
#[derive(Debug, Error)]
pub enum ConnError {
    #[error("bad server URL {0:?}: expected http(s):// or ws(s)://host[:port]")]
    BadUrl(String),
    /// The server refused the token (HTTP 401/403 at the handshake): retrying will not help.
    #[error("the server refused the printer token ({0})")]
    Unauthorized(StatusCode),
    #[error("connection: {0}")]
    Transport(String),
    #[error("the server closed the connection: {0}")]
    Closed(String),
    /// The server closed the connection for a reason a reconnect would not change (another
    /// protocol version, or another agent took over the printer).
    #[error("the server ended this agent's connection for good: {code} {reason}")]
    Refused { code: u16, reason: String },
}

/// Close codes after which the agent stops instead of reconnecting (4001 unsupported
/// version, 4002 hello expected, 4003 replaced by a newer connection of the same printer).
pub const FATAL_CLOSE_CODES: [u16; 3] = [4001, 4002, 4003];

impl Coded for ConnError {
    fn code(&self) -> &'static str {
        match self {
            ConnError::BadUrl(_) => "BAD_SERVER_URL",
            ConnError::Unauthorized(_) => "PRINTER_TOKEN_REFUSED",
            ConnError::Transport(_) => "CONNECTION_FAILED",
            ConnError::Closed(_) => "CONNECTION_CLOSED",
            ConnError::Refused { .. } => "CONNECTION_REFUSED",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ConnError::BadUrl(_) => ErrorKind::Validation,
            ConnError::Unauthorized(_) => ErrorKind::Unauthenticated,
            ConnError::Transport(_) | ConnError::Closed(_) => ErrorKind::Internal,
            ConnError::Refused { .. } => ErrorKind::Conflict,
        }
    }
}

/// `http://host:8080` (or `ws://…`, with or without a path) → `ws://host:8080/agent/ws`.
pub fn agent_ws_url(server: &str) -> Result<String, ConnError> {
    let s = server.trim().trim_end_matches('/');
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| ConnError::BadUrl(server.into()))?;
    let ws = match scheme {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        _ => return Err(ConnError::BadUrl(server.into())),
    };
    if rest.is_empty() {
        return Err(ConnError::BadUrl(server.into()));
    }
    if rest.ends_with("/agent/ws") {
        return Ok(format!("{ws}://{rest}"));
    }
    Ok(format!("{ws}://{rest}/agent/ws"))
}

/// One open agent connection.
pub struct Connection {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Connection {
    /// Opens `/agent/ws` on `server`, authenticated with `token` (`Authorization: Bearer`).
    pub async fn open(server: &str, token: &str) -> Result<Connection, ConnError> {
        let url = agent_ws_url(server)?;
        let mut req = url
            .as_str()
            .into_client_request()
            .map_err(|e| ConnError::BadUrl(format!("{server}: {e}")))?;
        let auth = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ConnError::Transport("the token is not a valid header value".into()))?;
        req.headers_mut().insert("authorization", auth);
        // The server's messages are small: tungstenite zero-fills its whole read buffer (128 KiB
        // by default) each time the connection is polled, which every tick of every printer
        // does. 8 KiB keeps that cheap; longer messages are read in several steps.
        let config = tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(8 << 10)
            .max_message_size(Some(16 << 20))
            .max_frame_size(Some(16 << 20));
        match tokio_tungstenite::connect_async_with_config(req, Some(config), true).await {
            Ok((ws, _)) => Ok(Connection { ws }),
            Err(tungstenite::Error::Http(resp))
                if matches!(resp.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) =>
            {
                Err(ConnError::Unauthorized(resp.status()))
            }
            Err(e) => Err(ConnError::Transport(e.to_string())),
        }
    }

    pub async fn send_text(&mut self, text: String) -> Result<(), ConnError> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| ConnError::Transport(e.to_string()))
    }

    /// The next server message; `Err(Closed)` when the server closed the connection.
    /// Messages this agent does not understand are logged and skipped.
    pub async fn recv(&mut self) -> Result<ServerMessage, ConnError> {
        loop {
            let frame = match self.ws.next().await {
                None => return Err(ConnError::Closed("end of stream".into())),
                Some(Err(e)) => return Err(ConnError::Transport(e.to_string())),
                Some(Ok(f)) => f,
            };
            match frame {
                Message::Text(text) => match serde_json::from_str::<ServerMessage>(text.as_str()) {
                    Ok(m) => return Ok(m),
                    Err(e) => tracing::warn!(error = %e, text = %text.as_str(), "unknown server message"),
                },
                Message::Close(Some(f)) if FATAL_CLOSE_CODES.contains(&u16::from(f.code)) => {
                    return Err(ConnError::Refused {
                        code: u16::from(f.code),
                        reason: f.reason.as_str().to_string(),
                    });
                }
                Message::Close(frame) => {
                    let reason = frame
                        .map(|f| format!("{} {}", u16::from(f.code), f.reason.as_str()))
                        .unwrap_or_else(|| "no reason".into());
                    return Err(ConnError::Closed(reason));
                }
                _ => {} // ping/pong are answered by tungstenite; binary is not part of the protocol
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Timing of the connection loop.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    /// How often the printer is polled.
    pub tick: Duration,
    /// How often a status is sent (`None`: only heartbeats).
    pub status_every: Option<Duration>,
    /// Heartbeat interval until the server's welcome says otherwise.
    pub default_heartbeat: Duration,
    /// First reconnect delay (doubled after each failure, up to `max_backoff`).
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Reconnect when no welcome arrives within this long.
    pub welcome_timeout: Duration,
    /// The printer's camera (`None`: no pictures).
    pub camera: Option<CameraConfig>,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            tick: Duration::from_millis(200),
            status_every: Some(Duration::from_secs(5)),
            default_heartbeat: Duration::from_secs(10),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            welcome_timeout: Duration::from_secs(15),
            camera: None,
        }
    }
}

/// Runs one printer until the server refuses its token (the only error returned): connects,
/// reconnects with backoff, and drives `driver` on `clock` (milliseconds since the agent started).
pub async fn run_printer<B: PrinterBackend>(
    label: String,
    server: String,
    token: String,
    mut driver: Driver<B>,
    cfg: LoopConfig,
    clock: tokio::time::Instant,
) -> Result<(), ConnError> {
    let now_ms = move || clock.elapsed().as_millis() as u64;
    let camera = find_camera(&label, &server, &token, &mut driver, cfg.camera.as_ref()).await;
    let camera = camera.as_ref();
    let mut backoff = cfg.min_backoff;
    let mut tick = tokio::time::interval(cfg.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The printer is asked before the first hello, so the hello tells its real state: a printer
    // whose host is still starting (or unreachable) is announced in error, not idle, and is not
    // handed a job it would refuse (later hellos follow ticks, see `sleep_ticking`).
    driver.tick(now_ms()).await;
    loop {
        let mut conn = match Connection::open(&server, &token).await {
            Ok(c) => c,
            Err(e @ ConnError::Unauthorized(_)) => return Err(e),
            Err(e) => {
                tracing::debug!(printer = %label, error = %e, ?backoff, "connect failed; retrying");
                // The printer keeps printing while the server is away.
                sleep_ticking(&mut driver, camera, backoff, cfg.tick, now_ms).await;
                backoff = (backoff * 2).min(cfg.max_backoff);
                continue;
            }
        };
        let result = session(&mut conn, &mut driver, camera, &cfg, &mut tick, now_ms).await;
        driver.outbox.connection_lost();
        conn.close().await;
        match result {
            Ok(()) => {}
            Err(e @ ConnError::Refused { .. }) => return Err(e),
            Err(e) => {
                tracing::info!(printer = %label, error = %e, "disconnected; reconnecting");
            }
        }
        if driver.printer_id.is_some() {
            backoff = cfg.min_backoff;
        }
        sleep_ticking(&mut driver, camera, backoff, cfg.tick, now_ms).await;
        backoff = (backoff * 2).min(cfg.max_backoff);
    }
}

/// The printer's camera: the configured URL, else the one its backend reports (asked once).
async fn find_camera<B: PrinterBackend>(
    label: &str,
    server: &str,
    token: &str,
    driver: &mut Driver<B>,
    cfg: Option<&CameraConfig>,
) -> Option<Camera> {
    let cfg = cfg?;
    let url = match &cfg.url {
        Some(u) => Some(u.clone()),
        None => driver.backend_mut().camera_url().await,
    };
    let Some(url) = url else {
        tracing::info!(printer = %label, "no camera: none configured (snapshot_url) and none reported by the printer");
        return None;
    };
    tracing::info!(printer = %label, "camera found: snapshots will be sent to the server");
    Camera::new(&url, cfg.every, server, token)
}

/// One tick of the camera: a picture for each job that started or ended, and the periodic one
/// when due.
fn camera_tick<B: PrinterBackend>(
    driver: &mut Driver<B>,
    camera: Option<&Camera>,
    last: &mut Option<tokio::time::Instant>,
) {
    let moments = driver.take_moments();
    let Some(cam) = camera else {
        return;
    };
    for (job, m) in moments {
        cam.capture(Some((job, m)));
    }
    if let Some(every) = cam.every {
        let now = tokio::time::Instant::now();
        if last.is_none_or(|t| now.duration_since(t) >= every) {
            *last = Some(now);
            cam.capture(None);
        }
    }
}

async fn sleep_ticking<B: PrinterBackend>(
    driver: &mut Driver<B>,
    camera: Option<&Camera>,
    total: Duration,
    tick: Duration,
    now_ms: impl Fn() -> u64,
) {
    let end = tokio::time::Instant::now() + total;
    let mut last = None;
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(tick.min(end - tokio::time::Instant::now())).await;
        driver.tick(now_ms()).await;
        camera_tick(driver, camera, &mut last);
    }
}

async fn session<B: PrinterBackend>(
    conn: &mut Connection,
    driver: &mut Driver<B>,
    camera: Option<&Camera>,
    cfg: &LoopConfig,
    tick: &mut tokio::time::Interval,
    now_ms: impl Fn() -> u64,
) -> Result<(), ConnError> {
    driver.printer_id = None;
    let (_, hello) = driver.hello();
    conn.send_text(hello).await?;
    let welcome_deadline = tokio::time::Instant::now() + cfg.welcome_timeout;
    let mut welcomed = false;
    let mut heartbeat = tokio::time::interval(cfg.default_heartbeat);
    let mut status = tokio::time::interval(cfg.status_every.unwrap_or(Duration::from_secs(3600)));
    heartbeat.reset();
    status.reset();
    let mut last_picture = None;
    loop {
        tokio::select! {
            msg = conn.recv() => {
                let msg = msg?;
                let is_welcome = matches!(msg, ServerMessage::Welcome { .. });
                driver.handle(msg, now_ms()).await;
                if is_welcome {
                    welcomed = true;
                    if let Some(secs) = driver.heartbeat_secs.filter(|s| *s > 0) {
                        heartbeat = tokio::time::interval(Duration::from_secs(secs));
                        heartbeat.reset();
                    }
                }
            }
            _ = tick.tick() => {
                driver.tick(now_ms()).await;
                camera_tick(driver, camera, &mut last_picture);
                if !welcomed && tokio::time::Instant::now() > welcome_deadline {
                    return Err(ConnError::Closed("no welcome from the server".into()));
                }
            }
            _ = heartbeat.tick(), if welcomed => {
                let (_, text) = driver.heartbeat();
                conn.send_text(text).await?;
            }
            _ = status.tick(), if welcomed && cfg.status_every.is_some() => {
                let (_, text) = driver.status();
                conn.send_text(text).await?;
            }
        }
        if welcomed {
            for text in driver.outbox.take_unsent() {
                conn.send_text(text).await?;
            }
        }
    }
}
