"""GS1 group-session vectors (docs/gs1.md §15), computed by the independent Python
implementation in gs1_ref.py (PyNaCl, cryptography, hashlib) from the specification
page alone. Every step of the four scenarios of §15.4 is run on the reference state
machines; the generator stops if a computed result differs from what the page says
the step must give, and checks every envelope, signature, secretbox and sealed box
once more with PyNaCl's high-level API."""

import base64
import hashlib

from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import VerifyKey

import gs1_ref as g
from _common import write

T0 = 1_700_000_000_000
HOUR = 3_600_000
NAMES = ("alice", "bob", "carol", "dave", "eve", "mallory")


def D(name: str, n: int) -> bytes:
    """§15.1: the first n bytes of SHA256("wampe2e/gs1/vectors/" ‖ name)."""
    return hashlib.sha256(b"wampe2e/gs1/vectors/" + name.encode("ascii")).digest()[:n]


SEED = {p: D(f"seed/{p}", 32) for p in NAMES}
PK = {p: g.ed_public(SEED[p]) for p in NAMES}


def SID(s: str) -> bytes:
    return D(f"sid/{s}", 16)


def X(name: str) -> bytes:
    return D(f"x25519/{name}", 32)


def NONCE(step_id: str) -> bytes:
    return D(f"nonce/{step_id}", 24)


_CHAINS = {}


def CK(session: str, i: int) -> bytes:
    """CK_i of session `session` (CK_0 = D("ck/session", 32))."""
    c = _CHAINS.setdefault(session, [D(f"ck/{session}", 32)])
    while len(c) <= i:
        c.append(g.chain_next(c[-1]))
    return c[i]


# --- §13.1 plaintext: a minimal CBOR writer and reader --------------------------------

def cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 2 ** (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(v) -> bytes:
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(v)


def P(uri: str, args) -> bytes:
    """§15.1 P(uri, args): {"uri": uri, "args": args, "kwargs": null}, keys in this order."""
    return cbor_head(5, 3) + cbor("uri") + cbor(uri) + cbor("args") + cbor(args) \
        + cbor("kwargs") + cbor(None)


def cbor_read(b: bytes):
    def item(off):
        ib = b[off]
        major, ai = ib >> 5, ib & 31
        off += 1
        if major == 7:
            return {20: False, 21: True, 22: None}[ai], off
        if ai < 24:
            n = ai
        else:
            size = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
            n = int.from_bytes(b[off:off + size], "big")
            off += size
        if major == 0:
            return n, off
        if major == 1:
            return -1 - n, off
        if major == 3:
            return b[off:off + n].decode("utf-8"), off + n
        if major == 4:
            out = []
            for _ in range(n):
                v, off = item(off)
                out.append(v)
            return out, off
        if major == 5:
            out = {}
            for _ in range(n):
                k, off = item(off)
                v, off = item(off)
                assert isinstance(k, str) and k not in out
                out[k] = v
            return out, off
        raise ValueError(f"CBOR major type {major}")

    v, end = item(0)
    assert end == len(b)
    return v


def check_plaintext(plaintext: bytes, signed_uri: str) -> None:
    m = cbor_read(plaintext)
    assert set(m) == {"uri", "args", "kwargs"}, m
    assert m["uri"] == signed_uri, (m["uri"], signed_uri)


# --- steps --------------------------------------------------------------------------

class SpecMismatch(SystemExit):
    pass


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hx(b):
    return None if b is None else b.hex()


class FixedRng:
    """Hands out the given values in order; the step checks they were all used."""

    def __init__(self, *values: bytes):
        self.values = list(values)

    def __call__(self, purpose: str, n: int) -> bytes:
        assert self.values, f"unexpected random draw ({purpose})"
        v = self.values.pop(0)
        assert len(v) == n, purpose
        return v

    def done(self):
        assert not self.values, "random values left unused"


ALL_IDS = set()
REQUEST_SECRETS = {}  # key request bytes -> its reply secret (for the sealed-box self-check)


class Scenario:
    def __init__(self, name: str, description: str, config: dict):
        self.name = name
        self.description = description
        self.config = config
        self.peers = {
            p: g.Peer(SEED[p], [g.Entry(prefix, [PK[s] for s in senders], [PK[r] for r in receivers])
                                for prefix, senders, receivers in entries])
            for p, entries in config.items()
        }
        self.steps = []
        self.last_now = None

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "config": {
                p: {"entries": [{"prefix": prefix, "senders": [PK[s].hex() for s in senders],
                                 "receivers": [PK[r].hex() for r in receivers]}
                                for prefix, senders, receivers in entries]}
                for p, entries in self.config.items()
            },
            "steps": self.steps,
        }

    def now(self, now_ms: int) -> None:
        # §15.4: the now_ms of the steps of each scenario never decreases
        assert self.last_now is None or now_ms >= self.last_now, (self.name, now_ms)
        self.last_now = now_ms

    def run(self, step_id: str, expect: str, fn):
        """Runs fn; returns (code, result). Fails loudly if code differs from expect."""
        try:
            result = fn()
            code = "ok"
            detail = ""
        except g.Gs1Error as e:
            result = None
            code = e.code
            detail = e.detail
        if code != expect:
            raise SpecMismatch(f"{self.name} step {step_id}: §15.4 expects {expect}, "
                               f"the reference implementation computes {code} {detail}".rstrip())
        return result

    def emit(self, step_id: str, op: str, peer: str, note, inputs: dict, expect: str,
             outputs: dict) -> None:
        assert step_id not in ALL_IDS, step_id
        ALL_IDS.add(step_id)
        step = {"id": step_id, "op": op, "peer": peer}
        if note is not None:
            step["note"] = note
        step.update(inputs)
        step["expect"] = expect
        if expect == "ok":
            step.update(outputs)
        self.steps.append(step)

    # seal (§8.4, stateless)
    def seal(self, step_id, peer, uri, kind, session, index, ts, plaintext, chain_key=None,
             reply_secret=None, note=None):
        ck = CK(session, index) if chain_key is None else chain_key
        sid = SID(session)
        nonce = NONCE(step_id)
        out = self.run(step_id, "ok", lambda: g.seal_raw(
            SEED[peer], kind, uri, sid, index, ck, ts, nonce, reply_secret, plaintext))
        env = out["envelope"]
        # independent checks with PyNaCl's high-level API
        ub = uri.encode("utf-8")
        h = out["header"]
        VerifyKey(PK[peer]).verify(g.L_MSG + h + g.u32(len(ub)) + ub + out["ciphertext"],
                                   out["signature"])
        assert SecretBox(out["secretbox_key"]).decrypt(out["ciphertext"], nonce) == plaintext
        assert env[:3] == bytes([1, 1, kind]) and env[3:35] == PK[peer] and env[35:51] == sid
        assert len(env) == len(plaintext) + (167 if kind == 1 else 199)
        if kind == 2:
            assert out["reply_public"] == bytes(PrivateKey(reply_secret).public_key)
        self.emit(step_id, "seal", peer, note, {
            "uri": uri, "kind": kind, "session_id": sid.hex(), "index": index,
            "chain_key": ck.hex(), "timestamp_ms": ts, "nonce": nonce.hex(),
            "reply_secret": hx(reply_secret), "plaintext": plaintext.hex(),
        }, "ok", {
            "reply_public": hx(out["reply_public"]), "secretbox_key": out["secretbox_key"].hex(),
            "header": h.hex(), "signature": out["signature"].hex(), "envelope": env.hex(),
        })
        return env

    # open (§9.2)
    def open(self, step_id, peer, uri, kind, envelope, now_ms, expect, key_id="default",
             note=None, plaintext=None):
        self.now(now_ms)
        if key_id == "default":
            key_id = envelope[35:51].hex()
        res = self.run(step_id, expect,
                       lambda: self.peers[peer].open(uri, kind, key_id, envelope, now_ms))
        outputs = {}
        if res is not None:
            pt, reply_public = res
            check_plaintext(pt, uri)
            if plaintext is not None:
                assert pt == plaintext
            if kind == 2:
                assert reply_public == envelope[87:119]
            outputs = {"plaintext": pt.hex()}
        self.emit(step_id, "open", peer, note, {
            "uri": uri, "kind": kind, "key_id": key_id, "envelope": envelope.hex(),
            "now_ms": now_ms,
        }, expect, outputs)
        return res

    # seal → open rows
    def seal_open(self, row_id, sealer, opener, uri, session, index, ts, now_ms, expect,
                  chain_key=None, note=None):
        pt = P(uri, [index])
        env = self.seal(f"{row_id}.seal", sealer, uri, 1, session, index, ts, pt,
                        chain_key=chain_key, note=note)
        self.open(f"{row_id}.open", opener, uri, 1, env, now_ms, expect, plaintext=pt)
        return env

    # accept_share (§9.3 with given share fields)
    def accept_share(self, step_id, peer, sender, session, prefix, created, not_after, now_ms,
                     expect, index=0, note=None):
        self.now(now_ms)
        share = g.Share(sender=PK[sender], requester=PK[peer], session_id=SID(session),
                        index=index, chain_key=CK(session, index), created_ms=created,
                        not_after_ms=not_after, prefix=prefix)
        share_bytes = g.encode_share(share)
        assert g.parse_share(share_bytes) == share
        self.run(step_id, expect, lambda: self.peers[peer].accept_share(share, now_ms))
        self.emit(step_id, "accept_share", peer, note, {
            "share": {"sender": share.sender.hex(), "requester": share.requester.hex(),
                      "prefix": prefix, "session_id": share.session_id.hex(), "index": index,
                      "chain_key": share.chain_key.hex(), "created_ms": created,
                      "not_after_ms": not_after},
            "share_bytes": share_bytes.hex(), "now_ms": now_ms,
        }, expect, {})

    # key_request (§11.1)
    def key_request(self, step_id, peer, target, session_id, from_index, prefix, secret_name, ts):
        reply_secret = X(secret_name)
        p = self.peers[peer]
        rng = p.rng = FixedRng(reply_secret)
        request = self.run(step_id, "ok", lambda: p.make_key_request(
            prefix, PK[target], session_id, from_index, ts))
        rng.done()
        p.rng = None
        reply_public = bytes(PrivateKey(reply_secret).public_key)
        n = len(prefix.encode("utf-8"))
        assert request[87:119] == reply_public and len(request) == 195 + n
        VerifyKey(PK[peer]).verify(g.L_KEYREQ + request[:131 + n], request[131 + n:])
        REQUEST_SECRETS[request] = reply_secret
        self.emit(step_id, "key_request", peer, None, {
            "target": PK[target].hex(), "session_id": session_id.hex(), "from_index": from_index,
            "prefix": prefix, "reply_secret": reply_secret.hex(), "timestamp_ms": ts,
        }, "ok", {
            "reply_public": reply_public.hex(), "request": request.hex(),
            "request_hash": hashlib.sha256(request).hexdigest(),
        })
        return request

    # answer_key_request (§11.5, sender side, with the given current session)
    def answer(self, step_id, peer, request, now_ms, session, expect, eph_name, share_index=None):
        self.now(now_ms)
        p = self.peers[peer]
        ck = session["chain_key_base"]
        for _ in range(session["next"] - session["base"]):
            ck = g.chain_next(ck)
        p.outbound = {session["prefix"]: g.OutboundSession(
            session_id=session["session_id"], ck=ck, next=session["next"],
            created_ms=session["created_ms"], not_after_ms=session["not_after_ms"],
            base=session["base"], ck_base=session["chain_key_base"])}
        esk = X(eph_name)
        rng = p.rng = FixedRng(esk)
        out = self.run(step_id, expect, lambda: p.answer_key_request(request, now_ms))
        p.rng = None
        outputs = {}
        if out is not None:
            rng.done()
            share, sealed, response = out["share_bytes"], out["sealed"], out["response"]
            # PyNaCl checks: the sealed box opens with the requester's secret, and the
            # response signature verifies
            opened = SealedBox(PrivateKey(REQUEST_SECRETS[request])).decrypt(sealed)
            assert opened == share
            assert sealed[:32] == bytes(PrivateKey(esk).public_key)
            VerifyKey(PK[peer]).verify(g.L_KEYRESP + response[:-64], response[-64:])
            s = g.parse_share(share)
            assert s.index == share_index, (step_id, s.index, share_index)
            assert s.chain_key == CK(session["name"], share_index)
            outputs = {"share_bytes": share.hex(), "sealed": sealed.hex(),
                       "response": response.hex()}
        self.emit(step_id, "answer_key_request", peer, None, {
            "request": request.hex(), "now_ms": now_ms,
            "session": {"prefix": session["prefix"], "session_id": session["session_id"].hex(),
                        "base": session["base"],
                        "chain_key_base": session["chain_key_base"].hex(),
                        "next": session["next"], "created_ms": session["created_ms"],
                        "not_after_ms": session["not_after_ms"]},
            "ephemeral_secret": esk.hex(),
        }, expect, outputs)
        return None if out is None else out["response"]

    # accept_key_response (§11.5, receiver side)
    def accept_response(self, step_id, peer, request, response, now_ms, expect, note=None):
        self.now(now_ms)
        sid = self.run(step_id, expect,
                       lambda: self.peers[peer].accept_key_response(request, response, now_ms))
        self.emit(step_id, "accept_key_response", peer, note, {
            "request": request.hex(), "response": response.hex(), "now_ms": now_ms,
        }, expect, {} if sid is None else {"session_id": sid.hex()})

    # call_pending (§10.5 state)
    def call_pending(self, step_id, peer, call_envelope, call_uri, secret_name):
        rs = X(secret_name)
        assert call_envelope[87:119] == g.x25519_base(rs)
        self.run(step_id, "ok",
                 lambda: self.peers[peer].add_pending_call(call_envelope, call_uri, rs))
        self.emit(step_id, "call_pending", peer, None, {
            "call_envelope": call_envelope.hex(), "call_uri": call_uri, "reply_secret": rs.hex(),
        }, "ok", {})

    # seal_reply (§10.4, stateless with the given seq)
    def seal_reply(self, step_id, peer, call_envelope, call_uri, kind, seq, error_uri, eph_name,
                   plaintext):
        esk = X(eph_name)
        nonce = NONCE(step_id)
        out = self.run(step_id, "ok", lambda: g.seal_reply_raw(
            SEED[peer], call_envelope, call_uri, kind, seq, error_uri, esk, nonce, plaintext))
        ru = (error_uri if kind == 5 else call_uri).encode("utf-8")
        VerifyKey(PK[peer]).verify(g.L_RESULT + out["header"] + g.u32(len(ru)) + ru
                                   + out["ciphertext"], out["signature"])
        assert SecretBox(out["reply_key"]).decrypt(out["ciphertext"], nonce) == plaintext
        assert out["ephemeral_public"] == bytes(PrivateKey(esk).public_key)
        assert len(out["envelope"]) == len(plaintext) + 207
        self.emit(step_id, "seal_reply", peer, None, {
            "call_envelope": call_envelope.hex(), "call_uri": call_uri, "kind": kind, "seq": seq,
            "error_uri": error_uri, "ephemeral_secret": esk.hex(), "nonce": nonce.hex(),
            "plaintext": plaintext.hex(),
        }, "ok", {
            "ephemeral_public": out["ephemeral_public"].hex(), "reply_key": out["reply_key"].hex(),
            "header": out["header"].hex(), "signature": out["signature"].hex(),
            "envelope": out["envelope"].hex(),
        })
        return out["envelope"]

    # open_reply (§10.5)
    def open_reply(self, step_id, peer, call_envelope, kind, envelope, expect, error_uri=None,
                   signed_uri=None, plaintext=None, note=None):
        pt = self.run(step_id, expect, lambda: self.peers[peer].open_reply(
            call_envelope, kind, error_uri, None, envelope))
        outputs = {}
        if pt is not None:
            check_plaintext(pt, signed_uri)
            if plaintext is not None:
                assert pt == plaintext
            outputs = {"plaintext": pt.hex()}
        self.emit(step_id, "open_reply", peer, note, {
            "call_envelope": call_envelope.hex(), "kind": kind, "error_uri": error_uri,
            "key_id": None, "envelope": envelope.hex(),
        }, expect, outputs)


