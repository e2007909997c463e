//! Envelopes, and sealing/opening payloads given as WAMP-JSON text.

use crate::args::{array, bytes, dialect, obj, opt_str, out_ptr, role, str_arg};
use crate::buf::{give, wampe2e_buf};
use crate::error::{ffi_guard, wampe2e_result};
use crate::keyring::wampe2e_keyring;
use std::os::raw::c_char;
use wampe2e::plaintext::serializer::write_json;
use wampe2e::{Envelope, Error, ErrorCode, Value};

/// A sealed payload plus the attributes that go into the WAMP message's
/// Options/Details. Made by `wampe2e_seal_payload`/`wampe2e_seal_bytes` or from a
/// received message by `wampe2e_envelope_new`; freed by `wampe2e_envelope_free`.
/// Immutable: safe to read from several threads.
#[allow(non_camel_case_types)]
pub struct wampe2e_envelope(Envelope);

/// One received attribute (name and value as UTF-8 with lengths).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_attribute {
    /// Attribute name, e.g. `enc_algo` or `ppt_cipher`.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// Attribute value (string attributes only).
    pub value: *const c_char,
    /// Length of `value` in bytes.
    pub value_len: usize,
}

fn give_envelope(out: *mut *mut wampe2e_envelope, env: Envelope) {
    let p = Box::into_raw(Box::new(wampe2e_envelope(env)));
    // SAFETY: every caller checked `out` non-NULL before doing work.
    unsafe { out.write(p) };
}

/// Builds an envelope from a received message's string attributes (pass all of
/// Options/Details that are strings; others are ignored) and its payload bytes
/// (the bare binary for `enc_*`, the one list element for `ppt_*`).
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ENVELOPE` (neither or both
/// dialects, missing serializer/cipher), `UNKNOWN_SCHEME`, `UNKNOWN_SERIALIZER`,
/// `UNKNOWN_CIPHER`.
///
/// # Safety
/// `attributes` is valid for `count` elements (may be NULL when `count == 0`),
/// each string valid for its length; `payload` valid for `payload_len` bytes;
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_envelope_new(
    attributes: *const wampe2e_attribute,
    count: usize,
    payload: *const u8,
    payload_len: usize,
    out: *mut *mut wampe2e_envelope,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract (valid for `count` elements).
        let attrs = unsafe { array("attributes", attributes, count)? };
        let mut pairs = Vec::with_capacity(attrs.len());
        for a in attrs {
            // SAFETY: each attribute's strings are valid for their lengths.
            let (k, v) = unsafe {
                (
                    str_arg("attribute name", a.name, a.name_len)?,
                    str_arg("attribute value", a.value, a.value_len)?,
                )
            };
            pairs.push((k, v));
        }
        // SAFETY: forwarded caller contract.
        let payload = unsafe { bytes("payload", payload, payload_len)? };
        let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        give_envelope(out, Envelope::from_attributes(get, payload.to_vec())?);
        Ok(())
    })
}

/// Frees an envelope. NULL is a no-op.
///
/// # Safety
/// `env` is NULL or came from libwampe2e and is freed once, with no other thread using it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_envelope_free(env: *mut wampe2e_envelope) {
    if !env.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(env) });
    }
}

/// The sealed payload bytes (borrowed: valid until the envelope is freed), and
/// whether they travel as a one-element Arguments list (`ppt_*`: `[payload]`)
/// rather than as the bare Arguments value (`enc_*`). `in_list` may be NULL.
///
/// # Safety
/// `env` is a live envelope; `ptr` and `len` writable; `in_list` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_envelope_payload(
    env: *const wampe2e_envelope,
    ptr: *mut *const u8,
    len: *mut usize,
    in_list: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("ptr", ptr)?;
        out_ptr("len", len)?;
        // SAFETY: forwarded caller contract.
        let env = unsafe { obj("env", env)? };
        // SAFETY: out-pointers checked non-NULL above; in_list checked here.
        unsafe {
            ptr.write(env.0.payload.as_ptr());
            len.write(env.0.payload.len());
            if !in_list.is_null() {
                in_list.write(env.0.dialect.payload_in_list());
            }
        }
        Ok(())
    })
}

/// The number of attributes to put into Options/Details.
///
/// # Safety
/// `env` is a live envelope; `count` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_envelope_attribute_count(
    env: *const wampe2e_envelope,
    count: *mut usize,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("count", count)?;
        // SAFETY: forwarded caller contract.
        let env = unsafe { obj("env", env)? };
        // SAFETY: `count` checked non-NULL above.
        unsafe { count.write((0..).map_while(|i| env.0.attribute(i)).count()) };
        Ok(())
    })
}

/// Attribute `index` as a string attribute: name and value as UTF-8 with lengths
/// (not NUL-terminated), borrowed until the envelope is freed.
/// Errors: `INVALID_ARGUMENT` when `index >= count`.
///
/// # Safety
/// `env` is a live envelope; the four out-pointers writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_envelope_attribute(
    env: *const wampe2e_envelope,
    index: usize,
    name: *mut *const c_char,
    name_len: *mut usize,
    value: *mut *const c_char,
    value_len: *mut usize,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("name", name)?;
        out_ptr("name_len", name_len)?;
        out_ptr("value", value)?;
        out_ptr("value_len", value_len)?;
        // SAFETY: forwarded caller contract.
        let env = unsafe { obj("env", env)? };
        let (k, v) = env.0.attribute(index).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("index {index}: the envelope has fewer attributes"),
            )
        })?;
        // SAFETY: out-pointers checked above; both strings live as long as the envelope.
        unsafe {
            name.write(k.as_ptr().cast());
            name_len.write(k.len());
            value.write(v.as_ptr().cast());
            value_len.write(v.len());
        }
        Ok(())
    })
}

/// Seals args and kwargs, given as WAMP-JSON text (binary as `"\u0000"` + base64;
/// NULL or `null` for none), for a message on `uri`, with the key the keyring
/// selects for `uri` and `role` (`wampe2e_role`). `dialect`, `serializer` and
/// `cipher` take `wampe2e_dialect`, `wampe2e_serializer` and `wampe2e_cipher`
/// values; CRYPTOBOX takes only JSON and XSALSA20POLY1305.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT`, `INVALID_UTF8`, `INVALID_JSON`,
/// `INVALID_BASE64`, `KEY_NOT_FOUND`, `KEY_INCOMPLETE`, `WRONG_KEY_KIND`,
/// `UNSUPPORTED_VALUE`, `PAYLOAD_TOO_LARGE`, `RANDOM_FAILED`, `KEY_EXHAUSTED`
/// (AES-256-GCM data key past its seal limit).
///
/// # Safety
/// `ring` is a live keyring; strings valid for their lengths (args/kwargs may be
/// NULL); `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_seal_payload(
    ring: *const wampe2e_keyring,
    role_: u32,
    uri: *const c_char,
    uri_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    kwargs_json: *const c_char,
    kwargs_json_len: usize,
    dialect_: u32,
    serializer: u32,
    cipher: u32,
    out: *mut *mut wampe2e_envelope,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (ring, uri, args, kwargs) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("uri", uri, uri_len)?,
                opt_str("args_json", args_json, args_json_len)?,
                opt_str("kwargs_json", kwargs_json, kwargs_json_len)?,
            )
        };
        let (role, dialect) = (role(role_)?, dialect(dialect_, serializer, cipher)?);
        let args = wampe2e::args_from_json("args_json", args)?;
        let kwargs = wampe2e::kwargs_from_json("kwargs_json", kwargs)?;
        let env = wampe2e::seal_payload(
            &ring.0,
            role,
            uri,
            args.as_deref(),
            kwargs.as_ref(),
            dialect,
        )?;
        give_envelope(out, env);
        Ok(())
    })
}

