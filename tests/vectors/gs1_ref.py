"""GS1 group sessions (docs/gs1.md): a small reference implementation in Python,
written from the specification page alone, for tests/vectors/gen_gs1.py.

Primitives: PyNaCl (Ed25519, X25519, crypto_box, crypto_secretbox, sealed-box
opening), `cryptography` (HMAC-SHA256, HKDF-SHA256), hashlib (SHA-256, BLAKE2b).
Every random value is drawn through an `rng(purpose, n)` callable, so the vector
generator can supply fixed values. Section numbers refer to docs/gs1.md.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import nacl.bindings as nb
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.signing import SigningKey, VerifyKey

# §4 labels
L_MSG = b"wampe2e/gs1/msg\x00"
L_KEYREQ = b"wampe2e/gs1/keyreq\x00"
L_KEYRESP = b"wampe2e/gs1/keyresp\x00"
L_RESULT = b"wampe2e/gs1/result\x00"
L_MSGKEY = b"wampe2e/gs1/msg-key\x00"
L_REPLYKEY = b"wampe2e/gs1/reply-key\x00"

VERSION = 0x01
SUITE = 0x01
T_EVENT, T_CALL, T_RESULT, T_PROGRESS, T_ERROR = 0x01, 0x02, 0x03, 0x04, 0x05
T_KEYREQ, T_KEYRESP, T_SHARE = 0x10, 0x11, 0x12
KNOWN_TYPES = (T_EVENT, T_CALL, T_RESULT, T_PROGRESS, T_ERROR, T_KEYREQ, T_KEYRESP, T_SHARE)

ZERO16 = bytes(16)
ZERO32 = bytes(32)

HEADER_EVENT = 87
HEADER_CALL = 119
HEADER_REPLY = 127
MIN_REPLY = HEADER_REPLY + 16 + 64  # 207
MIN_REQUEST = 195
MIN_RESPONSE = 318
SHARE_FIXED = 139


class Gs1Error(Exception):
    """A GS1 failure; `code` is the §14 symbolic name (WAMPE2E_...)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def fail(code: str, detail: str = ""):
    raise Gs1Error("WAMPE2E_" + code, detail)


# §9.4
@dataclass
class Params:
    max_messages: int = 10_000
    max_age_ms: int = 3_600_000
    max_skew_ms: int = 300_000
    grace_ms: int = 600_000
    window: int = 64
    max_skipped: int = 2_000
    max_jump: int = 65_536
    max_sessions: int = 5
    share_backlog: int = 64


# --- §3 notation and primitives ---------------------------------------------------

def u8(x: int) -> bytes:
    assert 0 <= x < 2**8
    return bytes([x])


def u32(x: int) -> bytes:
    assert 0 <= x < 2**32
    return x.to_bytes(4, "big")


def u64(x: int) -> bytes:
    assert 0 <= x < 2**64
    return x.to_bytes(8, "big")


def rd32(b: bytes, off: int) -> int:
    return int.from_bytes(b[off:off + 4], "big")


def rd64(b: bytes, off: int) -> int:
    return int.from_bytes(b[off:off + 8], "big")


def sha256(m: bytes) -> bytes:
    return hashlib.sha256(m).digest()


def hmac_sha256(k: bytes, m: bytes) -> bytes:
    h = c_hmac.HMAC(k, hashes.SHA256())
    h.update(m)
    return h.finalize()


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def blake2b24(m: bytes) -> bytes:
    return hashlib.blake2b(m, digest_size=24).digest()


def ed_public(seed: bytes) -> bytes:
    if len(seed) != 32:
        fail("INVALID_KEY", "seed length")
    return bytes(SigningKey(seed).verify_key)


def sign(seed: bytes, m: bytes) -> bytes:
    sig = SigningKey(seed).sign(m).signature
    assert len(sig) == 64
    return bytes(sig)


