//! The HTTP server: `/healthz`, `/graphql`, `/graphiql`, `/metrics`.
//!
//! Every request gets a request id (the caller's `X-Request-Id` when it is a plausible id,
//! otherwise a random one), logged in a `request` span and echoed in the `X-Request-Id` response
//! header, and is counted in the metrics. `/graphql` authenticates `Authorization: Bearer …`
//! (an access token or an API token) before executing anything: a malformed, forged, expired or
//! revoked token is answered with a single `UNAUTHENTICATED` error and no data.

use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::http::{GraphiQLSource, MultipartOptions};
use gantry_engine::domain::production::JobState;
use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::production::{JobFilter, list_jobs};
use gantry_engine::store::{Db, StoreError};
use ipnet::IpNet;
use tracing::Instrument;

use crate::auth::{Auth, authenticate};
use crate::config::Config;
use crate::graphql::principal::{ClientAddr, IdempotencyKey};
use crate::graphql::{GantrySchema, build_schema};
use crate::metrics::{Gauges, Metrics};
use crate::response_cache::{ResponseCache, only_queries};
use gantry_actors::{ClusterConfig, Farm, FarmConfig};
use gantry_app::events::{EventBus, RELAY_POLL, RelayHandle, spawn_relay_woken};
use gantry_app::lease::LeaseHealth;

/// The request-id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Shared per-process state handed to handlers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: GantrySchema,
    pub auth: Auth,
    pub metrics: Arc<Metrics>,
    pub trusted_proxies: Arc<Vec<IpNet>>,
    /// Committed changes (from the outbox relay), for subscriptions and the live farm.
    pub events: EventBus,
    /// The outbox relay feeding `events` (stops with the last clone of the state).
    pub relay: Arc<RelayHandle>,
    /// The finance consumer posting business events to the ledger (stops likewise).
    pub finance: Arc<gantry_app::finance::consumer::ConsumerHandle>,
    /// The live farm (agents at `/agent/ws`, the scheduler); `None` outside an actix system.
    pub farm: Option<Farm>,
    /// The MongoDB analytics sink (`MONGODB_URL`): events and the request log.
    pub analytics: Option<Arc<crate::analytics::Analytics>>,
    /// The hourly pruning of job snapshots past `GANTRY_SNAPSHOT_RETENTION_DAYS` (stops likewise).
    pub snapshot_pruner: Arc<crate::snapshots::SnapshotPruner>,
    /// Answers to queries (`GANTRY_GRAPHQL_RESPONSE_CACHE_MS`; off when zero).
    pub responses: Arc<ResponseCache>,
}

pub use crate::body::{BodyLimits, MAX_UPLOAD_FILES};

/// A body over its limit (413) or unreadable (400), as one GraphQL error.
fn body_error(state: &AppState, e: &crate::body::BodyError) -> HttpResponse {
    use crate::body::BodyError;
    state.metrics.observe_graphql_error("VALIDATION");
    let (status, reason) = match e {
        BodyError::TooLarge(_) | BodyError::PartTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE")
        }
        BodyError::Read(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
    };
    error_response(status, &e.to_string(), "VALIDATION", reason)
}

