//! The shared vectors in `tests/vectors/`, made by libsodium/PyNaCl, Autobahn|Python,
//! cbor2/msgpack and `cryptography`, checked against the wampe2e core.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// The bit-exact comparison of the core's integration tests.
#[path = "../../core/tests/common/mod.rs"]
mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::exact::Exact;
use wampe2e::crypto::secretbox::XSalsaKey;
use wampe2e::plaintext::builder::read_json;
use wampe2e::{
    open_payload, serialize_plaintext, BoxKey, Cipher, DataKey, Dialect, Envelope, KeyMaterial,
    KeyPair, KeyRing, PublicKey, Role, SecretKey, Serializer, SymmetricKey, Value,
};
use wampe2e_tests::{s, vector_file};

fn hex32(h: &str) -> [u8; 32] {
    hex::decode(h).unwrap().try_into().unwrap()
}

#[test]
fn libsodium_crypto_box_kat() {
    let doc = vector_file("crypto_box_kat.json");
    let b = &doc["box"];
    let alice = SecretKey::from_encoded("alice", s(b, "alice_secret_hex")).unwrap();
    let bob = SecretKey::from_encoded("bob", s(b, "bob_secret_hex")).unwrap();
    let bob_secret = bob.clone();
    assert_eq!(alice.public_key().to_hex(), s(b, "alice_public_hex"));
    assert_eq!(bob.public_key().to_hex(), s(b, "bob_public_hex"));
    let sealed = B64.decode(s(b, "sealed_base64")).unwrap();
    let message = hex::decode(s(b, "message_hex")).unwrap();

    // Bob opens what libsodium sealed from Alice, through the core's raw open.
    let ring = KeyRing::new();
    ring.set(
        "",
        BoxKey::new(None, Some(alice.public_key()), Some(bob), None).unwrap(),
    );
    let env = Envelope {
        dialect: Dialect::Cryptobox,
        key_id: None,
        payload: sealed.clone(),
    };
    assert_eq!(
        wampe2e::open_bytes(&ring, Role::Responder, "x", &env).unwrap(),
        message
    );

    // And wampe2e's own precomputed box (crypto_box_beforenm, then the SIMD
    // XSalsa20-Poly1305) reproduces libsodium's bytes for the fixed nonce.
    let bob_pub = PublicKey::from_encoded("bob", s(b, "bob_public_hex")).unwrap();
    let ours = XSalsaKey::from_box(&alice.to_bytes(), bob_pub.as_bytes()).unwrap();
    let nonce: [u8; 24] = hex::decode(s(b, "nonce_hex")).unwrap().try_into().unwrap();
    let mut body = message.clone();
    let tag = ours.seal_detached(&nonce, &mut body);
    assert_eq!([&nonce[..], &tag[..], &body[..]].concat(), sealed);
    // Bob's box (the other direction of the same shared key) opens it detached.
    let bobs = XSalsaKey::from_box(&bob_secret.to_bytes(), alice.public_key().as_bytes()).unwrap();
    assert!(bobs.open_detached(&nonce, &mut body, &tag));
    assert_eq!(body, message);

    // Flipping any bit of libsodium's ciphertext is rejected.
    for i in 0..sealed.len() {
        for bit in 0..8 {
            let mut bad = sealed.clone();
            bad[i] ^= 1 << bit;
            let env = Envelope {
                payload: bad,
                ..env.clone()
            };
            let e = wampe2e::open_bytes(&ring, Role::Responder, "x", &env).unwrap_err();
            assert_eq!(
                e.code(),
                wampe2e::ErrorCode::DecryptionFailed,
                "byte {i} bit {bit}"
            );
        }
    }
}

#[test]
fn ed25519_to_x25519_matches_libsodium() {
    let doc = vector_file("crypto_box_kat.json");
    let cases = doc["ed25519_to_x25519"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        let pair = KeyPair::from_ed25519_seed(&hex32(s(c, "ed25519_seed_hex")));
        assert_eq!(pair.secret.to_hex().as_str(), s(c, "x25519_secret_hex"));
        assert_eq!(pair.public.to_hex(), s(c, "x25519_public_hex"));
        let from_pub =
            wampe2e::ed25519_public_to_x25519("pk", &hex32(s(c, "ed25519_public_hex"))).unwrap();
        assert_eq!(from_pub.to_hex(), s(c, "x25519_public_hex"));
    }
}

