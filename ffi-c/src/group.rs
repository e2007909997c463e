//! GS1 group sessions (`docs/gs1.md`): identities, the per-peer `wampe2e_group`,
//! sealing and opening events and calls, replies, and the key procedure.

use crate::args::{array, bytes, key, obj, opt_str, out_ptr, str_arg};
use crate::buf::{give, wampe2e_buf};
use crate::error::{ffi_guard, wampe2e_result};
use crate::payload::wampe2e_attribute;
use std::ffi::c_void;
use std::os::raw::c_char;
use std::sync::{Arc, Mutex};
use wampe2e::group::envelope::{self, Arrived, Attr, Route, WireDialect};
use wampe2e::group::{
    parse_payload, payload_plaintext, wire, Group, Identity, IdentityKey, Invocation, Kind, Params,
    TrustEntry, DEFAULT_KEY_PROCEDURE_BASE,
};
use wampe2e::plaintext::serializer::write_json;
use wampe2e::{Error, ErrorCode, Value};

/// Size of an identity public key or seed, in bytes.
pub const WAMPE2E_IDENTITY_KEY_SIZE: usize = 32;
/// Size of a GS1 session id, in bytes.
pub const WAMPE2E_SESSION_ID_SIZE: usize = 16;
/// Size of a call hash or key request hash (SHA-256), in bytes.
pub const WAMPE2E_HASH_SIZE: usize = 32;
/// Size of a buffer for an identity fingerprint: 64 hex digits plus a NUL.
pub const WAMPE2E_FINGERPRINT_SIZE: usize = 65;
/// Size of a buffer for a GS1 key id (`enc_key`/`ppt_keyid` = hex(session id)):
/// 32 hex digits plus a NUL.
pub const WAMPE2E_GROUP_KEY_ID_SIZE: usize = 33;

/// The GS1 type of a message (pass as `uint32_t kind`); the number is the type byte.
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_group_kind {
    /// PUBLISH → EVENT (a session message).
    WAMPE2E_GROUP_KIND_EVENT = 1,
    /// CALL → INVOCATION (a session message carrying the caller's reply key).
    WAMPE2E_GROUP_KIND_CALL = 2,
    /// YIELD → RESULT, final (a reply).
    WAMPE2E_GROUP_KIND_RESULT = 3,
    /// YIELD → RESULT with `progress: true` (a reply).
    WAMPE2E_GROUP_KIND_PROGRESS = 4,
    /// ERROR answering a CALL (a reply).
    WAMPE2E_GROUP_KIND_ERROR = 5,
}

/// A peer's long-term Ed25519 identity. Made by `wampe2e_identity_generate` or
/// `wampe2e_identity_from_seed`, freed by `wampe2e_identity_free`. Immutable:
/// safe to use from several threads.
#[allow(non_camel_case_types)]
pub struct wampe2e_identity(Identity);

/// One peer's GS1 state: its identity, trust entries, parameters, sender
/// sessions, the sessions it holds, pending key requests and calls. Made by
/// `wampe2e_group_new`, freed by `wampe2e_group_free`. Every function taking a
/// `const wampe2e_group *` may be called from several threads at once.
#[allow(non_camel_case_types)]
pub struct wampe2e_group(pub(crate) Group);

/// What a callee needs to answer a call it opened: made by `wampe2e_group_open`
/// for a CALL, used by `wampe2e_group_seal_reply`, freed by
/// `wampe2e_invocation_free`. Safe to use from several threads.
#[allow(non_camel_case_types)]
pub struct wampe2e_invocation(Mutex<Invocation>);

/// The configurable parameters (docs/gs1.md §9.4). Fill with
/// `wampe2e_group_params_default`, then change what you need.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wampe2e_group_params {
    /// A sender rotates after this many messages (1 … 2^32 − 1; default 10 000).
    pub max_messages: u32,
    /// A sender rotates after this age in milliseconds (at least 1; default one hour).
    pub max_age_ms: u64,
    /// Clock tolerance for key request freshness and session expiry (default 5 min).
    pub max_skew_ms: u64,
    /// How long a superseded session keeps opening (default 10 min).
    pub grace_ms: u64,
    /// How far back, in messages, a key share may start (0 … 65 536; default 64).
    pub share_backlog: u32,
}

impl From<Params> for wampe2e_group_params {
    fn from(p: Params) -> wampe2e_group_params {
        wampe2e_group_params {
            max_messages: p.max_messages,
            max_age_ms: p.max_age_ms,
            max_skew_ms: p.max_skew_ms,
            grace_ms: p.grace_ms,
            share_backlog: p.share_backlog,
        }
    }
}

impl From<wampe2e_group_params> for Params {
    fn from(p: wampe2e_group_params) -> Params {
        Params {
            max_messages: p.max_messages,
            max_age_ms: p.max_age_ms,
            max_skew_ms: p.max_skew_ms,
            grace_ms: p.grace_ms,
            share_backlog: p.share_backlog,
        }
    }
}

/// A sealed event or call (`wampe2e_group_seal`). Free `envelope` with `wampe2e_buf_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_sealed {
    /// The envelope: the whole WAMP payload (one binary, docs/gs1.md §12.1).
    pub envelope: wampe2e_buf,
    /// The key id attribute (`enc_key` / `ppt_keyid`): hex(session_id), NUL-terminated.
    pub key_id: [c_char; WAMPE2E_GROUP_KEY_ID_SIZE],
    /// The session it was sealed under.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
    /// Its index in the session.
    pub index: u32,
    /// Whether it is a call: then `call_hash` names the pending call its replies answer.
    pub is_call: bool,
    /// For a call, SHA-256 of the envelope (pass to `wampe2e_group_open_reply`);
    /// zeros for an event.
    pub call_hash: [u8; WAMPE2E_HASH_SIZE],
}

/// An opened event or call (`wampe2e_group_open`). Free `plaintext` with `wampe2e_buf_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_opened {
    /// The plaintext (docs/gs1.md §13: the CBOR map {"uri", "args", "kwargs"}).
    pub plaintext: wampe2e_buf,
    /// The sender's identity public key (pinned for the URI, and the signer).
    pub sender: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// The session it was sealed under.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
    /// Its index.
    pub index: u32,
    /// The sender's clock at sealing (ms since the Unix epoch).
    pub timestamp_ms: u64,
}

/// An opened reply (`wampe2e_group_open_reply`). Free `plaintext` with `wampe2e_buf_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_reply {
    /// The plaintext (docs/gs1.md §13).
    pub plaintext: wampe2e_buf,
    /// The callee that signed it.
    pub callee: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// `wampe2e_group_kind`: RESULT, PROGRESS or ERROR.
    pub kind: u32,
    /// Its sequence number (0, 1, … per call).
    pub seq: u32,
}

/// A key request (`wampe2e_group_key_request`). Free `request` with `wampe2e_buf_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_key_request {
    /// The request: the one binary argument of the CALL to the target's key procedure.
    pub request: wampe2e_buf,
    /// SHA-256 of the request: names the pending request for
    /// `wampe2e_group_accept_key_response` and `wampe2e_group_cancel_key_request`.
    pub request_hash: [u8; WAMPE2E_HASH_SIZE],
}