/// The id of the current request (in request extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// How long `/healthz` waits for the database before answering 503.
pub const HEALTH_DB_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz` (readiness): 200 when the database answers within [`HEALTH_DB_TIMEOUT`] and
/// this replica's scheduler lease keeper takes part in the lease (a completed round within the
/// lease's time to live: it can lead or take over), else 503 with the database's state
/// (`unreachable` or `timeout`) or `"lease": "stale"`. Never waits longer, so a probe's own
/// timeout is not reached while the database is down.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.backend().name();
    let lease = state.farm.as_ref().map(|f| f.leadership().health());
    match tokio::time::timeout(HEALTH_DB_TIMEOUT, sqlx_ping(&state.db)).await {
        Ok(Ok(())) if lease == Some(LeaseHealth::Stale) => {
            tracing::warn!(
                "health check: the scheduler lease keeper has not completed a round within the lease"
            );
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "status": "unavailable",
                "database": backend,
                "lease": "stale",
                "version": crate::VERSION,
            }))
        }
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "database": backend,
            "version": crate::VERSION,
            "replica": state.farm.as_ref().map(|f| f.leadership().replica().to_string()),
            "leader": state.farm.as_ref().is_some_and(|f| f.leadership().is_leader()),
            "lease": lease.map(|_| "current"),
        })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            unavailable(backend, "unreachable")
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within {HEALTH_DB_TIMEOUT:?}");
            unavailable(backend, "timeout")
        }
    }
}

fn unavailable(backend: &str, db_state: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(serde_json::json!({
        "status": "unavailable",
        "database": backend,
        "database_state": db_state,
        "version": crate::VERSION,
    }))
}

/// `GET /livez` (liveness): 200 while the process serves requests, whatever the database's
/// state — a database outage must not restart the servers.
async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "alive", "version": crate::VERSION}))
}

async fn sqlx_ping(db: &Db) -> Result<(), gantry_engine::store::StoreError> {
    gantry_engine::store::ping(db).await
}

/// A response carrying one GraphQL error and no data.
fn error_response(status: StatusCode, message: &str, code: &str, reason: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({
        "data": null,
        "errors": [{"message": message, "extensions": {"code": code, "reason": reason}}]
    }))
}

fn auth_failure(state: &AppState, e: StoreError) -> HttpResponse {
    let kind = e.kind();
    state.metrics.observe_graphql_error(kind.as_code());
    if kind == ErrorKind::Internal {
        tracing::error!(error = %e, "authentication failed internally");
        return error_response(StatusCode::OK, "internal error", "INTERNAL", "INTERNAL");
    }
    tracing::info!(reason = e.code(), "bearer token rejected");
    // Only the reason is told; never whose token it was or what it allowed.
    error_response(StatusCode::OK, &e.to_string(), kind.as_code(), e.code())
}

/// The bearer token, `Ok(None)` when there is no `Authorization` header, `Err` when the header
/// is not `Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<Option<String>, ()> {
    let Some(v) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| ())?.trim();
    let (scheme, token) = v.split_once(' ').ok_or(())?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(());
    }
    Ok(Some(token.to_string()))
}

