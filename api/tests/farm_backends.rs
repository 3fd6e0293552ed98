//! Issue #17's "done when": a farm job from an uploaded model prints end to end on each printer
//! backend. Per backend, everything real runs as its own process on loopback:
//!
//! - `gantry serve` (this build's binary) on a fresh database (SQLite and PostgreSQL);
//! - the printer's own server: Klipper's host behind Moonraker, PrusaLink driving its stand-in
//!   MK3S firmware, OctoPrint's virtual printer, or the Bambu Lab emulator behind the real
//!   Mosquitto with TLS (the agent's test set-ups, `agent/tests/common/`);
//! - the standalone `gantry-agent` with the printer in its `--config` file;
//! - a camera (an HTTP server serving a JPEG), found through Moonraker's webcam list and
//!   OctoPrint's webcam settings, configured as `snapshot_url` for PrusaLink and Bambu.
//!
//! Only the product's surfaces are used: the administrator is made with `gantry create-user`,
//! sets up the material, the printer, its printer profile (PrusaSlicer settings for its model)
//! and the filament profile through GraphQL and mints the printer token; the customer signs up,
//! uploads an STL, is quoted for the printer's model and orders; staff place, pay and start
//! production. The farm plans the job, the agent downloads its G-code (sliced by PrusaSlicer
//! with both profiles), sends it to the printer and starts it, progress and temperatures reach
//! GraphQL, the job ends `DONE`, and the camera's pictures are served for the printer and kept
//! for the job.
//!
//! Needs the virtualenvs `scripts/test.sh` makes, `prusa-slicer` on `PATH`, `mosquitto` and
//! `openssl`, and `gantry-agent` built beside `gantry` (`cargo build -p gantry-agent`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live;
#[path = "../../agent/tests/common/mod.rs"]
mod printers;
#[path = "farm_backends/server.rs"]
mod server;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use gantry_engine::store::Backend;
use serde_json::json;
use server::{Camera, Gantry, files_with};

/// Printed at the top of the G-code by every printer profile's start G-code.
const MARKER: &str = "; gantry profile start";
/// The filament profile's temperatures (PrusaSlicer puts them in the G-code as M104/M140).
const NOZZLE_C: f64 = 215.0;
const BED_C: f64 = 60.0;

/// A printer of one backend on the bench.
struct Bench {
    kind: &'static str,
    /// The printer's model (its printer profile is made for this model).
    model: &'static str,
    /// PrusaSlicer's `gcode_flavor` for it.
    flavor: &'static str,
    /// The lines of its `[[printer]]` entry after `kind`, `token` and `material`.
    config: String,
    /// Where the printer keeps the files it was sent.
    files: PathBuf,
    /// The nozzle and bed targets a printing printer reports: the G-code's, or (Bambu
    /// emulator) its own.
    targets: (f64, f64),
    /// Whether the printer reports measured temperatures above room temperature while printing
    /// (Klipper's batch mode reads no thermistor: its temperatures stay 0; OctoPrint's virtual
    /// printer heats towards the targets at its own pace).
    measures: bool,
}

