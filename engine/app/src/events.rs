//! Use cases of `events`.
