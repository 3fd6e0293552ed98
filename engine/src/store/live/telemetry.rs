//! Telemetry: agents' status reports, job progress, `hello` and the latest readings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::domain::events::{Event, JobProgressEvent};
use crate::domain::live::{TELEMETRY_RETENTION_HOURS, TELEMETRY_SAMPLE_SECS, TelemetrySample};
use crate::domain::protocol::{AgentState, Readings, Temperatures};
use crate::domain::types::{JobId, MaterialId, PrinterId, from_millis, to_millis};
use crate::store::batch::value_rows;
use crate::store::{StoreError, StoreResult, Tx, col, equipment, inventory};

/// One status report of an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub printer_id: PrinterId,
    pub state: AgentState,
    pub job: Option<JobId>,
    pub progress_pct: Option<i64>,
    pub temperatures: Temperatures,
    pub seconds_left: Option<i64>,
    /// Layer, runout, the printer's error; `None` for a report that carries only progress
    /// (`job_progress`): the last readings (and temperatures) stay.
    pub readings: Option<Readings>,
    pub at: DateTime<Utc>,
}

/// The last reported status of a printer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Telemetry {
    pub printer_id: PrinterId,
    pub agent: String,
    pub reported_state: String,
    pub job_id: Option<JobId>,
    pub progress_pct: Option<i64>,
    pub nozzle_c: Option<f64>,
    pub bed_c: Option<f64>,
    pub nozzle_target_c: Option<f64>,
    pub bed_target_c: Option<f64>,
    pub layer: Option<i64>,
    pub total_layers: Option<i64>,
    pub filament_runout: Option<bool>,
    pub printer_error: Option<String>,
    pub seconds_left: Option<i64>,
    /// When the last full status (with readings) arrived; `None`: never.
    pub readings_at: Option<DateTime<Utc>>,
    /// When the printer's camera last sent a snapshot; `None`: never.
    pub snapshot_at: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
    /// What the agent's last `hello` said it can do.
    pub capabilities: Vec<String>,
    /// The material code the agent's last `hello` reported loaded (`None`: not reported).
    pub loaded_material: Option<String>,
}

/// A temperature in tenths of a degree (stored as an integer); `None` for NaN/infinite or
/// absurd values (outside ±10,000 °C), which are not stored.
fn to_tenths(celsius: f64) -> Option<i64> {
    let t = (celsius * 10.0).round();
    (t.is_finite() && t.abs() <= 100_000.0).then_some(t as i64)
}

fn from_tenths(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

fn state_name(s: AgentState) -> &'static str {
    match s {
        AgentState::Idle => "idle",
        AgentState::Printing => "printing",
        AgentState::Paused => "paused",
        AgentState::NeedsBedClearing => "needs_bed_clearing",
        AgentState::Error => "error",
    }
}

/// Rows of one multi-row statement (the widest, a reading, binds 15 values a row).
const ROWS_PER_STATEMENT: usize = 200;

/// Writes a batch of status reports (one transaction for many agents: the group commit) in a
/// few multi-row statements whatever the batch's size: each printer's telemetry row is
/// replaced by its latest report (a progress-only report keeps the last readings), a sample is
/// kept for the charts at most every [`TELEMETRY_SAMPLE_SECS`], and the progress of the job it
/// prints moves forward (never backwards; only a printing job on that printer is touched).
pub async fn record_statuses(tx: &mut Tx, reports: &[StatusReport]) -> StoreResult<()> {
    let plan = StatusBatch::of(reports);
    for chunk in plan.readings.chunks(ROWS_PER_STATEMENT) {
        record_readings(tx, chunk).await?;
        record_samples(tx, chunk).await?;
    }
    for chunk in plan.plain.chunks(ROWS_PER_STATEMENT) {
        record_plain(tx, chunk).await?;
    }
    for chunk in plan.progress.chunks(ROWS_PER_STATEMENT) {
        advance_progress_of(tx, chunk).await?;
    }
    Ok(())
}

