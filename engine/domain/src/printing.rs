//! Printing (pure): print estimates, slicer output, quotes and their conversion rules.
//!
//! * **Estimates.** The material a part needs is its extruded volume: a shell (the surface area
//!   times the wall thickness, at most the whole part) plus the infill share of the rest
//!   ([`SliceSettings`]). Grams are that volume times the material's density. Print time by
//!   formula ([`formula_minutes`]) is per printer profile: heat-up, extrusion at the nozzle's
//!   volumetric rate, a pause per layer, scaled by the printer's speed factor. When PrusaSlicer
//!   ran, its G-code comments ([`parse_slicer_gcode`]) give the time and the filament instead;
//!   [`EstimateMethod`] says which.
//! * **Quotes.** [`price_quote`]: material + machine time × the printer's hourly cost + set-up
//!   and per-plate labour + post-processing options − a quantity-break discount + margin, in
//!   integer minor units; the unit price is rounded up to a whole minor unit and the total is
//!   `unit price × quantity`, so an order created from the quote has exactly the quoted total
//!   (the round-up is its own breakdown line). A quote expires ([`PricingPolicy::validity`]) and
//!   converts into one order, once ([`check_convertible`]).
//! * **Delivery.** The would-be jobs of a quote ([`quote_jobs`]) are planned into the current
//!   plan by the caller (solver repair); [`current_assignments`] reads the current plan from the
//!   scheduled jobs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::ProductionSpec;
use crate::equipment::{Printer, PrinterStatus, Technology};
use crate::error::{Coded, ErrorKind};
use crate::inventory::Material;
use crate::planning::{PlanJob, PlanningInput, PlanningProblem, minutes_from, scaled_minutes};
use crate::production::JobState;
use crate::types::{Currency, CustomerId, JobId, MaterialId, ModelFileId, Money, OrderId, PrinterId, UserId};

/// Largest quantity of one quote.
pub const MAX_QUANTITY: i64 = 100_000;
/// Most plates (would-be jobs) a quote plans for its delivery date.
pub const MAX_PLANNED_PLATES: i64 = 200;
/// Gap between copies on one plate, millimetres.
pub const PLATE_SPACING_MM: f64 = 5.0;

/// Rejections of printing commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintingError {
    #[error("the upload is {size} bytes, more than the limit of {limit} bytes")]
    UploadTooLarge { size: u64, limit: u64 },
    #[error("invalid quantity {0}: expected 1 to 100000")]
    InvalidQuantity(i64),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no usable printer that supports {material} fits the model ({size})")]
    NoPrinterFits { material: String, size: String },
    #[error("currencies differ: the quote is in {expected}, {what} is in {found}")]
    CurrencyMismatch {
        expected: Currency,
        found: Currency,
        what: &'static str,
    },
    #[error("the price overflows")]
    PriceOverflow,
    #[error("quote {quote} expired at {expired_at}")]
    QuoteExpired { quote: i64, expired_at: DateTime<Utc> },
    #[error("quote {quote} was already converted into order {order}")]
    QuoteAlreadyConverted { quote: i64, order: OrderId },
    #[error("quote {0} has no customer: name the customer to order for")]
    QuoteNeedsCustomer(i64),
    #[error("the slicer output has no {0}")]
    SlicerOutput(&'static str),
}

impl Coded for PrintingError {
    fn code(&self) -> &'static str {
        match self {
            PrintingError::UploadTooLarge { .. } => "UPLOAD_TOO_LARGE",
            PrintingError::InvalidQuantity(_) => "QUOTE_INVALID_QUANTITY",
            PrintingError::Invalid { .. } => "QUOTE_INVALID",
            PrintingError::NoPrinterFits { .. } => "QUOTE_NO_PRINTER_FITS",
            PrintingError::CurrencyMismatch { .. } => "QUOTE_CURRENCY_MISMATCH",
            PrintingError::PriceOverflow => "QUOTE_PRICE_OVERFLOW",
            PrintingError::QuoteExpired { .. } => "QUOTE_EXPIRED",
            PrintingError::QuoteAlreadyConverted { .. } => "QUOTE_ALREADY_CONVERTED",
            PrintingError::QuoteNeedsCustomer(_) => "QUOTE_NEEDS_CUSTOMER",
            PrintingError::SlicerOutput(_) => "SLICER_OUTPUT_INVALID",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            PrintingError::QuoteExpired { .. } | PrintingError::QuoteAlreadyConverted { .. } => {
                ErrorKind::Conflict
            }
            PrintingError::SlicerOutput(_) => ErrorKind::Internal,
            _ => ErrorKind::Validation,
        }
    }
}

