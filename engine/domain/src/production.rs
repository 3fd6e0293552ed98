//! Production domain (pure): print jobs, their state machine and how they are cut from orders.
//!
//! # Jobs from an order
//! When an order enters `in_production`, every line is cut into **plates**: one job per build
//! plate, each carrying up to the line's `copies_per_plate` copies (quantity 7 with 3 per plate
//! gives plates of 3, 3 and 1 copies; see [`plates`]). A job's material is the line's; its
//! `grams = grams_per_unit × copies` and `est_minutes = print_minutes_per_unit × copies`
//! (a deliberately simple model: no per-plate overhead, no shared-plate savings). Priority and
//! due date are the order's.
//!
//! # States
//! ```text
//! queued ⇄ scheduled → printing → done
//!    │         │  ↺        └──→ failed → requeued   (a new job, attempt + 1, starts queued)
//!    └─────────┴─→ cancelled        └──→ abandoned
//! ```
//! Precisely ([`JobState::can_transition`]):
//! * `queued → scheduled` (assigned a printer and planned start), `scheduled → scheduled`
//!   (re-planned), `scheduled → queued` (unplanned), `scheduled → printing`.
//! * `printing → done` adds the job's copies to its line's `printed_count`; when every line of
//!   the order is printed, the order goes `in_production → ready` in the same transaction.
//! * `printing → failed` adds the copies to the line's `failed_count`. A failed job is then
//!   either `requeued` — a new job for the same plate with `attempt + 1` is created, queued;
//!   done automatically while `attempt ≤ max_reprints` ([`should_requeue`]) or by hand — or
//!   `abandoned` (its copies will not be printed).
//! * `queued | scheduled → cancelled`: a job that has not started printing is cancelled when
//!   its order is refunded or becomes `ready` without it (failed jobs awaiting a decision are
//!   then `abandoned`), or by hand. A printing job cannot be cancelled; a refund waits for it.
//! * `done`, `requeued`, `abandoned` and `cancelled` are terminal.
//!
//! Progress reports (0–100 %) on a printing job are not transitions. Every transition is
//! recorded as a job event. Material reservations are keyed by [`job_key`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorKind};
use crate::orders::{Order, OrderLine};
use crate::types::{JobId, MaterialId, OrderId, OrderLineId, PrinterId};

/// Longest failure reason or event note.
pub const NOTE_MAX: usize = 1_000;

/// Rejections of production commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductionError {
    /// The job state machine does not allow `from → to`.
    #[error("job {job} cannot go from {from} to {to}")]
    IllegalTransition {
        job: JobId,
        from: JobState,
        to: JobState,
    },
    /// Progress can only be reported for a printing job.
    #[error("job {job} is {state}, not printing")]
    NotPrinting { job: JobId, state: JobState },
    /// A progress outside 0..=100.
    #[error("progress {0} is out of range (expected 0 to 100)")]
    InvalidProgress(i64),
    /// A failure needs a reason.
    #[error("a failure reason is required (at most 1000 characters)")]
    ReasonRequired,
    /// A job's grams or minutes do not fit in 64 bits.
    #[error("order line {line} is too large to plan")]
    Overflow { line: OrderLineId },
    /// Every line of the order is already printed; no job to create.
    #[error("order {order} has nothing left to print")]
    NothingToProduce { order: OrderId },
    /// A priority outside the orders' range.
    #[error("priority {0} is out of range (expected -1000 to 1000)")]
    InvalidPriority(i64),
    /// Only a job still waiting to print (queued or scheduled) can change priority.
    #[error("job {job} is {state}; only a queued or scheduled job can change priority")]
    NotWaiting { job: JobId, state: JobState },
}

