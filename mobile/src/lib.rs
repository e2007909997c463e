//! The Swift and Kotlin modules of wampe2e, via UniFFI (proc-macro interface).
//! Conversion only: every decision is the core's.
//!
//! Payloads can be given as WAMP-JSON text (`seal_payload` / `open_payload`) or as
//! typed values (`seal_payload_values` / `open_payload_values`).

use std::collections::HashMap;
use std::sync::Arc;
use wampe2e::{
    BoxKey, DataKey, Envelope as CoreEnvelope, Error, ErrorCode, KeyEntry, KeyInput, KeyNames,
    KeyPair, KeyRing as CoreKeyRing, PublicKey, SecretKey, SymmetricKey, Value,
};

uniffi::setup_scaffolding!();

mod group;

/// Every core error, one case each (not flat), so callers can `when`/`switch` on it.
/// Each case carries the `detail` message (never key material; `detail`, since
/// Kotlin exceptions already have a `message`).
#[allow(missing_docs)]
#[derive(Debug, uniffi::Error)]
pub enum Wampe2eError {
    /// A key is not valid base64/hex, or has the wrong length.
    InvalidKey { detail: String },
    /// No key entry (and no default) for the URI or key id.
    KeyNotFound { detail: String },
    /// The key entry lacks the keys this role needs.
    KeyIncomplete { detail: String },
    /// The cipher needs another kind of key.
    WrongKeyKind { detail: String },
    /// Wrong key, or the ciphertext was tampered with.
    DecryptionFailed { detail: String },
    /// The ciphertext is shorter than nonce plus tag.
    TruncatedCiphertext { detail: String },
    /// The payload was sealed for another URI.
    UriMismatch { detail: String },
    /// The plaintext carries no URI and the key entry requires one.
    MissingUri { detail: String },
    /// Unknown enc_algo / ppt_scheme.
    UnknownScheme { detail: String },
    /// Unknown cipher.
    UnknownCipher { detail: String },
    /// Unknown serializer.
    UnknownSerializer { detail: String },
    /// Invalid UTF-8.
    InvalidUtf8 { detail: String },
    /// Invalid JSON.
    InvalidJson { detail: String },
    /// Invalid CBOR.
    InvalidCbor { detail: String },
    /// Invalid MessagePack.
    InvalidMsgpack { detail: String },
    /// Invalid base64.
    InvalidBase64 { detail: String },
    /// The plaintext is not a uri/args/kwargs map.
    InvalidPayload { detail: String },
    /// A value cannot be serialized.
    UnsupportedValue { detail: String },
    /// Input exceeds the size limit.
    PayloadTooLarge { detail: String },
    /// Envelope attributes missing or conflicting.
    InvalidEnvelope { detail: String },
    /// The OS random number generator failed.
    RandomFailed { detail: String },
    /// A malformed WAMP message.
    InvalidMessage { detail: String },
    /// A required argument was missing.
    NullArgument { detail: String },
    /// An internal panic (a bug).
    Panic { detail: String },
    /// An argument is out of range.
    InvalidArgument { detail: String },
    /// A message arrived unencrypted on a URI the keyring has a key for, or in
    /// answer to an encrypted call (strict `decideInbound`).
    UnexpectedPlaintext { detail: String },
    /// This keyring's own ciphertext came back to be opened in the role that sealed
    /// it (the router reflected a CALL as its RESULT, a YIELD as an INVOCATION).
    Reflected { detail: String },
    /// The router's topic/procedure is not covered by the local subscription or registration.
    PatternMismatch { detail: String },
    /// The data key has sealed as many messages as AES-256-GCM safely allows; rotate it.
    KeyExhausted { detail: String },
    /// A GS1 signature does not verify.
    BadSignature { detail: String },
    /// A GS1 signer is not pinned for the URI.
    UntrustedSender { detail: String },
    /// GS1: no such group session (fetch it from the sender).
    UnknownSession { detail: String },
    /// GS1: the message or reply was already opened (replay).
    Replayed { detail: String },
    /// GS1: the message index is too old to open.
    TooOld { detail: String },
    /// GS1: the message index jumps too far ahead.
    IndexJump { detail: String },
    /// GS1: the group session has expired.
    SessionExpired { detail: String },
    /// GS1: the key request's timestamp is outside the allowed clock skew.
    KeyRequestStale { detail: String },
    /// GS1: the key request was refused.
    KeyRefused { detail: String },
    /// GS1: the key response or reply answers nothing pending.
    Unsolicited { detail: String },
    /// GS1: the key share does not match the request.
    ShareMismatch { detail: String },
    /// GS1: a reply arrived out of order (one was dropped).
    OutOfOrder { detail: String },
    /// GS1: unsupported version or suite.
    WrongVersion { detail: String },
    /// GS1: a malformed structure.
    Malformed { detail: String },
    /// GS1: the key id attribute differs from the signed session id.
    KeyIdMismatch { detail: String },
    /// GS1: a message of the wrong kind.
    WrongKind { detail: String },
    /// GS1: a message could not be held while its session's key is fetched (the hold limits are reached).
    HoldOverflow { detail: String },
    /// GS1: the key fetch for a held session failed (a WAMP error that is no GS1 refusal, or no answer in time).
    KeyFetchFailed { detail: String },
}

