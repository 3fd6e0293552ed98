//! Use cases of `agent`.