def verify(pk: bytes, m: bytes, sig: bytes) -> bool:
    """libsodium crypto_sign_verify_detached (rejects S >= L and small-order A/R)."""
    try:
        VerifyKey(pk).verify(m, sig)
        return True
    except Exception:  # BadSignatureError, or a key/signature libsodium will not take
        return False


def x25519(sk: bytes, pk: bytes) -> bytes:
    """X25519(sk, pk); 0^32 when the result is all-zero (libsodium refuses it)."""
    try:
        z = nb.crypto_scalarmult(sk, pk)
    except Exception:
        return ZERO32
    return z


def x25519_base(sk: bytes) -> bytes:
    return nb.crypto_scalarmult_base(sk)


def secretbox(k: bytes, n: bytes, m: bytes) -> bytes:
    c = nb.crypto_secretbox_easy(m, n, k)
    assert len(c) == len(m) + 16
    return c


def secretbox_open(k: bytes, n: bytes, c: bytes) -> Optional[bytes]:
    try:
        return nb.crypto_secretbox_open_easy(c, n, k)
    except Exception:
        return None


def box(pk: bytes, sk: bytes, n: bytes, m: bytes) -> bytes:
    if x25519(sk, pk) == ZERO32:
        fail("INVALID_KEY", "all-zero X25519 result")
    c = nb.crypto_box_easy(m, n, pk, sk)
    assert len(c) == len(m) + 16
    return c


def seal_box(pk: bytes, m: bytes, esk: bytes) -> bytes:
    """libsodium crypto_box_seal with a given ephemeral secret (§3)."""
    epk = x25519_base(esk)
    n = blake2b24(epk + pk)
    out = epk + box(pk, esk, n, m)
    assert len(out) == len(m) + 48
    return out


def seal_box_open(pk: bytes, sk: bytes, c: bytes) -> Optional[bytes]:
    try:
        return nb.crypto_box_seal_open(c, pk, sk)
    except Exception:
        return None


# --- §7 chain ---------------------------------------------------------------------

def chain_message_key(ck: bytes) -> bytes:
    return hmac_sha256(ck, b"\x01")


def chain_next(ck: bytes) -> bytes:
    return hmac_sha256(ck, b"\x02")


def message_key(session_id: bytes, mk: bytes, sender_pk: bytes, i: int) -> bytes:
    info = L_MSGKEY + sender_pk + u32(i)
    assert len(info) == 56
    return hkdf(session_id, mk, info, 32)


def key_from_chain(session_id: bytes, sender_pk: bytes, i: int, ck: bytes) -> bytes:
    return message_key(session_id, chain_message_key(ck), sender_pk, i)


def chain(ck0: bytes, n: int) -> List[bytes]:
    """[CK_0, ..., CK_{n-1}]."""
    out = [ck0]
    while len(out) < n:
        out.append(chain_next(out[-1]))
    return out


# --- §4 structure checks ------------------------------------------------------------

def check_structure(data: bytes, expected_type: int) -> None:
    if len(data) < 3:
        fail("MALFORMED", "shorter than 3 bytes")
    if data[0] != VERSION or data[1] != SUITE:
        fail("WRONG_VERSION", f"version {data[0]:#04x} suite {data[1]:#04x}")
    if data[2] not in KNOWN_TYPES:
        fail("MALFORMED", f"unknown type {data[2]:#04x}")
    if data[2] != expected_type:
        fail("WRONG_KIND", f"type {data[2]:#04x}, expected {expected_type:#04x}")


# --- §8 session messages (stateless part) --------------------------------------------

