//! G-code for real printers: a dispatched job carries `gcode_url` when its model has G-code
//! (stored when it was sliced, or sliced on demand when a slicer is configured), and
//! `GET /agent/jobs/{job}/gcode` serves it to the agent of the printer the job is assigned to,
//! with that printer's token — and refuses everyone else (both backends).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use gantry_api::storage::{self, Storage};
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::geometry::{self, ParseLimits};
use gantry_engine::domain::printing::{Estimate, NewModel, PartGeometry, SliceSettings};
use gantry_engine::domain::types::{ModelFileId, OrderId};
use gantry_engine::store::live::testing;
use gantry_engine::store::{Db, equipment, printing};
use serde_json::{Value, json};

use common::TestApp;
use common::agent::{call, connect, model_order, printer_token, recv_kind};

const GCODE: &[u8] = include_bytes!("../../agent/tests/fixtures/square-20mm.gcode");

fn model_file() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/models/cube_20mm.stl");
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn slicer_installed() -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("prusa-slicer").is_file())
}

/// Stores the cube model (file in object storage, row in `models`), with `gcode` as its
/// stored G-code when given (none: as if uploaded without a slicer).
async fn store_model(db: &Db, objects: &Storage, gcode: Option<&[u8]>) -> ModelFileId {
    let bytes = model_file();
    let sha = storage::sha256_hex(&bytes);
    let key = storage::model_key(&sha);
    objects
        .put_if_absent(&key, Bytes::from(bytes.clone()))
        .await
        .unwrap();
    let analysis = geometry::parse_and_analyse("cube_20mm.stl", &bytes, &ParseLimits::default()).unwrap();
    let g = PartGeometry {
        volume_mm3: analysis.volume_mm3,
        surface_area_mm2: analysis.surface_area_mm2,
        size_mm: analysis.size_mm,
    };
    let mut estimate = Estimate::formula(&g, &SliceSettings::default());
    if let Some(gcode) = gcode {
        let gkey = storage::gcode_key(&storage::sha256_hex(gcode));
        objects
            .put_if_absent(&gkey, Bytes::copy_from_slice(gcode))
            .await
            .unwrap();
        estimate.gcode_key = Some(gkey);
    }
    let now = gantry_engine::store::now();
    let mut tx = db.begin().await.unwrap();
    let m = printing::insert_model(
        &mut tx,
        now,
        &NewModel {
            sha256: sha,
            file_name: "cube_20mm.stl".into(),
            format: "stl".into(),
            size_bytes: i64::try_from(model_file().len()).unwrap(),
            object_key: key,
            customer_id: None,
            uploaded_by: None,
            analysis_json: serde_json::to_string(&analysis).unwrap(),
            estimate,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    m.id
}

/// `GET` a path of the server with an optional printer token: (status, body).
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Bytes) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap())
}

fn error_code(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["error"]["code"].as_str().unwrap_or("").to_string()
}

