//! GS1 (docs/gs1.md) on hostile bytes: each wire parser (event and call
//! envelopes, replies, key requests, key responses, shares) returns a value or a
//! stable error, never a panic, and what it parses encodes back to the same bytes;
//! and a receiver that holds a genuine session opens nothing it is handed but
//! genuine envelopes: arbitrary bytes, and genuine envelopes with a bit flipped,
//! are refused and leave the genuine ones openable.
//!
//! Input: which check (mod 9), then the bytes (for the flip: two bytes of position
//! and one of mask first).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wampe2e::group::wire::{
    parse_key_request, parse_key_response, parse_reply_envelope, parse_session_envelope,
};
use wampe2e::group::{Group, Identity, Kind, Params, Share, TrustEntry};
use wampe2e::ErrorCode;
use wampe2e_fuzz::Input;

const PREFIX: &str = "com.example.";
const URI: &str = "com.example.topic";
const NOW: u64 = 1_700_000_000_000;

/// alice (sender) and bob (receiver, holding alice's session), and a few genuine
/// envelopes of alice's: events and a call.
struct Peers {
    alice: Group,
    bob: Group,
    genuine: Vec<(Kind, Vec<u8>)>,
}

fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let params = Params {
            max_messages: u32::MAX - 1,
            ..Params::default()
        };
        let alice = Group::with_params(Identity::from_seed(&[1; 32]), params).unwrap();
        let bob = Group::with_params(Identity::from_seed(&[2; 32]), params).unwrap();
        let entry = TrustEntry::new(PREFIX, [alice.public()], [bob.public()]);
        alice.set_entry(entry.clone());
        bob.set_entry(entry);
        let req = bob
            .key_request(&alice.public(), [0; 16], 0, PREFIX, NOW)
            .unwrap();
        let resp = alice.answer_key_request(&req.request, NOW).unwrap();
        bob.accept_key_response(&req.request_hash, &resp, NOW).unwrap();
        let mut genuine = Vec::new();
        for (i, kind) in [Kind::Event, Kind::Event, Kind::Call, Kind::Event]
            .into_iter()
            .enumerate()
        {
            let sealed = alice.seal(URI, kind, &[i as u8; 40], NOW).unwrap();
            genuine.push((kind, sealed.envelope));
        }
        Peers {
            alice,
            bob,
            genuine,
        }
    })
}

fn refused(e: &wampe2e::Error) {
    assert!(
        !matches!(e.code(), ErrorCode::Panic | ErrorCode::NullArgument | ErrorCode::InvalidArgument),
        "{e}"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let which = input.byte() % 9;
    match which {
        0 | 1 => {
            let kind = if which == 0 { Kind::Event } else { Kind::Call };
            let bytes = input.rest();
            match parse_session_envelope(bytes, kind) {
                Ok(env) => {
                    assert_eq!(env.header.encode(), env.header_bytes);
                    assert_eq!(env.header.kind, kind);
                    let n = env.header_bytes.len() + env.ciphertext.len();
                    assert_eq!(bytes.get(n..), Some(&env.signature[..]));
                }
                Err(e) => refused(&e),
            }
        }
        2 => {
            let kind = [Kind::Result, Kind::Progress, Kind::Error][usize::from(input.byte() % 3)];
            let bytes = input.rest();
            match parse_reply_envelope(bytes, kind) {
                Ok(env) => {
                    assert_eq!(env.header.encode(), env.header_bytes);
                    let n = env.header_bytes.len() + env.ciphertext.len();
                    assert_eq!(bytes.get(n..), Some(&env.signature[..]));
                }
                Err(e) => refused(&e),
            }
        }
        3 => {
            let bytes = input.rest();
            match parse_key_request(bytes) {
                Ok(req) => {
                    assert_eq!(req.fields.encode_body().unwrap(), req.body);
                    assert_eq!(bytes.get(req.body.len()..), Some(&req.signature[..]));
                }
                Err(e) => refused(&e),
            }
            // Nobody but bob can sign bob's requests: alice refuses it.
            if let Err(e) = peers().alice.answer_key_request(bytes, NOW) {
                refused(&e);
            } else {
                panic!("alice answered a request nobody authorized signed");
            }
        }
        4 => {
            let bytes = input.rest();
            match parse_key_response(bytes) {
                Ok(resp) => {
                    assert_eq!(bytes.get(resp.body.len()..), Some(&resp.signature[..]));
                }
                Err(e) => refused(&e),
            }
        }
        5 => {
            let bytes = input.rest();
            match Share::parse(bytes) {
                Ok(share) => assert_eq!(&share.encode().unwrap()[..], bytes),
                Err(e) => refused(&e),
            }
        }
        6 | 7 => {
            // Arbitrary bytes as an event or call envelope: only alice can sign.
            let kind = if which == 6 { Kind::Event } else { Kind::Call };
            let bytes = input.rest();
            match peers().bob.open(URI, kind, None, bytes, NOW) {
                Ok(_) => panic!("bob opened an envelope alice never sealed"),
                Err(e) => refused(&e),
            }
        }
        _ => {
            // A genuine envelope with one bit flipped: refused; the genuine one
            // still opens (the forgery burned nothing) or was opened before
            // (`Replayed`).
            let p = peers();
            let pick = usize::from(input.byte()) % p.genuine.len();
            let (kind, genuine) = &p.genuine[pick];
            let at = (usize::from(input.byte()) << 8 | usize::from(input.byte())) % genuine.len();
            let mask = input.byte() | 1;
            let mut forged = genuine.clone();
            forged[at] ^= mask;
            match p.bob.open(URI, *kind, None, &forged, NOW) {
                Ok(_) => panic!("bob opened a genuine envelope with byte {at} changed"),
                Err(e) => refused(&e),
            }
            match p.bob.open(URI, *kind, None, genuine, NOW) {
                Ok(opened) => assert_eq!(opened.plaintext, vec![pick as u8; 40]),
                Err(e) => assert_eq!(e.code(), ErrorCode::Replayed, "{e}"),
            }
        }
    }
});
