//! Keys and the keyring: key material and its text forms ([`material`]), the
//! thread-safe [`keyring`] that picks a key entry by URI prefix or key id, and
//! the marks by which a keyring recognises its own seals ([`reflection`]).
//!
//! Depends on [`crate::error`] and [`crate::crypto`] (a key entry holds the
//! cipher states it seals with); never on the plaintext, payload or dialect
//! modules.

pub mod keyring;
pub mod material;
pub mod reflection;
