//! The one table of error kinds: every error a user can cause has a stable, machine-readable
//! `code` (e.g. `ORDER_ILLEGAL_TRANSITION`) and an [`ErrorKind`], which the API maps to GraphQL
//! `extensions.code` and the agent protocol to its `error` codes. Codes are contracts: never
//! rename one.

/// Broad category of an error; one row per kind in the API's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ErrorKind {
    Validation,
    NotFound,
    Forbidden,
    Unauthenticated,
    Conflict,
    RateLimited,
    Internal,
}

impl ErrorKind {
    /// All kinds, in table order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Validation,
        ErrorKind::NotFound,
        ErrorKind::Forbidden,
        ErrorKind::Unauthenticated,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Internal,
    ];

    /// The stable code used in GraphQL `extensions.code` and in CLI output.
    pub fn as_code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "VALIDATION",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Forbidden => "FORBIDDEN",
            ErrorKind::Unauthenticated => "UNAUTHENTICATED",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

/// Implemented by every module error: a stable code and its kind.
pub trait Coded {
    /// Stable machine-readable code, e.g. `STOCK_INSUFFICIENT`.
    fn code(&self) -> &'static str;
    /// The broad category.
    fn kind(&self) -> ErrorKind;
}