impl std::fmt::Display for Wampe2eError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.detail())
    }
}

impl std::error::Error for Wampe2eError {}

impl Wampe2eError {
    /// The core's code of this error (the stable number), e.g. to end a held
    /// key fetch with it.
    pub(crate) fn code(&self) -> ErrorCode {
        use Wampe2eError::*;
        match self {
            InvalidKey { .. } => ErrorCode::InvalidKey,
            KeyNotFound { .. } => ErrorCode::KeyNotFound,
            KeyIncomplete { .. } => ErrorCode::KeyIncomplete,
            WrongKeyKind { .. } => ErrorCode::WrongKeyKind,
            DecryptionFailed { .. } => ErrorCode::DecryptionFailed,
            TruncatedCiphertext { .. } => ErrorCode::TruncatedCiphertext,
            UriMismatch { .. } => ErrorCode::UriMismatch,
            MissingUri { .. } => ErrorCode::MissingUri,
            UnknownScheme { .. } => ErrorCode::UnknownScheme,
            UnknownCipher { .. } => ErrorCode::UnknownCipher,
            UnknownSerializer { .. } => ErrorCode::UnknownSerializer,
            InvalidUtf8 { .. } => ErrorCode::InvalidUtf8,
            InvalidJson { .. } => ErrorCode::InvalidJson,
            InvalidCbor { .. } => ErrorCode::InvalidCbor,
            InvalidMsgpack { .. } => ErrorCode::InvalidMsgpack,
            InvalidBase64 { .. } => ErrorCode::InvalidBase64,
            InvalidPayload { .. } => ErrorCode::InvalidPayload,
            UnsupportedValue { .. } => ErrorCode::UnsupportedValue,
            PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            InvalidEnvelope { .. } => ErrorCode::InvalidEnvelope,
            RandomFailed { .. } => ErrorCode::RandomFailed,
            InvalidMessage { .. } => ErrorCode::InvalidMessage,
            NullArgument { .. } => ErrorCode::NullArgument,
            Panic { .. } => ErrorCode::Panic,
            InvalidArgument { .. } => ErrorCode::InvalidArgument,
            UnexpectedPlaintext { .. } => ErrorCode::UnexpectedPlaintext,
            Reflected { .. } => ErrorCode::Reflected,
            PatternMismatch { .. } => ErrorCode::PatternMismatch,
            KeyExhausted { .. } => ErrorCode::KeyExhausted,
            BadSignature { .. } => ErrorCode::BadSignature,
            UntrustedSender { .. } => ErrorCode::UntrustedSender,
            UnknownSession { .. } => ErrorCode::UnknownSession,
            Replayed { .. } => ErrorCode::Replayed,
            TooOld { .. } => ErrorCode::TooOld,
            IndexJump { .. } => ErrorCode::IndexJump,
            SessionExpired { .. } => ErrorCode::SessionExpired,
            KeyRequestStale { .. } => ErrorCode::KeyRequestStale,
            KeyRefused { .. } => ErrorCode::KeyRefused,
            Unsolicited { .. } => ErrorCode::Unsolicited,
            ShareMismatch { .. } => ErrorCode::ShareMismatch,
            OutOfOrder { .. } => ErrorCode::OutOfOrder,
            WrongVersion { .. } => ErrorCode::WrongVersion,
            Malformed { .. } => ErrorCode::Malformed,
            KeyIdMismatch { .. } => ErrorCode::KeyIdMismatch,
            WrongKind { .. } => ErrorCode::WrongKind,
            HoldOverflow { .. } => ErrorCode::HoldOverflow,
            KeyFetchFailed { .. } => ErrorCode::KeyFetchFailed,
        }
    }

