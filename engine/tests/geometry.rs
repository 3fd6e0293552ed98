//! Geometry on real files: the fixtures in `tests/fixtures/models/` (made by its `generate.py`)
//! parsed and analysed end to end, every bad-input error code, fits, limits, and every fuzz seed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use expect_test::{Expect, expect};
use gantry_engine::domain::geometry::{
    self, Analysis, BuildVolume, GeometryError, ModelFormat, Orientation, ParseLimits, UnitsGuess,
};
use gantry_engine::error::Coded;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn analyse_file(name: &str) -> Result<Analysis, GeometryError> {
    geometry::parse_and_analyse(name, &read(name), &ParseLimits::default())
}

fn v3(v: [f64; 3]) -> String {
    format!("[{:.3}, {:.3}, {:.3}]", v[0], v[1], v[2])
}

fn summary(result: &Result<Analysis, GeometryError>) -> String {
    match result {
        Ok(a) => {
            let mut s = format!(
                "{} triangles={} objects={} volume={:.3} area={:.3}\nbbox={}..{} size={}\nclosed={} oriented={} units={:?}\n",
                a.format.as_str(),
                a.triangles,
                a.objects,
                a.volume_mm3,
                a.surface_area_mm2,
                v3(a.bbox_min),
                v3(a.bbox_max),
                v3(a.size_mm),
                a.closed,
                a.consistently_oriented,
                a.units,
            );
            for w in &a.warnings {
                s += &format!("warning: {w}\n");
            }
            s
        }
        Err(e) => format!("{}: {e}\n", e.code()),
    }
}

fn check(name: &str, want: Expect) {
    want.assert_eq(&summary(&analyse_file(name)));
}