/// The session an accepted key response gave (`wampe2e_group_accept_key_response`).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_accepted {
    /// The sender whose session it is.
    pub sender: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// The session id.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
    /// The first index it opens.
    pub index: u32,
    /// The session's not-after time (ms since the Unix epoch).
    pub not_after_ms: u64,
}

/// The clear header of an event or call envelope, read without verifying
/// anything (`wampe2e_group_envelope_header`): a hint for asking the sender for
/// its session after `WAMPE2E_ERR_UNKNOWN_SESSION`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_header {
    /// The claimed sender.
    pub sender: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// The session id.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
    /// The message index.
    pub index: u32,
    /// The sender's clock at sealing.
    pub timestamp_ms: u64,
}

/// A sender's current session for a prefix, without its keys.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_session {
    /// The session id.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
    /// The index the next message will use.
    pub next: u32,
    /// The oldest index a key share may start at.
    pub base: u32,
    /// The sender's clock when it made the session.
    pub created_ms: u64,
    /// `created_ms + max_age_ms`.
    pub not_after_ms: u64,
}

/// Counters of a group's state.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_stats {
    /// Session records the inbound store holds.
    pub sessions_held: usize,
    /// Calls awaiting their final reply.
    pub pending_calls: usize,
    /// Key requests awaiting their response.
    pub pending_key_requests: usize,
}

/// What `wampe2e_invocation_info` reports.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_invocation_info {
    /// The caller's identity public key (pinned for the procedure, and the signer).
    pub caller: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// SHA-256 of the call envelope.
    pub call_hash: [u8; WAMPE2E_HASH_SIZE],
    /// The sequence number the next reply will carry.
    pub next_seq: u32,
    /// Whether the final reply (RESULT or ERROR) was sealed.
    pub finished: bool,
}

/// Decides whether a requester may receive a session of `prefix` (UTF-8, not
/// NUL-terminated) when answering a key request; `requester` points to its 32-byte
/// identity key. Called from whichever thread calls
/// `wampe2e_group_answer_key_request`, with no lock held; must not unwind.
#[allow(non_camel_case_types)]
pub type wampe2e_authorize_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        requester: *const u8,
        prefix: *const c_char,
        prefix_len: usize,
    ) -> bool,
>;

// ------------------------------------------------------------------ helpers

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, message)
}

/// `wampe2e_group_kind` as received.
pub(crate) fn group_kind(value: u32) -> Result<Kind, Error> {
    u8::try_from(value)
        .ok()
        .and_then(Kind::from_u8)
        .ok_or_else(|| invalid(format!("kind: {value} is not a valid value")))
}

/// An identity public key from `(ptr, len)`: 32 raw bytes, or base64/hex text.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes.
unsafe fn identity_key(what: &str, ptr: *const u8, len: usize) -> Result<IdentityKey, Error> {
    // SAFETY: forwarded caller contract.
    let k = unsafe { key(what, ptr.cast(), len)? };
    IdentityKey::from_input(what, k)
}

/// `count` identity keys of 32 raw bytes each, back to back at `ptr`.
///
/// # Safety
/// `ptr` is NULL (only with `count == 0`) or valid for `32 * count` bytes.
unsafe fn identity_keys(
    what: &str,
    ptr: *const u8,
    count: usize,
) -> Result<Vec<IdentityKey>, Error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let len = count
        .checked_mul(WAMPE2E_IDENTITY_KEY_SIZE)
        .ok_or_else(|| invalid(format!("{what}: count {count} too large")))?;
    // SAFETY: forwarded caller contract.
    let all = unsafe { bytes(what, ptr, len)? };
    Ok(all
        .chunks_exact(WAMPE2E_IDENTITY_KEY_SIZE)
        .map(|c| {
            let mut k = [0u8; WAMPE2E_IDENTITY_KEY_SIZE];
            k.copy_from_slice(c);
            IdentityKey::from_bytes(&k)
        })
        .collect())
}

/// A fixed-size value (hash, session id) from `(ptr, len)`; another length is
/// `INVALID_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes.
unsafe fn fixed<const N: usize>(what: &str, ptr: *const u8, len: usize) -> Result<[u8; N], Error> {
    // SAFETY: forwarded caller contract.
    let b = unsafe { bytes(what, ptr, len)? };
    b.try_into()
        .map_err(|_| invalid(format!("{what}: {len} bytes, expected {N}")))
}

/// Copies `N` bytes to a caller buffer.
///
/// # Safety
/// `out` is non-NULL (checked) and valid for `N` bytes.
unsafe fn write_bytes<const N: usize>(out: *mut u8, value: &[u8; N]) {
    // SAFETY: forwarded caller contract.
    unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), out, N) };
}

/// Writes a value to a checked out-pointer.
///
/// # Safety
/// `out` is non-NULL (checked) and valid for writes.
unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: forwarded caller contract.
    unsafe { out.write(value) };
}

fn c_text<const N: usize>(text: &str) -> [c_char; N] {
    let mut a = [0 as c_char; N];
    for (d, s) in a.iter_mut().zip(text.bytes().take(N - 1)) {
        *d = s as c_char;
    }
    a
}

// ----------------------------------------------------------------- plaintext

/// Builds the plaintext of docs/gs1.md §13.1 (the CBOR map {"uri", "args",
/// "kwargs"}) from args and kwargs given as WAMP-JSON text (binary as
/// `"\u0000"` + base64; NULL or `null` for none), for a message on `uri` (for an
/// ERROR reply: the error URI). Free `out` with `wampe2e_buf_free`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_JSON`, `INVALID_BASE64`,
/// `UNSUPPORTED_VALUE`, `PAYLOAD_TOO_LARGE`.
///
/// # Safety
/// `uri` valid for `uri_len` bytes; `args_json`/`kwargs_json` NULL or valid for
/// their lengths; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_plaintext_from_json(
    uri: *const c_char,
    uri_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    kwargs_json: *const c_char,
    kwargs_json_len: usize,
    out: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (uri, args, kwargs) = unsafe {
            (
                str_arg("uri", uri, uri_len)?,
                opt_str("args_json", args_json, args_json_len)?,
                opt_str("kwargs_json", kwargs_json, kwargs_json_len)?,
            )
        };
        let args = wampe2e::args_from_json("args_json", args)?;
        let kwargs = wampe2e::kwargs_from_json("kwargs_json", kwargs)?;
        let plain = payload_plaintext(uri, args.as_deref(), kwargs.as_ref())?;
        // SAFETY: checked non-NULL above.
        unsafe { give(out, plain) };
        Ok(())
    })
}

