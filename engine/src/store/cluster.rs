//! Several servers on one database (migration 0013): the scheduler leader's lease with its
//! fencing check, the replicas' liveness, the settings they must agree on, which replica holds
//! which printer's agent (`agent_gateways`), and PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! The lease is one row (`leader_lease`, name `scheduler`): [`acquire`] takes it when it is free
//! (resigned, or expired) and bumps its epoch; [`renew`] pushes its expiry forward while holder
//! and epoch still match; [`resign`] frees it. [`fence`] is the check every leader write makes
//! in its own transaction: it touches the row only when holder and epoch still match (on
//! PostgreSQL that also locks the row until the write commits, so a takeover waits for it, and
//! a write after a takeover is refused with [`StoreError::Fenced`]).
//!
//! Times are the callers' `now` (epoch milliseconds): replicas' clocks must agree within a
//! fraction of the lease (NTP). Fencing does not depend on clocks: a takeover bumps the epoch.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{Db, StoreError, StoreResult, Tx, col};
use crate::domain::types::{PrinterId, from_millis, to_millis};

/// The scheduler's lease.
pub const SCHEDULER: &str = "scheduler";

/// The lease row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub holder: String,
    pub epoch: i64,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn lease_row(r: &sqlx::any::AnyRow) -> StoreResult<LeaseRow> {
    const T: &str = "leader_lease";
    Ok(LeaseRow {
        holder: col(r, T, "holder")?,
        epoch: col(r, T, "epoch")?,
        acquired_at: from_millis(col(r, T, "acquired_at")?),
        expires_at: from_millis(col(r, T, "expires_at")?),
    })
}

/// The lease as it is now.
pub async fn lease(conn: &mut AnyConnection) -> StoreResult<LeaseRow> {
    let row = sqlx::query("SELECT holder, epoch, acquired_at, expires_at FROM leader_lease WHERE name = $1")
        .bind(SCHEDULER)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("leader_lease", SCHEDULER))?;
    lease_row(&row)
}

/// Takes the lease for `holder` until `now + ttl` when it is free (resigned or expired), or
/// always when `force` (SQLite, where the server holds the database file's lock and so knows
/// no other server runs). The epoch goes up by one. `None`: another replica holds it.
pub async fn acquire(
    conn: &mut AnyConnection,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
    force: bool,
) -> StoreResult<Option<LeaseRow>> {
    let row = sqlx::query(
        "UPDATE leader_lease SET holder = $1, epoch = epoch + 1, acquired_at = $2, expires_at = $3 \
         WHERE name = $4 AND (holder = '' OR expires_at < $5 OR $6 = 1) \
         RETURNING holder, epoch, acquired_at, expires_at",
    )
    .bind(holder)
    .bind(to_millis(now))
    .bind(to_millis(now + ttl))
    .bind(SCHEDULER)
    .bind(to_millis(now))
    .bind(i64::from(force))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(lease_row).transpose()
}

