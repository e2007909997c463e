//! The keyring: URI prefixes and key ids mapped to key entries, selected exactly as
//! Autobahn|Python's `KeyRing` does (longest character prefix, then the default).

use crate::crypto::secretbox::XSalsaKey;
use crate::error::{err, ErrorCode, Result};
use crate::keys::material::{DataKey, KeyInput, PublicKey, SecretKey};
use crate::keys::reflection::SealMarks;
use aes_gcm::{Aes256Gcm, KeyInit};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Which side of a WAMP interaction we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Caller or publisher: seals CALL/PUBLISH, opens RESULT/ERROR.
    Originator,
    /// Callee or subscriber: opens INVOCATION/EVENT, seals YIELD/ERROR.
    Responder,
}

/// A cryptobox key entry: the originator's and the responder's keys, as many as
/// this peer has. Each role's box (shared key) is precomputed once, here.
#[derive(Clone)]
pub struct BoxKey {
    originator_secret: Option<SecretKey>,
    originator_public: Option<PublicKey>,
    responder_secret: Option<SecretKey>,
    responder_public: Option<PublicKey>,
    originator_box: Option<XSalsaKey>,
    responder_box: Option<XSalsaKey>,
    names: KeyNames,
}

/// How a binding names the four keys of a key-pair entry, so that its users read
/// their own names in error messages (`originatorPriv` in JS, `originator_priv`
/// in Python and C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNames {
    /// The originator's secret key.
    pub originator_priv: &'static str,
    /// The originator's public key.
    pub originator_pub: &'static str,
    /// The responder's secret key.
    pub responder_priv: &'static str,
    /// The responder's public key.
    pub responder_pub: &'static str,
}

impl KeyNames {
    /// `originator_priv`, ... (Autobahn|Python, C, the CLI's key files).
    pub const SNAKE: KeyNames = KeyNames {
        originator_priv: "originator_priv",
        originator_pub: "originator_pub",
        responder_priv: "responder_priv",
        responder_pub: "responder_pub",
    };
    /// `originatorPriv`, ... (JavaScript, Kotlin, Swift).
    pub const CAMEL: KeyNames = KeyNames {
        originator_priv: "originatorPriv",
        originator_pub: "originatorPub",
        responder_priv: "responderPriv",
        responder_pub: "responderPub",
    };
}

fn pair(
    (secret_name, public_name): (&str, &str),
    secret: Option<SecretKey>,
    public: Option<PublicKey>,
) -> Result<(Option<SecretKey>, Option<PublicKey>)> {
    match (secret, public) {
        (Some(s), Some(p)) if s.public_key() != p => err(
            ErrorCode::InvalidKey,
            format!("{public_name}: does not belong to {secret_name}"),
        ),
        (Some(s), _) => {
            let p = s.public_key();
            Ok((Some(s), Some(p)))
        }
        (None, p) => Ok((None, p)),
    }
}

impl BoxKey {
    /// An entry from whichever keys this peer has, as Autobahn's `Key(...)`: a
    /// public key is derived from its secret when not given, and must match it
    /// when given. Fails with `KeyIncomplete` unless at least one role can work.
    pub fn new(
        originator_secret: Option<SecretKey>,
        originator_public: Option<PublicKey>,
        responder_secret: Option<SecretKey>,
        responder_public: Option<PublicKey>,
    ) -> Result<BoxKey> {
        BoxKey::new_named(
            KeyNames::SNAKE,
            originator_secret,
            originator_public,
            responder_secret,
            responder_public,
        )
    }