def flip(b: bytes, offset: int) -> bytes:
    return b[:offset] + bytes([b[offset] ^ 0x01]) + b[offset + 1:]


# --- §15.4 scenarios ----------------------------------------------------------------

TOPIC = "com.example.topic"


def scenario_events(wire_out: list) -> Scenario:
    ex, other = "com.example.", "com.other."
    sc = Scenario("events", "alice publishes to bob: skipped keys, replay window, forgeries, "
                  "pattern and trust checks, the index jump limit and skipped-key eviction.", {
        "alice": [(ex, ["alice"], ["bob"]), (other, ["alice"], ["bob"])],
        "bob": [(ex, ["alice"], ["bob"]), (other, ["alice"], ["bob"])],
        "mallory": [(ex, ["mallory"], ["bob"])],
    })
    now = T0 + 20000
    sc.accept_share("e.a", "bob", "alice", "s1", ex, T0, T0 + HOUR, T0 + 1000, "ok")
    s = [sc.seal(f"e.s{k}", "alice", TOPIC, 1, "s1", k, T0 + 10000 + 1000 * k, P(TOPIC, [k]))
         for k in range(8)]
    sid1 = SID("s1").hex()
    sc.open("e.o1", "bob", TOPIC, 1, s[0], now, "ok", key_id=sid1)
    sc.open("e.o2", "bob", TOPIC, 1, s[1], now, "ok", key_id=sid1)
    sc.open("e.o3", "bob", TOPIC, 1, flip(s[5], 62), now, "WAMPE2E_BAD_SIGNATURE",
            note="the envelope of e.s5 with byte 62 (last byte of timestamp_ms) XOR 0x01")
    sc.open("e.o4", "bob", TOPIC, 1, s[5], now, "ok",
            note="skip to 5; the forgery burned nothing")
    sc.open("e.o5", "bob", TOPIC, 1, s[1], now, "WAMPE2E_REPLAYED", note="e.s1 again")
    sc.open("e.o6", "bob", TOPIC, 1, s[3], now, "ok", note="e.s3, from the skipped keys")
    sc.open("e.o7", "bob", TOPIC, 1, s[3], now, "WAMPE2E_REPLAYED", note="e.s3 again")
    sc.open("e.o8", "bob", TOPIC, 1, s[2], now, "WAMPE2E_KEY_ID_MISMATCH",
            key_id="00112233445566778899aabbccddeeff")
    sc.open("e.o9", "bob", TOPIC, 1, s[2], now, "ok", key_id=None)
    ts = T0 + 19000
    sc.seal_open("e.x1", "alice", "bob", "com.other.topic", "s1", 6, ts, now,
                 "WAMPE2E_PATTERN_MISMATCH")
    sc.seal_open("e.x2", "mallory", "bob", TOPIC, "sm", 0, ts, now, "WAMPE2E_UNTRUSTED_SENDER")
    sc.seal_open("e.x3", "alice", "bob", TOPIC, "s1", 7, ts, now, "WAMPE2E_DECRYPTION_FAILED",
                 chain_key=CK("s1", 8), note="index 7 sealed with chain_key = CK_8 of s1")
    sc.open("e.o10", "bob", TOPIC, 1, s[7], now, "ok",
            note="the signed-but-undecryptable message burned nothing")
    sc.open("e.o11", "bob", TOPIC, 1, s[4], now, "ok", note="late, from the skipped keys")
    sc.seal_open("e.x4", "alice", "bob", TOPIC, "s1", 65544, ts, now, "WAMPE2E_INDEX_JUMP",
                 note="index 65544 = next (8) + 65536")
    sc.seal_open("e.x5", "alice", "bob", TOPIC, "s1", 65543, ts, now, "ok",
                 note="index 65543 = next (8) + 65535")
    sc.open("e.o12", "bob", TOPIC, 1, s[5], now, "WAMPE2E_TOO_OLD",
            note="e.s5 again, now far below the window")
    sc.seal_open("e.x6", "alice", "bob", TOPIC, "s1", 8, ts, now, "WAMPE2E_TOO_OLD",
                 note="index 8: skipped by e.x5, then evicted by the 2000-key limit")

    # stateful cross-check: alice's outbound session s1 sealing e.s0..e.s7 through §8.4
    alice = g.Peer(SEED["alice"], [g.Entry(ex, [PK["alice"]], [PK["bob"]])])
    alice.outbound[ex] = g.OutboundSession(SID("s1"), CK("s1", 0), 0, T0, T0 + HOUR, 0,
                                           CK("s1", 0))
    for k in range(8):
        alice.rng = FixedRng(NONCE(f"e.s{k}"))
        assert alice.seal(TOPIC, 1, P(TOPIC, [k]), T0 + 10000 + 1000 * k) == s[k]
        alice.rng.done()
    assert alice.outbound[ex].next == 8 and alice.outbound[ex].ck == CK("s1", 8)
    assert alice.outbound[ex].base == 0  # share_backlog 64 > 8

    # bob's record after the scenario, for the record
    r = sc.peers["bob"].store[(PK["alice"], SID("s1"))]
    assert r.next == 65544 and r.highest == 65543 and len(r.skipped) == 2000
    assert min(r.skipped) == 65543 - 2000

    # wire (§15.2): the PUBLISH of e.s0 with request id 1 in both dialects
    env = s[0]
    binary = "\u0000" + b64(env)
    wire_out.append({"dialect": "enc", "envelope": env.hex(), "message": [
        16, 1, {"enc_algo": "x_wampe2e_gs1", "enc_serializer": "cbor", "enc_key": sid1},
        TOPIC, binary]})
    wire_out.append({"dialect": "ppt", "envelope": env.hex(), "message": [
        16, 1, {"ppt_scheme": "x_wampe2e", "ppt_serializer": "cbor", "ppt_cipher": "x_gs1",
                "ppt_keyid": sid1}, TOPIC, [binary]]})
    return sc