def seal_raw(seed: bytes, msg_type: int, uri: str, session_id: bytes, index: int,
             ck: bytes, timestamp_ms: int, nonce: bytes, reply_secret: Optional[bytes],
             plaintext: bytes) -> dict:
    """§8.4 with explicit values in place of the session state and the randomness."""
    assert msg_type in (T_EVENT, T_CALL)
    assert len(session_id) == 16 and session_id != ZERO16 and len(ck) == 32 and len(nonce) == 24
    own_pk = ed_public(seed)
    mk = chain_message_key(ck)
    k = message_key(session_id, mk, own_pk, index)
    header = u8(VERSION) + u8(SUITE) + u8(msg_type) + own_pk + session_id + u32(index) \
        + u64(timestamp_ms) + nonce
    reply_public = None
    if msg_type == T_CALL:
        assert reply_secret is not None and len(reply_secret) == 32
        reply_public = x25519_base(reply_secret)
        header += reply_public
    else:
        assert reply_secret is None
    assert len(header) == (HEADER_CALL if msg_type == T_CALL else HEADER_EVENT)
    ciphertext = secretbox(k, nonce, plaintext)
    uri_b = uri.encode("utf-8")
    signature = sign(seed, L_MSG + header + u32(len(uri_b)) + uri_b + ciphertext)
    envelope = header + ciphertext + signature
    return {
        "reply_public": reply_public, "secretbox_key": k, "header": header,
        "ciphertext": ciphertext, "signature": signature, "envelope": envelope,
        "next_chain_key": chain_next(ck),
    }


# --- §10 replies (stateless part) ---------------------------------------------------

def reply_key(call_hash: bytes, z: bytes, reply_type: int, seq: int, callee: bytes,
              epk: bytes, reply_public: bytes) -> bytes:
    info = L_REPLYKEY + u8(reply_type) + u32(seq) + callee + epk + reply_public
    assert len(info) == 123
    return hkdf(call_hash, z, info, 32)


def seal_reply_raw(seed: bytes, call_envelope: bytes, call_uri: str, reply_type: int,
                   seq: int, error_uri: Optional[str], esk: bytes, nonce: bytes,
                   plaintext: bytes) -> dict:
    """§10.4 with explicit seq, ephemeral secret and nonce."""
    assert reply_type in (T_RESULT, T_PROGRESS, T_ERROR)
    assert (error_uri is not None) == (reply_type == T_ERROR)
    own_pk = ed_public(seed)
    reply_public = call_envelope[87:119]  # the call header's reply key (§10.4)
    epk = x25519_base(esk)
    z = x25519(esk, reply_public)
    if z == ZERO32:
        fail("INVALID_KEY", "all-zero X25519 result with the call's reply key")
    call_hash = sha256(call_envelope)
    header = u8(VERSION) + u8(SUITE) + u8(reply_type) + own_pk + call_hash + u32(seq) + epk + nonce
    assert len(header) == HEADER_REPLY
    k = reply_key(call_hash, z, reply_type, seq, own_pk, epk, reply_public)
    ct = secretbox(k, nonce, plaintext)
    reply_uri = call_uri if reply_type in (T_RESULT, T_PROGRESS) else error_uri
    ru = reply_uri.encode("utf-8")
    sig = sign(seed, L_RESULT + header + u32(len(ru)) + ru + ct)
    return {"ephemeral_public": epk, "reply_key": k, "header": header, "ciphertext": ct,
            "signature": sig, "envelope": header + ct + sig}


# --- §11 key distribution structures ------------------------------------------------

@dataclass
class Share:
    sender: bytes
    requester: bytes
    session_id: bytes
    index: int
    chain_key: bytes
    created_ms: int
    not_after_ms: int
    prefix: str


def encode_share(s: Share) -> bytes:
    p = s.prefix.encode("utf-8")
    out = u8(VERSION) + u8(SUITE) + u8(T_SHARE) + s.sender + s.requester + s.session_id \
        + u32(s.index) + s.chain_key + u64(s.created_ms) + u64(s.not_after_ms) + u32(len(p)) + p
    assert len(out) == SHARE_FIXED + len(p)
    return out


