//! The receiver's store (§9.2, §9.3): session records keyed by (sender, session
//! id), each with its chain key, replay window and skipped message keys; at most
//! `MAX_SESSIONS` records per (sender, prefix), superseded ones kept for the grace window.

use crate::error::{err, ErrorCode, Result};
use crate::group::chain::{ChainKey, MessageKey};
use crate::group::identity::IdentityKey;
use crate::group::wire::Share;
use crate::group::{Params, MAX_JUMP, MAX_SESSIONS, MAX_SKIPPED, WINDOW};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// One session a receiver holds.
pub(crate) struct Record {
    pub(crate) sender: IdentityKey,
    pub(crate) session_id: [u8; 16],
    pub(crate) prefix: String,
    pub(crate) created_ms: u64,
    pub(crate) not_after_ms: u64,
    /// The share's index: nothing below it opens.
    pub(crate) start: u64,
    /// Index of the chain key held.
    pub(crate) next: u64,
    /// `CK` at `next`.
    pub(crate) ck: ChainKey,
    pub(crate) highest: Option<u64>,
    /// Bit `d` set ⇔ index `highest − d` was opened.
    pub(crate) window: u64,
    /// Message keys of indices below `next` not yet opened.
    pub(crate) skipped: BTreeMap<u64, MessageKey>,
    pub(crate) superseded_at: Option<u64>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("sender", &self.sender)
            .field("session_id", &hex::encode(self.session_id))
            .field("prefix", &self.prefix)
            .field("start", &self.start)
            .field("next", &self.next)
            .field("highest", &self.highest)
            .field("skipped", &self.skipped.len())
            .field("superseded_at", &self.superseded_at)
            .finish_non_exhaustive()
    }
}

impl Record {
    fn order_key(&self) -> (u64, [u8; 16]) {
        (self.created_ms, self.session_id)
    }

    /// Expired at `now_ms` (§9.2).
    fn expired(&self, now_ms: u64, params: &Params) -> bool {
        self.superseded_at
            .is_some_and(|at| now_ms > at.saturating_add(params.grace_ms))
            || now_ms > self.not_after_ms.saturating_add(params.max_skew_ms)
    }

    /// Whether index `i` (below `next`) was opened, per the window.
    fn seen(&self, i: u64) -> bool {
        match self.highest {
            Some(h) if h >= i && h - i < WINDOW => self.window & (1u64 << (h - i)) != 0,
            _ => false,
        }
    }

    fn mark(&mut self, i: u64) {
        match self.highest {
            None => {
                self.highest = Some(i);
                self.window = 1;
            }
            Some(h) if i > h => {
                let s = i - h;
                self.window = if s >= WINDOW {
                    1
                } else {
                    (self.window << s) | 1
                };
                self.highest = Some(i);
            }
            Some(h) => {
                let d = h - i;
                if d < WINDOW {
                    self.window |= 1u64 << d;
                }
            }
        }
    }
}

/// What the index checks of §9.2 decided: the key of the message, and the state
/// to commit if (and only if) the message then decrypts.
pub(crate) struct Pending {
    pub(crate) key: MessageKey,
    index: u64,
    /// Set when the chain moves.
    advance: Option<Advance>,
}

/// The chain after a message at or past `next`: `CK_after`, `next_after` and
/// the skipped keys derived on the way.
pub(crate) struct Advance {
    ck: ChainKey,
    next: u64,
    new_keys: Vec<(u64, MessageKey)>,
}

/// The receiver's records.
#[derive(Default)]
pub(crate) struct Store {
    /// (sender, prefix) → its records (at most `MAX_SESSIONS`).
    groups: HashMap<(IdentityKey, String), Vec<Record>>,
    /// (sender, session id) → the prefix of its group.
    index: HashMap<(IdentityKey, [u8; 16]), String>,
}

impl Store {
    fn record(&self, sender: &IdentityKey, sid: &[u8; 16]) -> Option<&Record> {
        let prefix = self.index.get(&(*sender, *sid))?;
        self.groups
            .get(&(*sender, prefix.clone()))?
            .iter()
            .find(|r| r.session_id == *sid)
    }

    fn record_mut(&mut self, sender: &IdentityKey, sid: &[u8; 16]) -> Option<&mut Record> {
        let prefix = self.index.get(&(*sender, *sid))?;
        self.groups
            .get_mut(&(*sender, prefix.clone()))?
            .iter_mut()
            .find(|r| r.session_id == *sid)
    }

    /// How many records the store holds.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Every record (for exporting the state, `state.rs`).
    pub(crate) fn records(&self) -> impl Iterator<Item = &Record> {
        self.groups.values().flatten()
    }

    /// Adds a record checked by the caller (importing a state, `state.rs`):
    /// its (sender, session id) not yet held, its group below `MAX_SESSIONS`.
    pub(crate) fn insert_record(&mut self, r: Record) -> Result<()> {
        let id = (r.sender, r.session_id);
        let group = self.groups.entry((r.sender, r.prefix.clone())).or_default();
        if self.index.contains_key(&id) || group.len() >= MAX_SESSIONS {
            return err(
                ErrorCode::Malformed,
                format!(
                    "session {} held twice, or more than {MAX_SESSIONS} sessions of one sender and prefix",
                    hex::encode(r.session_id)
                ),
            );
        }
        self.index.insert(id, r.prefix.clone());
        group.push(r);
        Ok(())
    }

