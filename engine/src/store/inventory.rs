//! inventory persistence (in progress).
