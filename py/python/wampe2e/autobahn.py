"""Drop-in replacement of ``autobahn.wamp.cryptobox.KeyRing`` and ``Key``.

Migration is one import::

    # from autobahn.wamp.cryptobox import KeyRing, Key
    from wampe2e.autobahn import KeyRing, Key

    session.set_payload_codec(KeyRing(...))

Same constructor arguments and methods, same wire format (peers keep using
Autobahn's own KeyRing). Differences, all on the safe side: ``decode`` checks that
the payload was sealed for the URI it arrived on (``UriMismatchError``),
``rotate_key`` works, and errors are ``wampe2e.Wampe2eError`` subclasses.
autobahn itself is only needed for ``encode``/``decode`` (``EncodedPayload``).
"""

from typing import Any, Optional, Tuple, Union

from wampe2e import _native
from wampe2e._native import KeyIncompleteError, KeyNotFoundError

__all__ = ["Key", "KeyRing"]

Key = _native.Key


def _encoded_payload_class():
    try:
        from autobahn.wamp.types import EncodedPayload
    except ImportError as e:  # pragma: no cover - exercised only without autobahn
        raise ImportError(
            "wampe2e.autobahn.KeyRing.encode/decode need the 'autobahn' package: pip install autobahn"
        ) from e
    return EncodedPayload


class KeyRing:
    """Cryptobox key pairs mapped from URI prefixes, used by an Autobahn session
    to encrypt and decrypt payloads transparently."""

    def __init__(self, default_key: Union[None, str, "Key"] = None) -> None:
        self._ring = _native.KeyRing()
        self._encoded_payload = None
        if default_key is not None:
            self.set_key("", default_key)

    def generate_key(self) -> Tuple[str, str]:
        """A new key pair as base64 ``(priv_key, pub_key)``."""
        return _native.generate_keypair()

    def generate_key_hex(self) -> Tuple[str, str]:
        """A new key pair as hex ``(priv_key, pub_key)``."""
        return _native.generate_keypair_hex()

    def set_key(self, uri: str, key: Union[None, str, "Key"]) -> None:
        """Sets the key for URIs starting with ``uri`` ("" = default); a str is one
        secret for both roles; ``None`` removes the entry."""
        if not isinstance(uri, str):
            raise TypeError(f"uri: expected str, got {type(uri).__name__}")
        if key is None:
            self._ring.remove(uri)
        elif isinstance(key, str):
            self._ring.set_shared_key(uri, key)
        elif isinstance(key, _native.Key):
            self._ring.set_key(uri, key)
        else:
            raise TypeError(f"key: expected None, str or wampe2e.autobahn.Key, got {type(key).__name__}")

    def rotate_key(self, uri: str) -> Tuple[Optional[str], Optional[str]]:
        """Replaces this peer's secrets for ``uri`` with fresh ones and returns the new
        base64 ``(originator_pub, responder_pub)`` (None for keys this peer does not own)."""
        return self._ring.rotate(uri)

    def encode(self, is_originating: bool, uri: str, args: Any = None, kwargs: Any = None):
        """Encrypts into an ``EncodedPayload``, or returns None when no key applies
        (the payload then travels unencrypted, as with Autobahn)."""
        cls = self._encoded_payload or self._load()
        try:
            payload = _native.encode_cryptobox(self._ring, is_originating, uri, args, kwargs)
        except (KeyNotFoundError, KeyIncompleteError):
            return None
        return cls(payload, "cryptobox", "json")

    def decode(self, is_originating: bool, uri: str, encoded_payload) -> Tuple[str, Any, Any]:
        """Decrypts an ``EncodedPayload`` into ``(uri, args, kwargs)``."""
        if encoded_payload.enc_algo != "cryptobox":
            raise _native.UnknownSchemeError(f"enc_algo {encoded_payload.enc_algo!r} is not 'cryptobox'")
        if encoded_payload.enc_serializer != "json":
            raise _native.UnknownSerializerError(
                f"enc_serializer {encoded_payload.enc_serializer!r}: cryptobox uses 'json'"
            )
        return _native.decode_cryptobox(self._ring, is_originating, uri, encoded_payload.payload)

    def _load(self):
        self._encoded_payload = _encoded_payload_class()
        return self._encoded_payload


try:  # let Autobahn's session accept us where it checks for its codec interface
    from autobahn.wamp.interfaces import IPayloadCodec

    IPayloadCodec.register(KeyRing)
except ImportError:  # pragma: no cover
    pass
