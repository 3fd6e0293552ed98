//! Architecture invariants that the crate graph states, checked on `cargo metadata`: the pure
//! domain and the agent protocol have no I/O dependencies, the printer agent does not depend on
//! the engine (so a printer host builds neither HiGHS nor sqlx nor zip), and the engine's test
//! support (feature `testing`) is enabled by dev-dependencies only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The host's target triple (the dependencies of other platforms are not looked at).
fn host() -> String {
    let out = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_string()
}

/// Package name → its normal (not dev, not build) dependencies' package names, as resolved.
fn graph() -> &'static BTreeMap<String, BTreeSet<String>> {
    static GRAPH: std::sync::OnceLock<BTreeMap<String, BTreeSet<String>>> = std::sync::OnceLock::new();
    GRAPH.get_or_init(read_graph)
}

fn read_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host(),
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut g = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| names[d["pkg"].as_str().unwrap()].to_string())
            .collect();
        g.insert(names[node["id"].as_str().unwrap()].to_string(), deps);
    }
    g
}

/// Every package `root` depends on, directly or not (normal dependencies).
fn closure(g: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(p) = todo.pop() {
        for d in g.get(&p).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

fn assert_free_of(root: &str, forbidden: &[&str]) {
    let g = graph();
    assert!(g.contains_key(root), "no package {root}");
    let deps = closure(g, root);
    let found: Vec<&&str> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "{root} depends on {found:?}");
}

#[test]
fn the_domain_crate_has_no_io_dependencies() {
    assert_free_of(
        "gantry-domain",
        &[
            "sqlx",
            "sqlx-core",
            "tokio",
            "actix",
            "actix-web",
            "async-graphql",
            "reqwest",
            "gantry-engine",
            "gantry-solver",
        ],
    );
}

#[test]
fn the_protocol_crate_is_data_only() {
    assert_free_of(
        "gantry-protocol",
        &["sqlx-core", "tokio", "actix", "async-graphql", "gantry-domain"],
    );
}

#[test]
fn the_agent_depends_on_the_protocol_not_the_engine() {
    assert_free_of(
        "gantry-agent",
        &[
            "gantry-engine",
            "gantry-domain",
            "gantry-solver",
            "sqlx",
            "sqlx-core",
            "highs",
            "highs-sys",
            "good_lp",
            "zip",
        ],
    );
    assert!(closure(graph(), "gantry-agent").contains("gantry-protocol"));
}

#[test]
fn the_solver_knows_no_database_actors_or_graphql() {
    assert_free_of(
        "gantry-solver",
        &["sqlx-core", "tokio", "actix", "async-graphql", "gantry-engine"],
    );
}

#[test]
fn the_application_layer_knows_no_transport() {
    assert_free_of(
        "gantry-app",
        &[
            "actix",
            "actix-web",
            "async-graphql",
            "gantry-actors",
            "gantry-api",
            "redis",
            "object_store",
            "mongodb",
        ],
    );
    // The transports reach the core through it.
    for transport in ["gantry-actors", "gantry-api"] {
        assert!(
            graph()[transport].contains("gantry-app"),
            "{transport} does not use gantry-app"
        );
    }
    // The actors solve nothing themselves: planning is a use case.
    assert!(!graph()["gantry-actors"].contains("gantry-solver"));
}

/// The names a resolver must not use: the store, the solver, the slicer, object storage, the
/// analysis cache (resolvers parse, check permissions, call one use case of `gantry_app`, map).
const NOT_IN_RESOLVERS: &[&str] = &[
    "gantry_engine::store",
    "store::",
    "gantry_solver",
    "crate::slicer",
    "crate::storage",
    "object_store",
    "mongodb",
    "crate::analytics",
    "sqlx",
];

/// `(file, line number, line)` of every source line in `dir` naming one of `names` (comments
/// included: a doc that points a reader at the store is as wrong as code that uses it).
fn lines_naming(dir: &std::path::Path, names: &[&str]) -> Vec<(String, usize, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(lines_naming(&path, names));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if names.iter().any(|n| line.contains(n)) {
                found.push((path.display().to_string(), i + 1, line.trim().to_string()));
            }
        }
    }
    found
}