/// `POST /graphql`. The caller is authenticated from the headers first; then the body is read
/// within its limit (`crate::body`: `GANTRY_MAX_BODY_BYTES` for JSON and for multipart from a
/// caller who may not upload; files of up to `GANTRY_MAX_UPLOAD_BYTES` only for callers who may,
/// with `operations` and `map` still held to the JSON limit): a larger body gets 413
/// `BODY_TOO_LARGE` before any parsing, a file over the upload limit 413 `UPLOAD_TOO_LARGE`.
async fn graphql(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limits = req
        .app_data::<web::Data<BodyLimits>>()
        .map(|l| *l.get_ref())
        .unwrap_or(BodyLimits {
            json: usize::MAX,
            upload: u64::MAX,
        });
    let multipart = content_type
        .as_deref()
        .is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let principal = match bearer(&req) {
        Ok(None) => None,
        Ok(Some(token)) => {
            match authenticate(&state.auth, &state.db, &token, gantry_engine::store::now()).await {
                Ok(principal) => {
                    tracing::Span::current().record("user_id", principal.user_id.0);
                    Some(principal)
                }
                Err(e) => return auth_failure(&state, e),
            }
        }
        Err(()) => {
            state.metrics.observe_graphql_error("UNAUTHENTICATED");
            return error_response(
                StatusCode::OK,
                "the Authorization header must be `Bearer <token>`",
                "UNAUTHENTICATED",
                "AUTH_TOKEN_INVALID",
            );
        }
    };
    let may_upload = principal.as_ref().is_some_and(crate::graphql::may_upload);
    let body = match crate::body::read_limited(payload, limits.whole_body(multipart, may_upload)).await {
        Ok(body) => body,
        Err(e) => return body_error(&state, &e),
    };
    if multipart
        && may_upload
        && let Some(ct) = content_type.as_deref()
        && let Err(e) = crate::body::check_multipart_parts(ct, &body, limits.json).await
    {
        return body_error(&state, &e);
    }
    // A kept answer to the same body from the same caller (`crate::response_cache`).
    let mut pending = None;
    if state.responses.enabled() && !multipart {
        match state.responses.lookup(principal.as_ref(), &body) {
            Ok(hit) => {
                req.extensions_mut().insert(crate::analytics::Audit {
                    user_id: principal.as_ref().map(|p| p.user_id.0),
                    operations: hit.operations,
                });
                return HttpResponse::Ok()
                    .insert_header(header::ContentType::json())
                    .body(hit.answer);
            }
            Err(p) => pending = Some(p),
        }
    }
    let opts = MultipartOptions::default()
        .max_file_size(usize::try_from(limits.upload).unwrap_or(usize::MAX))
        .max_num_files(MAX_UPLOAD_FILES);
    let parsed = async_graphql::http::receive_batch_body(content_type, &body[..], opts).await;
    let mut batch = match parsed {
        Ok(batch) => batch,
        Err(async_graphql::ParseRequestError::PayloadTooLarge) => {
            state.metrics.observe_graphql_error("VALIDATION");
            return HttpResponse::PayloadTooLarge().json(serde_json::json!({
                "data": null,
                "errors": [{
                    "message": format!("the upload is larger than the limit of {} bytes", limits.upload),
                    "extensions": {"code": "VALIDATION", "reason": "UPLOAD_TOO_LARGE"}
                }]
            }));
        }
        Err(e) => {
            state.metrics.observe_graphql_error("VALIDATION");
            return HttpResponse::BadRequest().json(serde_json::json!({
                "errors": [{"message": e.to_string(), "extensions": {"code": "VALIDATION", "reason": "BAD_REQUEST"}}]
            }));
        }
    };
    let operations = crate::analytics::Audit::operations_of(&batch);
    req.extensions_mut().insert(crate::analytics::Audit {
        user_id: principal.as_ref().map(|p| p.user_id.0),
        operations: operations.clone(),
    });
    let queries_only = state.responses.enabled() && only_queries(&batch);
    if let Some(principal) = principal {
        batch = batch.data(principal);
    }
    if let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        batch = batch.data(IdempotencyKey(key.to_string()));
    }
    let addr = request_client(&req, &state.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());
    batch = batch.data(ClientAddr(addr)).data(state.auth.clone());
    if let Some(farm) = &state.farm {
        batch = batch.data(farm.clone());
    }
    let resp = state.schema.execute_batch(batch).await;
    let responses = match &resp {
        async_graphql::BatchResponse::Single(r) => std::slice::from_ref(r),
        async_graphql::BatchResponse::Batch(rs) => rs.as_slice(),
    };
    for r in responses {
        for e in &r.errors {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.as_str()),
                    _ => None,
                })
                .unwrap_or("VALIDATION");
            state.metrics.observe_graphql_error(code);
        }
    }
    if !state.responses.enabled() {
        return HttpResponse::build(StatusCode::OK).json(resp);
    }
    if !queries_only {
        // A mutation answered here: this server's next read must see it.
        state.responses.invalidate();
    }
    let answer = match serde_json::to_vec(&resp) {
        Ok(answer) => bytes::Bytes::from(answer),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            return error_response(StatusCode::OK, "internal error", "INTERNAL", "INTERNAL");
        }
    };
    if let Some(pending) = pending.filter(|_| queries_only && responses.iter().all(|r| r.errors.is_empty())) {
        state.responses.offer(pending, answer.clone(), operations);
    }
    HttpResponse::Ok()
        .insert_header(header::ContentType::json())
        .body(answer)
}

/// The client address of `req` ([`client_addr`] over its peer and `X-Forwarded-For`).
pub fn request_client(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    client_addr(req.peer_addr().map(|a| a.ip()), &forwarded, trusted)
}

