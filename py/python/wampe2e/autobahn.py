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

from wampe2e import _native

__all__ = ["Key", "KeyRing"]

#: Autobahn's ``Key(originator_priv=, originator_pub=, responder_priv=, responder_pub=)``.
Key = _native.Key

#: Autobahn's ``KeyRing(default_key=None)`` with ``set_key``, ``generate_key``,
#: ``generate_key_hex``, ``rotate_key``, ``encode`` and ``decode``; native, so that
#: each ``encode``/``decode`` an Autobahn session makes is one call.
KeyRing = _native.AutobahnKeyRing


try:  # let Autobahn's session accept us where it checks for its codec interface
    from autobahn.wamp.interfaces import IPayloadCodec

    IPayloadCodec.register(KeyRing)
except ImportError:  # pragma: no cover
    pass
