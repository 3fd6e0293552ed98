//! The live farm end to end at the actor level: a fresh database and a fresh actix `System`
//! per test (no actor outlives its test), a probe actor standing in for an agent's
//! connection, and assertions on what is committed to SQL and what is sent to the agent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;
use gantry_actors::messages::{Attach, CheckHeartbeat, Crash, FromAgent, Snapshot, ToAgent};
use gantry_actors::printer::PrinterActor;
use gantry_actors::{EventBus, Farm, FarmConfig};
use gantry_app::events::{RELAY_POLL, spawn_relay};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::events::Event;
use gantry_engine::domain::inventory::ReservationState;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::production::{JobState, job_key};
use gantry_engine::domain::protocol::{
    AgentEnvelope, AgentMessage, AgentState, JobAssignment, ServerMessage,
};
use gantry_engine::domain::types::{JobId, PrinterId};
use gantry_engine::store::live::testing::{self, Fixture};
use gantry_engine::store::testing::TestDb;
use gantry_engine::store::{Backend, Db, equipment, inventory, live, orders, production};
use tokio::sync::mpsc;

/// Runs `body` on a fresh database of each backend, each in its own actix system.
macro_rules! farm_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: &Db) $body

            #[actix::test]
            async fn sqlite() {
                let t = TestDb::new(Backend::Sqlite).await.unwrap();
                run(&t.db).await;
                t.cleanup().await;
            }

            #[actix::test]
            async fn postgres() {
                let t = TestDb::new(Backend::Postgres).await.unwrap();
                run(&t.db).await;
                t.cleanup().await;
            }
        }
    };
}

const WAIT: Duration = Duration::from_secs(20);

fn cfg(max_reprints: u32) -> FarmConfig {
    FarmConfig {
        max_reprints,
        heartbeat_secs: 10,
        replan_debounce_ms: 20,
        solve_seconds: 0.2,
        ..FarmConfig::default()
    }
}

/// Stands in for an agent's WebSocket: what the farm sends arrives on a channel.
struct Probe(mpsc::UnboundedSender<ToAgent>);

impl Actor for Probe {
    type Context = Context<Self>;
}

impl Handler<ToAgent> for Probe {
    type Result = ();
    fn handle(&mut self, msg: ToAgent, _: &mut Context<Self>) {
        let _ = self.0.send(msg);
    }
}

struct Agent {
    printer: Addr<PrinterActor>,
    conn_id: u64,
    rx: mpsc::UnboundedReceiver<ToAgent>,
    next: u64,
}

impl Agent {
    /// Connects with a `hello` and waits for the welcome.
    async fn connect(
        farm: &Farm,
        printer: PrinterId,
        conn_id: u64,
        state: AgentState,
        job: Option<JobId>,
        pct: Option<i64>,
    ) -> Agent {
        let (tx, rx) = mpsc::unbounded_channel();
        let probe = Probe(tx).start();
        let addr = farm.printer(printer).await.unwrap();
        let mut a = Agent {
            printer: addr,
            conn_id,
            rx,
            next: 0,
        };
        let hello = a.envelope(AgentMessage::Hello {
            agent: "test".into(),
            capabilities: vec![],
            loaded_material: None,
            state,
            current_job: job.map(|j| j.0),
            progress_pct: pct,
        });
        a.printer.do_send(Attach {
            conn_id,
            conn: probe.recipient(),
            hello,
        });
        a.expect(|m| matches!(m, ToAgent::Send(ServerMessage::Welcome { .. })))
            .await;
        a
    }

    fn envelope(&mut self, msg: AgentMessage) -> AgentEnvelope {
        self.next += 1;
        AgentEnvelope {
            v: 1,
            id: format!("c{}-{}", self.conn_id, self.next),
            msg,
        }
    }

    /// Sends a message with a given id.
    fn send_as(&self, id: &str, msg: AgentMessage) {
        self.printer.do_send(FromAgent {
            conn_id: self.conn_id,
            env: AgentEnvelope {
                v: 1,
                id: id.into(),
                msg,
            },
        });
    }

