//! orders domain (pure).

use crate::error::{Coded, ErrorKind};

/// Rejections of orders commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("invalid orders input: {0}")]
    Invalid(String),
}

impl Coded for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::Invalid(_) => "ORDERS_INVALID",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}
