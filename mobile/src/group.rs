//! GS1 group sessions (`docs/gs1.md`) for Swift and Kotlin: identities, the
//! per-peer `Group`, events and calls, replies, and the key procedure. Conversion
//! only: every check and every decision is `wampe2e::group`'s.
//!
//! Binary values (keys, session ids, hashes, envelopes) are bytes (`ByteArray`,
//! `Data`); times are milliseconds since the Unix epoch, passed in by the caller.

use crate::{
    entries_from_core, entries_to_core, from_core, to_core, to_json, MapEntry, OpenedJson,
    OpenedValues, PayloadValue, Result, Wampe2eError,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wampe2e::group::envelope::{self, Arrived, Attr, Route, WireDialect};
use wampe2e::group::{self as core, IdentityKey, DEFAULT_KEY_PROCEDURE_BASE};
use wampe2e::{Error, ErrorCode, KeyInput, Value};

/// `bytes` as a fixed-size array (`InvalidArgument` naming `what` otherwise).
fn fixed<const N: usize>(what: &str, bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("{what}: {} bytes, expected {N}", bytes.len()),
        )
        .into()
    })
}

/// An identity public key from its 32 bytes (`InvalidKey` naming `what` otherwise).
fn identity_key(what: &str, bytes: &[u8]) -> Result<IdentityKey> {
    Ok(IdentityKey::from_input(what, KeyInput::Bytes(bytes))?)
}

fn identity_keys(what: &str, keys: &[Vec<u8>]) -> Result<Vec<IdentityKey>> {
    keys.iter().map(|k| identity_key(what, k)).collect()
}

fn key_bytes(keys: impl IntoIterator<Item = IdentityKey>) -> Vec<Vec<u8>> {
    keys.into_iter().map(|k| k.as_bytes().to_vec()).collect()
}

fn args_to_core(args: Option<Vec<PayloadValue>>) -> Option<Vec<Value>> {
    args.map(|a| a.into_iter().map(to_core).collect())
}

// ---------------------------------------------------------------- identities

/// A peer's long-term Ed25519 identity (§5). The seed is zeroized when the object
/// is destroyed and never shown by `toString`/`debugDescription` (they show the
/// public key). Immutable and thread-safe.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Identity(core::Identity);

#[uniffi::export]
impl Identity {
    /// A fresh identity from the operating system's RNG. Errors: `RandomFailed`.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>> {
        Ok(Arc::new(Identity(core::Identity::generate()?)))
    }

    /// The identity of a 32-byte Ed25519 seed (as `seed()` returned it).
    /// Errors: `InvalidKey` (not 32 bytes; the message never shows the seed).
    #[uniffi::constructor]
    pub fn from_seed(seed: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Arc::new(Identity(core::Identity::from_input(
            "seed",
            KeyInput::Bytes(&seed),
        )?)))
    }

    /// The GS1 identity derived from a WAMP-cryptosign seed (§5: HKDF, never the
    /// cryptosign key itself). Peers pin this identity's public key.
    /// Errors: `InvalidArgument` (not 32 bytes).
    #[uniffi::constructor]
    pub fn from_cryptosign_seed(cryptosign_seed: Vec<u8>) -> Result<Arc<Self>> {
        let seed = fixed::<32>("cryptosignSeed", &cryptosign_seed)?;
        Ok(Arc::new(Identity(core::Identity::from_cryptosign_seed(
            &seed,
        ))))
    }

    /// The 32-byte public key: what peers pin in their entries.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }

    /// The 32-byte seed, to store the identity (keep it as secret as a private key).
    pub fn seed(&self) -> Vec<u8> {
        self.0.seed().to_vec()
    }

    /// The fingerprint: the public key as 64 lowercase hex digits.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// This identity's key procedure URI, `<base>.<fingerprint>` (§5); `base`
    /// defaults to `wampe2e.key`.
    #[uniffi::method(default(base = None))]
    pub fn key_procedure(&self, base: Option<String>) -> String {
        self.0
            .key_procedure(base.as_deref().unwrap_or(DEFAULT_KEY_PROCEDURE_BASE))
    }
}

/// The key procedure URI of the identity whose public key is `public_key`:
/// where to CALL with a key request for its sessions (§11.4). `base` defaults
/// to `wampe2e.key`. Errors: `InvalidKey`.
#[uniffi::export(default(base = None))]
pub fn key_procedure_of(public_key: Vec<u8>, base: Option<String>) -> Result<String> {
    Ok(identity_key("publicKey", &public_key)?
        .key_procedure(base.as_deref().unwrap_or(DEFAULT_KEY_PROCEDURE_BASE)))
}

// ---------------------------------------------------------------- parameters

/// The configurable parameters of §9.4 (start from `defaultGroupParams()`).
#[derive(uniffi::Record, Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupParams {
    /// A sender rotates after this many messages (1 … 2^32 − 1).
    pub max_messages: u32,
    /// A sender rotates after this age (at least 1).
    pub max_age_ms: u64,
    /// Clock tolerance for key request freshness and session expiry.
    pub max_skew_ms: u64,
    /// How long a superseded session keeps opening.
    pub grace_ms: u64,
    /// How far back, in messages, a key share may start (0 … 65 536).
    pub share_backlog: u32,
}

impl From<core::Params> for GroupParams {
    fn from(p: core::Params) -> Self {
        GroupParams {
            max_messages: p.max_messages,
            max_age_ms: p.max_age_ms,
            max_skew_ms: p.max_skew_ms,
            grace_ms: p.grace_ms,
            share_backlog: p.share_backlog,
        }
    }
}

