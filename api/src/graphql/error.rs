//! Maps engine errors to GraphQL errors with a stable `extensions.code` (the one table in
//! `gantry_engine::error::ErrorKind`) and the specific `extensions.reason`.

use async_graphql::ErrorExtensions;
use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::StoreError;

/// An error ready to be returned from a resolver.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub reason: &'static str,
    pub message: String,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let kind = e.kind();
        // Internal details (SQL text, driver messages) are logged, not shown.
        let message = if kind == ErrorKind::Internal {
            tracing::error!(error = %e, "internal error");
            "internal error".to_string()
        } else {
            e.to_string()
        };
        ApiError {
            kind,
            reason: e.code(),
            message,
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        async_graphql::Error::new(e.message).extend_with(|_, ext| {
            ext.set("code", e.kind.as_code());
            ext.set("reason", e.reason);
        })
    }
}

/// Shorthand for resolvers: `store_call().await.map_err(gql_error)?`.
pub fn gql_error(e: StoreError) -> async_graphql::Error {
    ApiError::from(e).into()
}
