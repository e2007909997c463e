//! GS1 identities (§5): an Ed25519 key pair from a 32-byte seed (which may be the
//! peer's WAMP-cryptosign seed), its fingerprint and its key procedure URI, and the
//! `verify_strict` check every GS1 signature goes through.

use crate::error::{err, ErrorCode, Result};
use crate::keys::material::{KeyInput, KEY_LEN};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fmt;
use zeroize::Zeroizing;

/// The default base of key procedure URIs: `wampe2e.key.<fingerprint>`.
pub const DEFAULT_KEY_PROCEDURE_BASE: &str = "wampe2e.key";

/// An identity's public key: 32 bytes of Ed25519 public key, as the application pins
/// it and as it travels in every GS1 header. Not checked for validity when built:
/// a key that does not decode simply never verifies (`BadSignature`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey([u8; KEY_LEN]);

impl IdentityKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> IdentityKey {
        IdentityKey(*bytes)
    }

    /// A key from text (64 hex digits or base64) or bytes (see [`KeyInput`]);
    /// `what` names the argument in errors.
    pub fn from_input(what: &str, input: KeyInput<'_>) -> Result<IdentityKey> {
        Ok(IdentityKey(*input.decode(what)?))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The fingerprint: `hex(pk)`, 64 lowercase hexadecimal characters (§5).
    pub fn fingerprint(&self) -> String {
        hex::encode(self.0)
    }

    /// The key procedure URI of this identity: `<base>.<fingerprint>` (§5).
    pub fn key_procedure(&self, base: &str) -> String {
        format!("{base}.{}", self.fingerprint())
    }

    /// Checks `signature` over `message` with `verify_strict` semantics (§3):
    /// `BadSignature` if the key does not decode, is of small order, or the
    /// signature does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        self.verify_with(&self.verifying_key()?, message, signature)
    }

    /// The decoded key (point decompression: the part of a verification that a
    /// [`crate::group::Group`] does once per configured identity).
    pub(crate) fn verifying_key(&self) -> Result<VerifyingKey> {
        VerifyingKey::from_bytes(&self.0).or_else(|_| {
            err(
                ErrorCode::BadSignature,
                format!("signer key {} is not an Ed25519 point", self.short()),
            )
        })
    }

    /// [`IdentityKey::verify`] with this key already decoded as `key`.
    pub(crate) fn verify_with(
        &self,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<()> {
        let sig = Signature::from_bytes(signature);
        key.verify_strict(message, &sig).or_else(|_| {
            err(
                ErrorCode::BadSignature,
                format!("signature of {} does not verify", self.short()),
            )
        })
    }

    /// The first 8 hex digits, to name the key in messages.
    pub(crate) fn short(&self) -> String {
        let fp = self.fingerprint();
        fp.get(..8).unwrap_or_default().to_owned() + "…"
    }
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityKey({})", self.fingerprint())
    }
}

impl fmt::Display for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

/// A GS1 identity: an Ed25519 seed and its public key. The seed is zeroized on
/// drop and never shown by `Debug`. Used by one process at a time (§5).
#[derive(Clone)]
pub struct Identity {
    // SigningKey zeroizes itself on drop (ed25519-dalek's `zeroize` feature).
    signing: SigningKey,
    public: IdentityKey,
}

impl Identity {
    /// A fresh identity from the operating system's RNG.
    pub fn generate() -> Result<Identity> {
        let mut seed = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::getrandom(&mut seed[..])
            .or_else(|e| err(ErrorCode::RandomFailed, format!("getrandom: {e}")))?;
        Ok(Identity::from_seed(&seed))
    }

    /// The identity of a 32-byte seed (RFC 8032 private key), e.g. a WAMP-cryptosign seed.
    pub fn from_seed(seed: &[u8; KEY_LEN]) -> Identity {
        let signing = SigningKey::from_bytes(seed);
        let public = IdentityKey(signing.verifying_key().to_bytes());
        Identity { signing, public }
    }

    /// The GS1 identity of a WAMP-cryptosign seed (§5): never the cryptosign key
    /// itself (a router chooses what a cryptosign client signs), but
    /// `HKDF-SHA256(salt = empty, ikm = seed, info = "wampe2e/gs1/identity")`.
    /// Peers pin this identity's public key, not the cryptosign one.
    pub fn from_cryptosign_seed(cryptosign_seed: &[u8; KEY_LEN]) -> Identity {
        let mut seed = Zeroizing::new([0u8; KEY_LEN]);
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(None, cryptosign_seed);
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: expand cannot fail.
        if hk.expand(b"wampe2e/gs1/identity", &mut seed[..]).is_err() {
            seed.fill(0);
        }
        Identity::from_seed(&seed)
    }

    /// The identity of a seed given as text (64 hex digits or base64, as cryptosign
    /// key files hold it) or bytes; `what` names the argument in errors, which never
    /// contain the seed.
    pub fn from_input(what: &str, input: KeyInput<'_>) -> Result<Identity> {
        let seed = input.decode(what)?;
        Ok(Identity::from_seed(&seed))
    }

    /// The public key.
    pub fn public(&self) -> IdentityKey {
        self.public
    }

    /// The seed, in a buffer zeroized on drop (to store the identity).
    pub fn seed(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The fingerprint, `hex(pk)` (§5).
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint()
    }

    /// This identity's key procedure URI, `<base>.<fingerprint>` (§5).
    pub fn key_procedure(&self, base: &str) -> String {
        self.public.key_procedure(base)
    }

    /// RFC 8032 Ed25519 signature of `message` (GS1 callers always pass a labelled input).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
