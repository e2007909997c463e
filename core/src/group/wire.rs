//! The byte layouts of GS1 (§§4, 8, 10, 11): every structure's encoder and its
//! parser. Each parser is total: any input gives a value or a stable error
//! (`Malformed`, `WrongVersion`, `WrongKind`), lengths are checked before any
//! field is read, and nothing indexes out of bounds.

use crate::error::{err, ErrorCode, Result};
use crate::group::chain::ChainKey;
use crate::group::identity::IdentityKey;
use zeroize::Zeroizing;

/// `hex(session_id)`: a session id as `enc_key`/`ppt_keyid` carry it (§12.1) and as
/// the bindings show it.
pub fn session_id_hex(session_id: &[u8; 16]) -> String {
    hex::encode(session_id)
}

/// A session id from its 32 hex digits (either case), for bindings that take it as
/// text; `what` names the argument. Errors: `InvalidArgument`.
pub fn session_id_from_hex(what: &str, text: &str) -> Result<[u8; 16]> {
    let mut id = [0u8; 16];
    match hex::decode_to_slice(text, &mut id) {
        Ok(()) => Ok(id),
        Err(_) => err(
            ErrorCode::InvalidArgument,
            format!(
                "{what}: expected 32 hex digits (got {} characters)",
                text.chars().count()
            ),
        ),
    }
}

/// The version byte of every GS1 structure.
pub const VERSION: u8 = 0x01;
/// The suite byte: Ed25519, X25519, HMAC-SHA256/HKDF-SHA256, XSalsa20-Poly1305,
/// BLAKE2b sealed boxes.
pub const SUITE: u8 = 0x01;

/// Type byte of a key request (§11.1).
pub const TYPE_KEY_REQUEST: u8 = 0x10;
/// Type byte of a key response (§11.2).
pub const TYPE_KEY_RESPONSE: u8 = 0x11;
/// Type byte of a key share (§11.3).
pub const TYPE_SHARE: u8 = 0x12;

/// Header length of an event.
pub const EVENT_HEADER_LEN: usize = 87;
/// Header length of a call (the event header plus the caller's reply key).
pub const CALL_HEADER_LEN: usize = 119;
/// Header length of a reply (result, progress, error).
pub const REPLY_HEADER_LEN: usize = 127;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of the Poly1305 tag that starts every ciphertext.
pub const TAG_LEN: usize = 16;
/// Shortest reply envelope: header, tag, signature.
pub const REPLY_MIN_LEN: usize = REPLY_HEADER_LEN + TAG_LEN + SIGNATURE_LEN;
/// Length of a key request without its prefix.
pub const KEY_REQUEST_BASE_LEN: usize = 195;
/// Length of a key share without its prefix.
pub const SHARE_BASE_LEN: usize = 139;
/// Shortest key response (a share with an empty prefix).
pub const KEY_RESPONSE_MIN_LEN: usize = 318;
/// Overhead of a sealed box: ephemeral public key and tag.
pub const SEALED_BOX_OVERHEAD: usize = 48;

/// The kind of a session message or reply: the GS1 type byte (§4) of the
/// structures that carry application payloads.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// PUBLISH → EVENT (a session message).
    Event = 0x01,
    /// CALL → INVOCATION (a session message with the caller's reply key).
    Call = 0x02,
    /// YIELD → RESULT, final (a reply).
    Result = 0x03,
    /// YIELD → RESULT with `progress: true` (a reply).
    Progress = 0x04,
    /// ERROR answering a CALL (a reply).
    Error = 0x05,
}

impl Kind {
    /// Every kind, by type byte.
    pub const ALL: [Kind; 5] = [
        Kind::Event,
        Kind::Call,
        Kind::Result,
        Kind::Progress,
        Kind::Error,
    ];

    /// The type byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The kind of a type byte (1–5), if it is one.
    pub fn from_u8(b: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_u8() == b)
    }

    /// Whether this kind is a session message (event or call), sealed under a session.
    pub fn is_session_message(self) -> bool {
        matches!(self, Kind::Event | Kind::Call)
    }

    /// Whether this kind ends a call (result or error).
    pub fn is_final(self) -> bool {
        matches!(self, Kind::Result | Kind::Error)
    }

    /// The header length of a session message of this kind (87 or 119).
    pub(crate) fn session_header_len(self) -> usize {
        if self == Kind::Call {
            CALL_HEADER_LEN
        } else {
            EVENT_HEADER_LEN
        }
    }

    /// The lowercase name: `"event"`, `"call"`, `"result"`, `"progress"`, `"error"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Call => "call",
            Kind::Result => "result",
            Kind::Progress => "progress",
            Kind::Error => "error",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = crate::Error;

    /// The kind named by [`Kind::name`] (`InvalidArgument` otherwise).
    fn from_str(s: &str) -> Result<Kind> {
        [
            Kind::Event,
            Kind::Call,
            Kind::Result,
            Kind::Progress,
            Kind::Error,
        ]
        .into_iter()
        .find(|k| k.name() == s)
        .ok_or_else(|| {
            crate::Error::new(
                ErrorCode::InvalidArgument,
                format!("GS1 kind {s:?}: expected event, call, result, progress or error"),
            )
        })
    }
}

