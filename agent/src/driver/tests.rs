use super::*;

use crate::sim::{FailPolicy, SimPrinter};

fn assignment(job: i64, est_minutes: i64) -> JobAssignment {
    JobAssignment {
        job,
        order_id: 1,
        material: "PLA-BLK".into(),
        copies: 1,
        est_minutes,
        grams: 20,
        gcode_url: None,
    }
}

/// A simulated printer at 60× (one simulated minute per real second).
fn driver(fail: FailPolicy) -> Driver<SimPrinter> {
    Driver::new(
        SimPrinter::new(0, 60.0, fail, Some("PLA-BLK".into())),
        DriverConfig {
            auto_clear_ms: Some(2_000),
            progress_step: 25,
            poll_ms: None,
        },
        Outbox::new("t"),
    )
}

/// Acknowledges everything pending and returns it.
fn drain<B: PrinterBackend>(d: &mut Driver<B>) -> Vec<AgentMessage> {
    let msgs = d.outbox.pending_messages();
    for id in d.outbox.pending_ids() {
        d.outbox.ack(&id);
    }
    msgs
}

async fn run_until(d: &mut Driver<SimPrinter>, from: u64, to: u64) {
    let mut t = from;
    while t <= to {
        d.tick(t).await;
        t += 500;
    }
}

#[tokio::test]
async fn prints_a_job_reports_progress_then_clears_the_plate() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(5, 10),
        },
        0,
    )
    .await;
    assert_eq!(drain(&mut d), vec![AgentMessage::JobAccepted { job: 5 }]);
    // 10 simulated minutes = 10 real seconds.
    run_until(&mut d, 0, 9_500).await;
    assert_eq!(d.state(), AgentState::Printing);
    assert_eq!(
        drain(&mut d),
        vec![
            AgentMessage::JobStarted { job: 5 },
            AgentMessage::JobProgress {
                job: 5,
                progress_pct: 25
            },
            AgentMessage::JobProgress {
                job: 5,
                progress_pct: 50
            },
            AgentMessage::JobProgress {
                job: 5,
                progress_pct: 75
            },
        ]
    );
    d.tick(10_000).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::JobCompleted { job: 5 }]);
    assert_eq!(d.state(), AgentState::NeedsBedClearing);
    // A new job is refused while the plate holds the last one.
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(6, 10),
        },
        10_500,
    )
    .await;
    assert!(matches!(
        drain(&mut d)[..],
        [AgentMessage::JobRejected { job: 6, .. }]
    ));
    d.tick(11_900).await;
    assert!(drain(&mut d).is_empty(), "the operator needs 2 s");
    d.tick(12_000).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::BedCleared {}]);
    assert_eq!(d.state(), AgentState::Idle);
}

#[tokio::test]
async fn pause_freezes_the_print_and_resume_continues_it() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(1, 10),
        },
        0,
    )
    .await;
    d.tick(3_000).await;
    d.handle(ServerMessage::Pause { job: 1 }, 3_000).await;
    assert_eq!(d.state(), AgentState::Paused);
    d.tick(60_000).await;
    let (_, status) = d.status();
    assert!(status.contains(r#""progress_pct":30"#), "{status}");
    d.handle(ServerMessage::Resume { job: 1 }, 60_000).await;
    d.tick(66_000).await;
    assert_eq!(d.state(), AgentState::Printing, "7 s of printing in all, of 10");
    d.tick(67_000).await;
    let msgs = drain(&mut d);
    assert!(msgs.contains(&AgentMessage::Paused { job: 1 }), "{msgs:?}");
    assert!(msgs.contains(&AgentMessage::Resumed { job: 1 }), "{msgs:?}");
    assert_eq!(msgs.last(), Some(&AgentMessage::JobCompleted { job: 1 }));
    // Pause for a job the printer does not run: nothing happens.
    d.handle(ServerMessage::Pause { job: 99 }, 67_000).await;
    assert!(drain(&mut d).is_empty());
}

#[tokio::test]
async fn cancel_stops_the_print_without_completing_it() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(3, 10),
        },
        0,
    )
    .await;
    d.tick(4_000).await;
    drain(&mut d);
    d.handle(ServerMessage::Cancel { job: 3 }, 4_000).await;
    run_until(&mut d, 4_000, 30_000).await;
    assert_eq!(
        drain(&mut d),
        vec![AgentMessage::Cancelled { job: 3 }, AgentMessage::BedCleared {}]
    );
    // A cancel of a job the printer never had is confirmed too.
    d.handle(ServerMessage::Cancel { job: 8 }, 30_000).await;
    assert_eq!(drain(&mut d), vec![AgentMessage::Cancelled { job: 8 }]);
}

