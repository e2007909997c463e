//! The one error type of wampe2e, with stable numeric codes shared by every binding.

use std::fmt;

/// What went wrong, as a stable number. Bindings map each code to their own
/// form (C result enum, Python exception class, JS `code` string, UniFFI enum).
///
/// Numbers are never reused: a retired code stays here as a comment. The enum is
/// deliberately exhaustive: adding a code must break every binding's mapping
/// until it is mapped there too.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A key is not valid base64/hex, or has the wrong length.
    InvalidKey = 1,
    /// The keyring has no key entry (and no default) for the URI or key id.
    KeyNotFound = 2,
    /// The key entry lacks the part this role needs (e.g. no originator secret).
    KeyIncomplete = 3,
    /// The cipher needs another kind of key (symmetric data key vs. box key pair).
    WrongKeyKind = 4,
    /// Authentication failed: wrong key, or the ciphertext was tampered with.
    DecryptionFailed = 5,
    /// The ciphertext is shorter than nonce plus tag.
    TruncatedCiphertext = 6,
    /// The URI inside the plaintext differs from the envelope's URI.
    UriMismatch = 7,
    /// The plaintext carries no URI and the key entry does not allow that.
    MissingUri = 8,
    /// `enc_algo` / `ppt_scheme` names no scheme we know.
    UnknownScheme = 9,
    /// `ppt_cipher` names no cipher we know.
    UnknownCipher = 10,
    /// `enc_serializer` / `ppt_serializer` names no serializer we know.
    UnknownSerializer = 11,
    /// Text that must be UTF-8 is not.
    InvalidUtf8 = 12,
    /// The plaintext or input is not valid JSON.
    InvalidJson = 13,
    /// The plaintext is not valid CBOR.
    InvalidCbor = 14,
    /// The plaintext is not valid MessagePack.
    InvalidMsgpack = 15,
    /// A WAMP-JSON binary string (`"\u0000..."`) or other base64 input is not valid base64.
    InvalidBase64 = 16,
    /// The decrypted plaintext is not a map of `uri`/`args`/`kwargs` of the right types.
    InvalidPayload = 17,
    /// A value cannot be carried by the chosen serializer (NaN in JSON, nesting too deep, ...).
    UnsupportedValue = 18,
    /// Input exceeds [`crate::MAX_PAYLOAD_LEN`].
    PayloadTooLarge = 19,
    /// Envelope attributes are missing, conflicting, or the payload is not where the dialect puts it.
    InvalidEnvelope = 20,
    /// The operating system's random number generator failed.
    RandomFailed = 21,
    /// A WAMP message is malformed (wrong type, wrong arity).
    InvalidMessage = 22,
    /// A required pointer argument was NULL (C ABI only).
    NullArgument = 23,
    /// A panic was caught at a binding boundary. The core never panics; this is a bug.
    Panic = 24,
    /// An argument is out of range or otherwise invalid (role, dialect, buffer size, ...).
    InvalidArgument = 25,
    /// A message arrived unencrypted on a URI the keyring has a key for (strict mode).
    UnexpectedPlaintext = 26,
    /// A ciphertext this keyring sealed came back to be opened in the role that
    /// sealed it (a router reflecting a CALL as its RESULT, a YIELD as an INVOCATION).
    Reflected = 27,
    /// The router's `Details.topic`/`procedure` is not covered by the local
    /// subscription or registration it was delivered on.
    PatternMismatch = 28,
    /// The key has sealed as many messages as its cipher safely allows (AES-256-GCM
    /// with random nonces: 2^32); rotate it.
    KeyExhausted = 29,
    /// A GS1 Ed25519 signature does not verify (or the signer's key does not decode or has small order).
    BadSignature = 30,
    /// A GS1 signer is not pinned for the URI: an event/call sender not in the entry's senders, a reply signer not in its receivers, a key response from (or a request to) an identity not in its senders.
    UntrustedSender = 31,
    /// GS1: no session record for the (sender, session id) of a correctly signed message; at a sender, the requested session is not its current one.
    UnknownSession = 32,
    /// GS1: a message index within the replay window was already opened, or a reply sequence number was already accepted.
    Replayed = 33,
    /// GS1: a message index below the share's start or the replay window, or whose skipped key was evicted.
    TooOld = 34,
    /// GS1: a message index 65 536 or more past the next expected one.
    IndexJump = 35,
    /// GS1: the session is past its not-after time (plus skew) or its grace window after being superseded, a message is timestamped past it, or a share is older than every kept session.
    SessionExpired = 36,
    /// GS1: a key request's timestamp differs from the sender's clock by more than the allowed skew.
    KeyRequestStale = 37,
    /// GS1: a key request not addressed to this sender, for a prefix it has no entry for, from an identity not among its receivers, or refused by the authorization callback.
    KeyRefused = 38,
    /// GS1: a key response that does not answer the pending request, a reply that does not answer the pending call, or a reply after the final one.
    Unsolicited = 39,
    /// GS1: a key share's sender, requester, prefix or session id differ from the request.
    ShareMismatch = 40,
    /// GS1: a reply sequence number beyond the next expected one (a reply was dropped).
    OutOfOrder = 41,
    /// GS1: the version or suite byte is not 0x01.
    WrongVersion = 42,
    /// GS1: a structure has a wrong length, an unknown type, a zero session id, invalid UTF-8 in a prefix, created after not-after, or a key-procedure RESULT is not one binary.
    Malformed = 43,
    /// GS1: the `enc_key`/`ppt_keyid` attribute differs from the signed session id, or is present on a reply.
    KeyIdMismatch = 44,
    /// GS1: the structure's type is known but not the one the WAMP message or operation expects.
    WrongKind = 45,
    /// GS1: a message of a session whose key is being fetched could not be held: the binding's bounds (per session, in all) are reached. The message is discarded.
    HoldOverflow = 46,
    /// GS1: the key fetch for a held session failed for a reason that is no GS1 refusal (the sender's key procedure answered another WAMP error, or no answer came in time); the held messages are discarded.
    KeyFetchFailed = 47,
}