impl From<GroupParams> for core::Params {
    fn from(p: GroupParams) -> Self {
        core::Params {
            max_messages: p.max_messages,
            max_age_ms: p.max_age_ms,
            max_skew_ms: p.max_skew_ms,
            grace_ms: p.grace_ms,
            share_backlog: p.share_backlog,
        }
    }
}

/// The default parameters (10 000 messages, one hour, 5 min skew, 10 min grace,
/// backlog 64).
#[uniffi::export]
pub fn default_group_params() -> GroupParams {
    core::Params::default().into()
}

// --------------------------------------------------------------------- kinds

/// The GS1 type of a message (§12.2): what the WAMP message implies.
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// PUBLISH → EVENT.
    Event,
    /// CALL → INVOCATION.
    Call,
    /// YIELD → RESULT, final.
    Result,
    /// YIELD → RESULT with `progress: true`.
    Progress,
    /// ERROR answering a CALL.
    Error,
}

impl From<GroupKind> for core::Kind {
    fn from(k: GroupKind) -> Self {
        match k {
            GroupKind::Event => core::Kind::Event,
            GroupKind::Call => core::Kind::Call,
            GroupKind::Result => core::Kind::Result,
            GroupKind::Progress => core::Kind::Progress,
            GroupKind::Error => core::Kind::Error,
        }
    }
}

impl From<core::Kind> for GroupKind {
    fn from(k: core::Kind) -> Self {
        match k {
            core::Kind::Event => GroupKind::Event,
            core::Kind::Call => GroupKind::Call,
            core::Kind::Result => GroupKind::Result,
            core::Kind::Progress => GroupKind::Progress,
            core::Kind::Error => GroupKind::Error,
        }
    }
}

// ------------------------------------------------------------------- records

/// One trust entry (§6): who may seal under `prefix`, and who may get its keys
/// and sign replies to calls under it (32-byte public keys).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// The URIs the entry governs: every URI starting with it.
    pub prefix: String,
    /// Publishers and callers.
    pub senders: Vec<Vec<u8>>,
    /// Subscribers and callees.
    pub receivers: Vec<Vec<u8>>,
}

impl From<core::TrustEntry> for GroupEntry {
    fn from(e: core::TrustEntry) -> Self {
        GroupEntry {
            prefix: e.prefix,
            senders: key_bytes(e.senders),
            receivers: key_bytes(e.receivers),
        }
    }
}

/// A sender's current session for a prefix, without its keys.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The index the next message will use.
    pub next: u32,
    /// The oldest index a key share may start at.
    pub base: u32,
    /// When the session was made.
    pub created_ms: u64,
    /// When it stops opening (`createdMs + maxAgeMs`).
    pub not_after_ms: u64,
}

/// A sealed event or call. The envelope is the whole WAMP payload; the key id
/// goes in `enc_key`/`ppt_keyid` (§12.1).
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct GroupSealed {
    /// The envelope bytes.
    pub envelope: Vec<u8>,
    /// The key id attribute: hex of the session id (32 characters).
    pub key_id: String,
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The index in the session.
    pub index: u32,
    /// For a call: SHA-256 of the envelope, naming the pending call its replies
    /// answer (`openReply`, `forgetCall`); absent for an event.
    pub call_hash: Option<Vec<u8>>,
}

impl From<core::SealedMessage> for GroupSealed {
    fn from(s: core::SealedMessage) -> Self {
        GroupSealed {
            key_id: s.key_id(),
            session_id: s.session_id.to_vec(),
            index: s.index,
            call_hash: s.call_hash.map(|h| h.to_vec()),
            envelope: s.envelope,
        }
    }
}

/// What a callee needs to reply to a call it opened (§10.4): pass it to every
/// `sealReply` for that call. Holds no secret; thread-safe.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Invocation(Mutex<core::Invocation>);

