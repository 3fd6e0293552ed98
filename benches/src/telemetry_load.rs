//! `agent-load --telemetry N[,S]` (issue 17): N agent connections each report a status with
//! readings once a second (1 Hz per printer); S GraphQL subscribers (default 1) follow the
//! `printerTelemetry` subscription (`intervalMs: 500`, the shortest allowed) over
//! `graphql-transport-ws`. Each status carries the time it was sent (milliseconds since the
//! benchmark's start, as its `layer` reading), so every update a subscriber receives gives the
//! delay from the printer's report to the subscriber. Reports p50 / p99 / max of that delay,
//! the updates received against those expected, and the server's CPU and RSS.

use futures_util::{SinkExt, StreamExt};
use gantry_engine::domain::protocol::Readings;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::*;

/// A status whose `layer` reading is the send time (ms since `base`).
fn timed_status(outbox: &mut Outbox, base: Instant) -> String {
    let (_, text) = outbox.once(AgentMessage::Status {
        state: AgentState::Printing,
        job: None,
        progress_pct: None,
        temperatures: Temperatures {
            nozzle_c: Some(210.0),
            bed_c: Some(60.0),
            ..Default::default()
        },
        seconds_left: None,
        readings: Readings {
            layer: Some(base.elapsed().as_millis() as i64),
            ..Default::default()
        },
    });
    text
}

/// Reports once a second from `start + offset` until `end`, reading (and dropping) what the
/// server sends.
async fn report(
    mut c: Connection,
    mut outbox: Outbox,
    base: Instant,
    start: Instant,
    offset: Duration,
    end: Instant,
) {
    let mut next = start + offset;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()) => {
                if next >= end || c.send_text(timed_status(&mut outbox, base)).await.is_err() {
                    c.close().await;
                    return;
                }
                next += Duration::from_secs(1);
            }
            m = c.recv() => if m.is_err() { return },
        }
    }
}

/// One subscriber: the delays (µs) of the updates received between `from` and `until`.
async fn subscriber(
    port: u16,
    access: String,
    base: Instant,
    from: Instant,
    until: Instant,
) -> Res<Vec<u64>> {
    let mut req = format!("ws://127.0.0.1:{port}/graphql").into_client_request()?;
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let init = serde_json::json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {access}")}});
    ws.send(Message::text(init.to_string())).await?;
    let query = "subscription { printerTelemetry(intervalMs: 500) { printerId layer } }";
    let sub = serde_json::json!({"id": "t", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(sub.to_string())).await?;
    let mut delays = Vec::new();
    loop {
        let frame = tokio::time::timeout_at(until.into(), ws.next()).await;
        let Ok(Some(Ok(frame))) = frame else {
            return Ok(delays);
        };
        let Message::Text(text) = frame else { continue };
        let v: serde_json::Value = serde_json::from_str(text.as_str())?;
        if v["type"] == "error" {
            return Err(format!("subscription refused: {v}").into());
        }
        let Some(sent) = v
            .pointer("/payload/data/printerTelemetry/layer")
            .and_then(|l| l.as_i64())
        else {
            continue;
        };
        if Instant::now() >= from {
            let now = base.elapsed().as_millis() as i64;
            delays.push(u64::try_from(now - sent).unwrap_or(0) * 1000);
        }
    }
}

/// The telemetry benchmark: `n` reporting printers, `subs` subscribers, measured for `secs`.
pub async fn telemetry(args: &Args, n: usize, subs: usize) -> Res<()> {
    let (data, db_url, tokens) = farm_with_tokens(args, "telemetry", n).await?;
    let server = serve(&args.gantry, &db_url, &data).await?;
    let access = login(&reqwest::Client::new(), server.port).await?;

    let url = format!("http://127.0.0.1:{}", server.port);
    let boot = boot_id();
    let sem = Arc::new(tokio::sync::Semaphore::new(args.ramp.max(1)));
    let mut opening = tokio::task::JoinSet::new();
    for (i, token) in tokens.iter().take(n).enumerate() {
        let (url, token, sem, boot) = (url.clone(), token.clone(), sem.clone(), boot.clone());
        opening.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            let mut outbox = Outbox::new(format!("{boot}{i}"));
            let (c, _) = connect(&url, &token, &mut outbox).await.ok()?;
            Some((i, c, outbox))
        });
    }
    let mut conns = Vec::new();
    while let Some(r) = opening.join_next().await {
        if let Ok(Some(c)) = r {
            conns.push(c);
        }
    }
    eprintln!("{} of {n} printers connected; {subs} subscriber(s)", conns.len());
    let base = Instant::now();
    let start = base + Duration::from_millis(200);
    // Five seconds of warm-up, then the measured window.
    let from = start + Duration::from_secs(5);
    let until = from + Duration::from_secs(args.secs);
    let mut subscribers = tokio::task::JoinSet::new();
    for _ in 0..subs {
        subscribers.spawn(subscriber(server.port, access.clone(), base, from, until));
    }
    let connected = conns.len();
    let mut reporters = tokio::task::JoinSet::new();
    for (i, c, outbox) in conns {
        let offset = Duration::from_micros((i as u64 * 1_000_000 / n as u64) % 1_000_000);
        reporters.spawn(report(c, outbox, base, start, offset, until));
    }
    let pid = server.child.id();
    tokio::time::sleep_until(from.into()).await;
    let (cpu0, _) = proc_sample(pid).ok_or("cannot read the server's /proc entry")?;
    let mut rss_peak = 0;
    while Instant::now() < until {
        if let Some((_, rss)) = proc_sample(pid) {
            rss_peak = rss_peak.max(rss);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (cpu1, _) = proc_sample(pid).ok_or("cannot read the server's /proc entry")?;
    let mut delays = Vec::new();
    while let Some(r) = subscribers.join_next().await {
        delays.extend(r??);
    }
    while reporters.join_next().await.is_some() {}
    delays.sort_unstable();
    let expected = connected as u64 * args.secs * subs as u64;
    println!(
        "| printers (1 Hz) | subscribers | updates received / expected | p50 ms | p99 ms | max ms | server CPU % of 1 core | server RSS MB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {connected} | {subs} | {} / {expected} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
        delays.len(),
        pct(&delays, 0.50),
        pct(&delays, 0.99),
        delays.last().map_or(f64::NAN, |v| *v as f64 / 1000.0),
        cpu1.saturating_sub(cpu0) as f64 / clk_tck() as f64 / args.secs as f64 * 100.0,
        rss_peak as f64 / 1024.0,
    );
    drop(server);
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}
