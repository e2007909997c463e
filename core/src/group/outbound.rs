//! Sender sessions (§7, §9.1) and sealing events and calls (§8.4).

use crate::error::{err, ErrorCode, Result};
use crate::group::chain::{ChainKey, MessageKey, L_MSG};
use crate::group::identity::Identity;
use crate::group::wire::{len_u32, Kind, SessionHeader, SIGNATURE_LEN, TAG_LEN};
use crate::group::Params;
use std::fmt;

/// A sender's current session for one entry prefix. Never persisted.
#[derive(Clone)]
pub(crate) struct OutboundSession {
    pub(crate) session_id: [u8; 16],
    /// `CK` at index `next`.
    pub(crate) ck: ChainKey,
    pub(crate) next: u32,
    pub(crate) created_ms: u64,
    pub(crate) not_after_ms: u64,
    /// The oldest index a share may start at.
    pub(crate) base: u32,
    /// `CK` at index `base`.
    pub(crate) ck_base: ChainKey,
    pub(crate) revoked: bool,
}

impl fmt::Debug for OutboundSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundSession")
            .field("session_id", &hex::encode(self.session_id))
            .field("next", &self.next)
            .field("base", &self.base)
            .field("created_ms", &self.created_ms)
            .field("not_after_ms", &self.not_after_ms)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

impl OutboundSession {
    /// `new_session(now_ms)` of §9.1: a random session id (never all zero) and chain key.
    pub(crate) fn new(now_ms: u64, params: &Params) -> Result<OutboundSession> {
        let mut session_id = [0u8; 16];
        while session_id == [0; 16] {
            session_id = *super::random_array::<16>()?;
        }
        let ck = ChainKey::random()?;
        Ok(OutboundSession {
            session_id,
            ck_base: ck.clone(),
            ck,
            next: 0,
            created_ms: now_ms,
            not_after_ms: now_ms.saturating_add(params.max_age_ms),
            base: 0,
            revoked: false,
        })
    }

    /// `rotation_due(s, now_ms)` of §9.1.
    pub(crate) fn rotation_due(&self, now_ms: u64, params: &Params) -> bool {
        self.next >= params.max_messages || now_ms >= self.not_after_ms || self.revoked
    }

    /// Moves past index `next` after a seal, keeping `CK_base` at most
    /// `share_backlog` messages behind.
    pub(crate) fn advance(&mut self, share_backlog: u32) {
        self.ck.advance();
        self.next = self.next.saturating_add(1);
        while self.next - self.base > share_backlog {
            self.ck_base.advance();
            self.base += 1;
        }
    }

    /// `CK_j` for a share starting at `j` (`base ≤ j ≤ next`).
    pub(crate) fn chain_key_at(&self, j: u32) -> ChainKey {
        self.ck_base
            .advanced(u64::from(j.saturating_sub(self.base)))
    }
}

/// A sealed event or call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedMessage {
    /// The envelope: the whole WAMP payload.
    pub envelope: Vec<u8>,
    /// The session it was sealed under.
    pub session_id: [u8; 16],
    /// Its index in the session.
    pub index: u32,
    /// For a call, `SHA256(envelope)`: the name of the pending call its replies answer.
    pub call_hash: Option<[u8; 32]>,
}

impl SealedMessage {
    /// The key id attribute (`enc_key` / `ppt_keyid`): `hex(session_id)`.
    pub fn key_id(&self) -> String {
        hex::encode(self.session_id)
    }
}

/// The parts of a sealed session message (test vectors compare each).
#[cfg_attr(not(feature = "gs1-testing"), allow(dead_code))] // the parts the vectors compare
pub(crate) struct SealParts {
    pub(crate) header: Vec<u8>,
    pub(crate) signature: [u8; 64],
    pub(crate) envelope: Vec<u8>,
}

/// The signed input `label ‖ header ‖ u32(len(uri)) ‖ uri ‖ ciphertext` (§8.3, §10.3).
pub(crate) fn signed_input(label: &[u8], header: &[u8], uri: &str, ct: &[u8]) -> Result<Vec<u8>> {
    let l = len_u32("uri", uri.len())?;
    let mut m = Vec::with_capacity(label.len() + header.len() + 4 + uri.len() + ct.len());
    m.extend_from_slice(label);
    m.extend_from_slice(header);
    m.extend_from_slice(&l.to_be_bytes());
    m.extend_from_slice(uri.as_bytes());
    m.extend_from_slice(ct);
    Ok(m)
}

