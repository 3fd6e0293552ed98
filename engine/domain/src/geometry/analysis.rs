//! Mesh analysis: volume, surface area, bounding box, closedness, orientation and a units guess.
//!
//! * Volume: sum of signed tetrahedra from a reference point (the first vertex, for precision) to
//!   each triangle; the absolute value is reported and a negative sum on a consistently oriented
//!   mesh is reported as "inside out". Zero volume is an error.
//! * Closedness and orientation by edge pairing: half-edges are bucketed by their smaller vertex
//!   (counting sort, then each small bucket sorted), so for every undirected edge {a, b} we know how
//!   many triangles run a->b (`f`) and b->a (`r`). An edge with `f + r` odd is open; `f + r > 2` is
//!   non-manifold; `f != r` with `f + r >= 2` means two neighbours disagree on orientation.
//!   Linear-time apart from the per-vertex sorts, with no hashing.

use super::{GeometryError, Mesh, ModelFormat};
use serde::{Deserialize, Serialize};

/// What a file's unitless coordinates probably mean.
///
/// Rule (STL and OBJ carry no units; 3MF declares them and is always converted to millimetres):
/// with `L` the largest bounding-box extent in file units, `L < 0.5` -> metres (a part under
/// 0.5 mm is not printable, but 0.5 m is), `0.5 <= L < 4` -> inches (13 mm to 100 mm parts),
/// otherwise millimetres. A guess other than millimetres adds a warning; nothing is rescaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitsGuess {
    Millimetres,
    Inches,
    Metres,
}

impl UnitsGuess {
    /// Millimetres per file unit under this guess.
    pub fn scale_to_mm(self) -> f64 {
        match self {
            UnitsGuess::Millimetres => 1.0,
            UnitsGuess::Inches => 25.4,
            UnitsGuess::Metres => 1000.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnitsGuess::Millimetres => "millimetres",
            UnitsGuess::Inches => "inches",
            UnitsGuess::Metres => "metres",
        }
    }

    /// The guess for a model whose largest extent is `largest` file units (see the type's docs).
    pub fn from_largest_extent(largest: f64) -> UnitsGuess {
        if largest < 0.5 {
            UnitsGuess::Metres
        } else if largest < 4.0 {
            UnitsGuess::Inches
        } else {
            UnitsGuess::Millimetres
        }
    }
}

/// The measured geometry of a model, in millimetres (as the file states them, see [`UnitsGuess`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub format: ModelFormat,
    pub triangles: u64,
    pub objects: u32,
    pub volume_mm3: f64,
    pub surface_area_mm2: f64,
    pub bbox_min: [f64; 3],
    pub bbox_max: [f64; 3],
    pub size_mm: [f64; 3],
    /// Every edge is shared by an even number (normally two) of triangles.
    pub closed: bool,
    /// Neighbouring triangles agree on which side is outside.
    pub consistently_oriented: bool,
    pub units: UnitsGuess,
    /// Problems worth telling the customer that do not stop a print (open mesh, inside out, ...).
    pub warnings: Vec<String>,
}

/// Edge statistics from [`edge_report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Edges {
    pub open: u64,
    pub non_manifold: u64,
    pub inconsistent: u64,
}

