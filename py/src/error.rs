//! The exception hierarchy: one base `Wampe2eError(Exception)`, one subclass per
//! core error code, each with the stable numeric `code` as a class attribute.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use wampe2e::{Error, ErrorCode};

create_exception!(
    wampe2e,
    Wampe2eError,
    PyException,
    "Base class of every wampe2e error; `code` is the stable number."
);
create_exception!(
    wampe2e,
    InvalidKeyError,
    Wampe2eError,
    "A key is not valid base64/hex or has the wrong length."
);
create_exception!(
    wampe2e,
    KeyNotFoundError,
    Wampe2eError,
    "No key entry (and no default) for the URI or key id."
);
create_exception!(
    wampe2e,
    KeyIncompleteError,
    Wampe2eError,
    "The key entry lacks the keys this role needs."
);
create_exception!(
    wampe2e,
    WrongKeyKindError,
    Wampe2eError,
    "The cipher needs another kind of key."
);
create_exception!(
    wampe2e,
    DecryptionFailedError,
    Wampe2eError,
    "Wrong key, or the ciphertext was tampered with."
);
create_exception!(
    wampe2e,
    TruncatedCiphertextError,
    Wampe2eError,
    "The ciphertext is shorter than nonce plus tag."
);
create_exception!(
    wampe2e,
    UriMismatchError,
    Wampe2eError,
    "The payload was sealed for another URI."
);
create_exception!(
    wampe2e,
    MissingUriError,
    Wampe2eError,
    "The plaintext carries no URI and the key entry requires one."
);
create_exception!(
    wampe2e,
    UnknownSchemeError,
    Wampe2eError,
    "Unknown enc_algo / ppt_scheme."
);
create_exception!(wampe2e, UnknownCipherError, Wampe2eError, "Unknown cipher.");
create_exception!(
    wampe2e,
    UnknownSerializerError,
    Wampe2eError,
    "Unknown serializer."
);
create_exception!(wampe2e, InvalidUtf8Error, Wampe2eError, "Invalid UTF-8.");
create_exception!(wampe2e, InvalidJsonError, Wampe2eError, "Invalid JSON.");
create_exception!(wampe2e, InvalidCborError, Wampe2eError, "Invalid CBOR.");
create_exception!(
    wampe2e,
    InvalidMsgpackError,
    Wampe2eError,
    "Invalid MessagePack."
);
create_exception!(wampe2e, InvalidBase64Error, Wampe2eError, "Invalid base64.");
create_exception!(
    wampe2e,
    InvalidPayloadError,
    Wampe2eError,
    "The plaintext is not a uri/args/kwargs map."
);
create_exception!(
    wampe2e,
    UnsupportedValueError,
    Wampe2eError,
    "A value cannot be serialized."
);
create_exception!(
    wampe2e,
    PayloadTooLargeError,
    Wampe2eError,
    "Input exceeds the size limit."
);
create_exception!(
    wampe2e,
    InvalidEnvelopeError,
    Wampe2eError,
    "Envelope attributes missing or conflicting."
);
create_exception!(
    wampe2e,
    RandomFailedError,
    Wampe2eError,
    "The OS random number generator failed."
);
create_exception!(
    wampe2e,
    InvalidMessageError,
    Wampe2eError,
    "A malformed WAMP message."
);
create_exception!(
    wampe2e,
    NullArgumentError,
    Wampe2eError,
    "A required argument was missing."
);
create_exception!(
    wampe2e,
    PanicError,
    Wampe2eError,
    "An internal panic (a bug)."
);
create_exception!(
    wampe2e,
    InvalidArgumentError,
    Wampe2eError,
    "An argument is out of range."
);