    /// The detail message.
    fn detail(&self) -> &str {
        use Wampe2eError::*;
        match self {
            InvalidKey { detail }
            | KeyNotFound { detail }
            | KeyIncomplete { detail }
            | WrongKeyKind { detail }
            | DecryptionFailed { detail }
            | TruncatedCiphertext { detail }
            | UriMismatch { detail }
            | MissingUri { detail }
            | UnknownScheme { detail }
            | UnknownCipher { detail }
            | UnknownSerializer { detail }
            | InvalidUtf8 { detail }
            | InvalidJson { detail }
            | InvalidCbor { detail }
            | InvalidMsgpack { detail }
            | InvalidBase64 { detail }
            | InvalidPayload { detail }
            | UnsupportedValue { detail }
            | PayloadTooLarge { detail }
            | InvalidEnvelope { detail }
            | RandomFailed { detail }
            | InvalidMessage { detail }
            | NullArgument { detail }
            | Panic { detail }
            | InvalidArgument { detail }
            | UnexpectedPlaintext { detail }
            | Reflected { detail }
            | PatternMismatch { detail }
            | KeyExhausted { detail }
            | BadSignature { detail }
            | UntrustedSender { detail }
            | UnknownSession { detail }
            | Replayed { detail }
            | TooOld { detail }
            | IndexJump { detail }
            | SessionExpired { detail }
            | KeyRequestStale { detail }
            | KeyRefused { detail }
            | Unsolicited { detail }
            | ShareMismatch { detail }
            | OutOfOrder { detail }
            | WrongVersion { detail }
            | Malformed { detail }
            | KeyIdMismatch { detail }
            | WrongKind { detail }
            | HoldOverflow { detail }
            | KeyFetchFailed { detail } => detail,
        }
    }
}

