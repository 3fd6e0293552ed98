//! Editing and retiring printers (`equipment:write`). Translation only: the rules are in
//! `domain::equipment` (`PrinterEdit`, `check_retire`) and the application layer (`gantry_app::equipment`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_app::{Db, equipment, now};
use gantry_engine::domain::equipment::{Dimensions, PrinterEdit};
use gantry_engine::domain::types::PrinterId;
use gantry_engine::domain::users::Permission;

use super::connection::{MoneyInput, id_arg};
use super::equipment::{DimensionsObj, PrinterNode};
use super::error::app_error;
use super::inventory::MaterialKindGql;
use super::principal::{PermissionGuard, caller};

/// Changes to a printer (absent fields stay as they are; the technology never changes).
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdatePrinterInput {
    pub name: Option<String>,
    pub model: Option<String>,
    pub build_volume: Option<DimensionsObj>,
    pub nozzle_um: Option<i64>,
    pub materials: Option<Vec<MaterialKindGql>>,
    pub speed_factor_pct: Option<i64>,
    pub hourly_cost: Option<MoneyInput>,
    /// Its group (a room, a rack, a line; at most 60 characters); `""`: no group.
    pub group: Option<String>,
}

/// A retired printer and what retiring it did.
#[derive(SimpleObject)]
pub struct RetiredPrinter {
    pub printer: PrinterNode,
    /// Jobs that were planned on it, back in the queue (the next plan places them).
    pub requeued_jobs: i64,
    /// Its agent tokens revoked by the retirement.
    pub tokens_revoked: i64,
}

#[derive(Default)]
pub struct PrinterAdminMutation;

#[Object]
impl PrinterAdminMutation {
    /// Edits a printer's record (event `printer.updated`, which re-plans). Refused with the
    /// same codes as `createPrinter` for bad values, `EQUIPMENT_NAME_TAKEN` for another
    /// printer's name and `PRINTER_RETIRED` for a retired printer; nothing is written then.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn update_printer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePrinterInput,
    ) -> async_graphql::Result<PrinterNode> {
        let id = PrinterId(id_arg(&id, "printer")?);
        let edit = PrinterEdit {
            name: input.name,
            model: input.model,
            build_volume: input
                .build_volume
                .map(|v| Dimensions::new(v.x_mm, v.y_mm, v.z_mm)),
            nozzle_um: input.nozzle_um,
            materials: input.materials.map(|m| m.into_iter().map(Into::into).collect()),
            speed_factor_pct: input.speed_factor_pct,
            hourly_cost: input.hourly_cost.map(|m| m.to_money()).transpose()?,
            group: input.group,
        };
        let p = equipment::update_printer(ctx.data::<Db>()?, &caller(ctx)?, now(), id, &edit)
            .await
            .map_err(app_error)?;
        Ok(PrinterNode(p))
    }

    /// Retires a printer for good: it leaves the farm (no longer planned or listed by
    /// `printers`; `printer(id)` still shows it with `retiredAt`), its planned jobs go back to
    /// the queue and its agent tokens are revoked (event `printer.retired`, which re-plans).
    /// Refused while it prints, is paused or holds a job handed to it (`PRINTER_BUSY`), or when
    /// already retired (`PRINTER_RETIRED`). An agent connected at that moment keeps its
    /// connection until it reconnects (then its revoked token is refused).
    #[graphql(guard = "PermissionGuard(Permission::EquipmentWrite)")]
    async fn retire_printer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<RetiredPrinter> {
        let id = PrinterId(id_arg(&id, "printer")?);
        let r = equipment::retire_printer(ctx.data::<Db>()?, &caller(ctx)?, now(), id)
            .await
            .map_err(app_error)?;
        Ok(RetiredPrinter {
            printer: PrinterNode(r.printer),
            requeued_jobs: i64::try_from(r.requeued).unwrap_or(i64::MAX),
            tokens_revoked: i64::try_from(r.tokens_revoked).unwrap_or(i64::MAX),
        })
    }
}