    /// [`BoxKey::new`], naming the keys in errors as the binding does.
    pub fn new_named(
        names: KeyNames,
        originator_secret: Option<SecretKey>,
        originator_public: Option<PublicKey>,
        responder_secret: Option<SecretKey>,
        responder_public: Option<PublicKey>,
    ) -> Result<BoxKey> {
        let (originator_secret, originator_public) = pair(
            (names.originator_priv, names.originator_pub),
            originator_secret,
            originator_public,
        )?;
        let (responder_secret, responder_public) = pair(
            (names.responder_priv, names.responder_pub),
            responder_secret,
            responder_public,
        )?;
        let make_box = |s: &Option<SecretKey>, p: &Option<PublicKey>| match (s, p) {
            (Some(s), Some(p)) => XSalsaKey::from_box(&s.to_bytes(), p.as_bytes()).map(Some),
            _ => Ok(None),
        };
        let originator_box = make_box(&originator_secret, &responder_public)?;
        let responder_box = make_box(&responder_secret, &originator_public)?;
        if originator_box.is_none() && responder_box.is_none() {
            return err(
                ErrorCode::KeyIncomplete,
                format!(
                    "insufficient keys for either role: need {} + {} or {} + {}",
                    names.originator_priv,
                    names.responder_pub,
                    names.responder_priv,
                    names.originator_pub
                ),
            );
        }
        Ok(BoxKey {
            originator_secret,
            originator_public,
            responder_secret,
            responder_public,
            originator_box,
            responder_box,
            names,
        })
    }

    /// [`BoxKey::new`] from base64 or hex strings (Autobahn's constructor arguments).
    pub fn from_encoded(
        originator_priv: Option<&str>,
        originator_pub: Option<&str>,
        responder_priv: Option<&str>,
        responder_pub: Option<&str>,
    ) -> Result<BoxKey> {
        BoxKey::new(
            originator_priv
                .map(|k| SecretKey::from_encoded("originator_priv", k))
                .transpose()?,
            originator_pub
                .map(|k| PublicKey::from_encoded("originator_pub", k))
                .transpose()?,
            responder_priv
                .map(|k| SecretKey::from_encoded("responder_priv", k))
                .transpose()?,
            responder_pub
                .map(|k| PublicKey::from_encoded("responder_pub", k))
                .transpose()?,
        )
    }

    /// [`BoxKey::new`] from keys as text or bytes (see [`crate::keys::material::KeyInput`]).
    pub fn from_inputs(
        originator_priv: Option<KeyInput<'_>>,
        originator_pub: Option<KeyInput<'_>>,
        responder_priv: Option<KeyInput<'_>>,
        responder_pub: Option<KeyInput<'_>>,
    ) -> Result<BoxKey> {
        BoxKey::from_inputs_named(
            KeyNames::SNAKE,
            originator_priv,
            originator_pub,
            responder_priv,
            responder_pub,
        )
    }

    /// [`BoxKey::from_inputs`], naming the keys in errors as the binding does.
    pub fn from_inputs_named(
        names: KeyNames,
        originator_priv: Option<KeyInput<'_>>,
        originator_pub: Option<KeyInput<'_>>,
        responder_priv: Option<KeyInput<'_>>,
        responder_pub: Option<KeyInput<'_>>,
    ) -> Result<BoxKey> {
        BoxKey::new_named(
            names,
            originator_priv
                .map(|k| SecretKey::from_input(names.originator_priv, k))
                .transpose()?,
            originator_pub
                .map(|k| PublicKey::from_input(names.originator_pub, k))
                .transpose()?,
            responder_priv
                .map(|k| SecretKey::from_input(names.responder_priv, k))
                .transpose()?,
            responder_pub
                .map(|k| PublicKey::from_input(names.responder_pub, k))
                .transpose()?,
        )
    }

    /// One secret key for both roles, as Autobahn's `KeyRing("<base64>")` does:
    /// every peer holding it can seal and open for every role.
    pub fn from_shared_secret(secret: SecretKey) -> Result<BoxKey> {
        BoxKey::new(Some(secret.clone()), None, Some(secret), None)
    }

    /// The originator's public key, if known.
    pub fn originator_public(&self) -> Option<PublicKey> {
        self.originator_public
    }

    /// The responder's public key, if known.
    pub fn responder_public(&self) -> Option<PublicKey> {
        self.responder_public
    }

    /// The precomputed box for `role`, or `KeyIncomplete` naming what is missing.
    pub(crate) fn box_for(&self, role: Role) -> Result<&XSalsaKey> {
        let n = &self.names;
        let (b, need) = match role {
            Role::Originator => (&self.originator_box, (n.originator_priv, n.responder_pub)),
            Role::Responder => (&self.responder_box, (n.responder_priv, n.originator_pub)),
        };
        b.as_ref().ok_or_else(|| {
            crate::Error::new(
                ErrorCode::KeyIncomplete,
                format!(
                    "key entry has no {role:?} keys (needs {} and {})",
                    need.0, need.1
                ),
            )
        })
    }

