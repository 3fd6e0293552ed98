use chrono::TimeZone;

use super::*;
use crate::error::Coded;
use crate::types::Currency;

const EUR: Currency = Currency::EUR;

fn entry() -> NewEntry {
    NewEntry::new(EUR, EntrySource::Manual, "test")
}

#[test]
fn a_balanced_entry_validates_to_its_total() {
    let e = entry()
        .dr(Account::Cash, 1190)
        .cr(Account::Revenue, 1000)
        .cr(Account::TaxPayable, 190);
    assert_eq!(e.validate(), Ok(1190));
}

#[test]
fn bad_entries_are_refused_with_their_codes() {
    let cases: Vec<(NewEntry, &str)> = vec![
        (
            entry().dr(Account::Cash, 100).cr(Account::Revenue, 99),
            "FINANCE_UNBALANCED",
        ),
        (entry(), "FINANCE_ZERO_ENTRY"),
        (entry().dr(Account::Cash, 100), "FINANCE_ZERO_ENTRY"),
        // zero amounts add no line
        (
            entry().dr(Account::Cash, 0).cr(Account::Revenue, 0),
            "FINANCE_ZERO_ENTRY",
        ),
        (
            NewEntry {
                lines: vec![Line::debit(Account::Cash, -5), Line::credit(Account::Revenue, -5)],
                ..entry()
            },
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            NewEntry {
                lines: vec![
                    Line {
                        account: Account::Cash,
                        debit: 5,
                        credit: 5,
                    },
                    Line::credit(Account::Revenue, 5),
                    Line::debit(Account::Revenue, 5),
                ],
                ..entry()
            },
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            NewEntry {
                memo: "  ".into(),
                ..entry().dr(Account::Cash, 1).cr(Account::Revenue, 1)
            },
            "FINANCE_INVALID_FIELD",
        ),
        (
            NewEntry {
                lines: vec![
                    Line::debit(Account::Cash, i64::MAX),
                    Line::debit(Account::Cash, 1),
                ],
                ..entry()
            },
            "FINANCE_INVALID_AMOUNT",
        ),
    ];
    for (e, code) in cases {
        let err = e.validate().expect_err(code);
        assert_eq!(err.code(), code, "{e:?}");
    }
    assert_eq!(
        same_currency(EUR, Currency::USD).map_err(|e| e.code()),
        Err("FINANCE_CURRENCY_MISMATCH")
    );
}

fn posted(id: i64, lines: Vec<Line>) -> PostedEntry {
    let t = chrono::Utc
        .timestamp_opt(1_780_000_000, 0)
        .single()
        .unwrap_or_default();
    PostedEntry {
        id,
        posted_at: t,
        period: period_of(t),
        currency: EUR,
        total_minor: lines.iter().map(|l| l.debit).sum(),
        memo: "x".into(),
        source: EntrySource::Manual,
        links: EntryLinks::default(),
        reverses: None,
        reversed_by: None,
        created_by: None,
        lines,
    }
}

#[test]
fn a_reversal_swaps_every_line_and_only_once() {
    let p = posted(
        7,
        vec![
            Line::debit(Account::Cash, 300),
            Line::credit(Account::Revenue, 300),
        ],
    );
    let r = NewEntry::reversal_of(&p, "typo").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.reverses, Some(7));
    assert_eq!(
        r.lines,
        vec![
            Line::credit(Account::Cash, 300),
            Line::debit(Account::Revenue, 300)
        ]
    );
    assert_eq!(r.validate(), Ok(300));
    let reversed = PostedEntry {
        reversed_by: Some(8),
        ..p.clone()
    };
    assert_eq!(
        NewEntry::reversal_of(&reversed, "again").map_err(|e| e.code()),
        Err("FINANCE_ALREADY_REVERSED")
    );
    let reversal = PostedEntry {
        source: EntrySource::Reversal,
        ..p
    };
    assert!(NewEntry::reversal_of(&reversal, "x").is_err());
}

