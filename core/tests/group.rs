//! GS1 (`wampe2e::group`): every state-machine rule and error of docs/gs1.md
//! §§5–11, one test per rule or attack, each also checking that honest traffic on
//! the same session still works afterwards.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use wampe2e::group::testing;
use wampe2e::group::wire::{self, KeyRequestFields};
use wampe2e::group::{
    parse_payload, payload_plaintext, ChainKey, Group, Identity, IdentityKey, Invocation, Kind,
    Params, SealedMessage, Share, TrustEntry, MAX_SKIPPED,
};
use wampe2e::{ErrorCode, Value};

const T0: u64 = 1_700_000_000_000;
const P: &str = "com.example.";
const TOPIC: &str = "com.example.topic";
const PROC: &str = "com.example.add";

fn id(n: u8) -> Identity {
    Identity::from_seed(&[n; 32])
}

fn code<T: std::fmt::Debug>(r: wampe2e::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

/// alice sends, bob and carol receive, mallory is pinned nowhere; every peer
/// configures the same entry for `P`.
struct World {
    alice: Group,
    bob: Group,
    carol: Group,
    mallory: Group,
}

impl World {
    fn new() -> World {
        World::with_params(Params::default())
    }

    fn with_params(params: Params) -> World {
        let (a, b, c, m) = (id(1), id(2), id(3), id(4));
        let entry = TrustEntry::new(P, [a.public()], [b.public(), c.public()]);
        let mk = |i: Identity| {
            let g = Group::with_params(i, params).unwrap();
            g.set_entry(entry.clone());
            g
        };
        World {
            alice: mk(a),
            bob: mk(b),
            carol: mk(c),
            mallory: mk(m),
        }
    }

    fn a(&self) -> IdentityKey {
        self.alice.public()
    }
}

/// `receiver` fetches `sender`'s session of `m` from `m.index` on (§11).
fn fetch(sender: &Group, receiver: &Group, m: &SealedMessage, now: u64) {
    let req = receiver
        .key_request(&sender.public(), m.session_id, m.index, P, now)
        .unwrap();
    let resp = sender.answer_key_request(&req.request, now).unwrap();
    let got = receiver
        .accept_key_response(&req.request_hash, &resp, now)
        .unwrap();
    assert_eq!(got.session_id, m.session_id);
    assert_eq!(receiver.pending_key_requests(), 0);
}

fn open(g: &Group, m: &SealedMessage, now: u64) -> wampe2e::Result<Vec<u8>> {
    g.open(TOPIC, Kind::Event, Some(&m.key_id()), &m.envelope, now)
        .map(|o| o.plaintext)
}

/// The chain key of `share` advanced to `index`.
fn ck_at(ck0: &[u8; 32], n: u32) -> [u8; 32] {
    let mut ck = ChainKey::from_bytes(ck0);
    for _ in 0..n {
        ck = ck.next();
    }
    *ck.to_bytes()
}

/// A session of alice's given to bob directly (tests only), with fixed keys, so
/// that any index can be sealed with `testing::seal_with`.
struct Fixed {
    sid: [u8; 16],
    ck0: [u8; 32],
}

impl Fixed {
    fn share(w: &World, to: &Group, created: u64) -> Fixed {
        let f = Fixed {
            sid: [9; 16],
            ck0: [5; 32],
        };
        testing::accept_share(to, &f.share_fields(w, to, created), created).unwrap();
        f
    }

    fn share_fields(&self, w: &World, to: &Group, created: u64) -> Share {
        Share {
            sender: w.a(),
            requester: to.public(),
            session_id: self.sid,
            index: 0,
            chain_key: ChainKey::from_bytes(&self.ck0),
            created_ms: created,
            not_after_ms: created + 3_600_000,
            prefix: P.into(),
        }
    }

    fn seal_ck(&self, w: &World, index: u32, ck: &[u8; 32], ts: u64) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        nonce[..4].copy_from_slice(&index.to_be_bytes());
        testing::seal_with(
            w.alice.identity(),
            TOPIC,
            Kind::Event,
            self.sid,
            index,
            ck,
            ts,
            nonce,
            None,
            &payload_plaintext(TOPIC, Some(&[Value::Int(i64::from(index))]), None).unwrap(),
        )
        .unwrap()
        .envelope
    }

    fn seal(&self, w: &World, index: u32, ts: u64) -> Vec<u8> {
        self.seal_ck(w, index, &ck_at(&self.ck0, index), ts)
    }
}

fn open_raw(g: &Group, env: &[u8], now: u64) -> wampe2e::Result<u64> {
    let o = g.open(TOPIC, Kind::Event, None, env, now)?;
    let p = parse_payload(TOPIC, &o.plaintext)?;
    match p.args.as_deref() {
        Some([Value::Int(n)]) => Ok(*n as u64),
        Some([Value::UInt(n)]) => Ok(*n),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------- identities

#[test]
fn identity_of_the_zero_seed_is_the_pages() {
    let i = Identity::from_seed(&[0; 32]);
    let fp = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    assert_eq!(i.fingerprint(), fp);
    assert_eq!(i.key_procedure("wampe2e.key"), format!("wampe2e.key.{fp}"));
    let again =
        Identity::from_input("seed", wampe2e::KeyInput::Text(&hex::encode([0u8; 32]))).unwrap();
    assert_eq!(again.public(), i.public());
    assert_eq!(
        code(Identity::from_input(
            "seed",
            wampe2e::KeyInput::Bytes(&[1; 31])
        )),
        ErrorCode::InvalidKey
    );
}

#[test]
fn secrets_never_show_in_debug() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Call, b"x", T0).unwrap();
    fetch(&w.alice, &w.bob, &m, T0);
    let seed_hex = hex::encode([1u8; 32]);
    for text in [
        format!("{:?}", w.alice),
        format!("{:?}", w.alice.identity()),
        format!("{:?}", ChainKey::from_bytes(&[1; 32])),
        format!(
            "{:?}",
            Fixed::share(&w, &w.carol, T0).share_fields(&w, &w.carol, T0)
        ),
    ] {
        assert!(!text.contains(&seed_hex), "{text}");
        assert!(!text.contains("[1, 1, 1"), "{text}");
        assert!(!text.contains("0505050505"), "{text}");
        assert!(!text.contains("[5, 5, 5"), "{text}");
    }
}

// ---------------------------------------------------------------- open, happy

