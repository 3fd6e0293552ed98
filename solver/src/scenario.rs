//! Deterministic generator of realistic farm scenarios (used by tests and benchmarks).
//!
//! Printers come in three speed tiers; some materials need an enclosed printer. Setup classes are
//! material × colour: changing colour costs a purge, changing material a nozzle/bed swap. Jobs take
//! 0.5–10 h on a reference printer; due dates leave 1.5–4× slack; operators work two shifts a day
//! (06:00–14:00, 14:00–22:00 by default, i.e. nobody 22:00–06:00); a few printers have maintenance.

use std::collections::BTreeMap;

use crate::problem::{Circuit, Job, ObjectiveWeights, Power, Printer, Problem};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScenarioSpec {
    pub printers: usize,
    pub jobs: usize,
    pub classes: usize,
    pub shifts: bool,
    pub maintenance: bool,
    pub due_dates: bool,
    pub objective: ObjectiveWeights,
    pub seed: u64,
}

impl ScenarioSpec {
    /// The benchmark farm: tardiness + 0.1 × setup minutes, with due dates, shifts and maintenance.
    pub fn farm(printers: usize, jobs: usize, seed: u64) -> ScenarioSpec {
        ScenarioSpec {
            printers,
            jobs,
            classes: (jobs / 10).clamp(5, 30),
            shifts: true,
            maintenance: true,
            due_dates: true,
            objective: ObjectiveWeights {
                makespan: 0.0,
                weighted_tardiness: 1.0,
                setups: 0.1,
            },
            seed,
        }
    }
}

const MATERIALS: [&str; 6] = ["PLA", "PETG", "ABS", "ASA", "TPU", "PA"];
const COLOURS: [&str; 8] = [
    "black", "white", "grey", "red", "blue", "green", "orange", "clear",
];

