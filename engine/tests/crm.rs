//! CRM persistence (`store::crm`) on SQLite and PostgreSQL: companies and contacts with their
//! addresses and tags, leads converted into contacts and deals, deals won with an order,
//! activities, tickets with service times, the customer page, and the export and erasure of
//! a contact. Rejected commands write nothing (not even an event).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use chrono::Duration;
use common::{customer, t0, user};
use gantry_engine::db_test;
use gantry_engine::domain::crm::{
    ActivityInput, ActivityKind, Address, AddressKind, CompanyInput, ContactInput, CrmEvent, DealInput,
    DealStage, LeadInput, LeadSource, LeadStatus, TicketInput, TicketPriority, TicketStatus,
};
use gantry_engine::domain::events::Event;
use gantry_engine::domain::types::{Currency, CustomerId, Money, OrderId};
use gantry_engine::error::Coded;
use gantry_engine::store::crm::{Keyset, activities, parties, privacy, sales, tickets};
use gantry_engine::store::{Db, col, count_rows, events};

async fn crm_events(db: &Db) -> Vec<String> {
    let mut c = db.pool().acquire().await.unwrap();
    events::after(&mut c, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.event, Ok(Event::Crm(_))))
        .map(|e| e.type_name)
        .collect()
}

/// An order row of `customer` in `status` (total in EUR).
async fn order(db: &Db, customer: CustomerId, status: &str, total: i64) -> OrderId {
    let row = sqlx::query(
        "INSERT INTO orders (customer_id, status, currency, total_minor, created_at, updated_at) \
         VALUES ($1, $2, 'EUR', $3, 0, 0) RETURNING id",
    )
    .bind(customer.0)
    .bind(status)
    .bind(total)
    .fetch_one(db.pool())
    .await
    .unwrap();
    OrderId(col(&row, "orders", "id").unwrap())
}

async fn set_order_status(db: &Db, id: OrderId, status: &str) {
    sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id.0)
        .execute(db.pool())
        .await
        .unwrap();
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn address() -> Address {
    Address {
        kind: AddressKind::Shipping,
        line1: "1 Main St".into(),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: Some("10115".into()),
        country: "de".into(),
    }
}

db_test!(companies_and_contacts_keep_addresses_tags_and_notes, |db| {
    let acme_c = customer(db, "Acme").await;
    let acme = ok!(db, |tx| parties::create_company(
        &mut tx,
        t0(),
        &CompanyInput {
            name: " Acme GmbH ".into(),
            customer_id: Some(acme_c),
            addresses: vec![address()],
            tags: vec!["VIP".into(), "b2b".into()],
            ..CompanyInput::default()
        }
    ));
    assert_eq!(
        (acme.name.as_str(), acme.tags.clone()),
        ("Acme GmbH", vec!["b2b".to_string(), "vip".to_string()])
    );
    assert_eq!(acme.addresses[0].country, "DE");
    let ada = ok!(db, |tx| parties::create_contact(
        &mut tx,
        t0(),
        &ContactInput {
            name: "Ada".into(),
            email: Some("ADA@acme.io".into()),
            company_id: Some(acme.id),
            customer_id: Some(acme_c),
            tags: vec!["vip".into()],
            ..ContactInput::default()
        }
    ));
    assert_eq!(ada.email.as_deref(), Some("ada@acme.io"));
    // An update replaces the tags and addresses.
    let later = t0() + Duration::hours(1);
    let ada2 = ok!(db, |tx| parties::update_contact(
        &mut tx,
        later,
        ada.id,
        &ContactInput {
            name: "Ada L.".into(),
            addresses: vec![address(), address()],
            tags: vec!["key account".into()],
            company_id: Some(acme.id),
            customer_id: Some(acme_c),
            ..ContactInput::default()
        }
    ));
    assert_eq!(
        (ada2.addresses.len(), ada2.tags.clone(), ada2.email.clone()),
        (2, vec!["key account".into()], None)
    );
    assert_eq!((ada2.created_at, ada2.updated_at), (t0(), later));
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(count_rows(db, "crm_tags").await.unwrap(), 3);
    let vip = parties::list_companies(&mut c, Some(" VIP "), None, Keyset::ALL)
        .await
        .unwrap();
    assert_eq!(vip.iter().map(|c| c.id).collect::<Vec<_>>(), [acme.id]);
    let filter = parties::ContactFilter {
        tag: Some("vip".into()),
        ..Default::default()
    };
    assert!(
        parties::list_contacts(&mut c, &filter, Keyset::ALL)
            .await
            .unwrap()
            .is_empty()
    );
    drop(c);
    let note = ok!(db, |tx| parties::add_note(
        &mut tx,
        t0(),
        None,
        Some(ada.id),
        " Prefers e-mail ",
        None
    ));
    assert_eq!(note.body, "Prefers e-mail");

    // Rejections write nothing.
    let before = (
        count_rows(db, "crm_contacts").await.unwrap(),
        count_rows(db, "crm_addresses").await.unwrap(),
    );
    let bad = ContactInput {
        name: "Bob".into(),
        addresses: vec![Address {
            country: "Germany".into(),
            ..address()
        }],
        ..ContactInput::default()
    };
    let e = rejected!(db, |tx| parties::create_contact(&mut tx, t0(), &bad));
    assert_eq!(e.code(), "CRM_INVALID_COUNTRY");
    let e = rejected!(db, |tx| parties::create_contact(
        &mut tx,
        t0(),
        &ContactInput {
            name: "Bob".into(),
            customer_id: Some(CustomerId(999)),
            tags: vec!["x".into()],
            ..ContactInput::default()
        }
    ));
    assert_eq!(e.code(), "NOT_FOUND");
    let e = rejected!(db, |tx| parties::add_note(
        &mut tx,
        t0(),
        Some(acme.id),
        Some(ada.id),
        "x",
        None
    ));
    assert_eq!(e.code(), "CRM_INVALID_FIELD");
    assert_eq!(
        before,
        (
            count_rows(db, "crm_contacts").await.unwrap(),
            count_rows(db, "crm_addresses").await.unwrap()
        )
    );
    assert_eq!(count_rows(db, "crm_notes").await.unwrap(), 1);
});

