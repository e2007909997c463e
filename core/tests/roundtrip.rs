//! Property tests: every value survives seal/open in every dialect, serializer and
//! cipher; every mutation of a ciphertext is rejected.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::collection::vec;
use proptest::prelude::*;
use wampe2e::{
    open_payload, seal_payload, BoxKey, Cipher, DataKey, Dialect, ErrorCode, KeyPair, KeyRing,
    Role, Serializer, SymmetricKey, Value,
};

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        any::<f64>()
            .prop_filter("JSON has no NaN/Infinity", |f| f.is_finite())
            .prop_map(Value::Float),
        any::<String>()
            .prop_filter("a leading NUL marks binary in WAMP-JSON", |s| !s
                .starts_with('\0'))
            .prop_map(Value::String),
        vec(any::<u8>(), 0..48).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::List),
            vec((any::<String>(), inner), 0..6).prop_map(Value::Map),
        ]
    })
}

fn dialects() -> Vec<Dialect> {
    let mut d = vec![Dialect::Cryptobox];
    for serializer in [Serializer::Json, Serializer::Cbor, Serializer::Msgpack] {
        for cipher in [Cipher::XSalsa20Poly1305, Cipher::Aes256Gcm] {
            d.push(Dialect::Passthru { serializer, cipher });
        }
    }
    d
}

/// A publisher ring and a subscriber ring: key pairs for cryptobox and ppt
/// xsalsa20poly1305, and a shared data key (by URI for sealing, by id for opening).
fn rings(dialect: Dialect) -> (KeyRing, KeyRing) {
    let o = KeyPair::generate().unwrap();
    let r = KeyPair::generate().unwrap();
    let sealer = KeyRing::new();
    let opener = KeyRing::new();
    if dialect.cipher() == Cipher::Aes256Gcm {
        let key = DataKey::generate().unwrap();
        sealer.set("", SymmetricKey::new("k-1", key.clone()).unwrap());
        opener.add_symmetric_key(SymmetricKey::new("k-1", key).unwrap());
    } else {
        sealer.set(
            "",
            BoxKey::new(Some(o.secret), None, None, Some(r.public)).unwrap(),
        );
        opener.set(
            "",
            BoxKey::new(None, Some(o.public), Some(r.secret), None).unwrap(),
        );
    }
    (sealer, opener)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trips(args in vec(value(), 0..5), kwargs in vec((any::<String>(), value()), 0..5),
                             uri in "[a-z]{1,8}(\\.[a-z0-9_]{1,8}){0,4}") {
        for dialect in dialects() {
            let (sealer, opener) = rings(dialect);
            let env = seal_payload(&sealer, Role::Originator, &uri, Some(&args), Some(&kwargs), dialect).unwrap();
            let p = open_payload(&opener, Role::Responder, &uri, &env).unwrap();
            prop_assert_eq!(p.uri.as_deref(), Some(uri.as_str()));
            prop_assert_eq!(p.args.as_ref(), Some(&args), "{:?}", dialect);
            prop_assert_eq!(p.kwargs.as_ref(), Some(&kwargs), "{:?}", dialect);
        }
    }

    #[test]
    fn every_mutation_is_rejected(args in vec(value(), 0..3), pos in any::<prop::sample::Index>(),
                                  bit in 0u8..8, cut in any::<prop::sample::Index>(), extra in any::<u8>()) {
        for dialect in dialects() {
            let (sealer, opener) = rings(dialect);
            let env = seal_payload(&sealer, Role::Originator, "com.x", Some(&args), None, dialect).unwrap();
            let n = env.payload.len();

            let mut flipped = env.clone();
            flipped.payload[pos.index(n)] ^= 1 << bit;
            let e = open_payload(&opener, Role::Responder, "com.x", &flipped).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::DecryptionFailed);

            let mut truncated = env.clone();
            truncated.payload.truncate(cut.index(n));
            let e = open_payload(&opener, Role::Responder, "com.x", &truncated).unwrap_err();
            prop_assert!(matches!(e.code(), ErrorCode::DecryptionFailed | ErrorCode::TruncatedCiphertext), "{:?}", e);

            let mut extended = env.clone();
            extended.payload.push(extra);
            let e = open_payload(&opener, Role::Responder, "com.x", &extended).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::DecryptionFailed);
        }
    }

    #[test]
    fn values_round_trip_through_each_serializer(v in value()) {
        for s in [Serializer::Json, Serializer::Cbor, Serializer::Msgpack] {
            let mut out = Vec::new();
            s.write(&v, &mut out).unwrap();
            prop_assert_eq!(&s.read(&out).unwrap(), &v);
        }
    }

    /// The streaming paths bindings use write and read exactly what the value paths do.
    #[test]
    fn streamed_json_equals_the_value_path(args in vec(value(), 0..4), kwargs in vec((any::<String>(), value()), 0..4)) {
        use wampe2e::json_writer::JsonText;
        use wampe2e::serializer::to_json_string;
        use wampe2e::{serialize_plaintext, Sealer, WriteJson};
        let ring = KeyRing::new();
        ring.set("", BoxKey::from_shared_secret(KeyPair::generate().unwrap().secret).unwrap());
        let via_values = serialize_plaintext(Serializer::Json, "com.x", Some(&args), Some(&kwargs)).unwrap();
        // From JSON text (as the Node addon hands it over), transcoded without values.
        let args_text = to_json_string(&Value::List(args.clone())).unwrap();
        let kwargs_text = to_json_string(&Value::Map(kwargs.clone())).unwrap();
        let sealer = Sealer::new(&ring, Role::Originator, "com.x", Dialect::Cryptobox).unwrap();
        let plaintext = sealer.json_plaintext(
            Some(&JsonText(&args_text) as &dyn WriteJson),
            Some(&JsonText(&kwargs_text) as &dyn WriteJson),
            0,
        ).unwrap();
        let env = sealer.seal(plaintext).unwrap();
        let plain = wampe2e::decrypt_payload(&ring, Role::Responder, "com.x", &env).unwrap();
        prop_assert_eq!(plain.plaintext(), &via_values[..]);
        // The whole message as one text, in one pass.
        let message = format!("[\"com.x\",{args_text},{kwargs_text}]");
        let env1 = wampe2e::seal_json_message(&ring, Role::Originator, &message, Dialect::Cryptobox).unwrap();
        let plain1 = wampe2e::decrypt_payload(&ring, Role::Responder, "com.x", &env1).unwrap();
        prop_assert_eq!(plain1.plaintext(), &via_values[..]);
        // Parsed back through the builder interface, as bindings do.
        let opened = plain.parse_payload("com.x").unwrap();
        prop_assert_eq!(opened.args, Some(args));
        prop_assert_eq!(opened.kwargs, Some(kwargs));
    }
}

