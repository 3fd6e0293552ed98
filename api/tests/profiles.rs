//! Printer and filament profiles (issue #17, item 4) through GraphQL with the real PrusaSlicer
//! (installed by scripts/test.sh): profiles are checked (by the domain, then by a trial slice)
//! and a refused one writes nothing; quotes are estimated per (model, printer profile,
//! material), sliced with `--load printer.ini --load filament.ini`, kept by that key and made
//! again when a profile changes; the quote names the printer model it was estimated for; a
//! job's G-code for its printer is sliced with the printer's and the material's profiles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use gantry_engine::domain::types::ModelFileId;
use gantry_engine::domain::users::Role;
use gantry_engine::store::live::testing;
use gantry_engine::store::{Db, col, count_rows};
use serde_json::{Value, json};

use common::agent::{call, connect, model_order, printer_token, recv_kind};
use common::code;

fn cube() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/models/cube_20mm.stl");
    std::fs::read(p).unwrap()
}

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

const SET_PROFILE: &str = "mutation($i: SetPrinterProfileInput!) { setPrinterProfile(input: $i) { id printerModel \
    buildVolume { xMm yMm zMm } nozzleUm materials slicerConfig revision } }";
const SET_FILAMENT: &str = "mutation($m: ID!, $c: String!) { setFilamentProfile(materialId: $m, slicerConfig: $c) \
    { materialId slicerConfig revision } }";
const QUOTE: &str = "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id printerId printerModel \
    printerProfileId method printMinutesPerUnit gramsPerUnit } }";

/// A 0.6 mm MK4 profile on a 250 × 210 × 220 mm bed, PLA only.
const MK4_CONFIG: &str = "# MK4 0.6\nbed_shape = 0x0,250x0,250x210,0x210\nmax_print_height = 220\n\
    nozzle_diameter = 0.6\nprinter_model = MK4\n";

fn mk4_profile(config: &str) -> Value {
    json!({"printerModel": "MK4", "buildVolume": {"xMm": 250, "yMm": 210, "zMm": 220}, "nozzleUm": 600,
           "materials": ["PLA"], "slicerConfig": config})
}

/// Materials PLA and PETG; printer "mk4-1" (model MK4, cheap) and "mini-1" (model MINI, dear),
/// both taking PLA and PETG. Returns (PLA id, PETG id).
async fn farm(db: &Db) -> (i64, i64) {
    let mut ids = Vec::new();
    for (code, kind, density) in [("PLA-BLK", "PLA", 1240), ("PETG-BLU", "PETG", 1270)] {
        let row = sqlx::query(
            "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, \
             created_at) VALUES ($1, $2, 'black', 1750, $3, 2500, 'EUR', 0) RETURNING id",
        )
        .bind(code)
        .bind(kind)
        .bind(density)
        .fetch_one(db.pool())
        .await
        .unwrap();
        ids.push(col::<i64>(&row, "materials", "id").unwrap());
    }
    for (name, model, nozzle, hourly) in [("mk4-1", "MK4", 600, 100), ("mini-1", "MINI", 400, 900)] {
        let row = sqlx::query(
            "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
             hourly_cost_minor, currency, status, created_at) \
             VALUES ($1, $2, 'fdm', 250, 210, 220, $3, $4, 'EUR', 'idle', 0) RETURNING id",
        )
        .bind(name)
        .bind(model)
        .bind(nozzle)
        .bind(hourly)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let id: i64 = col(&row, "printers", "id").unwrap();
        for kind in ["PLA", "PETG"] {
            sqlx::query("INSERT INTO printer_materials (printer_id, material_kind) VALUES ($1, $2)")
                .bind(id)
                .bind(kind)
                .execute(db.pool())
                .await
                .unwrap();
        }
    }
    (ids[0], ids[1])
}

/// The stored estimate rows: (profile revision, filament revision, estimate JSON).
async fn estimates(db: &Db) -> Vec<(i64, i64, Value)> {
    let rows = sqlx::query(
        "SELECT profile_revision, filament_revision, estimate FROM profiled_estimates ORDER BY material_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let e: String = col(r, "profiled_estimates", "estimate").unwrap();
            (
                col(r, "profiled_estimates", "profile_revision").unwrap(),
                col(r, "profiled_estimates", "filament_revision").unwrap(),
                serde_json::from_str(&e).unwrap(),
            )
        })
        .collect()
}