#[tokio::test]
async fn a_job_told_to_fail_fails_part_way_with_its_progress() {
    let mut d = driver(FailPolicy {
        jobs: [4].into(),
        ..FailPolicy::default()
    });
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(4, 10),
        },
        0,
    )
    .await;
    run_until(&mut d, 0, 10_000).await;
    let msgs = drain(&mut d);
    let Some(AgentMessage::JobFailed {
        job: 4,
        progress_pct: Some(p),
        reason,
    }) = msgs.iter().find(|m| matches!(m, AgentMessage::JobFailed { .. }))
    else {
        panic!("{msgs:?}");
    };
    assert_eq!(
        msgs.last(),
        Some(&AgentMessage::BedCleared {}),
        "the plate is cleared after a failure too"
    );
    assert!((10..90).contains(p) && reason.contains("simulated"), "{msgs:?}");
    assert!(!msgs.contains(&AgentMessage::JobCompleted { job: 4 }));
}

#[tokio::test]
async fn a_repeated_assignment_is_ignored_and_another_job_is_refused_while_busy() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(1, 10),
        },
        0,
    )
    .await;
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(1, 10),
        },
        100,
    )
    .await;
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(2, 10),
        },
        200,
    )
    .await;
    let msgs = drain(&mut d);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0], AgentMessage::JobAccepted { job: 1 });
    assert!(matches!(&msgs[1], AgentMessage::JobRejected { job: 2, reason } if reason.contains("job 1")));
}

#[tokio::test]
async fn after_a_reconnect_hello_says_where_the_printer_is_and_unacked_messages_go_again() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(9, 10),
        },
        0,
    )
    .await;
    assert_eq!(d.outbox.take_unsent().len(), 1);
    d.tick(2_500).await;
    d.tick(5_000).await;
    let sent = d.outbox.take_unsent();
    assert_eq!(sent.len(), 3, "started, 25 %, 50 %");
    // The server acknowledged only the acceptance, then the connection dropped.
    let accepted = d.outbox.pending_ids()[0].clone();
    d.handle(
        ServerMessage::Ack {
            id: accepted,
            duplicate: false,
        },
        5_000,
    )
    .await;
    d.outbox.connection_lost();
    let (_, hello) = d.hello();
    let hello: gantry_protocol::AgentEnvelope = serde_json::from_str(&hello).unwrap();
    let AgentMessage::Hello {
        state,
        current_job,
        progress_pct,
        loaded_material,
        ..
    } = hello.msg
    else {
        panic!("{hello:?}")
    };
    assert_eq!(
        (state, current_job, progress_pct, loaded_material.as_deref()),
        (AgentState::Printing, Some(9), Some(50), Some("PLA-BLK"))
    );
    let again = d.outbox.take_unsent();
    assert_eq!(again, sent, "same messages, same ids");
    // A message the server could not record (its database was away) stays in the outbox,
    // whatever the code's case of "not final" is, and is re-sent after the next reconnect.
    let first = d.outbox.pending_ids()[0].clone();
    for code in ["INTERNAL", "UNAVAILABLE"] {
        d.handle(
            ServerMessage::Error {
                id: Some(first.clone()),
                code: code.into(),
                message: "database error".into(),
            },
            5_000,
        )
        .await;
        assert!(d.outbox.pending_ids().contains(&first), "{code}");
    }
    d.outbox.connection_lost();
    assert_eq!(d.outbox.take_unsent(), sent, "re-sent after the reconnect");
    // A refused message is not sent forever.
    d.handle(
        ServerMessage::Error {
            id: Some(first.clone()),
            code: "BAD_PROGRESS".into(),
            message: "no".into(),
        },
        5_000,
    )
    .await;
    assert!(!d.outbox.pending_ids().contains(&first));
}

