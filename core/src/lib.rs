//! wampe2e: end-to-end encryption of WAMP application payloads.
//!
//! Clients seal `args`/`kwargs` before a message leaves and open them on arrival;
//! the router sees the URI and ciphertext only. Two wire dialects are supported,
//! byte-compatible with the deployed peers:
//!
//! * Autobahn|Python / Crossbar.io cryptobox (`enc_algo = "cryptobox"`), and
//! * the WAMP spec's Payload Passthru Mode (`ppt_scheme = "wamp"`), as used by
//!   wampy.js, nexus and Bondy, with xsalsa20poly1305 or aes256gcm.
//!
//! ```
//! use wampe2e::{seal_payload, open_payload, BoxKey, Dialect, KeyPair, KeyRing, Role, Value};
//!
//! let publisher = KeyPair::generate()?;
//! let subscriber = KeyPair::generate()?;
//!
//! let pub_ring = KeyRing::new();
//! pub_ring.set("com.example.", BoxKey::new(Some(publisher.secret.clone()), None, None, Some(subscriber.public))?);
//! let sub_ring = KeyRing::new();
//! sub_ring.set("com.example.", BoxKey::new(None, Some(publisher.public), Some(subscriber.secret.clone()), None)?);
//!
//! let args = [Value::from(42), Value::from("hello")];
//! let envelope = seal_payload(&pub_ring, Role::Originator, "com.example.topic", Some(&args), None, Dialect::Cryptobox)?;
//! let opened = open_payload(&sub_ring, Role::Responder, "com.example.topic", &envelope)?;
//! assert_eq!(opened.args.as_deref(), Some(&args[..]));
//!
//! // A router replaying the ciphertext onto another topic is caught.
//! let replay = open_payload(&sub_ring, Role::Responder, "com.example.other", &envelope);
//! assert_eq!(replay.unwrap_err().code(), wampe2e::ErrorCode::UriMismatch);
//! # Ok::<(), wampe2e::Error>(())
//! ```

#![deny(unsafe_code)]

pub mod crypto;
pub mod dialects;
pub mod error;
pub mod group;
pub mod inbound;
pub mod js_json;
pub mod keys;
pub mod message;
pub mod payload;
pub mod plaintext;

pub use crypto::cipher::Cipher;
pub use dialects::{Dialect, Envelope, EnvelopeRef};
pub use error::{Error, ErrorCode, Result};
pub use inbound::{decide, Arrival, Delivery, MatchPolicy, MessageKind};
pub use keys::keyring::{
    BoxKey, KeyEntry, KeyMaterial, KeyNames, KeyRing, Role, RotatedKeys, SymmetricKey,
    AES_GCM_SEAL_LIMIT, AES_GCM_SEAL_WARNING,
};
pub use keys::material::{
    ed25519_public_to_x25519, key_id, DataKey, KeyInput, KeyPair, PublicKey, SecretKey,
};
pub use keys::reflection::REMEMBERED_AES_SEALS;
pub use payload::{
    args_from_json, args_from_value, decrypt_payload, json_plaintext_with_side_binaries,
    kwargs_from_json, kwargs_from_value, open_bytes, open_bytes_into, open_payload,
    open_payload_and_plaintext, seal_bytes, seal_json_message, seal_payload, serialize_plaintext,
    Decrypted, OpenedBytes, Payload, SealBuffer, Sealer,
};
pub use plaintext::json_writer::WriteJson;
pub use plaintext::serializer::Serializer;
pub use plaintext::value::{Map, Value};

/// Largest plaintext, in bytes, that is sealed or opened (64 MiB): bounds the
/// memory a hostile peer can make us allocate.
pub const MAX_PAYLOAD_LEN: usize = 64 * 1024 * 1024;

/// The crate version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