fn type_name(t: u8) -> &'static str {
    match (Kind::from_u8(t), t) {
        (Some(k), _) => k.name(),
        (None, TYPE_KEY_REQUEST) => "key request",
        (None, TYPE_KEY_RESPONSE) => "key response",
        (None, TYPE_SHARE) => "key share",
        _ => "unknown",
    }
}

/// The checks every parser starts with (§4), in order: length ≥ 3 (`Malformed`),
/// version and suite (`WrongVersion`), a known type (`Malformed`), the expected
/// type (`WrongKind`).
pub fn check_head(bytes: &[u8], expected: u8) -> Result<()> {
    let (Some(&version), Some(&suite), Some(&t)) = (bytes.first(), bytes.get(1), bytes.get(2))
    else {
        return err(
            ErrorCode::Malformed,
            format!(
                "GS1 structure of {} bytes, expected at least 3",
                bytes.len()
            ),
        );
    };
    if version != VERSION || suite != SUITE {
        return err(
            ErrorCode::WrongVersion,
            format!("GS1 version {version:#04x} suite {suite:#04x}, expected 0x01 0x01"),
        );
    }
    if Kind::from_u8(t).is_none() && !matches!(t, TYPE_KEY_REQUEST..=TYPE_SHARE) {
        return err(ErrorCode::Malformed, format!("unknown GS1 type {t:#04x}"));
    }
    if t != expected {
        return err(
            ErrorCode::WrongKind,
            format!(
                "a GS1 {} ({t:#04x}) where a {} ({expected:#04x}) is expected",
                type_name(t),
                type_name(expected)
            ),
        );
    }
    Ok(())
}

/// `N` bytes at `at`, or `Malformed` (never reached after the length checks).
fn arr<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N]> {
    bytes
        .get(at..at.saturating_add(N))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| {
            crate::Error::new(
                ErrorCode::Malformed,
                format!("GS1 structure too short for {N} bytes at offset {at}"),
            )
        })
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    Ok(u32::from_be_bytes(arr(bytes, at)?))
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64> {
    Ok(u64::from_be_bytes(arr(bytes, at)?))
}

fn slice(bytes: &[u8], from: usize, to: usize) -> Result<&[u8]> {
    bytes.get(from..to).ok_or_else(|| {
        crate::Error::new(
            ErrorCode::Malformed,
            format!("GS1 structure too short for bytes {from}..{to}"),
        )
    })
}

/// A length as the `u32` the wire carries, or `InvalidArgument` beyond 2^32 − 1.
pub(crate) fn len_u32(what: &str, len: usize) -> Result<u32> {
    u32::try_from(len).or_else(|_| {
        err(
            ErrorCode::InvalidArgument,
            format!("{what}: {len} bytes, more than 2^32 - 1"),
        )
    })
}

/// The clear header of an event or call (§8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHeader {
    /// Event or call.
    pub kind: Kind,
    /// The sender's identity.
    pub sender: IdentityKey,
    /// The session id, never all zero.
    pub session_id: [u8; 16],
    /// The message index.
    pub index: u32,
    /// The sender's clock at sealing.
    pub timestamp_ms: u64,
    /// The XSalsa20-Poly1305 nonce.
    pub nonce: [u8; 24],
    /// A call's reply key (`X25519Base(reply_secret)`); `None` for an event.
    pub reply_public: Option<[u8; 32]>,
}

impl SessionHeader {
    /// The header bytes (87 for an event, 119 for a call). A call without a reply
    /// key gets 32 zero bytes, which no honest caller sends.
    pub fn encode(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(CALL_HEADER_LEN);
        h.extend_from_slice(&[VERSION, SUITE, self.kind.as_u8()]);
        h.extend_from_slice(self.sender.as_bytes());
        h.extend_from_slice(&self.session_id);
        h.extend_from_slice(&self.index.to_be_bytes());
        h.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        h.extend_from_slice(&self.nonce);
        if self.kind == Kind::Call {
            h.extend_from_slice(&self.reply_public.unwrap_or([0; 32]));
        }
        h
    }
}

