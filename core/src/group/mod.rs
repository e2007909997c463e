//! GS1 group sessions (`docs/gs1.md`): signed, multi-recipient, rotating,
//! replay-proof payloads for WAMP.
//!
//! Every peer has a long-term Ed25519 [`Identity`]. A sender seals each event or
//! call once for all the receivers of a URI prefix under its current session (a
//! symmetric HMAC ratchet, as Signal's Sender Keys and Megolm) and signs it; a
//! receiver opens it only from an identity the application pinned for the URI,
//! at most once per index. Receivers get a session's chain key by calling the
//! sender's key procedure with a signed [key request](Group::key_request); the
//! sender [answers](Group::answer_key_request) with the key sealed to the
//! request's fresh X25519 key. Replies to calls are sealed to the caller's
//! per-call reply key and signed by the callee over the hash of the call.
//!
//! [`Group`] holds one peer's state: its identity, trust entries
//! ([`TrustEntry`]), parameters ([`Params`]), outbound sessions, the inbound store
//! of sessions it holds, and its pending key requests and calls. It is
//! thread-safe (`Send + Sync`) like [`crate::KeyRing`]. It is transport-free:
//! bytes in, bytes out, and the clock is passed in (`now_ms`, milliseconds since
//! the Unix epoch) to every call that depends on it.
//!
//! Every failure is an [`crate::Error`] with a stable [`crate::ErrorCode`]; checks
//! run in the order the page gives, and no failed `open`, `open_reply` or
//! `accept_key_response` changes any state. Chain keys, message keys, reply
//! secrets and identity seeds are zeroized on drop and never shown by `Debug`.
//!
//! ```
//! use wampe2e::group::{Group, Identity, Kind, TrustEntry};
//!
//! let (alice, bob) = (Identity::generate()?, Identity::generate()?);
//! let (a, b) = (alice.public(), bob.public());
//! let publisher = Group::new(alice);
//! let subscriber = Group::new(bob);
//! for g in [&publisher, &subscriber] {
//!     g.set_entry(TrustEntry::new("com.example.", [a], [b]));
//! }
//! let now = 1_700_000_000_000;
//!
//! let sealed = publisher.seal("com.example.topic", Kind::Event, b"hello", now)?;
//! // bob does not hold the session yet: he asks alice's key procedure for it.
//! let e = subscriber.open("com.example.topic", Kind::Event, None, &sealed.envelope, now);
//! assert_eq!(e.unwrap_err().code(), wampe2e::ErrorCode::UnknownSession);
//! let req = subscriber.key_request(&a, sealed.session_id, sealed.index, "com.example.", now)?;
//! let response = publisher.answer_key_request(&req.request, now)?;
//! subscriber.accept_key_response(&req.request_hash, &response, now)?;
//!
//! let opened = subscriber.open("com.example.topic", Kind::Event, None, &sealed.envelope, now)?;
//! assert_eq!(opened.plaintext, b"hello");
//! assert_eq!(opened.sender, a);
//! // A replay is refused.
//! let again = subscriber.open("com.example.topic", Kind::Event, None, &sealed.envelope, now);
//! assert_eq!(again.unwrap_err().code(), wampe2e::ErrorCode::Replayed);
//! # Ok::<(), wampe2e::Error>(())
//! ```

pub mod chain;
pub mod envelope;
pub mod held;
pub mod identity;
pub mod keyshare;
pub mod outbound;
pub mod rpc;
pub mod state;
pub(crate) mod store;
/// Fixed-value entry points for the vectors and tests (feature `gs1-testing`,
/// which core's own tests turn on; never in a shipped build: it signs anything).
#[cfg(feature = "gs1-testing")]
#[doc(hidden)]
pub mod testing;
pub mod trust;
pub mod wire;

pub use chain::{ChainKey, MessageKey};
pub use held::{fetch_error_code, Fetch, Held, HeldLimits, Hold};
pub use identity::{Identity, IdentityKey, DEFAULT_KEY_PROCEDURE_BASE};
pub use keyshare::AcceptedShare;
pub use outbound::SealedMessage;
pub use rpc::Invocation;
pub use state::GroupState;
pub use trust::{Authorize, TrustEntry};
pub use wire::{session_id_from_hex, session_id_hex, Kind, Share};

use crate::error::{err, ErrorCode, Result};
use crate::payload::Payload;
use crate::plaintext::builder::{parse_plaintext, ValueTree};
use crate::plaintext::serializer::Serializer;
use crate::plaintext::value::{Map, Value};
use chain::{L_KEYREQ, L_KEYRESP, L_MSG, L_RESULT};
use keyshare::{open_box, sha256, x25519, x25519_base, PendingRequest};
use outbound::{
    check_session_kind, seal_parts, secretbox_open, secretbox_open_signed, signed_input,
    OutboundSession,
};
use rpc::{reply_key, seal_reply_parts, PendingCall};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use store::Store;
use trust::Trust;
use wire::{
    parse_key_request, parse_key_response, parse_reply_envelope, parse_session_envelope,
    KeyRequestFields, SessionHeader, CALL_HEADER_LEN, SIGNATURE_LEN, TAG_LEN,
};
use zeroize::Zeroizing;