#[tokio::test]
async fn hello_after_a_print_ended_offline_names_the_job_and_how_far_it_got() {
    for (fail, want_pct) in [
        (FailPolicy::default(), 100),
        (
            FailPolicy {
                jobs: [2].into(),
                ..FailPolicy::default()
            },
            -1,
        ),
    ] {
        let mut d = Driver::new(
            SimPrinter::new(0, 60.0, fail, None),
            DriverConfig {
                auto_clear_ms: None,
                progress_step: 10,
                poll_ms: None,
            },
            Outbox::new("t"),
        );
        d.handle(
            ServerMessage::AssignJob {
                assignment: assignment(2, 10),
            },
            0,
        )
        .await;
        run_until(&mut d, 0, 20_000).await;
        let (_, hello) = d.hello();
        let hello: gantry_protocol::AgentEnvelope = serde_json::from_str(&hello).unwrap();
        let AgentMessage::Hello {
            state,
            current_job,
            progress_pct: Some(p),
            ..
        } = hello.msg
        else {
            panic!("{hello:?}")
        };
        assert_eq!((state, current_job), (AgentState::NeedsBedClearing, Some(2)));
        if want_pct == 100 {
            assert_eq!(p, 100);
        } else {
            assert!(p < 100, "a failed print reports where it stopped: {p}");
        }
    }
}