/// The client address: the peer, unless the peer is a trusted proxy (an address in one of the
/// `trusted` ranges), in which case the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy (entries further left are client-controlled and never believed).
pub fn client_addr(peer: Option<IpAddr>, forwarded_for: &str, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| {
        let ip = ip.to_canonical();
        trusted.iter().any(|n| n.contains(&ip))
    };
    let mut addr = peer?.to_canonical();
    if !is_trusted(&addr) {
        return Some(addr);
    }
    for hop in forwarded_for.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                addr = ip.to_canonical();
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(addr)
}

/// `GET /graphql`: subscriptions over WebSocket (`graphql-transport-ws` or the legacy
/// `graphql-ws`), authenticated by the `connection_init` payload
/// (see `crate::graphql::subscriptions`).
async fn graphql_ws(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let (auth, db) = (state.auth.clone(), state.db.clone());
    async_graphql_actix_web::GraphQLSubscription::new(state.schema.clone())
        .on_connection_init(move |p| crate::graphql::subscriptions::connection_init(auth, db, p))
        .start(&req, payload)
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .finish(),
    )
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let queue_length = async {
        let mut conn = state.db.pool().acquire().await?;
        let filter = JobFilter {
            state: Some(JobState::Queued),
            ..JobFilter::default()
        };
        Ok::<_, StoreError>(list_jobs(&mut conn, &filter).await?.len())
    }
    .await;
    let queue_length = match queue_length {
        Ok(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the queue length");
            -1
        }
    };
    let text = state.metrics.render(Gauges {
        queue_length,
        agents_connected: state.farm.as_ref().map_or(0, Farm::connected_agents),
        plan_gap: state.farm.as_ref().map_or(0.0, Farm::plan_gap),
        response_cache_hits: state.responses.hits(),
        response_cache_misses: state.responses.misses(),
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

/// A plausible caller-supplied request id: 1–128 characters of `[A-Za-z0-9._:-]`.
fn valid_request_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Request id, tracing span, access log line and metrics for every request.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| valid_request_id(s))
        .map(str::to_owned)
        .or_else(|| crate::auth::random_id().ok())
        .unwrap_or_else(|| "unknown".into());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %path,
        user_id = tracing::field::Empty,
    );
    let res = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = match &res {
        Ok(r) => r.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(&method, &path, status.as_u16(), elapsed);
        // Probes and scrapes are not worth a document each.
        if let Some(a) = state
            .analytics
            .as_ref()
            .filter(|_| !matches!(path.as_str(), "/healthz" | "/livez" | "/metrics"))
        {
            let served = res.as_ref().ok().map(|r| r.request());
            let audit = served
                .and_then(|r| r.extensions().get::<crate::analytics::Audit>().cloned())
                .unwrap_or_default();
            let client = served.and_then(|r| request_client(r, &state.trusted_proxies));
            a.requests.record(crate::analytics::RequestRecord {
                at: gantry_engine::store::now(),
                request_id: request_id.clone(),
                method: method.clone(),
                path: path.clone(),
                status: status.as_u16(),
                latency_ms: elapsed.as_secs_f64() * 1000.0,
                client: client.map(|ip| ip.to_string()),
                user_id: audit.user_id,
                operations: audit.operations,
            });
        }
    }
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    let mut res = res?;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Builds the server on an already-bound listener (tests bind port 0).
pub fn build(listener: TcpListener, config: &Config, db: Db) -> std::io::Result<Server> {
    build_with_events(listener, config, db, EventBus::default())
}

/// [`build`] publishing on (and subscribing to) the given event bus.
pub fn build_with_events(
    listener: TcpListener,
    config: &Config,
    db: Db,
    events: EventBus,
) -> std::io::Result<Server> {
    let farm = start_farm(config, &db, &events);
    build_inner(listener, config, db, events, farm)
}

