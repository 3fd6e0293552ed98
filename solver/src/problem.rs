//! The solver's input: the JSON problem format (see `docs/solver.md`), its validation, and the
//! indexed [`Instance`] every algorithm works on.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: ids are short strings; SipHash dominated instance building on large farms.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Hash map keyed by ids.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

use serde::{Deserialize, Serialize};

/// A printer of the farm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Printer {
    pub id: String,
    /// Earliest minute the printer can be loaded.
    #[serde(default)]
    pub available_from: i64,
    /// Class of the material loaded at the origin; `null` means the first job pays no setup.
    #[serde(default)]
    pub initial_setup_class: Option<String>,
    /// Maintenance windows `[from, to]`: nothing runs on the printer in `[from, to)`.
    #[serde(default)]
    pub unavailable: Vec<[i64; 2]>,
    /// Electrical draw while printing (needed when the printer is on a circuit with a power
    /// limit, see [`Circuit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<Power>,
}

/// A printer's electrical draw: `heatup_watts` during the first `heatup_minutes` of every print
/// (bed and nozzle heating), then `printing_watts` until the print ends. Changeovers and idle
/// time draw nothing that counts against a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Power {
    pub heatup_watts: i64,
    #[serde(default)]
    pub heatup_minutes: i64,
    pub printing_watts: i64,
}

/// A power circuit (a breaker) shared by printers: the summed draw of its printers never exceeds
/// `limit_watts`, and/or at most `max_heatups` prints start (heat up) within any
/// `heatup_window` minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    pub id: String,
    pub printers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_watts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_heatups: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heatup_window: Option<i64>,
}

/// A print job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub setup_class: String,
    /// Eligible printers and the print duration (minutes) on each.
    pub durations: BTreeMap<String, i64>,
    #[serde(default)]
    pub release: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// Objective weights: `makespan·w1 + Σ weight·tardiness·w2 + setup_minutes·w3`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveWeights {
    #[serde(default)]
    pub makespan: f64,
    #[serde(default)]
    pub weighted_tardiness: f64,
    #[serde(default)]
    pub setups: f64,
}

impl Default for ObjectiveWeights {
    fn default() -> Self {
        Self {
            makespan: 1.0,
            weighted_tardiness: 0.0,
            setups: 0.0,
        }
    }
}

/// The scheduling problem, exactly as external tools write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub printers: Vec<Printer>,
    #[serde(default)]
    pub setup_classes: Vec<String>,
    /// `setup_times[p][a][b]`: minutes on printer `p` between a job of class `a` and one of class `b`.
    /// A printer missing here has no setups.
    #[serde(default)]
    pub setup_times: BTreeMap<String, Vec<Vec<i64>>>,
    pub jobs: Vec<Job>,
    /// Operator shifts `[from, to]` (both ends included); absent means always staffed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_shifts: Option<Vec<[i64; 2]>>,
    /// Optional horizon: every job must end by this minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<i64>,
    #[serde(default)]
    pub objective: ObjectiveWeights,
    /// Power circuits (optional; a printer on none is unconstrained).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub circuits: Vec<Circuit>,
    /// A re-plan's stability settings against the previous plan ([`crate::stability`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<crate::stability::Stability>,
}

/// Malformed input. Every variant names the field and the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemError {
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("duplicate id in `{field}`: {id:?}")]
    DuplicateId { field: &'static str, id: String },
    #[error("`{field}` refers to unknown printer {printer:?}")]
    UnknownPrinter { field: String, printer: String },
    #[error("`{field}` refers to unknown setup class {class:?}")]
    UnknownClass { field: String, class: String },
    #[error("`{field}` must not be negative, got {value}")]
    Negative { field: String, value: i64 },
    #[error("`{field}` must be positive, got {value}")]
    NotPositive { field: String, value: i64 },
    #[error("`{field}` must be a finite non-negative number, got {value}")]
    BadWeight { field: String, value: f64 },
    #[error("`{field}` has the wrong size: expected {expected}, got {got}")]
    WrongSize {
        field: String,
        expected: usize,
        got: usize,
    },
    #[error("`{field}` ends before it starts: [{from}, {to}]")]
    BadWindow { field: String, from: i64, to: i64 },
    #[error("`{field}` is too large: {value}")]
    TooLarge { field: String, value: i64 },
    #[error("`{field}`: {message}")]
    Invalid { field: String, message: String },
}

