//! Held messages (`wampe2e::group::held`, docs/gs1.md §11.6): a message of an
//! unknown session waits for one key fetch, in bounds, and comes out in the
//! sender's order; a failed or slow fetch discards its messages with its code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wampe2e::group::{
    fetch_error_code, Group, Held, HeldLimits, Hold, Identity, Kind, SealedMessage, TrustEntry,
};
use wampe2e::ErrorCode;

const T0: u64 = 1_700_000_000_000;
const P: &str = "com.example.";
const TOPIC: &str = "com.example.topic";

struct World {
    alice: Group,
    bob: Group,
}

fn world() -> World {
    let (a, b) = (Identity::from_seed(&[1; 32]), Identity::from_seed(&[2; 32]));
    let entry = TrustEntry::new(P, [a.public()], [b.public()]);
    let (alice, bob) = (Group::new(a), Group::new(b));
    alice.set_entry(entry.clone());
    bob.set_entry(entry);
    World { alice, bob }
}

fn limits(per_session: usize, total: usize, wait: u64) -> HeldLimits {
    HeldLimits {
        max_per_session: per_session,
        max_total: total,
        max_wait_ms: wait,
    }
}

fn seal(w: &World, n: u8) -> SealedMessage {
    w.alice.seal(TOPIC, Kind::Event, &[n], T0).unwrap()
}

/// Opening fails with `UnknownSession` first, as a binding sees it.
fn unknown(w: &World, m: &SealedMessage) {
    let e = w
        .bob
        .open(TOPIC, Kind::Event, None, &m.envelope, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnknownSession);
}

fn fetch_of(h: Hold) -> wampe2e::group::Fetch {
    match h {
        Hold::Fetch(f) => f,
        Hold::Waiting => panic!("expected a fetch"),
    }
}

#[test]
fn one_fetch_for_a_session_then_the_held_messages_in_the_senders_order() {
    let w = world();
    let mut held: Held<u8> = Held::new(HeldLimits::default(), None).unwrap();
    let ms: Vec<_> = (0..4).map(|n| seal(&w, n)).collect();
    unknown(&w, &ms[0]);
    let f = fetch_of(
        held.hold(&w.bob, TOPIC, Kind::Event, &ms[0].envelope, 0, T0)
            .unwrap(),
    );
    assert_eq!(f.procedure, w.alice.public().key_procedure("wampe2e.key"));
    assert_eq!(f.sender, w.alice.public());
    assert_eq!(f.session_id, ms[0].session_id);
    // The router delivers 3 before 2 (and 1 twice): they wait for the same fetch.
    for n in [3usize, 1, 2, 1] {
        let h = held.hold(&w.bob, TOPIC, Kind::Event, &ms[n].envelope, n as u8, T0);
        assert_eq!(h.unwrap(), Hold::Waiting);
    }
    assert_eq!((held.len(), held.fetches()), (5, 1));
    assert_eq!(w.bob.pending_key_requests(), 1);

    let response = w.alice.answer_key_request(&f.request, T0).unwrap();
    w.bob
        .accept_key_response(&f.request_hash, &response, T0)
        .unwrap();
    let out = held.release(&f.request_hash);
    assert_eq!(out, vec![0, 1, 1, 2, 3]);
    assert!(held.is_empty() && !held.is_fetching(&f.request_hash));
    let opened: Vec<_> = out
        .iter()
        .map(|&n| {
            w.bob
                .open(TOPIC, Kind::Event, None, &ms[n as usize].envelope, T0)
                .map(|o| o.plaintext)
                .map_err(|e| e.code())
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            Ok(vec![0]),
            Ok(vec![1]),
            Err(ErrorCode::Replayed),
            Ok(vec![2]),
            Ok(vec![3])
        ]
    );
    // Released twice: nothing.
    assert!(held.release(&f.request_hash).is_empty());
}

#[test]
fn the_bounds_refuse_with_hold_overflow_and_keep_what_is_held() {
    let w = world();
    let mut held: Held<u8> = Held::new(limits(2, 3, 10_000), None).unwrap();
    let ms: Vec<_> = (0..4).map(|n| seal(&w, n)).collect();
    held.hold(&w.bob, TOPIC, Kind::Event, &ms[0].envelope, 0, T0)
        .unwrap();
    held.hold(&w.bob, TOPIC, Kind::Event, &ms[1].envelope, 1, T0)
        .unwrap();
    let e = held
        .hold(&w.bob, TOPIC, Kind::Event, &ms[2].envelope, 2, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::HoldOverflow);
    assert_eq!(held.len(), 2);

    // The bound in all: a second publisher's session fills it.
    let c = Identity::from_seed(&[3; 32]);
    let carol = Group::new(c);
    let entry = TrustEntry::new(P, [w.alice.public(), carol.public()], [w.bob.public()]);
    w.bob.set_entry(entry.clone());
    carol.set_entry(entry);
    let cm = carol.seal(TOPIC, Kind::Event, b"c", T0).unwrap();
    let cm2 = carol.seal(TOPIC, Kind::Event, b"d", T0).unwrap();
    assert!(matches!(
        held.hold(&w.bob, TOPIC, Kind::Event, &cm.envelope, 9, T0)
            .unwrap(),
        Hold::Fetch(_)
    ));
    let e = held
        .hold(&w.bob, TOPIC, Kind::Event, &cm2.envelope, 10, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::HoldOverflow);
    assert_eq!((held.len(), held.fetches()), (3, 2));
}

