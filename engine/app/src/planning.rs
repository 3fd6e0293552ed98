//! Use cases of `planning`.