/// Times beyond this are rejected so that sums never overflow.
pub const MAX_TIME: i64 = 1 << 40;

impl Problem {
    /// Parse and validate a problem.
    pub fn from_json(text: &str) -> Result<Problem, ProblemError> {
        let problem: Problem = serde_json::from_str(text).map_err(|e| ProblemError::Json(e.to_string()))?;
        problem.validate()?;
        Ok(problem)
    }

    /// Serialise to JSON (infallible for this type).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Check every structural rule; returns the first problem found.
    pub fn validate(&self) -> Result<(), ProblemError> {
        Instance::new(self).map(|_| ())
    }
}

fn time(field: impl Fn() -> String, value: i64) -> Result<i64, ProblemError> {
    if value < 0 {
        return Err(ProblemError::Negative {
            field: field(),
            value,
        });
    }
    if value > MAX_TIME {
        return Err(ProblemError::TooLarge {
            field: field(),
            value,
        });
    }
    Ok(value)
}

fn window(field: impl Fn() -> String, w: [i64; 2]) -> Result<(i64, i64), ProblemError> {
    time(&field, w[0])?;
    time(&field, w[1])?;
    if w[1] < w[0] {
        return Err(ProblemError::BadWindow {
            field: field(),
            from: w[0],
            to: w[1],
        });
    }
    Ok((w[0], w[1]))
}

fn weight(field: impl Fn() -> String, value: f64) -> Result<f64, ProblemError> {
    if !value.is_finite() || value < 0.0 {
        return Err(ProblemError::BadWeight {
            field: field(),
            value,
        });
    }
    Ok(value)
}

/// Validated circuits, each printer's circuit, and each printer's draw.
type Circuits = (Vec<CircuitSpec>, Vec<Option<usize>>, Vec<Option<Power>>);

fn circuits(pb: &Problem, printer_idx: &IdMap<&str, usize>) -> Result<Circuits, ProblemError> {
    let invalid = |field: String, message: String| ProblemError::Invalid { field, message };
    let mut power = Vec::with_capacity(pb.printers.len());
    for p in &pb.printers {
        if let Some(w) = p.power {
            let f = |k: &str| format!("printers[{}].power.{k}", p.id);
            for (k, v) in [
                ("heatup_watts", w.heatup_watts),
                ("heatup_minutes", w.heatup_minutes),
                ("printing_watts", w.printing_watts),
            ] {
                time(|| f(k), v)?;
            }
        }
        power.push(p.power);
    }
    let mut specs = Vec::with_capacity(pb.circuits.len());
    let mut circuit_of: Vec<Option<usize>> = vec![None; pb.printers.len()];
    let mut ids: IdMap<&str, ()> = IdMap::default();
    for (ci, c) in pb.circuits.iter().enumerate() {
        if ids.insert(c.id.as_str(), ()).is_some() {
            return Err(ProblemError::DuplicateId {
                field: "circuits",
                id: c.id.clone(),
            });
        }
        let f = |k: &str| format!("circuits[{}].{k}", c.id);
        let mut printers = Vec::with_capacity(c.printers.len());
        for pid in &c.printers {
            let &pi = printer_idx
                .get(pid.as_str())
                .ok_or_else(|| ProblemError::UnknownPrinter {
                    field: f("printers"),
                    printer: pid.clone(),
                })?;
            if let Some(other) = circuit_of[pi] {
                return Err(invalid(
                    f("printers"),
                    format!(
                        "printer {pid:?} is already on circuit {:?}",
                        pb.circuits[other].id
                    ),
                ));
            }
            circuit_of[pi] = Some(ci);
            printers.push(pi);
        }
        if let Some(limit) = c.limit_watts {
            if limit <= 0 {
                return Err(ProblemError::NotPositive {
                    field: f("limit_watts"),
                    value: limit,
                });
            }
            for &pi in &printers {
                let pr = &pb.printers[pi];
                let Some(w) = pr.power else {
                    return Err(invalid(
                        format!("printers[{}].power", pr.id),
                        format!(
                            "missing: the printer is on circuit {:?}, which has a power limit",
                            c.id
                        ),
                    ));
                };
                let draw = w
                    .printing_watts
                    .max(if w.heatup_minutes > 0 { w.heatup_watts } else { 0 });
                if draw > limit {
                    return Err(invalid(
                        f("limit_watts"),
                        format!("{limit} W is below printer {:?}'s draw of {draw} W", pr.id),
                    ));
                }
            }
        }
        let heatups = match (c.max_heatups, c.heatup_window) {
            (None, None) => None,
            (Some(k), Some(m)) => {
                if k <= 0 {
                    return Err(ProblemError::NotPositive {
                        field: f("max_heatups"),
                        value: k,
                    });
                }
                if m <= 0 {
                    return Err(ProblemError::NotPositive {
                        field: f("heatup_window"),
                        value: m,
                    });
                }
                time(|| f("heatup_window"), m)?;
                Some((usize::try_from(k).unwrap_or(usize::MAX), m))
            }
            (Some(_), None) => {
                return Err(invalid(
                    f("heatup_window"),
                    "missing: max_heatups needs a window in minutes".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    f("max_heatups"),
                    "missing: heatup_window needs a count".into(),
                ));
            }
        };
        specs.push(CircuitSpec {
            id: c.id.clone(),
            printers,
            limit_watts: c.limit_watts,
            heatups,
        });
    }
    Ok((specs, circuit_of, power))
}

