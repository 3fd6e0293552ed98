//! The farm's planning settings (pure): power circuits with each printer model's draw, and the
//! stability of re-plans against the previous plan. Planners change them through GraphQL; the
//! checks here decide what is refused (a coded [`PlanningError`] naming the field, nothing
//! written), and [`plan_power`] / [`stability_for`] turn what is stored into the problem every
//! live plan is solved on.
//!
//! Power: a circuit (a breaker) has an optional `limit_watts` and an optional heat-up rule "at
//! most `max_heatups` prints start within `heatup_window_minutes`"; a printer is on at most one
//! circuit; a printer's draw is its model's ([`ModelPower`]): `heatup_watts` during the first
//! `heatup_minutes` of a print, then `printing_watts`. Refused: a limit below one member's draw,
//! a member on a limited circuit whose model has no power data, half a heat-up rule.
//!
//! Stability ([`PlanningSettings`]): jobs the previous plan starts within `freeze_minutes` keep
//! their printer and start; moving a job it starts within `stability_horizon_minutes` to another
//! printer or more than `stability_tolerance_minutes` later costs `stability_penalty`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{PlanningProblem, minutes_from};
use crate::equipment::Printer;
use crate::error::{Coded, ErrorKind};
use crate::types::{JobId, PrinterId};

/// Largest draw accepted for a printer model (watts) and largest limit of a circuit.
pub const MAX_WATTS: i64 = 1_000_000;
/// Largest freeze window, stability horizon, tolerance or heat-up window (minutes: 30 days).
pub const MAX_MINUTES: i64 = 30 * 24 * 60;
/// Largest stability penalty (objective units).
pub const MAX_PENALTY: i64 = 1_000_000;

/// A power circuit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerCircuit {
    pub id: i64,
    pub name: String,
    pub limit_watts: Option<i64>,
    pub max_heatups: Option<i64>,
    pub heatup_window_minutes: Option<i64>,
    /// Its printers, by id.
    pub printer_ids: Vec<PrinterId>,
}

/// A circuit to create or change (`setPowerCircuit`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CircuitDraft {
    pub name: String,
    pub limit_watts: Option<i64>,
    pub max_heatups: Option<i64>,
    pub heatup_window_minutes: Option<i64>,
    pub printer_ids: Vec<PrinterId>,
}

/// The draw of every printer of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Draw {
    pub heatup_watts: i64,
    pub heatup_minutes: i64,
    pub printing_watts: i64,
}

impl Draw {
    /// The highest draw of a print (what a circuit's limit must allow).
    pub fn peak(&self) -> i64 {
        self.printing_watts.max(if self.heatup_minutes > 0 {
            self.heatup_watts
        } else {
            0
        })
    }
}

/// A printer model's draw (`printers.model`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPower {
    pub model: String,
    pub draw: Draw,
}

/// Circuits and model draws, as read for a plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FarmPower {
    pub circuits: Vec<PowerCircuit>,
    pub models: Vec<ModelPower>,
}

/// The farm's stability settings (all 0: re-plans move jobs freely).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanningSettings {
    pub freeze_minutes: i64,
    pub stability_horizon_minutes: i64,
    pub stability_penalty: i64,
    pub stability_tolerance_minutes: i64,
}

/// A refused change of the planning settings. Every message names the field (GraphQL names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanningError {
    #[error("name: a circuit needs a name of 1 to 100 characters")]
    CircuitName,
    #[error("{field}: must be {min} to {max}, got {value}")]
    OutOfRange {
        field: String,
        value: i64,
        min: i64,
        max: i64,
    },
    #[error(
        "{field}: maxHeatups and heatupWindowMinutes are set together (the rule is \"at most K heat-ups within M minutes\")"
    )]
    HeatupRuleIncomplete { field: &'static str },
    #[error(
        "limitWatts: {limit} W on circuit {circuit:?} is below printer {printer}'s draw of {draw} W (model {model:?})"
    )]
    LimitBelowDraw {
        circuit: String,
        limit: i64,
        printer: PrinterId,
        model: String,
        draw: i64,
    },
    #[error(
        "printerModelPower[{model:?}]: missing; printer {printer} (model {model:?}) is on circuit {circuit:?}, which has a power limit"
    )]
    PowerDataMissing {
        circuit: String,
        printer: PrinterId,
        model: String,
    },
    #[error("printerIds: printer {printer} is already on circuit {circuit:?}")]
    PrinterOnOtherCircuit { printer: PrinterId, circuit: String },
    #[error("printerIds: unknown printer {0}")]
    UnknownPrinter(PrinterId),
    #[error("name: a circuit named {0:?} exists")]
    DuplicateName(String),
    #[error(
        "stabilityHorizonMinutes: {horizon} ends before the freeze window (freezeMinutes {freeze}): the windows contradict each other"
    )]
    FreezeContradiction { freeze: i64, horizon: i64 },
}

