//! Trust configuration (§6): per URI prefix, the identities trusted to send
//! (publishers, callers) and those authorized to receive (subscribers, callees),
//! selected by the longest prefix as the keyring selects its entries.

use crate::group::identity::IdentityKey;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// One trust entry: who may seal under the prefix and who may get its session keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustEntry {
    /// The URIs this entry governs: every URI whose UTF-8 bytes start with it.
    pub prefix: String,
    /// Identities trusted to seal events and calls under the prefix.
    pub senders: BTreeSet<IdentityKey>,
    /// Identities authorized to get session keys for the prefix and to sign
    /// replies to calls under it.
    pub receivers: BTreeSet<IdentityKey>,
}

impl TrustEntry {
    /// An entry from its prefix and its two sets.
    pub fn new(
        prefix: &str,
        senders: impl IntoIterator<Item = IdentityKey>,
        receivers: impl IntoIterator<Item = IdentityKey>,
    ) -> TrustEntry {
        TrustEntry {
            prefix: prefix.to_owned(),
            senders: senders.into_iter().collect(),
            receivers: receivers.into_iter().collect(),
        }
    }
}

/// The application's authorization callback `authorize(requester, prefix)`, asked
/// after the `receivers` check when a key request is answered (§6).
pub type Authorize = Arc<dyn Fn(&IdentityKey, &str) -> bool + Send + Sync>;

/// The entries, at most one per prefix.
#[derive(Default)]
pub(crate) struct Trust {
    by_prefix: HashMap<String, Arc<TrustEntry>>,
    /// Byte lengths of the prefixes present, with their counts, so that selection
    /// tries only lengths that can match.
    prefix_lens: BTreeMap<usize, usize>,
}

impl Trust {
    /// Sets the entry for its prefix; returns the one it replaced.
    pub(crate) fn set(&mut self, entry: TrustEntry) -> Option<Arc<TrustEntry>> {
        let len = entry.prefix.len();
        let old = self.by_prefix.insert(entry.prefix.clone(), Arc::new(entry));
        if old.is_none() {
            *self.prefix_lens.entry(len).or_insert(0) += 1;
        }
        old
    }

    /// Removes the entry for exactly `prefix`.
    pub(crate) fn remove(&mut self, prefix: &str) -> Option<Arc<TrustEntry>> {
        let old = self.by_prefix.remove(prefix)?;
        if let Some(n) = self.prefix_lens.get_mut(&prefix.len()) {
            *n -= 1;
            if *n == 0 {
                self.prefix_lens.remove(&prefix.len());
            }
        }
        Some(old)
    }

    /// The entry whose prefix is exactly `prefix`.
    pub(crate) fn exact(&self, prefix: &str) -> Option<Arc<TrustEntry>> {
        self.by_prefix.get(prefix).cloned()
    }

    /// `select(uri)`: the entry with the longest prefix of `uri`'s bytes (§6).
    pub(crate) fn select(&self, uri: &str) -> Option<Arc<TrustEntry>> {
        let bytes = uri.as_bytes();
        for (&len, _) in self.prefix_lens.range(..=bytes.len()).rev() {
            // A prefix is UTF-8 but may end inside one of the URI's characters:
            // compare bytes, as the page says.
            let Some(head) = bytes.get(..len) else {
                continue;
            };
            if let Some(e) = std::str::from_utf8(head)
                .ok()
                .and_then(|p| self.by_prefix.get(p))
            {
                return Some(e.clone());
            }
        }
        None
    }

    /// Every entry, by prefix.
    pub(crate) fn entries(&self) -> Vec<TrustEntry> {
        let mut v: Vec<TrustEntry> = self.by_prefix.values().map(|e| (**e).clone()).collect();
        v.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        v
    }
}
