//! Entry points with every random value given, for the test vectors
//! (`tests/vectors/gs1.json`) and tests. Not for production: each takes nonces
//! and ephemeral secrets from its caller, who must never repeat one.

use crate::error::Result;
use crate::group::chain::ChainKey;
use crate::group::identity::{Identity, IdentityKey};
use crate::group::keyshare::{sha256, x25519_base};
use crate::group::outbound::{seal_parts, OutboundSession};
use crate::group::rpc::{seal_reply_parts, Invocation, PendingCall};
use crate::group::wire::{parse_session_envelope, Kind, SessionHeader, Share};
use crate::group::{lock, Group, KeyRequest};
use zeroize::Zeroizing;

/// The outputs of a `seal` step.
#[derive(Debug, Clone)]
pub struct SealVector {
    /// A call's reply key, `X25519Base(reply_secret)`.
    pub reply_public: Option<[u8; 32]>,
    /// `K_index`.
    pub secretbox_key: Zeroizing<[u8; 32]>,
    /// The header bytes.
    pub header: Vec<u8>,
    /// The signature.
    pub signature: [u8; 64],
    /// The envelope.
    pub envelope: Vec<u8>,
}

/// §8.4 with the given values instead of the session state; stateless.
#[allow(clippy::too_many_arguments)]
pub fn seal_with(
    identity: &Identity,
    uri: &str,
    kind: Kind,
    session_id: [u8; 16],
    index: u32,
    chain_key: &[u8; 32],
    timestamp_ms: u64,
    nonce: [u8; 24],
    reply_secret: Option<&[u8; 32]>,
    plaintext: &[u8],
) -> Result<SealVector> {
    crate::group::outbound::check_session_kind(kind)?;
    let key =
        ChainKey::from_bytes(chain_key).message_key(&session_id, &identity.public(), index)?;
    let reply_public = match kind {
        Kind::Call => Some(x25519_base(reply_secret.unwrap_or(&[0; 32]))),
        _ => None,
    };
    let header = SessionHeader {
        kind,
        sender: identity.public(),
        session_id,
        index,
        timestamp_ms,
        nonce,
        reply_public,
    };
    let parts = seal_parts(identity, uri, &header, &key, plaintext)?;
    Ok(SealVector {
        reply_public,
        secretbox_key: key.to_bytes(),
        header: parts.header,
        signature: parts.signature,
        envelope: parts.envelope,
    })
}

/// §9.3 with the given share (as if §11.5 had verified it).
pub fn accept_share(group: &Group, share: &Share, now_ms: u64) -> Result<()> {
    lock(&group.store).accept_share(share, now_ms, &group.params)
}

/// [`Group::key_request`] with the given reply secret.
pub fn key_request_with(
    group: &Group,
    target: &IdentityKey,
    session_id: [u8; 16],
    from_index: u32,
    prefix: &str,
    reply_secret: &[u8; 32],
    now_ms: u64,
) -> Result<KeyRequest> {
    group.key_request_with(
        target,
        session_id,
        from_index,
        prefix,
        Zeroizing::new(*reply_secret),
        now_ms,
    )
}

/// A sender's current session, given in full.
#[derive(Debug, Clone)]
pub struct OutboundState {
    /// The entry prefix.
    pub prefix: String,
    /// The session id.
    pub session_id: [u8; 16],
    /// The oldest index a share may start at.
    pub base: u32,
    /// `CK_base`.
    pub chain_key_base: [u8; 32],
    /// The index the next message will use.
    pub next: u32,
    /// When the session was made.
    pub created_ms: u64,
    /// Its not-after time.
    pub not_after_ms: u64,
}

/// Makes `state` the current session of its prefix.
pub fn set_outbound_session(group: &Group, state: &OutboundState) {
    let ck_base = ChainKey::from_bytes(&state.chain_key_base);
    let s = OutboundSession {
        session_id: state.session_id,
        ck: ck_base.advanced(u64::from(state.next.saturating_sub(state.base))),
        next: state.next,
        created_ms: state.created_ms,
        not_after_ms: state.not_after_ms,
        base: state.base,
        ck_base,
        revoked: false,
    };
    lock(&group.outbound).insert(state.prefix.clone(), s);
}

/// The outputs of an `answer_key_request` step.
#[derive(Debug, Clone)]
pub struct AnswerVector {
    /// The share (plaintext of the sealed box).
    pub share_bytes: Zeroizing<Vec<u8>>,
    /// The sealed box.
    pub sealed: Vec<u8>,
    /// The key response.
    pub response: Vec<u8>,
}

