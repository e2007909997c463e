"""A real Crossbar.io router for tests: started on a free loopback port with a
generated config, stopped (process group, TERM then KILL) when the test is done,
also when it failed."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REALM = "realm1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crossbar_binary() -> str:
    return os.environ.get("WAMPE2E_CROSSBAR") or os.path.join(ROOT, ".venv-crossbar", "bin", "crossbar")


class CrossbarRouter:
    """Context manager: ``with CrossbarRouter() as router: router.url``."""

    def __init__(self, serializers=("json", "msgpack", "cbor"), start_timeout=90.0):
        self.serializers = list(serializers)
        self.start_timeout = start_timeout
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self._dir = None
        self._proc = None
        self._log = None

    def config(self) -> dict:
        return {
            "version": 2,
            "controller": {},
            "workers": [
                {
                    "type": "router",
                    "realms": [
                        {
                            "name": REALM,
                            "roles": [
                                {
                                    "name": "anonymous",
                                    "permissions": [
                                        {
                                            "uri": "",
                                            "match": "prefix",
                                            "allow": {"call": True, "register": True, "publish": True, "subscribe": True},
                                            "disclose": {"caller": False, "publisher": False},
                                            "cache": True,
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                    "transports": [
                        {
                            "type": "web",
                            "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": self.port},
                            "paths": {
                                "ws": {"type": "websocket", "serializers": self.serializers},
                            },
                        }
                    ],
                }
            ],
        }

    def __enter__(self):
        binary = crossbar_binary()
        if not os.path.exists(binary):
            raise RuntimeError(f"crossbar not installed at {binary} (make test installs it into .venv-crossbar)")
        self._dir = tempfile.TemporaryDirectory(prefix="wampe2e-crossbar-")
        cbdir = os.path.join(self._dir.name, ".crossbar")
        os.makedirs(cbdir)
        with open(os.path.join(cbdir, "config.json"), "w") as f:
            json.dump(self.config(), f)
        self._log = open(os.path.join(self._dir.name, "crossbar.log"), "w+")
        self._proc = subprocess.Popen(
            [binary, "start", "--cbdir", cbdir, "--loglevel", "warn"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"crossbar exited with {self._proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"crossbar did not listen on 127.0.0.1:{self.port} within {self.start_timeout}s:\n{self.log()}")

    def log(self) -> str:
        if not self._log:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()[-4000:]

    def __exit__(self, *exc):
        if self._proc and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._proc.wait(timeout=10)
        if self._log:
            self._log.close()
        if self._dir:
            self._dir.cleanup()
        return False


def main():
    """`python crossbar_router.py`: serve until stdin closes or SIGTERM, for tests in
    other languages. Prints `LISTENING <port>` once the router accepts connections."""
    import sys

    def stop(*_):
        # Raised, not recorded: a handler that returns lets the blocked read go on
        # (PEP 475), and Crossbar.io (its own process group) would outlive us.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with CrossbarRouter() as router:
        print(f"LISTENING {router.port}", flush=True)
        while sys.stdin.read(1):  # until EOF: the parent went away
            pass


if __name__ == "__main__":
    main()
