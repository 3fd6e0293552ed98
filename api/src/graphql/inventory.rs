//! Inventory: materials, spools, stock levels, movements and reservations (by job key).
//! Reading needs `inventory:read`, writing `inventory:write`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_app::{Db, inventory};
use gantry_engine::domain::inventory::{
    Consumption, Material, MaterialKind, MovementKind, NewMaterial, NewSpool, Reservation, ReservationState,
    Spool, StockLevel, StockMovement,
};
use gantry_engine::domain::types::{MaterialId, SpoolId};
use gantry_engine::domain::users::Permission;

use super::connection::{Conn, IdOrder, MoneyInput, MoneyObj, PageArgs, Ts, id_arg, mirror_enum};
use super::error::app_error;
use super::loaders::count;
use super::principal::PermissionGuard;

mirror_enum!(
    /// Material family.
    MaterialKindGql as "MaterialKind" = MaterialKind { Pla, Petg, Abs, Asa, Tpu, Pa, Pc, Resin }
);
mirror_enum!(
    /// Kind of stock movement.
    MovementKindGql as "MovementKind" = MovementKind { Receipt, Consumption, Adjustment, Scrap }
);
mirror_enum!(
    /// State of a material reservation.
    ReservationStateGql as "ReservationState" = ReservationState { Held, Consumed, Released }
);

/// A printing material (filament or resin).
pub struct MaterialNode(pub Material);

/// A printing material (filament or resin).
#[Object(name = "Material")]
impl MaterialNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn kind(&self) -> MaterialKindGql {
        self.0.kind.into()
    }
    async fn colour(&self) -> &str {
        &self.0.colour
    }
    async fn diameter_um(&self) -> i64 {
        self.0.diameter_um
    }
    async fn density_mg_cm3(&self) -> i64 {
        self.0.density_mg_cm3
    }
    async fn price_per_kg(&self) -> MoneyObj {
        self.0.price_per_kg.into()
    }
    async fn low_stock_grams(&self) -> i64 {
        self.0.low_stock_grams.get()
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
}

/// A spool (or resin bottle) in stock.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Spool")]
pub struct SpoolObj {
    pub id: ID,
    pub material_id: ID,
    pub lot: Option<String>,
    pub location: Option<String>,
    pub initial_grams: i64,
    pub remaining_grams: i64,
    pub created_at: Ts,
}

impl From<Spool> for SpoolObj {
    fn from(s: Spool) -> Self {
        SpoolObj {
            id: ID(s.id.0.to_string()),
            material_id: ID(s.material_id.0.to_string()),
            lot: s.lot,
            location: s.location,
            initial_grams: s.initial_grams.get(),
            remaining_grams: s.remaining_grams.get(),
            created_at: Ts(s.created_at),
        }
    }
}

/// Stock of one material.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "StockLevel")]
pub struct StockLevelObj {
    pub material_id: ID,
    pub code: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub low_stock_grams: i64,
    pub low: bool,
}

impl From<StockLevel> for StockLevelObj {
    fn from(s: StockLevel) -> Self {
        StockLevelObj {
            material_id: ID(s.material_id.0.to_string()),
            code: s.code,
            on_hand: s.on_hand,
            reserved: s.reserved,
            available: s.available,
            low_stock_grams: s.low_stock_grams,
            low: s.low,
        }
    }
}

/// One stock movement (grams: positive in, negative out).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "StockMovement")]
pub struct MovementObj {
    pub id: ID,
    pub material_id: ID,
    pub spool_id: Option<ID>,
    pub kind: MovementKindGql,
    pub grams: i64,
    pub job_key: Option<String>,
    pub note: Option<String>,
    pub created_at: Ts,
}

impl From<StockMovement> for MovementObj {
    fn from(m: StockMovement) -> Self {
        MovementObj {
            id: ID(m.id.to_string()),
            material_id: ID(m.material_id.0.to_string()),
            spool_id: m.spool_id.map(|s| ID(s.0.to_string())),
            kind: m.kind.into(),
            grams: m.grams,
            job_key: m.job_key,
            note: m.note,
            created_at: Ts(m.created_at),
        }
    }
}