/// (at, printer, job, pct): a job's progress to record.
type ProgressRow = (DateTime<Utc>, PrinterId, JobId, i64);

/// What a batch of reports writes, one row per printer (and per job for the progress).
#[derive(Debug, Default, PartialEq)]
struct StatusBatch<'a> {
    /// Each printer's last report with readings.
    readings: Vec<&'a StatusReport>,
    /// Each printer's last report when it carries no readings (it came after its last reading:
    /// it updates state, job and progress and keeps the readings).
    plain: Vec<&'a StatusReport>,
    /// The furthest progress reported per job and printer, at the latest report's time.
    progress: Vec<ProgressRow>,
}

impl<'a> StatusBatch<'a> {
    fn of(reports: &'a [StatusReport]) -> StatusBatch<'a> {
        use std::collections::BTreeMap;
        let mut reading: BTreeMap<i64, &StatusReport> = BTreeMap::new();
        let mut last: BTreeMap<i64, &StatusReport> = BTreeMap::new();
        let mut progress: BTreeMap<(i64, i64), (DateTime<Utc>, i64)> = BTreeMap::new();
        for r in reports {
            last.insert(r.printer_id.0, r);
            if r.readings.is_some() {
                reading.insert(r.printer_id.0, r);
            }
            if let (Some(job), Some(pct)) = (r.job, r.progress_pct) {
                let e = progress.entry((job.0, r.printer_id.0)).or_insert((r.at, pct));
                *e = (e.0.max(r.at), e.1.max(pct));
            }
        }
        StatusBatch {
            plain: last.into_values().filter(|r| r.readings.is_none()).collect(),
            readings: reading.into_values().collect(),
            progress: progress
                .into_iter()
                .map(|((job, printer), (at, pct))| (at, PrinterId(printer), JobId(job), pct))
                .collect(),
        }
    }
}

fn clamped_pct(r: &StatusReport) -> Option<i64> {
    r.progress_pct.map(|p| p.clamp(0, 100))
}

fn tenths(c: Option<f64>) -> Option<i64> {
    c.and_then(to_tenths)
}

async fn record_plain(tx: &mut Tx, rows: &[&StatusReport]) -> StoreResult<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO printer_telemetry (printer_id, reported_state, job_id, progress_pct, last_seen_at) \
         VALUES {} \
         ON CONFLICT (printer_id) DO UPDATE SET reported_state = excluded.reported_state, \
         job_id = excluded.job_id, progress_pct = excluded.progress_pct, \
         last_seen_at = excluded.last_seen_at",
        value_rows(rows.len(), 5)
    )));
    for r in rows {
        q = q
            .bind(r.printer_id.0)
            .bind(state_name(r.state))
            .bind(r.job.map(|j| j.0))
            .bind(clamped_pct(r))
            .bind(to_millis(r.at));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

async fn record_readings(tx: &mut Tx, rows: &[&StatusReport]) -> StoreResult<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO printer_telemetry (printer_id, reported_state, job_id, progress_pct, nozzle_dc, bed_dc, \
         seconds_left, last_seen_at, nozzle_target_dc, bed_target_dc, layer, total_layers, filament_runout, \
         printer_error, readings_at) \
         VALUES {} \
         ON CONFLICT (printer_id) DO UPDATE SET reported_state = excluded.reported_state, \
         job_id = excluded.job_id, progress_pct = excluded.progress_pct, nozzle_dc = excluded.nozzle_dc, \
         bed_dc = excluded.bed_dc, seconds_left = excluded.seconds_left, last_seen_at = excluded.last_seen_at, \
         nozzle_target_dc = excluded.nozzle_target_dc, bed_target_dc = excluded.bed_target_dc, \
         layer = excluded.layer, total_layers = excluded.total_layers, \
         filament_runout = excluded.filament_runout, printer_error = excluded.printer_error, \
         readings_at = excluded.readings_at",
        value_rows(rows.len(), 15)
    )));
    for r in rows {
        let x = r.readings.clone().unwrap_or_default();
        let t = &r.temperatures;
        let error: Option<String> = x
            .printer_error
            .as_deref()
            .map(|e| e.chars().take(crate::domain::protocol::MAX_TEXT_LEN).collect());
        q = q
            .bind(r.printer_id.0)
            .bind(state_name(r.state))
            .bind(r.job.map(|j| j.0))
            .bind(clamped_pct(r))
            .bind(tenths(t.nozzle_c))
            .bind(tenths(t.bed_c))
            .bind(r.seconds_left)
            .bind(to_millis(r.at))
            .bind(tenths(t.nozzle_target_c))
            .bind(tenths(t.bed_target_c))
            .bind(x.layer)
            .bind(x.total_layers)
            .bind(x.filament_runout.map(i64::from))
            .bind(error)
            .bind(to_millis(r.at));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// One sample per printer per [`TELEMETRY_SAMPLE_SECS`]: the charts' history stays small.
async fn record_samples(tx: &mut Tx, rows: &[&StatusReport]) -> StoreResult<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO printer_telemetry_samples (printer_id, at, nozzle_dc, nozzle_target_dc, bed_dc, \
         bed_target_dc, progress_pct, layer) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 \
         FROM (VALUES {}) AS v WHERE NOT EXISTS (SELECT 1 FROM printer_telemetry_samples s \
         WHERE s.printer_id = v.column1 AND s.at > v.column9 AND s.at <= v.column2) \
         ON CONFLICT (printer_id, at) DO NOTHING",
        value_rows(rows.len(), 9)
    )));
    for r in rows {
        let t = &r.temperatures;
        let at = to_millis(r.at);
        q = q
            .bind(r.printer_id.0)
            .bind(at)
            .bind(tenths(t.nozzle_c))
            .bind(tenths(t.nozzle_target_c))
            .bind(tenths(t.bed_c))
            .bind(tenths(t.bed_target_c))
            .bind(clamped_pct(r))
            .bind(r.readings.as_ref().and_then(|x| x.layer))
            .bind(at - TELEMETRY_SAMPLE_SECS * 1000);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Moves printing jobs' progress forward in one statement, with a `job.progress` event for each
/// job that moved (in job order). Returns how many moved.
async fn advance_progress_of(tx: &mut Tx, rows: &[ProgressRow]) -> StoreResult<usize> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET progress_pct = v.column1, updated_at = v.column2 FROM (VALUES {}) AS v \
         WHERE jobs.id = v.column3 AND jobs.printer_id = v.column4 AND jobs.state = 'printing' \
         AND jobs.progress_pct < v.column1 \
         RETURNING jobs.id, jobs.order_id, jobs.printer_id, jobs.progress_pct, jobs.updated_at",
        value_rows(rows.len(), 4)
    )));
    for (at, printer, job, pct) in rows {
        q = q
            .bind((*pct).clamp(0, 100))
            .bind(to_millis(*at))
            .bind(job.0)
            .bind(printer.0);
    }
    let moved = q.fetch_all(&mut **tx).await?;
    let mut events = Vec::with_capacity(moved.len());
    for row in &moved {
        let progress = JobProgressEvent {
            job_id: col(row, "jobs", "id")?,
            order_id: col(row, "jobs", "order_id")?,
            printer_id: col(row, "jobs", "printer_id")?,
            progress_pct: col(row, "jobs", "progress_pct")?,
        };
        events.push((from_millis(col(row, "jobs", "updated_at")?), progress));
    }
    events.sort_by_key(|(_, p)| p.job_id);
    for (at, progress) in events {
        crate::store::events::append(tx, at, &Event::JobProgress(progress)).await?;
    }
    Ok(moved.len())
}

