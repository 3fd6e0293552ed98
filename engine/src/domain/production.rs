//! production domain (pure).

use crate::error::{Coded, ErrorKind};

/// Rejections of production commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductionError {
    #[error("invalid production input: {0}")]
    Invalid(String),
}

impl Coded for ProductionError {
    fn code(&self) -> &'static str {
        match self {
            ProductionError::Invalid(_) => "PRODUCTION_INVALID",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}
