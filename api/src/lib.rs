//! Gantry server: translates HTTP/GraphQL (and, later, agent WebSocket) traffic into calls on
//! the engine, the solver and the actors. It holds no business rules of its own.

pub mod adapters;
pub mod agent_ws;
pub mod analysis_cache;
pub mod analytics;
pub mod auth;
pub mod body;
pub mod cluster;
pub mod config;
pub mod export_cmd;
pub mod graphql;
pub mod inbound;
pub mod metrics;
pub mod printer_tokens_cmd;
pub mod response_cache;
pub mod server;
pub mod slicer;
pub mod snapshots;
pub mod storage;
pub mod stripe;
pub mod telemetry;
pub mod user_cmd;
pub mod web_static;
pub mod webhooks;

/// The version reported by `gantry --version` and the GraphQL `version` field.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
