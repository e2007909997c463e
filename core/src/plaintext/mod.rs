//! Plaintexts before encryption and after decryption: the core's [`value::Value`],
//! the payload serializers (JSON exactly as Autobahn|Python writes it, CBOR,
//! MessagePack: [`serializer`]), the streaming WAMP-JSON writer ([`json_writer`])
//! and the parsers that build a binding's own values ([`builder`]).
//!
pub mod builder;
pub mod json_writer;
pub mod serializer;
pub mod value;
