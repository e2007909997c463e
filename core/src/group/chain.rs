//! The symmetric ratchet of §7 (as Signal's Sender Keys) and the labels of §4:
//! `MK_i = HMAC(CK_i, 0x01)`, `CK_{i+1} = HMAC(CK_i, 0x02)`,
//! `K_i = HKDF(session_id, MK_i, L_MSGKEY ‖ sender ‖ u32(i), 32)`.

use crate::error::{ErrorCode, Result};
use crate::group::identity::IdentityKey;
use hkdf::Hkdf;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// `L_MSG`: signature of an event or call (§8.3).
pub const L_MSG: &[u8] = b"wampe2e/gs1/msg\0";
/// `L_KEYREQ`: signature of a key request (§11.1).
pub const L_KEYREQ: &[u8] = b"wampe2e/gs1/keyreq\0";
/// `L_KEYRESP`: signature of a key response (§11.2).
pub const L_KEYRESP: &[u8] = b"wampe2e/gs1/keyresp\0";
/// `L_RESULT`: signature of a result, progress or error (§10.3).
pub const L_RESULT: &[u8] = b"wampe2e/gs1/result\0";
/// `L_MSGKEY`: HKDF info of a message key (§7).
pub const L_MSGKEY: &[u8] = b"wampe2e/gs1/msg-key\0";
/// `L_REPLYKEY`: HKDF info of a reply key (§10.2).
pub const L_REPLYKEY: &[u8] = b"wampe2e/gs1/reply-key\0";

/// HMAC-SHA256 of the concatenated `parts` under a key of at most 64 bytes.
///
/// RFC 2104 pads a key shorter than the block (64 bytes) with zeros, so keying
/// HMAC with the zero-padded block is HMAC with the key itself; it spares a
/// fallible `new_from_slice` for keys whose length is fixed by the types.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; 64]);
    for (b, k) in block.iter_mut().zip(key) {
        *b = *k;
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// HKDF-SHA256 (RFC 5869) with a 32-byte output.
pub(crate) fn hkdf32(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> Result<Zeroizing<[u8; 32]>> {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    hk.expand_multi_info(info, &mut out[..])
        .map_err(|_| crate::Error::new(ErrorCode::InvalidArgument, "HKDF: output too long"))?;
    Ok(out)
}

/// A chain key `CK_i`. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChainKey(Zeroizing<[u8; 32]>);

impl ChainKey {
    /// A chain key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> ChainKey {
        ChainKey(Zeroizing::new(*bytes))
    }

    /// 32 random bytes (`CK_0` of a new session).
    pub(crate) fn random() -> Result<ChainKey> {
        Ok(ChainKey(super::random_array()?))
    }

    /// The raw bytes, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `MK_i = HMAC(CK_i, 0x01)`.
    pub fn message_key_material(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(hmac(&self.0[..], &[&[0x01]]))
    }

    /// `CK_{i+1} = HMAC(CK_i, 0x02)`.
    pub fn next(&self) -> ChainKey {
        ChainKey(Zeroizing::new(hmac(&self.0[..], &[&[0x02]])))
    }

    /// Replaces this key by the next one, erasing it.
    pub(crate) fn advance(&mut self) {
        let mut next = hmac(&self.0[..], &[&[0x02]]);
        self.0.copy_from_slice(&next);
        next.zeroize();
    }

    /// This key advanced `n` times (`CK_{i+n}`).
    pub(crate) fn advanced(&self, n: u64) -> ChainKey {
        let mut ck = self.clone();
        for _ in 0..n {
            ck.advance();
        }
        ck
    }

    /// `K_i`: the XSalsa20-Poly1305 key of message `index` of `sender`'s session
    /// `session_id`, this being `CK_index`.
    pub fn message_key(
        &self,
        session_id: &[u8; 16],
        sender: &IdentityKey,
        index: u32,
    ) -> Result<MessageKey> {
        let mk = self.message_key_material();
        let k = hkdf32(
            session_id,
            &mk[..],
            &[L_MSGKEY, sender.as_bytes(), &index.to_be_bytes()],
        )?;
        Ok(MessageKey(k))
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

/// A message key `K_i` (or a reply key). Zeroized on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageKey(Zeroizing<[u8; 32]>);

impl MessageKey {
    pub(crate) fn from_zeroizing(k: Zeroizing<[u8; 32]>) -> MessageKey {
        MessageKey(k)
    }

    /// The raw bytes, in a buffer zeroized on drop (test vectors).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    pub(crate) fn secretbox(&self) -> crate::crypto::secretbox::XSalsaKey {
        crate::crypto::secretbox::XSalsaKey::new(&self.0)
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageKey(<redacted>)")
    }
}