/// The text of a stored G-code object.
fn gcode(dir: &Path, key: &str) -> String {
    std::fs::read_to_string(dir.join("objects").join(key)).unwrap()
}

app_test_in_dir!(
    profiles_are_checked_and_a_refused_one_writes_nothing,
    [("GANTRY_SLICER", "auto")],
    |app, _dir| {
        let (pla, _) = farm(&app.db.db).await;
        let planner = app.login_as(Role::Planner).await;
        let refused = |input: Value| {
            let planner = planner.clone();
            async move {
                let v = app.graphql_as(&planner, SET_PROFILE, json!({"i": input})).await;
                code(&v).1.to_string()
            }
        };
        let mut bad = mk4_profile(MK4_CONFIG);
        bad["nozzleUm"] = json!(0);
        assert_eq!(refused(bad).await, "PROFILE_INVALID");
        let mut bad = mk4_profile(MK4_CONFIG);
        bad["materials"] = json!([]);
        assert_eq!(refused(bad).await, "PROFILE_INVALID");
        for config in [
            // Not INI.
            "bed_shape 0x0,250x0",
            // Would run a program on the server.
            "post_process = /bin/sh -c 'rm -rf /'",
            // Disagrees with the nozzle (600 µm) and the bed (250 × 210).
            "nozzle_diameter = 0.4",
            "bed_shape = 0x0,300x0,300x300,0x300",
            "max_print_height = 180",
            // Twice.
            "perimeters = 2\nperimeters = 3",
            // A bundle.
            "[printer:MK4]\nnozzle_diameter = 0.6",
            // Well-formed, but PrusaSlicer refuses the value (the trial slice).
            "perimeter_speed = fast",
            "infill_every_layers = 0",
        ] {
            assert_eq!(
                refused(mk4_profile(config)).await,
                "PROFILE_SLICER_CONFIG_INVALID",
                "{config}"
            );
        }
        assert_eq!(count_rows(&app.db.db, "printer_profiles").await.unwrap(), 0);

        // Operators and customers may not change profiles; customers may not read them.
        let operator = app.login_as(Role::Operator).await;
        let v = app
            .graphql_as(&operator, SET_PROFILE, json!({"i": mk4_profile(MK4_CONFIG)}))
            .await;
        assert_eq!(code(&v).0, "FORBIDDEN", "{v}");
        let customer = app.login_new(Role::Customer, "ann@example.test").await;
        let v = app
            .graphql_as(&customer, "{ printerProfiles { id } }", json!({}))
            .await;
        assert_eq!(code(&v).0, "FORBIDDEN", "{v}");

        // A good profile is stored; saving it again replaces it with the next revision.
        let v = app
            .graphql_as(&planner, SET_PROFILE, json!({"i": mk4_profile(MK4_CONFIG)}))
            .await;
        let p = ok(&v, "setPrinterProfile").clone();
        assert_eq!(
            (
                &p["printerModel"],
                &p["nozzleUm"],
                &p["materials"],
                &p["revision"]
            ),
            (&json!("MK4"), &json!(600), &json!(["PLA"]), &json!(1))
        );
        assert_eq!(p["buildVolume"], json!({"xMm": 250, "yMm": 210, "zMm": 220}));
        let v = app
            .graphql_as(&planner, SET_PROFILE, json!({"i": mk4_profile(MK4_CONFIG)}))
            .await;
        assert_eq!(ok(&v, "setPrinterProfile")["revision"], 2);
        assert_eq!(ok(&v, "setPrinterProfile")["id"], p["id"]);
        let v = app
            .graphql_as(
                &operator,
                "{ printerProfiles { printerModel revision } }",
                json!({}),
            )
            .await;
        assert_eq!(
            ok(&v, "printerProfiles"),
            &json!([{"printerModel": "MK4", "revision": 2}])
        );

        // Filament profiles: checked the same way, for an existing material.
        let fil = |m: String, c: &'static str| {
            let planner = planner.clone();
            async move {
                app.graphql_as(&planner, SET_FILAMENT, json!({"m": m, "c": c}))
                    .await
            }
        };
        let v = fil("999999".into(), "temperature = 215").await;
        assert_eq!(code(&v).0, "NOT_FOUND", "{v}");
        for config in [
            "filament_diameter = -1.75",
            "temperature = hot",
            "post_process = x",
            // Well-formed, but PrusaSlicer refuses the value (the trial slice).
            "perimeter_speed = fast",
        ] {
            let v = fil(pla.to_string(), config).await;
            assert_eq!(code(&v).1, "PROFILE_SLICER_CONFIG_INVALID", "{config}: {v}");
        }
        assert_eq!(count_rows(&app.db.db, "filament_profiles").await.unwrap(), 0);
        let v = fil(pla.to_string(), "temperature = 215\nfilament_density = 1.24").await;
        assert_eq!(ok(&v, "setFilamentProfile")["revision"], 1);
        let v = app
            .graphql_as(
                &planner,
                "{ filamentProfiles { materialId revision } }",
                json!({}),
            )
            .await;
        assert_eq!(
            ok(&v, "filamentProfiles"),
            &json!([{"materialId": pla.to_string(), "revision": 1}])
        );
    }
);