def scenario_key_exchange() -> Scenario:
    ex = "com.example."
    sc = Scenario("key_exchange", "bob fetches alice's session s2 through her key procedure: "
                  "from_index within the share backlog, unsolicited and forged responses, "
                  "an unauthorized requester, an unknown session and request freshness.", {
        "alice": [(ex, ["alice"], ["bob"])],
        "bob": [(ex, ["alice"], ["bob"])],
        "eve": [(ex, ["alice"], [])],
    })
    s2 = SID("s2")
    session = {"name": "s2", "prefix": ex, "session_id": s2, "base": 3,
               "chain_key_base": CK("s2", 3), "next": 7, "created_ms": T0,
               "not_after_ms": T0 + HOUR}

    # cross-check: this is alice's §7/§8.4 state after 7 seals with share_backlog = 4
    alice = g.Peer(SEED["alice"], [g.Entry(ex, [PK["alice"]], [PK["bob"]])],
                   params=g.Params(share_backlog=4))
    alice.rng = FixedRng(s2, CK("s2", 0), *[D(f"check/s2/{k}", 24) for k in range(7)])
    for k in range(7):
        alice.seal(TOPIC, 1, P(TOPIC, [k]), T0 + k)  # the first seal makes s2 at T0
    alice.rng.done()
    st = alice.outbound[ex]
    assert (st.session_id, st.next, st.base, st.ck_base, st.ck, st.created_ms, st.not_after_ms) \
        == (s2, 7, 3, CK("s2", 3), CK("s2", 7), T0, T0 + HOUR)

    r1 = sc.key_request("k.r1", "bob", "alice", s2, 5, ex, "bob-1", T0 + 60000)
    a1 = sc.answer("k.a1", "alice", r1, T0 + 61000, session, "ok", "alice-eph-1", share_index=5)
    alice.rng = FixedRng(X("alice-eph-1"))
    assert alice.answer_key_request(r1, T0 + 61000)["response"] == a1  # same from the live state
    r2 = sc.key_request("k.r2", "bob", "alice", s2, 5, ex, "bob-2", T0 + 60500)
    sc.accept_response("k.c1", "bob", r2, a1, T0 + 61500, "WAMPE2E_UNSOLICITED",
                       note="k.a1 answers k.r1, not k.r2")
    sc.accept_response("k.c2", "bob", r1, flip(a1, 100), T0 + 61500, "WAMPE2E_BAD_SIGNATURE",
                       note="the response of k.a1 with byte 100 (inside the sealed box) XOR 0x01")
    sc.accept_response("k.c3", "bob", r1, a1, T0 + 61500, "ok")
    rec = sc.peers["bob"].store[(PK["alice"], s2)]
    assert (rec.start, rec.next, rec.ck) == (5, 5, CK("s2", 5))
    sc.seal_open("k.x1", "alice", "bob", TOPIC, "s2", 7, T0 + 62000, T0 + 62500, "ok")
    sc.seal_open("k.x2", "alice", "bob", TOPIC, "s2", 4, T0 + 59000, T0 + 62500,
                 "WAMPE2E_TOO_OLD", note="index 4, below the share's index 5")
    r3 = sc.key_request("k.r3", "eve", "alice", s2, 5, ex, "eve-1", T0 + 63000)
    sc.answer("k.a3", "alice", r3, T0 + 63000, session, "WAMPE2E_KEY_REFUSED", "alice-eph-3")
    r4 = sc.key_request("k.r4", "bob", "alice", D("sid/unknown", 16), 5, ex, "bob-4", T0 + 64000)
    sc.answer("k.a4", "alice", r4, T0 + 64000, session, "WAMPE2E_UNKNOWN_SESSION", "alice-eph-4")
    r5 = sc.key_request("k.r5", "bob", "alice", s2, 0, ex, "bob-5", T0 + 65000)
    sc.answer("k.a5", "alice", r5, T0 + 365000, session, "ok", "alice-eph-5", share_index=3)
    r6 = sc.key_request("k.r6", "bob", "alice", s2, 100, ex, "bob-6", T0 + 66000)
    sc.answer("k.a6", "alice", r6, T0 + 366001, session, "WAMPE2E_KEY_REQUEST_STALE",
              "alice-eph-6")
    return sc