    /// Sends and waits for its ack; returns `duplicate`.
    async fn call(&mut self, msg: AgentMessage) -> bool {
        let env = self.envelope(msg);
        let id = env.id.clone();
        self.call_as(&id, env.msg).await
    }

    async fn call_as(&mut self, id: &str, msg: AgentMessage) -> bool {
        self.send_as(id, msg);
        let want = id.to_string();
        match self
            .expect(|m| {
                matches!(m, ToAgent::Send(ServerMessage::Ack { id, .. }) if *id == want)
                    || matches!(m, ToAgent::Send(ServerMessage::Error { id: Some(id), .. }) if *id == want)
            })
            .await
        {
            ToAgent::Send(ServerMessage::Ack { duplicate, .. }) => duplicate,
            other => panic!("refused: {other:?}"),
        }
    }

    async fn expect(&mut self, want: impl Fn(&ToAgent) -> bool) -> ToAgent {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(m)) if want(&m) => return m,
                Ok(Some(_)) => {}
                Ok(None) => panic!("connection dropped"),
                Err(_) => panic!("timed out waiting for a message"),
            }
        }
    }

    async fn assignment(&mut self) -> JobAssignment {
        match self
            .expect(|m| matches!(m, ToAgent::Send(ServerMessage::AssignJob { .. })))
            .await
        {
            ToAgent::Send(ServerMessage::AssignJob { assignment }) => assignment,
            _ => unreachable!(),
        }
    }

    /// Prints the assigned job to the end and clears the plate.
    async fn print(&mut self, job: i64) {
        assert!(!self.call(AgentMessage::JobAccepted { job }).await);
        assert!(!self.call(AgentMessage::JobStarted { job }).await);
        assert!(
            !self
                .call(AgentMessage::JobProgress {
                    job,
                    progress_pct: 50
                })
                .await
        );
        assert!(!self.call(AgentMessage::JobCompleted { job }).await);
    }
}

async fn job(db: &Db, id: JobId) -> gantry_engine::domain::production::Job {
    let mut c = db.pool().acquire().await.unwrap();
    production::get_job(&mut c, id).await.unwrap()
}

async fn stock(db: &Db, fx: &Fixture) -> (i64, i64) {
    let mut c = db.pool().acquire().await.unwrap();
    let l = inventory::stock_level(&mut c, fx.material).await.unwrap();
    (l.on_hand, l.reserved)
}

