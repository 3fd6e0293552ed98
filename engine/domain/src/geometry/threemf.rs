//! 3MF: a zip (OPC package) whose model part (`3D/3dmodel.model`, or the target of the
//! `3dmodel` relationship in `_rels/.rels`) is XML: `<resources>` with `<object>`s holding a
//! `<mesh>` (`<vertex x y z>`, `<triangle v1 v2 v3>`) or `<components>` (other objects with a
//! transform), and a `<build>` of `<item objectid transform>`. Each build item becomes one object
//! of the mesh, transformed and converted from the model's `unit` to millimetres.
//!
//! Zip bombs: every part read is checked on its declared size (against the limit and for an
//! implausible compression ratio) and on the bytes it actually inflates to, which may not exceed
//! what it declared; reading stops at the first byte too many.

use super::weld::MeshBuilder;
use super::{GeometryError, Mesh, ModelFormat, ParseLimits, check_triangle_limit, describe_content};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{Cursor, Read};

const DEFAULT_MODEL_PART: &str = "3D/3dmodel.model";
const RELS_PART: &str = "_rels/.rels";
const MAX_NESTING: usize = 32;
/// Most object placements (build items plus component references) resolved, against instancing bombs.
const MAX_PLACEMENTS: usize = 1_000_000;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

pub(super) fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    if !bytes.starts_with(b"PK\x03\x04") && !bytes.starts_with(b"PK\x05\x06") {
        return Err(GeometryError::FormatMismatch {
            expected: ModelFormat::ThreeMf,
            found: format!("it is not a zip archive: {}", describe_content(bytes)),
        });
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        if has_end_of_central_directory(bytes) {
            GeometryError::Malformed(format!("unreadable zip archive: {e}"))
        } else {
            GeometryError::Truncated("zip archive has no end-of-central-directory record".to_string())
        }
    })?;
    let model_part = match find_part(&archive, RELS_PART) {
        Some(index) => {
            let rels = read_part(&mut archive, index, RELS_PART, limits)?;
            model_target(&rels)?.unwrap_or_else(|| DEFAULT_MODEL_PART.to_string())
        }
        None => DEFAULT_MODEL_PART.to_string(),
    };
    let index =
        find_part(&archive, &model_part).ok_or_else(|| GeometryError::MissingPart(model_part.clone()))?;
    let xml = read_part(&mut archive, index, &model_part, limits)?;
    let model = parse_model(&xml, limits)?;
    build(&model, limits)
}

fn has_end_of_central_directory(bytes: &[u8]) -> bool {
    let tail = bytes.len().saturating_sub(65_557);
    bytes
        .get(tail..)
        .is_some_and(|t| t.windows(4).any(|w| w == b"PK\x05\x06"))
}

