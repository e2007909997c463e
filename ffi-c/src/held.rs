//! The held queue (docs/gs1.md §11.6): messages of a session the receiver does
//! not hold wait, as caller-chosen 64-bit tickets, for one key fetch per session.
//! The core's `group::Held` decides everything; these functions translate.

use crate::args::{bytes, obj, opt_str, out_ptr, str_arg};
use crate::buf::wampe2e_buf;
use crate::error::{ffi_guard, wampe2e_result};
use crate::group::{
    group_kind, wampe2e_group, WAMPE2E_HASH_SIZE, WAMPE2E_IDENTITY_KEY_SIZE,
    WAMPE2E_SESSION_ID_SIZE,
};
use std::os::raw::c_char;
use std::sync::{Mutex, MutexGuard};
use wampe2e::group::{fetch_error_code, Held, HeldLimits, Hold};
use wampe2e::{Error, ErrorCode};

/// Messages held per (sender, session) while the session's key is fetched, as
/// 64-bit tickets the caller chooses (the caller keeps ticket → message). Made by
/// `wampe2e_held_new`, freed by `wampe2e_held_free`. Use it with one group.
/// Every function taking a `const wampe2e_held *` may be called from several
/// threads at once (it is locked inside).
#[allow(non_camel_case_types)]
pub struct wampe2e_held(Mutex<Held<u64>>);

impl wampe2e_held {
    fn lock(&self) -> MutexGuard<'_, Held<u64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The bounds of a held queue (docs/gs1.md §11.6). Fill with
/// `wampe2e_held_limits_default`, then change what you need; each is at least 1.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wampe2e_held_limits {
    /// Messages held per session (default 256).
    pub max_per_session: usize,
    /// Messages held in all (default 4096).
    pub max_total: usize,
    /// How long a fetch may take before its messages are discarded with
    /// `KEY_FETCH_FAILED`, and how long a failed fetch's error is remembered
    /// (default 10 000 ms).
    pub max_wait_ms: u64,
}

impl From<HeldLimits> for wampe2e_held_limits {
    fn from(l: HeldLimits) -> wampe2e_held_limits {
        wampe2e_held_limits {
            max_per_session: l.max_per_session,
            max_total: l.max_total,
            max_wait_ms: l.max_wait_ms,
        }
    }
}

impl From<wampe2e_held_limits> for HeldLimits {
    fn from(l: wampe2e_held_limits) -> HeldLimits {
        HeldLimits {
            max_per_session: l.max_per_session,
            max_total: l.max_total,
            max_wait_ms: l.max_wait_ms,
        }
    }
}

/// A key fetch to make (`wampe2e_held_hold`): CALL `procedure` with `request`
/// as the one binary argument; give the RESULT's binary to
/// `wampe2e_group_accept_key_response` with `request_hash`, then
/// `wampe2e_held_release` (or, on an ERROR, `wampe2e_held_fail`). Free with
/// `wampe2e_held_fetch_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_held_fetch {
    /// The sender's key procedure, `<base>.<fingerprint>` (UTF-8, not NUL-terminated).
    pub procedure: wampe2e_buf,
    /// The signed key request.
    pub request: wampe2e_buf,
    /// SHA-256 of the request: names the fetch.
    pub request_hash: [u8; WAMPE2E_HASH_SIZE],
    /// The sender asked.
    pub sender: [u8; WAMPE2E_IDENTITY_KEY_SIZE],
    /// The session asked for.
    pub session_id: [u8; WAMPE2E_SESSION_ID_SIZE],
}

/// Tickets handed back by the held queue, library-owned: `len` tickets at
/// `ptr` (`{NULL, 0}` when there are none). Free with `wampe2e_held_tickets_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wampe2e_held_tickets {
    /// The tickets; NULL when `len` is 0.
    pub ptr: *mut u64,
    /// Number of tickets.
    pub len: usize,
}

impl wampe2e_held_tickets {
    fn from_vec(v: Vec<u64>) -> wampe2e_held_tickets {
        if v.is_empty() {
            return wampe2e_held_tickets {
                ptr: std::ptr::null_mut(),
                len: 0,
            };
        }
        let boxed = v.into_boxed_slice();
        let len = boxed.len();
        wampe2e_held_tickets {
            ptr: Box::into_raw(boxed).cast::<u64>(),
            len,
        }
    }
}