/// Indexed, validated form of a [`Problem`]. Printers, jobs and classes are numbered in input order.
#[derive(Debug, Clone)]
pub struct Instance {
    pub n_jobs: usize,
    pub n_printers: usize,
    pub n_classes: usize,
    pub printer_ids: Vec<String>,
    pub job_ids: Vec<String>,
    pub avail: Vec<i64>,
    pub init_class: Vec<Option<usize>>,
    /// Per printer: sorted, merged maintenance windows `[from, to)`.
    pub windows: Vec<Vec<(i64, i64)>>,
    /// Per printer: `n_classes²` setup minutes, row = previous class.
    pub setup: Vec<Vec<i64>>,
    pub job_class: Vec<usize>,
    /// Per job: eligible `(printer, duration)`, sorted by printer.
    pub elig: Vec<Vec<(usize, i64)>>,
    /// `dur[j * n_printers + p]`, `None` when not eligible.
    pub dur: Vec<Option<i64>>,
    pub release: Vec<i64>,
    pub due: Vec<Option<i64>>,
    pub weight: Vec<f64>,
    /// Sorted, merged operator shifts `[from, to]` (inclusive).
    pub shifts: Option<Vec<(i64, i64)>>,
    pub horizon: Option<i64>,
    pub w_makespan: f64,
    pub w_tardiness: f64,
    pub w_setups: f64,
    /// Power circuits ([`crate::power`]); empty when the problem has none.
    pub circuits: Vec<CircuitSpec>,
    /// Per printer: its circuit (index into `circuits`).
    pub circuit_of: Vec<Option<usize>>,
    /// Per printer: its draw (`None`: not given).
    pub power: Vec<Option<Power>>,
    /// The previous plan, frozen jobs and move penalties ([`crate::stability`]).
    pub stability: crate::stability::StabilitySpec,
}

/// A validated circuit: printers by index, the limit, and the heat-up rule `(count, minutes)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitSpec {
    pub id: String,
    pub printers: Vec<usize>,
    pub limit_watts: Option<i64>,
    pub heatups: Option<(usize, i64)>,
}

