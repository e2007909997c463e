//! The plaintext parsers (WAMP-JSON, CBOR, MessagePack) on raw bytes, as they see
//! them after decryption: values or the parser's errors, never a panic; what parses
//! writes back and parses again into the same value bit for bit (JSON: into the
//! same text, Autobahn's form being canonical); and where both accept, the
//! plaintext-map parser agrees with the value parser on `uri`, `args` and `kwargs`.
//!
//! Input: serializer (mod 3), then the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::plaintext::builder::{parse_plaintext, ValueTree};
use wampe2e::{ErrorCode, Serializer, Value};
use wampe2e_fuzz::exact::Exact;
use wampe2e_fuzz::{is_parse_error, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let serializer =
        [Serializer::Json, Serializer::Cbor, Serializer::Msgpack][usize::from(input.byte() % 3)];
    let bytes = input.rest();

    let value = serializer.read(bytes);
    match &value {
        Ok(v) => {
            let mut written = Vec::new();
            serializer
                .write(v, &mut written)
                .expect("what parses is written");
            let again = serializer.read(&written).expect("what is written parses");
            assert_eq!(Exact(&again), Exact(v), "{serializer:?}");
            if serializer == Serializer::Json {
                let mut twice = Vec::new();
                serializer.write(&again, &mut twice).expect("written twice");
                assert_eq!(twice, written, "JSON output is canonical");
            }
        }
        Err(e) => assert!(is_parse_error(e.code()), "{e}"),
    }

    // The plaintext-map parser skips keys other than uri/args/kwargs without
    // decoding them, so it may accept what the value parser refuses; where both
    // accept, they agree, and where only the value parser accepts, the map's shape
    // is what is wrong.
    match (parse_plaintext(serializer, bytes, &mut ValueTree), &value) {
        (Ok(opened), Ok(v)) => {
            let Value::Map(entries) = v else {
                panic!("a plaintext map that is a {}", v.kind());
            };
            let get = |k: &str| {
                entries
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v)
                    .filter(|v| **v != Value::Null)
            };
            assert_eq!(opened.uri.as_deref(), get("uri").and_then(Value::as_str));
            assert_eq!(Exact(&opened.args), Exact(&get("args").cloned()));
            assert_eq!(Exact(&opened.kwargs), Exact(&get("kwargs").cloned()));
        }
        (Err(e), Ok(_)) => assert_eq!(e.code(), ErrorCode::InvalidPayload, "{e}"),
        (Err(e), Err(_)) => assert!(is_parse_error(e.code()), "{e}"),
        (Ok(_), Err(_)) => {}
    }
});