impl Coded for PlanningError {
    fn code(&self) -> &'static str {
        match self {
            PlanningError::CircuitName => "POWER_CIRCUIT_NAME_INVALID",
            PlanningError::OutOfRange { .. } => "PLANNING_VALUE_OUT_OF_RANGE",
            PlanningError::HeatupRuleIncomplete { .. } => "POWER_HEATUP_RULE_INCOMPLETE",
            PlanningError::LimitBelowDraw { .. } => "POWER_LIMIT_BELOW_DRAW",
            PlanningError::PowerDataMissing { .. } => "POWER_DATA_MISSING",
            PlanningError::PrinterOnOtherCircuit { .. } => "POWER_PRINTER_ON_OTHER_CIRCUIT",
            PlanningError::UnknownPrinter(_) => "POWER_UNKNOWN_PRINTER",
            PlanningError::DuplicateName(_) => "POWER_CIRCUIT_NAME_TAKEN",
            PlanningError::FreezeContradiction { .. } => "PLANNING_FREEZE_CONTRADICTS",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            PlanningError::PrinterOnOtherCircuit { .. } | PlanningError::DuplicateName(_) => {
                ErrorKind::Conflict
            }
            _ => ErrorKind::Validation,
        }
    }
}

fn range(field: &str, value: i64, min: i64, max: i64) -> Result<i64, PlanningError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(PlanningError::OutOfRange {
            field: field.to_string(),
            value,
            min,
            max,
        })
    }
}

/// Checks a limited circuit's members against the model draws: each has power data, and none
/// draws more than the limit.
fn check_members(
    name: &str,
    limit: Option<i64>,
    members: &[PrinterId],
    printers: &[Printer],
    models: &[ModelPower],
) -> Result<(), PlanningError> {
    let Some(limit) = limit else {
        return Ok(());
    };
    for id in members {
        let Some(p) = printers.iter().find(|p| p.id == *id) else {
            return Err(PlanningError::UnknownPrinter(*id));
        };
        let Some(m) = models.iter().find(|m| m.model == p.model) else {
            return Err(PlanningError::PowerDataMissing {
                circuit: name.to_string(),
                printer: p.id,
                model: p.model.clone(),
            });
        };
        if m.draw.peak() > limit {
            return Err(PlanningError::LimitBelowDraw {
                circuit: name.to_string(),
                limit,
                printer: p.id,
                model: p.model.clone(),
                draw: m.draw.peak(),
            });
        }
    }
    Ok(())
}