/// A 32-byte request hash from `(ptr, len)`.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes.
unsafe fn request_hash(ptr: *const u8, len: usize) -> Result<[u8; WAMPE2E_HASH_SIZE], Error> {
    // SAFETY: forwarded caller contract.
    let b = unsafe { bytes("request_hash", ptr, len)? };
    b.try_into().map_err(|_| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("request_hash: {len} bytes, expected {WAMPE2E_HASH_SIZE}"),
        )
    })
}

/// Writes the default limits (256 per session, 4096 in all, 10 s) into `*out`.
///
/// Errors: `NULL_ARGUMENT`.
///
/// # Safety
/// `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_limits_default(
    out: *mut wampe2e_held_limits,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: checked non-NULL above.
        unsafe { out.write(HeldLimits::default().into()) };
        Ok(())
    })
}

/// Creates an empty held queue with `limits` (NULL: the defaults), fetching
/// from key procedures under `base` (NULL: `wampe2e.key`).
///
/// Errors: `NULL_ARGUMENT` (`out`), `INVALID_UTF8`, `INVALID_ARGUMENT` (a limit
/// of 0, an empty base).
///
/// # Safety
/// `limits` NULL or readable; `base` NULL or valid for `base_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_new(
    limits: *const wampe2e_held_limits,
    base: *const c_char,
    base_len: usize,
    out: *mut *mut wampe2e_held,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("out", out)?;
        // SAFETY: forwarded caller contract.
        let (limits, base) = unsafe { (limits.as_ref(), opt_str("base", base, base_len)?) };
        let limits = limits.map_or_else(HeldLimits::default, |l| (*l).into());
        let held = Held::new(limits, base)?;
        // SAFETY: checked non-NULL above.
        unsafe { out.write(Box::into_raw(Box::new(wampe2e_held(Mutex::new(held))))) };
        Ok(())
    })
}

/// Frees a held queue (its tickets are dropped: report them first with
/// `wampe2e_held_expire` if you must). NULL is a no-op.
///
/// # Safety
/// `held` is NULL or came from `wampe2e_held_new`, is freed once, and no other thread uses it.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_free(held: *mut wampe2e_held) {
    if !held.is_null() {
        // SAFETY: a pointer from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(held) });
    }
}

/// Holds `ticket`, standing for the message whose `envelope` of `kind` (EVENT
/// or CALL) arrived for `uri` and that `wampe2e_group_open` refused with
/// `WAMPE2E_ERR_UNKNOWN_SESSION`, behind its session's key fetch. On success
/// writes `*fetch_needed`, and `*fetch`: when `*fetch_needed` is true, the fetch
/// to make now (the first message of the session); otherwise zeros (the message
/// waits for a fetch already under way). Free `*fetch` with
/// `wampe2e_held_fetch_free` either way.
///
/// Errors (the ticket is then not held: report its message with the code):
/// `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_ARGUMENT` (kind); `HOLD_OVERFLOW`
/// (a bound is reached); the code a fetch of the same session failed with in
/// the last `max_wait_ms`; `MALFORMED`, `WRONG_VERSION`, `WRONG_KIND` (the
/// envelope); `KEY_NOT_FOUND` (no entry covers `uri`); `UNTRUSTED_SENDER` (the
/// sender is not among the entry's senders); `RANDOM_FAILED`.
///
/// # Safety
/// `held` and `group` are live; `uri` and `envelope` valid for their lengths;
/// `fetch` and `fetch_needed` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_hold(
    held: *const wampe2e_held,
    group: *const wampe2e_group,
    uri: *const c_char,
    uri_len: usize,
    kind: u32,
    envelope: *const u8,
    envelope_len: usize,
    ticket: u64,
    now_ms: u64,
    fetch: *mut wampe2e_held_fetch,
    fetch_needed: *mut bool,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("fetch", fetch)?;
        out_ptr("fetch_needed", fetch_needed)?;
        // SAFETY: forwarded caller contract.
        let (h, g, uri, envelope) = unsafe {
            (
                obj("held", held)?,
                obj("group", group)?,
                str_arg("uri", uri, uri_len)?,
                bytes("envelope", envelope, envelope_len)?,
            )
        };
        let kind = group_kind(kind)?;
        let hold = h.lock().hold(&g.0, uri, kind, envelope, ticket, now_ms)?;
        let (value, needed) = match hold {
            Hold::Fetch(f) => (
                wampe2e_held_fetch {
                    procedure: wampe2e_buf::from_vec(f.procedure.into_bytes()),
                    request: wampe2e_buf::from_vec(f.request),
                    request_hash: f.request_hash,
                    sender: *f.sender.as_bytes(),
                    session_id: f.session_id,
                },
                true,
            ),
            Hold::Waiting => (
                wampe2e_held_fetch {
                    procedure: wampe2e_buf::empty(),
                    request: wampe2e_buf::empty(),
                    request_hash: [0; WAMPE2E_HASH_SIZE],
                    sender: [0; WAMPE2E_IDENTITY_KEY_SIZE],
                    session_id: [0; WAMPE2E_SESSION_ID_SIZE],
                },
                false,
            ),
        };
        // SAFETY: both checked non-NULL above; written only on success.
        unsafe {
            fetch.write(value);
            fetch_needed.write(needed);
        }
        Ok(())
    })
}

