//! The CRM's lists as Relay connections paged by key (both databases): pages follow one
//! another without gaps or repeats, filters apply before paging, activities page newest first,
//! bad page arguments are coded errors; ticket replies and order shipments of a whole page are
//! read in one batch each, and each row gets its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use async_graphql::Request;
use common::code;
use gantry_api::config::Config;
use gantry_api::graphql::loaders::QueryCounter;
use gantry_api::graphql::principal::{Principal, PrincipalKind};
use gantry_api::graphql::{GantrySchema, build_schema};
use gantry_engine::domain::users::Role;
use gantry_engine::store::{Db, demo, users};
use serde_json::{Value, json};

async fn setup(db: &Db) -> (GantrySchema, Principal) {
    demo::load(db).await.expect("demo farm");
    let schema = build_schema(
        db.clone(),
        &Config::from_map(&HashMap::new()).expect("config"),
        Default::default(),
    );
    let mut c = db.pool().acquire().await.unwrap();
    let u = users::list_users(&mut c)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Sales)
        .unwrap();
    let sales = Principal {
        user_id: u.id,
        role: u.role,
        customer_id: None,
        kind: PrincipalKind::User,
    };
    (schema, sales)
}

async fn exec(schema: &GantrySchema, who: &Principal, q: &str, vars: Value, counter: &QueryCounter) -> Value {
    let req = Request::new(q)
        .variables(async_graphql::Variables::from_json(vars))
        .data(who.clone())
        .data(counter.clone());
    serde_json::to_value(schema.execute(req).await).unwrap()
}

async fn ok(schema: &GantrySchema, who: &Principal, q: &str, vars: Value) -> Value {
    let r = exec(schema, who, q, vars, &QueryCounter::default()).await;
    assert!(r.get("errors").is_none(), "{q}: {r:#}");
    r["data"].clone()
}

