//! The S3 path of object storage (`GANTRY_OBJECT_STORE=s3`, `object_store`'s `aws` feature)
//! against a real S3 API on loopback: `moto_server` (PyPI `moto[server]`), started by the test
//! on a spare port. The real `gantry` binary serves with the S3 settings and the standard
//! `AWS_*` credentials (as in the Kubernetes Secret and docker-compose); a model uploaded
//! through GraphQL lands in the bucket under its content address, byte for byte, and the same
//! file uploaded again is stored once.
//!
//! `moto_server` is looked up in `$GANTRY_MOTO_BIN`, else
//! `$HOME/.cache/gantry-deploy/bin/moto_server` (scripts/test.sh creates that virtualenv).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use object_store::ObjectStoreExt;
use serde_json::{Value, json};

use common::tools::{Proc, free_port, venv_tool, wait_listening};

const BIN: &str = env!("CARGO_BIN_EXE_gantry");
const BUCKET: &str = "gantry-models";
const PASSWORD: &str = "an admin password for s3";

fn gantry(dir: &Path, s3_port: u16) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("gantry.db").display()),
        )
        .env("GANTRY_DATA_DIR", dir)
        .env("GANTRY_OBJECT_STORE", "s3")
        .env("GANTRY_S3_BUCKET", BUCKET)
        .env("GANTRY_S3_ENDPOINT", format!("http://127.0.0.1:{s3_port}"))
        .env("GANTRY_S3_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "gantry")
        .env("AWS_SECRET_ACCESS_KEY", "gantry-test-secret")
        .env("RUST_LOG", "warn");
    c
}

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/models")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

async fn upload(client: &reqwest::Client, base: &str, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let query = "mutation($file: Upload!) { uploadModel(file: $file) { id sha256 sizeBytes } }";
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": query, "variables": {"file": null}}).to_string(),
        )
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let v: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["errors"].is_null(), "upload failed: {v}");
    v["data"]["uploadModel"].clone()
}

/// The keys in the bucket (ListObjectsV2, path-style, as moto answers it).
async fn keys(client: &reqwest::Client, s3: &str) -> Vec<String> {
    let xml = client
        .get(format!("{s3}/{BUCKET}?list-type=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn uploads_land_in_an_s3_bucket_by_content_address() {
    let dir = std::env::temp_dir().join(format!("gantry-s3-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s3_port = free_port();
    let _moto = Proc(
        Command::new(venv_tool(
            "GANTRY_MOTO_BIN",
            "gantry-deploy",
            "moto_server",
            "moto[server]",
        ))
        .args(["-H", "127.0.0.1", "-p", &s3_port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("moto.log")).unwrap())
        .spawn()
        .expect("start moto_server"),
    );
    wait_listening(s3_port, "moto_server");
    let s3 = format!("http://127.0.0.1:{s3_port}");
    let client = reqwest::Client::new();
    let made = client.put(format!("{s3}/{BUCKET}")).send().await.unwrap();
    assert!(made.status().is_success(), "create bucket: {}", made.status());

    // An admin, then the server with the S3 settings.
    let out = gantry(&dir, s3_port).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut child = gantry(&dir, s3_port)
        .args([
            "create-user",
            "--email",
            "root@gantry.test",
            "--name",
            "Root",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = free_port();
    let _server = Proc(
        gantry(&dir, s3_port)
            .env("GANTRY_LISTEN", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("gantry.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_listening(port, "gantry serve");
    let base = format!("http://127.0.0.1:{port}");
    let v: Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": {"e": "root@gantry.test", "p": PASSWORD},
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = v["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {v}"))
        .to_string();

    let cube = fixture("cube_20mm.stl");
    let model = upload(&client, &base, &token, "cube_20mm.stl", cube.clone()).await;
    let sha = model["sha256"].as_str().unwrap().to_string();
    let key = gantry_api::storage::model_key(&sha);
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_endpoint(&s3)
        .with_allow_http(true)
        .with_access_key_id("gantry")
        .with_secret_access_key("gantry-test-secret")
        .build()
        .unwrap();
    let stored = bucket
        .get(&object_store::path::Path::from(key.as_str()))
        .await
        .unwrap_or_else(|e| panic!("{key} is not in the bucket: {e}"))
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored.to_vec(), cube);
    assert!(
        !std::fs::exists(dir.join("objects")).unwrap(),
        "nothing goes to local disk"
    );

    // The same content again: one object.
    let again = upload(&client, &base, &token, "copy.stl", cube).await;
    assert_eq!(again["sha256"], model["sha256"]);
    let models: Vec<String> = keys(&client, &s3)
        .await
        .into_iter()
        .filter(|k| k.starts_with("models/"))
        .collect();
    assert_eq!(models, vec![key]);
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}