async fn wait_for(mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

farm_test!(plan_dispatch_print_and_order_ready, |db| {
    let fx = testing::farm(db, Utc::now(), 1, 1000, 2).await.unwrap();
    let bus = EventBus::new(4096);
    let mut events = bus.subscribe();
    // The outbox relay (as `gantry serve` runs it) delivers what the farm commits.
    let _relay = spawn_relay(db.clone(), bus.clone(), RELAY_POLL);
    let farm = Farm::start(db.clone(), bus, cfg(2));
    let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;

    // The first plan is persisted with reservations, and the ready printer gets a job.
    let first = agent.assignment().await;
    assert_eq!(
        (first.order_id, first.material.as_str(), first.grams),
        (fx.order.0, "PLA-BLK", 10)
    );
    assert_eq!(stock(db, &fx).await, (1000, 20));
    agent.print(first.job).await;
    let done = job(db, JobId(first.job)).await;
    assert_eq!((done.state, done.progress_pct), (JobState::Done, 100));
    // Material consumed, the printer waits for a cleared plate.
    assert_eq!(stock(db, &fx).await, (990, 10));
    let snap = agent.printer.send(Snapshot).await.unwrap();
    assert_eq!(
        (snap.status, snap.current_job),
        (PrinterStatus::NeedsBedClearing, None)
    );

    // Clearing the plate hands it the next job from the plan.
    assert!(!agent.call(AgentMessage::BedCleared {}).await);
    let second = agent.assignment().await;
    assert_ne!(second.job, first.job);
    agent.print(second.job).await;
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(
        (order.order.status, order.lines[0].printed_count),
        (OrderStatus::Ready, 2)
    );
    drop(c);
    assert_eq!(stock(db, &fx).await, (980, 0));
    // Subscribers heard the plan and the order, from the committed events.
    let (mut plan, mut ready) = (false, false);
    while !(plan && ready) {
        let e = tokio::time::timeout(WAIT, events.recv()).await.unwrap().unwrap();
        match &e.event {
            Event::Plan(_) => plan = true,
            Event::Order(o) if o.to == OrderStatus::Ready => ready = o.order_id == fx.order.0,
            _ => {}
        }
    }
    farm.stop().await;
});

farm_test!(
    a_job_handed_to_a_printer_set_to_maintenance_goes_to_another,
    |db| {
        // Two printers, one plate: whichever is handed it goes into maintenance by hand (without
        // ever starting it); the job must come back and go to the other printer.
        let fx = testing::farm(db, Utc::now(), 2, 1000, 1).await.unwrap();
        let bus = EventBus::new(4096);
        let _relay = spawn_relay(db.clone(), bus.clone(), RELAY_POLL);
        let farm = Farm::start(db.clone(), bus, cfg(2));
        let mut a = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
        let mut b = Agent::connect(&farm, fx.printers[1], 2, AgentState::Idle, None, None).await;
        let (holder, handed, other) = tokio::select! {
            j = a.assignment() => (fx.printers[0], j, &mut b),
            j = b.assignment() => (fx.printers[1], j, &mut a),
        };
        let change = gantry_app::equipment::set_status(db, Utc::now(), holder, PrinterStatus::Maintenance)
            .await
            .unwrap();
        assert_eq!(change.released.map(|j| j.id), Some(JobId(handed.job)));
        farm.status_set(holder, PrinterStatus::Maintenance).await;
        let again = other.assignment().await;
        assert_eq!(again.job, handed.job);
        farm.stop().await;
    }
);

farm_test!(repeated_message_ids_are_counted_once, |db| {
    let fx = testing::farm(db, Utc::now(), 1, 1000, 2).await.unwrap();
    let farm = Farm::start(db.clone(), EventBus::default(), cfg(2));
    let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
    let a = agent.assignment().await;
    assert!(
        !agent
            .call_as("s-1", AgentMessage::JobStarted { job: a.job })
            .await
    );
    assert!(
        !agent
            .call_as("d-1", AgentMessage::JobCompleted { job: a.job })
            .await
    );
    // The same id again (a resend after a reconnect): acknowledged as a duplicate.
    assert!(
        agent
            .call_as("d-1", AgentMessage::JobCompleted { job: a.job })
            .await
    );
    assert!(
        agent
            .call_as("s-1", AgentMessage::JobStarted { job: a.job })
            .await
    );
    // A new id for a message already applied: acknowledged, nothing applied twice.
    assert!(
        !agent
            .call_as("d-2", AgentMessage::JobCompleted { job: a.job })
            .await
    );
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(order.lines[0].printed_count, 1);
    let movements = inventory::movements_for_job(&mut c, &job_key(JobId(a.job)))
        .await
        .unwrap();
    assert_eq!(movements.len(), 1);
    farm.stop().await;
});

farm_test!(a_burst_of_queue_changes_is_one_solve, |db| {
    testing::farm(db, Utc::now(), 1, 1000, 1).await.unwrap();
    let bus = EventBus::new(4096);
    let farm = Farm::start(
        db.clone(),
        bus.clone(),
        FarmConfig {
            replan_debounce_ms: 300,
            ..cfg(2)
        },
    );
    wait_for(async || farm.plan_revision() == 1).await;
    for _ in 0..25 {
        farm.request_replan();
    }
    wait_for(async || farm.plan_revision() >= 2).await;
    // Well past the window: no further solve was caused by the burst.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(farm.plan_revision(), 2);
    farm.stop().await;
});

farm_test!(actors_are_restarted_and_rebuilt_from_sql, |db| {
    let fx = testing::farm(db, Utc::now(), 1, 1000, 2).await.unwrap();
    let farm = Farm::start(db.clone(), EventBus::default(), cfg(2));
    let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
    let a = agent.assignment().await;
    assert!(!agent.call(AgentMessage::JobStarted { job: a.job }).await);
    assert!(
        !agent
            .call(AgentMessage::JobProgress {
                job: a.job,
                progress_pct: 40
            })
            .await
    );
    // A crashed printer actor is restarted by its supervisor and reloads its state.
    agent.printer.do_send(Crash);
    wait_for(async || agent.printer.send(Snapshot).await.is_ok_and(|s| s.starts == 2)).await;
    let snap = agent.printer.send(Snapshot).await.unwrap();
    assert_eq!(
        (snap.status, snap.current_job, snap.progress_pct, snap.connected),
        (PrinterStatus::Printing, Some(JobId(a.job)), 40, true)
    );
    // The whole farm stops (as a server restart) and a new one rebuilds from SQL; the agent,
    // which finished the job meanwhile, reconnects and the job is completed once.
    farm.stop().await;
    let farm = Farm::start(db.clone(), EventBus::default(), cfg(2));
    let addr = farm.printer(fx.printers[0]).await.unwrap();
    wait_for(async || {
        addr.send(Snapshot)
            .await
            .is_ok_and(|s| s.current_job == Some(JobId(a.job)))
    })
    .await;
    // Connection 3 repeats the same hello (another reconnect): nothing is counted twice.
    for conn in [2, 3] {
        let _agent = Agent::connect(
            &farm,
            fx.printers[0],
            conn,
            AgentState::NeedsBedClearing,
            Some(JobId(a.job)),
            Some(100),
        )
        .await;
        wait_for(async || job(db, JobId(a.job)).await.state == JobState::Done).await;
    }
    let mut c = db.pool().acquire().await.unwrap();
    let order = orders::get_order_with_lines(&mut c, fx.order).await.unwrap();
    assert_eq!(order.lines[0].printed_count, 1);
    assert_eq!(stock(db, &fx).await.0, 990);
    farm.stop().await;
});

farm_test!(missed_heartbeats_mark_offline_and_replan, |db| {
    let fx = testing::farm(db, Utc::now(), 2, 1000, 3).await.unwrap();
    let farm = Farm::start(db.clone(), EventBus::default(), cfg(2));
    let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
    let handed = agent.assignment().await.job;
    let before = farm.plan_revision();
    // Time passes beyond three heartbeats without a word from the agent.
    let later = Utc::now() + chrono::Duration::seconds(31);
    agent.printer.do_send(CheckHeartbeat { now: later });
    agent
        .expect(|m| matches!(m, ToAgent::Close { code: 4004, .. }))
        .await;
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(
        equipment::get_printer(&mut c, fx.printers[0])
            .await
            .unwrap()
            .status,
        PrinterStatus::Offline
    );
    drop(c);
    // Its future work is re-planned onto the other printer. The job handed to it stays (the
    // printer may be printing it): it is handed to nobody else.
    wait_for(async || farm.plan_revision() > before).await;
    let mut c = db.pool().acquire().await.unwrap();
    let filter = production::JobFilter {
        state: Some(JobState::Scheduled),
        printer_id: Some(fx.printers[0]),
        ..Default::default()
    };
    wait_for(async || {
        production::list_jobs(&mut c, &filter)
            .await
            .unwrap()
            .iter()
            .map(|j| j.id.0)
            .collect::<Vec<_>>()
            == vec![handed]
    })
    .await;
    drop(c);
    let mut other = Agent::connect(&farm, fx.printers[1], 2, AgentState::Idle, None, None).await;
    let next = other.assignment().await.job;
    assert_ne!(
        next, handed,
        "the job handed to the offline printer went to another"
    );
    farm.stop().await;
});

farm_test!(stock_is_reserved_consumed_released_and_partially_used, |db| {
    // 25 g: two of the three 10 g jobs can be planned; the third is held with the reason.
    let fx = testing::farm(db, Utc::now(), 1, 25, 3).await.unwrap();
    let farm = Farm::start(db.clone(), EventBus::default(), cfg(0));
    let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
    let a = agent.assignment().await;
    assert_eq!(stock(db, &fx).await, (25, 20));
    let mut c = db.pool().acquire().await.unwrap();
    let holds = live::list_holds(&mut c).await.unwrap();
    assert_eq!(holds.len(), 1);
    assert!(
        holds[0].reason.contains("PLA-BLK not in stock"),
        "{}",
        holds[0].reason
    );
    drop(c);
    // Rejected: back to the queue, material released, and never handed to this printer again:
    // the only printer refused it, so it is held with the reason.
    assert!(
        !agent
            .call(AgentMessage::JobRejected {
                job: a.job,
                reason: "nozzle clogged".into()
            })
            .await
    );
    let b = agent.assignment().await;
    assert_ne!(
        b.job, a.job,
        "a rejected job was handed to the same printer again"
    );
    let mut c = db.pool().acquire().await.unwrap();
    wait_for(async || {
        live::list_holds(&mut c)
            .await
            .unwrap()
            .iter()
            .any(|h| h.job_id == JobId(a.job) && h.reason.contains("nozzle clogged"))
    })
    .await;
    drop(c);
    // Failed at 30 %: 3 g used, the rest released; no reprint (limit 0), the order flagged.
    assert!(!agent.call(AgentMessage::JobStarted { job: b.job }).await);
    assert!(
        !agent
            .call(AgentMessage::JobFailed {
                job: b.job,
                reason: "adhesion".into(),
                progress_pct: Some(30)
            })
            .await
    );
    let mut c = db.pool().acquire().await.unwrap();
    let r = inventory::get_reservation(&mut c, &job_key(JobId(b.job)), fx.material)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.state, r.consumed_grams.get()), (ReservationState::Consumed, 3));
    assert!(live::order_flag(&mut c, fx.order).await.unwrap().is_some());
    drop(c);
    assert_eq!(job(db, JobId(b.job)).await.state, JobState::Failed);
    // A completion consumes the job's grams.
    assert!(!agent.call(AgentMessage::BedCleared {}).await);
    let next = agent.assignment().await;
    agent.print(next.job).await;
    let (on_hand, _) = stock(db, &fx).await;
    assert_eq!(on_hand, 25 - 3 - 10);
    farm.stop().await;
});