#[tokio::test]
async fn a_job_that_ended_while_offline_is_named_in_hello_and_not_printed_again() {
    let mut d = driver(FailPolicy::default());
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(7, 10),
        },
        0,
    )
    .await;
    let sent = d.outbox.take_unsent();
    let accepted = d.outbox.pending_ids()[0].clone();
    d.handle(
        ServerMessage::Ack {
            id: accepted,
            duplicate: false,
        },
        0,
    )
    .await;
    assert_eq!(sent.len(), 1);
    // The server is away: the print ends and the operator clears the plate.
    run_until(&mut d, 0, 13_000).await;
    assert_eq!(d.state(), AgentState::Idle);
    d.outbox.connection_lost();
    let (_, hello) = d.hello();
    assert!(
        hello.contains(r#""state":"idle","current_job":7,"progress_pct":100"#),
        "{hello}"
    );
    // The restarted server assigns the job again before it reads the completion: ignored.
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(7, 10),
        },
        13_000,
    )
    .await;
    assert_eq!(d.current_job(), None);
    let pending = d.outbox.pending_messages();
    assert!(
        !pending
            .iter()
            .any(|m| matches!(m, AgentMessage::JobAccepted { .. })),
        "{pending:?}"
    );
    // The server could not record the completion (database away): the job stays unsettled,
    // so the next hello still names it (else the server could fail it and print it again).
    for id in d.outbox.pending_ids() {
        d.handle(
            ServerMessage::Error {
                id: Some(id),
                code: "INTERNAL".into(),
                message: "database error".into(),
            },
            13_000,
        )
        .await;
    }
    d.outbox.connection_lost();
    let (_, hello) = d.hello();
    assert!(hello.contains(r#""current_job":7"#), "{hello}");
    // Once the completion is acknowledged the job is settled and no longer named.
    for id in d.outbox.pending_ids() {
        d.handle(ServerMessage::Ack { id, duplicate: false }, 13_000)
            .await;
    }
    let (_, hello) = d.hello();
    assert!(hello.contains(r#""current_job":null"#), "{hello}");
    // Even once settled, an assignment of a job printed here is not printed again (a
    // server that missed its start and end hands the same plate out once more).
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(7, 10),
        },
        13_000,
    )
    .await;
    assert_eq!(d.current_job(), None);
}

#[test]
fn the_failure_rate_is_honoured_and_reproducible() {
    let p = FailPolicy {
        rate: 0.3,
        seed: 7,
        ..FailPolicy::default()
    };
    let fails = (0..2000).filter(|j| p.fails_at(1, *j, 1).is_some()).count();
    assert!((500..700).contains(&fails), "{fails}");
    let again = (0..2000).filter(|j| p.fails_at(1, *j, 1).is_some()).count();
    assert_eq!(fails, again);
    let other_seed = FailPolicy { seed: 8, ..p.clone() };
    let differ = (0..200)
        .filter(|j| p.fails_at(1, *j, 1) != other_seed.fails_at(1, *j, 1))
        .count();
    assert!(differ > 20, "{differ}");
    assert_eq!(
        (0..100)
            .filter(|j| FailPolicy::default().fails_at(1, *j, 1).is_some())
            .count(),
        0
    );
}

/// A simulated printer that counts its polls and asks for them at most every 1,000 ms, as the
/// HTTP backends do.
struct Counted {
    sim: SimPrinter,
    polls: usize,
}

impl PrinterBackend for Counted {
    fn name(&self) -> &'static str {
        "counted"
    }
    async fn start(&mut self, job: &JobAssignment, now_ms: u64) -> Result<(), BackendError> {
        self.sim.start(job, now_ms).await
    }
    async fn pause(&mut self, now_ms: u64) -> Result<(), BackendError> {
        self.sim.pause(now_ms).await
    }
    async fn resume(&mut self, now_ms: u64) -> Result<(), BackendError> {
        self.sim.resume(now_ms).await
    }
    async fn cancel(&mut self, now_ms: u64) -> Result<(), BackendError> {
        self.sim.cancel(now_ms).await
    }
    fn clear(&mut self) {
        self.sim.clear()
    }
    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        self.polls += 1;
        self.sim.poll(now_ms).await
    }
    fn poll_every_ms(&self) -> u64 {
        1_000
    }
}

#[tokio::test]
async fn a_printer_polled_over_http_is_asked_once_a_second_and_at_once_after_a_command() {
    let counted = |poll_ms| {
        Driver::new(
            Counted {
                sim: SimPrinter::new(0, 60.0, FailPolicy::default(), None),
                polls: 0,
            },
            DriverConfig {
                auto_clear_ms: None,
                progress_step: 10,
                poll_ms,
            },
            Outbox::new("t"),
        )
    };
    let mut d = counted(None);
    for t in (0..=3_000).step_by(200) {
        d.tick(t).await;
    }
    // 16 ticks of 200 ms: polls at 0, 1000, 2000 and 3000 ms only.
    assert_eq!(d.backend().polls, 4);
    d.handle(
        ServerMessage::AssignJob {
            assignment: assignment(5, 10),
        },
        3_100,
    )
    .await;
    d.tick(3_200).await;
    assert_eq!(d.backend().polls, 5, "a command makes the next tick poll");
    assert_eq!(drain(&mut d).first(), Some(&AgentMessage::JobAccepted { job: 5 }));
    d.tick(3_400).await;
    assert_eq!(d.backend().polls, 5);
    // The agent's --poll-ms overrides the backend's interval (0: every tick).
    let mut every_tick = counted(Some(0));
    for t in (0..=3_000).step_by(200) {
        every_tick.tick(t).await;
    }
    assert_eq!(every_tick.backend().polls, 16);
}
