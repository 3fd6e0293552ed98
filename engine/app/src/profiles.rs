//! Printer profiles (per printer model) and filament profiles (per material), and the
//! estimates and G-code made with them, kept per (uploaded model, printer profile, material).
//!
//! Saving a profile checks it in the domain and then, when a slicer is configured, slices a
//! 10 mm test cube with it so PrusaSlicer itself refuses what it cannot load
//! (`PROFILE_SLICER_CONFIG_INVALID`); nothing is written on a refusal.
//!
//! [`profiled_estimate`] returns the stored estimate of a key while the revisions of both
//! profiles it was made with are current; otherwise it slices the model with
//! `--load printer.ini --load filament.ini` (G-code stored under its hash), or, without a
//! slicer, uses the formula at the profile's nozzle, and keeps the result under the key.

use chrono::{DateTime, Utc};
use gantry_engine::domain::equipment::{Printer, Technology};
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::printing::{
    self, Estimate, EstimateMethod, FilamentProfile, ModelRecord, NewPrinterModelProfile,
    PrinterModelProfile, PrinterProfile, PrintingError, ProfiledEstimateKey, SliceSettings,
};
use gantry_engine::domain::types::{JobId, MaterialId};
use gantry_engine::store::{StoreError, equipment, inventory, live, production, profiles as store};

use crate::printing::{ObjectStorage, Slicer, analysis_of, gcode_key, geometry_of, sha256_hex};
use crate::{AppError, AppResult, Db, conn, in_tx};

/// Density assumed when a slicer reports only grams (PLA), mg/cm³.
const REFERENCE_DENSITY_MG_CM3: i64 = 1240;

fn rejected(e: PrintingError) -> AppError {
    AppError::Store(StoreError::Rejected(e.into()))
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{what}");
    AppError::refused(
        gantry_engine::error::ErrorKind::Internal,
        "INTERNAL",
        "internal error",
    )
}

/// A cube of `mm` millimetres as ASCII STL (every profile must slice the 10 mm one).
pub fn cube_stl(mm: u32) -> String {
    let v = |x: u32, y: u32, z: u32| format!("vertex {} {} {}", x * mm, y * mm, z * mm);
    // Two triangles per face, counter-clockwise seen from outside.
    let faces: [[(u32, u32, u32); 4]; 6] = [
        [(0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, 0)],
        [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)],
        [(0, 0, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1)],
        [(0, 1, 0), (0, 1, 1), (1, 1, 1), (1, 1, 0)],
        [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0)],
        [(1, 0, 0), (1, 1, 0), (1, 1, 1), (1, 0, 1)],
    ];
    let mut s = String::from("solid cube\n");
    for f in faces {
        for tri in [[f[0], f[1], f[2]], [f[0], f[2], f[3]]] {
            s.push_str("facet normal 0 0 0\nouter loop\n");
            for (x, y, z) in tri {
                s.push_str(&v(x, y, z));
                s.push('\n');
            }
            s.push_str("endloop\nendfacet\n");
        }
    }
    s.push_str("endsolid cube\n");
    s
}

/// Slices the test cube with `configs` when a slicer is configured; its refusal is the
/// profile's.
async fn trial_slice<L: Slicer>(slicer: &L, configs: &[&str]) -> AppResult<()> {
    if !slicer.available() {
        return Ok(());
    }
    match slicer
        .slice("stl", cube_stl(10).as_bytes(), &SliceSettings::default(), configs)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(rejected(PrintingError::SlicerConfigRefused(e))),
    }
}

/// Every printer profile, by printer model.
pub async fn printer_profiles(db: &Db) -> AppResult<Vec<PrinterModelProfile>> {
    Ok(store::list_printer_profiles(&mut *conn(db).await?).await?)
}

/// Every filament profile, by material.
pub async fn filament_profiles(db: &Db) -> AppResult<Vec<FilamentProfile>> {
    Ok(store::list_filament_profiles(&mut *conn(db).await?).await?)
}

/// Creates or replaces the profile of a printer model (checked, then trial-sliced).
pub async fn set_printer_profile<L: Slicer>(
    db: &Db,
    slicer: &L,
    now: DateTime<Utc>,
    new: NewPrinterModelProfile,
) -> AppResult<PrinterModelProfile> {
    let new = new.validate().map_err(rejected)?;
    trial_slice(slicer, &[&new.slicer_config]).await?;
    in_tx!(db, tx => store::put_printer_profile(&mut tx, now, new).await?)
}

/// Creates or replaces the filament profile of a material (checked, then trial-sliced).
pub async fn set_filament_profile<L: Slicer>(
    db: &Db,
    slicer: &L,
    now: DateTime<Utc>,
    material: MaterialId,
    slicer_config: &str,
) -> AppResult<FilamentProfile> {
    printing::validate_filament_config(slicer_config).map_err(rejected)?;
    inventory::get_material(&mut *conn(db).await?, material).await?;
    trial_slice(slicer, &[slicer_config]).await?;
    in_tx!(db, tx => store::put_filament_profile(&mut tx, now, material, slicer_config).await?)
}

