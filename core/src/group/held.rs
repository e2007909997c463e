//! Messages held while their session's key is fetched (§11.6).
//!
//! A receiver that meets an event or call of a session it does not hold
//! (`UnknownSession` from [`Group::open`]) does not drop it: it holds it, asks the
//! sender's key procedure for the session once (every later message of that
//! session waits for the same answer), and when the answer is accepted opens the
//! held messages in index order. The binding does the WAMP part (the CALL, its
//! timer); this module decides what is held, when a key is asked for, what the
//! bounds are and what becomes of the held messages.
//!
//! Only messages whose signature already verified from a pinned sender reach
//! `UnknownSession` (§9.2 checks the sender and the signature first), so a router
//! can fill the queue only with genuine messages it replays, and the bounds hold
//! even then: a session's queue, all queues together, and the time a fetch may
//! take. Past a bound the message is refused with `HoldOverflow`; a fetch that
//! fails or takes too long discards its messages with its error, and for
//! `max_wait_ms` after that the session's further messages are refused with the
//! same error without asking again (a revoked receiver does not call the sender
//! once per event).

use std::collections::{HashMap, VecDeque};

use super::wire::parse_session_envelope;
use super::{Group, IdentityKey, Kind, DEFAULT_KEY_PROCEDURE_BASE};
use crate::error::{err, Error, ErrorCode, Result};

/// The bounds of a [`Held`] queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldLimits {
    /// Messages held per session (1 …; default 256).
    pub max_per_session: usize,
    /// Messages held in all (1 …; default 4096).
    pub max_total: usize,
    /// How long a fetch may take before its messages are discarded with
    /// `KeyFetchFailed`, and how long a failed fetch's error is remembered
    /// (1 … ; default 10 s).
    pub max_wait_ms: u64,
}

impl Default for HeldLimits {
    fn default() -> HeldLimits {
        HeldLimits {
            max_per_session: 256,
            max_total: 4096,
            max_wait_ms: 10_000,
        }
    }
}

impl HeldLimits {
    /// Checks that every bound is at least 1 (`InvalidArgument`).
    pub fn validate(&self) -> Result<()> {
        if self.max_per_session == 0 || self.max_total == 0 || self.max_wait_ms == 0 {
            return err(
                ErrorCode::InvalidArgument,
                "held limits: max_per_session, max_total and max_wait_ms must be at least 1",
            );
        }
        Ok(())
    }
}

/// A key fetch to make: CALL `procedure` with `request` as its one binary
/// argument, then hand the RESULT's binary to [`Group::accept_key_response`]
/// with `request_hash`, and [`Held::release`] (or [`Held::fail`]) the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The sender's key procedure, `<base>.<fingerprint>`.
    pub procedure: String,
    /// The signed key request.
    pub request: Vec<u8>,
    /// `SHA256(request)`: names the fetch.
    pub request_hash: [u8; 32],
    /// The sender asked.
    pub sender: IdentityKey,
    /// The session asked for.
    pub session_id: [u8; 16],
}

/// What [`Held::hold`] did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Held, and its session's key must be fetched now.
    Fetch(Fetch),
    /// Held behind a fetch already under way.
    Waiting,
}

/// A session, as (sender, session id).
type SessionKey = (IdentityKey, [u8; 16]);

struct Pending<T> {
    request_hash: [u8; 32],
    started_ms: u64,
    /// (index, arrival number, item)
    items: VecDeque<(u32, u64, T)>,
}

/// Messages held per (sender, session) while its key is fetched. Not locked
/// itself: a binding keeps it beside its [`Group`], under its own lock or on
/// its event loop.
pub struct Held<T> {
    limits: HeldLimits,
    base: String,
    pending: HashMap<SessionKey, Pending<T>>,
    by_hash: HashMap<[u8; 32], SessionKey>,
    /// (sender, session) → (the error its fetch failed with, until when).
    failed: HashMap<SessionKey, (ErrorCode, u64)>,
    total: usize,
    arrivals: u64,
}

