//! The inbound decision: what a client does with an EVENT, INVOCATION, RESULT or
//! ERROR before its application sees it. The router is the adversary here: it
//! chooses whether a message is encrypted, which URI `Details.topic`/`procedure`
//! names, and which subscription or registration a message is delivered on.
//!
//! [`decide`] takes what the client knows locally (the subscription's or
//! registration's URI and match policy, the procedure it called, whether its
//! request was sealed) and what arrived, and says which URI to open the payload
//! for, or that a plaintext may be delivered, or why the message must be refused:
//!
//! * **The URI is the local one.** An exact subscription or registration opens
//!   for its own URI; the router's `Details.topic`/`procedure`, if it sends one,
//!   must equal it. A prefix or wildcard one opens for the router's URI only if
//!   that URI matches the local pattern (`PatternMismatch` otherwise).
//! * **Strict** (the default in every binding): a URI the keyring has an entry for
//!   must arrive sealed (`UnexpectedPlaintext`); a RESULT or ERROR answering a
//!   sealed request must be sealed, except the router's own `wamp.error.*` errors
//!   and wampe2e peers' refusals `wampe2e.error.*` (they carry no application
//!   data; see [`PLAINTEXT_ERROR_PREFIXES`]).
//! * **Not strict** (an explicit opt-out, for migrating peers to encryption):
//!   plaintext is delivered; URIs are still checked.
//!
//! Opening then checks the plaintext's inner URI against the URI decided here
//! (`UriMismatch`), and refuses this keyring's own ciphertexts sent back in the
//! role that sealed them (`Reflected`). Replaying a peer's genuine ciphertext on
//! the same URI is not detected by cryptobox or ppt.

use crate::error::{err, ErrorCode, Result};
use crate::keys::keyring::KeyRing;
use std::str::FromStr;

/// The kind of message that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// EVENT, on a subscription: opened as the responder.
    Event,
    /// INVOCATION, on a registration: opened as the responder.
    Invocation,
    /// RESULT of our CALL: opened as the originator.
    Result,
    /// ERROR answering our CALL: opened as the originator, for the error URI.
    Error,
}

impl MessageKind {
    /// Every kind, in a stable order (bindings may pass the index as a compact code).
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Event,
        MessageKind::Invocation,
        MessageKind::Result,
        MessageKind::Error,
    ];

    /// The lowercase name (`"event"`, `"invocation"`, `"result"`, `"error"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Event => "event",
            MessageKind::Invocation => "invocation",
            MessageKind::Result => "result",
            MessageKind::Error => "error",
        }
    }

    /// The role whose keys open this kind of message.
    pub fn role(self) -> crate::Role {
        match self {
            MessageKind::Event | MessageKind::Invocation => crate::Role::Responder,
            MessageKind::Result | MessageKind::Error => crate::Role::Originator,
        }
    }
}

impl FromStr for MessageKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        MessageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                crate::Error::new(
                    ErrorCode::InvalidArgument,
                    format!(
                        "kind: not event, invocation, result or error ({} characters)",
                        s.chars().count()
                    ),
                )
            })
    }
}

/// A subscription's or registration's match policy, as WAMP names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MatchPolicy {
    /// `"exact"` (WAMP's default).
    #[default]
    Exact,
    /// `"prefix"`: URIs starting with the pattern.
    Prefix,
    /// `"wildcard"`: as many dot-separated components as the pattern; an empty
    /// component matches any one component.
    Wildcard,
}

impl MatchPolicy {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchPolicy::Exact => "exact",
            MatchPolicy::Prefix => "prefix",
            MatchPolicy::Wildcard => "wildcard",
        }
    }

    /// Whether `uri` is covered by `pattern` under this policy.
    pub fn matches(self, pattern: &str, uri: &str) -> bool {
        match self {
            MatchPolicy::Exact => pattern == uri,
            MatchPolicy::Prefix => uri.starts_with(pattern),
            MatchPolicy::Wildcard => {
                let (mut p, mut u) = (pattern.split('.'), uri.split('.'));
                loop {
                    match (p.next(), u.next()) {
                        (None, None) => return true,
                        (Some(pc), Some(uc)) if pc.is_empty() || pc == uc => {}
                        _ => return false,
                    }
                }
            }
        }
    }
}

impl FromStr for MatchPolicy {
    type Err = crate::Error;
    /// `""` is `Exact`, as WAMP's default.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "" | "exact" => Ok(MatchPolicy::Exact),
            "prefix" => Ok(MatchPolicy::Prefix),
            "wildcard" => Ok(MatchPolicy::Wildcard),
            other => err(
                ErrorCode::InvalidArgument,
                format!(
                    "match: not exact, prefix or wildcard ({} characters)",
                    other.chars().count()
                ),
            ),
        }
    }
}