def parse_share(b: bytes) -> Share:
    check_structure(b, T_SHARE)
    if len(b) < SHARE_FIXED or len(b) != SHARE_FIXED + rd32(b, 135):
        fail("MALFORMED", "share length")
    try:
        prefix = b[139:].decode("utf-8")
    except UnicodeDecodeError:
        fail("MALFORMED", "share prefix is not UTF-8")
    s = Share(sender=b[3:35], requester=b[35:67], session_id=b[67:83], index=rd32(b, 83),
              chain_key=b[87:119], created_ms=rd64(b, 119), not_after_ms=rd64(b, 127),
              prefix=prefix)
    if s.session_id == ZERO16:
        fail("MALFORMED", "share session id is zero")
    if s.created_ms > s.not_after_ms:
        fail("MALFORMED", "share created_ms > not_after_ms")
    return s


@dataclass
class KeyRequest:
    requester: bytes
    target: bytes
    session_id: bytes
    from_index: int
    reply_public: bytes
    timestamp_ms: int
    prefix: str
    body: bytes
    signature: bytes


def parse_key_request(request: bytes) -> KeyRequest:
    """§11.5 structural checks of a key request (not the signature)."""
    check_structure(request, T_KEYREQ)
    if len(request) < MIN_REQUEST or rd32(request, 127) != len(request) - MIN_REQUEST:
        fail("MALFORMED", "key request length")
    n = rd32(request, 127)
    try:
        prefix = request[131:131 + n].decode("utf-8")
    except UnicodeDecodeError:
        fail("MALFORMED", "key request prefix is not UTF-8")
    return KeyRequest(requester=request[3:35], target=request[35:67], session_id=request[67:83],
                      from_index=rd32(request, 83), reply_public=request[87:119],
                      timestamp_ms=rd64(request, 119), prefix=prefix,
                      body=request[:131 + n], signature=request[131 + n:])


# --- §6 trust configuration -----------------------------------------------------------

@dataclass
class Entry:
    prefix: str
    senders: List[bytes]
    receivers: List[bytes]


# --- §7 / §9.1 sender session -----------------------------------------------------

@dataclass
class OutboundSession:
    session_id: bytes
    ck: bytes
    next: int
    created_ms: int
    not_after_ms: int
    base: int
    ck_base: bytes
    revoked: bool = False


# --- §9.2 receiver record -----------------------------------------------------------

@dataclass
class Record:
    sender: bytes
    session_id: bytes
    prefix: str
    created_ms: int
    not_after_ms: int
    start: int
    next: int
    ck: bytes
    highest: Optional[int] = None
    window: int = 0
    skipped: Dict[int, bytes] = field(default_factory=dict)
    superseded_at: Optional[int] = None

    def order_key(self) -> Tuple[int, bytes]:
        return (self.created_ms, self.session_id)


@dataclass
class PendingCall:
    call_hash: bytes
    call_uri: str
    reply_secret: Optional[bytes]
    next_seq: int = 0
    finished: bool = False


@dataclass
class Invocation:
    call_envelope: bytes
    call_uri: str
    reply_public: bytes
    next_seq: int = 0
    finished: bool = False


Rng = Callable[[str, int], bytes]


