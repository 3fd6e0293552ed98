//! Geometry benchmark: a binary STL of about 1,000,000 triangles (a finely tessellated torus, closed,
//! every vertex shared by six triangles) generated in memory, then `geometry::parse` +
//! `geometry::analyse` timed over several runs. Target (issue #5): under 300 ms.
//!
//! ```text
//! cargo run --release -p gantry-benches --features geometry --bin geometry-bench -- \
//!     [--triangles 1000000] [--runs 11] [--shuffle]
//! ```
//! `--shuffle` writes the triangles in a random order (worst case for cache locality; real exporters
//! write neighbouring triangles close together).

use std::time::{Duration, Instant};

use gantry_engine::domain::geometry::{self, ParseLimits};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

/// A torus (major radius 40 mm, minor 15 mm) as a binary STL with `2 * rings * segments` triangles.
fn torus_stl(rings: usize, segments: usize, shuffle: bool) -> Vec<u8> {
    let (major, minor) = (40.0f64, 15.0f64);
    let point = |i: usize, j: usize| -> [f32; 3] {
        let u = std::f64::consts::TAU * (i % rings) as f64 / rings as f64;
        let v = std::f64::consts::TAU * (j % segments) as f64 / segments as f64;
        let r = major + minor * v.cos();
        [
            (r * u.cos()) as f32,
            (r * u.sin()) as f32,
            (minor * v.sin()) as f32,
        ]
    };
    let mut triangles: Vec<[[f32; 3]; 3]> = Vec::with_capacity(2 * rings * segments);
    for i in 0..rings {
        for j in 0..segments {
            let (a, b, c, d) = (point(i, j), point(i + 1, j), point(i + 1, j + 1), point(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    if shuffle {
        // Deterministic Fisher-Yates with a 64-bit LCG.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for k in (1..triangles.len()).rev() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            triangles.swap(k, (state >> 33) as usize % (k + 1));
        }
    }
    let mut out = Vec::with_capacity(84 + 50 * triangles.len());
    out.extend_from_slice(&[b' '; 80]);
    out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for t in &triangles {
        out.extend_from_slice(&[0u8; 12]);
        for p in t {
            for c in p {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// This process's user + system CPU time so far (Linux `/proc/self/stat`, clock ticks of 10 ms),
/// to tell the work done from the waiting on a shared machine.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let triangles: usize = arg(&args, "--triangles", "1000000").parse().unwrap_or(1_000_000);
    let runs: usize = arg(&args, "--runs", "11").parse().unwrap_or(11).max(1);
    let shuffle = args.iter().any(|a| a == "--shuffle");
    // rings : segments = 2 : 1 keeps the triangles roughly square on this torus.
    let segments = ((triangles as f64 / 4.0).sqrt().round() as usize).max(3);
    let rings = (triangles / (2 * segments)).max(3);
    let stl = torus_stl(rings, segments, shuffle);
    println!(
        "binary STL: {} triangles ({} x {} torus{}), {:.1} MB",
        2 * rings * segments,
        rings,
        segments,
        if shuffle { ", shuffled" } else { "" },
        stl.len() as f64 / 1e6
    );
    let limits = ParseLimits::default();
    let mut parse_times = Vec::with_capacity(runs);
    let mut analyse_times = Vec::with_capacity(runs);
    let mut totals = Vec::with_capacity(runs);
    let mut last = None;
    let cpu_before = cpu_time();
    for _ in 0..runs {
        let start = Instant::now();
        let parsed = geometry::parse("bench.stl", &stl, &limits);
        let parsed_at = Instant::now();
        let analysis = parsed.and_then(|(format, mesh)| geometry::analyse(format, &mesh));
        let done = Instant::now();
        parse_times.push(parsed_at - start);
        analyse_times.push(done - parsed_at);
        totals.push(done - start);
        last = Some(analysis);
    }
    let cpu_per_run = cpu_before
        .zip(cpu_time())
        .map(|(before, after)| (after.saturating_sub(before)) / runs as u32);
    match last {
        Some(Ok(a)) => println!(
            "analysis: volume {:.0} mm3 (torus formula {:.0}), area {:.0} mm2, closed {}, oriented {}, warnings {:?}",
            a.volume_mm3,
            2.0 * std::f64::consts::PI.powi(2) * 40.0 * 15.0 * 15.0,
            a.surface_area_mm2,
            a.closed,
            a.consistently_oriented,
            a.warnings
        ),
        Some(Err(e)) => {
            eprintln!("analysis failed: {e}");
            std::process::exit(1);
        }
        None => {}
    }
    for v in [&mut parse_times, &mut analyse_times, &mut totals] {
        v.sort();
    }
    match cpu_per_run {
        Some(cpu) => println!(
            "runs: {runs}, CPU time per parse+analyse: {:.0} ms (wall time above it is waiting for a core)",
            ms(cpu)
        ),
        None => println!("runs: {runs}"),
    }
    for (name, v) in [
        ("parse", &parse_times),
        ("analyse", &analyse_times),
        ("parse+analyse", &totals),
    ] {
        println!(
            "{name:>14}: median {:7.1} ms   p95 {:7.1} ms   min {:7.1} ms",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.95)),
            ms(percentile(v, 0.0))
        );
    }
}
