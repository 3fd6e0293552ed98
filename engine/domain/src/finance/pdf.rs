//! A small PDF 1.4 writer (uncompressed, the standard Helvetica fonts, WinAnsi text) and the
//! invoice layout. Pure: it returns bytes; the server sends them.

use std::fmt::Write as _;

use super::{Invoice, InvoiceKind};

const PAGE_W: i64 = 595; // A4 in points
const PAGE_H: i64 = 842;

/// A text run on a page.
#[derive(Debug, Clone)]
struct Run {
    x: i64,
    y: i64,
    size: i64,
    bold: bool,
    text: String,
}

/// A document of pages of text runs and rules.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pages: Vec<Vec<Run>>,
    rules: Vec<Vec<(i64, i64, i64)>>,
    title: String,
}

/// Escapes `s` for a PDF literal string in WinAnsiEncoding (Latin-1 plus the euro sign;
/// anything else becomes `?`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            '€' => out.push_str("\\200"),
            c if (c as u32) >= 0xA0 && (c as u32) <= 0xFF => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            _ => out.push('?'),
        }
    }
    out
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document {
            pages: vec![Vec::new()],
            rules: vec![Vec::new()],
            title: title.to_string(),
        }
    }

    /// Starts a new page.
    pub fn page(&mut self) {
        self.pages.push(Vec::new());
        self.rules.push(Vec::new());
    }

    /// Writes `text` at (`x`, `y`) points from the bottom left of the current page.
    pub fn text(&mut self, x: i64, y: i64, size: i64, bold: bool, text: &str) {
        if let Some(p) = self.pages.last_mut() {
            p.push(Run {
                x,
                y,
                size,
                bold,
                text: text.to_string(),
            });
        }
    }

    /// A horizontal rule from `x0` to `x1` at `y`.
    pub fn rule(&mut self, x0: i64, x1: i64, y: i64) {
        if let Some(r) = self.rules.last_mut() {
            r.push((x0, x1, y));
        }
    }

    /// The PDF file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.pages.len();
        // Objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then per page
        // (page, contents).
        let mut objects: Vec<String> = Vec::new();
        objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
        objects.push(format!(
            "<< /Type /Pages /Kids [{}] /Count {n} >>",
            kids.join(" ")
        ));
        objects
            .push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into());
        objects.push(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".into(),
        );
        objects.push(format!(
            "<< /Title ({}) /Producer (Gantry) >>",
            escape(&self.title)
        ));
        for (i, runs) in self.pages.iter().enumerate() {
            let mut content = String::new();
            for (x0, x1, y) in self.rules.get(i).into_iter().flatten() {
                let _ = writeln!(content, "0.5 w {x0} {y} m {x1} {y} l S");
            }
            for r in runs {
                let font = if r.bold { "F2" } else { "F1" };
                let _ = writeln!(
                    content,
                    "BT /{font} {} Tf {} {} Td ({}) Tj ET",
                    r.size,
                    r.x,
                    r.y,
                    escape(&r.text)
                );
            }
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                7 + 2 * i
            ));
            objects.push(format!(
                "<< /Length {} >>\nstream\n{content}endstream",
                content.len()
            ));
        }
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for o in offsets {
            let _ = writeln!(tail, "{o:010} 00000 n ");
        }
        let _ = write!(
            tail,
            "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend_from_slice(tail.as_bytes());
        out
    }
}

/// Formats minor units as `1234.56` (two decimals).
pub fn amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Renders an invoice or credit note as a one- or multi-page A4 PDF.
pub fn render_invoice(inv: &Invoice, seller: &str) -> Vec<u8> {
    let title = match inv.kind {
        InvoiceKind::Invoice => "Invoice",
        InvoiceKind::CreditNote => "Credit note",
    };
    let mut d = Document::new(&format!("{title} {}", inv.number));
    d.text(50, 790, 20, true, &format!("{title} {}", inv.number));
    d.text(50, 765, 10, false, seller);
    d.text(
        50,
        750,
        10,
        false,
        &format!("Issued: {}", inv.issued_at.format("%Y-%m-%d")),
    );
    d.text(50, 735, 10, false, &format!("Order: {}", inv.order_id));
    d.text(320, 765, 10, true, "Bill to");
    d.text(320, 750, 10, false, &inv.customer_name);
    d.text(320, 735, 10, false, &format!("Customer no. {}", inv.customer_id));
    if let Some(of) = inv.credits_invoice_id {
        d.text(50, 720, 10, false, &format!("Credits invoice id {of}"));
    }
    let header = |d: &mut Document, y: i64| {
        d.text(50, y, 9, true, "#");
        d.text(70, y, 9, true, "Description");
        d.text(300, y, 9, true, "Qty");
        d.text(340, y, 9, true, "Unit");
        d.text(400, y, 9, true, "Tax %");
        d.text(450, y, 9, true, "Net");
        d.text(510, y, 9, true, "Gross");
        d.rule(50, 560, y - 4);
    };
    let mut y = 690;
    header(&mut d, y);
    y -= 18;
    for l in &inv.lines {
        if y < 120 {
            d.page();
            y = 790;
            header(&mut d, y);
            y -= 18;
        }
        let desc: String = l.description.chars().take(40).collect();
        d.text(50, y, 9, false, &l.line_no.to_string());
        d.text(70, y, 9, false, &desc);
        d.text(300, y, 9, false, &l.quantity.to_string());
        d.text(340, y, 9, false, &amount(l.unit_price_minor));
        d.text(400, y, 9, false, &amount(l.tax_rate_bp));
        d.text(450, y, 9, false, &amount(l.net_minor));
        d.text(510, y, 9, false, &amount(l.gross_minor));
        y -= 14;
    }
    d.rule(300, 560, y + 6);
    y -= 10;
    for (label, v, bold) in [
        ("Net", inv.net_minor, false),
        ("Tax", inv.tax_minor, false),
        ("Total", inv.total_minor, true),
    ] {
        d.text(400, y, 10, bold, label);
        d.text(480, y, 10, bold, &format!("{} {}", amount(v), inv.currency));
        y -= 15;
    }
    d.to_bytes()
}

/// The text shown by a PDF written by [`Document`] (the literal strings of its `Tj`
/// operators, unescaped; octal escapes decoded as Latin-1), one run per line. For tests and
/// checks of documents this module wrote.
pub fn extract_text(pdf: &[u8]) -> String {
    let s = String::from_utf8_lossy(pdf);
    let mut out = String::new();
    for line in s.lines() {
        let Some(start) = line.find(" Td (") else { continue };
        let Some(end) = line.rfind(") Tj") else { continue };
        let raw = &line[start + 5..end];
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let mut oct = String::new();
            while oct.len() < 3 && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                oct.extend(chars.next());
            }
            if oct.is_empty() {
                out.extend(chars.next());
            } else if oct == "200" {
                out.push('€');
            } else if let Some(ch) = u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32) {
                out.push(ch);
            }
        }
        out.push('\n');
    }
    out
}

/// Standard base64 (RFC 4648, with padding) of `bytes`, e.g. to hand a PDF over JSON.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