/// Parses an opened plaintext (docs/gs1.md §13.1), checks that it was sealed for
/// `uri` (the URI the message was opened for; for an ERROR reply its error URI),
/// and writes args and kwargs as WAMP-JSON text (`null` when absent) into
/// library-owned buffers; free both with `wampe2e_buf_free`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_CBOR`, `INVALID_PAYLOAD`,
/// `UNSUPPORTED_VALUE`, `MISSING_URI`, `URI_MISMATCH`.
///
/// # Safety
/// `uri` and `plaintext` valid for their lengths; `args_json` and `kwargs_json` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_plaintext_to_json(
    uri: *const c_char,
    uri_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    args_json: *mut wampe2e_buf,
    kwargs_json: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("args_json", args_json)?;
        out_ptr("kwargs_json", kwargs_json)?;
        // SAFETY: forwarded caller contract.
        let (uri, plaintext) = unsafe {
            (
                str_arg("uri", uri, uri_len)?,
                bytes("plaintext", plaintext, plaintext_len)?,
            )
        };
        let p = parse_payload(uri, plaintext)?;
        let mut a = Vec::new();
        write_json(&p.args.map_or(Value::Null, Value::List), &mut a)?;
        let mut k = Vec::new();
        write_json(&p.kwargs.map_or(Value::Null, Value::Map), &mut k)?;
        // SAFETY: both checked non-NULL above; written only on success.
        unsafe {
            give(args_json, a);
            give(kwargs_json, k);
        }
        Ok(())
    })
}

// ---------------------------------------------------------------- identities

/// Generates an identity from the OS RNG and writes it to `*out`.
///
/// Errors: `NULL_ARGUMENT`, `RANDOM_FAILED`.
///
/// # Safety
/// `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_generate(
    out: *mut *mut wampe2e_identity,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        let id = Identity::generate()?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, Box::into_raw(Box::new(wampe2e_identity(id)))) };
        Ok(())
    })
}

/// The identity of a 32-byte Ed25519 seed (32 raw bytes, or base64/hex text):
/// the same seed always gives the same identity (store it to keep one).
///
/// Errors: `NULL_ARGUMENT`, `INVALID_KEY`.
///
/// # Safety
/// `seed` valid for `seed_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_from_seed(
    seed: *const c_char,
    seed_len: usize,
    out: *mut *mut wampe2e_identity,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let seed = unsafe { key("seed", seed, seed_len)? };
        let id = Identity::from_input("seed", seed)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, Box::into_raw(Box::new(wampe2e_identity(id)))) };
        Ok(())
    })
}

/// The identity derived from a WAMP-cryptosign seed (32 raw bytes, or
/// base64/hex text as cryptosign key files hold it): `HKDF-SHA256(ikm = seed,
/// info = "wampe2e/gs1/identity")` (docs/gs1.md §5), never the seed itself, so
/// that no GS1 signature can stand for a cryptosign one. Peers pin its public key.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_KEY`.
///
/// # Safety
/// `cryptosign_seed` valid for `seed_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_from_cryptosign_seed(
    cryptosign_seed: *const c_char,
    seed_len: usize,
    out: *mut *mut wampe2e_identity,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let input = unsafe { key("cryptosign_seed", cryptosign_seed, seed_len)? };
        let seed = input.decode("cryptosign_seed")?;
        let id = Identity::from_cryptosign_seed(&seed);
        // SAFETY: checked non-NULL above.
        unsafe { put(out, Box::into_raw(Box::new(wampe2e_identity(id)))) };
        Ok(())
    })
}

/// Frees an identity. NULL is a no-op.
///
/// # Safety
/// `identity` is NULL or came from libwampe2e, is freed once, and no other thread uses it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_free(identity: *mut wampe2e_identity) {
    if !identity.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(identity) });
    }
}

/// Writes the identity's 32-byte public key (what peers pin in their entries).
///
/// # Safety
/// `identity` is live; `out` valid for `WAMPE2E_IDENTITY_KEY_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_public_key(
    identity: *const wampe2e_identity,
    out: *mut u8,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let id = unsafe { obj("identity", identity)? };
        // SAFETY: checked non-NULL; 32 bytes per the contract.
        unsafe { write_bytes(out, id.0.public().as_bytes()) };
        Ok(())
    })
}

/// Writes the identity's 32-byte secret seed (to store it; keep it secret).
///
/// # Safety
/// `identity` is live; `out` valid for `WAMPE2E_IDENTITY_KEY_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_seed(
    identity: *const wampe2e_identity,
    out: *mut u8,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let id = unsafe { obj("identity", identity)? };
        // SAFETY: checked non-NULL; 32 bytes per the contract.
        unsafe { write_bytes(out, &id.0.seed()) };
        Ok(())
    })
}

/// Writes the fingerprint of an identity public key (32 raw bytes, or
/// base64/hex): 64 lowercase hex digits, NUL-terminated, into a buffer of
/// `WAMPE2E_FINGERPRINT_SIZE` bytes.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_KEY`.
///
/// # Safety
/// `public_key` valid for `public_key_len` bytes; `out` valid for `WAMPE2E_FINGERPRINT_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_fingerprint(
    public_key: *const u8,
    public_key_len: usize,
    out: *mut c_char,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let pk = unsafe { identity_key("public_key", public_key, public_key_len)? };
        let text: [c_char; WAMPE2E_FINGERPRINT_SIZE] = c_text(&pk.fingerprint());
        // SAFETY: checked non-NULL; WAMPE2E_FINGERPRINT_SIZE bytes per the contract.
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), out, WAMPE2E_FINGERPRINT_SIZE) };
        Ok(())
    })
}

/// Writes the key procedure of an identity public key (32 raw bytes, or
/// base64/hex): `<base>.<fingerprint>` (UTF-8 in a library-owned buffer, not
/// NUL-terminated; free it with `wampe2e_buf_free`). `base` NULL means
/// `wampe2e.key`. The owner registers it; peers call it with key requests.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_KEY`, `INVALID_UTF8`.
///
/// # Safety
/// `public_key` valid for `public_key_len` bytes; `base` NULL or valid for `base_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_identity_key_procedure(
    public_key: *const u8,
    public_key_len: usize,
    base: *const c_char,
    base_len: usize,
    out: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (pk, base) = unsafe {
            (
                identity_key("public_key", public_key, public_key_len)?,
                opt_str("base", base, base_len)?,
            )
        };
        let uri = pk.key_procedure(base.unwrap_or(DEFAULT_KEY_PROCEDURE_BASE));
        // SAFETY: checked non-NULL above.
        unsafe { give(out, uri.into_bytes()) };
        Ok(())
    })
}

// -------------------------------------------------------------------- groups

/// Writes the default parameters (docs/gs1.md §9.4) into `*out`.
///
/// # Safety
/// `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_params_default(
    out: *mut wampe2e_group_params,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, Params::default().into()) };
        Ok(())
    })
}

/// Creates a peer's group state with a copy of `identity` (free the identity
/// whenever you like), no entries, and `params` (NULL: the defaults).
///
/// Errors: `NULL_ARGUMENT` (identity or out), `INVALID_ARGUMENT` (a parameter
/// out of range: `max_messages` or `max_age_ms` 0, `share_backlog` above 65 536).
///
/// # Safety
/// `identity` is live; `params` NULL or readable; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_new(
    identity: *const wampe2e_identity,
    params: *const wampe2e_group_params,
    out: *mut *mut wampe2e_group,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (id, params) = unsafe { (obj("identity", identity)?, params.as_ref()) };
        let params = params.map_or_else(Params::default, |p| (*p).into());
        let group = Group::with_params(id.0.clone(), params)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, Box::into_raw(Box::new(wampe2e_group(group)))) };
        Ok(())
    })
}

