//! Any bytes named `.stl`: parse and analyse must return Ok or a typed error, never panic.
#![no_main]

use gantry_engine::domain::geometry::{ParseLimits, parse_and_analyse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the limit checks themselves are exercised too.
    let limits = ParseLimits {
        max_triangles: 100_000,
        max_uncompressed_bytes: 16 << 20,
    };
    let _ = parse_and_analyse("fuzz.stl", data, &limits);
});