/// Width of the replay window, in indices (§9.4, fixed).
pub const WINDOW: u64 = 64;
/// Skipped message keys kept per session (§9.4, fixed).
pub const MAX_SKIPPED: usize = 2000;
/// `i − next ≥ MAX_JUMP` is `IndexJump` (§9.4, fixed).
pub const MAX_JUMP: u64 = 1 << 16;
/// Session records kept per (sender, prefix) (§9.4, fixed).
pub const MAX_SESSIONS: usize = 5;
/// Largest `share_backlog` (§9.4).
pub const MAX_SHARE_BACKLOG: u32 = 1 << 16;

/// The configurable parameters of §9.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// A sender rotates after this many messages (1 … 2^32 − 1; default 10 000).
    pub max_messages: u32,
    /// A sender rotates after this age; `not_after_ms = created_ms + max_age_ms`
    /// (at least 1; default one hour).
    pub max_age_ms: u64,
    /// Clock tolerance for key request freshness and session expiry (default 5 min).
    pub max_skew_ms: u64,
    /// How long a superseded session keeps opening (default 10 min).
    pub grace_ms: u64,
    /// How far back, in messages, a share may start (0 … 2^16; default 64).
    pub share_backlog: u32,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            max_messages: 10_000,
            max_age_ms: 3_600_000,
            max_skew_ms: 300_000,
            grace_ms: 600_000,
            share_backlog: 64,
        }
    }
}

impl Params {
    /// Checks the ranges of §9.4 (`InvalidArgument`).
    pub fn validate(&self) -> Result<()> {
        // Any u32 but 0: at max_messages = 2^32 - 1 the session rotates when `next`
        // reaches 2^32 - 1, so that index is never used (§9.1).
        if self.max_messages == 0 {
            return err(
                ErrorCode::InvalidArgument,
                "max_messages: must be at least 1",
            );
        }
        if self.max_age_ms == 0 {
            return err(ErrorCode::InvalidArgument, "max_age_ms: must be at least 1");
        }
        if self.share_backlog > MAX_SHARE_BACKLOG {
            return err(
                ErrorCode::InvalidArgument,
                format!(
                    "share_backlog: {}, expected at most {MAX_SHARE_BACKLOG}",
                    self.share_backlog
                ),
            );
        }
        Ok(())
    }
}

/// `N` bytes from the operating system's RNG, zeroized on drop.
pub(crate) fn random_array<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut b = Zeroizing::new([0u8; N]);
    getrandom::getrandom(&mut b[..])
        .or_else(|e| err(ErrorCode::RandomFailed, format!("getrandom: {e}")))?;
    Ok(b)
}

/// A 24-byte nonce from the nonce generator (`crypto::random`), not the system call.
fn random_nonce() -> Result<[u8; 24]> {
    let mut n = [0u8; 24];
    crate::crypto::random::fill_nonce(&mut n)?;
    Ok(n)
}

/// An opened event or call. `Debug` shows the plaintext's length, not its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedMessage {
    /// The sender's identity (pinned for the URI, and the signer).
    pub sender: IdentityKey,
    /// The session it was sealed under.
    pub session_id: [u8; 16],
    /// Its index.
    pub index: u32,
    /// The sender's clock at sealing.
    pub timestamp_ms: u64,
    /// The plaintext (§13: the CBOR map `{"uri", "args", "kwargs"}`; see [`parse_payload`]).
    pub plaintext: Vec<u8>,
    /// For a call, what its replies need ([`Group::seal_reply`]).
    pub invocation: Option<Invocation>,
}

/// An opened reply. `Debug` shows the plaintext's length, not its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedReply {
    /// The callee that signed it: the first reply to a call pins it, later replies
    /// from another identity are refused (`UntrustedSender`).
    pub callee: IdentityKey,
    /// Result, progress or error.
    pub kind: Kind,
    /// Its sequence number.
    pub seq: u32,
    /// The URI it was signed and sealed for: the call's procedure (result,
    /// progress) or the error URI (error); [`parse_payload`] checks the plaintext
    /// against it.
    pub uri: String,
    /// The plaintext (§13).
    pub plaintext: Vec<u8>,
}

impl fmt::Debug for OpenedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedMessage")
            .field("sender", &self.sender)
            .field("session_id", &hex::encode(self.session_id))
            .field("index", &self.index)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("plaintext_len", &self.plaintext.len())
            .field("invocation", &self.invocation)
            .finish()
    }
}

impl fmt::Debug for OpenedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedReply")
            .field("callee", &self.callee)
            .field("kind", &self.kind)
            .field("seq", &self.seq)
            .field("uri", &self.uri)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
}

/// Calls awaiting their final reply, at most (the oldest is forgotten first:
/// its reply is then `Unsolicited`). Bindings forget timed-out calls sooner.
pub const MAX_PENDING_CALLS: usize = 4096;
/// Key requests awaiting their response, at most (the oldest is dropped first).
/// Requests older than twice `max_skew_ms` are dropped anyway: no fresh answer
/// to them can arrive.
pub const MAX_PENDING_KEY_REQUESTS: usize = 1024;

/// A key request made by [`Group::key_request`], pending until its response is
/// accepted or it is cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    /// The request: the one binary argument of the CALL to the target's key procedure.
    pub request: Vec<u8>,
    /// `SHA256(request)`: names the pending request.
    pub request_hash: [u8; 32],
    /// The fresh X25519 key the answer will be sealed to.
    pub reply_public: [u8; 32],
}