#[test]
fn roles_are_not_interchangeable() {
    let (sealer, opener) = rings(Dialect::Cryptobox);
    let env = seal_payload(
        &sealer,
        Role::Originator,
        "com.x",
        None,
        None,
        Dialect::Cryptobox,
    )
    .unwrap();
    // The subscriber's entry has no originator secret: it cannot open as originator.
    let e = open_payload(&opener, Role::Originator, "com.x", &env).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyIncomplete);
}

#[test]
fn responder_replies_are_opened_by_the_originator() {
    let o = KeyPair::generate().unwrap();
    let r = KeyPair::generate().unwrap();
    let caller = KeyRing::new();
    caller.set(
        "com.",
        BoxKey::new(Some(o.secret), None, None, Some(r.public)).unwrap(),
    );
    let callee = KeyRing::new();
    callee.set(
        "com.",
        BoxKey::new(None, Some(o.public), Some(r.secret), None).unwrap(),
    );
    let args = [Value::from("result")];
    let env = seal_payload(
        &callee,
        Role::Responder,
        "com.add",
        Some(&args),
        None,
        Dialect::Cryptobox,
    )
    .unwrap();
    let p = open_payload(&caller, Role::Originator, "com.add", &env).unwrap();
    assert_eq!(p.args.as_deref(), Some(&args[..]));
}

#[test]
fn missing_uri_is_refused_unless_allowed() {
    let key = DataKey::generate().unwrap();
    let dialect = Dialect::Passthru {
        serializer: Serializer::Cbor,
        cipher: Cipher::XSalsa20Poly1305,
    };
    // A connectanum-style plaintext without uri, sealed as raw bytes.
    let mut plain = Vec::new();
    Serializer::Cbor
        .write(
            &Value::Map(vec![("args".into(), Value::List(vec![Value::Int(1)]))]),
            &mut plain,
        )
        .unwrap();
    let ring = KeyRing::new();
    ring.set("", SymmetricKey::new("k", key.clone()).unwrap());
    let env = wampe2e::seal_bytes(&ring, Role::Originator, "com.x", &plain, dialect).unwrap();
    let e = open_payload(&ring, Role::Responder, "com.x", &env).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MissingUri);

    let lenient = KeyRing::new();
    let mut entry: wampe2e::KeyEntry = SymmetricKey::new("k", key).unwrap().into();
    entry.allow_missing_uri = true;
    lenient.set("", entry);
    let p = open_payload(&lenient, Role::Responder, "com.x", &env).unwrap();
    assert_eq!(p.uri, None);
    assert_eq!(p.args, Some(vec![Value::Int(1)]));
}

