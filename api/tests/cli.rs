//! The `gantry` binary as a user runs it: configuration errors, migrate, demo (twice, and
//! killed half-way).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;

use std::process::{Command, Stdio};
use std::time::Duration;

use gantry_engine::store::{Db, count_rows};
use live::{BIN, temp_dir};

fn gantry(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GANTRY_DATA_DIR", data)
        .output()
        .unwrap()
}

#[test]
fn invalid_configuration_exits_2_naming_the_setting() {
    let data = temp_dir("cfg");
    let out = Command::new(BIN)
        .args(["migrate"])
        .env_clear()
        .env("GANTRY_DATA_DIR", &data)
        .env("GANTRY_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GANTRY_LOG_FORMAT") && err.contains("text or json"),
        "{err}"
    );
    // Nothing was created.
    assert!(!data.join("gantry.sqlite").exists());
    std::fs::remove_dir_all(&data).unwrap();
}

async fn counts(data: &std::path::Path) -> Vec<i64> {
    let db = Db::connect(&format!("sqlite://{}", data.join("gantry.sqlite").display()))
        .await
        .unwrap();
    let mut v = Vec::new();
    for t in [
        "printers",
        "materials",
        "spools",
        "products",
        "orders",
        "order_lines",
        "jobs",
        "customers",
        "users",
    ] {
        v.push(count_rows(&db, t).await.unwrap());
    }
    db.close().await;
    v
}

#[tokio::test]
async fn migrate_then_demo_twice_adds_nothing_twice() {
    let data = temp_dir("demo");
    let out = gantry(&data, &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));

    let out = gantry(&data, &["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = counts(&data).await;
    let [
        printers,
        materials,
        spools,
        products,
        orders,
        _lines,
        jobs,
        _customers,
        _users,
    ] = first[..]
    else {
        unreachable!()
    };
    assert!(printers >= 12, "printers {printers}");
    assert!(materials >= 8, "materials {materials}");
    assert!(spools >= materials, "spools {spools}");
    assert!(products >= 20, "products {products}");
    assert!(orders >= 30, "orders {orders}");
    assert!(jobs > 0, "jobs {jobs}");

    let out = gantry(&data, &["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&data).await, first, "a second demo run must add nothing");
    std::fs::remove_dir_all(&data).unwrap();
}

/// `kill -9` at several moments of `gantry demo`: the database always holds all of the demo or
/// none of it, and a later run completes it.
#[tokio::test]
async fn demo_killed_half_way_leaves_the_database_consistent() {
    let data = temp_dir("kill");
    assert!(gantry(&data, &["migrate"]).status.success());
    let reference_dir = temp_dir("ref");
    assert!(gantry(&reference_dir, &["demo"]).status.success());
    let full = counts(&reference_dir).await;
    std::fs::remove_dir_all(&reference_dir).unwrap();
    let empty = vec![0; full.len()];

    for delay_ms in [5u64, 30, 60, 90, 120, 150, 200, 400] {
        let mut child = Command::new(BIN)
            .arg("demo")
            .env_clear()
            .env("GANTRY_DATA_DIR", &data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = counts(&data).await;
        assert!(
            now == empty || now == full,
            "after kill at {delay_ms} ms: {now:?} is neither empty nor full"
        );
    }
    assert!(gantry(&data, &["demo"]).status.success());
    assert_eq!(counts(&data).await, full);
    std::fs::remove_dir_all(&data).unwrap();
}
