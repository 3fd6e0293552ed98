//! `agent-load --replicas R` and `--failover K` (issue 16): several `gantry serve` replicas of
//! one cluster on one PostgreSQL database.
//!
//! Replicas: the ordinary rounds (a status a second per agent, p50 / p99 / max from a status
//! sent to its acknowledgement, which the server sends after the commit) with agent i connected
//! to replica i mod R.
//!
//! Failover: no agents; K trials of (1) `kill -9` of the lease holder, then the time from the
//! signal until another replica holds the lease (`leader_lease` read every 10 ms, the holder's
//! process id is in its replica id), the killed replica started again; (2) `SIGTERM` of the
//! holder (it resigns on a graceful stop), measured the same way. Lease timing is the servers'
//! default (`GANTRY_LEADER_LEASE_SECS` 10, renewed every 2 s) unless `GANTRY_LEADER_LEASE_SECS`
//! is set for the benchmark.

use super::*;

/// The database of a replicated run: `--database-url`, which must be PostgreSQL.
fn postgres_url(args: &Args) -> Res<()> {
    match &args.database_url {
        Some(u) if u.starts_with("postgres") => Ok(()),
        _ => Err(
            "--replicas and --failover need --database-url postgres://… (replicas share one PostgreSQL)"
                .into(),
        ),
    }
}

/// R servers on `db_url`, each with its own log (`replica-<i>.log`).
async fn start_replicas(args: &Args, db_url: &str, data: &Path, r: usize) -> Res<Vec<Server>> {
    let mut servers = Vec::with_capacity(r);
    for i in 0..r {
        servers.push(serve_logged(&args.gantry, db_url, data, &format!("replica-{i}.log")).await?);
    }
    Ok(servers)
}

/// `--replicas R`: the rounds of [`round`] over R replicas.
pub async fn replicas(args: &Args) -> Res<()> {
    postgres_url(args)?;
    let max = args.counts.iter().copied().max().unwrap_or(0);
    let (data, db_url, tokens) = farm_with_tokens(args, "replicas", max).await?;
    let servers = start_replicas(args, &db_url, &data, args.replicas).await?;
    eprintln!(
        "{} replicas up (ports {:?})",
        servers.len(),
        servers.iter().map(|s| s.port).collect::<Vec<_>>()
    );
    let mut rows = Vec::new();
    for &n in &args.counts {
        let r = round(&servers, &tokens, n, args.secs, args.ramp).await?;
        eprintln!(
            "N={} over {} replicas: p50 {:.1} ms, p99 {:.1} ms, CPU {:.0} %, RSS {:.0} MB",
            r.n, args.replicas, r.p50_ms, r.p99_ms, r.cpu_pct, r.rss_mb
        );
        rows.push(r);
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    println!(
        "{} replicas on one PostgreSQL; CPU and RSS summed over them",
        args.replicas
    );
    print_rounds(&rows);
    drop(servers);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// The lease's holder now ("" when none holds it).
async fn holder(db: &Db) -> Res<String> {
    let mut c = db.pool().acquire().await?;
    let l = gantry_engine::store::cluster::lease(&mut c).await?;
    let live = l.expires_at > gantry_engine::store::now();
    Ok(if live { l.holder } else { String::new() })
}

/// The process id in a replica id (`host-pid-random`).
fn pid_of(replica: &str) -> Option<u32> {
    replica.rsplit('-').nth(1)?.parse().ok()
}

/// Waits (up to `secs`) until a replica other than `not` holds the lease; returns it.
async fn wait_holder(db: &Db, not: &str, secs: u64) -> Res<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let h = holder(db).await?;
        if !h.is_empty() && h != not {
            return Ok(h);
        }
        if Instant::now() > deadline {
            return Err(format!("no new leader within {secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `--failover K`: the crash and graceful-stop takeover times (see the module documentation).
pub async fn failover(args: &Args, trials: usize) -> Res<()> {
    postgres_url(args)?;
    let r = if args.replicas > 1 { args.replicas } else { 3 };
    let (data, db_url) = scratch(args, "failover")?;
    let db = Db::connect(&db_url).await?;
    let mut servers = start_replicas(args, &db_url, &data, r).await?;
    let mut crash = Vec::new();
    let mut graceful = Vec::new();
    let mut restarts = 0;
    for trial in 0..trials * 2 {
        let kill = trial % 2 == 0;
        let leader = wait_holder(&db, "", 60).await?;
        let pid = pid_of(&leader).ok_or("a lease holder without a process id")?;
        let idx = servers
            .iter()
            .position(|s| s.child.id() == pid)
            .ok_or_else(|| format!("the leader {leader} is none of this run's servers"))?;
        // Let the followers settle into their renew rhythm.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t = Instant::now();
        if kill {
            servers[idx].child.kill()?;
        } else {
            let ok = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()?
                .success();
            if !ok {
                return Err(format!("cannot send SIGTERM to {pid}").into());
            }
        }
        let next = wait_holder(&db, &leader, 60).await?;
        let took = t.elapsed();
        eprintln!(
            "trial {}: {} of {leader} → {next} in {:.0} ms",
            trial / 2 + 1,
            if kill { "SIGKILL" } else { "SIGTERM" },
            took.as_secs_f64() * 1000.0
        );
        if kill { &mut crash } else { &mut graceful }.push(took.as_micros() as u64);
        // Start the stopped replica again, so the cluster keeps R members.
        let _ = servers[idx].child.wait();
        restarts += 1;
        let log = format!("replica-{idx}-restart-{restarts}.log");
        servers[idx] = serve_logged(&args.gantry, &db_url, &data, &log).await?;
    }
    crash.sort_unstable();
    graceful.sort_unstable();
    println!("| stop of the leader | trials | min ms | median ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, v) in [("SIGKILL (crash)", &crash), ("SIGTERM (graceful)", &graceful)] {
        println!(
            "| {name} | {} | {:.0} | {:.0} | {:.0} |",
            v.len(),
            pct(v, 0.0),
            pct(v, 0.5),
            pct(v, 1.0)
        );
    }
    println!("\n{r} replicas on one PostgreSQL; time from the signal to another replica holding the lease");
    drop(servers);
    db.close().await;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