def scenario_rpc() -> Scenario:
    px = "com.example.rpc."
    proc = "com.example.rpc.add"
    err = "com.example.rpc.error.overflow"
    cfg = [(px, ["carol"], ["dave"])]
    sc = Scenario("rpc", "carol calls dave: progressive results in order, replays, a flipped "
                  "progress flag, a finished call, an unpinned callee, a reply to another call "
                  "and an application error.", {"carol": cfg, "dave": cfg, "mallory": cfg})
    sc.accept_share("r.a", "dave", "carol", "s3", px, T0, T0 + HOUR, T0 + 1000, "ok")
    p1 = P(proc, [2, 3])
    c1 = sc.seal("r.c1", "carol", proc, 2, "s3", 0, T0 + 2000, p1, reply_secret=X("carol-c1"))
    _, reply_public = sc.open("r.i1", "dave", proc, 2, c1, T0 + 2500, "ok",
                              key_id=SID("s3").hex(), plaintext=p1)
    sc.call_pending("r.p", "carol", c1, proc, "carol-c1")
    y = [sc.seal_reply("r.y0", "dave", c1, proc, 4, 0, None, "dave-y0", P(proc, ["started"])),
         sc.seal_reply("r.y1", "dave", c1, proc, 4, 1, None, "dave-y1", P(proc, ["halfway"])),
         sc.seal_reply("r.y2", "dave", c1, proc, 3, 2, None, "dave-y2", P(proc, [5]))]
    # cross-check: dave's §10.4 invocation state gives the same replies, and carol's
    # stateful §8.4 seal gives the same call
    dave = g.Peer(SEED["dave"], [g.Entry(px, [PK["carol"]], [PK["dave"]])])
    inv = dave.invocation(c1, proc, reply_public)
    for k, (kind, args) in enumerate(((4, ["started"]), (4, ["halfway"]), (3, [5]))):
        dave.rng = FixedRng(X(f"dave-y{k}"), NONCE(f"r.y{k}"))
        assert dave.seal_reply(inv, kind, None, P(proc, args)) == y[k]
    assert inv.finished
    carol = g.Peer(SEED["carol"], [g.Entry(px, [PK["carol"]], [PK["dave"]])])
    carol.outbound[px] = g.OutboundSession(SID("s3"), CK("s3", 0), 0, T0, T0 + HOUR, 0,
                                           CK("s3", 0))
    carol.rng = FixedRng(NONCE("r.c1"), X("carol-c1"))
    assert carol.seal(proc, 2, p1, T0 + 2000) == c1
    assert carol.pending_calls[hashlib.sha256(c1).digest()].reply_secret == X("carol-c1")

    sc.open_reply("r.o1", "carol", c1, 4, y[1], "WAMPE2E_OUT_OF_ORDER", note="r.y1 before r.y0")
    sc.open_reply("r.o2", "carol", c1, 4, y[0], "ok", signed_uri=proc, plaintext=P(proc, ["started"]))
    sc.open_reply("r.o3", "carol", c1, 4, y[1], "ok", signed_uri=proc, plaintext=P(proc, ["halfway"]))
    sc.open_reply("r.o4", "carol", c1, 4, y[0], "WAMPE2E_REPLAYED", note="r.y0 again")
    sc.open_reply("r.o5", "carol", c1, 4, y[2], "WAMPE2E_WRONG_KIND",
                  note="r.y2 (a final result) as kind 4: the router flipped progress")
    sc.open_reply("r.o6", "carol", c1, 3, y[2], "ok", signed_uri=proc, plaintext=P(proc, [5]))
    sc.open_reply("r.o7", "carol", c1, 3, y[2], "WAMPE2E_UNSOLICITED",
                  note="r.y2 again, after the final reply")
    p2 = P(proc, [7, 8])
    c2 = sc.seal("r.c2", "carol", proc, 2, "s3", 1, T0 + 3000, p2, reply_secret=X("carol-c2"))
    sc.open("r.i2", "dave", proc, 2, c2, T0 + 3500, "ok", plaintext=p2)
    sc.call_pending("r.p2", "carol", c2, proc, "carol-c2")
    m = sc.seal_reply("r.m.seal", "mallory", c2, proc, 5, 0, err, "mallory-m", P(err, ["nope"]))
    sc.open_reply("r.m.open", "carol", c2, 5, m, "WAMPE2E_UNTRUSTED_SENDER", error_uri=err)
    sc.open_reply("r.o8", "carol", c2, 3, y[2], "WAMPE2E_UNSOLICITED",
                  note="pending call r.c2, envelope r.y2 (answers r.c1)")
    e = sc.seal_reply("r.e.seal", "dave", c2, proc, 5, 0, err, "dave-e", P(err, ["too big"]))
    sc.open_reply("r.e.open", "carol", c2, 5, e, "ok", error_uri=err, signed_uri=err,
                  plaintext=P(err, ["too big"]))
    return sc


