//! Exports for ERPs and accountants (pure): orders, invoices, payments, customers and the
//! ledger of a period as a table, written as CSV (RFC 4180, the finance reports' writer) or
//! as an XLSX workbook ([`xlsx`], a minimal SpreadsheetML writer over the zip crate). The
//! columns of each export are a contract (`docs/integrations.md`).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::IntegrationError;
use crate::finance::csv;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// Orders created in the period.
    Orders,
    /// Invoices and credit notes issued in the period.
    Invoices,
    /// Provider payments received in the period (recorded and held).
    Payments,
    /// Customer records created in the period.
    Customers,
    /// Journal lines of the entries posted in the period.
    Ledger,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Orders,
        ExportKind::Invoices,
        ExportKind::Payments,
        ExportKind::Customers,
        ExportKind::Ledger,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Invoices => "invoices",
            ExportKind::Payments => "payments",
            ExportKind::Customers => "customers",
            ExportKind::Ledger => "ledger",
        }
    }

    pub fn parse(s: &str) -> Option<ExportKind> {
        let s = s.trim().to_ascii_lowercase();
        ExportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The columns, in order.
    pub fn columns(self) -> &'static [(&'static str, ColumnType)] {
        use ColumnType::*;
        match self {
            ExportKind::Orders => &[
                ("order_id", Int),
                ("customer_id", Int),
                ("customer_name", Text),
                ("status", Text),
                ("currency", Text),
                ("total_minor", Int),
                ("priority", Int),
                ("due_at", OptTime),
                ("created_at", Time),
                ("updated_at", Time),
            ],
            ExportKind::Invoices => &[
                ("invoice_id", Int),
                ("kind", Text),
                ("number", Text),
                ("order_id", Int),
                ("customer_id", Int),
                ("customer_name", Text),
                ("credits_invoice_id", OptInt),
                ("currency", Text),
                ("net_minor", Int),
                ("tax_minor", Int),
                ("total_minor", Int),
                ("issued_at", Time),
            ],
            ExportKind::Payments => &[
                ("payment_id", Int),
                ("provider", Text),
                ("provider_event_id", Text),
                ("reference", Text),
                ("order_id", OptInt),
                ("status", Text),
                ("held_reason", OptText),
                ("currency", Text),
                ("amount_minor", Int),
                ("received_at", Time),
            ],
            ExportKind::Customers => &[
                ("customer_id", Int),
                ("name", Text),
                ("email", OptText),
                ("company", OptText),
                ("created_at", Time),
            ],
            ExportKind::Ledger => &[
                ("entry_id", Int),
                ("posted_at", Time),
                ("period", Text),
                ("source", Text),
                ("memo", Text),
                ("order_id", OptInt),
                ("account", Text),
                ("account_name", Text),
                ("currency", Text),
                ("debit_minor", Int),
                ("credit_minor", Int),
            ],
        }
    }
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// How the store reads a column and the writers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    OptInt,
    Text,
    OptText,
    /// Epoch milliseconds in the database, RFC 3339 UTC in the file.
    Time,
    OptTime,
}

/// One value of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Int(i64),
    Text(String),
}

