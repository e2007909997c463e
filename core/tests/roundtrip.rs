//! Property tests: every value survives seal/open bit-exactly in every dialect,
//! serializer, cipher and kind of key; every bit flip, truncation and extension
//! of a ciphertext is rejected (exhaustively for a small one, at random for large
//! ones); sealing and opening stay correct while the very key in use is replaced.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::exact::Exact;
use proptest::collection::vec;
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wampe2e::{
    open_bytes, open_bytes_into, open_payload, seal_bytes, seal_payload, BoxKey, Cipher, DataKey,
    Dialect, ErrorCode, KeyPair, KeyRing, OpenedBytes, Role, Serializer, SymmetricKey, Value,
};

/// Floats as a serializer carries them. JSON has no NaN or infinities (but has
/// -0.0); CBOR and MessagePack carry every bit pattern.
fn float(json: bool) -> BoxedStrategy<f64> {
    let edges = prop::sample::select(vec![
        0.0,
        -0.0,
        1.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE / 4.0, // subnormal
        f64::from_bits(1),        // the smallest subnormal
        f64::MAX,
        f64::MIN,
        1e16,
        9007199254740993.0, // 2^53 + 1 rounds: an integer-valued float beyond i64 precision
        0.1,
    ]);
    if json {
        prop_oneof![
            any::<f64>().prop_filter("JSON has no NaN/Infinity", |f| f.is_finite()),
            edges,
        ]
        .boxed()
    } else {
        prop_oneof![
            any::<f64>(),
            edges,
            // every bit pattern: NaNs with payloads and sign, infinities, subnormals
            any::<u64>().prop_map(f64::from_bits),
            prop::sample::select(vec![f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        ]
        .boxed()
    }
}

fn value(json: bool) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop::sample::select(vec![i64::MIN, -1, 0, 1, i64::MAX]).prop_map(Value::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        Just(Value::UInt(u64::MAX)),
        float(json).prop_map(Value::Float),
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

/// Which kind of key an entry holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Keys {
    /// X25519 key pairs (`crypto_box`): cryptobox, and ppt xsalsa20poly1305.
    Pair,
    /// A symmetric data key: ppt xsalsa20poly1305 (`crypto_secretbox`) and aes256gcm.
    Data,
}

/// Every dialect with every kind of key it takes (ten combinations).
fn cases() -> Vec<(Dialect, Keys)> {
    let mut c = vec![(Dialect::Cryptobox, Keys::Pair)];
    for serializer in [Serializer::Json, Serializer::Cbor, Serializer::Msgpack] {
        let xsalsa = Dialect::Passthru {
            serializer,
            cipher: Cipher::XSalsa20Poly1305,
        };
        let gcm = Dialect::Passthru {
            serializer,
            cipher: Cipher::Aes256Gcm,
        };
        c.extend([
            (xsalsa, Keys::Pair),
            (xsalsa, Keys::Data),
            (gcm, Keys::Data),
        ]);
    }
    c
}

/// A publisher ring and a subscriber ring: a key pair (the default entry on both
/// sides), or a data key (the default entry for sealing, found by key id for
/// opening). Made once per kind (key pairs are slow to make in a debug build).
fn rings(keys: Keys) -> &'static (KeyRing, KeyRing) {
    static DATA: OnceLock<(KeyRing, KeyRing)> = OnceLock::new();
    static PAIR: OnceLock<(KeyRing, KeyRing)> = OnceLock::new();
    let make = || {
        let sealer = KeyRing::new();
        let opener = KeyRing::new();
        match keys {
            Keys::Data => {
                let key = DataKey::generate().unwrap();
                sealer.set("", SymmetricKey::new("k-1", key.clone()).unwrap());
                opener.add_symmetric_key(SymmetricKey::new("k-1", key).unwrap());
            }
            Keys::Pair => {
                let o = KeyPair::generate().unwrap();
                let r = KeyPair::generate().unwrap();
                sealer.set(
                    "",
                    BoxKey::new(Some(o.secret), None, None, Some(r.public)).unwrap(),
                );
                opener.set(
                    "",
                    BoxKey::new(None, Some(o.public), Some(r.secret), None).unwrap(),
                );
            }
        }
        (sealer, opener)
    };
    match keys {
        Keys::Data => DATA.get_or_init(make),
        Keys::Pair => PAIR.get_or_init(make),
    }
}

/// Seals `args`/`kwargs` in every case given and checks that they open bit-exactly.
fn round_trip(
    cases: &[(Dialect, Keys)],
    uri: &str,
    args: &[Value],
    kwargs: &wampe2e::Map,
) -> Result<(), TestCaseError> {
    for &(dialect, keys) in cases {
        let (sealer, opener) = rings(keys);
        let env = seal_payload(
            sealer,
            Role::Originator,
            uri,
            Some(args),
            Some(kwargs),
            dialect,
        )
        .unwrap();
        let p = open_payload(opener, Role::Responder, uri, &env).unwrap();
        prop_assert_eq!(p.uri.as_deref(), Some(uri));
        let (args, kwargs) = (Some(args.to_vec()), Some(kwargs.clone()));
        prop_assert_eq!(Exact(&p.args), Exact(&args), "{:?} {:?}", dialect, keys);
        prop_assert_eq!(Exact(&p.kwargs), Exact(&kwargs), "{:?} {:?}", dialect, keys);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trips(args in vec(value(true), 0..5), kwargs in vec((any::<String>(), value(true)), 0..5),
                             uri in "[a-z]{1,8}(\\.[a-z0-9_]{1,8}){0,4}") {
        round_trip(&cases(), &uri, &args, &kwargs)?;
    }

    /// CBOR and MessagePack carry every float bit pattern: NaN payloads, -NaN,
    /// infinities, -0.0, subnormals.
    #[test]
    fn binary_serializers_carry_every_float(args in vec(value(false), 0..5),
                                            kwargs in vec((any::<String>(), value(false)), 0..3)) {
        let binary: Vec<_> = cases().into_iter().filter(|(d, _)| d.serializer() != Serializer::Json).collect();
        round_trip(&binary, "com.x", &args, &kwargs)?;
    }

    #[test]
    fn values_round_trip_through_each_serializer(v in value(true), w in value(false)) {
        for s in [Serializer::Json, Serializer::Cbor, Serializer::Msgpack] {
            let mut out = Vec::new();
            s.write(&v, &mut out).unwrap();
            prop_assert_eq!(Exact(&s.read(&out).unwrap()), Exact(&v), "{:?}", s);
        }
        for s in [Serializer::Cbor, Serializer::Msgpack] {
            let mut out = Vec::new();
            s.write(&w, &mut out).unwrap();
            prop_assert_eq!(Exact(&s.read(&out).unwrap()), Exact(&w), "{:?}", s);
        }
    }

    /// The streaming paths bindings use write and read exactly what the value paths do.
    #[test]
    fn streamed_json_equals_the_value_path(args in vec(value(true), 0..4), kwargs in vec((any::<String>(), value(true)), 0..4)) {
        use wampe2e::plaintext::json_writer::JsonText;
        use wampe2e::plaintext::serializer::to_json_string;
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
        prop_assert_eq!(Exact(&opened.args), Exact(&Some(args)));
        prop_assert_eq!(Exact(&opened.kwargs), Exact(&Some(kwargs)));
    }
}

proptest! {
    // Each case seals and mutates up to 128 KiB in ten combinations: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Larger ciphertexts (up to 128 KiB, several SIMD blocks and AES-GCM chunks)
    /// in every case: 8 random single-bit flips, a random truncation and a random
    /// extension, each rejected.
    #[test]
    fn large_ciphertext_mutations_are_rejected(len in prop_oneof![0usize..1024, 1024usize..16_384, 16_384usize..=131_072],
                                               seed: u64,
                                               flips in vec((any::<prop::sample::Index>(), 0u8..8), 8),
                                               cut in any::<prop::sample::Index>(),
                                               extra in vec(any::<u8>(), 1..64)) {
        let mut plain = vec![0u8; len];
        let mut x = seed | 1;
        for b in plain.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        for (dialect, keys) in cases() {
            let (sealer, opener) = rings(keys);
            let env = seal_bytes(sealer, Role::Originator, "com.x", &plain, dialect).unwrap();
            let n = env.payload.len();
            for (pos, bit) in &flips {
                let mut flipped = env.clone();
                flipped.payload[pos.index(n)] ^= 1 << bit;
                let e = open_bytes(opener, Role::Responder, "com.x", &flipped).unwrap_err();
                prop_assert_eq!(e.code(), ErrorCode::DecryptionFailed, "{:?} {:?}", dialect, keys);
            }
            let mut truncated = env.clone();
            truncated.payload.truncate(cut.index(n));
            let e = open_bytes(opener, Role::Responder, "com.x", &truncated).unwrap_err();
            let want = if truncated.payload.len() < dialect.cipher().overhead() {
                ErrorCode::TruncatedCiphertext
            } else {
                ErrorCode::DecryptionFailed
            };
            prop_assert_eq!(e.code(), want);
            let mut extended = env.clone();
            extended.payload.extend_from_slice(&extra);
            let e = open_bytes(opener, Role::Responder, "com.x", &extended).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::DecryptionFailed);
            prop_assert_eq!(open_bytes(opener, Role::Responder, "com.x", &env).unwrap(), plain.clone());
        }
    }
}

/// `open_bytes_into` writes what `open_bytes` returns into the caller's buffer when
/// it fits (bytes beyond it untouched), into a buffer of its own when it does not
/// (the caller's untouched), and fails with `open_bytes`'s code leaving no plaintext
/// behind, in every dialect with every kind of key.
#[test]
fn open_bytes_into_writes_what_open_bytes_returns() {
    const FILL: u8 = 0xAB;
    for (dialect, keys) in cases() {
        let (sealer, opener) = rings(keys);
        for len in [0usize, 1, 63, 64, 65, 1000, 70_000] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 250) as u8 + 1).collect();
            let env = seal_bytes(sealer, Role::Originator, "com.x", &plain, dialect).unwrap();
            let open_into = |env: &wampe2e::Envelope, out: &mut [u8]| {
                open_bytes_into(opener, Role::Responder, "com.x", env, out)
            };
            for spare in [0, 5] {
                let mut out = vec![FILL; len + spare];
                assert_eq!(
                    open_into(&env, &mut out).unwrap(),
                    OpenedBytes::Written(len)
                );
                assert_eq!(&out[..len], &plain[..], "{dialect:?} {len}");
                assert!(out[len..].iter().all(|b| *b == FILL));
            }
            if len > 0 {
                let mut short = vec![FILL; len - 1];
                assert_eq!(
                    open_into(&env, &mut short).unwrap(),
                    OpenedBytes::Allocated(plain.clone())
                );
                assert!(short.iter().all(|b| *b == FILL));
            }
            let mut tampered = env.clone();
            *tampered.payload.last_mut().unwrap() ^= 1;
            let mut truncated = env.clone();
            truncated.payload.truncate(dialect.cipher().overhead() - 1);
            for bad in [tampered, truncated] {
                let mut out = vec![FILL; len];
                let want = open_bytes(opener, Role::Responder, "com.x", &bad).unwrap_err();
                assert_eq!(open_into(&bad, &mut out).unwrap_err().code(), want.code());
                assert!(
                    out.iter().all(|b| *b == FILL || *b == 0),
                    "{dialect:?} {len}"
                );
            }
        }
    }
}

