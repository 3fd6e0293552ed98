//! Use cases of `batch`.