#[test]
fn an_event_reaches_every_authorized_receiver_once() {
    let w = World::new();
    let args = [Value::from(42)];
    let m = w
        .alice
        .seal_payload(TOPIC, Kind::Event, Some(&args), None, T0)
        .unwrap();
    assert_eq!(m.index, 0);
    assert_eq!(m.call_hash, None);
    assert_eq!(
        m.envelope.len(),
        16 + 87 + 64 + payload_plaintext(TOPIC, Some(&args), None).unwrap().len()
    );
    for r in [&w.bob, &w.carol] {
        assert_eq!(code(open(r, &m, T0)), ErrorCode::UnknownSession);
        fetch(&w.alice, r, &m, T0);
        let o = r
            .open(TOPIC, Kind::Event, Some(&m.key_id()), &m.envelope, T0)
            .unwrap();
        assert_eq!(o.sender, w.a());
        assert_eq!(
            (o.session_id, o.index, o.timestamp_ms),
            (m.session_id, 0, T0)
        );
        assert!(o.invocation.is_none());
        let p = parse_payload(TOPIC, &o.plaintext).unwrap();
        assert_eq!(p.args.as_deref(), Some(&args[..]));
        assert_eq!(code(open(r, &m, T0)), ErrorCode::Replayed);
    }
    // The §13.1 example bytes.
    assert_eq!(
        hex::encode(payload_plaintext(TOPIC, Some(&args), None).unwrap()),
        concat!(
            "a3",
            "63757269",
            "71",
            "636f6d2e6578616d706c652e746f706963",
            "6461726773",
            "81182a",
            "666b7761726773",
            "f6"
        )
    );
    // Later messages of the session open without another request.
    for i in 1..5u32 {
        let m = w
            .alice
            .seal(TOPIC, Kind::Event, &[i as u8], T0 + 1)
            .unwrap();
        assert_eq!(m.index, i);
        assert_eq!(open(&w.bob, &m, T0 + 2).unwrap(), vec![i as u8]);
    }
}

#[test]
fn a_pinned_plaintext_must_name_the_signed_uri() {
    assert_eq!(
        code(parse_payload(
            TOPIC,
            &payload_plaintext("com.example.other", None, None).unwrap()
        )),
        ErrorCode::UriMismatch
    );
    // {"uri": null, "args": null, "kwargs": null}
    let no_uri =
        hex::decode("a3637572 69f6 6461726773f6 666b7761726773f6".replace(' ', "")).unwrap();
    assert_eq!(code(parse_payload(TOPIC, &no_uri)), ErrorCode::MissingUri);
    assert_eq!(
        code(parse_payload(TOPIC, b"\xa3\x63ur")),
        ErrorCode::InvalidCbor
    );
}

// ------------------------------------------------------------ structure checks

#[test]
fn structure_is_checked_in_the_pages_order() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Event, b"x", T0).unwrap();
    fetch(&w.alice, &w.bob, &m, T0);
    let e = &m.envelope;
    let mut v = e.clone();
    v[0] = 2;
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::WrongVersion);
    let mut v = e.clone();
    v[1] = 2;
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::WrongVersion);
    let mut v = e.clone();
    v[2] = 0x07;
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::Malformed);
    assert_eq!(code(open_raw(&w.bob, &e[..2], T0)), ErrorCode::Malformed);
    assert_eq!(
        code(open_raw(&w.bob, &e[..87 + 16 + 63], T0)),
        ErrorCode::Malformed
    );
    // A known type the message does not imply.
    assert_eq!(
        code(w.bob.open(TOPIC, Kind::Call, None, e, T0)),
        ErrorCode::WrongKind
    );
    let mut v = e.clone();
    v[2] = 0x12;
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::WrongKind);
    // A zero session id is malformed before anything else is looked at.
    let mut v = e.clone();
    v[35..51].fill(0);
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::Malformed);
    // The key id attribute is a hint that must agree (lowercase).
    assert_eq!(
        code(
            w.bob
                .open(TOPIC, Kind::Event, Some(&m.key_id().to_uppercase()), e, T0)
        ),
        ErrorCode::KeyIdMismatch
    );
    // No entry covers the URI.
    assert_eq!(
        code(w.bob.open("org.other", Kind::Event, None, e, T0)),
        ErrorCode::KeyNotFound
    );
    // All this burned nothing.
    assert_eq!(open(&w.bob, &m, T0).unwrap(), b"x");
}

#[test]
fn parsers_are_total() {
    let w = World::new();
    let call = w.alice.seal(PROC, Kind::Call, b"c", T0).unwrap();
    let req = w.bob.key_request(&w.a(), [0; 16], 0, P, T0).unwrap();
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    let f = Fixed {
        sid: [9; 16],
        ck0: [5; 32],
    };
    let share = f.share_fields(&w, &w.bob, T0).encode().unwrap().to_vec();
    let samples = [
        call.envelope.clone(),
        req.request.clone(),
        resp.clone(),
        share.clone(),
    ];
    let mut seed = 7u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for s in &samples {
        for cut in 0..=s.len() {
            inputs.push(s[..cut].to_vec());
        }
        for _ in 0..200 {
            let mut v = s.clone();
            let i = (rnd() as usize) % v.len();
            v[i] ^= 1 << (rnd() % 8);
            inputs.push(v);
        }
    }
    for n in 0..300 {
        inputs.push((0..n).map(|_| rnd() as u8).collect());
    }
    let allowed = [
        ErrorCode::Malformed,
        ErrorCode::WrongVersion,
        ErrorCode::WrongKind,
    ];
    for input in &inputs {
        for k in Kind::ALL {
            if k.is_session_message() {
                if let Err(e) = wire::parse_session_envelope(input, k) {
                    assert!(allowed.contains(&e.code()), "{e}");
                }
            } else if let Err(e) = wire::parse_reply_envelope(input, k) {
                assert!(allowed.contains(&e.code()), "{e}");
            }
        }
        for r in [
            wire::parse_key_request(input).map(|_| ()),
            wire::parse_key_response(input).map(|_| ()),
            Share::parse(input).map(|_| ()),
        ] {
            if let Err(e) = r {
                assert!(allowed.contains(&e.code()), "{e}");
            }
        }
        // And through the state machines: never a panic, never an opening.
        assert!(w.bob.open(TOPIC, Kind::Event, None, input, T0).is_err());
        assert!(w
            .alice
            .open_reply(&call.call_hash.unwrap(), Kind::Result, None, None, input)
            .is_err());
        let _ = w.alice.answer_key_request(input, T0);
        assert!(
            w.bob
                .accept_key_response(&req.request_hash, input, T0)
                .is_err()
                || input == &resp
        );
    }
    // The round trips of the encoders.
    assert_eq!(
        Share::parse(&share).unwrap(),
        f.share_fields(&w, &w.bob, T0)
    );
    let parsed = wire::parse_key_request(&req.request).unwrap();
    assert_eq!(parsed.fields.requester, w.bob.public());
    assert_eq!(parsed.fields.prefix, P);
}

#[test]
fn share_parsing_refuses_what_the_page_refuses() {
    let w = World::new();
    let f = Fixed {
        sid: [9; 16],
        ck0: [5; 32],
    };
    let good = f.share_fields(&w, &w.bob, T0);
    let mut s = good.clone();
    s.session_id = [0; 16];
    assert_eq!(
        code(Share::parse(&s.encode().unwrap())),
        ErrorCode::Malformed
    );
    let mut s = good.clone();
    s.created_ms = s.not_after_ms + 1;
    assert_eq!(
        code(Share::parse(&s.encode().unwrap())),
        ErrorCode::Malformed
    );
    let mut b = good.encode().unwrap().to_vec();
    b.push(b'x');
    assert_eq!(code(Share::parse(&b)), ErrorCode::Malformed);
    let mut b = good.encode().unwrap().to_vec();
    let n = b.len();
    b[n - 1] = 0xff;
    assert_eq!(code(Share::parse(&b)), ErrorCode::Malformed);
}

