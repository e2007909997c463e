"""Fixtures of the hostile-router tests: a real Crossbar.io router, key pairs."""

import os
import sys

import pytest
import txaio

# The Python victims here run on asyncio (the Twisted victim runs in its own process).
txaio.use_asyncio()

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "routers"))
# exact.py (type- and bit-exact comparison), independent.py (opens without wampe2e)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def router():
    from crossbar_router import CrossbarRouter

    with CrossbarRouter() as r:
        yield r