/// The index of part `name` (leading `/` ignored; exact match first, then case-insensitive).
fn find_part(archive: &Archive<'_>, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('/');
    archive.index_for_name(name).or_else(|| {
        archive
            .file_names_raw()
            .position(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            .and_then(|p| archive.name_for_index(p).map(|_| p))
    })
}

/// Inflates one part, refusing it before reading when its declared size or compression ratio is
/// implausible, and while reading when it produces more than it declared.
fn read_part(
    archive: &mut Archive<'_>,
    index: usize,
    name: &str,
    limits: &ParseLimits,
) -> Result<Vec<u8>, GeometryError> {
    let mut file = archive
        .by_index(index)
        .map_err(|e| GeometryError::Malformed(format!("3MF part `{name}` cannot be opened: {e}")))?;
    if file.encrypted() {
        return Err(GeometryError::Malformed(format!(
            "3MF part `{name}` is encrypted"
        )));
    }
    let declared = file.size();
    let compressed = file.compressed_size();
    if declared > limits.max_uncompressed_bytes {
        return Err(GeometryError::ArchiveBomb(format!(
            "part `{name}` declares {declared} bytes uncompressed, over the limit of {}",
            limits.max_uncompressed_bytes
        )));
    }
    if declared > ParseLimits::RATIO_CHECK_ABOVE_BYTES
        && declared / compressed.max(1) > ParseLimits::MAX_COMPRESSION_RATIO
    {
        return Err(GeometryError::ArchiveBomb(format!(
            "part `{name}` expands {}:1 ({compressed} bytes to {declared}), over the {}:1 limit",
            declared / compressed.max(1),
            ParseLimits::MAX_COMPRESSION_RATIO
        )));
    }
    let mut out = Vec::with_capacity(usize::try_from(declared.min(16 << 20)).unwrap_or(0));
    let read = (&mut file).take(declared.saturating_add(1)).read_to_end(&mut out);
    // Check the size first: a reader that stops at the declared size reports the overrun as an error.
    if out.len() as u64 > declared {
        return Err(overrun(name, declared));
    }
    if let Err(e) = read {
        // The zip reader itself stops at the declared size ("File is larger than its declared
        // uncompressed size"); that is the same overrun.
        let message = e.to_string().to_ascii_lowercase();
        if message.contains("declared") || message.contains("limit") {
            return Err(overrun(name, declared));
        }
        return Err(GeometryError::Malformed(format!(
            "3MF part `{name}` cannot be inflated: {e}"
        )));
    }
    if (out.len() as u64) < declared {
        return Err(GeometryError::Truncated(format!(
            "3MF part `{name}` inflates to {} bytes, less than the {declared} it declares",
            out.len()
        )));
    }
    Ok(out)
}

fn overrun(name: &str, declared: u64) -> GeometryError {
    GeometryError::ArchiveBomb(format!(
        "part `{name}` inflates beyond the {declared} bytes it declares"
    ))
}

fn xml_error(part: &str, reader: &quick_xml::Reader<&[u8]>, e: impl std::fmt::Display) -> GeometryError {
    GeometryError::Malformed(format!("{part} XML at byte {}: {e}", reader.error_position()))
}

/// The 3D model part named by the package relationships, if any.
fn model_target(rels: &[u8]) -> Result<Option<String>, GeometryError> {
    let mut reader = quick_xml::Reader::from_reader(rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let mut target = None;
                let mut is_model = false;
                for attr in e.attributes().flatten() {
                    match attr.key.local_name().as_ref() {
                        b"Target" => target = Some(String::from_utf8_lossy(&attr.value).into_owned()),
                        b"Type" => is_model = attr.value.ends_with(b"/3dmodel"),
                        _ => {}
                    }
                }
                if is_model && let Some(t) = target {
                    return Ok(Some(t.trim_start_matches('/').to_string()));
                }
            }
            Ok(Event::Eof) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(xml_error(RELS_PART, &reader, e)),
        }
    }
}

/// Row-vector affine transform as 3MF writes it: `m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Transform([f64; 12]);

impl Transform {
    const IDENTITY: Transform = Transform([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);

    fn parse(text: &[u8]) -> Result<Transform, GeometryError> {
        let bad = || {
            GeometryError::Malformed(format!(
                "3MF transform {:?} is not 12 numbers",
                String::from_utf8_lossy(text).chars().take(80).collect::<String>()
            ))
        };
        let text = std::str::from_utf8(text).map_err(|_| bad())?;
        let mut m = [0.0f64; 12];
        let mut parts = text.split_ascii_whitespace();
        for slot in &mut m {
            *slot = parts.next().and_then(|p| p.parse::<f64>().ok()).ok_or_else(bad)?;
            if !slot.is_finite() {
                return Err(GeometryError::NonFinite(format!("3MF transform {text:?}")));
            }
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Transform(m))
    }

    fn apply(&self, [x, y, z]: [f64; 3]) -> [f64; 3] {
        let m = &self.0;
        [
            x * m[0] + y * m[3] + z * m[6] + m[9],
            x * m[1] + y * m[4] + z * m[7] + m[10],
            x * m[2] + y * m[5] + z * m[8] + m[11],
        ]
    }

    /// `self` first, then `then`.
    fn then(&self, then: &Transform) -> Transform {
        let rows = [0, 3, 6].map(|r| [self.0[r], self.0[r + 1], self.0[r + 2]]);
        let t = &then.0;
        let linear = |[x, y, z]: [f64; 3]| {
            [
                x * t[0] + y * t[3] + z * t[6],
                x * t[1] + y * t[4] + z * t[7],
                x * t[2] + y * t[5] + z * t[8],
            ]
        };
        let [r0, r1, r2] = rows.map(linear);
        let r3 = then.apply([self.0[9], self.0[10], self.0[11]]);
        Transform([
            r0[0], r0[1], r0[2], r1[0], r1[1], r1[2], r2[0], r2[1], r2[2], r3[0], r3[1], r3[2],
        ])
    }

    /// A mirroring transform turns the winding inside out.
    fn mirrors(&self) -> bool {
        let m = &self.0;
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6]);
        det < 0.0
    }
}

#[derive(Debug, Default)]
struct Object {
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
    components: Vec<(u32, Transform)>,
}