/// An event or call envelope split into its parts (§8.2).
#[derive(Debug, Clone)]
pub struct SessionEnvelope<'a> {
    /// The parsed header.
    pub header: SessionHeader,
    /// The header's bytes, as signed.
    pub header_bytes: &'a [u8],
    /// Tag and encrypted plaintext.
    pub ciphertext: &'a [u8],
    /// The sender's signature.
    pub signature: [u8; 64],
}

/// Parses an event or call envelope of kind `expected` (§9.2's structure checks).
pub fn parse_session_envelope(bytes: &[u8], expected: Kind) -> Result<SessionEnvelope<'_>> {
    if !expected.is_session_message() {
        return err(
            ErrorCode::InvalidArgument,
            format!("a {} is not a session message", expected.name()),
        );
    }
    check_head(bytes, expected.as_u8())?;
    let h = expected.session_header_len();
    if bytes.len() < h + TAG_LEN + SIGNATURE_LEN {
        return err(
            ErrorCode::Malformed,
            format!(
                "{} envelope of {} bytes, expected at least {}",
                expected.name(),
                bytes.len(),
                h + TAG_LEN + SIGNATURE_LEN
            ),
        );
    }
    let sig_at = bytes.len() - SIGNATURE_LEN;
    let session_id: [u8; 16] = arr(bytes, 35)?;
    if session_id == [0; 16] {
        return err(ErrorCode::Malformed, "session id is all zero");
    }
    let header = SessionHeader {
        kind: expected,
        sender: IdentityKey::from_bytes(&arr(bytes, 3)?),
        session_id,
        index: u32_at(bytes, 51)?,
        timestamp_ms: u64_at(bytes, 55)?,
        nonce: arr(bytes, 63)?,
        reply_public: if expected == Kind::Call {
            Some(arr(bytes, 87)?)
        } else {
            None
        },
    };
    Ok(SessionEnvelope {
        header,
        header_bytes: slice(bytes, 0, h)?,
        ciphertext: slice(bytes, h, sig_at)?,
        signature: arr(bytes, sig_at)?,
    })
}

/// The clear header of a reply (§10.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyHeader {
    /// Result, progress or error.
    pub kind: Kind,
    /// The callee's identity.
    pub callee: IdentityKey,
    /// `SHA256(call envelope)`.
    pub call_hash: [u8; 32],
    /// The reply's sequence number.
    pub seq: u32,
    /// The callee's fresh X25519 key.
    pub ephemeral_public: [u8; 32],
    /// The XSalsa20-Poly1305 nonce.
    pub nonce: [u8; 24],
}

impl ReplyHeader {
    /// The 127 header bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(REPLY_HEADER_LEN);
        h.extend_from_slice(&[VERSION, SUITE, self.kind.as_u8()]);
        h.extend_from_slice(self.callee.as_bytes());
        h.extend_from_slice(&self.call_hash);
        h.extend_from_slice(&self.seq.to_be_bytes());
        h.extend_from_slice(&self.ephemeral_public);
        h.extend_from_slice(&self.nonce);
        h
    }
}

/// A reply envelope split into its parts.
#[derive(Debug, Clone)]
pub struct ReplyEnvelope<'a> {
    /// The parsed header.
    pub header: ReplyHeader,
    /// The header's bytes, as signed.
    pub header_bytes: &'a [u8],
    /// Tag and encrypted plaintext.
    pub ciphertext: &'a [u8],
    /// The callee's signature.
    pub signature: [u8; 64],
}

/// Parses a reply envelope of kind `expected` (§10.5's structure checks).
pub fn parse_reply_envelope(bytes: &[u8], expected: Kind) -> Result<ReplyEnvelope<'_>> {
    if expected.is_session_message() {
        return err(
            ErrorCode::InvalidArgument,
            format!("a {} is not a reply", expected.name()),
        );
    }
    check_head(bytes, expected.as_u8())?;
    if bytes.len() < REPLY_MIN_LEN {
        return err(
            ErrorCode::Malformed,
            format!(
                "reply envelope of {} bytes, expected at least {REPLY_MIN_LEN}",
                bytes.len()
            ),
        );
    }
    let sig_at = bytes.len() - SIGNATURE_LEN;
    Ok(ReplyEnvelope {
        header: ReplyHeader {
            kind: expected,
            callee: IdentityKey::from_bytes(&arr(bytes, 3)?),
            call_hash: arr(bytes, 35)?,
            seq: u32_at(bytes, 67)?,
            ephemeral_public: arr(bytes, 71)?,
            nonce: arr(bytes, 103)?,
        },
        header_bytes: slice(bytes, 0, REPLY_HEADER_LEN)?,
        ciphertext: slice(bytes, REPLY_HEADER_LEN, sig_at)?,
        signature: arr(bytes, sig_at)?,
    })
}

