//! Use cases of `inventory`.
