//! Printer camera snapshots over HTTP (issue #17; `docs/agents.md`, `docs/agent-protocol.md`).
//!
//! - `PUT /agent/snapshot[?job=J&moment=start|end|failed]`: a printer's agent sends the JPEG it
//!   fetched from the printer's camera (printer token, as `/agent/ws`). It becomes the
//!   printer's latest snapshot; with `job` and `moment` it is also kept for that job's history
//!   (`Job.snapshots`). The camera's address and credentials stay with the agent.
//! - `GET /printers/{id}/snapshot.jpg`: the latest snapshot, for users with `equipment:read`
//!   (`Authorization: Bearer` with an access or API token, as `/graphql`).
//! - `GET /jobs/{job}/snapshots/{id}.jpg`: a kept snapshot, for users with `production:read`.
//!
//! Errors are `{"error": {"code", "message"}}` with the status of the code's kind.
//!
//! Kept snapshots older than `GANTRY_SNAPSHOT_RETENTION_DAYS` (default 90) are pruned hourly
//! with their JPEGs ([`spawn_pruner`]; the printers' latest pictures are overwritten, not kept).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use gantry_app::fleet::{self, JobMoment, MAX_SNAPSHOT_BYTES};
use gantry_app::{AppError, now};
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::domain::users::Permission;
use gantry_engine::error::{Coded, ErrorKind};

use crate::agent_ws::GcodeFiles;
use crate::auth::authenticate;
use crate::server::AppState;
use crate::storage::Storage;

/// The snapshot routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/agent/snapshot")
            .app_data(web::PayloadConfig::new(MAX_SNAPSHOT_BYTES + 1))
            .route(web::put().to(upload))
            .route(web::post().to(upload)),
    )
    .route("/printers/{id}/snapshot.jpg", web::get().to(latest))
    .route("/jobs/{job}/snapshots/{id}.jpg", web::get().to(kept));
}

fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({"error": {"code": code, "message": message}}))
}

fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Validation => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn app_error(e: &AppError) -> HttpResponse {
    if e.kind() == ErrorKind::Internal {
        tracing::error!(error = %e, "snapshot request failed");
        return error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
    }
    error(status_of(e.kind()), e.code(), &e.to_string())
}

fn jpeg(bytes: Vec<u8>, taken_at: chrono::DateTime<chrono::Utc>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Taken-At", taken_at.to_rfc3339()))
        .body(bytes)
}

/// Checks the caller's bearer token and that it grants `permission`.
async fn user(req: &HttpRequest, state: &AppState, permission: Permission) -> Result<(), HttpResponse> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, t)| scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty())
        .map(|(_, t)| t.trim().to_string());
    let Some(token) = token else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "sign in: Authorization: Bearer <token>",
        ));
    };
    match authenticate(&state.auth, &state.db, &token, now()).await {
        Ok(p) if p.can(permission) => Ok(()),
        Ok(_) => Err(error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("this needs the permission {}", permission.as_str()),
        )),
        Err(e) => Err(app_error(&AppError::from(e))),
    }
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    job: Option<i64>,
    moment: Option<String>,
}

/// `PUT /agent/snapshot`.
async fn upload(
    req: HttpRequest,
    body: web::Bytes,
    q: web::Query<UploadQuery>,
    state: web::Data<AppState>,
    files: web::Data<GcodeFiles>,
) -> HttpResponse {
    let t = match crate::agent_ws::authenticate(&req, &state).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let moment = match (q.job, q.moment.clone()) {
        (Some(job), Some(moment)) => Some(JobMoment {
            job: JobId(job),
            moment,
        }),
        (None, None) => None,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "SNAPSHOT_BAD_MOMENT",
                "give both job and moment, or neither",
            );
        }
    };
    match fleet::record_snapshot(
        &state.db,
        &files.storage,
        t.printer_id,
        body.to_vec(),
        moment,
        now(),
    )
    .await
    {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => app_error(&e),
    }
}

/// `GET /printers/{id}/snapshot.jpg`.
async fn latest(req: HttpRequest, state: web::Data<AppState>, files: web::Data<GcodeFiles>) -> HttpResponse {
    if let Err(resp) = user(&req, &state, Permission::EquipmentRead).await {
        return resp;
    }
    let raw = req.match_info().get("id").unwrap_or_default();
    let Ok(id) = raw.parse::<i64>() else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("printer {raw} does not exist"),
        );
    };
    match fleet::latest_snapshot(&state.db, &files.storage, PrinterId(id)).await {
        Ok(Some((bytes, at))) => jpeg(bytes, at),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "SNAPSHOT_NONE",
            &format!("printer {id} has no snapshot: its agent sent none (no camera configured or found)"),
        ),
        Err(e) => app_error(&e),
    }
}

/// `GET /jobs/{job}/snapshots/{id}.jpg`.
async fn kept(req: HttpRequest, state: web::Data<AppState>, files: web::Data<GcodeFiles>) -> HttpResponse {
    if let Err(resp) = user(&req, &state, Permission::ProductionRead).await {
        return resp;
    }
    let num = |k: &str| req.match_info().get(k).and_then(|v| v.parse::<i64>().ok());
    let (Some(job), Some(id)) = (num("job"), num("id")) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such snapshot");
    };
    match fleet::job_snapshot(&state.db, &files.storage, JobId(job), id).await {
        Ok((snap, bytes)) => jpeg(bytes, snap.taken_at),
        Err(e) => app_error(&e),
    }
}

/// The path of a printer's latest snapshot (GraphQL `Printer.snapshotUrl`).
pub fn printer_snapshot_path(printer: i64) -> String {
    format!("/printers/{printer}/snapshot.jpg")
}

/// The path of a kept snapshot (GraphQL `JobSnapshot.url`).
pub fn job_snapshot_path(job: i64, id: i64) -> String {
    format!("/jobs/{job}/snapshots/{id}.jpg")
}

/// How often kept snapshots past their retention are pruned.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The hourly pruning of kept job snapshots; stops when dropped.
pub struct SnapshotPruner(tokio::task::JoinHandle<()>);

impl Drop for SnapshotPruner {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Prunes kept job snapshots older than `retention_days` now and then every [`PRUNE_EVERY`]
/// (every replica may run it: removing a row or an absent JPEG twice is harmless).
pub fn spawn_pruner(db: gantry_app::Db, storage: Storage, retention_days: u64) -> SnapshotPruner {
    let days = i64::try_from(retention_days).unwrap_or(3650).min(3650);
    SnapshotPruner(tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        loop {
            tick.tick().await;
            let before = now() - chrono::Duration::days(days);
            match fleet::prune_job_snapshots(&db, &storage, before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "pruned job snapshots past their retention"),
                Err(e) => tracing::warn!(error = %e, "cannot prune job snapshots"),
            }
        }
    }))
}