#[test]
fn the_chart_parses_back_and_kinds_follow_the_numbers() {
    for a in Account::ALL {
        assert_eq!(Account::parse(a.code()), Ok(a));
    }
    assert_eq!(Account::Cash.kind(), AccountKind::Asset);
    assert_eq!(Account::TaxPayable.kind(), AccountKind::Liability);
    assert_eq!(Account::Revenue.kind(), AccountKind::Revenue);
    assert_eq!(Account::Scrap.kind(), AccountKind::Expense);
    assert_eq!(
        Account::parse("9999").map_err(|e| e.code()),
        Err("FINANCE_UNKNOWN_ACCOUNT")
    );
    assert_eq!(ExpenseCategory::parse("rent"), Ok(ExpenseCategory::Rent));
    assert_eq!(
        ExpenseCategory::parse("toys").map_err(|e| e.code()),
        Err("FINANCE_UNKNOWN_CATEGORY")
    );
}

#[test]
fn spool_movements_telescope_to_the_value_of_what_remains() {
    // 1000 g at 23.99/kg drawn in awkward pieces: the sum of movement values equals the
    // value of the remainder minus the value received, with no rounding drift.
    let cost = 2399;
    let mut left = 1000;
    let mut total = spool_value(left, cost);
    for take in [1, 7, 33, 3, 250, 99, 2] {
        total += movement_value(left, left - take, cost);
        left -= take;
    }
    assert_eq!(total, spool_value(left, cost));
    assert_eq!(spool_value(1000, 2399), 2399);
    assert_eq!(spool_value(1, 2399), 2); // 2.399 rounds to 2
    assert_eq!(spool_value(3, 500), 2); // 1.5 rounds up
}

#[test]
fn costs_and_tax_round_half_up_and_add_up() {
    assert_eq!(machine_cost(90, 120), 180);
    assert_eq!(machine_cost(1, 100), 2); // 1.67
    assert_eq!(machine_cost(-5, 100), 0);
    assert_eq!(elapsed_minutes(0, 1), 1);
    assert_eq!(elapsed_minutes(0, 120_000), 2);
    assert_eq!(elapsed_minutes(5, 5), 0);
    assert_eq!(split_gross(11_900, 1900), (10_000, 1_900));
    assert_eq!(split_gross(100, 700), (93, 7));
    assert_eq!(split_gross(999, 0), (999, 0));
    for g in [0, 1, 99, 12_345] {
        let (n, t) = split_gross(g, 2000);
        assert_eq!(n + t, g);
    }
    assert!(tax_rate(10_001).is_err());
    assert!(tax_rate(-1).is_err());
}