def scenario_rotation() -> Scenario:
    ex = "com.example."
    sc = Scenario("rotation", "alice rotates (restart) and bob keeps the old session for the "
                  "grace window; expiry at not_after + skew; at most five sessions per "
                  "(sender, prefix).", {
        "alice": [(ex, ["alice"], ["bob"])],
        "bob": [(ex, ["alice"], ["bob"])],
    })
    created = {"s4": T0, "s5": T0 + 1800000, "s6": T0 + 5000000, "s7": T0 + 5001000,
               "s8": T0 + 5002000, "s9": T0 + 5003000, "s10": T0 + 1000000}
    not_after = {s: c + HOUR for s, c in created.items()}
    not_after["s10"] = T0 + 9000000

    def share(step_id, s, now_ms, expect, note=None):
        sc.accept_share(step_id, "bob", "alice", s, ex, created[s], not_after[s], now_ms, expect,
                        note=note)

    def row(step_id, s, i, ts, now_ms, expect, note=None):
        sc.seal_open(step_id, "alice", "bob", TOPIC, s, i, ts, now_ms, expect, note=note)

    bob = sc.peers["bob"]
    share("t.a4", "s4", T0 + 1000, "ok")
    row("t.1", "s4", 0, T0 + 1000000, T0 + 1000500, "ok")
    share("t.a5", "s5", T0 + 1800500, "ok", note="s4 superseded at this time")
    assert bob.store[(PK["alice"], SID("s4"))].superseded_at == T0 + 1800500
    row("t.2", "s5", 0, T0 + 1800600, T0 + 1801000, "ok")
    row("t.3", "s4", 1, T0 + 1799000, T0 + 2400500, "ok", note="now = superseded + grace")
    row("t.4", "s4", 2, T0 + 1799500, T0 + 2400501, "WAMPE2E_SESSION_EXPIRED",
        note="now = superseded + grace + 1")
    row("t.5", "s5", 1, T0 + 1802000, T0 + 5700000, "ok", note="now = not_after + skew")
    row("t.6", "s5", 2, T0 + 1803000, T0 + 5700001, "WAMPE2E_SESSION_EXPIRED",
        note="now = not_after + skew + 1")
    for s in ("s6", "s7", "s8"):
        share(f"t.a{s[1:]}", s, T0 + 5800000, "ok")
    share("t.a9", "s9", T0 + 5800000, "ok", note="s9 evicts s4")
    assert sorted(sid for (_, sid) in bob.store) == sorted(SID(s) for s in
                                                           ("s5", "s6", "s7", "s8", "s9"))
    row("t.7", "s4", 3, T0 + 1799600, T0 + 5800000, "WAMPE2E_UNKNOWN_SESSION",
        note="s4 was evicted")
    share("t.a10", "s10", T0 + 5800000, "WAMPE2E_SESSION_EXPIRED",
          note="s10 is older than the five kept")
    row("t.8", "s9", 0, T0 + 8603001, T0 + 5800000, "WAMPE2E_SESSION_EXPIRED",
        note="timestamp_ms = not_after + 1")
    return sc


