use super::*;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::equipment::PrinterStatus;
use crate::production::{Job, JobState};
use crate::protocol::AgentState;
use crate::types::{JobId, MaterialId, OrderId, OrderLineId, PrinterId};

use PrinterStatus as S;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
}

#[test]
fn only_progress_of_the_current_job_is_applied() {
    let (a, b) = (JobId(1), JobId(2));
    let cases = [
        (Some(a), a, true),
        (Some(a), b, false),
        (None, a, false), // the job ended (e.g. settled by the hello): a stale report
    ];
    for (current, reported, want) in cases {
        assert_eq!(
            progress_applies(current, reported),
            want,
            "{current:?} {reported:?}"
        );
    }
}

#[test]
fn status_paths_follow_the_machine() {
    let cases: [(S, S, &[S]); 6] = [
        (S::Idle, S::Idle, &[]),
        (S::Idle, S::Printing, &[S::Printing]),
        (S::Printing, S::Idle, &[S::NeedsBedClearing, S::Idle]),
        (S::Offline, S::Printing, &[S::Idle, S::Printing]),
        (S::Maintenance, S::Paused, &[S::Idle, S::Printing, S::Paused]),
        (S::Paused, S::Offline, &[S::Offline]),
    ];
    for (from, to, want) in cases {
        let path = status_path(from, to).unwrap();
        assert_eq!(path, want, "{from} -> {to}");
        let mut cur = from;
        for s in path {
            assert!(cur.can_transition(s), "{cur} -> {s}");
            cur = s;
        }
    }
    for from in S::ALL {
        for to in S::ALL {
            assert!(status_path(from, to).is_some(), "{from} -> {to}");
        }
    }
}

#[test]
fn target_status_keeps_maintenance_and_skips_no_ops() {
    let cases = [
        (S::Idle, AgentState::Idle, None),
        (S::Idle, AgentState::Printing, Some(S::Printing)),
        (S::Maintenance, AgentState::Idle, None),
        (S::Maintenance, AgentState::Error, Some(S::Error)),
        (S::Offline, AgentState::Idle, Some(S::Idle)),
        (
            S::Printing,
            AgentState::NeedsBedClearing,
            Some(S::NeedsBedClearing),
        ),
    ];
    for (stored, reported, want) in cases {
        assert_eq!(target_status(stored, reported), want, "{stored} {reported:?}");
    }
}

#[test]
fn status_reports_do_not_end_jobs() {
    let cases = [
        (S::Printing, AgentState::Idle, true, None),
        (S::Printing, AgentState::Idle, false, Some(S::Idle)),
        (S::Printing, AgentState::Paused, true, Some(S::Paused)),
        (S::Printing, AgentState::Error, true, Some(S::Error)),
        (S::NeedsBedClearing, AgentState::Idle, false, Some(S::Idle)),
    ];
    for (stored, reported, job, want) in cases {
        assert_eq!(
            status_report_target(stored, reported, job),
            want,
            "{stored} {reported:?} {job}"
        );
    }
    let cases = [
        (S::NeedsBedClearing, Effect::Apply { reschedule: false }),
        (S::Idle, Effect::AlreadyApplied),
        (S::Maintenance, Effect::AlreadyApplied),
    ];
    for (stored, want) in cases {
        assert_eq!(bed_cleared_effect(stored), want, "{stored}");
    }
    assert!(matches!(bed_cleared_effect(S::Printing), Effect::Refuse(_)));
}

#[test]
fn heartbeat_expiry_after_three_missed() {
    // (seconds since last seen, heartbeat secs, expired)
    let cases = [
        (0, 10, false),
        (29, 10, false),
        (30, 10, false),
        (31, 10, true),
        (4, 1, true),
    ];
    for (ago, hb, want) in cases {
        assert_eq!(heartbeat_expired(t(0), t(ago), hb), want, "{ago} {hb}");
    }
}

fn job(id: i64, state: JobState, printer: Option<i64>, start: i64, priority: i64) -> Job {
    Job {
        id: JobId(id),
        order_id: OrderId(1),
        order_line_id: OrderLineId(1),
        plate_no: 1,
        attempt: 1,
        retry_of: None,
        copies: 1,
        material_id: MaterialId(1),
        grams: 10,
        est_minutes: 10,
        state,
        printer_id: printer.map(PrinterId),
        priority,
        due_at: None,
        planned_start: Some(t(start)),
        started_at: None,
        finished_at: None,
        progress_pct: 0,
        failure_reason: None,
        created_at: t(0),
        updated_at: t(0),
    }
}