/// Frees a group, erasing its keys. NULL is a no-op.
///
/// # Safety
/// `group` is NULL or came from `wampe2e_group_new`, is freed once, and no other thread uses it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_free(group: *mut wampe2e_group) {
    if !group.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(group) });
    }
}

/// Writes the group's own 32-byte identity public key.
///
/// # Safety
/// `group` is live; `out` valid for `WAMPE2E_IDENTITY_KEY_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_public_key(
    group: *const wampe2e_group,
    out: *mut u8,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let g = unsafe { obj("group", group)? };
        // SAFETY: checked non-NULL; 32 bytes per the contract.
        unsafe { write_bytes(out, g.0.public().as_bytes()) };
        Ok(())
    })
}

/// Sets the trust entry for URIs starting with `prefix` (docs/gs1.md §6),
/// replacing any: the identities that may send (seal events and calls, answer
/// key requests) and receive (get the sessions, sign replies) on them.
/// `senders` and `receivers` are `count` 32-byte public keys back to back (NULL
/// when the count is 0). If the new entry drops a receiver, the prefix's current
/// session is revoked: the next seal starts a new one.
///
/// Errors: `NULL_ARGUMENT` (group, prefix, or a key array with a count), `INVALID_UTF8`.
///
/// # Safety
/// `group` is live; `prefix` valid for `prefix_len` bytes; `senders` and
/// `receivers` valid for `32 * count` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_set_entry(
    group: *const wampe2e_group,
    prefix: *const c_char,
    prefix_len: usize,
    senders: *const u8,
    senders_count: usize,
    receivers: *const u8,
    receivers_count: usize,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, prefix, senders, receivers) = unsafe {
            (
                obj("group", group)?,
                str_arg("prefix", prefix, prefix_len)?,
                identity_keys("senders", senders, senders_count)?,
                identity_keys("receivers", receivers, receivers_count)?,
            )
        };
        g.0.set_entry(TrustEntry::new(prefix, senders, receivers));
        Ok(())
    })
}

/// Removes the entry for exactly `prefix` and discards its current session.
/// `*removed` (if not NULL) says whether there was one.
///
/// # Safety
/// `group` is live; `prefix` valid for `prefix_len` bytes; `removed` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_remove_entry(
    group: *const wampe2e_group,
    prefix: *const c_char,
    prefix_len: usize,
    removed: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, prefix) = unsafe { (obj("group", group)?, str_arg("prefix", prefix, prefix_len)?) };
        let was = g.0.remove_entry(prefix);
        if !removed.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { removed.write(was) };
        }
        Ok(())
    })
}

/// Writes the prefix of the entry that covers `uri` (the longest prefix of it),
/// UTF-8 in a library-owned buffer; the prefix to pass to
/// `wampe2e_group_key_request`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `KEY_NOT_FOUND` (no entry covers `uri`).
///
/// # Safety
/// `group` is live; `uri` valid for `uri_len` bytes; `prefix` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_select(
    group: *const wampe2e_group,
    uri: *const c_char,
    uri_len: usize,
    prefix: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("prefix", prefix)?;
        // SAFETY: forwarded caller contract.
        let (g, uri) = unsafe { (obj("group", group)?, str_arg("uri", uri, uri_len)?) };
        let entry = g.0.select(uri).ok_or_else(|| {
            Error::new(ErrorCode::KeyNotFound, format!("no entry covers {uri:?}"))
        })?;
        // SAFETY: checked non-NULL above.
        unsafe { give(prefix, entry.prefix.into_bytes()) };
        Ok(())
    })
}

struct AuthorizeCallback {
    f: unsafe extern "C" fn(*mut c_void, *const u8, *const c_char, usize) -> bool,
    ctx: *mut c_void,
}

impl AuthorizeCallback {
    fn call(&self, who: &IdentityKey, prefix: &str) -> bool {
        // SAFETY: the caller of wampe2e_group_set_authorize guarantees the callback
        // and ctx are valid and thread-safe; both pointers live for the call.
        unsafe {
            (self.f)(
                self.ctx,
                who.as_bytes().as_ptr(),
                prefix.as_ptr().cast(),
                prefix.len(),
            )
        }
    }
}

// SAFETY: the caller of wampe2e_group_set_authorize guarantees that the callback
// and its context may be used from any thread.
unsafe impl Send for AuthorizeCallback {}
// SAFETY: as above.
unsafe impl Sync for AuthorizeCallback {}

/// Sets the authorization callback asked when answering key requests, on top of
/// the entry's receivers (docs/gs1.md §6); `callback` NULL admits every receiver.
/// `ctx` is passed back to it. Changing it does not rotate: when it stops
/// admitting someone, call `wampe2e_group_rotate`.
///
/// # Safety
/// `group` is live. The callback and `ctx` stay valid, and may be used from any
/// thread, until the group is freed or another callback is set.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_set_authorize(
    group: *const wampe2e_group,
    callback: wampe2e_authorize_fn,
    ctx: *mut c_void,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let g = unsafe { obj("group", group)? };
        let authorize = callback.map(|f| {
            let cb = AuthorizeCallback { f, ctx };
            let a: wampe2e::group::Authorize =
                Arc::new(move |who: &IdentityKey, prefix: &str| cb.call(who, prefix));
            a
        });
        g.0.set_authorize(authorize);
        Ok(())
    })
}

/// Marks the current session of exactly `prefix` for rotation: the next seal or
/// answer starts a new session. `*rotated` (if not NULL) says whether there was one.
///
/// # Safety
/// `group` is live; `prefix` valid for `prefix_len` bytes; `rotated` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_rotate(
    group: *const wampe2e_group,
    prefix: *const c_char,
    prefix_len: usize,
    rotated: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, prefix) = unsafe { (obj("group", group)?, str_arg("prefix", prefix, prefix_len)?) };
        let was = g.0.rotate(prefix);
        if !rotated.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { rotated.write(was) };
        }
        Ok(())
    })
}

/// Writes whether exactly `prefix` has a current sender session (`*found`) and,
/// if so, its description (`*session`, written only then).
///
/// # Safety
/// `group` is live; `prefix` valid for `prefix_len` bytes; `found` and `session` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_current_session(
    group: *const wampe2e_group,
    prefix: *const c_char,
    prefix_len: usize,
    found: *mut bool,
    session: *mut wampe2e_group_session,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("found", found)?;
        out_ptr("session", session)?;
        // SAFETY: forwarded caller contract.
        let (g, prefix) = unsafe { (obj("group", group)?, str_arg("prefix", prefix, prefix_len)?) };
        let info = g.0.current_session(prefix);
        // SAFETY: both checked non-NULL above.
        unsafe {
            found.write(info.is_some());
            if let Some(s) = info {
                session.write(wampe2e_group_session {
                    session_id: s.session_id,
                    next: s.next,
                    base: s.base,
                    created_ms: s.created_ms,
                    not_after_ms: s.not_after_ms,
                });
            }
        }
        Ok(())
    })
}