#[derive(Debug)]
struct Model {
    /// Millimetres per model unit.
    scale: f64,
    objects: HashMap<u32, Object>,
    items: Vec<(u32, Transform)>,
}

fn unit_scale(unit: &[u8]) -> Option<f64> {
    Some(match unit {
        b"micron" => 0.001,
        b"millimeter" => 1.0,
        b"centimeter" => 10.0,
        b"inch" => 25.4,
        b"foot" => 304.8,
        b"meter" => 1000.0,
        _ => return None,
    })
}

fn attr<'a>(e: &'a BytesStart<'_>, name: &[u8]) -> Option<std::borrow::Cow<'a, [u8]>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value)
}

fn required<'a>(e: &'a BytesStart<'_>, name: &str) -> Result<std::borrow::Cow<'a, [u8]>, GeometryError> {
    attr(e, name.as_bytes()).ok_or_else(|| {
        GeometryError::Malformed(format!(
            "3MF <{}> without its `{name}` attribute",
            String::from_utf8_lossy(e.local_name().as_ref())
        ))
    })
}

fn integer(e: &BytesStart<'_>, name: &str) -> Result<u32, GeometryError> {
    let value = required(e, name)?;
    std::str::from_utf8(&value)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .ok_or_else(|| {
            GeometryError::Malformed(format!(
                "3MF attribute {name}={:?} is not a non-negative integer",
                String::from_utf8_lossy(&value)
                    .chars()
                    .take(40)
                    .collect::<String>()
            ))
        })
}

fn parse_model(xml: &[u8], limits: &ParseLimits) -> Result<Model, GeometryError> {
    let part = "3MF model";
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut model = Model {
        scale: 1.0,
        objects: HashMap::new(),
        items: Vec::new(),
    };
    let mut seen_model = false;
    let mut current: Option<(u32, Object)> = None;
    let mut in_build = false;
    let mut depth = 0usize;
    let mut parsed_triangles = 0u64;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, &reader, e))?;
        let (element, is_start) = match event {
            Event::Start(e) => {
                depth += 1;
                (e, true)
            }
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    b"object" => {
                        if let Some((id, object)) = current.take() {
                            model.objects.insert(id, object);
                        }
                    }
                    b"build" => in_build = false,
                    _ => {}
                }
                continue;
            }
            Event::Eof if depth > 0 => {
                return Err(GeometryError::Truncated(
                    "3MF model XML ends before its elements are closed".to_string(),
                ));
            }
            Event::Eof => break,
            _ => continue,
        };
        match element.local_name().as_ref() {
            b"model" => {
                seen_model = true;
                if let Some(unit) = attr(&element, b"unit") {
                    model.scale = unit_scale(&unit).ok_or_else(|| {
                        GeometryError::Malformed(format!(
                            "3MF model unit {:?} is not one of micron, millimeter, centimeter, inch, foot, meter",
                            String::from_utf8_lossy(&unit).chars().take(40).collect::<String>()
                        ))
                    })?;
                }
            }
            b"object" => {
                let id = integer(&element, "id")?;
                if model.objects.contains_key(&id) {
                    return Err(GeometryError::Malformed(format!(
                        "3MF object id {id} is defined twice"
                    )));
                }
                let object = Object::default();
                if is_start {
                    current = Some((id, object));
                } else {
                    model.objects.insert(id, object);
                }
            }
            b"vertex" => {
                if let Some((id, object)) = current.as_mut() {
                    let mut p = [0.0f32; 3];
                    for (c, name) in p.iter_mut().zip(["x", "y", "z"]) {
                        let value = required(&element, name)?;
                        let n = object.vertices.len();
                        *c = super::parse_coord(&value, || format!("3MF object {id} vertex {n} {name}"))?;
                    }
                    object.vertices.push(p);
                }
            }
            b"triangle" => {
                if let Some((id, object)) = current.as_mut() {
                    let t = [
                        integer(&element, "v1")?,
                        integer(&element, "v2")?,
                        integer(&element, "v3")?,
                    ];
                    if let Some(bad) = t.iter().find(|&&v| v as usize >= object.vertices.len()) {
                        return Err(GeometryError::Malformed(format!(
                            "3MF object {id} triangle {} refers to vertex {bad}, but the object has {} vertices",
                            object.triangles.len(),
                            object.vertices.len()
                        )));
                    }
                    parsed_triangles += 1;
                    check_triangle_limit(parsed_triangles, limits)?;
                    object.triangles.push(t);
                }
            }
            b"component" => {
                if let Some((_, object)) = current.as_mut() {
                    let target = integer(&element, "objectid")?;
                    let transform = match attr(&element, b"transform") {
                        Some(t) => Transform::parse(&t)?,
                        None => Transform::IDENTITY,
                    };
                    object.components.push((target, transform));
                }
            }
            b"build" => in_build = is_start,
            b"item" if in_build => {
                let target = integer(&element, "objectid")?;
                let transform = match attr(&element, b"transform") {
                    Some(t) => Transform::parse(&t)?,
                    None => Transform::IDENTITY,
                };
                model.items.push((target, transform));
            }
            _ => {}
        }
    }
    if !seen_model {
        return Err(GeometryError::Malformed(
            "3MF model part has no <model> element".to_string(),
        ));
    }
    Ok(model)
}

