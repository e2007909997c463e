"""Writes the seed corpus fuzz/corpus/<target>/ from the shared vectors: real
sealed payloads of every dialect (Autobahn|Python's cryptobox, the Payload
Passthru Mode vectors of cbor2/msgpack/json with PyNaCl and `cryptography`), their
plaintexts (decrypted here with the same independent libraries), the forged
plaintexts of the mobile tests, whole WAMP messages carrying them in each
serializer, their attributes, and the keys of the vectors.

Each file is the raw input of its target: the header bytes the target reads
(fuzz/src/lib.rs: CASES, URIS), then the payload. Deterministic; rerun after a
vector or header change:

    .venv/bin/python fuzz/make_seeds.py
"""

import base64
import json
import os
import shutil

import cbor2
import msgpack
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.public import Box, PrivateKey, PublicKey
from nacl.secret import SecretBox

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VECTORS = os.path.join(ROOT, "tests", "vectors")
FORGED = os.path.join(ROOT, "mobile", "kotlin", "src", "test", "resources", "forged_plaintexts.json")

# Mirrors fuzz/src/lib.rs.
URIS = ["com.example.topic1", "com.example.numbers", "com.example.ppt", "com.example.text", "", "com.x.\u00fc",
        "com.example.blob", "com.example.nested"]
# CASES: index of (dialect, key) per serializer, cipher and key kind.
CASE = {
    ("cryptobox", "xsalsa20poly1305", "box"): 0,
    ("json", "xsalsa20poly1305", "box"): 1, ("json", "xsalsa20poly1305", "data"): 2, ("json", "aes256gcm", "data"): 3,
    ("cbor", "xsalsa20poly1305", "box"): 4, ("cbor", "xsalsa20poly1305", "data"): 5, ("cbor", "aes256gcm", "data"): 6,
    ("msgpack", "xsalsa20poly1305", "box"): 7, ("msgpack", "xsalsa20poly1305", "data"): 8, ("msgpack", "aes256gcm", "data"): 9,
}
SERIALIZER = {"json": 0, "cbor": 1, "msgpack": 2}
CASES_OF = {s: [i for (ser, _, _), i in CASE.items() if ser == s or (s == "json" and ser == "cryptobox")] for s in SERIALIZER}


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def uri_index(uri):
    return URIS.index(uri) if uri in URIS else 4


corpus = {}


def seed(target, name, data):
    corpus.setdefault(target, {})[name] = bytes(data)


def plaintexts():
    """(name, serializer, uri, plaintext bytes) of every vector, decrypted independently."""
    out = []
    seen = set()
    for v in load("autobahn_cryptobox.json")["vectors"]:
        p = base64.b64decode(v["plaintext_base64"])
        if p not in seen:
            seen.add(p)
            out.append(("autobahn " + v["name"].split(" (")[0], "json", v["uri"], p))
    doc = load("ppt.json")
    data_key = base64.b64decode(doc["data_key_base64"])
    responder = PrivateKey(base64.b64decode(doc["responder"]["secret_base64"]))
    originator = PublicKey(base64.b64decode(doc["originator"]["public_base64"]))
    for v in doc["vectors"]:
        sealed = base64.b64decode(v["sealed_base64"])
        if v["key"] == "box":
            p = Box(responder, originator).decrypt(sealed)
        elif v["cipher"] == "aes256gcm":
            p = AESGCM(data_key).decrypt(sealed[:12], sealed[12:], None)
        else:
            p = SecretBox(data_key).decrypt(sealed)
        if p not in seen:
            seen.add(p)
            out.append(("ppt " + v["serializer"], v["serializer"], doc["uri"], p))
    with open(FORGED) as f:
        forged = json.load(f)
    for c in forged["cases"]:
        out.append(("forged " + c["name"], c["serializer"], forged["uri"], base64.b64decode(c["plaintext_base64"])))
    return out