create_exception!(
    wampe2e,
    UnexpectedPlaintextError,
    Wampe2eError,
    "A message arrived unencrypted on a URI the keyring has a key for (strict mode)."
);
create_exception!(
    wampe2e,
    ReflectedError,
    Wampe2eError,
    "The router sent this keyring's own ciphertext back in the role that sealed it."
);
create_exception!(
    wampe2e,
    PatternMismatchError,
    Wampe2eError,
    "The router's topic/procedure is outside the local subscription or registration."
);
create_exception!(
    wampe2e,
    KeyExhaustedError,
    Wampe2eError,
    "The key has sealed as many messages as its cipher allows; rotate it."
);
create_exception!(
    wampe2e,
    BadSignatureError,
    Wampe2eError,
    "A GS1 signature does not verify."
);
create_exception!(
    wampe2e,
    UntrustedSenderError,
    Wampe2eError,
    "A GS1 signer is not pinned for the URI."
);
create_exception!(
    wampe2e,
    UnknownSessionError,
    Wampe2eError,
    "GS1: no such group session (fetch it from the sender)."
);
create_exception!(
    wampe2e,
    ReplayedError,
    Wampe2eError,
    "GS1: the message or reply was already opened (replay)."
);
create_exception!(
    wampe2e,
    TooOldError,
    Wampe2eError,
    "GS1: the message index is too old to open."
);
create_exception!(
    wampe2e,
    IndexJumpError,
    Wampe2eError,
    "GS1: the message index jumps too far ahead."
);
create_exception!(
    wampe2e,
    SessionExpiredError,
    Wampe2eError,
    "GS1: the group session has expired."
);
create_exception!(
    wampe2e,
    KeyRequestStaleError,
    Wampe2eError,
    "GS1: the key request's timestamp is outside the allowed clock skew."
);
create_exception!(
    wampe2e,
    KeyRefusedError,
    Wampe2eError,
    "GS1: the key request was refused."
);
create_exception!(
    wampe2e,
    UnsolicitedError,
    Wampe2eError,
    "GS1: the key response or reply answers nothing pending."
);
create_exception!(
    wampe2e,
    ShareMismatchError,
    Wampe2eError,
    "GS1: the key share does not match the request."
);
create_exception!(
    wampe2e,
    OutOfOrderError,
    Wampe2eError,
    "GS1: a reply arrived out of order (one was dropped)."
);
create_exception!(
    wampe2e,
    WrongVersionError,
    Wampe2eError,
    "GS1: unsupported version or suite."
);
create_exception!(
    wampe2e,
    MalformedError,
    Wampe2eError,
    "GS1: a malformed structure."
);
create_exception!(
    wampe2e,
    KeyIdMismatchError,
    Wampe2eError,
    "GS1: the key id attribute differs from the signed session id."
);
create_exception!(
    wampe2e,
    WrongKindError,
    Wampe2eError,
    "GS1: a message of the wrong kind."
);
create_exception!(
    wampe2e,
    HoldOverflowError,
    Wampe2eError,
    "GS1: a message could not be held while its session's key is fetched (the hold limits are reached)."
);
create_exception!(
    wampe2e,
    KeyFetchFailedError,
    Wampe2eError,
    "GS1: the key fetch for a held session failed (a WAMP error that is no GS1 refusal, or no answer in time)."
);

