"""libsodium's crypto_box known-answer test (test/default/box.c, box.exp: RFC 7748
Alice/Bob keys), checked against PyNaCl/libsodium before writing, plus Ed25519 to
X25519 conversions computed by libsodium."""

import nacl.bindings as sodium
from nacl.public import Box, PrivateKey, PublicKey

from _common import b64, det_bytes, write

ALICE_SK = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
ALICE_PK = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
BOB_SK = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
BOB_PK = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
NONCE = bytes.fromhex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
# box.c m[32:] (the 32 leading zeros are the old API's padding)
MESSAGE = bytes.fromhex(
    "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc"
    "e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
    "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
    "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864"
    "5e0705"
)
# box.exp: c[16:] = Poly1305 tag (16) || ciphertext (131)
EXPECTED = bytes.fromhex(
    "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce"
    "48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972"
    "71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae"
    "90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3"
    "7973f622a43d14a6599b1f654cb45a74e355a5"
)


def main() -> None:
    assert bytes(PrivateKey(ALICE_SK).public_key) == ALICE_PK
    assert bytes(PrivateKey(BOB_SK).public_key) == BOB_PK
    sealed = Box(PrivateKey(ALICE_SK), PublicKey(BOB_PK)).encrypt(MESSAGE, NONCE)
    assert bytes(sealed) == NONCE + EXPECTED, "PyNaCl disagrees with libsodium's box.exp"

    conversions = []
    for label in ("ed25519-a", "ed25519-b", "ed25519-c"):
        seed = det_bytes(label)
        pk, sk = sodium.crypto_sign_seed_keypair(seed)
        conversions.append(
            {
                "ed25519_seed_hex": seed.hex(),
                "ed25519_public_hex": pk.hex(),
                "x25519_secret_hex": sodium.crypto_sign_ed25519_sk_to_curve25519(sk).hex(),
                "x25519_public_hex": sodium.crypto_sign_ed25519_pk_to_curve25519(pk).hex(),
            }
        )

    write(
        "crypto_box_kat.json",
        {
            "source": "libsodium test/default/box.c + box.exp, verified with PyNaCl",
            "box": {
                "alice_secret_hex": ALICE_SK.hex(),
                "alice_public_hex": ALICE_PK.hex(),
                "bob_secret_hex": BOB_SK.hex(),
                "bob_public_hex": BOB_PK.hex(),
                "nonce_hex": NONCE.hex(),
                "message_hex": MESSAGE.hex(),
                "sealed_base64": b64(NONCE + EXPECTED),
            },
            "ed25519_to_x25519": conversions,
        },
    )


if __name__ == "__main__":
    main()