def sealed_payloads():
    """(name, case, key id, uri, sealed) of every vector ciphertext."""
    out = []
    for v in load("autobahn_cryptobox.json")["vectors"]:
        if "originator" in v["name"]:
            out.append(("autobahn " + v["name"].split(" (")[0], 0, None, v["uri"], base64.b64decode(v["sealed_base64"])))
    doc = load("ppt.json")
    for v in doc["vectors"]:
        out.append((f"ppt {v['serializer']} {v['cipher']} {v['key']}", CASE[(v["serializer"], v["cipher"], v["key"])],
                    v["key_id"], doc["uri"], base64.b64decode(v["sealed_base64"])))
    return out


def main():
    plains = plaintexts()
    # seal_open: case, flags, URI selector, plaintext. Flags vary over the seeds:
    # missing URI allowed, another URI, key id dropped/other, reflected, data key by prefix.
    flag_cycle = [0, 32, 1, 2, 4, 8, 16, 33, 0, 32]
    for i, (name, ser, uri, p) in enumerate(plains):
        cases = CASES_OF[ser]
        for j, case in enumerate(cases):
            flags = flag_cycle[(i + j) % len(flag_cycle)]
            seed("seal_open", f"{name} case{case} flags{flags}", bytes([case, flags, uri_index(uri)]) + p)
    # plaintext: serializer, bytes.
    for name, ser, _uri, p in plains:
        seed("plaintext", name, bytes([SERIALIZER[ser]]) + p)
    # open_payload: case, flags, URI selector, ciphertext (under the vectors' keys, not
    # the target's: each is a well-formed forgery attempt).
    for i, (name, case, key_id, uri, sealed) in enumerate(sealed_payloads()):
        flags = (1 if key_id else 0) | (8 if i % 2 else 0)
        seed("open_payload", name, bytes([case, flags, uri_index(uri)]) + sealed)
        seed("open_payload", name + " truncated", bytes([case, flags | 4, uri_index(uri)]) + sealed[:30])
    # json_text: args, kwargs and whole messages as bindings hand them over.
    for v in load("autobahn_cryptobox.json")["vectors"]:
        if "originator" not in v["name"]:
            continue
        name = v["name"].split(" (")[0]
        seed("json_text", name + " args", v["args_json"].encode())
        seed("json_text", name + " kwargs", v["kwargs_json"].encode())
        seed("json_text", name + " message", f'[{json.dumps(v["uri"])},{v["args_json"]},{v["kwargs_json"]}]'.encode())
    # attributes and message: every dialect's attributes, and the messages carrying them.
    dialects = [
        ("cryptobox", [("enc_algo", "cryptobox"), ("enc_serializer", "json")], False),
    ] + [
        (f"ppt {s} {c}", [("ppt_scheme", "wamp"), ("ppt_serializer", s), ("ppt_cipher", c), ("ppt_keyid", "k-1")], True)
        for s in ("json", "cbor", "msgpack") for c in ("xsalsa20poly1305", "aes256gcm")
    ]
    for name, attrs, _ in dialects:
        seed("attributes", name, "\n".join(f"{k}={v}" for k, v in attrs).encode())
    seed("attributes", "both schemes", b"enc_algo=cryptobox\nppt_scheme=wamp\nppt_serializer=cbor\nppt_cipher=aes256gcm")
    seed("attributes", "no cipher", b"ppt_scheme=wamp\nppt_serializer=cbor")
    seed("attributes", "unknown cipher", b"ppt_scheme=wamp\nppt_serializer=cbor\nppt_cipher=rot13\nx=1")
    seed("attributes", "enc_key", b"enc_algo=cryptobox\nenc_serializer=json\nenc_key=0xAbC")
    sealed = sealed_payloads()[0][4]
    # [code, ids..., attrs, uri?, arguments] per message type, as core/src/message.rs lays them out.
    layouts = {"publish": (16, [1], True), "event": (36, [1, 1], False), "call": (48, [1], True),
               "invocation": (68, [1, 1], False), "yield": (70, [1], False), "result": (50, [1], False),
               "error": (8, [68, 1], True)}
    for ser in ("json", "cbor", "msgpack"):
        for i, (kind, (code, ids, has_uri)) in enumerate(layouts.items()):
            name, attrs, in_list = dialects[i % len(dialects)]
            payload = sealed
            if ser == "json":
                payload = "\u0000" + base64.b64encode(sealed).decode()
            msg = [code, *ids, dict(attrs)] + (["com.example.topic1"] if has_uri else []) + [[payload] if in_list else payload]
            if ser == "json":
                data = json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode()
            elif ser == "cbor":
                data = cbor2.dumps(msg)
            else:
                data = msgpack.packb(msg, use_bin_type=True)
            seed("message", f"{ser} {kind} {name}", bytes([SERIALIZER[ser]]) + data)
    # keys: every key of the vectors in each encoding the parsers take.
    box = load("crypto_box_kat.json")
    keys = [box["box"][k] for k in ("alice_secret_hex", "alice_public_hex", "bob_secret_hex", "bob_public_hex")]
    doc = load("ppt.json")
    keys += [doc["data_key_base64"], doc["originator"]["secret_base64"], doc["responder"]["public_hex"]]
    for i, k in enumerate(keys):
        seed("keys", f"key {i} decode", bytes([0]) + k.encode())
        seed("keys", f"key {i} secret 0x", bytes([1]) + ("0x" + k if len(k) == 64 else k).encode())
        seed("keys", f"key {i} public", bytes([2]) + k.encode())
    o, r = doc["originator"], doc["responder"]
    seed("keys", "box key", bytes([3]) + f"{o['secret_base64']}\n\n\n{r['public_base64']}".encode())
    seed("keys", "box key responder", bytes([3]) + f"\n{o['public_hex']}\n{r['secret_hex']}\n".encode())
    for c in box["ed25519_to_x25519"]:
        seed("keys", "ed25519 seed", bytes([3]) + c["ed25519_seed_hex"].encode())
        seed("keys", "ed25519 public", bytes([4]) + bytes.fromhex(c["ed25519_public_hex"]))
    # xsalsa20poly1305_differential: key (32), nonce (24), counter (4), message: the
    # libsodium vector's nonce and message, at lengths around the SIMD block sizes
    # and the SIMD Poly1305's thresholds (384 for AVX2 lanes, 2048 for AVX-512).
    kat = box["box"]
    msg = bytes.fromhex(kat["message_hex"])
    nonce = bytes.fromhex(kat["nonce_hex"])
    for n in (0, 1, 31, 32, 33, 64, 255, 256, 257, 383, 384, 1023, 2047, 2048, 2049, 4000):
        body = (msg * (n // max(len(msg), 1) + 1))[:n]
        seed("xsalsa20poly1305_differential", f"len {n}", bytes.fromhex(kat["alice_secret_hex"]) + nonce + bytes([n % 256, 0, 0, 0]) + body)

    # group: GS1 wire bytes of the independent Python implementation (gs1.json):
    # selector (fuzz_targets/group.rs), then the bytes.
    gs1 = load("gs1.json")
    for sc in gs1["scenarios"]:
        for st in sc["steps"]:
            sid, op = st["id"], st["op"]
            if op == "seal" and st.get("envelope"):
                sel = 0 if st["kind"] == 1 else 1
                env = bytes.fromhex(st["envelope"])
                seed("group", f"{sid} envelope", bytes([sel]) + env)
                seed("group", f"{sid} open", bytes([sel + 6]) + env)
            elif op == "seal_reply" and st.get("envelope"):
                seed("group", f"{sid} reply", bytes([2, st["kind"] - 3]) + bytes.fromhex(st["envelope"]))
            elif op == "key_request" and st.get("request"):
                seed("group", f"{sid} request", bytes([3]) + bytes.fromhex(st["request"]))
            elif op == "answer_key_request" and st.get("response"):
                seed("group", f"{sid} response", bytes([4]) + bytes.fromhex(st["response"]))
                seed("group", f"{sid} share", bytes([5]) + bytes.fromhex(st["share_bytes"]))
    for pick in range(4):
        seed("group", f"flip {pick}", bytes([8, pick, 0, 100, 1]))

    for target, files in corpus.items():
        d = os.path.join(HERE, "corpus", target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in files.items():
            fname = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