db_test!(lead_to_contact_and_deal_won_with_an_order, |db| {
    let sales_rep = user(db, "rep@x.io", "sales").await;
    let cust = customer(db, "Bob's Bikes").await;
    let lead = ok!(db, |tx| sales::create_lead(
        &mut tx,
        t0(),
        &LeadInput {
            name: "Bob".into(),
            company_name: Some("Bob's Bikes".into()),
            email: Some("bob@bikes.io".into()),
            phone: None,
            source: LeadSource::Website,
            owner_id: Some(sales_rep),
        }
    ));
    assert_eq!(lead.status, LeadStatus::New);
    let lead = ok!(db, |tx| sales::set_lead_status(
        &mut tx,
        t0(),
        lead.id,
        LeadStatus::Qualified,
        None
    ));
    let e = rejected!(db, |tx| sales::set_lead_status(
        &mut tx,
        t0(),
        lead.id,
        LeadStatus::New,
        None
    ));
    assert_eq!(e.code(), "CRM_LEAD_ILLEGAL_TRANSITION");
    let deal_in = DealInput {
        title: "200 bottle cages".into(),
        contact_id: None,
        company_id: None,
        customer_id: None,
        lead_id: None,
        owner_id: None,
        value: eur(50_000),
        probability: None,
        expected_close_at: Some(t0() + Duration::days(30)),
        stage: None,
    };
    let conv = ok!(db, |tx| sales::convert_lead(
        &mut tx,
        t0(),
        lead.id,
        Some(cust),
        Some(&deal_in)
    ));
    assert_eq!(
        (conv.lead.status, conv.lead.contact_id),
        (LeadStatus::Converted, Some(conv.contact.id))
    );
    assert_eq!(
        (conv.contact.name.as_str(), conv.contact.customer_id),
        ("Bob", Some(cust))
    );
    assert!(conv.contact.company_id.is_some());
    let deal = conv.deal.unwrap();
    assert_eq!(
        (
            deal.stage,
            deal.probability,
            deal.owner_id,
            deal.lead_id,
            deal.customer_id
        ),
        (
            DealStage::Prospecting,
            10,
            Some(sales_rep),
            Some(lead.id),
            Some(cust)
        )
    );
    // Converting twice is refused, and writes no second contact.
    let e = rejected!(db, |tx| sales::convert_lead(&mut tx, t0(), lead.id, None, None));
    assert_eq!(e.code(), "CRM_LEAD_ILLEGAL_TRANSITION");
    assert_eq!(count_rows(db, "crm_contacts").await.unwrap(), 1);

    let deal = ok!(db, |tx| sales::move_deal(
        &mut tx,
        t0(),
        deal.id,
        DealStage::Negotiation,
        None,
        None
    ));
    assert_eq!(deal.probability, 75);
    let e = rejected!(db, |tx| sales::move_deal(
        &mut tx,
        t0(),
        deal.id,
        DealStage::Won,
        None,
        None
    ));
    assert_eq!(e.code(), "CRM_DEAL_WIN_NEEDS_LINK");
    let other = customer(db, "Other").await;
    let foreign = order(db, other, "placed", 1000).await;
    let e = rejected!(db, |tx| sales::win_deal(
        &mut tx,
        t0(),
        deal.id,
        None,
        Some(foreign)
    ));
    assert_eq!(e.code(), "CRM_CUSTOMER_MISMATCH");
    let mine = order(db, cust, "placed", 48_000).await;
    let won = ok!(db, |tx| sales::win_deal(&mut tx, t0(), deal.id, None, Some(mine)));
    assert_eq!(
        (won.stage, won.order_id, won.probability),
        (DealStage::Won, Some(mine), 100)
    );
    let e = rejected!(db, |tx| sales::move_deal(
        &mut tx,
        t0(),
        deal.id,
        DealStage::Lost,
        None,
        Some("late")
    ));
    assert_eq!(e.code(), "CRM_DEAL_ILLEGAL_TRANSITION");
    assert_eq!(
        crm_events(db).await,
        [
            "lead.created",
            "lead.status_changed",
            "lead.status_changed",
            "deal.created",
            "deal.stage_changed",
            "deal.won"
        ]
    );
    let mut c = db.pool().acquire().await.unwrap();
    let all = events::after(&mut c, 0, 1000).await.unwrap();
    let won_event = all.iter().rev().find_map(|e| match &e.event {
        Ok(Event::Crm(CrmEvent::DealWon(w))) => Some(w.clone()),
        _ => None,
    });
    let w = won_event.unwrap();
    assert_eq!(
        (w.order_id, w.customer_id, w.from),
        (Some(mine.0), Some(cust.0), DealStage::Negotiation)
    );
});