/// Places every build item into one mesh, in millimetres.
fn build(model: &Model, limits: &ParseLimits) -> Result<Mesh, GeometryError> {
    if model.items.is_empty() {
        return Err(GeometryError::Empty("3MF build has no items".to_string()));
    }
    let unit = Transform([
        model.scale,
        0.0,
        0.0,
        0.0,
        model.scale,
        0.0,
        0.0,
        0.0,
        model.scale,
        0.0,
        0.0,
        0.0,
    ]);
    let hint = model.objects.values().map(|o| o.triangles.len()).sum::<usize>();
    let mut builder = MeshBuilder::with_capacity(hint.min(limits.max_triangles));
    let mut placements = 0usize;
    for (id, transform) in &model.items {
        builder.begin_object();
        let mut placer = Placer {
            model,
            limits,
            builder: &mut builder,
            placements: &mut placements,
        };
        placer.place(*id, &transform.then(&unit), 0)?;
    }
    if builder.triangle_count() == 0 {
        return Err(GeometryError::Empty(
            "3MF build items hold no triangles".to_string(),
        ));
    }
    Ok(builder.finish())
}

struct Placer<'a> {
    model: &'a Model,
    limits: &'a ParseLimits,
    builder: &'a mut MeshBuilder,
    placements: &'a mut usize,
}