    /// A copy with fresh secrets for the parts this peer owns; peer public keys stay.
    fn rotated(&self) -> Result<BoxKey> {
        let fresh = |s: &Option<SecretKey>| s.as_ref().map(|_| SecretKey::generate()).transpose();
        let shared = matches!((&self.originator_secret, &self.responder_secret),
            (Some(a), Some(b)) if *a.to_bytes() == *b.to_bytes());
        if shared {
            return BoxKey::from_shared_secret(SecretKey::generate()?);
        }
        let originator_secret = fresh(&self.originator_secret)?;
        let responder_secret = fresh(&self.responder_secret)?;
        // Our own public keys are derived from the fresh secrets; a peer's stay.
        let originator_public = self
            .originator_public
            .filter(|_| originator_secret.is_none());
        let responder_public = self.responder_public.filter(|_| responder_secret.is_none());
        BoxKey::new(
            originator_secret,
            originator_public,
            responder_secret,
            responder_public,
        )
    }
}

impl fmt::Debug for BoxKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxKey")
            .field("originator_public", &self.originator_public)
            .field("responder_public", &self.responder_public)
            .field("originator_role", &self.originator_box.is_some())
            .field("responder_role", &self.responder_box.is_some())
            .finish()
    }
}

/// AES-256-GCM with random 96-bit nonces stays within NIST SP 800-38D's bound
/// (collision probability below 2^-32) for at most 2^32 messages per key: the
/// seal after that many fails with `KeyExhausted`.
pub const AES_GCM_SEAL_LIMIT: u64 = 1 << 32;

/// Seals after which a data key should be rotated (half of [`AES_GCM_SEAL_LIMIT`]);
/// see [`SymmetricKey::aes_seal_count`].
pub const AES_GCM_SEAL_WARNING: u64 = 1 << 31;

/// A symmetric data key with its id, and both ciphers' states precomputed.
///
/// One data key serves both ppt ciphers, as the spec's peers use it: a router that
/// flips `ppt_cipher` gets `DecryptionFailed` (the two constructions share no state,
/// and each authenticates its own layout under its own key schedule). Seals with
/// AES-256-GCM are counted per key, shared by clones, and stop at
/// [`AES_GCM_SEAL_LIMIT`]; XSalsa20-Poly1305's 192-bit random nonces need no limit.
#[derive(Clone)]
pub struct SymmetricKey {
    key_id: String,
    key: DataKey,
    pub(crate) secretbox: XSalsaKey,
    pub(crate) aes: Aes256Gcm,
    pub(crate) aes_seals: Arc<AtomicU64>,
}