impl Invocation {
    fn get<T>(&self, f: impl FnOnce(&core::Invocation) -> T) -> T {
        f(&self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[uniffi::export]
impl Invocation {
    /// The caller's identity (32-byte public key), as signed in the call.
    pub fn caller(&self) -> Vec<u8> {
        self.get(|i| i.caller.as_bytes().to_vec())
    }

    /// SHA-256 of the call envelope.
    pub fn call_hash(&self) -> Vec<u8> {
        self.get(|i| i.call_hash.to_vec())
    }

    /// The procedure the call was signed for.
    pub fn call_uri(&self) -> String {
        self.get(|i| i.call_uri.clone())
    }

    /// The sequence number of the next reply.
    pub fn next_seq(&self) -> u32 {
        self.get(|i| i.next_seq)
    }

    /// Whether the final reply (result or error) was sealed.
    pub fn finished(&self) -> bool {
        self.get(|i| i.finished)
    }
}

/// An opened event or call. `plaintext` is §13's CBOR map; `groupPayload` parses it.
#[derive(uniffi::Record)]
pub struct GroupOpened {
    /// The sender's identity: pinned for the URI, and the signer.
    pub sender: Vec<u8>,
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The index in the session.
    pub index: u32,
    /// The sender's clock when it sealed.
    pub timestamp_ms: u64,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// For a call: what its replies need; absent for an event.
    pub invocation: Option<Arc<Invocation>>,
}

/// An opened event or call with its payload parsed (§13).
#[derive(uniffi::Record)]
pub struct GroupOpenedPayload {
    /// The sender's identity: pinned for the URI, and the signer.
    pub sender: Vec<u8>,
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The index in the session.
    pub index: u32,
    /// The sender's clock when it sealed.
    pub timestamp_ms: u64,
    /// Positional arguments.
    pub args: Option<Vec<PayloadValue>>,
    /// Keyword arguments.
    pub kwargs: Option<Vec<MapEntry>>,
    /// For a call: what its replies need; absent for an event.
    pub invocation: Option<Arc<Invocation>>,
}

/// An opened reply to one of our calls. `plaintext` is §13's CBOR map, for the
/// procedure (result, progress) or the error URI (error): `groupPayload` parses it.
#[derive(uniffi::Record)]
pub struct GroupReply {
    /// The callee that signed it (the first reply pins it for the call).
    pub callee: Vec<u8>,
    /// Result, progress or error.
    pub kind: GroupKind,
    /// Its sequence number.
    pub seq: u32,
    /// The URI it was signed and sealed for: the call's procedure (result,
    /// progress) or the error URI (error). Parse with `groupPayload(uri, plaintext)`.
    pub uri: String,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

/// A key request (§11.1), pending until its response is accepted or it is cancelled.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct GroupKeyRequest {
    /// The one binary argument of the CALL to the sender's key procedure.
    pub request: Vec<u8>,
    /// SHA-256 of the request: names it in `acceptKeyResponse`/`cancelKeyRequest`.
    pub request_hash: Vec<u8>,
    /// The fresh X25519 public key the answer is sealed to.
    pub reply_public: Vec<u8>,
}

/// A session accepted from a key response: its messages now open.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct AcceptedShare {
    /// The sender whose session it is.
    pub sender: Vec<u8>,
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The prefix it serves.
    pub prefix: String,
    /// The first index it opens.
    pub index: u32,
    /// When it stops opening.
    pub not_after_ms: u64,
}

/// The clear header of an event or call envelope, not verified: after
/// `UnknownSession`, whom to ask for which session from which index.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct GroupEnvelopeHeader {
    /// The claimed sender (32-byte public key).
    pub sender: Vec<u8>,
    /// The 16-byte session id.
    pub session_id: Vec<u8>,
    /// The message's index.
    pub index: u32,
    /// The claimed sealing time.
    pub timestamp_ms: u64,
}

// ----------------------------------------------------------------- free functions

/// Reads the clear header of an event or call envelope (`kind` EVENT or CALL)
/// without verifying anything. Errors: `Malformed`, `WrongVersion`, `WrongKind`.
#[uniffi::export]
pub fn group_envelope_header(envelope: Vec<u8>, kind: GroupKind) -> Result<GroupEnvelopeHeader> {
    let h = core::wire::parse_session_envelope(&envelope, kind.into())?.header;
    Ok(GroupEnvelopeHeader {
        sender: h.sender.as_bytes().to_vec(),
        session_id: h.session_id.to_vec(),
        index: h.index,
        timestamp_ms: h.timestamp_ms,
    })
}

/// The plaintext of §13.1 (the CBOR map `{"uri", "args", "kwargs"}`) for a
/// message on `uri` (for an error reply: the error URI).
/// Errors: `UnsupportedValue`, `PayloadTooLarge`.
#[uniffi::export]
pub fn group_plaintext(
    uri: String,
    args: Option<Vec<PayloadValue>>,
    kwargs: Option<Vec<MapEntry>>,
) -> Result<Vec<u8>> {
    let args = args_to_core(args);
    let kwargs = kwargs.map(entries_to_core);
    Ok(core::payload_plaintext(
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
    )?)
}

/// `groupPlaintext` of args and kwargs given as WAMP-JSON text (null for none).
/// Errors: `InvalidJson`, `InvalidBase64`, `InvalidPayload`, `UnsupportedValue`.
#[uniffi::export]
pub fn group_plaintext_json(
    uri: String,
    args_json: Option<String>,
    kwargs_json: Option<String>,
) -> Result<Vec<u8>> {
    let args = wampe2e::args_from_json("argsJson", args_json.as_deref())?;
    let kwargs = wampe2e::kwargs_from_json("kwargsJson", kwargs_json.as_deref())?;
    Ok(core::payload_plaintext(
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
    )?)
}

/// Parses an opened plaintext (§13.1) and checks it was sealed for `uri` (the URI
/// opened for; for an error reply the error URI, for a result or progress the
/// procedure). Errors: `InvalidCbor`, `InvalidPayload`, `UnsupportedValue`,
/// `MissingUri`, `UriMismatch`.
#[uniffi::export]
pub fn group_payload(uri: String, plaintext: Vec<u8>) -> Result<OpenedValues> {
    let p = core::parse_payload(&uri, &plaintext)?;
    Ok(OpenedValues {
        uri: p.uri,
        args: p.args.map(|l| l.into_iter().map(from_core).collect()),
        kwargs: p.kwargs.map(entries_from_core),
    })
}

/// `groupPayload` as WAMP-JSON text (`null` where absent).
#[uniffi::export]
pub fn group_payload_json(uri: String, plaintext: Vec<u8>) -> Result<OpenedJson> {
    let p = core::parse_payload(&uri, &plaintext)?;
    Ok(OpenedJson {
        uri: p.uri,
        args_json: to_json(p.args.map_or(Value::Null, Value::List))?,
        kwargs_json: to_json(p.kwargs.map_or(Value::Null, Value::Map))?,
    })
}

// --------------------------------------------------------------------- group

/// One peer's GS1 state: its identity, trust entries, parameters, sender
/// sessions, the sessions it holds, and its pending key requests and calls.
/// Thread-safe. `toString`/`debugDescription` show the public key and counts.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Group(core::Group);

#[uniffi::export]
impl Group {
    /// A peer with `identity`, no entries, and `params` (default: the defaults).
    /// Errors: `InvalidArgument` (a parameter out of range).
    #[uniffi::constructor(default(params = None))]
    pub fn new(identity: Arc<Identity>, params: Option<GroupParams>) -> Result<Arc<Self>> {
        let params = params.map_or_else(core::Params::default, Into::into);
        Ok(Arc::new(Group(core::Group::with_params(
            identity.0.clone(),
            params,
        )?)))
    }

