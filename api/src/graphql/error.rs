//! Maps engine errors to GraphQL errors with a stable `extensions.code` (the one table in
//! `gantry_engine::error::ErrorKind`) and the specific `extensions.reason`.

use async_graphql::ErrorExtensions;
use gantry_app::AppError;
use gantry_engine::error::{Coded, ErrorKind};

/// An error ready to be returned from a resolver.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    /// A coded error as shown to clients: internal details (SQL text, driver messages) are
    /// logged, not shown.
    fn coded<E: Coded + std::fmt::Display>(e: &E) -> Self {
        let kind = e.kind();
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

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::coded(&e)
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

/// Shorthand for resolvers calling a use case: `app::x::y(db, …).await.map_err(app_error)?`.
pub fn app_error(e: AppError) -> async_graphql::Error {
    ApiError::from(e).into()
}

/// Gives every error that reaches a response without a code (the request-level ones that
/// async-graphql makes itself: parse errors, unknown fields, bad argument values, depth and
/// complexity limits) `extensions.code = VALIDATION` and a `reason`, so every error carries a
/// code as `docs/api.md` promises.
pub struct ErrorCodes;

impl async_graphql::extensions::ExtensionFactory for ErrorCodes {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for ErrorCodesExtension {
    async fn request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextRequest<'_>,
    ) -> async_graphql::Response {
        let mut resp = next.run(ctx).await;
        for e in &mut resp.errors {
            add_code(e);
        }
        resp
    }
}

/// The reason for an error async-graphql made before any resolver ran.
pub fn request_error_reason(message: &str) -> &'static str {
    if message.contains("nested too deep") {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains(" --> ") {
        // async-graphql's parse errors point at the position: " --> line:column".
        "QUERY_PARSE_ERROR"
    } else {
        "QUERY_INVALID"
    }
}

fn add_code(e: &mut async_graphql::ServerError) {
    let has_code = e.extensions.as_ref().is_some_and(|x| x.get("code").is_some());
    if has_code {
        return;
    }
    let reason = request_error_reason(&e.message);
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", ErrorKind::Validation.as_code());
    ext.set("reason", reason);
}
