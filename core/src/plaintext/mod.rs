//! Plaintexts before encryption and after decryption: the core's [`value::Value`],
//! the payload serializers (JSON exactly as Autobahn|Python writes it, CBOR,
//! MessagePack: [`serializer`]), the streaming WAMP-JSON writer ([`json_writer`])
//! and the parsers that build a binding's own values ([`builder`]).
//!
//! Depends on nothing of the crate but [`crate::error`]: no keys, no cryptography,
//! no envelopes (those are above it, in [`crate::payload`] and [`crate::dialects`]).
//! Inside, each module uses only those below it:
//!
//! ```text
//! builder      parsing (Serializer::read, read_json, Value's Deserialize)
//!   -> serializer   the formats; writing (Serializer::write, write_json)
//!     -> json_writer    WAMP-JSON, streamed (JsonWriter, JsonText, WriteJson)
//!       -> limits         MAX_DEPTH, too_deep, errors carried through serde
//!   value (used by builder and serializer; uses nothing)
//! ```

pub mod builder;
pub mod json_writer;
pub mod limits;
pub mod serializer;
pub mod value;
