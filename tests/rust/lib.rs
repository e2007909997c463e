//! Helpers for the cross-language tests: the shared vectors and the built CLI.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Reads `tests/vectors/<name>` as JSON.
pub fn vector_file(name: &str) -> serde_json::Value {
    let path = repo_root().join("tests").join("vectors").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| format!("{{\"error\": \"{}: {e}\"}}", path.display()));
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// The string field `key` of a JSON object, or "" (tests then fail on the value).
pub fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v.get(key).and_then(|x| x.as_str()).unwrap_or("")
}

/// The top-level README's Rust blocks, run by rustdoc (`make test-docs` runs
/// `cargo test -p wampe2e-tests --doc`; `tests/docs/run.py` runs the other languages).
#[doc = include_str!("../../README.md")]
pub mod readme {}
