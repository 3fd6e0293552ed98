//! Printing through the HTTP API with real model files (engine/tests/fixtures/models): GraphQL
//! multipart uploads, analysis, estimates (PrusaSlicer when installed, the formula when off),
//! quotes with a delivery date, orders from quotes; deduplication by content hash, limits,
//! broken files, customer scoping, expiry, the Redis cache and product links.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, col, count_rows};
use serde_json::{Value, json};

use common::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/models")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// Every file under `dir` (recursively).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

const UPLOAD: &str = "mutation($file: Upload!) { uploadModel(file: $file) { id sha256 fileName format sizeBytes \
    analysis { triangles objects volumeMm3 surfaceAreaMm2 sizeMm closed consistentlyOriented units warnings } \
    estimate { method materialCm3 printMinutes gcodeStored } fits { printerId orientation footprintMm } } }";

/// Uploads one file as `$file` with the full selection of `UPLOAD`.
async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    app.upload_model(token, UPLOAD, name, bytes).await
}

fn reason(v: &Value) -> &str {
    v["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {v}"))
}

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

/// A PLA material at 25.00 EUR/kg and two FDM printers (one small, one that is offline).
async fn farm(db: &Db) -> i64 {
    let row = sqlx::query(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
         VALUES ('PLA-BLK', 'PLA', 'black', 1750, 1240, 2500, 'EUR', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let material: i64 = col(&row, "materials", "id").unwrap();
    for (name, x, status, hourly) in [
        ("mk4", 250, "idle", 150),
        ("mini", 180, "idle", 90),
        ("old", 300, "offline", 10),
    ] {
        let row = sqlx::query(
            "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
             hourly_cost_minor, currency, status, created_at) \
             VALUES ($1, 'MK4', 'fdm', $2, $2, 180, 400, $3, 'EUR', $4, 0) RETURNING id",
        )
        .bind(name)
        .bind(x)
        .bind(hourly)
        .bind(status)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let id: i64 = col(&row, "printers", "id").unwrap();
        sqlx::query("INSERT INTO printer_materials (printer_id, material_kind) VALUES ($1, 'PLA')")
            .bind(id)
            .execute(db.pool())
            .await
            .unwrap();
    }
    material
}

const QUOTE: &str = "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id quantity method printerId \
    gramsPerUnit printMinutesPerUnit copiesPerPlate discountPct lines { kind description amount { minor currency } } \
    unitPrice { minor currency } total { minor currency } currency earliestDelivery expiresAt orderId } }";

const FROM_QUOTE: &str = "mutation($q: ID!, $k: String) { createOrderFromQuote(quoteId: $q, idempotencyKey: $k) \
    { id status total { minor currency } lines { quantity unitPrice { minor } modelRef description } } }";

use crate::app_test_in_dir as printing_test;

printing_test!(
    quotes_are_dated_while_a_printer_is_in_maintenance,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let material = farm(&app.db.db).await;
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        // Customers see the materials they can quote in, with prices.
        let v = app
            .graphql_as(
                &token,
                "{ quoteMaterials { id code kind colour pricePerKg { minor currency } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            ok(&v, "quoteMaterials"),
            &json!([{"id": material.to_string(), "code": "PLA-BLK", "kind": "PLA", "colour": "black",
                     "pricePerKg": {"minor": 2500, "currency": "EUR"}}])
        );
        let (_, v) = upload(app, &token, "cube_20mm.stl", fixture("cube_20mm.stl")).await;
        let model = ok(&v, "uploadModel")["id"].clone();
        let quote = |token: String| {
            let model = model.clone();
            async move {
                let v = app
                .graphql_as(
                    &token,
                    "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id earliestDelivery earliestDeliveryReason } }",
                    json!({"i": {"modelId": model, "materialId": material.to_string(), "quantity": 3}}),
                )
                .await;
                ok(&v, "createQuote").clone()
            }
        };
        let maintenance = |name: &'static str| async move {
            sqlx::query("UPDATE printers SET status = 'maintenance' WHERE name = $1")
                .bind(name)
                .execute(app.db.db.pool())
                .await
                .unwrap();
        };
        // The cheapest printer ("mini") is in maintenance: the plates go to the other one.
        maintenance("mini").await;
        let q = quote(token.clone()).await;
        assert!(q["earliestDelivery"].is_string(), "{q}");
        assert!(q["earliestDeliveryReason"].is_null(), "{q}");
        // Every printer that could print it is in maintenance: no date, and why.
        maintenance("mk4").await;
        let q = quote(token.clone()).await;
        assert!(q["earliestDelivery"].is_null(), "{q}");
        let why = q["earliestDeliveryReason"].as_str().unwrap();
        assert!(why.contains("maintenance"), "{why}");
        // The reason is stored with the quote.
        let v = app
            .graphql_as(
                &token,
                "query($id: ID!) { quote(id: $id) { earliestDeliveryReason } }",
                json!({"id": q["id"]}),
            )
            .await;
        assert_eq!(ok(&v, "quote")["earliestDeliveryReason"], why);
    }
);

