//! Property (issue #13): any interleaving of seal, open, rotate and share across
//! three senders and five receivers (one of them not authorized): every genuine
//! message opens exactly once at every receiver that holds or can fetch its
//! session, and nothing else opens (duplicates, tampered envelopes, envelopes
//! delivered for another topic, anything at the unauthorized receiver).
//! 10 cases of up to 31 operations: about 15 s in a debug build (Ed25519 is slow
//! unoptimized).

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use std::collections::HashSet;
use wampe2e::group::{Group, Identity, IdentityKey, Kind, Params, SealedMessage, TrustEntry};
use wampe2e::ErrorCode;

const T0: u64 = 1_700_000_000_000;
const P: &str = "t.";
const TOPIC: &str = "t.topic";
const SENDERS: usize = 3;
const RECEIVERS: usize = 5;
/// Receiver 4 pins the senders but no sender authorizes it.
const OUTSIDER: usize = 4;
const MAX_SESSIONS_MADE: usize = 5;

#[derive(Debug, Clone)]
enum Op {
    Seal(usize),
    Deliver(usize, usize),
    Tamper(usize, usize, usize, u8),
    OtherTopic(usize, usize),
    Rotate(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..SENDERS).prop_map(Op::Seal),
        5 => (any::<usize>(), 0..RECEIVERS).prop_map(|(m, r)| Op::Deliver(m, r)),
        1 => (any::<usize>(), 0..RECEIVERS, any::<usize>(), 0..8u8).prop_map(|(m, r, p, b)| Op::Tamper(m, r, p, b)),
        1 => (any::<usize>(), 0..RECEIVERS).prop_map(|(m, r)| Op::OtherTopic(m, r)),
        1 => (0..SENDERS).prop_map(Op::Rotate),
    ]
}

struct Msg {
    sender: usize,
    sealed: SealedMessage,
    body: Vec<u8>,
}

struct World {
    senders: Vec<Group>,
    receivers: Vec<Group>,
    msgs: Vec<Msg>,
    /// The model: each sender's current session (none after a rotation until its next seal).
    current: Vec<Option<[u8; 16]>>,
    sessions_made: Vec<HashSet<[u8; 16]>>,
    /// The model: sessions each receiver holds, and messages it opened.
    held: Vec<HashSet<(usize, [u8; 16])>>,
    opened: Vec<HashSet<usize>>,
    now: u64,
}

