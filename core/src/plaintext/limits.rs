//! What the plaintext writers and parsers share, below them all so that none of
//! them depends on another for it: the nesting limit ([`MAX_DEPTH`], [`too_deep`])
//! and carrying the core's errors through serde, whose errors hold only a message
//! (`keep_failure`, `failure_or`, crate-internal).

use crate::error::{err, Error, ErrorCode, Result};
use serde::de;
use std::fmt;

/// Deepest list/map nesting accepted for serialization (parsers allow at least this much).
pub const MAX_DEPTH: usize = 100;

/// The error for `what` ("value", "payload") nesting deeper than [`MAX_DEPTH`]
/// (bindings that check the depth themselves give the same).
pub fn too_deep<T>(what: &str) -> Result<T> {
    err(
        ErrorCode::UnsupportedValue,
        format!("{what} nests deeper than {MAX_DEPTH} levels"),
    )
}

/// Keeps the first core error `e` of a serde visit in `slot` (serde errors carry
/// only a message, not its code) and gives serde an error to stop with.
pub(crate) fn keep_failure<E: de::Error>(slot: &mut Option<Error>, e: Error) -> E {
    let msg = e.message().to_owned();
    slot.get_or_insert(e);
    E::custom(msg)
}

/// The error a serde visit ended with: the kept core error, else `code` with
/// serde's message after `prefix`.
pub(crate) fn failure_or(
    kept: Option<Error>,
    code: ErrorCode,
    prefix: &str,
    e: impl fmt::Display,
) -> Error {
    kept.unwrap_or_else(|| Error::new(code, format!("{prefix}: {e}")))
}