#[test]
fn ready_printer_takes_its_earliest_planned_job() {
    let jobs = [
        job(1, JobState::Scheduled, Some(1), 60, 0),
        job(2, JobState::Scheduled, Some(1), 0, 0),
        job(3, JobState::Scheduled, Some(2), 0, 0),
        job(4, JobState::Queued, None, 0, 9),
        job(5, JobState::Scheduled, Some(1), 0, 5),
    ];
    let none = BTreeSet::new();
    // (printer, in flight, expected)
    let cases: [(i64, &[i64], Option<i64>); 5] = [
        (1, &[], Some(5)),
        (1, &[5], Some(2)),
        (1, &[5, 2], Some(1)),
        (1, &[5, 2, 1], None),
        (3, &[], None),
    ];
    for (p, flight, want) in cases {
        let flight: BTreeSet<JobId> = flight.iter().copied().map(JobId).collect();
        assert_eq!(
            next_job(PrinterId(p), &jobs, &flight),
            want.map(JobId),
            "{p} {flight:?}"
        );
    }
    assert_eq!(next_job(PrinterId(2), &jobs, &none), Some(JobId(3)));
    assert!(is_ready(S::Idle, true, None, None));
    assert!(!is_ready(S::Idle, false, None, None));
    assert!(!is_ready(S::NeedsBedClearing, true, None, None));
    assert!(!is_ready(S::Idle, true, None, Some(JobId(1))));
    assert!(!is_ready(S::Idle, true, Some(JobId(1)), None));
}

fn view(id: i64, state: JobState, printer: Option<i64>, pct: i64) -> JobView {
    JobView {
        id: JobId(id),
        state,
        printer_id: printer.map(PrinterId),
        progress_pct: pct,
    }
}

#[test]
fn job_messages_apply_once() {
    use Effect::*;
    use JobReport as R;
    use JobState::*;
    let me = PrinterId(1);
    let ok = Apply { reschedule: false };
    // (job state, job's printer, report, expected; "refuse" for a refusal)
    let cases: Vec<(JobState, Option<i64>, JobReport, Option<Effect>)> = vec![
        (Scheduled, Some(1), R::Started, Some(ok.clone())),
        (Scheduled, Some(2), R::Started, Some(Apply { reschedule: true })),
        (Queued, None, R::Started, Some(Apply { reschedule: true })),
        (Printing, Some(1), R::Started, Some(AlreadyApplied)),
        (Printing, Some(2), R::Started, None),
        (Printing, Some(1), R::Progress(50), Some(ok.clone())),
        (Printing, Some(1), R::Progress(10), Some(AlreadyApplied)),
        (Done, Some(1), R::Progress(100), Some(AlreadyApplied)),
        (Scheduled, Some(1), R::Progress(5), None),
        (Printing, Some(1), R::Completed, Some(ok.clone())),
        (Done, Some(1), R::Completed, Some(AlreadyApplied)),
        (Scheduled, Some(1), R::Completed, None),
        (Printing, Some(1), R::Failed, Some(ok.clone())),
        (Requeued, Some(1), R::Failed, Some(AlreadyApplied)),
        (Done, Some(1), R::Failed, None),
        (Scheduled, Some(1), R::Accepted, Some(Nothing)),
        (Scheduled, Some(2), R::Accepted, None),
        (Done, Some(1), R::Accepted, Some(AlreadyApplied)),
        (Requeued, Some(1), R::Accepted, Some(AlreadyApplied)),
        (Done, Some(2), R::Accepted, None),
        (Scheduled, Some(1), R::Rejected, Some(ok.clone())),
        (Queued, None, R::Rejected, Some(AlreadyApplied)),
        (Printing, Some(1), R::Paused, Some(ok.clone())),
        (Done, Some(1), R::Resumed, None),
        (Printing, Some(1), R::Cancelled, Some(ok)),
        (Cancelled, Some(1), R::Cancelled, Some(AlreadyApplied)),
    ];
    for (state, printer, report, want) in cases {
        let got = job_message_effect(me, &view(7, state, printer, 20), report);
        match want {
            Some(w) => assert_eq!(got, w, "{state} {printer:?} {report:?}"),
            None => assert!(
                matches!(got, Refuse(_)),
                "{state} {printer:?} {report:?}: {got:?}"
            ),
        }
    }
}