impl Coded for ProductionError {
    fn code(&self) -> &'static str {
        match self {
            ProductionError::IllegalTransition { .. } => "JOB_ILLEGAL_TRANSITION",
            ProductionError::NotPrinting { .. } => "JOB_NOT_PRINTING",
            ProductionError::InvalidProgress(_) => "JOB_PROGRESS_INVALID",
            ProductionError::ReasonRequired => "JOB_REASON_REQUIRED",
            ProductionError::Overflow { .. } => "JOB_SIZE_OVERFLOW",
            ProductionError::NothingToProduce { .. } => "JOB_NOTHING_TO_PRODUCE",
            ProductionError::InvalidPriority(_) => "JOB_PRIORITY_INVALID",
            ProductionError::NotWaiting { .. } => "JOB_NOT_WAITING",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ProductionError::IllegalTransition { .. }
            | ProductionError::NotPrinting { .. }
            | ProductionError::NotWaiting { .. } => ErrorKind::Conflict,
            ProductionError::InvalidProgress(_)
            | ProductionError::ReasonRequired
            | ProductionError::Overflow { .. }
            | ProductionError::NothingToProduce { .. }
            | ProductionError::InvalidPriority(_) => ErrorKind::Validation,
        }
    }
}

/// Checks a priority change of `job` in `state` to `priority`.
pub fn check_priority_change(job: JobId, state: JobState, priority: i64) -> Result<(), ProductionError> {
    if !(crate::orders::PRIORITY_MIN..=crate::orders::PRIORITY_MAX).contains(&priority) {
        return Err(ProductionError::InvalidPriority(priority));
    }
    if !matches!(state, JobState::Queued | JobState::Scheduled) {
        return Err(ProductionError::NotWaiting { job, state });
    }
    Ok(())
}

/// The key material reservations of a job are filed under (inventory is keyed by it).
pub fn job_key(id: JobId) -> String {
    format!("job:{id}")
}

/// Where a print job is in its life (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Scheduled,
    Printing,
    Done,
    Failed,
    Requeued,
    Abandoned,
    Cancelled,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 8] = [
        JobState::Queued,
        JobState::Scheduled,
        JobState::Printing,
        JobState::Done,
        JobState::Failed,
        JobState::Requeued,
        JobState::Abandoned,
        JobState::Cancelled,
    ];

    /// The stored (and serialised) name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Scheduled => "scheduled",
            JobState::Printing => "printing",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Requeued => "requeued",
            JobState::Abandoned => "abandoned",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Inverse of [`JobState::as_str`].
    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the state machine allows `from → to`.
    pub fn can_transition(from: JobState, to: JobState) -> bool {
        use JobState::*;
        matches!(
            (from, to),
            (Queued, Scheduled)
                | (Scheduled, Scheduled)
                | (Scheduled, Queued)
                | (Scheduled, Printing)
                | (Printing, Done)
                | (Printing, Failed)
                | (Failed, Requeued)
                | (Failed, Abandoned)
                | (Queued | Scheduled, Cancelled)
        )
    }

    /// No transition leaves this state.
    pub fn is_terminal(self) -> bool {
        JobState::ALL
            .into_iter()
            .all(|to| !JobState::can_transition(self, to))
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// [`JobState::can_transition`] as a typed rejection.
pub fn check_transition(job: JobId, from: JobState, to: JobState) -> Result<(), ProductionError> {
    if JobState::can_transition(from, to) {
        Ok(())
    } else {
        Err(ProductionError::IllegalTransition { job, from, to })
    }
}

/// A print job: one plate of one order line, one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub order_id: OrderId,
    pub order_line_id: OrderLineId,
    /// 1-based plate number within the line; a reprint keeps its plate number.
    pub plate_no: i64,
    /// 1 for the first print of a plate, +1 per reprint.
    pub attempt: i64,
    /// The job this one reprints, if it is a reprint.
    pub retry_of: Option<JobId>,
    pub copies: i64,
    pub material_id: MaterialId,
    pub grams: i64,
    pub est_minutes: i64,
    pub state: JobState,
    pub printer_id: Option<PrinterId>,
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub planned_start: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress_pct: i64,
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// [`job_key`] of this job.
    pub fn key(&self) -> String {
        job_key(self.id)
    }
}

/// One recorded job transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobEvent {
    pub id: i64,
    pub job_id: JobId,
    /// `None` for the creation of the job.
    pub from: Option<JobState>,
    pub to: JobState,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// A job to create (state `queued`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub order_id: OrderId,
    pub order_line_id: OrderLineId,
    pub plate_no: i64,
    pub attempt: i64,
    pub retry_of: Option<JobId>,
    pub copies: i64,
    pub material_id: MaterialId,
    pub grams: i64,
    pub est_minutes: i64,
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
}

