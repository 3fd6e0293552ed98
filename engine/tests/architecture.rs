//! Architecture invariants, stated as absences and checked on the source text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn assert_absent(dir: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {dir}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // Code only: comments may name what the module stays away from.
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with("//"))
        {
            for word in forbidden {
                assert!(
                    !line.contains(word),
                    "{}:{} uses `{word}`, which {dir} must not",
                    f.display(),
                    n + 1
                );
            }
        }
    }
}

/// The domain core does no I/O and knows nothing of the database, actors or GraphQL.
#[test]
fn domain_is_pure() {
    assert_absent(
        "engine/domain/src",
        &[
            "sqlx",
            "actix",
            "async_graphql",
            "tokio",
            "std::fs",
            "std::net",
            "reqwest",
            "Utc::now",
            "SystemTime",
        ],
    );
}

/// The solver is pure optimisation.
#[test]
fn solver_is_pure() {
    assert_absent(
        "solver/src",
        &[
            "sqlx",
            "actix",
            "async_graphql",
            "tokio",
            "std::fs",
            "std::net",
            "reqwest",
        ],
    );
}