#[test]
fn hello_reconciliation() {
    use AgentState as A;
    use HelloAction as H;
    use JobState::*;
    let me = PrinterId(1);
    let j = JobId(7);
    // (named job, printing here, agent state, progress, expected)
    type Case = (
        Option<JobView>,
        Vec<JobView>,
        AgentState,
        Option<i64>,
        Vec<HelloAction>,
    );
    let cases: Vec<Case> = vec![
        // resumes: progress forward only
        (
            Some(view(7, Printing, Some(1), 40)),
            vec![view(7, Printing, Some(1), 40)],
            A::Printing,
            Some(55),
            vec![H::Progress { job: j, pct: 55 }],
        ),
        (
            Some(view(7, Printing, Some(1), 40)),
            vec![view(7, Printing, Some(1), 40)],
            A::Printing,
            Some(30),
            vec![],
        ),
        // finished while the server was down: completed once
        (
            Some(view(7, Printing, Some(1), 90)),
            vec![view(7, Printing, Some(1), 90)],
            A::NeedsBedClearing,
            Some(100),
            vec![H::Complete { job: j }],
        ),
        (
            Some(view(7, Done, Some(1), 100)),
            vec![],
            A::NeedsBedClearing,
            Some(100),
            vec![],
        ),
        // started while the start message was lost
        (
            Some(view(7, Scheduled, Some(1), 0)),
            vec![],
            A::Printing,
            Some(12),
            vec![
                H::Start {
                    job: j,
                    reschedule: false,
                },
                H::Progress { job: j, pct: 12 },
            ],
        ),
        (
            Some(view(7, Scheduled, Some(2), 0)),
            vec![],
            A::NeedsBedClearing,
            Some(100),
            vec![
                H::Start {
                    job: j,
                    reschedule: true,
                },
                H::Complete { job: j },
            ],
        ),
        (
            Some(view(7, Scheduled, Some(1), 0)),
            vec![],
            A::Idle,
            None,
            vec![],
        ),
        // stopped or errored while disconnected
        (
            Some(view(7, Printing, Some(1), 40)),
            vec![view(7, Printing, Some(1), 40)],
            A::Error,
            Some(45),
            vec![H::Fail {
                job: j,
                reason: "printer error while the agent was disconnected".into(),
                progress_pct: 45,
            }],
        ),
        (
            Some(view(7, Printing, Some(1), 40)),
            vec![view(7, Printing, Some(1), 40)],
            A::Idle,
            Some(40),
            vec![H::Fail {
                job: j,
                reason: "print stopped at 40% while the agent was disconnected".into(),
                progress_pct: 40,
            }],
        ),
        // started and stopped part-way while the server was away (start and end lost)
        (
            Some(view(7, Scheduled, Some(1), 0)),
            vec![],
            A::NeedsBedClearing,
            Some(12),
            vec![
                H::Start {
                    job: j,
                    reschedule: false,
                },
                H::Fail {
                    job: j,
                    reason: "print stopped at 12% while the agent was disconnected".into(),
                    progress_pct: 12,
                },
            ],
        ),
        // handed out, never started: the plan keeps it
        (
            Some(view(7, Scheduled, Some(1), 0)),
            vec![],
            A::Idle,
            Some(0),
            vec![],
        ),
        // the agent forgot a job it was printing
        (
            None,
            vec![view(8, Printing, Some(1), 30)],
            A::Idle,
            None,
            vec![H::Fail {
                job: JobId(8),
                reason: "the printer's agent no longer reports this job after reconnecting".into(),
                progress_pct: 30,
            }],
        ),
        // a job printing on another printer is not touched
        (
            Some(view(7, Printing, Some(2), 40)),
            vec![],
            A::Printing,
            Some(50),
            vec![],
        ),
    ];
    for (named, here, state, pct, want) in cases {
        assert_eq!(
            reconcile_hello(me, named.as_ref(), &here, state, pct),
            want,
            "{named:?} {state:?} {pct:?}"
        );
    }
}

#[test]
fn jobs_without_stock_are_held_in_priority_order() {
    let need = |job: i64, grams: i64, priority: i64| StockNeed {
        job: JobId(job),
        material_id: MaterialId(1),
        material_code: "PLA-BLK".into(),
        grams,
        priority,
        due_at: None,
    };
    let avail = BTreeMap::from([(MaterialId(1), 100)]);
    let held = hold_for_stock(&[need(1, 60, 0), need(2, 60, 5), need(3, 40, 0)], &avail);
    assert_eq!(
        held,
        vec![(
            JobId(1),
            "material PLA-BLK not in stock: needs 60 g, 40 g available".to_string()
        )]
    );
    let none = hold_for_stock(&[need(1, 10, 0)], &BTreeMap::new());
    assert_eq!(none.len(), 1);
    assert!(hold_for_stock(&[need(1, 100, 0)], &avail).is_empty());
}

#[test]
fn partial_use_rounds_up() {
    for (grams, pct, want) in [
        (40, 0, 0),
        (40, 50, 20),
        (40, 1, 1),
        (40, 100, 40),
        (3, 33, 1),
        (40, 150, 40),
    ] {
        assert_eq!(partial_grams(grams, pct), want, "{grams} {pct}");
    }
}

#[test]
fn a_burst_of_requests_is_one_solve() {
    use DebounceAction::*;
    let mut d = Debouncer::default();
    // (step, expected)
    assert_eq!(d.request(0, 200), ArmAt(200));
    assert_eq!(d.request(50, 200), Wait);
    assert_eq!(d.request(199, 200), Wait);
    assert_eq!(d.fire(), Solve);
    assert_eq!(d.fire(), Wait, "a second timer does not solve twice");
    assert_eq!(d.request(300, 200), Wait, "during the solve");
    assert_eq!(d.request(310, 200), Wait);
    assert_eq!(
        d.done(400, 200),
        ArmAt(600),
        "one more solve for requests during the solve"
    );
    assert_eq!(d.fire(), Solve);
    assert_eq!(d.done(700, 200), Wait);
    assert_eq!(d.request(800, 200), ArmAt(1000));
    d.begin_now();
    assert_eq!(d.fire(), Wait, "a direct solve absorbs the armed timer");
    assert!(d.is_solving());
    assert_eq!(d.done(900, 200), Wait);
}
