//! Printing: model uploads (GraphQL multipart requests), their analysis and estimate, instant
//! quotes with a delivery date from the current plan, and orders from quotes.
//!
//! Each field calls one use case of `gantry_app::printing` (upload → analyse → estimate →
//! store; quote; order from a quote), handing it this process's adapters
//! (`crate::adapters::PrintingServices`). This file only reads the upload's bytes.
//!
//! A customer sees and quotes only their own models; staff who read all orders see every model.
//! Uploading, quoting and ordering from a quote need `orders:write` or `orders:place_own`.
//!
//! `createQuote` prices on the cheapest usable printer that supports the material and fits the
//! model, and plans the would-be plates into the current plan (`gantry_app::planning`, the one
//! planning route; nothing committed) for `earliestDelivery`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject, Upload};
use gantry_app::printing::{self as app, QuoteRequest, Upload as UploadedFile};
use gantry_app::{Db, now};
use gantry_engine::domain::geometry::Analysis;
use gantry_engine::domain::printing::{
    Estimate, EstimateMethod, ModelRecord, PostProcessing, PrintingError, Quote, QuoteId,
};
use gantry_engine::domain::types::{CustomerId, MaterialId, ModelFileId, ProductId};
use gantry_engine::domain::users::Permission;
use gantry_engine::error::Coded;

use super::app_error;
use super::catalog::ProductNode;
use super::connection::{MoneyObj, Ts, id_arg, ts};
use super::equipment::PrinterNode;
use super::loaders::count;
use super::orders::OrderNode;
use super::principal::{
    AnyPermissionGuard, IdempotencyKey, PermissionGuard, Principal, caller, forbidden, principal,
};
use crate::adapters::PrintingServices;

const READ_MODELS: &[Permission] = &[Permission::OrdersReadAll, Permission::OrdersReadOwn];
const QUOTE: &[Permission] = &[Permission::OrdersWrite, Permission::OrdersPlaceOwn];

/// Whether `p` may upload models (`uploadModel`): only such callers' multipart requests may
/// carry files larger than the JSON body limit.
pub fn may_upload(p: &Principal) -> bool {
    QUOTE.iter().any(|perm| p.can(*perm))
}

pub(super) fn services<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<PrintingServices>> {
    ctx.data::<Arc<PrintingServices>>()
}

fn internal(what: &str, e: impl std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %e, "{what}");
    async_graphql::Error::new("internal error").extend_with(|_, x| {
        x.set("code", "INTERNAL");
        x.set("reason", "INTERNAL");
    })
}

fn analysis_of(m: &ModelRecord) -> async_graphql::Result<Analysis> {
    app::analysis_of(m).map_err(app_error)
}

// ---------------------------------------------------------------------------------------------
// Output types

/// The measured geometry of a model, in millimetres.
#[derive(SimpleObject, Debug, Clone)]
pub struct ModelAnalysis {
    pub triangles: u64,
    pub objects: u32,
    pub volume_mm3: f64,
    pub surface_area_mm2: f64,
    pub bbox_min: Vec<f64>,
    pub bbox_max: Vec<f64>,
    pub size_mm: Vec<f64>,
    /// Every edge is shared by two triangles (watertight).
    pub closed: bool,
    pub consistently_oriented: bool,
    /// `millimetres`, `inches` or `metres`: what the file's unit most likely is.
    pub units: String,
    /// Problems that do not stop a print (open mesh, inside out, …).
    pub warnings: Vec<String>,
}

impl From<&Analysis> for ModelAnalysis {
    fn from(a: &Analysis) -> Self {
        ModelAnalysis {
            triangles: a.triangles,
            objects: a.objects,
            volume_mm3: a.volume_mm3,
            surface_area_mm2: a.surface_area_mm2,
            bbox_min: a.bbox_min.to_vec(),
            bbox_max: a.bbox_max.to_vec(),
            size_mm: a.size_mm.to_vec(),
            closed: a.closed,
            consistently_oriented: a.consistently_oriented,
            units: a.units.as_str().to_string(),
            warnings: a.warnings.clone(),
        }
    }
}

/// How estimates were made.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "EstimateMethod")]
pub enum EstimateMethodGql {
    /// The per-printer-profile formula.
    Formula,
    /// PrusaSlicer's estimated time and filament.
    PrusaSlicer,
}

impl From<EstimateMethod> for EstimateMethodGql {
    fn from(m: EstimateMethod) -> Self {
        match m {
            EstimateMethod::Formula => EstimateMethodGql::Formula,
            EstimateMethod::PrusaSlicer => EstimateMethodGql::PrusaSlicer,
        }
    }
}