db_test!(tickets_track_replies_and_service_times, |db| {
    let agent = user(db, "agent@x.io", "sales").await;
    let cust = customer(db, "Cara").await;
    let other = customer(db, "Dan").await;
    let o = order(db, cust, "paid", 2000).await;
    let foreign = order(db, other, "paid", 2000).await;
    let input = TicketInput {
        customer_id: cust,
        contact_id: None,
        order_id: Some(o),
        subject: "Part arrived broken".into(),
        body: "The bracket snapped.".into(),
        priority: TicketPriority::High,
    };
    let e = rejected!(db, |tx| tickets::open_ticket(
        &mut tx,
        t0(),
        &TicketInput {
            order_id: Some(foreign),
            ..input.clone()
        },
        None,
        false
    ));
    assert_eq!(e.code(), "CRM_TICKET_ORDER_MISMATCH");
    assert_eq!(count_rows(db, "crm_tickets").await.unwrap(), 0);
    let (t, first) = ok!(db, |tx| tickets::open_ticket(&mut tx, t0(), &input, None, false));
    assert_eq!((t.status, first.from_staff), (TicketStatus::Open, false));
    let t1 = t0() + Duration::minutes(45);
    let (t, _) = ok!(db, |tx| tickets::reply(
        &mut tx,
        t1,
        t.id,
        "We'll reprint it.",
        Some(agent),
        true
    ));
    assert_eq!(
        (t.status, t.first_response_secs()),
        (TicketStatus::Pending, Some(45 * 60))
    );
    let t2 = t0() + Duration::hours(3);
    let (t, _) = ok!(db, |tx| tickets::reply(&mut tx, t2, t.id, "Thanks!", None, false));
    assert_eq!(t.status, TicketStatus::Open);
    let t = ok!(db, |tx| tickets::set_status(
        &mut tx,
        t2,
        t.id,
        TicketStatus::Closed
    ));
    assert_eq!(t.resolution_secs(), Some(3 * 3600));
    let e = rejected!(db, |tx| tickets::reply(
        &mut tx, t2, t.id, "one more", None, false
    ));
    assert_eq!(e.code(), "CRM_TICKET_CLOSED");
    let mut c = db.pool().acquire().await.unwrap();
    let stored = tickets::get_ticket(&mut c, t.id).await.unwrap();
    assert_eq!(stored, t);
    assert_eq!(tickets::replies(&mut c, t.id).await.unwrap().len(), 3);
    assert!(
        tickets::list_tickets(&mut c, Some(cust), None, true, Keyset::ALL)
            .await
            .unwrap()
            .is_empty()
    );
    drop(c);
    assert_eq!(
        crm_events(db).await,
        [
            "ticket.opened",
            "ticket.status_changed",
            "ticket.replied",
            "ticket.status_changed",
            "ticket.replied",
            "ticket.status_changed"
        ]
    );
});