class Peer:
    """One identity with its trust configuration and the state of §§9-11."""

    def __init__(self, seed: bytes, entries: List[Entry], params: Optional[Params] = None,
                 rng: Optional[Rng] = None,
                 authorize: Callable[[bytes, str], bool] = lambda pk, prefix: True):
        self.seed = seed
        self.pk = ed_public(seed)
        self.entries = entries
        self.params = params or Params()
        self.rng = rng
        self.authorize = authorize
        self.outbound: Dict[str, OutboundSession] = {}
        self.store: Dict[Tuple[bytes, bytes], Record] = {}
        self.pending_requests: Dict[bytes, bytes] = {}  # request -> reply_secret
        self.pending_calls: Dict[bytes, PendingCall] = {}  # call_hash -> pending

    def random(self, purpose: str, n: int) -> bytes:
        if self.rng is None:
            fail("RANDOM_FAILED", "no random source")
        b = self.rng(purpose, n)
        assert len(b) == n
        return b

    # §6
    def select(self, uri: str) -> Optional[Entry]:
        ub = uri.encode("utf-8")
        best = None
        for e in self.entries:
            pb = e.prefix.encode("utf-8")
            if ub.startswith(pb) and (best is None or len(pb) > len(best.prefix.encode("utf-8"))):
                best = e
        return best

    def entry_exact(self, prefix: str) -> Optional[Entry]:
        for e in self.entries:
            if e.prefix == prefix:
                return e
        return None

    # §9.1
    def rotation_due(self, s: OutboundSession, now_ms: int) -> bool:
        return s.next >= self.params.max_messages or now_ms >= s.not_after_ms or s.revoked

    def new_session(self, now_ms: int) -> OutboundSession:
        sid = self.random("session_id", 16)
        while sid == ZERO16:
            sid = self.random("session_id", 16)
        ck = self.random("chain_key", 32)
        return OutboundSession(session_id=sid, ck=ck, next=0, created_ms=now_ms,
                               not_after_ms=now_ms + self.params.max_age_ms, base=0, ck_base=ck)

    def rotate(self, prefix: str) -> None:
        s = self.outbound.get(prefix)
        if s is not None:
            s.revoked = True

    # §8.4
    def seal(self, uri: str, msg_type: int, plaintext: bytes, now_ms: int) -> bytes:
        if msg_type not in (T_EVENT, T_CALL):
            fail("INVALID_ARGUMENT", "seal type")
        entry = self.select(uri)
        if entry is None:
            fail("KEY_NOT_FOUND", f"no entry covers {uri!r}")
        s = self.outbound.get(entry.prefix)
        if s is None or self.rotation_due(s, now_ms):
            s = self.outbound[entry.prefix] = self.new_session(now_ms)
        i = s.next
        nonce = self.random("nonce", 24)
        reply_secret = self.random("reply_secret", 32) if msg_type == T_CALL else None
        out = seal_raw(self.seed, msg_type, uri, s.session_id, i, s.ck, now_ms, nonce,
                       reply_secret, plaintext)
        s.ck = out["next_chain_key"]
        s.next = i + 1
        while s.next - s.base > self.params.share_backlog:
            s.ck_base = chain_next(s.ck_base)
            s.base += 1
        if self.params.share_backlog == 0:
            assert s.ck_base == s.ck
        env = out["envelope"]
        if msg_type == T_CALL:
            self.pending_calls[sha256(env)] = PendingCall(sha256(env), uri, reply_secret)
        return env

    # §9.2
    def expired(self, r: Record, now_ms: int) -> bool:
        if r.superseded_at is not None and now_ms > r.superseded_at + self.params.grace_ms:
            return True
        return now_ms > r.not_after_ms + self.params.max_skew_ms

    def open(self, uri: str, expected_type: int, key_id: Optional[str], envelope: bytes,
             now_ms: int) -> Tuple[bytes, Optional[bytes]]:
        p = self.params
        check_structure(envelope, expected_type)
        h = HEADER_EVENT if envelope[2] == T_EVENT else HEADER_CALL
        if len(envelope) < h + 16 + 64:
            fail("MALFORMED", "envelope too short")
        header = envelope[:h]
        ct = envelope[h:-64]
        sig = envelope[-64:]
        sender = header[3:35]
        sid = header[35:51]
        i = rd32(header, 51)
        ts = rd64(header, 55)
        nonce = header[63:87]
        if sid == ZERO16:
            fail("MALFORMED", "zero session id")
        if key_id is not None and key_id != sid.hex():
            fail("KEY_ID_MISMATCH", "key id differs from the session id")
        entry = self.select(uri)
        if entry is None:
            fail("KEY_NOT_FOUND", f"no entry covers {uri!r}")
        if sender not in entry.senders:
            fail("UNTRUSTED_SENDER", "sender not pinned")
        ub = uri.encode("utf-8")
        if not verify(sender, L_MSG + header + u32(len(ub)) + ub + ct, sig):
            fail("BAD_SIGNATURE", "message signature")
        r = self.store.get((sender, sid))
        if r is None:
            fail("UNKNOWN_SESSION", "no record")
        if r.prefix != entry.prefix:
            fail("PATTERN_MISMATCH", f"session prefix {r.prefix!r}, entry {entry.prefix!r}")
        if self.expired(r, now_ms) or ts > r.not_after_ms:
            fail("SESSION_EXPIRED", "record expired or timestamp past not_after")
        if i < r.start:
            fail("TOO_OLD", "below the share's start")
        if i < r.next:
            if r.highest is not None and 0 <= r.highest - i < p.window \
                    and (r.window >> (r.highest - i)) & 1:
                fail("REPLAYED", f"index {i}")
            if i not in r.skipped:
                fail("TOO_OLD", f"index {i}: no skipped key")
            k = r.skipped[i]
            new_keys: Dict[int, bytes] = {}
            ck_after = r.ck
            next_after = r.next
        else:
            if i - r.next >= p.max_jump:
                fail("INDEX_JUMP", f"index {i}, next {r.next}")
            ck = r.ck
            new_keys = {}
            for j in range(r.next, i):
                new_keys[j] = key_from_chain(sid, sender, j, ck)
                ck = chain_next(ck)
            k = key_from_chain(sid, sender, i, ck)
            ck_after = chain_next(ck)
            next_after = i + 1
        plaintext = secretbox_open(k, nonce, ct)
        if plaintext is None:
            fail("DECRYPTION_FAILED", "secretbox")
        # commit
        r.skipped.pop(i, None)
        r.skipped.update(new_keys)
        r.ck = ck_after
        r.next = next_after
        excess = len(r.skipped) - p.max_skipped
        if excess > 0:
            for j in sorted(r.skipped)[:excess]:  # lowest indices first
                del r.skipped[j]
        if r.highest is None:
            r.highest = i
            r.window = 1
        elif i > r.highest:
            s = i - r.highest
            r.window = 1 if s >= 64 else ((r.window << s) % 2**64) | 1
            r.highest = i
        else:
            d = r.highest - i
            if d < 64:
                r.window |= 1 << d
        reply_public = header[87:119] if envelope[2] == T_CALL else None
        return plaintext, reply_public

    # §9.3
    def accept_share(self, share: Share, now_ms: int) -> None:
        p = self.params
        if now_ms > share.not_after_ms + p.max_skew_ms:
            fail("SESSION_EXPIRED", "share past not_after + skew")
        if (share.sender, share.session_id) in self.store:
            return
        group = [q for q in self.store.values()
                 if q.sender == share.sender and q.prefix == share.prefix]
        okey = (share.created_ms, share.session_id)
        if len(group) >= p.max_sessions and all(okey < q.order_key() for q in group):
            fail("SESSION_EXPIRED", "older than every kept session")
        r = Record(sender=share.sender, session_id=share.session_id, prefix=share.prefix,
                   created_ms=share.created_ms, not_after_ms=share.not_after_ms,
                   start=share.index, next=share.index, ck=share.chain_key)
        for q in group:
            if q.created_ms < r.created_ms and q.superseded_at is None:
                q.superseded_at = now_ms
            if q.created_ms > r.created_ms and r.superseded_at is None:
                r.superseded_at = now_ms
        self.store[(r.sender, r.session_id)] = r
        members = group + [r]
        while len(members) > p.max_sessions:
            low = min(members, key=lambda q: q.order_key())
            members.remove(low)
            del self.store[(low.sender, low.session_id)]

    # §10.4
    def invocation(self, call_envelope: bytes, call_uri: str, reply_public: bytes) -> Invocation:
        return Invocation(call_envelope, call_uri, reply_public)

    def seal_reply(self, inv: Invocation, reply_type: int, error_uri: Optional[str],
                   plaintext: bytes) -> bytes:
        if inv.finished:
            fail("INVALID_ARGUMENT", "invocation finished")
        if reply_type not in (T_RESULT, T_PROGRESS, T_ERROR):
            fail("INVALID_ARGUMENT", "reply type")
        esk = self.random("ephemeral_secret", 32)
        nonce = self.random("nonce", 24)
        assert inv.call_envelope[87:119] == inv.reply_public
        out = seal_reply_raw(self.seed, inv.call_envelope, inv.call_uri, reply_type,
                             inv.next_seq, error_uri, esk, nonce, plaintext)
        inv.next_seq += 1
        if reply_type in (T_RESULT, T_ERROR):
            inv.finished = True
        return out["envelope"]

    # §10.5
    def add_pending_call(self, call_envelope: bytes, call_uri: str, reply_secret: bytes) -> None:
        h = sha256(call_envelope)
        self.pending_calls[h] = PendingCall(h, call_uri, reply_secret)

    def open_reply(self, call_envelope: Optional[bytes], expected_type: int,
                   error_uri: Optional[str], key_id: Optional[str], envelope: bytes) -> bytes:
        check_structure(envelope, expected_type)
        if len(envelope) < MIN_REPLY:
            fail("MALFORMED", "reply too short")
        if key_id is not None:
            fail("KEY_ID_MISMATCH", "key id on a reply")
        header = envelope[:HEADER_REPLY]
        ct = envelope[HEADER_REPLY:-64]
        sig = envelope[-64:]
        callee = header[3:35]
        call_hash = header[35:67]
        seq = rd32(header, 67)
        epk = header[71:103]
        nonce = header[103:127]
        pending = None if call_envelope is None else self.pending_calls.get(sha256(call_envelope))
        if pending is None or pending.finished or call_hash != pending.call_hash:
            fail("UNSOLICITED", "reply does not answer the pending call")
        entry = self.select(pending.call_uri)
        if entry is None:
            fail("KEY_NOT_FOUND", "no entry covers the call's URI")
        if callee not in entry.receivers:
            fail("UNTRUSTED_SENDER", "callee not in receivers")
        reply_uri = pending.call_uri if envelope[2] in (T_RESULT, T_PROGRESS) else error_uri
        ru = reply_uri.encode("utf-8")
        if not verify(callee, L_RESULT + header + u32(len(ru)) + ru + ct, sig):
            fail("BAD_SIGNATURE", "reply signature")
        if seq < pending.next_seq:
            fail("REPLAYED", f"seq {seq}")
        if seq > pending.next_seq:
            fail("OUT_OF_ORDER", f"seq {seq}, expected {pending.next_seq}")
        z = x25519(pending.reply_secret, epk)
        if z == ZERO32:
            fail("DECRYPTION_FAILED", "all-zero X25519 result")
        reply_public = x25519_base(pending.reply_secret)
        k = reply_key(call_hash, z, envelope[2], seq, callee, epk, reply_public)
        plaintext = secretbox_open(k, nonce, ct)
        if plaintext is None:
            fail("DECRYPTION_FAILED", "secretbox")
        pending.next_seq = seq + 1
        if envelope[2] in (T_RESULT, T_ERROR):
            pending.finished = True
            pending.reply_secret = None
        return plaintext

    # §11.1
    def make_key_request(self, prefix: str, target: bytes, session_id: bytes, from_index: int,
                         now_ms: int) -> bytes:
        e = self.entry_exact(prefix)
        if e is None:
            fail("KEY_NOT_FOUND", f"no entry {prefix!r}")
        if target not in e.senders:
            fail("UNTRUSTED_SENDER", "target not in senders")
        reply_secret = self.random("reply_secret", 32)
        p = prefix.encode("utf-8")
        body = u8(VERSION) + u8(SUITE) + u8(T_KEYREQ) + self.pk + target + session_id \
            + u32(from_index) + x25519_base(reply_secret) + u64(now_ms) + u32(len(p)) + p
        assert len(body) == 131 + len(p)
        request = body + sign(self.seed, L_KEYREQ + body)
        assert len(request) == MIN_REQUEST + len(p)
        self.pending_requests[request] = reply_secret
        return request

    # §11.5 sender side
    def answer_key_request(self, request: bytes, now_ms: int) -> dict:
        p = self.params
        req = parse_key_request(request)
        if req.target != self.pk:
            fail("KEY_REFUSED", "not addressed to this sender")
        if not verify(req.requester, L_KEYREQ + req.body, req.signature):
            fail("BAD_SIGNATURE", "key request signature")
        if abs(now_ms - req.timestamp_ms) > p.max_skew_ms:
            fail("KEY_REQUEST_STALE", f"|{now_ms} - {req.timestamp_ms}| > {p.max_skew_ms}")
        e = self.entry_exact(req.prefix)
        if e is None:
            fail("KEY_REFUSED", f"prefix {req.prefix!r} not configured")
        if req.requester not in e.receivers or not self.authorize(req.requester, req.prefix):
            fail("KEY_REFUSED", "requester not authorized")
        s = self.outbound.get(req.prefix)
        if s is not None and self.rotation_due(s, now_ms):
            del self.outbound[req.prefix]
            s = None
        if req.session_id == ZERO16:
            if s is None:
                s = self.outbound[req.prefix] = self.new_session(now_ms)
        elif s is None or s.session_id != req.session_id:
            fail("UNKNOWN_SESSION", "not the current session")
        if req.session_id == ZERO16:
            j = s.next
        else:
            j = min(max(req.from_index, s.base), s.next)
        ck = s.ck_base
        for _ in range(j - s.base):
            ck = chain_next(ck)
        share = encode_share(Share(sender=self.pk, requester=req.requester,
                                   session_id=s.session_id, index=j, chain_key=ck,
                                   created_ms=s.created_ms, not_after_ms=s.not_after_ms,
                                   prefix=req.prefix))
        esk = self.random("ephemeral_secret", 32)
        sealed = seal_box(req.reply_public, share, esk)
        body = u8(VERSION) + u8(SUITE) + u8(T_KEYRESP) + self.pk + sha256(request) + sealed
        response = body + sign(self.seed, L_KEYRESP + body)
        assert len(response) == MIN_RESPONSE + len(req.prefix.encode("utf-8"))
        return {"share_bytes": share, "sealed": sealed, "response": response, "index": j}

    # §11.5 receiver side
    def accept_key_response(self, request: bytes, response: bytes, now_ms: int) -> bytes:
        reply_secret = self.pending_requests.get(request)
        if reply_secret is None:
            fail("UNSOLICITED", "no such pending request")
        req = parse_key_request(request)
        check_structure(response, T_KEYRESP)
        if len(response) < MIN_RESPONSE:
            fail("MALFORMED", "key response too short")
        if response[35:67] != sha256(request) or response[3:35] != req.target:
            fail("UNSOLICITED", "response does not answer the pending request")
        e = self.entry_exact(req.prefix)
        if e is None:
            fail("KEY_NOT_FOUND", f"no entry {req.prefix!r}")
        if req.target not in e.senders:
            fail("UNTRUSTED_SENDER", "target not in senders")
        if not verify(req.target, L_KEYRESP + response[:-64], response[-64:]):
            fail("BAD_SIGNATURE", "key response signature")
        share_b = seal_box_open(req.reply_public, reply_secret, response[67:-64])
        if share_b is None:
            fail("DECRYPTION_FAILED", "sealed box")
        share = parse_share(share_b)
        if share.sender != req.target or share.requester != self.pk or share.prefix != req.prefix \
                or (req.session_id != ZERO16 and share.session_id != req.session_id):
            fail("SHARE_MISMATCH", "share differs from the request")
        self.accept_share(share, now_ms)
        del self.pending_requests[request]
        return share.session_id
