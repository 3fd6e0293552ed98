//! Issue #17's "done when": a farm job from an uploaded model prints end to end on each real
//! backend — a Gantry server (the same server `gantry serve` runs, on loopback) and the real
//! `gantry-agent` process (`--config`, one printer) driving Klipper behind Moonraker, the real
//! PrusaLink, a Bambu Lab printer (emulated) behind the real Mosquitto with TLS, or OctoPrint's
//! virtual printer. The customer uploads a model and orders it from a quote (estimated for the
//! printer's model), the farm plans the job, the agent downloads its G-code — sliced by
//! PrusaSlicer with the printer's profile and the material's filament profile — sends it to the
//! printer, reports progress, and the job ends `done` in Gantry.
//!
//! The printer set-ups are the agent's own test set-ups (`agent/tests/common/`); they need the
//! virtualenvs `scripts/test.sh` makes and `prusa-slicer` on `PATH`. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../agent/tests/common/mod.rs"]
mod printers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::agent::{into_production, printer_token};
use common::{TestApp, spawn_app_with};
use gantry_engine::domain::users::Role;
use gantry_engine::store::live::testing;
use gantry_engine::store::{Backend, col};
use serde_json::{Value, json};

/// Printed in the G-code by the printer profile's start G-code.
const MARKER: &str = "; gantry profile start";

/// A 3 mm cube (ASCII STL): PrusaSlicer makes about 40 s of printing of it.
fn small_cube() -> Vec<u8> {
    gantry_app::profiles::cube_stl(3).into_bytes()
}

/// The agent process, killed on drop.
struct Agent(Child, PathBuf);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Agent {
    fn log(&self) -> String {
        let err = self.1.with_file_name("agent.err");
        std::fs::read_to_string(&self.1).unwrap_or_default() + &std::fs::read_to_string(err).unwrap_or_default()
    }
}

/// `gantry-agent` beside the `gantry` binary of this build (`cargo test --workspace` builds
/// it); the `gantry agent` subcommand (the same agent crate) when only the server was built.
fn agent_command() -> Command {
    let gantry = PathBuf::from(env!("CARGO_BIN_EXE_gantry"));
    let light = gantry.with_file_name("gantry-agent");
    if light.exists() {
        Command::new(light)
    } else {
        let mut c = Command::new(gantry);
        c.arg("agent");
        c
    }
}

/// Every file under `dir` (recursively) whose text holds `needle`.
fn files_with(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            out.push(p);
        }
    }
    out
}

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

/// A printer of `kind` on the bench: its agent config lines (after `kind`) and the directory
/// where the printer keeps the files it was sent.
struct Bench {
    kind: &'static str,
    config: String,
    files: PathBuf,
    /// How long the print may take, end to end.
    within: Duration,
}

