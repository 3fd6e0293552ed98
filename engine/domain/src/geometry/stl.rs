//! STL, binary and ASCII.
//!
//! Binary: 80-byte header, little-endian u32 triangle count, then 50 bytes per triangle (normal,
//! three corners as f32 x/y/z, u16 attribute). ASCII: `solid name`, then `facet normal .. / outer
//! loop / vertex x y z (x3) / endloop / endfacet`, closed by `endsolid`.
//!
//! Telling them apart: text that starts with `solid` is ASCII; anything else whose size matches
//! its header count is binary (binary files may also start with `solid`, but their count bytes are
//! not text). Stored normals are ignored: orientation comes from the winding.

use super::weld::MeshBuilder;
use super::{
    GeometryError, Mesh, ModelFormat, ParseLimits, check_triangle_limit, describe_content, foreign_magic,
    looks_like_text, parse_coord,
};

const HEADER: usize = 84;
const RECORD: usize = 50;

pub(super) fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    if starts_with_solid(bytes) && looks_like_text(bytes) {
        return parse_ascii(bytes, limits);
    }
    let binary_size_matches = header_count(bytes).is_some_and(|n| expected_size(n) == bytes.len() as u64);
    if !binary_size_matches && (foreign_magic(bytes).is_some() || looks_like_text(bytes)) {
        return Err(GeometryError::FormatMismatch {
            expected: ModelFormat::Stl,
            found: describe_content(bytes),
        });
    }
    parse_binary(bytes, limits)
}

fn starts_with_solid(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes
        .get(start..start + 5)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"solid"))
}

fn header_count(bytes: &[u8]) -> Option<u32> {
    let b: [u8; 4] = bytes.get(80..84)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

fn expected_size(count: u32) -> u64 {
    HEADER as u64 + RECORD as u64 * u64::from(count)
}

fn parse_binary(bytes: &[u8], limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    let Some(count) = header_count(bytes) else {
        return Err(GeometryError::Truncated(format!(
            "binary STL is {} bytes, shorter than its 84-byte header",
            bytes.len()
        )));
    };
    let actual = bytes.len() as u64;
    let expected = expected_size(count);
    if actual != expected {
        let body = actual - HEADER as u64;
        if actual < expected && !body.is_multiple_of(RECORD as u64) {
            return Err(GeometryError::Truncated(format!(
                "binary STL ends inside triangle {} of the {count} its header declares",
                body / RECORD as u64 + 1
            )));
        }
        return Err(GeometryError::CountMismatch {
            declared: u64::from(count),
            expected_bytes: expected,
            actual_bytes: actual,
        });
    }
    if count == 0 {
        return Err(GeometryError::Empty(
            "binary STL header declares 0 triangles".to_string(),
        ));
    }
    check_triangle_limit(u64::from(count), limits)?;
    let mut builder = MeshBuilder::with_capacity(count as usize);
    builder.begin_object();
    let body = bytes.get(HEADER..).unwrap_or_default();
    // Batches of triangles: decode and check a batch, warm the weld table for it, then weld.
    const BATCH: usize = 16;
    let mut corners = [[0.0f32; 3]; 3 * BATCH];
    for (b, batch) in body.chunks(RECORD * BATCH).enumerate() {
        let mut n = 0;
        for record in batch.chunks_exact(RECORD) {
            let Ok(r) = <&[u8; RECORD]>::try_from(record) else {
                continue;
            };
            let f = |at: usize| f32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]]);
            let triangle = [
                [f(12), f(16), f(20)],
                [f(24), f(28), f(32)],
                [f(36), f(40), f(44)],
            ];
            if triangle.iter().flatten().any(|c| !c.is_finite()) {
                return Err(GeometryError::NonFinite(format!(
                    "binary STL triangle {}",
                    b * BATCH + n / 3 + 1
                )));
            }
            if let Some(dst) = corners.get_mut(n..n + 3) {
                dst.copy_from_slice(&triangle);
            }
            n += 3;
        }
        let decoded = corners.get(..n).unwrap_or_default();
        builder.warm(decoded);
        for t in decoded.chunks_exact(3) {
            if let &[a, b, c] = t {
                builder.triangle_at(a, b, c);
            }
        }
    }
    Ok(builder.finish())
}

/// Whitespace-separated tokens with line numbers.
struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !b.is_ascii_whitespace() {
                break;
            }
            if b == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(|b| !b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.bytes.get(start..self.pos).filter(|t| !t.is_empty())
    }

    fn skip_line(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next token, which must be `word` (case-insensitive).
    fn expect(&mut self, word: &str) -> Result<(), GeometryError> {
        match self.next() {
            Some(t) if t.eq_ignore_ascii_case(word.as_bytes()) => Ok(()),
            Some(t) => Err(self.unexpected(word, t)),
            None => Err(self.eof(word)),
        }
    }

    fn unexpected(&self, wanted: &str, found: &[u8]) -> GeometryError {
        GeometryError::Malformed(format!(
            "ASCII STL line {}: expected `{wanted}`, found {:?}",
            self.line,
            String::from_utf8_lossy(found)
                .chars()
                .take(40)
                .collect::<String>()
        ))
    }

    fn eof(&self, wanted: &str) -> GeometryError {
        GeometryError::Truncated(format!(
            "ASCII STL ends at line {} where `{wanted}` was expected",
            self.line
        ))
    }
}

