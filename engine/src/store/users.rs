//! users persistence (in progress).
