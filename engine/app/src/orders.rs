//! Use cases of `orders`.