/// An upload larger than `limit` bytes is rejected before anything is read into storage.
pub fn check_upload_size(size: u64, limit: u64) -> Result<(), PrintingError> {
    if size > limit {
        Err(PrintingError::UploadTooLarge { size, limit })
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Estimates

/// How an estimate was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateMethod {
    /// The per-printer-profile formula of this module.
    Formula,
    /// PrusaSlicer sliced the model; its estimated time and filament are used.
    PrusaSlicer,
}

impl EstimateMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            EstimateMethod::Formula => "formula",
            EstimateMethod::PrusaSlicer => "prusa_slicer",
        }
    }

    pub fn parse(s: &str) -> Option<EstimateMethod> {
        match s {
            "formula" => Some(EstimateMethod::Formula),
            "prusa_slicer" => Some(EstimateMethod::PrusaSlicer),
            _ => None,
        }
    }
}

/// The geometry an estimate needs (from the geometry analysis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartGeometry {
    pub volume_mm3: f64,
    pub surface_area_mm2: f64,
    /// Bounding box size (x, y, z), millimetres.
    pub size_mm: [f64; 3],
}

/// Slicing settings of the estimate (also passed to PrusaSlicer).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SliceSettings {
    pub layer_height_mm: f64,
    pub perimeters: u32,
    pub line_width_mm: f64,
    /// Sparse infill density, percent.
    pub infill_pct: u32,
}

impl Default for SliceSettings {
    fn default() -> Self {
        SliceSettings {
            layer_height_mm: 0.2,
            perimeters: 2,
            line_width_mm: 0.45,
            infill_pct: 15,
        }
    }
}

/// The time model of a printer (its "profile").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterProfile {
    pub technology: Technology,
    pub nozzle_um: i64,
    /// 100 = nominal speed.
    pub speed_factor_pct: i64,
}

impl PrinterProfile {
    /// The nominal profile the model-level estimate is given for (0.4 mm FDM at 100 %).
    pub const NOMINAL: PrinterProfile = PrinterProfile {
        technology: Technology::Fdm,
        nozzle_um: 400,
        speed_factor_pct: 100,
    };

    pub fn of(p: &Printer) -> PrinterProfile {
        PrinterProfile {
            technology: p.technology,
            nozzle_um: p.nozzle_um,
            speed_factor_pct: p.speed_factor_pct,
        }
    }

    /// Volumetric extrusion rate, mm³/s: 8 mm³/s at 0.4 mm, growing with the nozzle area.
    /// Resin and powder machines expose by layer; their rate is the part volume per second of
    /// a typical layer time (a coarse constant).
    fn rate_mm3_s(&self) -> f64 {
        match self.technology {
            Technology::Fdm => {
                let d = (self.nozzle_um.max(100) as f64) / 400.0;
                8.0 * d * d
            }
            Technology::Sla | Technology::Sls => 40.0,
        }
    }

    fn layer_seconds(&self) -> f64 {
        match self.technology {
            Technology::Fdm => 4.0,
            Technology::Sla => 10.0,
            Technology::Sls => 12.0,
        }
    }

    fn heatup_minutes(&self) -> f64 {
        match self.technology {
            Technology::Fdm => 4.0,
            Technology::Sla => 2.0,
            Technology::Sls => 30.0,
        }
    }
}

/// The volume of material a part takes, mm³: a shell of `perimeters × line width` under the
/// surface (at most the whole part) plus `infill %` of the inside.
pub fn extruded_volume_mm3(g: &PartGeometry, s: &SliceSettings) -> f64 {
    let volume = g.volume_mm3.max(0.0);
    let wall = f64::from(s.perimeters) * s.line_width_mm.max(0.0);
    let shell = (g.surface_area_mm2.max(0.0) * wall).min(volume);
    let infill = (volume - shell) * f64::from(s.infill_pct.min(100)) / 100.0;
    shell + infill
}

/// Grams of a material of `density_mg_cm3` for `cm3` of it, rounded up, at least 1.
pub fn grams_for(cm3: f64, density_mg_cm3: i64) -> i64 {
    let g = cm3.max(0.0) * density_mg_cm3.max(0) as f64 / 1000.0;
    (g.ceil() as i64).clamp(1, ProductionSpec::MAX_GRAMS_PER_UNIT)
}

/// Print time of one copy by formula on a printer profile, whole minutes (rounded up, ≥ 1).
pub fn formula_minutes(g: &PartGeometry, s: &SliceSettings, profile: &PrinterProfile) -> i64 {
    let extruded = extruded_volume_mm3(g, s);
    let layers = (g.size_mm[2].max(0.0) / s.layer_height_mm.max(0.01)).ceil();
    let seconds = extruded / profile.rate_mm3_s() + layers * profile.layer_seconds();
    let nominal = (profile.heatup_minutes() + seconds / 60.0).ceil() as i64;
    scaled_minutes(
        nominal.clamp(1, ProductionSpec::MAX_MINUTES_PER_UNIT),
        profile.speed_factor_pct,
    )
}

