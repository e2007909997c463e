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
//!   nonces of the last [`REMEMBERED_AES_SEALS`] seals are remembered.
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

/// How many AES-256-GCM seals a keyring remembers (about 0.4 MiB when full).
pub const REMEMBERED_AES_SEALS: usize = 16384;

/// Bytes of the XSalsa20 nonce that are random; the rest is the mark.
const RANDOM: usize = 16;
/// The XSalsa20 nonce length.
const NONCE: usize = 24;

/// A keyring's means to recognise its own seals.
#[derive(Default)]
pub(crate) struct SealMarks {
    key: RandomState,
    aes: Mutex<AesMemory>,
}

#[derive(Default)]
struct AesMemory {
    seen: HashSet<(Role, [u8; 12])>,
    order: VecDeque<(Role, [u8; 12])>,
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
        let mut memory = self.aes.lock().unwrap_or_else(|p| p.into_inner());
        if memory.order.len() >= REMEMBERED_AES_SEALS {
            if let Some(old) = memory.order.pop_front() {
                memory.seen.remove(&old);
            }
        }
        if memory.seen.insert((role, nonce)) {
            memory.order.push_back((role, nonce));
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
            (Cipher::Aes256Gcm, _) => aes_nonce(cipher, sealed).is_some_and(|n| {
                let memory = self.aes.lock().unwrap_or_else(|p| p.into_inner());
                memory.seen.contains(&(role, n))
            }),
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
}