impl From<Error> for Wampe2eError {
    fn from(e: Error) -> Self {
        let detail = e.message().to_owned();
        match e.code() {
            ErrorCode::InvalidKey => Wampe2eError::InvalidKey { detail },
            ErrorCode::KeyNotFound => Wampe2eError::KeyNotFound { detail },
            ErrorCode::KeyIncomplete => Wampe2eError::KeyIncomplete { detail },
            ErrorCode::WrongKeyKind => Wampe2eError::WrongKeyKind { detail },
            ErrorCode::DecryptionFailed => Wampe2eError::DecryptionFailed { detail },
            ErrorCode::TruncatedCiphertext => Wampe2eError::TruncatedCiphertext { detail },
            ErrorCode::UriMismatch => Wampe2eError::UriMismatch { detail },
            ErrorCode::MissingUri => Wampe2eError::MissingUri { detail },
            ErrorCode::UnknownScheme => Wampe2eError::UnknownScheme { detail },
            ErrorCode::UnknownCipher => Wampe2eError::UnknownCipher { detail },
            ErrorCode::UnknownSerializer => Wampe2eError::UnknownSerializer { detail },
            ErrorCode::InvalidUtf8 => Wampe2eError::InvalidUtf8 { detail },
            ErrorCode::InvalidJson => Wampe2eError::InvalidJson { detail },
            ErrorCode::InvalidCbor => Wampe2eError::InvalidCbor { detail },
            ErrorCode::InvalidMsgpack => Wampe2eError::InvalidMsgpack { detail },
            ErrorCode::InvalidBase64 => Wampe2eError::InvalidBase64 { detail },
            ErrorCode::InvalidPayload => Wampe2eError::InvalidPayload { detail },
            ErrorCode::UnsupportedValue => Wampe2eError::UnsupportedValue { detail },
            ErrorCode::PayloadTooLarge => Wampe2eError::PayloadTooLarge { detail },
            ErrorCode::InvalidEnvelope => Wampe2eError::InvalidEnvelope { detail },
            ErrorCode::RandomFailed => Wampe2eError::RandomFailed { detail },
            ErrorCode::InvalidMessage => Wampe2eError::InvalidMessage { detail },
            ErrorCode::NullArgument => Wampe2eError::NullArgument { detail },
            ErrorCode::Panic => Wampe2eError::Panic { detail },
            ErrorCode::InvalidArgument => Wampe2eError::InvalidArgument { detail },
            ErrorCode::UnexpectedPlaintext => Wampe2eError::UnexpectedPlaintext { detail },
            ErrorCode::Reflected => Wampe2eError::Reflected { detail },
            ErrorCode::PatternMismatch => Wampe2eError::PatternMismatch { detail },
            ErrorCode::KeyExhausted => Wampe2eError::KeyExhausted { detail },
            ErrorCode::BadSignature => Wampe2eError::BadSignature { detail },
            ErrorCode::UntrustedSender => Wampe2eError::UntrustedSender { detail },
            ErrorCode::UnknownSession => Wampe2eError::UnknownSession { detail },
            ErrorCode::Replayed => Wampe2eError::Replayed { detail },
            ErrorCode::TooOld => Wampe2eError::TooOld { detail },
            ErrorCode::IndexJump => Wampe2eError::IndexJump { detail },
            ErrorCode::SessionExpired => Wampe2eError::SessionExpired { detail },
            ErrorCode::KeyRequestStale => Wampe2eError::KeyRequestStale { detail },
            ErrorCode::KeyRefused => Wampe2eError::KeyRefused { detail },
            ErrorCode::Unsolicited => Wampe2eError::Unsolicited { detail },
            ErrorCode::ShareMismatch => Wampe2eError::ShareMismatch { detail },
            ErrorCode::OutOfOrder => Wampe2eError::OutOfOrder { detail },
            ErrorCode::WrongVersion => Wampe2eError::WrongVersion { detail },
            ErrorCode::Malformed => Wampe2eError::Malformed { detail },
            ErrorCode::KeyIdMismatch => Wampe2eError::KeyIdMismatch { detail },
            ErrorCode::WrongKind => Wampe2eError::WrongKind { detail },
            ErrorCode::HoldOverflow => Wampe2eError::HoldOverflow { detail },
            ErrorCode::KeyFetchFailed => Wampe2eError::KeyFetchFailed { detail },
        }
    }
}

type Result<T> = std::result::Result<T, Wampe2eError>;

/// Which side of a WAMP interaction the caller is.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum Role {
    /// Caller or publisher.
    Originator,
    /// Callee or subscriber.
    Responder,
}

impl From<Role> for wampe2e::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Originator => wampe2e::Role::Originator,
            Role::Responder => wampe2e::Role::Responder,
        }
    }
}

/// The plaintext serializer of the Payload Passthru Mode.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum Serializer {
    /// CBOR.
    Cbor,
    /// MessagePack.
    Msgpack,
    /// WAMP-JSON.
    Json,
}

/// The cipher of the Payload Passthru Mode.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum Cipher {
    /// XSalsa20-Poly1305 (key pair or data key).
    Xsalsa20poly1305,
    /// AES-256-GCM (data key).
    Aes256gcm,
}

/// The wire dialect.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum Dialect {
    /// Autobahn|Python / Crossbar.io `enc_*` cryptobox.
    Cryptobox,
    /// WAMP spec Payload Passthru Mode `ppt_*`, with its serializer and cipher.
    #[allow(missing_docs)]
    Passthru {
        serializer: Serializer,
        cipher: Cipher,
    },
}