/// A model's estimate at the nominal profile, kept with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub method: EstimateMethod,
    /// Material volume of one copy, cm³.
    pub material_cm3: f64,
    /// Print minutes of one copy at the nominal profile.
    pub minutes: i64,
    /// Object-store key of the G-code when PrusaSlicer made it.
    pub gcode_key: Option<String>,
    pub settings: SliceSettings,
}

impl Estimate {
    /// The formula estimate at the nominal profile.
    pub fn formula(g: &PartGeometry, s: &SliceSettings) -> Estimate {
        Estimate {
            method: EstimateMethod::Formula,
            material_cm3: extruded_volume_mm3(g, s) / 1000.0,
            minutes: formula_minutes(g, s, &PrinterProfile::NOMINAL),
            gcode_key: None,
            settings: *s,
        }
    }

    /// The estimate from PrusaSlicer's report.
    pub fn from_slicer(
        report: &SlicerReport,
        s: &SliceSettings,
        fallback_density_mg_cm3: i64,
        gcode_key: String,
    ) -> Estimate {
        let cm3 = report.filament_cm3.unwrap_or_else(|| {
            // Only grams reported: back to volume with the density the slicer assumed.
            report.filament_g.unwrap_or(0.0) * 1000.0 / fallback_density_mg_cm3.max(1) as f64
        });
        Estimate {
            method: EstimateMethod::PrusaSlicer,
            material_cm3: cm3,
            minutes: report.minutes.clamp(1, ProductionSpec::MAX_MINUTES_PER_UNIT),
            gcode_key: Some(gcode_key),
            settings: *s,
        }
    }

    /// Minutes of one copy on a printer: the formula for its profile, or the slicer's time
    /// scaled by its speed factor.
    pub fn minutes_on(&self, g: &PartGeometry, profile: &PrinterProfile) -> i64 {
        match self.method {
            EstimateMethod::Formula => formula_minutes(g, &self.settings, profile),
            EstimateMethod::PrusaSlicer => scaled_minutes(self.minutes, profile.speed_factor_pct),
        }
    }
}

/// What PrusaSlicer reports at the end of its G-code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlicerReport {
    /// `estimated printing time (normal mode)`, whole minutes rounded up.
    pub minutes: i64,
    /// `filament used [cm3]` (summed over extruders).
    pub filament_cm3: Option<f64>,
    /// `filament used [g]` (summed over extruders).
    pub filament_g: Option<f64>,
}

/// Parses a slicer duration such as `1d 2h 13m 45s` (any subset, in this order) into seconds.
pub fn parse_slicer_duration(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut any = false;
    for part in s.split_whitespace() {
        let (num, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = num.parse().ok()?;
        let mult = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        any = true;
    }
    any.then_some(total)
}

fn sum_values(v: &str) -> Option<f64> {
    let mut sum = 0.0;
    for x in v.split(',') {
        let f: f64 = x.trim().parse().ok()?;
        if !f.is_finite() || f < 0.0 {
            return None;
        }
        sum += f;
    }
    Some(sum)
}

/// Reads PrusaSlicer's summary comments (`; estimated printing time (normal mode) = 13m 45s`,
/// `; filament used [cm3] = 2.9`, `; filament used [g] = 3.6`). The time is required; without
/// any filament figure the output is rejected too.
pub fn parse_slicer_gcode(text: &str) -> Result<SlicerReport, PrintingError> {
    let mut seconds = None;
    let mut cm3 = None;
    let mut grams = None;
    for line in text.lines().rev() {
        let Some(rest) = line.trim().strip_prefix(';') else {
            continue;
        };
        let Some((key, value)) = rest.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "estimated printing time (normal mode)" if seconds.is_none() => {
                seconds = parse_slicer_duration(value);
            }
            "filament used [cm3]" if cm3.is_none() => cm3 = sum_values(value),
            "filament used [g]" if grams.is_none() => grams = sum_values(value),
            _ => {}
        }
        if seconds.is_some() && cm3.is_some() && grams.is_some() {
            break;
        }
    }
    let seconds = seconds.ok_or(PrintingError::SlicerOutput("estimated printing time"))?;
    if cm3.is_none() && grams.is_none() {
        return Err(PrintingError::SlicerOutput("filament used"));
    }
    Ok(SlicerReport {
        minutes: ((seconds + 59) / 60).max(1),
        filament_cm3: cm3,
        filament_g: grams,
    })
}

// ---------------------------------------------------------------------------------------------
// Printers and plates

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

// ---------------------------------------------------------------------------------------------
// Pricing

/// Post-processing a customer can order with a quote, priced per copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostProcessing {
    SupportRemoval,
    Sanding,
    Priming,
    Painting,
}

impl PostProcessing {
    pub const ALL: [PostProcessing; 4] = [
        PostProcessing::SupportRemoval,
        PostProcessing::Sanding,
        PostProcessing::Priming,
        PostProcessing::Painting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostProcessing::SupportRemoval => "support_removal",
            PostProcessing::Sanding => "sanding",
            PostProcessing::Priming => "priming",
            PostProcessing::Painting => "painting",
        }
    }
}