/// Splits `quantity` copies into plates of at most `copies_per_plate` (full plates first).
pub fn plates(quantity: i64, copies_per_plate: i64) -> Vec<i64> {
    let per = copies_per_plate.max(1);
    let mut out = Vec::new();
    let mut left = quantity.max(0);
    while left > 0 {
        let n = left.min(per);
        out.push(n);
        left -= n;
    }
    out
}

/// The jobs for an order entering production: one per plate of every line's remaining copies.
pub fn plan_jobs(order: &Order, lines: &[OrderLine]) -> Result<Vec<NewJob>, ProductionError> {
    let mut jobs = Vec::new();
    for line in lines {
        for (i, copies) in plates(line.remaining(), line.production.copies_per_plate)
            .into_iter()
            .enumerate()
        {
            let overflow = ProductionError::Overflow { line: line.id };
            jobs.push(NewJob {
                order_id: order.id,
                order_line_id: line.id,
                plate_no: i as i64 + 1,
                attempt: 1,
                retry_of: None,
                copies,
                material_id: line.material_id,
                grams: line
                    .production
                    .grams_per_unit
                    .checked_mul(copies)
                    .ok_or(overflow.clone())?,
                est_minutes: line
                    .production
                    .print_minutes_per_unit
                    .checked_mul(copies)
                    .ok_or(overflow)?,
                priority: order.priority,
                due_at: order.due_at,
            });
        }
    }
    if jobs.is_empty() {
        return Err(ProductionError::NothingToProduce { order: order.id });
    }
    Ok(jobs)
}

/// The reprint of a failed job: same plate, material and size, `attempt + 1`.
pub fn reprint_of(job: &Job) -> NewJob {
    NewJob {
        order_id: job.order_id,
        order_line_id: job.order_line_id,
        plate_no: job.plate_no,
        attempt: job.attempt.saturating_add(1),
        retry_of: Some(job.id),
        copies: job.copies,
        material_id: job.material_id,
        grams: job.grams,
        est_minutes: job.est_minutes,
        priority: job.priority,
        due_at: job.due_at,
    }
}

/// Whether a failed job of this `attempt` is reprinted automatically: a plate is reprinted at
/// most `max_reprints` times (so attempts `1..=max_reprints` are requeued).
pub fn should_requeue(attempt: i64, max_reprints: u32) -> bool {
    attempt <= i64::from(max_reprints)
}

/// Checks a progress report: 0..=100 percent.
pub fn validate_progress(pct: i64) -> Result<i64, ProductionError> {
    if (0..=100).contains(&pct) {
        Ok(pct)
    } else {
        Err(ProductionError::InvalidProgress(pct))
    }
}

/// Checks a failure reason: non-empty after trimming, at most [`NOTE_MAX`] characters.
pub fn validate_reason(reason: &str) -> Result<String, ProductionError> {
    let t = reason.trim();
    if t.is_empty() || t.chars().count() > NOTE_MAX {
        return Err(ProductionError::ReasonRequired);
    }
    Ok(t.to_string())
}

/// Trims a free-text event note and cuts it to [`NOTE_MAX`] characters.
pub fn clean_note(note: &str) -> String {
    note.trim().chars().take(NOTE_MAX).collect()
}

/// Finished and failed jobs of one UTC day (the farm's throughput).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayThroughput {
    pub day: NaiveDate,
    pub done: i64,
    pub failed: i64,
}

/// The most days [`throughput`] counts.
pub const THROUGHPUT_DAYS_MAX: u32 = 90;