pub fn generate(spec: &ScenarioSpec) -> Problem {
    let mut rng = Rng::new(
        spec.seed
            .wrapping_mul(0x9E37_79B9)
            .wrapping_add(spec.jobs as u64 * 31 + spec.printers as u64),
    );
    let n_classes = spec.classes.max(1);
    let classes: Vec<(usize, usize)> = (0..n_classes)
        .map(|c| (c % MATERIALS.len(), c / MATERIALS.len()))
        .collect();
    let class_names: Vec<String> = classes
        .iter()
        .map(|&(m, c)| {
            format!(
                "{}-{}{}",
                MATERIALS[m],
                COLOURS[c % COLOURS.len()],
                if c >= COLOURS.len() {
                    format!("{}", c / COLOURS.len())
                } else {
                    String::new()
                }
            )
        })
        .collect();
    // Printer tiers: speed in percent of reference, enclosed or not.
    let mut printers = Vec::with_capacity(spec.printers);
    let mut speed = Vec::with_capacity(spec.printers);
    let mut enclosed = Vec::with_capacity(spec.printers);
    let mut setup_times = BTreeMap::new();
    for p in 0..spec.printers {
        let tier = rng.below(3);
        let s = match tier {
            0 => 70 + rng.below(20) as i64,
            1 => 95 + rng.below(15) as i64,
            _ => 140 + rng.below(40) as i64,
        };
        let enc = tier == 2 || rng.unit() < 0.3;
        speed.push(s);
        enclosed.push(enc);
        let id = format!("P{:03}", p + 1);
        let purge = 4 + rng.below(6) as i64;
        let swap = 15 + rng.below(20) as i64;
        let m: Vec<Vec<i64>> = (0..n_classes)
            .map(|a| {
                (0..n_classes)
                    .map(|b| {
                        if a == b {
                            0
                        } else if classes[a].0 == classes[b].0 {
                            purge
                        } else {
                            swap
                        }
                    })
                    .collect()
            })
            .collect();
        setup_times.insert(id.clone(), m);
        printers.push(Printer {
            id,
            available_from: if rng.unit() < 0.2 {
                rng.below(240) as i64
            } else {
                0
            },
            initial_setup_class: if rng.unit() < 0.7 {
                Some(class_names[rng.below(n_classes)].clone())
            } else {
                None
            },
            unavailable: Vec::new(),
            power: None,
        });
    }
    // Jobs.
    let mut jobs = Vec::with_capacity(spec.jobs);
    let mut total = 0i64;
    let mut raw = Vec::with_capacity(spec.jobs);
    for _ in 0..spec.jobs {
        // Mostly 1–4 h, some short, some long (lognormal-ish).
        let u = rng.unit();
        let base = if u < 0.2 {
            30 + rng.below(60) as i64
        } else if u < 0.85 {
            90 + rng.below(180) as i64
        } else {
            270 + rng.below(330) as i64
        };
        total += base;
        raw.push(base);
    }
    let minutes_per_day = 1440;
    let days_of_work = (total as f64 / spec.printers.max(1) as f64 / minutes_per_day as f64).ceil() as i64;
    let spread = (days_of_work.max(1) * minutes_per_day) as usize;
    for (i, &base) in raw.iter().enumerate() {
        let class = rng.below(n_classes);
        let needs_enclosure = matches!(classes[class].0, 2 | 3 | 5);
        let mut durations = BTreeMap::new();
        for p in 0..spec.printers {
            if needs_enclosure && !enclosed[p] {
                continue;
            }
            if rng.unit() < 0.1 {
                continue;
            }
            let d = (base * 100 / speed[p]).max(5);
            durations.insert(printers[p].id.clone(), d);
        }
        if durations.is_empty() {
            // Always keep at least one eligible printer.
            let p = rng.below(spec.printers.max(1));
            if let Some(pr) = printers.get(p) {
                durations.insert(pr.id.clone(), (base * 100 / speed[p]).max(5));
            }
        }
        let release = if rng.unit() < 0.7 {
            0
        } else {
            rng.below(spread / 2 + 1) as i64
        };
        let due = if spec.due_dates {
            let slack = 1.5 + 2.5 * rng.unit();
            Some(release + (base as f64 * slack) as i64 + rng.below(spread + 1) as i64)
        } else {
            None
        };
        let weight = [1.0, 1.0, 1.0, 2.0, 5.0][rng.below(5)];
        jobs.push(Job {
            id: format!("J{:04}", i + 1),
            setup_class: class_names[class].clone(),
            durations,
            release,
            due,
            weight,
        });
    }
    let days = days_of_work * 3 + 3;
    let operator_shifts = if spec.shifts {
        Some(
            (0..days)
                .map(|d| [d * minutes_per_day + 360, d * minutes_per_day + 1320])
                .collect(),
        )
    } else {
        None
    };
    if spec.maintenance {
        for pr in &mut printers {
            if rng.unit() < 0.25 {
                let day = rng.below(days_of_work.max(1) as usize + 1) as i64;
                let from = day * minutes_per_day + 480 + rng.below(480) as i64;
                pr.unavailable.push([from, from + 60 + rng.below(180) as i64]);
            }
        }
    }
    Problem {
        printers,
        setup_classes: class_names,
        setup_times,
        jobs,
        operator_shifts,
        horizon: None,
        objective: spec.objective,
        circuits: Vec::new(),
        stability: None,
    }
}

/// Power data and circuits for a generated farm (`solver-bench farm --circuits`, the circuit
/// tests): every printer draws 1,000 W heating up (10 min) and 200 W printing; printers are on
/// circuits of 10 with a 3,500 W limit (at most two heat-ups at a time next to printing
/// printers) and at most 3 heat-ups per circuit within 15 minutes.
pub fn add_circuits(pb: &mut Problem) {
    for p in &mut pb.printers {
        p.power = Some(Power {
            heatup_watts: 1000,
            heatup_minutes: 10,
            printing_watts: 200,
        });
    }
    let ids: Vec<String> = pb.printers.iter().map(|p| p.id.clone()).collect();
    pb.circuits = ids
        .chunks(10)
        .enumerate()
        .map(|(i, c)| Circuit {
            id: format!("C{i}"),
            printers: c.to_vec(),
            limit_watts: Some(3500),
            max_heatups: Some(3),
            heatup_window: Some(15),
        })
        .collect();
}
