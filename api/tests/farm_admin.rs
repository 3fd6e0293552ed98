//! The farm's set-up through GraphQL: weekly operator shifts (they shape every plan) and
//! editing, grouping and retiring printers, on SQLite and PostgreSQL with the demo farm.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Timelike, Utc};
use common::code;
use common::schema::{as_role, exec, ok, rows, setup};
use gantry_engine::domain::events::Event;
use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, auth, events};
use serde_json::{Value, json};

const SET_SHIFTS: &str = "mutation($s: [OperatorShiftInput!]!) { setOperatorShifts(shifts: $s) { weekday startMinute endMinute } }";

fn shift(weekday: i64, start: i64, end: i64) -> Value {
    json!({"weekday": weekday, "startMinute": start, "endMinute": end})
}

/// Every event of a type, oldest first.
async fn events_of(db: &Db, type_name: &str) -> Vec<Event> {
    let mut c = db.pool().acquire().await.unwrap();
    events::after(&mut c, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.type_name == type_name)
        .map(|e| Event::parse(&e.type_name, &e.payload).unwrap())
        .collect()
}

gantry_engine::db_test!(
    operator_shifts_shape_the_plan_and_bad_timetables_write_nothing,
    |db| {
        let schema = setup(db).await;
        let planner = as_role(db, Role::Planner).await;
        let customer = as_role(db, Role::Customer).await;
        let day: Vec<Value> = (0..7).map(|d| shift(d, 8 * 60, 16 * 60)).collect();
        let set = ok(&schema, &planner, SET_SHIFTS, json!({"s": day})).await;
        assert_eq!(set["setOperatorShifts"].as_array().unwrap().len(), 7);
        let changed = events_of(db, "shifts.changed").await;
        match changed.as_slice() {
            [Event::ShiftsChanged(e)] => {
                assert_eq!(e.shifts.len(), 7);
                assert_eq!((e.shifts[0].start_minute, e.shifts[0].end_minute), (480, 960));
                assert_eq!(e.by_user_id, Some(planner.user_id.0));
                assert!(changed[0].affects_plan());
            }
            other => panic!("one shifts.changed event expected, got {other:?}"),
        }

        // Refused timetables name the field and write nothing.
        let before = rows(db, "events").await;
        for (bad, field) in [
            (json!([shift(0, 480, 960), shift(0, 900, 1000)]), "shifts"),
            (json!([shift(7, 480, 960)]), "shifts.weekday"),
            (json!([shift(0, 480, 480)]), "shifts.endMinute"),
            (json!([shift(0, -1, 480)]), "shifts.startMinute"),
        ] {
            let r = exec(&schema, &planner, SET_SHIFTS, json!({"s": bad})).await;
            assert_eq!(code(&r), ("VALIDATION", "EQUIPMENT_INVALID_FIELD"), "{r:#}");
            let msg = r["errors"][0]["message"].as_str().unwrap();
            assert!(msg.contains(&format!("invalid {field}:")), "{msg}");
        }
        assert_eq!(rows(db, "events").await, before);
        let now = ok(
            &schema,
            &planner,
            "{ operatorShifts { weekday startMinute endMinute } }",
            json!({}),
        )
        .await;
        assert_eq!(now["operatorShifts"].as_array().unwrap().len(), 7);
        assert_eq!(now["operatorShifts"][0], shift(0, 480, 960));
        let r = exec(&schema, &customer, SET_SHIFTS, json!({"s": []})).await;
        assert_eq!(code(&r).0, "FORBIDDEN");
        let r = exec(&schema, &customer, "{ operatorShifts { weekday } }", json!({})).await;
        assert_eq!(code(&r).0, "FORBIDDEN");

        // Every job of a plan is loaded (its start less its setup) inside 08:00–16:00 UTC.
        let plan = ok(
            &schema,
            &planner,
            "{ planWhatIf(timeLimitSeconds: 1) { printers { jobs { start setupMinutes } } } }",
            json!({}),
        )
        .await;
        let mut loads = 0;
        for row in plan["planWhatIf"]["printers"].as_array().unwrap() {
            for j in row["jobs"].as_array().unwrap() {
                let start: DateTime<Utc> = j["start"].as_str().unwrap().parse().unwrap();
                let load = start - Duration::minutes(j["setupMinutes"].as_i64().unwrap());
                let secs = load.num_seconds_from_midnight();
                assert!(
                    (8 * 3600..=16 * 3600).contains(&secs),
                    "loaded at {load} outside the shift"
                );
                loads += 1;
            }
        }
        assert!(loads > 0, "the demo farm plans jobs");

        // An empty timetable: always staffed again.
        let cleared = ok(&schema, &planner, SET_SHIFTS, json!({"s": []})).await;
        assert_eq!(cleared["setOperatorShifts"], json!([]));
        assert_eq!(events_of(db, "shifts.changed").await.len(), 2);
    }
);

const UPDATE: &str = "mutation($id: ID!, $i: UpdatePrinterInput!) { updatePrinter(id: $id, input: $i) { id name group speedFactorPct materials retiredAt } }";
const RETIRE: &str =
    "mutation($id: ID!) { retirePrinter(id: $id) { requeuedJobs tokensRevoked printer { id retiredAt } } }";

