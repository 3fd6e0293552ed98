//! equipment domain (pure).

use crate::error::{Coded, ErrorKind};

/// Rejections of equipment commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EquipmentError {
    #[error("invalid equipment input: {0}")]
    Invalid(String),
}

impl Coded for EquipmentError {
    fn code(&self) -> &'static str {
        match self {
            EquipmentError::Invalid(_) => "EQUIPMENT_INVALID",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}
