//! Printer and filament profiles and the estimates made with them (tables `printer_profiles`,
//! `filament_profiles`, `profiled_estimates`). Rules live in
//! [`crate::domain::printing::NewPrinterModelProfile::validate`] and
//! [`crate::domain::printing::validate_filament_config`]; a write validates first, so a refused
//! profile writes nothing.
//!
//! A profile is created or replaced by its printer model (material): every change bumps its
//! `revision`, and a stored estimate is used only while both revisions it was made with are
//! current, so a changed profile is estimated (and sliced) again.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::equipment::Dimensions;
use crate::domain::inventory::MaterialKind;
use crate::domain::printing::{
    Estimate, FilamentProfile, NewPrinterModelProfile, PrinterModelProfile, ProfiledEstimateKey,
    validate_filament_config,
};
use crate::domain::types::{MaterialId, from_millis, to_millis};

const PROFILE_COLS: &str = "id, printer_model, build_x_mm, build_y_mm, build_z_mm, nozzle_um, materials, slicer_config, revision, updated_at";

fn profile_from_row(row: &AnyRow) -> StoreResult<PrinterModelProfile> {
    const T: &str = "printer_profiles";
    let kinds: String = col(row, T, "materials")?;
    let materials = kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| MaterialKind::parse(k).map_err(|e| StoreError::corrupt(T, e)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(PrinterModelProfile {
        id: col(row, T, "id")?,
        printer_model: col(row, T, "printer_model")?,
        build_volume: Dimensions::new(
            col(row, T, "build_x_mm")?,
            col(row, T, "build_y_mm")?,
            col(row, T, "build_z_mm")?,
        ),
        nozzle_um: col(row, T, "nozzle_um")?,
        materials,
        slicer_config: col(row, T, "slicer_config")?,
        revision: col(row, T, "revision")?,
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

/// Creates the profile of a printer model, or replaces it (bumping its revision).
pub async fn put_printer_profile(
    tx: &mut Tx,
    now: DateTime<Utc>,
    new: NewPrinterModelProfile,
) -> StoreResult<PrinterModelProfile> {
    let p = new.validate().map_err(|e| StoreError::Rejected(e.into()))?;
    let kinds: Vec<&str> = p.materials.iter().map(|k| k.as_str()).collect();
    let row = sqlx::query(
        "INSERT INTO printer_profiles (printer_model, build_x_mm, build_y_mm, build_z_mm, nozzle_um, materials, \
         slicer_config, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) \
         ON CONFLICT (printer_model) DO UPDATE SET build_x_mm = excluded.build_x_mm, \
         build_y_mm = excluded.build_y_mm, build_z_mm = excluded.build_z_mm, nozzle_um = excluded.nozzle_um, \
         materials = excluded.materials, slicer_config = excluded.slicer_config, \
         revision = printer_profiles.revision + 1, updated_at = excluded.updated_at RETURNING id",
    )
    .bind(p.printer_model.as_str())
    .bind(p.build_volume.x_mm)
    .bind(p.build_volume.y_mm)
    .bind(p.build_volume.z_mm)
    .bind(p.nozzle_um)
    .bind(kinds.join(","))
    .bind(p.slicer_config.as_str())
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = col(&row, "printer_profiles", "id")?;
    get_printer_profile(&mut *tx, id).await
}

pub async fn get_printer_profile(conn: &mut AnyConnection, id: i64) -> StoreResult<PrinterModelProfile> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLS} FROM printer_profiles WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("printer profile", id))?;
    profile_from_row(&row)
}

/// Every printer profile, by printer model.
pub async fn list_printer_profiles(conn: &mut AnyConnection) -> StoreResult<Vec<PrinterModelProfile>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLS} FROM printer_profiles ORDER BY printer_model"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(profile_from_row).collect()
}

fn filament_from_row(row: &AnyRow) -> StoreResult<FilamentProfile> {
    const T: &str = "filament_profiles";
    Ok(FilamentProfile {
        material_id: MaterialId(col(row, T, "material_id")?),
        slicer_config: col(row, T, "slicer_config")?,
        revision: col(row, T, "revision")?,
        updated_at: from_millis(col(row, T, "updated_at")?),
    })
}

/// Creates or replaces the filament profile of a material (which must exist).
pub async fn put_filament_profile(
    tx: &mut Tx,
    now: DateTime<Utc>,
    material: MaterialId,
    slicer_config: &str,
) -> StoreResult<FilamentProfile> {
    validate_filament_config(slicer_config).map_err(|e| StoreError::Rejected(e.into()))?;
    super::inventory::get_material(&mut *tx, material).await?;
    sqlx::query(
        "INSERT INTO filament_profiles (material_id, slicer_config, revision, updated_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (material_id) DO UPDATE SET slicer_config = excluded.slicer_config, \
         revision = filament_profiles.revision + 1, updated_at = excluded.updated_at",
    )
    .bind(material.0)
    .bind(slicer_config)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    filament_profile(&mut *tx, material)
        .await?
        .ok_or_else(|| StoreError::not_found("filament profile", material.0))
}

/// The filament profile of a material, if it has one.
pub async fn filament_profile(
    conn: &mut AnyConnection,
    material: MaterialId,
) -> StoreResult<Option<FilamentProfile>> {
    let row = sqlx::query(
        "SELECT material_id, slicer_config, revision, updated_at FROM filament_profiles WHERE material_id = $1",
    )
    .bind(material.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(filament_from_row).transpose()
}

/// Every filament profile, by material.
pub async fn list_filament_profiles(conn: &mut AnyConnection) -> StoreResult<Vec<FilamentProfile>> {
    let rows = sqlx::query(
        "SELECT material_id, slicer_config, revision, updated_at FROM filament_profiles ORDER BY material_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(filament_from_row).collect()
}

/// The stored estimate of `key` when it was made with these revisions of the printer profile
/// and the filament profile (0: none).
pub async fn profiled_estimate(
    conn: &mut AnyConnection,
    key: ProfiledEstimateKey,
    profile_revision: i64,
    filament_revision: i64,
) -> StoreResult<Option<Estimate>> {
    let row = sqlx::query(
        "SELECT estimate FROM profiled_estimates WHERE model_id = $1 AND profile_id = $2 AND material_id = $3 \
         AND profile_revision = $4 AND filament_revision = $5",
    )
    .bind(key.model_id.0)
    .bind(key.profile_id)
    .bind(key.material_id.0)
    .bind(profile_revision)
    .bind(filament_revision)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let text: String = col(&row, "profiled_estimates", "estimate")?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StoreError::corrupt("profiled_estimates", e))
}

/// Keeps the estimate of `key` made with these revisions (replacing an older one).
pub async fn put_profiled_estimate(
    tx: &mut Tx,
    now: DateTime<Utc>,
    key: ProfiledEstimateKey,
    profile_revision: i64,
    filament_revision: i64,
    estimate: &Estimate,
) -> StoreResult<()> {
    let json = serde_json::to_string(estimate).map_err(|e| StoreError::corrupt("profiled_estimates", e))?;
    sqlx::query(
        "INSERT INTO profiled_estimates (model_id, profile_id, material_id, profile_revision, filament_revision, \
         estimate, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (model_id, profile_id, material_id) DO UPDATE SET \
         profile_revision = excluded.profile_revision, filament_revision = excluded.filament_revision, \
         estimate = excluded.estimate, created_at = excluded.created_at",
    )
    .bind(key.model_id.0)
    .bind(key.profile_id)
    .bind(key.material_id.0)
    .bind(profile_revision)
    .bind(filament_revision)
    .bind(json)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