impl World {
    fn new() -> World {
        let params = Params {
            share_backlog: 1000,
            ..Params::default()
        };
        let sids: Vec<Identity> = (0..SENDERS)
            .map(|i| Identity::from_seed(&[10 + i as u8; 32]))
            .collect();
        let rids: Vec<Identity> = (0..RECEIVERS)
            .map(|i| Identity::from_seed(&[20 + i as u8; 32]))
            .collect();
        let s_keys: Vec<IdentityKey> = sids.iter().map(Identity::public).collect();
        let authorized: Vec<IdentityKey> = rids
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != OUTSIDER)
            .map(|(_, r)| r.public())
            .collect();
        let mk = |id: Identity| {
            let g = Group::with_params(id, params).unwrap();
            g.set_entry(TrustEntry::new(P, s_keys.clone(), authorized.clone()));
            g
        };
        World {
            senders: sids.into_iter().map(mk).collect(),
            receivers: rids.into_iter().map(mk).collect(),
            msgs: Vec::new(),
            current: vec![None; SENDERS],
            sessions_made: vec![HashSet::new(); SENDERS],
            held: vec![HashSet::new(); RECEIVERS],
            opened: vec![HashSet::new(); RECEIVERS],
            now: T0,
        }
    }

    fn seal(&mut self, s: usize) {
        let body = format!("m{}", self.msgs.len()).into_bytes();
        let sealed = self.senders[s]
            .seal(TOPIC, Kind::Event, &body, self.now)
            .unwrap();
        if self.current[s] != Some(sealed.session_id) {
            assert!(
                self.sessions_made[s].insert(sealed.session_id),
                "a session id came back"
            );
            self.current[s] = Some(sealed.session_id);
        }
        self.msgs.push(Msg {
            sender: s,
            sealed,
            body,
        });
    }

    /// Delivers message `m` to receiver `r` as a binding would: open, and on
    /// `UnknownSession` fetch the session (from index 0) and open again.
    fn deliver(&mut self, m: usize, r: usize) {
        let msg = &self.msgs[m];
        let (s, sid) = (msg.sender, msg.sealed.session_id);
        let g = &self.receivers[r];
        let sender = &self.senders[s];
        let open = || {
            g.open(
                TOPIC,
                Kind::Event,
                Some(&msg.sealed.key_id()),
                &msg.sealed.envelope,
                self.now,
            )
        };
        let fetchable = r != OUTSIDER && self.current[s] == Some(sid);
        let held = self.held[r].contains(&(s, sid));
        let got = match open() {
            Err(e) if e.code() == ErrorCode::UnknownSession => {
                assert!(!held, "{m} at {r}: held session unknown");
                let req = g
                    .key_request(&sender.public(), sid, 0, P, self.now)
                    .unwrap();
                match sender.answer_key_request(&req.request, self.now) {
                    Ok(resp) => {
                        assert!(
                            fetchable,
                            "{m} at {r}: a session the model says is not fetchable was shared"
                        );
                        g.accept_key_response(&req.request_hash, &resp, self.now)
                            .unwrap();
                        self.held[r].insert((s, sid));
                        open()
                    }
                    Err(e) => {
                        assert!(!fetchable, "{m} at {r}: fetch refused: {e}");
                        let want = if r == OUTSIDER {
                            ErrorCode::KeyRefused
                        } else {
                            ErrorCode::UnknownSession
                        };
                        assert_eq!(e.code(), want);
                        assert!(g.cancel_key_request(&req.request_hash));
                        return;
                    }
                }
            }
            other => {
                assert!(
                    held,
                    "{m} at {r}: opened or refused ({other:?}) without the session"
                );
                other
            }
        };
        if self.opened[r].insert(m) {
            let o = got.unwrap_or_else(|e| panic!("{m} at {r}: genuine message refused: {e}"));
            assert_eq!(o.plaintext, msg.body);
            assert_eq!(o.sender, sender.public());
        } else {
            assert_eq!(
                got.unwrap_err().code(),
                ErrorCode::Replayed,
                "{m} at {r}: opened twice"
            );
        }
    }

    fn apply(&mut self, op: &Op) {
        self.now += 1;
        match *op {
            Op::Seal(s) => self.seal(s),
            // At most five sessions per sender, so that no receiver evicts one (§9.3).
            Op::Rotate(s)
                if self.sessions_made[s].len() < MAX_SESSIONS_MADE && self.senders[s].rotate(P) =>
            {
                self.current[s] = None;
            }
            Op::Deliver(m, r) if !self.msgs.is_empty() => self.deliver(m % self.msgs.len(), r),
            Op::Tamper(m, r, pos, bit) if !self.msgs.is_empty() => {
                let mut env = self.msgs[m % self.msgs.len()].sealed.envelope.clone();
                let i = pos % env.len();
                env[i] ^= 1 << bit;
                assert!(self.receivers[r]
                    .open(TOPIC, Kind::Event, None, &env, self.now)
                    .is_err());
            }
            Op::OtherTopic(m, r) if !self.msgs.is_empty() => {
                let msg = &self.msgs[m % self.msgs.len()];
                let e = self.receivers[r]
                    .open("t.other", Kind::Event, None, &msg.sealed.envelope, self.now)
                    .unwrap_err();
                assert_eq!(e.code(), ErrorCode::BadSignature);
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn every_genuine_message_opens_exactly_once_and_nothing_else_opens(ops in prop::collection::vec(op(), 1..32)) {
        let mut w = World::new();
        for op in &ops {
            w.apply(op);
        }
        // Then every message is delivered to every receiver once more.
        for m in 0..w.msgs.len() {
            for r in 0..RECEIVERS {
                w.now += 1;
                w.deliver(m, r);
            }
        }
        // What opened is exactly what the model says could be obtained.
        for r in 0..RECEIVERS {
            for (m, msg) in w.msgs.iter().enumerate() {
                let obtainable = w.held[r].contains(&(msg.sender, msg.sealed.session_id));
                prop_assert_eq!(w.opened[r].contains(&m), obtainable);
            }
        }
        prop_assert!(w.opened[OUTSIDER].is_empty());
    }
}