impl ErrorCode {
    /// Every code, in numeric order: bindings use this to prove they map them all.
    pub const ALL: [ErrorCode; 47] = [
        ErrorCode::InvalidKey,
        ErrorCode::KeyNotFound,
        ErrorCode::KeyIncomplete,
        ErrorCode::WrongKeyKind,
        ErrorCode::DecryptionFailed,
        ErrorCode::TruncatedCiphertext,
        ErrorCode::UriMismatch,
        ErrorCode::MissingUri,
        ErrorCode::UnknownScheme,
        ErrorCode::UnknownCipher,
        ErrorCode::UnknownSerializer,
        ErrorCode::InvalidUtf8,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidCbor,
        ErrorCode::InvalidMsgpack,
        ErrorCode::InvalidBase64,
        ErrorCode::InvalidPayload,
        ErrorCode::UnsupportedValue,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidEnvelope,
        ErrorCode::RandomFailed,
        ErrorCode::InvalidMessage,
        ErrorCode::NullArgument,
        ErrorCode::Panic,
        ErrorCode::InvalidArgument,
        ErrorCode::UnexpectedPlaintext,
        ErrorCode::Reflected,
        ErrorCode::PatternMismatch,
        ErrorCode::KeyExhausted,
        ErrorCode::BadSignature,
        ErrorCode::UntrustedSender,
        ErrorCode::UnknownSession,
        ErrorCode::Replayed,
        ErrorCode::TooOld,
        ErrorCode::IndexJump,
        ErrorCode::SessionExpired,
        ErrorCode::KeyRequestStale,
        ErrorCode::KeyRefused,
        ErrorCode::Unsolicited,
        ErrorCode::ShareMismatch,
        ErrorCode::OutOfOrder,
        ErrorCode::WrongVersion,
        ErrorCode::Malformed,
        ErrorCode::KeyIdMismatch,
        ErrorCode::WrongKind,
        ErrorCode::HoldOverflow,
        ErrorCode::KeyFetchFailed,
    ];

