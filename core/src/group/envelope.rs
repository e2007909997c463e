//! GS1 on the WAMP wire (§12.1): the attributes a sealed message carries, what
//! the attributes of an arriving one say, and the inbound decision for a message
//! a GS1 entry may cover. The bindings read and write WAMP messages; these
//! functions decide, so that every binding refuses the same things with the
//! same codes.

use super::{Group, DEFAULT_KEY_PROCEDURE_BASE};
use crate::error::{err, ErrorCode, Result};
use crate::inbound::{decide, Arrival, MatchPolicy, MessageKind};
use crate::keys::keyring::KeyRing;

/// `enc_algo` of a GS1 envelope in the Autobahn/Crossbar dialect.
pub const ENC_ALGO: &str = "x_wampe2e_gs1";
/// `ppt_scheme` of a GS1 envelope in the Payload Passthru dialect.
pub const PPT_SCHEME: &str = "x_wampe2e";
/// `ppt_cipher` of a GS1 envelope.
pub const PPT_CIPHER: &str = "x_gs1";
/// The serializer of the plaintext (§13), in both dialects.
pub const SERIALIZER: &str = "cbor";

/// The dialect a GS1 envelope travels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireDialect {
    /// `enc_*`: one bare binary at the Arguments position.
    Enc,
    /// `ppt_*`: `Arguments = [envelope]`.
    Ppt,
}

/// The attributes of a sealed message, in the page's order: with the key id
/// (`hex(session_id)`) for events and calls, without for replies.
pub fn attributes(dialect: WireDialect, key_id: Option<&str>) -> Vec<(&'static str, String)> {
    let mut a = match dialect {
        WireDialect::Enc => vec![
            ("enc_algo", ENC_ALGO.to_owned()),
            ("enc_serializer", SERIALIZER.to_owned()),
        ],
        WireDialect::Ppt => vec![
            ("ppt_scheme", PPT_SCHEME.to_owned()),
            ("ppt_serializer", SERIALIZER.to_owned()),
            ("ppt_cipher", PPT_CIPHER.to_owned()),
        ],
    };
    if let Some(k) = key_id {
        let name = match dialect {
            WireDialect::Enc => "enc_key",
            WireDialect::Ppt => "ppt_keyid",
        };
        a.push((name, k.to_owned()));
    }
    a
}

/// One attribute as the binding found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr<'a> {
    /// A string.
    Str(&'a str),
    /// Present, but not a string.
    NotString,
}

/// What the attributes of an arriving message say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrived {
    /// No `enc_algo` and no `ppt_scheme`: plaintext.
    Plain,
    /// Another dialect (cryptobox, ppt `wamp`, …): the keyring's business.
    Other,
    /// A GS1 envelope: take its payload from the dialect's position.
    Gs1 {
        /// Where the envelope is.
        dialect: WireDialect,
        /// `enc_key`/`ppt_keyid`, if present (a hint; `open` checks it).
        key_id: Option<String>,
    },
}

/// Reads the attributes (§12.1). `get(name)` returns the attribute, `None` when
/// absent. Errors: `InvalidEnvelope` (both schemes, a non-string attribute, a
/// missing serializer or cipher), `UnknownSerializer` (not `cbor`),
/// `UnknownCipher` (`ppt_cipher` not `x_gs1`).
pub fn read_attributes<'a>(get: impl Fn(&str) -> Option<Attr<'a>>) -> Result<Arrived> {
    let text = |name: &str| -> Result<Option<&'a str>> {
        match get(name) {
            None => Ok(None),
            Some(Attr::Str(s)) => Ok(Some(s)),
            Some(Attr::NotString) => err(
                ErrorCode::InvalidEnvelope,
                format!("{name} is not a string"),
            ),
        }
    };
    let serializer = |name: &str| -> Result<()> {
        match text(name)? {
            None => err(ErrorCode::InvalidEnvelope, format!("{name} is absent")),
            Some(SERIALIZER) => Ok(()),
            Some(other) => err(
                ErrorCode::UnknownSerializer,
                format!("{name} {other:?}: GS1 carries cbor only"),
            ),
        }
    };
    match (text("enc_algo")?, text("ppt_scheme")?) {
        (Some(_), Some(_)) => err(
            ErrorCode::InvalidEnvelope,
            "both enc_algo and ppt_scheme are present",
        ),
        (None, None) => Ok(Arrived::Plain),
        (Some(ENC_ALGO), None) => {
            serializer("enc_serializer")?;
            Ok(Arrived::Gs1 {
                dialect: WireDialect::Enc,
                key_id: text("enc_key")?.map(str::to_owned),
            })
        }
        (None, Some(PPT_SCHEME)) => {
            serializer("ppt_serializer")?;
            match text("ppt_cipher")? {
                None => return err(ErrorCode::InvalidEnvelope, "ppt_cipher is absent"),
                Some(PPT_CIPHER) => {}
                Some(other) => {
                    return err(
                        ErrorCode::UnknownCipher,
                        format!("ppt_cipher {other:?}: expected {PPT_CIPHER:?} with ppt_scheme {PPT_SCHEME:?}"),
                    )
                }
            }
            Ok(Arrived::Gs1 {
                dialect: WireDialect::Ppt,
                key_id: text("ppt_keyid")?.map(str::to_owned),
            })
        }
        _ => Ok(Arrived::Other),
    }
}