/// The samples of `printer`'s readings from `since` on, oldest first (at most a day of them:
/// older ones are pruned).
pub async fn telemetry_samples(
    conn: &mut AnyConnection,
    printer: PrinterId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<TelemetrySample>> {
    const T: &str = "printer_telemetry_samples";
    let rows = sqlx::query(
        "SELECT at, nozzle_dc, nozzle_target_dc, bed_dc, bed_target_dc, progress_pct, layer \
         FROM printer_telemetry_samples WHERE printer_id = $1 AND at >= $2 ORDER BY at",
    )
    .bind(printer.0)
    .bind(to_millis(since))
    .fetch_all(&mut *conn)
    .await?;
    let dc = |row: &sqlx::any::AnyRow, c: &str| col::<Option<i64>>(row, T, c).map(|v| v.map(from_tenths));
    rows.iter()
        .map(|row| {
            Ok(TelemetrySample {
                at: from_millis(col(row, T, "at")?),
                nozzle_c: dc(row, "nozzle_dc")?,
                nozzle_target_c: dc(row, "nozzle_target_dc")?,
                bed_c: dc(row, "bed_dc")?,
                bed_target_c: dc(row, "bed_target_dc")?,
                progress_pct: col(row, T, "progress_pct")?,
                layer: col(row, T, "layer")?,
            })
        })
        .collect()
}

/// Deletes telemetry samples older than [`TELEMETRY_RETENTION_HOURS`] before `now`.
pub async fn prune_samples(tx: &mut Tx, now: DateTime<Utc>) -> StoreResult<u64> {
    let before = now - chrono::Duration::hours(TELEMETRY_RETENTION_HOURS);
    let done = sqlx::query("DELETE FROM printer_telemetry_samples WHERE at < $1")
        .bind(to_millis(before))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The telemetry rows that changed after `after` (of `printer` only, when given): what a
/// telemetry subscription sends, one row per printer however many reports arrived.
pub async fn telemetry_changed(
    conn: &mut AnyConnection,
    after: DateTime<Utc>,
    printer: Option<PrinterId>,
) -> StoreResult<Vec<Telemetry>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_TELEMETRY} WHERE last_seen_at > $1 AND ($2 = 0 OR printer_id = $2) ORDER BY printer_id"
    )))
    .bind(to_millis(after))
    .bind(printer.map_or(0, |p| p.0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(telemetry_row).collect()
}

/// Moves a printing job's progress forward to `pct` (no-op when it is not printing on
/// `printer` or already further). Returns whether it moved.
pub async fn advance_progress(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    job: JobId,
    pct: i64,
) -> StoreResult<bool> {
    Ok(advance_progress_of(tx, &[(now, printer, job, pct)]).await? == 1)
}

/// What an agent's `hello` says about its printer.
#[derive(Debug, Clone, PartialEq)]
pub struct HelloReport<'a> {
    pub agent: &'a str,
    pub state: AgentState,
    pub capabilities: &'a [String],
    pub loaded_material: Option<&'a str>,
}