impl Placer<'_> {
    fn place(&mut self, id: u32, transform: &Transform, depth: usize) -> Result<(), GeometryError> {
        *self.placements += 1;
        if *self.placements > MAX_PLACEMENTS {
            return Err(GeometryError::TooLarge {
                triangles: self.builder.triangle_count() as u64,
                limit: self.limits.max_triangles as u64,
            });
        }
        if depth > MAX_NESTING {
            return Err(GeometryError::Malformed(format!(
                "3MF components nest deeper than {MAX_NESTING} levels (a cycle through object {id}?)"
            )));
        }
        let object = self.model.objects.get(&id).ok_or_else(|| {
            GeometryError::Malformed(format!("3MF build refers to object {id}, which is not defined"))
        })?;
        if !object.triangles.is_empty() {
            check_triangle_limit(
                (self.builder.triangle_count() + object.triangles.len()) as u64,
                self.limits,
            )?;
            // Transform and weld each vertex once per placement, or only the referenced ones when
            // most are unreferenced: the work per placement stays within three per triangle, which
            // the triangle limit bounds (an object with a huge vertex list and one triangle placed
            // many times cannot stall the parser).
            const UNSET: u32 = u32::MAX - 1;
            let dense = object.vertices.len() <= 3 * object.triangles.len();
            let mut indices = vec![UNSET; if dense { object.vertices.len() } else { 0 }];
            let mut sparse: HashMap<u32, u32> = HashMap::new();
            let mirrored = transform.mirrors();
            for t in &object.triangles {
                let mut corners = [0u32; 3];
                for (corner, &i) in corners.iter_mut().zip(t) {
                    let known = if dense {
                        indices.get(i as usize).copied().filter(|&x| x != UNSET)
                    } else {
                        sparse.get(&i).copied()
                    };
                    *corner = match known {
                        Some(x) => x,
                        None => {
                            let v = object.vertices.get(i as usize).copied().unwrap_or_default();
                            let p = transform.apply(v.map(f64::from)).map(|c| c as f32);
                            if p.iter().any(|c| !c.is_finite()) {
                                return Err(GeometryError::NonFinite(format!(
                                    "3MF object {id} overflows once transformed"
                                )));
                            }
                            let x = self.builder.vertex(p);
                            if let Some(slot) = indices.get_mut(i as usize) {
                                *slot = x;
                            } else {
                                sparse.insert(i, x);
                            }
                            x
                        }
                    };
                }
                let [a, b, c] = corners;
                self.builder
                    .triangle(if mirrored { [a, c, b] } else { [a, b, c] });
            }
        }
        for (child, local) in &object.components {
            self.place(*child, &local.then(transform), depth + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit cube with unreferenced vertices in between, placed as modelled, mirrored, and as a
    /// component of a scaled assembly: every placement stays outward-facing and closed.
    #[test]
    fn placements_mirror_nest_and_skip_unreferenced_vertices() {
        let corners = [
            [0, 0, 0],
            [1, 0, 0],
            [1, 1, 0],
            [0, 1, 0],
            [0, 0, 1],
            [1, 0, 1],
            [1, 1, 1],
            [0, 1, 1],
        ];
        let quads = [
            [0, 3, 2, 1],
            [4, 5, 6, 7],
            [0, 1, 5, 4],
            [2, 3, 7, 6],
            [0, 4, 7, 3],
            [1, 2, 6, 5],
        ];
        let mut xml = String::from(r#"<model unit="centimeter"><resources><object id="1"><mesh><vertices>"#);
        for (n, [x, y, z]) in corners.iter().enumerate() {
            xml += &format!(r#"<vertex x="{x}" y="{y}" z="{z}"/>"#);
            for _ in 0..(n * 5) {
                xml += r#"<vertex x="99" y="99" z="99"/>"#;
            }
        }
        // Vertex n of the cube sits at file index n + 5 * n * (n - 1) / 2.
        let at = |n: usize| n + 5 * n * n.saturating_sub(1) / 2;
        xml += "</vertices><triangles>";
        for [a, b, c, d] in quads {
            let [a, b, c, d] = [a, b, c, d].map(at);
            xml +=
                &format!(r#"<triangle v1="{a}" v2="{b}" v3="{c}"/><triangle v1="{a}" v2="{c}" v3="{d}"/>"#);
        }
        xml += r#"</triangles></mesh></object><object id="2"><components>"#;
        xml += r#"<component objectid="1" transform="2 0 0 0 2 0 0 0 2 0 0 0"/></components></object>"#;
        xml += r#"</resources><build><item objectid="1"/><item objectid="1" transform="-1 0 0 0 1 0 0 0 1 -5 0 0"/>"#;
        xml += r#"<item objectid="2" transform="1 0 0 0 1 0 0 0 1 5 0 0"/></build></model>"#;
        let limits = ParseLimits::default();
        let mesh = build(&parse_model(xml.as_bytes(), &limits).unwrap(), &limits).unwrap();
        assert_eq!(mesh.objects, 3);
        assert_eq!(
            mesh.vertices.len(),
            24,
            "only referenced vertices, welded per object"
        );
        let a = super::super::analyse(ModelFormat::ThreeMf, &mesh).unwrap();
        // 10 mm cube, its mirror image, and a 20 mm cube: 1000 + 1000 + 8000 mm3.
        assert!((a.volume_mm3 - 10_000.0).abs() < 1e-6, "{}", a.volume_mm3);
        assert!(
            a.closed && a.consistently_oriented && a.warnings.is_empty(),
            "{:?}",
            a.warnings
        );
        assert_eq!(a.bbox_min, [-60.0, 0.0, 0.0]);
        assert_eq!(a.bbox_max, [70.0, 20.0, 20.0]);
    }

    #[test]
    fn transforms_compose_in_3mf_row_vector_order() {
        let scale2 = Transform([2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
        let shift = Transform([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 10.0, 0.0, 0.0]);
        let p = [1.0, 1.0, 1.0];
        assert_eq!(scale2.then(&shift).apply(p), [12.0, 2.0, 2.0]);
        assert_eq!(shift.then(&scale2).apply(p), [22.0, 2.0, 2.0]);
        // A 90 degree turn about z: x -> y.
        let turn = Transform::parse(b"0 1 0 -1 0 0 0 0 1 0 0 0").unwrap();
        assert_eq!(turn.apply([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0]);
        assert!(!turn.mirrors());
        assert!(Transform::parse(b"-1 0 0 0 1 0 0 0 1 0 0 0").unwrap().mirrors());
        assert!(Transform::parse(b"1 0 0").is_err());
        assert!(Transform::parse(b"1 0 0 0 1 0 0 0 1 0 0 0 5").is_err());
        assert!(matches!(
            Transform::parse(b"1 0 0 0 1 0 0 0 1 0 0 inf"),
            Err(GeometryError::NonFinite(_))
        ));
    }
}
