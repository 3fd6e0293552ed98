//! Why each planned job is where it is, computed from the solver's own data (the timing routine
//! every algorithm uses), not guessed.
//!
//! For a job `j` planned on printer `p`:
//! * **printer** (`Reason::printer`):
//!   `only_printer` — no other printer can run it (eligibility, or it fits nowhere else);
//!   `material_loaded` — its class is already loaded (the previous job's, or the printer's
//!   initial class): no changeover;
//!   `earliest_finish` — it ends here no later than it would on any other eligible printer
//!   (inserted there at the same moment, that printer's later jobs re-timed);
//!   `least_cost` — another printer would finish it earlier, but moving it there costs more
//!   (changeovers, other jobs' tardiness): the text names the printer and the cost difference;
//!   `search` — a cheaper place exists by this measure (the search stopped before it found it).
//! * **late** (`Reason::late`, only when it ends after its due date), the first of these that
//!   already makes it late on its best printer, each adding one constraint to the job alone:
//!   `release` (released too late for its shortest print and least changeover), `availability`
//!   (its printers become available too late), `shifts` (no operator to load it in time),
//!   `maintenance` (maintenance windows), else `capacity` (other jobs occupy its printers).
//!
//! Jobs held back before solving (material, refusals) and unscheduled jobs carry their reason
//! elsewhere (`Plan::unscheduled`, the live farm's holds).

use serde::{Deserialize, Serialize};

use crate::bound::{classes_on, min_setup};
use crate::plan::{Cursor, Plan, Sequences};
use crate::problem::Instance;

/// Why a job is planned where it is (see the module docs for the codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// `only_printer`, `material_loaded`, `earliest_finish`, `least_cost` or `search`.
    pub printer: String,
    /// `release`, `availability`, `shifts`, `maintenance` or `capacity`; absent when the job
    /// ends by its due date (or has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<String>,
    /// One sentence for people.
    pub text: String,
}

/// Earliest load `>= from` with an operator present (no maintenance, no horizon).
fn staffed_from(inst: &Instance, from: i64) -> Option<i64> {
    match &inst.shifts {
        None => Some(from),
        Some(s) => {
            let i = s.partition_point(|w| w.1 < from);
            (i < s.len()).then(|| from.max(s[i].0))
        }
    }
}

/// Why job `j` (ending at `end`, after its due date) is late.
fn late_reason(inst: &Instance, on: &[Vec<bool>], j: usize, end: i64) -> Option<(String, String)> {
    let due = inst.due[j]?;
    if end <= due {
        return None;
    }
    let mut ideal = [i64::MAX; 4];
    for &(q, d) in &inst.elig[j] {
        let s = min_setup(inst, on, j, q);
        let r = inst.release[j];
        ideal[0] = ideal[0].min(r + s + d);
        let from = r.max(inst.avail[q]);
        ideal[1] = ideal[1].min(from + s + d);
        if let Some(l) = staffed_from(inst, from) {
            ideal[2] = ideal[2].min(l + s + d);
        }
        if let Some(l) = inst.earliest_load(q, from, s + d) {
            ideal[3] = ideal[3].min(l + s + d);
        }
    }
    let names = [
        ("release", "released too late to finish by its due date"),
        ("availability", "its printers become available too late"),
        ("shifts", "no operator shift lets it be loaded in time"),
        (
            "maintenance",
            "maintenance windows keep it from finishing in time",
        ),
    ];
    for (k, (code, why)) in names.iter().enumerate() {
        if ideal[k] > due {
            return Some((
                code.to_string(),
                format!(
                    "late by {} min: {why} (alone it would end at minute {})",
                    end - due,
                    ideal[k].min(end)
                ),
            ));
        }
    }
    Some((
        "capacity".to_string(),
        format!(
            "late by {} min: other jobs occupy its printers (alone it could end at minute {})",
            end - due,
            ideal[3]
        ),
    ))
}

/// Printer `q`'s original timing, to stop re-timing a changed sequence early.
struct Orig<'a> {
    /// `pre[i]`: the cursor after the original sequence's first `i` jobs.
    pre: &'a [Cursor],
    /// Cost of the whole original sequence.
    full: f64,
    /// Every job of the original sequence could be timed.
    ok: bool,
}