/// Writes counters of the group's state.
///
/// # Safety
/// `group` is live; `stats` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_get_stats(
    group: *const wampe2e_group,
    stats: *mut wampe2e_group_stats,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("stats", stats)?;
        // SAFETY: forwarded caller contract.
        let g = unsafe { obj("group", group)? };
        let s = wampe2e_group_stats {
            sessions_held: g.0.sessions_held(),
            pending_calls: g.0.pending_calls(),
            pending_key_requests: g.0.pending_key_requests(),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(stats, s) };
        Ok(())
    })
}

// ------------------------------------------------------------ events, calls

/// Seals an event or call (`kind` EVENT or CALL) on `uri` under the current
/// session of the entry covering `uri`, starting a new session when none is
/// current or rotation is due. `plaintext` is docs/gs1.md §13's CBOR map
/// {"uri", "args", "kwargs"}; `now_ms` is the clock (ms since the Unix epoch).
/// A call stays pending, named by `sealed->call_hash`, until its final reply
/// opens or `wampe2e_group_forget_call`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT` (kind out of
/// range or a reply kind), `PAYLOAD_TOO_LARGE`, `KEY_NOT_FOUND` (no entry covers
/// `uri`), `RANDOM_FAILED`.
///
/// # Safety
/// `group` is live; `uri` and `plaintext` valid for their lengths; `sealed` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_seal(
    group: *const wampe2e_group,
    uri: *const c_char,
    uri_len: usize,
    kind: u32,
    plaintext: *const u8,
    plaintext_len: usize,
    now_ms: u64,
    sealed: *mut wampe2e_group_sealed,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("sealed", sealed)?;
        // SAFETY: forwarded caller contract.
        let (g, uri, plaintext) = unsafe {
            (
                obj("group", group)?,
                str_arg("uri", uri, uri_len)?,
                bytes("plaintext", plaintext, plaintext_len)?,
            )
        };
        let m = g.0.seal(uri, group_kind(kind)?, plaintext, now_ms)?;
        let out = wampe2e_group_sealed {
            key_id: c_text(&m.key_id()),
            session_id: m.session_id,
            index: m.index,
            is_call: m.call_hash.is_some(),
            call_hash: m.call_hash.unwrap_or_default(),
            envelope: wampe2e_buf::from_vec(m.envelope),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(sealed, out) };
        Ok(())
    })
}

/// Opens an event or call that arrived for `uri` (`kind`: EVENT for an EVENT,
/// CALL for an INVOCATION). `key_id` is the message's `enc_key`/`ppt_keyid`
/// attribute (NULL if absent). On success writes `*opened` and, when `invocation`
/// is not NULL, `*invocation`: NULL for an event, for a call a new handle that
/// `wampe2e_group_seal_reply` answers (free it with `wampe2e_invocation_free`).
/// Nothing changes on failure.
///
/// Errors, in check order: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT`;
/// `PAYLOAD_TOO_LARGE`; `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND`;
/// `KEY_ID_MISMATCH`; `KEY_NOT_FOUND`; `UNTRUSTED_SENDER`; `BAD_SIGNATURE`;
/// `UNKNOWN_SESSION` (ask the sender: `wampe2e_group_envelope_header` +
/// `wampe2e_group_key_request`); `PATTERN_MISMATCH`; `SESSION_EXPIRED`;
/// `TOO_OLD`, `REPLAYED`, `INDEX_JUMP`; `DECRYPTION_FAILED`.
///
/// # Safety
/// `group` is live; `uri`, `key_id` (or NULL) and `envelope` valid for their
/// lengths; `opened` writable; `invocation` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_open(
    group: *const wampe2e_group,
    uri: *const c_char,
    uri_len: usize,
    kind: u32,
    key_id: *const c_char,
    key_id_len: usize,
    envelope: *const u8,
    envelope_len: usize,
    now_ms: u64,
    opened: *mut wampe2e_group_opened,
    invocation: *mut *mut wampe2e_invocation,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("opened", opened)?;
        // SAFETY: forwarded caller contract.
        let (g, uri, key_id, envelope) = unsafe {
            (
                obj("group", group)?,
                str_arg("uri", uri, uri_len)?,
                opt_str("key_id", key_id, key_id_len)?,
                bytes("envelope", envelope, envelope_len)?,
            )
        };
        let m = g.0.open(uri, group_kind(kind)?, key_id, envelope, now_ms)?;
        let out = wampe2e_group_opened {
            sender: *m.sender.as_bytes(),
            session_id: m.session_id,
            index: m.index,
            timestamp_ms: m.timestamp_ms,
            plaintext: wampe2e_buf::from_vec(m.plaintext),
        };
        // SAFETY: `opened` checked non-NULL above; `invocation` checked here.
        unsafe {
            put(opened, out);
            if !invocation.is_null() {
                let handle = m.invocation.map_or(std::ptr::null_mut(), |i| {
                    Box::into_raw(Box::new(wampe2e_invocation(Mutex::new(i))))
                });
                invocation.write(handle);
            }
        }
        Ok(())
    })
}

/// Reads the clear header of an event or call envelope (`kind` EVENT or CALL)
/// without verifying it: after `WAMPE2E_ERR_UNKNOWN_SESSION`, the sender,
/// session id and index to ask for with `wampe2e_group_key_request`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT`, `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND`.
///
/// # Safety
/// `envelope` valid for `envelope_len` bytes; `header` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_envelope_header(
    envelope: *const u8,
    envelope_len: usize,
    kind: u32,
    header: *mut wampe2e_group_header,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("header", header)?;
        // SAFETY: forwarded caller contract.
        let envelope = unsafe { bytes("envelope", envelope, envelope_len)? };
        let env = wire::parse_session_envelope(envelope, group_kind(kind)?)?;
        let h = env.header;
        let out = wampe2e_group_header {
            sender: *h.sender.as_bytes(),
            session_id: h.session_id,
            index: h.index,
            timestamp_ms: h.timestamp_ms,
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(header, out) };
        Ok(())
    })
}

// ------------------------------------------------------------------- replies

/// Frees an invocation. NULL is a no-op.
///
/// # Safety
/// `invocation` is NULL or came from `wampe2e_group_open`, is freed once, and no other thread uses it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_invocation_free(invocation: *mut wampe2e_invocation) {
    if !invocation.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(invocation) });
    }
}

/// Describes an invocation: its caller, call hash, next reply sequence number
/// and whether its final reply was sealed.
///
/// # Safety
/// `invocation` is live; `info` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_invocation_get_info(
    invocation: *const wampe2e_invocation,
    info: *mut wampe2e_invocation_info,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("info", info)?;
        // SAFETY: forwarded caller contract.
        let inv = unsafe { obj("invocation", invocation)? };
        let i = inv.0.lock().unwrap_or_else(|p| p.into_inner());
        let out = wampe2e_invocation_info {
            caller: *i.caller.as_bytes(),
            call_hash: i.call_hash,
            next_seq: i.next_seq,
            finished: i.finished,
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(info, out) };
        Ok(())
    })
}

