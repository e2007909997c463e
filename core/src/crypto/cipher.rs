//! The AEAD constructions on the wire, over precomputed key state:
//! `crypto_box`/secretbox = nonce(24) ‖ tag(16) ‖ ciphertext;
//! AES-256-GCM = nonce(12) ‖ ciphertext ‖ tag(16), no associated data.

use crate::crypto::secretbox::XSalsaKey;
use crate::error::{err, ErrorCode, Result};
use crate::MAX_PAYLOAD_LEN;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::Aes256Gcm;
use std::str::FromStr;

/// A payload cipher, named as in `ppt_cipher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// `"xsalsa20poly1305"`: NaCl `crypto_box` (key pair) or `crypto_secretbox` (data key).
    XSalsa20Poly1305,
    /// `"aes256gcm"`: AES-256-GCM with a data key.
    Aes256Gcm,
}

impl Cipher {
    /// Every cipher.
    pub const ALL: [Cipher; 2] = [Cipher::XSalsa20Poly1305, Cipher::Aes256Gcm];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Cipher::XSalsa20Poly1305 => "xsalsa20poly1305",
            Cipher::Aes256Gcm => "aes256gcm",
        }
    }

    /// Length of the random nonce at the start of a sealed payload.
    pub fn nonce_len(self) -> usize {
        match self {
            Cipher::XSalsa20Poly1305 => NONCE_NACL,
            Cipher::Aes256Gcm => NONCE_GCM,
        }
    }

    /// Bytes in front of the ciphertext body (nonce, and the tag for xsalsa20poly1305).
    pub(crate) fn header_len(self) -> usize {
        match self {
            Cipher::XSalsa20Poly1305 => NONCE_NACL + TAG,
            Cipher::Aes256Gcm => NONCE_GCM,
        }
    }

    /// Total bytes a sealed message adds to its plaintext.
    pub fn overhead(self) -> usize {
        match self {
            Cipher::XSalsa20Poly1305 => NONCE_NACL + TAG,
            Cipher::Aes256Gcm => NONCE_GCM + TAG,
        }
    }

    /// The plaintext length of the wire-form ciphertext `sealed`.
    /// Errors: `TruncatedCiphertext`, `PayloadTooLarge`.
    pub fn plaintext_len(self, sealed: &[u8]) -> Result<usize> {
        let Some(n) = sealed.len().checked_sub(self.overhead()) else {
            return err(
                ErrorCode::TruncatedCiphertext,
                format!(
                    "{}: ciphertext is {} bytes, needs at least {}",
                    self.as_str(),
                    sealed.len(),
                    self.overhead()
                ),
            );
        };
        if n > MAX_PAYLOAD_LEN {
            return err(
                ErrorCode::PayloadTooLarge,
                format!(
                    "ciphertext is {} bytes, limit {MAX_PAYLOAD_LEN}",
                    sealed.len()
                ),
            );
        }
        Ok(n)
    }
}

impl FromStr for Cipher {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "xsalsa20poly1305" => Ok(Cipher::XSalsa20Poly1305),
            "aes256gcm" => Ok(Cipher::Aes256Gcm),
            other => err(
                ErrorCode::UnknownCipher,
                format!(
                    "cipher: not xsalsa20poly1305 or aes256gcm ({} characters)",
                    other.chars().count()
                ),
            ),
        }
    }
}

/// Precomputed key state for one seal or open.
pub(crate) enum CipherKey<'a> {
    /// `crypto_box` (after beforenm) and `crypto_secretbox` share one construction.
    XSalsa(&'a XSalsaKey),
    Aes(&'a Aes256Gcm),
}

impl CipherKey<'_> {
    pub(crate) fn cipher(&self) -> Cipher {
        match self {
            CipherKey::XSalsa(_) => Cipher::XSalsa20Poly1305,
            CipherKey::Aes(_) => Cipher::Aes256Gcm,
        }
    }

    /// A buffer holding `header_len` zero bytes, with room for `body_hint` more:
    /// the caller appends the plaintext, then calls [`CipherKey::seal_in_place`].
    pub(crate) fn new_buffer(&self, body_hint: usize) -> Vec<u8> {
        let c = self.cipher();
        let mut buf = Vec::with_capacity(c.overhead() + body_hint);
        buf.resize(c.header_len(), 0);
        buf
    }

    /// Encrypts `buf[header_len..]` in place under a fresh OS-random nonce and
    /// fills in nonce and tag, leaving the wire form in `buf`. `mark` sees the
    /// random nonce first and may rewrite part of it (see [`crate::keys::reflection`]).
    pub(crate) fn seal_in_place(
        &self,
        buf: &mut Vec<u8>,
        mark: impl FnOnce(&mut [u8]),
    ) -> Result<()> {
        let body_len = buf.len().saturating_sub(self.cipher().header_len());
        if body_len > MAX_PAYLOAD_LEN {
            return err(
                ErrorCode::PayloadTooLarge,
                format!("plaintext is {body_len} bytes, limit {MAX_PAYLOAD_LEN}"),
            );
        }
        match self {
            CipherKey::XSalsa(k) => seal_nacl(k, buf, mark),
            CipherKey::Aes(a) => seal_gcm(*a, buf, mark),
        }
    }

    /// Checks and decrypts a wire-form ciphertext into `out`, which is exactly
    /// [`Cipher::plaintext_len`] long. `out` holds no plaintext if it fails.
    pub(crate) fn open_into(&self, sealed: &[u8], out: &mut [u8]) -> Result<()> {
        let c = self.cipher();
        if c.plaintext_len(sealed)? != out.len() {
            return err(
                ErrorCode::InvalidArgument,
                "output buffer is not the plaintext's length",
            );
        }
        let authentic = match self {
            CipherKey::XSalsa(k) => open_nacl(k, sealed, out),
            CipherKey::Aes(a) => open_gcm(*a, sealed, out),
        };
        if authentic {
            return Ok(());
        }
        out.fill(0);
        err(
            ErrorCode::DecryptionFailed,
            format!(
                "{}: authentication failed (wrong key or tampered ciphertext)",
                c.as_str()
            ),
        )
    }
}