#[test]
fn wrong_key_kinds_and_missing_keys() {
    let ring = KeyRing::new();
    let e = seal_payload(
        &ring,
        Role::Originator,
        "com.x",
        None,
        None,
        Dialect::Cryptobox,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound);
    ring.set(
        "",
        SymmetricKey::new("k", DataKey::generate().unwrap()).unwrap(),
    );
    let e = seal_payload(
        &ring,
        Role::Originator,
        "com.x",
        None,
        None,
        Dialect::Cryptobox,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongKeyKind);
    let boxed = KeyRing::new();
    let o = KeyPair::generate().unwrap();
    boxed.set("", BoxKey::from_shared_secret(o.secret).unwrap());
    let gcm = Dialect::Passthru {
        serializer: Serializer::Cbor,
        cipher: Cipher::Aes256Gcm,
    };
    let e = seal_payload(&boxed, Role::Originator, "com.x", None, None, gcm).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongKeyKind);
    // An unknown ppt_keyid on a URI mapped to another data key is KeyNotFound.
    let env = seal_payload(
        &ring,
        Role::Originator,
        "com.x",
        None,
        None,
        Dialect::PASSTHRU_DEFAULT,
    )
    .unwrap();
    let other = KeyRing::new();
    other.set(
        "",
        SymmetricKey::new("other", DataKey::generate().unwrap()).unwrap(),
    );
    let e = open_payload(&other, Role::Responder, "com.x", &env).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound);
}

#[test]
fn oversize_and_bad_plaintexts() {
    let ring = KeyRing::new();
    ring.set(
        "",
        SymmetricKey::new("k", DataKey::generate().unwrap()).unwrap(),
    );
    let big = vec![0u8; wampe2e::MAX_PAYLOAD_LEN + 1];
    let e = wampe2e::seal_bytes(
        &ring,
        Role::Originator,
        "u",
        &big,
        Dialect::PASSTHRU_DEFAULT,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::PayloadTooLarge);

    let nan = [
        Value::Int(1),
        Value::Map(vec![("x".into(), Value::Float(f64::NAN))]),
    ];
    let e = seal_payload(
        &ring,
        Role::Originator,
        "u",
        Some(&nan),
        None,
        Dialect::Passthru {
            serializer: Serializer::Json,
            cipher: Cipher::XSalsa20Poly1305,
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedValue);
    assert_eq!(
        e.message(),
        "args[1][\"x\"]: NaN is not representable in JSON"
    );

    for (plain, code) in [
        (&b"[1,2]"[..], ErrorCode::InvalidPayload),
        (&b"{\"uri\":1}"[..], ErrorCode::InvalidPayload),
        (
            &b"{\"uri\":\"u\",\"args\":{}}"[..],
            ErrorCode::InvalidPayload,
        ),
        (&b"{\"uri\":\"u\""[..], ErrorCode::InvalidJson),
        (&b"{\"uri\":\"\xff\"}"[..], ErrorCode::InvalidUtf8),
    ] {
        let dialect = Dialect::Passthru {
            serializer: Serializer::Json,
            cipher: Cipher::XSalsa20Poly1305,
        };
        let env = wampe2e::seal_bytes(&ring, Role::Originator, "u", plain, dialect).unwrap();
        let e = open_payload(&ring, Role::Responder, "u", &env).unwrap_err();
        assert_eq!(e.code(), code, "{}", String::from_utf8_lossy(plain));
    }
}

#[test]
fn keyring_shared_across_threads_while_keys_change() {
    let ring = std::sync::Arc::new(KeyRing::new());
    let key = DataKey::generate().unwrap();
    ring.set("com.", SymmetricKey::new("k", key.clone()).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for j in 0..200 {
                    let uri = format!("com.t{i}.{j}");
                    let args = [Value::Int(j)];
                    let env = seal_payload(
                        &ring,
                        Role::Originator,
                        &uri,
                        Some(&args),
                        None,
                        Dialect::PASSTHRU_DEFAULT,
                    )
                    .unwrap();
                    let p = open_payload(&ring, Role::Responder, &uri, &env).unwrap();
                    assert_eq!(p.args.unwrap(), args);
                }
            })
        })
        .collect();
    for j in 0..200 {
        ring.set(
            &format!("org.x{j}"),
            SymmetricKey::new("k2", key.clone()).unwrap(),
        );
        ring.remove(&format!("org.x{j}"));
    }
    for h in handles {
        h.join().unwrap();
    }
}
