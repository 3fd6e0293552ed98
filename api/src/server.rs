//! The HTTP server: `/healthz`, `/graphql`, `/graphiql`.

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::http::{GraphiQLSource, MultipartOptions};
use gantry_engine::store::Db;

use crate::config::Config;
use crate::graphql::{GantrySchema, build_schema};

/// Shared per-process state handed to handlers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: GantrySchema,
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match sqlx_ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "database": state.db.backend().name(),
            "version": crate::VERSION,
        })),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

async fn sqlx_ping(db: &Db) -> Result<(), gantry_engine::store::StoreError> {
    gantry_engine::store::ping(db).await
}

/// `POST /graphql`. The body is read through actix's payload limit first (`GANTRY_MAX_BODY_BYTES`;
/// larger bodies get 413 before any parsing), then parsed as JSON or a multipart request.
async fn graphql(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let parsed =
        async_graphql::http::receive_batch_body(content_type, &body[..], MultipartOptions::default()).await;
    match parsed {
        Ok(batch) => {
            let resp = state.schema.execute_batch(batch).await;
            HttpResponse::build(StatusCode::OK).json(resp)
        }
        Err(e) => HttpResponse::BadRequest().json(serde_json::json!({
            "errors": [{"message": e.to_string(), "extensions": {"code": "VALIDATION", "reason": "BAD_REQUEST"}}]
        })),
    }
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Builds the server on an already-bound listener (tests bind port 0).
pub fn build(listener: TcpListener, config: &Config, db: Db) -> std::io::Result<Server> {
    let state = AppState {
        schema: build_schema(db.clone(), config),
        db,
    };
    let body_limit = config.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::JsonConfig::default().limit(body_limit))
            .route("/healthz", web::get().to(healthz))
            .route("/graphql", web::post().to(graphql))
            .route("/graphiql", web::get().to(graphiql))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// A server running in the background (for tests and embedding).
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
}

/// Binds `config.listen` (port 0 picks a free port) and spawns the server on the current runtime.
pub fn spawn(config: &Config, db: Db) -> std::io::Result<Running> {
    let listener = TcpListener::bind(config.listen)?;
    let addr = listener.local_addr()?;
    let server = build(listener, config, db)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Running { addr, handle })
}
