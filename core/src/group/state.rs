//! Exporting and importing a [`Group`]'s whole state ([`GroupState`]), for a
//! process that does not live between uses, such as the `wampe2e group` CLI,
//! whose state file *is* one peer's memory.
//!
//! **This deliberately relaxes §9.1's "outbound state is never persisted".** A
//! state holds the identity seed, the outbound sessions with their chain keys,
//! every session held with its replay window and skipped message keys, and the
//! reply secrets of pending key requests and calls. Keep it private (the CLI
//! writes it with mode 0600), use it from one process at a time, never copy it,
//! and never restore an older copy: a sender restored from an old state seals
//! again at indices it has already used (two messages under one message key;
//! receivers refuse the second as `Replayed`), and a receiver restored from an
//! old state opens again what it had already opened.
//!
//! [`GroupState`] is plain data: keys as lowercase hex strings (secrets in
//! buffers zeroized on drop; `Debug` shows counts only), with
//! [`GroupState::to_json`] / [`GroupState::from_json`] and serde's
//! `Serialize`/`Deserialize` for the same JSON. [`Group::from_state`] checks
//! everything (lengths, indices, counts within the limits of §9.4, that public
//! keys match their secrets and chain keys their indices) and refuses a
//! damaged or hostile state with `Malformed` (or `InvalidJson` for text that is
//! not JSON), never a panic. The authorization callback is not part of a state.
//!
//! The JSON (`gs1_state` is the format's version):
//!
//! ```text
//! {"gs1_state": 1, "seed": hex32, "public": hex32,
//!  "params": {"max_messages", "max_age_ms", "max_skew_ms", "grace_ms", "share_backlog"},
//!  "entries": [{"prefix", "senders": [hex32], "receivers": [hex32]}],
//!  "outbound": [{"prefix", "session_id": hex16, "chain_key": hex32, "next",
//!                "base", "chain_key_base": hex32, "created_ms", "not_after_ms", "revoked"}],
//!  "inbound": [{"sender": hex32, "session_id": hex16, "prefix", "created_ms",
//!               "not_after_ms", "start", "next", "chain_key": hex32,
//!               "highest": n|null, "window", "skipped": [[index, hex32]],
//!               "superseded_at": ms|null}],
//!  "key_requests": [{"request_hash": hex32, "target": hex32, "session_id": hex16,
//!                    "from_index", "timestamp_ms", "prefix", "reply_secret": hex32}],
//!  "calls": [{"call_hash": hex32, "call_uri", "reply_secret": hex32, "next_seq",
//!             "callee": hex32|null, "created_ms"}]}
//! ```

use crate::error::{err, Error, ErrorCode, Result};
use crate::group::chain::{ChainKey, MessageKey};
use crate::group::identity::{Identity, IdentityKey};
use crate::group::keyshare::{sha256, x25519_base, PendingRequest};
use crate::group::outbound::OutboundSession;
use crate::group::rpc::PendingCall;
use crate::group::store::Record;
use crate::group::wire::KeyRequestFields;
use crate::group::{
    lock, Group, Params, TrustEntry, MAX_JUMP, MAX_PENDING_CALLS, MAX_PENDING_KEY_REQUESTS,
    MAX_SKIPPED, WINDOW,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map as JsonMap, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// The version of the state format (`"gs1_state"`).
pub const STATE_VERSION: u64 = 1;

/// Trust entries a state may hold, at most.
pub const MAX_STATE_ENTRIES: usize = 4096;

/// Chain steps [`Group::from_state`] spends checking outbound chain keys
/// against their bases, at most (`next − base` per session; 64 by default).
pub const MAX_CHECK_STEPS: u64 = 1 << 22;

/// One peer's whole GS1 state ([`Group::export_state`], [`Group::from_state`]).
/// Keys are lowercase hex; secrets are zeroized on drop and `Debug` shows counts.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GroupState {
    /// The identity seed (64 hex digits).
    pub seed: Zeroizing<String>,
    /// The identity's public key (must match the seed).
    pub public: String,
    /// The parameters.
    pub params: Params,
    /// The trust entries.
    pub entries: Vec<EntryState>,
    /// The current sender sessions, one per entry prefix at most.
    pub outbound: Vec<OutboundState>,
    /// The sessions held (the inbound store).
    pub inbound: Vec<InboundState>,
    /// Key requests awaiting their response.
    pub key_requests: Vec<KeyRequestState>,
    /// Calls awaiting their final reply.
    pub calls: Vec<CallState>,
}

