//! Shipments and exports (pure): the status machine, what shipments mean for their order, the
//! carrier payload, the packing slip, periods, CSV and the XLSX writer read back.

use std::io::Read;

use chrono::{TimeZone, Utc};

use super::IntegrationError as E;
use super::exports::*;
use super::shipments::*;
use crate::error::{Coded, ErrorKind};
use crate::finance::pdf::extract_text;
use crate::orders::OrderStatus;

use ShipmentStatus as S;

#[test]
fn the_status_machine_allows_these_moves_and_no_others() {
    let allowed = [
        (S::LabelCreated, S::InTransit),
        (S::LabelCreated, S::OutForDelivery),
        (S::LabelCreated, S::Delivered),
        (S::LabelCreated, S::Exception),
        (S::LabelCreated, S::Cancelled),
        (S::InTransit, S::OutForDelivery),
        (S::InTransit, S::Delivered),
        (S::InTransit, S::Exception),
        (S::InTransit, S::Returned),
        (S::OutForDelivery, S::InTransit),
        (S::OutForDelivery, S::Delivered),
        (S::OutForDelivery, S::Exception),
        (S::OutForDelivery, S::Returned),
        (S::Exception, S::InTransit),
        (S::Exception, S::OutForDelivery),
        (S::Exception, S::Delivered),
        (S::Exception, S::Returned),
        (S::Exception, S::Cancelled),
    ];
    for from in S::ALL {
        for to in S::ALL {
            assert_eq!(
                S::can_transition(from, to),
                allowed.contains(&(from, to)),
                "{from} → {to}"
            );
        }
        assert_eq!(S::parse(from.as_str()), Some(from));
    }
    let e = S::check_transition(S::Delivered, S::InTransit).unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        ("SHIPMENT_ILLEGAL_TRANSITION", ErrorKind::Conflict)
    );
}

#[test]
fn the_order_ships_when_a_parcel_leaves_and_is_delivered_when_all_are() {
    use OrderStatus::*;
    let cases: &[(OrderStatus, &[S], &[OrderStatus])] = &[
        (Ready, &[S::LabelCreated], &[]),
        (Ready, &[S::InTransit], &[Shipped]),
        (Ready, &[S::LabelCreated, S::OutForDelivery], &[Shipped]),
        (Ready, &[S::Delivered], &[Shipped, Delivered]),
        (Shipped, &[S::Delivered, S::InTransit], &[]),
        (Shipped, &[S::Delivered, S::Delivered], &[Delivered]),
        // A cancelled parcel does not count; all cancelled is not delivered.
        (Shipped, &[S::Delivered, S::Cancelled], &[Delivered]),
        (Shipped, &[S::Cancelled], &[]),
        (Shipped, &[S::Returned], &[]),
        (Shipped, &[], &[]),
        // Orders elsewhere in their lifecycle are left alone.
        (Delivered, &[S::Delivered], &[]),
        (Refunded, &[S::Delivered], &[]),
        (InProduction, &[S::Delivered], &[]),
    ];
    for (order, parcels, want) in cases {
        assert_eq!(order_moves(*order, parcels), *want, "{order} {parcels:?}");
        for (a, b) in std::iter::once(*order)
            .chain(want.iter().copied())
            .zip(want.iter())
        {
            assert!(
                OrderStatus::can_transition(a, *b),
                "{a} → {b} is a lifecycle move"
            );
        }
    }
    assert!(check_order_shippable(Ready).is_ok() && check_order_shippable(Shipped).is_ok());
    for s in [Draft, Placed, Paid, InProduction, Delivered, Cancelled, Refunded] {
        let e = check_order_shippable(s).unwrap_err();
        assert_eq!(e.code(), "SHIPMENT_ORDER_NOT_SHIPPABLE", "{s}");
    }
}

