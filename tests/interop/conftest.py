"""Shared fixtures for the interop tests: the built `wampe2e` CLI."""

import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# exact.py (type- and bit-exact comparison), independent.py (opens without wampe2e)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))


@pytest.fixture(scope="session")
def cli() -> str:
    path = os.environ.get("WAMPE2E_CLI") or os.path.join(ROOT, "target", "debug", "wampe2e")
    if not (os.path.exists(path) or shutil.which(path)):
        pytest.fail(f"wampe2e CLI not built at {path}: run `cargo build -p wampe2e-cli` (make test does)")
    return path