/// A trust entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryState {
    /// The URI prefix.
    pub prefix: String,
    /// Identities trusted to send (hex).
    pub senders: Vec<String>,
    /// Identities authorized to receive (hex).
    pub receivers: Vec<String>,
}

/// A current sender session.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OutboundState {
    /// Its entry prefix.
    pub prefix: String,
    /// The session id (32 hex digits).
    pub session_id: String,
    /// `CK` at `next`.
    pub chain_key: Zeroizing<String>,
    /// The index the next message uses.
    pub next: u32,
    /// The oldest index a share may start at.
    pub base: u32,
    /// `CK` at `base`.
    pub chain_key_base: Zeroizing<String>,
    /// When the session was made.
    pub created_ms: u64,
    /// `created_ms + max_age_ms`.
    pub not_after_ms: u64,
    /// Marked for rotation.
    pub revoked: bool,
}

/// A session held by a receiver.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct InboundState {
    /// The sender (hex).
    pub sender: String,
    /// The session id (hex).
    pub session_id: String,
    /// The entry prefix it was shared for.
    pub prefix: String,
    /// The sender's clock when it made the session.
    pub created_ms: u64,
    /// The session's not-after time.
    pub not_after_ms: u64,
    /// The share's index: nothing below it opens.
    pub start: u64,
    /// The index of the chain key held.
    pub next: u64,
    /// `CK` at `next`.
    pub chain_key: Zeroizing<String>,
    /// The highest index opened.
    pub highest: Option<u64>,
    /// Bit `d` set ⇔ index `highest − d` was opened.
    pub window: u64,
    /// Message keys of indices below `next` not yet opened: (index, key hex).
    pub skipped: Vec<(u64, Zeroizing<String>)>,
    /// When a newer session superseded it.
    pub superseded_at: Option<u64>,
}

/// A key request awaiting its response.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyRequestState {
    /// `SHA256(request)` (checked against the request rebuilt from the fields).
    pub request_hash: String,
    /// The sender asked (hex).
    pub target: String,
    /// The session asked for (hex; all zero: the current one).
    pub session_id: String,
    /// The lowest index wanted.
    pub from_index: u32,
    /// The request's timestamp.
    pub timestamp_ms: u64,
    /// The entry prefix.
    pub prefix: String,
    /// The X25519 secret the response is sealed to (hex).
    pub reply_secret: Zeroizing<String>,
}

/// A call awaiting its final reply.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallState {
    /// `SHA256(call envelope)` (hex).
    pub call_hash: String,
    /// The procedure.
    pub call_uri: String,
    /// The X25519 secret replies are sealed to (hex).
    pub reply_secret: Zeroizing<String>,
    /// The `seq` of the next reply.
    pub next_seq: u32,
    /// The callee pinned by the first reply (hex).
    pub callee: Option<String>,
    /// When the call was sealed.
    pub created_ms: u64,
}

impl fmt::Debug for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupState")
            .field("public", &self.public)
            .field("params", &self.params)
            .field("entries", &self.entries.len())
            .field("outbound", &self.outbound.len())
            .field("inbound", &self.inbound.len())
            .field("key_requests", &self.key_requests.len())
            .field("calls", &self.calls.len())
            .finish_non_exhaustive()
    }
}