// ------------------------------------------------------------- trust, signature

#[test]
fn an_unpinned_sender_is_refused_before_its_signature_is_checked() {
    let w = World::new();
    w.mallory
        .set_entry(TrustEntry::new(P, [w.mallory.public()], [w.bob.public()]));
    let m = w.mallory.seal(TOPIC, Kind::Event, b"evil", T0).unwrap();
    assert_eq!(code(open(&w.bob, &m, T0)), ErrorCode::UntrustedSender);
    // Nor can mallory get bob to fetch her session: bob refuses to ask her.
    assert_eq!(
        code(
            w.bob
                .key_request(&w.mallory.public(), m.session_id, 0, P, T0)
        ),
        ErrorCode::UntrustedSender
    );
    assert_eq!(
        code(w.bob.key_request(&w.a(), m.session_id, 0, "org.", T0)),
        ErrorCode::KeyNotFound
    );
}

#[test]
fn router_tampering_with_any_signed_byte_is_a_bad_signature_and_burns_nothing() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Event, b"payload", T0).unwrap();
    fetch(&w.alice, &w.bob, &m, T0);
    // Every byte from the sender on (offset 3): header, ciphertext, signature.
    for i in 35..m.envelope.len() {
        let mut v = m.envelope.clone();
        v[i] ^= 0x01;
        assert_eq!(
            code(open_raw(&w.bob, &v, T0)),
            ErrorCode::BadSignature,
            "byte {i}"
        );
    }
    // The sender key itself: a key that is not pinned.
    let mut v = m.envelope.clone();
    v[3] ^= 1;
    assert_eq!(code(open_raw(&w.bob, &v, T0)), ErrorCode::UntrustedSender);
    // Delivered for another topic under the same entry.
    assert_eq!(
        code(
            w.bob
                .open("com.example.other", Kind::Event, None, &m.envelope, T0)
        ),
        ErrorCode::BadSignature
    );
    assert_eq!(open(&w.bob, &m, T0).unwrap(), b"payload");
}

#[test]
fn signed_but_undecryptable_burns_nothing() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    // Index 3 sealed under the wrong chain key: signed by alice, the tag fails.
    let bad = f.seal_ck(&w, 3, &ck_at(&f.ck0, 4), T0);
    assert_eq!(
        code(open_raw(&w.bob, &bad, T0)),
        ErrorCode::DecryptionFailed
    );
    // Nothing advanced: 0..3 still open in any order, 3 included.
    for i in [3, 0, 2, 1] {
        assert_eq!(
            open_raw(&w.bob, &f.seal(&w, i, T0), T0).unwrap(),
            u64::from(i)
        );
    }
}

#[test]
fn a_session_used_outside_its_prefix_is_a_pattern_mismatch() {
    let w = World::new();
    for g in [&w.alice, &w.bob] {
        g.set_entry(TrustEntry::new(
            "com.example.sub.",
            [w.a()],
            [w.bob.public()],
        ));
    }
    let f = Fixed::share(&w, &w.bob, T0);
    let env = testing::seal_with(
        w.alice.identity(),
        "com.example.sub.x",
        Kind::Event,
        f.sid,
        0,
        &f.ck0,
        T0,
        [1; 24],
        None,
        b"x",
    )
    .unwrap()
    .envelope;
    assert_eq!(
        code(w.bob.open("com.example.sub.x", Kind::Event, None, &env, T0)),
        ErrorCode::PatternMismatch
    );
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 0, T0), T0).unwrap(), 0);
}

// ------------------------------------------------------------ replay, window

#[test]
fn replays_within_the_window_are_replayed_and_older_ones_too_old() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    let envs: Vec<Vec<u8>> = (0..100).map(|i| f.seal(&w, i, T0)).collect();
    for (i, e) in envs.iter().enumerate() {
        assert_eq!(open_raw(&w.bob, e, T0).unwrap(), i as u64);
    }
    // highest = 99: indices 36..=99 are in the window.
    for i in [99usize, 80, 36] {
        assert_eq!(
            code(open_raw(&w.bob, &envs[i], T0)),
            ErrorCode::Replayed,
            "{i}"
        );
    }
    for i in [35usize, 0] {
        assert_eq!(
            code(open_raw(&w.bob, &envs[i], T0)),
            ErrorCode::TooOld,
            "{i}"
        );
    }
}

#[test]
fn late_messages_open_once_from_the_skipped_keys() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 10, T0), T0).unwrap(), 10);
    for i in (0..10).rev() {
        let e = f.seal(&w, i, T0);
        assert_eq!(open_raw(&w.bob, &e, T0).unwrap(), u64::from(i));
        assert_eq!(code(open_raw(&w.bob, &e, T0)), ErrorCode::Replayed);
    }
    // A jump of more than 64 makes the old window irrelevant but keeps skipped keys.
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 200, T0), T0).unwrap(), 200);
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 11, T0), T0).unwrap(), 11);
    assert_eq!(
        code(open_raw(&w.bob, &f.seal(&w, 10, T0), T0)),
        ErrorCode::TooOld
    );
}

#[test]
fn skipped_keys_are_evicted_beyond_the_limit() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    let last = MAX_SKIPPED as u32 + 1; // skips 0..=2000: 2001 keys, one too many
    assert_eq!(
        open_raw(&w.bob, &f.seal(&w, last, T0), T0).unwrap(),
        u64::from(last)
    );
    assert_eq!(
        code(open_raw(&w.bob, &f.seal(&w, 0, T0), T0)),
        ErrorCode::TooOld
    );
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 1, T0), T0).unwrap(), 1);
    assert_eq!(
        open_raw(&w.bob, &f.seal(&w, last - 1, T0), T0).unwrap(),
        u64::from(last - 1)
    );
}

#[test]
fn an_index_jump_of_two_to_the_sixteen_is_refused_before_deriving() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    assert_eq!(open_raw(&w.bob, &f.seal(&w, 0, T0), T0).unwrap(), 0);
    // next = 1: 1 + 65536 is refused, 1 + 65535 opens.
    let ck = ck_at(&f.ck0, 65_536);
    let far = f.seal_ck(&w, 65_537, &ChainKey::from_bytes(&ck).next().to_bytes(), T0);
    assert_eq!(code(open_raw(&w.bob, &far, T0)), ErrorCode::IndexJump);
    assert_eq!(
        open_raw(&w.bob, &f.seal_ck(&w, 65_536, &ck, T0), T0).unwrap(),
        65_536
    );
    assert_eq!(open_raw(&w.bob, &far, T0).unwrap(), 65_537);
}