/// The exception class of a code (exhaustive: a new core code must be mapped here).
fn class_of(py: Python<'_>, code: ErrorCode) -> Bound<'_, pyo3::types::PyType> {
    match code {
        ErrorCode::InvalidKey => py.get_type::<InvalidKeyError>(),
        ErrorCode::KeyNotFound => py.get_type::<KeyNotFoundError>(),
        ErrorCode::KeyIncomplete => py.get_type::<KeyIncompleteError>(),
        ErrorCode::WrongKeyKind => py.get_type::<WrongKeyKindError>(),
        ErrorCode::DecryptionFailed => py.get_type::<DecryptionFailedError>(),
        ErrorCode::TruncatedCiphertext => py.get_type::<TruncatedCiphertextError>(),
        ErrorCode::UriMismatch => py.get_type::<UriMismatchError>(),
        ErrorCode::MissingUri => py.get_type::<MissingUriError>(),
        ErrorCode::UnknownScheme => py.get_type::<UnknownSchemeError>(),
        ErrorCode::UnknownCipher => py.get_type::<UnknownCipherError>(),
        ErrorCode::UnknownSerializer => py.get_type::<UnknownSerializerError>(),
        ErrorCode::InvalidUtf8 => py.get_type::<InvalidUtf8Error>(),
        ErrorCode::InvalidJson => py.get_type::<InvalidJsonError>(),
        ErrorCode::InvalidCbor => py.get_type::<InvalidCborError>(),
        ErrorCode::InvalidMsgpack => py.get_type::<InvalidMsgpackError>(),
        ErrorCode::InvalidBase64 => py.get_type::<InvalidBase64Error>(),
        ErrorCode::InvalidPayload => py.get_type::<InvalidPayloadError>(),
        ErrorCode::UnsupportedValue => py.get_type::<UnsupportedValueError>(),
        ErrorCode::PayloadTooLarge => py.get_type::<PayloadTooLargeError>(),
        ErrorCode::InvalidEnvelope => py.get_type::<InvalidEnvelopeError>(),
        ErrorCode::RandomFailed => py.get_type::<RandomFailedError>(),
        ErrorCode::InvalidMessage => py.get_type::<InvalidMessageError>(),
        ErrorCode::NullArgument => py.get_type::<NullArgumentError>(),
        ErrorCode::Panic => py.get_type::<PanicError>(),
        ErrorCode::InvalidArgument => py.get_type::<InvalidArgumentError>(),
        ErrorCode::UnexpectedPlaintext => py.get_type::<UnexpectedPlaintextError>(),
        ErrorCode::Reflected => py.get_type::<ReflectedError>(),
        ErrorCode::PatternMismatch => py.get_type::<PatternMismatchError>(),
        ErrorCode::KeyExhausted => py.get_type::<KeyExhaustedError>(),
        ErrorCode::BadSignature => py.get_type::<BadSignatureError>(),
        ErrorCode::UntrustedSender => py.get_type::<UntrustedSenderError>(),
        ErrorCode::UnknownSession => py.get_type::<UnknownSessionError>(),
        ErrorCode::Replayed => py.get_type::<ReplayedError>(),
        ErrorCode::TooOld => py.get_type::<TooOldError>(),
        ErrorCode::IndexJump => py.get_type::<IndexJumpError>(),
        ErrorCode::SessionExpired => py.get_type::<SessionExpiredError>(),
        ErrorCode::KeyRequestStale => py.get_type::<KeyRequestStaleError>(),
        ErrorCode::KeyRefused => py.get_type::<KeyRefusedError>(),
        ErrorCode::Unsolicited => py.get_type::<UnsolicitedError>(),
        ErrorCode::ShareMismatch => py.get_type::<ShareMismatchError>(),
        ErrorCode::OutOfOrder => py.get_type::<OutOfOrderError>(),
        ErrorCode::WrongVersion => py.get_type::<WrongVersionError>(),
        ErrorCode::Malformed => py.get_type::<MalformedError>(),
        ErrorCode::KeyIdMismatch => py.get_type::<KeyIdMismatchError>(),
        ErrorCode::WrongKind => py.get_type::<WrongKindError>(),
        ErrorCode::HoldOverflow => py.get_type::<HoldOverflowError>(),
        ErrorCode::KeyFetchFailed => py.get_type::<KeyFetchFailedError>(),
    }
}

/// Converts a core error into its Python exception (message without secrets).
pub fn to_py(e: Error) -> PyErr {
    Python::attach(|py| PyErr::from_type(class_of(py, e.code()), e.message().to_owned()))
}

/// Adds the base class and every subclass, each with its `code`, to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<Wampe2eError>();
    base.setattr("code", 0u32)?;
    m.add("Wampe2eError", base)?;
    for code in ErrorCode::ALL {
        let class = class_of(py, code);
        class.setattr("code", code.as_u32())?;
        class.setattr("code_name", code.name())?;
        m.add(class.name()?, class)?;
    }
    Ok(())
}
