//! The symmetric cryptography under the payloads: the SIMD Salsa20 keystream
//! ([`salsa20`]), XSalsa20-Poly1305 over it ([`secretbox`]), and the AEAD a payload
//! is sealed with, XSalsa20-Poly1305 or AES-256-GCM (`cipher`, whose [`Cipher`] is
//! re-exported at the crate root).
//!
//! Depends on nothing else of the crate but [`crate::error`] and the crate-wide
//! limits in the crate root ([`crate::MAX_PAYLOAD_LEN`]); the modules above it
//! (keys, payload, dialects) use it, never the other way round.
//!
//! [`Cipher`]: crate::Cipher

pub(crate) mod cipher;
pub mod poly1305;
pub mod random;
pub mod salsa20;
pub mod secretbox;
mod wipe;

pub use wipe::wipe_bytes;