impl From<Dialect> for wampe2e::Dialect {
    fn from(d: Dialect) -> Self {
        match d {
            Dialect::Cryptobox => wampe2e::Dialect::Cryptobox,
            Dialect::Passthru { serializer, cipher } => wampe2e::Dialect::Passthru {
                serializer: match serializer {
                    Serializer::Cbor => wampe2e::Serializer::Cbor,
                    Serializer::Msgpack => wampe2e::Serializer::Msgpack,
                    Serializer::Json => wampe2e::Serializer::Json,
                },
                cipher: match cipher {
                    Cipher::Xsalsa20poly1305 => wampe2e::Cipher::XSalsa20Poly1305,
                    Cipher::Aes256gcm => wampe2e::Cipher::Aes256Gcm,
                },
            },
        }
    }
}

/// A sealed payload: attributes for Options/Details, and the bytes for Arguments
/// (`[payload]` when `payload_in_list`, the bare value otherwise).
#[derive(uniffi::Record)]
pub struct Envelope {
    /// `enc_*` or `ppt_*` attributes.
    pub attributes: HashMap<String, String>,
    /// The sealed bytes.
    pub payload: Vec<u8>,
    /// True for ppt (Arguments = [payload]), false for cryptobox (bare).
    pub payload_in_list: bool,
}

impl From<CoreEnvelope> for Envelope {
    fn from(e: CoreEnvelope) -> Self {
        Envelope {
            attributes: e
                .attributes()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            payload_in_list: e.dialect.payload_in_list(),
            payload: e.payload,
        }
    }
}

fn envelope(attributes: &HashMap<String, String>, payload: Vec<u8>) -> Result<CoreEnvelope> {
    Ok(CoreEnvelope::from_attributes(
        |k| attributes.get(k).map(String::as_str),
        payload,
    )?)
}

/// An opened payload as WAMP-JSON text (`null` where absent).
#[derive(uniffi::Record)]
pub struct OpenedJson {
    /// The URI it was sealed for (absent only where the entry allows it).
    pub uri: Option<String>,
    /// Positional arguments, a JSON array or `null`.
    pub args_json: String,
    /// Keyword arguments, a JSON object or `null`.
    pub kwargs_json: String,
}

/// A typed payload value (each case's field is the value it holds).
#[allow(missing_docs)]
#[derive(uniffi::Enum, Clone, Debug, PartialEq)]
pub enum PayloadValue {
    /// null / nil.
    Null,
    /// A boolean.
    Bool { value: bool },
    /// A signed integer.
    Int { value: i64 },
    /// An unsigned integer above `Int`'s range.
    UInt { value: u64 },
    /// A double.
    Float { value: f64 },
    /// Text.
    Text { value: String },
    /// Binary.
    Bytes { value: Vec<u8> },
    /// A list (`Seq`: `List` would shadow Kotlin's `List`).
    Seq { items: Vec<PayloadValue> },
    /// A map with string keys, in order.
    Dict { entries: Vec<MapEntry> },
}

/// One entry of a `PayloadValue.Dict`.
#[derive(uniffi::Record, Clone, Debug, PartialEq)]
pub struct MapEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: PayloadValue,
}

fn to_core(v: PayloadValue) -> Value {
    match v {
        PayloadValue::Null => Value::Null,
        PayloadValue::Bool { value } => Value::Bool(value),
        PayloadValue::Int { value } => Value::Int(value),
        PayloadValue::UInt { value } => Value::from_u64(value),
        PayloadValue::Float { value } => Value::Float(value),
        PayloadValue::Text { value } => Value::String(value),
        PayloadValue::Bytes { value } => Value::Bytes(value),
        PayloadValue::Seq { items } => Value::List(items.into_iter().map(to_core).collect()),
        PayloadValue::Dict { entries } => Value::Map(entries_to_core(entries)),
    }
}

fn entries_to_core(entries: Vec<MapEntry>) -> wampe2e::Map {
    entries
        .into_iter()
        .map(|e| (e.key, to_core(e.value)))
        .collect()
}

fn from_core(v: Value) -> PayloadValue {
    match v {
        Value::Null => PayloadValue::Null,
        Value::Bool(value) => PayloadValue::Bool { value },
        Value::Int(value) => PayloadValue::Int { value },
        Value::UInt(value) => PayloadValue::UInt { value },
        Value::Float(value) => PayloadValue::Float { value },
        Value::String(value) => PayloadValue::Text { value },
        Value::Bytes(value) => PayloadValue::Bytes { value },
        Value::List(items) => PayloadValue::Seq {
            items: items.into_iter().map(from_core).collect(),
        },
        Value::Map(m) => PayloadValue::Dict {
            entries: entries_from_core(m),
        },
    }
}