    /// This peer's identity.
    pub fn identity(&self) -> Arc<Identity> {
        Arc::new(Identity(self.0.identity().clone()))
    }

    /// This peer's 32-byte public key.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }

    /// The parameters.
    pub fn params(&self) -> GroupParams {
        self.0.params().into()
    }

    /// Sets the entry for `prefix` (replacing any): `senders` may seal under it,
    /// `receivers` may get its keys and sign replies. Dropping a receiver revokes
    /// the current session: the next seal starts a new one.
    /// Errors: `InvalidKey` (a key not 32 bytes).
    pub fn set_entry(
        &self,
        prefix: String,
        senders: Vec<Vec<u8>>,
        receivers: Vec<Vec<u8>>,
    ) -> Result<()> {
        let senders = identity_keys("senders", &senders)?;
        let receivers = identity_keys("receivers", &receivers)?;
        self.0
            .set_entry(core::TrustEntry::new(&prefix, senders, receivers));
        Ok(())
    }

    /// Removes the entry for exactly `prefix` and discards its current session;
    /// returns whether there was one.
    pub fn remove_entry(&self, prefix: String) -> bool {
        self.0.remove_entry(&prefix)
    }

    /// The entry for exactly `prefix`.
    pub fn entry(&self, prefix: String) -> Option<GroupEntry> {
        self.0.entry(&prefix).map(Into::into)
    }

    /// Every entry, ordered by prefix.
    pub fn entries(&self) -> Vec<GroupEntry> {
        self.0.entries().into_iter().map(Into::into).collect()
    }

    /// The entry that governs `uri` (the longest prefix of it).
    pub fn select(&self, uri: String) -> Option<GroupEntry> {
        self.0.select(&uri).map(Into::into)
    }

    /// Marks the current session of exactly `prefix` for rotation (the next seal
    /// starts a new one); returns whether there was one.
    pub fn rotate(&self, prefix: String) -> bool {
        self.0.rotate(&prefix)
    }

    /// The current session of exactly `prefix`, if any.
    pub fn current_session(&self, prefix: String) -> Option<SessionInfo> {
        self.0.current_session(&prefix).map(|s| SessionInfo {
            session_id: s.session_id.to_vec(),
            next: s.next,
            base: s.base,
            created_ms: s.created_ms,
            not_after_ms: s.not_after_ms,
        })
    }

    /// How many session records this peer holds as a receiver.
    pub fn sessions_held(&self) -> u64 {
        self.0.sessions_held() as u64
    }

    /// How many of our calls await their final reply.
    pub fn pending_calls(&self) -> u64 {
        self.0.pending_calls() as u64
    }

    /// How many of our key requests await their response.
    pub fn pending_key_requests(&self) -> u64 {
        self.0.pending_key_requests() as u64
    }

    /// Seals an event or call (`kind` EVENT or CALL) on `uri` (§8.4); `plaintext`
    /// is §13's map (`groupPlaintext`). A call stays pending until its final reply.
    /// Errors: `InvalidArgument` (a reply kind), `PayloadTooLarge`, `KeyNotFound`
    /// (no entry covers `uri`), `RandomFailed`.
    pub fn seal(
        &self,
        uri: String,
        kind: GroupKind,
        plaintext: Vec<u8>,
        now_ms: u64,
    ) -> Result<GroupSealed> {
        Ok(self.0.seal(&uri, kind.into(), &plaintext, now_ms)?.into())
    }

    /// `seal` of typed args and kwargs.
    pub fn seal_payload(
        &self,
        uri: String,
        kind: GroupKind,
        args: Option<Vec<PayloadValue>>,
        kwargs: Option<Vec<MapEntry>>,
        now_ms: u64,
    ) -> Result<GroupSealed> {
        let args = args_to_core(args);
        let kwargs = kwargs.map(entries_to_core);
        Ok(self
            .0
            .seal_payload(&uri, kind.into(), args.as_deref(), kwargs.as_ref(), now_ms)?
            .into())
    }

    /// Opens an event or call that arrived for `uri` (§9.2): `kind` is what the
    /// WAMP message implies, `keyId` the `enc_key`/`ppt_keyid` attribute if any.
    /// A failed open changes nothing.
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `KeyIdMismatch`; `KeyNotFound`; `UntrustedSender`;
    /// `BadSignature`; `UnknownSession` (hold the message, ask the sender with
    /// `keyRequest`); `PatternMismatch`; `SessionExpired`; `TooOld`, `Replayed`,
    /// `IndexJump`; `DecryptionFailed`.
    #[uniffi::method(default(key_id = None))]
    pub fn open(
        &self,
        uri: String,
        kind: GroupKind,
        envelope: Vec<u8>,
        now_ms: u64,
        key_id: Option<String>,
    ) -> Result<GroupOpened> {
        let o = self
            .0
            .open(&uri, kind.into(), key_id.as_deref(), &envelope, now_ms)?;
        Ok(GroupOpened {
            sender: o.sender.as_bytes().to_vec(),
            session_id: o.session_id.to_vec(),
            index: o.index,
            timestamp_ms: o.timestamp_ms,
            invocation: o.invocation.map(|i| Arc::new(Invocation(Mutex::new(i)))),
            plaintext: o.plaintext,
        })
    }