/// Counts `(state, at)` transitions into `done` and `failed` per UTC day for the `days` days
/// ending with `now`'s (oldest first, days without any included); transitions outside those
/// days and into other states are ignored. `days` is 1 to [`THROUGHPUT_DAYS_MAX`].
pub fn throughput(
    now: DateTime<Utc>,
    days: u32,
    transitions: &[(JobState, DateTime<Utc>)],
) -> Vec<DayThroughput> {
    let days = days.clamp(1, THROUGHPUT_DAYS_MAX);
    let today = now.date_naive();
    let first = today - chrono::Days::new(u64::from(days - 1));
    let mut out: Vec<DayThroughput> = first
        .iter_days()
        .take(days as usize)
        .map(|day| DayThroughput {
            day,
            done: 0,
            failed: 0,
        })
        .collect();
    for (state, at) in transitions {
        let day = at.date_naive();
        if day < first || day > today {
            continue;
        }
        let Ok(i) = usize::try_from((day - first).num_days()) else {
            continue;
        };
        match state {
            JobState::Done => out[i].done += 1,
            JobState::Failed => out[i].failed += 1,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_counts_done_and_failed_per_utc_day() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let now = at("2026-12-06T01:00:00Z");
        let t = [
            (JobState::Done, at("2026-12-06T00:10:00Z")),
            (JobState::Done, at("2026-12-05T23:59:59Z")),
            (JobState::Failed, at("2026-12-05T12:00:00Z")),
            (JobState::Printing, at("2026-12-05T11:00:00Z")),
            (JobState::Done, at("2026-12-04T00:00:00Z")),
            (JobState::Done, at("2026-12-03T23:59:59Z")), // before the three days
            (JobState::Done, at("2026-12-07T00:00:00Z")), // after today
        ];
        let got = throughput(now, 3, &t);
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            got,
            vec![
                DayThroughput {
                    day: day("2026-12-04"),
                    done: 1,
                    failed: 0
                },
                DayThroughput {
                    day: day("2026-12-05"),
                    done: 1,
                    failed: 1
                },
                DayThroughput {
                    day: day("2026-12-06"),
                    done: 1,
                    failed: 0
                },
            ]
        );
        assert_eq!(throughput(now, 0, &t).len(), 1, "at least today");
        assert_eq!(throughput(now, 1000, &[]).len(), THROUGHPUT_DAYS_MAX as usize);
    }
    use crate::catalog::ProductionSpec;
    use crate::orders::OrderStatus;
    use crate::types::{Currency, CustomerId, Money, Quantity};

    #[test]
    fn every_transition_pair() {
        let mut out = String::from("from \\ to  ");
        for to in JobState::ALL {
            out.push_str(&format!("{:>5}", &to.as_str()[..4]));
        }
        out.push('\n');
        for from in JobState::ALL {
            out.push_str(&format!("{:<11}", from.as_str()));
            for to in JobState::ALL {
                let legal = JobState::can_transition(from, to);
                let checked = check_transition(JobId(1), from, to);
                assert_eq!(checked.is_ok(), legal);
                if let Err(e) = checked {
                    assert_eq!(
                        e,
                        ProductionError::IllegalTransition {
                            job: JobId(1),
                            from,
                            to
                        }
                    );
                    assert_eq!(e.code(), "JOB_ILLEGAL_TRANSITION");
                }
                out.push_str(if legal { "    X" } else { "    ." });
            }
            out.push('\n');
        }
        expect_test::expect![[r#"
            from \ to   queu sche prin done fail requ aban canc
            queued         .    X    .    .    .    .    .    X
            scheduled      X    X    X    .    .    .    .    X
            printing       .    .    .    X    X    .    .    .
            done           .    .    .    .    .    .    .    .
            failed         .    .    .    .    .    X    X    .
            requeued       .    .    .    .    .    .    .    .
            abandoned      .    .    .    .    .    .    .    .
            cancelled      .    .    .    .    .    .    .    .
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn terminal_states_and_names() {
        let terminal: Vec<_> = JobState::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [
                JobState::Done,
                JobState::Requeued,
                JobState::Abandoned,
                JobState::Cancelled
            ]
        );
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(job_key(JobId(42)), "job:42");
    }

    #[test]
    fn plate_split() {
        // (quantity, copies per plate, plates)
        let table: [(i64, i64, &[i64]); 7] = [
            (7, 3, &[3, 3, 1]),
            (6, 3, &[3, 3]),
            (1, 3, &[1]),
            (3, 1, &[1, 1, 1]),
            (5, 10, &[5]),
            (0, 3, &[]),
            (2, 0, &[1, 1]),
        ];
        for (q, per, expected) in table {
            assert_eq!(plates(q, per), expected, "{q} by {per}");
        }
    }

    fn order() -> Order {
        Order {
            id: OrderId(5),
            customer_id: CustomerId(1),
            status: OrderStatus::Paid,
            total: Money::new(0, Currency::EUR),
            priority: 3,
            due_at: Some(chrono::DateTime::UNIX_EPOCH),
            idempotency_key: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn line(id: i64, quantity: i64, printed: i64, spec: ProductionSpec) -> OrderLine {
        OrderLine {
            id: OrderLineId(id),
            order_id: OrderId(5),
            line_no: id,
            product_id: None,
            model_ref: Some("m".into()),
            description: "m".into(),
            material_id: MaterialId(9),
            colour: "red".into(),
            quantity: Quantity::new(quantity).unwrap(),
            unit_price: Money::new(100, Currency::EUR),
            production: spec,
            printed_count: printed,
            failed_count: 0,
        }
    }

    #[test]
    fn jobs_per_plate() {
        let spec = ProductionSpec {
            grams_per_unit: 12,
            print_minutes_per_unit: 45,
            copies_per_plate: 3,
        };
        let lines = [
            line(1, 7, 0, spec),
            line(
                2,
                2,
                0,
                ProductionSpec {
                    copies_per_plate: 1,
                    ..spec
                },
            ),
            line(3, 4, 4, spec),
        ];
        let jobs = plan_jobs(&order(), &lines).unwrap();
        let rendered: Vec<String> = jobs
            .iter()
            .map(|j| {
                format!(
                    "line {} plate {} attempt {}: {} copies, {} g, {} min, prio {}",
                    j.order_line_id, j.plate_no, j.attempt, j.copies, j.grams, j.est_minutes, j.priority
                )
            })
            .collect();
        expect_test::expect![[r#"
            line 1 plate 1 attempt 1: 3 copies, 36 g, 135 min, prio 3
            line 1 plate 2 attempt 1: 3 copies, 36 g, 135 min, prio 3
            line 1 plate 3 attempt 1: 1 copies, 12 g, 45 min, prio 3
            line 2 plate 1 attempt 1: 1 copies, 12 g, 45 min, prio 3
            line 2 plate 2 attempt 1: 1 copies, 12 g, 45 min, prio 3"#]]
        .assert_eq(&rendered.join("\n"));
        assert!(
            jobs.iter()
                .all(|j| j.material_id == MaterialId(9) && j.due_at == order().due_at)
        );

        let done = [line(1, 4, 4, spec)];
        assert_eq!(
            plan_jobs(&order(), &done).unwrap_err().code(),
            "JOB_NOTHING_TO_PRODUCE"
        );
        let huge = [line(
            1,
            2,
            0,
            ProductionSpec {
                grams_per_unit: i64::MAX,
                ..spec
            },
        )];
        assert_eq!(
            plan_jobs(&order(), &huge).unwrap_err(),
            ProductionError::Overflow { line: OrderLineId(1) }
        );
    }

    #[test]
    fn reprints() {
        // (attempt, max reprints, requeued automatically)
        let table = [
            (1, 0, false),
            (1, 1, true),
            (2, 1, false),
            (2, 2, true),
            (3, 2, false),
        ];
        for (attempt, max, expected) in table {
            assert_eq!(
                should_requeue(attempt, max),
                expected,
                "attempt {attempt}, max {max}"
            );
        }
    }

    #[test]
    fn progress_and_reasons() {
        for ok in [0, 50, 100] {
            assert_eq!(validate_progress(ok).unwrap(), ok);
        }
        for bad in [-1, 101] {
            assert_eq!(validate_progress(bad).unwrap_err().code(), "JOB_PROGRESS_INVALID");
        }
        assert_eq!(validate_reason("  nozzle clog ").unwrap(), "nozzle clog");
        assert_eq!(validate_reason("   ").unwrap_err().code(), "JOB_REASON_REQUIRED");
        assert_eq!(clean_note(&"x".repeat(NOTE_MAX + 5)).len(), NOTE_MAX);
    }
}
