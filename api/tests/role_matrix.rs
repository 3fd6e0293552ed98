//! Every mutation × every role: allowed or `FORBIDDEN`, and `UNAUTHENTICATED` without a caller.
//!
//! The mutation list comes from the schema's introspection, so a new mutation is in the matrix
//! automatically (and changes the snapshot). Each mutation is called with minimal arguments of
//! the right types, generated from introspection (required arguments and required input
//! fields only). "allowed" means the call got past authorisation: it may still fail for other
//! reasons (unknown id, validation), which is not what this test is about. Runs on an empty
//! database, so most allowed calls end in `NOT_FOUND`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use async_graphql::Request;
use gantry_api::config::Config;
use gantry_api::graphql::principal::{Principal, PrincipalKind};
use gantry_api::graphql::{GantrySchema, build_schema};
use gantry_engine::domain::types::{CustomerId, UserId};
use gantry_engine::domain::users::Role;
use serde_json::{Value, json};

const INTROSPECT: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
{
  __schema {
    mutationType { fields { name type { ...T } args { name defaultValue type { ...T } } } }
    queryType { fields { name type { ...T } args { name defaultValue type { ...T } } } }
    types { name kind enumValues { name } inputFields { name defaultValue type { ...T } } }
  }
}"#;

struct Types {
    by_name: HashMap<String, Value>,
}

fn named(t: &Value) -> (&str, &str) {
    let mut t = t;
    while t["ofType"].is_object() {
        t = &t["ofType"];
    }
    (t["kind"].as_str().unwrap(), t["name"].as_str().unwrap())
}

impl Types {
    /// A literal of type `t`.
    fn literal(&self, t: &Value, depth: usize) -> String {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => self.literal(&t["ofType"], depth),
            "LIST" => format!("[{}]", self.literal(&t["ofType"], depth)),
            "ENUM" => {
                let name = t["name"].as_str().unwrap();
                self.by_name[name]["enumValues"][0]["name"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
            "INPUT_OBJECT" => {
                let name = t["name"].as_str().unwrap();
                assert!(depth < 5, "input nesting too deep at {name}");
                let fields: Vec<String> = self.by_name[name]["inputFields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f["name"].as_str().unwrap(),
                            self.literal(&f["type"], depth + 1)
                        )
                    })
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            _ => match t["name"].as_str().unwrap() {
                "ID" => "\"1\"".into(),
                "Int" => "1".into(),
                "Float" => "1.0".into(),
                "Boolean" => "true".into(),
                "DateTime" => "\"2030-01-01T00:00:00Z\"".into(),
                // Files cannot be literals: a variable, filled with a real upload by `request`.
                "Upload" => "$upload".into(),
                _ => "\"x\"".into(),
            },
        }
    }
}

/// The request for a generated mutation; a `$upload` variable gets a real (small) file, so the
/// call reaches the field's guard instead of failing on its argument.
fn request(q: &str) -> Request {
    let mut req = Request::new(q);
    if q.contains("$upload") {
        let path = std::env::temp_dir().join(format!("gantry-role-matrix-{}.stl", std::process::id()));
        std::fs::write(&path, b"solid x\nendsolid x\n").unwrap();
        let content = std::fs::File::open(&path).unwrap();
        req = req.variables(async_graphql::Variables::from_json(json!({ "upload": null })));
        req.set_upload(
            "variables.upload",
            async_graphql::UploadValue {
                filename: "x.stl".into(),
                content_type: Some("model/stl".into()),
                content,
            },
        );
    }
    req
}

fn principal(role: Role) -> Principal {
    Principal {
        user_id: UserId(1),
        role,
        customer_id: (role == Role::Customer).then_some(CustomerId(1)),
        kind: PrincipalKind::User,
    }
}

fn outcome(r: &Value) -> &'static str {
    match r["errors"][0]["extensions"]["code"].as_str() {
        Some("FORBIDDEN") => "-",
        Some("UNAUTHENTICATED") => "401",
        _ => "ok",
    }
}