#[test]
fn cube_binary() {
    check(
        "cube_20mm.stl",
        expect![[r#"
            stl triangles=12 objects=1 volume=8000.000 area=2400.000
            bbox=[0.000, 0.000, 0.000]..[20.000, 20.000, 20.000] size=[20.000, 20.000, 20.000]
            closed=true oriented=true units=Millimetres
        "#]],
    );
}

#[test]
fn cube_ascii_and_solid_header_binary_match_the_binary_cube() {
    let binary = analyse_file("cube_20mm.stl").unwrap();
    for name in ["cube_20mm_ascii.stl", "cube_20mm_solid_header.stl"] {
        assert_eq!(analyse_file(name).unwrap(), binary, "{name}");
    }
    // The header really does start with "solid", and the binary reading was chosen.
    assert!(read("cube_20mm_solid_header.stl").starts_with(b"solid"));
}

#[test]
fn sphere() {
    check(
        "sphere_r10.stl",
        expect![[r#"
            stl triangles=1280 objects=1 volume=4152.741 area=1250.649
            bbox=[-10.000, -10.000, -10.000]..[10.000, 10.000, 10.000] size=[20.000, 20.000, 20.000]
            closed=true oriented=true units=Millimetres
        "#]],
    );
    let a = analyse_file("sphere_r10.stl").unwrap();
    let ball = 4.0 / 3.0 * std::f64::consts::PI * 1000.0;
    assert!(
        (a.volume_mm3 / ball - 1.0).abs() < 0.01,
        "{} vs {ball}",
        a.volume_mm3
    );
    let skin = 4.0 * std::f64::consts::PI * 100.0;
    assert!(
        (a.surface_area_mm2 / skin - 1.0).abs() < 0.01,
        "{} vs {skin}",
        a.surface_area_mm2
    );
}

#[test]
fn two_cubes_3mf_places_build_items_with_their_transforms() {
    check(
        "two_cubes.3mf",
        expect![[r#"
            3mf triangles=24 objects=2 volume=9000.000 area=3000.000
            bbox=[0.000, 0.000, 0.000]..[40.000, 20.000, 20.000] size=[40.000, 20.000, 20.000]
            closed=true oriented=true units=Millimetres
        "#]],
    );
}

#[test]
fn three_mf_units_are_converted_to_millimetres() {
    check(
        "cube_in_inches.3mf",
        expect![[r#"
            3mf triangles=12 objects=1 volume=16387.063 area=3870.960
            bbox=[0.000, 0.000, 0.000]..[25.400, 25.400, 25.400] size=[25.400, 25.400, 25.400]
            closed=true oriented=true units=Millimetres
        "#]],
    );
    let a = analyse_file("cube_in_inches.3mf").unwrap();
    assert!((a.volume_mm3 - 25.4f64.powi(3)).abs() < 1e-2);
}

#[test]
fn obj_quads_and_negative_indices() {
    check(
        "cube_quads.obj",
        expect![[r#"
            obj triangles=12 objects=1 volume=8000.000 area=2400.000
            bbox=[0.000, 0.000, 0.000]..[20.000, 20.000, 20.000] size=[20.000, 20.000, 20.000]
            closed=true oriented=true units=Millimetres
        "#]],
    );
}

#[test]
fn obj_with_two_objects_and_pentagons() {
    check(
        "prism_and_tetrahedron.obj",
        expect![[r#"
            obj triangles=20 objects=2 volume=2544.308 area=1299.916
            bbox=[-8.090, -9.511, 0.000]..[40.000, 10.000, 10.000] size=[48.090, 19.511, 10.000]
            closed=true oriented=true units=Millimetres
        "#]],
    );
    let a = analyse_file("prism_and_tetrahedron.obj").unwrap();
    let pentagon = 2.5 * 100.0 * (72f64).to_radians().sin();
    assert!(
        (a.volume_mm3 - (pentagon * 10.0 + 1000.0 / 6.0)).abs() < 1e-3,
        "{}",
        a.volume_mm3
    );
}

#[test]
fn inch_sized_stl_is_guessed_as_inches() {
    check(
        "cube_1in.stl",
        expect![[r#"
            stl triangles=12 objects=1 volume=1.000 area=6.000
            bbox=[0.000, 0.000, 0.000]..[1.000, 1.000, 1.000] size=[1.000, 1.000, 1.000]
            closed=true oriented=true units=Inches
            warning: the largest dimension is only 1.000 file units: the file is probably in inches (25.4 mm if so), not millimetres
        "#]],
    );
    assert_eq!(analyse_file("cube_1in.stl").unwrap().units.scale_to_mm(), 25.4);
    assert_eq!(
        analyse_file("cube_20mm.stl").unwrap().units,
        UnitsGuess::Millimetres
    );
}

#[test]
fn imperfect_meshes_warn_but_are_accepted() {
    check(
        "open_box.stl",
        expect![[r#"
            stl triangles=10 objects=1 volume=5333.333 area=2000.000
            bbox=[0.000, 0.000, 0.000]..[20.000, 20.000, 20.000] size=[20.000, 20.000, 20.000]
            closed=false oriented=true units=Millimetres
            warning: mesh is not closed: 4 open edges (volume and material estimates may be off)
        "#]],
    );
    check(
        "flipped_face.stl",
        expect![[r#"
            stl triangles=12 objects=1 volume=8000.000 area=2400.000
            bbox=[0.000, 0.000, 0.000]..[20.000, 20.000, 20.000] size=[20.000, 20.000, 20.000]
            closed=true oriented=false units=Millimetres
            warning: mesh is not consistently oriented: 3 edges where neighbouring triangles face opposite ways
        "#]],
    );
    check(
        "inside_out.stl",
        expect![[r#"
            stl triangles=12 objects=1 volume=8000.000 area=2400.000
            bbox=[0.000, 0.000, 0.000]..[20.000, 20.000, 20.000] size=[20.000, 20.000, 20.000]
            closed=true oriented=true units=Millimetres
            warning: mesh is inside out: its triangles face inward (volume taken as absolute)
        "#]],
    );
}

/// Every broken fixture is refused with the code its name promises and a message naming the problem.
#[test]
fn broken_files_are_refused_with_a_clear_error() {
    let files = [
        "truncated.stl",
        "count_mismatch.stl",
        "nan.stl",
        "inf_ascii.stl",
        "zero_volume.stl",
        "empty.stl",
        "malformed_ascii.stl",
        "truncated_ascii.stl",
        "png_renamed.stl",
        "text_renamed.3mf",
        "missing_model.3mf",
        "bomb.3mf",
        "lying_size.3mf",
        "bad_index.3mf",
        "bad_index.obj",
    ];
    let table: String = files
        .iter()
        .map(|f| format!("{f}: {}", summary(&analyse_file(f))))
        .collect();
    expect![[r#"
        truncated.stl: MODEL_TRUNCATED: the model file is truncated: binary STL ends inside triangle 8 of the 12 its header declares
        count_mismatch.stl: MODEL_COUNT_MISMATCH: binary STL header declares 13 triangles (734 bytes) but the file has 684 bytes
        nan.stl: MODEL_NON_FINITE: the model has a coordinate that is not a finite number (NaN or infinite): binary STL triangle 4
        inf_ascii.stl: MODEL_NON_FINITE: the model has a coordinate that is not a finite number (NaN or infinite): ASCII STL line 4 is inf
        zero_volume.stl: MODEL_ZERO_VOLUME: the model encloses no volume (it is flat or degenerate)
        empty.stl: MODEL_EMPTY: the model has no triangles: binary STL header declares 0 triangles
        malformed_ascii.stl: MODEL_MALFORMED: the model file is malformed: ASCII STL line 6: expected a number, found "twenty"
        truncated_ascii.stl: MODEL_TRUNCATED: the model file is truncated: ASCII STL ends at line 21 where `endloop` was expected
        png_renamed.stl: MODEL_FORMAT_MISMATCH: the file is named .stl but does not contain stl data: it looks like a PNG image
        text_renamed.3mf: MODEL_FORMAT_MISMATCH: the file is named .3mf but does not contain 3mf data: it is not a zip archive: it is text starting with "This is not a 3MF archive, just a note s"
        missing_model.3mf: MODEL_MISSING_PART: the 3MF archive has no model part `3D/3dmodel.model`
        bomb.3mf: MODEL_ARCHIVE_BOMB: the 3MF archive was refused as a possible zip bomb: part `3D/3dmodel.model` expands 979:1 (8567 bytes to 8389826), over the 100:1 limit
        lying_size.3mf: MODEL_ARCHIVE_BOMB: the 3MF archive was refused as a possible zip bomb: part `3D/3dmodel.model` inflates beyond the 100 bytes it declares
        bad_index.3mf: MODEL_MALFORMED: the model file is malformed: 3MF object 1 triangle 11 refers to vertex 99, but the object has 8 vertices
        bad_index.obj: MODEL_MALFORMED: the model file is malformed: OBJ line 4: face refers to vertex 9, but only 3 vertices are defined before it
    "#]]
    .assert_eq(&table);
}

fn code_of(name: &str, bytes: &[u8], limits: &ParseLimits) -> &'static str {
    match geometry::parse_and_analyse(name, bytes, limits) {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

#[test]
fn limits_and_names_are_enforced() {
    let defaults = ParseLimits::default();
    let few = ParseLimits {
        max_triangles: 100,
        ..ParseLimits::default()
    };
    let small = ParseLimits {
        max_uncompressed_bytes: 1000,
        ..ParseLimits::default()
    };
    let eleven = ParseLimits {
        max_triangles: 11,
        ..ParseLimits::default()
    };
    let twenty = ParseLimits {
        max_triangles: 20,
        ..ParseLimits::default()
    };
    let cube = read("cube_20mm.stl");
    let cases: Vec<(&str, Vec<u8>, &ParseLimits, &str)> = vec![
        ("sphere_r10.stl", read("sphere_r10.stl"), &few, "MODEL_TOO_LARGE"),
        ("sphere.stl", read("sphere_r10.stl"), &defaults, "OK"),
        ("cube.obj", read("cube_quads.obj"), &eleven, "MODEL_TOO_LARGE"),
        (
            "cube.stl",
            read("cube_20mm_ascii.stl"),
            &eleven,
            "MODEL_TOO_LARGE",
        ),
        ("two.3mf", read("two_cubes.3mf"), &twenty, "MODEL_TOO_LARGE"),
        // The model part declares 2266 bytes: over a 1000-byte limit before anything is inflated.
        ("two.3mf", read("two_cubes.3mf"), &small, "MODEL_ARCHIVE_BOMB"),
        ("cube.step", cube.clone(), &defaults, "MODEL_UNKNOWN_FORMAT"),
        ("cube", cube.clone(), &defaults, "MODEL_UNKNOWN_FORMAT"),
        ("CUBE.STL", cube.clone(), &defaults, "OK"),
        ("cube.obj", cube.clone(), &defaults, "MODEL_FORMAT_MISMATCH"),
        ("cube.3mf", cube.clone(), &defaults, "MODEL_FORMAT_MISMATCH"),
        (
            "cube.stl",
            read("two_cubes.3mf"),
            &defaults,
            "MODEL_FORMAT_MISMATCH",
        ),
        (
            "cube.obj",
            read("two_cubes.3mf"),
            &defaults,
            "MODEL_FORMAT_MISMATCH",
        ),
        (
            "cube.stl",
            read("cube_quads.obj"),
            &defaults,
            "MODEL_FORMAT_MISMATCH",
        ),
        ("empty.stl", Vec::new(), &defaults, "MODEL_EMPTY"),
        ("empty.3mf", Vec::new(), &defaults, "MODEL_EMPTY"),
        ("empty.obj", Vec::new(), &defaults, "MODEL_EMPTY"),
        // A zip cut short loses its central directory.
        (
            "cut.3mf",
            read("two_cubes.3mf")[..600].to_vec(),
            &defaults,
            "MODEL_TRUNCATED",
        ),
    ];
    for (name, bytes, limits, want) in cases {
        assert_eq!(code_of(name, &bytes, limits), want, "{name} with {limits:?}");
    }
}

#[test]
fn fits_pick_an_orientation_or_refuse() {
    let mk4 = BuildVolume {
        x_mm: 250.0,
        y_mm: 210.0,
        z_mm: 220.0,
    };
    let mini = BuildVolume {
        x_mm: 180.0,
        y_mm: 180.0,
        z_mm: 180.0,
    };
    let tiny = BuildVolume {
        x_mm: 30.0,
        y_mm: 15.0,
        z_mm: 30.0,
    };
    let cube = analyse_file("cube_20mm.stl").unwrap();
    let two = analyse_file("two_cubes.3mf").unwrap();
    let fit = geometry::fit(cube.size_mm, &mk4).unwrap();
    assert_eq!(fit.rotation, Orientation::AS_MODELLED);
    assert_eq!(fit.footprint_mm, [20.0, 20.0, 20.0]);
    assert!(geometry::fit(two.size_mm, &mini).is_some());
    // 40 x 20 x 20 in a 30 x 15 x 30 box: no orientation works.
    assert_eq!(geometry::fit(two.size_mm, &tiny), None);
    // The 20 mm cube does not fit 15 mm of depth either way.
    assert_eq!(geometry::fit(cube.size_mm, &tiny), None);
}

fn parse_everything(name: &str, bytes: &[u8]) {
    for format in ModelFormat::ALL {
        let file = format!("{name}.{}", format.as_str());
        // The result does not matter here; not panicking does.
        let _ = geometry::parse_and_analyse(&file, bytes, &ParseLimits::default());
    }
}

/// Every fuzz seed and fixture, under every extension, and every prefix of the small fixtures:
/// parsing must return (Ok or a typed error), never panic. CI coverage for the fuzz targets.
#[test]
fn no_seed_or_truncation_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut seeds = 0;
    for dir in std::fs::read_dir(&corpus).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            // Committed seeds carry a model extension; entries a local fuzzing run added do not.
            if ModelFormat::from_file_name(&path.to_string_lossy()).is_none() {
                continue;
            }
            parse_everything("seed", &std::fs::read(&path).unwrap());
            seeds += 1;
        }
    }
    assert!(seeds >= 20, "fuzz corpus has {seeds} seeds");
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        parse_everything("fixture", &bytes);
        if bytes.len() <= 4096 {
            for cut in 0..bytes.len() {
                parse_everything("prefix", &bytes[..cut]);
            }
        }
    }
}