/// Seals a reply to `invocation` (docs/gs1.md §10.4): `kind` PROGRESS, or the
/// final RESULT or ERROR (`error_uri` is the ERROR's URI, required for ERROR,
/// ignored otherwise). The reply is the YIELD's or ERROR's one binary argument,
/// without a key id attribute. Advances the invocation's sequence number; a
/// final reply finishes it. `plaintext` is §13's CBOR map (its `uri` is the
/// procedure for a result or progress, the error URI for an error).
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT` (kind out of
/// range or not a reply, finished invocation, ERROR without `error_uri`),
/// `PAYLOAD_TOO_LARGE`, `INVALID_KEY` (the caller's reply key has small order),
/// `RANDOM_FAILED`.
///
/// # Safety
/// `group` and `invocation` are live; `error_uri` NULL or valid for its length;
/// `plaintext` valid for its length; `reply` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_seal_reply(
    group: *const wampe2e_group,
    invocation: *const wampe2e_invocation,
    kind: u32,
    error_uri: *const c_char,
    error_uri_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    reply: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("reply", reply)?;
        // SAFETY: forwarded caller contract.
        let (g, inv, error_uri, plaintext) = unsafe {
            (
                obj("group", group)?,
                obj("invocation", invocation)?,
                opt_str("error_uri", error_uri, error_uri_len)?,
                bytes("plaintext", plaintext, plaintext_len)?,
            )
        };
        let kind = group_kind(kind)?;
        let mut i = inv.0.lock().unwrap_or_else(|p| p.into_inner());
        let sealed = g.0.seal_reply(&mut i, kind, error_uri, plaintext)?;
        // SAFETY: checked non-NULL above.
        unsafe { give(reply, sealed) };
        Ok(())
    })
}

/// Opens a reply to the pending call named `call_hash` (32 bytes, from
/// `wampe2e_group_seal`): `kind` RESULT (or PROGRESS when the RESULT has
/// `progress: true`) or ERROR with its `error_uri`; `key_id` the message's key id
/// attribute (NULL if absent: a reply carries none). A final reply ends the call.
///
/// Errors, in check order: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT`;
/// `PAYLOAD_TOO_LARGE`; `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND`;
/// `KEY_ID_MISMATCH`; `UNSOLICITED`; `KEY_NOT_FOUND`; `UNTRUSTED_SENDER`;
/// `BAD_SIGNATURE`; `REPLAYED`; `OUT_OF_ORDER`; `DECRYPTION_FAILED`;
/// `INVALID_ARGUMENT` for an ERROR without its URI.
///
/// # Safety
/// `group` is live; every pointer NULL (where allowed) or valid for its length; `opened` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_open_reply(
    group: *const wampe2e_group,
    call_hash: *const u8,
    call_hash_len: usize,
    kind: u32,
    error_uri: *const c_char,
    error_uri_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
    envelope: *const u8,
    envelope_len: usize,
    opened: *mut wampe2e_group_reply,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("opened", opened)?;
        // SAFETY: forwarded caller contract.
        let (g, call_hash, error_uri, key_id, envelope) = unsafe {
            (
                obj("group", group)?,
                fixed::<WAMPE2E_HASH_SIZE>("call_hash", call_hash, call_hash_len)?,
                opt_str("error_uri", error_uri, error_uri_len)?,
                opt_str("key_id", key_id, key_id_len)?,
                bytes("envelope", envelope, envelope_len)?,
            )
        };
        let r =
            g.0.open_reply(&call_hash, group_kind(kind)?, error_uri, key_id, envelope)?;
        let out = wampe2e_group_reply {
            callee: *r.callee.as_bytes(),
            kind: u32::from(r.kind.as_u8()),
            seq: r.seq,
            plaintext: wampe2e_buf::from_vec(r.plaintext),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(opened, out) };
        Ok(())
    })
}

/// Forgets a pending call (timed out or cancelled), erasing its reply secret.
/// `*forgotten` (if not NULL) says whether it was pending.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`call_hash_len` not 32).
///
/// # Safety
/// `group` is live; `call_hash` valid for `call_hash_len` bytes; `forgotten` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_forget_call(
    group: *const wampe2e_group,
    call_hash: *const u8,
    call_hash_len: usize,
    forgotten: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, h) = unsafe {
            (
                obj("group", group)?,
                fixed::<WAMPE2E_HASH_SIZE>("call_hash", call_hash, call_hash_len)?,
            )
        };
        let was = g.0.forget_call(&h);
        if !forgotten.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { forgotten.write(was) };
        }
        Ok(())
    })
}

// ---------------------------------------------------------- key distribution

/// Makes a signed key request (docs/gs1.md §11.1) to `target` (a 32-byte
/// identity public key, or base64/hex) for its session `session_id` (16 bytes;
/// NULL: its current session for the prefix) from index `from_index` on, for
/// this peer's entry of exactly `prefix`; records it as pending. CALL the
/// target's key procedure (`wampe2e_identity_key_procedure`) with the request as
/// the one binary argument; give the RESULT's binary to
/// `wampe2e_group_accept_key_response`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_KEY`, `INVALID_ARGUMENT`
/// (`session_id_len` not 16), `KEY_NOT_FOUND` (no entry with that prefix),
/// `UNTRUSTED_SENDER` (`target` not among its senders), `RANDOM_FAILED`.
///
/// # Safety
/// `group` is live; every pointer NULL (where allowed) or valid for its length; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_key_request(
    group: *const wampe2e_group,
    target: *const u8,
    target_len: usize,
    session_id: *const u8,
    session_id_len: usize,
    from_index: u32,
    prefix: *const c_char,
    prefix_len: usize,
    now_ms: u64,
    out: *mut wampe2e_key_request,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (g, target, prefix) = unsafe {
            (
                obj("group", group)?,
                identity_key("target", target, target_len)?,
                str_arg("prefix", prefix, prefix_len)?,
            )
        };
        let session_id = if session_id.is_null() {
            [0u8; WAMPE2E_SESSION_ID_SIZE]
        } else {
            // SAFETY: forwarded caller contract.
            unsafe { fixed::<WAMPE2E_SESSION_ID_SIZE>("session_id", session_id, session_id_len)? }
        };
        let req =
            g.0.key_request(&target, session_id, from_index, prefix, now_ms)?;
        let v = wampe2e_key_request {
            request_hash: req.request_hash,
            request: wampe2e_buf::from_vec(req.request),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, v) };
        Ok(())
    })
}

/// Cancels a pending key request (its CALL failed or timed out), erasing its
/// secret. `*cancelled` (if not NULL) says whether it was pending.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`request_hash_len` not 32).
///
/// # Safety
/// `group` is live; `request_hash` valid for its length; `cancelled` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_cancel_key_request(
    group: *const wampe2e_group,
    request_hash: *const u8,
    request_hash_len: usize,
    cancelled: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, h) = unsafe {
            (
                obj("group", group)?,
                fixed::<WAMPE2E_HASH_SIZE>("request_hash", request_hash, request_hash_len)?,
            )
        };
        let was = g.0.cancel_key_request(&h);
        if !cancelled.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { cancelled.write(was) };
        }
        Ok(())
    })
}

