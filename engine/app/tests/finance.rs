//! Finance use cases end to end on SQLite and PostgreSQL: the farm's events posted by the
//! finance consumer exactly once, invoices with gap-free numbers under concurrent issuing, the
//! invoice PDF, job costs and order margins, reversals and expenses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Datelike, Duration, Utc};
use gantry_app::finance::{self, FinanceSettings, consumer};
use gantry_app::{Caller, Db};
use gantry_engine::db_test;
use gantry_engine::domain::catalog::ProductionSpec;
use gantry_engine::domain::equipment::PrinterStatus;
use gantry_engine::domain::finance::{Account, EntrySource, pdf, trial_balance_is_zero};
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::{Currency, CustomerId, JobId, MaterialId, Money, OrderId, PrinterId};
use gantry_engine::error::Coded;
use gantry_engine::store::finance::EntryFilter;
use gantry_engine::store::live::{self, testing};
use gantry_engine::store::{count_rows, orders};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

async fn drain(db: &Db, settings: &FinanceSettings) -> usize {
    let mut cursor = consumer::start(db).await.unwrap();
    consumer::drain(db, settings, &mut cursor).await.unwrap()
}

async fn assert_books_balance(db: &Db) {
    let tb = finance::trial_balance(db).await.unwrap();
    assert!(trial_balance_is_zero(&tb), "trial balance: {tb:?}");
    for (cur, account, stock) in finance::inventory_check(db).await.unwrap() {
        assert_eq!(account, stock, "inventory account = stock at lot cost ({cur})");
    }
}

/// Prints a job on `p` from `start` for `minutes`: done, or failed at `fail_pct`. Returns the
/// reprint of a failed job.
async fn print(
    db: &Db,
    p: PrinterId,
    job: JobId,
    start: DateTime<Utc>,
    minutes: i64,
    fail_pct: Option<i64>,
) -> Option<JobId> {
    let mut tx = db.begin().await.unwrap();
    live::start_on(&mut tx, start, p, job, true).await.unwrap();
    let end = start + Duration::minutes(minutes);
    let reprint = match fail_pct {
        Some(pct) => live::fail_on(&mut tx, end, p, job, "spaghetti", Some(pct), 2)
            .await
            .unwrap()
            .failure
            .reprint
            .map(|j| j.id),
        None => {
            live::complete_on(&mut tx, end, p, job).await.unwrap();
            None
        }
    };
    live::move_printer(&mut tx, end, p, PrinterStatus::Idle)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    reprint
}