fn ids(conn: &Value) -> Vec<i64> {
    conn["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Reads a list page by page (`size` a page) and returns every id in order.
async fn all_pages(schema: &GantrySchema, who: &Principal, field: &str, args: &str, size: i64) -> Vec<i64> {
    let q = format!(
        "query($n: Int!, $a: String) {{ {field}(first: $n, after: $a{args}) {{ nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut after = Value::Null;
    let mut out = Vec::new();
    for page in 0.. {
        let d = ok(schema, who, &q, json!({"n": size, "a": after})).await;
        let conn = &d[field];
        let got = ids(conn);
        assert!(got.len() as i64 <= size, "{field} page {page}: {got:?}");
        out.extend(got);
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(page < 100, "{field} never ends");
    }
    out
}

gantry_engine::db_test!(crm_lists_page_by_key, |db| {
    let (schema, sales) = setup(db).await;
    for (i, status) in ["NEW", "NEW", "CONTACTED", "NEW", "NEW"].iter().enumerate() {
        let d = ok(
            &schema,
            &sales,
            "mutation($i: LeadInput!) { createLead(input: $i) { id } }",
            json!({"i": {"name": format!("Lead {i}"), "source": "WEBSITE"}}),
        )
        .await;
        if *status != "NEW" {
            ok(
                &schema,
                &sales,
                "mutation($id: ID!) { setLeadStatus(id: $id, status: CONTACTED) { id } }",
                json!({"id": d["createLead"]["id"]}),
            )
            .await;
        }
    }
    // Pages of 2: every lead once, in id order; the filter applies before paging.
    let every = all_pages(&schema, &sales, "leads", "", 2).await;
    assert_eq!(every.len(), 5);
    assert!(every.windows(2).all(|w| w[0] < w[1]), "{every:?}");
    let new = all_pages(&schema, &sales, "leads", ", status: NEW", 2).await;
    assert_eq!(new.len(), 4);
    assert_eq!(all_pages(&schema, &sales, "leads", "", 500).await, every);
    // A whole page at once says there is nothing after it.
    let d = ok(
        &schema,
        &sales,
        "{ leads(first: 5) { pageInfo { hasNextPage hasPreviousPage } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        d["leads"]["pageInfo"],
        json!({"hasNextPage": false, "hasPreviousPage": false})
    );

    // Customers: the demo's and three more, searched case-insensitively; `%` is literal.
    for name in ["Zed 100% Plastics", "zoe", "Carl"] {
        ok(
            &schema,
            &sales,
            "mutation($n: String!) { createCustomer(input: {name: $n}) { id } }",
            json!({"n": name}),
        )
        .await;
    }
    let customers = all_pages(&schema, &sales, "customers", "", 3).await;
    let d = ok(
        &schema,
        &sales,
        "{ customers(first: 500) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(customers, ids(&d["customers"]));
    let d = ok(
        &schema,
        &sales,
        "{ a: customers(search: \"Z\") { nodes { name } } b: customers(search: \"%\") { nodes { name } } }",
        json!({}),
    )
    .await;
    let names = |v: &Value| -> Vec<String> {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names(&d["a"]).contains(&"zoe".to_string()), "{d}");
    assert!(names(&d["a"]).contains(&"Zed 100% Plastics".to_string()), "{d}");
    assert_eq!(names(&d["b"]), ["Zed 100% Plastics"]);

    // Activities page newest first: `after` gives older ones.
    for i in 0..3 {
        ok(
            &schema,
            &sales,
            "mutation($s: String!, $l: ID!, $o: ID!) { logActivity(input: {kind: TASK, subject: $s, dueAt: \"2030-01-01T00:00:00Z\", leadId: $l, ownerId: $o}) { id } }",
            json!({"s": format!("task {i}"), "l": every[0].to_string(), "o": sales.user_id.0.to_string()}),
        )
        .await;
    }
    let tasks = all_pages(&schema, &sales, "activities", ", openTasks: true", 2).await;
    assert_eq!(tasks.len(), 3);
    assert!(tasks.windows(2).all(|w| w[0] > w[1]), "{tasks:?}");

    // Bad page arguments: coded, per field.
    for (q, reason) in [
        ("{ leads(first: 501) { nodes { id } } }", "INVALID_PAGE"),
        ("{ leads(first: -1) { nodes { id } } }", "INVALID_PAGE"),
        ("{ deals(after: \"nope\") { nodes { id } } }", "INVALID_CURSOR"),
    ] {
        let r = exec(&schema, &sales, q, json!({}), &QueryCounter::default()).await;
        assert_eq!(code(&r), ("VALIDATION", reason), "{q}: {r}");
    }
});

gantry_engine::db_test!(replies_and_shipments_of_a_page_come_in_one_read, |db| {
    let (schema, sales) = setup(db).await;
    let d = ok(
        &schema,
        &sales,
        "{ customers(first: 1) { nodes { id } } }",
        json!({}),
    )
    .await;
    let customer = d["customers"]["nodes"][0]["id"].clone();
    let mut opened = Vec::new();
    for i in 0..6 {
        let d = ok(
            &schema,
            &sales,
            "mutation($i: OpenTicketInput!) { openTicket(input: $i) { id } }",
            json!({"i": {"customerId": customer, "subject": format!("t{i}"), "body": format!("first {i}")}}),
        )
        .await;
        let id = d["openTicket"]["id"].clone();
        for r in 0..i % 3 {
            ok(
                &schema,
                &sales,
                "mutation($id: ID!, $b: String!) { replyToTicket(id: $id, body: $b) { id } }",
                json!({"id": id, "b": format!("reply {i}.{r}")}),
            )
            .await;
        }
        opened.push(id);
    }
    let q = "query($n: Int!) { tickets(first: $n) { nodes { id subject replies { body } } } }";
    let mut counts = Vec::new();
    for n in [2, 6] {
        let counter = QueryCounter::default();
        let r = exec(&schema, &sales, q, json!({"n": n}), &counter).await;
        assert!(r.get("errors").is_none(), "{r}");
        let nodes = r["data"]["tickets"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n);
        // Each ticket its own thread: the opening message, then its replies in order.
        for t in nodes {
            let i: usize = t["subject"].as_str().unwrap()[1..].parse().unwrap();
            let mut want = vec![format!("first {i}")];
            want.extend((0..i % 3).map(|r| format!("reply {i}.{r}")));
            let got: Vec<&str> = t["replies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["body"].as_str().unwrap())
                .collect();
            assert_eq!(got, want);
        }
        counts.push(counter.get());
    }
    // One batch for the replies of the whole page, whatever its length (slack for a batch
    // window split on a busy machine, still far below one read per ticket).
    assert!(counts.iter().all(|c| (1..=2).contains(c)), "{counts:?}");

    // Order.shipments: one batch for a page of orders.
    let admin = Principal {
        role: Role::Admin,
        ..sales.clone()
    };
    let q = "query($n: Int!) { orders(first: $n) { nodes { id shipments { id } } } }";
    let mut counts = Vec::new();
    for n in [2, 10] {
        let counter = QueryCounter::default();
        let r = exec(&schema, &admin, q, json!({"n": n}), &counter).await;
        assert!(r.get("errors").is_none(), "{r}");
        assert_eq!(r["data"]["orders"]["nodes"].as_array().unwrap().len(), n);
        counts.push(counter.get());
    }
    // The page read and one shipments batch.
    assert!(counts.iter().all(|c| (2..=3).contains(c)), "{counts:?}");
});