/// Records what a printer's agent said in its `hello` (software, capabilities, loaded
/// material) and that it was seen. When the reported material code names a material the
/// printer can print, the printer's loaded material follows it (the agent reports what is on
/// the printer). The printer's earlier job refusals are forgotten. Returns whether the plan
/// should be redone (the loaded material changed or refusals were forgotten).
pub async fn record_hello(
    tx: &mut Tx,
    now: DateTime<Utc>,
    printer: PrinterId,
    hello: &HelloReport<'_>,
) -> StoreResult<bool> {
    let caps =
        serde_json::to_string(hello.capabilities).map_err(|e| StoreError::corrupt("printer_telemetry", e))?;
    sqlx::query(
        "INSERT INTO printer_telemetry (printer_id, agent, reported_state, last_seen_at, capabilities, \
         loaded_material) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (printer_id) DO UPDATE SET agent = excluded.agent, reported_state = excluded.reported_state, \
         last_seen_at = excluded.last_seen_at, capabilities = excluded.capabilities, \
         loaded_material = excluded.loaded_material",
    )
    .bind(printer.0)
    .bind(hello.agent)
    .bind(state_name(hello.state))
    .bind(to_millis(now))
    .bind(caps)
    .bind(hello.loaded_material)
    .execute(&mut **tx)
    .await?;
    // A (re)connecting agent starts afresh: whatever made it refuse jobs before (no G-code, a
    // busy or unprepared printer) may be fixed now, so its earlier refusals no longer keep jobs
    // off it (and a job every printer had refused is no longer held for that).
    let forgotten = sqlx::query("DELETE FROM job_rejections WHERE printer_id = $1")
        .bind(printer.0)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        > 0;
    Ok(record_loaded_material(tx, printer, hello.loaded_material).await? || forgotten)
}