#[test]
fn parcels_are_checked_and_normalised() {
    let p = Parcel::new(" DHL ", " express ", " JD0140 ").unwrap();
    assert_eq!(
        (p.carrier.as_str(), p.service.as_str(), p.tracking_number.as_str()),
        ("dhl", "express", "JD0140")
    );
    for (c, s, t, field) in [
        ("", "", "T1", "carrier"),
        ("dh l", "", "T1", "carrier"),
        (&"x".repeat(41) as &str, "", "T1", "carrier"),
        ("dhl", "", "", "trackingNumber"),
        ("dhl", "", "T 1", "trackingNumber"),
        ("dhl", "", "TÜ1", "trackingNumber"),
        ("dhl", "a\u{7}", "T1", "service"),
    ] {
        match Parcel::new(c, s, t) {
            Err(E::ShipmentInvalid { field: f, .. }) => assert_eq!(f, field, "{c:?} {s:?} {t:?}"),
            other => panic!("{c:?} {s:?} {t:?}: {other:?}"),
        }
    }
}

#[test]
fn carrier_updates_are_read_or_refused() {
    let u = parse_carrier_update(
        br#"{"type":"shipment.status","carrier":"UPS","tracking_number":"1Z999","status":"out_for_delivery","note":"on the van"}"#,
    )
    .unwrap();
    assert_eq!(
        u,
        CarrierUpdate {
            carrier: "ups".into(),
            tracking_number: "1Z999".into(),
            status: S::OutForDelivery,
            note: "on the van".into(),
        }
    );
    for bad in [
        &b"not json"[..],
        br#"{"carrier":"ups","tracking_number":"1","status":"delivered"}"#,
        br#"{"type":"shipment.status","tracking_number":"1","status":"delivered"}"#,
        br#"{"type":"shipment.status","carrier":"ups","status":"delivered"}"#,
        br#"{"type":"shipment.status","carrier":"ups","tracking_number":"1","status":"lost"}"#,
        br#"{"type":"shipment.status","carrier":"u p s","tracking_number":"1","status":"delivered"}"#,
    ] {
        let e = parse_carrier_update(bad).unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("WEBHOOK_PAYLOAD_INVALID", ErrorKind::Validation),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn the_packing_slip_lists_the_parcel_and_every_line_without_prices() {
    let slip = PackingSlip {
        seller: "Gantry Print Farm, Main St 1".into(),
        order_id: 42,
        shipment_id: 7,
        customer_name: "Ada Lovelace".into(),
        customer_company: Some("Analytical Engines Ltd".into()),
        parcel: Parcel::new("dhl", "express", "JD0140").unwrap(),
        created_at: Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap(),
        lines: (1..=60)
            .map(|i| SlipLine {
                line_no: i,
                description: format!("VASE-{i} Vase (größer)"),
                quantity: 2,
            })
            .collect(),
    };
    let pdf = render_packing_slip(&slip);
    assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    let text = extract_text(&pdf);
    for want in [
        "Packing slip",
        "Order 42 - shipment 7",
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "Carrier: dhl (express)",
        "Tracking number: JD0140",
        "VASE-60 Vase (größer)",
        "Units: 120",
        "Date: 2026-12-05",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(
        String::from_utf8_lossy(&pdf).contains("/Count 2"),
        "60 lines take two pages"
    );
}

#[test]
fn periods_are_dates_or_times_after_each_other_and_bounded() {
    let p = Period::parse("2026-01-01", "2026-02-01T12:00:00+02:00").unwrap();
    assert_eq!(p.from, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(p.to, Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).unwrap());
    for (from, to, field) in [
        ("2026-13-01", "2027-01-01", "from"),
        ("2026-01-01", "yesterday", "to"),
        ("2026-02-01", "2026-01-01", "to"),
        ("2026-01-01", "2026-01-01", "to"),
        ("2025-01-01", "2026-03-01", "to"),
    ] {
        match Period::parse(from, to) {
            Err(e @ E::ExportPeriodInvalid { field: f, .. }) => {
                assert_eq!((f, e.code()), (field, "EXPORT_PERIOD_INVALID"), "{from} {to}");
            }
            other => panic!("{from} {to}: {other:?}"),
        }
    }
    assert_eq!(ExportKind::parse(" Ledger"), Some(ExportKind::Ledger));
    assert_eq!(ExportFormat::parse("XLSX"), Some(ExportFormat::Xlsx));
    assert_eq!(ExportKind::parse("stock"), None);
}

fn table() -> Table {
    Table {
        kind: ExportKind::Customers,
        period: Period::parse("2026-01-01", "2026-02-01").unwrap(),
        rows: vec![
            vec![
                Cell::Int(1),
                Cell::Text("Ada, \"the\" <first> & only".into()),
                Cell::Empty,
                Cell::Text(" padded ".into()),
                Cell::time(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            ],
            vec![
                Cell::Int(-2),
                Cell::Text("Bob\u{1}".into()),
                Cell::Text("bob@example.com".into()),
                Cell::Empty,
                Cell::Text("x".into()),
            ],
        ],
    }
}

#[test]
fn csv_quotes_what_it_must() {
    let t = table();
    assert_eq!(
        t.file_name(ExportFormat::Csv),
        "gantry-customers-2026-01-01-2026-02-01.csv"
    );
    assert_eq!(
        t.to_csv(),
        "customer_id,name,email,company,created_at\r\n\
         1,\"Ada, \"\"the\"\" <first> & only\",, padded ,2026-01-02T03:04:05.000Z\r\n\
         -2,Bob\u{1},bob@example.com,,x\r\n"
    );
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_is_a_zip_of_spreadsheetml_with_every_cell() {
    let t = table();
    let bytes = t.to_xlsx().unwrap();
    assert_eq!(bytes, t.to_xlsx().unwrap(), "the same table gives the same bytes");
    assert_eq!(&bytes[..2], b"PK");
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
    ] {
        assert!(unzip(&bytes, part).starts_with("<?xml"), "{part}");
    }
    assert!(unzip(&bytes, "xl/workbook.xml").contains("<sheet name=\"customers\""));
    // Read the sheet back with an XML parser: (cell ref, type, text).
    let sheet = unzip(&bytes, "xl/worksheets/sheet1.xml");
    let mut r = quick_xml::Reader::from_str(&sheet);
    let mut cells: Vec<(String, String, String)> = Vec::new();
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"c" => {
                let attr = |k: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap_or_default()
                };
                cells.push((attr(b"r"), attr(b"t"), String::new()));
            }
            quick_xml::events::Event::Text(t) => {
                if let Some(c) = cells.last_mut() {
                    c.2.push_str(&t.decode().unwrap());
                }
            }
            quick_xml::events::Event::GeneralRef(g) => {
                let c = cells.last_mut().unwrap();
                let name: &[u8] = &g;
                c.2.push_str(match name {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    other => panic!("entity {other:?}"),
                });
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let got: Vec<(&str, &str, &str)> = cells
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("A1", "inlineStr", "customer_id"),
            ("B1", "inlineStr", "name"),
            ("C1", "inlineStr", "email"),
            ("D1", "inlineStr", "company"),
            ("E1", "inlineStr", "created_at"),
            ("A2", "", "1"),
            ("B2", "inlineStr", "Ada, \"the\" <first> & only"),
            ("D2", "inlineStr", " padded "),
            ("E2", "inlineStr", "2026-01-02T03:04:05.000Z"),
            ("A3", "", "-2"),
            ("B3", "inlineStr", "Bob"),
            ("C3", "inlineStr", "bob@example.com"),
            ("E3", "inlineStr", "x"),
        ]
    );
}

#[test]
fn column_letters() {
    use super::exports::xlsx::column;
    for (i, want) in [
        (0, "A"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
    ] {
        assert_eq!(column(i), want, "{i}");
    }
}
