//! `GET /agent/ws`: the printer agents' WebSocket (protocol in `docs/agent-protocol.md`).
//!
//! The printer token (`Authorization: Bearer gtp_…`, or `?token=` when the client cannot set
//! headers) is checked before the upgrade: a missing, unknown or revoked token gets `401` and
//! no WebSocket. After the upgrade the first message must be `hello`; each text frame is one
//! JSON message, decoded and validated here (`engine::domain::protocol::decode`) and handed to
//! the printer's actor, which answers through this connection. A message that is not valid
//! (malformed, oversized, another protocol version) closes the connection with a close code
//! and the reason; nothing else is affected. A second connection of the same printer replaces
//! the first (which is closed with code 4003).
//!
//! `GET /agent/jobs/{job}/gcode`: the G-code of a job, for the agent of the printer the job is
//! assigned to (same printer token; another printer's token is `403`). The G-code is the one
//! stored when the job's model was sliced; a model stored without G-code is sliced on demand
//! when a slicer is configured (kept in object storage under the model's hash and settings),
//! otherwise the answer is `409 GCODE_UNAVAILABLE` with the reason.

use std::sync::atomic::{AtomicU64, Ordering};

use actix::prelude::*;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use futures_util::StreamExt;
use gantry_actors::messages::{Attach, Detach, FromAgent, ToAgent, close};
use gantry_engine::domain::auth::PrinterToken;
use gantry_engine::domain::protocol::{AgentMessage, MAX_MESSAGE_BYTES, ProtocolError, decode, encode};
use gantry_engine::domain::types::JobId;
use gantry_engine::error::Coded;
use gantry_engine::store::auth::{needs_touch, printer_token_by_secret, touch_printer_token};
use gantry_engine::store::{StoreError, live, now, production};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::server::AppState;
use crate::slicer::Slicer;
use crate::storage::{self, Storage};

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// The close code for an invalid message.
pub fn close_code(e: &ProtocolError) -> u16 {
    match e {
        ProtocolError::TooLarge { .. } => close::TOO_LARGE,
        ProtocolError::UnsupportedVersion { .. } => close::UNSUPPORTED_VERSION,
        ProtocolError::HelloExpected(_) => close::HELLO_EXPECTED,
        _ => close::MALFORMED,
    }
}

/// Where the printer actor's messages for this connection go: a channel read by the
/// connection's task (so everything is written in order by one writer).
struct Outbox {
    tx: mpsc::UnboundedSender<ToAgent>,
}

impl Actor for Outbox {
    type Context = Context<Self>;
}

impl Handler<ToAgent> for Outbox {
    type Result = ();

    fn handle(&mut self, msg: ToAgent, _ctx: &mut Context<Self>) {
        let _ = self.tx.send(msg);
    }
}

fn unauthorized(code: &str, message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("WWW-Authenticate", "Bearer"))
        .json(serde_json::json!({"error": {"code": code, "message": message}}))
}

/// The token: `Authorization: Bearer …`, else the `token` query parameter.
fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(v) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = v.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_string());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("token").cloned())
        .filter(|t| !t.trim().is_empty())
}

fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({"error": {"code": code, "message": message}}))
}

fn internal() -> HttpResponse {
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
}

/// The printer token of the request, checked (`401` answers when missing, unknown, revoked).
pub(crate) async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<PrinterToken, HttpResponse> {
    let Some(token) = token_of(req) else {
        return Err(unauthorized(
            "AUTH_TOKEN_MISSING",
            "a printer token is required (Authorization: Bearer <token>)",
        ));
    };
    let found = async {
        let mut c = state.db.pool().acquire().await?;
        printer_token_by_secret(&mut c, &token).await
    }
    .await;
    match found {
        Ok(t) => Ok(t),
        Err(e @ StoreError::Rejected(_)) => Err(unauthorized(e.code(), &e.to_string())),
        Err(e) => {
            tracing::error!(error = %e, "agent authentication failed internally");
            Err(internal())
        }
    }
}