#[test]
fn resolvers_do_not_name_the_store_the_solver_the_slicer_or_object_storage() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/graphql");
    let found = lines_naming(&dir, NOT_IN_RESOLVERS);
    assert!(
        found.is_empty(),
        "resolvers reach past the application layer:\n{found:#?}"
    );
}

#[test]
fn actors_do_not_name_the_store_or_the_solver() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../actors/src");
    let names = ["gantry_engine::store::live", "store::", "gantry_solver", "sqlx"];
    let found: Vec<_> = lines_naming(&dir, &names)
        .into_iter()
        // The store's error type is named: the printer actor tells refusals from outages by it.
        .filter(|(_, _, l)| l != "use gantry_engine::store::StoreError;")
        .collect();
    assert!(
        found.is_empty(),
        "actors reach past the application layer:\n{found:#?}"
    );
}

/// The workspace's own packages as `cargo metadata` lists them.
fn workspace_packages() -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--no-deps"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"].as_array().unwrap().clone()
}

/// The engine's test support (feature `testing`: a fresh database per test with `CREATE
/// DATABASE`, `db_test!`, the live-farm fixture) is not in the server: no normal dependency on
/// gantry-engine enables it and no feature of a shipped crate does (dev-dependencies do, and the
/// load benchmark's `agent` feature, which is not shipped), and the `gantry` binary's resolved
/// features leave it out.
#[test]
fn test_support_stays_out_of_normal_builds() {
    for p in workspace_packages() {
        let name = p["name"].as_str().unwrap();
        for d in p["dependencies"].as_array().unwrap() {
            if d["name"] == "gantry-engine" && d["kind"].is_null() {
                let features: Vec<&str> = d["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(
                    !features.contains(&"testing"),
                    "{name} enables gantry-engine's `testing` feature in [dependencies]"
                );
            }
        }
        if name == "gantry-benches" {
            continue;
        }
        for (feature, enables) in p["features"].as_object().unwrap() {
            for e in enables.as_array().unwrap().iter().filter_map(Value::as_str) {
                assert!(
                    !matches!(e, "gantry-engine/testing" | "gantry-engine?/testing"),
                    "{name}'s feature `{feature}` enables gantry-engine's `testing` feature"
                );
            }
        }
    }
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "gantry-api",
            "-e",
            "features,normal",
            "-i",
            "gantry-engine",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("gantry-engine feature \"default\""), "{tree}");
    assert!(
        !tree.contains("gantry-engine feature \"testing\""),
        "the gantry binary is built with the engine's test support:\n{tree}"
    );
}

/// Every source file under `dir` (recursively) with its line count.
fn line_counts(dir: &std::path::Path, out: &mut Vec<(String, usize)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "tests" | "node_modules" | "target" | "out" | ".next"
            ) {
                line_counts(&path, out);
            }
            continue;
        }
        let source = [".rs", ".ts", ".tsx", ".mjs"].iter().any(|e| name.ends_with(e));
        // Tests and generated files are exempt.
        let exempt = name == "tests.rs"
            || name.ends_with(".test.ts")
            || name.ends_with(".test.tsx")
            || name == "generated.ts";
        if source && !exempt {
            let n = std::fs::read_to_string(&path).unwrap().lines().count();
            out.push((path.display().to_string(), n));
        }
    }
}

/// A file past 800 lines is a module waiting to be split.
#[test]
fn no_source_file_is_over_800_lines() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut counts = Vec::new();
    for dir in [
        "engine",
        "solver",
        "actors",
        "api/src",
        "agent/src",
        "benches/src",
        "web/src",
        "web/e2e",
    ] {
        line_counts(&root.join(dir), &mut counts);
    }
    assert!(counts.len() > 100, "the walk found the sources: {}", counts.len());
    let long: Vec<_> = counts.into_iter().filter(|(_, n)| *n > 800).collect();
    assert!(long.is_empty(), "split these: {long:#?}");
}