/// A model's print estimate for one copy at the nominal profile (0.4 mm nozzle, 100 % speed).
#[derive(SimpleObject, Debug, Clone)]
pub struct ModelEstimate {
    pub method: EstimateMethodGql,
    /// Material volume, cm³ (grams = cm³ × the material's density).
    pub material_cm3: f64,
    pub print_minutes: i64,
    /// Whether sliced G-code is kept for printing.
    pub gcode_stored: bool,
    pub layer_height_mm: f64,
    pub infill_pct: u32,
}

impl From<&Estimate> for ModelEstimate {
    fn from(e: &Estimate) -> Self {
        ModelEstimate {
            method: e.method.into(),
            material_cm3: e.material_cm3,
            print_minutes: e.minutes,
            gcode_stored: e.gcode_key.is_some(),
            layer_height_mm: e.settings.layer_height_mm,
            infill_pct: e.settings.infill_pct,
        }
    }
}

/// A printer whose build volume takes the model, and how to lay it.
#[derive(SimpleObject)]
pub struct PrinterFit {
    pub printer_id: ID,
    pub printer: PrinterNode,
    /// E.g. `as modelled` or `x axis up, turned 90°`.
    pub orientation: String,
    /// Width, depth and height on the bed, mm.
    pub footprint_mm: Vec<f64>,
}

/// An uploaded model file.
pub struct ModelNode(pub ModelRecord);

/// An uploaded model file, stored once per content (SHA-256).
#[Object(name = "Model")]
impl ModelNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    /// Hex SHA-256 of the file.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// `stl`, `3mf` or `obj`.
    async fn format(&self) -> &str {
        &self.0.format
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|c| ID(c.0.to_string()))
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn analysis(&self) -> async_graphql::Result<ModelAnalysis> {
        Ok((&analysis_of(&self.0)?).into())
    }
    async fn estimate(&self) -> ModelEstimate {
        (&self.0.estimate).into()
    }
    /// The farm's printers whose build volume takes the model (any status), with the
    /// orientation to print in.
    async fn fits(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PrinterFit>> {
        count(ctx);
        let fits = app::fits(ctx.data::<Db>()?, &self.0).await.map_err(app_error)?;
        Ok(fits
            .into_iter()
            .map(|(p, f)| PrinterFit {
                printer_id: ID(p.id.0.to_string()),
                orientation: f.rotation.describe(),
                footprint_mm: f.footprint_mm.to_vec(),
                printer: PrinterNode(p),
            })
            .collect())
    }
}

/// A post-processing option, priced per copy.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PostProcessing")]
pub enum PostProcessingGql {
    SupportRemoval,
    Sanding,
    Priming,
    Painting,
}

impl From<PostProcessingGql> for PostProcessing {
    fn from(o: PostProcessingGql) -> Self {
        match o {
            PostProcessingGql::SupportRemoval => PostProcessing::SupportRemoval,
            PostProcessingGql::Sanding => PostProcessing::Sanding,
            PostProcessingGql::Priming => PostProcessing::Priming,
            PostProcessingGql::Painting => PostProcessing::Painting,
        }
    }
}

impl From<PostProcessing> for PostProcessingGql {
    fn from(o: PostProcessing) -> Self {
        match o {
            PostProcessing::SupportRemoval => PostProcessingGql::SupportRemoval,
            PostProcessing::Sanding => PostProcessingGql::Sanding,
            PostProcessing::Priming => PostProcessingGql::Priming,
            PostProcessing::Painting => PostProcessingGql::Painting,
        }
    }
}

/// One line of a quote's price; a discount is negative.
#[derive(SimpleObject, Debug, Clone)]
pub struct QuoteLine {
    /// `material`, `machine_time`, `setup`, `labour`, `post_processing`, `quantity_discount`,
    /// `margin` or `rounding`.
    pub kind: String,
    pub description: String,
    pub amount: MoneyObj,
}

/// A stored price offer for printing a model.
pub struct QuoteNode(pub Quote);