impl Instance {
    pub fn new(pb: &Problem) -> Result<Instance, ProblemError> {
        let n_printers = pb.printers.len();
        let n_classes = pb.setup_classes.len();
        let mut class_idx: IdMap<&str, usize> = IdMap::default();
        for c in &pb.setup_classes {
            if class_idx.insert(c.as_str(), class_idx.len()).is_some() {
                return Err(ProblemError::DuplicateId {
                    field: "setup_classes",
                    id: c.clone(),
                });
            }
        }
        let mut printer_idx: IdMap<&str, usize> = IdMap::default();
        let mut avail = Vec::with_capacity(n_printers);
        let mut init_class = Vec::with_capacity(n_printers);
        let mut windows = Vec::with_capacity(n_printers);
        for (pi, p) in pb.printers.iter().enumerate() {
            if printer_idx.insert(p.id.as_str(), pi).is_some() {
                return Err(ProblemError::DuplicateId {
                    field: "printers",
                    id: p.id.clone(),
                });
            }
            avail.push(time(
                || format!("printers[{}].available_from", p.id),
                p.available_from,
            )?);
            init_class.push(match &p.initial_setup_class {
                None => None,
                Some(c) => Some(
                    *class_idx
                        .get(c.as_str())
                        .ok_or_else(|| ProblemError::UnknownClass {
                            field: format!("printers[{}].initial_setup_class", p.id),
                            class: c.clone(),
                        })?,
                ),
            });
            let mut ws = Vec::with_capacity(p.unavailable.len());
            for (k, w) in p.unavailable.iter().enumerate() {
                let (a, b) = window(|| format!("printers[{}].unavailable[{k}]", p.id), *w)?;
                if b > a {
                    ws.push((a, b));
                }
            }
            ws.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ws.len());
            for (a, b) in ws {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            windows.push(merged);
        }
        let mut setup = vec![vec![0i64; n_classes * n_classes]; n_printers];
        for (pid, m) in &pb.setup_times {
            let field = || format!("setup_times.{pid}");
            let pi = *printer_idx
                .get(pid.as_str())
                .ok_or_else(|| ProblemError::UnknownPrinter {
                    field: "setup_times".into(),
                    printer: pid.clone(),
                })?;
            if m.len() != n_classes {
                return Err(ProblemError::WrongSize {
                    field: field(),
                    expected: n_classes,
                    got: m.len(),
                });
            }
            for (a, row) in m.iter().enumerate() {
                if row.len() != n_classes {
                    return Err(ProblemError::WrongSize {
                        field: format!("setup_times.{pid}[{a}]"),
                        expected: n_classes,
                        got: row.len(),
                    });
                }
                for (b, &v) in row.iter().enumerate() {
                    setup[pi][a * n_classes + b] = time(|| format!("setup_times.{pid}[{a}][{b}]"), v)?;
                }
            }
        }
        let n_jobs = pb.jobs.len();
        let mut job_idx: IdMap<&str, usize> = IdMap::default();
        let mut job_class = Vec::with_capacity(n_jobs);
        let mut elig = Vec::with_capacity(n_jobs);
        let mut dur = vec![None; n_jobs * n_printers];
        let mut release = Vec::with_capacity(n_jobs);
        let mut due = Vec::with_capacity(n_jobs);
        let mut weights = Vec::with_capacity(n_jobs);
        for (ji, j) in pb.jobs.iter().enumerate() {
            if job_idx.insert(j.id.as_str(), ji).is_some() {
                return Err(ProblemError::DuplicateId {
                    field: "jobs",
                    id: j.id.clone(),
                });
            }
            job_class.push(*class_idx.get(j.setup_class.as_str()).ok_or_else(|| {
                ProblemError::UnknownClass {
                    field: format!("jobs[{}].setup_class", j.id),
                    class: j.setup_class.clone(),
                }
            })?);
            let mut e = Vec::with_capacity(j.durations.len());
            for (pid, &d) in &j.durations {
                let field = || format!("jobs[{}].durations.{pid}", j.id);
                let pi = *printer_idx
                    .get(pid.as_str())
                    .ok_or_else(|| ProblemError::UnknownPrinter {
                        field: field(),
                        printer: pid.clone(),
                    })?;
                time(field, d)?;
                if d == 0 {
                    return Err(ProblemError::NotPositive {
                        field: field(),
                        value: d,
                    });
                }
                e.push((pi, d));
                dur[ji * n_printers + pi] = Some(d);
            }
            e.sort_unstable();
            elig.push(e);
            release.push(time(|| format!("jobs[{}].release", j.id), j.release)?);
            due.push(match j.due {
                None => None,
                Some(d) => Some(time(|| format!("jobs[{}].due", j.id), d)?),
            });
            weights.push(weight(|| format!("jobs[{}].weight", j.id), j.weight)?);
        }
        let shifts = match &pb.operator_shifts {
            None => None,
            Some(list) => {
                let mut s = Vec::with_capacity(list.len());
                for (k, w) in list.iter().enumerate() {
                    s.push(window(|| format!("operator_shifts[{k}]"), *w)?);
                }
                s.sort_unstable();
                let mut merged: Vec<(i64, i64)> = Vec::with_capacity(s.len());
                for (a, b) in s {
                    match merged.last_mut() {
                        // Integer minutes: [a, b] and [b + 1, c] cover every minute of [a, c].
                        Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
                        _ => merged.push((a, b)),
                    }
                }
                Some(merged)
            }
        };
        let horizon = match pb.horizon {
            None => None,
            Some(h) => Some(time(|| "horizon".to_string(), h)?),
        };
        let (circuits, circuit_of, power) = circuits(pb, &printer_idx)?;
        let mut inst = Instance {
            n_jobs,
            n_printers,
            n_classes,
            printer_ids: pb.printers.iter().map(|p| p.id.clone()).collect(),
            job_ids: pb.jobs.iter().map(|j| j.id.clone()).collect(),
            avail,
            init_class,
            windows,
            setup,
            job_class,
            elig,
            dur,
            release,
            due,
            weight: weights,
            shifts,
            horizon,
            w_makespan: weight(|| "objective.makespan".into(), pb.objective.makespan)?,
            w_tardiness: weight(
                || "objective.weighted_tardiness".into(),
                pb.objective.weighted_tardiness,
            )?,
            w_setups: weight(|| "objective.setups".into(), pb.objective.setups)?,
            circuits,
            circuit_of,
            power,
            stability: Default::default(),
        };
        inst.stability = crate::stability::validate(pb, &inst)?;
        Ok(inst)
    }

