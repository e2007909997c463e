"""Shared fixtures: key pairs, the shared vectors, a Crossbar.io router."""

import json
import os
import sys

import pytest
import txaio

# Autobahn's sessions here run on asyncio; select it before any test imports autobahn.
txaio.use_asyncio()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "routers"))
# exact.py (type- and bit-exact comparison), independent.py (opens without wampe2e)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))


def vectors(name):
    with open(os.path.join(ROOT, "tests", "vectors", name), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def router():
    from crossbar_router import CrossbarRouter

    with CrossbarRouter() as r:
        yield r


@pytest.fixture()
def pairs():
    """Originator (caller/publisher) and responder (callee/subscriber) key pairs, base64."""
    import wampe2e

    return {"originator": wampe2e.generate_keypair(), "responder": wampe2e.generate_keypair()}
