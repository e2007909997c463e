//! Turning C arguments into Rust values: NULL checks, lengths, UTF-8, enums.

use crate::error::null;
use std::os::raw::c_char;
use wampe2e::{
    Cipher, Dialect, Error, ErrorCode, KeyInput, MatchPolicy, MessageKind, Role, Serializer,
};

fn too_long(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("{what}: length exceeds isize::MAX"),
    )
}

/// Bytes from `(ptr, len)`; `None` when `ptr` is NULL.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `len` bytes for the returned lifetime.
pub(crate) unsafe fn opt_bytes<'a>(
    what: &str,
    ptr: *const u8,
    len: usize,
) -> Result<Option<&'a [u8]>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    if len > isize::MAX as usize {
        return Err(too_long(what));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

/// `count` elements from `ptr`: empty when `count` is 0 (`ptr` may then be
/// NULL), `NullArgument` when `ptr` is NULL otherwise.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `count` elements for the returned lifetime.
pub(crate) unsafe fn array<'a, T>(
    what: &str,
    ptr: *const T,
    count: usize,
) -> Result<&'a [T], Error> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(crate::error::null(what));
    }
    if count.saturating_mul(std::mem::size_of::<T>()) > isize::MAX as usize {
        return Err(too_long(what));
    }
    // SAFETY: non-NULL, and the caller guarantees `count` readable elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Bytes from `(ptr, len)`; NULL is `NullArgument`.
///
/// # Safety
/// As [`opt_bytes`].
pub(crate) unsafe fn bytes<'a>(what: &str, ptr: *const u8, len: usize) -> Result<&'a [u8], Error> {
    // SAFETY: forwarded contract.
    unsafe { opt_bytes(what, ptr, len) }?.ok_or_else(|| null(what))
}

/// UTF-8 text from `(ptr, len)`; `None` when `ptr` is NULL.
///
/// # Safety
/// As [`opt_bytes`].
pub(crate) unsafe fn opt_str<'a>(
    what: &str,
    ptr: *const c_char,
    len: usize,
) -> Result<Option<&'a str>, Error> {
    // SAFETY: forwarded contract.
    let Some(b) = (unsafe { opt_bytes(what, ptr.cast(), len) })? else {
        return Ok(None);
    };
    std::str::from_utf8(b).map(Some).map_err(|e| {
        Error::new(
            ErrorCode::InvalidUtf8,
            format!("{what}: invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })
}

/// UTF-8 text from `(ptr, len)`; NULL is `NullArgument`.
///
/// # Safety
/// As [`opt_bytes`].
pub(crate) unsafe fn str_arg<'a>(
    what: &str,
    ptr: *const c_char,
    len: usize,
) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    unsafe { opt_str(what, ptr, len) }?.ok_or_else(|| null(what))
}

/// A key from `(ptr, len)`: its 32 raw bytes, or base64/hex text (decoded by the
/// core, whose errors never show the key); `None` when `ptr` is NULL.
///
/// # Safety
/// As [`opt_bytes`].
pub(crate) unsafe fn opt_key<'a>(
    what: &str,
    ptr: *const c_char,
    len: usize,
) -> Result<Option<KeyInput<'a>>, Error> {
    // SAFETY: forwarded contract.
    Ok(unsafe { opt_bytes(what, ptr.cast(), len) }?.map(KeyInput::Bytes))
}

/// A key from `(ptr, len)` as [`opt_key`]; NULL is `NullArgument`.
///
/// # Safety
/// As [`opt_bytes`].
pub(crate) unsafe fn key<'a>(
    what: &str,
    ptr: *const c_char,
    len: usize,
) -> Result<KeyInput<'a>, Error> {
    // SAFETY: forwarded contract.
    unsafe { opt_key(what, ptr, len) }?.ok_or_else(|| null(what))
}

/// A reference from a pointer; NULL is `NullArgument`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` for the returned lifetime.
pub(crate) unsafe fn obj<'a, T>(what: &str, ptr: *const T) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a live object when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(what))
}

/// Checks that an out-pointer is not NULL (before any work is done).
pub(crate) fn out_ptr<T>(what: &str, ptr: *mut T) -> Result<(), Error> {
    if ptr.is_null() {
        Err(null(what))
    } else {
        Ok(())
    }
}

fn invalid(what: &str, value: u32) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("{what}: {value} is not a valid value"),
    )
}

/// `wampe2e_role` as received (any `uint32_t`).
pub(crate) fn role(value: u32) -> Result<Role, Error> {
    match value {
        0 => Ok(Role::Originator),
        1 => Ok(Role::Responder),
        v => Err(invalid("role", v)),
    }
}

/// `wampe2e_dialect` + `wampe2e_serializer` + `wampe2e_cipher` as received.
/// Cryptobox fixes JSON and xsalsa20poly1305, so it takes only those values (0, 0).
pub(crate) fn dialect(dialect: u32, serializer: u32, cipher: u32) -> Result<Dialect, Error> {
    let serializer = match serializer {
        0 => Serializer::Json,
        1 => Serializer::Cbor,
        2 => Serializer::Msgpack,
        v => return Err(invalid("serializer", v)),
    };
    let cipher = match cipher {
        0 => Cipher::XSalsa20Poly1305,
        1 => Cipher::Aes256Gcm,
        v => return Err(invalid("cipher", v)),
    };
    match dialect {
        0 if serializer == Serializer::Json && cipher == Cipher::XSalsa20Poly1305 => {
            Ok(Dialect::Cryptobox)
        }
        0 => Err(Error::new(
            ErrorCode::InvalidArgument,
            "dialect CRYPTOBOX uses serializer JSON and cipher XSALSA20POLY1305",
        )),
        1 => Ok(Dialect::Passthru { serializer, cipher }),
        v => Err(invalid("dialect", v)),
    }
}

/// `wampe2e_message_kind` as received.
pub(crate) fn message_kind(value: u32) -> Result<MessageKind, Error> {
    match value {
        0 => Ok(MessageKind::Event),
        1 => Ok(MessageKind::Invocation),
        2 => Ok(MessageKind::Result),
        3 => Ok(MessageKind::Error),
        v => Err(invalid("kind", v)),
    }
}

/// `wampe2e_match` as received.
pub(crate) fn match_policy(value: u32) -> Result<MatchPolicy, Error> {
    match value {
        0 => Ok(MatchPolicy::Exact),
        1 => Ok(MatchPolicy::Prefix),
        2 => Ok(MatchPolicy::Wildcard),
        v => Err(invalid("match_policy", v)),
    }
}