impl<T> std::fmt::Debug for Held<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("limits", &self.limits)
            .field("fetches", &self.pending.len())
            .field("held", &self.total)
            .field("failed", &self.failed.len())
            .finish()
    }
}

impl<T> Held<T> {
    /// An empty queue with `limits`, fetching from key procedures under
    /// `base` (`None`: `wampe2e.key`).
    pub fn new(limits: HeldLimits, base: Option<&str>) -> Result<Held<T>> {
        limits.validate()?;
        let base = base.unwrap_or(DEFAULT_KEY_PROCEDURE_BASE);
        if base.is_empty() {
            return err(ErrorCode::InvalidArgument, "key procedure base is empty");
        }
        Ok(Held {
            limits,
            base: base.to_owned(),
            pending: HashMap::new(),
            by_hash: HashMap::new(),
            failed: HashMap::new(),
            total: 0,
            arrivals: 0,
        })
    }

    /// The limits.
    pub fn limits(&self) -> HeldLimits {
        self.limits
    }

    /// Messages held in all.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Fetches under way.
    pub fn fetches(&self) -> usize {
        self.pending.len()
    }

    /// Holds `item`, the message whose `envelope` of `kind` arrived for `uri` and
    /// that [`Group::open`] refused with `UnknownSession`, behind its session's
    /// fetch, starting the fetch if there is none (a key request from the
    /// message's index on, for the prefix of `group`'s entry for `uri`).
    ///
    /// Errors (the item is then not held; report it with the error):
    /// `HoldOverflow` (a bound is reached), the error a fetch of the same session
    /// failed with in the last `max_wait_ms`, and those of
    /// [`parse_session_envelope`], [`Group::select`] (`KeyNotFound`) and
    /// [`Group::key_request`].
    pub fn hold(
        &mut self,
        group: &Group,
        uri: &str,
        kind: Kind,
        envelope: &[u8],
        item: T,
        now_ms: u64,
    ) -> Result<Hold> {
        let header = parse_session_envelope(envelope, kind)?.header;
        let key = (header.sender, header.session_id);
        self.failed.retain(|_, (_, until)| *until > now_ms);
        if let Some((code, _)) = self.failed.get(&key) {
            return Err(Error::new(
                *code,
                format!(
                    "the key fetch for session {} of {} failed lately",
                    hex::encode(header.session_id),
                    header.sender.short()
                ),
            ));
        }
        let full = |what: &str, n: usize| {
            err::<Hold>(
                ErrorCode::HoldOverflow,
                format!("{n} messages already held {what}; message discarded"),
            )
        };
        if self.total >= self.limits.max_total {
            return full("in all", self.total);
        }
        self.arrivals += 1;
        let arrival = self.arrivals;
        if let Some(p) = self.pending.get_mut(&key) {
            if p.items.len() >= self.limits.max_per_session {
                return full("for this session", p.items.len());
            }
            p.items.push_back((header.index, arrival, item));
            self.total += 1;
            return Ok(Hold::Waiting);
        }
        let Some(entry) = group.select(uri) else {
            return err(
                ErrorCode::KeyNotFound,
                format!("no GS1 entry covers URI {uri:?}"),
            );
        };
        let request = group.key_request(
            &header.sender,
            header.session_id,
            header.index,
            &entry.prefix,
            now_ms,
        )?;
        let mut items = VecDeque::new();
        items.push_back((header.index, arrival, item));
        self.pending.insert(
            key,
            Pending {
                request_hash: request.request_hash,
                started_ms: now_ms,
                items,
            },
        );
        self.by_hash.insert(request.request_hash, key);
        self.total += 1;
        Ok(Hold::Fetch(Fetch {
            procedure: header.sender.key_procedure(&self.base),
            request: request.request,
            request_hash: request.request_hash,
            sender: header.sender,
            session_id: header.session_id,
        }))
    }