    /// `open`, then `groupPayload(uri, plaintext)`. A payload error comes after
    /// the message was opened (its index is used either way).
    #[uniffi::method(default(key_id = None))]
    pub fn open_payload(
        &self,
        uri: String,
        kind: GroupKind,
        envelope: Vec<u8>,
        now_ms: u64,
        key_id: Option<String>,
    ) -> Result<GroupOpenedPayload> {
        let o = self
            .0
            .open(&uri, kind.into(), key_id.as_deref(), &envelope, now_ms)?;
        let p = core::parse_payload(&uri, &o.plaintext)?;
        Ok(GroupOpenedPayload {
            sender: o.sender.as_bytes().to_vec(),
            session_id: o.session_id.to_vec(),
            index: o.index,
            timestamp_ms: o.timestamp_ms,
            args: p.args.map(|l| l.into_iter().map(from_core).collect()),
            kwargs: p.kwargs.map(entries_from_core),
            invocation: o.invocation.map(|i| Arc::new(Invocation(Mutex::new(i)))),
        })
    }

    /// Seals a reply to `invocation` (§10.4): PROGRESS, or the final RESULT or
    /// ERROR (`errorUri` required for ERROR). The YIELD's/ERROR's one binary
    /// argument, without a key id attribute.
    /// Errors: `InvalidArgument` (finished invocation, not a reply kind, ERROR
    /// without its URI), `PayloadTooLarge`, `InvalidKey`, `RandomFailed`.
    #[uniffi::method(default(error_uri = None))]
    pub fn seal_reply(
        &self,
        invocation: Arc<Invocation>,
        kind: GroupKind,
        plaintext: Vec<u8>,
        error_uri: Option<String>,
    ) -> Result<Vec<u8>> {
        let mut inv = invocation.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self
            .0
            .seal_reply(&mut inv, kind.into(), error_uri.as_deref(), &plaintext)?)
    }

    /// `sealReply` of typed args and kwargs (sealed for the procedure, or for the
    /// error URI of an error).
    #[uniffi::method(default(error_uri = None))]
    pub fn seal_reply_payload(
        &self,
        invocation: Arc<Invocation>,
        kind: GroupKind,
        args: Option<Vec<PayloadValue>>,
        kwargs: Option<Vec<MapEntry>>,
        error_uri: Option<String>,
    ) -> Result<Vec<u8>> {
        let args = args_to_core(args);
        let kwargs = kwargs.map(entries_to_core);
        let mut inv = invocation.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.0.seal_reply_payload(
            &mut inv,
            kind.into(),
            error_uri.as_deref(),
            args.as_deref(),
            kwargs.as_ref(),
        )?)
    }

    /// Opens a reply to our pending call `callHash` (§10.5): `kind` is what the
    /// WAMP message implies (RESULT with or without `progress`, ERROR with
    /// `errorUri`), `keyId` the key id attribute if any (a reply has none). A
    /// final reply ends the call. Parse it with `groupPayload(reply.uri,
    /// reply.plaintext)`: `uri` is what it was sealed for.
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `KeyIdMismatch`; `Unsolicited`; `KeyNotFound`;
    /// `UntrustedSender`; `BadSignature`; `Replayed`; `OutOfOrder`;
    /// `DecryptionFailed`; `InvalidArgument`.
    #[uniffi::method(default(error_uri = None, key_id = None))]
    pub fn open_reply(
        &self,
        call_hash: Vec<u8>,
        kind: GroupKind,
        envelope: Vec<u8>,
        error_uri: Option<String>,
        key_id: Option<String>,
    ) -> Result<GroupReply> {
        let call_hash = fixed::<32>("callHash", &call_hash)?;
        let r = self.0.open_reply(
            &call_hash,
            kind.into(),
            error_uri.as_deref(),
            key_id.as_deref(),
            &envelope,
        )?;
        Ok(GroupReply {
            callee: r.callee.as_bytes().to_vec(),
            kind: r.kind.into(),
            seq: r.seq,
            uri: r.uri,
            plaintext: r.plaintext,
        })
    }

    /// Forgets a pending call (timed out, cancelled), erasing its reply secret;
    /// returns whether it was pending. Errors: `InvalidArgument` (not 32 bytes).
    pub fn forget_call(&self, call_hash: Vec<u8>) -> Result<bool> {
        Ok(self.0.forget_call(&fixed::<32>("callHash", &call_hash)?))
    }

    /// Makes a signed key request (§11.1) to `target` for its session `sessionId`
    /// (16 bytes; all zero: its current one) from `fromIndex` on, for our entry
    /// of exactly `prefix`; it stays pending. CALL `keyProcedureOf(target)` with
    /// `request` as the one binary argument.
    /// Errors: `InvalidKey`, `InvalidArgument` (lengths), `KeyNotFound` (no entry
    /// `prefix`), `UntrustedSender` (`target` not among its senders), `RandomFailed`.
    pub fn key_request(
        &self,
        target: Vec<u8>,
        session_id: Vec<u8>,
        from_index: u32,
        prefix: String,
        now_ms: u64,
    ) -> Result<GroupKeyRequest> {
        let target = identity_key("target", &target)?;
        let session_id = fixed::<16>("sessionId", &session_id)?;
        let r = self
            .0
            .key_request(&target, session_id, from_index, &prefix, now_ms)?;
        Ok(GroupKeyRequest {
            request: r.request,
            request_hash: r.request_hash.to_vec(),
            reply_public: r.reply_public.to_vec(),
        })
    }

    /// Cancels a pending key request, erasing its secret; returns whether it was
    /// pending. Errors: `InvalidArgument` (not 32 bytes).
    pub fn cancel_key_request(&self, request_hash: Vec<u8>) -> Result<bool> {
        Ok(self
            .0
            .cancel_key_request(&fixed::<32>("requestHash", &request_hash)?))
    }

    /// Answers a key request that reached our key procedure (§11.5): the key
    /// response, the one binary of the RESULT. On an error, answer the CALL with
    /// the ERROR `wampe2e.error.<code>` (§11.4).
    /// Errors, in check order: `Malformed`, `WrongVersion`, `WrongKind`;
    /// `KeyRefused` (not for us); `BadSignature`; `KeyRequestStale`; `KeyRefused`
    /// (no such entry, not a receiver); `UnknownSession`; `InvalidKey`; `RandomFailed`.
    pub fn answer_key_request(&self, request: Vec<u8>, now_ms: u64) -> Result<Vec<u8>> {
        Ok(self.0.answer_key_request(&request, now_ms)?)
    }

    /// Accepts the response (the RESULT's binary) to our pending key request
    /// `requestHash` (§11.5): the session is then held and its messages open. A
    /// forged response cancels nothing.
    /// Errors, in check order: `PayloadTooLarge`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `Unsolicited`; `KeyNotFound`; `UntrustedSender`;
    /// `BadSignature`; `DecryptionFailed`; `Malformed`, `WrongVersion`,
    /// `WrongKind`; `ShareMismatch`; `SessionExpired`; `InvalidArgument` (not 32 bytes).
    pub fn accept_key_response(
        &self,
        request_hash: Vec<u8>,
        response: Vec<u8>,
        now_ms: u64,
    ) -> Result<AcceptedShare> {
        let request_hash = fixed::<32>("requestHash", &request_hash)?;
        let s = self
            .0
            .accept_key_response(&request_hash, &response, now_ms)?;
        Ok(AcceptedShare {
            sender: s.sender.as_bytes().to_vec(),
            session_id: s.session_id.to_vec(),
            prefix: s.prefix,
            index: s.index,
            not_after_ms: s.not_after_ms,
        })
    }
}