printing_test!(
    upload_analyse_quote_order,
    [("GANTRY_SLICER", "off")],
    |app, dir| {
        let material = farm(&app.db.db).await;
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        let (status, v) = upload(app, &token, "cube_20mm.stl", fixture("cube_20mm.stl")).await;
        assert_eq!(status, 200);
        let m = ok(&v, "uploadModel").clone();
        assert_eq!(m["format"], "stl");
        assert_eq!(m["fileName"], "cube_20mm.stl");
        assert_eq!(m["sizeBytes"], 684);
        let a = &m["analysis"];
        assert_eq!(a["triangles"], 12);
        assert!((a["volumeMm3"].as_f64().unwrap() - 8000.0).abs() < 1e-6, "{a}");
        assert!(
            (a["surfaceAreaMm2"].as_f64().unwrap() - 2400.0).abs() < 1e-6,
            "{a}"
        );
        assert_eq!(a["sizeMm"], json!([20.0, 20.0, 20.0]));
        assert_eq!(
            (a["closed"].as_bool(), a["consistentlyOriented"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(a["units"], "millimetres");
        assert_eq!(m["estimate"]["method"], "FORMULA");
        assert_eq!(m["estimate"]["printMinutes"], 17);
        assert_eq!(m["estimate"]["gcodeStored"], false);
        assert_eq!(
            m["fits"].as_array().unwrap().len(),
            3,
            "every printer's volume takes a 20 mm cube"
        );
        // The file is in object storage under its hash, and nothing else is.
        let sha = m["sha256"].as_str().unwrap();
        assert_eq!(
            files(&dir.join("objects")),
            vec![dir.join("objects/models").join(&sha[..2]).join(sha)]
        );

        let q = app
        .graphql_as(&token, QUOTE, json!({"i": {"modelId": m["id"], "materialId": material.to_string(), "quantity": 10, "options": ["SANDING"]}}))
        .await;
        let q = ok(&q, "createQuote").clone();
        assert_eq!(q["method"], "FORMULA");
        assert_eq!(q["gramsPerUnit"], 4, "3.04 cm³ of PLA at 1.24 g/cm³, rounded up");
        // The cheaper usable printer that fits wins (the offline one is never used).
        let mini: i64 = {
            let row = sqlx::query("SELECT id FROM printers WHERE name = 'mini'")
                .fetch_one(app.db.db.pool())
                .await
                .unwrap();
            col(&row, "printers", "id").unwrap()
        };
        assert_eq!(q["printerId"], mini.to_string());
        assert_eq!(q["discountPct"], 5);
        let lines = q["lines"].as_array().unwrap();
        let sum: i64 = lines.iter().map(|l| l["amount"]["minor"].as_i64().unwrap()).sum();
        assert_eq!(sum, q["total"]["minor"].as_i64().unwrap(), "{q}");
        assert_eq!(
            q["total"]["minor"].as_i64().unwrap(),
            q["unitPrice"]["minor"].as_i64().unwrap() * 10
        );
        let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
        assert!(
            kinds.starts_with(&[
                "material",
                "machine_time",
                "setup",
                "labour",
                "post_processing",
                "quantity_discount",
                "margin"
            ]),
            "{kinds:?}"
        );
        assert_eq!(q["currency"], "EUR");
        assert!(
            q["earliestDelivery"].is_string(),
            "an empty farm can print it: {q}"
        );
        assert!(q["expiresAt"].is_string());

        let o = app
            .graphql_as(&token, FROM_QUOTE, json!({"q": q["id"], "k": "quote-order-1"}))
            .await;
        let o = ok(&o, "createOrderFromQuote").clone();
        assert_eq!(o["status"], "DRAFT");
        assert_eq!(o["total"], q["total"], "the order costs what was quoted");
        assert_eq!(o["lines"][0]["quantity"], 10);
        assert_eq!(
            o["lines"][0]["modelRef"],
            format!("model:{}", m["id"].as_str().unwrap())
        );
        // Retried with its key: the same order. Converted again: refused.
        let again = app
            .graphql_as(&token, FROM_QUOTE, json!({"q": q["id"], "k": "quote-order-1"}))
            .await;
        assert_eq!(ok(&again, "createOrderFromQuote")["id"], o["id"]);
        let twice = app
            .graphql_as(&token, FROM_QUOTE, json!({"q": q["id"], "k": "quote-order-2"}))
            .await;
        assert_eq!(reason(&twice), "QUOTE_ALREADY_CONVERTED");
        assert_eq!(count_rows(&app.db.db, "orders").await.unwrap(), 1);

        // A quantity the policy refuses and a material that does not exist.
        let bad = app
            .graphql_as(
                &token,
                QUOTE,
                json!({"i": {"modelId": m["id"], "materialId": material.to_string(), "quantity": 0}}),
            )
            .await;
        assert_eq!(reason(&bad), "QUOTE_INVALID_QUANTITY");
        let bad = app
            .graphql_as(
                &token,
                QUOTE,
                json!({"i": {"modelId": m["id"], "materialId": "9999", "quantity": 1}}),
            )
            .await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
);

printing_test!(
    real_files_sphere_and_multi_object_3mf,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let token = app.login_as(Role::Sales).await;
        let (_, v) = upload(app, &token, "sphere_r10.stl", fixture("sphere_r10.stl")).await;
        let a = &ok(&v, "uploadModel")["analysis"];
        let volume = a["volumeMm3"].as_f64().unwrap();
        let exact = 4.0 / 3.0 * std::f64::consts::PI * 1000.0;
        assert!(
            volume < exact && volume > 0.95 * exact,
            "a tessellated r=10 sphere: {volume}"
        );
        assert_eq!(a["closed"], true);
        let (_, v) = upload(app, &token, "two_cubes.3mf", fixture("two_cubes.3mf")).await;
        let m = ok(&v, "uploadModel");
        assert_eq!(m["format"], "3mf");
        assert_eq!(m["analysis"]["objects"], 2);
        assert_eq!(m["analysis"]["triangles"], 24);
        // Staff models belong to the business.
        let list = app
            .graphql_as(&token, "{ models { fileName customerId } }", json!({}))
            .await;
        assert_eq!(
            ok(&list, "models"),
            &json!([
                {"fileName": "sphere_r10.stl", "customerId": null},
                {"fileName": "two_cubes.3mf", "customerId": null}
            ])
        );
    }
);

printing_test!(
    same_file_is_stored_once,
    [("GANTRY_SLICER", "off")],
    |app, dir| {
        let ann = app.login_new(Role::Customer, "ann@example.test").await;
        let bob = app.login_new(Role::Customer, "bob@example.test").await;
        let (_, first) = upload(app, &ann, "cube.stl", fixture("cube_20mm.stl")).await;
        let (_, again) = upload(app, &ann, "renamed.stl", fixture("cube_20mm.stl")).await;
        let (_, other) = upload(app, &bob, "cube.stl", fixture("cube_20mm.stl")).await;
        let (first, again, other) = (
            ok(&first, "uploadModel"),
            ok(&again, "uploadModel"),
            ok(&other, "uploadModel"),
        );
        assert_eq!(
            again["id"], first["id"],
            "a re-upload by the same customer is the same model"
        );
        assert_ne!(other["id"], first["id"], "another customer gets their own model");
        assert_eq!(other["sha256"], first["sha256"]);
        assert_eq!(files(&dir.join("objects")).len(), 1, "one blob for one content");
        assert_eq!(count_rows(&app.db.db, "models").await.unwrap(), 2);
    }
);

/// A multipart request with `operations` (and a file part when `file` is given), sent with
/// `token` when given.
async fn multipart_raw(
    app: &TestApp,
    token: Option<&str>,
    operations: String,
    file: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().text("operations", operations);
    if let Some(bytes) = file {
        form = form
            .text("map", json!({"0": ["variables.file"]}).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name("part.stl")
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
    } else {
        form = form.text("map", "{}");
    }
    let mut req = app.client.post(format!("{}/graphql", app.base)).multipart(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

printing_test!(
    multipart_does_not_bypass_the_json_body_limit,
    [("GANTRY_MAX_BODY_BYTES", "2048"), ("GANTRY_SLICER", "off")],
    |app, _dir| {
        let padding = "x".repeat(100 * 1024);
        let big_ops = json!({"query": "{ version }", "variables": {"pad": padding}}).to_string();
        // Anonymous, no file: the whole body is held to the JSON limit.
        let (status, v) = multipart_raw(app, None, big_ops.clone(), None).await;
        assert_eq!(status, 413, "{v}");
        assert_eq!(reason(&v), "BODY_TOO_LARGE");
        assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
        // A small anonymous multipart request still works.
        let (status, v) = multipart_raw(app, None, json!({"query": "{ version }"}).to_string(), None).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["data"]["version"], gantry_api::VERSION);
        // A caller who may upload: a file over the JSON limit is fine ...
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        let stl = fixture("sphere_r10.stl");
        assert!(stl.len() > 2048);
        let (status, v) = upload(app, &token, "sphere_r10.stl", stl.clone()).await;
        assert_eq!(status, 200, "{v}");
        assert!(v["errors"].is_null(), "{v}");
        // ... but its operations part is still held to the JSON limit.
        let ops = json!({"query": UPLOAD, "variables": {"file": null, "pad": padding}}).to_string();
        let (status, v) = multipart_raw(app, Some(&token), ops, Some(stl)).await;
        assert_eq!(status, 413, "{v}");
        assert_eq!(reason(&v), "BODY_TOO_LARGE");
        assert_eq!(count_rows(&app.db.db, "models").await.unwrap(), 1);
    }
);

printing_test!(
    over_limit_upload_stores_nothing,
    [("GANTRY_MAX_UPLOAD_BYTES", "4096"), ("GANTRY_SLICER", "off")],
    |app, dir| {
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        let (status, v) = upload(app, &token, "sphere_r10.stl", fixture("sphere_r10.stl")).await;
        assert_eq!(status, 413);
        assert_eq!(reason(&v), "UPLOAD_TOO_LARGE");
        assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
        assert!(
            v["errors"][0]["message"].as_str().unwrap().contains("4096"),
            "{v}"
        );
        assert_eq!(count_rows(&app.db.db, "models").await.unwrap(), 0);
        assert!(files(&dir.join("objects")).is_empty());
        // Under the limit is fine.
        let (status, v) = upload(app, &token, "cube.stl", fixture("cube_20mm.stl")).await;
        assert_eq!(status, 200);
        ok(&v, "uploadModel");
    }
);

printing_test!(
    broken_files_are_refused_with_their_code,
    [("GANTRY_SLICER", "off")],
    |app, dir| {
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        for (file, code) in [
            ("truncated.stl", "MODEL_TRUNCATED"),
            ("count_mismatch.stl", "MODEL_COUNT_MISMATCH"),
            ("nan.stl", "MODEL_NON_FINITE"),
            ("zero_volume.stl", "MODEL_ZERO_VOLUME"),
            ("missing_model.3mf", "MODEL_MISSING_PART"),
            ("bomb.3mf", "MODEL_ARCHIVE_BOMB"),
            ("png_renamed.stl", "MODEL_FORMAT_MISMATCH"),
        ] {
            let (status, v) = upload(app, &token, file, fixture(file)).await;
            assert_eq!(status, 200, "{file}");
            assert_eq!(reason(&v), code, "{file}: {v}");
            assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
        }
        let (_, v) = upload(app, &token, "notes.txt", b"hello".to_vec()).await;
        assert_eq!(reason(&v), "MODEL_UNKNOWN_FORMAT");
        assert_eq!(count_rows(&app.db.db, "models").await.unwrap(), 0);
        assert!(files(&dir.join("objects")).is_empty(), "nothing half-stored");
    }
);

printing_test!(
    customers_see_only_their_own_models,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let material = farm(&app.db.db).await;
        let ann = app.login_new(Role::Customer, "ann@example.test").await;
        let bob = app.login_new(Role::Customer, "bob@example.test").await;
        let (_, v) = upload(app, &ann, "cube.stl", fixture("cube_20mm.stl")).await;
        let id = ok(&v, "uploadModel")["id"].clone();
        let seen = app
            .graphql_as(
                &bob,
                "query($id: ID!) { model(id: $id) { id } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(seen["errors"][0]["extensions"]["code"], "NOT_FOUND");
        let list = app.graphql_as(&bob, "{ models { id } }", json!({})).await;
        assert_eq!(ok(&list, "models"), &json!([]));
        let q = app
            .graphql_as(
                &bob,
                QUOTE,
                json!({"i": {"modelId": id, "materialId": material.to_string(), "quantity": 1}}),
            )
            .await;
        assert_eq!(q["errors"][0]["extensions"]["code"], "NOT_FOUND");
        // The owner and staff see it.
        let own = app.graphql_as(&ann, "{ models { id } }", json!({})).await;
        assert_eq!(ok(&own, "models"), &json!([{"id": id}]));
        let admin = app.login_as(Role::Admin).await;
        let all = app
            .graphql_as(
                &admin,
                "query($id: ID!) { model(id: $id) { id customerId } }",
                json!({"id": id}),
            )
            .await;
        assert!(ok(&all, "model")["customerId"].is_string());
        // A quote of Ann's is hers too.
        let q = app
            .graphql_as(
                &ann,
                QUOTE,
                json!({"i": {"modelId": id, "materialId": material.to_string(), "quantity": 1}}),
            )
            .await;
        let qid = ok(&q, "createQuote")["id"].clone();
        let stolen = app.graphql_as(&bob, FROM_QUOTE, json!({"q": qid})).await;
        assert_eq!(stolen["errors"][0]["extensions"]["code"], "NOT_FOUND");
        let anonymous = app.graphql("{ models { id } }", json!({})).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
);

printing_test!(
    expired_quote_is_refused,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let material = farm(&app.db.db).await;
        let ann = app.login_new(Role::Customer, "ann@example.test").await;
        let (_, v) = upload(app, &ann, "cube.stl", fixture("cube_20mm.stl")).await;
        let id = ok(&v, "uploadModel")["id"].clone();
        let q = app
            .graphql_as(
                &ann,
                QUOTE,
                json!({"i": {"modelId": id, "materialId": material.to_string(), "quantity": 2}}),
            )
            .await;
        let qid = ok(&q, "createQuote")["id"].as_str().unwrap().to_string();
        sqlx::query("UPDATE quotes SET created_at = 0, expires_at = 1 WHERE id = $1")
            .bind(qid.parse::<i64>().unwrap())
            .execute(app.db.db.pool())
            .await
            .unwrap();
        let o = app.graphql_as(&ann, FROM_QUOTE, json!({"q": qid})).await;
        assert_eq!(reason(&o), "QUOTE_EXPIRED");
        assert_eq!(o["errors"][0]["extensions"]["code"], "CONFLICT");
        assert_eq!(count_rows(&app.db.db, "orders").await.unwrap(), 0);
    }
);

// `GANTRY_SLICER=auto` (the default) slices with PrusaSlicer when it is on PATH
// (scripts/test.sh installs it) and keeps the G-code; without it the formula is used.
printing_test!(slicer_estimates_when_installed, [], |app, dir| {
    let material = farm(&app.db.db).await;
    let installed = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("prusa-slicer").is_file());
    let token = app.login_new(Role::Customer, "ann@example.test").await;
    let (_, v) = upload(app, &token, "cube_20mm.stl", fixture("cube_20mm.stl")).await;
    let e = &ok(&v, "uploadModel")["estimate"];
    let q = app
        .graphql_as(&token, QUOTE, json!({"i": {"modelId": ok(&v, "uploadModel")["id"], "materialId": material.to_string(), "quantity": 1}}))
        .await;
    let q = ok(&q, "createQuote");
    if installed {
        assert_eq!(e["method"], "PRUSA_SLICER", "{e}");
        assert_eq!(q["method"], "PRUSA_SLICER");
        assert_eq!(e["gcodeStored"], true);
        // PrusaSlicer's own figures for a 20 mm cube at 15 % infill: a few cm³, minutes not hours.
        let cm3 = e["materialCm3"].as_f64().unwrap();
        assert!((1.0..6.0).contains(&cm3), "{e}");
        assert!((5..60).contains(&e["printMinutes"].as_i64().unwrap()), "{e}");
        let gcode: Vec<PathBuf> = files(&dir.join("objects"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".gcode"))
            .collect();
        assert_eq!(gcode.len(), 1);
        let text = std::fs::read_to_string(&gcode[0]).unwrap();
        assert!(text.contains("; estimated printing time (normal mode) = "));
    } else {
        assert_eq!(e["method"], "FORMULA", "{e}");
        assert_eq!(q["method"], "FORMULA");
    }
});

// With `REDIS_URL` the analysis is cached in Redis under the content hash.
printing_test!(
    analysis_is_cached_in_redis,
    [("REDIS_URL", "redis://127.0.0.1:6379"), ("GANTRY_SLICER", "off")],
    |app, _dir| {
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        let (_, v) = upload(app, &token, "cube_in_inches.3mf", fixture("cube_in_inches.3mf")).await;
        let sha = ok(&v, "uploadModel")["sha256"].as_str().unwrap().to_string();
        let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let key = gantry_api::analysis_cache::AnalysisCache::key("analysis:3mf", &sha);
        let cached: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut c).await.unwrap();
        let cached: Value = serde_json::from_str(&cached.expect("cached analysis")).unwrap();
        assert_eq!(
            cached["analysis"]["triangles"],
            ok(&v, "uploadModel")["analysis"]["triangles"]
        );
        let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut c).await.unwrap();
        assert!(ttl > 0, "entries expire");
        // A second customer's upload of the same file is answered from the cache (same analysis).
        let bob = app.login_new(Role::Customer, "bob@example.test").await;
        let (_, w) = upload(app, &bob, "cube_in_inches.3mf", fixture("cube_in_inches.3mf")).await;
        assert_eq!(
            ok(&w, "uploadModel")["analysis"],
            ok(&v, "uploadModel")["analysis"]
        );
    }
);

printing_test!(
    a_product_links_a_model,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let material = farm(&app.db.db).await;
        let admin = app.login_as(Role::Admin).await;
        let (_, v) = upload(app, &admin, "cube.stl", fixture("cube_20mm.stl")).await;
        let model = ok(&v, "uploadModel")["id"].clone();
        let p = app
            .graphql_as(
                &admin,
                "mutation($m: ID!) { createProduct(input: {sku: \"CUBE\", name: \"Cube\", description: \"\", \
             defaultMaterialId: $m, price: {minor: 900, currency: \"EUR\"}, production: {gramsPerUnit: 4, \
             printMinutesPerUnit: 17, copiesPerPlate: 20}}) { id } }",
                json!({"m": material.to_string()}),
            )
            .await;
        let pid = ok(&p, "createProduct")["id"].clone();
        let set = app
        .graphql_as(
            &admin,
            "mutation($p: ID!, $m: ID) { setProductModel(productId: $p, modelId: $m) { id modelId model { sha256 } } }",
            json!({"p": pid, "m": model}),
        )
        .await;
        let set = ok(&set, "setProductModel");
        assert_eq!(set["modelId"], model);
        assert_eq!(set["model"]["sha256"], ok(&v, "uploadModel")["sha256"]);
        let ann = app.login_new(Role::Customer, "ann@example.test").await;
        let denied = app
            .graphql_as(
                &ann,
                "mutation($p: ID!) { setProductModel(productId: $p, modelId: null) { id } }",
                json!({"p": pid}),
            )
            .await;
        assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let unset = app
            .graphql_as(
                &admin,
                "mutation($p: ID!) { setProductModel(productId: $p, modelId: null) { modelId } }",
                json!({"p": pid}),
            )
            .await;
        assert!(ok(&unset, "setProductModel")["modelId"].is_null());
    }
);

const QUOTES: &str = "mutation($i: CreateQuotesInput!) { createQuotes(input: $i) { materialId reason message \
    quote { id materialId quantity total { minor currency } earliestDelivery } } }";

printing_test!(
    several_materials_are_priced_in_one_request,
    [("GANTRY_SLICER", "off")],
    |app, _dir| {
        let pla = farm(&app.db.db).await;
        // PETG is in stock but no printer of the farm prints it.
        let row = sqlx::query(
            "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
             VALUES ('PETG-W', 'PETG', 'white', 1750, 1270, 3000, 'EUR', 0) RETURNING id",
        )
        .fetch_one(app.db.db.pool())
        .await
        .unwrap();
        let petg: i64 = col(&row, "materials", "id").unwrap();
        let token = app.login_new(Role::Customer, "ann@example.test").await;
        let (_, v) = upload(app, &token, "cube_20mm.stl", fixture("cube_20mm.stl")).await;
        let model = ok(&v, "uploadModel")["id"].clone();
        let ask = |ids: Vec<String>| {
            let (model, token) = (model.clone(), token.clone());
            async move {
                app.graphql_as(
                    &token,
                    QUOTES,
                    json!({"i": {"modelId": model, "materialIds": ids, "quantity": 4}}),
                )
                .await
            }
        };

        let v = ask(vec![
            pla.to_string(),
            petg.to_string(),
            pla.to_string(),
            "999999".into(),
        ])
        .await;
        let opts = ok(&v, "createQuotes").as_array().unwrap().clone();
        assert_eq!(opts.len(), 3, "one option per distinct material: {v}");
        assert_eq!(opts[0]["materialId"], pla.to_string());
        assert!(opts[0]["reason"].is_null(), "{v}");
        assert_eq!(opts[0]["quote"]["quantity"], 4);
        assert!(opts[0]["quote"]["total"]["minor"].as_i64().unwrap() > 0, "{v}");
        assert_eq!(opts[0]["quote"]["total"]["currency"], "EUR");
        assert_eq!(opts[1]["materialId"], petg.to_string());
        assert!(opts[1]["quote"].is_null(), "{v}");
        assert_eq!(opts[1]["reason"], "QUOTE_NO_PRINTER_FITS");
        assert!(opts[1]["message"].as_str().unwrap().contains("PETG"), "{v}");
        assert_eq!(opts[2]["reason"], "NOT_FOUND", "an unknown material: {v}");
        // The priced option is a stored quote like createQuote's; refused ones store nothing.
        assert_eq!(count_rows(&app.db.db, "quotes").await.unwrap(), 1);
        let stored = app
            .graphql_as(
                &token,
                "query($id: ID!) { quote(id: $id) { id total { minor } } }",
                json!({"id": opts[0]["quote"]["id"]}),
            )
            .await;
        assert_eq!(
            ok(&stored, "quote")["total"],
            json!({"minor": opts[0]["quote"]["total"]["minor"]})
        );

        // No list: every material quotes may use (PLA only: nothing prints PETG).
        let v = ask(vec![]).await;
        let opts = ok(&v, "createQuotes").as_array().unwrap().clone();
        assert_eq!(opts.len(), 1, "{v}");
        assert_eq!(opts[0]["materialId"], pla.to_string());

        // Whole-request refusals write nothing.
        let v = ask((0..21).map(|i| (i + 1).to_string()).collect()).await;
        assert_eq!(reason(&v), "QUOTE_TOO_MANY_MATERIALS");
        let v = app
            .graphql_as(
                &token,
                QUOTES,
                json!({"i": {"modelId": model, "materialIds": [pla.to_string()], "quantity": 0}}),
            )
            .await;
        assert_eq!(reason(&v), "QUOTE_INVALID_QUANTITY");
        let other = app.login_new(Role::Customer, "bob@example.test").await;
        let v = app
            .graphql_as(
                &other,
                QUOTES,
                json!({"i": {"modelId": model, "materialIds": [], "quantity": 1}}),
            )
            .await;
        assert!(!v["errors"].is_null(), "another customer's model: {v}");
        assert_eq!(count_rows(&app.db.db, "quotes").await.unwrap(), 2);
    }
);