/// The farm job, end to end: returns when it is done (or fails the test with the agent's log).
async fn prints_end_to_end(app: &TestApp, bench: &Bench) {
    let db = &app.db.db;
    // One idle printer of model MK4 with PLA loaded and in stock (the fixture's own order has
    // no model: the agent refuses it, which holds it, and prints ours).
    let fx = testing::farm(db, gantry_engine::store::now(), 1, 5000, 1)
        .await
        .unwrap();
    let planner = app.login_as(Role::Planner).await;
    // The printer profile: Klipper flavour, no heating waits (the test printers have no
    // heaters to wait for), a start G-code that marks the file.
    let profile = format!(
        "gcode_flavor = klipper\nbed_shape = 0x0,250x0,250x210,0x210\nmax_print_height = 220\n\
         nozzle_diameter = 0.4\nstart_gcode = {MARKER}\\nG28\\nG90\nend_gcode = M84\n"
    );
    let input = json!({"printerModel": "MK4", "buildVolume": {"xMm": 250, "yMm": 210, "zMm": 220},
                       "nozzleUm": 400, "materials": ["PLA"], "slicerConfig": profile});
    let v = app
        .graphql_as(
            &planner,
            "mutation($i: SetPrinterProfileInput!) { setPrinterProfile(input: $i) { id } }",
            json!({"i": input}),
        )
        .await;
    ok(&v, "setPrinterProfile");
    let filament = "temperature = 0\nfirst_layer_temperature = 0\nbed_temperature = 0\n\
                    first_layer_bed_temperature = 0\nfilament_density = 1.24";
    let v = app
        .graphql_as(
            &planner,
            "mutation($m: ID!, $c: String!) { setFilamentProfile(materialId: $m, slicerConfig: $c) { revision } }",
            json!({"m": fx.material.0.to_string(), "c": filament}),
        )
        .await;
    ok(&v, "setFilamentProfile");

    // The customer uploads a model, is quoted for the MK4 and orders.
    let customer = app.login_new(Role::Customer, "maker@example.test").await;
    let v = app
        .upload_model(
            &customer,
            "mutation($file: Upload!) { uploadModel(file: $file) { id } }",
            "cube_3mm.stl",
            small_cube(),
        )
        .await
        .1;
    let model = ok(&v, "uploadModel")["id"].clone();
    let v = app
        .graphql_as(
            &customer,
            "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id printerModel printerProfileId method } }",
            json!({"i": {"modelId": model, "materialId": fx.material.0.to_string(), "quantity": 1}}),
        )
        .await;
    let quote = ok(&v, "createQuote").clone();
    assert_eq!(
        (&quote["printerModel"], &quote["method"]),
        (&json!("MK4"), &json!("PRUSA_SLICER")),
        "{quote}"
    );
    let v = app
        .graphql_as(
            &customer,
            "mutation($q: ID!) { createOrderFromQuote(quoteId: $q) { id } }",
            json!({"q": quote["id"]}),
        )
        .await;
    let order: i64 = ok(&v, "createOrderFromQuote")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Staff take it in: placed, paid, into production.
    let order = gantry_engine::domain::types::OrderId(order);
    into_production(db, order).await;
    let job: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE order_id = $1")
        .bind(order.0)
        .fetch_one(db.pool())
        .await
        .unwrap();
    app.request_replan();

    // The real agent with the printer in its config file.
    let token = printer_token(db, fx.printers[0]).await;
    let dir = printers::temp_dir(&format!("e2e-{}", bench.kind));
    let config = format!(
        "server = \"{}\"\n\n[[printer]]\nname = \"mk4-1\"\nkind = \"{}\"\ntoken = \"{token}\"\n\
         material = \"PLA-BLK\"\n{}",
        app.base, bench.kind, bench.config
    );
    std::fs::write(dir.join("agent.toml"), config).unwrap();
    let log = dir.join("agent.log");
    let agent = Agent(
        agent_command()
            .arg("--config")
            .arg(dir.join("agent.toml"))
            .args(["--auto-clear-secs", "1", "--status-secs", "1"])
            .env("RUST_LOG", "info")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("agent.err")).unwrap())
            .spawn()
            .unwrap(),
        log,
    );

    // Sent, progress reported, finished.
    let deadline = Instant::now() + bench.within;
    let state = loop {
        let state: String = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(db.pool())
            .await
            .unwrap();
        if state == "done" || state == "failed" {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "job {job} is {state} after {:?}; agent log:\n{}",
            bench.within,
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(state, "done", "agent log:\n{}", agent.log());
    let progress: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'job.progress' AND aggregate_id = $1")
            .bind(job)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(progress > 0, "no progress reported; agent log:\n{}", agent.log());
    let states: Vec<String> =
        sqlx::query_scalar("SELECT to_state FROM job_events WHERE job_id = $1 ORDER BY id")
            .bind(job)
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert!(
        states.ends_with(&["printing".to_string(), "done".to_string()]),
        "{states:?}"
    );
    // The printer got PrusaSlicer's G-code made with the printer's and the filament's profiles.
    let sent = files_with(&bench.files, MARKER);
    assert_eq!(
        sent.len(),
        1,
        "one file with the profile's start G-code on the printer: {sent:?}"
    );
    let text = String::from_utf8_lossy(&std::fs::read(&sent[0]).unwrap()).into_owned();
    assert!(text.contains("; estimated printing time"), "PrusaSlicer's G-code");
    assert!(text.contains("; temperature = 0"), "the filament profile");
    let row = sqlx::query("SELECT COUNT(*) AS n FROM profiled_estimates")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(col::<i64>(&row, "profiled_estimates", "n").unwrap(), 1);
    drop(agent);
    let _ = std::fs::remove_dir_all(&dir);
}

fn data_env(dir: &Path) -> String {
    dir.display().to_string()
}

async fn app(backend: Backend, data: &Path) -> TestApp {
    let d = data_env(data);
    spawn_app_with(
        backend,
        &[("GANTRY_DATA_DIR", d.as_str()), ("GANTRY_SLICER", "auto")],
    )
    .await
}

async fn moonraker(backend: Backend) {
    let k = printers::klipper::Klipper::start().await;
    let data = printers::temp_dir("e2e-moonraker-data");
    let app = app(backend, &data).await;
    let bench = Bench {
        kind: "moonraker",
        config: format!("url = \"{}\"\napi_key = \"{}\"\n", k.base, k.api_key),
        files: k.dir.join("data/gcodes"),
        within: Duration::from_secs(240),
    };
    prints_end_to_end(&app, &bench).await;
    let history = k.rpc("server.history.list", json!({"limit": 5})).await;
    assert_eq!(history["jobs"][0]["status"], "completed", "{history}");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

async fn prusalink(backend: Backend) {
    let link = printers::prusalink::Link::start().await;
    let data = printers::temp_dir("e2e-prusalink-data");
    let app = app(backend, &data).await;
    let bench = Bench {
        kind: "prusalink",
        config: format!(
            "url = \"{}\"\nuser = \"{}\"\npassword = \"{}\"\nstorage = \"local\"\n",
            link.base,
            printers::prusalink::USER,
            printers::prusalink::PASSWORD
        ),
        files: link.dir.join("PrusaLink gcodes"),
        within: Duration::from_secs(240),
    };
    prints_end_to_end(&app, &bench).await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

async fn bambu(backend: Backend) {
    let farm = printers::bambu::Farm::start().await;
    let data = printers::temp_dir("e2e-bambu-data");
    let app = app(backend, &data).await;
    let bench = Bench {
        kind: "bambu",
        config: format!(
            "host = \"127.0.0.1\"\nserial = \"{}\"\naccess_code = \"{}\"\ntls_fingerprint = \"{}\"\n\
             mqtt_port = {}\nftps_port = {}\n",
            printers::bambu::SERIAL,
            printers::bambu::CODE,
            farm.fingerprint,
            farm.broker_port,
            farm.ftps_port
        ),
        files: farm.dir.join("sdcard"),
        within: Duration::from_secs(120),
    };
    prints_end_to_end(&app, &bench).await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

async fn octoprint(backend: Backend) {
    let octo = printers::octoprint::start_octoprint(&reqwest::Client::new()).await;
    let data = printers::temp_dir("e2e-octoprint-data");
    let app = app(backend, &data).await;
    let bench = Bench {
        kind: "octoprint",
        config: format!(
            "url = \"{}\"\napi_key = \"{}\"\n",
            octo.base,
            printers::octoprint::API_KEY
        ),
        files: octo.dir.join("uploads"),
        within: Duration::from_secs(240),
    };
    prints_end_to_end(&app, &bench).await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_moonraker_sqlite() {
    moonraker(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_moonraker_postgres() {
    moonraker(Backend::Postgres).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_prusalink_sqlite() {
    prusalink(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_prusalink_postgres() {
    prusalink(Backend::Postgres).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_bambu_sqlite() {
    bambu(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_bambu_postgres() {
    bambu(Backend::Postgres).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_octoprint_sqlite() {
    octoprint(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_farm_job_prints_end_to_end_on_octoprint_postgres() {
    octoprint(Backend::Postgres).await;
}