/// `tag ‖ SecretBox-encrypted plaintext` under `key` with `nonce`.
pub(crate) fn secretbox(key: &MessageKey, nonce: &[u8; 24], plaintext: &[u8]) -> Vec<u8> {
    let mut ct = Vec::with_capacity(TAG_LEN + plaintext.len());
    ct.extend_from_slice(&[0; TAG_LEN]);
    ct.extend_from_slice(plaintext);
    let (tag_room, body) = ct.split_at_mut(TAG_LEN);
    let tag = key.secretbox().seal_detached(nonce, body);
    tag_room.copy_from_slice(&tag);
    ct
}

/// Opens the ciphertext (`tag ‖ body`) that ends `signed` from `ct_at` on, in
/// place (the signed input just verified), or `DecryptionFailed`: no copy of a
/// bulk payload beyond moving the plaintext to the front of its buffer.
pub(crate) fn secretbox_open_signed(
    key: &MessageKey,
    nonce: &[u8; 24],
    mut signed: Vec<u8>,
    ct_at: usize,
    what: &str,
) -> Result<Vec<u8>> {
    let body_at = ct_at + TAG_LEN;
    let mut tag16 = [0u8; TAG_LEN];
    match signed.get(ct_at..body_at) {
        Some(tag) => tag16.copy_from_slice(tag),
        None => return err(ErrorCode::DecryptionFailed, format!("{what}: no tag")),
    }
    let body = signed.get_mut(body_at..).unwrap_or_default();
    if !key.secretbox().open_detached(nonce, body, &tag16) {
        return err(
            ErrorCode::DecryptionFailed,
            format!("{what}: XSalsa20-Poly1305 tag does not verify"),
        );
    }
    signed.drain(..body_at);
    Ok(signed)
}

/// Opens `tag ‖ ciphertext`, or `DecryptionFailed`.
pub(crate) fn secretbox_open(
    key: &MessageKey,
    nonce: &[u8; 24],
    ct: &[u8],
    what: &str,
) -> Result<Vec<u8>> {
    let (Some(tag), Some(body)) = (ct.get(..TAG_LEN), ct.get(TAG_LEN..)) else {
        return err(ErrorCode::DecryptionFailed, format!("{what}: no tag"));
    };
    let mut tag16 = [0u8; TAG_LEN];
    tag16.copy_from_slice(tag);
    let mut plain = body.to_vec();
    if !key.secretbox().open_detached(nonce, &mut plain, &tag16) {
        return err(
            ErrorCode::DecryptionFailed,
            format!("{what}: XSalsa20-Poly1305 tag does not verify"),
        );
    }
    Ok(plain)
}

/// §8.4 with every value given: the header, the signature and the envelope of a
/// message sealed with message key `key` (for `header.index`).
pub(crate) fn seal_parts(
    identity: &Identity,
    uri: &str,
    header: &SessionHeader,
    key: &MessageKey,
    plaintext: &[u8],
) -> Result<SealParts> {
    if plaintext.len() > crate::MAX_PAYLOAD_LEN {
        return err(
            ErrorCode::PayloadTooLarge,
            format!(
                "plaintext of {} bytes, more than {}",
                plaintext.len(),
                crate::MAX_PAYLOAD_LEN
            ),
        );
    }
    let header_bytes = header.encode();
    // The signed input with room for the ciphertext, encrypted in place there: one
    // copy of the plaintext less than sealing, then signing a copy (bulk payloads).
    let mut signed = signed_input(L_MSG, &header_bytes, uri, &[0; TAG_LEN])?;
    let ct_at = signed.len() - TAG_LEN;
    signed.extend_from_slice(plaintext);
    let ct = signed.get_mut(ct_at..).unwrap_or_default();
    let (tag_room, body) = ct.split_at_mut(TAG_LEN.min(ct.len()));
    let tag = key.secretbox().seal_detached(&header.nonce, body);
    tag_room.copy_from_slice(tag.get(..tag_room.len()).unwrap_or_default());
    let signature = identity.sign(&signed);
    let ct = signed.get(ct_at..).unwrap_or_default();
    let mut envelope = Vec::with_capacity(header_bytes.len() + ct.len() + SIGNATURE_LEN);
    envelope.extend_from_slice(&header_bytes);
    envelope.extend_from_slice(ct);
    envelope.extend_from_slice(&signature);
    Ok(SealParts {
        header: header_bytes,
        signature,
        envelope,
    })
}

/// Checks that `kind` can be sealed as a session message.
pub(crate) fn check_session_kind(kind: Kind) -> Result<()> {
    if kind.is_session_message() {
        Ok(())
    } else {
        err(
            ErrorCode::InvalidArgument,
            format!(
                "type {:#04x}: only events and calls are sealed under a session",
                kind.as_u8()
            ),
        )
    }
}
