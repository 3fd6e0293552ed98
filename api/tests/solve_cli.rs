//! `gantry solve` end to end: the real binary, real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn gantry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(args)
        .output()
        .expect("run gantry")
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("gantry-solve-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample() -> Value {
    json!({
        "printers": [
            {"id": "P1", "available_from": 0, "initial_setup_class": null, "unavailable": [[600, 720]]},
            {"id": "P2"}
        ],
        "setup_classes": ["PLA-black", "PETG-red"],
        "setup_times": {"P1": [[0, 12], [15, 0]], "P2": [[0, 10], [10, 0]]},
        "jobs": [
            {"id": "J1", "setup_class": "PLA-black", "durations": {"P1": 120, "P2": 95}, "release": 0, "due": 600, "weight": 1},
            {"id": "J2", "setup_class": "PETG-red", "durations": {"P1": 60}},
            {"id": "J3", "setup_class": "PLA-black", "durations": {"P1": 30, "P2": 40}, "due": 100, "weight": 2}
        ],
        "operator_shifts": [[0, 1020], [1920, 2460]],
        "objective": {"makespan": 1, "weighted_tardiness": 0, "setups": 0.1}
    })
}

#[test]
fn solves_prints_and_writes_a_plan_that_checks() {
    let dir = TempDir::new("ok");
    let input = dir.write("in.json", &sample().to_string());
    let out = dir.path("plan.json");
    let o = gantry(&[
        "solve",
        &input,
        "--time-limit",
        "5",
        "--seed",
        "3",
        "--output",
        &out,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let printed: Value = serde_json::from_slice(&o.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(printed, written);
    for key in [
        "status",
        "assignments",
        "unscheduled",
        "objective",
        "lower_bound",
        "gap",
        "solve_ms",
        "method",
    ] {
        assert!(printed.get(key).is_some(), "missing {key}");
    }
    // Every objective term's bound and gap, and every job's reason (issue 18); the gaps are
    // also printed on stderr (stdout stays the plan).
    for term in ["makespan", "weighted_tardiness", "setups", "total"] {
        assert!(printed["bounds"][term]["gap"].is_number(), "bounds.{term}");
    }
    assert!(printed["assignments"][0]["reason"]["printer"].is_string());
    assert!(String::from_utf8_lossy(&o.stderr).contains("setups "));
    // Three jobs: the exact method proves optimality.
    assert_eq!(printed["status"], "optimal");
    assert_eq!(printed["assignments"].as_array().unwrap().len(), 3);
    let c = gantry(&["solve", "--check", &out, &input]);
    assert_eq!(
        c.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&c.stderr)
    );
}

#[test]
fn every_method_produces_a_checked_plan() {
    let dir = TempDir::new("methods");
    let input = dir.write("in.json", &sample().to_string());
    for m in ["auto", "greedy", "heuristic", "milp"] {
        let out = dir.path(&format!("{m}.json"));
        let o = gantry(&[
            "solve",
            &input,
            "--method",
            m,
            "--time-limit",
            "2",
            "--max-iterations",
            "500",
            "--output",
            &out,
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{m}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let c = gantry(&["solve", "--check", &out, &input]);
        assert_eq!(
            c.status.code(),
            Some(0),
            "{m}: {}",
            String::from_utf8_lossy(&c.stderr)
        );
    }
}

#[test]
fn check_rejects_a_tampered_plan_with_the_first_violation() {
    let dir = TempDir::new("tamper");
    let input = dir.write("in.json", &sample().to_string());
    let out = dir.path("plan.json");
    assert_eq!(
        gantry(&["solve", &input, "--output", &out, "--time-limit", "5"])
            .status
            .code(),
        Some(0)
    );
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    // Move J2 onto P2, which cannot run it.
    for a in plan["assignments"].as_array_mut().unwrap() {
        if a["job"] == "J2" {
            a["printer"] = json!("P2");
        }
    }
    let bad = dir.write("bad.json", &plan.to_string());
    let c = gantry(&["solve", "--check", &bad, &input]);
    assert_eq!(c.status.code(), Some(1));
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(err.contains("J2") && err.contains("P2"), "{err}");

    // Understate the objective.
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    plan["objective"]["value"] = json!(0.5);
    let bad = dir.write("bad2.json", &plan.to_string());
    let c = gantry(&["solve", "--check", &bad, &input]);
    assert_eq!(c.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&c.stderr).contains("objective.value"));
}

#[test]
fn bad_input_exits_2_naming_field_and_value() {
    let dir = TempDir::new("bad");
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            {
                let mut v = sample();
                v["jobs"][1]["id"] = json!("J1");
                v
            },
            "jobs",
            "J1",
        ),
        (
            {
                let mut v = sample();
                v["jobs"][0]["durations"]["P9"] = json!(10);
                v
            },
            "durations",
            "P9",
        ),
        (
            {
                let mut v = sample();
                v["jobs"][2]["release"] = json!(-5);
                v
            },
            "release",
            "-5",
        ),
        (
            {
                let mut v = sample();
                v["setup_times"]["P1"] = json!([[0, 1, 2], [1, 0, 2]]);
                v
            },
            "setup_times.P1",
            "3",
        ),
        (
            {
                let mut v = sample();
                v["printers"][0]["unavailable"] = json!([[720, 600]]);
                v
            },
            "unavailable",
            "720",
        ),
    ];
    for (i, (v, field, value)) in cases.into_iter().enumerate() {
        let input = dir.write(&format!("bad{i}.json"), &v.to_string());
        let o = gantry(&["solve", &input, "--time-limit", "1"]);
        assert_eq!(o.status.code(), Some(2), "case {i}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(field) && err.contains(value), "case {i}: {err}");
    }
    let input = dir.write("malformed.json", "{\"printers\": [");
    let o = gantry(&["solve", &input]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("malformed JSON"));
}