// ---------------------------------------------------------------------- held

/// The bounds of a `Held` queue (§11.6; start from `defaultHeldLimits()`).
#[derive(uniffi::Record, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldLimits {
    /// Messages held per session (at least 1).
    pub max_per_session: u64,
    /// Messages held in all (at least 1).
    pub max_total: u64,
    /// How long a fetch may take, and how long its failure is remembered (at least 1).
    pub max_wait_ms: u64,
}

/// The default bounds (256 per session, 4096 in all, 10 s).
#[uniffi::export]
pub fn default_held_limits() -> HeldLimits {
    let d = core::HeldLimits::default();
    HeldLimits {
        max_per_session: d.max_per_session as u64,
        max_total: d.max_total as u64,
        max_wait_ms: d.max_wait_ms,
    }
}

/// A key fetch to make: CALL `procedure` with `request` as its one binary
/// argument, then `acceptKeyResponse(requestHash, <the RESULT's binary>)` and
/// `release(requestHash)`, or `fail`.
#[derive(uniffi::Record, Debug, Clone, PartialEq, Eq)]
pub struct GroupFetch {
    /// The sender's key procedure, `<base>.<fingerprint>`.
    pub procedure: String,
    /// The signed key request.
    pub request: Vec<u8>,
    /// SHA-256 of the request: names the fetch.
    pub request_hash: Vec<u8>,
    /// The sender asked (32-byte public key).
    pub sender: Vec<u8>,
    /// The 16-byte session asked for.
    pub session_id: Vec<u8>,
}

/// The error a key fetch ends with when the key procedure answered the ERROR
/// `errorUri` (§11.4): a refusal's own code, `KeyFetchFailed` for any other
/// WAMP error. Returned, not thrown: pass it to `Held.fail`.
#[uniffi::export]
pub fn fetch_error(error_uri: String) -> Wampe2eError {
    let code = core::fetch_error_code(&error_uri);
    Error::new(
        code,
        format!("the key procedure answered the ERROR {error_uri:?}"),
    )
    .into()
}

/// Messages held while their session's key is fetched (§11.6, the core's
/// `group::Held`), by ticket: the caller keeps ticket → message (for an EVENT or
/// INVOCATION: its URI, kind, envelope and key id) and opens the released ones.
/// Thread-safe.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Held(Mutex<core::Held<u64>>);