/// Measures a mesh. Errors: no triangles ([`GeometryError::Empty`]), an index past the vertex
/// list or a non-finite vertex ([`GeometryError::Malformed`] / [`GeometryError::NonFinite`], only
/// for hand-built meshes: the parsers never produce them), zero volume ([`GeometryError::ZeroVolume`]).
pub fn analyse(format: ModelFormat, mesh: &Mesh) -> Result<Analysis, GeometryError> {
    if mesh.triangles.is_empty() {
        return Err(GeometryError::Empty("the mesh has no triangles".to_string()));
    }
    let vertex_count = mesh.vertices.len();
    let reference = mesh
        .triangles
        .first()
        .and_then(|t| mesh.vertices.get(t[0] as usize))
        .map(|p| p.map(f64::from))
        .unwrap_or_default();
    let mut signed6 = 0.0f64;
    let mut area2 = 0.0f64;
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    let mut degenerate = 0u64;
    for (n, t) in mesh.triangles.iter().enumerate() {
        let corner = |i: u32| {
            mesh.vertices.get(i as usize).copied().ok_or_else(|| {
                GeometryError::Malformed(format!(
                    "triangle {n} refers to vertex {i}, but the mesh has {vertex_count} vertices"
                ))
            })
        };
        let (a, b, c) = (corner(t[0])?, corner(t[1])?, corner(t[2])?);
        for p in [a, b, c] {
            for k in 0..3 {
                let v = f64::from(p[k]);
                min[k] = min[k].min(v);
                max[k] = max[k].max(v);
            }
        }
        let a = sub(a, reference);
        let b = sub(b, reference);
        let c = sub(c, reference);
        signed6 += dot(a, cross(b, c));
        let n2 = norm(cross(sub3(b, a), sub3(c, a)));
        if n2 == 0.0 || t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
            degenerate += 1;
        }
        area2 += n2;
    }
    if min.iter().chain(&max).any(|v| !v.is_finite()) || !signed6.is_finite() || !area2.is_finite() {
        return Err(GeometryError::NonFinite(
            "the mesh's coordinates overflow".to_string(),
        ));
    }
    let size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
    let signed = signed6 / 6.0;
    let volume = signed.abs();
    let diagonal = norm(size);
    if volume <= 1e-9 || volume <= 1e-6 * diagonal * diagonal * diagonal {
        return Err(GeometryError::ZeroVolume);
    }
    let edges = edge_report(mesh);
    let closed = edges.open == 0;
    let consistently_oriented = edges.inconsistent == 0;
    let mut warnings = Vec::new();
    if !closed {
        warnings.push(format!(
            "mesh is not closed: {} open edges (volume and material estimates may be off)",
            edges.open
        ));
    }
    if edges.non_manifold > 0 {
        warnings.push(format!(
            "mesh has {} non-manifold edges (shared by more than two triangles)",
            edges.non_manifold
        ));
    }
    if !consistently_oriented {
        warnings.push(format!(
            "mesh is not consistently oriented: {} edges where neighbouring triangles face opposite ways",
            edges.inconsistent
        ));
    } else if signed < 0.0 {
        warnings.push("mesh is inside out: its triangles face inward (volume taken as absolute)".to_string());
    }
    if degenerate > 0 {
        warnings.push(format!("mesh has {degenerate} degenerate (zero-area) triangles"));
    }
    let largest = size.iter().copied().fold(0.0, f64::max);
    let units = match format {
        ModelFormat::ThreeMf => UnitsGuess::Millimetres,
        ModelFormat::Stl | ModelFormat::Obj => UnitsGuess::from_largest_extent(largest),
    };
    if units != UnitsGuess::Millimetres {
        warnings.push(format!(
            "the largest dimension is only {largest:.3} file units: the file is probably in {} \
             ({:.1} mm if so), not millimetres",
            units.as_str(),
            largest * units.scale_to_mm()
        ));
    }
    Ok(Analysis {
        format,
        triangles: mesh.triangles.len() as u64,
        objects: mesh.objects,
        volume_mm3: volume,
        surface_area_mm2: area2 / 2.0,
        bbox_min: min,
        bbox_max: max,
        size_mm: size,
        closed,
        consistently_oriented,
        units,
        warnings,
    })
}

fn sub(p: [f32; 3], r: [f64; 3]) -> [f64; 3] {
    [
        f64::from(p[0]) - r[0],
        f64::from(p[1]) - r[1],
        f64::from(p[2]) - r[2],
    ]
}

fn sub3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Pairs half-edges to count open, non-manifold and inconsistently oriented edges.
///
/// Every half-edge a->b goes into the bucket of its smaller end `lo = min(a, b)` as
/// `hi << 1 | (a > b)` (a counting sort: one pass to size the buckets, one to fill them). After
/// sorting each (small) bucket, the half-edges of one undirected edge are adjacent: first the
/// `lo -> hi` ones (`f`), then the `hi -> lo` ones (`r`). Degenerate edges and indices past the
/// vertex list are skipped (the caller has already rejected the latter).
pub(super) fn edge_report(mesh: &Mesh) -> Edges {
    let v = mesh.vertices.len().min(1 << 31);
    let half_edges = || {
        mesh.triangles
            .iter()
            .flat_map(|&[a, b, c]| [(a, b), (b, c), (c, a)])
            .filter(move |&(a, b)| a != b && (a as usize) < v && (b as usize) < v)
    };
    let mut start = vec![0u32; v + 1];
    for (a, b) in half_edges() {
        if let Some(s) = start.get_mut(a.min(b) as usize + 1) {
            *s += 1;
        }
    }
    for i in 1..start.len() {
        let prev = start.get(i - 1).copied().unwrap_or(0);
        if let Some(s) = start.get_mut(i) {
            *s += prev;
        }
    }
    let mut entries = vec![0u32; start.last().copied().unwrap_or(0) as usize];
    let mut cursor = start.clone();
    for (a, b) in half_edges() {
        if let Some(slot) = cursor.get_mut(a.min(b) as usize)
            && let Some(e) = entries.get_mut(*slot as usize)
        {
            *e = (a.max(b) << 1) | u32::from(a > b);
            *slot += 1;
        }
    }
    drop(cursor);
    let mut edges = Edges::default();
    let mut rest: &mut [u32] = &mut entries;
    for w in start.windows(2) {
        let &[lo, hi] = w else { continue };
        let taken = std::mem::take(&mut rest);
        let (bucket, tail) = taken.split_at_mut((hi.saturating_sub(lo) as usize).min(taken.len()));
        rest = tail;
        sort_small(bucket);
        let mut i = 0;
        while let Some(&first) = bucket.get(i) {
            let other = first >> 1;
            let run = bucket
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&e| e >> 1 == other);
            let (mut f, mut r) = (0u64, 0u64);
            for e in run {
                if e & 1 == 0 {
                    f += 1;
                } else {
                    r += 1;
                }
            }
            i += (f + r) as usize;
            let n = f + r;
            if !n.is_multiple_of(2) {
                edges.open += 1;
            }
            if n > 2 {
                edges.non_manifold += 1;
            }
            if n >= 2 && f.abs_diff(r) >= 2 {
                edges.inconsistent += 1;
            }
        }
    }
    edges
}