fn args_kwargs(v: &serde_json::Value) -> (Option<Vec<Value>>, Option<wampe2e::Map>) {
    let args = match read_json(s(v, "args_json").as_bytes()).unwrap() {
        Value::Null => None,
        Value::List(l) => Some(l),
        other => panic!("args {other:?}"),
    };
    let kwargs = match read_json(s(v, "kwargs_json").as_bytes()).unwrap() {
        Value::Null => None,
        Value::Map(m) => Some(m),
        other => panic!("kwargs {other:?}"),
    };
    (args, kwargs)
}

#[test]
fn autobahn_vectors_are_byte_identical_and_open() {
    let doc = vector_file("autobahn_cryptobox.json");
    let o = &doc["originator"];
    let r = &doc["responder"];
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 14);
    let mut numbers_seen = 0;
    for v in vectors {
        let name = s(v, "name");
        let uri = s(v, "uri");
        let (args, kwargs) = args_kwargs(v);
        let plaintext = B64.decode(s(v, "plaintext_base64")).unwrap();
        let sealed = B64.decode(s(v, "sealed_base64")).unwrap();

        // 1. Our JSON plaintext is Autobahn's, byte for byte.
        let ours =
            serialize_plaintext(Serializer::Json, uri, args.as_deref(), kwargs.as_ref()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&plaintext),
            "{name}"
        );

        // 2. The opposite role opens Autobahn's ciphertext (keys given as hex on one
        //    side to exercise both encodings).
        let sealer_is_originator = s(v, "sealer_role") == "originator";
        let opener = if sealer_is_originator {
            BoxKey::from_encoded(
                None,
                Some(s(o, "public_hex")),
                Some(s(r, "secret_base64")),
                None,
            )
        } else {
            BoxKey::from_encoded(
                Some(s(o, "secret_hex")),
                None,
                None,
                Some(s(r, "public_base64")),
            )
        }
        .unwrap();
        let ring = KeyRing::new();
        ring.set("com.example.", opener);
        let role = if sealer_is_originator {
            Role::Responder
        } else {
            Role::Originator
        };
        let env = Envelope {
            dialect: Dialect::Cryptobox,
            key_id: None,
            payload: sealed.clone(),
        };
        let opened = open_payload(&ring, role, uri, &env).unwrap();
        assert_eq!(opened.uri.as_deref(), Some(uri), "{name}");
        assert_eq!(Exact(&opened.args), Exact(&args), "{name}");
        assert_eq!(Exact(&opened.kwargs), Exact(&kwargs), "{name}");
        if name.starts_with("numbers") {
            // Independent of our JSON reader: each number with its type and bits.
            assert_eq!(Exact(&opened.args), Exact(&Some(numbers_args())), "{name}");
            assert_eq!(
                Exact(&opened.kwargs),
                Exact(&Some(numbers_kwargs())),
                "{name}"
            );
            numbers_seen += 1;
        }

        // 3. Replaying it on another URI is caught.
        let replay = open_payload(&ring, role, "com.example.other", &env).unwrap_err();
        assert_eq!(replay.code(), wampe2e::ErrorCode::UriMismatch, "{name}");
    }
    assert_eq!(numbers_seen, 2, "the numbers vector, sealed by each role");
}

/// The "numbers" vector's args as Autobahn|Python sealed them: Python ints are
/// `Int` (or `UInt` above `i64::MAX`), Python floats are `Float`, bit for bit
/// (`1000000000000000.0` stays a float, `-0.0` keeps its sign).
fn numbers_args() -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Int(-1),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::UInt(u64::MAX),
        Value::Float(0.1),
        Value::Float(-2.5e-7),
        Value::Float(1e16),
        Value::Float(1e15),
        Value::Float(std::f64::consts::PI),
        Value::Float(-0.0),
    ]
}