/// A discount from a quantity on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityBreak {
    pub min_quantity: i64,
    pub discount_pct: i64,
}

/// The business's pricing rules (one currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingPolicy {
    pub currency: Currency,
    /// Once per quote (file preparation, machine set-up).
    pub setup_fee_minor: i64,
    /// Per plate (clearing the bed, sorting parts).
    pub labour_per_plate_minor: i64,
    /// Price per copy of each post-processing option.
    pub post_processing_minor: BTreeMap<PostProcessing, i64>,
    /// Sorted by `min_quantity`; the last one reached applies.
    pub quantity_breaks: Vec<QuantityBreak>,
    pub margin_pct: i64,
    /// How long a quote stays valid.
    pub validity: Duration,
}

impl PricingPolicy {
    /// The default policy in `currency`.
    pub fn standard(currency: Currency) -> PricingPolicy {
        PricingPolicy {
            currency,
            setup_fee_minor: 500,
            labour_per_plate_minor: 100,
            post_processing_minor: BTreeMap::from([
                (PostProcessing::SupportRemoval, 150),
                (PostProcessing::Sanding, 400),
                (PostProcessing::Priming, 300),
                (PostProcessing::Painting, 900),
            ]),
            quantity_breaks: vec![
                QuantityBreak {
                    min_quantity: 10,
                    discount_pct: 5,
                },
                QuantityBreak {
                    min_quantity: 50,
                    discount_pct: 10,
                },
                QuantityBreak {
                    min_quantity: 100,
                    discount_pct: 15,
                },
            ],
            margin_pct: 30,
            validity: Duration::days(7),
        }
    }

    /// The discount for a quantity, percent.
    pub fn discount_pct(&self, quantity: i64) -> i64 {
        self.quantity_breaks
            .iter()
            .filter(|b| quantity >= b.min_quantity)
            .map(|b| b.discount_pct)
            .max()
            .unwrap_or(0)
    }
}

/// What one quote is priced from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceInput {
    pub quantity: i64,
    pub grams_per_unit: i64,
    pub minutes_per_unit: i64,
    pub copies_per_plate: i64,
    pub material_price_per_kg: Money,
    pub printer_hourly_cost: Money,
    pub options: Vec<PostProcessing>,
}

/// Kind of a price line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceLineKind {
    Material,
    MachineTime,
    Setup,
    Labour,
    PostProcessing,
    QuantityDiscount,
    Margin,
    Rounding,
}

impl PriceLineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceLineKind::Material => "material",
            PriceLineKind::MachineTime => "machine_time",
            PriceLineKind::Setup => "setup",
            PriceLineKind::Labour => "labour",
            PriceLineKind::PostProcessing => "post_processing",
            PriceLineKind::QuantityDiscount => "quantity_discount",
            PriceLineKind::Margin => "margin",
            PriceLineKind::Rounding => "rounding",
        }
    }
}

/// One line of a quote's breakdown; a discount is negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    pub kind: PriceLineKind,
    pub description: String,
    pub amount_minor: i64,
}

/// A priced quote: the lines add up to `total_minor = unit_price_minor × quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreakdown {
    pub currency: Currency,
    pub quantity: i64,
    pub lines: Vec<PriceLine>,
    pub discount_pct: i64,
    pub unit_price_minor: i64,
    pub total_minor: i64,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 { a } else { (a + b - 1).div_euclid(b) }
}

fn to_i64(v: i128) -> Result<i64, PrintingError> {
    i64::try_from(v).map_err(|_| PrintingError::PriceOverflow)
}

/// Checks a quote quantity.
pub fn check_quantity(quantity: i64) -> Result<i64, PrintingError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(PrintingError::InvalidQuantity(quantity))
    }
}

