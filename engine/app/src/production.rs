//! Use cases of `production`.