// The issue's "done when": a paid order printed with one failed attempt shows its invoice, its
// PDF, its actual cost and margin, and the trial balance is zero.
db_test!(
    a_paid_order_printed_with_one_failure_has_invoice_pdf_cost_and_margin,
    |db| {
        let settings = FinanceSettings::default();
        // 1 printer at 1.50 EUR/h, 1000 g of PLA at 20 EUR/kg, a paid order of one 5.00 EUR copy
        // (10 g, 30 min).
        let fx = testing::farm(db, t0(), 1, 1000, 1).await.unwrap();
        let p = fx.printers[0];
        let reprint = print(db, p, fx.jobs[0].id, t0(), 30, Some(50))
            .await
            .expect("a reprint");
        assert!(
            print(db, p, reprint, t0() + Duration::hours(1), 30, None)
                .await
                .is_none()
        );
        drain(db, &settings).await;

        let caller = Caller::SYSTEM;
        let inv = finance::invoice_of_order(db, &caller, fx.order.0)
            .await
            .unwrap()
            .expect("issued on payment");
        let year = gantry_app::now().year();
        assert_eq!(inv.number, format!("INV-{year}-000001"));
        // 5.00 gross at the default 19 %: 4.20 net + 0.80 tax.
        assert_eq!((inv.net_minor, inv.tax_minor, inv.total_minor), (420, 80, 500));
        let (_, bytes) = finance::invoice_pdf(db, &caller, inv.id, &settings)
            .await
            .unwrap();
        assert!(bytes.starts_with(b"%PDF-1.4"));
        let text = pdf::extract_text(&bytes);
        assert!(
            text.contains(&inv.number) && text.contains("5.00 EUR") && text.contains("Alice"),
            "{text}"
        );

        // Failed attempt: 5 g (0.10) + 30 min (0.75); finished one: 10 g (0.20) + 30 min (0.75).
        let costs = finance::job_costs(db, fx.order.0).await.unwrap();
        let got: Vec<(String, i64, i64, i64)> = costs
            .iter()
            .map(|j| (j.state.clone(), j.material_minor, j.machine_minor, j.minutes))
            .collect();
        assert_eq!(
            got,
            vec![("failed".into(), 10, 75, 30), ("done".into(), 20, 75, 30)]
        );
        let m = finance::order_margin(db, fx.order.0).await.unwrap().unwrap();
        assert_eq!((m.price_minor, m.revenue_minor, m.cost()), (500, 420, 180));
        assert_eq!(
            (m.margin(), m.failed_minor, m.attempts, m.failed_attempts),
            (240, 85, 2, 1)
        );
        assert_books_balance(db).await;
        let tb = finance::trial_balance(db).await.unwrap();
        let net = |a: Account| tb.iter().filter(|b| b.account == a).map(|b| b.net()).sum::<i64>();
        // Paid and invoiced: nothing receivable; cash in; the spool bought on account.
        assert_eq!(
            (
                net(Account::Cash),
                net(Account::Receivables),
                net(Account::Prepayments)
            ),
            (500, 0, 0)
        );
        assert_eq!(
            (net(Account::Inventory), net(Account::Payables)),
            (2000 - 30, -2000)
        );
        assert_eq!(net(Account::Scrap), 10);

        // Replaying the whole outbox posts nothing twice.
        let entries = count_rows(db, "journal_entries").await.unwrap();
        let mut from_scratch = gantry_app::events::Cursor::from(0);
        consumer::drain(db, &settings, &mut from_scratch).await.unwrap();
        assert_eq!(count_rows(db, "journal_entries").await.unwrap(), entries);
        assert_eq!(count_rows(db, "invoices").await.unwrap(), 1);
    }
);