/// Prices a quote (see the module doc). Every amount is rounded up to a whole minor unit.
pub fn price_quote(input: &PriceInput, policy: &PricingPolicy) -> Result<PriceBreakdown, PrintingError> {
    let q = check_quantity(input.quantity)?;
    let cur = policy.currency;
    for (m, what) in [
        (input.material_price_per_kg, "the material price"),
        (input.printer_hourly_cost, "the printer's hourly cost"),
    ] {
        if m.currency != cur {
            return Err(PrintingError::CurrencyMismatch {
                expected: cur,
                found: m.currency,
                what,
            });
        }
    }
    if input.grams_per_unit < 1 || input.minutes_per_unit < 1 || input.copies_per_plate < 1 {
        return Err(PrintingError::Invalid {
            field: "production data",
            reason: "grams, minutes and copies per plate must be at least 1".into(),
        });
    }
    let qi = i128::from(q);
    let mut lines = Vec::new();
    let mut push = |kind, description: String, amount: i128| -> Result<i128, PrintingError> {
        lines.push(PriceLine {
            kind,
            description,
            amount_minor: to_i64(amount)?,
        });
        Ok(amount)
    };
    let grams = i128::from(input.grams_per_unit) * qi;
    let material = ceil_div(grams * i128::from(input.material_price_per_kg.minor.max(0)), 1000);
    let mut cost = push(
        PriceLineKind::Material,
        format!("{grams} g at {}/kg", input.material_price_per_kg),
        material,
    )?;
    let minutes = i128::from(input.minutes_per_unit) * qi;
    let machine = ceil_div(minutes * i128::from(input.printer_hourly_cost.minor.max(0)), 60);
    cost += push(
        PriceLineKind::MachineTime,
        format!("{minutes} min at {}/h", input.printer_hourly_cost),
        machine,
    )?;
    cost += push(
        PriceLineKind::Setup,
        "set-up".into(),
        i128::from(policy.setup_fee_minor.max(0)),
    )?;
    let n_plates = plates(q, input.copies_per_plate);
    cost += push(
        PriceLineKind::Labour,
        format!("{n_plates} plate(s)"),
        i128::from(n_plates) * i128::from(policy.labour_per_plate_minor.max(0)),
    )?;
    let mut options = input.options.clone();
    options.sort();
    options.dedup();
    for o in options {
        let each = policy
            .post_processing_minor
            .get(&o)
            .copied()
            .ok_or_else(|| PrintingError::Invalid {
                field: "options",
                reason: format!("{} is not offered", o.as_str()),
            })?;
        cost += push(
            PriceLineKind::PostProcessing,
            format!("{} × {q}", o.as_str()),
            i128::from(each.max(0)) * qi,
        )?;
    }
    let discount_pct = policy.discount_pct(q).clamp(0, 100);
    let discount = cost * i128::from(discount_pct) / 100;
    if discount > 0 {
        push(
            PriceLineKind::QuantityDiscount,
            format!("{discount_pct} % from {q} copies"),
            -discount,
        )?;
    }
    let net = cost - discount;
    let margin = ceil_div(net * i128::from(policy.margin_pct.max(0)), 100);
    push(PriceLineKind::Margin, format!("{} %", policy.margin_pct), margin)?;
    let before = net + margin;
    let unit = ceil_div(before, qi);
    let total = unit * qi;
    if total > before {
        push(
            PriceLineKind::Rounding,
            "unit price rounded up".into(),
            total - before,
        )?;
    }
    Ok(PriceBreakdown {
        currency: cur,
        quantity: q,
        lines,
        discount_pct,
        unit_price_minor: to_i64(unit)?,
        total_minor: to_i64(total)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Quotes

/// Id of a stored quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuoteId(pub i64);

impl std::fmt::Display for QuoteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A stored quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub id: QuoteId,
    pub model_id: ModelFileId,
    pub customer_id: Option<CustomerId>,
    pub material_id: MaterialId,
    pub printer_id: PrinterId,
    pub quantity: i64,
    pub options: Vec<PostProcessing>,
    pub method: EstimateMethod,
    pub production: ProductionSpec,
    pub breakdown: PriceBreakdown,
    pub unit_price: Money,
    pub total: Money,
    pub earliest_delivery: Option<DateTime<Utc>>,
    /// Why there is no earliest delivery date (set only when `earliest_delivery` is `None`).
    pub earliest_delivery_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub order_id: Option<OrderId>,
}

/// Checks a quote can become an order now: not converted yet, not expired.
pub fn check_convertible(quote: &Quote, now: DateTime<Utc>) -> Result<(), PrintingError> {
    if let Some(order) = quote.order_id {
        return Err(PrintingError::QuoteAlreadyConverted {
            quote: quote.id.0,
            order,
        });
    }
    if now >= quote.expires_at {
        return Err(PrintingError::QuoteExpired {
            quote: quote.id.0,
            expired_at: quote.expires_at,
        });
    }
    Ok(())
}

/// Longest stored file name.
pub const FILE_NAME_MAX: usize = 255;

/// The file name to keep: the last path component, trimmed, at most [`FILE_NAME_MAX`]
/// characters, no control characters.
pub fn clean_file_name(name: &str) -> Result<String, PrintingError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last.chars().count() > FILE_NAME_MAX || last.chars().any(char::is_control) {
        return Err(PrintingError::Invalid {
            field: "file name",
            reason: "expected 1 to 255 printable characters".into(),
        });
    }
    Ok(last.to_string())
}

/// A stored model file (its bytes are in object storage under `object_key`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub id: ModelFileId,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub file_name: String,
    /// `stl`, `3mf` or `obj`.
    pub format: String,
    pub size_bytes: i64,
    pub object_key: String,
    /// The owning customer; `None` for the business's own models.
    pub customer_id: Option<CustomerId>,
    pub uploaded_by: Option<UserId>,
    /// The geometry analysis, JSON.
    pub analysis_json: String,
    pub estimate: Estimate,
    pub created_at: DateTime<Utc>,
}