/// Cost (tardiness, setup and stability terms) of printer `q`'s sequence with `insert` (if
/// any) timed from `start`, followed by `rest` — the original sequence from position `from`
/// on (`rest[i]` is original job `from + i`). `None` if it cannot be timed. Once the cursor is
/// back in the original state after some job (same ready time and class), the rest is timed as
/// in the original: its cost is taken from `orig` (exact; the re-timing is linear in the jobs
/// the change actually shifts).
fn cost_from(
    inst: &Instance,
    q: usize,
    start: Cursor,
    insert: Option<usize>,
    rest: &[usize],
    from: usize,
    orig: &Orig,
) -> Option<(f64, i64)> {
    let mut c = start;
    let mut end = 0;
    if let Some(j) = insert {
        end = c.push(inst, q, j)?.end;
    }
    for (i, &x) in rest.iter().enumerate() {
        c.push(inst, q, x)?;
        let o = &orig.pre[from + i + 1];
        if orig.ok && c.ready == o.ready && c.prev == o.prev {
            return Some((c.cost(inst) + (orig.full - o.cost(inst)), end));
        }
    }
    Some((c.cost(inst), end))
}

/// The reasons of every planned job, per printer in sequence order.
pub fn explain(inst: &Instance, seqs: &Sequences) -> Vec<Vec<Reason>> {
    explain_with(inst, seqs, true)
}

/// [`explain`]; `shortcut: false` re-times every changed sequence to its end (the reference the
/// tests compare with).
fn explain_with(inst: &Instance, seqs: &Sequences, shortcut: bool) -> Vec<Vec<Reason>> {
    let on = classes_on(inst);
    // Prefix cursors per printer: pre[p][k] = state after the first k jobs.
    let mut pre: Vec<Vec<Cursor>> = Vec::with_capacity(inst.n_printers);
    let mut loads: Vec<Vec<i64>> = Vec::with_capacity(inst.n_printers);
    let mut ok: Vec<bool> = Vec::with_capacity(inst.n_printers);
    for (p, seq) in seqs.seqs.iter().enumerate() {
        let mut c = Cursor::new(inst, p);
        let mut v = vec![c];
        let mut l = Vec::with_capacity(seq.len());
        let mut all = true;
        for &j in seq {
            match c.push(inst, p, j) {
                Some(t) => l.push(t.load),
                None => {
                    l.push(i64::MAX);
                    all = false;
                }
            }
            v.push(c);
        }
        pre.push(v);
        loads.push(l);
        ok.push(all && shortcut);
    }
    let full: Vec<f64> = (0..inst.n_printers)
        .map(|p| pre[p].last().map_or(0.0, |c| c.cost(inst)))
        .collect();
    let orig = |q: usize| Orig {
        pre: &pre[q],
        full: full[q],
        ok: ok[q],
    };
    let mut out = Vec::with_capacity(inst.n_printers);
    for (p, seq) in seqs.seqs.iter().enumerate() {
        let mut reasons = Vec::with_capacity(seq.len());
        for (k, &j) in seq.iter().enumerate() {
            let before = pre[p][k];
            let mut c = before;
            let Some(t) = c.push(inst, p, j) else {
                reasons.push(Reason {
                    printer: "search".into(),
                    late: None,
                    text: "placed by the search".into(),
                });
                continue;
            };
            let class = inst.job_class[j];
            // Removing j from p: what p's cost would be.
            let without = cost_from(inst, p, before, None, &seq[k + 1..], k + 1, &orig(p)).map(|x| x.0);
            // Every other eligible printer: j inserted among the jobs loaded by then.
            let mut best_end: Option<(i64, usize)> = None;
            let mut best_delta: Option<(f64, usize)> = None;
            for &(q, _) in &inst.elig[j] {
                if q == p {
                    continue;
                }
                let pos = loads[q].partition_point(|&l| l < t.load);
                let Some((cost, end)) =
                    cost_from(inst, q, pre[q][pos], Some(j), &seqs.seqs[q][pos..], pos, &orig(q))
                else {
                    continue;
                };
                if best_end.is_none_or(|b| end < b.0) {
                    best_end = Some((end, q));
                }
                if let Some(w) = without {
                    let delta = (cost - full[q]) + (w - full[p]);
                    if best_delta.is_none_or(|b| delta < b.0) {
                        best_delta = Some((delta, q));
                    }
                }
            }
            let name = |q: usize| inst.printer_ids[q].as_str();
            let (code, text) = if best_end.is_none() {
                (
                    "only_printer",
                    format!("{} is the only printer that can print it", name(p)),
                )
            } else if t.setup == 0 && before.prev == Some(class) {
                (
                    "material_loaded",
                    format!("its material is already loaded on {} (no changeover)", name(p)),
                )
            } else if best_end.is_some_and(|b| t.end <= b.0) {
                let (e, q) = best_end.unwrap_or((t.end, p));
                (
                    "earliest_finish",
                    format!(
                        "ends at minute {} on {}; the earliest elsewhere is minute {} on {}",
                        t.end,
                        name(p),
                        e,
                        name(q)
                    ),
                )
            } else {
                let (e, q) = best_end.unwrap_or((t.end, p));
                match best_delta {
                    Some((d, dq)) if d >= -1e-9 => (
                        "least_cost",
                        format!(
                            "{} would end it at minute {} instead of {}, but the plan would cost {:.1} more on {}",
                            name(q),
                            e,
                            t.end,
                            d,
                            name(dq)
                        ),
                    ),
                    _ => (
                        "search",
                        format!(
                            "{} would end it at minute {} instead of {}; the search kept it here",
                            name(q),
                            e,
                            t.end
                        ),
                    ),
                }
            };
            let late = late_reason(inst, &on, j, t.end);
            let text = match &late {
                Some((_, l)) => format!("{text}; {l}"),
                None => text,
            };
            reasons.push(Reason {
                printer: code.to_string(),
                late: late.map(|l| l.0),
                text,
            });
        }
        out.push(reasons);
    }
    out
}