/// What to do with an arriving message, by [`route`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A GS1 envelope: open it (`Group::open`, or `Group::open_reply` for an
    /// answer to our GS1 call).
    Open,
    /// Deliver the plaintext as it is.
    Plain,
    /// A key procedure URI (`<base>.…`): never sealed, never strict.
    Exempt,
    /// No GS1 entry covers it and it answers no GS1 call: the keyring decides
    /// ([`crate::inbound::decide`]).
    Keyring,
}

/// The inbound decision for a message a GS1 entry may cover, before the
/// keyring's. `uri` is the resolved URI (topic, procedure, the procedure called,
/// the error URI); `answers_gs1_call` says that a RESULT/ERROR answers a CALL we
/// sealed with GS1; `base` is the key procedure base (`None`: `wampe2e.key`).
///
/// Errors: `UnexpectedPlaintext` (strict: plaintext on a covered URI, or an
/// application answer in plaintext to a GS1 call — the router's `wamp.error.*`
/// and peers' `wampe2e.error.*` refusals pass, as [`crate::inbound::decide`]
/// says), `InvalidEnvelope` (another dialect on a covered URI or in answer to a
/// GS1 call).
pub fn route(
    group: &Group,
    kind: MessageKind,
    uri: &str,
    arrived: &Arrived,
    answers_gs1_call: bool,
    strict: bool,
    base: Option<&str>,
) -> Result<Route> {
    let answer = matches!(kind, MessageKind::Result | MessageKind::Error);
    let gs1_call = answer && answers_gs1_call;
    if is_key_procedure(uri, base) && !gs1_call {
        return Ok(Route::Exempt);
    }
    if matches!(arrived, Arrived::Gs1 { .. }) {
        return Ok(Route::Open);
    }
    let covered = gs1_call || group.select(uri).is_some();
    if !covered {
        return Ok(Route::Keyring);
    }
    if *arrived == Arrived::Other {
        return err(
            ErrorCode::InvalidEnvelope,
            format!(
                "{} on {uri:?}: GS1 covers it, but it arrived in another dialect",
                kind.as_str()
            ),
        );
    }
    if gs1_call {
        // An unsealed answer to a sealed call: the core's rule for those.
        let a = Arrival {
            kind,
            local_uri: uri,
            policy: MatchPolicy::Exact,
            router_uri: None,
            sealed: false,
            request_sealed: true,
        };
        decide(&KeyRing::new(), &a, strict)?;
        return Ok(Route::Plain);
    }
    if strict {
        return err(
            ErrorCode::UnexpectedPlaintext,
            format!(
                "{} on {uri:?} arrived unencrypted, but a GS1 entry covers it",
                kind.as_str()
            ),
        );
    }
    Ok(Route::Plain)
}

/// Whether `uri` is a key procedure, `<base>.<something>` (`base` `None`:
/// `wampe2e.key`): never sealed, and exempt from strictness (§5).
pub fn is_key_procedure(uri: &str, base: Option<&str>) -> bool {
    uri.strip_prefix(base.unwrap_or(DEFAULT_KEY_PROCEDURE_BASE))
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
}