/// A 64-byte plaintext sealed in every dialect with every kind of key: every
/// single-bit flip of every byte of the envelope, every truncation length, and
/// extensions by one to 64 bytes are refused, both by the AEAD (`open_bytes`) and
/// by the whole opening path (`open_payload`), with the code that says why.
#[test]
fn every_bit_flip_truncation_and_extension_of_a_small_envelope_is_rejected() {
    let plain: Vec<u8> = (0..64u8).collect();
    let mut refused = 0usize;
    for (dialect, keys) in cases() {
        let (sealer, opener) = rings(keys);
        let env = seal_bytes(sealer, Role::Originator, "com.x", &plain, dialect).unwrap();
        let overhead = dialect.cipher().overhead();
        assert_eq!(env.payload.len(), plain.len() + overhead);
        assert_eq!(
            open_bytes(opener, Role::Responder, "com.x", &env).unwrap(),
            plain
        );
        let refuse = |payload: Vec<u8>, want: ErrorCode, what: &str| {
            let bad = wampe2e::Envelope {
                payload,
                ..env.clone()
            };
            let e = open_bytes(opener, Role::Responder, "com.x", &bad).unwrap_err();
            assert_eq!(e.code(), want, "{dialect:?} {keys:?} {what}");
            let e = open_payload(opener, Role::Responder, "com.x", &bad).unwrap_err();
            assert_eq!(e.code(), want, "{dialect:?} {keys:?} {what} (open_payload)");
        };
        let n = env.payload.len();
        for byte in 0..n {
            for bit in 0..8 {
                let mut p = env.payload.clone();
                p[byte] ^= 1 << bit;
                refuse(
                    p,
                    ErrorCode::DecryptionFailed,
                    &format!("flip {byte}.{bit}"),
                );
                refused += 1;
            }
        }
        for len in 0..n {
            let want = if len < overhead {
                ErrorCode::TruncatedCiphertext
            } else {
                ErrorCode::DecryptionFailed
            };
            refuse(env.payload[..len].to_vec(), want, &format!("cut to {len}"));
            refused += 1;
        }
        for extra in 1..=64u8 {
            let mut p = env.payload.clone();
            p.extend((0..extra).map(|i| i.wrapping_mul(37)));
            refuse(
                p,
                ErrorCode::DecryptionFailed,
                &format!("{extra} more bytes"),
            );
            refused += 1;
        }
    }
    // 10 cases: 4 of 104 bytes (xsalsa20poly1305 with a key pair or data key in
    // cryptobox and ppt), 3 more of 104, 3 of 92 (aes256gcm): flips, cuts, extensions.
    assert_eq!(refused, 7 * (104 * 9 + 64) + 3 * (92 * 9 + 64));
}

