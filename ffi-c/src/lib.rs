//! libwampe2e: the C ABI of wampe2e, end-to-end encryption of WAMP payloads.
//!
//! Conventions (after rustls-ffi): opaque handles with `_new`/`_free` (`_free(NULL)`
//! is a no-op); every fallible function returns a `wampe2e_result` and writes its
//! out-parameters only on success; bytes in as `(ptr, len)`, bytes out in a
//! `wampe2e_buf` freed with `wampe2e_buf_free`; strings are UTF-8 with explicit
//! lengths. No panic crosses the boundary. The detail of the last failure on the
//! calling thread is available from `wampe2e_last_error_message`.
#![allow(unsafe_code)]

mod args;
mod buf;
mod error;
mod group;
mod held;
mod inbound;
mod keyring;
mod keys;
mod payload;

pub use buf::{wampe2e_buf, wampe2e_buf_free};
pub use error::wampe2e_result;
pub use group::*;
pub use held::*;
pub use inbound::*;
pub use keyring::*;
pub use keys::*;
pub use payload::*;

use std::os::raw::c_char;

/// Which side of a WAMP interaction the caller is (pass as `uint32_t role`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_role {
    /// Caller or publisher: seals CALL/PUBLISH, opens RESULT/ERROR.
    WAMPE2E_ROLE_ORIGINATOR = 0,
    /// Callee or subscriber: opens INVOCATION/EVENT, seals YIELD/ERROR.
    WAMPE2E_ROLE_RESPONDER = 1,
}

/// The wire dialect (pass as `uint32_t dialect`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_dialect {
    /// Autobahn|Python / Crossbar.io `enc_*` cryptobox (JSON, xsalsa20poly1305).
    WAMPE2E_DIALECT_CRYPTOBOX = 0,
    /// WAMP spec Payload Passthru Mode `ppt_*`.
    WAMPE2E_DIALECT_PPT = 1,
}

/// The plaintext serializer (pass as `uint32_t serializer`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_serializer {
    /// WAMP-JSON.
    WAMPE2E_SERIALIZER_JSON = 0,
    /// CBOR.
    WAMPE2E_SERIALIZER_CBOR = 1,
    /// MessagePack.
    WAMPE2E_SERIALIZER_MSGPACK = 2,
}

/// The cipher (pass as `uint32_t cipher`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_cipher {
    /// XSalsa20-Poly1305 (`crypto_box` with a key pair, secretbox with a data key).
    WAMPE2E_CIPHER_XSALSA20POLY1305 = 0,
    /// AES-256-GCM (data keys only).
    WAMPE2E_CIPHER_AES256GCM = 1,
}

/// The library version, e.g. "0.1.0" (static, NUL-terminated). Compare with the
/// header's `WAMPE2E_VERSION` to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn wampe2e_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static, NUL-terminated description of a result code (any value accepted).
#[no_mangle]
pub extern "C" fn wampe2e_result_message(result: u32) -> *const c_char {
    let text = match wampe2e::ErrorCode::from_u32(result) {
        Some(code) => code.description_nul(),
        None if result == 0 => "ok\0",
        None => "unknown result code\0",
    };
    text.as_ptr().cast()
}

/// Copies the detail message of the last failure on this thread (UTF-8, never
/// containing key material) into `buf`, truncated to `len - 1` bytes and
/// NUL-terminated; `*written` gets the number of bytes copied, excluding the NUL.
/// An empty message means no failure yet. Does not change the last error.
///
/// Errors: `NULL_ARGUMENT` (buf or written), `INVALID_ARGUMENT` (`len == 0`).
///
/// # Safety
/// `buf` valid for `len` bytes; `written` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> wampe2e_result {
    let mut copy = String::new();
    error::with_last_error(|m| copy.push_str(m));
    // Run outside the guard so reporting never overwrites the message it reports.
    if buf.is_null() || written.is_null() {
        return wampe2e_result::WAMPE2E_ERR_NULL_ARGUMENT;
    }
    if len == 0 {
        return wampe2e_result::WAMPE2E_ERR_INVALID_ARGUMENT;
    }
    let mut n = copy.len().min(len - 1);
    while !copy.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: buf holds `len` bytes and n + 1 <= len; written is writable.
    unsafe {
        std::ptr::copy_nonoverlapping(copy.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
        written.write(n);
    }
    wampe2e_result::WAMPE2E_OK
}
