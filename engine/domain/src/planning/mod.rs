//! Translating the order book into a scheduling problem (pure).
//!
//! The solver crate works in minutes from "now" with string ids; this module decides *what* is
//! planned and how long it takes, so the api only copies the result into `gantry_solver::Problem`:
//!
//! - jobs: `queued` and `scheduled` jobs; the setup class is the material code;
//! - eligibility: a printer that is not offline, in error or under maintenance and supports the
//!   job's material kind;
//! - duration on a printer: `est_minutes · 100 / speed_factor_pct`, rounded up;
//! - printers: available from now, or from the expected end of the job printing on them;
//!   the loaded material is the initial setup class; planned maintenance windows are unavailable;
//! - operators: the weekly shifts become staffed windows (a job loads inside one);
//! - due dates and weights: minutes from now (past due dates become 0), weight `1 + priority`;
//! - power circuits and stability against the previous plan: [`farm`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::equipment::{
    MaintenanceWindow, Printer, PrinterStatus, WeeklyShift, WindowState, staffed_windows,
};
use crate::inventory::Material;
use crate::production::{Job, JobState};
use crate::types::{JobId, MaterialId, PrinterId};

pub mod farm;

pub use farm::{
    CircuitDraft, Draw, FarmPower, ModelPower, PlanCircuit, PlanStability, PlanningError, PlanningSettings,
    PowerCircuit, PreviousPlacement,
};

/// Minutes to change material on a printer (between two different setup classes).
pub const MATERIAL_CHANGE_MINUTES: i64 = 15;

/// Everything a plan is built from, as read from the store.
#[derive(Debug, Clone, Default)]
pub struct PlanningInput {
    /// Jobs to plan (`queued`, `scheduled`); others are ignored.
    pub jobs: Vec<Job>,
    /// Jobs currently printing (they keep their printer busy).
    pub printing: Vec<Job>,
    pub printers: Vec<Printer>,
    pub materials: Vec<Material>,
    pub windows: Vec<MaintenanceWindow>,
    /// Jobs a planner pinned to a printer, not before a time (`scheduleJob`).
    pub pins: Vec<JobPin>,
    /// The weekly operator shifts (empty: always staffed).
    pub shifts: Vec<WeeklyShift>,
    /// Power circuits and printer models' draw.
    pub power: FarmPower,
    /// The farm's stability settings.
    pub settings: PlanningSettings,
    /// Where the previous plan put its jobs (empty before the first plan).
    pub previous: Vec<PreviousPlacement>,
}

/// A waiting job pinned by hand to a printer, not to start before `starts_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPin {
    pub job_id: JobId,
    pub printer_id: PrinterId,
    pub starts_at: DateTime<Utc>,
}

/// One printer of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPrinter {
    pub id: PrinterId,
    pub available_from: i64,
    pub initial_setup_class: Option<String>,
    pub unavailable: Vec<[i64; 2]>,
}

/// One job of the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanJob {
    pub id: JobId,
    pub setup_class: String,
    /// Eligible printers and the duration in minutes on each.
    pub durations: BTreeMap<PrinterId, i64>,
    pub release: i64,
    pub due: Option<i64>,
    pub weight: f64,
}

/// The scheduling problem in engine terms (minutes from `now`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanningProblem {
    pub now: DateTime<Utc>,
    pub printers: Vec<PlanPrinter>,
    pub setup_classes: Vec<String>,
    /// Minutes between two different classes (same on every printer; 0 on the diagonal).
    pub change_minutes: i64,
    pub jobs: Vec<PlanJob>,
    /// Staffed windows `[from, to]` in minutes from `now` (`None`: always staffed).
    pub operator_shifts: Option<Vec<[i64; 2]>>,
    /// Power circuits of the planned printers ([`farm::plan_power`]).
    pub circuits: Vec<PlanCircuit>,
    /// Each planned printer's draw, where known.
    pub power: BTreeMap<PrinterId, Draw>,
    /// Stability against the previous plan ([`farm::stability_for`]).
    pub stability: Option<PlanStability>,
}

/// Minutes from `now` to `t`, never negative (rounded up).
pub fn minutes_from(now: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    let secs = (t - now).num_seconds();
    if secs <= 0 { 0 } else { (secs + 59) / 60 }
}

/// `now + minutes`.
pub fn at_minute(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    now + chrono::Duration::minutes(minutes)
}

/// Duration of a job of `est_minutes` on a printer with `speed_factor_pct` (100 = nominal).
pub fn scaled_minutes(est_minutes: i64, speed_factor_pct: i64) -> i64 {
    let pct = speed_factor_pct.max(1);
    (est_minutes.max(1).saturating_mul(100) + pct - 1) / pct
}

