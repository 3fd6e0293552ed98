//! Use cases of `catalog`.