/// `GET /agent/ws`.
pub async fn agent_ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let Some(farm) = state.farm.clone() else {
        return Ok(HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"error": {"code": "FARM_NOT_RUNNING", "message": "the live farm is not running"}})));
    };
    let t = match authenticate(&req, &state).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let at = now();
    if needs_touch(at, t.last_used_at) {
        let touched = async {
            let mut tx = state.db.begin().await?;
            touch_printer_token(&mut tx, at, t.id).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = touched {
            tracing::warn!(error = %e, "cannot record the printer token's use");
        }
    }
    let printer = farm
        .printer(t.printer_id)
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?;
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    // Frames up to twice the message limit reach `decode`, which reports the size; anything
    // larger fails in the codec and is closed as too large as well.
    let stream = stream
        .max_frame_size(MAX_MESSAGE_BYTES * 2)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES * 2);
    let printer_id = t.printer_id;
    actix_web::rt::spawn(async move {
        run(session, stream, printer, printer_id).await;
    });
    Ok(response)
}

async fn run(
    mut session: actix_ws::Session,
    mut stream: actix_ws::AggregatedMessageStream,
    printer: Addr<gantry_actors::printer::PrinterActor>,
    printer_id: gantry_engine::domain::types::PrinterId,
) {
    let conn_id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let outbox = Outbox { tx }.start();
    let mut attached = false;
    let closing: Option<(u16, String)> = loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(ToAgent::Send(msg)) => {
                    if session.text(encode(&msg)).await.is_err() {
                        break None;
                    }
                }
                Some(ToAgent::Close { code, reason }) => break Some((code, reason)),
                None => break None,
            },
            frame = stream.next() => match frame {
                None => break None,
                // The connection went away (the agent stopped, the network dropped): nothing
                // to answer, and not the agent's protocol error.
                Some(Err(actix_ws::ProtocolError::Io(e))) => {
                    tracing::debug!(printer = %printer_id, error = %e, "agent connection lost");
                    break None;
                }
                Some(Err(e)) => {
                    let code = match e {
                        actix_ws::ProtocolError::Overflow => close::TOO_LARGE,
                        _ => close::MALFORMED,
                    };
                    break Some((code, format!("invalid frame: {e}")));
                }
                Some(Ok(AggregatedMessage::Text(text))) => match decode(&text) {
                    Err(e) => break Some((close_code(&e), format!("{}: {e}", e.code()))),
                    Ok(env) if !attached => {
                        if !matches!(env.msg, AgentMessage::Hello { .. }) {
                            let e = ProtocolError::HelloExpected(env.msg.kind());
                            break Some((close_code(&e), format!("{}: {e}", e.code())));
                        }
                        attached = true;
                        printer.do_send(Attach { conn_id, conn: outbox.clone().recipient(), hello: env });
                    }
                    Ok(env) => printer.do_send(FromAgent { conn_id, env }),
                },
                Some(Ok(AggregatedMessage::Binary(_))) => {
                    break Some((close::MALFORMED, "MALFORMED_MESSAGE: binary frames are not accepted; send JSON text".into()));
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(AggregatedMessage::Pong(_))) => {}
                Some(Ok(AggregatedMessage::Close(_))) => break None,
            },
        }
    };
    if attached {
        printer.do_send(Detach { conn_id });
    }
    if let Some((code, reason)) = closing {
        tracing::info!(printer = %printer_id, code, %reason, "closing agent connection");
        // Messages queued before the close (e.g. the last acks) go out first.
        while let Ok(ToAgent::Send(msg)) = rx.try_recv() {
            let _ = session.text(encode(&msg)).await;
        }
        let _ = session
            .close(Some(CloseReason {
                code: CloseCode::from(code),
                description: Some(short(&reason)),
            }))
            .await;
    } else {
        let _ = session.close(None).await;
    }
    drop(outbox);
}