/// Opens `env` received on `uri` as `role`, checking that it was sealed for
/// `uri`. Writes args and kwargs as WAMP-JSON text (`null` when absent) into
/// library-owned buffers; free both with `wampe2e_buf_free`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT`, `INVALID_UTF8`, `KEY_NOT_FOUND`,
/// `KEY_INCOMPLETE`, `WRONG_KEY_KIND`, `TRUNCATED_CIPHERTEXT`, `DECRYPTION_FAILED`,
/// `PAYLOAD_TOO_LARGE`, `INVALID_JSON`/`INVALID_CBOR`/`INVALID_MSGPACK`/
/// `INVALID_BASE64`, `INVALID_PAYLOAD`, `URI_MISMATCH`, `MISSING_URI`,
/// `REFLECTED` (this keyring sealed `env` itself in `role`: the router sent it back).
///
/// # Safety
/// `ring` and `env` are live; `uri` valid for `uri_len` bytes; `args_json` and
/// `kwargs_json` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_open_payload(
    ring: *const wampe2e_keyring,
    role_: u32,
    uri: *const c_char,
    uri_len: usize,
    env: *const wampe2e_envelope,
    args_json: *mut wampe2e_buf,
    kwargs_json: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("args_json", args_json)?;
        out_ptr("kwargs_json", kwargs_json)?;
        // SAFETY: forwarded caller contract.
        let (ring, uri, env) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("uri", uri, uri_len)?,
                obj("env", env)?,
            )
        };
        let p = wampe2e::open_payload(&ring.0, role(role_)?, uri, &env.0)?;
        let mut a = Vec::new();
        write_json(&p.args.map_or(Value::Null, Value::List), &mut a)?;
        let mut k = Vec::new();
        write_json(&p.kwargs.map_or(Value::Null, Value::Map), &mut k)?;
        // SAFETY: both out-pointers checked above; written only on success.
        unsafe {
            give(args_json, a);
            give(kwargs_json, k);
        }
        Ok(())
    })
}

/// Seals bytes the caller serialized itself (no URI binding inside the
/// plaintext: the caller owns its format). Key selection and errors as
/// `wampe2e_seal_payload`.
///
/// # Safety
/// `ring` is live; `uri` and `plaintext` valid for their lengths; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_seal_bytes(
    ring: *const wampe2e_keyring,
    role_: u32,
    uri: *const c_char,
    uri_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    dialect_: u32,
    serializer: u32,
    cipher: u32,
    out: *mut *mut wampe2e_envelope,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (ring, uri, plaintext) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("uri", uri, uri_len)?,
                bytes("plaintext", plaintext, plaintext_len)?,
            )
        };
        let dialect = dialect(dialect_, serializer, cipher)?;
        give_envelope(
            out,
            wampe2e::seal_bytes(&ring.0, role(role_)?, uri, plaintext, dialect)?,
        );
        Ok(())
    })
}

/// Decrypts `env` into the plaintext bytes, without parsing them. Free `out`
/// with `wampe2e_buf_free`. Refuses this keyring's own ciphertext in the role
/// that sealed it (`REFLECTED`), as `wampe2e_open_payload` does.
///
/// # Safety
/// `ring` and `env` are live; `uri` valid for `uri_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_open_bytes(
    ring: *const wampe2e_keyring,
    role_: u32,
    uri: *const c_char,
    uri_len: usize,
    env: *const wampe2e_envelope,
    out: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (ring, uri, env) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("uri", uri, uri_len)?,
                obj("env", env)?,
            )
        };
        let plain = wampe2e::open_bytes(&ring.0, role(role_)?, uri, &env.0)?;
        // SAFETY: checked above.
        unsafe { give(out, plain) };
        Ok(())
    })
}