// ------------------------------------------------- expiry, grace, eviction

#[test]
fn a_superseded_session_opens_for_the_grace_window_only() {
    let w = World::new();
    let old = Fixed::share(&w, &w.bob, T0);
    let new = Fixed {
        sid: [8; 16],
        ck0: [6; 32],
    };
    testing::accept_share(&w.bob, &new.share_fields(&w, &w.bob, T0 + 1000), T0 + 5000).unwrap();
    let grace = Params::default().grace_ms;
    assert_eq!(
        open_raw(&w.bob, &old.seal(&w, 0, T0), T0 + 5000 + grace).unwrap(),
        0
    );
    assert_eq!(
        code(open_raw(&w.bob, &old.seal(&w, 1, T0), T0 + 5001 + grace)),
        ErrorCode::SessionExpired
    );
    assert_eq!(
        open_raw(&w.bob, &new.seal(&w, 0, T0 + 1000), T0 + 5001 + grace).unwrap(),
        0
    );
    // Accepting the old one again changes nothing.
    testing::accept_share(&w.bob, &old.share_fields(&w, &w.bob, T0), T0 + 6000 + grace).unwrap();
    assert_eq!(
        code(open_raw(&w.bob, &old.seal(&w, 2, T0), T0 + 6000 + grace)),
        ErrorCode::SessionExpired
    );
}

#[test]
fn expiry_is_not_after_plus_skew_and_timestamps_past_not_after_are_refused() {
    let w = World::new();
    let f = Fixed::share(&w, &w.bob, T0);
    let end = T0 + 3_600_000;
    let skew = Params::default().max_skew_ms;
    assert_eq!(
        code(open_raw(&w.bob, &f.seal(&w, 0, end + 1), T0)),
        ErrorCode::SessionExpired
    );
    assert_eq!(
        open_raw(&w.bob, &f.seal(&w, 1, end), end + skew).unwrap(),
        1
    );
    assert_eq!(
        code(open_raw(&w.bob, &f.seal(&w, 2, end), end + skew + 1)),
        ErrorCode::SessionExpired
    );
    // A share already past its not-after time plus skew is refused.
    let late = Fixed {
        sid: [7; 16],
        ck0: [7; 32],
    };
    assert_eq!(
        code(testing::accept_share(
            &w.bob,
            &late.share_fields(&w, &w.bob, T0),
            end + skew + 1
        )),
        ErrorCode::SessionExpired
    );
}

#[test]
fn at_most_five_sessions_per_sender_and_prefix() {
    let w = World::new();
    let mk = |n: u8| Fixed {
        sid: [n; 16],
        ck0: [n; 32],
    };
    for n in 1..=6u8 {
        testing::accept_share(
            &w.bob,
            &mk(n).share_fields(&w, &w.bob, T0 + u64::from(n)),
            T0 + 10,
        )
        .unwrap();
    }
    assert_eq!(w.bob.sessions_held(), 5);
    assert_eq!(
        code(open_raw(&w.bob, &mk(1).seal(&w, 0, T0), T0 + 10)),
        ErrorCode::UnknownSession
    );
    // An older share than every kept one is refused; a session of another prefix is not counted.
    assert_eq!(
        code(testing::accept_share(
            &w.bob,
            &mk(9).share_fields(&w, &w.bob, T0),
            T0 + 10
        )),
        ErrorCode::SessionExpired
    );
    w.bob.set_entry(TrustEntry::new("org.", [w.a()], []));
    let mut other = mk(10).share_fields(&w, &w.bob, T0);
    other.prefix = "org.".into();
    testing::accept_share(&w.bob, &other, T0 + 10).unwrap();
    assert_eq!(w.bob.sessions_held(), 6);
    // Superseded sessions still open within the grace window.
    assert_eq!(
        open_raw(&w.bob, &mk(2).seal(&w, 0, T0), T0 + 10).unwrap(),
        0
    );
}

// --------------------------------------------------------------- rotation

#[test]
fn the_sender_rotates_after_max_messages_and_max_age() {
    let w = World::with_params(Params {
        max_messages: 3,
        max_age_ms: 1000,
        ..Params::default()
    });
    let sids: Vec<[u8; 16]> = (0..7)
        .map(|_| {
            w.alice
                .seal(TOPIC, Kind::Event, b"", T0)
                .unwrap()
                .session_id
        })
        .collect();
    assert!(sids[0] == sids[2] && sids[2] != sids[3] && sids[3] == sids[5] && sids[5] != sids[6]);
    let s = w.alice.current_session(P).unwrap();
    assert_eq!((s.next, s.created_ms, s.not_after_ms), (1, T0, T0 + 1000));
    let m = w.alice.seal(TOPIC, Kind::Event, b"", T0 + 999).unwrap();
    assert_eq!(m.session_id, sids[6]);
    let m = w.alice.seal(TOPIC, Kind::Event, b"", T0 + 1000).unwrap();
    assert_ne!(m.session_id, sids[6]);
    assert_eq!(m.index, 0);
    assert_eq!(
        code(Group::with_params(
            id(1),
            Params {
                max_messages: 0,
                ..Params::default()
            }
        )),
        ErrorCode::InvalidArgument
    );
    Group::with_params(
        id(1),
        Params {
            max_messages: u32::MAX,
            ..Params::default()
        },
    )
    .unwrap();
    assert_eq!(
        code(Group::with_params(
            id(1),
            Params {
                share_backlog: 70_000,
                ..Params::default()
            }
        )),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn removing_a_receiver_rotates_and_the_removed_one_cannot_fetch_the_new_session() {
    let w = World::new();
    let m1 = w.alice.seal(TOPIC, Kind::Event, b"1", T0).unwrap();
    fetch(&w.alice, &w.carol, &m1, T0);
    // Adding a receiver does not rotate.
    let dave = id(5).public();
    w.alice.set_entry(TrustEntry::new(
        P,
        [w.a()],
        [w.bob.public(), w.carol.public(), dave],
    ));
    assert_eq!(
        w.alice
            .seal(TOPIC, Kind::Event, b"", T0)
            .unwrap()
            .session_id,
        m1.session_id
    );
    // Removing carol does.
    w.alice
        .set_entry(TrustEntry::new(P, [w.a()], [w.bob.public(), dave]));
    assert!(w.alice.current_session(P).is_none());
    let m2 = w.alice.seal(TOPIC, Kind::Event, b"2", T0).unwrap();
    assert_ne!(m2.session_id, m1.session_id);
    assert_eq!(code(open(&w.carol, &m2, T0)), ErrorCode::UnknownSession);
    let req = w
        .carol
        .key_request(&w.a(), m2.session_id, 0, P, T0)
        .unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&req.request, T0)),
        ErrorCode::KeyRefused
    );
    fetch(&w.alice, &w.bob, &m2, T0);
    assert_eq!(open(&w.bob, &m2, T0).unwrap(), b"2");
    // rotate() forces a new session too; the old one is no longer shared.
    assert!(w.alice.rotate(P));
    let req = w.bob.key_request(&w.a(), m2.session_id, 0, P, T0).unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&req.request, T0)),
        ErrorCode::UnknownSession
    );
    assert_ne!(
        w.alice
            .seal(TOPIC, Kind::Event, b"", T0)
            .unwrap()
            .session_id,
        m2.session_id
    );
    // Removing the entry discards the session.
    assert!(w.alice.remove_entry(P));
    assert!(w.alice.current_session(P).is_none());
    assert_eq!(
        code(w.alice.seal(TOPIC, Kind::Event, b"", T0)),
        ErrorCode::KeyNotFound
    );
}

