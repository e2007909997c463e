//! The inbound decision: what a WAMP client does with an EVENT, INVOCATION,
//! RESULT or ERROR before its application sees it.

use crate::args::{self, message_kind, obj, opt_str, out_ptr, str_arg};
use crate::buf::{give, wampe2e_buf};
use crate::error::{ffi_guard, wampe2e_result};
use crate::keyring::wampe2e_keyring;
use std::os::raw::c_char;
use wampe2e::{Arrival, Delivery};

/// The kind of WAMP message that arrived (pass as `uint32_t kind`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_message_kind {
    /// EVENT, on a subscription: opened as `WAMPE2E_ROLE_RESPONDER`.
    WAMPE2E_MESSAGE_KIND_EVENT = 0,
    /// INVOCATION, on a registration: opened as `WAMPE2E_ROLE_RESPONDER`.
    WAMPE2E_MESSAGE_KIND_INVOCATION = 1,
    /// RESULT of our CALL: opened as `WAMPE2E_ROLE_ORIGINATOR`.
    WAMPE2E_MESSAGE_KIND_RESULT = 2,
    /// ERROR answering our CALL: opened as `WAMPE2E_ROLE_ORIGINATOR`.
    WAMPE2E_MESSAGE_KIND_ERROR = 3,
}

/// A subscription's or registration's match policy, as WAMP names it (pass as
/// `uint32_t match_policy`).
#[allow(non_camel_case_types)]
#[repr(u32)]
pub enum wampe2e_match {
    /// `"exact"` (WAMP's default; also for RESULT and ERROR).
    WAMPE2E_MATCH_EXACT = 0,
    /// `"prefix"`: URIs starting with the pattern.
    WAMPE2E_MATCH_PREFIX = 1,
    /// `"wildcard"`: as many dot-separated components as the pattern; an empty
    /// component matches any one component.
    WAMPE2E_MATCH_WILDCARD = 2,
}

/// What to do with a message `wampe2e_inbound_decide` accepted.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wampe2e_delivery {
    /// Open the payload with `wampe2e_open_payload` (or `wampe2e_open_bytes`) for
    /// the returned URI, in the kind's role.
    WAMPE2E_DELIVERY_OPEN = 0,
    /// Deliver the plaintext message as it is, on the returned URI.
    WAMPE2E_DELIVERY_PLAIN = 1,
}

