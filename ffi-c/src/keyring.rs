//! `wampe2e_keyring`: an opaque, thread-safe keyring.

use crate::args::{key, obj, opt_key, opt_str, out_ptr, str_arg};
use crate::error::{ffi_guard, wampe2e_result};
use std::os::raw::c_char;
use wampe2e::{BoxKey, DataKey, KeyRing, SecretKey, SymmetricKey};

/// A keyring: URI prefixes and key ids mapped to key entries. Create with
/// `wampe2e_keyring_new`, free with `wampe2e_keyring_free`. All functions taking
/// a `const wampe2e_keyring *` may be called from several threads at once,
/// including while keys are being added or removed.
#[allow(non_camel_case_types)]
pub struct wampe2e_keyring(#[doc(hidden)] pub KeyRing);

/// Creates an empty keyring and writes it to `*out`.
///
/// # Safety
/// `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_new(out: *mut *mut wampe2e_keyring) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        let ring = Box::into_raw(Box::new(wampe2e_keyring(KeyRing::new())));
        // SAFETY: checked non-NULL above.
        unsafe { out.write(ring) };
        Ok(())
    })
}

/// Frees a keyring. NULL is a no-op.
///
/// # Safety
/// `ring` is NULL or came from `wampe2e_keyring_new`, is freed once, and no other
/// thread is using it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_free(ring: *mut wampe2e_keyring) {
    if !ring.is_null() {
        // SAFETY: the caller passes a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(ring) });
    }
}

/// Sets the key-pair entry for URIs starting with `prefix` (`prefix_len == 0`:
/// the default entry, as Autobahn's `set_key("")`). Each key is its 32 raw bytes
/// (length 32) or base64/hex text of them; pass NULL for the keys this peer does not have, as with
/// Autobahn's `Key(originator_priv=, originator_pub=, responder_priv=, responder_pub=)`.
/// A public key given with its secret must match it.
///
/// Errors: `NULL_ARGUMENT` (ring or prefix), `INVALID_UTF8`, `INVALID_KEY`
/// (names the argument), `KEY_INCOMPLETE` (no role can work with these keys).
///
/// # Safety
/// `ring` is a live keyring; each non-NULL string pointer is valid for its length.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_set_box_key(
    ring: *const wampe2e_keyring,
    prefix: *const c_char,
    prefix_len: usize,
    originator_priv: *const c_char,
    originator_priv_len: usize,
    originator_pub: *const c_char,
    originator_pub_len: usize,
    responder_priv: *const c_char,
    responder_priv_len: usize,
    responder_pub: *const c_char,
    responder_pub_len: usize,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract for every pointer.
        let (ring, prefix, op, opub, rp, rpub) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("prefix", prefix, prefix_len)?,
                opt_key("originator_priv", originator_priv, originator_priv_len)?,
                opt_key("originator_pub", originator_pub, originator_pub_len)?,
                opt_key("responder_priv", responder_priv, responder_priv_len)?,
                opt_key("responder_pub", responder_pub, responder_pub_len)?,
            )
        };
        ring.0.set(prefix, BoxKey::from_inputs(op, opub, rp, rpub)?);
        Ok(())
    })
}

/// Sets an entry with one secret key (32 raw bytes, or base64/hex text) used for
/// both roles, as Autobahn's `KeyRing("<base64>")`: every peer holding it can seal and open.
///
/// # Safety
/// As `wampe2e_keyring_set_box_key`.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_set_shared_key(
    ring: *const wampe2e_keyring,
    prefix: *const c_char,
    prefix_len: usize,
    secret: *const c_char,
    secret_len: usize,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (ring, prefix, secret) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("prefix", prefix, prefix_len)?,
                key("secret", secret, secret_len)?,
            )
        };
        let key = BoxKey::from_shared_secret(SecretKey::from_input("secret", secret)?)?;
        ring.0.set(prefix, key);
        Ok(())
    })
}

/// Adds a symmetric data key (32 raw bytes, or base64/hex text) known by `key_id` (sent as
/// `ppt_keyid`). With a non-NULL `prefix` it is also the entry for URIs starting
/// with it; with `prefix == NULL` it is only found by its key id when opening.
///
/// # Safety
/// As `wampe2e_keyring_set_box_key`.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_set_data_key(
    ring: *const wampe2e_keyring,
    prefix: *const c_char,
    prefix_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
    key: *const c_char,
    key_len: usize,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (ring, prefix, key_id, key) = unsafe {
            (
                obj("ring", ring)?,
                opt_str("prefix", prefix, prefix_len)?,
                str_arg("key_id", key_id, key_id_len)?,
                self::key("key", key, key_len)?,
            )
        };
        let entry = SymmetricKey::new(key_id, DataKey::from_input("key", key)?)?;
        match prefix {
            Some(p) => ring.0.set(p, entry),
            None => ring.0.add_symmetric_key(entry),
        }
        Ok(())
    })
}

/// Removes the entry for exactly `prefix` ("" = the default): its keys no longer
/// seal or open anything (revocation). `*removed` (if not NULL) says whether
/// there was one.
///
/// # Safety
/// `ring` is a live keyring; `prefix` valid for `prefix_len` bytes; `removed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_remove(
    ring: *const wampe2e_keyring,
    prefix: *const c_char,
    prefix_len: usize,
    removed: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (ring, prefix) =
            unsafe { (obj("ring", ring)?, str_arg("prefix", prefix, prefix_len)?) };
        let was = ring.0.remove(prefix);
        if !removed.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { removed.write(was) };
        }
        Ok(())
    })
}

/// Removes the data key added with `wampe2e_keyring_set_data_key(ring, NULL, 0,
/// key_id, ...)` (found only by its key id); it no longer opens anything.
/// `*removed` (if not NULL) says whether there was one. Entries set for a prefix
/// are removed with `wampe2e_keyring_remove`.
///
/// Errors: `NULL_ARGUMENT` (ring or key_id), `INVALID_UTF8`.
///
/// # Safety
/// `ring` is a live keyring; `key_id` valid for `key_id_len` bytes; `removed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_remove_key_id(
    ring: *const wampe2e_keyring,
    key_id: *const c_char,
    key_id_len: usize,
    removed: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (ring, key_id) =
            unsafe { (obj("ring", ring)?, str_arg("key_id", key_id, key_id_len)?) };
        let was = ring.0.remove_key_id(key_id);
        if !removed.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { removed.write(was) };
        }
        Ok(())
    })
}

/// Writes to `*expects` whether a message on `uri` must arrive encrypted: the
/// keyring has an entry (or a default) covering it. Data keys found only by key
/// id do not count (they are not bound to URIs). `wampe2e_inbound_decide` uses
/// this in strict mode.
///
/// Errors: `NULL_ARGUMENT` (ring, uri or expects), `INVALID_UTF8`.
///
/// # Safety
/// `ring` is a live keyring; `uri` valid for `uri_len` bytes; `expects` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_keyring_expects_sealed(
    ring: *const wampe2e_keyring,
    uri: *const c_char,
    uri_len: usize,
    expects: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("expects", expects)?;
        // SAFETY: forwarded caller contract.
        let (ring, uri) = unsafe { (obj("ring", ring)?, str_arg("uri", uri, uri_len)?) };
        // SAFETY: checked non-NULL above.
        unsafe { expects.write(ring.0.expects_sealed(uri)) };
        Ok(())
    })
}
