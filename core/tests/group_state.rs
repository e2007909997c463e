//! `Group::export_state` / `Group::from_state` (core/src/group/state.rs): a group
//! exported mid-session and imported again goes on exactly as the original, and
//! a damaged state is refused with a code, never a panic.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use wampe2e::group::{Group, GroupState, Identity, Kind, TrustEntry};
use wampe2e::ErrorCode;

const T0: u64 = 1_700_000_000_000;
const P: &str = "com.example.";
const TOPIC: &str = "com.example.topic";
const PROC: &str = "com.example.add";

fn pair() -> (Group, Group) {
    let (alice, bob) = (Identity::from_seed(&[1; 32]), Identity::from_seed(&[2; 32]));
    let (a, b) = (alice.public(), bob.public());
    let (ga, gb) = (Group::new(alice), Group::new(bob));
    for g in [&ga, &gb] {
        g.set_entry(TrustEntry::new(P, [a, b], [a, b]));
        g.set_entry(TrustEntry::new("org.other.", [b], [a]));
    }
    (ga, gb)
}

/// Through JSON text and back, checking that the state survives unchanged.
fn round_trip(g: &Group) -> Group {
    let state = g.export_state();
    let text = state.to_json().unwrap();
    let back = GroupState::from_json(&text).unwrap();
    assert_eq!(back, state);
    let restored = Group::from_state(&back).unwrap();
    assert_eq!(restored.export_state(), state);
    // serde's Serialize/Deserialize give the same JSON.
    let via_serde: GroupState =
        serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(via_serde, state);
    restored
}

/// alice seals 4 events and a call, bob opens the 1st and 3rd (the 2nd's key
/// is then a skipped key), and has a second key request pending.
fn mid_session() -> (Group, Group, Vec<Vec<u8>>, [u8; 32]) {
    let (alice, bob) = pair();
    let seals: Vec<_> = (0..4)
        .map(|i| alice.seal(TOPIC, Kind::Event, &[i], T0).unwrap())
        .collect();
    let req = bob
        .key_request(&alice.public(), seals[0].session_id, 0, P, T0)
        .unwrap();
    let resp = alice.answer_key_request(&req.request, T0).unwrap();
    bob.accept_key_response(&req.request_hash, &resp, T0)
        .unwrap();
    for i in [0, 2] {
        bob.open(TOPIC, Kind::Event, None, &seals[i].envelope, T0)
            .unwrap();
    }
    bob.key_request(&alice.public(), [0; 16], 0, P, T0).unwrap();
    let call = alice.seal(PROC, Kind::Call, b"call", T0).unwrap();
    let envelopes = seals.into_iter().map(|s| s.envelope).collect();
    (alice, bob, envelopes, call.call_hash.unwrap())
}

#[test]
fn export_import_round_trips_mid_session() {
    let (alice, bob, envelopes, call_hash) = mid_session();
    let state = bob.export_state();
    assert_eq!(state.inbound.len(), 1);
    assert_eq!(state.inbound[0].skipped.len(), 1);
    assert_eq!(state.key_requests.len(), 1);
    assert_eq!(alice.export_state().calls.len(), 1);
    assert_eq!(alice.export_state().outbound.len(), 1);

    let (alice2, bob2) = (round_trip(&alice), round_trip(&bob));
    // Both the originals and the copies go on the same way.
    for (a, b) in [(&alice, &bob), (&alice2, &bob2)] {
        let again = b.open(TOPIC, Kind::Event, None, &envelopes[0], T0);
        assert_eq!(again.unwrap_err().code(), ErrorCode::Replayed);
        let late = b.open(TOPIC, Kind::Event, None, &envelopes[1], T0).unwrap();
        assert_eq!((late.index, late.plaintext.as_slice()), (1, &[1u8][..]));
        let next = a.seal(TOPIC, Kind::Event, b"next", T0).unwrap();
        assert_eq!(next.index, 5); // 0..=3 events, 4 the call
        let opened = b
            .open(TOPIC, Kind::Event, None, &next.envelope, T0)
            .unwrap();
        assert_eq!(opened.plaintext, b"next");
        assert_eq!(opened.sender, a.public());
        // The call is still pending: bob, a receiver, answers it.
        assert_eq!(a.pending_calls(), 1);
        assert!(a.forget_call(&call_hash));
    }
    assert_eq!(alice.export_state(), alice2.export_state());
    assert_eq!(bob.export_state(), bob2.export_state());
}

#[test]
fn pending_key_request_and_call_survive() {
    let (alice, bob) = pair();
    let sealed = alice.seal(PROC, Kind::Call, b"x", T0).unwrap();
    let req = bob
        .key_request(&alice.public(), sealed.session_id, 0, P, T0)
        .unwrap();
    let bob = round_trip(&bob);
    let alice = round_trip(&alice);
    let resp = alice.answer_key_request(&req.request, T0).unwrap();
    bob.accept_key_response(&req.request_hash, &resp, T0)
        .unwrap();
    let opened = bob
        .open(PROC, Kind::Call, None, &sealed.envelope, T0)
        .unwrap();
    let mut inv = opened.invocation.unwrap();
    let reply = bob
        .seal_reply(&mut inv, Kind::Result, None, b"result")
        .unwrap();
    let alice = round_trip(&alice);
    let r = alice
        .open_reply(&sealed.call_hash.unwrap(), Kind::Result, None, None, &reply)
        .unwrap();
    assert_eq!(r.plaintext, b"result");
    assert_eq!(alice.pending_calls(), 0);
}