/// The agent process (killed on drop) and its log.
struct Agent(#[allow(dead_code)] live::Proc, PathBuf);

/// `gantry-agent` beside the `gantry` binary of this build.
fn agent_bin() -> PathBuf {
    let p = PathBuf::from(live::BIN).with_file_name("gantry-agent");
    assert!(
        p.exists(),
        "{} not built: run `cargo build -p gantry-agent`",
        p.display()
    );
    p
}

fn profile(bench: &Bench) -> String {
    // No heating waits (M104/M140 instead of M109/M190: the test printers' heaters are
    // simulated), a short dwell per layer so every printer shows progress, fast moves.
    format!(
        "gcode_flavor = {}\nbed_shape = 0x0,250x0,250x210,0x210\nmax_print_height = 220\n\
         nozzle_diameter = 0.4\n\
         start_gcode = {MARKER} for {}\\nG28\\nG90\\nM104 S[first_layer_temperature]\\nM140 S[first_layer_bed_temperature]\n\
         end_gcode = M104 S0\\nM140 S0\\nM84\nlayer_gcode = G4 P200\n\
         perimeter_speed = 200\nexternal_perimeter_speed = 200\ninfill_speed = 250\n\
         solid_infill_speed = 250\ntop_solid_infill_speed = 200\nfirst_layer_speed = 100\n\
         travel_speed = 300\nskirts = 0\n",
        bench.flavor, bench.model
    )
}

const FILAMENT: &str = "temperature = 215\nfirst_layer_temperature = 215\nbed_temperature = 60\n\
                        first_layer_bed_temperature = 60\nfilament_density = 1.24\n";

const PRINTER: &str = "query($id: ID!) { printer(id: $id) { status loadedMaterial { code } \
    telemetry { reportedState jobId nozzleC nozzleTargetC bedC bedTargetC progress layer totalLayers } \
    snapshotUrl snapshotTakenAt } }";

const JOB: &str = "query($id: ID!) { job(id: $id) { state printerId progressPct failureReason \
    events { from to note } snapshots { moment url } } }";

/// What the planner saw while the job printed.
#[derive(Debug, Default)]
struct Seen {
    progress: Vec<i64>,
    nozzle: f64,
    nozzle_target: f64,
    bed: f64,
    bed_target: f64,
    total_layers: Option<i64>,
}

/// The farm job, end to end, on `bench`'s printer; `camera` is what the printer's camera serves.
async fn prints_end_to_end(backend: Backend, bench: Bench, camera: &Camera) {
    let g = Gantry::start(backend, bench.kind).await;
    let admin = g.admin().await;

    // The farm: PLA in stock, one printer of the bench's model with its printer profile.
    let material = g
        .ok(
            &admin,
            "mutation($i: CreateMaterialInput!) { createMaterial(input: $i) { id } }",
            json!({"i": {"code": "PLA-BLK", "kind": "PLA", "colour": "black",
                         "pricePerKg": {"minor": 2000, "currency": "EUR"}}}),
        )
        .await["createMaterial"]["id"]
        .clone();
    g.ok(
        &admin,
        "mutation($m: ID!) { receiveSpool(materialId: $m, grams: 1000) { id } }",
        json!({"m": material}),
    )
    .await;
    let printer = g
        .ok(
            &admin,
            "mutation($i: CreatePrinterInput!) { createPrinter(input: $i) { id status } }",
            json!({"i": {"name": format!("{}-1", bench.kind), "model": bench.model, "technology": "FDM",
                         "buildVolume": {"xMm": 250, "yMm": 210, "zMm": 220}, "nozzleUm": 400,
                         "materials": ["PLA"], "hourlyCost": {"minor": 150, "currency": "EUR"}}}),
        )
        .await["createPrinter"]["id"]
        .clone();
    g.ok(
        &admin,
        "mutation($i: SetPrinterProfileInput!) { setPrinterProfile(input: $i) { id } }",
        json!({"i": {"printerModel": bench.model, "buildVolume": {"xMm": 250, "yMm": 210, "zMm": 220},
                     "nozzleUm": 400, "materials": ["PLA"], "slicerConfig": profile(&bench)}}),
    )
    .await;
    g.ok(
        &admin,
        "mutation($m: ID!, $c: String!) { setFilamentProfile(materialId: $m, slicerConfig: $c) { revision } }",
        json!({"m": material, "c": FILAMENT}),
    )
    .await;
    let token = g
        .ok(
            &admin,
            "mutation($p: ID!) { createPrinterToken(printerId: $p) { token } }",
            json!({"p": printer}),
        )
        .await["createPrinterToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();

    // The customer uploads a 3 mm cube, is quoted for the printer's model and orders.
    let customer = g.sign_up("maker@example.test").await;
    let model = g
        .upload(
            &customer,
            "cube_3mm.stl",
            gantry_app::profiles::cube_stl(3).into_bytes(),
        )
        .await;
    let quote = g
        .ok(
            &customer,
            "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id printerModel method } }",
            json!({"i": {"modelId": model, "materialId": material, "quantity": 1}}),
        )
        .await["createQuote"]
        .clone();
    assert_eq!(
        (&quote["printerModel"], &quote["method"]),
        (&json!(bench.model), &json!("PRUSA_SLICER")),
        "{quote}"
    );
    let order = g
        .ok(
            &customer,
            "mutation($q: ID!) { createOrderFromQuote(quoteId: $q) { id } }",
            json!({"q": quote["id"]}),
        )
        .await["createOrderFromQuote"]["id"]
        .clone();
    // Staff take it in.
    for m in ["placeOrder(id: $o) { id }", "payOrder(id: $o) { id }"] {
        g.ok(
            &admin,
            &format!("mutation($o: ID!) {{ {m} }}"),
            json!({"o": order}),
        )
        .await;
    }
    let jobs = g
        .ok(
            &admin,
            "mutation($o: ID!) { startProduction(orderId: $o) { id } }",
            json!({"o": order}),
        )
        .await["startProduction"]
        .clone();
    assert_eq!(jobs.as_array().map(Vec::len), Some(1), "{jobs}");
    let job = jobs[0]["id"].clone();

    // The real agent, with the printer in its config file.
    let dir = g.data.join("agent");
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = format!(
        "server = \"{}\"\nstate_dir = \"{}\"\n\n[[printer]]\nname = \"{}-1\"\nkind = \"{}\"\n\
         token = \"{token}\"\nmaterial = \"PLA-BLK\"\n{}",
        g.base,
        dir.display(),
        bench.kind,
        bench.kind,
        bench.config
    );
    if !camera.discovered {
        config.push_str(&format!("snapshot_url = \"{}\"\n", camera.url));
    }
    std::fs::write(dir.join("agent.toml"), config).unwrap();
    let log = dir.join("agent.log");
    let agent = Agent(
        live::Proc(
            Command::new(agent_bin())
                .arg("--config")
                .arg(dir.join("agent.toml"))
                .args(["--auto-clear-secs", "1", "--status-secs", "0.5"])
                .args(["--snapshot-secs", "2", "--progress-step", "5"])
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        ),
        log,
    );
    let context = |what: &str| {
        format!(
            "{what}\n--- agent log:\n{}\n--- server log:\n{}",
            live::tail(&agent.1),
            live::tail(&g.data.join("serve.log"))
        )
    };

    // Planned, sent, printing with progress and temperatures, done.
    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(240);
    let state = loop {
        let j = g.ok(&admin, JOB, json!({"id": job})).await["job"].clone();
        let state = j["state"].as_str().unwrap_or_default().to_string();
        if state == "PRINTING" {
            let p = g.ok(&admin, PRINTER, json!({"id": printer})).await["printer"].clone();
            let t = &p["telemetry"];
            if t["jobId"] == job {
                let pct = t["progress"].as_i64().unwrap_or(0);
                if seen.progress.last() != Some(&pct) {
                    seen.progress.push(pct);
                }
                let f = |k: &str| t[k].as_f64().unwrap_or(0.0);
                seen.nozzle = seen.nozzle.max(f("nozzleC"));
                seen.nozzle_target = seen.nozzle_target.max(f("nozzleTargetC"));
                seen.bed = seen.bed.max(f("bedC"));
                seen.bed_target = seen.bed_target.max(f("bedTargetC"));
                seen.total_layers = seen.total_layers.or(t["totalLayers"].as_i64());
            }
        }
        if ["DONE", "FAILED", "REQUEUED", "ABANDONED"].contains(&state.as_str()) {
            break j;
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            context(&format!("job {job} is still {state}: {j}"))
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    };
    eprintln!(
        "{} on {backend:?}: job {job} done; seen while printing: {seen:?}",
        bench.kind
    );
    assert_eq!(state["state"], "DONE", "{}", context(&state.to_string()));
    assert_eq!(state["printerId"], printer);
    assert_eq!(state["progressPct"], 100, "{state}");
    let transitions: Vec<(String, String)> = state["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap_or("").to_string(),
                e["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        transitions.ends_with(&[
            ("SCHEDULED".into(), "PRINTING".into()),
            ("PRINTING".into(), "DONE".into())
        ]),
        "{transitions:?}"
    );
    let progress_events = g
        .count(&format!(
            "SELECT COUNT(*) FROM events WHERE type = 'job.progress' AND aggregate_id = {}",
            job.as_str().unwrap()
        ))
        .await;
    assert!(progress_events > 0, "{}", context("no progress recorded"));
    // Progress and temperatures reached GraphQL while it printed.
    assert!(
        seen.progress.iter().any(|p| *p > 0 && *p < 100),
        "{}",
        context(&format!("no progress seen while printing: {seen:?}"))
    );
    assert_eq!(
        (seen.nozzle_target, seen.bed_target),
        bench.targets,
        "{}",
        context(&format!("temperatures seen: {seen:?}"))
    );
    if bench.measures {
        assert!(
            seen.nozzle > 30.0 && seen.bed > 30.0,
            "{}",
            context(&format!("no measured temperatures: {seen:?}"))
        );
    }

    // The printer got PrusaSlicer's G-code made with the printer's and the filament's profiles.
    let sent = files_with(&bench.files, MARKER);
    assert_eq!(
        sent.len(),
        1,
        "one file with the profile's start G-code: {sent:?}"
    );
    let text = String::from_utf8_lossy(&std::fs::read(&sent[0]).unwrap()).into_owned();
    assert!(text.contains(&format!("{MARKER} for {}", bench.model)));
    assert!(text.contains("; estimated printing time"), "PrusaSlicer's G-code");
    assert!(
        text.contains("M104 S215") && text.contains("M140 S60"),
        "the filament profile"
    );
    assert_eq!(g.count("SELECT COUNT(*) FROM profiled_estimates").await, 1);

    // The camera: the latest picture for the printer, the start and end pictures for the job.
    let p = g.ok(&admin, PRINTER, json!({"id": printer})).await["printer"].clone();
    assert_eq!(p["loadedMaterial"]["code"], "PLA-BLK", "{p}");
    let url = p["snapshotUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", context(&format!("no snapshot: {p}"))));
    assert_eq!(g.get(&admin, url).await, (200, server::jpeg()));
    let moments: Vec<&str> = state["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["moment"].as_str().unwrap())
        .collect();
    assert_eq!(moments, ["start", "end"], "{state}");
    assert!(camera.hits.load(Ordering::SeqCst) >= 2);
    assert!(
        !format!("{p}{state}").contains(&camera.port.to_string()),
        "the camera's address leaked"
    );
    drop(agent);
    g.stop().await;
}

async fn moonraker(backend: Backend) {
    let camera = Camera::start(true);
    let webcam = format!(
        "[webcam gantry]\nservice: mjpegstreamer\nstream_url: {0}/stream\nsnapshot_url: {0}/snapshot\n",
        camera.base()
    );
    let k = printers::klipper::Klipper::start_with(&webcam).await;
    let bench = Bench {
        kind: "moonraker",
        model: "Voron 2.4",
        flavor: "klipper",
        config: format!("url = \"{}\"\napi_key = \"{}\"\n", k.base, k.api_key),
        files: k.dir.join("data/gcodes"),
        targets: (NOZZLE_C, BED_C),
        measures: false,
    };
    prints_end_to_end(backend, bench, &camera).await;
    let history = k.rpc("server.history.list", json!({"limit": 5})).await;
    assert_eq!(history["jobs"][0]["status"], "completed", "{history}");
}

/// One PrusaLink at a time: two PrusaLink 0.8.1 processes on one loaded host make its start
/// race ([`printers::prusalink::Link::broke_itself`]) likelier; a farm has one per printer.
static ONE_PRUSALINK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn prusalink(backend: Backend) {
    use futures_util::FutureExt;
    let _turn = ONE_PRUSALINK.lock().await;
    for attempt in 1..=2 {
        let camera = Camera::start(false);
        let link = printers::prusalink::Link::start().await;
        let bench = Bench {
            kind: "prusalink",
            model: "MK3S",
            flavor: "marlin2",
            config: format!(
                "url = \"{}\"\nuser = \"{}\"\npassword = \"{}\"\nstorage = \"local\"\n",
                link.base,
                printers::prusalink::USER,
                printers::prusalink::PASSWORD
            ),
            files: link.dir.join("PrusaLink gcodes"),
            targets: (NOZZLE_C, BED_C),
            measures: true,
        };
        let run = std::panic::AssertUnwindSafe(prints_end_to_end(backend, bench, &camera))
            .catch_unwind()
            .await;
        match run {
            Ok(()) => {
                link.wait_state("FINISHED").await;
                return;
            }
            // PrusaLink's own start race killed it (the job failed on a printer error, as it
            // should): once more, with a fresh PrusaLink and farm.
            Err(_) if attempt == 1 && link.broke_itself() => {
                eprintln!("PrusaLink broke itself at the print's start (its 0.8.1 race); once more");
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

async fn bambu(backend: Backend) {
    let camera = Camera::start(false);
    let farm = printers::bambu::Farm::start().await;
    let bench = Bench {
        kind: "bambu",
        model: "X1C",
        flavor: "marlin2",
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
        // The emulator heats to its own targets (it does not run the G-code).
        targets: (220.0, 55.0),
        measures: true,
    };
    prints_end_to_end(backend, bench, &camera).await;
}

async fn octoprint(backend: Backend) {
    let camera = Camera::start(true);
    let snapshot = format!("{}/snapshot", camera.base());
    let http = reqwest::Client::new();
    // The webcam as OctoPrint up to 1.8 kept it (`webcam.snapshot`): 1.9+ moves it into its
    // classic webcam plugin on start, whose URL the settings API then reports.
    let octo = printers::octoprint::start_octoprint_with(&http, &[("webcam.snapshot", &snapshot)]).await;
    let bench = Bench {
        kind: "octoprint",
        model: "Ender 3",
        flavor: "marlin2",
        config: format!(
            "url = \"{}\"\napi_key = \"{}\"\n",
            octo.base,
            printers::octoprint::API_KEY
        ),
        files: octo.dir.join("uploads"),
        targets: (NOZZLE_C, BED_C),
        measures: true,
    };
    prints_end_to_end(backend, bench, &camera).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_moonraker_sqlite() {
    moonraker(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_moonraker_postgres() {
    moonraker(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_prusalink_sqlite() {
    prusalink(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_prusalink_postgres() {
    prusalink(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_bambu_sqlite() {
    bambu(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_bambu_postgres() {
    bambu(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_octoprint_sqlite() {
    octoprint(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_job_prints_end_to_end_on_octoprint_postgres() {
    octoprint(Backend::Postgres).await;
}