/// The fields of a key request (§11.1), without its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequestFields {
    /// The requesting identity.
    pub requester: IdentityKey,
    /// The sender asked.
    pub target: IdentityKey,
    /// The session wanted; all zero for "your current session for this prefix".
    pub session_id: [u8; 16],
    /// The lowest index the requester wants to open.
    pub from_index: u32,
    /// The requester's fresh X25519 key for this request.
    pub reply_public: [u8; 32],
    /// The requester's clock.
    pub timestamp_ms: u64,
    /// The requester's entry prefix.
    pub prefix: String,
}

impl KeyRequestFields {
    /// The signed body: `request[0..131 + L]`.
    pub fn encode_body(&self) -> Result<Vec<u8>> {
        let l = len_u32("prefix", self.prefix.len())?;
        let mut b = Vec::with_capacity(KEY_REQUEST_BASE_LEN + self.prefix.len());
        b.extend_from_slice(&[VERSION, SUITE, TYPE_KEY_REQUEST]);
        b.extend_from_slice(self.requester.as_bytes());
        b.extend_from_slice(self.target.as_bytes());
        b.extend_from_slice(&self.session_id);
        b.extend_from_slice(&self.from_index.to_be_bytes());
        b.extend_from_slice(&self.reply_public);
        b.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        b.extend_from_slice(&l.to_be_bytes());
        b.extend_from_slice(self.prefix.as_bytes());
        Ok(b)
    }
}

/// A parsed key request: its fields, the signed body and the signature.
#[derive(Debug, Clone)]
pub struct ParsedKeyRequest<'a> {
    /// The fields.
    pub fields: KeyRequestFields,
    /// `request[0..131 + L]`, as signed.
    pub body: &'a [u8],
    /// The requester's signature.
    pub signature: [u8; 64],
}

/// Parses a key request (§11.5's structure checks).
pub fn parse_key_request(bytes: &[u8]) -> Result<ParsedKeyRequest<'_>> {
    check_head(bytes, TYPE_KEY_REQUEST)?;
    if bytes.len() < KEY_REQUEST_BASE_LEN {
        return err(
            ErrorCode::Malformed,
            format!(
                "key request of {} bytes, expected at least {KEY_REQUEST_BASE_LEN}",
                bytes.len()
            ),
        );
    }
    let l = u32_at(bytes, 127)?;
    let body_len = bytes.len() - SIGNATURE_LEN;
    if usize::try_from(l).ok() != Some(bytes.len() - KEY_REQUEST_BASE_LEN) {
        return err(
            ErrorCode::Malformed,
            format!(
                "key request of {} bytes with a prefix length of {l}",
                bytes.len()
            ),
        );
    }
    let prefix = std::str::from_utf8(slice(bytes, 131, body_len)?)
        .or_else(|_| err(ErrorCode::Malformed, "key request prefix is not UTF-8"))?;
    Ok(ParsedKeyRequest {
        fields: KeyRequestFields {
            requester: IdentityKey::from_bytes(&arr(bytes, 3)?),
            target: IdentityKey::from_bytes(&arr(bytes, 35)?),
            session_id: arr(bytes, 67)?,
            from_index: u32_at(bytes, 83)?,
            reply_public: arr(bytes, 87)?,
            timestamp_ms: u64_at(bytes, 119)?,
            prefix: prefix.to_owned(),
        },
        body: slice(bytes, 0, body_len)?,
        signature: arr(bytes, body_len)?,
    })
}

/// A key response split into its parts (§11.2).
#[derive(Debug, Clone)]
pub struct ParsedKeyResponse<'a> {
    /// The answering sender.
    pub sender: IdentityKey,
    /// `SHA256(request)`.
    pub request_hash: [u8; 32],
    /// The sealed box holding the share.
    pub sealed: &'a [u8],
    /// `response[0..67 + S]`, as signed.
    pub body: &'a [u8],
    /// The sender's signature.
    pub signature: [u8; 64],
}

