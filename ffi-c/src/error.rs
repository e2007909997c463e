//! Result codes, the thread-local last error, and the panic boundary every export runs in.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wampe2e::{Error, ErrorCode};

/// The result of every fallible libwampe2e function: `WAMPE2E_OK` (0) or an error
/// code with the same stable number as the core's `ErrorCode`. Codes are never reused.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wampe2e_result {
    /// Success.
    WAMPE2E_OK = 0,
    /// A key is not valid base64/hex, or has the wrong length.
    WAMPE2E_ERR_INVALID_KEY = 1,
    /// No key entry (and no default) for the URI or key id.
    WAMPE2E_ERR_KEY_NOT_FOUND = 2,
    /// The key entry lacks the keys this role needs.
    WAMPE2E_ERR_KEY_INCOMPLETE = 3,
    /// The cipher needs another kind of key (data key vs. key pair).
    WAMPE2E_ERR_WRONG_KEY_KIND = 4,
    /// Wrong key, or the ciphertext was tampered with.
    WAMPE2E_ERR_DECRYPTION_FAILED = 5,
    /// The ciphertext is shorter than nonce plus tag.
    WAMPE2E_ERR_TRUNCATED_CIPHERTEXT = 6,
    /// The plaintext was sealed for another URI (replay onto another URI).
    WAMPE2E_ERR_URI_MISMATCH = 7,
    /// The plaintext carries no URI and the key entry requires one.
    WAMPE2E_ERR_MISSING_URI = 8,
    /// Unknown `enc_algo` / `ppt_scheme`.
    WAMPE2E_ERR_UNKNOWN_SCHEME = 9,
    /// Unknown `ppt_cipher`.
    WAMPE2E_ERR_UNKNOWN_CIPHER = 10,
    /// Unknown serializer.
    WAMPE2E_ERR_UNKNOWN_SERIALIZER = 11,
    /// A string argument or the plaintext is not valid UTF-8.
    WAMPE2E_ERR_INVALID_UTF8 = 12,
    /// Invalid JSON (arguments or plaintext).
    WAMPE2E_ERR_INVALID_JSON = 13,
    /// Invalid CBOR plaintext.
    WAMPE2E_ERR_INVALID_CBOR = 14,
    /// Invalid MessagePack plaintext.
    WAMPE2E_ERR_INVALID_MSGPACK = 15,
    /// Invalid base64 (a WAMP-JSON binary string).
    WAMPE2E_ERR_INVALID_BASE64 = 16,
    /// The plaintext is not a uri/args/kwargs map.
    WAMPE2E_ERR_INVALID_PAYLOAD = 17,
    /// A value cannot be serialized (NaN in JSON, nesting too deep, ...).
    WAMPE2E_ERR_UNSUPPORTED_VALUE = 18,
    /// Input exceeds the 64 MiB limit.
    WAMPE2E_ERR_PAYLOAD_TOO_LARGE = 19,
    /// Envelope attributes missing or conflicting.
    WAMPE2E_ERR_INVALID_ENVELOPE = 20,
    /// The OS random number generator failed.
    WAMPE2E_ERR_RANDOM_FAILED = 21,
    /// A malformed WAMP message.
    WAMPE2E_ERR_INVALID_MESSAGE = 22,
    /// A required pointer argument was NULL.
    WAMPE2E_ERR_NULL_ARGUMENT = 23,
    /// A panic was caught inside libwampe2e (a bug; please report it).
    WAMPE2E_ERR_PANIC = 24,
    /// An argument is out of range (role, dialect, buffer size, ...).
    WAMPE2E_ERR_INVALID_ARGUMENT = 25,
    /// A message arrived unencrypted on a URI the keyring has a key for, or in
    /// answer to an encrypted CALL (strict `wampe2e_inbound_decide`).
    WAMPE2E_ERR_UNEXPECTED_PLAINTEXT = 26,
    /// A ciphertext this keyring sealed came back to be opened in the role that
    /// sealed it (the router reflected a CALL as its RESULT, a YIELD as an INVOCATION).
    WAMPE2E_ERR_REFLECTED = 27,
    /// The router's `Details.topic`/`procedure` is not covered by the local
    /// subscription or registration the message was delivered on.
    WAMPE2E_ERR_PATTERN_MISMATCH = 28,
    /// The data key has sealed as many messages as AES-256-GCM with random nonces
    /// safely allows (2^32); rotate it.
    WAMPE2E_ERR_KEY_EXHAUSTED = 29,
    /// A GS1 signature does not verify.
    WAMPE2E_ERR_BAD_SIGNATURE = 30,
    /// A GS1 signer is not pinned for the URI.
    WAMPE2E_ERR_UNTRUSTED_SENDER = 31,
    /// GS1: no such group session (fetch it from the sender).
    WAMPE2E_ERR_UNKNOWN_SESSION = 32,
    /// GS1: the message or reply was already opened (replay).
    WAMPE2E_ERR_REPLAYED = 33,
    /// GS1: the message index is too old to open.
    WAMPE2E_ERR_TOO_OLD = 34,
    /// GS1: the message index jumps too far ahead.
    WAMPE2E_ERR_INDEX_JUMP = 35,
    /// GS1: the group session has expired.
    WAMPE2E_ERR_SESSION_EXPIRED = 36,
    /// GS1: the key request's timestamp is outside the allowed clock skew.
    WAMPE2E_ERR_KEY_REQUEST_STALE = 37,
    /// GS1: the key request was refused.
    WAMPE2E_ERR_KEY_REFUSED = 38,
    /// GS1: the key response or reply answers nothing pending.
    WAMPE2E_ERR_UNSOLICITED = 39,
    /// GS1: the key share does not match the request.
    WAMPE2E_ERR_SHARE_MISMATCH = 40,
    /// GS1: a reply arrived out of order (one was dropped).
    WAMPE2E_ERR_OUT_OF_ORDER = 41,
    /// GS1: unsupported version or suite.
    WAMPE2E_ERR_WRONG_VERSION = 42,
    /// GS1: a malformed structure.
    WAMPE2E_ERR_MALFORMED = 43,
    /// GS1: the key id attribute differs from the signed session id.
    WAMPE2E_ERR_KEY_ID_MISMATCH = 44,
    /// GS1: a message of the wrong kind.
    WAMPE2E_ERR_WRONG_KIND = 45,
    /// GS1: a message could not be held while its session's key is fetched
    /// (the hold limits are reached); it is discarded.
    WAMPE2E_ERR_HOLD_OVERFLOW = 46,
    /// GS1: the key fetch for a held session failed (a WAMP error that is no GS1
    /// refusal, or no answer in time); its held messages are discarded.
    WAMPE2E_ERR_KEY_FETCH_FAILED = 47,
}