/// A printer that can take planned work: not offline, in error or under maintenance (a
/// maintenance status set by hand has no known end; planned windows are handled as windows).
fn usable(p: &Printer) -> bool {
    !matches!(
        p.status,
        PrinterStatus::Offline | PrinterStatus::Error | PrinterStatus::Maintenance
    )
}

/// Builds the problem. Jobs in other states than queued/scheduled are ignored.
pub fn build_problem(now: DateTime<Utc>, input: &PlanningInput) -> PlanningProblem {
    let materials: HashMap<MaterialId, &Material> = input.materials.iter().map(|m| (m.id, m)).collect();
    let mut classes: Vec<String> = Vec::new();
    let mut class = |code: &str| {
        if !classes.iter().any(|c| c == code) {
            classes.push(code.to_string());
        }
        code.to_string()
    };
    let mut printers = Vec::new();
    for p in input.printers.iter().filter(|p| usable(p)) {
        let busy_until = input
            .printing
            .iter()
            .filter(|j| j.printer_id == Some(p.id) && j.state == JobState::Printing)
            .map(|j| {
                let start = j.started_at.unwrap_or(now);
                let end = at_minute(start, scaled_minutes(j.est_minutes, p.speed_factor_pct));
                minutes_from(now, end)
            })
            .max()
            .unwrap_or(0);
        let mut unavailable: Vec<[i64; 2]> = input
            .windows
            .iter()
            .filter(|w| w.printer_id == p.id && w.state == WindowState::Planned && w.ends_at > now)
            .map(|w| [minutes_from(now, w.starts_at), minutes_from(now, w.ends_at)])
            .filter(|w| w[1] > w[0])
            .collect();
        unavailable.sort_unstable();
        let initial = p
            .loaded_material_id
            .and_then(|m| materials.get(&m))
            .map(|m| class(&m.code));
        printers.push(PlanPrinter {
            id: p.id,
            available_from: busy_until,
            initial_setup_class: initial,
            unavailable,
        });
    }
    let mut jobs = Vec::new();
    for j in input
        .jobs
        .iter()
        .filter(|j| matches!(j.state, JobState::Queued | JobState::Scheduled))
    {
        let Some(material) = materials.get(&j.material_id) else {
            continue;
        };
        let mut durations: BTreeMap<PrinterId, i64> = input
            .printers
            .iter()
            .filter(|p| usable(p) && p.supports(material.kind))
            .map(|p| (p.id, scaled_minutes(j.est_minutes, p.speed_factor_pct)))
            .collect();
        // A pin keeps the job on its printer from its time on, while that printer can print it
        // (a pin to a printer that cannot, or is down, is ignored: the job is planned freely).
        let mut release = 0;
        if let Some(pin) = input.pins.iter().find(|p| p.job_id == j.id)
            && durations.contains_key(&pin.printer_id)
        {
            durations.retain(|p, _| *p == pin.printer_id);
            release = minutes_from(now, pin.starts_at).max(0);
        }
        jobs.push(PlanJob {
            id: j.id,
            setup_class: class(&material.code),
            durations,
            release,
            due: j.due_at.map(|d| minutes_from(now, d)),
            weight: 1.0 + j.priority.max(0) as f64,
        });
    }
    let planned: Vec<PrinterId> = printers.iter().map(|p| p.id).collect();
    let (circuits, power) = farm::plan_power(&planned, &input.printers, &input.power);
    let mut problem = PlanningProblem {
        now,
        printers,
        setup_classes: classes,
        change_minutes: MATERIAL_CHANGE_MINUTES,
        jobs,
        operator_shifts: staffed_windows(now, &input.shifts),
        circuits,
        power,
        stability: None,
    };
    problem.stability = farm::stability_for(&problem, &input.previous, &input.settings);
    problem
}

/// Takes the printers that rejected a job (`rejected`: job → (printer, reason), oldest first)
/// out of its eligible printers, so a job is not handed again to a printer that refused it. A
/// job this leaves with no eligible printer (every printer that could print it refused it) is
/// taken out of the problem and returned with a hold reason (the latest refusal); a job that
/// had no eligible printer anyway is left to the solver.
pub fn exclude_rejections(
    problem: &mut PlanningProblem,
    rejected: &BTreeMap<JobId, Vec<(PrinterId, String)>>,
) -> Vec<(JobId, String)> {
    let mut held = Vec::new();
    problem.jobs.retain_mut(|j| {
        let Some(refusals) = rejected.get(&j.id) else {
            return true;
        };
        let had_any = !j.durations.is_empty();
        for (printer, _) in refusals {
            j.durations.remove(printer);
        }
        if had_any && j.durations.is_empty() {
            let last = refusals.last().map(|(_, r)| r.as_str()).unwrap_or("");
            held.push((
                j.id,
                format!("rejected by every printer that can print it (last: {last})"),
            ));
            return false;
        }
        true
    });
    held
}