/// Input for a model row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub sha256: String,
    pub file_name: String,
    pub format: String,
    pub size_bytes: i64,
    pub object_key: String,
    pub customer_id: Option<CustomerId>,
    pub uploaded_by: Option<UserId>,
    pub analysis_json: String,
    pub estimate: Estimate,
}

/// Input for a quote row (priced by [`price_quote`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuote {
    pub model_id: ModelFileId,
    pub customer_id: Option<CustomerId>,
    pub material_id: MaterialId,
    pub printer_id: PrinterId,
    pub options: Vec<PostProcessing>,
    pub method: EstimateMethod,
    pub production: ProductionSpec,
    pub breakdown: PriceBreakdown,
    pub earliest_delivery: Option<DateTime<Utc>>,
    /// Why there is no earliest delivery date (set only when `earliest_delivery` is `None`).
    pub earliest_delivery_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
}

/// The model reference an order line of a stored model carries.
pub fn model_ref(model: ModelFileId) -> String {
    format!("model:{}", model.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn quote_jobs_use_only_planned_printers() {
        let material = Material {
            id: MaterialId(1),
            code: "PLA-BLK".into(),
            kind: crate::inventory::MaterialKind::Pla,
            colour: "black".into(),
            diameter_um: 1750,
            density_mg_cm3: 1240,
            price_per_kg: eur(2000),
            low_stock_grams: crate::types::Grams::ZERO,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let cand = |p: i64, min: i64| Candidate {
            printer_id: PrinterId(p),
            minutes_per_unit: min,
            copies_per_plate: 2,
            hourly_cost: eur(100),
        };
        let cands = [cand(6, 10), cand(2, 12), cand(3, 15)];
        // Printer 6 (the cheapest) is in maintenance: not in the problem, not a duration.
        let jobs = quote_jobs(5, &cands, &material, None, &[PrinterId(2), PrinterId(3)]);
        assert_eq!(
            jobs.len(),
            3,
            "5 copies, 2 per plate (counted on the first candidate's bed)"
        );
        for j in &jobs {
            assert_eq!(
                j.durations.keys().copied().collect::<Vec<_>>(),
                [PrinterId(2), PrinterId(3)]
            );
        }
        assert_eq!(jobs[2].durations[&PrinterId(2)], 12, "last plate: one copy");
        // No candidate planned: nothing to plan (the caller says why).
        assert!(quote_jobs(5, &cands, &material, None, &[PrinterId(6 + 1)]).is_empty());
    }

    const CUBE: PartGeometry = PartGeometry {
        volume_mm3: 8000.0,
        surface_area_mm2: 2400.0,
        size_mm: [20.0, 20.0, 20.0],
    };

    #[test]
    fn extruded_volume_shell_and_infill() {
        let s = SliceSettings::default();
        // shell 2400 × 0.9 = 2160; infill 15 % of 5840 = 876.
        assert!((extruded_volume_mm3(&CUBE, &s) - 3036.0).abs() < 1e-9);
        // A thin part is all shell.
        let thin = PartGeometry {
            volume_mm3: 100.0,
            surface_area_mm2: 1000.0,
            size_mm: [10.0, 10.0, 1.0],
        };
        assert!((extruded_volume_mm3(&thin, &s) - 100.0).abs() < 1e-9);
        let solid = SliceSettings { infill_pct: 100, ..s };
        assert!((extruded_volume_mm3(&CUBE, &solid) - 8000.0).abs() < 1e-9);
        // PLA 1.24 g/cm³: 3.036 cm³ → 3.76 g → 4 g.
        assert_eq!(grams_for(3.036, 1240), 4);
        assert_eq!(grams_for(0.0, 1240), 1);
    }

    #[test]
    fn formula_minutes_per_profile() {
        let s = SliceSettings::default();
        // 3036 mm³ / 8 mm³/s = 379.5 s; 100 layers × 4 s = 400 s; 4 min heat-up → 17 min.
        let cases: &[(Technology, i64, i64, i64)] = &[
            (Technology::Fdm, 400, 100, 17),
            (Technology::Fdm, 400, 200, 9),
            (Technology::Fdm, 600, 100, 14),
            (Technology::Sla, 400, 100, 20),
        ];
        for &(technology, nozzle_um, speed_factor_pct, want) in cases {
            let p = PrinterProfile {
                technology,
                nozzle_um,
                speed_factor_pct,
            };
            assert_eq!(formula_minutes(&CUBE, &s, &p), want, "{p:?}");
        }
        let e = Estimate::formula(&CUBE, &s);
        assert_eq!((e.method, e.minutes), (EstimateMethod::Formula, 17));
        let slow = PrinterProfile {
            speed_factor_pct: 50,
            ..PrinterProfile::NOMINAL
        };
        assert_eq!(e.minutes_on(&CUBE, &slow), 34);
    }

    #[test]
    fn slicer_durations() {
        let cases: &[(&str, Option<i64>)] = &[
            ("13m 45s", Some(825)),
            ("45s", Some(45)),
            ("1h 0m 5s", Some(3605)),
            ("1d 2h 3m 4s", Some(93_784)),
            ("", None),
            ("13x", None),
            ("m", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_slicer_duration(s), want, "{s:?}");
        }
    }

    #[test]
    fn slicer_gcode_summary() {
        let gcode = "G1 X1 Y1\n\
            ; filament used [mm] = 1095.62\n\
            ; filament used [cm3] = 2.64\n\
            ; filament used [g] = 3.27\n\
            ; filament cost = 0.08\n\
            ; total filament used [g] = 3.27\n\
            ; estimated printing time (normal mode) = 13m 45s\n\
            ; estimated first layer printing time (normal mode) = 42s\n";
        let r = parse_slicer_gcode(gcode).unwrap();
        assert_eq!(r.minutes, 14);
        assert_eq!(r.filament_cm3, Some(2.64));
        assert_eq!(r.filament_g, Some(3.27));
        // Two extruders are summed.
        let two = "; filament used [cm3] = 1.5, 2.5\n; estimated printing time (normal mode) = 1h 2m 0s\n";
        let r = parse_slicer_gcode(two).unwrap();
        assert_eq!((r.minutes, r.filament_cm3, r.filament_g), (62, Some(4.0), None));
        let bad: &[(&str, PrintingError)] = &[
            ("", PrintingError::SlicerOutput("estimated printing time")),
            (
                "; estimated printing time (normal mode) = 5m\n",
                PrintingError::SlicerOutput("filament used"),
            ),
            (
                "; filament used [g] = 3\n; estimated printing time (normal mode) = soon\n",
                PrintingError::SlicerOutput("estimated printing time"),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_slicer_gcode(text).unwrap_err(), *want, "{text:?}");
        }
        let e = Estimate::from_slicer(
            &SlicerReport {
                minutes: 14,
                filament_cm3: None,
                filament_g: Some(2.48),
            },
            &SliceSettings::default(),
            1240,
            "k".into(),
        );
        assert!((e.material_cm3 - 2.0).abs() < 1e-9);
        assert_eq!(e.minutes_on(&CUBE, &PrinterProfile::NOMINAL), 14);
    }

    #[test]
    fn plate_packing() {
        // (footprint x, y, bed x, bed y, limit, copies)
        let cases: &[(f64, f64, f64, f64, i64, i64)] = &[
            (20.0, 20.0, 250.0, 210.0, 1000, 10 * 8),
            (20.0, 20.0, 250.0, 210.0, 7, 7),
            (300.0, 20.0, 250.0, 210.0, 1000, 8),
            (250.0, 210.0, 250.0, 210.0, 1000, 1),
            (0.0, 0.0, 100.0, 100.0, 5, 1),
        ];
        for &(fx, fy, bx, by, limit, want) in cases {
            assert_eq!(copies_per_plate([fx, fy, 1.0], bx, by, limit), want, "{fx}x{fy}");
        }
        assert_eq!((plates(1, 80), plates(80, 80), plates(81, 80)), (1, 1, 2));
    }

    fn policy() -> PricingPolicy {
        PricingPolicy::standard(Currency::EUR)
    }

    fn input(quantity: i64) -> PriceInput {
        PriceInput {
            quantity,
            grams_per_unit: 4,
            minutes_per_unit: 17,
            copies_per_plate: 80,
            material_price_per_kg: eur(2500),
            printer_hourly_cost: eur(150),
            options: vec![],
        }
    }

    fn summary(b: &PriceBreakdown) -> String {
        let lines: Vec<String> = b
            .lines
            .iter()
            .map(|l| format!("{}={}", l.kind.as_str(), l.amount_minor))
            .collect();
        format!(
            "{} | unit {} total {} ({} %)",
            lines.join(" "),
            b.unit_price_minor,
            b.total_minor,
            b.discount_pct
        )
    }

    #[test]
    fn quote_prices_and_quantity_breaks() {
        let mut with_options = input(10);
        with_options.options = vec![
            PostProcessing::Sanding,
            PostProcessing::SupportRemoval,
            PostProcessing::Sanding,
        ];
        let cases: Vec<(PriceInput, expect_test::Expect)> = vec![
            (
                input(1),
                expect_test::expect![
                    "material=10 machine_time=43 setup=500 labour=100 margin=196 | unit 849 total 849 (0 %)"
                ],
            ),
            (
                input(10),
                expect_test::expect![
                    "material=100 machine_time=425 setup=500 labour=100 quantity_discount=-56 margin=321 | unit 139 total 1390 (5 %)"
                ],
            ),
            (
                input(100),
                expect_test::expect![
                    "material=1000 machine_time=4250 setup=500 labour=200 quantity_discount=-892 margin=1518 rounding=24 | unit 66 total 6600 (15 %)"
                ],
            ),
            (
                with_options,
                expect_test::expect![
                    "material=100 machine_time=425 setup=500 labour=100 post_processing=1500 post_processing=4000 quantity_discount=-331 margin=1889 rounding=7 | unit 819 total 8190 (5 %)"
                ],
            ),
        ];
        for (inp, want) in cases {
            let b = price_quote(&inp, &policy()).unwrap();
            let sum: i64 = b.lines.iter().map(|l| l.amount_minor).sum();
            assert_eq!(sum, b.total_minor, "lines add up to the total");
            assert_eq!(b.total_minor, b.unit_price_minor * inp.quantity);
            want.assert_eq(&summary(&b));
        }
    }

    #[test]
    fn quote_rejections() {
        let usd = PriceInput {
            printer_hourly_cost: Money::new(150, Currency::USD),
            ..input(1)
        };
        let cases: Vec<(PriceInput, &str)> = vec![
            (input(0), "QUOTE_INVALID_QUANTITY"),
            (input(MAX_QUANTITY + 1), "QUOTE_INVALID_QUANTITY"),
            (usd, "QUOTE_CURRENCY_MISMATCH"),
            (
                PriceInput {
                    grams_per_unit: 0,
                    ..input(1)
                },
                "QUOTE_INVALID",
            ),
            (
                PriceInput {
                    material_price_per_kg: eur(i64::MAX),
                    grams_per_unit: 100_000,
                    ..input(MAX_QUANTITY)
                },
                "QUOTE_PRICE_OVERFLOW",
            ),
        ];
        for (inp, code) in cases {
            assert_eq!(price_quote(&inp, &policy()).unwrap_err().code(), code);
        }
        let mut p = policy();
        p.post_processing_minor.remove(&PostProcessing::Painting);
        let mut inp = input(1);
        inp.options = vec![PostProcessing::Painting];
        assert_eq!(price_quote(&inp, &p).unwrap_err().code(), "QUOTE_INVALID");
        assert_eq!(check_upload_size(11, 10).unwrap_err().code(), "UPLOAD_TOO_LARGE");
        assert!(check_upload_size(10, 10).is_ok());
    }

    #[test]
    fn cheapest_candidate() {
        let c = |id: i64, minutes: i64, hourly: i64| Candidate {
            printer_id: PrinterId(id),
            minutes_per_unit: minutes,
            copies_per_plate: 4,
            hourly_cost: eur(hourly),
        };
        let cands = [c(1, 60, 200), c(2, 40, 200), c(3, 80, 100), c(4, 40, 200)];
        assert_eq!(cheapest(&cands, 3).map(|c| c.printer_id), Some(PrinterId(2)));
        assert_eq!(cheapest(&[], 3), None);
    }

    fn quote(order: Option<OrderId>, expires_in_min: i64) -> Quote {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let b = price_quote(&input(1), &policy()).unwrap();
        Quote {
            id: QuoteId(7),
            model_id: ModelFileId(1),
            customer_id: None,
            material_id: MaterialId(1),
            printer_id: PrinterId(1),
            quantity: 1,
            options: vec![],
            method: EstimateMethod::Formula,
            production: ProductionSpec {
                grams_per_unit: 4,
                print_minutes_per_unit: 17,
                copies_per_plate: 1,
            },
            unit_price: eur(b.unit_price_minor),
            total: eur(b.total_minor),
            breakdown: b,
            earliest_delivery: None,
            earliest_delivery_reason: None,
            created_at: now,
            expires_at: now + Duration::minutes(expires_in_min),
            order_id: order,
        }
    }

    #[test]
    fn conversion_rules() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        assert!(check_convertible(&quote(None, 1), now).is_ok());
        assert_eq!(
            check_convertible(&quote(None, 0), now).unwrap_err().code(),
            "QUOTE_EXPIRED"
        );
        let e = check_convertible(&quote(Some(OrderId(3)), 10), now).unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("QUOTE_ALREADY_CONVERTED", ErrorKind::Conflict)
        );
        assert_eq!(model_ref(ModelFileId(12)), "model:12");
        assert_eq!(clean_file_name(" C:\\parts\\cube.stl ").unwrap(), "cube.stl");
        assert_eq!(clean_file_name("/tmp/x/sphere.obj").unwrap(), "sphere.obj");
        for bad in ["", "dir/", "a\u{7}b.stl"] {
            assert_eq!(
                clean_file_name(bad).unwrap_err().code(),
                "QUOTE_INVALID",
                "{bad:?}"
            );
        }
    }
}