async fn run(app: &TestApp, dir: &Path) {
    let db = &app.db.db;
    let objects = Storage::new(&gantry_api::config::ObjectStoreConfig::Local {
        root: dir.join("objects"),
    });
    // Printer A runs the agent; printer B is in maintenance (no planned work) but has a token.
    let fx = testing::farm(db, gantry_engine::store::now(), 2, 1000, 1)
        .await
        .unwrap();
    let (a, b) = (fx.printers[0], fx.printers[1]);
    let mut tx = db.begin().await.unwrap();
    equipment::set_status(
        &mut tx,
        gantry_engine::store::now(),
        b,
        PrinterStatus::Maintenance,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sliced = store_model(db, &objects, Some(GCODE)).await;
    let unsliced = store_model(db, &objects, None).await;
    let with_gcode = model_order(db, fx.order, fx.material, sliced).await;
    let without_gcode = model_order(db, fx.order, fx.material, unsliced).await;
    let (token_a, token_b) = (printer_token(db, a).await, printer_token(db, b).await);
    app.request_replan();
    let on_demand = slicer_installed();

    let mut ws = connect(app, Some(&token_a)).await.unwrap();
    call(
        &mut ws,
        json!({"v": 1, "id": "h", "type": "hello", "agent": "test/1", "state": "idle"}),
    )
    .await;
    // An unknown job is 404 (for a valid token); no token is 401.
    let (status, body) = get(app, "/agent/jobs/999999/gcode", Some(&token_a)).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (404, "JOB_NOT_FOUND"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _) = get(app, "/agent/jobs/999999/gcode", None).await;
    assert_eq!(status, 401);

    let mut seen = Vec::new();
    for i in 0..3 {
        let assign = recv_kind(&mut ws, "assign_job").await;
        let job = assign["assignment"]["job"].as_i64().unwrap();
        let order = OrderId(assign["assignment"]["order_id"].as_i64().unwrap());
        let url = assign["assignment"]["gcode_url"].as_str().map(str::to_string);
        let path = format!("/agent/jobs/{job}/gcode");
        // Another printer's token is refused, whatever the job.
        let (status, body) = get(app, &path, Some(&token_b)).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "JOB_NOT_ASSIGNED_HERE"),
            "job {job}"
        );
        let (status, body) = get(app, &path, Some(&token_a)).await;
        if order == with_gcode {
            assert_eq!(url.as_deref(), Some(path.as_str()));
            assert_eq!(status, 200);
            assert_eq!(&body[..], GCODE);
        } else if order == without_gcode {
            if on_demand {
                // Sliced by PrusaSlicer when downloaded.
                assert_eq!(url.as_deref(), Some(path.as_str()));
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                let text = String::from_utf8_lossy(&body);
                assert!(
                    text.contains("; estimated printing time"),
                    "not PrusaSlicer G-code"
                );
                // Kept: the second download is the same file.
                let (again, body2) = get(app, &path, Some(&token_a)).await;
                assert_eq!((again, &body2[..]), (200, &body[..]));
            } else {
                assert_eq!(url, None);
                assert_eq!((status, error_code(&body).as_str()), (409, "GCODE_UNAVAILABLE"));
            }
        } else {
            // The fixture's order names no stored model: no URL, and the endpoint says why.
            assert_eq!(order, fx.order);
            assert_eq!(url, None, "{assign}");
            assert_eq!(status, 409);
            assert_eq!(error_code(&body), "GCODE_UNAVAILABLE");
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("no stored model"),
                "{v}"
            );
        }
        seen.push(order);
        for (k, t) in ["job_started", "job_completed"].into_iter().enumerate() {
            call(
                &mut ws,
                json!({"v": 1, "id": format!("j{i}-{k}"), "type": t, "job": job}),
            )
            .await;
        }
        // A finished job's G-code is still its printer's.
        assert_eq!(get(app, &path, Some(&token_b)).await.0, 403);
        call(
            &mut ws,
            json!({"v": 1, "id": format!("b{i}"), "type": "bed_cleared"}),
        )
        .await;
    }
    seen.sort();
    let mut want = vec![fx.order, with_gcode, without_gcode];
    want.sort();
    assert_eq!(seen, want);
}

async fn go(backend: gantry_engine::store::Backend) {
    let id = gantry_api::auth::random_id().unwrap();
    let dir: PathBuf = std::env::temp_dir().join(format!("gantry-gcode-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let app = common::spawn_app_with(backend, &[("GANTRY_DATA_DIR", d.as_str())]).await;
    run(&app, &dir).await;
    app.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[actix_web::test]
async fn dispatched_jobs_carry_their_gcode_for_their_printer_only_sqlite() {
    go(gantry_engine::store::Backend::Sqlite).await;
}

#[actix_web::test]
async fn dispatched_jobs_carry_their_gcode_for_their_printer_only_postgres() {
    go(gantry_engine::store::Backend::Postgres).await;
}