impl Held {
    fn queue(&self) -> std::sync::MutexGuard<'_, core::Held<u64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl Held {
    /// An empty queue with `limits` (default: the defaults), fetching from key
    /// procedures under `base` (default `wampe2e.key`).
    /// Errors: `InvalidArgument` (a bound of 0, an empty base).
    #[uniffi::constructor(default(limits = None, base = None))]
    pub fn new(limits: Option<HeldLimits>, base: Option<String>) -> Result<Arc<Self>> {
        let limits = match limits {
            None => core::HeldLimits::default(),
            Some(l) => core::HeldLimits {
                max_per_session: usize::try_from(l.max_per_session).unwrap_or(usize::MAX),
                max_total: usize::try_from(l.max_total).unwrap_or(usize::MAX),
                max_wait_ms: l.max_wait_ms,
            },
        };
        Ok(Arc::new(Held(Mutex::new(core::Held::new(
            limits,
            base.as_deref(),
        )?))))
    }

    /// Holds the message `ticket`, whose `envelope` of `kind` arrived for `uri`
    /// and that `open` refused with `UnknownSession`: returns the fetch to make
    /// now, or null when it waits behind one under way.
    /// Errors (the message is then not held; report it with the error):
    /// `HoldOverflow`, the error a fetch of the same session failed with in the
    /// last `maxWaitMs`, `Malformed`, `WrongVersion`, `WrongKind`, `KeyNotFound`,
    /// `UntrustedSender`, `RandomFailed`.
    pub fn hold(
        &self,
        group: Arc<Group>,
        uri: String,
        kind: GroupKind,
        envelope: Vec<u8>,
        ticket: u64,
        now_ms: u64,
    ) -> Result<Option<GroupFetch>> {
        let h = self
            .queue()
            .hold(&group.0, &uri, kind.into(), &envelope, ticket, now_ms)?;
        Ok(match h {
            core::Hold::Waiting => None,
            core::Hold::Fetch(f) => Some(GroupFetch {
                procedure: f.procedure,
                request: f.request,
                request_hash: f.request_hash.to_vec(),
                sender: f.sender.as_bytes().to_vec(),
                session_id: f.session_id.to_vec(),
            }),
        })
    }

    /// The tickets held behind the fetch `requestHash`, in the sender's order,
    /// once `acceptKeyResponse` accepted its answer: open each now (each may
    /// still fail on its own, e.g. `Replayed`). Empty if the fetch is not under
    /// way. Errors: `InvalidArgument` (not 32 bytes).
    pub fn release(&self, request_hash: Vec<u8>) -> Result<Vec<u64>> {
        Ok(self
            .queue()
            .release(&fixed::<32>("requestHash", &request_hash)?))
    }

    /// Ends the fetch `requestHash` with `error` (what `acceptKeyResponse` threw,
    /// or `fetchError(errorUri)` for an ERROR answer), cancels the group's pending
    /// request and returns its tickets, to report with `error`. The session's
    /// further messages are refused with it for `maxWaitMs`.
    /// Errors: `InvalidArgument` (not 32 bytes).
    pub fn fail(
        &self,
        group: Arc<Group>,
        request_hash: Vec<u8>,
        error: Wampe2eError,
        now_ms: u64,
    ) -> Result<Vec<u64>> {
        let h = fixed::<32>("requestHash", &request_hash)?;
        Ok(self.queue().fail(&group.0, &h, error.code(), now_ms))
    }

    /// Ends every fetch under way for `maxWaitMs` or longer with
    /// `KeyFetchFailed` (as `fail`); returns their tickets. Call it from a timer.
    pub fn expire(&self, group: Arc<Group>, now_ms: u64) -> Vec<u64> {
        self.queue().expire(&group.0, now_ms)
    }

    /// Whether the fetch `requestHash` is under way.
    /// Errors: `InvalidArgument` (not 32 bytes).
    pub fn is_fetching(&self, request_hash: Vec<u8>) -> Result<bool> {
        Ok(self
            .queue()
            .is_fetching(&fixed::<32>("requestHash", &request_hash)?))
    }

    /// Messages held in all.
    pub fn len(&self) -> u64 {
        self.queue().len() as u64
    }

    /// Fetches under way.
    pub fn fetches(&self) -> u64 {
        self.queue().fetches() as u64
    }
}

/// The core's symbolic name of `error`'s code (`WAMPE2E_KEY_REFUSED`): the `code`
/// kwarg of a refusal, whose URI is `refusalUri(error)` (§11.4).
#[uniffi::export]
pub fn error_name(error: Wampe2eError) -> String {
    error.code().name().to_owned()
}

/// The stable number of `error`'s code (1 …, never reused).
#[uniffi::export]
pub fn error_number(error: Wampe2eError) -> u32 {
    error.code().as_u32()
}

// ---------------------------------------------------------------- the wire

/// The dialect a GS1 envelope travels in (§12.1).
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDialect {
    /// Autobahn/Crossbar `enc_*`: the envelope as the one bare binary at the
    /// Arguments position, no ArgumentsKw.
    Enc,
    /// Payload Passthru `ppt_*`: `Arguments = [envelope]`, no ArgumentsKw.
    Ppt,
}

impl From<GroupDialect> for WireDialect {
    fn from(d: GroupDialect) -> Self {
        match d {
            GroupDialect::Enc => WireDialect::Enc,
            GroupDialect::Ppt => WireDialect::Ppt,
        }
    }
}

impl From<WireDialect> for GroupDialect {
    fn from(d: WireDialect) -> Self {
        match d {
            WireDialect::Enc => GroupDialect::Enc,
            WireDialect::Ppt => GroupDialect::Ppt,
        }
    }
}

