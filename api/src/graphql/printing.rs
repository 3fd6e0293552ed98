//! Printing: model uploads (GraphQL multipart requests), their analysis and estimate, instant
//! quotes with a delivery date from the current plan, and orders from quotes.
//!
//! `uploadModel` reads the file, hashes it, and parses and analyses it (`engine::domain::geometry`,
//! on a blocking thread; cached by content hash in [`AnalysisCache`]); it estimates material and
//! time (PrusaSlicer when available, [`Slicer`], the formula otherwise; cached too); only then
//! does it write: the file (and G-code) to object storage under their hashes, then the `models`
//! row in one transaction. A rejected file writes nothing; a failed commit can leave a blob no
//! row references (harmless: the same upload later reuses it).
//!
//! A customer sees and quotes only their own models; staff who read all orders see every model.
//! Uploading, quoting and ordering from a quote need `orders:write` or `orders:place_own`.
//!
//! `createQuote` prices on the cheapest usable printer that supports the material and fits the
//! model, and plans the would-be plates into the current plan with the solver's repair (on a
//! blocking thread, no local search, nothing committed) for `earliestDelivery`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject, Upload};
use bytes::Bytes;
use gantry_engine::domain::equipment::Printer;
use gantry_engine::domain::geometry::{self, Analysis, BuildVolume, ModelFormat, ParseLimits};
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::planning::{at_minute, build_problem};
use gantry_engine::domain::printing::{
    self, Candidate, Estimate, EstimateMethod, ModelRecord, NewModel, NewQuote, PartGeometry, PostProcessing,
    PriceInput, PricingPolicy, PrinterProfile, PrintingError, Quote, QuoteId, SliceSettings,
};
use gantry_engine::domain::types::{CustomerId, MaterialId, ModelFileId, ProductId};
use gantry_engine::domain::users::Permission;
use gantry_engine::error::Coded;
use gantry_engine::store::{StoreError, catalog, equipment, planning, printing as store};

use super::catalog::ProductNode;
use super::connection::{MoneyObj, Ts, id_arg, ts};
use super::equipment::PrinterNode;
use super::gql_error;
use super::loaders::{command, loaders, read};
use super::orders::OrderNode;
use super::principal::{
    AnyPermissionGuard, IdempotencyKey, PermissionGuard, Principal, forbidden, principal,
};
use super::subscriptions::publish_order_created;
use crate::analysis_cache::AnalysisCache;
use crate::config::Config;
use crate::slicer::Slicer;
use crate::storage::{self, Storage};

const READ_MODELS: &[Permission] = &[Permission::OrdersReadAll, Permission::OrdersReadOwn];
const QUOTE: &[Permission] = &[Permission::OrdersWrite, Permission::OrdersPlaceOwn];

/// Whether `p` may upload models (`uploadModel`): only such callers' multipart requests may
/// carry files larger than the JSON body limit.
pub fn may_upload(p: &Principal) -> bool {
    QUOTE.iter().any(|perm| p.can(*perm))
}

/// Density assumed when only grams are known (PLA), mg/cm³.
const REFERENCE_DENSITY_MG_CM3: i64 = 1240;

/// The printing services of the process (schema data).
pub struct PrintingServices {
    pub storage: Storage,
    pub cache: AnalysisCache,
    pub slicer: Slicer,
    pub max_upload_bytes: u64,
    pub settings: SliceSettings,
}

impl PrintingServices {
    pub fn from_config(config: &Config) -> PrintingServices {
        PrintingServices {
            storage: Storage::new(&config.storage.objects),
            cache: AnalysisCache::new(config.cache.redis_url.as_deref()),
            slicer: Slicer::new(&config.printing.slicer),
            max_upload_bytes: config.printing.max_upload_bytes,
            settings: SliceSettings::default(),
        }
    }
}

fn services<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<PrintingServices>> {
    ctx.data::<Arc<PrintingServices>>()
}

/// A GraphQL error from any coded engine error (geometry, printing).
fn coded_error<E: Coded + std::fmt::Display>(e: &E) -> async_graphql::Error {
    let (kind, code) = (e.kind(), e.code());
    async_graphql::Error::new(e.to_string()).extend_with(|_, x| {
        x.set("code", kind.as_code());
        x.set("reason", code);
    })
}

fn printing_error(e: PrintingError) -> async_graphql::Error {
    gql_error(StoreError::Rejected(e.into()))
}