fn entries_from_core(m: wampe2e::Map) -> Vec<MapEntry> {
    m.into_iter()
        .map(|(key, v)| MapEntry {
            key,
            value: from_core(v),
        })
        .collect()
}

/// An opened payload as typed values.
#[derive(uniffi::Record)]
pub struct OpenedValues {
    /// The URI it was sealed for.
    pub uri: Option<String>,
    /// Positional arguments.
    pub args: Option<Vec<PayloadValue>>,
    /// Keyword arguments.
    pub kwargs: Option<Vec<MapEntry>>,
}

/// New public keys after `rotate` (base64; absent for parts this peer does not own).
#[derive(uniffi::Record)]
pub struct RotatedKeys {
    /// The new originator public key.
    pub originator_pub: Option<String>,
    /// The new responder public key.
    pub responder_pub: Option<String>,
}

/// A key pair in base64.
#[derive(uniffi::Record)]
pub struct KeyPairStrings {
    /// The secret key.
    pub secret: String,
    /// The public key.
    pub public: String,
}

/// A thread-safe keyring: URI prefixes (longest character prefix wins, "" is the
/// default) and key ids mapped to key entries.
#[derive(uniffi::Object)]
pub struct KeyRing(CoreKeyRing);

#[uniffi::export]
impl KeyRing {
    /// An empty keyring.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(KeyRing(CoreKeyRing::new()))
    }

    /// Sets the key-pair entry for URIs starting with `prefix` ("" = default); keys are
    /// base64 or hex, null for the ones this peer does not have.
    pub fn set_box_key(
        &self,
        prefix: String,
        originator_priv: Option<String>,
        originator_pub: Option<String>,
        responder_priv: Option<String>,
        responder_pub: Option<String>,
        allow_missing_uri: bool,
    ) -> Result<()> {
        let key = BoxKey::from_inputs_named(
            KeyNames::CAMEL,
            originator_priv.as_deref().map(KeyInput::Text),
            originator_pub.as_deref().map(KeyInput::Text),
            responder_priv.as_deref().map(KeyInput::Text),
            responder_pub.as_deref().map(KeyInput::Text),
        )?;
        let mut entry: KeyEntry = key.into();
        entry.allow_missing_uri = allow_missing_uri;
        self.0.set(&prefix, entry);
        Ok(())
    }

    /// Sets an entry whose one secret serves both roles (Autobahn's `KeyRing("<key>")`).
    pub fn set_shared_key(&self, prefix: String, secret: String) -> Result<()> {
        let secret = SecretKey::from_encoded("secret", &secret)?;
        self.0.set(&prefix, BoxKey::from_shared_secret(secret)?);
        Ok(())
    }

    /// Adds a symmetric data key known by `key_id`; with a prefix also that prefix's entry.
    pub fn set_data_key(&self, key_id: String, key: String, prefix: Option<String>) -> Result<()> {
        let entry = SymmetricKey::new(&key_id, DataKey::from_encoded("key", &key)?)?;
        match prefix {
            Some(p) => self.0.set(&p, entry),
            None => self.0.add_symmetric_key(entry),
        }
        Ok(())
    }

    /// Removes the entry for exactly `prefix` (its keys no longer seal or open
    /// anything); returns whether there was one.
    pub fn remove(&self, prefix: String) -> bool {
        self.0.remove(&prefix)
    }

    /// Removes a data key added by `setDataKey` without a prefix (found only by its
    /// key id); returns whether there was one.
    pub fn remove_key_id(&self, key_id: String) -> bool {
        self.0.remove_key_id(&key_id)
    }

    /// Whether a message on `uri` must arrive encrypted: an entry (or the default)
    /// covers it. Data keys found only by key id do not count.
    pub fn expects_sealed(&self, uri: String) -> bool {
        self.0.expects_sealed(&uri)
    }

    /// Replaces this peer's secrets for `prefix` with fresh ones; returns the new public keys.
    pub fn rotate(&self, prefix: String) -> Result<RotatedKeys> {
        let r = self.0.rotate(&prefix)?;
        Ok(RotatedKeys {
            originator_pub: r.originator_public.map(|p| p.to_base64()),
            responder_pub: r.responder_public.map(|p| p.to_base64()),
        })
    }
}