/// Follows the material an agent reports as loaded when it names one the printer can print;
/// `true` when the printer's loaded material changed.
async fn record_loaded_material(tx: &mut Tx, printer: PrinterId, loaded: Option<&str>) -> StoreResult<bool> {
    let Some(code) = loaded else {
        return Ok(false);
    };
    let row = sqlx::query("SELECT id, kind FROM materials WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let material = MaterialId(col(&row, "materials", "id")?);
    let p = equipment::get_printer(&mut *tx, printer).await?;
    let kind = inventory::get_material(&mut *tx, material).await?.kind;
    if p.loaded_material_id == Some(material) || !p.supports(kind) {
        return Ok(false);
    }
    sqlx::query("UPDATE printers SET loaded_material_id = $1 WHERE id = $2")
        .bind(material.0)
        .bind(printer.0)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

const SELECT_TELEMETRY: &str = "SELECT printer_id, agent, reported_state, job_id, progress_pct, nozzle_dc, \
     bed_dc, nozzle_target_dc, bed_target_dc, layer, total_layers, filament_runout, printer_error, seconds_left, \
     readings_at, snapshot_at, last_seen_at, capabilities, loaded_material FROM printer_telemetry";

fn telemetry_row(row: &sqlx::any::AnyRow) -> StoreResult<Telemetry> {
    const T: &str = "printer_telemetry";
    let dc = |c: &str| col::<Option<i64>>(row, T, c).map(|v| v.map(from_tenths));
    let at = |c: &str| col::<Option<i64>>(row, T, c).map(|v| v.map(from_millis));
    Ok(Telemetry {
        printer_id: PrinterId(col(row, T, "printer_id")?),
        agent: col(row, T, "agent")?,
        reported_state: col(row, T, "reported_state")?,
        job_id: col::<Option<i64>>(row, T, "job_id")?.map(JobId),
        progress_pct: col(row, T, "progress_pct")?,
        nozzle_c: dc("nozzle_dc")?,
        bed_c: dc("bed_dc")?,
        nozzle_target_c: dc("nozzle_target_dc")?,
        bed_target_c: dc("bed_target_dc")?,
        layer: col(row, T, "layer")?,
        total_layers: col(row, T, "total_layers")?,
        filament_runout: col::<Option<i64>>(row, T, "filament_runout")?.map(|v| v != 0),
        printer_error: col(row, T, "printer_error")?,
        seconds_left: col(row, T, "seconds_left")?,
        readings_at: at("readings_at")?,
        snapshot_at: at("snapshot_at")?,
        last_seen_at: from_millis(col(row, T, "last_seen_at")?),
        capabilities: serde_json::from_str(&col::<String>(row, T, "capabilities")?)
            .map_err(|e| StoreError::corrupt(T, format!("capabilities: {e}")))?,
        loaded_material: col(row, T, "loaded_material")?,
    })
}

/// The last reported status of a printer, if its agent ever reported.
pub async fn telemetry(conn: &mut AnyConnection, printer: PrinterId) -> StoreResult<Option<Telemetry>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_TELEMETRY} WHERE printer_id = $1"
    )))
    .bind(printer.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(telemetry_row).transpose()
}
