//! The printer actor as its agent's gateway among several replicas: its connection is recorded
//! in SQL (`agent_gateways`), and missed heartbeats are judged from there by the leader, so a
//! printer whose agent is connected to another replica is never marked offline here.

use actix::prelude::*;
use chrono::Utc;
use gantry_app::cluster::{self, Judged};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::live::heartbeat_expired;

use super::PrinterActor;
use crate::messages::{CheckHeartbeat, ToAgent, close};
use crate::scheduler::RequestReplan;

impl PrinterActor {
    /// The connection `conn_id` ended: recorded (with when the agent was last heard) before the
    /// actor handles its next message.
    pub(super) fn record_detach(&mut self, conn_id: u64, ctx: &mut Context<Self>) {
        let (db, id, last_seen) = (self.fx.db.clone(), self.id, self.last_seen);
        let replica = self.fx.leadership.replica().to_string();
        ctx.wait(
            async move { cluster::detach(&db, id, &replica, conn_id, last_seen).await }
                .into_actor(self)
                .map(|res, act, _| {
                    if let Err(e) = res {
                        tracing::warn!(printer = %act.id, error = %e, "cannot record the end of the agent's connection");
                    }
                }),
        );
    }

    /// [`PrinterActor::record_detach`] from a place without the context.
    pub(super) fn detach_later(&self, conn_id: u64) {
        let (db, id, last_seen) = (self.fx.db.clone(), self.id, self.last_seen);
        let replica = self.fx.leadership.replica().to_string();
        actix::spawn(async move {
            if let Err(e) = cluster::detach(&db, id, &replica, conn_id, last_seen).await {
                tracing::warn!(printer = %id, error = %e, "cannot record the end of the agent's connection");
            }
        });
    }
}

impl Handler<CheckHeartbeat> for PrinterActor {
    type Result = ();

    /// A connection here that stays silent for three heartbeats is closed (`4004`) and
    /// recorded as ended; then the leader (only it marks printers offline, fenced by its lease)
    /// judges from SQL whether the agent is alive anywhere: connected to a live replica, or
    /// heard within the window. Followers never mark a printer offline.
    fn handle(&mut self, msg: CheckHeartbeat, ctx: &mut Context<Self>) {
        let hb = self.fx.cfg.heartbeat_secs;
        if self.shutdown
            || matches!(self.status, PrinterStatus::Offline | PrinterStatus::Maintenance)
            || !heartbeat_expired(self.last_seen, msg.now, hb)
        {
            return;
        }
        let lease = self.fx.leadership.current();
        // The silent connection is closed once the printer's fate is committed.
        let close = |conn: Option<crate::messages::AgentConn>| {
            if let Some(conn) = conn {
                conn.do_send(ToAgent::Close {
                    code: close::HEARTBEAT_MISSED,
                    reason: "heartbeats missed: the printer is marked offline".into(),
                });
            }
        };
        let mut closing = None;
        if let Some((conn_id, conn)) = self.conn.take() {
            tracing::warn!(printer = %self.id, "missed heartbeats: closing the agent's connection");
            self.fx.stats.agent_disconnected();
            self.assigned = None;
            self.disconnected();
            self.record_detach(conn_id, ctx);
            closing = Some(conn);
        }
        let Some(lease) = lease else {
            close(closing);
            return;
        };
        let window =
            chrono::Duration::seconds(i64::try_from(hb.saturating_mul(3)).unwrap_or(i64::MAX / 4_000));
        let (db, id, now, floor) = (
            self.fx.db.clone(),
            self.id,
            msg.now,
            self.last_seen.max(lease.acquired_at),
        );
        let seen = self.agent_seen;
        let lease2 = lease.clone();
        let fut = async move { cluster::judge_heartbeat(&db, now, id, &lease2, window, floor, seen).await };
        ctx.wait(fut.into_actor(self).map(move |res, act, _| match res {
            // Alive (e.g. on another replica): judged again a window after that.
            Ok(Judged::Alive(at)) => {
                close(closing);
                act.last_seen = act.last_seen.max(at.min(Utc::now()));
            }
            Ok(Judged::Offline(status)) => {
                if act.status != status {
                    tracing::warn!(printer = %act.id, "missed heartbeats: printer offline");
                }
                act.status = status;
                close(closing);
                // A job handed to it stays in flight (the printer may be printing it); the rest
                // of its work is re-planned.
                if let Some(s) = act.fx.scheduler() {
                    s.do_send(RequestReplan);
                }
            }
            Err(e) => {
                close(closing);
                act.fx.leadership.check(Some(&lease), &e);
                tracing::error!(printer = %act.id, error = %e, "cannot mark the printer offline");
            }
        }));
    }
}