const NONCE_NACL: usize = 24;
const NONCE_GCM: usize = 12;
const TAG: usize = 16;

/// NaCl layout: nonce ‖ tag ‖ body; `buf` arrives with zeroed nonce and tag slots.
fn seal_nacl(key: &XSalsaKey, buf: &mut [u8], mark: impl FnOnce(&mut [u8])) -> Result<()> {
    let (nonce, rest) = split_mut(buf, NONCE_NACL)?;
    super::random::fill_nonce(nonce)?;
    mark(nonce);
    let mut n = [0u8; NONCE_NACL];
    n.copy_from_slice(nonce);
    let (tag_slot, body) = split_mut(rest, TAG)?;
    tag_slot.copy_from_slice(&key.seal_detached(&n, body));
    Ok(())
}

/// GCM layout: nonce ‖ body ‖ tag; `buf` arrives with a zeroed nonce slot.
fn seal_gcm<A: AeadInPlace<NonceSize = U12, TagSize = U16>>(
    a: &A,
    buf: &mut Vec<u8>,
    mark: impl FnOnce(&mut [u8]),
) -> Result<()> {
    let (nonce, body) = split_mut(buf, NONCE_GCM)?;
    super::random::fill_nonce(nonce)?;
    mark(nonce);
    let tag = a
        .encrypt_in_place_detached(GenericArray::from_slice(nonce), b"", body)
        .or_else(|_| err(ErrorCode::PayloadTooLarge, "cipher refused the length"))?;
    buf.extend_from_slice(&tag);
    Ok(())
}

/// Whether `sealed` (at least nonce + tag long) is authentic; if so its plaintext
/// is in `out` (the body's length).
fn open_nacl(key: &XSalsaKey, sealed: &[u8], out: &mut [u8]) -> bool {
    let parts = sealed
        .split_at_checked(NONCE_NACL)
        .and_then(|(nonce, rest)| Some((nonce, rest.split_at_checked(TAG)?)));
    let Some((nonce, (tag, body))) = parts else {
        return false;
    };
    let (Ok(nonce), Ok(tag), Some(out)) =
        (nonce.try_into(), tag.try_into(), out.get_mut(..body.len()))
    else {
        return false;
    };
    out.copy_from_slice(body);
    key.open_detached(nonce, out, tag)
}

fn open_gcm<A: AeadInPlace<NonceSize = U12, TagSize = U16>>(
    a: &A,
    sealed: &[u8],
    out: &mut [u8],
) -> bool {
    let parts = sealed
        .split_at_checked(NONCE_GCM)
        .and_then(|(nonce, rest)| {
            Some((nonce, rest.split_at_checked(rest.len().checked_sub(TAG)?)?))
        });
    let Some((nonce, (body, tag))) = parts else {
        return false;
    };
    let Some(out) = out.get_mut(..body.len()) else {
        return false;
    };
    out.copy_from_slice(body);
    a.decrypt_in_place_detached(
        GenericArray::from_slice(nonce),
        b"",
        out,
        GenericArray::from_slice(tag),
    )
    .is_ok()
}

fn split_mut(buf: &mut [u8], at: usize) -> Result<(&mut [u8], &mut [u8])> {
    buf.split_at_mut_checked(at).ok_or_else(|| {
        crate::Error::new(ErrorCode::InvalidArgument, "buffer shorter than its header")
    })
}
