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
    let _ = wampe2e::builder::parse_plaintext(serializer, &envelope.payload, &mut wampe2e::builder::ValueTree);
    // JSON text transcoded as bindings hand it over: the same bytes as through values, or an error.
    if let Ok(text) = std::str::from_utf8(&envelope.payload) {
        use wampe2e::WriteJson;
        let mut out = Vec::new();
        let mut w = wampe2e::json_writer::JsonWriter::new(&mut out, 1);
        let streamed = wampe2e::json_writer::JsonText(text).write_json(&mut w).map(|()| w.is_complete());
        if let (Ok(true), Ok(v)) = (streamed, wampe2e::serializer::read_json(text.as_bytes())) {
            let mut via_value = Vec::new();
            if wampe2e::serializer::write_json(&v, &mut via_value).is_ok() {
                assert_eq!(out, via_value, "transcoded JSON differs from the value path");
            }
        }
        // A whole message in one pass: what part-by-part writing gives, or an error.
        let one_pass = wampe2e::json_writer::JsonText::message_plaintext(text, |_| Ok(Vec::new()));
        if let Ok(one_pass) = one_pass {
            let (uri, [a, k]) = wampe2e::json_writer::JsonText::message(text).expect("one pass accepted it");
            let mut part_by_part = Vec::new();
            let mut w = wampe2e::json_writer::JsonWriter::new(&mut part_by_part, 0);
            w.begin_map().expect("map");
            w.key("uri");
            w.str(uri).expect("uri");
            for (name, part) in [("args", a), ("kwargs", k)] {
                w.key(name);
                match part {
                    Some(t) => t.write_json(&mut w).expect("part"),
                    None => w.null(),
                }
            }
            w.end_map();
            assert_eq!(one_pass, part_by_part, "one-pass message differs from part by part");
        }
    }
});