/// Frees the buffers of a fetch and sets them to `{NULL, 0}`. NULL, and a fetch
/// already freed or zeroed, are no-ops.
///
/// # Safety
/// `fetch` is NULL or a fetch that `wampe2e_held_hold` wrote, its buffers unmodified.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_fetch_free(fetch: *mut wampe2e_held_fetch) {
    // SAFETY: the caller passes NULL or a live fetch.
    let Some(f) = (unsafe { fetch.as_mut() }) else {
        return;
    };
    // SAFETY: each buffer is libwampe2e's or {NULL, 0}.
    unsafe {
        crate::buf::wampe2e_buf_free(&mut f.procedure);
        crate::buf::wampe2e_buf_free(&mut f.request);
    }
}

/// Writes the tickets held behind the fetch `request_hash`, in the sender's
/// order (by index, then arrival), into `*tickets`, once
/// `wampe2e_group_accept_key_response` accepted its answer: open each message
/// with `wampe2e_group_open` now (each may still fail on its own, e.g.
/// `REPLAYED`). None (`{NULL, 0}`) if no such fetch is under way (it failed or
/// expired meanwhile). Free `*tickets` with `wampe2e_held_tickets_free`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`request_hash_len` not 32).
///
/// # Safety
/// `held` is live; `request_hash` valid for its length; `tickets` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_release(
    held: *const wampe2e_held,
    request_hash: *const u8,
    request_hash_len: usize,
    tickets: *mut wampe2e_held_tickets,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("tickets", tickets)?;
        // SAFETY: forwarded caller contract.
        let (h, hash) = unsafe {
            (
                obj("held", held)?,
                self::request_hash(request_hash, request_hash_len)?,
            )
        };
        let released = h.lock().release(&hash);
        // SAFETY: checked non-NULL above.
        unsafe { tickets.write(wampe2e_held_tickets::from_vec(released)) };
        Ok(())
    })
}

/// Ends the fetch `request_hash` with the error `code` (a `wampe2e_result`:
/// `wampe2e_held_fetch_error` of the CALL's error URI, or the code
/// `wampe2e_group_accept_key_response` refused the answer with), cancels
/// `group`'s pending request, and writes the tickets that were held behind it
/// into `*tickets`: report their messages with `code`. For `max_wait_ms` the
/// session's further messages are refused with `code` without a new fetch.
/// Free `*tickets` with `wampe2e_held_tickets_free`.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_ARGUMENT` (`request_hash_len` not 32,
/// `code` not an error code).
///
/// # Safety
/// `held` and `group` are live; `request_hash` valid for its length; `tickets` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_fail(
    held: *const wampe2e_held,
    group: *const wampe2e_group,
    request_hash: *const u8,
    request_hash_len: usize,
    code: u32,
    now_ms: u64,
    tickets: *mut wampe2e_held_tickets,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("tickets", tickets)?;
        // SAFETY: forwarded caller contract.
        let (h, g, hash) = unsafe {
            (
                obj("held", held)?,
                obj("group", group)?,
                self::request_hash(request_hash, request_hash_len)?,
            )
        };
        let code = ErrorCode::from_u32(code).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("code: {code} is not an error code"),
            )
        })?;
        let failed = h.lock().fail(&g.0, &hash, code, now_ms);
        // SAFETY: checked non-NULL above.
        unsafe { tickets.write(wampe2e_held_tickets::from_vec(failed)) };
        Ok(())
    })
}

