//! Refusing this keyring's own ciphertext when the router sends it back to be
//! opened in the role that sealed it: a CALL returned as its own RESULT, a YIELD
//! returned as an INVOCATION. In cryptobox both roles of an entry share one X25519
//! key, so such a ciphertext authenticates; only its origin gives it away.
//!
//! * XSalsa20-Poly1305 (cryptobox, and ppt's default): the 24-byte nonce is 16
//!   random bytes and an 8-byte mark, SipHash-1-3 of (role, those 16 bytes) under
//!   a random key of this keyring. Opening recomputes the mark: every ciphertext
//!   this keyring ever sealed is recognised, with no memory and no limit; a peer's
//!   random nonce carries our mark with probability 2^-64. The nonce stays unique
//!   (128 random bits) and needs nothing from the peer: its format is unchanged.
//! * AES-256-GCM (12-byte nonce, no room for a mark beside 96 random bits): the
//!   nonces of the last [`REMEMBERED_AES_SEALS`] seals of each role are
//!   remembered, each role apart: the YIELDs a router can make a callee seal (one
//!   per INVOCATION it sends) never push a pending CALL out of the originator's
//!   memory. What a router can still do is make a callee seal more YIELDs than
//!   that and then send an old one back as an INVOCATION.
//!
//! A session that receives its own publication (`exclude_me=False`) opens it in
//! the other role: that is not a reflection and is not refused.

use crate::crypto::cipher::Cipher;
use crate::error::{err, ErrorCode, Result};
use crate::keys::keyring::Role;
use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// How many AES-256-GCM seals a keyring remembers per role (about 0.4 MiB per role when full).
pub const REMEMBERED_AES_SEALS: usize = 16384;

/// Bytes of the XSalsa20 nonce that are random; the rest is the mark.
const RANDOM: usize = 16;
/// The XSalsa20 nonce length.
const NONCE: usize = 24;

/// A keyring's means to recognise its own seals.
#[derive(Default)]
pub(crate) struct SealMarks {
    key: RandomState,
    /// The originator's and the responder's AES-256-GCM nonces, apart.
    aes: [Mutex<AesMemory>; 2],
}

#[derive(Default)]
struct AesMemory {
    seen: HashSet<[u8; 12]>,
    order: VecDeque<[u8; 12]>,
}

fn memory_of(role: Role) -> usize {
    match role {
        Role::Originator => 0,
        Role::Responder => 1,
    }
}

impl SealMarks {
    fn mark_of(&self, role: Role, random: &[u8]) -> [u8; NONCE - RANDOM] {
        self.key.hash_one((role, random)).to_le_bytes()
    }

    /// Called with a fresh random nonce before encryption: marks an XSalsa20 nonce.
    pub(crate) fn mark(&self, role: Role, cipher: Cipher, nonce: &mut [u8]) {
        if cipher != Cipher::XSalsa20Poly1305 || nonce.len() != NONCE {
            return;
        }
        let (random, mark) = nonce.split_at_mut(RANDOM);
        mark.copy_from_slice(&self.mark_of(role, random));
    }

    /// Called with the sealed bytes: remembers an AES-256-GCM nonce.
    pub(crate) fn sealed(&self, role: Role, cipher: Cipher, sealed: &[u8]) {
        let Some(nonce) = aes_nonce(cipher, sealed) else {
            return;
        };
        let Some(slot) = self.aes.get(memory_of(role)) else {
            return;
        };
        let mut memory = slot.lock().unwrap_or_else(|p| p.into_inner());
        if memory.order.len() >= REMEMBERED_AES_SEALS {
            if let Some(old) = memory.order.pop_front() {
                memory.seen.remove(&old);
            }
        }
        if memory.seen.insert(nonce) {
            memory.order.push_back(nonce);
        }
    }