fn internal(what: &str, e: impl std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %e, "{what}");
    async_graphql::Error::new("internal error").extend_with(|_, x| {
        x.set("code", "INTERNAL");
        x.set("reason", "INTERNAL");
    })
}

/// Whether `p` may see a model (or quote) of `owner` (`None`: the business's own).
fn may_see(p: &Principal, owner: Option<CustomerId>) -> bool {
    p.can(Permission::OrdersReadAll) || (owner.is_some() && owner == p.customer_id)
}

fn geometry_of(a: &Analysis) -> PartGeometry {
    PartGeometry {
        volume_mm3: a.volume_mm3,
        surface_area_mm2: a.surface_area_mm2,
        size_mm: a.size_mm,
    }
}

fn build_volume(p: &Printer) -> BuildVolume {
    BuildVolume {
        x_mm: p.build_volume.x_mm as f64,
        y_mm: p.build_volume.y_mm as f64,
        z_mm: p.build_volume.z_mm as f64,
    }
}

fn analysis_of(m: &ModelRecord) -> async_graphql::Result<Analysis> {
    serde_json::from_str(&m.analysis_json).map_err(|e| internal("stored analysis unreadable", e))
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
        let a = analysis_of(&self.0)?;
        let printers = read!(ctx, c => equipment::list_printers(c));
        Ok(printers
            .into_iter()
            .filter_map(|p| {
                let f = geometry::fit(a.size_mm, &build_volume(&p))?;
                Some(PrinterFit {
                    printer_id: ID(p.id.0.to_string()),
                    orientation: f.rotation.describe(),
                    footprint_mm: f.footprint_mm.to_vec(),
                    printer: PrinterNode(p),
                })
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

/// What the cache holds for a file (by format and content hash).
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedAnalysis {
    analysis: Analysis,
}

fn upload_too_large(size: u64, limit: u64) -> async_graphql::Error {
    printing_error(PrintingError::UploadTooLarge { size, limit })
}

/// Parses and analyses on a blocking thread, through the cache.
async fn analyse_cached(
    svc: &PrintingServices,
    format: ModelFormat,
    file_name: &str,
    sha: &str,
    bytes: &Bytes,
) -> async_graphql::Result<Analysis> {
    let key = AnalysisCache::key(&format!("analysis:{}", format.as_str()), sha);
    if let Some(hit) = svc.cache.get(&key).await
        && let Ok(c) = serde_json::from_str::<CachedAnalysis>(&hit)
    {
        return Ok(c.analysis);
    }
    let (name, data) = (file_name.to_string(), bytes.clone());
    let analysis = tokio::task::spawn_blocking(move || {
        geometry::parse_and_analyse(&name, &data, &ParseLimits::default())
    })
    .await
    .map_err(|e| internal("analysis task failed", e))?
    .map_err(|e| coded_error(&e))?;
    if let Ok(json) = serde_json::to_string(&CachedAnalysis {
        analysis: analysis.clone(),
    }) {
        svc.cache.put(&key, &json).await;
    }
    Ok(analysis)
}

/// The nominal estimate: PrusaSlicer when available (its G-code stored), the formula otherwise
/// or when slicing fails; through the cache.
async fn estimate_cached(
    svc: &PrintingServices,
    format: ModelFormat,
    sha: &str,
    bytes: &Bytes,
    analysis: &Analysis,
) -> async_graphql::Result<Estimate> {
    let mode = if svc.slicer.available() {
        EstimateMethod::PrusaSlicer
    } else {
        EstimateMethod::Formula
    };
    let key = AnalysisCache::key(&format!("estimate:{}", mode.as_str()), sha);
    if let Some(hit) = svc.cache.get(&key).await
        && let Ok(e) = serde_json::from_str::<Estimate>(&hit)
    {
        return Ok(e);
    }
    let formula = Estimate::formula(&geometry_of(analysis), &svc.settings);
    let estimate = match svc.slicer.slice(format.as_str(), bytes, &svc.settings).await {
        Ok(Some((report, gcode))) => {
            let gsha = storage::sha256_hex(&gcode);
            let gkey = storage::gcode_key(&gsha);
            svc.storage
                .put_if_absent(&gkey, Bytes::from(gcode))
                .await
                .map_err(|e| internal("cannot store G-code", e))?;
            Estimate::from_slicer(&report, &svc.settings, REFERENCE_DENSITY_MG_CM3, gkey)
        }
        Ok(None) => formula,
        Err(e) => {
            tracing::warn!(error = %e, sha256 = sha, "slicing failed; using the formula");
            // Not cached: the next upload tries the slicer again.
            return Ok(formula);
        }
    };
    if let Ok(json) = serde_json::to_string(&estimate) {
        svc.cache.put(&key, &json).await;
    }
    Ok(estimate)
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

/// The printers that can make the model in the material, with minutes and copies per plate.
fn candidates(
    printers: &[Printer],
    material: &Material,
    analysis: &Analysis,
    estimate: &Estimate,
    quantity: i64,
) -> Vec<Candidate> {
    let geom = geometry_of(analysis);
    printers
        .iter()
        .filter(|p| printing::printer_usable(p) && p.supports(material.kind))
        .filter_map(|p| {
            let f = geometry::fit(analysis.size_mm, &build_volume(p))?;
            Some(Candidate {
                printer_id: p.id,
                minutes_per_unit: estimate.minutes_on(&geom, &PrinterProfile::of(p)),
                copies_per_plate: printing::copies_per_plate(
                    f.footprint_mm,
                    p.build_volume.x_mm as f64,
                    p.build_volume.y_mm as f64,
                    quantity,
                ),
                hourly_cost: p.hourly_cost,
            })
        })
        .collect()
}

/// When the quote's plates would be done if inserted into the current plan now (solver repair,
/// nothing committed), or why there is no date (no planned printer can print them, or the
/// plates cannot be placed).
async fn earliest_delivery(
    ctx: &Context<'_>,
    now: chrono::DateTime<chrono::Utc>,
    quantity: i64,
    chosen: &[Candidate],
    material: &Material,
) -> async_graphql::Result<Result<chrono::DateTime<chrono::Utc>, String>> {
    let input = read!(ctx, c => planning::planning_input(c, now));
    let mut problem = build_problem(now, &input);
    let current = printing::current_assignments(&problem, &input);
    // The quote's plates join the engine's problem (and its material the setup classes), so the
    // one translation to the solver's problem covers them; the last plate is the repair event.
    let planned: Vec<_> = problem.printers.iter().map(|p| p.id).collect();
    let new_jobs = printing::quote_jobs(quantity, chosen, material, None, &planned);
    if new_jobs.is_empty() {
        return Ok(Err(
            "no printer that can print it is available for planning (maintenance, offline or error)".into(),
        ));
    }
    let ours: Vec<String> = new_jobs.iter().map(|j| j.id.0.to_string()).collect();
    if !problem.setup_classes.contains(&material.code) {
        problem.setup_classes.push(material.code.clone());
    }
    problem.jobs.extend(new_jobs);
    let mut solver_problem = gantry_actors::plan::to_solver(&problem);
    let Some(last) = solver_problem.jobs.pop() else {
        return Ok(Err("nothing to plan".into()));
    };
    let plan = gantry_solver::Plan {
        status: gantry_solver::Status::Feasible,
        assignments: current
            .iter()
            .map(|(j, p, start, end)| gantry_solver::Assignment {
                job: j.0.to_string(),
                printer: p.0.to_string(),
                start: *start,
                end: *end,
                setup: 0,
            })
            .collect(),
        unscheduled: Vec::new(),
        objective: gantry_solver::ObjectiveValue {
            makespan: 0,
            weighted_tardiness: 0.0,
            setups: 0,
            value: 0.0,
        },
        lower_bound: 0.0,
        gap: 0.0,
        solve_ms: 0,
        method: "current".into(),
    };
    let event = gantry_solver::repair::Event::JobAdded { at: 0, job: last };
    let opts = gantry_solver::SolveOptions {
        time_limit: 0.0,
        method: gantry_solver::Method::Heuristic,
        seed: 0,
        max_iterations: Some(0),
    };
    let repaired = tokio::task::spawn_blocking(move || {
        gantry_solver::repair::repair(&solver_problem, &plan, &event, &opts)
    })
    .await
    .map_err(|e| internal("delivery planning task failed", e))?;
    let repaired = match repaired {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "delivery planning failed; quoting without a date");
            return Ok(Err(format!("the plan could not take the plates: {e}")));
        }
    };
    if let Some(u) = repaired.plan.unscheduled.iter().find(|u| ours.contains(&u.job)) {
        return Ok(Err(format!("a plate cannot be placed: {}", u.reason)));
    }
    Ok(repaired
        .plan
        .assignments
        .iter()
        .filter(|a| ours.contains(&a.job))
        .map(|a| a.end)
        .max()
        .map(|end| at_minute(now, end))
        .ok_or_else(|| "the plan placed none of the plates".to_string()))
}

async fn visible_model(
    ctx: &Context<'_>,
    p: &Principal,
    id: ModelFileId,
) -> async_graphql::Result<ModelRecord> {
    let m = read!(ctx, c => store::get_model(c, id));
    if may_see(p, m.customer_id) {
        Ok(m)
    } else {
        // Same answer as a missing model: existence is not disclosed.
        Err(gql_error(StoreError::not_found("model", id)))
    }
}

/// Prices a quote for a visible model (everything but storing it).
async fn make_quote(
    ctx: &Context<'_>,
    p: &Principal,
    input: &CreateQuoteInput,
    now: chrono::DateTime<chrono::Utc>,
) -> async_graphql::Result<NewQuote> {
    let model = visible_model(ctx, p, ModelFileId(id_arg(&input.model_id, "model")?)).await?;
    let material_id = MaterialId(id_arg(&input.material_id, "material")?);
    let quantity = printing::check_quantity(input.quantity).map_err(printing_error)?;
    let analysis = analysis_of(&model)?;
    let material = match loaders(ctx)?.materials.load(ctx, material_id).await? {
        Some(m) => m,
        None => return Err(gql_error(StoreError::not_found("material", material_id))),
    };
    let printers = read!(ctx, c => equipment::list_printers(c));
    let cands = candidates(&printers, &material, &analysis, &model.estimate, quantity);
    let Some(best) = printing::cheapest(&cands, quantity).cloned() else {
        let s = analysis.size_mm;
        return Err(printing_error(PrintingError::NoPrinterFits {
            material: material.code.clone(),
            size: format!("{:.1} × {:.1} × {:.1} mm", s[0], s[1], s[2]),
        }));
    };
    let grams_per_unit = printing::grams_for(model.estimate.material_cm3, material.density_mg_cm3);
    let policy = PricingPolicy::standard(material.price_per_kg.currency);
    let options: Vec<PostProcessing> = input.options.iter().map(|o| (*o).into()).collect();
    let breakdown = printing::price_quote(
        &PriceInput {
            quantity,
            grams_per_unit,
            minutes_per_unit: best.minutes_per_unit,
            copies_per_plate: best.copies_per_plate,
            material_price_per_kg: material.price_per_kg,
            printer_hourly_cost: best.hourly_cost,
            options: options.clone(),
        },
        &policy,
    )
    .map_err(printing_error)?;
    // Plates are planned on the chosen printer's packing, on every candidate printer.
    let mut plan_cands = vec![best.clone()];
    plan_cands.extend(
        cands
            .into_iter()
            .filter(|c| c.printer_id != best.printer_id)
            .map(|c| Candidate {
                copies_per_plate: best.copies_per_plate,
                ..c
            }),
    );
    let delivery = earliest_delivery(ctx, now, quantity, &plan_cands, &material).await?;
    Ok(NewQuote {
        model_id: model.id,
        customer_id: model.customer_id.or(p.customer_id),
        material_id,
        printer_id: best.printer_id,
        options,
        method: model.estimate.method,
        production: gantry_engine::domain::catalog::ProductionSpec {
            grams_per_unit,
            print_minutes_per_unit: best.minutes_per_unit,
            copies_per_plate: best.copies_per_plate,
        },
        breakdown,
        earliest_delivery: delivery.as_ref().ok().copied(),
        earliest_delivery_reason: delivery.err(),
        created_by: Some(p.user_id),
        expires_at: now + policy.validity,
    })
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
        let materials = read!(ctx, c => gantry_engine::store::inventory::list_materials(c));
        let printers = read!(ctx, c => equipment::list_printers(c));
        Ok(printing::quotable_materials(&materials, &printers)
            .into_iter()
            .map(|m| QuoteMaterial {
                id: ID(m.id.0.to_string()),
                code: m.code.clone(),
                kind: m.kind.into(),
                colour: m.colour.clone(),
                density_mg_cm3: m.density_mg_cm3,
                price_per_kg: m.price_per_kg.into(),
            })
            .collect())
    }

    /// A model by id (a customer's own, or any for staff who read all orders).
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn model(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ModelNode> {
        let p = principal(ctx)?;
        Ok(ModelNode(
            visible_model(ctx, p, ModelFileId(id_arg(&id, "model")?)).await?,
        ))
    }

    /// Uploaded models, oldest first: a customer's own, or all for staff who read all orders.
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn models(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ModelNode>> {
        let p = principal(ctx)?;
        let scope = if p.can(Permission::OrdersReadAll) {
            None
        } else {
            match p.customer_id {
                Some(c) => Some(c),
                None => return Ok(Vec::new()),
            }
        };
        let all = read!(ctx, c => store::list_models(c, scope));
        Ok(all.into_iter().map(ModelNode).collect())
    }

    /// A quote by id (the customer's own, or any for staff who read all orders).
    #[graphql(guard = "AnyPermissionGuard(READ_MODELS)")]
    async fn quote(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<QuoteNode> {
        let p = principal(ctx)?;
        let id = QuoteId(id_arg(&id, "quote")?);
        let q = read!(ctx, c => store::get_quote(c, id));
        if !may_see(p, q.customer_id) {
            return Err(gql_error(StoreError::not_found("quote", id)));
        }
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
        let file_name = printing::clean_file_name(&value.filename).map_err(printing_error)?;
        let format = ModelFormat::from_file_name(&file_name).ok_or_else(|| {
            coded_error(&geometry::GeometryError::UnknownFormat {
                file_name: file_name.clone(),
            })
        })?;
        let (bytes, sha) = tokio::task::spawn_blocking(move || {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut value.into_read(), &mut buf)?;
            let sha = storage::sha256_hex(&buf);
            Ok::<_, std::io::Error>((Bytes::from(buf), sha))
        })
        .await
        .map_err(|e| internal("upload task failed", e))?
        .map_err(|e| internal("cannot read the upload", e))?;
        let owner = p.customer_id;
        if let Some(existing) = read!(ctx, c => store::model_by_owner_and_hash(c, owner, &sha)) {
            return Ok(ModelNode(existing));
        }
        let analysis = analyse_cached(&svc, format, &file_name, &sha, &bytes).await?;
        let estimate = estimate_cached(&svc, format, &sha, &bytes, &analysis).await?;
        let analysis_json =
            serde_json::to_string(&analysis).map_err(|e| internal("cannot encode the analysis", e))?;
        let key = storage::model_key(&sha);
        svc.storage
            .put_if_absent(&key, bytes.clone())
            .await
            .map_err(|e| internal("cannot store the model", e))?;
        let new = NewModel {
            sha256: sha,
            file_name,
            format: format.as_str().to_string(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            object_key: key,
            customer_id: owner,
            uploaded_by: Some(p.user_id),
            analysis_json,
            estimate,
        };
        let now = gantry_engine::store::now();
        let m =
            command!(ctx, tx => async { store::insert_model(&mut tx, now, &new).await.map_err(gql_error) });
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
        let p = principal(ctx)?;
        let now = gantry_engine::store::now();
        let new = make_quote(ctx, p, &input, now).await?;
        let q =
            command!(ctx, tx => async { store::create_quote(&mut tx, now, &new).await.map_err(gql_error) });
        Ok(QuoteNode(q))
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
        let now = gantry_engine::store::now();
        let created = command!(ctx, tx => async {
            let q = store::get_quote(&mut tx, id).await.map_err(gql_error)?;
            if !may_see(p, q.customer_id) {
                return Err(gql_error(StoreError::not_found("quote", id)));
            }
            store::create_order_from_quote(&mut tx, now, id, requested, key.as_deref(), Some(p.user_id))
                .await
                .map_err(gql_error)
        });
        publish_order_created(ctx, &created.order, now);
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
        let now = gantry_engine::store::now();
        let p = command!(ctx, tx => async {
            store::set_product_model(&mut tx, now, product, model).await.map_err(gql_error)?;
            catalog::get_product(&mut tx, product).await.map_err(gql_error)
        });
        Ok(ProductNode(p))
    }
}

/// The model id of a product, for `Product.modelId`.
pub async fn product_model_id(ctx: &Context<'_>, product: ProductId) -> async_graphql::Result<Option<ID>> {
    Ok(read!(ctx, c => store::product_model(c, product)).map(|m| ID(m.0.to_string())))
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
    let Some(id) = read!(ctx, c => store::product_model(c, product)) else {
        return Ok(None);
    };
    let m = read!(ctx, c => store::get_model(c, id));
    Ok(may_see(p, m.customer_id).then_some(ModelNode(m)))
}