    /// The stable number of this code.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The code for a number, if it is one.
    pub fn from_u32(n: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_u32() == n)
    }

    /// The code whose [`ErrorCode::name`] is `name`, if one is.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The stable symbolic name, e.g. `WAMPE2E_URI_MISMATCH` (the JS `code` string).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidKey => "WAMPE2E_INVALID_KEY",
            ErrorCode::KeyNotFound => "WAMPE2E_KEY_NOT_FOUND",
            ErrorCode::KeyIncomplete => "WAMPE2E_KEY_INCOMPLETE",
            ErrorCode::WrongKeyKind => "WAMPE2E_WRONG_KEY_KIND",
            ErrorCode::DecryptionFailed => "WAMPE2E_DECRYPTION_FAILED",
            ErrorCode::TruncatedCiphertext => "WAMPE2E_TRUNCATED_CIPHERTEXT",
            ErrorCode::UriMismatch => "WAMPE2E_URI_MISMATCH",
            ErrorCode::MissingUri => "WAMPE2E_MISSING_URI",
            ErrorCode::UnknownScheme => "WAMPE2E_UNKNOWN_SCHEME",
            ErrorCode::UnknownCipher => "WAMPE2E_UNKNOWN_CIPHER",
            ErrorCode::UnknownSerializer => "WAMPE2E_UNKNOWN_SERIALIZER",
            ErrorCode::InvalidUtf8 => "WAMPE2E_INVALID_UTF8",
            ErrorCode::InvalidJson => "WAMPE2E_INVALID_JSON",
            ErrorCode::InvalidCbor => "WAMPE2E_INVALID_CBOR",
            ErrorCode::InvalidMsgpack => "WAMPE2E_INVALID_MSGPACK",
            ErrorCode::InvalidBase64 => "WAMPE2E_INVALID_BASE64",
            ErrorCode::InvalidPayload => "WAMPE2E_INVALID_PAYLOAD",
            ErrorCode::UnsupportedValue => "WAMPE2E_UNSUPPORTED_VALUE",
            ErrorCode::PayloadTooLarge => "WAMPE2E_PAYLOAD_TOO_LARGE",
            ErrorCode::InvalidEnvelope => "WAMPE2E_INVALID_ENVELOPE",
            ErrorCode::RandomFailed => "WAMPE2E_RANDOM_FAILED",
            ErrorCode::InvalidMessage => "WAMPE2E_INVALID_MESSAGE",
            ErrorCode::NullArgument => "WAMPE2E_NULL_ARGUMENT",
            ErrorCode::Panic => "WAMPE2E_PANIC",
            ErrorCode::InvalidArgument => "WAMPE2E_INVALID_ARGUMENT",
            ErrorCode::UnexpectedPlaintext => "WAMPE2E_UNEXPECTED_PLAINTEXT",
            ErrorCode::Reflected => "WAMPE2E_REFLECTED",
            ErrorCode::PatternMismatch => "WAMPE2E_PATTERN_MISMATCH",
            ErrorCode::KeyExhausted => "WAMPE2E_KEY_EXHAUSTED",
            ErrorCode::BadSignature => "WAMPE2E_BAD_SIGNATURE",
            ErrorCode::UntrustedSender => "WAMPE2E_UNTRUSTED_SENDER",
            ErrorCode::UnknownSession => "WAMPE2E_UNKNOWN_SESSION",
            ErrorCode::Replayed => "WAMPE2E_REPLAYED",
            ErrorCode::TooOld => "WAMPE2E_TOO_OLD",
            ErrorCode::IndexJump => "WAMPE2E_INDEX_JUMP",
            ErrorCode::SessionExpired => "WAMPE2E_SESSION_EXPIRED",
            ErrorCode::KeyRequestStale => "WAMPE2E_KEY_REQUEST_STALE",
            ErrorCode::KeyRefused => "WAMPE2E_KEY_REFUSED",
            ErrorCode::Unsolicited => "WAMPE2E_UNSOLICITED",
            ErrorCode::ShareMismatch => "WAMPE2E_SHARE_MISMATCH",
            ErrorCode::OutOfOrder => "WAMPE2E_OUT_OF_ORDER",
            ErrorCode::WrongVersion => "WAMPE2E_WRONG_VERSION",
            ErrorCode::Malformed => "WAMPE2E_MALFORMED",
            ErrorCode::KeyIdMismatch => "WAMPE2E_KEY_ID_MISMATCH",
            ErrorCode::WrongKind => "WAMPE2E_WRONG_KIND",
            ErrorCode::HoldOverflow => "WAMPE2E_HOLD_OVERFLOW",
            ErrorCode::KeyFetchFailed => "WAMPE2E_KEY_FETCH_FAILED",
        }
    }

    /// A static one-line description of the code.
    pub fn description(self) -> &'static str {
        let s = self.description_nul();
        s.strip_suffix('\0').unwrap_or(s)
    }

    /// [`ErrorCode::description`] with a trailing NUL, for C callers.
    pub fn description_nul(self) -> &'static str {
        match self {
            ErrorCode::InvalidKey => "key is not valid base64/hex or has the wrong length\0",
            ErrorCode::KeyNotFound => "no key for this URI or key id\0",
            ErrorCode::KeyIncomplete => "key entry lacks the keys this role needs\0",
            ErrorCode::WrongKeyKind => "cipher needs another kind of key\0",
            ErrorCode::DecryptionFailed => "decryption failed: wrong key or tampered ciphertext\0",
            ErrorCode::TruncatedCiphertext => "ciphertext is shorter than nonce and tag\0",
            ErrorCode::UriMismatch => "URI in the plaintext differs from the envelope URI\0",
            ErrorCode::MissingUri => "plaintext carries no URI\0",
            ErrorCode::UnknownScheme => "unknown encryption scheme\0",
            ErrorCode::UnknownCipher => "unknown cipher\0",
            ErrorCode::UnknownSerializer => "unknown serializer\0",
            ErrorCode::InvalidUtf8 => "invalid UTF-8\0",
            ErrorCode::InvalidJson => "invalid JSON\0",
            ErrorCode::InvalidCbor => "invalid CBOR\0",
            ErrorCode::InvalidMsgpack => "invalid MessagePack\0",
            ErrorCode::InvalidBase64 => "invalid base64\0",
            ErrorCode::InvalidPayload => "plaintext is not a uri/args/kwargs map\0",
            ErrorCode::UnsupportedValue => "value cannot be serialized\0",
            ErrorCode::PayloadTooLarge => "payload too large\0",
            ErrorCode::InvalidEnvelope => "invalid envelope attributes\0",
            ErrorCode::RandomFailed => "OS random number generator failed\0",
            ErrorCode::InvalidMessage => "malformed WAMP message\0",
            ErrorCode::NullArgument => "required argument is NULL\0",
            ErrorCode::Panic => "internal panic (bug)\0",
            ErrorCode::InvalidArgument => "invalid argument\0",
            ErrorCode::UnexpectedPlaintext => "unencrypted message on a URI that has a key\0",
            ErrorCode::Reflected => "own ciphertext came back (reflection)\0",
            ErrorCode::PatternMismatch => {
                "router's URI is outside the local subscription or registration\0"
            }
            ErrorCode::KeyExhausted => "key has sealed its limit of messages; rotate it\0",
            ErrorCode::BadSignature => "signature does not verify\0",
            ErrorCode::UntrustedSender => "signer is not pinned for this URI\0",
            ErrorCode::UnknownSession => "unknown group session\0",
            ErrorCode::Replayed => "message already opened (replay)\0",
            ErrorCode::TooOld => "message index too old\0",
            ErrorCode::IndexJump => "message index jumps too far ahead\0",
            ErrorCode::SessionExpired => "group session expired\0",
            ErrorCode::KeyRequestStale => "key request timestamp outside the allowed clock skew\0",
            ErrorCode::KeyRefused => "key request refused\0",
            ErrorCode::Unsolicited => "response or reply answers nothing pending\0",
            ErrorCode::ShareMismatch => "key share does not match the request\0",
            ErrorCode::OutOfOrder => "reply out of order\0",
            ErrorCode::WrongVersion => "unsupported GS1 version or suite\0",
            ErrorCode::Malformed => "malformed GS1 structure\0",
            ErrorCode::KeyIdMismatch => "key id attribute differs from the signed session id\0",
            ErrorCode::WrongKind => "GS1 message of the wrong kind\0",
            ErrorCode::HoldOverflow => "too many GS1 messages held for key fetches\0",
            ErrorCode::KeyFetchFailed => "GS1 key fetch failed\0",
        }
    }
}

/// An error with its stable [`ErrorCode`] and a message saying what was wrong and where.
///
/// The message never contains key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error with a code and a detail message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The detail message (no secrets in it).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error located one level further out, e.g. `[2]` + `["when"]: NaN ...`
    /// gives `[2]["when"]: NaN ...`, so value errors name where the value sits.
    pub fn within(mut self, segment: &str) -> Self {
        let sep = if self.message.starts_with('[') {
            ""
        } else {
            ": "
        };
        self.message = format!("{segment}{sep}{}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.name())
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn err<T>(code: ErrorCode, message: impl Into<String>) -> Result<T> {
    Err(Error::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_dense_and_named() {
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(c.as_u32() as usize, i + 1);
            assert_eq!(ErrorCode::from_u32(c.as_u32()), Some(*c));
            assert!(c.name().starts_with("WAMPE2E_"));
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(9999), None);
    }
}