    /// `Reflected` if this keyring sealed `sealed` itself in `role`.
    pub(crate) fn check(&self, role: Role, cipher: Cipher, sealed: &[u8]) -> Result<()> {
        let ours = match (cipher, sealed.get(..NONCE)) {
            (Cipher::XSalsa20Poly1305, Some(nonce)) => {
                let (random, mark) = nonce.split_at(RANDOM);
                bool::from(self.mark_of(role, random).ct_eq(mark))
            }
            (Cipher::XSalsa20Poly1305, None) => false,
            (Cipher::Aes256Gcm, _) => {
                aes_nonce(cipher, sealed).is_some_and(|n| match self.aes.get(memory_of(role)) {
                    Some(slot) => slot
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .seen
                        .contains(&n),
                    None => false,
                })
            }
        };
        if ours {
            return err(
                ErrorCode::Reflected,
                format!("this keyring sealed the payload itself as the {role:?}: the router sent it back"),
            );
        }
        Ok(())
    }
}

fn aes_nonce(cipher: Cipher, sealed: &[u8]) -> Option<[u8; 12]> {
    match cipher {
        Cipher::Aes256Gcm => sealed.get(..12)?.try_into().ok(),
        Cipher::XSalsa20Poly1305 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_depend_on_role_key_and_random_bytes() {
        let (a, b) = (SealMarks::default(), SealMarks::default());
        let mut nonce = [7u8; NONCE];
        a.mark(Role::Originator, Cipher::XSalsa20Poly1305, &mut nonce);
        assert!(a
            .check(Role::Originator, Cipher::XSalsa20Poly1305, &nonce)
            .is_err());
        assert!(a
            .check(Role::Responder, Cipher::XSalsa20Poly1305, &nonce)
            .is_ok());
        assert!(b
            .check(Role::Originator, Cipher::XSalsa20Poly1305, &nonce)
            .is_ok());
        let mut other = nonce;
        other[0] ^= 1;
        assert!(a
            .check(Role::Originator, Cipher::XSalsa20Poly1305, &other)
            .is_ok());
        assert!(a
            .check(Role::Originator, Cipher::XSalsa20Poly1305, &nonce[..10])
            .is_ok());
    }

    #[test]
    fn aes_memory_is_bounded_and_forgets_the_oldest() {
        let marks = SealMarks::default();
        let sealed = |i: usize| {
            let mut s = [0u8; 28];
            s[..8].copy_from_slice(&(i as u64).to_le_bytes());
            s
        };
        for i in 0..=REMEMBERED_AES_SEALS {
            marks.sealed(Role::Originator, Cipher::Aes256Gcm, &sealed(i));
        }
        assert!(marks
            .check(Role::Originator, Cipher::Aes256Gcm, &sealed(0))
            .is_ok());
        let last = sealed(REMEMBERED_AES_SEALS);
        assert!(marks
            .check(Role::Originator, Cipher::Aes256Gcm, &last)
            .is_err());
        assert!(marks
            .check(Role::Responder, Cipher::Aes256Gcm, &last)
            .is_ok());
    }

    #[test]
    fn the_responders_seals_never_push_out_the_originators() {
        let marks = SealMarks::default();
        let sealed = |i: usize| {
            let mut s = [0u8; 28];
            s[..8].copy_from_slice(&(i as u64).to_le_bytes());
            s
        };
        // A pending CALL, then a router's flood of INVOCATIONs answered by YIELDs.
        marks.sealed(Role::Originator, Cipher::Aes256Gcm, &sealed(usize::MAX));
        for i in 0..=REMEMBERED_AES_SEALS {
            marks.sealed(Role::Responder, Cipher::Aes256Gcm, &sealed(i));
        }
        assert!(marks
            .check(Role::Originator, Cipher::Aes256Gcm, &sealed(usize::MAX))
            .is_err());
        assert!(marks
            .check(Role::Responder, Cipher::Aes256Gcm, &sealed(0))
            .is_ok());
    }
}