db_test!(customer_page_export_and_erasure, |db| {
    let owner = user(db, "rep@x.io", "sales").await;
    let cust = customer(db, "Eve").await;
    let eve = ok!(db, |tx| parties::create_contact(
        &mut tx,
        t0(),
        &ContactInput {
            name: "Eve".into(),
            email: Some("eve@x.io".into()),
            phone: Some("+49 30 1234567".into()),
            customer_id: Some(cust),
            addresses: vec![address()],
            tags: vec!["vip".into()],
            ..ContactInput::default()
        }
    ));
    ok!(db, |tx| parties::add_note(
        &mut tx,
        t0(),
        None,
        Some(eve.id),
        "Birthday in May",
        None
    ));
    let delivered = order(db, cust, "delivered", 10_000).await;
    let refunded = order(db, cust, "refunded", 7_000).await;
    let placed = order(db, cust, "placed", 3_000).await;
    let paid = order(db, cust, "paid", 2_500).await;
    let _ = (delivered, refunded);
    let call = ok!(db, |tx| activities::create_activity(
        &mut tx,
        t0() + Duration::hours(2),
        &ActivityInput {
            kind: ActivityKind::Call,
            subject: "Called Eve about her order".into(),
            body: Some("She was happy".into()),
            contact_id: Some(eve.id),
            company_id: None,
            deal_id: None,
            lead_id: None,
            owner_id: Some(owner),
            due_at: None,
            occurred_at: None,
        },
        Some(owner)
    ));
    let (ticket, _) = ok!(db, |tx| tickets::open_ticket(
        &mut tx,
        t0(),
        &TicketInput {
            customer_id: cust,
            contact_id: Some(eve.id),
            order_id: Some(paid),
            subject: "Eve's question".into(),
            body: "Call me on +49 30 1234567".into(),
            priority: TicketPriority::Normal,
        },
        None,
        false
    ));

    let mut c = db.pool().acquire().await.unwrap();
    let page = privacy::customer_page(&mut c, cust).await.unwrap();
    assert_eq!(page.orders.len(), 4);
    // Delivered and paid count; refunded and placed (unpaid) do not.
    assert_eq!(page.lifetime_revenue, [eur(12_500)]);
    assert_eq!(page.lifetime_margin, None);
    assert_eq!(
        page.open_tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [ticket.id]
    );
    assert_eq!(page.last_activity.as_ref().map(|a| a.id), Some(call.id));
    assert_eq!(page.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [eve.id]);

    let export = privacy::export_contact(&mut c, eve.id).await.unwrap();
    assert_eq!(export.contact.email.as_deref(), Some("eve@x.io"));
    assert_eq!(
        (export.notes.len(), export.activities.len(), export.orders.len()),
        (1, 1, 4)
    );
    assert_eq!(export.tickets[0].replies[0].body, "Call me on +49 30 1234567");
    assert_eq!(export.customer.as_ref().map(|c| c.name.as_str()), Some("Eve"));
    drop(c);

    // Unfinished orders (placed and paid) block erasure; nothing is written.
    let e = rejected!(db, |tx| privacy::erase_contact(&mut tx, t0(), eve.id));
    assert_eq!(e.code(), "CRM_ERASE_OPEN_ORDERS");
    assert!(e.to_string().contains("2 open"), "{e}");
    let mut c = db.pool().acquire().await.unwrap();
    assert_eq!(parties::get_contact(&mut c, eve.id).await.unwrap(), eve);
    drop(c);
    set_order_status(db, placed, "cancelled").await;
    set_order_status(db, paid, "delivered").await;

    let erased = ok!(db, |tx| privacy::erase_contact(
        &mut tx,
        t0() + Duration::days(1),
        eve.id
    ));
    assert_eq!(erased.customer, Some(cust));
    let ev = erased.contact;
    assert_eq!(
        (
            ev.name.as_str(),
            ev.email.clone(),
            ev.phone.clone(),
            ev.addresses.len(),
            ev.tags.len()
        ),
        ("Erased contact 1", None, None, 0, 0)
    );
    assert!(ev.erased_at.is_some());
    let mut c = db.pool().acquire().await.unwrap();
    let export = privacy::export_contact(&mut c, eve.id).await.unwrap();
    let json = serde_json::to_string(&export).unwrap();
    for secret in [
        "eve@x.io",
        "1234567",
        "Birthday",
        "Eve's question",
        "She was happy",
        "\"Eve\"",
    ] {
        assert!(!json.contains(secret), "{secret} survived erasure: {json}");
    }
    // Order history is intact.
    assert_eq!(export.orders.len(), 4);
    assert_eq!(
        privacy::lifetime_revenue(&mut c, cust).await.unwrap(),
        [eur(12_500)]
    );
    drop(c);
    let e = rejected!(db, |tx| privacy::erase_contact(&mut tx, t0(), eve.id));
    assert_eq!(e.code(), "CRM_CONTACT_ERASED");
    let e = rejected!(db, |tx| parties::update_contact(
        &mut tx,
        t0(),
        eve.id,
        &ContactInput {
            name: "Eve again".into(),
            ..ContactInput::default()
        }
    ));
    assert_eq!(e.code(), "CRM_CONTACT_ERASED");
    let events = crm_events(db).await;
    assert_eq!(events.last().map(String::as_str), Some("contact.erased"));
    assert_eq!(events.iter().filter(|e| *e == "contact.erased").count(), 1);
});