/// The live farm's settings from the configuration.
pub fn farm_config(config: &Config) -> FarmConfig {
    FarmConfig {
        max_reprints: config.farm.max_reprints,
        heartbeat_secs: config.farm.agent_heartbeat_secs,
        replan_debounce_ms: config.farm.replan_debounce_ms,
        slice_on_demand: crate::slicer::Slicer::new(&config.printing.slicer).available(),
        events_retention_days: config.events.retention_days,
        ..FarmConfig::default()
    }
}

/// Starts the live farm on the current actix system (`None`, with a warning, outside one).
pub fn start_farm(config: &Config, db: &Db, events: &EventBus) -> Option<Farm> {
    start_farm_as(config, db, events, crate::cluster::cluster_config(config, false))
}

/// [`start_farm`] as the given replica.
pub fn start_farm_as(config: &Config, db: &Db, events: &EventBus, cluster: ClusterConfig) -> Option<Farm> {
    if actix::System::try_current().is_none() {
        tracing::warn!("no actix system: the live farm is not started");
        return None;
    }
    Some(Farm::start_clustered(
        db.clone(),
        events.clone(),
        farm_config(config),
        cluster,
    ))
}

/// How often the relay reads the outbox when `NOTIFY` wakes it (PostgreSQL): only a fallback.
const RELAY_FALLBACK: Duration = Duration::from_millis(500);