/// Parses a key response (§11.5's structure checks).
pub fn parse_key_response(bytes: &[u8]) -> Result<ParsedKeyResponse<'_>> {
    check_head(bytes, TYPE_KEY_RESPONSE)?;
    if bytes.len() < KEY_RESPONSE_MIN_LEN {
        return err(
            ErrorCode::Malformed,
            format!(
                "key response of {} bytes, expected at least {KEY_RESPONSE_MIN_LEN}",
                bytes.len()
            ),
        );
    }
    let body_len = bytes.len() - SIGNATURE_LEN;
    Ok(ParsedKeyResponse {
        sender: IdentityKey::from_bytes(&arr(bytes, 3)?),
        request_hash: arr(bytes, 35)?,
        sealed: slice(bytes, 67, body_len)?,
        body: slice(bytes, 0, body_len)?,
        signature: arr(bytes, body_len)?,
    })
}

/// A key share (§11.3): a session from an index on, for one requester. The chain
/// key is zeroized on drop and never shown by `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// The sender whose session this is.
    pub sender: IdentityKey,
    /// The requester it is meant for.
    pub requester: IdentityKey,
    /// The session id, never all zero.
    pub session_id: [u8; 16],
    /// The first index the share opens.
    pub index: u32,
    /// `CK_index`.
    pub chain_key: ChainKey,
    /// The sender's clock when it made the session.
    pub created_ms: u64,
    /// `created_ms + max_age_ms`.
    pub not_after_ms: u64,
    /// The session's entry prefix.
    pub prefix: String,
}

impl Share {
    /// The share's bytes, in a buffer zeroized on drop (it holds the chain key).
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let l = len_u32("prefix", self.prefix.len())?;
        let mut b = Zeroizing::new(Vec::with_capacity(SHARE_BASE_LEN + self.prefix.len()));
        b.extend_from_slice(&[VERSION, SUITE, TYPE_SHARE]);
        b.extend_from_slice(self.sender.as_bytes());
        b.extend_from_slice(self.requester.as_bytes());
        b.extend_from_slice(&self.session_id);
        b.extend_from_slice(&self.index.to_be_bytes());
        b.extend_from_slice(self.chain_key.as_bytes());
        b.extend_from_slice(&self.created_ms.to_be_bytes());
        b.extend_from_slice(&self.not_after_ms.to_be_bytes());
        b.extend_from_slice(&l.to_be_bytes());
        b.extend_from_slice(self.prefix.as_bytes());
        Ok(b)
    }

    /// Parses a share (§11.3): the §4 checks, then the length, the prefix's
    /// UTF-8, a non-zero session id and `created_ms ≤ not_after_ms` (`Malformed`).
    pub fn parse(bytes: &[u8]) -> Result<Share> {
        check_head(bytes, TYPE_SHARE)?;
        if bytes.len() < SHARE_BASE_LEN {
            return err(
                ErrorCode::Malformed,
                format!(
                    "key share of {} bytes, expected at least {SHARE_BASE_LEN}",
                    bytes.len()
                ),
            );
        }
        let l = u32_at(bytes, 135)?;
        if usize::try_from(l).ok() != Some(bytes.len() - SHARE_BASE_LEN) {
            return err(
                ErrorCode::Malformed,
                format!(
                    "key share of {} bytes with a prefix length of {l}",
                    bytes.len()
                ),
            );
        }
        let prefix = std::str::from_utf8(slice(bytes, SHARE_BASE_LEN, bytes.len())?)
            .or_else(|_| err(ErrorCode::Malformed, "key share prefix is not UTF-8"))?;
        let session_id: [u8; 16] = arr(bytes, 67)?;
        if session_id == [0; 16] {
            return err(ErrorCode::Malformed, "key share session id is all zero");
        }
        let created_ms = u64_at(bytes, 119)?;
        let not_after_ms = u64_at(bytes, 127)?;
        if created_ms > not_after_ms {
            return err(
                ErrorCode::Malformed,
                "key share created after its not-after time",
            );
        }
        let chain_key = Zeroizing::new(arr::<32>(bytes, 87)?);
        Ok(Share {
            sender: IdentityKey::from_bytes(&arr(bytes, 3)?),
            requester: IdentityKey::from_bytes(&arr(bytes, 35)?),
            session_id,
            index: u32_at(bytes, 83)?,
            chain_key: ChainKey::from_bytes(&chain_key),
            created_ms,
            not_after_ms,
            prefix: prefix.to_owned(),
        })
    }
}
