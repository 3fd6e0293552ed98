//! Shipments and exports (issue #15). An order's shipments are read by whoever may see the
//! order (a customer: their own) and created or moved by staff who fulfil orders
//! (`orders:write` or `production:operate`); the carrier's webhook moves them too
//! (`/hooks/carrier`). Exports of a period as CSV or XLSX need `finance:read`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, SecondsFormat, Utc};
use gantry_app::Db;
use gantry_app::exports;
use gantry_app::finance::FinanceSettings;
use gantry_app::shipments::{self, NewShipment, Shipment, ShipmentChange};
use gantry_engine::domain::finance::pdf;
use gantry_engine::domain::integrations::exports::Period;
use gantry_engine::domain::types::OrderId;
use gantry_engine::domain::users::Permission;

use super::connection::id_arg;
use super::error::app_error;
use super::principal::{AnyPermissionGuard, PermissionGuard, caller};

const READ_ORDERS: &[Permission] = &[Permission::OrdersReadAll, Permission::OrdersReadOwn];
const FULFIL: &[Permission] = &[Permission::OrdersWrite, Permission::ProductionOperate];

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a parcel is (`docs/integrations.md`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(
    name = "ShipmentStatus",
    remote = "gantry_engine::domain::integrations::shipments::ShipmentStatus"
)]
pub enum ShipmentStatusGql {
    LabelCreated,
    InTransit,
    OutForDelivery,
    Delivered,
    Exception,
    Returned,
    Cancelled,
}

/// One status a shipment had.
#[derive(SimpleObject, Debug, Clone)]
pub struct ShipmentStatusChange {
    pub from: Option<ShipmentStatusGql>,
    pub to: ShipmentStatusGql,
    /// The user who changed it (`null`: the carrier or the system).
    pub changed_by: Option<ID>,
    /// `staff` or `carrier`.
    pub source: String,
    pub note: String,
    pub changed_at: String,
}

impl From<ShipmentChange> for ShipmentStatusChange {
    fn from(c: ShipmentChange) -> Self {
        ShipmentStatusChange {
            from: c.from.map(Into::into),
            to: c.to.into(),
            changed_by: c.changed_by.map(|u| ID(u.to_string())),
            source: c.source,
            note: c.note,
            changed_at: time(c.changed_at),
        }
    }
}

/// A parcel of an order.
pub struct ShipmentNode(pub Shipment);

/// A parcel of an order: carrier, service, tracking number and status.
#[Object(name = "Shipment")]
impl ShipmentNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn order_id(&self) -> ID {
        ID(self.0.order_id.to_string())
    }
    /// Lower case (`dhl`, `ups`).
    async fn carrier(&self) -> &str {
        &self.0.parcel.carrier
    }
    async fn service(&self) -> &str {
        &self.0.parcel.service
    }
    async fn tracking_number(&self) -> &str {
        &self.0.parcel.tracking_number
    }
    async fn status(&self) -> ShipmentStatusGql {
        self.0.status.into()
    }
    /// The note of the latest change.
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn created_at(&self) -> String {
        time(self.0.created_at)
    }
    async fn updated_at(&self) -> String {
        time(self.0.updated_at)
    }
    /// Its statuses, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ShipmentStatusChange>> {
        let h = shipments::history(ctx.data::<Db>()?, self.0.id)
            .await
            .map_err(app_error)?;
        Ok(h.into_iter().map(Into::into).collect())
    }
    /// The packing slip (A4, PDF 1.4, no prices), base64.
    async fn packing_slip_pdf_base64(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let seller = ctx
            .data_opt::<FinanceSettings>()
            .map(|s| s.seller.clone())
            .unwrap_or_default();
        let bytes = shipments::packing_slip(ctx.data::<Db>()?, &caller(ctx)?, self.0.id, &seller)
            .await
            .map_err(app_error)?;
        Ok(pdf::base64(&bytes))
    }
}

/// What to export.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "gantry_engine::domain::integrations::exports::ExportKind")]
pub enum ExportKind {
    /// Orders created in the period.
    Orders,
    /// Invoices and credit notes issued in the period.
    Invoices,
    /// Provider payments received in the period (recorded and held).
    Payments,
    /// Customer records created in the period.
    Customers,
    /// Journal lines of the entries posted in the period.
    Ledger,
}

/// The file format of an export.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "gantry_engine::domain::integrations::exports::ExportFormat")]
pub enum ExportFormat {
    /// RFC 4180, UTF-8, CRLF line ends.
    Csv,
    /// Office Open XML workbook, one sheet.
    Xlsx,
}