/// Buckets hold a vertex's edges (about three): insertion sort beats the general sort there.
fn sort_small(bucket: &mut [u32]) {
    if bucket.len() > 16 {
        bucket.sort_unstable();
        return;
    }
    for i in 1..bucket.len() {
        let mut j = i;
        while j > 0 {
            let (Some(&prev), Some(&cur)) = (bucket.get(j - 1), bucket.get(j)) else {
                break;
            };
            if prev <= cur {
                break;
            }
            bucket.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mesh(triangles: &[[u32; 3]]) -> Mesh {
        Mesh {
            vertices: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0],
                [1.0, 1.0, 1.0],
            ],
            triangles: triangles.to_vec(),
            objects: 1,
        }
    }

    const TETRA: [[u32; 3]; 4] = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];

    #[test]
    fn edge_pairing_classifies_each_edge_once() {
        let none = Edges::default();
        let cases: &[(&[[u32; 3]], Edges)] = &[
            (&TETRA, none),
            (&[[0, 1, 2]], Edges { open: 3, ..none }),
            (&TETRA[..3], Edges { open: 3, ..none }),
            // One face flipped: its three edges now run the same way as their neighbours'.
            (
                &[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 3, 2]],
                Edges {
                    inconsistent: 3,
                    ..none
                },
            ),
            // A fin glued onto edge 0-1: that edge is used three times.
            (
                &[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3], [0, 1, 4]],
                Edges {
                    open: 3,
                    non_manifold: 1,
                    ..none
                },
            ),
            // Degenerate and out-of-range triangles are ignored by the pairing.
            (&[[0, 0, 1], [2, 3, 99]], Edges { open: 1, ..none }),
        ];
        for (triangles, want) in cases {
            assert_eq!(edge_report(&mesh(triangles)), *want, "{triangles:?}");
        }
    }

    #[test]
    fn tetrahedron_volume_area_and_orientation() {
        let a = analyse(ModelFormat::Obj, &mesh(&TETRA)).unwrap();
        assert!((a.volume_mm3 - 1.0 / 6.0).abs() < 1e-12);
        assert!((a.surface_area_mm2 - (1.5 + 3f64.sqrt() / 2.0)).abs() < 1e-9);
        assert!(a.closed && a.consistently_oriented);
        assert_eq!(a.units, UnitsGuess::Inches);
        let inverted: Vec<[u32; 3]> = TETRA.iter().map(|&[a, b, c]| [a, c, b]).collect();
        let b = analyse(ModelFormat::Obj, &mesh(&inverted)).unwrap();
        assert_eq!(b.volume_mm3, a.volume_mm3);
        assert!(
            b.warnings.iter().any(|w| w.contains("inside out")),
            "{:?}",
            b.warnings
        );
        assert_eq!(
            analyse(ModelFormat::Obj, &mesh(&[[0, 1, 7]])),
            Err(GeometryError::Malformed(
                "triangle 0 refers to vertex 7, but the mesh has 5 vertices".to_string()
            ))
        );
        assert_eq!(
            analyse(ModelFormat::Obj, &mesh(&[])).map(|_| ()),
            Err(GeometryError::Empty("the mesh has no triangles".into()))
        );
    }

    #[test]
    fn units_guess_rule() {
        let cases = [
            (0.05, UnitsGuess::Metres),
            (0.499, UnitsGuess::Metres),
            (0.5, UnitsGuess::Inches),
            (3.9, UnitsGuess::Inches),
            (4.0, UnitsGuess::Millimetres),
            (250.0, UnitsGuess::Millimetres),
        ];
        for (largest, want) in cases {
            assert_eq!(UnitsGuess::from_largest_extent(largest), want, "{largest}");
        }
    }
}