def self_checks() -> None:
    # §4 label lengths, §5 example identity, §13.1 example plaintext
    assert [len(x) for x in (g.L_MSG, g.L_KEYREQ, g.L_KEYRESP, g.L_RESULT, g.L_MSGKEY,
                             g.L_REPLYKEY)] == [16, 19, 20, 19, 20, 22]
    assert g.ed_public(bytes(32)).hex() == \
        "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    assert P("com.example.topic", [42]).hex() == (
        "a3" "63757269" "71636f6d2e6578616d706c652e746f706963" "6461726773" "81182a"
        "666b7761726773" "f6")
    # the sealed box of §3 is libsodium's: crypto_box_seal_open takes a hand-built one
    sk = X("selfcheck-recipient")
    pk = g.x25519_base(sk)
    c = g.seal_box(pk, b"gs1", X("selfcheck-eph"))
    assert SealedBox(PrivateKey(sk)).decrypt(c) == b"gs1"
    # hashlib BLAKE2b-24 agrees with libsodium's generichash
    import nacl.bindings as nb
    assert g.blake2b24(b"abc") == nb.crypto_generichash_blake2b_salt_personal(b"abc", digest_size=24)
    # a verify that must fail does
    try:
        VerifyKey(PK["alice"]).verify(b"x", bytes(64))
        raise AssertionError("zero signature verified")
    except BadSignatureError:
        pass