/// The kind of WAMP message that arrived.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum MessageKind {
    /// EVENT, on a subscription: opened as the responder.
    Event,
    /// INVOCATION, on a registration: opened as the responder.
    Invocation,
    /// RESULT of our CALL: opened as the originator.
    Result,
    /// ERROR answering our CALL: opened as the originator.
    Error,
}

impl From<MessageKind> for wampe2e::MessageKind {
    fn from(k: MessageKind) -> Self {
        match k {
            MessageKind::Event => wampe2e::MessageKind::Event,
            MessageKind::Invocation => wampe2e::MessageKind::Invocation,
            MessageKind::Result => wampe2e::MessageKind::Result,
            MessageKind::Error => wampe2e::MessageKind::Error,
        }
    }
}

/// A subscription's or registration's match policy, as WAMP names it.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum MatchPolicy {
    /// `exact` (WAMP's default; also for RESULT and ERROR).
    Exact,
    /// `prefix`: URIs starting with the pattern.
    Prefix,
    /// `wildcard`: as many dot-separated components as the pattern; an empty
    /// component matches any one.
    Wildcard,
}

impl From<MatchPolicy> for wampe2e::MatchPolicy {
    fn from(p: MatchPolicy) -> Self {
        match p {
            MatchPolicy::Exact => wampe2e::MatchPolicy::Exact,
            MatchPolicy::Prefix => wampe2e::MatchPolicy::Prefix,
            MatchPolicy::Wildcard => wampe2e::MatchPolicy::Wildcard,
        }
    }
}

/// What to do with a message `decideInbound` accepted.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Open the payload (`openPayload`) for exactly `uri`, as the responder for
    /// EVENT/INVOCATION and as the originator for RESULT/ERROR.
    Open {
        /// The URI the payload must have been sealed for.
        uri: String,
    },
    /// Deliver the plaintext message as it is, on `uri`.
    Plain {
        /// The URI the message is for.
        uri: String,
    },
}

/// The inbound decision, for every EVENT, INVOCATION, RESULT and ERROR before the
/// application sees it. `local_uri`: the subscription's topic (EVENT), the
/// registration's procedure (INVOCATION), the procedure called (RESULT), the error
/// URI (ERROR). `match_policy`: the subscription's/registration's match (`Exact` for
/// RESULT/ERROR). `router_uri`: `Details.topic`/`procedure` if sent. `sealed`: the
/// message carries `enc_algo`/`ppt_scheme`. `request_sealed`: for RESULT/ERROR,
/// whether our CALL was encrypted. `strict` (default true; false only while
/// migrating peers): plaintext on a keyed URI, or answering an encrypted call, is
/// refused.
///
/// On `Open`, open with the returned URI in the kind's role. On any error (here or
/// when opening): drop an EVENT, answer an INVOCATION with an ERROR (never a
/// plaintext YIELD), fail the call for a RESULT/ERROR.
///
/// Errors: `PatternMismatch`, `UnexpectedPlaintext`.
#[allow(clippy::too_many_arguments)]
#[uniffi::export(default(strict = true))]
pub fn decide_inbound(
    keyring: Arc<KeyRing>,
    kind: MessageKind,
    local_uri: String,
    match_policy: MatchPolicy,
    router_uri: Option<String>,
    sealed: bool,
    request_sealed: bool,
    strict: bool,
) -> Result<Delivery> {
    let arrival = wampe2e::Arrival {
        kind: kind.into(),
        local_uri: &local_uri,
        policy: match_policy.into(),
        router_uri: router_uri.as_deref(),
        sealed,
        request_sealed,
    };
    Ok(match wampe2e::decide(&keyring.0, &arrival, strict)? {
        wampe2e::Delivery::Open { uri } => Delivery::Open { uri },
        wampe2e::Delivery::Plain { uri } => Delivery::Plain { uri },
    })
}