// ------------------------------------------------------- key distribution

#[test]
fn key_requests_are_checked_in_the_pages_order() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Event, b"x", T0).unwrap();
    let req = w.bob.key_request(&w.a(), m.session_id, 0, P, T0).unwrap();
    assert_eq!(req.request.len(), 195 + P.len());
    // Addressed to someone else.
    assert_eq!(
        code(w.carol.answer_key_request(&req.request, T0)),
        ErrorCode::KeyRefused
    );
    // Tampered.
    let mut t = req.request.clone();
    t[90] ^= 1;
    assert_eq!(
        code(w.alice.answer_key_request(&t, T0)),
        ErrorCode::BadSignature
    );
    let mut t = req.request.clone();
    t[130] ^= 1; // the prefix length
    assert_eq!(
        code(w.alice.answer_key_request(&t, T0)),
        ErrorCode::Malformed
    );
    // Freshness: |now - ts| ≤ max_skew_ms.
    let skew = Params::default().max_skew_ms;
    w.alice.answer_key_request(&req.request, T0 + skew).unwrap();
    w.alice.answer_key_request(&req.request, T0 - skew).unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&req.request, T0 + skew + 1)),
        ErrorCode::KeyRequestStale
    );
    assert_eq!(
        code(w.alice.answer_key_request(&req.request, T0 - skew - 1)),
        ErrorCode::KeyRequestStale
    );
    // Not a receiver (mallory pins alice, alice does not authorize mallory).
    w.mallory.set_entry(TrustEntry::new(P, [w.a()], []));
    let r = w
        .mallory
        .key_request(&w.a(), m.session_id, 0, P, T0)
        .unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&r.request, T0)),
        ErrorCode::KeyRefused
    );
    // A prefix alice has no entry for.
    w.bob.set_entry(TrustEntry::new("com.", [w.a()], []));
    let r = w
        .bob
        .key_request(&w.a(), m.session_id, 0, "com.", T0)
        .unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&r.request, T0)),
        ErrorCode::KeyRefused
    );
    // The authorization callback.
    let bob = w.bob.public();
    w.alice
        .set_authorize(Some(Arc::new(move |who: &IdentityKey, prefix: &str| {
            *who != bob && prefix == P
        })));
    assert_eq!(
        code(w.alice.answer_key_request(&req.request, T0)),
        ErrorCode::KeyRefused
    );
    w.alice.set_authorize(None);
    // A session that is not the current one.
    let r = w.bob.key_request(&w.a(), [3; 16], 0, P, T0).unwrap();
    assert_eq!(
        code(w.alice.answer_key_request(&r.request, T0)),
        ErrorCode::UnknownSession
    );
    // After all that, the genuine request is answered and accepted.
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    assert_eq!(resp.len(), 318 + P.len());
    w.bob
        .accept_key_response(&req.request_hash, &resp, T0)
        .unwrap();
    assert_eq!(open(&w.bob, &m, T0).unwrap(), b"x");
}

#[test]
fn the_zero_session_id_fetches_the_current_session_and_starts_one_if_needed() {
    let w = World::new();
    assert!(w.alice.current_session(P).is_none());
    let req = w.bob.key_request(&w.a(), [0; 16], 99, P, T0).unwrap();
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    let got = w
        .bob
        .accept_key_response(&req.request_hash, &resp, T0)
        .unwrap();
    let s = w.alice.current_session(P).unwrap();
    assert_eq!(
        (got.session_id, got.index, got.prefix.as_str()),
        (s.session_id, 0, P)
    );
    // The first message of that session opens without any further request.
    let m = w.alice.seal(TOPIC, Kind::Event, b"first", T0 + 1).unwrap();
    assert_eq!(m.session_id, s.session_id);
    assert_eq!(open(&w.bob, &m, T0 + 2).unwrap(), b"first");
}

#[test]
fn shares_start_where_asked_within_the_backlog() {
    let w = World::with_params(Params {
        share_backlog: 4,
        ..Params::default()
    });
    let ms: Vec<SealedMessage> = (0..10)
        .map(|i| w.alice.seal(TOPIC, Kind::Event, &[i], T0).unwrap())
        .collect();
    assert_eq!(w.alice.current_session(P).unwrap().base, 6);
    // Asked from 2: clamped up to base 6.
    let req = w
        .bob
        .key_request(&w.a(), ms[0].session_id, 2, P, T0)
        .unwrap();
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    assert_eq!(
        w.bob
            .accept_key_response(&req.request_hash, &resp, T0)
            .unwrap()
            .index,
        6
    );
    assert_eq!(code(open(&w.bob, &ms[5], T0)), ErrorCode::TooOld);
    for (i, m) in ms.iter().enumerate().skip(6) {
        assert_eq!(open(&w.bob, m, T0).unwrap(), vec![i as u8]);
    }
    // Asked from beyond next: clamped down to next.
    let req = w
        .carol
        .key_request(&w.a(), ms[0].session_id, 1000, P, T0)
        .unwrap();
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    assert_eq!(
        w.carol
            .accept_key_response(&req.request_hash, &resp, T0)
            .unwrap()
            .index,
        10
    );
    // share_backlog = 0: the literal "no history" rule.
    let w = World::with_params(Params {
        share_backlog: 0,
        ..Params::default()
    });
    let m = w.alice.seal(TOPIC, Kind::Event, b"lost", T0).unwrap();
    let req = w.bob.key_request(&w.a(), m.session_id, 0, P, T0).unwrap();
    let resp = w.alice.answer_key_request(&req.request, T0).unwrap();
    assert_eq!(
        w.bob
            .accept_key_response(&req.request_hash, &resp, T0)
            .unwrap()
            .index,
        1
    );
    assert_eq!(code(open(&w.bob, &m, T0)), ErrorCode::TooOld);
}