/// Checks a circuit to create (`id: None`) or change against the farm: its name (unique), its
/// limit and heat-up rule, its printers (known, on no other circuit) and their draw. Returns it
/// normalised (name trimmed, printers sorted without repeats).
pub fn check_circuit(
    id: Option<i64>,
    draft: &CircuitDraft,
    printers: &[Printer],
    farm: &FarmPower,
) -> Result<CircuitDraft, PlanningError> {
    let name = draft.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(PlanningError::CircuitName);
    }
    let others = farm.circuits.iter().filter(|c| Some(c.id) != id);
    if let Some(c) = others.clone().find(|c| c.name == name) {
        return Err(PlanningError::DuplicateName(c.name.clone()));
    }
    if let Some(l) = draft.limit_watts {
        range("limitWatts", l, 1, MAX_WATTS)?;
    }
    match (draft.max_heatups, draft.heatup_window_minutes) {
        (Some(k), Some(m)) => {
            range("maxHeatups", k, 1, 10_000)?;
            range("heatupWindowMinutes", m, 1, MAX_MINUTES)?;
        }
        (Some(_), None) => {
            return Err(PlanningError::HeatupRuleIncomplete {
                field: "heatupWindowMinutes",
            });
        }
        (None, Some(_)) => return Err(PlanningError::HeatupRuleIncomplete { field: "maxHeatups" }),
        (None, None) => {}
    }
    let mut members = draft.printer_ids.clone();
    members.sort();
    members.dedup();
    for p in &members {
        if !printers.iter().any(|x| x.id == *p) {
            return Err(PlanningError::UnknownPrinter(*p));
        }
        if let Some(c) = others.clone().find(|c| c.printer_ids.contains(p)) {
            return Err(PlanningError::PrinterOnOtherCircuit {
                printer: *p,
                circuit: c.name.clone(),
            });
        }
    }
    check_members(&name, draft.limit_watts, &members, printers, &farm.models)?;
    Ok(CircuitDraft {
        name,
        printer_ids: members,
        ..draft.clone()
    })
}

/// Checks a model's new draw: watts and minutes in range, and every limited circuit with a
/// printer of that model still allows it.
pub fn check_model_power(
    model: &ModelPower,
    printers: &[Printer],
    farm: &FarmPower,
) -> Result<(), PlanningError> {
    if model.model.trim().is_empty() || model.model.chars().count() > 100 {
        return Err(PlanningError::OutOfRange {
            field: "model (characters)".into(),
            value: model.model.trim().chars().count() as i64,
            min: 1,
            max: 100,
        });
    }
    range("heatupWatts", model.draw.heatup_watts, 0, MAX_WATTS)?;
    range("heatupMinutes", model.draw.heatup_minutes, 0, MAX_MINUTES)?;
    range("printingWatts", model.draw.printing_watts, 0, MAX_WATTS)?;
    let mut models: Vec<ModelPower> = farm
        .models
        .iter()
        .filter(|m| m.model != model.model)
        .cloned()
        .collect();
    models.push(model.clone());
    for c in &farm.circuits {
        check_members(&c.name, c.limit_watts, &c.printer_ids, printers, &models)?;
    }
    Ok(())
}

/// Checks the stability settings (each in range; the horizon, when set, not before the freeze).
pub fn check_settings(s: &PlanningSettings) -> Result<(), PlanningError> {
    range("freezeMinutes", s.freeze_minutes, 0, MAX_MINUTES)?;
    range(
        "stabilityHorizonMinutes",
        s.stability_horizon_minutes,
        0,
        MAX_MINUTES,
    )?;
    range("stabilityPenalty", s.stability_penalty, 0, MAX_PENALTY)?;
    range(
        "stabilityToleranceMinutes",
        s.stability_tolerance_minutes,
        0,
        MAX_MINUTES,
    )?;
    if s.stability_horizon_minutes > 0 && s.stability_horizon_minutes < s.freeze_minutes {
        return Err(PlanningError::FreezeContradiction {
            freeze: s.freeze_minutes,
            horizon: s.stability_horizon_minutes,
        });
    }
    Ok(())
}

/// A circuit of the problem (printers of the problem only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCircuit {
    /// The circuit's name (the solver names it in reasons).
    pub name: String,
    pub printers: Vec<PrinterId>,
    pub limit_watts: Option<i64>,
    pub max_heatups: Option<i64>,
    pub heatup_window_minutes: Option<i64>,
}