impl Cell {
    /// A time as RFC 3339 UTC with milliseconds.
    pub fn time(t: DateTime<Utc>) -> Cell {
        Cell::Text(t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    fn csv_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// `[from, to)`, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The longest period one export covers.
pub const MAX_PERIOD_DAYS: i64 = 400;

fn instant(field: &'static str, s: &str) -> Result<DateTime<Utc>, IntegrationError> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| IntegrationError::ExportPeriodInvalid {
            field,
            reason: "expected a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time",
        })
}

impl Period {
    /// Reads `from` and `to` (each `YYYY-MM-DD`, meaning midnight UTC, or an RFC 3339 time);
    /// `to` is exclusive, after `from`, at most [`MAX_PERIOD_DAYS`] later.
    pub fn parse(from: &str, to: &str) -> Result<Period, IntegrationError> {
        let p = Period {
            from: instant("from", from)?,
            to: instant("to", to)?,
        };
        if p.to <= p.from {
            return Err(IntegrationError::ExportPeriodInvalid {
                field: "to",
                reason: "must be after from",
            });
        }
        if (p.to - p.from).num_days() > MAX_PERIOD_DAYS {
            return Err(IntegrationError::ExportPeriodInvalid {
                field: "to",
                reason: "the period is at most 400 days",
            });
        }
        Ok(p)
    }
}

/// An export's rows under its kind's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub kind: ExportKind,
    pub period: Period,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn header(&self) -> Vec<&'static str> {
        self.kind.columns().iter().map(|(n, _)| *n).collect()
    }

    /// `gantry-orders-2026-01-01-2026-02-01.csv` (times other than midnight as `…T103000Z`).
    pub fn file_name(&self, format: ExportFormat) -> String {
        let d = |t: DateTime<Utc>| {
            if t.time() == chrono::NaiveTime::MIN {
                t.format("%Y-%m-%d").to_string()
            } else {
                t.format("%Y-%m-%dT%H%M%SZ").to_string()
            }
        };
        format!(
            "gantry-{}-{}-{}.{}",
            self.kind.as_str(),
            d(self.period.from),
            d(self.period.to),
            format.as_str()
        )
    }

    /// The table as CSV (RFC 4180, CRLF).
    pub fn to_csv(&self) -> String {
        csv(
            &self.header(),
            self.rows
                .iter()
                .map(|r| r.iter().map(Cell::csv_text).collect::<Vec<_>>()),
        )
    }

    /// The table as an XLSX workbook of one sheet named after the kind.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, IntegrationError> {
        xlsx::workbook(self.kind.as_str(), &self.header(), &self.rows)
    }

    /// The file in `format`.
    pub fn render(&self, format: ExportFormat) -> Result<Vec<u8>, IntegrationError> {
        match format {
            ExportFormat::Csv => Ok(self.to_csv().into_bytes()),
            ExportFormat::Xlsx => self.to_xlsx(),
        }
    }
}

/// A minimal XLSX (Office Open XML SpreadsheetML) writer: one worksheet of inline strings and
/// numbers, deflated into an in-memory zip with fixed timestamps (the same table gives the
/// same bytes).
pub mod xlsx {
    use std::fmt::Write as _;
    use std::io::{Cursor, Write};

    use super::{Cell, IntegrationError};

    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
    const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
    const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

    /// The column letters of a 0-based index (`0` → `A`, `26` → `AA`).
    pub fn column(mut i: usize) -> String {
        let mut s = Vec::new();
        loop {
            s.push(b'A' + (i % 26) as u8);
            if i < 26 {
                break;
            }
            i = i / 26 - 1;
        }
        s.reverse();
        String::from_utf8_lossy(&s).into_owned()
    }

    /// Escapes text for XML, dropping characters XML 1.0 cannot hold.
    pub fn escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\t' | '\n' | '\r' => out.push(c),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                c => out.push(c),
            }
        }
        out
    }

    fn text_cell(out: &mut String, r: &str, s: &str, style: &str) {
        let space = if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
            " xml:space=\"preserve\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<c r=\"{r}\"{style} t=\"inlineStr\"><is><t{space}>{}</t></is></c>",
            escape(s)
        );
    }

    fn sheet(header: &[&str], rows: &[Vec<Cell>]) -> String {
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        );
        out.push_str("<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews><sheetData>");
        out.push_str("<row r=\"1\">");
        for (i, h) in header.iter().enumerate() {
            text_cell(&mut out, &format!("{}1", column(i)), h, " s=\"1\"");
        }
        out.push_str("</row>");
        for (n, row) in rows.iter().enumerate() {
            let r = n + 2;
            let _ = write!(out, "<row r=\"{r}\">");
            for (i, c) in row.iter().enumerate() {
                let at = format!("{}{r}", column(i));
                match c {
                    Cell::Empty => {}
                    Cell::Int(v) => {
                        let _ = write!(out, "<c r=\"{at}\"><v>{v}</v></c>");
                    }
                    Cell::Text(s) => text_cell(&mut out, &at, s, ""),
                }
            }
            out.push_str("</row>");
        }
        out.push_str("</sheetData></worksheet>");
        out
    }

    /// A workbook of one sheet `name` (at most 31 characters) with a bold header row.
    pub fn workbook(name: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, IntegrationError> {
        let name: String = name.chars().take(31).collect();
        let workbook = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"{}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
            escape(&name)
        );
        let sheet = sheet(header, rows);
        let fail = |e: &dyn std::fmt::Display| IntegrationError::ExportFailed(e.to_string());
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::DEFAULT);
        for (path, body) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
            ("xl/worksheets/sheet1.xml", sheet.as_str()),
        ] {
            z.start_file(path, opts).map_err(|e| fail(&e))?;
            z.write_all(body.as_bytes()).map_err(|e| fail(&e))?;
        }
        Ok(z.finish().map_err(|e| fail(&e))?.into_inner())
    }
}
