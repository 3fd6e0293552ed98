//! Use cases of `printing`.
