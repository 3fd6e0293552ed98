//! The GraphQL schema: one object per domain module, merged with `MergedObject`.

mod catalog;
pub mod connection;
mod crm;
mod equipment;
mod error;
mod finance;
mod fleet;
mod integrations;
mod inventory;
pub mod loaders;
mod meta;
mod orders;
mod planning;
pub mod principal;
mod printer_admin;
mod printing;
mod production;
mod profile;
mod profiles;
mod shifts;
mod shipping;
pub mod subscriptions;
mod users;

use async_graphql::{MergedObject, Schema};
use gantry_app::Db;
use gantry_app::events::EventBus;

pub use error::{ApiError, app_error};
pub use printing::may_upload;

use crate::config::Config;

/// All query fields.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    meta::MetaQuery,
    users::UsersQuery,
    catalog::CatalogQuery,
    orders::OrdersQuery,
    production::ProductionQuery,
    inventory::InventoryQuery,
    equipment::EquipmentQuery,
    printing::PrintingQuery,
    crm::CrmQuery,
    finance::FinanceQuery,
    integrations::IntegrationsQuery,
    profile::ProfileQuery,
    profiles::ProfilesQuery,
    shipping::ShippingQuery,
    shifts::ShiftsQuery,
    planning::PlanningQuery,
);

/// All mutation fields.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    users::UsersMutation,
    catalog::CatalogMutation,
    orders::OrdersMutation,
    production::ProductionMutation,
    inventory::InventoryMutation,
    equipment::EquipmentMutation,
    printing::PrintingMutation,
    crm::CrmMutation,
    finance::FinanceMutation,
    integrations::IntegrationsMutation,
    profile::ProfileMutation,
    profiles::ProfilesMutation,
    shipping::ShippingMutation,
    shifts::ShiftsMutation,
    printer_admin::PrinterAdminMutation,
    planning::PlanningMutation,
);

pub type GantrySchema = Schema<QueryRoot, MutationRoot, subscriptions::SubscriptionRoot>;

/// Builds the schema with the limits from configuration.
pub fn build_schema(db: Db, config: &Config, events: EventBus) -> GantrySchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscriptions::SubscriptionRoot,
    )
    .data(events)
    .data(config.finance.settings())
    .data(std::sync::Arc::new(
        crate::adapters::PrintingServices::from_config(config),
    ))
    .data(integrations::WebhookPolicy {
        allow_private: config.webhooks.allow_private,
    })
    .data(integrations::PaymentLinks(
        crate::stripe::StripeLinks::from_config(&config.payments),
    ))
    .extension(error::ErrorCodes)
    // A fresh set of batch loaders for every operation (never shared between requests).
    .extension(loaders::PerRequestLoaders::new(&db))
    .data(db)
    .limit_depth(config.graphql.max_depth)
    .limit_complexity(config.graphql.max_complexity);
    if !config.graphql.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL of the schema (committed at `docs/schema.graphql`; a test fails on drift).
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscriptions::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
