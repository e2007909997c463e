//! What a hostile router (or a peer holding some key) tries against the layers
//! above the cipher: key-id substitution, revoked keys, reflection, nesting bombs,
//! duplicate plaintext keys, cipher flipping, and the inbound decision.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::exact::Exact;
use proptest::prelude::*;
use wampe2e::{
    decide, open_bytes, open_payload, seal_bytes, seal_payload, Arrival, BoxKey, Cipher, DataKey,
    Delivery, Dialect, Envelope, ErrorCode, KeyPair, KeyRing, MatchPolicy, MessageKind, Role,
    Serializer, SymmetricKey, Value,
};

fn code<T: std::fmt::Debug>(r: wampe2e::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

fn ppt(serializer: Serializer, cipher: Cipher) -> Dialect {
    Dialect::Passthru { serializer, cipher }
}

fn data(id: &str) -> SymmetricKey {
    SymmetricKey::new(id, DataKey::generate().unwrap()).unwrap()
}

#[test]
fn a_key_id_never_selects_another_entrys_key() {
    // The receiver: a public data key for com.public., a secret one for com.secret.,
    // a key pair for com.pair., and a key-id-only key.
    let (public, secret, loose) = (data("k-public"), data("k-secret"), data("k-loose"));
    let pair_o = KeyPair::generate().unwrap();
    let pair_r = KeyPair::generate().unwrap();
    let receiver = KeyRing::new();
    receiver.set("com.public.", public.clone());
    receiver.set("com.secret.", secret);
    receiver.set(
        "com.pair.",
        BoxKey::new(None, Some(pair_o.public), Some(pair_r.secret), None).unwrap(),
    );
    receiver.add_symmetric_key(loose.clone());

    // A peer that holds only the public (or the loose) data key seals for the secret URI.
    for (held, cipher) in [
        (&public, Cipher::XSalsa20Poly1305),
        (&public, Cipher::Aes256Gcm),
        (&loose, Cipher::Aes256Gcm),
    ] {
        let forger = KeyRing::new();
        forger.set("", held.clone());
        let d = ppt(Serializer::Json, cipher);
        let env = seal_payload(&forger, Role::Originator, "com.secret.cmd", None, None, d).unwrap();
        assert_eq!(env.key_id.as_deref(), Some(held.key_id()));
        let r = open_payload(&receiver, Role::Responder, "com.secret.cmd", &env);
        assert_eq!(code(r), ErrorCode::KeyNotFound, "{cipher:?}");
        // ... or for a URI whose entry is a key pair: the id is ignored, the box decides.
        let env = seal_payload(&forger, Role::Originator, "com.pair.cmd", None, None, d).unwrap();
        let r = open_payload(&receiver, Role::Responder, "com.pair.cmd", &env);
        let want = match cipher {
            Cipher::XSalsa20Poly1305 => ErrorCode::DecryptionFailed,
            Cipher::Aes256Gcm => ErrorCode::WrongKeyKind,
        };
        assert_eq!(code(r), want);
    }

    // Honest traffic: each key on its own URIs; the loose key on URIs no entry covers.
    let sealer = KeyRing::new();
    sealer.set("com.public.", public);
    sealer.set("org.", loose);
    let d = ppt(Serializer::Cbor, Cipher::XSalsa20Poly1305);
    for uri in ["com.public.x", "org.unkeyed"] {
        let env = seal_payload(&sealer, Role::Originator, uri, None, None, d).unwrap();
        assert!(
            open_payload(&receiver, Role::Responder, uri, &env).is_ok(),
            "{uri}"
        );
    }
}

#[test]
fn remove_revokes_what_set_added() {
    let key = data("k-1");
    let sealer = KeyRing::new();
    sealer.set("com.x.", key.clone());
    let receiver = KeyRing::new();
    receiver.set("com.x.", key.clone());
    let d = ppt(Serializer::Json, Cipher::Aes256Gcm);
    let env = seal_payload(&sealer, Role::Originator, "com.x.y", None, None, d).unwrap();
    assert!(open_payload(&receiver, Role::Responder, "com.x.y", &env).is_ok());
    assert!(receiver.remove("com.x."));
    assert_eq!(
        code(open_payload(&receiver, Role::Responder, "com.x.y", &env)),
        ErrorCode::KeyNotFound
    );
    assert!(!receiver.expects_sealed("com.x.y"));

    let loose = KeyRing::new();
    loose.add_symmetric_key(key);
    assert!(open_payload(&loose, Role::Responder, "com.x.y", &env).is_ok());
    assert!(loose.remove_key_id("k-1"));
    assert!(!loose.remove_key_id("k-1"));
    assert_eq!(
        code(open_payload(&loose, Role::Responder, "com.x.y", &env)),
        ErrorCode::KeyNotFound
    );
}

#[test]
fn own_ciphertext_sent_back_in_the_same_role_is_reflected() {
    let o = KeyPair::generate().unwrap();
    let r = KeyPair::generate().unwrap();
    let caller = KeyRing::new();
    caller.set(
        "com.p.",
        BoxKey::new(Some(o.secret.clone()), None, None, Some(r.public)).unwrap(),
    );
    let callee = KeyRing::new();
    callee.set(
        "com.p.",
        BoxKey::new(None, Some(o.public), Some(r.secret), None).unwrap(),
    );
    let args = vec![Value::from("secret arguments")];
    for d in [Dialect::Cryptobox, Dialect::PASSTHRU_DEFAULT] {
        let call =
            seal_payload(&caller, Role::Originator, "com.p.add", Some(&args), None, d).unwrap();
        // The router answers the CALL with the CALL's own ciphertext as the RESULT.
        let r = open_payload(&caller, Role::Originator, "com.p.add", &call);
        assert_eq!(code(r), ErrorCode::Reflected, "{d:?}");
        assert_eq!(
            code(open_bytes(&caller, Role::Originator, "com.p.add", &call)),
            ErrorCode::Reflected
        );
        // Decrypted before the reflection is seen: the caller's buffer (the
        // plaintext's length: written, not bypassed) is wiped.
        let mut out = vec![0xAB; call.payload.len() - d.cipher().overhead()];
        let r = wampe2e::open_bytes_into(&caller, Role::Originator, "com.p.add", &call, &mut out);
        assert_eq!(code(r), ErrorCode::Reflected);
        assert!(out.iter().all(|b| *b == 0), "{d:?}");
        let opened =
            wampe2e::open_bytes_into(&callee, Role::Responder, "com.p.add", &call, &mut out);
        assert_eq!(opened.unwrap(), wampe2e::OpenedBytes::Written(out.len()));
        // The callee opens it; its YIELD sent back to it as an INVOCATION is reflected too.
        let opened = open_payload(&callee, Role::Responder, "com.p.add", &call).unwrap();
        assert_eq!(Exact(&opened.args), Exact(&Some(args.clone())));
        let reply =
            seal_payload(&callee, Role::Responder, "com.p.add", Some(&args), None, d).unwrap();
        let r = open_payload(&callee, Role::Responder, "com.p.add", &reply);
        assert_eq!(code(r), ErrorCode::Reflected);
        // Honest answer: opened by the caller.
        assert!(open_payload(&caller, Role::Originator, "com.p.add", &reply).is_ok());
    }
    // A session that receives its own publication (exclude_me=False) opens it in the
    // other role: not a reflection.
    let shared = KeyRing::new();
    shared.set(
        "",
        BoxKey::from_shared_secret(KeyPair::generate().unwrap().secret).unwrap(),
    );
    let ev = seal_payload(
        &shared,
        Role::Originator,
        "t",
        None,
        None,
        Dialect::Cryptobox,
    )
    .unwrap();
    assert!(open_payload(&shared, Role::Responder, "t", &ev).is_ok());
}

/// `[[[…]]]` `depth` levels deep inside `args`, in each serializer.
fn bomb(serializer: Serializer, depth: usize) -> Vec<u8> {
    match serializer {
        Serializer::Json => {
            let mut s = String::from("{\"uri\":\"com.x\",\"args\":");
            s.push_str(&"[".repeat(depth));
            s.push_str(&"]".repeat(depth));
            s.push('}');
            s.into_bytes()
        }
        Serializer::Msgpack => {
            let mut b = vec![
                0x82, 0xa3, b'u', b'r', b'i', 0xa5, b'c', b'o', b'm', b'.', b'x',
            ];
            b.extend([0xa4, b'a', b'r', b'g', b's']);
            b.extend(std::iter::repeat_n(0x91, depth - 1));
            b.push(0x90);
            b
        }
        Serializer::Cbor => {
            let mut b = vec![
                0xa2, 0x63, b'u', b'r', b'i', 0x65, b'c', b'o', b'm', b'.', b'x',
            ];
            b.extend([0x64, b'a', b'r', b'g', b's']);
            b.extend(std::iter::repeat_n(0x81, depth - 1));
            b.push(0x80);
            b
        }
    }
}

#[test]
fn nesting_bombs_are_errors_on_a_small_stack() {
    let key = data("k");
    let ring = KeyRing::new();
    ring.set("", key);
    // A small worker thread's stack (256 KiB optimized; unoptimized frames are
    // several times larger): no overflow, an error.
    let stack = if cfg!(debug_assertions) { 1024 } else { 256 } * 1024;
    let handle = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            for serializer in [Serializer::Json, Serializer::Cbor, Serializer::Msgpack] {
                let d = ppt(serializer, Cipher::XSalsa20Poly1305);
                // What sealing allows opens.
                let fine =
                    seal_bytes(&ring, Role::Originator, "com.x", &bomb(serializer, 98), d).unwrap();
                let opened = open_payload(&ring, Role::Responder, "com.x", &fine).unwrap();
                let nested = (1..98).fold(Value::List(vec![]), |v, _| Value::List(vec![v]));
                let Value::List(outer) = nested else {
                    unreachable!()
                };
                assert_eq!(Exact(&opened.args), Exact(&Some(outer)), "{serializer:?}");
                for depth in [101, 1_000, 100_000] {
                    let env = seal_bytes(
                        &ring,
                        Role::Originator,
                        "com.x",
                        &bomb(serializer, depth),
                        d,
                    )
                    .unwrap();
                    let r = open_payload(&ring, Role::Responder, "com.x", &env);
                    assert_eq!(
                        code(r),
                        ErrorCode::UnsupportedValue,
                        "{serializer:?} {depth}"
                    );
                }
            }
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn duplicate_top_level_keys_are_refused_in_every_serializer() {
    let ring = KeyRing::new();
    ring.set("", data("k"));
    let cases: [(Serializer, Vec<u8>); 4] = [
        (
            Serializer::Json,
            br#"{"uri":"com.x","args":[1],"args":null}"#.to_vec(),
        ),
        (
            Serializer::Json,
            br#"{"uri":"com.x","uri":"com.x","args":[1]}"#.to_vec(),
        ),
        // {"uri": "com.x", "kwargs": {}, "kwargs": {"a": 1}}
        (
            Serializer::Msgpack,
            [
                &[
                    0x83, 0xa3, b'u', b'r', b'i', 0xa5, b'c', b'o', b'm', b'.', b'x',
                ][..],
                &[0xa6, b'k', b'w', b'a', b'r', b'g', b's', 0x80],
                &[
                    0xa6, b'k', b'w', b'a', b'r', b'g', b's', 0x81, 0xa1, b'a', 0x01,
                ],
            ]
            .concat(),
        ),
        (
            Serializer::Cbor,
            [
                &[
                    0xa3, 0x63, b'u', b'r', b'i', 0x65, b'c', b'o', b'm', b'.', b'x',
                ][..],
                &[0x64, b'a', b'r', b'g', b's', 0x81, 0x01],
                &[0x64, b'a', b'r', b'g', b's', 0xf6],
            ]
            .concat(),
        ),
    ];
    for (serializer, plain) in cases {
        let d = ppt(serializer, Cipher::XSalsa20Poly1305);
        let env = seal_bytes(&ring, Role::Originator, "com.x", &plain, d).unwrap();
        let r = open_payload(&ring, Role::Responder, "com.x", &env);
        assert_eq!(code(r), ErrorCode::InvalidPayload, "{serializer:?}");
    }
}

#[test]
fn flipping_ppt_cipher_fails_authentication() {
    let key = data("k");
    let sealer = KeyRing::new();
    sealer.set("", key.clone());
    let receiver = KeyRing::new();
    receiver.set("", key);
    for (from, to) in [
        (Cipher::XSalsa20Poly1305, Cipher::Aes256Gcm),
        (Cipher::Aes256Gcm, Cipher::XSalsa20Poly1305),
    ] {
        let env = seal_payload(
            &sealer,
            Role::Originator,
            "com.x",
            None,
            None,
            ppt(Serializer::Cbor, from),
        )
        .unwrap();
        let flipped = Envelope {
            dialect: ppt(Serializer::Cbor, to),
            ..env
        };
        let r = open_payload(&receiver, Role::Responder, "com.x", &flipped);
        assert_eq!(code(r), ErrorCode::DecryptionFailed);
    }
}

fn kind() -> impl Strategy<Value = MessageKind> {
    prop::sample::select(MessageKind::ALL.to_vec())
}

fn policy() -> impl Strategy<Value = MatchPolicy> {
    prop::sample::select(vec![
        MatchPolicy::Exact,
        MatchPolicy::Prefix,
        MatchPolicy::Wildcard,
    ])
}

proptest! {
    /// Whatever the router sends: a URI to open is covered by the local pattern,
    /// and a plaintext on a keyed URI is never delivered when strict.
    #[test]
    fn the_inbound_decision_holds_for_any_arrival(
        kind in kind(), policy in policy(),
        local in "(com|org)(\\.[a-z]{0,2}){0,3}",
        router in proptest::option::of("(com|org)(\\.[a-z]{0,2}){0,3}"),
        sealed: bool, request_sealed: bool, strict: bool,
    ) {
        let ring = KeyRing::new();
        ring.set("com.", BoxKey::from_shared_secret(KeyPair::generate().unwrap().secret).unwrap());
        let a = Arrival { kind, local_uri: &local, policy, router_uri: router.as_deref(), sealed, request_sealed };
        match decide(&ring, &a, strict) {
            Ok(Delivery::Open { uri }) => {
                prop_assert!(sealed);
                prop_assert!(policy.matches(&local, &uri));
            }
            Ok(Delivery::Plain { uri }) => {
                prop_assert!(!sealed);
                prop_assert!(policy.matches(&local, &uri));
                if strict {
                    prop_assert!(!ring.expects_sealed(&uri));
                    prop_assert!(!(kind == MessageKind::Result && request_sealed));
                }
            }
            Err(e) => prop_assert!(matches!(
                e.code(),
                ErrorCode::PatternMismatch | ErrorCode::UnexpectedPlaintext
            )),
        }
    }
}

#[test]
fn errors_after_decryption_never_quote_the_plaintext() {
    let ring = KeyRing::new();
    ring.set("", data("k"));
    // Parser errors: base64 names the offending byte and its offset, JSON the
    // position; after decryption both describe the secret, so they are withheld.
    let parser_errors: [(Serializer, &[u8]); 4] = [
        (
            Serializer::Json,
            br#"{"uri":"com.x","args":["\u0000SECRETxx!"]}"#,
        ),
        (
            Serializer::Json,
            br#"{"uri":"com.x","args":[1],"kwargs":{"a":SECRET}}"#,
        ),
        (
            Serializer::Msgpack,
            &[0x81, 0xa3, b'u', b'r', b'i', 0xc1, b'S'],
        ),
        (
            Serializer::Cbor,
            &[0xa1, 0x63, b'u', b'r', b'i', 0x64, b'S', 0xff, b'C', b'R'],
        ),
    ];
    for (serializer, plain) in parser_errors {
        let d = ppt(serializer, Cipher::XSalsa20Poly1305);
        let env = seal_bytes(&ring, Role::Originator, "com.x", plain, d).unwrap();
        let e = open_payload(&ring, Role::Responder, "com.x", &env).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("withheld"), "{text}");
        for leak in ["SECRET", "symbol", "offset", "column"] {
            assert!(!text.contains(leak), "{text}");
        }
    }
    // wampe2e's own messages name the part, never its content.
    let env = seal_bytes(
        &ring,
        Role::Originator,
        "com.x",
        br#"{"uri":"com.x","args":"SECRET"}"#,
        ppt(Serializer::Json, Cipher::XSalsa20Poly1305),
    )
    .unwrap();
    let e = open_payload(&ring, Role::Responder, "com.x", &env).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPayload);
    assert!(!e.to_string().contains("SECRET"), "{e}");
}