app_test_in_dir!(
    quotes_are_estimated_per_printer_profile_and_material,
    [("GANTRY_SLICER", "auto")],
    |app, dir| {
        let (pla, petg) = farm(&app.db.db).await;
        let planner = app.login_as(Role::Planner).await;
        let v = app
            .graphql_as(&planner, SET_PROFILE, json!({"i": mk4_profile(MK4_CONFIG)}))
            .await;
        let profile = ok(&v, "setPrinterProfile")["id"].clone();
        let customer = app.login_new(Role::Customer, "ann@example.test").await;
        let v = app
            .upload_model(&customer, "mutation($file: Upload!) { uploadModel(file: $file) { id estimate { method printMinutes } } }", "cube_20mm.stl", cube())
        .await
        .1;
        let model = ok(&v, "uploadModel").clone();
        assert_eq!(model["estimate"]["method"], "PRUSA_SLICER", "{model}");
        let quote = |material: i64| {
            let customer = customer.clone();
            let model = model["id"].clone();
            async move {
                let i = json!({"modelId": model, "materialId": material.to_string(), "quantity": 1});
                let v = app.graphql_as(&customer, QUOTE, json!({"i": i})).await;
                ok(&v, "createQuote").clone()
            }
        };

        // PLA: the cheap MK4, estimated with its profile by PrusaSlicer.
        let q = quote(pla).await;
        assert_eq!(
            (&q["printerModel"], &q["printerProfileId"], &q["method"]),
            (&json!("MK4"), &profile, &json!("PRUSA_SLICER")),
            "{q}"
        );
        let rows = estimates(&app.db.db).await;
        assert_eq!(rows.len(), 1, "one estimate per (model, profile, material)");
        assert_eq!((rows[0].0, rows[0].1), (1, 0));
        let key = rows[0].2["gcode_key"].as_str().unwrap().to_string();
        let g = gcode(dir, &key);
        assert!(
            g.contains("; nozzle_diameter = 0.6"),
            "sliced with the printer profile"
        );
        assert_eq!(
            rows[0].2["minutes"], q["printMinutesPerUnit"],
            "the quote's minutes are the profiled estimate's (speed 100 %)"
        );
        // The same quote again reuses the stored estimate.
        let again = quote(pla).await;
        assert_eq!(again["printMinutesPerUnit"], q["printMinutesPerUnit"]);
        assert_eq!(estimates(&app.db.db).await, rows);

        // A filament profile for PLA: estimated and sliced again, with both configurations.
        let v = app
            .graphql_as(
                &planner,
                SET_FILAMENT,
                json!({"m": pla.to_string(), "c": "temperature = 231\nfirst_layer_temperature = 233"}),
            )
            .await;
        ok(&v, "setFilamentProfile");
        quote(pla).await;
        let rows = estimates(&app.db.db).await;
        assert_eq!((rows.len(), rows[0].0, rows[0].1), (1, 1, 1));
        let g = gcode(dir, rows[0].2["gcode_key"].as_str().unwrap());
        assert!(g.contains("; nozzle_diameter = 0.6"));
        assert!(
            g.contains("; temperature = 231"),
            "sliced with the filament profile"
        );

        // A changed printer profile (0.6 mm → same nozzle, other layer time) is estimated again.
        let changed = format!("{MK4_CONFIG}max_layer_height = 0.3\n");
        let v = app
            .graphql_as(&planner, SET_PROFILE, json!({"i": mk4_profile(&changed)}))
            .await;
        ok(&v, "setPrinterProfile");
        quote(pla).await;
        let rows = estimates(&app.db.db).await;
        assert_eq!((rows.len(), rows[0].0, rows[0].1), (1, 2, 1));
        let g = gcode(dir, rows[0].2["gcode_key"].as_str().unwrap());
        assert!(
            g.contains("; max_layer_height = 0.3"),
            "sliced with the new revision"
        );

        // PETG: the MK4 profile allows only PLA, so the dearer MINI (no profile) makes it, with
        // the model's own estimate; nothing is stored per profile for PETG.
        let q = quote(petg).await;
        assert_eq!(
            (&q["printerModel"], &q["printerProfileId"]),
            (&json!("MINI"), &Value::Null),
            "{q}"
        );
        assert_eq!(q["printMinutesPerUnit"], model["estimate"]["printMinutes"]);
        assert_eq!(estimates(&app.db.db).await.len(), 1);
        // The stored quote keeps its printer model.
        let v = app
            .graphql_as(
                &customer,
                "query($id: ID!) { quote(id: $id) { printerModel printerProfileId } }",
                json!({"id": q["id"]}),
            )
            .await;
        assert_eq!(ok(&v, "quote")["printerModel"], "MINI");
    }
);