/// A sender's current session for a prefix, without its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session id.
    pub session_id: [u8; 16],
    /// The index the next message will use.
    pub next: u32,
    /// The oldest index a share may start at.
    pub base: u32,
    /// The sender's clock when it made the session.
    pub created_ms: u64,
    /// `created_ms + max_age_ms`.
    pub not_after_ms: u64,
}

/// The plaintext of §13.1 for `uri`, `args` and `kwargs`: the CBOR map
/// `{"uri", "args", "kwargs"}` as the ppt dialect carries it.
pub fn payload_plaintext(
    uri: &str,
    args: Option<&[Value]>,
    kwargs: Option<&Map>,
) -> Result<Vec<u8>> {
    crate::payload::serialize_plaintext(Serializer::Cbor, uri, args, kwargs)
}

/// Parses an opened plaintext (§13.1) and checks that it was sealed for
/// `signed_uri`: `InvalidCbor`, `InvalidPayload`, `UnsupportedValue`, then
/// `MissingUri` (GS1 always requires the URI) or `UriMismatch`.
pub fn parse_payload(signed_uri: &str, plaintext: &[u8]) -> Result<Payload> {
    let opened = parse_plaintext(Serializer::Cbor, plaintext, &mut ValueTree).map_err(|e| {
        // The parser's own words may quote the (secret) plaintext.
        match e.code() {
            ErrorCode::InvalidCbor => {
                crate::Error::new(ErrorCode::InvalidCbor, "plaintext is not valid CBOR")
            }
            _ => e,
        }
    })?;
    match &opened.uri {
        Some(u) if u == signed_uri => {}
        Some(_) => {
            return err(
                ErrorCode::UriMismatch,
                format!("payload was sealed for another URI than {signed_uri:?}"),
            )
        }
        None => {
            return err(
                ErrorCode::MissingUri,
                format!("payload received on {signed_uri:?} carries no uri"),
            )
        }
    }
    Payload::from_opened(opened)
}

fn too_large(what: &str, len: usize) -> Result<()> {
    if len > crate::MAX_PAYLOAD_LEN {
        return err(
            ErrorCode::PayloadTooLarge,
            format!(
                "{what} of {len} bytes, more than {}",
                crate::MAX_PAYLOAD_LEN
            ),
        );
    }
    Ok(())
}

/// One peer's GS1 state. Thread-safe: each part has its own lock, held briefly,
/// and no lock is held while the application's authorization callback runs.
pub struct Group {
    identity: Identity,
    params: Params,
    trust: RwLock<Trust>,
    authorize: RwLock<Option<Authorize>>,
    /// Entry prefix → the current sender session.
    outbound: Mutex<HashMap<String, OutboundSession>>,
    store: Mutex<Store>,
    /// `SHA256(request)` → the pending key request.
    requests: Mutex<HashMap<[u8; 32], PendingRequest>>,
    /// `SHA256(call envelope)` → the pending call.
    calls: Mutex<HashMap<[u8; 32], PendingCall>>,
    /// The identities of every entry set, decoded once (a verification's point
    /// decompression). Only configured identities enter it, so it is bounded by
    /// the configuration; others are decoded per verification.
    verifiers: RwLock<HashMap<IdentityKey, ed25519_dalek::VerifyingKey>>,
    /// Bumped by every change of who may receive (entries, the authorization
    /// callback, rotation), under the lock that change holds. A key request
    /// checked under one generation is answered only if it is still current
    /// when the session is taken: a receiver removed meanwhile gets nothing.
    generation: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("identity", &self.identity.public())
            .field("params", &self.params)
            .field("entries", &self.entries().len())
            .field("outbound_sessions", &lock(&self.outbound).len())
            .field("sessions_held", &lock(&self.store).len())
            .field("pending_requests", &lock(&self.requests).len())
            .field("pending_calls", &lock(&self.calls).len())
            .finish()
    }
}

// No code path panics while holding a lock, so a poisoned lock still guards
// consistent data: take it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn short_hex(b: &[u8]) -> String {
    hex::encode(b.get(..4).unwrap_or_default()) + "…"
}

