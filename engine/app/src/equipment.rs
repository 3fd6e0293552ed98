//! Use cases of `equipment`.
