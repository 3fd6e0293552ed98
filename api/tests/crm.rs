//! The CRM through GraphQL on SQLite and PostgreSQL: the flow lead → deal → quote → order →
//! ticket with real model uploads, who may do what (`crm:read`, `crm:write`, `tickets:own`),
//! bad input writing nothing, and the export and erasure of a contact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{TestApp, code};
use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, col, count_rows, events};
use serde_json::{Value, json};

fn ok<'a>(v: &'a Value, field: &str) -> &'a Value {
    assert!(v["errors"].is_null(), "{v}");
    &v["data"][field]
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// A PLA material at 25.00 EUR/kg and an idle FDM printer that prints it.
async fn farm(db: &Db) -> i64 {
    let row = sqlx::query(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
         VALUES ('PLA-BLK', 'PLA', 'black', 1750, 1240, 2500, 'EUR', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let material: i64 = col(&row, "materials", "id").unwrap();
    let row = sqlx::query(
        "INSERT INTO printers (name, model, technology, build_x_mm, build_y_mm, build_z_mm, nozzle_um, \
         hourly_cost_minor, currency, status, created_at) \
         VALUES ('mk4', 'MK4', 'fdm', 250, 210, 220, 400, 150, 'EUR', 'idle', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let printer: i64 = col(&row, "printers", "id").unwrap();
    sqlx::query("INSERT INTO printer_materials (printer_id, material_kind) VALUES ($1, 'PLA')")
        .bind(printer)
        .execute(db.pool())
        .await
        .unwrap();
    material
}

fn cube() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/models/cube_20mm.stl");
    std::fs::read(p).unwrap()
}

fn data_dir() -> PathBuf {
    let id = gantry_api::auth::random_id().unwrap();
    let d = std::env::temp_dir().join(format!("gantry-crm-{id}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Uploads the 20 mm cube as the caller; returns the model id.
async fn upload(app: &TestApp, token: &str) -> String {
    let q = "mutation($file: Upload!) { uploadModel(file: $file) { id } }";
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": q, "variables": {"file": null}}).to_string(),
        )
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(cube())
                .file_name("cube_20mm.stl")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let v: Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    id(ok(&v, "uploadModel"))
}

async fn my_customer(app: &TestApp, token: &str) -> String {
    let v = app.graphql_as(token, "{ me { customerId } }", json!({})).await;
    ok(&v, "me")["customerId"].as_str().unwrap().to_string()
}

async fn crm_event_types(db: &Db) -> Vec<String> {
    let mut c = db.pool().acquire().await.unwrap();
    events::after(&mut c, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.event, Ok(gantry_engine::domain::events::Event::Crm(_))))
        .map(|e| e.type_name)
        .collect()
}

const TICKET: &str = "id status priority orderId customerId firstResponseSeconds resolutionSeconds \
    replies { fromStaff body }";

macro_rules! flow_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            use super::*;

            async fn run($app: &TestApp) $body

            async fn go(backend: gantry_engine::store::Backend) {
                let dir = data_dir();
                let d = dir.display().to_string();
                let app = common::spawn_app_with(backend, &[("GANTRY_DATA_DIR", d.as_str()), ("GANTRY_SLICER", "off")]).await;
                run(&app).await;
                app.stop().await;
                std::fs::remove_dir_all(&dir).unwrap();
            }

            #[actix_web::test]
            async fn sqlite() {
                go(gantry_engine::store::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                go(gantry_engine::store::Backend::Postgres).await;
            }
        }
    };
}

flow_test!(lead_deal_quote_order_ticket, |app| {
    let material = farm(&app.db.db).await;
    let sales = app.login_as(Role::Sales).await;
    let cara = app.login_new(Role::Customer, "cara@example.test").await;
    let cara_id = my_customer(app, &cara).await;

    // A lead comes in from the website, is qualified and converted with a deal.
    let v = app
        .graphql_as(
            &sales,
            "mutation($i: LeadInput!) { createLead(input: $i) { id status source } }",
            json!({"i": {"name": "Cara", "email": "Cara@Example.test", "source": "WEBSITE"}}),
        )
        .await;
    let lead = ok(&v, "createLead").clone();
    assert_eq!(
        (lead["status"].as_str(), lead["source"].as_str()),
        (Some("NEW"), Some("WEBSITE"))
    );
    let v = app
        .graphql_as(
            &sales,
            "mutation($id: ID!) { setLeadStatus(id: $id, status: QUALIFIED) { status } }",
            json!({"id": id(&lead)}),
        )
        .await;
    assert_eq!(ok(&v, "setLeadStatus")["status"], "QUALIFIED");
    let v = app
        .graphql_as(
            &sales,
            "mutation($id: ID!, $c: ID!) { convertLead(id: $id, customerId: $c, deal: {title: \"Cubes\", \
             value: {minor: 1500, currency: \"EUR\"}}) { lead { status contactId } contact { id email customerId } \
             deal { id stage probability customerId } } }",
            json!({"id": id(&lead), "c": cara_id}),
        )
        .await;
    let conv = ok(&v, "convertLead").clone();
    assert_eq!(conv["lead"]["status"], "CONVERTED");
    assert_eq!(conv["lead"]["contactId"], conv["contact"]["id"]);
    assert_eq!(conv["contact"]["email"], "cara@example.test");
    assert_eq!(conv["deal"]["customerId"].as_str(), Some(cara_id.as_str()));
    let deal = id(&conv["deal"]);
    let v = app
        .graphql_as(
            &sales,
            "mutation($id: ID!) { moveDeal(id: $id, stage: PROPOSAL) { stage probability } }",
            json!({"id": deal}),
        )
        .await;
    assert_eq!(
        ok(&v, "moveDeal"),
        &json!({"stage": "PROPOSAL", "probability": 50})
    );

    // The customer asks for a quote and orders it.
    let model = upload(app, &cara).await;
    let v = app
        .graphql_as(
            &cara,
            "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { id total { minor currency } } }",
            json!({"i": {"modelId": model, "materialId": material.to_string(), "quantity": 2}}),
        )
        .await;
    let quote = id(ok(&v, "createQuote"));
    let v = app
        .graphql_as(
            &cara,
            "mutation($q: ID!) { createOrderFromQuote(quoteId: $q) { id } }",
            json!({"q": quote}),
        )
        .await;
    let order = id(ok(&v, "createOrderFromQuote"));

    // The deal is won with the quote, which links its order too.
    let v = app
        .graphql_as(
            &sales,
            "mutation($id: ID!, $q: ID!) { winDeal(id: $id, quoteId: $q) { stage probability quoteId orderId closedAt } }",
            json!({"id": deal, "q": quote}),
        )
        .await;
    let won = ok(&v, "winDeal");
    assert_eq!(
        (won["stage"].as_str(), won["probability"].as_i64()),
        (Some("WON"), Some(100))
    );
    assert_eq!(
        (won["quoteId"].as_str(), won["orderId"].as_str()),
        (Some(quote.as_str()), Some(order.as_str()))
    );
    assert!(won["closedAt"].is_string());

    // The customer opens a ticket about the order; staff answer; the customer replies.
    let q = format!(
        "mutation($o: ID!) {{ openTicket(input: {{orderId: $o, subject: \"Colour\", body: \"Can it be red?\"}}) {{ {TICKET} }} }}"
    );
    let v = app.graphql_as(&cara, &q, json!({"o": order})).await;
    let ticket = ok(&v, "openTicket").clone();
    assert_eq!(ticket["status"], "OPEN");
    assert_eq!(ticket["customerId"].as_str(), Some(cara_id.as_str()));
    assert_eq!(
        ticket["replies"],
        json!([{"fromStaff": false, "body": "Can it be red?"}])
    );
    let tid = id(&ticket);
    let reply =
        format!("mutation($id: ID!, $b: String!) {{ replyToTicket(id: $id, body: $b) {{ {TICKET} }} }}");
    let v = app
        .graphql_as(&sales, &reply, json!({"id": tid, "b": "Yes, PLA red."}))
        .await;
    let t = ok(&v, "replyToTicket");
    assert_eq!(t["status"], "PENDING");
    assert!(t["firstResponseSeconds"].as_i64().unwrap() >= 0);
    let v = app
        .graphql_as(&cara, &reply, json!({"id": tid, "b": "Great"}))
        .await;
    let t = ok(&v, "replyToTicket");
    assert_eq!(t["status"], "OPEN");
    assert_eq!(t["replies"].as_array().unwrap().len(), 3);
    let v = app
        .graphql_as(&cara, "{ tickets { nodes { id status } } }", json!({}))
        .await;
    assert_eq!(ok(&v, "tickets")["nodes"], json!([{"id": tid, "status": "OPEN"}]));

    // Another customer sees none of it, and cannot open a ticket on Cara's order.
    let dan = app.login_new(Role::Customer, "dan@example.test").await;
    let v = app
        .graphql_as(&dan, "{ tickets { nodes { id } } }", json!({}))
        .await;
    assert_eq!(ok(&v, "tickets")["nodes"], json!([]));
    let v = app
        .graphql_as(
            &dan,
            &format!("query($id: ID!) {{ ticket(id: $id) {{ {TICKET} }} }}"),
            json!({"id": tid}),
        )
        .await;
    assert_eq!(code(&v), ("NOT_FOUND", "NOT_FOUND"));
    let v = app
        .graphql_as(&dan, &reply, json!({"id": tid, "b": "me too"}))
        .await;
    assert_eq!(code(&v), ("NOT_FOUND", "NOT_FOUND"));
    let v = app.graphql_as(&dan, &q, json!({"o": order})).await;
    assert_eq!(code(&v), ("NOT_FOUND", "NOT_FOUND"));
    assert_eq!(count_rows(&app.db.db, "crm_tickets").await.unwrap(), 1);

    // The customer page shows it all.
    let v = app
        .graphql_as(
            &sales,
            "query($c: ID!) { customerPage(customerId: $c) { customer { id } contacts { id } orders { id status } \
             lifetimeRevenue { minor currency } lifetimeMargin { minor } openTickets { id } openDeals { id } } }",
            json!({"c": cara_id}),
        )
        .await;
    let page = ok(&v, "customerPage");
    assert_eq!(page["orders"].as_array().unwrap().len(), 1);
    assert_eq!(page["contacts"], json!([{"id": conv["contact"]["id"]}]));
    assert_eq!(page["openTickets"], json!([{"id": tid}]));
    assert_eq!(page["openDeals"], json!([]));
    // Nothing of the order is posted yet: no margin from the ledger, no revenue.
    assert_eq!(page["lifetimeMargin"], json!([]));
    assert_eq!(page["lifetimeRevenue"], json!([]));

    // Sales resolve the ticket: its resolution time is kept (from opening), once.
    let v = app
        .graphql_as(
            &sales,
            &format!("mutation($id: ID!) {{ setTicketStatus(id: $id, status: RESOLVED) {{ {TICKET} }} }}"),
            json!({"id": tid}),
        )
        .await;
    let t = ok(&v, "setTicketStatus");
    assert_eq!(t["status"], "RESOLVED");
    let (first, resolved) = (
        t["firstResponseSeconds"].as_i64().unwrap(),
        t["resolutionSeconds"].as_i64().unwrap(),
    );
    assert!(0 <= first && first <= resolved, "{t}");
    let v = app
        .graphql_as(
            &cara,
            &format!("query($id: ID!) {{ ticket(id: $id) {{ {TICKET} }} }}"),
            json!({"id": tid}),
        )
        .await;
    assert_eq!(
        (
            &ok(&v, "ticket")["status"],
            &v["data"]["ticket"]["resolutionSeconds"]
        ),
        (&json!("RESOLVED"), &json!(resolved))
    );

    let types = crm_event_types(&app.db.db).await;
    for t in [
        "lead.created",
        "lead.status_changed",
        "deal.created",
        "deal.stage_changed",
        "deal.won",
        "ticket.opened",
        "ticket.replied",
        "ticket.status_changed",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
});

app_test!(permissions, |app| {
    let planner = app.login_as(Role::Planner).await;
    let accountant = app.login_as(Role::Accountant).await;
    let customer = app.login_as(Role::Customer).await;
    let admin = app.login_as(Role::Admin).await;
    let create = "mutation { createLead(input: {name: \"X\"}) { id } }";
    for token in [&planner, &accountant, &customer] {
        let v = app.graphql_as(token, create, json!({})).await;
        assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"), "{v}");
    }
    let v = app.graphql(create, json!({})).await;
    assert_eq!(code(&v).0, "UNAUTHENTICATED");
    let v = app.graphql_as(&admin, create, json!({})).await;
    assert!(ok(&v, "createLead")["id"].is_string());
    // Accountants read the CRM; planners and customers do not.
    let read = "{ leads { nodes { id } } }";
    let v = app.graphql_as(&accountant, read, json!({})).await;
    assert_eq!(ok(&v, "leads")["nodes"].as_array().unwrap().len(), 1);
    for token in [&planner, &customer] {
        let v = app.graphql_as(token, read, json!({})).await;
        assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"));
    }
    // Customers handle their own tickets, not their status; planners no tickets at all.
    let open = "mutation { openTicket(input: {subject: \"Hi\", body: \"Help\"}) { id status } }";
    let v = app.graphql_as(&customer, open, json!({})).await;
    let tid = id(ok(&v, "openTicket"));
    let v = app.graphql_as(&planner, open, json!({})).await;
    assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"));
    let v = app
        .graphql_as(
            &customer,
            "mutation($id: ID!) { setTicketStatus(id: $id, status: CLOSED) { id } }",
            json!({"id": tid}),
        )
        .await;
    assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"));
    let v = app
        .graphql_as(
            &customer,
            "{ customerPage(customerId: \"1\") { customer { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"));
    // Staff must say whose ticket it is.
    let v = app.graphql_as(&admin, open, json!({})).await;
    assert_eq!(code(&v), ("VALIDATION", "CRM_INVALID_FIELD"));
    // Accountants read tickets but may not answer them.
    let v = app
        .graphql_as(
            &accountant,
            "mutation($id: ID!) { replyToTicket(id: $id, body: \"x\") { id } }",
            json!({"id": tid}),
        )
        .await;
    assert_eq!(code(&v), ("FORBIDDEN", "FORBIDDEN"));
    let v = app
        .graphql_as(&accountant, "{ tickets { nodes { id } } }", json!({}))
        .await;
    assert_eq!(ok(&v, "tickets")["nodes"], json!([{"id": tid}]));
});

app_test!(bad_input_writes_nothing, |app| {
    let sales = app.login_as(Role::Sales).await;
    let db = &app.db.db;
    let cases = [
        (
            "mutation { createContact(input: {name: \"Ann\", email: \"not-an-address\"}) { id } }",
            "CRM_INVALID_EMAIL",
        ),
        (
            "mutation { createContact(input: {name: \"Ann\", tags: [\"ok\", \"semi;colon\"]}) { id } }",
            "CRM_INVALID_TAG",
        ),
        (
            "mutation { createCompany(input: {name: \"A\", addresses: [{line1: \"x\", city: \"y\", country: \"Germany\"}]}) { id } }",
            "CRM_INVALID_COUNTRY",
        ),
        (
            "mutation { createLead(input: {name: \"  \"}) { id } }",
            "CRM_INVALID_FIELD",
        ),
        (
            "mutation { createDeal(input: {title: \"D\", customerId: \"1\", value: {minor: -5, currency: \"EUR\"}}) { id } }",
            "CRM_DEAL_VALUE_INVALID",
        ),
        (
            "mutation { createDeal(input: {title: \"D\", value: {minor: 5, currency: \"EUR\"}}) { id } }",
            "CRM_DEAL_NEEDS_PARTY",
        ),
        (
            "mutation { createDeal(input: {title: \"D\", customerId: \"1\", probability: 140, value: {minor: 5, currency: \"EUR\"}}) { id } }",
            "CRM_PROBABILITY_INVALID",
        ),
        (
            "mutation { logActivity(input: {kind: TASK, subject: \"Call back\"}) { id } }",
            "CRM_ACTIVITY_UNLINKED",
        ),
        (
            "mutation { openTicket(input: {customerId: \"1\", subject: \"S\", body: \" \"}) { id } }",
            "CRM_INVALID_FIELD",
        ),
    ];
    for (q, reason) in cases {
        let v = app.graphql_as(&sales, q, json!({})).await;
        assert_eq!(code(&v), ("VALIDATION", reason), "{q}: {v}");
    }
    let v = app
        .graphql_as(
            &sales,
            "mutation { createContact(input: {name: \"Ann\"}) { id } }",
            json!({}),
        )
        .await;
    let contact = id(ok(&v, "createContact"));
    let v = app
        .graphql_as(
            &sales,
            "mutation($c: ID!) { logActivity(input: {kind: TASK, subject: \"Call back\", contactId: $c}) { id } }",
            json!({"c": contact}),
        )
        .await;
    assert_eq!(code(&v), ("VALIDATION", "CRM_TASK_INCOMPLETE"));
    for table in [
        "crm_companies",
        "crm_leads",
        "crm_deals",
        "crm_activities",
        "crm_tickets",
        "crm_tags",
        "crm_addresses",
    ] {
        assert_eq!(count_rows(db, table).await.unwrap(), 0, "{table}");
    }
    assert_eq!(count_rows(db, "crm_contacts").await.unwrap(), 1);
    assert!(crm_event_types(db).await.is_empty());
});

app_test!(export_and_erase_a_contact, |app| {
    let sales = app.login_as(Role::Sales).await;
    let db = &app.db.db;
    let v = app
        .graphql_as(
            &sales,
            "mutation { createCustomer(input: {name: \"Fay\", email: \"fay@x.io\"}) { id name } }",
            json!({}),
        )
        .await;
    let customer = id(ok(&v, "createCustomer"));
    let v = app
        .graphql_as(
            &sales,
            "mutation($c: ID!) { createContact(input: {name: \"Fay\", email: \"fay@x.io\", phone: \"+33 1 23 45 67 89\", \
             customerId: $c, tags: [\"VIP\"], addresses: [{line1: \"2 rue X\", city: \"Paris\", country: \"fr\"}]}) { id tags addresses { country } } }",
            json!({"c": customer}),
        )
        .await;
    let contact = ok(&v, "createContact").clone();
    assert_eq!(
        (
            contact["tags"].clone(),
            contact["addresses"][0]["country"].clone()
        ),
        (json!(["vip"]), json!("FR"))
    );
    let contact = id(&contact);
    let row = sqlx::query(
        "INSERT INTO orders (customer_id, status, currency, total_minor, created_at, updated_at) \
         VALUES ($1, 'placed', 'EUR', 900, 0, 0) RETURNING id",
    )
    .bind(customer.parse::<i64>().unwrap())
    .fetch_one(db.pool())
    .await
    .unwrap();
    let order: i64 = col(&row, "orders", "id").unwrap();

    let export = "query($id: ID!) { exportContact(id: $id) }";
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    let json: Value = serde_json::from_str(ok(&v, "exportContact").as_str().unwrap()).unwrap();
    assert_eq!(json["contact"]["email"], "fay@x.io");
    assert_eq!(json["customer"]["email"], "fay@x.io");
    assert_eq!(json["orders"][0]["id"], order);

    let erase = "mutation($id: ID!) { eraseContact(id: $id) { contact { name email phone tags erasedAt } erasedCustomerId } }";
    let v = app.graphql_as(&sales, erase, json!({"id": contact})).await;
    assert_eq!(code(&v), ("CONFLICT", "CRM_ERASE_OPEN_ORDERS"));
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    assert!(ok(&v, "exportContact").as_str().unwrap().contains("fay@x.io"));

    // An invoice issued on demand while the order was placed stays owed when the order is
    // cancelled: erasure is refused for it, nothing written.
    let invoice = |kind: &'static str, seq: i64, credits: Option<i64>| {
        sqlx::query(
            "INSERT INTO invoices (kind, number, year, seq, order_id, customer_id, customer_name, \
             credits_invoice_id, currency, net_minor, tax_minor, total_minor, issued_at) \
             VALUES ($1, $2, 2026, $3, $4, $5, 'Fay', $6, 'EUR', 750, 150, 900, 0) RETURNING id",
        )
        .bind(kind)
        .bind(format!("{kind}-{seq}"))
        .bind(seq)
        .bind(order)
        .bind(customer.parse::<i64>().unwrap())
        .bind(credits)
    };
    let row = invoice("invoice", 1, None).fetch_one(db.pool()).await.unwrap();
    let invoice_id: i64 = col(&row, "invoices", "id").unwrap();
    sqlx::query("UPDATE orders SET status = 'cancelled' WHERE id = $1")
        .bind(order)
        .execute(db.pool())
        .await
        .unwrap();
    let events_before = crm_event_types(db).await;
    let v = app.graphql_as(&sales, erase, json!({"id": contact})).await;
    assert_eq!(code(&v), ("CONFLICT", "CRM_ERASE_OPEN_INVOICES"));
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    assert!(ok(&v, "exportContact").as_str().unwrap().contains("fay@x.io"));
    assert_eq!(crm_event_types(db).await, events_before, "no contact.erased");
    // Credited, it is no longer owed.
    invoice("credit_note", 1, Some(invoice_id))
        .execute(db.pool())
        .await
        .unwrap();
    let v = app.graphql_as(&sales, erase, json!({"id": contact})).await;
    let erased = ok(&v, "eraseContact");
    assert_eq!(erased["erasedCustomerId"].as_str(), Some(customer.as_str()));
    assert_eq!(
        (
            erased["contact"]["email"].clone(),
            erased["contact"]["tags"].clone()
        ),
        (Value::Null, json!([]))
    );
    assert!(erased["contact"]["erasedAt"].is_string());
    let v = app.graphql_as(&sales, export, json!({"id": contact})).await;
    let text = ok(&v, "exportContact").as_str().unwrap().to_string();
    assert!(
        !text.contains("fay@x.io") && !text.contains("45 67") && !text.contains("rue X"),
        "{text}"
    );
    // The order is still there, with its total.
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            json["orders"][0]["id"].clone(),
            json["orders"][0]["total"]["minor"].clone()
        ),
        (json!(order), json!(900))
    );
    let v = app.graphql_as(&sales, erase, json!({"id": contact})).await;
    assert_eq!(code(&v), ("CONFLICT", "CRM_CONTACT_ERASED"));
});
