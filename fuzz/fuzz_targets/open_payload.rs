//! Opening arbitrary envelopes never panics: every input is a value or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::{open_payload, Cipher, DataKey, Dialect, Envelope, KeyRing, Role, Serializer, SymmetricKey};

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (which, payload) = input;
    let ring = KeyRing::new();
    ring.set("", SymmetricKey::new("k", DataKey::from_bytes(&[7u8; 32])).unwrap());
    let serializer = [Serializer::Json, Serializer::Cbor, Serializer::Msgpack][usize::from(which % 3)];
    let cipher = if which & 4 == 0 { Cipher::XSalsa20Poly1305 } else { Cipher::Aes256Gcm };
    let envelope = Envelope { dialect: Dialect::Passthru { serializer, cipher }, key_id: Some("k".into()), payload };
    let _ = open_payload(&ring, Role::Responder, "com.fuzz", &envelope);
    // Plaintext parsers on raw input, past the AEAD: values or errors, never panics.
    let _ = serializer.read(&envelope.payload);
});
