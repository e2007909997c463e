//! Helpers shared by the integration tests (and, by path, `tests/rust/vectors.rs`);
//! each test binary uses part of them.
#![allow(dead_code)]

pub mod exact;