/// [`Group::answer_key_request`] with the given ephemeral secret.
pub fn answer_key_request_with(
    group: &Group,
    request: &[u8],
    now_ms: u64,
    ephemeral_secret: &[u8; 32],
) -> Result<AnswerVector> {
    let a = group.answer_with(request, now_ms, ephemeral_secret)?;
    Ok(AnswerVector {
        share_bytes: a.share_bytes,
        sealed: a.sealed,
        response: a.response,
    })
}

/// Registers a pending call (§10.5) for `call_envelope` on `call_uri` with the
/// given reply secret; returns its call hash.
pub fn add_pending_call(
    group: &Group,
    call_envelope: &[u8],
    call_uri: &str,
    reply_secret: &[u8; 32],
) -> [u8; 32] {
    let h = sha256(call_envelope);
    lock(&group.calls).insert(
        h,
        PendingCall {
            call_uri: call_uri.to_owned(),
            reply_secret: Zeroizing::new(*reply_secret),
            reply_public: x25519_base(reply_secret),
            next_seq: 0,
            callee: None,
            created_ms: 0,
        },
    );
    h
}

/// The outputs of a `seal_reply` step.
#[derive(Debug, Clone)]
pub struct ReplyVector {
    /// `X25519Base(ephemeral_secret)`.
    pub ephemeral_public: [u8; 32],
    /// `K_reply`.
    pub reply_key: Zeroizing<[u8; 32]>,
    /// The header bytes.
    pub header: Vec<u8>,
    /// The signature.
    pub signature: [u8; 64],
    /// The envelope.
    pub envelope: Vec<u8>,
}

/// §10.4 with the given `seq`, ephemeral secret and nonce; stateless. The
/// invocation is read from `call_envelope`'s header (`Malformed` etc. if it is
/// not a call).
#[allow(clippy::too_many_arguments)]
pub fn seal_reply_with(
    identity: &Identity,
    call_envelope: &[u8],
    call_uri: &str,
    kind: Kind,
    seq: u32,
    error_uri: Option<&str>,
    ephemeral_secret: &[u8; 32],
    nonce: [u8; 24],
    plaintext: &[u8],
) -> Result<ReplyVector> {
    let call = parse_session_envelope(call_envelope, Kind::Call)?;
    let invocation = Invocation {
        call_hash: sha256(call_envelope),
        call_uri: call_uri.to_owned(),
        caller: call.header.sender,
        reply_public: call.header.reply_public.unwrap_or([0; 32]),
        next_seq: seq,
        finished: false,
    };
    let p = seal_reply_parts(
        identity,
        &invocation,
        kind,
        seq,
        error_uri,
        ephemeral_secret,
        &nonce,
        plaintext,
    )?;
    Ok(ReplyVector {
        ephemeral_public: p.ephemeral_public,
        reply_key: p.reply_key.to_bytes(),
        header: p.header,
        signature: p.signature,
        envelope: p.envelope,
    })
}

/// A key response signed by `identity` for `request`, carrying `share` (whatever
/// its fields) sealed to `reply_public` with `ephemeral_secret`: what a buggy or
/// malicious sender could answer.
pub fn key_response_for(
    identity: &Identity,
    request: &[u8],
    share: &Share,
    reply_public: &[u8; 32],
    ephemeral_secret: &[u8; 32],
) -> Result<Vec<u8>> {
    use crate::group::chain::L_KEYRESP;
    use crate::group::wire::{SUITE, TYPE_KEY_RESPONSE, VERSION};
    let sealed =
        crate::group::keyshare::seal_box(reply_public, &share.encode()?, ephemeral_secret)?;
    let mut body = vec![VERSION, SUITE, TYPE_KEY_RESPONSE];
    body.extend_from_slice(identity.public().as_bytes());
    body.extend_from_slice(&sha256(request));
    body.extend_from_slice(&sealed);
    let mut signed = L_KEYRESP.to_vec();
    signed.extend_from_slice(&body);
    body.extend_from_slice(&identity.sign(&signed));
    Ok(body)
}

/// `Sign(identity, message)`: for tests that forge structures with a genuine key.
pub fn sign(identity: &Identity, message: &[u8]) -> [u8; 64] {
    identity.sign(message)
}
