//! `agent-load --replicas R`: R `gantry serve` replicas on one PostgreSQL database (one JWT
//! secret), agents spread over them round-robin; and `--failover K`: K leader failovers, each a
//! `kill -9` of the scheduler leader followed by a graceful stop (`SIGTERM`) of the next one,
//! timed from the signal to the lease row naming another live replica (the stopped replica is
//! restarted after each, so R keep running).

use std::path::Path;
use std::time::{Duration, Instant};

use gantry_engine::store::Db;

use super::{Res, Server, pct, serve};

/// The replica id's process id (`host-pid-random`).
fn pid_of(replica: &str) -> Option<u32> {
    replica.rsplit('-').nth(1)?.parse().ok()
}

/// The lease holder (empty when resigned) and epoch.
async fn lease(db: &Db) -> Res<(String, i64)> {
    let mut c = db.pool().acquire().await?;
    let l = gantry_engine::store::cluster::lease(&mut c).await?;
    Ok((l.holder, l.epoch))
}

/// Waits (60 s at most) until a running replica other than `not` holds the lease.
async fn wait_leader(db: &Db, servers: &[Server], not: &str) -> Res<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (holder, _) = lease(db).await?;
        let running = pid_of(&holder).is_some_and(|pid| servers.iter().any(|s| s.child.id() == pid));
        if !holder.is_empty() && holder != not && running {
            return Ok(holder);
        }
        if Instant::now() > deadline {
            return Err(format!("no new leader within 60 s (lease held by {holder:?})").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts `n` replicas.
pub(super) async fn start(bin: &Path, db_url: &str, data: &Path, n: usize) -> Res<Vec<Server>> {
    if n > 1 && !db_url.starts_with("postgres") {
        return Err("--replicas above 1 needs --database-url postgres://…".into());
    }
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        servers.push(serve(bin, db_url, data).await?);
    }
    Ok(servers)
}

/// `--failover K` (see the module documentation); prints a table row per kind of stop.
pub(super) async fn failover(
    bin: &Path,
    db_url: &str,
    data: &Path,
    servers: &mut Vec<Server>,
    rounds: usize,
) -> Res<()> {
    if servers.len() < 2 {
        return Err("--failover needs --replicas 2 or more".into());
    }
    let db = Db::connect(db_url).await?;
    let mut times: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    for r in 0..rounds {
        for (kind, signal) in [(0, "-KILL"), (1, "-TERM")] {
            let leader = wait_leader(&db, servers, "").await?;
            let pid = pid_of(&leader).ok_or("a lease holder without a process id")?;
            let idx = servers
                .iter()
                .position(|s| s.child.id() == pid)
                .ok_or("the leader is none of the replicas")?;
            // Let the followers renew their view once (as in a farm that has been running).
            tokio::time::sleep(Duration::from_secs(3)).await;
            let t0 = Instant::now();
            let sent = std::process::Command::new("kill")
                .args([signal, &pid.to_string()])
                .status()?;
            if !sent.success() {
                return Err(format!("kill {signal} {pid} failed").into());
            }
            let mut stopped = servers.swap_remove(idx);
            let new = wait_leader(&db, servers, &leader).await?;
            let took = t0.elapsed();
            times[kind].push(took.as_micros() as u64);
            eprintln!("round {r}: kill {signal} of {leader}: {new} leads after {took:.2?}");
            let _ = stopped.child.wait();
            drop(stopped);
            servers.push(serve(bin, db_url, data).await?);
        }
    }
    db.close().await;
    println!("| leader stopped by | failovers | p50 s | max s |");
    println!("|---|---:|---:|---:|");
    for (kind, name) in [(0, "kill -9 (crash)"), (1, "SIGTERM (graceful)")] {
        let t = &mut times[kind];
        t.sort_unstable();
        println!(
            "| {name} | {} | {:.2} | {:.2} |",
            t.len(),
            pct(t, 0.5) / 1000.0,
            t.last().map_or(f64::NAN, |v| *v as f64 / 1e6)
        );
    }
    Ok(())
}
