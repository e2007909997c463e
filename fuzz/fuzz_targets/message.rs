//! Whole WAMP messages as received in each serializer (PUBLISH, EVENT, CALL,
//! INVOCATION, YIELD, RESULT, ERROR with an encrypted payload): taken apart into
//! type, URI and envelope, or refused with a message/envelope error, never a
//! panic; what is taken apart builds the same message again, through the same
//! serializer.
//!
//! Input: serializer (mod 3), then the serialized message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::message::{build_message, parse_message};
use wampe2e::{ErrorCode, Serializer};
use wampe2e_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let serializer =
        [Serializer::Json, Serializer::Cbor, Serializer::Msgpack][usize::from(input.byte() % 3)];
    let Ok(message) = serializer.read(input.rest()) else {
        return;
    };
    match parse_message(&message) {
        Ok(parsed) => {
            let uri = parsed.uri.clone().unwrap_or_default();
            let rebuilt = build_message(parsed.kind, &uri, &parsed.envelope);
            let mut wire = Vec::new();
            serializer
                .write(&rebuilt, &mut wire)
                .expect("a built message serializes");
            let again = parse_message(&serializer.read(&wire).expect("and parses"))
                .expect("and is a message");
            assert_eq!(again.kind, parsed.kind);
            assert_eq!(again.envelope, parsed.envelope);
            assert_eq!(again.uri, parsed.uri);
        }
        Err(e) => assert!(
            matches!(
                e.code(),
                ErrorCode::InvalidMessage
                    | ErrorCode::InvalidEnvelope
                    | ErrorCode::UnknownScheme
                    | ErrorCode::UnknownSerializer
                    | ErrorCode::UnknownCipher
            ),
            "{e}"
        ),
    }
});
