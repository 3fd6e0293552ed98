//! Moonraker's websocket JSON-RPC (`/websocket`): one background task per printer keeps the
//! connection (identify with the API key, `printer.objects.subscribe`, reconnect with backoff),
//! merges `notify_status_update`s into a live view of Klipper's objects and carries the
//! backend's calls. The backend reads the view without waiting on the network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// The Klipper objects the agent follows.
pub const OBJECTS: [&str; 5] = [
    "print_stats",
    "virtual_sdcard",
    "extruder",
    "heater_bed",
    "webhooks",
];

/// What the background task knows, read by the backend at each poll.
#[derive(Debug, Default, Clone)]
pub struct Live {
    /// Connected to Moonraker and identified (the API key accepted).
    pub connected: bool,
    /// Klipper's objects are subscribed (Klipper is connected to Moonraker).
    pub subscribed: bool,
    /// Why not connected or not subscribed.
    pub error: Option<String>,
    /// The merged status of the subscribed objects.
    pub status: Map<String, Value>,
}

/// A call that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcError {
    /// No connection, or no answer in time.
    Unavailable(String),
    /// Moonraker (or Klipper behind it) answered with a JSON-RPC error.
    Refused { code: i64, message: String },
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Unavailable(m) => write!(f, "{m}"),
            RpcError::Refused { code, message } => write!(f, "{message} ({code})"),
        }
    }
}

struct Call {
    method: String,
    params: Value,
    reply: oneshot::Sender<Result<Value, RpcError>>,
}

/// The handle the backend holds; dropping it stops the task.
pub struct Rpc {
    calls: mpsc::Sender<Call>,
    live: Arc<Mutex<Live>>,
    task: tokio::task::JoinHandle<()>,
    timeout: Duration,
}

impl Drop for Rpc {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(|e| e.into_inner())
}

impl Rpc {
    /// Starts the connection task (needs a Tokio runtime). `timeout` bounds each call and the
    /// handshake.
    pub fn spawn(ws_url: String, api_key: Option<String>, timeout: Duration) -> Rpc {
        let live = Arc::new(Mutex::new(Live {
            error: Some("connecting to Moonraker".into()),
            ..Live::default()
        }));
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(run(ws_url, api_key, rx, live.clone(), timeout));
        Rpc {
            calls: tx,
            live,
            task,
            timeout,
        }
    }

    /// A copy of what is known now.
    pub fn live(&self) -> Live {
        lock(&self.live).clone()
    }