/// What a profiled estimate is made with.
pub struct EstimateInputs<'a> {
    pub model: &'a ModelRecord,
    pub profile: &'a PrinterModelProfile,
    pub material: &'a Material,
    pub filament: Option<&'a FilamentProfile>,
    pub technology: Technology,
}

/// The estimate of (model, printer profile, material): stored, or made now and stored.
pub async fn profiled_estimate<S: ObjectStorage, L: Slicer>(
    db: &Db,
    storage: &S,
    slicer: &L,
    settings: &SliceSettings,
    inp: &EstimateInputs<'_>,
    now: DateTime<Utc>,
) -> AppResult<Estimate> {
    let key = ProfiledEstimateKey {
        model_id: inp.model.id,
        profile_id: inp.profile.id,
        material_id: inp.material.id,
    };
    let frev = inp.filament.map_or(0, |f| f.revision);
    if let Some(e) = store::profiled_estimate(&mut *conn(db).await?, key, inp.profile.revision, frev).await? {
        return Ok(e);
    }
    let geom = geometry_of(&analysis_of(inp.model)?);
    let nominal = PrinterProfile {
        technology: inp.technology,
        nozzle_um: inp.profile.nozzle_um,
        speed_factor_pct: 100,
    };
    let formula = Estimate {
        method: EstimateMethod::Formula,
        material_cm3: printing::extruded_volume_mm3(&geom, settings) / 1000.0,
        minutes: printing::formula_minutes(&geom, settings, &nominal),
        gcode_key: None,
        settings: *settings,
    };
    let estimate = if slicer.available() {
        let bytes = storage
            .get(&inp.model.object_key)
            .await
            .map_err(|e| internal("cannot read the model", e))?
            .ok_or_else(|| internal("model file missing from object storage", &inp.model.object_key))?;
        let mut configs = vec![inp.profile.slicer_config.as_str()];
        if let Some(f) = inp.filament {
            configs.push(f.slicer_config.as_str());
        }
        match slicer.slice(&inp.model.format, &bytes, settings, &configs).await {
            Ok(Some((report, gcode))) => {
                let gkey = gcode_key(&sha256_hex(&gcode));
                storage
                    .put_if_absent(&gkey, gcode)
                    .await
                    .map_err(|e| internal("cannot store G-code", e))?;
                Estimate::from_slicer(&report, settings, REFERENCE_DENSITY_MG_CM3, gkey)
            }
            Ok(None) => formula,
            Err(e) => {
                // Not kept: the next request tries the slicer again.
                tracing::warn!(error = %e, model = inp.model.id.0, profile = inp.profile.id,
                    "slicing with the printer profile failed; using the formula");
                return Ok(formula);
            }
        }
    } else {
        formula
    };
    let stored: AppResult<()> = in_tx!(db, tx => store::put_profiled_estimate(&mut tx, now, key, inp.profile.revision, frev, &estimate).await?);
    stored?;
    Ok(estimate)
}

/// The G-code key of a job sliced with its printer's profile and its material's filament
/// profile (at the settings the model was estimated with), when the printer's model has a
/// profile and a slicer made G-code (`None` otherwise: the model's own G-code is used).
pub async fn job_gcode_key<S: ObjectStorage, L: Slicer>(
    db: &Db,
    storage: &S,
    slicer: &L,
    job: JobId,
    printer: &Printer,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let (model, material, profiles, filament) = {
        let mut c = conn(db).await?;
        let j = production::get_job(&mut c, job).await?;
        let Some(model) = live::job_model(&mut c, job).await? else {
            return Ok(None);
        };
        let material = inventory::get_material(&mut c, j.material_id).await?;
        let profiles = store::list_printer_profiles(&mut c).await?;
        let filament = store::filament_profile(&mut c, j.material_id).await?;
        (model, material, profiles, filament)
    };
    let Some(profile) = printing::profile_of(&profiles, printer) else {
        return Ok(None);
    };
    let inp = EstimateInputs {
        model: &model,
        profile,
        material: &material,
        filament: filament.as_ref(),
        technology: printer.technology,
    };
    let settings = model.estimate.settings;
    Ok(profiled_estimate(db, storage, slicer, &settings, &inp, now)
        .await?
        .gcode_key)
}

/// A printer by id (for the G-code route).
pub async fn printer(db: &Db, id: gantry_engine::domain::types::PrinterId) -> AppResult<Printer> {
    Ok(equipment::get_printer(&mut *conn(db).await?, id).await?)
}