// Set-up time per plate attempt, costed at the printer's hourly cost apart from printing time:
// in each job's cost, the order's margin (failed attempts included), the P&L's machine time and
// the margins by dimension.
db_test!(set_up_time_is_costed_for_every_attempt, |db| {
    let settings = FinanceSettings {
        setup_minutes: 6,
        ..FinanceSettings::default()
    };
    let fx = testing::farm(db, t0(), 1, 1000, 1).await.unwrap();
    let p = fx.printers[0];
    let reprint = print(db, p, fx.jobs[0].id, t0(), 30, Some(50))
        .await
        .expect("a reprint");
    print(db, p, reprint, t0() + Duration::hours(1), 30, None).await;
    drain(db, &settings).await;
    // 6 min at 1.50 EUR/h = 0.15 per attempt, besides 30 min of printing (0.75).
    let costs = finance::job_costs(db, fx.order.0).await.unwrap();
    let got: Vec<(String, i64, i64, i64, i64)> = costs
        .iter()
        .map(|j| {
            (
                j.state.clone(),
                j.material_minor,
                j.machine_minor,
                j.setup_minor,
                j.total(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("failed".into(), 10, 75, 15, 100),
            ("done".into(), 20, 75, 15, 110)
        ]
    );
    let m = finance::order_margin(db, fx.order.0).await.unwrap().unwrap();
    assert_eq!(
        (m.setup_minor, m.cost(), m.margin(), m.failed_minor),
        (30, 210, 420 - 210, 100)
    );
    let csv = finance::report_csv(db, t0(), &finance::Report::JobCosts { order: fx.order.0 })
        .await
        .unwrap();
    assert!(
        csv.starts_with("job_id,order_id,attempt,state,printer_id,grams,minutes,material_minor,machine_minor,setup_minor,total_minor,currency\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",10,75,15,100,EUR\r\n"), "{csv}");
    let entries = finance::entries(
        db,
        &EntryFilter {
            source: Some(EntrySource::Job),
            limit: 10,
            ..EntryFilter::default()
        },
    )
    .await
    .unwrap();
    assert!(
        entries.iter().all(|e| e.memo.contains("+ 6 min set-up")),
        "{entries:?}"
    );
    // Every dimension and the P&L count set-up with machine time.
    let (a, b) = (
        gantry_engine::domain::finance::period_of(t0()),
        gantry_engine::domain::finance::period_of(gantry_app::now()),
    );
    let (from, to) = if a <= b { (a, b) } else { (b, a) };
    for by in gantry_engine::domain::finance::MarginBy::ALL {
        let rows = finance::margins_by(db, by, &from, &to).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.margin()).sum::<i64>(), 420 - 210, "{by:?}");
        assert_eq!(
            rows.iter().map(|r| r.machine_minor).sum::<i64>(),
            150 + 30,
            "{by:?}"
        );
    }
    let pnl = finance::pnl(db, &from, &to).await.unwrap();
    assert_eq!(pnl.iter().map(|m| m.machine).sum::<i64>(), 150 + 30);
    let tb = finance::trial_balance(db).await.unwrap();
    let net = |a: Account| tb.iter().filter(|b| b.account == a).map(|b| b.net()).sum::<i64>();
    assert_eq!(
        (
            net(Account::Setup),
            net(Account::MachineCost),
            net(Account::AccruedMachineCosts)
        ),
        (30, 150, -180)
    );
    assert_books_balance(db).await;
});

async fn placed_order(db: &Db, customer: CustomerId, material: MaterialId, unit_minor: i64) -> OrderId {
    let mut tx = db.begin().await.unwrap();
    let o = orders::create_order(
        &mut tx,
        t0(),
        &NewOrder {
            customer_id: customer,
            currency: Currency::EUR,
            lines: vec![NewOrderLine::model(
                "uploads/x.stl",
                material,
                2,
                unit_minor,
                ProductionSpec {
                    grams_per_unit: 5,
                    print_minutes_per_unit: 10,
                    copies_per_plate: 1,
                },
            )],
            priority: 0,
            due_at: None,
            idempotency_key: None,
        },
        None,
    )
    .await
    .unwrap()
    .order
    .id;
    orders::place(&mut tx, t0(), o, None).await.unwrap();
    tx.commit().await.unwrap();
    o
}

db_test!(
    invoices_on_demand_clear_prepayments_and_refunds_credit_them,
    |db| {
        let settings = FinanceSettings {
            issue_on_payment: false,
            ..FinanceSettings::default()
        };
        let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
        let customer = {
            let mut c = db.pool().acquire().await.unwrap();
            orders::get_order(&mut c, fx.order).await.unwrap().customer_id
        };
        drain(db, &settings).await;
        // Paid but not invoiced: a prepayment.
        let tb = finance::trial_balance(db).await.unwrap();
        assert!(
            tb.iter()
                .any(|b| b.account == Account::Prepayments && b.net() == -500)
        );
        let inv = finance::issue_invoice(db, t0(), fx.order.0, &settings)
            .await
            .unwrap();
        assert_eq!(inv.total_minor, 500);
        let again = finance::issue_invoice(db, t0(), fx.order.0, &settings)
            .await
            .unwrap_err();
        assert_eq!(again.code(), "FINANCE_ALREADY_ISSUED");
        drain(db, &settings).await;
        let tb = finance::trial_balance(db).await.unwrap();
        let net = |a: Account| tb.iter().filter(|b| b.account == a).map(|b| b.net()).sum::<i64>();
        assert_eq!(
            (
                net(Account::Prepayments),
                net(Account::Receivables),
                net(Account::Revenue)
            ),
            (0, 0, -420)
        );

        // A draft order cannot be invoiced; an unknown one is not found.
        let o2 = placed_order(db, customer, fx.material, 300).await;
        let mut tx = db.begin().await.unwrap();
        orders::cancel(&mut tx, t0(), o2, None, "changed mind")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let e = finance::issue_invoice(db, t0(), o2.0, &settings)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "FINANCE_NOT_INVOICEABLE");
        assert_eq!(
            finance::issue_invoice(db, t0(), 999_999, &settings)
                .await
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );

        // Refund: a credit note reverses revenue and tax, the cash goes back.
        let mut tx = db.begin().await.unwrap();
        orders::refund(&mut tx, t0(), fx.order, None, "broken in transit")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        drain(db, &settings).await;
        let caller = Caller::SYSTEM;
        let all = finance::invoices(db, &caller, 10).await.unwrap();
        let year = gantry_app::now().year();
        let numbers: Vec<&str> = all.iter().map(|i| i.number.as_str()).collect();
        assert_eq!(
            numbers,
            // The invoice was issued at t0, the credit note by the consumer now.
            vec![format!("CN-{year}-000001"), format!("INV-{}-000001", t0().year())]
        );
        let tb = finance::trial_balance(db).await.unwrap();
        let net = |a: Account| tb.iter().filter(|b| b.account == a).map(|b| b.net()).sum::<i64>();
        assert_eq!(
            (
                net(Account::Cash),
                net(Account::Receivables),
                net(Account::Revenue),
                net(Account::TaxPayable)
            ),
            (0, 0, 0, 0)
        );
        assert_books_balance(db).await;
    }
);

db_test!(concurrent_issuing_hands_out_gap_free_numbers, |db| {
    let settings = FinanceSettings {
        issue_on_payment: false,
        ..FinanceSettings::default()
    };
    let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
    let customer = {
        let mut c = db.pool().acquire().await.unwrap();
        orders::get_order(&mut c, fx.order).await.unwrap().customer_id
    };
    let mut ids = vec![fx.order];
    for i in 0..11 {
        ids.push(placed_order(db, customer, fx.material, 100 + i).await);
    }
    // Each order is invoiced by two racing requests: one wins, one is refused; no number lost.
    let mut tasks = Vec::new();
    for o in ids.iter().chain(ids.iter()) {
        let (db, s, o) = (db.clone(), settings.clone(), o.0);
        tasks.push(tokio::spawn(async move {
            finance::issue_invoice(&db, t0(), o, &s).await
        }));
    }
    let (mut ok, mut refused) = (Vec::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(inv) => ok.push(inv.seq),
            Err(e) => {
                assert_eq!(e.code(), "FINANCE_ALREADY_ISSUED");
                refused += 1;
            }
        }
    }
    ok.sort();
    assert_eq!(ok, (1..=12).collect::<Vec<i64>>());
    assert_eq!(refused, 12);
});