/// Ends every fetch under way for `max_wait_ms` or longer with
/// `KEY_FETCH_FAILED` (as `wampe2e_held_fail`) and writes their tickets into
/// `*tickets`: report their messages with `WAMPE2E_ERR_KEY_FETCH_FAILED`. Call
/// it from a timer, or before each `wampe2e_held_hold`. Free `*tickets` with
/// `wampe2e_held_tickets_free`.
///
/// Errors: `NULL_ARGUMENT`.
///
/// # Safety
/// `held` and `group` are live; `tickets` writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_expire(
    held: *const wampe2e_held,
    group: *const wampe2e_group,
    now_ms: u64,
    tickets: *mut wampe2e_held_tickets,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("tickets", tickets)?;
        // SAFETY: forwarded caller contract.
        let (h, g) = unsafe { (obj("held", held)?, obj("group", group)?) };
        let expired = h.lock().expire(&g.0, now_ms);
        // SAFETY: checked non-NULL above.
        unsafe { tickets.write(wampe2e_held_tickets::from_vec(expired)) };
        Ok(())
    })
}

/// Frees tickets and sets them to `{NULL, 0}`. NULL and `{NULL, 0}` are no-ops.
///
/// # Safety
/// `tickets` is NULL or tickets that libwampe2e wrote, unmodified and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_tickets_free(tickets: *mut wampe2e_held_tickets) {
    // SAFETY: the caller passes NULL or live tickets.
    let Some(t) = (unsafe { tickets.as_mut() }) else {
        return;
    };
    if t.ptr.is_null() {
        return;
    }
    // SAFETY: ptr/len came from `from_vec`'s Box<[u64]> and were not changed.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(t.ptr, t.len)) });
    t.ptr = std::ptr::null_mut();
    t.len = 0;
}

/// Writes the number of messages held in all, and (if `fetches` is not NULL)
/// the number of fetches under way.
///
/// Errors: `NULL_ARGUMENT`.
///
/// # Safety
/// `held` is live; `len` writable; `fetches` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_len(
    held: *const wampe2e_held,
    len: *mut usize,
    fetches: *mut usize,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("len", len)?;
        // SAFETY: forwarded caller contract.
        let h = unsafe { obj("held", held)? };
        let q = h.lock();
        // SAFETY: `len` checked non-NULL above, `fetches` here.
        unsafe {
            len.write(q.len());
            if !fetches.is_null() {
                fetches.write(q.fetches());
            }
        }
        Ok(())
    })
}

/// The code a failed key fetch CALL ends with, from its ERROR's URI: a GS1
/// refusal (`wampe2e.error.key_refused` → `WAMPE2E_ERR_KEY_REFUSED`, …,
/// docs/gs1.md §11.4) gives its code, any other URI (the router's
/// `wamp.error.no_such_procedure`, a timeout, invalid UTF-8)
/// `WAMPE2E_ERR_KEY_FETCH_FAILED`. Pass it to `wampe2e_held_fail`. Never
/// `WAMPE2E_OK`; `WAMPE2E_ERR_NULL_ARGUMENT` for a NULL `error_uri`.
///
/// # Safety
/// `error_uri` NULL or valid for `error_uri_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_held_fetch_error(
    error_uri: *const c_char,
    error_uri_len: usize,
) -> wampe2e_result {
    let mut code = ErrorCode::KeyFetchFailed;
    let r = ffi_guard(|| {
        // SAFETY: forwarded caller contract.
        let uri = unsafe { bytes("error_uri", error_uri.cast(), error_uri_len)? };
        code = std::str::from_utf8(uri).map_or(ErrorCode::KeyFetchFailed, fetch_error_code);
        Ok(())
    });
    if r == wampe2e_result::WAMPE2E_OK {
        code.into()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_round_trip() {
        let l = HeldLimits::default();
        assert_eq!(HeldLimits::from(wampe2e_held_limits::from(l)), l);
    }
}