/// A stored price offer for printing a model; it expires, and converts into one order.
#[Object(name = "Quote")]
impl QuoteNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn model_id(&self) -> ID {
        ID(self.0.model_id.0.to_string())
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|c| ID(c.0.to_string()))
    }
    async fn material_id(&self) -> ID {
        ID(self.0.material_id.0.to_string())
    }
    /// The printer the price is computed for (the cheapest that fits).
    async fn printer_id(&self) -> ID {
        ID(self.0.printer_id.0.to_string())
    }
    /// The printer model the time and material were estimated for (that printer's model; null
    /// only on quotes made before it was kept).
    async fn printer_model(&self) -> Option<&str> {
        self.0.printer_model.as_deref()
    }
    /// The printer profile of that model the estimate used (`printerProfiles`); null when the
    /// model has none (the nominal estimate scaled to the printer).
    async fn printer_profile_id(&self) -> Option<ID> {
        self.0.printer_profile_id.map(|p| ID(p.to_string()))
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    async fn options(&self) -> Vec<PostProcessingGql> {
        self.0.options.iter().map(|o| (*o).into()).collect()
    }
    /// How the time and material were estimated.
    async fn method(&self) -> EstimateMethodGql {
        self.0.method.into()
    }
    async fn grams_per_unit(&self) -> i64 {
        self.0.production.grams_per_unit
    }
    async fn print_minutes_per_unit(&self) -> i64 {
        self.0.production.print_minutes_per_unit
    }
    async fn copies_per_plate(&self) -> i64 {
        self.0.production.copies_per_plate
    }
    /// The breakdown; the amounts add up to `total`.
    async fn lines(&self) -> Vec<QuoteLine> {
        let cur = self.0.breakdown.currency;
        self.0
            .breakdown
            .lines
            .iter()
            .map(|l| QuoteLine {
                kind: l.kind.as_str().to_string(),
                description: l.description.clone(),
                amount: gantry_engine::domain::types::Money::new(l.amount_minor, cur).into(),
            })
            .collect()
    }
    /// Quantity-break discount, percent.
    async fn discount_pct(&self) -> i64 {
        self.0.breakdown.discount_pct
    }
    async fn unit_price(&self) -> MoneyObj {
        self.0.unit_price.into()
    }
    async fn total(&self) -> MoneyObj {
        self.0.total.into()
    }
    async fn currency(&self) -> &str {
        self.0.total.currency.as_str()
    }
    /// When the last copy would be printed if ordered now (the current plan with these plates
    /// inserted); null when no printer could take them.
    async fn earliest_delivery(&self) -> Option<Ts> {
        ts(self.0.earliest_delivery)
    }
    /// Why `earliestDelivery` is null (e.g. every printer that could print it is in
    /// maintenance); null when there is a date.
    async fn earliest_delivery_reason(&self) -> Option<&str> {
        self.0.earliest_delivery_reason.as_deref()
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn expires_at(&self) -> Ts {
        Ts(self.0.expires_at)
    }
    /// The order made from this quote, once converted.
    async fn order_id(&self) -> Option<ID> {
        self.0.order_id.map(|o| ID(o.0.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Upload

fn upload_too_large(size: u64, limit: u64) -> async_graphql::Error {
    app_error(gantry_app::AppError::from(
        gantry_engine::error::DomainError::from(PrintingError::UploadTooLarge { size, limit }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Quotes

/// Input of `createQuote`.
#[derive(InputObject, Debug, Clone)]
pub struct CreateQuoteInput {
    pub model_id: ID,
    pub material_id: ID,
    pub quantity: i64,
    #[graphql(default)]
    pub options: Vec<PostProcessingGql>,
}

/// Input of `createQuotes`.
#[derive(InputObject, Debug, Clone)]
pub struct CreateQuotesInput {
    pub model_id: ID,
    /// At most 20; empty: every material quotes may use (`quoteMaterials`).
    #[graphql(default)]
    pub material_ids: Vec<ID>,
    pub quantity: i64,
    #[graphql(default)]
    pub options: Vec<PostProcessingGql>,
}

/// The price of a model in one material: its quote, or why it cannot be made in it.
pub struct QuoteOptionNode(app::QuoteOption);

#[Object(name = "QuoteOption")]
impl QuoteOptionNode {
    async fn material_id(&self) -> ID {
        ID(self.0.material_id.0.to_string())
    }
    /// The stored quote; null when the model cannot be made in this material.
    async fn quote(&self) -> Option<QuoteNode> {
        self.0.outcome.as_ref().ok().map(|q| QuoteNode(q.clone()))
    }
    /// Why there is no quote (an error code such as `QUOTE_NO_PRINTER_FITS`); null with a quote.
    async fn reason(&self) -> Option<&'static str> {
        self.0.outcome.as_ref().err().map(Coded::code)
    }
    /// The reason in words (English), for logs and integrators.
    async fn message(&self) -> Option<String> {
        self.0.outcome.as_ref().err().map(ToString::to_string)
    }
}

// ---------------------------------------------------------------------------------------------
// Roots

/// A material a customer may choose for a quote, with its list price.
#[derive(SimpleObject, Debug, Clone)]
pub struct QuoteMaterial {
    pub id: ID,
    pub code: String,
    pub kind: super::inventory::MaterialKindGql,
    pub colour: String,
    pub density_mg_cm3: i64,
    pub price_per_kg: MoneyObj,
}

#[derive(Default)]
pub struct PrintingQuery;

#[Object]
impl PrintingQuery {
    /// The materials a quote may use (those a printer of the farm can print), with their price
    /// per kilogram; for everyone who may ask for a quote, customers included (`materials`
    /// with stock details needs `inventory:read`).
    #[graphql(guard = "AnyPermissionGuard(QUOTE)")]
    async fn quote_materials(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<QuoteMaterial>> {
        count(ctx);
        let materials = app::quote_materials(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(materials
            .into_iter()
            .map(|m| QuoteMaterial {
                id: ID(m.id.0.to_string()),
                code: m.code,
                kind: m.kind.into(),
                colour: m.colour,
                density_mg_cm3: m.density_mg_cm3,
                price_per_kg: m.price_per_kg.into(),
            })
            .collect())
    }

    /// A model by id (a customer's own, or any for staff who read all orders).
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn model(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ModelNode> {
        let id = ModelFileId(id_arg(&id, "model")?);
        count(ctx);
        let m = app::model(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(ModelNode(m))
    }

    /// Uploaded models, oldest first: a customer's own, or all for staff who read all orders.
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn models(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ModelNode>> {
        count(ctx);
        let all = app::models(ctx.data::<Db>()?, &caller(ctx)?)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(ModelNode).collect())
    }

    /// A quote by id (the customer's own, or any for staff who read all orders).
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn quote(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<QuoteNode> {
        let id = QuoteId(id_arg(&id, "quote")?);
        count(ctx);
        let q = app::quote(ctx.data::<Db>()?, &caller(ctx)?, id)
            .await
            .map_err(app_error)?;
        Ok(QuoteNode(q))
    }
}

#[derive(Default)]
pub struct PrintingMutation;

#[Object]
impl PrintingMutation {
    /// Uploads a model file (STL binary or ASCII, 3MF, OBJ) as a GraphQL multipart request.
    /// The file is analysed and estimated before anything is stored; a broken file is refused
    /// with its `MODEL_*` reason, a file over `GANTRY_MAX_UPLOAD_BYTES` with `UPLOAD_TOO_LARGE`.
    /// Uploading the same file again returns the same model.
    #[graphql(guard = "AnyPermissionGuard(QUOTE)")]
    async fn upload_model(&self, ctx: &Context<'_>, file: Upload) -> async_graphql::Result<ModelNode> {
        let p = principal(ctx)?;
        let svc = services(ctx)?.clone();
        let value = file
            .value(ctx)
            .map_err(|e| internal("cannot read the upload", e))?;
        let size = value.size().map_err(|e| internal("cannot read the upload", e))?;
        if size > svc.max_upload_bytes {
            return Err(upload_too_large(size, svc.max_upload_bytes));
        }
        // Refuse an unknown format before reading the bytes.
        app::upload_format(&value.filename).map_err(app_error)?;
        let file_name = value.filename.clone();
        let (bytes, sha256) = tokio::task::spawn_blocking(move || {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut value.into_read(), &mut buf)?;
            let sha = app::sha256_hex(&buf);
            Ok::<_, std::io::Error>((buf, sha))
        })
        .await
        .map_err(|e| internal("upload task failed", e))?
        .map_err(|e| internal("cannot read the upload", e))?;
        let upload = UploadedFile {
            file_name,
            bytes,
            sha256,
        };
        let m = app::upload_model(
            ctx.data::<Db>()?,
            &svc.adapters(),
            &p.caller(),
            p.customer_id,
            upload,
            now(),
        )
        .await
        .map_err(app_error)?;
        Ok(ModelNode(m))
    }

    /// Prices printing `quantity` copies of a model in a material and stores the quote (valid
    /// for 7 days). `earliestDelivery` comes from the current plan with the plates inserted.
    #[graphql(guard = "AnyPermissionGuard(QUOTE)")]
    async fn create_quote(
        &self,
        ctx: &Context<'_>,
        input: CreateQuoteInput,
    ) -> async_graphql::Result<QuoteNode> {
        let req = QuoteRequest {
            model_id: ModelFileId(id_arg(&input.model_id, "model")?),
            material_id: MaterialId(id_arg(&input.material_id, "material")?),
            quantity: input.quantity,
            options: input.options.iter().map(|o| (*o).into()).collect(),
        };
        let svc = services(ctx)?;
        let q = app::create_quote(ctx.data::<Db>()?, &svc.adapters(), &caller(ctx)?, &req, now())
            .await
            .map_err(app_error)?;
        Ok(QuoteNode(q))
    }

    /// Prices a model in several materials in one request (`createQuote` per material, each
    /// stored): one option per distinct material, with its quote or the reason it cannot be
    /// made in it. The model, the quantity and the number of materials (at most 20,
    /// `QUOTE_TOO_MANY_MATERIALS`) are checked for the whole request.
    #[graphql(guard = "AnyPermissionGuard(QUOTE)")]
    async fn create_quotes(
        &self,
        ctx: &Context<'_>,
        input: CreateQuotesInput,
    ) -> async_graphql::Result<Vec<QuoteOptionNode>> {
        let materials = input
            .material_ids
            .iter()
            .map(|m| id_arg(m, "material").map(MaterialId))
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let options: Vec<_> = input.options.iter().map(|o| (*o).into()).collect();
        let svc = services(ctx)?;
        let got = app::create_quotes(
            ctx.data::<Db>()?,
            &svc.adapters(),
            &caller(ctx)?,
            ModelFileId(id_arg(&input.model_id, "model")?),
            &materials,
            input.quantity,
            &options,
            now(),
        )
        .await
        .map_err(app_error)?;
        Ok(got.into_iter().map(QuoteOptionNode).collect())
    }

    /// Creates a draft order from a quote at the quoted price. A quote converts once
    /// (`QUOTE_ALREADY_CONVERTED`; a retry with the same idempotency key returns the order) and
    /// not after it expired (`QUOTE_EXPIRED`). Staff name the customer of a quote made without one.
    #[graphql(guard = "AnyPermissionGuard(QUOTE)")]
    async fn create_order_from_quote(
        &self,
        ctx: &Context<'_>,
        quote_id: ID,
        idempotency_key: Option<String>,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<OrderNode> {
        let p = principal(ctx)?;
        let id = QuoteId(id_arg(&quote_id, "quote")?);
        let requested = customer_id
            .as_ref()
            .map(|c| id_arg(c, "customer").map(CustomerId))
            .transpose()?;
        if requested.is_some() && !p.can(Permission::OrdersWrite) {
            return Err(forbidden());
        }
        let key = idempotency_key.or_else(|| ctx.data_opt::<IdempotencyKey>().map(|k| k.0.clone()));
        let created = app::order_from_quote(
            ctx.data::<Db>()?,
            &p.caller(),
            id,
            requested,
            key.as_deref(),
            now(),
        )
        .await
        .map_err(app_error)?;
        Ok(OrderNode::new(created.order))
    }

    /// Links a catalog product to a stored model (null unlinks), so shop items reuse its
    /// analysis and pricing.
    #[graphql(guard = "PermissionGuard(Permission::CatalogWrite)")]
    async fn set_product_model(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        model_id: Option<ID>,
    ) -> async_graphql::Result<ProductNode> {
        let product = ProductId(id_arg(&product_id, "product")?);
        let model = model_id
            .as_ref()
            .map(|m| id_arg(m, "model").map(ModelFileId))
            .transpose()?;
        let p = app::set_product_model(ctx.data::<Db>()?, now(), product, model)
            .await
            .map_err(app_error)?;
        Ok(ProductNode(p))
    }
}

/// The model id of a product, for `Product.modelId`.
pub async fn product_model_id(ctx: &Context<'_>, product: ProductId) -> async_graphql::Result<Option<ID>> {
    count(ctx);
    let id = app::product_model_id(ctx.data::<Db>()?, product)
        .await
        .map_err(app_error)?;
    Ok(id.map(|m| ID(m.0.to_string())))
}

/// The stored model of a product, for `Product.model`: null when unlinked or not visible to
/// the caller (anonymous callers see none).
pub async fn product_model(
    ctx: &Context<'_>,
    product: ProductId,
) -> async_graphql::Result<Option<ModelNode>> {
    let Some(p) = ctx.data_opt::<Principal>() else {
        return Ok(None);
    };
    count(ctx);
    let m = app::product_model(ctx.data::<Db>()?, &p.caller(), product)
        .await
        .map_err(app_error)?;
    Ok(m.map(ModelNode))
}
