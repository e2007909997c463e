//! The inbound decision on anything a router can send: never panics, never opens
//! for a URI the local pattern does not cover, never delivers plaintext on a keyed
//! URI when strict; and a decided URI opens a ciphertext only if it was sealed for it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wampe2e::{
    decide, open_payload, seal_payload, Arrival, BoxKey, Delivery, Dialect, Envelope, KeyRing,
    MatchPolicy, MessageKind, Role, SecretKey,
};

fuzz_target!(|input: (u8, String, Option<String>, String, Vec<u8>)| {
    let (flags, local, router, sealed_for, junk) = input;
    // One ring for all runs: a key pair costs an X25519 multiplication.
    static RING: std::sync::OnceLock<KeyRing> = std::sync::OnceLock::new();
    let ring = RING.get_or_init(|| {
        let ring = KeyRing::new();
        ring.set(
            "com.",
            BoxKey::from_shared_secret(SecretKey::from_bytes(&[9u8; 32])).unwrap(),
        );
        ring
    });
    let kind = MessageKind::ALL[usize::from(flags % 4)];
    let policy = [
        MatchPolicy::Exact,
        MatchPolicy::Prefix,
        MatchPolicy::Wildcard,
    ][usize::from((flags >> 2) % 3)];
    let (sealed, request_sealed, strict) =
        (flags & 0x10 != 0, flags & 0x20 != 0, flags & 0x40 != 0);
    let arrival = Arrival {
        kind,
        local_uri: &local,
        policy,
        router_uri: router.as_deref(),
        sealed,
        request_sealed,
    };
    match decide(ring, &arrival, strict) {
        Ok(Delivery::Open { uri }) => {
            assert!(sealed && policy.matches(&local, &uri));
            // A genuine payload sealed for another URI never opens on this one.
            if let Ok(env) = seal_payload(
                ring,
                Role::Originator,
                &sealed_for,
                None,
                None,
                Dialect::Cryptobox,
            ) {
                let opened = open_payload(ring, kind.role(), &uri, &env);
                if sealed_for != uri {
                    assert!(opened.is_err());
                }
            }
            let _ = open_payload(
                ring,
                kind.role(),
                &uri,
                &Envelope {
                    dialect: Dialect::Cryptobox,
                    key_id: None,
                    payload: junk,
                },
            );
        }
        Ok(Delivery::Plain { uri }) => {
            assert!(!sealed && policy.matches(&local, &uri));
            assert!(!strict || !ring.expects_sealed(&uri));
        }
        Err(e) => assert!(matches!(
            e.code(),
            wampe2e::ErrorCode::PatternMismatch | wampe2e::ErrorCode::UnexpectedPlaintext
        )),
    }
});