    fn take(&mut self, request_hash: &[u8; 32]) -> Option<(SessionKey, Vec<T>)> {
        let key = self.by_hash.remove(request_hash)?;
        let p = self.pending.remove(&key)?;
        self.total -= p.items.len();
        let mut items: Vec<_> = p.items.into();
        // The sender's order: by index, then by arrival (a replayed index keeps
        // its place after the original and is refused as `Replayed` when opened).
        items.sort_by_key(|(index, arrival, _)| (*index, *arrival));
        Some((key, items.into_iter().map(|(_, _, t)| t).collect()))
    }

    /// The messages held behind the fetch `request_hash`, in the sender's order,
    /// once [`Group::accept_key_response`] accepted its answer: open each with
    /// [`Group::open`] now (each may still fail on its own, e.g. `Replayed`).
    /// Empty if no such fetch is under way (it failed or expired meanwhile).
    pub fn release(&mut self, request_hash: &[u8; 32]) -> Vec<T> {
        self.take(request_hash).map(|(_, t)| t).unwrap_or_default()
    }

    /// Ends the fetch `request_hash` with the error `code` (its answer was refused
    /// or not accepted, or the CALL failed: `KeyFetchFailed` for a WAMP error that
    /// is no GS1 refusal), cancels `group`'s pending request and returns the held
    /// messages, to be reported with `code`. The session's further messages are
    /// refused with `code` for `max_wait_ms`.
    pub fn fail(
        &mut self,
        group: &Group,
        request_hash: &[u8; 32],
        code: ErrorCode,
        now_ms: u64,
    ) -> Vec<T> {
        group.cancel_key_request(request_hash);
        let Some((key, items)) = self.take(request_hash) else {
            return Vec::new();
        };
        if self.failed.len() >= self.limits.max_total {
            let oldest = self
                .failed
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.failed.remove(&k);
            }
        }
        self.failed
            .insert(key, (code, now_ms.saturating_add(self.limits.max_wait_ms)));
        items
    }

    /// Ends every fetch under way for longer than `max_wait_ms` with
    /// `KeyFetchFailed` (as [`Held::fail`]); returns their messages, to be
    /// reported with that code. A binding calls it from a timer, or before each
    /// `hold`.
    pub fn expire(&mut self, group: &Group, now_ms: u64) -> Vec<T> {
        let due: Vec<[u8; 32]> = self
            .pending
            .values()
            .filter(|p| now_ms.saturating_sub(p.started_ms) >= self.limits.max_wait_ms)
            .map(|p| p.request_hash)
            .collect();
        let mut out = Vec::new();
        for h in due {
            out.extend(self.fail(group, &h, ErrorCode::KeyFetchFailed, now_ms));
        }
        out
    }

    /// Whether the fetch `request_hash` is under way.
    pub fn is_fetching(&self, request_hash: &[u8; 32]) -> bool {
        self.by_hash.contains_key(request_hash)
    }
}

/// The code of a key procedure's refusal URI (§11.4: `wampe2e.error.` + the
/// code's name in lower case without `WAMPE2E_`), or `KeyFetchFailed` for any
/// other error URI (the router's `wamp.error.no_such_procedure`, a timeout, …).
pub fn fetch_error_code(error_uri: &str) -> ErrorCode {
    const REFUSALS: [ErrorCode; 8] = [
        ErrorCode::Malformed,
        ErrorCode::WrongVersion,
        ErrorCode::WrongKind,
        ErrorCode::BadSignature,
        ErrorCode::KeyRequestStale,
        ErrorCode::KeyRefused,
        ErrorCode::UnknownSession,
        ErrorCode::RandomFailed,
    ];
    error_uri
        .strip_prefix("wampe2e.error.")
        .and_then(|name| {
            REFUSALS.into_iter().find(|c| {
                c.name()
                    .strip_prefix("WAMPE2E_")
                    .is_some_and(|n| n.to_ascii_lowercase() == name)
            })
        })
        .unwrap_or(ErrorCode::KeyFetchFailed)
}
