//! Printers and plates: which printers can make a part, copies per plate, and the would-be jobs
//! of a quote for the planner.

use std::collections::BTreeMap;

use super::{MAX_PLANNED_PLATES, PLATE_SPACING_MM};
use crate::catalog::ProductionSpec;
use crate::equipment::{Printer, PrinterStatus};
use crate::inventory::Material;
use crate::planning::{PlanJob, PlanningInput, PlanningProblem, minutes_from};
use crate::production::JobState;
use crate::types::{JobId, Money, PrinterId};

/// How many copies of a part with this footprint fit on a bed, in a grid with
/// [`PLATE_SPACING_MM`] between them; at least 1, at most `limit`.
pub fn copies_per_plate(footprint_mm: [f64; 3], bed_x_mm: f64, bed_y_mm: f64, limit: i64) -> i64 {
    let per_axis = |bed: f64, part: f64| -> i64 {
        if part <= 0.0 {
            return 1;
        }
        (((bed + PLATE_SPACING_MM) / (part + PLATE_SPACING_MM)).floor() as i64).max(1)
    };
    let n = per_axis(bed_x_mm, footprint_mm[0]).saturating_mul(per_axis(bed_y_mm, footprint_mm[1]));
    n.clamp(1, limit.clamp(1, ProductionSpec::MAX_COPIES_PER_PLATE))
}

/// A printer that can make the part, with how it would: minutes per copy, the oriented
/// footprint and copies per plate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub printer_id: PrinterId,
    pub minutes_per_unit: i64,
    pub copies_per_plate: i64,
    pub hourly_cost: Money,
}

/// Whether a printer may be planned at all (not offline, not in error).
pub fn printer_usable(p: &Printer) -> bool {
    !matches!(p.status, PrinterStatus::Offline | PrinterStatus::Error)
}

/// The materials a customer may quote in: those at least one usable printer
/// ([`printer_usable`]) supports, by code.
pub fn quotable_materials<'a>(materials: &'a [Material], printers: &[Printer]) -> Vec<&'a Material> {
    let mut out: Vec<&Material> = materials
        .iter()
        .filter(|m| printers.iter().any(|p| printer_usable(p) && p.supports(m.kind)))
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// The candidate with the lowest machine cost for `quantity` copies (ties: fewer minutes, then
/// the lower id).
pub fn cheapest(candidates: &[Candidate], quantity: i64) -> Option<&Candidate> {
    candidates.iter().min_by_key(|c| {
        (
            i128::from(c.minutes_per_unit) * i128::from(quantity) * i128::from(c.hourly_cost.minor),
            c.minutes_per_unit,
            c.printer_id,
        )
    })
}

/// The plates of a quote: `quantity` copies, `copies_per_plate` at most per plate.
pub fn plates(quantity: i64, copies_per_plate: i64) -> i64 {
    let per = copies_per_plate.max(1);
    (quantity.max(0) + per - 1) / per
}

/// The would-be jobs of a quote for the planner: one per plate (at most
/// [`MAX_PLANNED_PLATES`]), with negative ids (never a stored job), the material's setup class
/// and a duration on every candidate printer that the planning problem has (`planned`: a
/// printer in maintenance, offline or in error is not planned, so a plate cannot go there).
/// Empty when no candidate is planned.
pub fn quote_jobs(
    quantity: i64,
    candidates: &[Candidate],
    material: &Material,
    due: Option<i64>,
    planned: &[PrinterId],
) -> Vec<PlanJob> {
    let Some(first) = candidates.first() else {
        return Vec::new();
    };
    let usable: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| planned.contains(&c.printer_id))
        .collect();
    if usable.is_empty() {
        return Vec::new();
    }
    // Plates are counted on the first candidate's bed; every candidate prints them.
    let per = first.copies_per_plate.max(1);
    let n = plates(quantity, per).min(MAX_PLANNED_PLATES);
    let mut left = quantity;
    (0..n)
        .map(|i| {
            let copies = left.min(per).max(1);
            left -= copies;
            PlanJob {
                id: JobId(-(i + 1)),
                setup_class: material.code.clone(),
                durations: usable
                    .iter()
                    .map(|c| (c.printer_id, c.minutes_per_unit.saturating_mul(copies)))
                    .collect::<BTreeMap<_, _>>(),
                release: 0,
                due,
                weight: 1.0,
            }
        })
        .collect()
}

/// The current plan as (job, printer, start minute, end minute): scheduled jobs with a printer
/// and a planned start, timed on the problem's durations. Starts in the past count as now.
pub fn current_assignments(
    problem: &PlanningProblem,
    input: &PlanningInput,
) -> Vec<(JobId, PrinterId, i64, i64)> {
    let jobs: BTreeMap<JobId, &PlanJob> = problem.jobs.iter().map(|j| (j.id, j)).collect();
    let printers: Vec<PrinterId> = problem.printers.iter().map(|p| p.id).collect();
    input
        .jobs
        .iter()
        .filter(|j| j.state == JobState::Scheduled)
        .filter_map(|j| {
            let printer = j.printer_id.filter(|p| printers.contains(p))?;
            let start = minutes_from(problem.now, j.planned_start?);
            let duration = *jobs.get(&j.id)?.durations.get(&printer)?;
            Some((j.id, printer, start, start + duration))
        })
        .collect()
}
