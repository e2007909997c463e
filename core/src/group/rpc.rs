//! Replies to calls (§10): each result, progress or error is sealed to the call's
//! reply key from a fresh ephemeral X25519 key and signed by the callee over the
//! hash of the call envelope.

use crate::error::{err, ErrorCode, Result};
use crate::group::chain::{hkdf32, MessageKey, L_REPLYKEY, L_RESULT};
use crate::group::identity::{Identity, IdentityKey};
use crate::group::keyshare::{x25519, x25519_base};
use crate::group::outbound::{secretbox, signed_input};
use crate::group::wire::{Kind, ReplyHeader, SIGNATURE_LEN};
use std::fmt;
use zeroize::Zeroizing;

/// `K_reply` of §10.2 from the shared secret `z`.
pub(crate) fn reply_key(
    z: &[u8; 32],
    call_hash: &[u8; 32],
    kind: Kind,
    seq: u32,
    callee: &IdentityKey,
    ephemeral_public: &[u8; 32],
    reply_public: &[u8; 32],
) -> Result<MessageKey> {
    Ok(MessageKey::from_zeroizing(hkdf32(
        call_hash,
        z,
        &[
            L_REPLYKEY,
            &[kind.as_u8()],
            &seq.to_be_bytes(),
            callee.as_bytes(),
            ephemeral_public,
            reply_public,
        ],
    )?))
}

/// The callee's record of one call it opened (§10.4): what its replies need.
/// Holds no secret; the application keeps it with the invocation and passes it
/// to every [`crate::group::Group::seal_reply`] for that call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `SHA256(call envelope)`.
    pub call_hash: [u8; 32],
    /// The procedure the call was signed for.
    pub call_uri: String,
    /// The caller's identity.
    pub caller: IdentityKey,
    /// The caller's reply key from the call header.
    pub reply_public: [u8; 32],
    /// The `seq` of the next reply.
    pub next_seq: u32,
    /// Whether a result or error has been sealed.
    pub finished: bool,
}

/// The caller's record of one call it sealed (§10.5).
pub(crate) struct PendingCall {
    pub(crate) call_uri: String,
    pub(crate) reply_secret: Zeroizing<[u8; 32]>,
    pub(crate) reply_public: [u8; 32],
    pub(crate) next_seq: u32,
    /// The callee of the first accepted reply; later replies must come from it.
    pub(crate) callee: Option<IdentityKey>,
    /// When the call was sealed (for evicting the oldest at the cap).
    pub(crate) created_ms: u64,
}

impl fmt::Debug for PendingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingCall")
            .field("call_uri", &self.call_uri)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

/// The parts of a sealed reply (test vectors compare each).
#[cfg_attr(not(feature = "gs1-testing"), allow(dead_code))] // the parts the vectors compare
pub(crate) struct ReplyParts {
    pub(crate) ephemeral_public: [u8; 32],
    pub(crate) reply_key: MessageKey,
    pub(crate) header: Vec<u8>,
    pub(crate) signature: [u8; 64],
    pub(crate) envelope: Vec<u8>,
}

/// `seal_reply` of §10.4 with the ephemeral secret, nonce and `seq` given; does
/// not touch `invocation`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_reply_parts(
    identity: &Identity,
    invocation: &Invocation,
    kind: Kind,
    seq: u32,
    error_uri: Option<&str>,
    esk: &[u8; 32],
    nonce: &[u8; 24],
    plaintext: &[u8],
) -> Result<ReplyParts> {
    let reply_uri = match (kind, error_uri) {
        (Kind::Result | Kind::Progress, _) => invocation.call_uri.as_str(),
        (Kind::Error, Some(u)) => u,
        (Kind::Error, None) => {
            return err(
                ErrorCode::InvalidArgument,
                "an error reply needs its error URI",
            )
        }
        (Kind::Event | Kind::Call, _) => {
            return err(
                ErrorCode::InvalidArgument,
                format!("type {:#04x} is not a reply", kind.as_u8()),
            )
        }
    };
    if plaintext.len() > crate::MAX_PAYLOAD_LEN {
        return err(
            ErrorCode::PayloadTooLarge,
            format!("plaintext of {} bytes", plaintext.len()),
        );
    }
    let epk = x25519_base(esk);
    let Some(z) = x25519(esk, &invocation.reply_public) else {
        return err(
            ErrorCode::InvalidKey,
            "the call's reply key has small order",
        );
    };
    let header = ReplyHeader {
        kind,
        callee: identity.public(),
        call_hash: invocation.call_hash,
        seq,
        ephemeral_public: epk,
        nonce: *nonce,
    };
    let header_bytes = header.encode();
    let key = reply_key(
        &z,
        &invocation.call_hash,
        kind,
        seq,
        &identity.public(),
        &epk,
        &invocation.reply_public,
    )?;
    let ct = secretbox(&key, nonce, plaintext);
    let signature = identity.sign(&signed_input(L_RESULT, &header_bytes, reply_uri, &ct)?);
    let mut envelope = Vec::with_capacity(header_bytes.len() + ct.len() + SIGNATURE_LEN);
    envelope.extend_from_slice(&header_bytes);
    envelope.extend_from_slice(&ct);
    envelope.extend_from_slice(&signature);
    Ok(ReplyParts {
        ephemeral_public: epk,
        reply_key: key,
        header: header_bytes,
        signature,
        envelope,
    })
}