/// What the client knows about a message that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival<'a> {
    /// The kind of message.
    pub kind: MessageKind,
    /// The local URI: the subscription's topic (EVENT), the registration's
    /// procedure (INVOCATION), the procedure we called (RESULT), or the error URI
    /// (ERROR: the only one the router names alone).
    pub local_uri: &'a str,
    /// The subscription's or registration's match policy (`Exact` for RESULT and ERROR).
    pub policy: MatchPolicy,
    /// `Details.topic` / `Details.procedure` as the router sent it, if it did.
    pub router_uri: Option<&'a str>,
    /// Whether the message carries an encrypted payload (`enc_algo` or `ppt_scheme`).
    pub sealed: bool,
    /// For RESULT and ERROR: whether our CALL was sealed.
    pub request_sealed: bool,
}

/// What to do with a message [`decide`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Open the payload as if received on `uri` (with [`MessageKind::role`]).
    Open {
        /// The URI the payload must have been sealed for.
        uri: String,
    },
    /// Deliver the plaintext message as it is, on `uri`.
    Plain {
        /// The URI the message is for.
        uri: String,
    },
}

/// The URI an arrival is for: the local one, or the router's if the local pattern
/// covers it (`PatternMismatch` otherwise).
pub fn resolve_uri(arrival: &Arrival<'_>) -> Result<String> {
    let Arrival {
        local_uri,
        policy,
        router_uri,
        ..
    } = *arrival;
    match (policy, router_uri) {
        (MatchPolicy::Exact, None) => Ok(local_uri.to_owned()),
        (_, Some(uri)) if policy.matches(local_uri, uri) => Ok(uri.to_owned()),
        (MatchPolicy::Exact, Some(_)) => err(
            ErrorCode::PatternMismatch,
            format!(
                "{}: the router named another URI than {local_uri:?}",
                arrival.kind.as_str()
            ),
        ),
        (_, Some(uri)) => err(
            ErrorCode::PatternMismatch,
            format!(
                "{}: {uri:?} does not match the {} pattern {local_uri:?}",
                arrival.kind.as_str(),
                policy.as_str()
            ),
        ),
        (_, None) => err(
            ErrorCode::PatternMismatch,
            format!(
                "{}: the router named no URI for the {} pattern {local_uri:?}",
                arrival.kind.as_str(),
                policy.as_str()
            ),
        ),
    }
}

/// Error URIs whose plaintext answers to a sealed CALL are delivered as errors:
/// those a router raises itself (no such procedure, canceled, ...) and the refusals
/// of wampe2e peers (`wampe2e.error.<code>`, carrying only the code). Both fail
/// the call; their payloads are not authenticated (a router can forge them too).
pub const PLAINTEXT_ERROR_PREFIXES: [&str; 2] = ["wamp.error.", "wampe2e.error."];