/// Answers a key request that reached this peer's key procedure (an INVOCATION
/// of `wampe2e_identity_key_procedure(own key)` with one binary argument): writes
/// the key response, the one binary argument of the YIELD. On an error, answer
/// with the ERROR `wampe2e.error.<code in lower case>` (docs/gs1.md §11.4).
///
/// Errors, in check order: `NULL_ARGUMENT`; `PAYLOAD_TOO_LARGE`; `MALFORMED`,
/// `WRONG_VERSION`, `WRONG_KIND`; `KEY_REFUSED` (not addressed to us);
/// `BAD_SIGNATURE`; `KEY_REQUEST_STALE`; `KEY_REFUSED` (no such entry, not a
/// receiver, refused by the callback); `UNKNOWN_SESSION`; `INVALID_KEY`;
/// `RANDOM_FAILED`.
///
/// # Safety
/// `group` is live; `request` valid for `request_len` bytes; `response` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_answer_key_request(
    group: *const wampe2e_group,
    request: *const u8,
    request_len: usize,
    now_ms: u64,
    response: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("response", response)?;
        // SAFETY: forwarded caller contract.
        let (g, request) = unsafe {
            (
                obj("group", group)?,
                bytes("request", request, request_len)?,
            )
        };
        let r = g.0.answer_key_request(request, now_ms)?;
        // SAFETY: checked non-NULL above.
        unsafe { give(response, r) };
        Ok(())
    })
}

/// Accepts the response to the pending key request named `request_hash`: the
/// session is then held and its messages open. The pending request is removed
/// only on success (a forged response cancels nothing). `accepted` may be NULL.
///
/// Errors, in check order: `NULL_ARGUMENT`, `INVALID_ARGUMENT`;
/// `PAYLOAD_TOO_LARGE`; `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND`;
/// `UNSOLICITED`; `KEY_NOT_FOUND`; `UNTRUSTED_SENDER`; `BAD_SIGNATURE`;
/// `DECRYPTION_FAILED`; the share's `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND`;
/// `SHARE_MISMATCH`; `SESSION_EXPIRED`.
///
/// # Safety
/// `group` is live; `request_hash` and `response` valid for their lengths;
/// `accepted` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_accept_key_response(
    group: *const wampe2e_group,
    request_hash: *const u8,
    request_hash_len: usize,
    response: *const u8,
    response_len: usize,
    now_ms: u64,
    accepted: *mut wampe2e_group_accepted,
) -> wampe2e_result {
    ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let (g, h, response) = unsafe {
            (
                obj("group", group)?,
                fixed::<WAMPE2E_HASH_SIZE>("request_hash", request_hash, request_hash_len)?,
                bytes("response", response, response_len)?,
            )
        };
        let a = g.0.accept_key_response(&h, response, now_ms)?;
        if !accepted.is_null() {
            let out = wampe2e_group_accepted {
                sender: *a.sender.as_bytes(),
                session_id: a.session_id,
                index: a.index,
                not_after_ms: a.not_after_ms,
            };
            // SAFETY: non-NULL and writable per the contract.
            unsafe { put(accepted, out) };
        }
        Ok(())
    })
}

// ------------------------------------------------------------------ the wire

/// Where a GS1 envelope travels (docs/gs1.md §12.1; pass as `uint32_t wire`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wampe2e_group_wire {
    /// Autobahn/Crossbar `enc_*`: the envelope as the one bare binary at the
    /// Arguments position, no ArgumentsKw.
    WAMPE2E_GROUP_WIRE_ENC = 0,
    /// Payload Passthru `ppt_*`: `Arguments = [envelope]`, no ArgumentsKw.
    WAMPE2E_GROUP_WIRE_PPT = 1,
}

/// What the attributes of an arriving message say (pass as `uint32_t scheme`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wampe2e_group_scheme {
    /// No `enc_algo` and no `ppt_scheme`: plaintext.
    WAMPE2E_GROUP_SCHEME_PLAIN = 0,
    /// Another dialect (cryptobox, ppt `wamp`, …): the keyring's business.
    WAMPE2E_GROUP_SCHEME_OTHER = 1,
    /// A GS1 envelope, at the payload position of the arrival's `wire`.
    WAMPE2E_GROUP_SCHEME_GS1 = 2,
}

/// What `wampe2e_group_read_attributes` found. Free `key_id` with `wampe2e_buf_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_group_arrival {
    /// `enc_key`/`ppt_keyid` (UTF-8, not NUL-terminated) for a GS1 envelope that
    /// carries one (pass it to `wampe2e_group_open`); `{NULL, 0}` otherwise.
    pub key_id: wampe2e_buf,
    /// `wampe2e_group_scheme`.
    pub scheme: u32,
    /// `wampe2e_group_wire`, for `WAMPE2E_GROUP_SCHEME_GS1` (0 otherwise).
    pub wire: u32,
}

/// What to do with an arriving message (`wampe2e_group_route`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wampe2e_group_routing {
    /// A GS1 envelope: open it (`wampe2e_group_open`, or `wampe2e_group_open_reply`
    /// for an answer to our GS1 call).
    WAMPE2E_GROUP_ROUTE_OPEN = 0,
    /// Deliver the plaintext as it is.
    WAMPE2E_GROUP_ROUTE_PLAIN = 1,
    /// A key procedure URI (`<base>.…`): never sealed, never strict; deliver it.
    WAMPE2E_GROUP_ROUTE_EXEMPT = 2,
    /// No GS1 entry covers it and it answers no GS1 call: `wampe2e_inbound_decide`
    /// decides.
    WAMPE2E_GROUP_ROUTE_KEYRING = 3,
}

/// `wampe2e_group_scheme` as `route` takes it: only whether a GS1 envelope
/// arrived counts there, not where it was.
fn group_arrived(value: u32) -> Result<Arrived, Error> {
    match value {
        0 => Ok(Arrived::Plain),
        1 => Ok(Arrived::Other),
        2 => Ok(Arrived::Gs1 {
            dialect: WireDialect::Enc,
            key_id: None,
        }),
        v => Err(invalid(format!("scheme: {v} is not a valid value"))),
    }
}