fn to_json(v: Value) -> Result<String> {
    Ok(wampe2e::plaintext::serializer::to_json_string(&v)?)
}

/// Seals args/kwargs given as WAMP-JSON text (null for none) for a message on `uri`.
#[uniffi::export]
pub fn seal_payload(
    keyring: Arc<KeyRing>,
    role: Role,
    uri: String,
    args_json: Option<String>,
    kwargs_json: Option<String>,
    dialect: Dialect,
) -> Result<Envelope> {
    let args = wampe2e::args_from_json("args_json", args_json.as_deref())?;
    let kwargs = wampe2e::kwargs_from_json("kwargs_json", kwargs_json.as_deref())?;
    let env = wampe2e::seal_payload(
        &keyring.0,
        role.into(),
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect.into(),
    )?;
    Ok(env.into())
}

/// Opens a received envelope (attributes from Options/Details, payload bytes) on `uri`.
#[uniffi::export]
pub fn open_payload(
    keyring: Arc<KeyRing>,
    role: Role,
    uri: String,
    attributes: HashMap<String, String>,
    payload: Vec<u8>,
) -> Result<OpenedJson> {
    let p = wampe2e::open_payload(
        &keyring.0,
        role.into(),
        &uri,
        &envelope(&attributes, payload)?,
    )?;
    Ok(OpenedJson {
        uri: p.uri,
        args_json: to_json(p.args.map_or(Value::Null, Value::List))?,
        kwargs_json: to_json(p.kwargs.map_or(Value::Null, Value::Map))?,
    })
}

/// Seals typed args/kwargs for a message on `uri`.
#[uniffi::export]
pub fn seal_payload_values(
    keyring: Arc<KeyRing>,
    role: Role,
    uri: String,
    args: Option<Vec<PayloadValue>>,
    kwargs: Option<Vec<MapEntry>>,
    dialect: Dialect,
) -> Result<Envelope> {
    let args: Option<Vec<Value>> = args.map(|a| a.into_iter().map(to_core).collect());
    let kwargs = kwargs.map(entries_to_core);
    let env = wampe2e::seal_payload(
        &keyring.0,
        role.into(),
        &uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect.into(),
    )?;
    Ok(env.into())
}

/// Opens a received envelope into typed values.
#[uniffi::export]
pub fn open_payload_values(
    keyring: Arc<KeyRing>,
    role: Role,
    uri: String,
    attributes: HashMap<String, String>,
    payload: Vec<u8>,
) -> Result<OpenedValues> {
    let p = wampe2e::open_payload(
        &keyring.0,
        role.into(),
        &uri,
        &envelope(&attributes, payload)?,
    )?;
    Ok(OpenedValues {
        uri: p.uri,
        args: p.args.map(|l| l.into_iter().map(from_core).collect()),
        kwargs: p.kwargs.map(entries_from_core),
    })
}

/// A fresh X25519 key pair (base64).
#[uniffi::export]
pub fn generate_keypair() -> Result<KeyPairStrings> {
    let p = KeyPair::generate()?;
    Ok(KeyPairStrings {
        secret: p.secret.to_base64().to_string(),
        public: p.public.to_base64(),
    })
}

/// A fresh 32-byte symmetric data key (base64).
#[uniffi::export]
pub fn generate_data_key() -> Result<String> {
    Ok(DataKey::generate()?.to_base64().to_string())
}

/// The X25519 key pair (base64) of an Ed25519 (WAMP-cryptosign) seed, base64 or hex.
#[uniffi::export]
pub fn ed25519_to_x25519(seed: String) -> Result<KeyPairStrings> {
    let p = KeyPair::from_ed25519_seed_encoded("seed", &seed)?;
    Ok(KeyPairStrings {
        secret: p.secret.to_base64().to_string(),
        public: p.public.to_base64(),
    })
}

/// The WAMP spec key id of a public key (base64 or hex).
#[uniffi::export]
pub fn key_id(public_key: String) -> Result<String> {
    Ok(PublicKey::from_encoded("publicKey", &public_key)?.key_id())
}

/// The library version.
#[uniffi::export]
pub fn version() -> String {
    wampe2e::VERSION.to_owned()
}