/// Material held for a job.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Reservation")]
pub struct ReservationObj {
    pub id: ID,
    pub material_id: ID,
    pub job_key: String,
    pub grams: i64,
    pub consumed_grams: i64,
    pub state: ReservationStateGql,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<Reservation> for ReservationObj {
    fn from(r: Reservation) -> Self {
        ReservationObj {
            id: ID(r.id.0.to_string()),
            material_id: ID(r.material_id.0.to_string()),
            job_key: r.job_key,
            grams: r.grams.get(),
            consumed_grams: r.consumed_grams.get(),
            state: r.state.into(),
            created_at: Ts(r.created_at),
            updated_at: Ts(r.updated_at),
        }
    }
}

/// The outcome of consuming material for a job.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Consumption")]
pub struct ConsumptionObj {
    pub reservation: ReservationObj,
    pub movements: Vec<MovementObj>,
    /// True when this was a retry of an already recorded consumption (nothing new written).
    pub replayed: bool,
}

impl From<Consumption> for ConsumptionObj {
    fn from(c: Consumption) -> Self {
        ConsumptionObj {
            reservation: c.reservation.into(),
            movements: c.movements.into_iter().map(Into::into).collect(),
            replayed: c.replayed,
        }
    }
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn materials(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MaterialNode>> {
        count(ctx);
        let all = inventory::materials(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(all.into_iter().map(MaterialNode).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn material(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<MaterialNode> {
        let id = MaterialId(id_arg(&id, "material")?);
        count(ctx);
        let m = inventory::material(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(MaterialNode(m))
    }

    /// On hand, reserved and available grams of every material.
    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn stock_levels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StockLevelObj>> {
        count(ctx);
        let all = inventory::stock_levels(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Materials at or below their low-stock threshold.
    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn low_stock(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StockLevelObj>> {
        count(ctx);
        let all = inventory::low_stock(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn spools(&self, ctx: &Context<'_>, material_id: ID) -> async_graphql::Result<Vec<SpoolObj>> {
        let id = MaterialId(id_arg(&material_id, "material")?);
        count(ctx);
        let all = inventory::spools(ctx.data::<Db>()?, id)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Stock movements (newest last), optionally of one material and one kind.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IdOrder>,
        material_id: Option<ID>,
        kind: Option<MovementKindGql>,
    ) -> async_graphql::Result<Conn<MovementObj>> {
        let page = PageArgs::new(first, after, last, before, order_by).check()?;
        let id = material_id
            .as_ref()
            .map(|m| id_arg(m, "material").map(MaterialId))
            .transpose()?;
        count(ctx);
        let all = inventory::movements(ctx.data::<Db>()?, id, kind.map(MovementKind::from))
            .await
            .map_err(app_error)?;
        Ok(page.slice(all, |m| m.id, Into::into))
    }

    /// Reservations of a job key, or the held reservations of a material.
    #[graphql(guard = "PermissionGuard(Permission::InventoryRead)")]
    async fn reservations(
        &self,
        ctx: &Context<'_>,
        job_key: Option<String>,
        material_id: Option<ID>,
    ) -> async_graphql::Result<Vec<ReservationObj>> {
        let db = ctx.data::<Db>()?;
        let all = match (job_key, material_id) {
            (Some(k), _) => {
                count(ctx);
                inventory::reservations_for_job(db, &k).await
            }
            (None, Some(m)) => {
                let id = MaterialId(id_arg(&m, "material")?);
                count(ctx);
                inventory::held_reservations(db, id).await
            }
            (None, None) => {
                return Err(super::connection::invalid(
                    "give jobKey or materialId",
                    "ARGUMENT_REQUIRED",
                ));
            }
        }
        .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject, Debug, Clone)]
pub struct CreateMaterialInput {
    pub code: String,
    pub kind: MaterialKindGql,
    pub colour: String,
    #[graphql(default = 1750)]
    pub diameter_um: i64,
    #[graphql(default = 1240)]
    pub density_mg_cm3: i64,
    pub price_per_kg: MoneyInput,
    #[graphql(default)]
    pub low_stock_grams: i64,
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn create_material(
        &self,
        ctx: &Context<'_>,
        input: CreateMaterialInput,
    ) -> async_graphql::Result<MaterialNode> {
        let new = NewMaterial {
            code: input.code,
            kind: input.kind.into(),
            colour: input.colour,
            diameter_um: input.diameter_um,
            density_mg_cm3: input.density_mg_cm3,
            price_per_kg: input.price_per_kg.to_money()?,
            low_stock_grams: input.low_stock_grams,
        };
        let m = inventory::create_material(ctx.data::<Db>()?, gantry_app::now(), &new)
            .await
            .map_err(app_error)?;
        Ok(MaterialNode(m))
    }

    /// Receives a spool (or lot) into stock. `lotCost` is what a kilogram of this lot cost, in
    /// the material's currency (default: the material's price per kg); `paidInCash` says it was
    /// paid on receipt (the ledger credits cash) rather than bought on account (payables).
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn receive_spool(
        &self,
        ctx: &Context<'_>,
        material_id: ID,
        grams: i64,
        lot: Option<String>,
        location: Option<String>,
        lot_cost: Option<MoneyInput>,
        #[graphql(default)] paid_in_cash: bool,
    ) -> async_graphql::Result<SpoolObj> {
        let new = NewSpool {
            material_id: MaterialId(id_arg(&material_id, "material")?),
            grams,
            lot,
            location,
        };
        let lot_cost = lot_cost.map(|c| c.to_money()).transpose()?;
        let s = inventory::receive_spool(ctx.data::<Db>()?, gantry_app::now(), &new, lot_cost, paid_in_cash)
            .await
            .map_err(app_error)?;
        Ok(s.into())
    }

    /// Sets a spool to a counted weight; returns the adjustment (null when nothing changed).
    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn adjust_spool(
        &self,
        ctx: &Context<'_>,
        spool_id: ID,
        counted_grams: i64,
        note: Option<String>,
    ) -> async_graphql::Result<Option<MovementObj>> {
        let id = SpoolId(id_arg(&spool_id, "spool")?);
        let db = ctx.data::<Db>()?;
        let m = inventory::adjust_spool(db, gantry_app::now(), id, counted_grams, note.as_deref())
            .await
            .map_err(app_error)?;
        Ok(m.map(Into::into))
    }

    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn scrap_spool(
        &self,
        ctx: &Context<'_>,
        spool_id: ID,
        grams: i64,
        note: Option<String>,
    ) -> async_graphql::Result<MovementObj> {
        let id = SpoolId(id_arg(&spool_id, "spool")?);
        let db = ctx.data::<Db>()?;
        let m = inventory::scrap_spool(db, gantry_app::now(), id, grams, note.as_deref())
            .await
            .map_err(app_error)?;
        Ok(m.into())
    }

    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn reserve_material(
        &self,
        ctx: &Context<'_>,
        job_key: String,
        material_id: ID,
        grams: i64,
    ) -> async_graphql::Result<ReservationObj> {
        let id = MaterialId(id_arg(&material_id, "material")?);
        let r = inventory::reserve(ctx.data::<Db>()?, gantry_app::now(), &job_key, id, grams)
            .await
            .map_err(app_error)?;
        Ok(r.into())
    }

    /// Releases every held reservation of a job key.
    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        job_key: String,
    ) -> async_graphql::Result<Vec<ReservationObj>> {
        let r = inventory::release(ctx.data::<Db>()?, gantry_app::now(), &job_key)
            .await
            .map_err(app_error)?;
        Ok(r.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "PermissionGuard(Permission::InventoryWrite)")]
    async fn consume_material(
        &self,
        ctx: &Context<'_>,
        job_key: String,
        material_id: ID,
        grams: i64,
    ) -> async_graphql::Result<ConsumptionObj> {
        let id = MaterialId(id_arg(&material_id, "material")?);
        let c = inventory::consume(ctx.data::<Db>()?, gantry_app::now(), &job_key, id, grams)
            .await
            .map_err(app_error)?;
        Ok(c.into())
    }
}
