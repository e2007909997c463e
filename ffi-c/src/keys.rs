//! Key generation, Ed25519 → X25519 conversion, and the spec key id.

use crate::args::{key, out_ptr};
use crate::error::{ffi_guard, wampe2e_result};
use std::os::raw::c_char;
use wampe2e::{DataKey, KeyPair, PublicKey};

/// Size of a buffer for a key in base64: 44 characters plus a NUL.
pub const WAMPE2E_KEY_BASE64_SIZE: usize = 45;
/// Size of a buffer for a spec key id: `0x` + 40 hex digits plus a NUL.
pub const WAMPE2E_KEY_ID_SIZE: usize = 43;

/// Writes `text` plus a NUL into a caller buffer of `size` bytes.
///
/// # Safety
/// `out` is non-NULL and valid for `size` bytes; `text.len() < size`.
unsafe fn write_cstr(out: *mut c_char, size: usize, text: &str) {
    debug_assert!(text.len() < size);
    // SAFETY: caller guarantees room for text + NUL.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), out.cast::<u8>(), text.len());
        out.add(text.len()).write(0);
    }
}

/// Writes a key pair as NUL-terminated base64 (44 characters each).
///
/// # Safety
/// Both pointers are non-NULL and valid for `WAMPE2E_KEY_BASE64_SIZE` bytes.
unsafe fn write_pair(pair: &KeyPair, secret_b64: *mut c_char, public_b64: *mut c_char) {
    // SAFETY: forwarded contract; base64 of 32 bytes is 44 characters plus the NUL.
    unsafe {
        write_cstr(
            secret_b64,
            WAMPE2E_KEY_BASE64_SIZE,
            &pair.secret.to_base64(),
        );
        write_cstr(
            public_b64,
            WAMPE2E_KEY_BASE64_SIZE,
            &pair.public.to_base64(),
        );
    }
}

/// Generates an X25519 key pair from the OS RNG and writes both keys as
/// NUL-terminated standard base64 (Autobahn's form) into buffers of
/// `WAMPE2E_KEY_BASE64_SIZE` bytes.
///
/// # Safety
/// Both pointers are valid for `WAMPE2E_KEY_BASE64_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_generate_keypair(
    secret_b64: *mut c_char,
    public_b64: *mut c_char,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("secret_b64", secret_b64)?;
        out_ptr("public_b64", public_b64)?;
        let pair = KeyPair::generate()?;
        // SAFETY: the caller's buffers hold WAMPE2E_KEY_BASE64_SIZE bytes each.
        unsafe { write_pair(&pair, secret_b64, public_b64) };
        Ok(())
    })
}

/// Generates a symmetric 32-byte data key from the OS RNG, as NUL-terminated
/// base64 in a buffer of `WAMPE2E_KEY_BASE64_SIZE` bytes.
///
/// # Safety
/// `key_b64` is valid for `WAMPE2E_KEY_BASE64_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_generate_data_key(key_b64: *mut c_char) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("key_b64", key_b64)?;
        let key = DataKey::generate()?;
        // SAFETY: the buffer holds WAMPE2E_KEY_BASE64_SIZE bytes.
        unsafe { write_cstr(key_b64, WAMPE2E_KEY_BASE64_SIZE, &key.to_base64()) };
        Ok(())
    })
}

/// Converts an Ed25519 (WAMP-cryptosign) 32-byte seed (raw, or base64/hex) into the
/// X25519 key pair libsodium's `crypto_sign_ed25519_sk_to_curve25519` gives,
/// written as NUL-terminated base64 into buffers of `WAMPE2E_KEY_BASE64_SIZE` bytes.
///
/// # Safety
/// `seed` valid for `seed_len` bytes; both outputs valid for `WAMPE2E_KEY_BASE64_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_ed25519_to_x25519(
    seed: *const c_char,
    seed_len: usize,
    secret_b64: *mut c_char,
    public_b64: *mut c_char,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("secret_b64", secret_b64)?;
        out_ptr("public_b64", public_b64)?;
        // SAFETY: forwarded caller contract.
        let seed = unsafe { key("seed", seed, seed_len)? };
        let pair = KeyPair::from_ed25519_seed_input("seed", seed)?;
        // SAFETY: the caller's buffers hold WAMPE2E_KEY_BASE64_SIZE bytes each.
        unsafe { write_pair(&pair, secret_b64, public_b64) };
        Ok(())
    })
}

/// Writes the WAMP spec key id of a public key (32 raw bytes, or base64/hex): `0x` + 40 hex
/// digits with the EIP-55 checksum, NUL-terminated, into a buffer of
/// `WAMPE2E_KEY_ID_SIZE` bytes.
///
/// # Safety
/// `public_key` valid for `public_key_len` bytes; `out` valid for `WAMPE2E_KEY_ID_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_key_id(
    public_key: *const c_char,
    public_key_len: usize,
    out: *mut c_char,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let pk = unsafe { key("public_key", public_key, public_key_len)? };
        let id = PublicKey::from_input("public_key", pk)?.key_id();
        // SAFETY: the buffer holds WAMPE2E_KEY_ID_SIZE bytes; the id is 42.
        unsafe { write_cstr(out, WAMPE2E_KEY_ID_SIZE, &id) };
        Ok(())
    })
}