farm_test!(
    failures_are_reprinted_up_to_the_limit_then_the_order_is_flagged,
    |db| {
        let fx = testing::farm(db, Utc::now(), 1, 1000, 1).await.unwrap();
        let farm = Farm::start(db.clone(), EventBus::default(), cfg(2));
        let mut agent = Agent::connect(&farm, fx.printers[0], 1, AgentState::Idle, None, None).await;
        let mut attempts = Vec::new();
        for _ in 0..3 {
            let a = agent.assignment().await;
            attempts.push(job(db, JobId(a.job)).await.attempt);
            assert!(!agent.call(AgentMessage::JobStarted { job: a.job }).await);
            assert!(
                !agent
                    .call(AgentMessage::JobFailed {
                        job: a.job,
                        reason: "spaghetti".into(),
                        progress_pct: Some(10)
                    })
                    .await
            );
            assert!(!agent.call(AgentMessage::BedCleared {}).await);
        }
        assert_eq!(attempts, [1, 2, 3]);
        let mut c = db.pool().acquire().await.unwrap();
        let flag = live::order_flag(&mut c, fx.order).await.unwrap().unwrap();
        assert!(flag.0.contains("reprint limit of 2"), "{}", flag.0);
        let queued = production::list_jobs(
            &mut c,
            &production::JobFilter {
                order_id: Some(fx.order),
                state: Some(JobState::Queued),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(queued.is_empty(), "no fourth attempt");
        farm.stop().await;
    }
);
