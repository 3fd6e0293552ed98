//! Issue 18 in the live planning route: power circuits and printer models' draw from SQL
//! (managed through GraphQL, validated, going into every plan), the stability settings with the
//! plan's moves against the previous plan, and what-if of a rush order or a printer going down
//! (nothing written). Run on the schema with the demo farm, on SQLite and PostgreSQL; the plans
//! are made by `replanNow`, the same planning route the live farm's scheduler runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::code;
use common::schema::{as_role, exec, ok, setup};
use gantry_api::graphql::GantrySchema;
use gantry_api::graphql::principal::Principal;
use gantry_engine::domain::geometry::{self, ParseLimits};
use gantry_engine::domain::printing::{Estimate, NewModel, PartGeometry, SliceSettings};
use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, count_rows, printing};
use serde_json::{Value, json};

const CIRCUIT: &str = "mutation($id: ID, $i: PowerCircuitInput!) { setPowerCircuit(id: $id, input: $i) { id name limitWatts maxHeatups heatupWindowMinutes printerIds } }";
const MODEL_POWER: &str = "mutation($i: PrinterModelPowerInput!) { setPrinterModelPower(input: $i) { model heatupWatts heatupMinutes printingWatts } }";
const SETTINGS: &str = "mutation($i: PlanningSettingsInput!) { setPlanningSettings(input: $i) { freezeMinutes stabilityHorizonMinutes stabilityPenalty stabilityToleranceMinutes } }";
const REPLAN: &str = "mutation { replanNow(timeLimitSeconds: 1) { id printers { printerId jobs { jobId start end } } stability { frozen moved changed } } }";

/// Rows of the tables a refused change or a what-if must leave alone.
async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "power_circuits",
        "printer_circuits",
        "printer_model_power",
        "planning_settings",
        "events",
        "plans",
        "jobs",
        "job_events",
        "orders",
    ] {
        out.push(count_rows(db, t).await.unwrap());
    }
    out
}