    /// Setup minutes on printer `p` from class `prev` (none: no setup) to class `next`.
    #[inline]
    pub fn setup_time(&self, p: usize, prev: Option<usize>, next: usize) -> i64 {
        match prev {
            None => 0,
            Some(a) => self.setup[p][a * self.n_classes + next],
        }
    }

    #[inline]
    pub fn duration(&self, j: usize, p: usize) -> Option<i64> {
        self.dur.get(j * self.n_printers + p).copied().flatten()
    }

    /// Whether an operator is present at minute `t`.
    pub fn staffed(&self, t: i64) -> bool {
        match &self.shifts {
            None => true,
            Some(s) => {
                let i = s.partition_point(|w| w.1 < t);
                i < s.len() && s[i].0 <= t
            }
        }
    }

    /// Earliest minute the next job can be loaded on a printer whose last job ended at `end`:
    /// `end` if someone is there, else the start of the next shift; `None` if no shift follows.
    #[inline]
    pub fn ready_after(&self, end: i64) -> Option<i64> {
        match &self.shifts {
            None => Some(end),
            Some(s) => {
                let i = s.partition_point(|w| w.1 < end);
                if i == s.len() { None } else { Some(end.max(s[i].0)) }
            }
        }
    }

    /// Earliest load minute `>= from` on printer `p` for a block (setup + print) of `len` minutes:
    /// staffed at the load minute, clear of maintenance, ending by the horizon.
    #[inline]
    pub fn earliest_load(&self, p: usize, from: i64, len: i64) -> Option<i64> {
        let mut l = from;
        let ws = &self.windows[p];
        loop {
            if let Some(s) = &self.shifts {
                let i = s.partition_point(|w| w.1 < l);
                if i == s.len() {
                    return None;
                }
                l = l.max(s[i].0);
            }
            let i = ws.partition_point(|w| w.1 <= l);
            if i < ws.len() && ws[i].0 < l + len {
                l = ws[i].1;
                continue;
            }
            break;
        }
        if let Some(h) = self.horizon
            && l + len > h
        {
            return None;
        }
        Some(l)
    }

    /// Whether some job pays a penalty when moved ([`crate::stability`]).
    pub fn has_moves(&self) -> bool {
        self.stability.penalty > 0.0 && self.stability.anchor.iter().any(Option::is_some)
    }

    /// Stability penalty of job `j` on printer `p` starting at `start` (objective units): paid
    /// when a job of the freeze horizon runs on another printer or later than its tolerance.
    #[inline]
    pub fn move_cost(&self, j: usize, p: usize, start: i64) -> f64 {
        match self.stability.anchor.get(j) {
            Some(Some((p0, latest))) if *p0 != p || start > *latest => self.stability.penalty,
            _ => 0.0,
        }
    }

    /// Tardiness cost of job `j` ending at `end` (weighted, before the objective weight).
    #[inline]
    pub fn tardiness(&self, j: usize, end: i64) -> f64 {
        match self.due[j] {
            Some(d) if end > d => self.weight[j] * (end - d) as f64,
            _ => 0.0,
        }
    }
}
