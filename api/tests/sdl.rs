//! The committed SDL (`docs/schema.graphql`) matches the schema in code.
//! After an intended change: `UPDATE_EXPECT=1 cargo test -p gantry-api --test sdl`.

#[test]
fn committed_sdl_matches_code() {
    expect_test::expect_file!["../../docs/schema.graphql"].assert_eq(&gantry_api::graphql::sdl());
}
