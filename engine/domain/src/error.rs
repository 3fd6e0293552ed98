//! The one table of error kinds and the aggregate domain error.
//!
//! Every error a user can cause has a stable, machine-readable `code` (e.g.
//! `ORDER_ILLEGAL_TRANSITION`) and a [`ErrorKind`], which the API maps to GraphQL
//! `extensions.code`. Codes are contracts: never rename one.

use crate::integrations::IntegrationError;
use crate::{
    auth::AuthError, catalog::CatalogError, crm::CrmError, equipment::EquipmentError, finance::FinanceError,
    inventory::InventoryError, orders::OrderError, planning::PlanningError, printing::PrintingError,
    production::ProductionError, types::ValueError, users::UserError,
};

pub use gantry_protocol::codes::{Coded, ErrorKind};

/// A rejected domain command, from any module.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Production(#[from] ProductionError),
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Equipment(#[from] EquipmentError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Printing(#[from] PrintingError),
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error(transparent)]
    Finance(#[from] FinanceError),
    #[error(transparent)]
    Integration(#[from] IntegrationError),
    #[error(transparent)]
    Planning(#[from] PlanningError),
}

impl Coded for DomainError {
    fn code(&self) -> &'static str {
        match self {
            DomainError::Value(e) => e.code(),
            DomainError::User(e) => e.code(),
            DomainError::Catalog(e) => e.code(),
            DomainError::Order(e) => e.code(),
            DomainError::Production(e) => e.code(),
            DomainError::Inventory(e) => e.code(),
            DomainError::Equipment(e) => e.code(),
            DomainError::Auth(e) => e.code(),
            DomainError::Printing(e) => e.code(),
            DomainError::Crm(e) => e.code(),
            DomainError::Finance(e) => e.code(),
            DomainError::Integration(e) => e.code(),
            DomainError::Planning(e) => e.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            DomainError::Value(e) => e.kind(),
            DomainError::User(e) => e.kind(),
            DomainError::Catalog(e) => e.kind(),
            DomainError::Order(e) => e.kind(),
            DomainError::Production(e) => e.kind(),
            DomainError::Inventory(e) => e.kind(),
            DomainError::Equipment(e) => e.kind(),
            DomainError::Auth(e) => e.kind(),
            DomainError::Printing(e) => e.kind(),
            DomainError::Crm(e) => e.kind(),
            DomainError::Finance(e) => e.kind(),
            DomainError::Integration(e) => e.kind(),
            DomainError::Planning(e) => e.kind(),
        }
    }
}