/// The circuits and draws of the planned printers (`planned`). Circuits without a planned
/// printer are left out. A printer on a limited circuit whose draw is unknown or above the limit
/// (its model changed after the circuit was checked) is taken to draw the whole limit: it prints
/// alone on its circuit, so the breaker holds and the plan still uses it.
pub fn plan_power(
    planned: &[PrinterId],
    printers: &[Printer],
    farm: &FarmPower,
) -> (Vec<PlanCircuit>, BTreeMap<PrinterId, Draw>) {
    let mut draws = BTreeMap::new();
    for p in printers.iter().filter(|p| planned.contains(&p.id)) {
        if let Some(m) = farm.models.iter().find(|m| m.model == p.model) {
            draws.insert(p.id, m.draw);
        }
    }
    let mut circuits = Vec::new();
    for c in &farm.circuits {
        let members: Vec<PrinterId> = c
            .printer_ids
            .iter()
            .copied()
            .filter(|p| planned.contains(p))
            .collect();
        if members.is_empty() {
            continue;
        }
        if let Some(limit) = c.limit_watts {
            for p in &members {
                if draws.get(p).is_none_or(|d| d.peak() > limit) {
                    draws.insert(
                        *p,
                        Draw {
                            heatup_watts: limit,
                            heatup_minutes: 0,
                            printing_watts: limit,
                        },
                    );
                }
            }
        }
        circuits.push(PlanCircuit {
            name: c.name.clone(),
            printers: members,
            limit_watts: c.limit_watts,
            max_heatups: c.max_heatups,
            heatup_window_minutes: c.heatup_window_minutes,
        });
    }
    (circuits, draws)
}

/// Where the previous plan put a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviousPlacement {
    pub job_id: JobId,
    pub printer_id: PrinterId,
    pub start: DateTime<Utc>,
}

/// A re-plan's stability against the previous plan, in minutes from the problem's `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStability {
    /// (job, printer, previous start) of planned jobs on planned printers.
    pub previous: Vec<(JobId, PrinterId, i64)>,
    pub freeze_until: i64,
    pub horizon: i64,
    pub penalty: f64,
    pub tolerance: i64,
}