    /// Calls `method`; waits at most the handle's timeout.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let (reply, rx) = oneshot::channel();
        self.calls
            .send(Call {
                method: method.to_string(),
                params,
                reply,
            })
            .await
            .map_err(|_| RpcError::Unavailable("the Moonraker connection task stopped".into()))?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(RpcError::Unavailable(
                "the connection to Moonraker dropped during the call".into(),
            )),
            Err(_) => Err(RpcError::Unavailable(format!(
                "Moonraker did not answer {method} within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}

async fn run(
    url: String,
    api_key: Option<String>,
    mut calls: mpsc::Receiver<Call>,
    live: Arc<Mutex<Live>>,
    timeout: Duration,
) {
    let min = Duration::from_millis(250);
    let mut backoff = min;
    loop {
        let mut identified = false;
        let err = match session(
            &url,
            api_key.as_deref(),
            &mut calls,
            &live,
            timeout,
            &mut identified,
        )
        .await
        {
            Ok(()) => return, // the backend dropped its handle
            Err(e) => e,
        };
        if identified {
            backoff = min;
        }
        tracing::debug!(error = %err, "Moonraker connection lost");
        {
            let mut l = lock(&live);
            l.connected = false;
            l.subscribed = false;
            l.error = Some(err.clone());
        }
        // While away, calls fail at once with the reason.
        let sleep = tokio::time::sleep(backoff);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                call = calls.recv() => match call {
                    None => return,
                    Some(c) => { let _ = c.reply.send(Err(RpcError::Unavailable(err.clone()))); }
                },
            }
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

enum Pending {
    Caller(oneshot::Sender<Result<Value, RpcError>>),
    Identify,
    Subscribe,
}

fn request(id: u64, method: &str, params: Value) -> Message {
    Message::text(json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string())
}

fn subscribe_params() -> Value {
    let objects: Map<String, Value> = OBJECTS.iter().map(|o| (o.to_string(), Value::Null)).collect();
    json!({ "objects": objects })
}

/// Merges one status (`{object: {field: value}}`) into `into`, field by field.
pub fn merge_status(into: &mut Map<String, Value>, update: &Value) {
    let Some(update) = update.as_object() else {
        return;
    };
    for (obj, fields) in update {
        let entry = into
            .entry(obj.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        match (entry.as_object_mut(), fields.as_object()) {
            (Some(e), Some(f)) => {
                for (k, v) in f {
                    e.insert(k.clone(), v.clone());
                }
            }
            _ => *entry = fields.clone(),
        }
    }
}

fn rpc_error(v: &Value) -> RpcError {
    RpcError::Refused {
        code: v["code"].as_i64().unwrap_or(0),
        message: v["message"]
            .as_str()
            .unwrap_or("error")
            .chars()
            .take(300)
            .collect(),
    }
}

async fn session(
    url: &str,
    api_key: Option<&str>,
    calls: &mut mpsc::Receiver<Call>,
    live: &Mutex<Live>,
    timeout: Duration,
    identified: &mut bool,
) -> Result<(), String> {
    let mut req = url
        .into_client_request()
        .map_err(|e| format!("bad Moonraker URL {url}: {e}"))?;
    if let Some(key) = api_key {
        let v =
            HeaderValue::from_str(key).map_err(|_| "the API key is not a valid header value".to_string())?;
        req.headers_mut().insert("x-api-key", v);
    }
    // A smaller read buffer than tungstenite's 128 KiB, which it zero-fills at every read (see
    // `conn::Connection::open`); Moonraker's status updates are a few kilobytes.
    let config =
        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(16 << 10);
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), false);
    let (mut ws, _) = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| format!("Moonraker at {url} did not answer within {} s", timeout.as_secs()))?
        .map_err(|e| format!("cannot reach Moonraker at {url}: {e}"))?;
    let mut next_id: u64 = 1;
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    let mut identify = json!({
        "client_name": "gantry-agent",
        "version": env!("CARGO_PKG_VERSION"),
        "type": "other",
        "url": "https://github.com/gantry",
    });
    if let Some(key) = api_key {
        identify["api_key"] = json!(key);
    }
    ws.send(request(next_id, "server.connection.identify", identify))
        .await
        .map_err(|e| format!("Moonraker: {e}"))?;
    pending.insert(next_id, Pending::Identify);
    next_id += 1;
    let handshake = tokio::time::sleep(timeout);
    tokio::pin!(handshake);
    loop {
        tokio::select! {
            _ = &mut handshake, if !*identified => {
                return Err(format!("Moonraker did not answer server.connection.identify within {} s", timeout.as_secs()));
            }
            frame = ws.next() => {
                let text = match frame {
                    None => return Err("Moonraker closed the connection".into()),
                    Some(Err(e)) => return Err(format!("Moonraker connection: {e}")),
                    Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                    Some(Ok(Message::Close(_))) => return Err("Moonraker closed the connection".into()),
                    Some(Ok(_)) => continue,
                };
                let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                    return Err(format!(
                        "Moonraker sent something that is not JSON: {:?}",
                        text.chars().take(80).collect::<String>()
                    ));
                };
                if let Some(id) = msg.get("id").and_then(Value::as_u64) {
                    let result = match msg.get("error") {
                        Some(e) if !e.is_null() => Err(rpc_error(e)),
                        _ => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
                    };
                    match pending.remove(&id) {
                        Some(Pending::Caller(tx)) => { let _ = tx.send(result); }
                        Some(Pending::Identify) => match result {
                            Ok(_) => {
                                *identified = true;
                                {
                                    let mut l = lock(live);
                                    l.connected = true;
                                    l.error = Some("waiting for Klipper".into());
                                }
                                ws.send(request(next_id, "printer.objects.subscribe", subscribe_params()))
                                    .await
                                    .map_err(|e| format!("Moonraker: {e}"))?;
                                pending.insert(next_id, Pending::Subscribe);
                                next_id += 1;
                            }
                            Err(RpcError::Refused { code, message })
                                if code == 401 || message.to_ascii_lowercase().contains("api key") =>
                            {
                                return Err(format!("Moonraker refused the API key: {message}"));
                            }
                            Err(e) => return Err(format!("Moonraker refused the connection: {e}")),
                        },
                        Some(Pending::Subscribe) => {
                            let mut l = lock(live);
                            match result {
                                Ok(r) => {
                                    l.status = Map::new();
                                    merge_status(&mut l.status, &r["status"]);
                                    l.subscribed = true;
                                    l.error = None;
                                }
                                Err(e) => {
                                    // Klipper is not connected to Moonraker yet: wait for
                                    // notify_klippy_ready.
                                    l.subscribed = false;
                                    l.error = Some(format!("Klipper is not available: {e}"));
                                }
                            }
                        }
                        None => {}
                    }
                    continue;
                }
                match msg.get("method").and_then(Value::as_str) {
                    Some("notify_status_update") => {
                        let mut l = lock(live);
                        if l.subscribed {
                            merge_status(&mut l.status, &msg["params"][0]);
                        }
                    }
                    Some("notify_klippy_ready") => {
                        ws.send(request(next_id, "printer.objects.subscribe", subscribe_params()))
                            .await
                            .map_err(|e| format!("Moonraker: {e}"))?;
                        pending.insert(next_id, Pending::Subscribe);
                        next_id += 1;
                    }
                    Some("notify_klippy_disconnected") => {
                        let mut l = lock(live);
                        l.subscribed = false;
                        l.error = Some("Klipper disconnected from Moonraker".into());
                    }
                    _ => {}
                }
            }
            call = calls.recv() => {
                let Some(call) = call else { return Ok(()) };
                if !*identified {
                    let _ = call.reply.send(Err(RpcError::Unavailable("not connected to Moonraker yet".into())));
                    continue;
                }
                ws.send(request(next_id, &call.method, call.params))
                    .await
                    .map_err(|e| format!("Moonraker: {e}"))?;
                pending.insert(next_id, Pending::Caller(call.reply));
                next_id += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_updates_merge_field_by_field() {
        let mut s = Map::new();
        merge_status(
            &mut s,
            &json!({"print_stats": {"state": "standby", "filename": ""}, "extruder": {"temperature": 20.0}}),
        );
        merge_status(
            &mut s,
            &json!({"print_stats": {"state": "printing"}, "virtual_sdcard": {"progress": 0.5}}),
        );
        assert_eq!(
            Value::Object(s),
            json!({
                "print_stats": {"state": "printing", "filename": ""},
                "extruder": {"temperature": 20.0},
                "virtual_sdcard": {"progress": 0.5}
            })
        );
        let mut s = Map::new();
        merge_status(&mut s, &json!("garbage"));
        merge_status(&mut s, &json!({"webhooks": "odd"}));
        assert_eq!(Value::Object(s), json!({"webhooks": "odd"}));
    }
}