    /// The session-and-index checks of §9.2 for a message whose structure, trust
    /// and signature have passed, up to the key; changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prepare(
        &self,
        sender: &IdentityKey,
        sid: &[u8; 16],
        entry_prefix: &str,
        index: u32,
        timestamp_ms: u64,
        now_ms: u64,
        params: &Params,
    ) -> Result<Pending> {
        let Some(r) = self.record(sender, sid) else {
            return err(
                ErrorCode::UnknownSession,
                format!(
                    "no session {} of sender {}",
                    hex::encode(sid),
                    sender.short()
                ),
            );
        };
        if r.prefix != entry_prefix {
            return err(
                ErrorCode::PatternMismatch,
                format!(
                    "session {} was shared for prefix {:?}, the URI selects {:?}",
                    hex::encode(sid),
                    r.prefix,
                    entry_prefix
                ),
            );
        }
        if r.expired(now_ms, params) {
            return err(
                ErrorCode::SessionExpired,
                format!("session {} has expired", hex::encode(sid)),
            );
        }
        if timestamp_ms > r.not_after_ms {
            return err(
                ErrorCode::SessionExpired,
                format!(
                    "message timestamped {timestamp_ms}, after session {}'s not-after {}",
                    hex::encode(sid),
                    r.not_after_ms
                ),
            );
        }
        let i = u64::from(index);
        if i < r.start {
            return err(
                ErrorCode::TooOld,
                format!("index {i} is below the share's start {}", r.start),
            );
        }
        if i < r.next {
            if r.seen(i) {
                return err(ErrorCode::Replayed, format!("index {i} was already opened"));
            }
            let Some(key) = r.skipped.get(&i) else {
                return err(
                    ErrorCode::TooOld,
                    format!("index {i}: its key is gone (opened or evicted)"),
                );
            };
            return Ok(Pending {
                key: key.clone(),
                index: i,
                advance: None,
            });
        }
        let jump = i - r.next;
        if jump >= MAX_JUMP {
            return err(
                ErrorCode::IndexJump,
                format!("index {i} is {jump} past the next expected {}", r.next),
            );
        }
        // Keys the eviction rule would drop at once (all but the MAX_SKIPPED
        // highest) are not derived; the observable results are the same (§9.2).
        let keep_from = i.saturating_sub(MAX_SKIPPED as u64).max(r.next);
        let mut ck = r.ck.advanced(keep_from - r.next);
        let mut new_keys = Vec::with_capacity((i - keep_from) as usize);
        for j in keep_from..i {
            new_keys.push((j, ck.message_key(sid, sender, j as u32)?));
            ck.advance();
        }
        let key = ck.message_key(sid, sender, index)?;
        ck.advance();
        Ok(Pending {
            key,
            index: i,
            advance: Some(Advance {
                ck,
                next: i + 1,
                new_keys,
            }),
        })
    }

    /// Commits an opened message (§9.2 "commit"). The record is still there: the
    /// store lock is held from `prepare` to here.
    pub(crate) fn commit(&mut self, sender: &IdentityKey, sid: &[u8; 16], p: Pending) {
        let Some(r) = self.record_mut(sender, sid) else {
            return;
        };
        r.skipped.remove(&p.index);
        if let Some(a) = p.advance {
            r.skipped.extend(a.new_keys);
            r.ck = a.ck;
            r.next = a.next;
        }
        while r.skipped.len() > MAX_SKIPPED {
            r.skipped.pop_first();
        }
        r.mark(p.index);
    }

    /// `accept_share(share, now_ms)` of §9.3.
    pub(crate) fn accept_share(
        &mut self,
        share: &Share,
        now_ms: u64,
        params: &Params,
    ) -> Result<()> {
        if now_ms > share.not_after_ms.saturating_add(params.max_skew_ms) {
            return err(
                ErrorCode::SessionExpired,
                format!(
                    "share of session {} is past its not-after time",
                    hex::encode(share.session_id)
                ),
            );
        }
        if self.index.contains_key(&(share.sender, share.session_id)) {
            return Ok(());
        }
        let key = (share.sender, share.prefix.clone());
        let group = self.groups.entry(key).or_default();
        let order = (share.created_ms, share.session_id);
        if group.len() >= MAX_SESSIONS && group.iter().all(|q| order < q.order_key()) {
            return err(
                ErrorCode::SessionExpired,
                format!(
                    "share of session {} is older than every session kept",
                    hex::encode(share.session_id)
                ),
            );
        }
        let mut r = Record {
            sender: share.sender,
            session_id: share.session_id,
            prefix: share.prefix.clone(),
            created_ms: share.created_ms,
            not_after_ms: share.not_after_ms,
            start: u64::from(share.index),
            next: u64::from(share.index),
            ck: share.chain_key.clone(),
            highest: None,
            window: 0,
            skipped: BTreeMap::new(),
            superseded_at: None,
        };
        for q in group.iter_mut() {
            if q.created_ms < r.created_ms && q.superseded_at.is_none() {
                q.superseded_at = Some(now_ms);
            }
            if q.created_ms > r.created_ms && r.superseded_at.is_none() {
                r.superseded_at = Some(now_ms);
            }
        }
        group.push(r);
        self.index
            .insert((share.sender, share.session_id), share.prefix.clone());
        while group.len() > MAX_SESSIONS {
            let Some((pos, _)) = group.iter().enumerate().min_by_key(|(_, q)| q.order_key()) else {
                break;
            };
            let gone = group.swap_remove(pos);
            self.index.remove(&(gone.sender, gone.session_id));
        }
        Ok(())
    }
}