impl Group {
    /// A peer with `identity`, no entries and the default parameters.
    pub fn new(identity: Identity) -> Group {
        Group {
            identity,
            params: Params::default(),
            trust: RwLock::default(),
            authorize: RwLock::default(),
            outbound: Mutex::default(),
            store: Mutex::default(),
            requests: Mutex::default(),
            calls: Mutex::default(),
            verifiers: RwLock::default(),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn bump_generation(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// `who`'s signature over `message`, with its decoded key from the cache.
    fn verify(&self, who: &IdentityKey, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let cached = self
            .verifiers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(who)
            .copied();
        match cached {
            Some(key) => who.verify_with(&key, message, signature),
            None => who.verify(message, signature),
        }
    }

    /// A peer with `identity` and `params` (checked: `InvalidArgument`).
    pub fn with_params(identity: Identity, params: Params) -> Result<Group> {
        params.validate()?;
        let mut g = Group::new(identity);
        g.params = params;
        Ok(g)
    }

    fn trust(&self) -> RwLockReadGuard<'_, Trust> {
        self.trust.read().unwrap_or_else(|p| p.into_inner())
    }

    fn trust_mut(&self) -> RwLockWriteGuard<'_, Trust> {
        self.trust.write().unwrap_or_else(|p| p.into_inner())
    }

    /// This peer's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// This peer's public identity key.
    pub fn public(&self) -> IdentityKey {
        self.identity.public()
    }

    /// The parameters.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Sets the entry for `entry.prefix`, replacing any. If the new entry drops an
    /// identity from the old one's receivers, the prefix's current session is
    /// revoked: the next seal (or answer) starts a new one (§9.1).
    pub fn set_entry(&self, entry: TrustEntry) {
        {
            let mut verifiers = self.verifiers.write().unwrap_or_else(|p| p.into_inner());
            for who in entry.senders.iter().chain(entry.receivers.iter()) {
                if let Ok(key) = who.verifying_key() {
                    verifiers.insert(*who, key);
                }
            }
        }
        let prefix = entry.prefix.clone();
        let receivers = entry.receivers.clone();
        let mut trust = self.trust_mut();
        self.bump_generation();
        let old = trust.set(entry);
        match old {
            Some(o) if !o.receivers.is_subset(&receivers) => {
                self.revoke(&prefix);
            }
            // A new entry starts no session of its own: one left from an earlier
            // entry of this prefix (answered to receivers of that one) is dropped.
            None => {
                lock(&self.outbound).remove(&prefix);
            }
            Some(_) => {}
        }
    }

    /// Removes the entry for exactly `prefix` and discards its current session.
    /// Returns whether there was one.
    pub fn remove_entry(&self, prefix: &str) -> bool {
        let mut trust = self.trust_mut();
        self.bump_generation();
        let gone = trust.remove(prefix).is_some();
        lock(&self.outbound).remove(prefix);
        gone
    }

    /// The entry for exactly `prefix`.
    pub fn entry(&self, prefix: &str) -> Option<TrustEntry> {
        self.trust().exact(prefix).map(|e| (*e).clone())
    }

    /// Every entry, ordered by prefix (the trusted and authorized sets).
    pub fn entries(&self) -> Vec<TrustEntry> {
        self.trust().entries()
    }

    /// `select(uri)` (§6): the entry with the longest prefix of `uri`.
    pub fn select(&self, uri: &str) -> Option<TrustEntry> {
        self.trust().select(uri).map(|e| (*e).clone())
    }

    /// Sets the authorization callback asked when answering key requests (§6);
    /// `None` admits every receiver of the entry. Changing it does not rotate:
    /// when it stops admitting someone, call [`Group::rotate`].
    pub fn set_authorize(&self, authorize: Option<Authorize>) {
        let mut slot = self.authorize.write().unwrap_or_else(|p| p.into_inner());
        self.bump_generation();
        *slot = authorize;
    }

    fn revoke(&self, prefix: &str) -> bool {
        let mut out = lock(&self.outbound);
        self.bump_generation();
        match out.get_mut(prefix) {
            Some(s) => {
                s.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Marks the current session of exactly `prefix` for rotation: the next seal
    /// or answer starts a new session. Returns whether there was one.
    pub fn rotate(&self, prefix: &str) -> bool {
        self.revoke(prefix)
    }

    /// The current session of exactly `prefix`, if any (none once it is revoked).
    pub fn current_session(&self, prefix: &str) -> Option<SessionInfo> {
        lock(&self.outbound)
            .get(prefix)
            .filter(|s| !s.revoked)
            .map(|s| SessionInfo {
                session_id: s.session_id,
                next: s.next,
                base: s.base,
                created_ms: s.created_ms,
                not_after_ms: s.not_after_ms,
            })
    }

    /// How many session records the inbound store holds.
    pub fn sessions_held(&self) -> usize {
        lock(&self.store).len()
    }

    /// How many calls await their final reply.
    pub fn pending_calls(&self) -> usize {
        lock(&self.calls).len()
    }

    /// How many key requests await their response.
    pub fn pending_key_requests(&self) -> usize {
        lock(&self.requests).len()
    }

    fn select_or_err(&self, uri: &str) -> Result<Arc<TrustEntry>> {
        self.trust().select(uri).ok_or_else(|| {
            crate::Error::new(
                ErrorCode::KeyNotFound,
                format!("no GS1 entry covers URI {uri:?}"),
            )
        })
    }

    fn exact_or(&self, prefix: &str, code: ErrorCode) -> Result<Arc<TrustEntry>> {
        self.trust()
            .exact(prefix)
            .ok_or_else(|| crate::Error::new(code, format!("no GS1 entry with prefix {prefix:?}")))
    }

    // ----------------------------------------------------------------- sealing

    /// Seals an event or call on `uri` (§8.4) under the current session of the
    /// entry `select(uri)`, starting a new session when none is current or
    /// rotation is due. A call is recorded as pending, named by
    /// [`SealedMessage::call_hash`], until its final reply opens.
    ///
    /// Errors: `InvalidArgument` (a reply kind), `PayloadTooLarge`,
    /// `KeyNotFound`, `RandomFailed`.
    pub fn seal(
        &self,
        uri: &str,
        kind: Kind,
        plaintext: &[u8],
        now_ms: u64,
    ) -> Result<SealedMessage> {
        check_session_kind(kind)?;
        too_large(
            "envelope",
            plaintext.len() + CALL_HEADER_LEN + TAG_LEN + SIGNATURE_LEN,
        )?;
        let entry = self.select_or_err(uri)?;
        let nonce = random_nonce()?;
        let reply_secret = match kind {
            Kind::Call => Some(random_array::<32>()?),
            _ => None,
        };
        let own = self.identity.public();
        let (session_id, index, key) = {
            let mut out = lock(&self.outbound);
            let due = out
                .get(&entry.prefix)
                .is_none_or(|s| s.rotation_due(now_ms, &self.params));
            if due {
                out.insert(
                    entry.prefix.clone(),
                    OutboundSession::new(now_ms, &self.params)?,
                );
            }
            let Some(s) = out.get_mut(&entry.prefix) else {
                return err(ErrorCode::KeyNotFound, "outbound session vanished");
            };
            let index = s.next;
            let key = s.ck.message_key(&s.session_id, &own, index)?;
            s.advance(self.params.share_backlog);
            (s.session_id, index, key)
        };
        let header = SessionHeader {
            kind,
            sender: own,
            session_id,
            index,
            timestamp_ms: now_ms,
            nonce,
            reply_public: reply_secret.as_ref().map(|s| x25519_base(s)),
        };
        let parts = seal_parts(&self.identity, uri, &header, &key, plaintext)?;
        let call_hash = match (reply_secret, header.reply_public) {
            (Some(reply_secret), Some(reply_public)) => {
                let h = sha256(&parts.envelope);
                let mut calls = lock(&self.calls);
                if calls.len() >= MAX_PENDING_CALLS {
                    let oldest = calls
                        .iter()
                        .min_by_key(|(_, p)| p.created_ms)
                        .map(|(k, _)| *k);
                    if let Some(k) = oldest {
                        calls.remove(&k);
                    }
                }
                calls.insert(
                    h,
                    PendingCall {
                        call_uri: uri.to_owned(),
                        reply_secret,
                        reply_public,
                        next_seq: 0,
                        callee: None,
                        created_ms: now_ms,
                    },
                );
                Some(h)
            }
            _ => None,
        };
        Ok(SealedMessage {
            envelope: parts.envelope,
            session_id,
            index,
            call_hash,
        })
    }

    /// [`Group::seal`] of the §13.1 plaintext of `args` and `kwargs`.
    pub fn seal_payload(
        &self,
        uri: &str,
        kind: Kind,
        args: Option<&[Value]>,
        kwargs: Option<&Map>,
        now_ms: u64,
    ) -> Result<SealedMessage> {
        let plaintext = Zeroizing::new(payload_plaintext(uri, args, kwargs)?);
        self.seal(uri, kind, &plaintext, now_ms)
    }

    // ----------------------------------------------------------------- opening

    /// Opens an event or call that arrived for `uri` (§9.2). `kind` is what the
    /// WAMP message implies; `key_id` is the `enc_key`/`ppt_keyid` attribute, if
    /// any. The checks run in the page's order and the store changes only when
    /// all of them, the signature and the decryption included, have passed.
    ///
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `KeyIdMismatch`; `KeyNotFound`; `UntrustedSender`;
    /// `BadSignature`; `UnknownSession` (then ask the sender with
    /// [`Group::key_request`]); `PatternMismatch`; `SessionExpired`; `TooOld`,
    /// `Replayed`, `IndexJump`; `DecryptionFailed`.
    pub fn open(
        &self,
        uri: &str,
        kind: Kind,
        key_id: Option<&str>,
        envelope: &[u8],
        now_ms: u64,
    ) -> Result<OpenedMessage> {
        too_large("envelope", envelope.len())?;
        let env = parse_session_envelope(envelope, kind)?;
        let h = &env.header;
        if let Some(k) = key_id {
            if k != hex::encode(h.session_id) {
                return err(
                    ErrorCode::KeyIdMismatch,
                    format!(
                        "key id attribute {k:?} differs from the signed session id {}",
                        hex::encode(h.session_id)
                    ),
                );
            }
        }
        let entry = self.select_or_err(uri)?;
        if !entry.senders.contains(&h.sender) {
            return err(
                ErrorCode::UntrustedSender,
                format!(
                    "sender {} is not pinned for {uri:?} (entry {:?})",
                    h.sender.short(),
                    entry.prefix
                ),
            );
        }
        let signed = signed_input(L_MSG, env.header_bytes, uri, env.ciphertext)?;
        self.verify(&h.sender, &signed, &env.signature)?;
        let ct_at = signed.len() - env.ciphertext.len();
        let plaintext = {
            let mut store = lock(&self.store);
            let pending = store.prepare(
                &h.sender,
                &h.session_id,
                &entry.prefix,
                h.index,
                h.timestamp_ms,
                now_ms,
                &self.params,
            )?;
            let plaintext =
                secretbox_open_signed(&pending.key, &h.nonce, signed, ct_at, "message")?;
            store.commit(&h.sender, &h.session_id, pending);
            plaintext
        };
        let invocation = h.reply_public.map(|reply_public| Invocation {
            call_hash: sha256(envelope),
            call_uri: uri.to_owned(),
            caller: h.sender,
            reply_public,
            next_seq: 0,
            finished: false,
        });
        Ok(OpenedMessage {
            sender: h.sender,
            session_id: h.session_id,
            index: h.index,
            timestamp_ms: h.timestamp_ms,
            plaintext,
            invocation,
        })
    }

    // ----------------------------------------------------------------- replies

    /// Seals a reply to `invocation` (§10.4): a progress, or the final result or
    /// error (`error_uri` is the ERROR's URI, required for an error). Advances
    /// `invocation.next_seq`; a final reply finishes it.
    ///
    /// Errors: `InvalidArgument` (finished invocation, a session kind, an error
    /// without its URI), `PayloadTooLarge`, `InvalidKey` (the caller's reply key
    /// has small order), `RandomFailed`.
    pub fn seal_reply(
        &self,
        invocation: &mut Invocation,
        kind: Kind,
        error_uri: Option<&str>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        if invocation.finished {
            return err(
                ErrorCode::InvalidArgument,
                "the invocation is finished: its final reply was sealed",
            );
        }
        if invocation.next_seq == u32::MAX {
            return err(
                ErrorCode::InvalidArgument,
                "the invocation has used every reply sequence number",
            );
        }
        let esk = random_array::<32>()?;
        let nonce = random_nonce()?;
        let parts = seal_reply_parts(
            &self.identity,
            invocation,
            kind,
            invocation.next_seq,
            error_uri,
            &esk,
            &nonce,
            plaintext,
        )?;
        invocation.next_seq += 1; // below u32::MAX, checked above
        if kind.is_final() {
            invocation.finished = true;
        }
        Ok(parts.envelope)
    }

    /// [`Group::seal_reply`] of the §13.1 plaintext of `args` and `kwargs` (its
    /// `uri` is the procedure for a result or progress, the error URI for an error).
    pub fn seal_reply_payload(
        &self,
        invocation: &mut Invocation,
        kind: Kind,
        error_uri: Option<&str>,
        args: Option<&[Value]>,
        kwargs: Option<&Map>,
    ) -> Result<Vec<u8>> {
        let uri = match (kind, error_uri) {
            (Kind::Error, Some(u)) => u.to_owned(),
            _ => invocation.call_uri.clone(),
        };
        let plaintext = Zeroizing::new(payload_plaintext(&uri, args, kwargs)?);
        self.seal_reply(invocation, kind, error_uri, &plaintext)
    }

    /// Opens a reply to the pending call named `call_hash` (§10.5). `kind` is what
    /// the WAMP message implies (RESULT with or without `progress`, ERROR);
    /// `error_uri` is the ERROR's URI; `key_id` is the key id attribute, which a
    /// reply must not carry. A final reply ends the call.
    ///
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `KeyIdMismatch`; `Unsolicited`; `KeyNotFound`;
    /// `UntrustedSender`; `BadSignature`; `Replayed`; `OutOfOrder`;
    /// `DecryptionFailed`; `InvalidArgument` for an error without its URI.
    pub fn open_reply(
        &self,
        call_hash: &[u8; 32],
        kind: Kind,
        error_uri: Option<&str>,
        key_id: Option<&str>,
        envelope: &[u8],
    ) -> Result<OpenedReply> {
        too_large("envelope", envelope.len())?;
        let env = parse_reply_envelope(envelope, kind)?;
        let h = &env.header;
        if key_id.is_some() {
            return err(ErrorCode::KeyIdMismatch, "a reply carries no key id");
        }
        let unsolicited = || {
            err(
                ErrorCode::Unsolicited,
                format!(
                    "reply to call {} answers no pending call {}",
                    short_hex(&h.call_hash),
                    short_hex(call_hash)
                ),
            )
        };
        let Some(call_uri) = lock(&self.calls).get(call_hash).map(|p| p.call_uri.clone()) else {
            return unsolicited();
        };
        if h.call_hash != *call_hash {
            return unsolicited();
        }
        let entry = self.select_or_err(&call_uri)?;
        if !entry.receivers.contains(&h.callee) {
            return err(
                ErrorCode::UntrustedSender,
                format!(
                    "callee {} is not among the receivers of {:?}",
                    h.callee.short(),
                    entry.prefix
                ),
            );
        }
        let reply_uri = match (kind, error_uri) {
            (Kind::Error, Some(u)) => u,
            (Kind::Error, None) => {
                return err(
                    ErrorCode::InvalidArgument,
                    "an error reply needs its error URI",
                )
            }
            _ => call_uri.as_str(),
        };
        self.verify(
            &h.callee,
            &signed_input(L_RESULT, env.header_bytes, reply_uri, env.ciphertext)?,
            &env.signature,
        )?;
        let mut calls = lock(&self.calls);
        // Another thread may have finished the call since the first look.
        let Some(p) = calls.get_mut(call_hash) else {
            return unsolicited();
        };
        if p.callee.is_some_and(|c| c != h.callee) {
            return err(
                ErrorCode::UntrustedSender,
                format!(
                    "reply signed by {}, but this call's earlier replies came from another callee",
                    h.callee.short()
                ),
            );
        }
        if h.seq == u32::MAX {
            return unsolicited();
        }
        if h.seq < p.next_seq {
            return err(
                ErrorCode::Replayed,
                format!("reply seq {} was already accepted", h.seq),
            );
        }
        if h.seq > p.next_seq {
            return err(
                ErrorCode::OutOfOrder,
                format!("reply seq {}, expected {}", h.seq, p.next_seq),
            );
        }
        let Some(z) = x25519(&p.reply_secret, &h.ephemeral_public) else {
            return err(
                ErrorCode::DecryptionFailed,
                "reply's ephemeral key has small order",
            );
        };
        let key = reply_key(
            &z,
            call_hash,
            kind,
            h.seq,
            &h.callee,
            &h.ephemeral_public,
            &p.reply_public,
        )?;
        let plaintext = secretbox_open(&key, &h.nonce, env.ciphertext, "reply")?;
        p.next_seq = h.seq + 1; // below u32::MAX, checked above
        p.callee = Some(h.callee);
        if kind.is_final() {
            calls.remove(call_hash);
        }
        Ok(OpenedReply {
            callee: h.callee,
            kind,
            seq: h.seq,
            uri: reply_uri.to_owned(),
            plaintext,
        })
    }

    /// Forgets a pending call (timed out or cancelled), erasing its reply secret.
    /// Returns whether it was pending.
    pub fn forget_call(&self, call_hash: &[u8; 32]) -> bool {
        lock(&self.calls).remove(call_hash).is_some()
    }

    // -------------------------------------------------------- key distribution

    /// Makes a signed key request (§11.1) to `target` for its session
    /// `session_id` (all zero: its current session for the prefix) from index
    /// `from_index` on, for this peer's entry of exactly `prefix`; records it as
    /// pending. The request is the argument of a CALL to
    /// `target.key_procedure(base)`.
    ///
    /// Errors: `KeyNotFound` (no entry with that prefix), `UntrustedSender`
    /// (`target` not among its senders), `RandomFailed`.
    pub fn key_request(
        &self,
        target: &IdentityKey,
        session_id: [u8; 16],
        from_index: u32,
        prefix: &str,
        now_ms: u64,
    ) -> Result<KeyRequest> {
        let reply_secret = random_array::<32>()?;
        self.key_request_with(target, session_id, from_index, prefix, reply_secret, now_ms)
    }

    fn key_request_with(
        &self,
        target: &IdentityKey,
        session_id: [u8; 16],
        from_index: u32,
        prefix: &str,
        reply_secret: Zeroizing<[u8; 32]>,
        now_ms: u64,
    ) -> Result<KeyRequest> {
        let entry = self.exact_or(prefix, ErrorCode::KeyNotFound)?;
        if !entry.senders.contains(target) {
            return err(
                ErrorCode::UntrustedSender,
                format!("{} is not among the senders of {prefix:?}", target.short()),
            );
        }
        let fields = KeyRequestFields {
            requester: self.identity.public(),
            target: *target,
            session_id,
            from_index,
            reply_public: x25519_base(&reply_secret),
            timestamp_ms: now_ms,
            prefix: prefix.to_owned(),
        };
        let request = keyshare::sign_request(&self.identity, &fields)?;
        let request_hash = sha256(&request);
        let reply_public = fields.reply_public;
        {
            let mut requests = lock(&self.requests);
            let horizon = self.params.max_skew_ms.saturating_mul(2);
            requests.retain(|_, r| r.fields.timestamp_ms.saturating_add(horizon) >= now_ms);
            if requests.len() >= MAX_PENDING_KEY_REQUESTS {
                let oldest = requests
                    .iter()
                    .min_by_key(|(_, r)| r.fields.timestamp_ms)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    requests.remove(&k);
                }
            }
            requests.insert(
                request_hash,
                PendingRequest {
                    fields,
                    reply_secret,
                },
            );
        }
        Ok(KeyRequest {
            request,
            request_hash,
            reply_public,
        })
    }

    /// Cancels a pending key request, erasing its secret. Returns whether it was pending.
    pub fn cancel_key_request(&self, request_hash: &[u8; 32]) -> bool {
        lock(&self.requests).remove(request_hash).is_some()
    }

    /// Answers a key request that reached this peer's key procedure (§11.5): the
    /// key response, the one binary of the RESULT. Changes no state but discarding
    /// a session due for rotation, or starting one for the all-zero session id.
    ///
    /// Errors, in check order: `Malformed`, `WrongVersion`, `WrongKind`;
    /// `KeyRefused` (not addressed to us); `BadSignature`; `KeyRequestStale`;
    /// `KeyRefused` (no such entry, not a receiver, refused by the callback);
    /// `UnknownSession`; `InvalidKey` (a small-order reply key); `RandomFailed`.
    pub fn answer_key_request(&self, request: &[u8], now_ms: u64) -> Result<Vec<u8>> {
        let esk = random_array::<32>()?;
        Ok(self.answer_with(request, now_ms, &esk)?.response)
    }

    fn answer_with(&self, request: &[u8], now_ms: u64, esk: &[u8; 32]) -> Result<keyshare::Answer> {
        too_large("key request", request.len())?;
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let req = parse_key_request(request)?;
        let f = &req.fields;
        if f.target != self.identity.public() {
            return err(
                ErrorCode::KeyRefused,
                format!("key request addressed to {}, not to us", f.target.short()),
            );
        }
        let mut signed = Vec::with_capacity(L_KEYREQ.len() + req.body.len());
        signed.extend_from_slice(L_KEYREQ);
        signed.extend_from_slice(req.body);
        self.verify(&f.requester, &signed, &req.signature)?;
        if now_ms.abs_diff(f.timestamp_ms) > self.params.max_skew_ms {
            return err(
                ErrorCode::KeyRequestStale,
                format!(
                    "key request timestamped {}, {} ms from our clock",
                    f.timestamp_ms,
                    now_ms.abs_diff(f.timestamp_ms)
                ),
            );
        }
        let entry = self.exact_or(&f.prefix, ErrorCode::KeyRefused)?;
        if !entry.receivers.contains(&f.requester) {
            return err(
                ErrorCode::KeyRefused,
                format!(
                    "{} is not among the receivers of {:?}",
                    f.requester.short(),
                    f.prefix
                ),
            );
        }
        let authorize = self
            .authorize
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(authorize) = authorize {
            if !authorize(&f.requester, &f.prefix) {
                return err(
                    ErrorCode::KeyRefused,
                    format!(
                        "the authorization callback refused {} for {:?}",
                        f.requester.short(),
                        f.prefix
                    ),
                );
            }
        }
        // Trust, then the sessions (the order set_entry takes them): while both are
        // held nobody can change who may receive. If anything changed since the
        // checks above (a receiver removed, a rotation, a new callback), refuse:
        // the requester asks again and is checked against the new state.
        let _trust = self.trust();
        let mut out = lock(&self.outbound);
        if self.generation.load(std::sync::atomic::Ordering::SeqCst) != generation {
            return err(
                ErrorCode::KeyRefused,
                format!(
                    "the receivers of {:?} changed while the request was checked; ask again",
                    f.prefix
                ),
            );
        }
        if out
            .get(&f.prefix)
            .is_some_and(|s| s.rotation_due(now_ms, &self.params))
        {
            out.remove(&f.prefix);
        }
        if f.session_id == [0; 16] && !out.contains_key(&f.prefix) {
            out.insert(
                f.prefix.clone(),
                OutboundSession::new(now_ms, &self.params)?,
            );
        }
        let s = match out.get(&f.prefix) {
            Some(s) if f.session_id == [0; 16] || s.session_id == f.session_id => s,
            _ => {
                return err(
                    ErrorCode::UnknownSession,
                    format!(
                        "session {} is not our current session for {:?}",
                        hex::encode(f.session_id),
                        f.prefix
                    ),
                )
            }
        };
        keyshare::answer(&self.identity, request, f, s, esk)
    }

    /// Accepts the response to the pending key request named `request_hash`
    /// (§11.5): the session is then held and its messages open. The pending
    /// request is removed only on success, so a forged response cancels nothing.
    ///
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `Unsolicited`; `KeyNotFound`; `UntrustedSender`;
    /// `BadSignature`; `DecryptionFailed`; the share's `Malformed`,
    /// `WrongVersion`, `WrongKind`; `ShareMismatch`; `SessionExpired`.
    pub fn accept_key_response(
        &self,
        request_hash: &[u8; 32],
        response: &[u8],
        now_ms: u64,
    ) -> Result<AcceptedShare> {
        too_large("key response", response.len())?;
        let resp = parse_key_response(response)?;
        let Some((fields, reply_secret)) = lock(&self.requests)
            .get(request_hash)
            .map(|p| (p.fields.clone(), p.reply_secret.clone()))
        else {
            return err(
                ErrorCode::Unsolicited,
                format!("no pending key request {}", short_hex(request_hash)),
            );
        };
        if resp.request_hash != *request_hash || resp.sender != fields.target {
            return err(
                ErrorCode::Unsolicited,
                format!(
                    "key response from {} for request {} does not answer request {} to {}",
                    resp.sender.short(),
                    short_hex(&resp.request_hash),
                    short_hex(request_hash),
                    fields.target.short()
                ),
            );
        }
        let entry = self.exact_or(&fields.prefix, ErrorCode::KeyNotFound)?;
        if !entry.senders.contains(&fields.target) {
            return err(
                ErrorCode::UntrustedSender,
                format!(
                    "{} is no longer among the senders of {:?}",
                    fields.target.short(),
                    fields.prefix
                ),
            );
        }
        let mut signed = Vec::with_capacity(L_KEYRESP.len() + resp.body.len());
        signed.extend_from_slice(L_KEYRESP);
        signed.extend_from_slice(resp.body);
        self.verify(&fields.target, &signed, &resp.signature)?;
        let share_bytes = open_box(&fields.reply_public, &reply_secret, resp.sealed)?;
        let share = Share::parse(&share_bytes)?;
        if share.sender != fields.target
            || share.requester != self.identity.public()
            || share.prefix != fields.prefix
            || (fields.session_id != [0; 16] && share.session_id != fields.session_id)
        {
            return err(
                ErrorCode::ShareMismatch,
                "the share's sender, requester, prefix or session differ from the request",
            );
        }
        lock(&self.store).accept_share(&share, now_ms, &self.params)?;
        lock(&self.requests).remove(request_hash);
        Ok(AcceptedShare {
            sender: share.sender,
            session_id: share.session_id,
            prefix: share.prefix.clone(),
            index: share.index,
            not_after_ms: share.not_after_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Group>();
    }

    #[test]
    fn labels_are_the_pages() {
        assert_eq!(chain::L_MSG.len(), 16);
        assert_eq!(chain::L_KEYREQ.len(), 19);
        assert_eq!(chain::L_KEYRESP.len(), 20);
        assert_eq!(chain::L_RESULT.len(), 19);
        assert_eq!(chain::L_MSGKEY.len(), 20);
        assert_eq!(chain::L_REPLYKEY.len(), 22);
    }

    #[test]
    fn debug_shows_no_secret() {
        let id = Identity::from_seed(&[7; 32]);
        let text = format!("{id:?} {:?}", ChainKey::from_bytes(&[7; 32]));
        assert!(!text.contains("0707"), "{text}");
        assert!(!text.contains("7, 7"), "{text}");
    }
}