/// An export file.
#[derive(SimpleObject, Debug, Clone)]
pub struct ExportFile {
    /// e.g. `gantry-orders-2026-01-01-2026-02-01.xlsx`.
    pub file_name: String,
    pub content_type: String,
    /// Data rows (without the header row).
    pub rows: i64,
    /// The file, base64 (RFC 4648).
    pub content_base64: String,
}

/// A new shipment of a ready or shipped order.
#[derive(InputObject, Debug, Clone)]
pub struct CreateShipmentInput {
    pub order_id: ID,
    /// `[a-z0-9_-]`, 1–40 characters (upper case is lowered).
    pub carrier: String,
    #[graphql(default)]
    pub service: String,
    pub tracking_number: String,
    /// Default `LABEL_CREATED`.
    pub status: Option<ShipmentStatusGql>,
    #[graphql(default)]
    pub note: String,
}

#[derive(Default)]
pub struct ShippingQuery;

#[Object]
impl ShippingQuery {
    /// The shipments of an order the caller may see, oldest first.
    #[graphql(guard = "AnyPermissionGuard(READ_ORDERS)")]
    async fn shipments(&self, ctx: &Context<'_>, order_id: ID) -> async_graphql::Result<Vec<ShipmentNode>> {
        let order = OrderId(id_arg(&order_id, "order")?);
        let all = shipments::of_order(ctx.data::<Db>()?, &caller(ctx)?, order)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(ShipmentNode).collect())
    }

    /// One shipment the caller may see.
    #[graphql(guard = "AnyPermissionGuard(READ_ORDERS)")]
    async fn shipment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ShipmentNode> {
        let id = id_arg(&id, "shipment")?;
        let s = shipments::shipment(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(ShipmentNode(s))
    }

    /// Orders, invoices, payments, customers or the ledger of `[from, to)` as CSV or XLSX.
    /// `from`/`to`: `YYYY-MM-DD` (midnight UTC) or RFC 3339; at most 400 days.
    #[graphql(guard = "PermissionGuard(Permission::FinanceRead)")]
    async fn export(
        &self,
        ctx: &Context<'_>,
        kind: ExportKind,
        format: ExportFormat,
        from: String,
        to: String,
    ) -> async_graphql::Result<ExportFile> {
        let period = Period::parse(&from, &to).map_err(|e| app_error(e.into()))?;
        let f = exports::export(ctx.data::<Db>()?, kind.into(), format.into(), period)
            .await
            .map_err(app_error)?;
        Ok(ExportFile {
            file_name: f.file_name,
            content_type: f.content_type.to_string(),
            rows: i64::try_from(f.rows).unwrap_or(i64::MAX),
            content_base64: pdf::base64(&f.bytes),
        })
    }
}

#[derive(Default)]
pub struct ShippingMutation;

#[Object]
impl ShippingMutation {
    /// Creates a shipment of a ready or shipped order; the order ships once a parcel leaves
    /// (`IN_TRANSIT`, `OUT_FOR_DELIVERY`, `DELIVERED`).
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn create_shipment(
        &self,
        ctx: &Context<'_>,
        input: CreateShipmentInput,
    ) -> async_graphql::Result<ShipmentNode> {
        let new = NewShipment {
            order_id: OrderId(id_arg(&input.order_id, "order")?),
            carrier: input.carrier,
            service: input.service,
            tracking_number: input.tracking_number,
            status: input.status.map(Into::into),
            note: input.note,
        };
        let s = shipments::create(ctx.data::<Db>()?, &caller(ctx)?, gantry_app::now(), &new)
            .await
            .map_err(app_error)?;
        Ok(ShipmentNode(s))
    }

    /// Moves a shipment to another status; the order is delivered when all its shipments are.
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn set_shipment_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: ShipmentStatusGql,
        #[graphql(default)] note: String,
    ) -> async_graphql::Result<ShipmentNode> {
        let id = id_arg(&id, "shipment")?;
        let s = shipments::set_status(
            ctx.data::<Db>()?,
            &caller(ctx)?,
            gantry_app::now(),
            id,
            status.into(),
            &note,
        )
        .await
        .map_err(app_error)?;
        Ok(ShipmentNode(s))
    }

    /// Corrects a shipment's carrier, service or tracking number (omitted: unchanged).
    #[graphql(guard = "AnyPermissionGuard(FULFIL)")]
    async fn update_shipment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        carrier: Option<String>,
        service: Option<String>,
        tracking_number: Option<String>,
    ) -> async_graphql::Result<ShipmentNode> {
        let id = id_arg(&id, "shipment")?;
        let s = shipments::update(
            ctx.data::<Db>()?,
            &caller(ctx)?,
            gantry_app::now(),
            id,
            carrier.as_deref(),
            service.as_deref(),
            tracking_number.as_deref(),
        )
        .await
        .map_err(app_error)?;
        Ok(ShipmentNode(s))
    }
}
