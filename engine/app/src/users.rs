//! Use cases of `users`.
