//! JSON text as bindings hand it over (Node's `JSON.stringify`, C strings),
//! transcoded without building values: the same bytes as through values, or an
//! error; a whole message `[uri, args, kwargs]` in one pass: the same bytes as
//! part by part, or an error; and sealed in one pass, the same plaintext again.
//!
//! Input: the text (not UTF-8: nothing to do).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::plaintext::json_writer::{JsonText, JsonWriter};
use wampe2e::{open_bytes, seal_json_message, Dialect, Role, WriteJson};
use wampe2e_fuzz::{Keys, Opener, Rings, CASES};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut out = Vec::new();
    let mut w = JsonWriter::new(&mut out, 1);
    let streamed = JsonText(text).write_json(&mut w).map(|()| w.is_complete());
    if let (Ok(true), Ok(v)) = (
        streamed,
        wampe2e::plaintext::builder::read_json(text.as_bytes()),
    ) {
        let mut via_value = Vec::new();
        if wampe2e::plaintext::serializer::write_json(&v, &mut via_value).is_ok() {
            assert_eq!(
                out, via_value,
                "transcoded JSON differs from the value path"
            );
        }
    }
    if let Ok(one_pass) = JsonText::message_plaintext(text, |_| Ok(Vec::new())) {
        let (uri, [a, k]) = JsonText::message(text).expect("one pass accepted it");
        let mut part_by_part = Vec::new();
        let mut w = JsonWriter::new(&mut part_by_part, 0);
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
        assert_eq!(
            one_pass, part_by_part,
            "one-pass message differs from part by part"
        );
        // Sealed in one pass, as the Node addon seals JSON.stringify's text: each
        // JSON dialect's ciphertext decrypts to exactly that plaintext.
        let rings = Rings::get();
        for (dialect, keys, opener) in [
            (Dialect::Cryptobox, Keys::Pair, Opener::PairDefault(false)),
            (CASES[2].0, Keys::Data, Opener::DataDefault(false)),
            (CASES[3].0, Keys::Data, Opener::DataById),
        ] {
            let env = seal_json_message(rings.sealer(keys), Role::Originator, text, dialect)
                .expect("a message that transcodes seals");
            let plain =
                open_bytes(rings.opener(opener), Role::Responder, uri, &env).expect("opens");
            assert_eq!(plain, one_pass, "{dialect:?}");
        }
    }
});