def cryptosign_identity(name: str) -> dict:
    """§5: seed_gs1 = HKDF(salt = empty, ikm = cryptosign seed, info = "wampe2e/gs1/identity", 32)."""
    from nacl.signing import SigningKey
    cs = hashlib.sha256(b"wampe2e/gs1/vectors/" + name.encode()).digest()
    derived = g.hkdf(b"", cs, b"wampe2e/gs1/identity", 32)
    return {"cryptosign_seed": cs.hex(), "seed": derived.hex(),
            "public": bytes(SigningKey(derived).verify_key).hex(),
            "cryptosign_public": bytes(SigningKey(cs).verify_key).hex()}


def main() -> None:
    self_checks()
    wire = []
    scenarios = [scenario_events(wire), scenario_key_exchange(), scenario_rpc(),
                 scenario_rotation()]
    chain_steps = []
    for i in range(9):
        ck = CK("s1", i)
        mk = g.chain_message_key(ck)
        chain_steps.append({"index": i, "chain_key": ck.hex(), "message_key": mk.hex(),
                            "secretbox_key": g.message_key(SID("s1"), mk, PK["alice"], i).hex()})
    doc = {
        "format": "wampe2e-gs1-vectors/1",
        "note": "written by tests/vectors/gen_gs1.py (gs1_ref.py: PyNaCl, cryptography, "
                "hashlib) from docs/gs1.md; see §15",
        "params": {"max_skew_ms": 300000, "grace_ms": 600000, "max_messages": 10000,
                   "max_age_ms": 3600000, "window": 64, "max_skipped": 2000,
                   "max_jump": 65536, "max_sessions": 5},
        "identities": [{"name": p, "seed": SEED[p].hex(), "public": PK[p].hex(),
                        "key_procedure": "wampe2e.key." + PK[p].hex()} for p in NAMES],
        # §5: an identity derived from a WAMP-cryptosign seed.
        "cryptosign_identities": [cryptosign_identity(name) for name in ("cryptosign/a", "cryptosign/b")],
        "chains": [{"name": "s1", "sender": PK["alice"].hex(), "session_id": SID("s1").hex(),
                    "steps": chain_steps}],
        "wire": wire,
        "scenarios": [sc.to_json() for sc in scenarios],
    }
    p = g.Params()
    assert doc["params"] == {k: getattr(p, k) for k in doc["params"]}
    write("gs1.json", doc)
    for sc in scenarios:
        print(f"  {sc.name}: {len(sc.steps)} steps")


if __name__ == "__main__":
    main()