/// The inbound decision (see the module documentation). `strict` is what every
/// binding defaults to; `false` is the documented opt-out for migrations.
///
/// Errors: `PatternMismatch`, `UnexpectedPlaintext`.
pub fn decide(keyring: &KeyRing, arrival: &Arrival<'_>, strict: bool) -> Result<Delivery> {
    let uri = resolve_uri(arrival)?;
    if arrival.sealed {
        return Ok(Delivery::Open { uri });
    }
    if strict {
        let answers_sealed = match arrival.kind {
            MessageKind::Result => arrival.request_sealed,
            MessageKind::Error => {
                arrival.request_sealed
                    && !PLAINTEXT_ERROR_PREFIXES.iter().any(|p| uri.starts_with(p))
            }
            MessageKind::Event | MessageKind::Invocation => false,
        };
        if answers_sealed {
            return err(
                ErrorCode::UnexpectedPlaintext,
                format!(
                    "{} {uri:?} arrived unencrypted in answer to an encrypted call",
                    arrival.kind.as_str()
                ),
            );
        }
        if keyring.expects_sealed(&uri) {
            return err(
                ErrorCode::UnexpectedPlaintext,
                format!(
                    "{} on {uri:?} arrived unencrypted, but the keyring has a key for it",
                    arrival.kind.as_str()
                ),
            );
        }
    }
    Ok(Delivery::Plain { uri })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BoxKey, SecretKey};

    fn ring() -> KeyRing {
        let ring = KeyRing::new();
        let key = BoxKey::from_shared_secret(SecretKey::generate().unwrap()).unwrap();
        ring.set("com.secret.", key);
        ring
    }

    fn arrival<'a>(kind: MessageKind, local: &'a str, sealed: bool) -> Arrival<'a> {
        Arrival {
            kind,
            local_uri: local,
            policy: MatchPolicy::Exact,
            router_uri: None,
            sealed,
            request_sealed: false,
        }
    }

    fn code(r: Result<Delivery>) -> ErrorCode {
        r.unwrap_err().code()
    }

    #[test]
    fn keyed_uris_must_arrive_sealed_when_strict() {
        let ring = ring();
        for kind in MessageKind::ALL {
            let a = arrival(kind, "com.secret.x", false);
            assert_eq!(
                code(decide(&ring, &a, true)),
                ErrorCode::UnexpectedPlaintext
            );
            assert_eq!(
                decide(&ring, &a, false).unwrap(),
                Delivery::Plain {
                    uri: "com.secret.x".into()
                }
            );
            let sealed = arrival(kind, "com.secret.x", true);
            assert_eq!(
                decide(&ring, &sealed, true).unwrap(),
                Delivery::Open {
                    uri: "com.secret.x".into()
                }
            );
            let open = arrival(kind, "com.public.x", false);
            assert!(matches!(
                decide(&ring, &open, true),
                Ok(Delivery::Plain { .. })
            ));
        }
    }

    #[test]
    fn answers_to_sealed_calls_must_be_sealed_but_router_errors_pass() {
        let ring = KeyRing::new();
        let mut a = arrival(MessageKind::Result, "com.unkeyed.proc", false);
        a.request_sealed = true;
        assert_eq!(
            code(decide(&ring, &a, true)),
            ErrorCode::UnexpectedPlaintext
        );
        let mut e = arrival(MessageKind::Error, "com.app.error.forged", false);
        e.request_sealed = true;
        assert_eq!(
            code(decide(&ring, &e, true)),
            ErrorCode::UnexpectedPlaintext
        );
        for uri in ["wamp.error.no_such_procedure", "wampe2e.error.reflected"] {
            e.local_uri = uri;
            assert!(matches!(
                decide(&ring, &e, true),
                Ok(Delivery::Plain { .. })
            ));
        }
        e.request_sealed = false;
        e.local_uri = "com.app.error.plain";
        assert!(matches!(
            decide(&ring, &e, true),
            Ok(Delivery::Plain { .. })
        ));
    }

    #[test]
    fn exact_uses_the_local_uri_and_refuses_another() {
        let ring = ring();
        let mut a = arrival(MessageKind::Event, "com.secret.b", true);
        a.router_uri = Some("com.secret.b");
        assert_eq!(
            decide(&ring, &a, true).unwrap(),
            Delivery::Open {
                uri: "com.secret.b".into()
            }
        );
        a.router_uri = Some("com.secret.a");
        assert_eq!(code(decide(&ring, &a, true)), ErrorCode::PatternMismatch);
        assert_eq!(code(decide(&ring, &a, false)), ErrorCode::PatternMismatch);
    }

    #[test]
    fn patterns_take_the_router_uri_only_if_covered() {
        let ring = ring();
        let mut a = arrival(MessageKind::Invocation, "com.secret.", true);
        a.policy = MatchPolicy::Prefix;
        a.router_uri = Some("com.secret.deep.proc");
        assert_eq!(
            decide(&ring, &a, true).unwrap(),
            Delivery::Open {
                uri: "com.secret.deep.proc".into()
            }
        );
        a.router_uri = Some("com.other.proc");
        assert_eq!(code(decide(&ring, &a, true)), ErrorCode::PatternMismatch);
        a.router_uri = None;
        assert_eq!(code(decide(&ring, &a, true)), ErrorCode::PatternMismatch);
        a.policy = MatchPolicy::Wildcard;
        a.local_uri = "com..event";
        a.router_uri = Some("com.secret.event");
        assert!(decide(&ring, &a, true).is_ok());
        a.router_uri = Some("com.secret.x.event");
        assert_eq!(code(decide(&ring, &a, true)), ErrorCode::PatternMismatch);
    }

    #[test]
    fn wildcard_matching() {
        let w = MatchPolicy::Wildcard;
        assert!(w.matches("a..c", "a.b.c"));
        assert!(w.matches("a.b.c", "a.b.c"));
        assert!(!w.matches("a..c", "a.b.d"));
        assert!(!w.matches("a..c", "a.b.c.d"));
        assert!(!w.matches("a..c", "a.c"));
        assert!(w.matches("", "anything"));
        assert!(!w.matches("", "a.b"));
        assert!(MatchPolicy::Prefix.matches("", "x"));
        assert_eq!("".parse::<MatchPolicy>().unwrap(), MatchPolicy::Exact);
        assert_eq!(
            "regex".parse::<MatchPolicy>().unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        for k in MessageKind::ALL {
            assert_eq!(k.as_str().parse::<MessageKind>().unwrap(), k);
        }
    }
}