impl From<ErrorCode> for wampe2e_result {
    fn from(code: ErrorCode) -> Self {
        use wampe2e_result::*;
        match code {
            ErrorCode::InvalidKey => WAMPE2E_ERR_INVALID_KEY,
            ErrorCode::KeyNotFound => WAMPE2E_ERR_KEY_NOT_FOUND,
            ErrorCode::KeyIncomplete => WAMPE2E_ERR_KEY_INCOMPLETE,
            ErrorCode::WrongKeyKind => WAMPE2E_ERR_WRONG_KEY_KIND,
            ErrorCode::DecryptionFailed => WAMPE2E_ERR_DECRYPTION_FAILED,
            ErrorCode::TruncatedCiphertext => WAMPE2E_ERR_TRUNCATED_CIPHERTEXT,
            ErrorCode::UriMismatch => WAMPE2E_ERR_URI_MISMATCH,
            ErrorCode::MissingUri => WAMPE2E_ERR_MISSING_URI,
            ErrorCode::UnknownScheme => WAMPE2E_ERR_UNKNOWN_SCHEME,
            ErrorCode::UnknownCipher => WAMPE2E_ERR_UNKNOWN_CIPHER,
            ErrorCode::UnknownSerializer => WAMPE2E_ERR_UNKNOWN_SERIALIZER,
            ErrorCode::InvalidUtf8 => WAMPE2E_ERR_INVALID_UTF8,
            ErrorCode::InvalidJson => WAMPE2E_ERR_INVALID_JSON,
            ErrorCode::InvalidCbor => WAMPE2E_ERR_INVALID_CBOR,
            ErrorCode::InvalidMsgpack => WAMPE2E_ERR_INVALID_MSGPACK,
            ErrorCode::InvalidBase64 => WAMPE2E_ERR_INVALID_BASE64,
            ErrorCode::InvalidPayload => WAMPE2E_ERR_INVALID_PAYLOAD,
            ErrorCode::UnsupportedValue => WAMPE2E_ERR_UNSUPPORTED_VALUE,
            ErrorCode::PayloadTooLarge => WAMPE2E_ERR_PAYLOAD_TOO_LARGE,
            ErrorCode::InvalidEnvelope => WAMPE2E_ERR_INVALID_ENVELOPE,
            ErrorCode::RandomFailed => WAMPE2E_ERR_RANDOM_FAILED,
            ErrorCode::InvalidMessage => WAMPE2E_ERR_INVALID_MESSAGE,
            ErrorCode::NullArgument => WAMPE2E_ERR_NULL_ARGUMENT,
            ErrorCode::Panic => WAMPE2E_ERR_PANIC,
            ErrorCode::InvalidArgument => WAMPE2E_ERR_INVALID_ARGUMENT,
            ErrorCode::UnexpectedPlaintext => WAMPE2E_ERR_UNEXPECTED_PLAINTEXT,
            ErrorCode::Reflected => WAMPE2E_ERR_REFLECTED,
            ErrorCode::PatternMismatch => WAMPE2E_ERR_PATTERN_MISMATCH,
            ErrorCode::KeyExhausted => WAMPE2E_ERR_KEY_EXHAUSTED,
            ErrorCode::BadSignature => WAMPE2E_ERR_BAD_SIGNATURE,
            ErrorCode::UntrustedSender => WAMPE2E_ERR_UNTRUSTED_SENDER,
            ErrorCode::UnknownSession => WAMPE2E_ERR_UNKNOWN_SESSION,
            ErrorCode::Replayed => WAMPE2E_ERR_REPLAYED,
            ErrorCode::TooOld => WAMPE2E_ERR_TOO_OLD,
            ErrorCode::IndexJump => WAMPE2E_ERR_INDEX_JUMP,
            ErrorCode::SessionExpired => WAMPE2E_ERR_SESSION_EXPIRED,
            ErrorCode::KeyRequestStale => WAMPE2E_ERR_KEY_REQUEST_STALE,
            ErrorCode::KeyRefused => WAMPE2E_ERR_KEY_REFUSED,
            ErrorCode::Unsolicited => WAMPE2E_ERR_UNSOLICITED,
            ErrorCode::ShareMismatch => WAMPE2E_ERR_SHARE_MISMATCH,
            ErrorCode::OutOfOrder => WAMPE2E_ERR_OUT_OF_ORDER,
            ErrorCode::WrongVersion => WAMPE2E_ERR_WRONG_VERSION,
            ErrorCode::Malformed => WAMPE2E_ERR_MALFORMED,
            ErrorCode::KeyIdMismatch => WAMPE2E_ERR_KEY_ID_MISMATCH,
            ErrorCode::WrongKind => WAMPE2E_ERR_WRONG_KIND,
            ErrorCode::HoldOverflow => WAMPE2E_ERR_HOLD_OVERFLOW,
            ErrorCode::KeyFetchFailed => WAMPE2E_ERR_KEY_FETCH_FAILED,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(message: String) {
    LAST_ERROR.with(|m| *m.borrow_mut() = message);
}

pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|m| f(&m.borrow()))
}

/// Runs an export's body: converts its error into a result code, records the
/// detail message for `wampe2e_last_error_message`, and turns a panic into
/// `WAMPE2E_ERR_PANIC` instead of unwinding into C.
pub(crate) fn ffi_guard(body: impl FnOnce() -> Result<(), Error>) -> wampe2e_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => wampe2e_result::WAMPE2E_OK,
        Ok(Err(e)) => {
            set_last_error(e.to_string());
            e.code().into()
        }
        Err(_) => {
            set_last_error("libwampe2e: internal panic (bug)".to_owned());
            wampe2e_result::WAMPE2E_ERR_PANIC
        }
    }
}

/// `NullArgument` naming the parameter.
pub(crate) fn null(what: &str) -> Error {
    Error::new(ErrorCode::NullArgument, format!("{what}: NULL pointer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_maps_to_the_same_number() {
        for code in ErrorCode::ALL {
            assert_eq!(wampe2e_result::from(code) as u32, code.as_u32(), "{code:?}");
        }
    }

    #[test]
    #[allow(clippy::panic)]
    fn panics_become_a_result_code() {
        assert_eq!(
            ffi_guard(|| panic!("boom")),
            wampe2e_result::WAMPE2E_ERR_PANIC
        );
        with_last_error(|m| assert!(m.contains("panic")));
    }
}