#[test]
fn a_refused_fetch_discards_its_messages_and_refuses_the_session_for_a_while() {
    let w = world();
    let mut held: Held<u8> = Held::new(limits(8, 8, 1_000), None).unwrap();
    let (m0, m1, m2) = (seal(&w, 0), seal(&w, 1), seal(&w, 2));
    let f = fetch_of(
        held.hold(&w.bob, TOPIC, Kind::Event, &m0.envelope, 0, T0)
            .unwrap(),
    );
    held.hold(&w.bob, TOPIC, Kind::Event, &m1.envelope, 1, T0)
        .unwrap();
    let code = fetch_error_code("wampe2e.error.key_refused");
    assert_eq!(code, ErrorCode::KeyRefused);
    assert_eq!(held.fail(&w.bob, &f.request_hash, code, T0 + 5), vec![0, 1]);
    assert_eq!(w.bob.pending_key_requests(), 0);
    // Further messages of that session: refused with the fetch's code, no new fetch...
    let e = held
        .hold(&w.bob, TOPIC, Kind::Event, &m2.envelope, 2, T0 + 500)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRefused);
    assert_eq!(w.bob.pending_key_requests(), 0);
    // ...until max_wait_ms has passed: then it is asked for again.
    let f2 = fetch_of(
        held.hold(&w.bob, TOPIC, Kind::Event, &m2.envelope, 2, T0 + 1_006)
            .unwrap(),
    );
    let response = w.alice.answer_key_request(&f2.request, T0 + 1_006).unwrap();
    w.bob
        .accept_key_response(&f2.request_hash, &response, T0 + 1_006)
        .unwrap();
    assert_eq!(held.release(&f2.request_hash), vec![2]);
    let o = w
        .bob
        .open(TOPIC, Kind::Event, None, &m2.envelope, T0 + 1_006)
        .unwrap();
    assert_eq!(o.plaintext, vec![2]);
}

#[test]
fn a_slow_fetch_expires_with_key_fetch_failed_and_its_late_answer_is_unsolicited() {
    let w = world();
    let mut held: Held<u8> = Held::new(limits(8, 8, 1_000), None).unwrap();
    let m0 = seal(&w, 0);
    let f = fetch_of(
        held.hold(&w.bob, TOPIC, Kind::Event, &m0.envelope, 0, T0)
            .unwrap(),
    );
    assert!(held.expire(&w.bob, T0 + 999).is_empty());
    assert_eq!(held.expire(&w.bob, T0 + 1_000), vec![0]);
    assert!(held.is_empty() && held.fetches() == 0);
    let response = w.alice.answer_key_request(&f.request, T0 + 1_100).unwrap();
    let e = w
        .bob
        .accept_key_response(&f.request_hash, &response, T0 + 1_100)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unsolicited);
    assert!(held.release(&f.request_hash).is_empty());
}

#[test]
fn what_cannot_be_held_is_refused_with_its_own_code() {
    let w = world();
    let mut held: Held<u8> = Held::new(HeldLimits::default(), Some("app.keys")).unwrap();
    let m0 = seal(&w, 0);
    // A URI no entry covers.
    let e = held
        .hold(&w.bob, "org.other.t", Kind::Event, &m0.envelope, 0, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotFound);
    // Not an event envelope.
    let e = held
        .hold(&w.bob, TOPIC, Kind::Call, &m0.envelope, 0, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongKind);
    let e = held
        .hold(&w.bob, TOPIC, Kind::Event, &[1, 1], 0, T0)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(held.is_empty());
    // The base is the one configured.
    let f = fetch_of(
        held.hold(&w.bob, TOPIC, Kind::Event, &m0.envelope, 0, T0)
            .unwrap(),
    );
    assert!(f.procedure.starts_with("app.keys."));
    // Limits of zero are refused.
    for l in [limits(0, 1, 1), limits(1, 0, 1), limits(1, 1, 0)] {
        assert_eq!(
            Held::<u8>::new(l, None).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
    assert_eq!(
        Held::<u8>::new(HeldLimits::default(), Some(""))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn refusal_uris_map_to_their_codes_and_anything_else_is_key_fetch_failed() {
    for (uri, code) in [
        ("wampe2e.error.key_refused", ErrorCode::KeyRefused),
        ("wampe2e.error.unknown_session", ErrorCode::UnknownSession),
        (
            "wampe2e.error.key_request_stale",
            ErrorCode::KeyRequestStale,
        ),
        ("wampe2e.error.bad_signature", ErrorCode::BadSignature),
        ("wampe2e.error.malformed", ErrorCode::Malformed),
        ("wampe2e.error.KEY_REFUSED", ErrorCode::KeyFetchFailed),
        ("wampe2e.error.decryption_failed", ErrorCode::KeyFetchFailed),
        ("wamp.error.no_such_procedure", ErrorCode::KeyFetchFailed),
        ("", ErrorCode::KeyFetchFailed),
    ] {
        assert_eq!(fetch_error_code(uri), code, "{uri}");
    }
}
