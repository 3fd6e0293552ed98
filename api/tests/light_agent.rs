//! The standalone `gantry-agent` (the agent crate's own binary, built without the engine)
//! takes the same flags as `gantry agent` and drives simulated printers against `gantry serve`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;

use std::path::PathBuf;
use std::process::Command;

use gantry_engine::store::Backend;
use gantry_engine::store::testing::TestDb;
use live::*;

/// `gantry-agent` beside the `gantry` binary of this build (`cargo test --workspace` builds it).
fn agent_bin() -> PathBuf {
    let p = PathBuf::from(BIN).with_file_name("gantry-agent");
    assert!(
        p.exists(),
        "{} not built: run `cargo build -p gantry-agent`",
        p.display()
    );
    p
}

/// The long flags a `--help` text lists (but `--version`, which only a program has).
fn flags(help: &str) -> Vec<String> {
    let mut f: Vec<String> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2 && *w != "--version")
        .map(|w| {
            w.trim_end_matches([',', '.'])
                .split('=')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    f.sort();
    f.dedup();
    f
}

#[test]
fn gantry_agent_takes_the_same_flags_as_gantry_agent_subcommand() {
    let light = Command::new(agent_bin()).arg("--help").output().unwrap();
    let full = Command::new(BIN).args(["agent", "--help"]).output().unwrap();
    assert!(light.status.success() && full.status.success());
    let (light, full) = (
        flags(&String::from_utf8_lossy(&light.stdout)),
        flags(&String::from_utf8_lossy(&full.stdout)),
    );
    assert!(full.contains(&"--simulate".to_string()), "{full:?}");
    assert_eq!(light, full);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gantry_agent_prints_jobs_against_gantry_serve_sqlite() {
    let t = TestDb::new(Backend::Sqlite).await.unwrap();
    let db = &t.db;
    let farm = Farm::prepare(db, &t.url, "light-agent", 14).await;
    let speed = speed_for(db, 2).await;
    let start = gantry_engine::store::now().timestamp_millis();
    let _server = farm.serve("serve.log");
    let _agents = farm.agents_with(Command::new(agent_bin()), &[], 14, speed, &["--status-secs", "1"]);
    wait_printing(db, start, 3, || tail(&farm.data.join("agent.log"))).await;
    assert!(farm.agent_log().contains("job started"));
    drop(_agents);
    drop(_server);
    t.cleanup().await;
    farm.remove();
}
