//! Printer profiles (per printer model: build volume, nozzle, allowed materials and a
//! PrusaSlicer configuration) and filament profiles (per material), issue #17. Reading needs
//! `equipment:read`; changing them `production:plan` (planners and admins). A refused profile
//! (`PROFILE_INVALID`, `PROFILE_SLICER_CONFIG_INVALID`) writes nothing.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_app::{Db, now, profiles};
use gantry_engine::domain::equipment::Dimensions;
use gantry_engine::domain::printing::{FilamentProfile, NewPrinterModelProfile, PrinterModelProfile};
use gantry_engine::domain::types::MaterialId;
use gantry_engine::domain::users::Permission;

use super::connection::{Ts, id_arg};
use super::equipment::DimensionsObj;
use super::error::app_error;
use super::inventory::MaterialKindGql;
use super::loaders::count;
use super::principal::PermissionGuard;
use super::printing::services;

/// The profile of a printer model: printers whose `model` is `printerModel` are sliced and
/// estimated with it.
#[derive(SimpleObject)]
#[graphql(name = "PrinterProfile")]
pub struct PrinterProfileObj {
    pub id: ID,
    pub printer_model: String,
    pub build_volume: DimensionsObj,
    pub nozzle_um: i64,
    /// Material kinds the model may print.
    pub materials: Vec<MaterialKindGql>,
    /// PrusaSlicer printer settings (INI), passed with `--load`.
    pub slicer_config: String,
    /// Bumped by every change; estimates of an older revision are made again.
    pub revision: i64,
    pub updated_at: Ts,
}

impl From<PrinterModelProfile> for PrinterProfileObj {
    fn from(p: PrinterModelProfile) -> Self {
        let v = p.build_volume;
        PrinterProfileObj {
            id: ID(p.id.to_string()),
            printer_model: p.printer_model,
            build_volume: DimensionsObj {
                x_mm: v.x_mm,
                y_mm: v.y_mm,
                z_mm: v.z_mm,
            },
            nozzle_um: p.nozzle_um,
            materials: p.materials.into_iter().map(Into::into).collect(),
            slicer_config: p.slicer_config,
            revision: p.revision,
            updated_at: Ts(p.updated_at),
        }
    }
}

/// The PrusaSlicer filament settings of a material.
#[derive(SimpleObject)]
#[graphql(name = "FilamentProfile")]
pub struct FilamentProfileObj {
    pub material_id: ID,
    /// PrusaSlicer filament settings (INI), passed with `--load` after the printer's.
    pub slicer_config: String,
    pub revision: i64,
    pub updated_at: Ts,
}

impl From<FilamentProfile> for FilamentProfileObj {
    fn from(f: FilamentProfile) -> Self {
        FilamentProfileObj {
            material_id: ID(f.material_id.0.to_string()),
            slicer_config: f.slicer_config,
            revision: f.revision,
            updated_at: Ts(f.updated_at),
        }
    }
}

#[derive(InputObject)]
pub struct SetPrinterProfileInput {
    /// The printer model (as on `Printer.model`); an existing profile of it is replaced.
    pub printer_model: String,
    pub build_volume: DimensionsObj,
    pub nozzle_um: i64,
    pub materials: Vec<MaterialKindGql>,
    /// PrusaSlicer settings, INI `key = value` lines; `nozzle_diameter`, `bed_shape` and
    /// `max_print_height`, when given, must agree with the nozzle and build volume.
    pub slicer_config: String,
}

#[derive(Default)]
pub struct ProfilesQuery;

#[Object]
impl ProfilesQuery {
    /// Every printer profile, by printer model.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn printer_profiles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PrinterProfileObj>> {
        count(ctx);
        let all = profiles::printer_profiles(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Every filament profile, by material.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn filament_profiles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FilamentProfileObj>> {
        count(ctx);
        let all = profiles::filament_profiles(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ProfilesMutation;

#[Object]
impl ProfilesMutation {
    /// Creates or replaces the profile of a printer model. Checked (`PROFILE_INVALID`,
    /// `PROFILE_SLICER_CONFIG_INVALID`) and, when PrusaSlicer is configured, trial-sliced with
    /// a test cube; quotes and jobs on printers of the model are estimated and sliced with it.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_printer_profile(
        &self,
        ctx: &Context<'_>,
        input: SetPrinterProfileInput,
    ) -> async_graphql::Result<PrinterProfileObj> {
        let v = input.build_volume;
        let new = NewPrinterModelProfile {
            printer_model: input.printer_model,
            build_volume: Dimensions::new(v.x_mm, v.y_mm, v.z_mm),
            nozzle_um: input.nozzle_um,
            materials: input.materials.into_iter().map(Into::into).collect(),
            slicer_config: input.slicer_config,
        };
        let svc = services(ctx)?;
        let p = profiles::set_printer_profile(ctx.data::<Db>()?, &svc.slicer, now(), new)
            .await
            .map_err(app_error)?;
        Ok(p.into())
    }

    /// Creates or replaces the PrusaSlicer filament profile of a material (checked like a
    /// printer profile's configuration).
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_filament_profile(
        &self,
        ctx: &Context<'_>,
        material_id: ID,
        slicer_config: String,
    ) -> async_graphql::Result<FilamentProfileObj> {
        let material = MaterialId(id_arg(&material_id, "material")?);
        let svc = services(ctx)?;
        let f =
            profiles::set_filament_profile(ctx.data::<Db>()?, &svc.slicer, now(), material, &slicer_config)
                .await
                .map_err(app_error)?;
        Ok(f.into())
    }
}