db_test!(reversals_expenses_and_refusals, |db| {
    let caller = Caller::SYSTEM;
    let eur = |m| Money::new(m, Currency::EUR);
    let e = finance::record_expense(
        db,
        &caller,
        t0(),
        "rent",
        "Workshop, January",
        eur(80_000),
        true,
        Some("s3://receipts/1.pdf"),
    )
    .await
    .unwrap();
    // Refused, nothing written.
    for (cat, desc, amount, code) in [
        ("toys", "x", 100, "FINANCE_UNKNOWN_CATEGORY"),
        ("rent", " ", 100, "FINANCE_INVALID_FIELD"),
        ("rent", "x", 0, "FINANCE_INVALID_AMOUNT"),
        ("rent", "x", -5, "FINANCE_INVALID_AMOUNT"),
    ] {
        let err = finance::record_expense(db, &caller, t0(), cat, desc, eur(amount), false, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
    }
    assert_eq!(count_rows(db, "journal_entries").await.unwrap(), 1);
    let r = finance::reverse(db, &caller, t0(), e.entry_id, "booked twice")
        .await
        .unwrap();
    assert_eq!((r.source, r.reverses), (EntrySource::Reversal, Some(e.entry_id)));
    let again = finance::reverse(db, &caller, t0(), e.entry_id, "again")
        .await
        .unwrap_err();
    assert_eq!(again.code(), "FINANCE_ALREADY_REVERSED");
    let of_reversal = finance::reverse(db, &caller, t0(), r.id, "undo")
        .await
        .unwrap_err();
    assert_eq!(of_reversal.code(), "FINANCE_ALREADY_REVERSED");
    assert_eq!(
        finance::reverse(db, &caller, t0(), 12345, "x")
            .await
            .unwrap_err()
            .code(),
        "NOT_FOUND"
    );
    let original = finance::entry(db, e.entry_id).await.unwrap();
    assert_eq!(original.reversed_by, Some(r.id));
    let list = finance::entries(
        db,
        &EntryFilter {
            source: Some(EntrySource::Reversal),
            limit: 10,
            ..EntryFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_books_balance(db).await;
    // Reports: the P&L shows the rent and its reversal netting to zero; CSV has a header.
    let period = gantry_engine::domain::finance::period_of(t0());
    let pnl = finance::pnl(db, &period, &period).await.unwrap();
    assert_eq!(pnl.len(), 1);
    assert_eq!((pnl[0].other, pnl[0].profit()), (0, 0));
    let csv = finance::report_csv(
        db,
        t0(),
        &finance::Report::Pnl {
            from: period.clone(),
            to: period,
        },
    )
    .await
    .unwrap();
    assert!(csv.starts_with("period,currency,revenue,"), "{csv}");
    assert_eq!(
        finance::pnl(db, "2026-13", "2026-12").await.unwrap_err().code(),
        "FINANCE_INVALID_FIELD"
    );
});

db_test!(
    a_manual_reversal_of_an_invoice_takes_its_revenue_out_of_line_margins,
    |db| {
        let settings = FinanceSettings::default();
        let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
        drain(db, &settings).await;
        let (a, b) = (
            gantry_engine::domain::finance::period_of(t0()),
            gantry_engine::domain::finance::period_of(gantry_app::now()),
        );
        let (from, to) = if a <= b { (a, b) } else { (b, a) };
        let revenue = |rows: Vec<gantry_engine::domain::finance::MarginRow>| -> i64 {
            rows.iter()
                .filter(|r| r.key.as_deref() == Some(fx.order.0.to_string().as_str()))
                .map(|r| r.revenue_minor)
                .sum()
        };
        let by = gantry_engine::domain::finance::MarginBy::Order;
        let before = revenue(finance::margins_by(db, by, &from, &to).await.unwrap());
        assert_eq!(before, 420, "the invoice's net revenue");
        let invoice_entry = finance::entries(
            db,
            &EntryFilter {
                order_id: Some(fx.order.0),
                source: Some(EntrySource::Invoice),
                limit: 10,
                ..EntryFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(invoice_entry.len(), 1);
        finance::reverse(db, &Caller::SYSTEM, t0(), invoice_entry[0].id, "issued in error")
            .await
            .unwrap();
        let after = finance::margins_by(db, by, &from, &to).await.unwrap();
        assert_eq!(revenue(after), 0, "the reversal takes the lines' revenue back");
        // By period: the revenue in the invoice's month, its reversal in the reversal's month.
        let per_period =
            finance::margins_by(db, gantry_engine::domain::finance::MarginBy::Period, &from, &to)
                .await
                .unwrap();
        assert_eq!(per_period.iter().map(|r| r.revenue_minor).sum::<i64>(), 0);
        assert_books_balance(db).await;
    }
);

db_test!(a_chunk_that_fails_is_posted_one_event_at_a_time, |db| {
    use gantry_engine::domain::events::{Event, PaymentEvent};
    let settings = FinanceSettings::default();
    let fx = testing::farm(db, t0(), 1, 100, 1).await.unwrap();
    let customer = {
        let mut c = db.pool().acquire().await.unwrap();
        orders::get_order(&mut c, fx.order).await.unwrap().customer_id
    };
    drain(db, &settings).await;
    let mut cursor = consumer::start(db).await.unwrap();
    let o2 = placed_order(db, customer, fx.material, 300).await;
    let eur = |m| Money::new(m, Currency::EUR);
    let caller = Caller::SYSTEM;
    finance::record_payment(db, &caller, t0(), o2.0, eur(100), "part 1")
        .await
        .unwrap();
    // An event the ledger cannot post (a currency it does not know), between two it can:
    // the chunk fails as a whole, so its events are posted one per transaction.
    let mut tx = db.begin().await.unwrap();
    let bad = gantry_engine::store::events::append(
        &mut tx,
        t0(),
        &Event::Payment(PaymentEvent {
            payment_id: 999_999,
            order_id: Some(o2.0),
            amount_minor: 50,
            currency: "X1".into(),
            provider: "manual".into(),
            reference: "broken".into(),
            provider_event_id: "broken".into(),
            held_reason: None,
        }),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    finance::record_payment(db, &caller, t0(), o2.0, eur(50), "part 2")
        .await
        .unwrap();
    let cash = |db: &Db| {
        let db = db.clone();
        async move {
            let mut c = db.pool().acquire().await.unwrap();
            gantry_engine::store::finance::order_account_net(&mut c, o2.0, Account::Cash)
                .await
                .unwrap()
        }
    };
    let before = cursor.clone();
    assert!(consumer::consume_once(db, &settings, &mut cursor).await.is_err());
    // The event before the bad one is posted; the bad one and what follows are not, and
    // the cursor stays where it was so they are read again.
    assert_eq!(cash(db).await, 100, "only the first part");
    let mut c = db.pool().acquire().await.unwrap();
    assert!(
        !gantry_engine::store::finance::posted_event(&mut c, bad)
            .await
            .unwrap()
    );
    drop(c);
    assert_eq!(cursor.last, before.last);
    // The next round fails at the same event and posts nothing twice.
    let entries = count_rows(db, "journal_entries").await.unwrap();
    assert!(consumer::consume_once(db, &settings, &mut cursor).await.is_err());
    assert_eq!(count_rows(db, "journal_entries").await.unwrap(), entries);
    // Once a person marks the bad event handled, the rest is posted.
    let mut tx = db.begin().await.unwrap();
    gantry_engine::store::finance::record_posting(&mut tx, t0(), bad, "payment.recorded", 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    consumer::drain(db, &settings, &mut cursor).await.unwrap();
    assert_eq!(cash(db).await, 150);
    assert_books_balance(db).await;
});

// ---------------------------------------------------------------------------------------------
// Property: random sequences of business events (seeded, both databases).

/// xorshift64*: a small deterministic generator for the event sequences.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n.max(1)) as i64
    }
}

async fn check_invariants(db: &Db, full: bool) {
    let tb = finance::trial_balance(db).await.unwrap();
    assert!(trial_balance_is_zero(&tb), "trial balance: {tb:?}");
    let mut before = None;
    loop {
        let page = finance::entries(
            db,
            &EntryFilter {
                before_id: before,
                limit: 1000,
                ..EntryFilter::default()
            },
        )
        .await
        .unwrap();
        for e in &page {
            let (d, c): (i64, i64) = e
                .lines
                .iter()
                .fold((0, 0), |(d, c), l| (d + l.debit, c + l.credit));
            assert!(
                d == c && d == e.total_minor && e.lines.len() >= 2,
                "entry {} does not balance",
                e.id
            );
        }
        match page.last() {
            Some(last) if page.len() == 1000 => before = Some(last.id),
            _ => break,
        }
    }
    if full {
        for (cur, account, stock) in finance::inventory_check(db).await.unwrap() {
            assert_eq!(
                account, stock,
                "inventory account = Σ remaining × lot cost ({cur})"
            );
        }
    }
}

async fn random_history(db: &Db, seed: u64, settings: FinanceSettings) {
    use gantry_engine::domain::inventory::NewSpool;
    use gantry_engine::domain::production::JobState;
    use gantry_engine::store::inventory;
    use gantry_engine::store::production::{self, JobFilter};

    let mut rng = Rng(seed);
    let fx = testing::farm(db, t0(), 2, 300, 6).await.unwrap();
    let customer = {
        let mut c = db.pool().acquire().await.unwrap();
        orders::get_order(&mut c, fx.order).await.unwrap().customer_id
    };
    let mut cursor = consumer::start(db).await.unwrap();
    let mut spools = Vec::new();
    let mut paid: Vec<OrderId> = vec![fx.order];
    let mut clock = t0();
    for step in 0..45 {
        clock += Duration::minutes(37);
        match rng.below(9) {
            0 => {
                let mut tx = db.begin().await.unwrap();
                let s = inventory::receive_spool_at(
                    &mut tx,
                    clock,
                    &NewSpool {
                        material_id: fx.material,
                        grams: 50 + rng.below(950),
                        lot: Some(format!("L{step}")),
                        location: None,
                    },
                    Some(Money::new(999 + rng.below(4000), Currency::EUR)),
                    rng.below(2) == 0,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                spools.push(s.id);
            }
            1 | 2 if !spools.is_empty() => {
                let s = spools[rng.below(spools.len() as u64) as usize];
                let mut tx = db.begin().await.unwrap();
                let remaining = inventory::get_spool(&mut tx, s)
                    .await
                    .unwrap()
                    .remaining_grams
                    .get();
                let r = if rng.below(2) == 0 {
                    let counted = (remaining + rng.below(41) - 20).max(0);
                    inventory::adjust_spool(&mut tx, clock, s, counted, None)
                        .await
                        .map(|_| ())
                } else {
                    inventory::scrap_spool(&mut tx, clock, s, 1 + rng.below(30), None)
                        .await
                        .map(|_| ())
                };
                if r.is_ok() {
                    tx.commit().await.unwrap();
                }
            }
            3 if rng.below(2) == 0 => {
                let o = placed_order(db, customer, fx.material, 100 + rng.below(900)).await;
                let mut tx = db.begin().await.unwrap();
                orders::pay(&mut tx, clock, o, None).await.unwrap();
                tx.commit().await.unwrap();
                paid.push(o);
            }
            3 => {
                // Paid in parts by hand (maybe invoiced first), the last part sometimes missing;
                // an overpayment is refused and writes nothing.
                let unit = 100 + rng.below(900);
                let o = placed_order(db, customer, fx.material, unit).await;
                if rng.below(2) == 0 {
                    finance::issue_invoice(db, clock, o.0, &settings).await.unwrap();
                }
                let mut left = 2 * unit;
                let caller = Caller::SYSTEM;
                let parts = 1 + rng.below(3);
                for i in 0..parts {
                    let part = if i + 1 == parts {
                        left
                    } else {
                        1 + rng.below((left / 2) as u64)
                    };
                    if i + 1 == parts && rng.below(3) == 0 {
                        let e = finance::record_payment(
                            db,
                            &caller,
                            clock,
                            o.0,
                            Money::new(left + 1, Currency::EUR),
                            "",
                        )
                        .await
                        .unwrap_err();
                        assert_eq!(e.code(), "FINANCE_OVERPAYMENT");
                        break;
                    }
                    let r = finance::record_payment(
                        db,
                        &caller,
                        clock,
                        o.0,
                        Money::new(part, Currency::EUR),
                        "part",
                    )
                    .await
                    .unwrap();
                    left -= part;
                    assert_eq!(r.check.settles, left == 0);
                }
                if left == 0 {
                    paid.push(o);
                }
            }
            4 if paid.len() > 1 => {
                let o = paid.remove(1 + rng.below(paid.len() as u64 - 1) as usize);
                let mut tx = db.begin().await.unwrap();
                orders::refund(&mut tx, clock, o, None, "random refund")
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            5 => {
                let o = paid[rng.below(paid.len() as u64) as usize];
                // On demand; refused when already issued (nothing written then).
                let _ = finance::issue_invoice(db, clock, o.0, &settings).await;
            }
            6 | 7 => {
                let queued = {
                    let mut c = db.pool().acquire().await.unwrap();
                    production::list_jobs(
                        &mut c,
                        &JobFilter {
                            state: Some(JobState::Queued),
                            order_id: Some(fx.order),
                            printer_id: None,
                        },
                    )
                    .await
                    .unwrap()
                };
                if let Some(j) = queued.first() {
                    let p = fx.printers[rng.below(2) as usize];
                    let mut tx = db.begin().await.unwrap();
                    if live::start_on(&mut tx, clock, p, j.id, true).await.is_ok() {
                        let end = clock + Duration::minutes(1 + rng.below(90));
                        if rng.below(3) == 0 {
                            live::fail_on(&mut tx, end, p, j.id, "random", Some(rng.below(101)), 3)
                                .await
                                .unwrap();
                        } else {
                            live::complete_on(&mut tx, end, p, j.id).await.unwrap();
                        }
                        live::move_printer(&mut tx, end, p, PrinterStatus::Idle)
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                    }
                }
            }
            _ => {
                let caller = Caller::SYSTEM;
                finance::record_expense(
                    db,
                    &caller,
                    clock,
                    "energy",
                    "Power",
                    Money::new(1 + rng.below(5000), Currency::EUR),
                    rng.below(2) == 0,
                    None,
                )
                .await
                .unwrap();
            }
        }
        if rng.below(4) == 0 {
            consumer::drain(db, &settings, &mut cursor).await.unwrap();
            check_invariants(db, false).await;
        }
    }
    consumer::drain(db, &settings, &mut cursor).await.unwrap();
    check_invariants(db, true).await;
    // Replaying every event from the start posts nothing twice.
    let (entries, postings) = (
        count_rows(db, "journal_entries").await.unwrap(),
        count_rows(db, "finance_postings").await.unwrap(),
    );
    let mut again = gantry_app::events::Cursor::from(0);
    consumer::drain(db, &settings, &mut again).await.unwrap();
    assert_eq!(count_rows(db, "journal_entries").await.unwrap(), entries);
    assert_eq!(count_rows(db, "finance_postings").await.unwrap(), postings);
    check_invariants(db, true).await;
}

db_test!(random_event_sequences_keep_the_books_balanced, |db| {
    // Each seed on a fresh farm (materials are unique by code: one farm per database). Invoices
    // issued on payment, and set-up time costed per attempt.
    let settings = FinanceSettings {
        issue_on_payment: true,
        setup_minutes: 7,
        ..FinanceSettings::default()
    };
    random_history(db, 0x9E37_79B9_7F4A_7C15, settings).await;
});

db_test!(
    random_event_sequences_keep_the_books_balanced_demand_invoicing,
    |db| {
        let settings = FinanceSettings {
            issue_on_payment: false,
            ..FinanceSettings::default()
        };
        random_history(db, 0xD1B5_4A32_D192_ED03, settings).await;
    }
);