app_test_in_dir!(
    a_job_is_sliced_with_its_printers_profile_and_filament,
    [("GANTRY_SLICER", "auto")],
    |app, _dir| {
        let db = &app.db.db;
        // One MK4 printer (fixture: 250 × 210 × 220 mm, 0.4 mm, PLA) with a paid order of its own.
        let fx = testing::farm(db, gantry_engine::store::now(), 1, 1000, 1)
            .await
            .unwrap();
        let planner = app.login_as(Role::Planner).await;
        let config = "bed_shape = 0x0,250x0,250x210,0x210\nnozzle_diameter = 0.4\n\
                  start_gcode = ; gantry profile MK4 start\\nG28\n";
        let input = json!({"printerModel": "MK4", "buildVolume": {"xMm": 250, "yMm": 210, "zMm": 220},
                       "nozzleUm": 400, "materials": ["PLA"], "slicerConfig": config});
        let v = app.graphql_as(&planner, SET_PROFILE, json!({"i": input})).await;
        ok(&v, "setPrinterProfile");
        let v = app
            .graphql_as(
                &planner,
                SET_FILAMENT,
                json!({"m": fx.material.0.to_string(), "c": "temperature = 207"}),
            )
            .await;
        ok(&v, "setFilamentProfile");
        let admin = app.login_as(Role::Admin).await;
        let v = app
            .upload_model(
                &admin,
                "mutation($file: Upload!) { uploadModel(file: $file) { id } }",
                "cube_20mm.stl",
                cube(),
            )
            .await
            .1;
        let model: i64 = ok(&v, "uploadModel")["id"].as_str().unwrap().parse().unwrap();
        let order = model_order(db, fx.order, fx.material, ModelFileId(model)).await;
        let token = printer_token(db, fx.printers[0]).await;
        app.request_replan();

        let mut ws = connect(app, Some(&token)).await.unwrap();
        call(
            &mut ws,
            json!({"v": 1, "id": "h", "type": "hello", "agent": "test/1", "state": "idle"}),
        )
        .await;
        // The fixture's own job (no model) may come first: print it and clear the plate.
        for i in 0..2 {
            let assign = recv_kind(&mut ws, "assign_job").await;
            let job = assign["assignment"]["job"].as_i64().unwrap();
            if assign["assignment"]["order_id"].as_i64() == Some(order.0) {
                let path = assign["assignment"]["gcode_url"].as_str().unwrap().to_string();
                let resp = app
                    .client
                    .get(format!("{}{path}", app.base))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                let g = resp.text().await.unwrap();
                assert!(
                    g.contains("; gantry profile MK4 start"),
                    "the printer profile's start G-code"
                );
                assert!(g.contains("; temperature = 207"), "the filament profile");
                assert!(g.contains("; estimated printing time"), "PrusaSlicer G-code");
                let rows = estimates(db).await;
                assert_eq!(
                    (rows.len(), rows[0].0, rows[0].1),
                    (1, 1, 1),
                    "kept per (model, profile, material)"
                );
                return;
            }
            for (k, t) in ["job_started", "job_completed"].into_iter().enumerate() {
                call(
                    &mut ws,
                    json!({"v": 1, "id": format!("j{i}-{k}"), "type": t, "job": job}),
                )
                .await;
            }
            call(
                &mut ws,
                json!({"v": 1, "id": format!("b{i}"), "type": "bed_cleared"}),
            )
            .await;
        }
        panic!("the model's job was not assigned");
    }
);
