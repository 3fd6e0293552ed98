//! Use cases of printing: model uploads, their analysis and estimate, instant quotes with a
//! delivery date from the current plan, and orders from quotes.
//!
//! Uploading reads nothing but the bytes it is given: it parses and analyses them on a blocking
//! thread (cached by content hash through the [`Cache`] adapter), estimates material and time
//! (the [`Slicer`] adapter when available, the formula otherwise; cached too), and only then
//! writes: the file (and G-code) to [`ObjectStorage`] under their hashes, then the `models` row
//! in one transaction. A rejected file writes nothing; a failed commit can leave a blob no row
//! references (harmless: the same upload later reuses it).
//!
//! A customer sees and quotes only their own models (another's is `NOT_FOUND`, as a missing
//! one); callers who see every customer see every model.

use std::future::Future;

use chrono::{DateTime, Utc};
use gantry_engine::domain::catalog::{Product, ProductionSpec};
use gantry_engine::domain::equipment::Printer;
use gantry_engine::domain::geometry::{self, Analysis, BuildVolume, Fit, ModelFormat, ParseLimits};
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::orders::OrderWithLines;
use gantry_engine::domain::printing::{
    self, Candidate, Estimate, EstimateMethod, FilamentProfile, ModelRecord, NewModel, NewQuote,
    PartGeometry, PostProcessing, PriceInput, PricingPolicy, PrinterModelProfile, PrinterProfile,
    PrintingError, Quote, QuoteId, SliceSettings, SlicerReport,
};
use gantry_engine::domain::types::{CustomerId, MaterialId, ModelFileId, ProductId};
use gantry_engine::error::{Coded, ErrorKind};
use gantry_engine::store::{StoreError, catalog, equipment, inventory, printing as store, profiles};
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult, Caller, Db, Sees, conn, in_tx};