#[test]
fn invoice_numbers_and_lines() {
    assert_eq!(InvoiceKind::Invoice.number(2026, 42), "INV-2026-000042");
    assert_eq!(InvoiceKind::CreditNote.number(2027, 1), "CN-2027-000001");
    assert_eq!(InvoiceKind::Invoice.counter(2026), "invoice:2026");
    let (lines, net, tax) = invoice_lines(&[
        BillableLine {
            description: "Bracket".into(),
            quantity: 2,
            unit_price_minor: 1190,
            tax_rate_bp: 1900,
        },
        BillableLine {
            description: "Book".into(),
            quantity: 1,
            unit_price_minor: 107,
            tax_rate_bp: 700,
        },
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((net, tax), (2000 + 100, 380 + 7));
    assert_eq!(lines[1].line_no, 2);
    assert!(invoice_lines(&[]).is_err());
    assert!(check_invoiceable(1, crate::orders::OrderStatus::Refunded).is_err());
    assert!(check_invoiceable(1, crate::orders::OrderStatus::Paid).is_ok());
}

#[test]
fn trial_balance_is_checked_per_currency() {
    let b = |account, currency, debits, credits| AccountBalance {
        account,
        currency,
        debits,
        credits,
    };
    assert!(trial_balance_is_zero(&[
        b(Account::Cash, EUR, 100, 0),
        b(Account::Revenue, EUR, 0, 100),
        b(Account::Cash, Currency::USD, 5, 5),
    ]));
    assert!(!trial_balance_is_zero(&[
        b(Account::Cash, EUR, 100, 0),
        b(Account::Revenue, Currency::USD, 0, 100),
    ]));
    assert_eq!(b(Account::Revenue, EUR, 0, 100).natural(), 100);
}

#[test]
fn ageing_buckets_and_csv_quoting() {
    let mut a = Ageing::default();
    for (d, m) in [(0, 1), (30, 2), (31, 4), (61, 8), (91, 16)] {
        a.add(d, m);
    }
    assert_eq!(
        (a.current, a.days_31_60, a.days_61_90, a.over_90, a.total()),
        (3, 4, 8, 16, 31)
    );
    assert_eq!(
        csv(&["a", "b"], vec![vec!["x,y".into(), "q\"".into()]]),
        "a,b\r\n\"x,y\",\"q\"\"\"\r\n"
    );
}

#[test]
fn the_pdf_is_well_formed_and_shows_the_invoice() {
    let inv = Invoice {
        id: 1,
        kind: InvoiceKind::Invoice,
        number: "INV-2026-000001".into(),
        year: 2026,
        seq: 1,
        order_id: 9,
        customer_id: 3,
        customer_name: "Müller (GmbH) € \\".into(),
        credits_invoice_id: None,
        currency: "EUR".into(),
        net_minor: 2000,
        tax_minor: 380,
        total_minor: 2380,
        issued_at: chrono::Utc
            .timestamp_opt(1_780_000_000, 0)
            .single()
            .unwrap_or_default(),
        lines: (1..=60)
            .map(|i| InvoiceLine {
                line_no: i,
                description: format!("Part {i}"),
                quantity: 1,
                unit_price_minor: 100,
                tax_rate_bp: 1900,
                net_minor: 84,
                tax_minor: 16,
                gross_minor: 100,
            })
            .collect(),
    };
    let pdf = pdf::render_invoice(&inv, "Gantry Print Farm");
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    // ASCII view with the same byte offsets.
    let s: String = pdf
        .iter()
        .map(|&b| if b.is_ascii() { b as char } else { '?' })
        .collect();
    // startxref points at the xref table, and every object offset at its object.
    let sx = s.rfind("startxref\n").unwrap_or(0) + "startxref\n".len();
    let xref: usize = s[sx..].lines().next().unwrap_or("").parse().unwrap_or(0);
    assert!(pdf[xref..].starts_with(b"xref\n"));
    let table: Vec<&str> = s[xref..]
        .lines()
        .skip(3)
        .take_while(|l| l.ends_with(" n "))
        .collect();
    assert!(table.len() >= 9, "two pages: {}", table.len());
    for (i, row) in table.iter().enumerate() {
        let off: usize = row[..10].parse().unwrap_or(usize::MAX);
        assert!(
            pdf[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
            "object {}",
            i + 1
        );
    }
    assert!(s.contains("/Count 2"), "60 lines take two pages");
    // Every stream's /Length is its byte length.
    for part in s.split("<< /Length ").skip(1) {
        let (len, rest) = part.split_once(" >>\nstream\n").unwrap_or(("0", ""));
        let len: usize = len.parse().unwrap_or(0);
        assert_eq!(&rest.as_bytes()[len..len + 9], b"endstream");
    }
    let text = pdf::extract_text(&pdf);
    assert!(text.contains("Invoice INV-2026-000001"), "{text}");
    assert!(text.contains("Müller (GmbH) € \\"), "{text}");
    assert!(text.contains("23.80 EUR"), "{text}");
    assert!(text.contains("Part 60"));
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (input, out) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(pdf::base64(input.as_bytes()), out);
    }
}

mod payments_and_margins {
    use std::collections::BTreeMap;

    use super::*;
    use crate::orders::OrderStatus;
    use crate::types::Money;

    fn eur(m: i64) -> Money {
        Money::new(m, Currency::EUR)
    }

    #[test]
    fn partial_payments_settle_at_the_total_and_refuse_the_rest() {
        let ok = check_payment(1, OrderStatus::Placed, eur(1000), 0, eur(400)).unwrap();
        assert_eq!((ok.outstanding_after, ok.settles), (600, false));
        let last = check_payment(1, OrderStatus::Placed, eur(1000), 400, eur(600)).unwrap();
        assert_eq!((last.outstanding_after, last.settles), (0, true));
        let code = |r: Result<PaymentCheck, FinanceError>| r.unwrap_err().code();
        assert_eq!(
            code(check_payment(1, OrderStatus::Placed, eur(1000), 400, eur(601))),
            "FINANCE_OVERPAYMENT"
        );
        assert_eq!(
            code(check_payment(1, OrderStatus::Cancelled, eur(1000), 0, eur(1000))),
            "FINANCE_NOT_PAYABLE"
        );
        assert_eq!(
            code(check_payment(1, OrderStatus::Draft, eur(1000), 0, eur(1))),
            "FINANCE_NOT_PAYABLE"
        );
        assert_eq!(
            code(check_payment(1, OrderStatus::Paid, eur(1000), 1000, eur(1))),
            "FINANCE_ALREADY_PAID"
        );
        assert_eq!(
            code(check_payment(
                1,
                OrderStatus::Placed,
                eur(1000),
                0,
                Money::new(5, Currency::USD)
            )),
            "FINANCE_CURRENCY_MISMATCH"
        );
        assert_eq!(
            code(check_payment(1, OrderStatus::Placed, eur(1000), 0, eur(0))),
            "FINANCE_INVALID_AMOUNT"
        );
        assert_eq!(
            FinanceError::Overpayment {
                order: 1,
                outstanding: 1,
                amount: 2
            }
            .kind(),
            crate::error::ErrorKind::Conflict
        );
    }

    #[test]
    fn receipts_settle_the_receivable_first() {
        assert_eq!(split_receipt(300, 1000), (300, 0));
        assert_eq!(split_receipt(300, 100), (100, 200));
        assert_eq!(split_receipt(300, 0), (0, 300));
        assert_eq!(split_receipt(300, -50), (0, 300));
        let b = CustomerBalance {
            customer_id: 1,
            currency: "EUR".into(),
            receivable: 500,
            prepaid: 200,
        };
        assert_eq!(b.balance(), 300);
    }

    #[test]
    fn allocation_adds_up_exactly() {
        let shares: BTreeMap<i64, i64> = [(1, 1), (2, 1), (3, 1)].into();
        assert_eq!(allocate(100, &shares), vec![(1, 34), (2, 33), (3, 33)]);
        assert_eq!(allocate(-100, &shares), vec![(1, -34), (2, -33), (3, -33)]);
        let shares: BTreeMap<i64, i64> = [(7, 3), (9, 1)].into();
        assert_eq!(allocate(10, &shares), vec![(7, 8), (9, 2)]);
        assert!(allocate(10, &BTreeMap::new()).is_empty());
    }

    fn rev(line: i64, product: Option<i64>, period: &str, v: i64) -> LineRevenue {
        LineRevenue {
            order_id: 10 + line,
            line_id: line,
            customer_id: 5,
            product_id: product,
            material_id: 3,
            period: period.into(),
            currency: "EUR".into(),
            revenue_minor: v,
        }
    }

    fn charge(line: i64, job: i64, printer: i64, done: bool, material: i64, machine: i64) -> JobCharge {
        JobCharge {
            order_id: 10 + line,
            line_id: line,
            customer_id: 5,
            product_id: if line == 1 { Some(8) } else { None },
            material_id: 3,
            job_id: job,
            printer_id: Some(printer),
            done,
            copies: 2,
            period: "2026-01".into(),
            currency: "EUR".into(),
            material_minor: material,
            machine_minor: machine,
        }
    }

    #[test]
    fn margins_along_every_dimension_add_up() {
        let revenue = vec![rev(1, Some(8), "2026-01", 1000), rev(2, None, "2026-02", 500)];
        let charges = vec![
            charge(1, 100, 1, false, 10, 75),
            charge(1, 101, 2, true, 20, 75),
            charge(1, 102, 1, true, 20, 80),
            charge(2, 103, 2, true, 40, 60),
        ];
        for by in MarginBy::ALL {
            let rows = margins(by, &revenue, &charges);
            let total: i64 = rows.iter().map(MarginRow::margin).sum();
            assert_eq!(total, 1500 - 380, "{by:?}");
            assert_eq!(MarginBy::parse(by.as_str()), Some(by));
        }
        let by_printer = margins(MarginBy::Printer, &revenue, &charges);
        let got: Vec<(Option<String>, i64, i64, i64)> = by_printer
            .iter()
            .map(|r| (r.key.clone(), r.revenue_minor, r.cost(), r.failed_attempts))
            .collect();
        // Line 1's 1000 splits 2:2 copies between printers 1 and 2; line 2 is printer 2's.
        assert_eq!(
            got,
            vec![(Some("1".into()), 500, 185, 1), (Some("2".into()), 1000, 195, 0)]
        );
        let by_product = margins(MarginBy::Product, &revenue, &charges);
        assert_eq!(by_product[0].key, None);
        assert_eq!(by_product[1].key.as_deref(), Some("8"));
        assert_eq!(
            (
                by_product[1].revenue_minor,
                by_product[1].failed_minor,
                by_product[1].attempts
            ),
            (1000, 85, 3)
        );
        let by_period = margins(MarginBy::Period, &revenue, &charges);
        let periods: Vec<_> = by_period.iter().map(|r| r.key.clone().unwrap()).collect();
        assert_eq!(periods, vec!["2026-01", "2026-02"]);
        let csv = margin_rows_csv(&by_period);
        assert!(csv.starts_with("by,key,currency,revenue_minor"), "{csv}");
        assert_eq!(csv.lines().count(), 3);
    }

    #[test]
    fn cash_flow_runs_month_by_month() {
        let months = months("2025-11", "2026-02").unwrap();
        assert_eq!(months, vec!["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(
            super::months("2026-02", "2026-01").unwrap_err().code(),
            "FINANCE_INVALID_FIELD"
        );
        assert!(super::months("2026-13", "2026-12").is_err());
        let opening: BTreeMap<String, i64> = [("EUR".to_string(), 100)].into();
        let moves = vec![
            (
                "2025-12".to_string(),
                "EUR".to_string(),
                EntrySource::Payment,
                500,
            ),
            (
                "2025-12".to_string(),
                "EUR".to_string(),
                EntrySource::Expense,
                -120,
            ),
            (
                "2026-02".to_string(),
                "EUR".to_string(),
                EntrySource::Refund,
                -200,
            ),
        ];
        let rows = cash_flow(&months, &opening, &moves);
        let got: Vec<(i64, i64, i64)> = rows.iter().map(|m| (m.opening, m.net(), m.closing())).collect();
        assert_eq!(
            got,
            vec![(100, 0, 100), (100, 380, 480), (480, 0, 480), (480, -200, 280)]
        );
        assert!(cash_flow_csv(&rows).starts_with("period,currency,opening,receipts"));
    }
}

#[test]
fn manual_entries_are_checked_line_by_line() {
    let m = |minor| Some(crate::types::Money::new(minor, EUR));
    let usd = |minor| Some(crate::types::Money::new(minor, Currency::USD));
    let line = |account: &str, debit, credit| ManualLine {
        account: account.into(),
        debit,
        credit,
    };
    let ok = manual_entry(
        " Pay the filament supplier ",
        &[line("2000", m(3000), None), line("1000", None, m(3000))],
    )
    .unwrap();
    assert_eq!(
        (ok.source, ok.currency, ok.memo.as_str()),
        (EntrySource::Manual, EUR, "Pay the filament supplier")
    );
    assert_eq!(
        ok.lines,
        vec![
            Line::debit(Account::Payables, 3000),
            Line::credit(Account::Cash, 3000)
        ]
    );
    let cases: Vec<(Vec<ManualLine>, &str)> = vec![
        (vec![], "FINANCE_ZERO_ENTRY"),
        (
            vec![line("2000", m(0), None), line("1000", None, m(0))],
            "FINANCE_ZERO_ENTRY",
        ),
        (vec![line("2000", m(5), None)], "FINANCE_ZERO_ENTRY"),
        (
            vec![line("2000", m(5), None), line("1000", None, m(4))],
            "FINANCE_UNBALANCED",
        ),
        (
            vec![line("2000", m(-5), None), line("1000", None, m(-5))],
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            vec![line("2000", m(5), m(5)), line("1000", None, m(5))],
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            vec![line("2000", None, None), line("1000", None, m(5))],
            "FINANCE_INVALID_AMOUNT",
        ),
        (
            vec![line("2000", m(5), None), line("1000", None, usd(5))],
            "FINANCE_CURRENCY_MISMATCH",
        ),
        (
            vec![line("9999", m(5), None), line("1000", None, m(5))],
            "FINANCE_UNKNOWN_ACCOUNT",
        ),
        (
            vec![line("1200", m(5), None), line("1000", None, m(5))],
            "FINANCE_ACCOUNT_NOT_MANUAL",
        ),
        (
            vec![line("5900", m(5), None), line("1100", None, m(5))],
            "FINANCE_ACCOUNT_NOT_MANUAL",
        ),
    ];
    for (lines, code) in cases {
        let err = manual_entry("x", &lines).expect_err(code);
        assert_eq!(err.code(), code, "{lines:?}");
    }
    assert_eq!(
        manual_entry(" ", &[line("2000", m(5), None), line("1000", None, m(5))])
            .unwrap_err()
            .code(),
        "FINANCE_INVALID_FIELD"
    );
}