/// The demo printers as (id, model).
async fn printers(schema: &GantrySchema, who: &Principal) -> Vec<(String, String)> {
    ok(schema, who, "{ printers { id model } }", json!({})).await["printers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["model"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn t(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Every planned job as (job, printer, start, end).
fn placed(plan: &Value) -> Vec<(String, String, DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    for p in plan["printers"].as_array().unwrap() {
        for j in p["jobs"].as_array().unwrap() {
            out.push((
                j["jobId"].as_str().unwrap().to_string(),
                p["printerId"].as_str().unwrap().to_string(),
                t(&j["start"]),
                t(&j["end"]),
            ));
        }
    }
    out
}

/// The shortest time between two print starts on the given printers (minutes).
fn closest_starts(plan: &Value, on: &[String]) -> i64 {
    let mut starts: Vec<DateTime<Utc>> = placed(plan)
        .into_iter()
        .filter(|(_, p, _, _)| on.contains(p))
        .map(|(_, _, s, _)| s)
        .collect();
    starts.sort();
    starts
        .windows(2)
        .map(|w| (w[1] - w[0]).num_minutes())
        .min()
        .unwrap_or(i64::MAX)
}

/// Without a circuit, idle printers start at once: two prints start within 30 minutes.
async fn assert_starts_together(schema: &GantrySchema, who: &Principal, ids: &[String]) {
    let q = "{ planWhatIf(timeLimitSeconds: 1) { printers { printerId jobs { jobId start end } } } }";
    let free = ok(schema, who, q, json!({})).await;
    assert!(closest_starts(&free["planWhatIf"], ids) < 30, "{free}");
}

/// Sets a model's draw (printing 120 W, heat-up over 6 minutes) as `who`; the whole response.
async fn model_power(schema: &GantrySchema, who: &Principal, model: &str, heatup_watts: i64) -> Value {
    let i = json!({"model": model, "heatupWatts": heatup_watts, "heatupMinutes": 6, "printingWatts": 120});
    exec(schema, who, MODEL_POWER, json!({ "i": i })).await
}

gantry_engine::db_test!(power_circuits_are_validated_and_every_plan_keeps_to_them, |db| {
    let schema = setup(db).await;
    let planner = as_role(db, Role::Planner).await;
    let operator = as_role(db, Role::Operator).await;
    let all = printers(&schema, &planner).await;
    let mk4: Vec<String> = all
        .iter()
        .filter(|p| p.1 == "Prusa MK4")
        .map(|p| p.0.clone())
        .collect();
    let x1c = all.iter().find(|p| p.1 != "Prusa MK4").unwrap().0.clone();
    let ids: Vec<String> = all.iter().map(|p| p.0.clone()).collect();
    // Without circuits, idle printers start at once: several prints start together.
    assert_starts_together(&schema, &planner, &ids).await;

    let r = model_power(&schema, &operator, "Prusa MK4", 300).await;
    assert_eq!(code(&r).0, "FORBIDDEN", "{r}");
    let d = model_power(&schema, &planner, " Prusa MK4 ", 300).await;
    assert_eq!(d["data"]["setPrinterModelPower"]["model"], "Prusa MK4", "{d}");

    // Refusals name the field and write nothing.
    let before = counts(db).await;
    let refused = [
        (
            json!({"name": "Rack A", "limitWatts": 2000, "printerIds": [mk4[0], x1c]}),
            "POWER_DATA_MISSING",
            "printerModelPower",
        ),
        (
            json!({"name": "Rack A", "limitWatts": 250, "printerIds": mk4}),
            "POWER_LIMIT_BELOW_DRAW",
            "limitWatts",
        ),
        (
            json!({"name": "Rack A", "maxHeatups": 2, "printerIds": mk4}),
            "POWER_HEATUP_RULE_INCOMPLETE",
            "heatupWindowMinutes",
        ),
        (
            json!({"name": "Rack A", "limitWatts": 0, "printerIds": mk4}),
            "PLANNING_VALUE_OUT_OF_RANGE",
            "limitWatts",
        ),
        (
            json!({"name": "  ", "printerIds": mk4}),
            "POWER_CIRCUIT_NAME_INVALID",
            "name",
        ),
        (
            json!({"name": "Rack A", "printerIds": ["999999"]}),
            "POWER_UNKNOWN_PRINTER",
            "printerIds",
        ),
    ];
    for (input, reason, field) in refused {
        let r = exec(&schema, &planner, CIRCUIT, json!({"i": input})).await;
        assert_eq!(code(&r).1, reason, "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains(field), "{r}");
    }
    assert_eq!(counts(db).await, before, "a refused change wrote something");

    // Every printer on one circuit: at most one heat-up per 30 minutes, 2 kW.
    for (model, heat, print) in [("Bambu Lab X1 Carbon", 1000, 350)] {
        ok(
            &schema,
            &planner,
            MODEL_POWER,
            json!({"i": {"model": model, "heatupWatts": heat, "heatupMinutes": 5, "printingWatts": print}}),
        )
        .await;
    }
    for (_, model) in &all {
        if !["Prusa MK4", "Bambu Lab X1 Carbon"].contains(&model.as_str()) {
            ok(
                &schema,
                &planner,
                MODEL_POWER,
                json!({"i": {"model": model, "heatupWatts": 400, "heatupMinutes": 5, "printingWatts": 150}}),
            )
            .await;
        }
    }
    let c = ok(&schema, &planner, CIRCUIT, json!({"i": {"name": "Hall", "limitWatts": 2000, "maxHeatups": 1, "heatupWindowMinutes": 30, "printerIds": ids}})).await["setPowerCircuit"].clone();
    assert_eq!(c["printerIds"].as_array().unwrap().len(), ids.len());
    let listed = ok(
        &schema,
        &operator,
        "{ powerCircuits { name limitWatts printerIds } printerModelPower { model } }",
        json!({}),
    )
    .await;
    assert_eq!(listed["powerCircuits"][0]["name"], "Hall");
    assert!(listed["printerModelPower"].as_array().unwrap().len() >= 2);
    // A printer is on one circuit; a model's draw above a limit is refused afterwards too.
    let before = counts(db).await;
    let r = exec(
        &schema,
        &planner,
        CIRCUIT,
        json!({"i": {"name": "Rack B", "printerIds": [mk4[0]]}}),
    )
    .await;
    assert_eq!(code(&r).1, "POWER_PRINTER_ON_OTHER_CIRCUIT", "{r}");
    let r = model_power(&schema, &planner, "Prusa MK4", 2500).await;
    assert_eq!(code(&r).1, "POWER_LIMIT_BELOW_DRAW", "{r}");
    assert_eq!(counts(db).await, before);

    // The plan the scheduler's route makes keeps to the heat-up rule.
    let plan = ok(&schema, &planner, REPLAN, json!({})).await["replanNow"].clone();
    assert!(!placed(&plan).is_empty(), "{plan}");
    assert!(
        closest_starts(&plan, &ids) >= 30,
        "two heat-ups within 30 minutes: {plan}"
    );

    // Deleting the circuit lets prints start together again.
    let r = ok(
        &schema,
        &planner,
        "mutation($id: ID!) { deletePowerCircuit(id: $id) }",
        json!({"id": c["id"]}),
    )
    .await;
    assert_eq!(r["deletePowerCircuit"], true);
    assert_eq!(count_rows(db, "printer_circuits").await.unwrap(), 0);
    assert_starts_together(&schema, &planner, &ids).await;
});

gantry_engine::db_test!(
    stability_settings_freeze_jobs_and_plans_report_their_moves,
    |db| {
        let schema = setup(db).await;
        let planner = as_role(db, Role::Planner).await;
        let d = ok(&schema, &planner, "{ planningSettings { freezeMinutes stabilityHorizonMinutes stabilityPenalty stabilityToleranceMinutes } }", json!({})).await;
        assert_eq!(d["planningSettings"]["freezeMinutes"], 0);
        let before = counts(db).await;
        let r = exec(&schema, &planner, SETTINGS, json!({"i": {"freezeMinutes": 120, "stabilityHorizonMinutes": 60, "stabilityPenalty": 10, "stabilityToleranceMinutes": 0}})).await;
        assert_eq!(code(&r).1, "PLANNING_FREEZE_CONTRADICTS", "{r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("stabilityHorizonMinutes"),
            "{r}"
        );
        let r = exec(&schema, &planner, SETTINGS, json!({"i": {"freezeMinutes": -1, "stabilityHorizonMinutes": 0, "stabilityPenalty": 0, "stabilityToleranceMinutes": 0}})).await;
        assert_eq!(code(&r).1, "PLANNING_VALUE_OUT_OF_RANGE", "{r}");
        assert_eq!(counts(db).await, before);

        // The first plan has nothing to compare with.
        let first = ok(&schema, &planner, REPLAN, json!({})).await["replanNow"].clone();
        assert!(first["stability"].is_null(), "{first}");
        ok(&schema, &planner, SETTINGS, json!({"i": {"freezeMinutes": 240, "stabilityHorizonMinutes": 1440, "stabilityPenalty": 100000, "stabilityToleranceMinutes": 10}})).await;
        let second = ok(&schema, &planner, REPLAN, json!({})).await["replanNow"].clone();
        let s = &second["stability"];
        assert!(s["frozen"].as_i64().unwrap() > 0, "{second}");
        assert_eq!(s["moved"], 0, "nothing happened, nothing moved: {second}");
        // Frozen jobs keep their printer and start.
        let frozen_of = |plan: &Value, since: DateTime<Utc>| -> Vec<(String, String, DateTime<Utc>)> {
            placed(plan)
                .into_iter()
                .filter(|(_, _, s, _)| *s < since + Duration::minutes(240))
                .map(|(j, p, s, _)| (j, p, s))
                .collect()
        };
        let now = Utc::now();
        let kept = frozen_of(&first, now);
        assert!(!kept.is_empty());
        // A planner makes the last job of the plan the most urgent: the frozen head stays.
        let last = placed(&second).into_iter().max_by_key(|x| x.2).unwrap().0;
        ok(
            &schema,
            &planner,
            "mutation($id: ID!) { setJobPriority(id: $id, priority: 1000) { priority } }",
            json!({"id": last}),
        )
        .await;
        let third = ok(&schema, &planner, REPLAN, json!({})).await["replanNow"].clone();
        let after: Vec<(String, String, DateTime<Utc>)> =
            placed(&third).into_iter().map(|(j, p, s, _)| (j, p, s)).collect();
        for (job, printer, start) in frozen_of(&second, now) {
            if job == last {
                continue;
            }
            let (_, p, s) = after
                .iter()
                .find(|a| a.0 == job)
                .unwrap_or_else(|| panic!("{job} left the plan: {third}"));
            assert_eq!(p, &printer, "frozen job {job} changed printer: {third}");
            assert!(
                (*s - start).num_seconds().abs() < 120,
                "frozen job {job} moved from {start} to {s}"
            );
        }
        assert!(third["stability"]["frozen"].as_i64().unwrap() > 0, "{third}");
    }
);

/// A model row (the 20 mm cube's analysis) for rush orders; its file is not needed to plan.
async fn cube_model(db: &Db) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/models/cube_20mm.stl");
    let bytes = std::fs::read(p).unwrap();
    let analysis = geometry::parse_and_analyse("cube_20mm.stl", &bytes, &ParseLimits::default()).unwrap();
    let g = PartGeometry {
        volume_mm3: analysis.volume_mm3,
        surface_area_mm2: analysis.surface_area_mm2,
        size_mm: analysis.size_mm,
    };
    let mut tx = db.begin().await.unwrap();
    let m = printing::insert_model(
        &mut tx,
        gantry_engine::store::now(),
        &NewModel {
            sha256: "c".repeat(64),
            file_name: "cube_20mm.stl".into(),
            format: "stl".into(),
            size_bytes: bytes.len() as i64,
            object_key: "models/cube".into(),
            customer_id: None,
            uploaded_by: None,
            analysis_json: serde_json::to_string(&analysis).unwrap(),
            estimate: Estimate::formula(&g, &SliceSettings::default()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    m.id.0.to_string()
}

const WHAT_IF: &str = "query($r: RushOrderInput, $d: PrinterDownInput) { planWhatIf(timeLimitSeconds: 1, rushOrder: $r, printerDown: $d) { id printers { printerId jobs { jobId start end } } impact { newlyLate baselineObjective orders { orderId dueAt finishBefore finishAfter lateMinutesBefore lateMinutesAfter unplacedBefore unplacedAfter } } } }";

gantry_engine::db_test!(
    what_if_a_rush_order_or_a_printer_down_shows_late_orders_and_writes_nothing,
    |db| {
        let schema = setup(db).await;
        let planner = as_role(db, Role::Planner).await;
        let model = cube_model(db).await;
        let pla = ok(&schema, &planner, "{ materials { id code } }", json!({})).await["materials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"].as_str().unwrap().starts_with("PLA"))
            .unwrap()["id"]
            .clone();
        let plan_id = ok(&schema, &planner, REPLAN, json!({})).await["replanNow"]["id"].clone();
        let before = counts(db).await;

        // A printer down for two days: nothing is planned on it inside the window.
        let now = Utc::now();
        let baseline = ok(
            &schema,
            &planner,
            "{ planWhatIf(timeLimitSeconds: 1) { printers { printerId jobs { jobId start end } } } }",
            json!({}),
        )
        .await["planWhatIf"]
            .clone();
        let busiest = baseline["printers"]
            .as_array()
            .unwrap()
            .iter()
            .max_by_key(|p| p["jobs"].as_array().unwrap().len())
            .unwrap()["printerId"]
            .clone();
        let until = now + Duration::days(2);
        let d = json!({"printerId": busiest, "from": now.to_rfc3339(), "until": until.to_rfc3339()});
        let w = ok(&schema, &planner, WHAT_IF, json!({"d": d})).await["planWhatIf"].clone();
        assert!(w["id"].is_null());
        for (job, printer, start, _) in placed(&w) {
            if Value::String(printer) == busiest {
                assert!(
                    start >= until - Duration::minutes(1),
                    "job {job} on the down printer at {start}"
                );
            }
        }
        let impact = &w["impact"];
        assert!(impact["baselineObjective"].as_f64().unwrap() >= 0.0);
        for o in impact["orders"].as_array().unwrap() {
            assert!(o["orderId"].is_string(), "{o}");
            let worse = o["lateMinutesAfter"].as_i64().unwrap() > o["lateMinutesBefore"].as_i64().unwrap()
                || o["unplacedAfter"].as_i64().unwrap() > o["unplacedBefore"].as_i64().unwrap();
            assert!(worse, "an order listed that is not worse off: {o}");
        }

        // A rush order due in a minute is late, by at least its printing time; orders it pushes
        // back are listed after it.
        let due = now + Duration::minutes(1);
        let r = json!({"modelId": model, "materialId": pla, "quantity": 40, "dueAt": due.to_rfc3339()});
        let w = ok(&schema, &planner, WHAT_IF, json!({"r": r})).await["planWhatIf"].clone();
        let rush = &w["impact"]["orders"][0];
        assert!(rush["orderId"].is_null(), "{w}");
        assert_eq!(rush["unplacedAfter"], 0, "{rush}");
        let finish = t(&rush["finishAfter"]);
        assert!(finish > due, "{rush}");
        assert_eq!(
            rush["lateMinutesAfter"].as_i64().unwrap(),
            ((finish - due).num_seconds() + 59) / 60
        );
        for o in w["impact"]["orders"].as_array().unwrap().iter().skip(1) {
            assert!(
                o["lateMinutesAfter"].as_i64().unwrap() >= o["lateMinutesBefore"].as_i64().unwrap(),
                "{o}"
            );
        }
        // Both at once.
        let w = ok(&schema, &planner, WHAT_IF, json!({"r": r, "d": d})).await["planWhatIf"].clone();
        assert!(w["impact"]["orders"][0]["orderId"].is_null());

        // Bad input: coded, nothing solved or written.
        let bad = [
            (
                json!({"d": {"printerId": busiest, "from": until.to_rfc3339(), "until": now.to_rfc3339()}}),
                "WHATIF_WINDOW_INVALID",
            ),
            (
                json!({"d": {"printerId": "999999", "from": now.to_rfc3339(), "until": until.to_rfc3339()}}),
                "NOT_FOUND",
            ),
            (
                json!({"r": {"modelId": model, "materialId": pla, "quantity": 0, "dueAt": due.to_rfc3339()}}),
                "",
            ),
        ];
        for (vars, reason) in bad {
            let r = exec(&schema, &planner, WHAT_IF, vars).await;
            assert!(!r["errors"].is_null(), "{r}");
            if !reason.is_empty() {
                assert!(code(&r).0 == reason || code(&r).1 == reason, "{r}");
            }
        }
        assert_eq!(counts(db).await, before, "a what-if wrote something");
        let d = ok(&schema, &planner, "{ plan { id } }", json!({})).await;
        assert_eq!(d["plan"]["id"], plan_id);
    }
);
