//! Wavefront OBJ: `v x y z` vertices and `f` faces (1-based indices, negative ones count back from
//! the latest vertex; `i/t/n` forms take the position index). Polygons are fan-triangulated.
//! Other statements (normals, texture coordinates, groups, materials, curves) are ignored; `o`
//! statements count objects. Unknown content (binary data, text with no `v`/`f`) is a format mismatch.

use super::weld::MeshBuilder;
use super::{
    GeometryError, Mesh, ModelFormat, ParseLimits, describe_content, foreign_magic, looks_like_text,
    parse_coord,
};

const UNSET: u32 = u32::MAX;

pub(super) fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    if foreign_magic(bytes).is_some() || !looks_like_text(bytes) || bytes.contains(&0) {
        return Err(GeometryError::FormatMismatch {
            expected: ModelFormat::Obj,
            found: describe_content(bytes),
        });
    }
    let mut positions: Vec<[f32; 3]> = Vec::new();
    // File vertex index -> welded mesh index, filled when a face first uses the vertex, so
    // unreferenced vertices stay out of the mesh (and out of its bounding box).
    let mut welded: Vec<u32> = Vec::new();
    let mut builder = MeshBuilder::with_capacity((bytes.len() / 64).min(limits.max_triangles));
    builder.begin_object();
    let mut named_objects = 0u32;
    let mut faces_seen = false;
    let mut polygon: Vec<u32> = Vec::with_capacity(8);
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = n + 1;
        let line = raw.split(|&b| b == b'#').next().unwrap_or_default();
        let mut words = line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            b"v" => {
                let mut p = [0.0f32; 3];
                for c in &mut p {
                    let token = words.next().ok_or_else(|| {
                        GeometryError::Malformed(format!(
                            "OBJ line {line_no}: vertex with fewer than 3 coordinates"
                        ))
                    })?;
                    *c = parse_coord(token, || format!("OBJ line {line_no}"))?;
                }
                positions.push(p);
                welded.push(UNSET);
            }
            b"f" => {
                faces_seen = true;
                polygon.clear();
                for word in words {
                    let index = resolve(word, positions.len(), line_no)?;
                    let slot = welded
                        .get_mut(index)
                        .ok_or_else(|| out_of_range(line_no, index))?;
                    if *slot == UNSET {
                        *slot = builder.vertex(positions.get(index).copied().unwrap_or_default());
                    }
                    polygon.push(*slot);
                }
                if !builder.polygon(&polygon, limits)? {
                    return Err(GeometryError::Malformed(format!(
                        "OBJ line {line_no}: face with {} vertices (at least 3 needed)",
                        polygon.len()
                    )));
                }
            }
            b"o" => named_objects = named_objects.saturating_add(1),
            _ => {}
        }
    }
    if positions.is_empty() && !faces_seen {
        return Err(GeometryError::FormatMismatch {
            expected: ModelFormat::Obj,
            found: format!(
                "there is no vertex or face statement ({})",
                describe_content(bytes)
            ),
        });
    }
    if builder.triangle_count() == 0 {
        return Err(GeometryError::Empty("OBJ file has no faces".to_string()));
    }
    let mut mesh = builder.finish();
    mesh.objects = named_objects.max(1);
    Ok(mesh)
}

/// The 0-based position index of a face corner token (`i`, `i/t`, `i//n`, `i/t/n`).
fn resolve(word: &[u8], defined: usize, line_no: usize) -> Result<usize, GeometryError> {
    let first = word.split(|&b| b == b'/').next().unwrap_or_default();
    let index = std::str::from_utf8(first)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            GeometryError::Malformed(format!(
                "OBJ line {line_no}: face index {:?} is not an integer",
                String::from_utf8_lossy(word).chars().take(40).collect::<String>()
            ))
        })?;
    let defined = i64::try_from(defined).unwrap_or(i64::MAX);
    let zero_based = match index {
        0 => {
            return Err(GeometryError::Malformed(format!(
                "OBJ line {line_no}: face index 0 (indices start at 1)"
            )));
        }
        i if i > 0 => i - 1,
        i => defined.saturating_add(i),
    };
    if !(0..defined).contains(&zero_based) {
        return Err(GeometryError::Malformed(format!(
            "OBJ line {line_no}: face refers to vertex {index}, but only {defined} vertices are defined before it"
        )));
    }
    usize::try_from(zero_based).map_err(|_| out_of_range(line_no, 0))
}

fn out_of_range(line_no: usize, index: usize) -> GeometryError {
    GeometryError::Malformed(format!("OBJ line {line_no}: vertex index {index} out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;

    fn code(text: &[u8]) -> &'static str {
        match parse(text, &ParseLimits::default()) {
            Ok(_) => "OK",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn obj_statements_are_checked() {
        let cases: &[(&[u8], &str)] = &[
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "OK"),
            (b"v 0 0 0\r\nv 1 0 0\r\nv 0 1 0\r\nf -3/1 -2//4 -1/2/3\r\n", "OK"),
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "MODEL_MALFORMED"),
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "MODEL_MALFORMED"),
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "MODEL_MALFORMED"),
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", "MODEL_MALFORMED"),
            (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n", "MODEL_MALFORMED"),
            (b"v 0 0\n", "MODEL_MALFORMED"),
            (b"v 0 0 inf\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "MODEL_NON_FINITE"),
            (b"v 0 0 0\nv 1 0 0\n", "MODEL_EMPTY"),
            (b"# only a comment\n", "MODEL_FORMAT_MISMATCH"),
            (b"Dear customer, here is my model\n", "MODEL_FORMAT_MISMATCH"),
            (b"\x7fELF\x02\x01", "MODEL_FORMAT_MISMATCH"),
            (b"v 0 0 0 # comment\nv 1 0 0\nv 0 1 0\nf 1 2 3 # done\n", "OK"),
        ];
        for (text, want) in cases {
            assert_eq!(code(text), *want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn unreferenced_vertices_are_left_out_and_objects_counted() {
        let text = b"o a\nv 9 9 9\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 2 3 5 4\no b\nf 2 3 4\n";
        let mesh = parse(text, &ParseLimits::default()).unwrap();
        assert_eq!(
            mesh.vertices,
            vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert_eq!(mesh.triangles, vec![[0, 1, 2], [0, 2, 3], [0, 1, 3]]);
        assert_eq!(mesh.objects, 2);
    }
}