#[test]
fn forged_or_misdirected_responses_cancel_nothing() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Event, b"x", T0).unwrap();
    let r1 = w.bob.key_request(&w.a(), m.session_id, 0, P, T0).unwrap();
    let r2 = w
        .bob
        .key_request(&w.a(), m.session_id, 0, P, T0 + 1)
        .unwrap();
    let resp1 = w.alice.answer_key_request(&r1.request, T0).unwrap();
    // The answer to r1 does not answer r2, nor a request never made.
    assert_eq!(
        code(w.bob.accept_key_response(&r2.request_hash, &resp1, T0)),
        ErrorCode::Unsolicited
    );
    assert_eq!(
        code(w.bob.accept_key_response(&[1; 32], &resp1, T0)),
        ErrorCode::Unsolicited
    );
    // Carol cannot use bob's answer (it is sealed to bob's key, and not her request).
    assert_eq!(
        code(w.carol.accept_key_response(&r1.request_hash, &resp1, T0)),
        ErrorCode::Unsolicited
    );
    for i in [3usize, 40, 67, 100, resp1.len() - 1] {
        let mut t = resp1.clone();
        t[i] ^= 1;
        let c = code(w.bob.accept_key_response(&r1.request_hash, &t, T0));
        assert!(
            matches!(c, ErrorCode::BadSignature | ErrorCode::Unsolicited),
            "{i}: {c:?}"
        );
    }
    assert_eq!(
        code(
            w.bob
                .accept_key_response(&r1.request_hash, &resp1[..300], T0)
        ),
        ErrorCode::Malformed
    );
    assert_eq!(w.bob.pending_key_requests(), 2);
    // A response signed by alice whose box holds a share for someone else.
    let f = Fixed {
        sid: m.session_id,
        ck0: [1; 32],
    };
    let mut wrong = f.share_fields(&w, &w.carol, T0);
    let forged = testing::key_response_for(
        w.alice.identity(),
        &r1.request,
        &wrong,
        &r1.reply_public,
        &[3; 32],
    )
    .unwrap();
    assert_eq!(
        code(w.bob.accept_key_response(&r1.request_hash, &forged, T0)),
        ErrorCode::ShareMismatch
    );
    wrong.requester = w.bob.public();
    wrong.session_id = [2; 16];
    let forged = testing::key_response_for(
        w.alice.identity(),
        &r1.request,
        &wrong,
        &r1.reply_public,
        &[3; 32],
    )
    .unwrap();
    assert_eq!(
        code(w.bob.accept_key_response(&r1.request_hash, &forged, T0)),
        ErrorCode::ShareMismatch
    );
    // Sealed to another key: the box does not open.
    let other = testing::key_response_for(
        w.alice.identity(),
        &r1.request,
        &wrong,
        &r2.reply_public,
        &[3; 32],
    )
    .unwrap();
    assert_eq!(
        code(w.bob.accept_key_response(&r1.request_hash, &other, T0)),
        ErrorCode::DecryptionFailed
    );
    // Signed by carol, who is not alice.
    let by_carol = testing::key_response_for(
        w.carol.identity(),
        &r1.request,
        &wrong,
        &r1.reply_public,
        &[3; 32],
    )
    .unwrap();
    assert_eq!(
        code(w.bob.accept_key_response(&r1.request_hash, &by_carol, T0)),
        ErrorCode::Unsolicited
    );
    // The genuine one still works; then it is no longer pending.
    w.bob
        .accept_key_response(&r1.request_hash, &resp1, T0)
        .unwrap();
    assert_eq!(
        code(w.bob.accept_key_response(&r1.request_hash, &resp1, T0)),
        ErrorCode::Unsolicited
    );
    assert!(w.bob.cancel_key_request(&r2.request_hash));
    assert_eq!(w.bob.pending_key_requests(), 0);
    assert_eq!(open(&w.bob, &m, T0).unwrap(), b"x");
}

#[test]
fn a_replayed_request_gets_an_answer_only_its_requester_opens() {
    let w = World::new();
    let m = w.alice.seal(TOPIC, Kind::Event, b"x", T0).unwrap();
    let req = w.bob.key_request(&w.a(), m.session_id, 0, P, T0).unwrap();
    let a1 = w.alice.answer_key_request(&req.request, T0).unwrap();
    let a2 = w.alice.answer_key_request(&req.request, T0).unwrap();
    assert_ne!(a1, a2, "a fresh ephemeral key per answer");
    // Carol, holding the request, cannot open the box: it is bob's pending request.
    assert_eq!(
        code(w.carol.accept_key_response(&req.request_hash, &a2, T0)),
        ErrorCode::Unsolicited
    );
    w.bob
        .accept_key_response(&req.request_hash, &a2, T0)
        .unwrap();
}

#[test]
fn the_sealed_box_opens_and_refuses_tampering_and_small_order_keys() {
    // Its bytes against PyNaCl's SealedBox are checked by gs1_vectors.rs (k.a1, k.a5).
    use wampe2e::group::keyshare::{open_box, seal_box, x25519_base};
    let sk = [0x42u8; 32];
    let pk = x25519_base(&sk);
    let sealed = seal_box(&pk, b"share bytes", &[0x24; 32]).unwrap();
    assert_eq!(sealed.len(), 11 + 48);
    assert_eq!(&open_box(&pk, &sk, &sealed).unwrap()[..], b"share bytes");
    let mut t = sealed.clone();
    t[40] ^= 1;
    assert_eq!(code(open_box(&pk, &sk, &t)), ErrorCode::DecryptionFailed);
    assert_eq!(
        code(open_box(&pk, &sk, &sealed[..47])),
        ErrorCode::DecryptionFailed
    );
    // A small-order public key is refused.
    assert_eq!(
        code(seal_box(&[0; 32], b"x", &[1; 32])),
        ErrorCode::InvalidKey
    );
}

#[test]
fn key_request_fields_encode_as_parsed() {
    let f = KeyRequestFields {
        requester: id(1).public(),
        target: id(2).public(),
        session_id: [3; 16],
        from_index: 7,
        reply_public: [4; 32],
        timestamp_ms: T0,
        prefix: "p.é".into(),
    };
    let mut b = f.encode_body().unwrap();
    assert_eq!(b.len(), 131 + "p.é".len());
    b.extend_from_slice(&[0; 64]);
    assert_eq!(wire::parse_key_request(&b).unwrap().fields, f);
}

// ------------------------------------------------------------------ RPC

struct Rpc {
    w: World,
    call: SealedMessage,
    inv: Invocation,
}

fn rpc() -> Rpc {
    let w = World::new();
    let call = w.alice.seal(PROC, Kind::Call, b"call", T0).unwrap();
    fetch(&w.alice, &w.bob, &call, T0);
    let o = w
        .bob
        .open(PROC, Kind::Call, Some(&call.key_id()), &call.envelope, T0)
        .unwrap();
    let inv = o.invocation.unwrap();
    assert_eq!(inv.caller, w.a());
    assert_eq!(inv.call_uri, PROC);
    assert_eq!(Some(inv.call_hash), call.call_hash);
    assert_eq!(w.alice.pending_calls(), 1);
    Rpc { w, call, inv }
}

fn open_reply(r: &Rpc, kind: Kind, env: &[u8]) -> wampe2e::Result<Vec<u8>> {
    r.w.alice
        .open_reply(&r.call.call_hash.unwrap(), kind, None, None, env)
        .map(|o| o.plaintext)
}