macro_rules! redacted_debug {
    ($t:ty, $($field:ident),*) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
redacted_debug!(OutboundState, prefix, session_id, next, base, revoked);
redacted_debug!(
    InboundState,
    sender,
    session_id,
    prefix,
    start,
    next,
    highest
);
redacted_debug!(KeyRequestState, request_hash, target, prefix, timestamp_ms);
redacted_debug!(CallState, call_hash, call_uri, next_seq, callee);

fn hex_z(bytes: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(hex::encode(bytes))
}

fn malformed<T>(what: &str, why: impl fmt::Display) -> Result<T> {
    err(ErrorCode::Malformed, format!("state: {what}: {why}"))
}

/// `N` bytes from `len * 2` hex digits.
fn unhex<const N: usize>(what: &str, text: &str) -> Result<Zeroizing<[u8; N]>> {
    let mut out = Zeroizing::new([0u8; N]);
    if text.len() != 2 * N || hex::decode_to_slice(text, &mut out[..]).is_err() {
        return malformed(what, format!("expected {} hex digits", 2 * N));
    }
    Ok(out)
}

fn key(what: &str, text: &str) -> Result<IdentityKey> {
    Ok(IdentityKey::from_bytes(&*unhex::<32>(what, text)?))
}

impl Group {
    /// This peer's whole state (see [`crate::group::state`]: it holds every
    /// secret, and restoring an old copy reuses chain indices).
    pub fn export_state(&self) -> GroupState {
        let entries = self
            .entries()
            .into_iter()
            .map(|e| EntryState {
                prefix: e.prefix,
                senders: e.senders.iter().map(IdentityKey::fingerprint).collect(),
                receivers: e.receivers.iter().map(IdentityKey::fingerprint).collect(),
            })
            .collect();
        let mut outbound: Vec<OutboundState> = lock(&self.outbound)
            .iter()
            .map(|(prefix, s)| OutboundState {
                prefix: prefix.clone(),
                session_id: hex::encode(s.session_id),
                chain_key: hex_z(s.ck.as_bytes()),
                next: s.next,
                base: s.base,
                chain_key_base: hex_z(s.ck_base.as_bytes()),
                created_ms: s.created_ms,
                not_after_ms: s.not_after_ms,
                revoked: s.revoked,
            })
            .collect();
        outbound.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        let mut inbound: Vec<InboundState> = lock(&self.store)
            .records()
            .map(|r| InboundState {
                sender: r.sender.fingerprint(),
                session_id: hex::encode(r.session_id),
                prefix: r.prefix.clone(),
                created_ms: r.created_ms,
                not_after_ms: r.not_after_ms,
                start: r.start,
                next: r.next,
                chain_key: hex_z(r.ck.as_bytes()),
                highest: r.highest,
                window: r.window,
                skipped: r
                    .skipped
                    .iter()
                    .map(|(i, k)| (*i, hex_z(&k.to_bytes()[..])))
                    .collect(),
                superseded_at: r.superseded_at,
            })
            .collect();
        inbound.sort_by(|a, b| {
            (&a.sender, &a.prefix, a.created_ms, &a.session_id).cmp(&(
                &b.sender,
                &b.prefix,
                b.created_ms,
                &b.session_id,
            ))
        });
        let mut key_requests: Vec<KeyRequestState> = lock(&self.requests)
            .iter()
            .map(|(h, p)| KeyRequestState {
                request_hash: hex::encode(h),
                target: p.fields.target.fingerprint(),
                session_id: hex::encode(p.fields.session_id),
                from_index: p.fields.from_index,
                timestamp_ms: p.fields.timestamp_ms,
                prefix: p.fields.prefix.clone(),
                reply_secret: hex_z(&p.reply_secret[..]),
            })
            .collect();
        key_requests.sort_by(|a, b| {
            (a.timestamp_ms, &a.request_hash).cmp(&(b.timestamp_ms, &b.request_hash))
        });
        let mut calls: Vec<CallState> = lock(&self.calls)
            .iter()
            .map(|(h, p)| CallState {
                call_hash: hex::encode(h),
                call_uri: p.call_uri.clone(),
                reply_secret: hex_z(&p.reply_secret[..]),
                next_seq: p.next_seq,
                callee: p.callee.map(|c| c.fingerprint()),
                created_ms: p.created_ms,
            })
            .collect();
        calls.sort_by(|a, b| (a.created_ms, &a.call_hash).cmp(&(b.created_ms, &b.call_hash)));
        GroupState {
            seed: hex_z(&self.identity.seed()[..]),
            public: self.identity.fingerprint(),
            params: self.params,
            entries,
            outbound,
            inbound,
            key_requests,
            calls,
        }
    }

    /// The peer whose state `state` is, after checking all of it: `Malformed`
    /// (naming the field) for anything inconsistent or out of the limits.
    pub fn from_state(state: &GroupState) -> Result<Group> {
        let seed = unhex::<32>("seed", &state.seed)?;
        let identity = Identity::from_seed(&seed);
        if identity.fingerprint() != state.public {
            return malformed("public", "does not match the seed");
        }
        let own = identity.public();
        state
            .params
            .validate()
            .or_else(|e| malformed("params", e))?;
        let params = state.params;
        let g = Group::with_params(identity, params)?;

        if state.entries.len() > MAX_STATE_ENTRIES {
            return malformed("entries", format!("more than {MAX_STATE_ENTRIES}"));
        }
        for (n, e) in state.entries.iter().enumerate() {
            let what = format!("entries[{n}]");
            if g.entry(&e.prefix).is_some() {
                return malformed(&what, format!("prefix {:?} given twice", e.prefix));
            }
            let keys = |list: &[String], which: &str| -> Result<BTreeSet<IdentityKey>> {
                list.iter()
                    .enumerate()
                    .map(|(i, k)| key(&format!("{what}.{which}[{i}]"), k))
                    .collect()
            };
            g.set_entry(TrustEntry {
                prefix: e.prefix.clone(),
                senders: keys(&e.senders, "senders")?,
                receivers: keys(&e.receivers, "receivers")?,
            });
        }

        {
            let mut out = lock(&g.outbound);
            // Checking a chain key costs `next − base` HMACs: bounded, so that a
            // hostile state cannot make the check run for minutes.
            let steps: u64 = state
                .outbound
                .iter()
                .map(|o| u64::from(o.next.saturating_sub(o.base)))
                .sum();
            if steps > MAX_CHECK_STEPS {
                return malformed(
                    "outbound",
                    format!("the sessions' backlogs add up to more than {MAX_CHECK_STEPS}"),
                );
            }
            for (n, o) in state.outbound.iter().enumerate() {
                let what = format!("outbound[{n}]");
                if g.entry(&o.prefix).is_none() {
                    return malformed(&what, format!("no entry with prefix {:?}", o.prefix));
                }
                if out.contains_key(&o.prefix) {
                    return malformed(&what, format!("second session for {:?}", o.prefix));
                }
                let session_id = *unhex::<16>(&format!("{what}.session_id"), &o.session_id)?;
                if session_id == [0; 16] {
                    return malformed(&what, "session id is all zero");
                }
                if o.base > o.next || o.next - o.base > params.share_backlog {
                    return malformed(&what, "base must be at most share_backlog below next");
                }
                if o.not_after_ms < o.created_ms {
                    return malformed(&what, "not_after_ms before created_ms");
                }
                let ck = ChainKey::from_bytes(&*unhex::<32>(
                    &format!("{what}.chain_key"),
                    &o.chain_key,
                )?);
                let ck_base = ChainKey::from_bytes(&*unhex::<32>(
                    &format!("{what}.chain_key_base"),
                    &o.chain_key_base,
                )?);
                if ck_base.advanced(u64::from(o.next - o.base)) != ck {
                    return malformed(&what, "chain_key is not chain_key_base advanced to next");
                }
                out.insert(
                    o.prefix.clone(),
                    OutboundSession {
                        session_id,
                        ck,
                        next: o.next,
                        created_ms: o.created_ms,
                        not_after_ms: o.not_after_ms,
                        base: o.base,
                        ck_base,
                        revoked: o.revoked,
                    },
                );
            }
        }

        {
            let mut store = lock(&g.store);
            for (n, r) in state.inbound.iter().enumerate() {
                let what = format!("inbound[{n}]");
                store.insert_record(inbound_record(&what, r)?)?;
            }
        }

        {
            if state.key_requests.len() > MAX_PENDING_KEY_REQUESTS {
                return malformed(
                    "key_requests",
                    format!("more than {MAX_PENDING_KEY_REQUESTS}"),
                );
            }
            let mut requests = lock(&g.requests);
            for (n, q) in state.key_requests.iter().enumerate() {
                let what = format!("key_requests[{n}]");
                let reply_secret = unhex::<32>(&format!("{what}.reply_secret"), &q.reply_secret)?;
                let fields = KeyRequestFields {
                    requester: own,
                    target: key(&format!("{what}.target"), &q.target)?,
                    session_id: *unhex::<16>(&format!("{what}.session_id"), &q.session_id)?,
                    from_index: q.from_index,
                    reply_public: x25519_base(&reply_secret),
                    timestamp_ms: q.timestamp_ms,
                    prefix: q.prefix.clone(),
                };
                let request = crate::group::keyshare::sign_request(&g.identity, &fields)
                    .or_else(|e| malformed(&what, e))?;
                let hash = sha256(&request);
                if hex::encode(hash) != q.request_hash {
                    return malformed(&what, "request_hash does not match the request's fields");
                }
                if requests
                    .insert(
                        hash,
                        PendingRequest {
                            fields,
                            reply_secret,
                        },
                    )
                    .is_some()
                {
                    return malformed(&what, "given twice");
                }
            }
        }

        {
            if state.calls.len() > MAX_PENDING_CALLS {
                return malformed("calls", format!("more than {MAX_PENDING_CALLS}"));
            }
            let mut calls = lock(&g.calls);
            for (n, c) in state.calls.iter().enumerate() {
                let what = format!("calls[{n}]");
                let call_hash = *unhex::<32>(&format!("{what}.call_hash"), &c.call_hash)?;
                let reply_secret = unhex::<32>(&format!("{what}.reply_secret"), &c.reply_secret)?;
                if c.next_seq == u32::MAX {
                    return malformed(&what, "next_seq is 2^32-1");
                }
                let callee = c
                    .callee
                    .as_deref()
                    .map(|k| key(&format!("{what}.callee"), k))
                    .transpose()?;
                let reply_public = x25519_base(&reply_secret);
                let call = PendingCall {
                    call_uri: c.call_uri.clone(),
                    reply_secret,
                    reply_public,
                    next_seq: c.next_seq,
                    callee,
                    created_ms: c.created_ms,
                };
                if calls.insert(call_hash, call).is_some() {
                    return malformed(&what, "given twice");
                }
            }
        }
        Ok(g)
    }
}

/// A store record from its state, checked.
fn inbound_record(what: &str, r: &InboundState) -> Result<Record> {
    let session_id = *unhex::<16>(&format!("{what}.session_id"), &r.session_id)?;
    if session_id == [0; 16] {
        return malformed(what, "session id is all zero");
    }
    // Indices are u32; `next` may be one past the last.
    let limit = 1u64 << 32;
    if r.start > r.next || r.next > limit {
        return malformed(what, "need start <= next <= 2^32");
    }
    if r.not_after_ms < r.created_ms {
        return malformed(what, "not_after_ms before created_ms");
    }
    match r.highest {
        None if r.window != 0 => return malformed(what, "a window without a highest index"),
        Some(h) if h < r.start || h >= r.next => {
            return malformed(what, "highest must be in start..next")
        }
        Some(_) if r.window & 1 == 0 => return malformed(what, "the window misses highest"),
        _ => {}
    }
    if r.skipped.len() > MAX_SKIPPED {
        return malformed(what, format!("more than {MAX_SKIPPED} skipped keys"));
    }
    let mut skipped = BTreeMap::new();
    for (i, (index, k)) in r.skipped.iter().enumerate() {
        let w = format!("{what}.skipped[{i}]");
        if *index < r.start || *index >= r.next {
            return malformed(&w, "index outside start..next");
        }
        if r.next - *index > MAX_JUMP + MAX_SKIPPED as u64 {
            return malformed(&w, "index too far below next");
        }
        let seen = r.highest.is_some_and(|h| {
            h >= *index && h - *index < WINDOW && r.window & (1 << (h - *index)) != 0
        });
        if seen {
            return malformed(&w, "key of an index the window marks opened");
        }
        let mk = MessageKey::from_zeroizing(unhex::<32>(&w, k)?);
        if skipped.insert(*index, mk).is_some() {
            return malformed(&w, "index given twice");
        }
    }
    Ok(Record {
        sender: key(&format!("{what}.sender"), &r.sender)?,
        session_id,
        prefix: r.prefix.clone(),
        created_ms: r.created_ms,
        not_after_ms: r.not_after_ms,
        start: r.start,
        next: r.next,
        ck: ChainKey::from_bytes(&*unhex::<32>(&format!("{what}.chain_key"), &r.chain_key)?),
        highest: r.highest,
        window: r.window,
        skipped,
        superseded_at: r.superseded_at,
    })
}

// ------------------------------------------------------------------- JSON

/// Erases every string of a JSON tree (it held secrets).
fn scrub(v: &mut Json) {
    match v {
        Json::String(s) => s.zeroize(),
        Json::Array(a) => a.iter_mut().for_each(scrub),
        Json::Object(m) => m.values_mut().for_each(scrub),
        _ => {}
    }
}

fn opt_u64(v: Option<u64>) -> Json {
    v.map_or(Json::Null, Json::from)
}

impl GroupState {
    fn to_value(&self) -> Json {
        let p = &self.params;
        json!({
            "gs1_state": STATE_VERSION,
            "seed": self.seed.as_str(),
            "public": self.public,
            "params": {
                "max_messages": p.max_messages,
                "max_age_ms": p.max_age_ms,
                "max_skew_ms": p.max_skew_ms,
                "grace_ms": p.grace_ms,
                "share_backlog": p.share_backlog,
            },
            "entries": self.entries.iter().map(|e| json!({
                "prefix": e.prefix, "senders": e.senders, "receivers": e.receivers,
            })).collect::<Vec<_>>(),
            "outbound": self.outbound.iter().map(|o| json!({
                "prefix": o.prefix,
                "session_id": o.session_id,
                "chain_key": o.chain_key.as_str(),
                "next": o.next,
                "base": o.base,
                "chain_key_base": o.chain_key_base.as_str(),
                "created_ms": o.created_ms,
                "not_after_ms": o.not_after_ms,
                "revoked": o.revoked,
            })).collect::<Vec<_>>(),
            "inbound": self.inbound.iter().map(|r| json!({
                "sender": r.sender,
                "session_id": r.session_id,
                "prefix": r.prefix,
                "created_ms": r.created_ms,
                "not_after_ms": r.not_after_ms,
                "start": r.start,
                "next": r.next,
                "chain_key": r.chain_key.as_str(),
                "highest": opt_u64(r.highest),
                "window": r.window,
                "skipped": r.skipped.iter().map(|(i, k)| json!([i, k.as_str()])).collect::<Vec<_>>(),
                "superseded_at": opt_u64(r.superseded_at),
            })).collect::<Vec<_>>(),
            "key_requests": self.key_requests.iter().map(|q| json!({
                "request_hash": q.request_hash,
                "target": q.target,
                "session_id": q.session_id,
                "from_index": q.from_index,
                "timestamp_ms": q.timestamp_ms,
                "prefix": q.prefix,
                "reply_secret": q.reply_secret.as_str(),
            })).collect::<Vec<_>>(),
            "calls": self.calls.iter().map(|c| json!({
                "call_hash": c.call_hash,
                "call_uri": c.call_uri,
                "reply_secret": c.reply_secret.as_str(),
                "next_seq": c.next_seq,
                "callee": c.callee,
                "created_ms": c.created_ms,
            })).collect::<Vec<_>>(),
        })
    }

    /// The state as JSON text (pretty-printed), in a buffer zeroized on drop.
    pub fn to_json(&self) -> Result<Zeroizing<String>> {
        let mut v = self.to_value();
        let text = serde_json::to_string_pretty(&v)
            .map(Zeroizing::new)
            .or_else(|e| err(ErrorCode::InvalidJson, format!("state: {e}")));
        scrub(&mut v);
        text
    }

    /// A state from its JSON text: `InvalidJson`, or `Malformed` for a missing,
    /// mistyped or unknown field. [`Group::from_state`] checks the values.
    pub fn from_json(text: &str) -> Result<GroupState> {
        let mut v: Json = serde_json::from_str(text)
            .or_else(|e| err(ErrorCode::InvalidJson, format!("state: {e}")))?;
        let r = GroupState::from_value(&v);
        scrub(&mut v);
        r
    }

    fn from_value(v: &Json) -> Result<GroupState> {
        let mut top = Obj::new("state", v)?;
        match top.u64("gs1_state")? {
            STATE_VERSION => {}
            other => return malformed("gs1_state", format!("version {other}, expected 1")),
        }
        let seed = top.secret("seed")?;
        let public = top.string("public")?;
        let mut p = Obj::new("params", top.take("params")?)?;
        let params = Params {
            max_messages: p.u32("max_messages")?,
            max_age_ms: p.u64("max_age_ms")?,
            max_skew_ms: p.u64("max_skew_ms")?,
            grace_ms: p.u64("grace_ms")?,
            share_backlog: p.u32("share_backlog")?,
        };
        p.done()?;
        let entries = top.list("entries", |mut e| {
            let r = EntryState {
                prefix: e.string("prefix")?,
                senders: e.strings("senders")?,
                receivers: e.strings("receivers")?,
            };
            e.done().map(|()| r)
        })?;
        let outbound = top.list("outbound", |mut o| {
            let r = OutboundState {
                prefix: o.string("prefix")?,
                session_id: o.string("session_id")?,
                chain_key: o.secret("chain_key")?,
                next: o.u32("next")?,
                base: o.u32("base")?,
                chain_key_base: o.secret("chain_key_base")?,
                created_ms: o.u64("created_ms")?,
                not_after_ms: o.u64("not_after_ms")?,
                revoked: o.bool("revoked")?,
            };
            o.done().map(|()| r)
        })?;
        let inbound = top.list("inbound", |mut o| {
            let what = o.what.clone();
            let skipped = match o.take("skipped")? {
                Json::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, pair)| match pair.as_array().map(Vec::as_slice) {
                        Some([Json::Number(n), Json::String(k)]) if n.as_u64().is_some() => {
                            Ok((n.as_u64().unwrap_or_default(), Zeroizing::new(k.clone())))
                        }
                        _ => {
                            malformed(&format!("{what}.skipped[{i}]"), "expected [index, key hex]")
                        }
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return malformed(&format!("{what}.skipped"), "expected a list"),
            };
            let r = InboundState {
                sender: o.string("sender")?,
                session_id: o.string("session_id")?,
                prefix: o.string("prefix")?,
                created_ms: o.u64("created_ms")?,
                not_after_ms: o.u64("not_after_ms")?,
                start: o.u64("start")?,
                next: o.u64("next")?,
                chain_key: o.secret("chain_key")?,
                highest: o.opt_u64("highest")?,
                window: o.u64("window")?,
                skipped,
                superseded_at: o.opt_u64("superseded_at")?,
            };
            o.done().map(|()| r)
        })?;
        let key_requests = top.list("key_requests", |mut o| {
            let r = KeyRequestState {
                request_hash: o.string("request_hash")?,
                target: o.string("target")?,
                session_id: o.string("session_id")?,
                from_index: o.u32("from_index")?,
                timestamp_ms: o.u64("timestamp_ms")?,
                prefix: o.string("prefix")?,
                reply_secret: o.secret("reply_secret")?,
            };
            o.done().map(|()| r)
        })?;
        let calls = top.list("calls", |mut o| {
            let callee = match o.take("callee")? {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                _ => return malformed(&format!("{}.callee", o.what), "expected hex or null"),
            };
            let r = CallState {
                call_hash: o.string("call_hash")?,
                call_uri: o.string("call_uri")?,
                reply_secret: o.secret("reply_secret")?,
                next_seq: o.u32("next_seq")?,
                callee,
                created_ms: o.u64("created_ms")?,
            };
            o.done().map(|()| r)
        })?;
        top.done()?;
        Ok(GroupState {
            seed,
            public,
            params,
            entries,
            outbound,
            inbound,
            key_requests,
            calls,
        })
    }
}

/// A JSON object being read field by field: every field must be read once
/// ([`Obj::done`] refuses the rest).
struct Obj<'a> {
    what: String,
    map: &'a JsonMap<String, Json>,
    read: HashSet<&'static str>,
}