/// Reads an arriving message's attributes (docs/gs1.md §12.1): `attributes` are
/// the Options/Details entries, `count` of them; an entry whose `value` is NULL
/// is present with a value that is not a string (leave out absent and null
/// ones). On success writes `*arrival`. For `WAMPE2E_GROUP_SCHEME_GS1` take the
/// envelope from the payload position of `arrival->wire`: `ENC` one bare binary,
/// `PPT` a list of one binary; ArgumentsKw present, or anything else, is
/// `INVALID_ENVELOPE` (refuse the message).
///
/// Errors: `NULL_ARGUMENT` (`arrival`, `attributes` with `count > 0`, a name),
/// `INVALID_UTF8`, `INVALID_ENVELOPE` (`enc_algo` and `ppt_scheme` both present,
/// a missing serializer or cipher, a GS1 attribute that is not a string),
/// `UNKNOWN_SERIALIZER`, `UNKNOWN_CIPHER`.
///
/// # Safety
/// `attributes` valid for `count` elements (may be NULL when `count == 0`), each
/// name valid for its length, each value NULL or valid for its length;
/// `arrival` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_read_attributes(
    attributes: *const wampe2e_attribute,
    count: usize,
    arrival: *mut wampe2e_group_arrival,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("arrival", arrival)?;
        // SAFETY: forwarded caller contract (valid for `count` elements).
        let attrs = unsafe { array("attributes", attributes, count)? };
        let mut pairs = Vec::with_capacity(attrs.len());
        for a in attrs {
            // SAFETY: each attribute's strings are valid for their lengths.
            let (k, v) = unsafe {
                (
                    str_arg("attribute name", a.name, a.name_len)?,
                    opt_str("attribute value", a.value, a.value_len)?,
                )
            };
            pairs.push((k, v.map_or(Attr::NotString, Attr::Str)));
        }
        let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let out = match envelope::read_attributes(get)? {
            Arrived::Plain => (wampe2e_group_scheme::WAMPE2E_GROUP_SCHEME_PLAIN, 0, None),
            Arrived::Other => (wampe2e_group_scheme::WAMPE2E_GROUP_SCHEME_OTHER, 0, None),
            Arrived::Gs1 { dialect, key_id } => {
                let wire = match dialect {
                    WireDialect::Enc => wampe2e_group_wire::WAMPE2E_GROUP_WIRE_ENC,
                    WireDialect::Ppt => wampe2e_group_wire::WAMPE2E_GROUP_WIRE_PPT,
                };
                (
                    wampe2e_group_scheme::WAMPE2E_GROUP_SCHEME_GS1,
                    wire as u32,
                    key_id,
                )
            }
        };
        let (scheme, wire, key_id) = out;
        let value = wampe2e_group_arrival {
            key_id: key_id.map_or(
                wampe2e_buf {
                    ptr: std::ptr::null_mut(),
                    len: 0,
                },
                |k| wampe2e_buf::from_vec(k.into_bytes()),
            ),
            scheme: scheme as u32,
            wire,
        };
        // SAFETY: checked non-NULL above; written only on success.
        unsafe { put(arrival, value) };
        Ok(())
    })
}

/// The inbound decision for a message a GS1 entry may cover, before
/// `wampe2e_inbound_decide` (docs/gs1.md §12.1). `kind` is a
/// `wampe2e_message_kind`; `uri` the resolved URI (for an EVENT/INVOCATION the
/// one `wampe2e_inbound_decide` resolves, for a RESULT the procedure called, for
/// an ERROR its error URI); `scheme` what `wampe2e_group_read_attributes` found
/// (`wampe2e_group_scheme`); `answers_gs1_call` whether a RESULT/ERROR answers a
/// CALL we sealed with GS1; `strict` pass true; `base` the key procedure base
/// (NULL: `wampe2e.key`). On success writes `*route`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT` (`kind` or
/// `scheme` out of range), `UNEXPECTED_PLAINTEXT` (strict: plaintext on a covered
/// URI, or an application answer in plaintext to a GS1 call; the router's
/// `wamp.error.*` and peers' `wampe2e.error.*` refusals pass), `INVALID_ENVELOPE`
/// (another dialect where GS1 is expected). On an error: drop an EVENT, answer an
/// INVOCATION with the refusal (`wampe2e_refusal_uri`), fail the call.
///
/// # Safety
/// `group` is live; `uri` valid for `uri_len` bytes; `base` NULL or valid for
/// `base_len` bytes; `route` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_route(
    group: *const wampe2e_group,
    kind: u32,
    uri: *const c_char,
    uri_len: usize,
    scheme: u32,
    answers_gs1_call: bool,
    strict: bool,
    base: *const c_char,
    base_len: usize,
    route: *mut wampe2e_group_routing,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("route", route)?;
        // SAFETY: forwarded caller contract.
        let (g, uri, base) = unsafe {
            (
                obj("group", group)?,
                str_arg("uri", uri, uri_len)?,
                opt_str("base", base, base_len)?,
            )
        };
        let r = envelope::route(
            &g.0,
            crate::args::message_kind(kind)?,
            uri,
            &group_arrived(scheme)?,
            answers_gs1_call,
            strict,
            base,
        )?;
        let value = match r {
            Route::Open => wampe2e_group_routing::WAMPE2E_GROUP_ROUTE_OPEN,
            Route::Plain => wampe2e_group_routing::WAMPE2E_GROUP_ROUTE_PLAIN,
            Route::Exempt => wampe2e_group_routing::WAMPE2E_GROUP_ROUTE_EXEMPT,
            Route::Keyring => wampe2e_group_routing::WAMPE2E_GROUP_ROUTE_KEYRING,
        };
        // SAFETY: checked non-NULL above; written only on success.
        unsafe { put(route, value) };
        Ok(())
    })
}

/// Writes to `*is_key` whether `uri` is a key procedure, `<base>.<something>`
/// (docs/gs1.md §5; `base` NULL: `wampe2e.key`): never sealed, and exempt from
/// strictness.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`.
///
/// # Safety
/// `uri` valid for `uri_len` bytes; `base` NULL or valid for `base_len` bytes;
/// `is_key` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_group_is_key_procedure(
    uri: *const c_char,
    uri_len: usize,
    base: *const c_char,
    base_len: usize,
    is_key: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("is_key", is_key)?;
        // SAFETY: forwarded caller contract.
        let (uri, base) = unsafe {
            (
                str_arg("uri", uri, uri_len)?,
                opt_str("base", base, base_len)?,
            )
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(is_key, envelope::is_key_procedure(uri, base)) };
        Ok(())
    })
}

/// Writes the error URI of a refusal with `code` (an error `wampe2e_result`;
/// docs/gs1.md §11.4): `wampe2e.error.` + the code's name in lower case without
/// `WAMPE2E_`, e.g. `wampe2e.error.key_refused` for `WAMPE2E_ERR_KEY_REFUSED`
/// (UTF-8 in a library-owned buffer, not NUL-terminated; free it with
/// `wampe2e_buf_free`). Answer a refused INVOCATION with it, no args, and kwargs
/// `{"code": "WAMPE2E_<CODE>"}`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`code` is `WAMPE2E_OK` or no code).
///
/// # Safety
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_refusal_uri(code: u32, out: *mut wampe2e_buf) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        let code = ErrorCode::from_u32(code)
            .ok_or_else(|| invalid(format!("code: {code} is not an error code")))?;
        // SAFETY: checked non-NULL above.
        unsafe { give(out, envelope::refusal_uri(code).into_bytes()) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_kind_numbers_are_the_type_bytes() {
        use wampe2e_group_kind::*;
        let kinds = [
            WAMPE2E_GROUP_KIND_EVENT,
            WAMPE2E_GROUP_KIND_CALL,
            WAMPE2E_GROUP_KIND_RESULT,
            WAMPE2E_GROUP_KIND_PROGRESS,
            WAMPE2E_GROUP_KIND_ERROR,
        ];
        for (c, kind) in kinds.into_iter().zip(Kind::ALL) {
            assert_eq!(group_kind(c as u32).unwrap(), kind);
        }
        for bad in [0, 6, 256 + 1, u32::MAX] {
            assert!(group_kind(bad).is_err());
        }
    }

    #[test]
    fn params_round_trip() {
        let p = Params::default();
        assert_eq!(Params::from(wampe2e_group_params::from(p)), p);
    }
}