#[test]
fn progressive_results_open_in_order_and_once() {
    let mut r = rpc();
    let bob = &r.w.bob;
    let p0 = bob
        .seal_reply(&mut r.inv, Kind::Progress, None, b"p0")
        .unwrap();
    let p1 = bob
        .seal_reply(&mut r.inv, Kind::Progress, None, b"p1")
        .unwrap();
    let fin = bob
        .seal_reply(&mut r.inv, Kind::Result, None, b"done")
        .unwrap();
    assert!(r.inv.finished);
    assert_eq!(
        code(bob.seal_reply(&mut r.inv, Kind::Result, None, b"again")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(open_reply(&r, Kind::Progress, &p1)),
        ErrorCode::OutOfOrder
    );
    assert_eq!(
        code(open_reply(&r, Kind::Result, &fin)),
        ErrorCode::OutOfOrder
    );
    assert_eq!(open_reply(&r, Kind::Progress, &p0).unwrap(), b"p0");
    assert_eq!(
        code(open_reply(&r, Kind::Progress, &p0)),
        ErrorCode::Replayed
    );
    assert_eq!(open_reply(&r, Kind::Progress, &p1).unwrap(), b"p1");
    // The router flips the progress flag.
    assert_eq!(
        code(open_reply(&r, Kind::Progress, &fin)),
        ErrorCode::WrongKind
    );
    let o =
        r.w.alice
            .open_reply(&r.call.call_hash.unwrap(), Kind::Result, None, None, &fin)
            .unwrap();
    assert_eq!(
        (o.callee, o.kind, o.seq, o.plaintext.as_slice()),
        (bob.public(), Kind::Result, 2, &b"done"[..])
    );
    assert_eq!(
        code(open_reply(&r, Kind::Result, &fin)),
        ErrorCode::Unsolicited
    );
    assert_eq!(r.w.alice.pending_calls(), 0);
}

#[test]
fn replies_are_bound_to_their_call_and_callee() {
    let mut r = rpc();
    let w = &r.w;
    // A reply with a key id attribute.
    let fin = w
        .bob
        .seal_reply(&mut r.inv.clone(), Kind::Result, None, b"r")
        .unwrap();
    assert_eq!(
        code(w.alice.open_reply(
            &r.call.call_hash.unwrap(),
            Kind::Result,
            None,
            Some("00"),
            &fin
        )),
        ErrorCode::KeyIdMismatch
    );
    // The call envelope reflected as its result.
    assert_eq!(
        code(open_reply(&r, Kind::Result, &r.call.envelope)),
        ErrorCode::WrongKind
    );
    // A second call: its reply does not answer the first.
    let call2 = w.alice.seal(PROC, Kind::Call, b"call2", T0).unwrap();
    let mut inv2 = w
        .bob
        .open(PROC, Kind::Call, None, &call2.envelope, T0)
        .unwrap()
        .invocation
        .unwrap();
    let fin2 = w
        .bob
        .seal_reply(&mut inv2, Kind::Result, None, b"r2")
        .unwrap();
    assert_eq!(
        code(open_reply(&r, Kind::Result, &fin2)),
        ErrorCode::Unsolicited
    );
    // Mallory (not a receiver) answers with a genuine signature of her own.
    let mut minv = r.inv.clone();
    let forged = w
        .mallory
        .seal_reply(&mut minv, Kind::Result, None, b"evil")
        .unwrap();
    assert_eq!(
        code(open_reply(&r, Kind::Result, &forged)),
        ErrorCode::UntrustedSender
    );
    // Carol is a receiver and may answer, but tampering is caught.
    let mut t = fin.clone();
    t[130] ^= 1;
    assert_eq!(
        code(open_reply(&r, Kind::Result, &t)),
        ErrorCode::BadSignature
    );
    // The error URI is signed.
    let err = w
        .bob
        .seal_reply(&mut r.inv, Kind::Error, Some("com.example.error.x"), b"e")
        .unwrap();
    let h = r.call.call_hash.unwrap();
    assert_eq!(
        code(
            w.alice
                .open_reply(&h, Kind::Error, Some("com.example.error.y"), None, &err)
        ),
        ErrorCode::BadSignature
    );
    assert_eq!(
        code(w.alice.open_reply(&h, Kind::Error, None, None, &err)),
        ErrorCode::InvalidArgument
    );
    let o = w
        .alice
        .open_reply(&h, Kind::Error, Some("com.example.error.x"), None, &err)
        .unwrap();
    assert_eq!(o.plaintext, b"e");
    assert!(!w.alice.forget_call(&h));
    assert!(w.alice.forget_call(&call2.call_hash.unwrap()));
    assert_eq!(
        code(open_reply(&r, Kind::Result, &fin2)),
        ErrorCode::Unsolicited
    );
}

#[test]
fn a_reply_payload_carries_the_procedure_or_error_uri() {
    let mut r = rpc();
    let w = &r.w;
    let args = [Value::from(5)];
    let p = w
        .bob
        .seal_reply_payload(&mut r.inv, Kind::Progress, None, Some(&args), None)
        .unwrap();
    let o = open_reply(&r, Kind::Progress, &p).unwrap();
    assert_eq!(
        parse_payload(PROC, &o).unwrap().args.as_deref(),
        Some(&args[..])
    );
    let e = w
        .bob
        .seal_reply_payload(
            &mut r.inv,
            Kind::Error,
            Some("com.example.error.z"),
            None,
            None,
        )
        .unwrap();
    let o = w
        .alice
        .open_reply(
            &r.call.call_hash.unwrap(),
            Kind::Error,
            Some("com.example.error.z"),
            None,
            &e,
        )
        .unwrap();
    parse_payload("com.example.error.z", &o.plaintext).unwrap();
}

#[test]
fn a_small_order_reply_key_is_refused_by_the_callee() {
    let mut r = rpc();
    r.inv.reply_public = [0; 32];
    assert_eq!(
        code(r.w.bob.seal_reply(&mut r.inv, Kind::Result, None, b"")),
        ErrorCode::InvalidKey
    );
    assert_eq!(r.inv.next_seq, 0);
}

#[test]
fn seal_refuses_what_it_cannot_seal() {
    let w = World::new();
    assert_eq!(
        code(w.alice.seal(TOPIC, Kind::Result, b"", T0)),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(w.alice.seal("org.x", Kind::Event, b"", T0)),
        ErrorCode::KeyNotFound
    );
    assert_eq!(
        code(
            w.alice
                .seal(TOPIC, Kind::Event, &vec![0; wampe2e::MAX_PAYLOAD_LEN], T0)
        ),
        ErrorCode::PayloadTooLarge
    );
}

#[test]
fn longest_prefix_selection_and_the_exported_sets() {
    let w = World::new();
    w.bob.set_entry(TrustEntry::new("com.", [], []));
    w.bob.set_entry(TrustEntry::new("", [], []));
    w.bob
        .set_entry(TrustEntry::new("com.example.topicé", [], []));
    assert_eq!(w.bob.select(TOPIC).unwrap().prefix, P);
    assert_eq!(w.bob.select("com.x").unwrap().prefix, "com.");
    assert_eq!(w.bob.select("org").unwrap().prefix, "");
    assert_eq!(
        w.bob.select("com.example.topicé!").unwrap().prefix,
        "com.example.topicé"
    );
    let prefixes: Vec<String> = w.bob.entries().into_iter().map(|e| e.prefix).collect();
    assert_eq!(prefixes, ["", "com.", P, "com.example.topicé"]);
    assert_eq!(w.bob.entry(P).unwrap().senders.len(), 1);
    assert!(w.bob.remove_entry(""));
    assert!(w.bob.select("org").is_none());
}

#[test]
fn group_is_shared_across_threads() {
    let w = Arc::new(World::new());
    let m = w.alice.seal(TOPIC, Kind::Event, b"", T0).unwrap();
    fetch(&w.alice, &w.bob, &m, T0);
    let sealed: Vec<SealedMessage> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let w = w.clone();
                s.spawn(move || {
                    (0..25)
                        .map(|_| w.alice.seal(TOPIC, Kind::Event, b"t", T0).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut idx: Vec<u32> = sealed.iter().map(|m| m.index).collect();
    idx.sort_unstable();
    assert_eq!(idx, (1..=100).collect::<Vec<_>>());
    // Four threads each try every message: each opens exactly once overall.
    let opened: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (w, all) = (w.clone(), sealed.clone());
                s.spawn(move || all.iter().filter(|m| open(&w.bob, m, T0).is_ok()).count())
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(opened, 100);
}

#[test]
fn a_calls_replies_must_all_come_from_one_callee() {
    // bob and carol may both answer calls under P; the router hands alice's call to
    // both. The first reply alice accepts pins its callee: a reply from the other
    // (even with the next sequence number) is refused.
    let w = World::new();
    let call = w.alice.seal(PROC, Kind::Call, b"add 2 3", T0).unwrap();
    let call_hash = call.call_hash.unwrap();
    fetch(&w.alice, &w.bob, &call, T0);
    fetch(&w.alice, &w.carol, &call, T0);
    let mut at_bob = w
        .bob
        .open(PROC, Kind::Call, None, &call.envelope, T0)
        .unwrap()
        .invocation
        .unwrap();
    let mut at_carol = w
        .carol
        .open(PROC, Kind::Call, None, &call.envelope, T0)
        .unwrap()
        .invocation
        .unwrap();
    let bob0 = w
        .bob
        .seal_reply(&mut at_bob, Kind::Progress, None, b"bob 0")
        .unwrap();
    let _carol0 = w
        .carol
        .seal_reply(&mut at_carol, Kind::Progress, None, b"carol 0")
        .unwrap();
    let carol1 = w
        .carol
        .seal_reply(&mut at_carol, Kind::Result, None, b"carol 1")
        .unwrap();
    let opened = w
        .alice
        .open_reply(&call_hash, Kind::Progress, None, None, &bob0)
        .unwrap();
    assert_eq!(opened.callee, w.bob.public());
    assert_eq!(
        code(
            w.alice
                .open_reply(&call_hash, Kind::Result, None, None, &carol1)
        ),
        ErrorCode::UntrustedSender
    );
    let bob1 = w
        .bob
        .seal_reply(&mut at_bob, Kind::Result, None, b"bob 1")
        .unwrap();
    let last = w
        .alice
        .open_reply(&call_hash, Kind::Result, None, None, &bob1)
        .unwrap();
    assert_eq!(last.plaintext, b"bob 1");
    // Debug shows lengths, not plaintext.
    assert!(!format!("{last:?}").contains("98, 111, 98"));
    assert!(format!("{last:?}").contains("plaintext_len: 5"));
}

#[test]
fn a_receiver_removed_while_its_key_request_is_checked_gets_nothing() {
    // The authorization callback runs between the receivers check and taking the
    // session; the application removes carol meanwhile (here: from inside the
    // callback). Her request must not be answered with the session made after the
    // removal.
    let (a, b, c) = (id(1), id(2), id(3));
    let (apk, bpk, cpk) = (a.public(), b.public(), c.public());
    let alice = Arc::new(Group::new(a));
    let carol = Group::new(c);
    let entry = TrustEntry::new(P, [apk], [bpk, cpk]);
    alice.set_entry(entry.clone());
    carol.set_entry(entry);
    let weak = Arc::downgrade(&alice);
    alice.set_authorize(Some(Arc::new(move |who: &IdentityKey, _prefix: &str| {
        if *who == cpk {
            if let Some(alice) = weak.upgrade() {
                alice.set_entry(TrustEntry::new(P, [apk], [bpk]));
            }
        }
        true
    })));
    let req = carol.key_request(&apk, [0; 16], 0, P, T0).unwrap();
    assert_eq!(
        code(alice.answer_key_request(&req.request, T0)),
        ErrorCode::KeyRefused
    );
    // Asked again, she is no longer a receiver.
    let again = carol.key_request(&apk, [0; 16], 0, P, T0).unwrap();
    assert_eq!(
        code(alice.answer_key_request(&again.request, T0)),
        ErrorCode::KeyRefused
    );
    let m = alice
        .seal(TOPIC, Kind::Event, b"after the removal", T0)
        .unwrap();
    assert_eq!(
        code(carol.open(TOPIC, Kind::Event, None, &m.envelope, T0)),
        ErrorCode::UnknownSession
    );
}

#[test]
fn pending_calls_and_key_requests_are_bounded() {
    use wampe2e::group::{MAX_PENDING_CALLS, MAX_PENDING_KEY_REQUESTS};
    let w = World::with_params(Params {
        max_messages: u32::MAX - 1,
        ..Params::default()
    });
    // A router that drops every RESULT: the oldest calls are forgotten.
    let first = w.alice.seal(PROC, Kind::Call, b"first", T0).unwrap();
    for i in 0..MAX_PENDING_CALLS + 10 {
        w.alice
            .seal(PROC, Kind::Call, b"x", T0 + 1 + i as u64)
            .unwrap();
    }
    assert_eq!(w.alice.pending_calls(), MAX_PENDING_CALLS);
    assert!(!w.alice.forget_call(&first.call_hash.unwrap()));
    // Key requests nobody answers: at most the cap, and gone once no answer can
    // be fresh any more.
    let skew = Params::default().max_skew_ms;
    for _ in 0..MAX_PENDING_KEY_REQUESTS + 10 {
        w.bob.key_request(&w.a(), [0; 16], 0, P, T0).unwrap();
    }
    assert_eq!(w.bob.pending_key_requests(), MAX_PENDING_KEY_REQUESTS);
    w.bob
        .key_request(&w.a(), [0; 16], 0, P, T0 + 2 * skew + 1)
        .unwrap();
    assert_eq!(w.bob.pending_key_requests(), 1);
}