/// Object storage for model files and G-code (local disk, S3/MinIO).
pub trait ObjectStorage: Send + Sync {
    /// Stores `bytes` under `key` unless something is there already; whether it wrote.
    fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = Result<bool, String>> + Send;
    /// Stores `bytes` under `key`, replacing what is there (keys that are not content hashes,
    /// e.g. a printer's latest snapshot).
    fn put(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
    /// The bytes under `key`; `None` when there is no such object.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, String>> + Send;
    /// Removes the object under `key` (none there is fine).
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// A best-effort cache of analyses and estimates by content hash (misses are fine).
pub trait Cache: Send + Sync {
    fn get(&self, key: &str) -> impl Future<Output = Option<String>> + Send;
    fn put(&self, key: &str, value: &str) -> impl Future<Output = ()> + Send;
}

/// A slicer that turns a model into G-code and a summary of it.
pub trait Slicer: Send + Sync {
    fn available(&self) -> bool;
    /// `Ok(None)` when the slicer is not available; `Err` when slicing failed. `configs` are
    /// PrusaSlicer INI texts loaded in order (`--load`: printer profile, filament profile)
    /// before `settings`.
    fn slice(
        &self,
        format: &str,
        bytes: &[u8],
        settings: &SliceSettings,
        configs: &[&str],
    ) -> impl Future<Output = Result<Option<(SlicerReport, Vec<u8>)>, String>> + Send;
}

/// The adapters uploads use, with the slicing settings.
pub struct Services<'a, S, C, L> {
    pub storage: &'a S,
    pub cache: &'a C,
    pub slicer: &'a L,
    pub settings: &'a SliceSettings,
}

/// Density assumed when only grams are known (PLA), mg/cm³.
const REFERENCE_DENSITY_MG_CM3: i64 = 1240;

/// Hex SHA-256 of `bytes` (content addresses of models and G-code).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of a model file with this content hash.
pub fn model_key(sha256: &str) -> String {
    format!("models/{}/{sha256}", sha256.get(..2).unwrap_or("xx"))
}

/// The key of a G-code file with this content hash.
pub fn gcode_key(sha256: &str) -> String {
    format!("gcode/{}/{sha256}.gcode", sha256.get(..2).unwrap_or("xx"))
}

/// The key of the G-code sliced on demand from the model with content hash `model_sha256` at
/// these settings (models stored without G-code).
pub fn sliced_model_key(model_sha256: &str, s: &SliceSettings) -> String {
    format!(
        "gcode/models/{}/{model_sha256}-l{}-p{}-w{}-i{}.gcode",
        model_sha256.get(..2).unwrap_or("xx"),
        s.layer_height_mm,
        s.perimeters,
        s.line_width_mm,
        s.infill_pct
    )
}

/// The cache key of `kind` (e.g. `analysis:stl`) for a file hash (versioned: a change of the
/// cached shapes bumps it).
pub fn cache_key(kind: &str, sha256: &str) -> String {
    format!("gantry:printing:v1:{kind}:{sha256}")
}

fn coded(e: &(impl Coded + std::fmt::Display)) -> AppError {
    AppError::refused(e.kind(), e.code(), e.to_string())
}

fn rejected(e: PrintingError) -> AppError {
    AppError::Store(StoreError::Rejected(e.into()))
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{what}");
    AppError::refused(ErrorKind::Internal, "INTERNAL", "internal error")
}

/// Whether `caller` may see a model or quote of `owner` (`None`: the business's own, seen only
/// by callers who see every customer).
fn may_see(caller: &Caller, owner: Option<CustomerId>) -> bool {
    match caller.sees {
        Sees::All => true,
        Sees::Own(c) => owner == Some(c),
        Sees::None => false,
    }
}

pub(crate) fn geometry_of(a: &Analysis) -> PartGeometry {
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

/// The stored analysis of a model.
pub fn analysis_of(m: &ModelRecord) -> AppResult<Analysis> {
    serde_json::from_str(&m.analysis_json).map_err(|e| internal("stored analysis unreadable", e))
}

/// The farm's printers whose build volume takes the model (any status), with the orientation.
pub async fn fits(db: &Db, model: &ModelRecord) -> AppResult<Vec<(Printer, Fit)>> {
    let a = analysis_of(model)?;
    let printers = equipment::list_printers(&mut *conn(db).await?).await?;
    Ok(printers
        .into_iter()
        .filter_map(|p| {
            let f = geometry::fit(a.size_mm, &build_volume(&p))?;
            Some((p, f))
        })
        .collect())
}

/// The materials a quote may use (those a printer of the farm can print).
pub async fn quote_materials(db: &Db) -> AppResult<Vec<Material>> {
    let mut c = conn(db).await?;
    let materials = inventory::list_materials(&mut c).await?;
    let printers = equipment::list_printers(&mut c).await?;
    Ok(printing::quotable_materials(&materials, &printers)
        .into_iter()
        .cloned()
        .collect())
}

/// A model the caller may see.
pub async fn model(db: &Db, caller: &Caller, id: ModelFileId) -> AppResult<ModelRecord> {
    let m = store::get_model(&mut *conn(db).await?, id).await?;
    if may_see(caller, m.customer_id) {
        Ok(m)
    } else {
        // Same answer as a missing model: existence is not disclosed.
        Err(AppError::not_found("model", id))
    }
}

/// Uploaded models the caller may see, oldest first.
pub async fn models(db: &Db, caller: &Caller) -> AppResult<Vec<ModelRecord>> {
    let scope = match caller.sees {
        Sees::All => None,
        Sees::Own(c) => Some(c),
        Sees::None => return Ok(Vec::new()),
    };
    Ok(store::list_models(&mut *conn(db).await?, scope).await?)
}

/// A quote the caller may see.
pub async fn quote(db: &Db, caller: &Caller, id: QuoteId) -> AppResult<Quote> {
    let q = store::get_quote(&mut *conn(db).await?, id).await?;
    if may_see(caller, q.customer_id) {
        Ok(q)
    } else {
        Err(AppError::not_found("quote", id))
    }
}

/// An uploaded file: its cleaned name, content and hash.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// What the cache holds for a file (by format and content hash).
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedAnalysis {
    analysis: Analysis,
}

/// The format of an upload's file name (`MODEL_UNKNOWN_FORMAT` otherwise), after cleaning it.
pub fn upload_format(file_name: &str) -> AppResult<(String, ModelFormat)> {
    let file_name = printing::clean_file_name(file_name).map_err(rejected)?;
    let format = ModelFormat::from_file_name(&file_name).ok_or_else(|| {
        coded(&geometry::GeometryError::UnknownFormat {
            file_name: file_name.clone(),
        })
    })?;
    Ok((file_name, format))
}

/// Stores an uploaded model for `owner` (the caller's customer; `None` for the business),
/// analysed and estimated first; uploading the same file again returns the same model.
pub async fn upload_model<S: ObjectStorage, C: Cache, L: Slicer>(
    db: &Db,
    svc: &Services<'_, S, C, L>,
    caller: &Caller,
    owner: Option<CustomerId>,
    upload: Upload,
    now: DateTime<Utc>,
) -> AppResult<ModelRecord> {
    let (file_name, format) = upload_format(&upload.file_name)?;
    let sha = upload.sha256;
    if let Some(existing) = store::model_by_owner_and_hash(&mut *conn(db).await?, owner, &sha).await? {
        return Ok(existing);
    }
    let bytes = upload.bytes;
    let analysis = analyse_cached(svc, format, &file_name, &sha, &bytes).await?;
    let estimate = estimate_cached(svc, format, &sha, &bytes, &analysis).await?;
    let analysis_json =
        serde_json::to_string(&analysis).map_err(|e| internal("cannot encode the analysis", e))?;
    let key = model_key(&sha);
    let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    svc.storage
        .put_if_absent(&key, bytes)
        .await
        .map_err(|e| internal("cannot store the model", e))?;
    let new = NewModel {
        sha256: sha,
        file_name,
        format: format.as_str().to_string(),
        size_bytes,
        object_key: key,
        customer_id: owner,
        uploaded_by: caller.user_id,
        analysis_json,
        estimate,
    };
    in_tx!(db, tx => store::insert_model(&mut tx, now, &new).await?)
}

/// Parses and analyses on a blocking thread, through the cache.
async fn analyse_cached<S: ObjectStorage, C: Cache, L: Slicer>(
    svc: &Services<'_, S, C, L>,
    format: ModelFormat,
    file_name: &str,
    sha: &str,
    bytes: &[u8],
) -> AppResult<Analysis> {
    let key = cache_key(&format!("analysis:{}", format.as_str()), sha);
    if let Some(hit) = svc.cache.get(&key).await
        && let Ok(c) = serde_json::from_str::<CachedAnalysis>(&hit)
    {
        return Ok(c.analysis);
    }
    let (name, data) = (file_name.to_string(), bytes.to_vec());
    let analysis = tokio::task::spawn_blocking(move || {
        geometry::parse_and_analyse(&name, &data, &ParseLimits::default())
    })
    .await
    .map_err(|e| internal("analysis task failed", e))?
    .map_err(|e| coded(&e))?;
    if let Ok(json) = serde_json::to_string(&CachedAnalysis {
        analysis: analysis.clone(),
    }) {
        svc.cache.put(&key, &json).await;
    }
    Ok(analysis)
}

/// The nominal estimate: the slicer when available (its G-code stored), the formula otherwise
/// or when slicing fails; through the cache.
async fn estimate_cached<S: ObjectStorage, C: Cache, L: Slicer>(
    svc: &Services<'_, S, C, L>,
    format: ModelFormat,
    sha: &str,
    bytes: &[u8],
    analysis: &Analysis,
) -> AppResult<Estimate> {
    let mode = if svc.slicer.available() {
        EstimateMethod::PrusaSlicer
    } else {
        EstimateMethod::Formula
    };
    let key = cache_key(&format!("estimate:{}", mode.as_str()), sha);
    if let Some(hit) = svc.cache.get(&key).await
        && let Ok(e) = serde_json::from_str::<Estimate>(&hit)
    {
        return Ok(e);
    }
    let formula = Estimate::formula(&geometry_of(analysis), svc.settings);
    let estimate = match svc.slicer.slice(format.as_str(), bytes, svc.settings, &[]).await {
        Ok(Some((report, gcode))) => {
            let gkey = gcode_key(&sha256_hex(&gcode));
            svc.storage
                .put_if_absent(&gkey, gcode)
                .await
                .map_err(|e| internal("cannot store G-code", e))?;
            Estimate::from_slicer(&report, svc.settings, REFERENCE_DENSITY_MG_CM3, gkey)
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

/// What a quote is asked for.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub model_id: ModelFileId,
    pub material_id: MaterialId,
    pub quantity: i64,
    pub options: Vec<PostProcessing>,
}

/// A printer that can make the model in the material: its candidate (minutes, copies per
/// plate), the profile of its model (if any) and the estimate it was priced with.
struct Offer<'a> {
    candidate: Candidate,
    printer: &'a Printer,
    profile: Option<&'a PrinterModelProfile>,
    estimate: Estimate,
}

/// The printers that can make the model in the material, each with the estimate for its
/// printer profile (per (model, profile, material), see [`crate::profiles::profiled_estimate`])
/// or the model's nominal estimate when its printer model has no profile. A profile must also
/// allow the material kind and take the model in its build volume.
async fn offers<'a, S: ObjectStorage, C: Cache, L: Slicer>(
    db: &Db,
    svc: &Services<'_, S, C, L>,
    farm: &'a QuoteFarm,
    model: &ModelRecord,
    analysis: &Analysis,
    quantity: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<Offer<'a>>> {
    let geom = geometry_of(analysis);
    let material = &farm.material;
    let mut by_profile: std::collections::HashMap<i64, Estimate> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for p in farm.printers.iter() {
        if !printing::printer_usable(p) || !p.supports(material.kind) {
            continue;
        }
        let Some(f) = geometry::fit(analysis.size_mm, &build_volume(p)) else {
            continue;
        };
        let profile = printing::profile_of(&farm.profiles, p);
        let estimate = match profile {
            None => model.estimate.clone(),
            Some(pr) => {
                let v = pr.build_volume;
                let volume = BuildVolume {
                    x_mm: v.x_mm as f64,
                    y_mm: v.y_mm as f64,
                    z_mm: v.z_mm as f64,
                };
                if !pr.allows(material.kind) || geometry::fit(analysis.size_mm, &volume).is_none() {
                    continue;
                }
                match by_profile.get(&pr.id) {
                    Some(e) => e.clone(),
                    None => {
                        let inp = crate::profiles::EstimateInputs {
                            model,
                            profile: pr,
                            material,
                            filament: farm.filament.as_ref(),
                            technology: p.technology,
                        };
                        let e = crate::profiles::profiled_estimate(
                            db,
                            svc.storage,
                            svc.slicer,
                            svc.settings,
                            &inp,
                            now,
                        )
                        .await?;
                        by_profile.insert(pr.id, e.clone());
                        e
                    }
                }
            }
        };
        out.push(Offer {
            candidate: candidate(p, &f, &geom, &estimate, quantity),
            printer: p,
            profile,
            estimate,
        });
    }
    Ok(out)
}

/// A printer's candidate for `quantity` of a part laid as `fit`, timed with `estimate`.
fn candidate(p: &Printer, fit: &Fit, geom: &PartGeometry, estimate: &Estimate, quantity: i64) -> Candidate {
    Candidate {
        printer_id: p.id,
        minutes_per_unit: estimate.minutes_on(geom, &PrinterProfile::of(p)),
        copies_per_plate: printing::copies_per_plate(
            fit.footprint_mm,
            p.build_volume.x_mm as f64,
            p.build_volume.y_mm as f64,
            quantity,
        ),
        hourly_cost: p.hourly_cost,
    }
}

/// Plates are planned on the chosen printer's packing, on every candidate printer.
fn planned_candidates(best: &Candidate, cands: Vec<Candidate>) -> Vec<Candidate> {
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
    plan_cands
}

/// The would-be plates of `quantity` of a model in a material, as a quote would plan them
/// (the what-if of a rush order): the quantity checked, the material and the candidates. The
/// printers' times come from the model's nominal estimate (printer profiles are not sliced for
/// a what-if).
pub async fn would_be_plates(
    db: &Db,
    caller: &Caller,
    model_id: ModelFileId,
    material_id: MaterialId,
    quantity: i64,
) -> AppResult<(i64, Material, Vec<Candidate>)> {
    let model = model(db, caller, model_id).await?;
    let quantity = printing::check_quantity(quantity).map_err(rejected)?;
    let analysis = analysis_of(&model)?;
    let (material, printers) = {
        let mut c = conn(db).await?;
        let material = inventory::get_material(&mut c, material_id).await?;
        (material, equipment::list_printers(&mut c).await?)
    };
    let geom = geometry_of(&analysis);
    let cands: Vec<Candidate> = printers
        .iter()
        .filter(|p| printing::printer_usable(p) && p.supports(material.kind))
        .filter_map(|p| {
            let f = geometry::fit(analysis.size_mm, &build_volume(p))?;
            Some(candidate(p, &f, &geom, &model.estimate, quantity))
        })
        .collect();
    let Some(best) = printing::cheapest(&cands, quantity).cloned() else {
        let s = analysis.size_mm;
        return Err(rejected(PrintingError::NoPrinterFits {
            material: material.code.clone(),
            size: format!("{:.1} × {:.1} × {:.1} mm", s[0], s[1], s[2]),
        }));
    };
    Ok((quantity, material, planned_candidates(&best, cands)))
}

/// What a quote reads of the farm: the material, its filament profile, the printers and the
/// printer profiles.
struct QuoteFarm {
    material: Material,
    filament: Option<FilamentProfile>,
    printers: Vec<Printer>,
    profiles: Vec<PrinterModelProfile>,
}

/// Prices a quote for a model the caller may see on the cheapest usable printer that supports
/// the material and fits the model, with the estimate of that printer's model profile and the
/// material's filament profile when they exist; plans the would-be plates into the current
/// plan for the earliest delivery (nothing planned is written), and stores the quote with the
/// printer model (and profile) it was estimated for.
pub async fn create_quote<S: ObjectStorage, C: Cache, L: Slicer>(
    db: &Db,
    svc: &Services<'_, S, C, L>,
    caller: &Caller,
    req: &QuoteRequest,
    now: DateTime<Utc>,
) -> AppResult<Quote> {
    let model = model(db, caller, req.model_id).await?;
    let quantity = printing::check_quantity(req.quantity).map_err(rejected)?;
    let analysis = analysis_of(&model)?;
    let farm = {
        let mut c = conn(db).await?;
        QuoteFarm {
            material: inventory::get_material(&mut c, req.material_id).await?,
            filament: profiles::filament_profile(&mut c, req.material_id).await?,
            printers: equipment::list_printers(&mut c).await?,
            profiles: profiles::list_printer_profiles(&mut c).await?,
        }
    };
    let material = &farm.material;
    let offers = offers(db, svc, &farm, &model, &analysis, quantity, now).await?;
    let cands: Vec<Candidate> = offers.iter().map(|o| o.candidate.clone()).collect();
    let Some(best) = printing::cheapest(&cands, quantity).cloned() else {
        let s = analysis.size_mm;
        return Err(rejected(PrintingError::NoPrinterFits {
            material: material.code.clone(),
            size: format!("{:.1} × {:.1} × {:.1} mm", s[0], s[1], s[2]),
        }));
    };
    let Some(chosen) = offers.iter().find(|o| o.candidate.printer_id == best.printer_id) else {
        return Err(internal("quote", "the cheapest candidate has no offer"));
    };
    let grams_per_unit = printing::grams_for(chosen.estimate.material_cm3, material.density_mg_cm3);
    let policy = PricingPolicy::standard(material.price_per_kg.currency);
    let breakdown = printing::price_quote(
        &PriceInput {
            quantity,
            grams_per_unit,
            minutes_per_unit: best.minutes_per_unit,
            copies_per_plate: best.copies_per_plate,
            material_price_per_kg: material.price_per_kg,
            printer_hourly_cost: best.hourly_cost,
            options: req.options.clone(),
        },
        &policy,
    )
    .map_err(rejected)?;
    let plan_cands = planned_candidates(&best, cands);
    let delivery = crate::planning::earliest_delivery(db, now, quantity, &plan_cands, material).await?;
    let own = match caller.sees {
        Sees::Own(c) => Some(c),
        _ => None,
    };
    let new = NewQuote {
        model_id: model.id,
        customer_id: model.customer_id.or(own),
        material_id: req.material_id,
        printer_id: best.printer_id,
        printer_model: chosen.printer.model.clone(),
        printer_profile_id: chosen.profile.map(|p| p.id),
        options: req.options.clone(),
        method: chosen.estimate.method,
        production: ProductionSpec {
            grams_per_unit,
            print_minutes_per_unit: best.minutes_per_unit,
            copies_per_plate: best.copies_per_plate,
        },
        breakdown,
        earliest_delivery: delivery.as_ref().ok().copied(),
        earliest_delivery_reason: delivery.err(),
        created_by: caller.user_id,
        expires_at: now + policy.validity,
    };
    in_tx!(db, tx => store::create_quote(&mut tx, now, &new).await?)
}

/// Most materials priced in one [`create_quotes`] request.
pub const QUOTES_MAX_MATERIALS: usize = 20;

/// The price of one material in a [`create_quotes`] request: its stored quote, or the coded
/// reason it cannot be made in that material (e.g. `QUOTE_NO_PRINTER_FITS`).
#[derive(Debug)]
pub struct QuoteOption {
    pub material_id: MaterialId,
    pub outcome: Result<Quote, AppError>,
}

/// Prices a model in several materials at once (every material quotes may use when
/// `materials` is empty), storing one quote per material that can be made. Refusals that
/// concern one material (none fits, unknown material) are that option's reason; anything else
/// (the model, the quantity, the store) fails the whole request.
#[allow(clippy::too_many_arguments)]
pub async fn create_quotes<S: ObjectStorage, C: Cache, L: Slicer>(
    db: &Db,
    svc: &Services<'_, S, C, L>,
    caller: &Caller,
    model_id: ModelFileId,
    materials: &[MaterialId],
    quantity: i64,
    options: &[PostProcessing],
    now: DateTime<Utc>,
) -> AppResult<Vec<QuoteOption>> {
    if materials.len() > QUOTES_MAX_MATERIALS {
        return Err(AppError::invalid(
            "QUOTE_TOO_MANY_MATERIALS",
            format!(
                "at most {QUOTES_MAX_MATERIALS} materials in one request, got {}",
                materials.len()
            ),
        ));
    }
    model(db, caller, model_id).await?;
    printing::check_quantity(quantity).map_err(rejected)?;
    let mut ids: Vec<MaterialId> = if materials.is_empty() {
        quote_materials(db).await?.into_iter().map(|m| m.id).collect()
    } else {
        materials.to_vec()
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|m| seen.insert(*m));
    let mut out = Vec::with_capacity(ids.len());
    for material_id in ids {
        let req = QuoteRequest {
            model_id,
            material_id,
            quantity,
            options: options.to_vec(),
        };
        let outcome = match create_quote(db, svc, caller, &req, now).await {
            Ok(q) => Ok(q),
            Err(e)
                if matches!(
                    e,
                    AppError::Refused { .. } | AppError::Store(StoreError::Rejected(_))
                ) || e.kind() == ErrorKind::NotFound =>
            {
                Err(e)
            }
            Err(e) => return Err(e),
        };
        out.push(QuoteOption { material_id, outcome });
    }
    Ok(out)
}

/// Creates a draft order from a quote the caller may see, at the quoted price (`customer`:
/// staff name the customer of a quote made without one).
pub async fn order_from_quote(
    db: &Db,
    caller: &Caller,
    id: QuoteId,
    customer: Option<CustomerId>,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<OrderWithLines> {
    in_tx!(db, tx => {
        let q = store::get_quote(&mut tx, id).await?;
        if !may_see(caller, q.customer_id) {
            return Err(AppError::not_found("quote", id));
        }
        store::create_order_from_quote(&mut tx, now, id, customer, idempotency_key, caller.user_id).await?
    })
}

/// Links a catalog product to a stored model (`None` unlinks); returns the product.
pub async fn set_product_model(
    db: &Db,
    now: DateTime<Utc>,
    product: ProductId,
    model: Option<ModelFileId>,
) -> AppResult<Product> {
    in_tx!(db, tx => {
        store::set_product_model(&mut tx, now, product, model).await?;
        catalog::get_product(&mut tx, product).await?
    })
}

/// The model id of a product, if linked.
pub async fn product_model_id(db: &Db, product: ProductId) -> AppResult<Option<ModelFileId>> {
    Ok(store::product_model(&mut *conn(db).await?, product).await?)
}

/// The stored model of a product, when linked and visible to the caller.
pub async fn product_model(db: &Db, caller: &Caller, product: ProductId) -> AppResult<Option<ModelRecord>> {
    let mut c = conn(db).await?;
    let Some(id) = store::product_model(&mut c, product).await? else {
        return Ok(None);
    };
    let m = store::get_model(&mut c, id).await?;
    Ok(may_see(caller, m.customer_id).then_some(m))
}