/// The stability of a re-plan of `problem` against `previous` (`None` without a previous plan).
/// Only jobs and printers of the problem count. A job the previous plan starts inside the freeze
/// window is frozen only where it still fits there (its printer can print it, not before its
/// release or the printer's availability, clear of maintenance and of the frozen job before
/// it); otherwise it is planned afresh and not counted.
pub fn stability_for(
    problem: &PlanningProblem,
    previous: &[PreviousPlacement],
    s: &PlanningSettings,
) -> Option<PlanStability> {
    if previous.is_empty() {
        return None;
    }
    let freeze = s.freeze_minutes;
    let mut entries: Vec<(PrinterId, i64, JobId)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in previous {
        if problem.printers.iter().any(|x| x.id == p.printer_id)
            && problem.jobs.iter().any(|j| j.id == p.job_id)
            && seen.insert(p.job_id)
        {
            entries.push((p.printer_id, minutes_from(problem.now, p.start), p.job_id));
        }
    }
    entries.sort();
    let mut kept = Vec::with_capacity(entries.len());
    // Per printer: (end of the last frozen job, its class).
    let mut last: BTreeMap<PrinterId, (i64, String)> = BTreeMap::new();
    for (printer, start, job) in entries {
        if start >= freeze {
            kept.push((job, printer, start));
            continue;
        }
        let (Some(j), Some(pr)) = (
            problem.jobs.iter().find(|j| j.id == job),
            problem.printers.iter().find(|p| p.id == printer),
        ) else {
            continue;
        };
        let Some(&d) = j.durations.get(&printer) else {
            continue;
        };
        let (ready, class) = match last.get(&printer) {
            Some((end, class)) => (*end, Some(class.as_str())),
            None => (pr.available_from, pr.initial_setup_class.as_deref()),
        };
        let setup = match class {
            Some(c) if c != j.setup_class => problem.change_minutes,
            _ => 0,
        };
        let load = start - setup;
        let clear = !pr.unavailable.iter().any(|w| w[0] < start + d && load < w[1]);
        if load >= ready && start >= j.release && clear {
            last.insert(printer, (start + d, j.setup_class.clone()));
            kept.push((job, printer, start));
        }
    }
    Some(PlanStability {
        previous: kept,
        freeze_until: freeze,
        horizon: s.stability_horizon_minutes,
        penalty: s.stability_penalty as f64,
        tolerance: s.stability_tolerance_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::{Dimensions, PrinterStatus, Technology};
    use crate::planning::{PlanJob, PlanPrinter};
    use crate::types::{Currency, Money};

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn printer(id: i64, model: &str) -> Printer {
        Printer {
            id: PrinterId(id),
            name: format!("p{id}"),
            model: model.into(),
            technology: Technology::Fdm,
            build_volume: Dimensions::new(250, 210, 220),
            nozzle_um: 400,
            materials: vec![],
            speed_factor_pct: 100,
            hourly_cost: Money::new(150, Currency::EUR),
            status: PrinterStatus::Idle,
            loaded_material_id: None,
            print_minutes_total: 0,
            created_at: t0(),
            group: None,
            retired_at: None,
        }
    }

    fn mk4() -> ModelPower {
        ModelPower {
            model: "MK4".into(),
            draw: Draw {
                heatup_watts: 300,
                heatup_minutes: 5,
                printing_watts: 120,
            },
        }
    }

    fn draft(limit: Option<i64>, printers: &[i64]) -> CircuitDraft {
        CircuitDraft {
            name: " Rack ".into(),
            limit_watts: limit,
            printer_ids: printers.iter().map(|p| PrinterId(*p)).collect(),
            ..CircuitDraft::default()
        }
    }

    #[test]
    fn circuits_are_refused_with_the_field_named() {
        let printers = vec![printer(1, "MK4"), printer(2, "MK4"), printer(3, "X1C")];
        let farm = FarmPower {
            circuits: vec![],
            models: vec![mk4()],
        };
        let ok = check_circuit(None, &draft(Some(300), &[2, 1, 2]), &printers, &farm).unwrap();
        assert_eq!(ok.name, "Rack");
        assert_eq!(ok.printer_ids, [PrinterId(1), PrinterId(2)]);
        // The heat-up draw counts only when it lasts.
        let e = check_circuit(None, &draft(Some(299), &[1]), &printers, &farm).unwrap_err();
        assert_eq!(e.code(), "POWER_LIMIT_BELOW_DRAW");
        assert!(e.to_string().starts_with("limitWatts"), "{e}");
        let e = check_circuit(None, &draft(Some(5000), &[1, 3]), &printers, &farm).unwrap_err();
        assert_eq!(e.code(), "POWER_DATA_MISSING");
        assert!(e.to_string().contains("printerModelPower[\"X1C\"]"), "{e}");
        // Without a limit, no power data is needed.
        assert!(check_circuit(None, &draft(None, &[3]), &printers, &farm).is_ok());
        let half = CircuitDraft {
            max_heatups: Some(2),
            ..draft(None, &[1])
        };
        assert_eq!(
            check_circuit(None, &half, &printers, &farm).unwrap_err().code(),
            "POWER_HEATUP_RULE_INCOMPLETE"
        );
        let taken = FarmPower {
            circuits: vec![PowerCircuit {
                id: 7,
                name: "Rack".into(),
                limit_watts: None,
                max_heatups: None,
                heatup_window_minutes: None,
                printer_ids: vec![PrinterId(1)],
            }],
            models: vec![mk4()],
        };
        assert_eq!(
            check_circuit(None, &draft(None, &[2]), &printers, &taken)
                .unwrap_err()
                .code(),
            "POWER_CIRCUIT_NAME_TAKEN"
        );
        let other = CircuitDraft {
            name: "B".into(),
            ..draft(None, &[1])
        };
        assert_eq!(
            check_circuit(None, &other, &printers, &taken).unwrap_err().code(),
            "POWER_PRINTER_ON_OTHER_CIRCUIT"
        );
        // Changing circuit 7 itself keeps its name and printer.
        assert!(check_circuit(Some(7), &draft(Some(300), &[1]), &printers, &taken).is_ok());
        // A model's draw may not outgrow a limited circuit it is on.
        let limited = FarmPower {
            circuits: vec![PowerCircuit {
                limit_watts: Some(300),
                ..taken.circuits[0].clone()
            }],
            models: vec![mk4()],
        };
        let hotter = ModelPower {
            draw: Draw {
                heatup_watts: 301,
                ..mk4().draw
            },
            ..mk4()
        };
        assert_eq!(
            check_model_power(&hotter, &printers, &limited)
                .unwrap_err()
                .code(),
            "POWER_LIMIT_BELOW_DRAW"
        );
        assert!(check_model_power(&mk4(), &printers, &limited).is_ok());
    }

    #[test]
    fn settings_must_not_contradict() {
        let s = |f, h| PlanningSettings {
            freeze_minutes: f,
            stability_horizon_minutes: h,
            stability_penalty: 10,
            stability_tolerance_minutes: 0,
        };
        assert!(check_settings(&s(60, 120)).is_ok());
        assert!(check_settings(&s(60, 0)).is_ok());
        assert_eq!(
            check_settings(&s(60, 30)).unwrap_err().code(),
            "PLANNING_FREEZE_CONTRADICTS"
        );
        assert_eq!(
            check_settings(&s(-1, 0)).unwrap_err().code(),
            "PLANNING_VALUE_OUT_OF_RANGE"
        );
    }

    #[test]
    fn a_printer_without_known_draw_on_a_limited_circuit_prints_alone() {
        let printers = vec![printer(1, "MK4"), printer(2, "X1C"), printer(3, "MK4")];
        let farm = FarmPower {
            circuits: vec![PowerCircuit {
                id: 1,
                name: "Rack".into(),
                limit_watts: Some(500),
                max_heatups: None,
                heatup_window_minutes: None,
                printer_ids: vec![PrinterId(1), PrinterId(2), PrinterId(3)],
            }],
            models: vec![mk4()],
        };
        // Printer 3 is not planned (offline): it leaves the circuit.
        let (circuits, draws) = plan_power(&[PrinterId(1), PrinterId(2)], &printers, &farm);
        assert_eq!(circuits[0].printers, [PrinterId(1), PrinterId(2)]);
        assert_eq!(draws[&PrinterId(1)], mk4().draw);
        assert_eq!(draws[&PrinterId(2)].peak(), 500);
        let (circuits, _) = plan_power(&[PrinterId(9)], &printers, &farm);
        assert!(circuits.is_empty());
    }

    #[test]
    fn only_jobs_that_still_fit_are_frozen() {
        let now = t0();
        let job = |id: i64, printers: &[i64], release: i64| PlanJob {
            id: JobId(id),
            setup_class: "PLA".into(),
            durations: printers.iter().map(|p| (PrinterId(*p), 60)).collect(),
            release,
            due: None,
            weight: 1.0,
        };
        let problem = PlanningProblem {
            now,
            printers: vec![
                PlanPrinter {
                    id: PrinterId(1),
                    available_from: 0,
                    initial_setup_class: Some("PLA".into()),
                    unavailable: vec![[130, 160]],
                },
                PlanPrinter {
                    id: PrinterId(2),
                    available_from: 30,
                    initial_setup_class: None,
                    unavailable: vec![],
                },
            ],
            setup_classes: vec!["PLA".into()],
            change_minutes: 15,
            jobs: vec![
                job(1, &[1], 0),
                job(2, &[1, 2], 0),
                job(3, &[1], 0),
                job(4, &[2], 50),
                job(5, &[2], 0),
            ],
            ..PlanningProblem::default()
        };
        let at = |j: i64, p: i64, m: i64| PreviousPlacement {
            job_id: JobId(j),
            printer_id: PrinterId(p),
            start: super::super::at_minute(now, m),
        };
        let previous = [
            at(1, 1, 0),   // frozen
            at(2, 1, 60),  // after job 1: frozen
            at(3, 1, 90),  // overlaps job 2 and maintenance: planned afresh
            at(4, 2, 40),  // before its release: planned afresh
            at(5, 2, 200), // beyond the freeze: anchored
            at(9, 2, 10),  // no longer planned
        ];
        let s = PlanningSettings {
            freeze_minutes: 150,
            stability_horizon_minutes: 300,
            stability_penalty: 50,
            stability_tolerance_minutes: 5,
        };
        let st = stability_for(&problem, &previous, &s).unwrap();
        let mut kept: Vec<(i64, i64, i64)> = st.previous.iter().map(|(j, p, m)| (j.0, p.0, *m)).collect();
        kept.sort();
        assert_eq!(kept, vec![(1, 1, 0), (2, 1, 60), (5, 2, 200)]);
        assert_eq!((st.freeze_until, st.horizon, st.tolerance), (150, 300, 5));
        assert!(stability_for(&problem, &[], &s).is_none());
    }
}
