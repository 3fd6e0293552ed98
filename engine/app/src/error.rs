//! The one error type of the use cases: a store error, or a refusal decided here, each with a
//! stable code from the one table (`gantry_engine::error::ErrorKind`).

use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::StoreError;

/// Why a use case did not happen (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A refusal with its own code (e.g. `MODEL_TOO_LARGE`), decided by the use case or one of
    /// its adapters.
    #[error("{message}")]
    Refused {
        kind: ErrorKind,
        code: &'static str,
        message: String,
    },
}

impl AppError {
    pub fn refused(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Refused {
            kind,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        AppError::Store(StoreError::not_found(entity, id))
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::refused(ErrorKind::Validation, code, message)
    }
}

impl From<gantry_engine::error::DomainError> for AppError {
    fn from(e: gantry_engine::error::DomainError) -> Self {
        AppError::Store(StoreError::Rejected(e))
    }
}

impl Coded for AppError {
    fn code(&self) -> &'static str {
        match self {
            AppError::Store(e) => e.code(),
            AppError::Refused { code, .. } => code,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AppError::Store(e) => e.kind(),
            AppError::Refused { kind, .. } => *kind,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