/// What the attributes of an arriving message say (`groupReadAttributes`).
#[derive(uniffi::Enum, Debug, Clone, PartialEq, Eq)]
pub enum GroupArrived {
    /// No `enc_algo` and no `ppt_scheme`: plaintext.
    Plain,
    /// Another dialect (cryptobox, ppt `wamp`, …): the keyring's business.
    Other,
    /// A GS1 envelope: take it from `dialect`'s payload position; `keyId` is the
    /// `enc_key`/`ppt_keyid` attribute, if any (pass it to `open`/`openReply`).
    Gs1 {
        /// Where the envelope is.
        dialect: GroupDialect,
        /// The key id attribute, if present.
        key_id: Option<String>,
    },
}

impl From<Arrived> for GroupArrived {
    fn from(a: Arrived) -> Self {
        match a {
            Arrived::Plain => GroupArrived::Plain,
            Arrived::Other => GroupArrived::Other,
            Arrived::Gs1 { dialect, key_id } => GroupArrived::Gs1 {
                dialect: dialect.into(),
                key_id,
            },
        }
    }
}

impl From<GroupArrived> for Arrived {
    fn from(a: GroupArrived) -> Self {
        match a {
            GroupArrived::Plain => Arrived::Plain,
            GroupArrived::Other => Arrived::Other,
            GroupArrived::Gs1 { dialect, key_id } => Arrived::Gs1 {
                dialect: dialect.into(),
                key_id,
            },
        }
    }
}

/// What to do with an arriving message (`groupRoute`).
#[derive(uniffi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRoute {
    /// A GS1 envelope: `open` it (`openReply` for an answer to our GS1 call).
    Open,
    /// Deliver the plaintext as it is.
    Plain,
    /// A key procedure URI (`<base>.…`): never sealed, never strict; deliver it.
    Exempt,
    /// No GS1 entry covers it and it answers no GS1 call: `decideInbound` decides.
    Keyring,
}

impl From<Route> for GroupRoute {
    fn from(r: Route) -> Self {
        match r {
            Route::Open => GroupRoute::Open,
            Route::Plain => GroupRoute::Plain,
            Route::Exempt => GroupRoute::Exempt,
            Route::Keyring => GroupRoute::Keyring,
        }
    }
}

/// The attributes (Options/Details) of a sealed message in `dialect` (§12.1):
/// with `keyId` (`hex(sessionId)`, `GroupSealed.keyId`) for an event or call,
/// without (null) for a reply.
#[uniffi::export(default(key_id = None))]
pub fn group_attributes(dialect: GroupDialect, key_id: Option<String>) -> HashMap<String, String> {
    envelope::attributes(dialect.into(), key_id.as_deref())
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// Reads an arriving message's attributes (§12.1): `attributes` holds the
/// Options/Details entries whose value is a string; `notStrings` names those
/// present with any other value (absent and null ones are left out of both).
/// Errors: `InvalidEnvelope` (`enc_algo` and `ppt_scheme` both present, a
/// missing serializer or cipher, a GS1 attribute that is not a string),
/// `UnknownSerializer`, `UnknownCipher`. The payload position is the caller's
/// to check: for `Gs1`, one bare binary (`Enc`) or a list of one binary
/// (`Ppt`), and no ArgumentsKw, else `InvalidEnvelope`.
#[uniffi::export(default(not_strings = []))]
pub fn group_read_attributes(
    attributes: HashMap<String, String>,
    not_strings: Vec<String>,
) -> Result<GroupArrived> {
    let arrived = envelope::read_attributes(|name| match attributes.get(name) {
        Some(v) => Some(Attr::Str(v)),
        None => not_strings
            .iter()
            .any(|n| n == name)
            .then_some(Attr::NotString),
    })?;
    Ok(arrived.into())
}

/// The inbound decision for a message a GS1 entry may cover, before
/// `decideInbound` (§12.1): `kind` the WAMP message, `uri` its resolved URI (the
/// topic or procedure `decideInbound` resolved, the procedure called, the error
/// URI), `arrived` what `groupReadAttributes` found, `answersGs1Call` whether a
/// RESULT/ERROR answers a CALL we sealed with GS1, `base` the key procedure base
/// (default `wampe2e.key`). Errors: `UnexpectedPlaintext` (strict: plaintext on a
/// covered URI, or an application answer in plaintext to a GS1 call; the
/// router's `wamp.error.*` and `wampe2e.error.*` refusals pass),
/// `InvalidEnvelope` (another dialect where GS1 is expected).
#[uniffi::export(default(strict = true, base = None))]
pub fn group_route(
    group: Arc<Group>,
    kind: crate::MessageKind,
    uri: String,
    arrived: GroupArrived,
    answers_gs1_call: bool,
    strict: bool,
    base: Option<String>,
) -> Result<GroupRoute> {
    Ok(envelope::route(
        &group.0,
        kind.into(),
        &uri,
        &arrived.into(),
        answers_gs1_call,
        strict,
        base.as_deref(),
    )?
    .into())
}

/// Whether `uri` is a key procedure, `<base>.<something>` (§5; `base` defaults
/// to `wampe2e.key`): never sealed, and exempt from strictness.
#[uniffi::export(default(base = None))]
pub fn is_key_procedure(uri: String, base: Option<String>) -> bool {
    envelope::is_key_procedure(&uri, base.as_deref())
}

/// The error URI of a refusal with `error`'s code (§11.4): `wampe2e.error.` +
/// the code's name in lower case without `WAMPE2E_` (`wampe2e.error.key_refused`);
/// its kwargs are `{"code": errorName(error)}`.
#[uniffi::export]
pub fn refusal_uri(error: Wampe2eError) -> String {
    envelope::refusal_uri(error.code())
}