impl SymmetricKey {
    /// A data key known by `key_id` (what travels as `ppt_keyid`).
    pub fn new(key_id: &str, key: DataKey) -> Result<SymmetricKey> {
        if key_id.is_empty() {
            return err(ErrorCode::InvalidArgument, "key_id: must not be empty");
        }
        let secretbox = XSalsaKey::new(key.as_bytes());
        let aes = Aes256Gcm::new(key.as_bytes().into());
        Ok(SymmetricKey {
            key_id: key_id.to_owned(),
            key,
            secretbox,
            aes,
            aes_seals: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// How many payloads this key has sealed with AES-256-GCM. Rotate the key when
    /// this passes [`AES_GCM_SEAL_WARNING`]; at [`AES_GCM_SEAL_LIMIT`] sealing stops.
    pub fn aes_seal_count(&self) -> u64 {
        self.aes_seals.load(Ordering::Relaxed)
    }

    /// Counts one AES-256-GCM seal, or refuses it past the limit.
    pub(crate) fn count_aes_seal(&self) -> Result<()> {
        if self.aes_seals.fetch_add(1, Ordering::Relaxed) >= AES_GCM_SEAL_LIMIT {
            self.aes_seals.store(AES_GCM_SEAL_LIMIT, Ordering::Relaxed);
            return err(
                ErrorCode::KeyExhausted,
                format!(
                    "data key {:?} has sealed 2^32 messages with aes256gcm; rotate it",
                    self.key_id
                ),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricKey")
            .field("key_id", &self.key_id)
            .field("key", &self.key)
            .field("aes_seals", &self.aes_seal_count())
            .finish()
    }
}

/// What a key entry holds.
// Entries live behind an `Arc` in the keyring and are never moved by value in
// bulk, so the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum KeyMaterial {
    /// X25519 key pairs for `crypto_box` (both dialects).
    Box(BoxKey),
    /// A symmetric data key (payload passthru mode only).
    Symmetric(SymmetricKey),
}

/// One entry of the keyring: key material plus its policy.
#[derive(Debug)]
pub struct KeyEntry {
    /// The keys.
    pub material: KeyMaterial,
    /// Accept plaintexts without a `uri` (connectanum-dart sends none). Off by
    /// default: without the URI binding a router could replay onto another URI.
    pub allow_missing_uri: bool,
}

impl From<BoxKey> for KeyEntry {
    fn from(k: BoxKey) -> KeyEntry {
        KeyEntry {
            material: KeyMaterial::Box(k),
            allow_missing_uri: false,
        }
    }
}

impl From<SymmetricKey> for KeyEntry {
    fn from(k: SymmetricKey) -> KeyEntry {
        KeyEntry {
            material: KeyMaterial::Symmetric(k),
            allow_missing_uri: false,
        }
    }
}

/// New public keys after [`KeyRing::rotate`], to hand to the peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatedKeys {
    /// The new originator public key, if this peer owns the originator secret.
    pub originator_public: Option<PublicKey>,
    /// The new responder public key, if this peer owns the responder secret.
    pub responder_public: Option<PublicKey>,
}

#[derive(Default)]
struct Inner {
    /// Ordered, not hashed: a lookup of a router-chosen URI's prefix costs a few
    /// string comparisons, where SipHash over it was a tenth of a small open.
    by_prefix: BTreeMap<String, Arc<KeyEntry>>,
    /// Byte lengths of the prefixes present, with their counts, so lookup tries
    /// only lengths that can match.
    prefix_lens: BTreeMap<usize, usize>,
    default: Option<Arc<KeyEntry>>,
    /// Data keys added by id only ([`KeyRing::add_symmetric_key`]): they open
    /// payloads on URIs that no entry (and no default) covers.
    by_key_id: HashMap<String, Arc<KeyEntry>>,
}

impl Inner {
    fn insert(&mut self, prefix: &str, entry: Arc<KeyEntry>) {
        if prefix.is_empty() {
            self.default = Some(entry);
        } else if self.by_prefix.insert(prefix.to_owned(), entry).is_none() {
            *self.prefix_lens.entry(prefix.len()).or_insert(0) += 1;
        }
    }

    fn get(&self, prefix: &str) -> Option<Arc<KeyEntry>> {
        if prefix.is_empty() {
            self.default.clone()
        } else {
            self.by_prefix.get(prefix).cloned()
        }
    }
}

/// A thread-safe keyring. Lookups take a read lock and clone an `Arc`, so
/// sealing never blocks on other sealers; changes take a short write lock.
#[derive(Default)]
pub struct KeyRing {
    inner: RwLock<Inner>,
    marks: Arc<SealMarks>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.read();
        let mut prefixes: Vec<&String> = inner.by_prefix.keys().collect();
        prefixes.sort();
        f.debug_struct("KeyRing")
            .field("prefixes", &prefixes)
            .field("has_default", &inner.default.is_some())
            .field("key_ids", &inner.by_key_id.len())
            .finish()
    }
}

impl KeyRing {
    /// An empty keyring.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    // No code path panics while holding the lock, so a poisoned lock still
    // guards consistent data: take it.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// How this keyring recognises its own seals (see [`crate::keys::reflection`]).
    pub(crate) fn marks(&self) -> &Arc<SealMarks> {
        &self.marks
    }

    /// Maps URIs starting with `prefix` to `entry`; the empty prefix sets the
    /// default entry (as Autobahn's `set_key("")`). A symmetric entry opens only
    /// payloads whose `ppt_keyid` is its own key id.
    pub fn set(&self, prefix: &str, entry: impl Into<KeyEntry>) {
        let entry = Arc::new(entry.into());
        self.write().insert(prefix, entry);
    }

    /// Adds a symmetric key found only by its key id: it opens payloads whose
    /// `ppt_keyid` names it on URIs that no entry (and no default) covers. A key id
    /// never selects a key for a URI whose entry holds another key.
    pub fn add_symmetric_key(&self, key: SymmetricKey) {
        let id = key.key_id.clone();
        self.write().by_key_id.insert(id, Arc::new(key.into()));
    }

    /// Whether a message on `uri` must arrive sealed: the keyring has an entry (or
    /// a default) for it. Key-id-only data keys do not count (they are not bound to URIs).
    pub fn expects_sealed(&self, uri: &str) -> bool {
        self.select(uri).is_some()
    }

    /// Removes the entry for exactly `prefix` (the default for ""): its keys no
    /// longer seal or open anything. Returns whether one was there.
    pub fn remove(&self, prefix: &str) -> bool {
        let mut inner = self.write();
        if prefix.is_empty() {
            return inner.default.take().is_some();
        }
        if inner.by_prefix.remove(prefix).is_none() {
            return false;
        }
        if let Some(n) = inner.prefix_lens.get_mut(&prefix.len()) {
            *n -= 1;
            if *n == 0 {
                inner.prefix_lens.remove(&prefix.len());
            }
        }
        true
    }

    /// Removes a key added by [`KeyRing::add_symmetric_key`]. Returns whether one was there.
    pub fn remove_key_id(&self, key_id: &str) -> bool {
        self.write().by_key_id.remove(key_id).is_some()
    }

    /// The entry for `uri`: longest character prefix, else the default.
    pub fn select(&self, uri: &str) -> Option<Arc<KeyEntry>> {
        let inner = self.read();
        for (&len, _) in inner.prefix_lens.range(..=uri.len()).rev() {
            if let Some(entry) = uri.get(..len).and_then(|p| inner.by_prefix.get(p)) {
                return Some(entry.clone());
            }
        }
        inner.default.clone()
    }

    /// [`KeyRing::select`], or `KeyNotFound`.
    pub fn select_or_err(&self, uri: &str) -> Result<Arc<KeyEntry>> {
        self.select(uri).ok_or_else(|| {
            crate::Error::new(
                ErrorCode::KeyNotFound,
                format!("no key for URI {uri:?} and no default key"),
            )
        })
    }

    /// The key-id-only data key with this id, if any (see [`KeyRing::add_symmetric_key`]).
    pub fn by_key_id(&self, key_id: &str) -> Option<Arc<KeyEntry>> {
        self.read().by_key_id.get(key_id).cloned()
    }

    /// Replaces this peer's secrets in the entry for exactly `prefix` ("" = default)
    /// with fresh ones from the OS RNG; peers' public keys are kept. Returns the new
    /// public keys to distribute. Symmetric entries get a fresh key under the same id.
    pub fn rotate(&self, prefix: &str) -> Result<RotatedKeys> {
        // One write lock from read to replace: a concurrent set or remove is
        // either before the rotation or after it, never undone by it.
        let mut inner = self.write();
        let current = inner.get(prefix).ok_or_else(|| {
            crate::Error::new(
                ErrorCode::KeyNotFound,
                format!("no key entry for prefix {prefix:?}"),
            )
        })?;
        let (material, rotated) = match &current.material {
            KeyMaterial::Box(b) => {
                let fresh = b.rotated()?;
                let rotated = RotatedKeys {
                    originator_public: fresh.originator_secret.as_ref().map(SecretKey::public_key),
                    responder_public: fresh.responder_secret.as_ref().map(SecretKey::public_key),
                };
                (KeyMaterial::Box(fresh), rotated)
            }
            KeyMaterial::Symmetric(s) => (
                KeyMaterial::Symmetric(SymmetricKey::new(&s.key_id, DataKey::generate()?)?),
                RotatedKeys {
                    originator_public: None,
                    responder_public: None,
                },
            ),
        };
        let entry = KeyEntry {
            material,
            allow_missing_uri: current.allow_missing_uri,
        };
        inner.insert(prefix, Arc::new(entry));
        Ok(rotated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> BoxKey {
        BoxKey::from_shared_secret(SecretKey::generate().unwrap()).unwrap()
    }

    #[test]
    fn longest_character_prefix_then_default() {
        let ring = KeyRing::new();
        assert!(ring.select("com.example").is_none());
        let (a, b, d) = (entry(), entry(), entry());
        let (pa, pb, pd) = (
            a.originator_public(),
            b.originator_public(),
            d.originator_public(),
        );
        ring.set("com.example", a);
        ring.set("com.example.top", b);
        ring.set("", d);
        let pub_of = |uri: &str| match &ring.select(uri).unwrap().material {
            KeyMaterial::Box(k) => k.originator_public(),
            KeyMaterial::Symmetric(_) => None,
        };
        // Character prefix, not per URI component (as pytrie's StringTrie).
        assert_eq!(pub_of("com.example.topic1"), pb);
        assert_eq!(pub_of("com.example.to"), pa);
        assert_eq!(pub_of("com.exampleX"), pa);
        assert_eq!(pub_of("com.example"), pa);
        assert_eq!(pub_of("org.other"), pd);
        assert!(ring.remove("com.example.top"));
        assert!(!ring.remove("com.example.top"));
        assert_eq!(pub_of("com.example.topic1"), pa);
        assert!(ring.remove(""));
        assert!(ring.select("org.other").is_none());
    }

    #[test]
    fn mismatched_public_key_is_rejected() {
        let s = SecretKey::generate().unwrap();
        let other = SecretKey::generate().unwrap().public_key();
        let e = BoxKey::new(Some(s), Some(other), None, Some(other)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidKey);
        let e = BoxKey::new(None, Some(other), None, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::KeyIncomplete);
    }

    #[test]
    fn rotate_replaces_own_secrets_only() {
        let ring = KeyRing::new();
        let mine = SecretKey::generate().unwrap();
        let peer = SecretKey::generate().unwrap().public_key();
        let key = BoxKey::new(Some(mine.clone()), None, None, Some(peer)).unwrap();
        ring.set("com.x", key);
        let r = ring.rotate("com.x").unwrap();
        let new_pub = r.originator_public.unwrap();
        assert_ne!(new_pub, mine.public_key());
        assert!(r.responder_public.is_none());
        match &ring.select("com.x.y").unwrap().material {
            KeyMaterial::Box(k) => {
                assert_eq!(k.originator_public(), Some(new_pub));
                assert_eq!(k.responder_public(), Some(peer));
                assert!(k.box_for(Role::Originator).is_ok());
            }
            KeyMaterial::Symmetric(_) => unreachable!(),
        }
        assert_eq!(
            ring.rotate("nope").unwrap_err().code(),
            ErrorCode::KeyNotFound
        );
    }

    #[test]
    fn aes_gcm_stops_at_its_seal_limit_and_xsalsa_does_not() {
        use crate::{seal_payload, Cipher, Dialect, Serializer};
        let key = SymmetricKey::new("k", DataKey::generate().unwrap()).unwrap();
        let ring = KeyRing::new();
        ring.set("", key.clone());
        let dialect = |cipher| Dialect::Passthru {
            serializer: Serializer::Json,
            cipher,
        };
        let seal = |cipher| seal_payload(&ring, Role::Originator, "u", None, None, dialect(cipher));
        seal(Cipher::Aes256Gcm).unwrap();
        assert_eq!(key.aes_seal_count(), 1, "clones share the count");
        key.aes_seals
            .store(AES_GCM_SEAL_LIMIT - 1, std::sync::atomic::Ordering::Relaxed);
        seal(Cipher::Aes256Gcm).unwrap();
        for _ in 0..3 {
            let e = seal(Cipher::Aes256Gcm).unwrap_err();
            assert_eq!(e.code(), ErrorCode::KeyExhausted);
        }
        assert_eq!(key.aes_seal_count(), AES_GCM_SEAL_LIMIT);
        seal(Cipher::XSalsa20Poly1305).unwrap();
        // A rotated key starts counting afresh.
        ring.rotate("").unwrap();
        seal(Cipher::Aes256Gcm).unwrap();
    }

    #[test]
    fn keyring_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<KeyRing>();
        check::<Arc<KeyEntry>>();
    }
}