impl<'a> Obj<'a> {
    fn new(what: &str, v: &'a Json) -> Result<Obj<'a>> {
        match v {
            Json::Object(map) => Ok(Obj {
                what: what.to_owned(),
                map,
                read: HashSet::new(),
            }),
            _ => malformed(what, "expected an object"),
        }
    }

    fn take(&mut self, k: &'static str) -> Result<&'a Json> {
        self.read.insert(k);
        match self.map.get(k) {
            Some(v) => Ok(v),
            None => malformed(&format!("{}.{k}", self.what), "missing"),
        }
    }

    fn string(&mut self, k: &'static str) -> Result<String> {
        match self.take(k)? {
            Json::String(s) => Ok(s.clone()),
            _ => malformed(&format!("{}.{k}", self.what), "expected a string"),
        }
    }

    fn secret(&mut self, k: &'static str) -> Result<Zeroizing<String>> {
        self.string(k).map(Zeroizing::new)
    }

    fn strings(&mut self, k: &'static str) -> Result<Vec<String>> {
        let what = format!("{}.{k}", self.what);
        match self.take(k)? {
            Json::Array(a) => a
                .iter()
                .map(|s| match s {
                    Json::String(s) => Ok(s.clone()),
                    _ => malformed(&what, "expected a list of strings"),
                })
                .collect(),
            _ => malformed(&what, "expected a list of strings"),
        }
    }

    fn u64(&mut self, k: &'static str) -> Result<u64> {
        match self.take(k)?.as_u64() {
            Some(n) => Ok(n),
            None => malformed(
                &format!("{}.{k}", self.what),
                "expected an unsigned integer",
            ),
        }
    }

    fn u32(&mut self, k: &'static str) -> Result<u32> {
        let n = self.u64(k)?;
        u32::try_from(n).or_else(|_| malformed(&format!("{}.{k}", self.what), "above 2^32-1"))
    }

    fn opt_u64(&mut self, k: &'static str) -> Result<Option<u64>> {
        match self.take(k)? {
            Json::Null => Ok(None),
            v => match v.as_u64() {
                Some(n) => Ok(Some(n)),
                None => malformed(&format!("{}.{k}", self.what), "expected an integer or null"),
            },
        }
    }

    fn bool(&mut self, k: &'static str) -> Result<bool> {
        match self.take(k)? {
            Json::Bool(b) => Ok(*b),
            _ => malformed(&format!("{}.{k}", self.what), "expected true or false"),
        }
    }

    fn list<T>(&mut self, k: &'static str, f: impl Fn(Obj<'a>) -> Result<T>) -> Result<Vec<T>> {
        let what = format!("{}.{k}", self.what);
        match self.take(k)? {
            Json::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| f(Obj::new(&format!("{what}[{i}]"), v)?))
                .collect(),
            _ => malformed(&what, "expected a list"),
        }
    }

    fn done(self) -> Result<()> {
        match self.map.keys().find(|k| !self.read.contains(k.as_str())) {
            Some(k) => malformed(&self.what, format!("unknown field {k:?}")),
            None => Ok(()),
        }
    }
}

impl Serialize for GroupState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut v = self.to_value();
        let r = v.serialize(s);
        scrub(&mut v);
        r
    }
}

impl<'de> Deserialize<'de> for GroupState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut v = Json::deserialize(d)?;
        let r = GroupState::from_value(&v);
        scrub(&mut v);
        r.map_err(|e: Error| serde::de::Error::custom(e))
    }
}