gantry_engine::db_test!(printers_are_edited_grouped_and_retired, |db| {
    let schema = setup(db).await;
    let admin = as_role(db, Role::Admin).await;
    let planner = as_role(db, Role::Planner).await;
    let farm = ok(
        &schema,
        &admin,
        "{ printers { id name status technology } }",
        json!({}),
    )
    .await;
    let printers = farm["printers"].as_array().unwrap().clone();
    let (a, b) = (&printers[0], &printers[1]);

    let edited = ok(
        &schema,
        &admin,
        UPDATE,
        json!({"id": a["id"], "i": {"group": "  Room A ", "speedFactorPct": 120}}),
    )
    .await;
    assert_eq!(edited["updatePrinter"]["group"], "Room A");
    assert_eq!(edited["updatePrinter"]["speedFactorPct"], 120);
    assert_eq!(edited["updatePrinter"]["name"], a["name"]);
    match events_of(db, "printer.updated").await.as_slice() {
        [Event::PrinterUpdated(e)] => {
            assert_eq!(e.group.as_deref(), Some("Room A"));
            assert!(!e.retired);
        }
        other => panic!("one printer.updated expected, got {other:?}"),
    }

    // Refusals write nothing.
    let before = rows(db, "events").await;
    for (input, expected) in [
        (json!({"name": b["name"]}), "EQUIPMENT_NAME_TAKEN"),
        (json!({"speedFactorPct": 0}), "EQUIPMENT_INVALID_FIELD"),
        (json!({"group": "g".repeat(61)}), "EQUIPMENT_INVALID_FIELD"),
        (json!({"materials": []}), "EQUIPMENT_INVALID_FIELD"),
    ] {
        let r = exec(&schema, &admin, UPDATE, json!({"id": a["id"], "i": input})).await;
        assert_eq!(code(&r).1, expected, "{r:#}");
    }
    assert_eq!(rows(db, "events").await, before);
    let r = exec(
        &schema,
        &planner,
        UPDATE,
        json!({"id": a["id"], "i": {"group": "x"}}),
    )
    .await;
    assert_eq!(code(&r).0, "FORBIDDEN");
    let ungrouped = ok(
        &schema,
        &admin,
        UPDATE,
        json!({"id": a["id"], "i": {"group": ""}}),
    )
    .await;
    assert_eq!(ungrouped["updatePrinter"]["group"], Value::Null);

    // Retiring: a printer with planned jobs and an agent token.
    ok(
        &schema,
        &planner,
        "mutation { replanNow(timeLimitSeconds: 1) { id } }",
        json!({}),
    )
    .await;
    let queue = ok(&schema, &admin, "{ queue { id state printerId } }", json!({})).await;
    let planned_on = |p: &Value| {
        queue["queue"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["state"] == "SCHEDULED" && j["printerId"] == p["id"])
            .map(|j| j["id"].clone())
            .collect::<Vec<_>>()
    };
    let target = printers
        .iter()
        .find(|p| p["status"] != "PRINTING" && p["status"] != "PAUSED" && !planned_on(p).is_empty())
        .expect("a printer with planned jobs in the demo farm")
        .clone();
    let jobs = planned_on(&target);
    let token = ok(
        &schema,
        &admin,
        "mutation($p: ID!) { createPrinterToken(printerId: $p) { token } }",
        json!({"p": target["id"]}),
    )
    .await["createPrinterToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let retired = ok(&schema, &admin, RETIRE, json!({"id": target["id"]})).await["retirePrinter"].clone();
    assert_eq!(retired["requeuedJobs"], jobs.len());
    assert!(retired["tokensRevoked"].as_i64().unwrap() >= 1);
    assert!(retired["printer"]["retiredAt"].is_string());
    let mut c = db.pool().acquire().await.unwrap();
    let e = auth::printer_token_by_secret(&mut c, &token).await.unwrap_err();
    assert_eq!(gantry_engine::error::Coded::code(&e), "AUTH_TOKEN_REVOKED");
    drop(c);
    let after = ok(
        &schema,
        &admin,
        "{ printers { id } queue { id state printerId } }",
        json!({}),
    )
    .await;
    assert!(
        !after["printers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == target["id"])
    );
    for j in &jobs {
        let job = after["queue"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| &q["id"] == j)
            .unwrap();
        assert_eq!(job["state"], "QUEUED", "{job}");
    }
    let one = ok(
        &schema,
        &admin,
        "query($id: ID!) { printer(id: $id) { retiredAt } }",
        json!({"id": target["id"]}),
    )
    .await;
    assert!(one["printer"]["retiredAt"].is_string());
    let plan = ok(
        &schema,
        &planner,
        "{ planWhatIf(timeLimitSeconds: 1) { printers { printerId } } }",
        json!({}),
    )
    .await;
    assert!(
        !plan["planWhatIf"]["printers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["printerId"] == target["id"])
    );
    match events_of(db, "printer.retired").await.as_slice() {
        [Event::PrinterUpdated(e)] => assert!(e.retired && e.by_user_id == Some(admin.user_id.0)),
        other => panic!("one printer.retired expected, got {other:?}"),
    }
    let before = rows(db, "events").await;
    let r = exec(&schema, &admin, RETIRE, json!({"id": target["id"]})).await;
    assert_eq!(code(&r), ("CONFLICT", "PRINTER_RETIRED"));
    let r = exec(
        &schema,
        &admin,
        UPDATE,
        json!({"id": target["id"], "i": {"group": "x"}}),
    )
    .await;
    assert_eq!(code(&r), ("CONFLICT", "PRINTER_RETIRED"));
    assert_eq!(rows(db, "events").await, before);
});