/// The inbound decision: call it for every EVENT, INVOCATION, RESULT and ERROR
/// before the application sees it. The router chooses whether a message is
/// encrypted and which URI `Details.topic`/`procedure` names; this decides from
/// what the client knows locally which URI the payload must be opened for, or
/// whether a plaintext may be delivered.
///
/// Arguments, per `kind` (`wampe2e_message_kind`):
/// - EVENT: `local_uri` = the subscription's topic, `match_policy` = its match
///   (`wampe2e_match`), `router_uri` = `Details.topic` (NULL if absent).
/// - INVOCATION: `local_uri` = the registration's procedure, `match_policy` = its
///   match, `router_uri` = `Details.procedure` (NULL if absent).
/// - RESULT: `local_uri` = the procedure this client called, `WAMPE2E_MATCH_EXACT`,
///   `router_uri` = NULL, `request_sealed` = whether that CALL was encrypted.
/// - ERROR (answering a CALL): `local_uri` = the message's error URI,
///   `WAMPE2E_MATCH_EXACT`, `router_uri` = NULL, `request_sealed` as for RESULT.
///
/// `sealed`: the message carries an encrypted payload (`enc_algo` or `ppt_scheme`
/// in Details). `strict`: pass true; false is the opt-out for migrating peers to
/// encryption (plaintext on keyed URIs is then delivered; URIs are still checked).
///
/// On success writes `*delivery` and the URI (`*uri`, a library-owned UTF-8 buffer,
/// not NUL-terminated; free it with `wampe2e_buf_free`):
/// - `WAMPE2E_DELIVERY_OPEN`: open the payload with `wampe2e_envelope_new` +
///   `wampe2e_open_payload` for exactly this URI and the kind's role:
///   `WAMPE2E_ROLE_RESPONDER` for EVENT and INVOCATION, `WAMPE2E_ROLE_ORIGINATOR`
///   for RESULT and ERROR. Opening fails if the payload was sealed for another
///   URI (`URI_MISMATCH`) or is this keyring's own ciphertext sent back
///   (`REFLECTED`).
/// - `WAMPE2E_DELIVERY_PLAIN`: deliver the message's plaintext arguments.
///
/// On any error (here or when opening): drop an EVENT; answer an INVOCATION with
/// an ERROR carrying the code (e.g. `wampe2e_result_message`), never a plaintext
/// YIELD; fail the pending call for a RESULT or ERROR.
///
/// Errors: `NULL_ARGUMENT` (ring, local_uri, delivery or uri), `INVALID_UTF8`,
/// `INVALID_ARGUMENT` (kind or match_policy out of range), `PATTERN_MISMATCH` (an
/// exact subscription/registration got another `router_uri`; a prefix/wildcard one
/// got a `router_uri` outside its pattern, or none), `UNEXPECTED_PLAINTEXT`
/// (strict: a plaintext on a URI the keyring has an entry for, or a RESULT/ERROR
/// answering an encrypted CALL, except the router's own `wamp.error.*` errors and peers' refusals `wampe2e.error.*`).
///
/// # Safety
/// `ring` is a live keyring; `local_uri` valid for `local_uri_len` bytes;
/// `router_uri` NULL or valid for `router_uri_len` bytes; `delivery` and `uri`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn wampe2e_inbound_decide(
    ring: *const wampe2e_keyring,
    kind: u32,
    local_uri: *const c_char,
    local_uri_len: usize,
    match_policy: u32,
    router_uri: *const c_char,
    router_uri_len: usize,
    sealed: bool,
    request_sealed: bool,
    strict: bool,
    delivery: *mut wampe2e_delivery,
    uri: *mut wampe2e_buf,
) -> wampe2e_result {
    ffi_guard(|| {
        out_ptr("delivery", delivery)?;
        out_ptr("uri", uri)?;
        // SAFETY: forwarded caller contract.
        let (ring, local_uri, router_uri) = unsafe {
            (
                obj("ring", ring)?,
                str_arg("local_uri", local_uri, local_uri_len)?,
                opt_str("router_uri", router_uri, router_uri_len)?,
            )
        };
        let arrival = Arrival {
            kind: message_kind(kind)?,
            local_uri,
            policy: args::match_policy(match_policy)?,
            router_uri,
            sealed,
            request_sealed,
        };
        let (what, resolved) = match wampe2e::decide(&ring.0, &arrival, strict)? {
            Delivery::Open { uri } => (wampe2e_delivery::WAMPE2E_DELIVERY_OPEN, uri),
            Delivery::Plain { uri } => (wampe2e_delivery::WAMPE2E_DELIVERY_PLAIN, uri),
        };
        // SAFETY: both out-pointers checked non-NULL above; written only on success.
        unsafe {
            delivery.write(what);
            give(uri, resolved.into_bytes());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wampe2e::{MatchPolicy, MessageKind};

    #[test]
    fn c_enum_numbers_are_the_ones_the_arguments_take() {
        use wampe2e_match::*;
        use wampe2e_message_kind::*;
        let kinds = [
            WAMPE2E_MESSAGE_KIND_EVENT,
            WAMPE2E_MESSAGE_KIND_INVOCATION,
            WAMPE2E_MESSAGE_KIND_RESULT,
            WAMPE2E_MESSAGE_KIND_ERROR,
        ];
        for (c, kind) in kinds.into_iter().zip(MessageKind::ALL) {
            assert_eq!(message_kind(c as u32).unwrap(), kind);
        }
        assert!(message_kind(4).is_err());
        let policies = [
            (WAMPE2E_MATCH_EXACT, MatchPolicy::Exact),
            (WAMPE2E_MATCH_PREFIX, MatchPolicy::Prefix),
            (WAMPE2E_MATCH_WILDCARD, MatchPolicy::Wildcard),
        ];
        for (c, policy) in policies {
            assert_eq!(args::match_policy(c as u32).unwrap(), policy);
        }
        assert!(args::match_policy(3).is_err());
    }
}