#[test]
fn roles_are_not_interchangeable() {
    let (sealer, opener) = rings(Keys::Pair);
    let env = seal_payload(
        sealer,
        Role::Originator,
        "com.x",
        None,
        None,
        Dialect::Cryptobox,
    )
    .unwrap();
    // The subscriber's entry has no originator secret: it cannot open as originator.
    let e = open_payload(opener, Role::Originator, "com.x", &env).unwrap_err();
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
    let args = vec![Value::from("result")];
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
    assert_eq!(Exact(&p.args), Exact(&Some(args)));
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
    assert_eq!(Exact(&p.args), Exact(&Some(vec![Value::Int(1)])));
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

/// The key ids an entry has had, in order, published by the thread that changes
/// it right after each change.
#[derive(Default)]
struct History(Mutex<Vec<String>>);

impl History {
    fn push(&self, id: String) {
        self.0.lock().unwrap().push(id);
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn position(&self, id: &str) -> Option<usize> {
        self.0.lock().unwrap().iter().rposition(|k| k == id)
    }
}

/// What the workers saw, for the report and the final checks.
#[derive(Default, Debug)]
struct Outcomes {
    opened: usize,
    seal_refused: usize,
    open_refused: usize,
}

/// Threads seal and open on exactly the prefixes whose entries another thread keeps
/// replacing (a data key under a new key id, the same id rotated to a new key, a
/// key pair rotated) and removing. Every seal either uses the entry's key of that
/// moment or fails with `KeyNotFound` (entry removed); every open either gives
/// back exactly what was sealed, with a key that was in the ring between the seal
/// and the open, or fails with `KeyNotFound` (entry removed or its key id changed)
/// or `DecryptionFailed` (same id, other key); nothing else. The run lasts until
/// both successes and each kind of refusal were seen.
#[test]
fn sealing_and_opening_while_that_very_entry_is_replaced() {
    const DATA: &str = "com.hot.data.";
    const PAIR: &str = "com.hot.pair.";
    let ring = Arc::new(KeyRing::new());
    let data_ids = Arc::new(History::default());
    let pair_ids = Arc::new(History::default());
    ring.set(
        DATA,
        SymmetricKey::new("g0", DataKey::generate().unwrap()).unwrap(),
    );
    data_ids.push("g0".into());
    let first = BoxKey::from_shared_secret(KeyPair::generate().unwrap().secret).unwrap();
    pair_ids.push(first.originator_public().unwrap().key_id());
    ring.set(PAIR, first);
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));

    let workers: Vec<_> = (0..3)
        .map(|t| {
            let (ring, stop, outcomes) = (ring.clone(), stop.clone(), outcomes.clone());
            let (data_ids, pair_ids) = (data_ids.clone(), pair_ids.clone());
            std::thread::spawn(move || {
                let dialects = cases();
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let (dialect, keys) = dialects[(i as usize + t) % dialects.len()];
                    let (prefix, ids) = match keys {
                        Keys::Data => (DATA, &data_ids),
                        Keys::Pair => (PAIR, &pair_ids),
                    };
                    let uri = format!("{prefix}t{t}");
                    let args = vec![Value::Int(i as i64), Value::from(format!("thread {t}"))];
                    let before = ids.len();
                    let env = match seal_payload(
                        &ring,
                        Role::Originator,
                        &uri,
                        Some(&args),
                        None,
                        dialect,
                    ) {
                        Ok(env) => env,
                        Err(e) => {
                            assert_eq!(e.code(), ErrorCode::KeyNotFound, "seal {dialect:?}: {e}");
                            assert_eq!(keys, Keys::Data, "only the data entry is ever removed");
                            outcomes.lock().unwrap().seal_refused += 1;
                            continue;
                        }
                    };
                    // The key that sealed was the entry's at or after the seal began.
                    if let Some(id) = &env.key_id {
                        if let Some(p) = ids.position(id) {
                            assert!(
                                p + 1 >= before,
                                "sealed with {id}, #{p} of {before} already replaced"
                            );
                        } // else: installed but not yet published
                    }
                    match open_payload(&ring, Role::Responder, &uri, &env) {
                        Ok(p) => {
                            assert_eq!(p.uri.as_deref(), Some(uri.as_str()));
                            assert_eq!(Exact(&p.args), Exact(&Some(args)));
                            assert_eq!(p.kwargs, None);
                            outcomes.lock().unwrap().opened += 1;
                        }
                        Err(e) => {
                            assert!(
                                matches!(
                                    e.code(),
                                    ErrorCode::KeyNotFound | ErrorCode::DecryptionFailed
                                ),
                                "open {dialect:?} {keys:?}: {e}"
                            );
                            if keys == Keys::Pair {
                                // Key pairs are only rotated: the box fails.
                                assert_eq!(e.code(), ErrorCode::DecryptionFailed, "{e}");
                            }
                            outcomes.lock().unwrap().open_refused += 1;
                        }
                    }
                }
            })
        })
        .collect();

    // Replace, rotate and remove the very entries in use until every outcome was
    // seen often enough (or give up after 60 s: then the checks below fail).
    let started = Instant::now();
    let mut n = 0u64;
    loop {
        n += 1;
        match n % 4 {
            0 => {
                let id = format!("g{n}");
                ring.set(
                    DATA,
                    SymmetricKey::new(&id, DataKey::generate().unwrap()).unwrap(),
                );
                data_ids.push(id);
            }
            1 => {
                // The same key id, a fresh key (KeyNotFound if it is removed just now).
                if let Err(e) = ring.rotate(DATA) {
                    assert_eq!(e.code(), ErrorCode::KeyNotFound);
                }
            }
            2 => {
                ring.remove(DATA);
                std::thread::sleep(Duration::from_micros(200));
                let id = format!("g{n}");
                ring.set(
                    DATA,
                    SymmetricKey::new(&id, DataKey::generate().unwrap()).unwrap(),
                );
                data_ids.push(id);
            }
            _ => {
                let fresh = ring.rotate(PAIR).unwrap();
                pair_ids.push(fresh.originator_public.unwrap().key_id());
            }
        }
        std::thread::sleep(Duration::from_micros(300));
        let o = outcomes.lock().unwrap();
        let enough = o.opened >= 500 && o.seal_refused >= 5 && o.open_refused >= 20;
        if enough || started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let o = outcomes.lock().unwrap();
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "key churn: {n} changes in {:?}; {o:?}",
        started.elapsed()
    );
    assert!(
        o.opened >= 500 && o.seal_refused >= 5 && o.open_refused >= 20,
        "{o:?}"
    );

    // After the churn: what the current keys seal opens; a ciphertext under a
    // replaced key id does not.
    let stale = {
        let old = KeyRing::new();
        old.set(
            DATA,
            SymmetricKey::new("g0", DataKey::generate().unwrap()).unwrap(),
        );
        seal_payload(
            &old,
            Role::Originator,
            "com.hot.data.x",
            None,
            None,
            Dialect::PASSTHRU_DEFAULT,
        )
        .unwrap()
    };
    let e = open_payload(&ring, Role::Responder, "com.hot.data.x", &stale).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound);
    for (dialect, _) in cases() {
        let uri = if dialect == Dialect::Cryptobox || dialect.cipher() == Cipher::XSalsa20Poly1305 {
            "com.hot.pair.x"
        } else {
            "com.hot.data.x"
        };
        let env = seal_payload(&ring, Role::Originator, uri, None, None, dialect).unwrap();
        open_payload(&ring, Role::Responder, uri, &env).unwrap();
    }
}