/// Pushes the lease's expiry to `now + ttl` while `holder` holds it at `epoch`; `false`: it
/// was lost (taken over, or resigned).
pub async fn renew(
    conn: &mut AnyConnection,
    holder: &str,
    epoch: i64,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE leader_lease SET expires_at = $1 WHERE name = $2 AND holder = $3 AND epoch = $4")
            .bind(to_millis(now + ttl))
            .bind(SCHEDULER)
            .bind(holder)
            .bind(epoch)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Frees the lease if `holder` holds it at `epoch` (a follower may take it at once).
pub async fn resign(conn: &mut AnyConnection, holder: &str, epoch: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE leader_lease SET holder = '', expires_at = 0 WHERE name = $1 AND holder = $2 AND epoch = $3",
    )
    .bind(SCHEDULER)
    .bind(holder)
    .bind(epoch)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The fencing check: `Ok` only while `holder` holds the lease at `epoch`, and then (on
/// PostgreSQL) the lease row stays locked until `tx` ends, so no takeover commits in between.
/// Otherwise [`StoreError::Fenced`]: the caller's transaction must be dropped.
pub async fn fence(tx: &mut Tx, holder: &str, epoch: i64) -> StoreResult<()> {
    let done =
        sqlx::query("UPDATE leader_lease SET epoch = epoch WHERE name = $1 AND holder = $2 AND epoch = $3")
            .bind(SCHEDULER)
            .bind(holder)
            .bind(epoch)
            .execute(&mut **tx)
            .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Fenced {
            holder: holder.to_string(),
            epoch,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Replicas and their settings

/// Records that replica `id` (started at `started`) is alive at `now`.
pub async fn replica_seen(
    conn: &mut AnyConnection,
    id: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO replicas (id, started_at, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(id)
    .bind(to_millis(started))
    .bind(to_millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replica `id` stops: its row and its agents' connections are gone.
pub async fn replica_gone(conn: &mut AnyConnection, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE agent_gateways SET connected = 0, seen_at = $1 WHERE replica = $2 AND connected = 1")
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM replicas WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The replicas seen since `since`, by id, with when they were last seen.
pub async fn live_replicas(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
) -> StoreResult<BTreeMap<String, DateTime<Utc>>> {
    let rows = sqlx::query("SELECT id, seen_at FROM replicas WHERE seen_at >= $1 ORDER BY id")
        .bind(to_millis(since))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "replicas", "id")?,
                from_millis(col(r, "replicas", "seen_at")?),
            ))
        })
        .collect()
}

/// The settings replicas must agree on: name → (value, set by).
pub async fn settings(conn: &mut AnyConnection) -> StoreResult<BTreeMap<String, (String, String)>> {
    let rows = sqlx::query("SELECT name, value, set_by FROM cluster_settings ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            const T: &str = "cluster_settings";
            Ok((col(r, T, "name")?, (col(r, T, "value")?, col(r, T, "set_by")?)))
        })
        .collect()
}

/// Sets (or replaces) a setting.
pub async fn set_setting(
    tx: &mut Tx,
    name: &str,
    value: &str,
    by: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO cluster_settings (name, value, set_by, set_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(name)
    .bind(value)
    .bind(by)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Gateways: which replica holds which printer's agent

/// Where a printer's agent is (or was last) connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub replica: String,
    pub conn_id: i64,
    pub connected: bool,
    /// When the connection ended (`connected` false) or was opened.
    pub seen_at: DateTime<Utc>,
    /// When its replica was last seen alive (`None`: the replica is gone).
    pub replica_seen_at: Option<DateTime<Utc>>,
}

/// The agent of `printer` connected to `replica` (connection `conn_id`) at `now`.
pub async fn attach(
    conn: &mut AnyConnection,
    printer: PrinterId,
    replica: &str,
    conn_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO agent_gateways (printer_id, replica, conn_id, connected, seen_at) VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (printer_id) DO UPDATE SET replica = excluded.replica, conn_id = excluded.conn_id, \
         connected = 1, seen_at = excluded.seen_at",
    )
    .bind(printer.0)
    .bind(replica)
    .bind(conn_id)
    .bind(to_millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The connection `conn_id` of `printer` on `replica` ended; its agent was last heard at
/// `last_seen`. Nothing changes when a newer connection (here or elsewhere) replaced it.
pub async fn detach(
    conn: &mut AnyConnection,
    printer: PrinterId,
    replica: &str,
    conn_id: i64,
    last_seen: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE agent_gateways SET connected = 0, seen_at = $1 \
         WHERE printer_id = $2 AND replica = $3 AND conn_id = $4",
    )
    .bind(to_millis(last_seen))
    .bind(printer.0)
    .bind(replica)
    .bind(conn_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where `printer`'s agent is connected, if it ever was.
pub async fn gateway(conn: &mut AnyConnection, printer: PrinterId) -> StoreResult<Option<Gateway>> {
    let row = sqlx::query(
        "SELECT g.replica, g.conn_id, g.connected, g.seen_at, r.seen_at AS replica_seen_at \
         FROM agent_gateways g LEFT JOIN replicas r ON r.id = g.replica WHERE g.printer_id = $1",
    )
    .bind(printer.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        const T: &str = "agent_gateways";
        Ok(Gateway {
            replica: col(&r, T, "replica")?,
            conn_id: col(&r, T, "conn_id")?,
            connected: col::<i64>(&r, T, "connected")? != 0,
            seen_at: from_millis(col(&r, T, "seen_at")?),
            replica_seen_at: col::<Option<i64>>(&r, T, "replica_seen_at")?.map(from_millis),
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// LISTEN / NOTIFY (PostgreSQL; on SQLite one process serves the database and nothing is sent)

/// Channel woken when events are committed (sent by `events::append` in the writing transaction).
pub const EVENTS_CHANNEL: &str = "gantry_events";
/// Channel woken when the lease is resigned.
pub const LEASE_CHANNEL: &str = "gantry_lease";
/// Channel of messages between replicas (payload: JSON with its addressee).
pub const MESH_CHANNEL: &str = "gantry_mesh";

/// `pg_notify` returns `void`, which the `Any` driver cannot read: the call is counted instead.
const NOTIFY_SQL: &str = "SELECT COUNT(*) AS n FROM (SELECT pg_notify($1, $2)) AS sent";

fn is_postgres(tx_backend: &str) -> bool {
    tx_backend.to_ascii_lowercase().starts_with("postgres")
}

/// Sends `payload` on `channel` when `tx` commits (PostgreSQL; nothing on SQLite).
pub async fn notify_in(tx: &mut Tx, channel: &str, payload: &str) -> StoreResult<()> {
    if is_postgres(tx.backend_name()) {
        sqlx::query(NOTIFY_SQL)
            .bind(channel)
            .bind(payload)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Sends `payload` on `channel` now (PostgreSQL; nothing on SQLite).
pub async fn notify(db: &Db, channel: &str, payload: &str) -> StoreResult<()> {
    if db.backend() == super::Backend::Postgres {
        sqlx::query(NOTIFY_SQL)
            .bind(channel)
            .bind(payload)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// A PostgreSQL listener on the Gantry channels (its own connection, reconnected when lost).
pub struct Listener(sqlx::postgres::PgListener);

/// What a [`Listener`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Notification {
        channel: String,
        payload: String,
    },
    /// The connection was lost and opened again: notifications in between may be lost.
    Reconnected,
}

impl Listener {
    /// Listens on `channels`; `None` on SQLite.
    pub async fn connect(db: &Db, channels: &[&str]) -> StoreResult<Option<Listener>> {
        if db.backend() != super::Backend::Postgres {
            return Ok(None);
        }
        let mut l = sqlx::postgres::PgListener::connect(db.url()).await?;
        l.listen_all(channels.iter().copied()).await?;
        Ok(Some(Listener(l)))
    }

    /// The next notification, or [`Heard::Reconnected`] after the connection was lost.
    pub async fn recv(&mut self) -> StoreResult<Heard> {
        Ok(match self.0.try_recv().await? {
            Some(n) => Heard::Notification {
                channel: n.channel().to_string(),
                payload: n.payload().to_string(),
            },
            None => Heard::Reconnected,
        })
    }
}