#[test]
fn debug_shows_no_secret() {
    let (alice, bob, _, _) = mid_session();
    for g in [&alice, &bob] {
        let s = g.export_state();
        let text = format!("{s:?} {:?} {:?}", s.inbound, s.outbound);
        assert!(!text.contains(s.seed.as_str()), "{text}");
        for o in &s.outbound {
            assert!(!text.contains(o.chain_key.as_str()));
        }
        for r in &s.inbound {
            assert!(!text.contains(r.chain_key.as_str()));
        }
    }
}

fn refused(text: &str) -> ErrorCode {
    match GroupState::from_json(text) {
        Err(e) => e.code(),
        Ok(s) => Group::from_state(&s).unwrap_err().code(),
    }
}

fn edit(state: &GroupState, f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&state.to_json().unwrap()).unwrap();
    f(&mut v);
    v.to_string()
}

#[test]
fn a_damaged_state_is_refused_with_a_code() {
    let (_, bob, _, _) = mid_session();
    let (alice, _, _, _) = mid_session();
    let s = bob.export_state();
    let a = alice.export_state();
    assert_eq!(refused("{"), ErrorCode::InvalidJson);
    assert_eq!(refused("[]"), ErrorCode::Malformed);
    let m = ErrorCode::Malformed;
    assert_eq!(refused(&edit(&s, |v| v["gs1_state"] = 2.into())), m);
    assert_eq!(refused(&edit(&s, |v| v["extra"] = 1.into())), m);
    assert_eq!(
        refused(&edit(&s, |v| v
            .as_object_mut()
            .unwrap()
            .remove("calls")
            .map(drop)
            .unwrap())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["public"] = a.public.clone().into())),
        m
    );
    assert_eq!(refused(&edit(&s, |v| v["seed"] = "00".into())), m);
    assert_eq!(
        refused(&edit(&s, |v| v["params"]["max_messages"] = 0.into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["params"]["max_messages"] = (1u64 << 32).into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["entries"][0]["senders"][0] = "zz".into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| {
            let e = v["entries"][0].clone();
            v["entries"].as_array_mut().unwrap().push(e);
        })),
        m
    );
    // Inbound: a chain key cut short, an index past next, a key for an index the
    // window marks opened, a duplicate session, the window without highest.
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["chain_key"] = "ab".into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["highest"] = 99.into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["skipped"][0][0] = 0.into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["highest"] = serde_json::Value::Null)),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["start"] = 10.into())),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| {
            let r = v["inbound"][0].clone();
            v["inbound"].as_array_mut().unwrap().push(r);
        })),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| {
            let k = v["inbound"][0]["skipped"][0].clone();
            let list = v["inbound"][0]["skipped"].as_array_mut().unwrap();
            for _ in 0..2001 {
                list.push(k.clone());
            }
        })),
        m
    );
    assert_eq!(
        refused(&edit(&s, |v| v["inbound"][0]["session_id"] =
            "00".repeat(16).into())),
        m
    );
    // A pending request whose hash does not match its fields.
    assert_eq!(
        refused(&edit(&s, |v| v["key_requests"][0]["from_index"] = 7.into())),
        m
    );
    // Outbound: a chain key that is not the base's advanced, base past next, a
    // session for no entry.
    let flip = |h: &str| {
        let mut b = h.as_bytes().to_vec();
        b[0] = if b[0] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    };
    let ck = a.outbound[0].chain_key.to_string();
    assert_eq!(
        refused(&edit(&a, |v| v["outbound"][0]["chain_key"] = flip(&ck).into())),
        m
    );
    assert_eq!(
        refused(&edit(&a, |v| v["outbound"][0]["base"] = 9.into())),
        m
    );
    assert_eq!(
        refused(&edit(&a, |v| v["outbound"][0]["prefix"] = "nope.".into())),
        m
    );
    assert_eq!(
        refused(&edit(&a, |v| v["calls"][0]["next_seq"] = u32::MAX.into())),
        m
    );
    assert_eq!(
        refused(&edit(&a, |v| v["calls"][0]["callee"] = 5.into())),
        m
    );

    // Outbound backlogs beyond what the import checks: refused before any work.
    let big = edit(&a, |v| {
        v["params"]["share_backlog"] = 65536.into();
        let o = v["outbound"][0].clone();
        let list = v["outbound"].as_array_mut().unwrap();
        for _ in 0..64 {
            let mut o = o.clone();
            o["next"] = 65536.into();
            list.push(o);
        }
    });
    let start = std::time::Instant::now();
    assert_eq!(refused(&big), m);
    assert!(start.elapsed().as_secs() < 5);

    // Every single-character change of the text: refused with a code or
    // accepted, never a panic.
    for st in [&s, &a] {
        let text = st.to_json().unwrap();
        let bytes = text.as_bytes();
        for pos in (0..bytes.len()).step_by(3) {
            for repl in [b'0', b'f', b'"', b'9'] {
                let mut b = bytes.to_vec();
                b[pos] = repl;
                let Ok(t) = String::from_utf8(b) else {
                    continue;
                };
                if let Ok(st) = GroupState::from_json(&t) {
                    let _ = Group::from_state(&st);
                }
            }
        }
    }
}
