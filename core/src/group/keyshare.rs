//! Key distribution (§11): key requests, responses and shares, and the sealed box
//! of §3 built by hand (`epk ‖ crypto_box(m, BLAKE2b24(epk ‖ pk), pk, esk)`) so
//! that its ephemeral key can be given (test vectors) or drawn.

use crate::crypto::secretbox::XSalsaKey;
use crate::error::{err, ErrorCode, Result};
use crate::group::chain::L_KEYRESP;
use crate::group::identity::{Identity, IdentityKey};
use crate::group::outbound::OutboundSession;
use crate::group::wire::{
    KeyRequestFields, Share, SEALED_BOX_OVERHEAD, SUITE, TAG_LEN, TYPE_KEY_RESPONSE, VERSION,
};
use blake2::digest::consts::U24;
use blake2::{Blake2b, Digest};
use curve25519_dalek::MontgomeryPoint;
use sha2::Sha256;
use zeroize::Zeroizing;

/// `X25519Base(sk)`: the X25519 public key of a secret.
pub fn x25519_base(secret: &[u8; 32]) -> [u8; 32] {
    MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

/// `X25519(sk, pk)`, or `None` for the all-zero result (a small-order `pk`).
pub(crate) fn x25519(secret: &[u8; 32], public: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
    let z = Zeroizing::new(MontgomeryPoint(*public).mul_clamped(*secret).to_bytes());
    if subtle::ConstantTimeEq::ct_eq(&z[..], &[0u8; 32][..]).into() {
        None
    } else {
        Some(z)
    }
}

/// `SHA256(m)`.
pub(crate) fn sha256(m: &[u8]) -> [u8; 32] {
    Sha256::digest(m).into()
}

fn sealed_box_nonce(epk: &[u8; 32], pk: &[u8; 32]) -> [u8; 24] {
    let mut h = Blake2b::<U24>::new();
    h.update(epk);
    h.update(pk);
    h.finalize().into()
}

/// `SealBox(pk, m; esk)` of §3 (libsodium `crypto_box_seal` with the ephemeral
/// secret given). `InvalidKey` if `pk` is of small order.
pub fn seal_box(public: &[u8; 32], message: &[u8], esk: &[u8; 32]) -> Result<Vec<u8>> {
    let epk = x25519_base(esk);
    let nonce = sealed_box_nonce(&epk, public);
    let key = XSalsaKey::from_box(esk, public).or_else(|_| {
        err(
            ErrorCode::InvalidKey,
            "reply key of the request has small order",
        )
    })?;
    let mut out = Vec::with_capacity(SEALED_BOX_OVERHEAD + message.len());
    out.extend_from_slice(&epk);
    out.extend_from_slice(&[0; TAG_LEN]);
    out.extend_from_slice(message);
    let (head, body) = out.split_at_mut(32 + TAG_LEN);
    let tag = key.seal_detached(&nonce, body);
    if let Some(t) = head.get_mut(32..) {
        t.copy_from_slice(&tag);
    }
    Ok(out)
}

/// `SealBoxOpen(pk, sk, c)` (libsodium `crypto_box_seal_open`), or `DecryptionFailed`.
pub fn open_box(public: &[u8; 32], secret: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let fail = || err(ErrorCode::DecryptionFailed, "sealed box does not open");
    let (Some(epk), Some(tag), Some(body)) = (
        sealed.get(..32).and_then(|s| <[u8; 32]>::try_from(s).ok()),
        sealed
            .get(32..48)
            .and_then(|s| <[u8; 16]>::try_from(s).ok()),
        sealed.get(48..),
    ) else {
        return fail();
    };
    let Ok(key) = XSalsaKey::from_box(secret, &epk) else {
        return fail();
    };
    let nonce = sealed_box_nonce(&epk, public);
    let mut plain = Zeroizing::new(body.to_vec());
    if !key.open_detached(&nonce, &mut plain, &tag) {
        return fail();
    }
    Ok(plain)
}

/// The request body and signed request of §11.1 (`make_key_request` without the
/// pending record): `body ‖ Sign(own_seed, L_KEYREQ ‖ body)`.
pub(crate) fn sign_request(identity: &Identity, fields: &KeyRequestFields) -> Result<Vec<u8>> {
    let mut request = fields.encode_body()?;
    let mut signed = Vec::with_capacity(crate::group::chain::L_KEYREQ.len() + request.len());
    signed.extend_from_slice(crate::group::chain::L_KEYREQ);
    signed.extend_from_slice(&request);
    let sig = identity.sign(&signed);
    request.extend_from_slice(&sig);
    Ok(request)
}

/// The share and the response of §11.5 for a checked request and the current
/// session `s`, sealed with the ephemeral secret `esk`.
#[cfg_attr(not(feature = "gs1-testing"), allow(dead_code))] // the parts the vectors compare
pub(crate) struct Answer {
    pub(crate) share_bytes: Zeroizing<Vec<u8>>,
    pub(crate) sealed: Vec<u8>,
    pub(crate) response: Vec<u8>,
}

pub(crate) fn answer(
    identity: &Identity,
    request: &[u8],
    fields: &KeyRequestFields,
    s: &OutboundSession,
    esk: &[u8; 32],
) -> Result<Answer> {
    let j = if fields.session_id == [0; 16] {
        s.next
    } else {
        fields.from_index.max(s.base).min(s.next)
    };
    let share = Share {
        sender: identity.public(),
        requester: fields.requester,
        session_id: s.session_id,
        index: j,
        chain_key: s.chain_key_at(j),
        created_ms: s.created_ms,
        not_after_ms: s.not_after_ms,
        prefix: fields.prefix.clone(),
    };
    let share_bytes = share.encode()?;
    let sealed = seal_box(&fields.reply_public, &share_bytes, esk)?;
    let mut body = Vec::with_capacity(67 + sealed.len() + 64);
    body.extend_from_slice(&[VERSION, SUITE, TYPE_KEY_RESPONSE]);
    body.extend_from_slice(identity.public().as_bytes());
    body.extend_from_slice(&sha256(request));
    body.extend_from_slice(&sealed);
    let mut signed = Vec::with_capacity(L_KEYRESP.len() + body.len());
    signed.extend_from_slice(L_KEYRESP);
    signed.extend_from_slice(&body);
    let sig = identity.sign(&signed);
    body.extend_from_slice(&sig);
    Ok(Answer {
        share_bytes,
        sealed,
        response: body,
    })
}

/// A request this peer made and awaits the answer to.
pub(crate) struct PendingRequest {
    pub(crate) fields: KeyRequestFields,
    pub(crate) reply_secret: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for PendingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRequest")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// What an accepted key response gave: the session now held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedShare {
    /// The sender whose session it is.
    pub sender: IdentityKey,
    /// The session id.
    pub session_id: [u8; 16],
    /// The entry prefix it was shared for.
    pub prefix: String,
    /// The first index it opens.
    pub index: u32,
    /// The session's not-after time.
    pub not_after_ms: u64,
}