/// Fill in `plan.assignments[..].reason` for a plan of the sequences `seqs` (matched by job).
pub fn annotate(inst: &Instance, seqs: &Sequences, plan: &mut Plan) {
    let reasons = explain(inst, seqs);
    let mut by_job: std::collections::HashMap<&str, Reason> = std::collections::HashMap::new();
    for (seq, rs) in seqs.seqs.iter().zip(reasons) {
        for (&j, r) in seq.iter().zip(rs) {
            by_job.insert(inst.job_ids[j].as_str(), r);
        }
    }
    for a in &mut plan.assignments {
        a.reason = by_job.remove(a.job.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristic::{Limits, Local, construct};
    use crate::scenario::{ScenarioSpec, generate};

    /// Stopping the re-timing once a sequence is back in its original state gives exactly the
    /// reasons of re-timing every sequence to its end.
    #[test]
    fn shortcut_gives_the_same_reasons() {
        let mut compared = 0;
        for seed in 0..12u64 {
            let mut spec = ScenarioSpec::farm(3 + seed as usize % 4, 20 + 5 * seed as usize, 700 + seed);
            spec.shifts = seed % 2 == 0;
            spec.maintenance = seed % 3 == 0;
            let pb = generate(&spec);
            let Ok(inst) = Instance::new(&pb) else {
                panic!("seed {seed}: invalid scenario");
            };
            let start = construct(&inst);
            let limits = Limits {
                deadline: None,
                max_iterations: Some(200),
                stall_iterations: 200,
                target: f64::NEG_INFINITY,
                lns_period: 0,
            };
            for seqs in [start.clone(), Local::new(&inst, &start).run(&limits, seed).best] {
                let fast = explain_with(&inst, &seqs, true);
                let slow = explain_with(&inst, &seqs, false);
                assert_eq!(fast, slow, "seed {seed}");
                compared += fast.iter().map(Vec::len).sum::<usize>();
            }
        }
        assert!(compared > 500, "{compared}");
    }
}
