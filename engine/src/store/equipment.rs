//! equipment persistence (in progress).