/// A close reason fits a control frame (125 bytes with the 2-byte code).
fn short(reason: &str) -> String {
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

// ---------------------------------------------------------------------------------------------
// G-code

/// Where `/agent/jobs/{job}/gcode` reads G-code (object storage) and slices it on demand.
pub struct GcodeFiles {
    pub storage: Storage,
    pub slicer: Slicer,
}

impl GcodeFiles {
    pub fn from_config(config: &Config) -> GcodeFiles {
        GcodeFiles {
            storage: Storage::new(&config.storage.objects),
            slicer: Slicer::new(&config.printing.slicer),
        }
    }
}

fn unavailable(message: &str) -> HttpResponse {
    json_error(StatusCode::CONFLICT, "GCODE_UNAVAILABLE", message)
}

/// `GET /agent/jobs/{job}/gcode`.
pub async fn job_gcode(
    req: HttpRequest,
    state: web::Data<AppState>,
    files: web::Data<GcodeFiles>,
) -> HttpResponse {
    let path = req.match_info().get("job").unwrap_or_default().to_string();
    let t = match authenticate(&req, &state).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let not_found = || {
        json_error(
            StatusCode::NOT_FOUND,
            "JOB_NOT_FOUND",
            &format!("job {path} does not exist"),
        )
    };
    let Ok(id) = path.parse::<i64>().map(JobId) else {
        return not_found();
    };
    let found = async {
        let mut c = state.db.pool().acquire().await?;
        let job = production::get_job(&mut c, id).await?;
        let model = live::job_model(&mut c, id).await?;
        Ok::<_, StoreError>((job, model))
    }
    .await;
    let (job, model) = match found {
        Ok(v) => v,
        Err(StoreError::NotFound { .. }) => return not_found(),
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot read the job for its G-code");
            return internal();
        }
    };
    if job.printer_id != Some(t.printer_id) {
        return json_error(
            StatusCode::FORBIDDEN,
            "JOB_NOT_ASSIGNED_HERE",
            &format!("job {id} is not assigned to this printer"),
        );
    }
    let Some(model) = model else {
        return unavailable(&format!(
            "job {id} has no stored model: its order line names none and its product is not linked to one"
        ));
    };
    // Sliced with the printer's profile (and the material's filament profile) when its model
    // has one; the model's own G-code otherwise.
    let profiled = match profiled_gcode(&state, &files, id, t.printer_id).await {
        Ok(k) => k,
        Err(resp) => return resp,
    };
    let key = match (profiled, &model.estimate.gcode_key) {
        (Some(k), _) => k,
        (None, Some(k)) => k.clone(),
        (None, None) => match slice_on_demand(&files, &model).await {
            Ok(k) => k,
            Err(resp) => return resp,
        },
    };
    match files.storage.get(&key).await {
        Ok(bytes) => HttpResponse::Ok()
            .content_type("text/x-gcode")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"job-{id}.gcode\""),
            ))
            .body(bytes),
        Err(storage::StorageError::Store(object_store::Error::NotFound { .. })) => unavailable(&format!(
            "the G-code of model {} is recorded but missing from object storage",
            model.id.0
        )),
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot read the job's G-code");
            internal()
        }
    }
}

/// The G-code key of a job sliced with its printer's profile, if its model has one.
async fn profiled_gcode(
    state: &AppState,
    files: &GcodeFiles,
    job: JobId,
    printer: gantry_engine::domain::types::PrinterId,
) -> Result<Option<String>, HttpResponse> {
    let found = async {
        let p = gantry_app::profiles::printer(&state.db, printer).await?;
        gantry_app::profiles::job_gcode_key(&state.db, &files.storage, &files.slicer, job, &p, now()).await
    }
    .await;
    found.map_err(|e| {
        tracing::error!(job = %job, error = %e, "cannot slice the job with its printer profile");
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SLICE_FAILED",
            &format!("job {job} could not be sliced with its printer's profile: {e}"),
        )
    })
}

/// Slices a model stored without G-code (kept under its hash and settings, so once).
async fn slice_on_demand(
    files: &GcodeFiles,
    model: &gantry_engine::domain::printing::ModelRecord,
) -> Result<String, HttpResponse> {
    let settings = &model.estimate.settings;
    if !files.slicer.available() {
        return Err(unavailable(&format!(
            "model {} has no G-code (it was stored without slicing) and no slicer is configured (GANTRY_SLICER)",
            model.id.0
        )));
    }
    let key = storage::sliced_model_key(&model.sha256, settings);
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!(model = model.id.0, error = %e, "on-demand slicing failed");
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SLICE_FAILED",
            &format!("model {} could not be sliced: {e}", model.id.0),
        )
    };
    match files.storage.exists(&key).await {
        Ok(true) => return Ok(key),
        Ok(false) => {}
        Err(e) => return Err(fail(&e)),
    }
    let bytes = files.storage.get(&model.object_key).await.map_err(|e| fail(&e))?;
    match files.slicer.slice(&model.format, &bytes, settings, &[]).await {
        Ok(Some((_, gcode))) => {
            files
                .storage
                .put_if_absent(&key, bytes::Bytes::from(gcode))
                .await
                .map_err(|e| fail(&e))?;
            Ok(key)
        }
        Ok(None) => Err(unavailable("no slicer is configured (GANTRY_SLICER)")),
        Err(e) => Err(fail(&e)),
    }
}