/// The fields of the schema's `root` (`mutationType` or `queryType`), each with a generated call.
async fn fields(schema: &GantrySchema, root: &str) -> (Vec<(String, String)>, Types) {
    let r = serde_json::to_value(schema.execute(INTROSPECT).await).unwrap();
    assert!(r.get("errors").is_none(), "{r}");
    let s = &r["data"]["__schema"];
    let types = Types {
        by_name: s["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
            .collect(),
    };
    let mut out = Vec::new();
    let op = if root == "mutationType" {
        "mutation"
    } else {
        "query"
    };
    for f in s[root]["fields"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        if name.starts_with("__") {
            continue;
        }
        let args: Vec<String> = f["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
            .map(|a| {
                format!(
                    "{}: {}",
                    a["name"].as_str().unwrap(),
                    types.literal(&a["type"], 0)
                )
            })
            .collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let (kind, _) = named(&f["type"]);
        let selection = if matches!(kind, "OBJECT" | "INTERFACE" | "UNION") {
            " { __typename }"
        } else {
            ""
        };
        let vars = if args.contains("$upload") {
            "($upload: Upload!)"
        } else {
            ""
        };
        out.push((
            name.to_string(),
            format!("{op}{vars} {{ {name}{args}{selection} }}"),
        ));
    }
    out.sort();
    (out, types)
}

async fn matrix(db: &gantry_engine::store::Db, root: &str) -> String {
    let schema = build_schema(
        db.clone(),
        &Config::from_map(&HashMap::new()).unwrap(),
        Default::default(),
    );
    let (muts, _) = fields(&schema, root).await;
    let width = muts.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut table = format!(
        "{:width$}",
        if root == "mutationType" {
            "mutation"
        } else {
            "query"
        }
    );
    for role in Role::ALL {
        table.push_str(&format!(" {:>10}", role.as_str()));
    }
    table.push_str(&format!(" {:>10}\n", "anonymous"));
    for (name, q) in &muts {
        let mut row = format!("{name:width$}");
        let mut guarded = false;
        for role in Role::ALL {
            let r = serde_json::to_value(schema.execute(request(q).data(principal(role))).await).unwrap();
            // Errors of the document itself (types, unknown fields) have no path: the generated
            // call must always reach the field.
            assert!(
                r["errors"].is_null() || r["errors"][0]["path"].is_array(),
                "{q}: the generated arguments do not type-check: {r}"
            );
            let o = outcome(&r);
            guarded |= o == "-";
            row.push_str(&format!(" {o:>10}"));
        }
        let anon = serde_json::to_value(schema.execute(request(q)).await).unwrap();
        let a = outcome(&anon);
        if guarded {
            assert_eq!(
                a, "401",
                "{name} is guarded, so anonymous calls must be UNAUTHENTICATED: {anon}"
            );
        }
        row.push_str(&format!(" {a:>10}"));
        table.push_str(row.trim_end());
        table.push('\n');
    }
    table
}

gantry_engine::db_test!(every_mutation_by_every_role, |db| {
    let table = matrix(db, "mutationType").await;
    expect_test::expect![[r#"
        mutation                        admin    planner   operator accountant      sales   customer integrator  anonymous
        addNote                            ok          -          -          -         ok          -          -        401
        addOrderLine                       ok          -          -          -         ok         ok         ok        401
        addReview                          ok          -          -          -          -         ok          -        401
        adjustSpool                        ok          -         ok          -          -          -          -        401
        assignTicket                       ok          -          -          -         ok          -          -        401
        cancelJob                          ok         ok          -          -          -          -          -        401
        cancelMaintenanceWindow            ok          -         ok          -          -          -          -        401
        cancelOrder                        ok          -          -          -         ok         ok         ok        401
        cancelPrint                        ok         ok         ok          -          -          -          -        401
        changePassword                     ok         ok         ok         ok         ok         ok         ok        401
        changeRole                         ok          -          -          -          -          -          -        401
        completeJob                        ok          -         ok          -          -          -          -        401
        completeMaintenance                ok          -         ok          -          -          -          -        401
        completeTask                       ok          -          -          -         ok          -          -        401
        consumeMaterial                    ok          -         ok          -          -          -          -        401
        convertLead                        ok          -          -          -         ok          -          -        401
        createApiToken                     ok         ok         ok         ok         ok         ok         ok        401
        createCategory                     ok          -          -          -         ok          -          -        401
        createCompany                      ok          -          -          -         ok          -          -        401
        createContact                      ok          -          -          -         ok          -          -        401
        createCustomer                     ok          -          -          -         ok          -          -        401
        createDeal                         ok          -          -          -         ok          -          -        401
        createLead                         ok          -          -          -         ok          -          -        401
        createMaintenancePlan              ok          -         ok          -          -          -          -        401
        createMaterial                     ok          -         ok          -          -          -          -        401
        createOrder                        ok          -          -          -         ok         ok         ok        401
        createOrderFromQuote               ok          -          -          -         ok         ok         ok        401
        createPaymentLink                  ok          -          -          -         ok          -         ok        401
        createPrinter                      ok          -         ok          -          -          -          -        401
        createPrinterToken                 ok         ok          -          -          -          -          -        401
        createProduct                      ok          -          -          -         ok          -          -        401
        createQuote                        ok          -          -          -         ok         ok         ok        401
        createQuotes                       ok          -          -          -         ok         ok         ok        401
        createShipment                     ok          -         ok          -         ok          -         ok        401
        createUser                         ok          -          -          -          -          -          -        401
        createWebhookEndpoint              ok          -          -          -          -          -          -        401
        deactivateProduct                  ok          -          -          -         ok          -          -        401
        deactivateUser                     ok          -          -          -          -          -          -        401
        deletePowerCircuit                 ok         ok          -          -          -          -          -        401
        deliverOrder                       ok          -         ok          -         ok          -         ok        401
        eraseContact                       ok          -          -          -         ok          -          -        401
        failJob                            ok          -         ok          -          -          -          -        401
        generateMaintenanceWindows         ok          -         ok          -          -          -          -        401
        issueInvoice                       ok          -          -         ok          -          -          -        401
        loadMaterial                       ok          -         ok          -          -          -          -        401
        logActivity                        ok          -          -          -         ok          -          -        401
        login                              ok         ok         ok         ok         ok         ok         ok         ok
        logout                            401        401        401        401        401        401        401        401
        markReady                          ok          -         ok          -         ok          -         ok        401
        moveDeal                           ok          -          -          -         ok          -          -        401
        openTicket                         ok          -          -          -         ok         ok          -        401
        pausePrint                         ok         ok         ok          -          -          -          -        401
        payOrder                           ok          -          -          -         ok          -         ok        401
        placeOrder                         ok          -          -          -         ok         ok         ok        401
        postJournalEntry                   ok          -          -         ok          -          -          -        401
        reactivateUser                     ok          -          -          -          -          -          -        401
        receiveSpool                       ok          -         ok          -          -          -          -        401
        recordExpense                      ok          -          -         ok          -          -          -        401
        recordPayment                      ok          -          -         ok         ok          -         ok        401
        refresh                            ok         ok         ok         ok         ok         ok         ok         ok
        refundOrder                        ok          -          -          -         ok          -         ok        401
        releasePrinterJob                  ok         ok         ok          -          -          -          -        401
        releaseReservation                 ok          -         ok          -          -          -          -        401
        removeOrderLine                    ok          -          -          -         ok         ok         ok        401
        replanNow                          ok         ok          -          -          -          -          -        401
        replayWebhookDelivery              ok          -          -          -          -          -          -        401
        replayWebhookEvents                ok          -          -          -          -          -          -        401
        replyToTicket                      ok          -          -          -         ok         ok          -        401
        reportJobProgress                  ok          -         ok          -          -          -          -        401
        requeueJob                         ok          -         ok          -          -          -          -        401
        reserveMaterial                    ok          -         ok          -          -          -          -        401
        resumePrint                        ok         ok         ok          -          -          -          -        401
        retirePrinter                      ok          -         ok          -          -          -          -        401
        reverseJournalEntry                ok          -          -         ok          -          -          -        401
        revokeApiToken                     ok         ok         ok         ok         ok         ok         ok        401
        revokePrinterToken                 ok         ok          -          -          -          -          -        401
        rotateWebhookSecret                ok          -          -          -          -          -          -        401
        scheduleJob                        ok         ok          -          -          -          -          -        401
        scheduleMaintenance                ok          -         ok          -          -          -          -        401
        scrapSpool                         ok          -         ok          -          -          -          -        401
        setFilamentProfile                 ok         ok          -          -          -          -          -        401
        setJobPriority                     ok         ok          -          -          -          -          -        401
        setLeadStatus                      ok          -          -          -         ok          -          -        401
        setOperatorShifts                  ok         ok          -          -          -          -          -        401
        setPlanningSettings                ok         ok          -          -          -          -          -        401
        setPowerCircuit                    ok         ok          -          -          -          -          -        401
        setPrinterModelPower               ok         ok          -          -          -          -          -        401
        setPrinterProfile                  ok         ok          -          -          -          -          -        401
        setPrinterStatus                   ok          -         ok          -          -          -          -        401
        setProductModel                    ok          -          -          -         ok          -          -        401
        setShipmentStatus                  ok          -         ok          -         ok          -         ok        401
        setTaxRate                         ok          -          -         ok          -          -          -        401
        setTicketStatus                    ok          -          -          -         ok          -          -        401
        setWebhookEndpointEnabled          ok          -          -          -          -          -          -        401
        shipOrder                          ok          -         ok          -         ok          -         ok        401
        signUp                             ok         ok         ok         ok         ok         ok         ok         ok
        startJob                           ok          -         ok          -          -          -          -        401
        startProduction                    ok         ok          -          -          -          -          -        401
        unpinJob                           ok         ok          -          -          -          -          -        401
        updateCompany                      ok          -          -          -         ok          -          -        401
        updateContact                      ok          -          -          -         ok          -          -        401
        updatePrinter                      ok          -         ok          -          -          -          -        401
        updateProduct                      ok          -          -          -         ok          -          -        401
        updateProfile                      ok         ok         ok         ok         ok         ok         ok        401
        updateShipment                     ok          -         ok          -         ok          -         ok        401
        uploadModel                        ok          -          -          -         ok         ok         ok        401
        winDeal                            ok          -          -          -         ok          -          -        401
    "#]].assert_eq(&table);
});

// Every query × every role: who may read what (e.g. planners read job costs and margins but
// not the ledger; customers their own invoices and tickets, not the CRM). Regenerate with
// `UPDATE_EXPECT=1 cargo test -p gantry-api --test role_matrix -- sqlite`.
gantry_engine::db_test!(every_query_by_every_role, |db| {
    let table = matrix(db, "queryType").await;
    expect_test::expect![[r#"
        query                   admin    planner   operator accountant      sales   customer integrator  anonymous
        activities                 ok          -          -         ok         ok          -          -        401
        apiTokens                  ok         ok         ok         ok         ok         ok         ok        401
        cashFlow                   ok          -          -         ok          -          -          -        401
        categories                 ok         ok         ok         ok         ok         ok         ok         ok
        categoryTree               ok         ok         ok         ok         ok         ok         ok         ok
        companies                  ok          -          -         ok         ok          -          -        401
        company                    ok          -          -         ok         ok          -          -        401
        contact                    ok          -          -         ok         ok          -          -        401
        contacts                   ok          -          -         ok         ok          -          -        401
        customerBalances           ok          -          -         ok          -          -          -        401
        customerPage               ok          -          -         ok         ok          -          -        401
        customers                  ok          -          -         ok         ok          -          -        401
        deal                       ok          -          -         ok         ok          -          -        401
        deals                      ok          -          -         ok         ok          -          -        401
        expenseReceipt             ok          -          -         ok          -          -          -        401
        expenses                   ok          -          -         ok          -          -          -        401
        export                     ok          -          -         ok          -          -          -        401
        exportContact              ok          -          -          -         ok          -          -        401
        filamentProfiles           ok         ok         ok          -          -          -         ok        401
        financeReportCsv           ok          -          -         ok          -          -          -        401
        inventoryValuation         ok          -          -         ok          -          -          -        401
        invoice                    ok          -          -         ok          -         ok          -        401
        invoiceOfOrder             ok          -          -         ok          -         ok          -        401
        invoices                   ok          -          -         ok          -         ok          -        401
        job                        ok         ok         ok          -          -          -         ok        401
        jobCosts                   ok         ok          -         ok          -          -          -        401
        jobs                       ok         ok         ok          -          -          -         ok        401
        journalEntries             ok          -          -         ok          -          -          -        401
        journalEntry               ok          -          -         ok          -          -          -        401
        leads                      ok          -          -         ok         ok          -          -        401
        ledgerAccounts             ok          -          -         ok          -          -          -        401
        lowStock                   ok         ok         ok         ok         ok          -         ok        401
        maintenanceLog             ok         ok         ok          -          -          -         ok        401
        maintenancePlans           ok         ok         ok          -          -          -         ok        401
        maintenanceWindows         ok         ok         ok          -          -          -         ok        401
        margins                    ok         ok          -         ok          -          -          -        401
        material                   ok         ok         ok         ok         ok          -         ok        401
        materials                  ok         ok         ok         ok         ok          -         ok        401
        me                         ok         ok         ok         ok         ok         ok         ok        401
        model                      ok         ok          -         ok         ok         ok         ok        401
        models                     ok         ok          -         ok         ok         ok         ok        401
        myProfile                  ok         ok         ok         ok         ok         ok         ok        401
        notes                      ok          -          -         ok         ok          -          -        401
        operatorShifts             ok         ok         ok          -          -          -         ok        401
        order                      ok         ok          -         ok         ok         ok         ok        401
        orderMargin                ok         ok          -         ok          -          -          -        401
        orderMargins               ok         ok          -         ok          -          -          -        401
        orderPayments              ok          -          -         ok         ok          -         ok        401
        orderStatusHistory         ok         ok          -         ok         ok         ok         ok        401
        orders                     ok         ok          -         ok         ok         ok         ok        401
        payments                   ok          -          -         ok          -          -          -        401
        plan                       ok         ok         ok          -          -          -         ok        401
        planWhatIf                 ok         ok         ok          -          -          -         ok        401
        planningSettings           ok         ok         ok          -          -          -         ok        401
        powerCircuits              ok         ok         ok          -          -          -         ok        401
        printer                    ok         ok         ok          -          -          -         ok        401
        printerModelPower          ok         ok         ok          -          -          -         ok        401
        printerProfiles            ok         ok         ok          -          -          -         ok        401
        printerTokens              ok         ok          -          -          -          -          -        401
        printers                   ok         ok         ok          -          -          -         ok        401
        product                    ok         ok         ok         ok         ok         ok         ok         ok
        products                   ok         ok         ok         ok         ok         ok         ok         ok
        profitAndLoss              ok          -          -         ok          -          -          -        401
        queue                      ok         ok         ok          -          -          -         ok        401
        quote                      ok         ok          -         ok         ok         ok         ok        401
        quoteMaterials             ok          -          -          -         ok         ok         ok        401
        receivablesAgeing          ok          -          -         ok          -          -          -        401
        reservations               ok         ok         ok         ok         ok          -         ok        401
        reviews                    ok         ok         ok         ok         ok         ok         ok         ok
        shipment                   ok         ok          -         ok         ok         ok         ok        401
        shipments                  ok         ok          -         ok         ok         ok         ok        401
        shopOrders                 ok         ok          -         ok         ok          -         ok        401
        spools                     ok         ok         ok         ok         ok          -         ok        401
        stats                      ok         ok         ok         ok         ok         ok         ok         ok
        stockLevels                ok         ok         ok         ok         ok          -         ok        401
        stockMovements             ok         ok         ok         ok         ok          -         ok        401
        taxRates                   ok          -          -         ok          -          -          -        401
        throughput                 ok         ok         ok          -          -          -         ok        401
        ticket                     ok          -          -         ok         ok         ok          -        401
        tickets                    ok          -          -         ok         ok         ok          -        401
        trialBalance               ok          -          -         ok          -          -          -        401
        user                       ok          -          -          -          -          -          -        401
        users                      ok          -          -          -          -          -          -        401
        version                    ok         ok         ok         ok         ok         ok         ok         ok
        webhookDeliveries          ok          -          -          -          -          -         ok        401
        webhookEndpoints           ok          -          -          -          -          -         ok        401
        webhookEventTypes          ok          -          -          -          -          -         ok        401
    "#]]
    .assert_eq(&table);
});

#[test]
fn literal_generation_covers_nested_inputs() {
    let types = Types {
        by_name: [(
            "In".to_string(),
            json!({"inputFields": [
                {"name": "a", "defaultValue": null, "type": {"kind": "NON_NULL", "ofType": {"kind": "SCALAR", "name": "Int"}}},
                {"name": "b", "defaultValue": null, "type": {"kind": "SCALAR", "name": "String"}},
                {"name": "c", "defaultValue": "1", "type": {"kind": "NON_NULL", "ofType": {"kind": "SCALAR", "name": "Int"}}}
            ]}),
        )]
        .into_iter()
        .collect(),
    };
    let t = json!({"kind": "NON_NULL", "ofType": {"kind": "LIST", "ofType": {"kind": "INPUT_OBJECT", "name": "In"}}});
    assert_eq!(types.literal(&t, 0), "[{a: 1}]");
}