fn numbers_kwargs() -> wampe2e::Map {
    vec![("big".into(), Value::UInt(u64::MAX))]
}

#[test]
fn keyring_selects_like_autobahn() {
    let doc = vector_file("autobahn_cryptobox.json");
    let sel = &doc["keyring_selection"];
    let ring = KeyRing::new();
    let mut publics = Vec::new();
    for (name, prefix) in sel["prefixes"].as_object().unwrap() {
        let secret = s(&sel["keys"][name], "secret_base64");
        let key =
            BoxKey::from_shared_secret(SecretKey::from_encoded(name, secret).unwrap()).unwrap();
        publics.push((name.clone(), key.originator_public()));
        ring.set(prefix.as_str().unwrap(), key);
    }
    let cases = sel["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for c in cases {
        let uri = s(c, "uri");
        let entry = ring.select(uri).unwrap();
        let KeyMaterial::Box(k) = &entry.material else {
            panic!()
        };
        let chosen = publics
            .iter()
            .find(|(_, p)| *p == k.originator_public())
            .unwrap();
        assert_eq!(chosen.0, s(c, "key"), "uri {uri:?}");
    }
}

#[test]
fn ppt_vectors_open() {
    let doc = vector_file("ppt.json");
    let uri = s(&doc, "uri");
    let expected_args = read_json(s(&doc, "expected_args_json").as_bytes()).unwrap();
    let expected_kwargs = read_json(s(&doc, "expected_kwargs_json").as_bytes()).unwrap();
    let data = DataKey::from_encoded("data", s(&doc, "data_key_base64")).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 9);
    for v in vectors {
        let serializer: Serializer = s(v, "serializer").parse().unwrap();
        let cipher: Cipher = s(v, "cipher").parse().unwrap();
        let ring = KeyRing::new();
        if s(v, "key") == "data" {
            ring.add_symmetric_key(SymmetricKey::new(s(v, "key_id"), data.clone()).unwrap());
        } else {
            ring.set(
                "com.example.",
                BoxKey::from_encoded(
                    None,
                    Some(s(&doc["originator"], "public_base64")),
                    Some(s(&doc["responder"], "secret_hex")),
                    None,
                )
                .unwrap(),
            );
        }
        let env = Envelope {
            dialect: Dialect::Passthru { serializer, cipher },
            key_id: v["key_id"].as_str().map(str::to_owned),
            payload: B64.decode(s(v, "sealed_base64")).unwrap(),
        };
        let what = format!("{serializer:?}/{cipher:?}/{}", s(v, "key"));
        let opened = open_payload(&ring, Role::Responder, uri, &env).expect(&what);
        assert_eq!(
            Exact(&opened.args.map(Value::List)),
            Exact(&Some(expected_args.clone())),
            "{what}"
        );
        assert_eq!(
            Exact(&opened.kwargs.map(Value::Map)),
            Exact(&Some(expected_kwargs.clone())),
            "{what}"
        );
        // Independent of our JSON reader: each value with its type.
        assert_eq!(Exact(&expected_args), Exact(&ppt_expected_args()), "{what}");
        assert_eq!(
            Exact(&expected_kwargs),
            Exact(&ppt_expected_kwargs()),
            "{what}"
        );
    }
}

/// `expected_args_json` of ppt.json, typed: `[1,"two",3.5,"\u0000BAU=",null,true,[{"six":6}]]`.
fn ppt_expected_args() -> Value {
    Value::List(vec![
        Value::Int(1),
        Value::from("two"),
        Value::Float(3.5),
        Value::Bytes(vec![4, 5]),
        Value::Null,
        Value::Bool(true),
        Value::List(vec![Value::Map(vec![("six".into(), Value::Int(6))])]),
    ])
}

/// `expected_kwargs_json` of ppt.json, typed: `{"key":"value","n":-7}`.
fn ppt_expected_kwargs() -> Value {
    Value::Map(vec![
        ("key".into(), Value::from("value")),
        ("n".into(), Value::Int(-7)),
    ])
}