/// Which jobs to plan and which to hold back, with the reason: first the jobs every printer that
/// could print them has refused ([`exclude_rejections`]; they will not print, so they hold no
/// stock), then, among the rest, the jobs whose material is not in stock
/// ([`hold_for_stock`](crate::live::hold_for_stock) over what is `available` per material).
/// Returns the input to plan (held jobs taken out) and the held jobs.
pub fn split_held(
    now: DateTime<Utc>,
    input: &PlanningInput,
    rejected: &BTreeMap<JobId, Vec<(PrinterId, String)>>,
    available: &BTreeMap<MaterialId, i64>,
) -> (PlanningInput, Vec<(JobId, String)>) {
    let mut all = build_problem(now, input);
    let refused = exclude_rejections(&mut all, rejected);
    let refused_ids: std::collections::BTreeSet<JobId> = refused.iter().map(|(j, _)| *j).collect();
    let codes: BTreeMap<MaterialId, &str> = input.materials.iter().map(|m| (m.id, m.code.as_str())).collect();
    let needs: Vec<crate::live::StockNeed> = input
        .jobs
        .iter()
        .filter(|j| !refused_ids.contains(&j.id))
        .map(|j| crate::live::StockNeed {
            job: j.id,
            material_id: j.material_id,
            material_code: codes.get(&j.material_id).copied().unwrap_or("?").to_string(),
            grams: j.grams,
            priority: j.priority,
            due_at: j.due_at,
        })
        .collect();
    let mut held = crate::live::hold_for_stock(&needs, available);
    held.extend(refused);
    let ids: std::collections::BTreeSet<JobId> = held.iter().map(|(j, _)| *j).collect();
    let mut plan = input.clone();
    plan.jobs.retain(|j| !ids.contains(&j.id));
    (plan, held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_jobs_hold_no_stock() {
        // Stock for one job of material 10. Job 1 (higher priority) was refused by the only
        // printer that can print it; job 2 must get the stock, not be held for it.
        let mut first = job(1, 10, 60, JobState::Queued);
        first.priority = 9;
        let input = PlanningInput {
            jobs: vec![first, job(2, 10, 60, JobState::Queued)],
            printing: vec![],
            printers: vec![printer(1, &[MaterialKind::Pla], 100, PrinterStatus::Idle)],
            materials: vec![material(10, "PLA-BLK", MaterialKind::Pla)],
            windows: vec![],
            pins: vec![],
            ..PlanningInput::default()
        };
        let rejected = BTreeMap::from([(JobId(1), vec![(PrinterId(1), "no G-code".to_string())])]);
        let available = BTreeMap::from([(MaterialId(10), 10)]);
        let (plan, held) = split_held(t0(), &input, &rejected, &available);
        assert_eq!(plan.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [JobId(2)]);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].0, JobId(1));
        assert!(held[0].1.starts_with("rejected by every printer"), "{held:?}");
        // Without the refusal, job 1 (higher priority) gets the stock and job 2 is held.
        let (plan, held) = split_held(t0(), &input, &BTreeMap::new(), &available);
        assert_eq!(plan.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [JobId(1)]);
        assert_eq!(held.iter().map(|(j, _)| *j).collect::<Vec<_>>(), [JobId(2)]);
    }

    #[test]
    fn scaling_and_minutes() {
        assert_eq!(scaled_minutes(60, 100), 60);
        assert_eq!(scaled_minutes(60, 150), 40);
        assert_eq!(scaled_minutes(61, 200), 31);
        assert_eq!(scaled_minutes(10, 0), 1000);
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap_or_default();
        assert_eq!(minutes_from(now, at_minute(now, 90)), 90);
        assert_eq!(minutes_from(now, now - chrono::Duration::minutes(5)), 0);
    }

    use crate::equipment::{Dimensions, Technology};
    use crate::inventory::MaterialKind;
    use crate::types::{Currency, Grams, MaintenanceWindowId, Money, OrderId, OrderLineId};

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn printer(id: i64, kinds: &[MaterialKind], speed: i64, status: PrinterStatus) -> Printer {
        Printer {
            id: PrinterId(id),
            name: format!("p{id}"),
            model: "MK4".into(),
            technology: Technology::Fdm,
            build_volume: Dimensions::new(250, 210, 220),
            nozzle_um: 400,
            materials: kinds.to_vec(),
            speed_factor_pct: speed,
            hourly_cost: Money::new(150, Currency::EUR),
            status,
            loaded_material_id: None,
            print_minutes_total: 0,
            created_at: t0(),
            group: None,
            retired_at: None,
        }
    }

    fn material(id: i64, code: &str, kind: MaterialKind) -> Material {
        Material {
            id: MaterialId(id),
            code: code.into(),
            kind,
            colour: "black".into(),
            diameter_um: 1750,
            density_mg_cm3: 1240,
            price_per_kg: Money::new(2000, Currency::EUR),
            low_stock_grams: Grams::ZERO,
            created_at: t0(),
        }
    }

    fn job(id: i64, material: i64, minutes: i64, state: JobState) -> Job {
        Job {
            id: JobId(id),
            order_id: OrderId(1),
            order_line_id: OrderLineId(1),
            plate_no: 1,
            attempt: 1,
            retry_of: None,
            copies: 1,
            material_id: MaterialId(material),
            grams: 10,
            est_minutes: minutes,
            state,
            printer_id: None,
            priority: 2,
            due_at: Some(at_minute(t0(), 300)),
            planned_start: None,
            started_at: None,
            finished_at: None,
            progress_pct: 0,
            failure_reason: None,
            created_at: t0(),
            updated_at: t0(),
        }
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn jobs_printers_windows_and_busy_printers() {
        let now = t0();
        let mut busy = printer(2, &[MaterialKind::Pla], 200, PrinterStatus::Printing);
        busy.loaded_material_id = Some(MaterialId(10));
        let mut printing = job(9, 10, 120, JobState::Printing);
        printing.printer_id = Some(PrinterId(2));
        printing.started_at = Some(at_minute(now, -20));
        let input = PlanningInput {
            jobs: vec![
                job(1, 10, 90, JobState::Queued),
                job(2, 11, 60, JobState::Scheduled),
                job(3, 12, 60, JobState::Queued),
                job(4, 10, 60, JobState::Done),
            ],
            printing: vec![printing],
            printers: vec![
                printer(
                    1,
                    &[MaterialKind::Pla, MaterialKind::Petg],
                    100,
                    PrinterStatus::Idle,
                ),
                busy,
                printer(3, &[MaterialKind::Pla], 100, PrinterStatus::Offline),
                printer(4, &[MaterialKind::Pla], 100, PrinterStatus::Maintenance),
            ],
            materials: vec![
                material(10, "PLA-BLK", MaterialKind::Pla),
                material(11, "PETG-RED", MaterialKind::Petg),
                material(12, "TPU-WHT", MaterialKind::Tpu),
            ],
            windows: vec![MaintenanceWindow {
                id: MaintenanceWindowId(1),
                printer_id: PrinterId(1),
                plan_id: None,
                starts_at: at_minute(now, 60),
                ends_at: at_minute(now, 90),
                reason: "nozzle".into(),
                state: WindowState::Planned,
            }],
            pins: vec![],
            ..PlanningInput::default()
        };
        let p = build_problem(now, &input);
        // The offline printer and the one under maintenance are left out; the busy one is free when its job ends (20 of
        // 60 scaled minutes have run); its loaded material is its initial class.
        let printers: Vec<(i64, i64, Option<&str>, &[[i64; 2]])> = p
            .printers
            .iter()
            .map(|p| {
                (
                    p.id.0,
                    p.available_from,
                    p.initial_setup_class.as_deref(),
                    &p.unavailable[..],
                )
            })
            .collect();
        assert_eq!(
            printers,
            vec![(1, 0, None, &[[60, 90]][..]), (2, 40, Some("PLA-BLK"), &[][..])]
        );
        // Done jobs are not planned; durations scale with the printer's speed; the TPU job
        // has no eligible printer (the solver reports it unscheduled).
        let jobs: Vec<(i64, &str, Vec<(i64, i64)>, Option<i64>)> = p
            .jobs
            .iter()
            .map(|j| {
                (
                    j.id.0,
                    j.setup_class.as_str(),
                    j.durations.iter().map(|(p, d)| (p.0, *d)).collect(),
                    j.due,
                )
            })
            .collect();
        assert_eq!(
            jobs,
            vec![
                (1, "PLA-BLK", vec![(1, 90), (2, 45)], Some(300)),
                (2, "PETG-RED", vec![(1, 60)], Some(300)),
                (3, "TPU-WHT", vec![], Some(300)),
            ]
        );
        assert!(p.jobs.iter().all(|j| (j.weight - 3.0).abs() < 1e-9));
        assert_eq!(p.setup_classes, ["PLA-BLK", "PETG-RED", "TPU-WHT"]);
    }

    #[test]
    fn a_pin_keeps_a_job_on_its_printer_from_its_time() {
        let now = t0();
        let input = |pins: Vec<JobPin>| PlanningInput {
            jobs: vec![
                job(1, 10, 60, JobState::Queued),
                job(2, 10, 60, JobState::Scheduled),
            ],
            printers: vec![
                printer(1, &[MaterialKind::Pla], 100, PrinterStatus::Idle),
                printer(2, &[MaterialKind::Pla], 100, PrinterStatus::Idle),
                printer(3, &[MaterialKind::Pla], 100, PrinterStatus::Offline),
            ],
            materials: vec![material(10, "PLA-BLK", MaterialKind::Pla)],
            pins,
            ..PlanningInput::default()
        };
        let of = |p: &PlanningProblem, id: i64| {
            let j = p.jobs.iter().find(|j| j.id == JobId(id)).unwrap();
            (j.durations.keys().map(|p| p.0).collect::<Vec<_>>(), j.release)
        };
        let free = build_problem(now, &input(vec![]));
        assert_eq!(of(&free, 1), (vec![1, 2], 0));
        let pinned = build_problem(
            now,
            &input(vec![
                JobPin {
                    job_id: JobId(1),
                    printer_id: PrinterId(2),
                    starts_at: at_minute(now, 45),
                },
                // In the past: from now on.
                JobPin {
                    job_id: JobId(2),
                    printer_id: PrinterId(1),
                    starts_at: at_minute(now, -30),
                },
            ]),
        );
        assert_eq!(of(&pinned, 1), (vec![2], 45));
        assert_eq!(of(&pinned, 2), (vec![1], 0));
        // A pin to a printer that cannot print the job now is ignored.
        let offline = build_problem(
            now,
            &input(vec![JobPin {
                job_id: JobId(1),
                printer_id: PrinterId(3),
                starts_at: at_minute(now, 10),
            }]),
        );
        assert_eq!(of(&offline, 1), (vec![1, 2], 0));
    }

    #[test]
    fn empty_input_is_an_empty_problem() {
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap_or_default();
        let p = build_problem(now, &PlanningInput::default());
        assert!(p.jobs.is_empty() && p.printers.is_empty() && p.setup_classes.is_empty());
    }

    #[test]
    fn printers_that_rejected_a_job_are_not_eligible_for_it_and_all_refused_holds_it() {
        let pj = |id: i64, printers: &[i64]| PlanJob {
            id: JobId(id),
            setup_class: "PLA-BLK".into(),
            durations: printers.iter().map(|p| (PrinterId(*p), 60)).collect(),
            release: 0,
            due: None,
            weight: 1.0,
        };
        let mut p = PlanningProblem {
            now: t0(),
            printers: vec![],
            setup_classes: vec!["PLA-BLK".into()],
            change_minutes: MATERIAL_CHANGE_MINUTES,
            jobs: vec![pj(1, &[1, 2]), pj(2, &[1]), pj(3, &[]), pj(4, &[1, 2])],
            ..PlanningProblem::default()
        };
        let rejected: BTreeMap<JobId, Vec<(PrinterId, String)>> = [
            (
                JobId(1),
                vec![(PrinterId(1), "no G-code for this job".to_string())],
            ),
            (
                JobId(2),
                vec![
                    (PrinterId(1), "no G-code for this job".to_string()),
                    (PrinterId(7), "wrong nozzle".to_string()),
                ],
            ),
            (JobId(3), vec![(PrinterId(1), "busy".to_string())]),
        ]
        .into();
        let held = exclude_rejections(&mut p, &rejected);
        assert_eq!(
            held,
            vec![(
                JobId(2),
                "rejected by every printer that can print it (last: wrong nozzle)".to_string()
            )]
        );
        let left: Vec<(i64, Vec<i64>)> = p
            .jobs
            .iter()
            .map(|j| (j.id.0, j.durations.keys().map(|k| k.0).collect()))
            .collect();
        // Job 1 goes to the other printer only; job 3 had no printer anyway (the solver says
        // why); job 4 was not rejected.
        assert_eq!(left, vec![(1, vec![2]), (3, vec![]), (4, vec![1, 2])]);
    }
}