/// The URI of a refusal with `code` (§11.4): `wampe2e.error.` + the code's name
/// in lower case without `WAMPE2E_` (the inverse of [`super::fetch_error_code`]
/// for the key procedure's refusals).
pub fn refusal_uri(code: ErrorCode) -> String {
    let name = code.name();
    format!(
        "wampe2e.error.{}",
        name.strip_prefix("WAMPE2E_")
            .unwrap_or(name)
            .to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::group::{fetch_error_code, Identity, TrustEntry};
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Arrived> {
        let m: HashMap<&str, &str> = pairs.iter().copied().collect();
        read_attributes(|n| m.get(n).map(|v| Attr::Str(v)))
    }

    #[test]
    fn written_attributes_read_back() {
        for d in [WireDialect::Enc, WireDialect::Ppt] {
            for k in [None, Some("00112233445566778899aabbccddeeff")] {
                let a = attributes(d, k);
                let pairs: Vec<(&str, &str)> = a.iter().map(|(n, v)| (*n, v.as_str())).collect();
                assert_eq!(
                    read(&pairs).unwrap(),
                    Arrived::Gs1 {
                        dialect: d,
                        key_id: k.map(str::to_owned)
                    }
                );
            }
        }
    }

    #[test]
    fn attributes_are_read_as_the_page_says() {
        let code = |p: &[(&str, &str)]| read(p).unwrap_err().code();
        assert_eq!(read(&[]).unwrap(), Arrived::Plain);
        assert_eq!(
            read(&[("enc_algo", "cryptobox"), ("enc_serializer", "json")]).unwrap(),
            Arrived::Other
        );
        assert_eq!(read(&[("ppt_scheme", "wamp")]).unwrap(), Arrived::Other);
        assert_eq!(
            code(&[("enc_algo", ENC_ALGO), ("ppt_scheme", PPT_SCHEME)]),
            ErrorCode::InvalidEnvelope
        );
        assert_eq!(code(&[("enc_algo", ENC_ALGO)]), ErrorCode::InvalidEnvelope);
        assert_eq!(
            code(&[("enc_algo", ENC_ALGO), ("enc_serializer", "json")]),
            ErrorCode::UnknownSerializer
        );
        assert_eq!(
            code(&[("ppt_scheme", PPT_SCHEME), ("ppt_serializer", "cbor")]),
            ErrorCode::InvalidEnvelope
        );
        assert_eq!(
            code(&[
                ("ppt_scheme", PPT_SCHEME),
                ("ppt_serializer", "cbor"),
                ("ppt_cipher", "xsalsa20poly1305")
            ]),
            ErrorCode::UnknownCipher
        );
        let not_string = read_attributes(|n| (n == "enc_algo").then_some(Attr::NotString));
        assert_eq!(not_string.unwrap_err().code(), ErrorCode::InvalidEnvelope);
        let key_not_string = read_attributes(|n| match n {
            "enc_algo" => Some(Attr::Str(ENC_ALGO)),
            "enc_serializer" => Some(Attr::Str("cbor")),
            "enc_key" => Some(Attr::NotString),
            _ => None,
        });
        assert_eq!(
            key_not_string.unwrap_err().code(),
            ErrorCode::InvalidEnvelope
        );
    }

    #[test]
    fn routes() {
        let me = Identity::from_seed(&[1; 32]);
        let g = Group::new(me);
        g.set_entry(TrustEntry::new("com.gs1.", [], []));
        let gs1 = Arrived::Gs1 {
            dialect: WireDialect::Enc,
            key_id: None,
        };
        let r = |kind, uri: &str, a: &Arrived, call: bool, strict: bool| {
            route(&g, kind, uri, a, call, strict, None).map_err(|e| e.code())
        };
        use MessageKind::*;
        assert_eq!(r(Event, "com.gs1.t", &gs1, false, true), Ok(Route::Open));
        assert_eq!(
            r(Event, "com.gs1.t", &Arrived::Plain, false, true),
            Err(ErrorCode::UnexpectedPlaintext)
        );
        assert_eq!(
            r(Event, "com.gs1.t", &Arrived::Plain, false, false),
            Ok(Route::Plain)
        );
        assert_eq!(
            r(Event, "com.gs1.t", &Arrived::Other, false, false),
            Err(ErrorCode::InvalidEnvelope)
        );
        assert_eq!(
            r(Event, "com.other.t", &Arrived::Plain, false, true),
            Ok(Route::Keyring)
        );
        assert_eq!(
            r(Event, "com.other.t", &Arrived::Other, false, true),
            Ok(Route::Keyring)
        );
        // A GS1 envelope is opened wherever it arrives (open refuses what no entry covers).
        assert_eq!(r(Event, "com.other.t", &gs1, false, true), Ok(Route::Open));
        // Key procedures: exempt, but not an answer to a GS1 call.
        assert_eq!(
            r(Invocation, "wampe2e.key.abcd", &Arrived::Plain, false, true),
            Ok(Route::Exempt)
        );
        assert_eq!(
            r(Invocation, "wampe2e.key.", &Arrived::Plain, false, true),
            Ok(Route::Keyring)
        );
        assert_eq!(
            r(Invocation, "wampe2e.keyx", &Arrived::Plain, false, true),
            Ok(Route::Keyring)
        );
        // Answers to a GS1 call: an application answer must be sealed; refusals pass.
        assert_eq!(
            r(Result, "com.other.p", &Arrived::Plain, true, true),
            Err(ErrorCode::UnexpectedPlaintext)
        );
        assert_eq!(
            r(
                Error,
                "wamp.error.no_such_procedure",
                &Arrived::Plain,
                true,
                true
            ),
            Ok(Route::Plain)
        );
        assert_eq!(
            r(
                Error,
                "wampe2e.error.unknown_session",
                &Arrived::Plain,
                true,
                true
            ),
            Ok(Route::Plain)
        );
        assert_eq!(
            r(Error, "com.app.error", &Arrived::Other, true, true),
            Err(ErrorCode::InvalidEnvelope)
        );
        assert_eq!(r(Result, "com.gs1.p", &gs1, true, true), Ok(Route::Open));
    }

    #[test]
    fn refusal_uris_round_trip_through_fetch_error_code() {
        assert_eq!(
            refusal_uri(ErrorCode::KeyRefused),
            "wampe2e.error.key_refused"
        );
        for c in ErrorCode::ALL {
            let back = fetch_error_code(&refusal_uri(c));
            assert!(back == c || back == ErrorCode::KeyFetchFailed, "{c:?}");
        }
    }
}