fn build_inner(
    listener: TcpListener,
    config: &Config,
    db: Db,
    events: EventBus,
    farm: Option<Farm>,
) -> std::io::Result<Server> {
    let auth = Auth::from_config(&config.auth).map_err(std::io::Error::other)?;
    // On PostgreSQL every replica's relay is woken by the `NOTIFY` of the committing
    // transaction (whichever replica committed), so polling is only a fallback.
    let wake = farm
        .as_ref()
        .filter(|_| db.backend() == gantry_engine::store::Backend::Postgres)
        .map(Farm::events_woken);
    let poll = if wake.is_some() {
        RELAY_FALLBACK
    } else {
        RELAY_POLL
    };
    let relay = Arc::new(spawn_relay_woken(db.clone(), events.clone(), poll, wake));
    let finance = Arc::new(gantry_app::finance::consumer::spawn(
        db.clone(),
        config.finance.settings(),
        std::time::Duration::from_millis(200),
    ));
    let analytics = crate::analytics::start(&config.telemetry, db.clone(), Default::default()).map(Arc::new);
    let snapshot_pruner = Arc::new(crate::snapshots::spawn_pruner(
        db.clone(),
        crate::storage::Storage::new(&config.storage.objects),
        config.farm.snapshot_retention_days,
    ));
    let responses = Arc::new(ResponseCache::new(Duration::from_millis(
        config.graphql.response_cache_ms,
    )));
    responses.spawn_invalidator(&events);
    let state = AppState {
        snapshot_pruner,
        analytics,
        responses,
        schema: build_schema(db.clone(), config, events.clone()),
        farm,
        relay,
        finance,
        events,
        db,
        auth,
        metrics: Arc::new(Metrics::default()),
        trusted_proxies: Arc::new(config.server.trusted_proxies.clone()),
    };
    let body_limit = config.server.max_body_bytes;
    let limits = BodyLimits {
        json: body_limit,
        upload: config.printing.max_upload_bytes,
    };
    // `/graphql` reads its body itself (`crate::body`); other extractors get the JSON limit.
    let payload_limit = body_limit;
    let gcode_files = web::Data::new(crate::agent_ws::GcodeFiles::from_config(config));
    let web_files = web::Data::new(crate::web_static::WebFiles::new(config.web.dir.clone()));
    // Outbound webhooks: the dispatcher lives as long as the server (stopped when dropped).
    let webhooks = web::Data::new(crate::webhooks::start(&config.webhooks, state.db.clone()));
    let inbound = web::Data::new(crate::inbound::Inbound(config.payments.clone()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(gcode_files.clone())
            .app_data(webhooks.clone())
            .app_data(inbound.clone())
            .configure(crate::inbound::routes)
            .configure(crate::snapshots::routes)
            .app_data(web::PayloadConfig::new(payload_limit))
            .app_data(web::Data::new(limits))
            .app_data(web::JsonConfig::default().limit(body_limit))
            .wrap(from_fn(observe))
            .route("/healthz", web::get().to(healthz))
            .route("/livez", web::get().to(livez))
            .route("/graphql", web::post().to(graphql))
            .route("/graphql", web::get().to(graphql_ws))
            .route("/graphiql", web::get().to(graphiql))
            .route("/metrics", web::get().to(metrics))
            .route("/agent/ws", web::get().to(crate::agent_ws::agent_ws))
            .route(
                "/agent/jobs/{job}/gcode",
                web::get().to(crate::agent_ws::job_gcode),
            )
            .app_data(web_files.clone())
            .default_service(web::to(crate::web_static::serve))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// A server running in the background (for tests and embedding).
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    /// The server's event bus (the outbox relay publishes on it).
    pub events: EventBus,
    /// The live farm (stopped when the server stops).
    pub farm: Option<Farm>,
}

/// Serves on `listener` until the server stops (signal or handle), then stops the live farm
/// (resigning the scheduler lease). On SQLite it first locks the database file (a second server
/// on it refuses to start); on PostgreSQL it joins the running replicas, refusing to when a
/// setting that must agree differs (`docs/deployment.md`).
pub async fn serve(listener: TcpListener, config: &Config, db: Db) -> std::io::Result<()> {
    let lock = crate::cluster::lock_sqlite(config).map_err(std::io::Error::other)?;
    let cluster = crate::cluster::cluster_config(config, lock.is_some());
    crate::cluster::join(&db, config, &cluster.replica)
        .await
        .map_err(std::io::Error::other)?;
    tracing::info!(replica = %cluster.replica, "joined as a replica");
    let events = EventBus::default();
    let farm = start_farm_as(config, &db, &events, cluster);
    let result = build_inner(listener, config, db, events, farm.clone())?.await;
    if let Some(farm) = farm {
        farm.stop().await;
    }
    drop(lock);
    result
}

/// Binds `config.server.listen` (port 0 picks a free port) and spawns the server on the current runtime.
pub fn spawn(config: &Config, db: Db) -> std::io::Result<Running> {
    let listener = TcpListener::bind(config.server.listen)?;
    let addr = listener.local_addr()?;
    let events = EventBus::default();
    let farm = start_farm(config, &db, &events);
    let server = build_inner(listener, config, db, events.clone(), farm.clone())?;
    let handle = server.handle();
    let stop = farm.clone();
    tokio::spawn(async move {
        let _ = server.await;
        if let Some(farm) = stop {
            farm.stop().await;
        }
    });
    Ok(Running {
        addr,
        handle,
        events,
        farm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_address_behind_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        let trusted = [net("10.0.0.1/32"), net("10.0.0.2/32")];
        // (peer, X-Forwarded-For, expected)
        let cases = [
            ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
            ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
            ("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
            ("10.0.0.1", "", "10.0.0.1"),
            ("10.0.0.1", "garbage", "10.0.0.1"),
        ];
        for (peer, xff, want) in cases {
            assert_eq!(
                client_addr(Some(ip(peer)), xff, &trusted),
                Some(ip(want)),
                "{peer} {xff}"
            );
        }
        assert_eq!(client_addr(None, "1.2.3.4", &trusted), None);
        // CIDR ranges (a pod network) and IPv4-mapped peers of a dual-stack listener.
        let pods = [net("10.244.0.0/16")];
        let cases = [
            ("10.244.3.7", "198.51.100.1", "198.51.100.1"),
            ("::ffff:10.244.3.7", "198.51.100.1, 10.244.9.9", "198.51.100.1"),
            ("10.245.0.1", "198.51.100.1", "10.245.0.1"),
        ];
        for (peer, xff, want) in cases {
            assert_eq!(
                client_addr(Some(ip(peer)), xff, &pods),
                Some(ip(want)),
                "{peer} {xff}"
            );
        }
        assert!(valid_request_id("abc-123"));
        assert!(!valid_request_id("bad id") && !valid_request_id(""));
    }
}