fn parse_ascii(bytes: &[u8], limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    let mut tokens = Tokens {
        bytes,
        pos: 0,
        line: 1,
    };
    // A rough size hint: an ASCII facet takes at least ~100 bytes.
    let mut builder = MeshBuilder::with_capacity((bytes.len() / 128).min(limits.max_triangles));
    let mut solids = 0u32;
    loop {
        match tokens.next() {
            None if solids > 0 => break,
            None => return Err(tokens.eof("solid")),
            Some(t) if t.eq_ignore_ascii_case(b"solid") => {}
            Some(t) => return Err(tokens.unexpected("solid", t)),
        }
        // The rest of the line is the solid's name, which may contain spaces.
        tokens.skip_line();
        builder.begin_object();
        solids += 1;
        loop {
            match tokens.next() {
                Some(t) if t.eq_ignore_ascii_case(b"endsolid") => {
                    tokens.skip_line();
                    break;
                }
                Some(t) if t.eq_ignore_ascii_case(b"facet") => facet(&mut tokens, &mut builder, limits)?,
                Some(t) => return Err(tokens.unexpected("facet` or `endsolid", t)),
                None => return Err(tokens.eof("endsolid")),
            }
        }
    }
    if builder.triangle_count() == 0 {
        return Err(GeometryError::Empty("ASCII STL has no facets".to_string()));
    }
    Ok(builder.finish())
}

/// One facet after its `facet` keyword; polygons with more than three vertices are fan-triangulated.
fn facet(
    tokens: &mut Tokens<'_>,
    builder: &mut MeshBuilder,
    limits: &ParseLimits,
) -> Result<(), GeometryError> {
    tokens.expect("normal")?;
    for _ in 0..3 {
        // Stored normals are ignored, but must still be numbers (NaN normals are common: allowed).
        match tokens.next() {
            Some(_) => {}
            None => return Err(tokens.eof("normal component")),
        }
    }
    tokens.expect("outer")?;
    tokens.expect("loop")?;
    let mut corners: Vec<u32> = Vec::with_capacity(3);
    loop {
        match tokens.next() {
            Some(t) if t.eq_ignore_ascii_case(b"vertex") => {
                let mut v = [0.0f32; 3];
                for c in &mut v {
                    let line = tokens.line;
                    let token = tokens.next().ok_or_else(|| tokens.eof("coordinate"))?;
                    *c = parse_coord(token, || format!("ASCII STL line {line}"))?;
                }
                corners.push(builder.vertex(v));
            }
            Some(t) if t.eq_ignore_ascii_case(b"endloop") => break,
            Some(t) => return Err(tokens.unexpected("vertex` or `endloop", t)),
            None => return Err(tokens.eof("endloop")),
        }
    }
    tokens.expect("endfacet")?;
    if !builder.polygon(&corners, limits)? {
        return Err(GeometryError::Malformed(format!(
            "ASCII STL line {}: facet with {} vertices (at least 3 needed)",
            tokens.line,
            corners.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;

    fn code(bytes: &[u8]) -> &'static str {
        match parse(bytes, &ParseLimits::default()) {
            Ok(_) => "OK",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn small_inputs_are_classified_without_panicking() {
        let cases: &[(&[u8], &str)] = &[
                        (b"solid", "MODEL_TRUNCATED"),
            (b"solid x\nendsolid x\n", "MODEL_EMPTY"),
            (b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\n", "OK"),
            (b"SOLID x\nFACET NORMAL 0 0 1 OUTER LOOP VERTEX 0 0 0 VERTEX 1 0 0 VERTEX 0 1 0 ENDLOOP ENDFACET\nENDSOLID\n", "OK"),
            (b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 endloop endfacet\nendsolid\n", "MODEL_MALFORMED"),
            (b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 nan vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\n", "MODEL_NON_FINITE"),
            (b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\n", "MODEL_TRUNCATED"),
            (b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\nhello", "MODEL_MALFORMED"),
            (b"hello world", "MODEL_FORMAT_MISMATCH"),
            (&[0u8; 40], "MODEL_TRUNCATED"),
            (&[0u8; 84], "MODEL_EMPTY"),
            (&[0u8; 85], "MODEL_COUNT_MISMATCH"),
        ];
        for (bytes, want) in cases {
            assert_eq!(code(bytes), *want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn ascii_polygons_are_fan_triangulated_and_solids_counted() {
        let text = b"solid a\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 1 1 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid a\nsolid b\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid b\n";
        let mesh = parse(text, &ParseLimits::default()).unwrap();
        assert_eq!(mesh.triangles, vec![[0, 1, 2], [0, 2, 3], [4, 5, 6]]);
        assert_eq!(mesh.objects, 2);
    }
}
