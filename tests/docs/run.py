#!/usr/bin/env python3
"""Runs every code block of every README, the way rustdoc runs examples.

A fenced block's info string is its language, then what to do with it:

    ```sh test                    run it (bash -euo pipefail)
    ```python test router=crossbar  run it with a Crossbar.io router started for it
    ```js test router=nexus       run it with a nexus router started for it
    ```c file=app.c               write it to the README's work directory before any
                                  block runs (a `test` block compiles it); counts as
                                  run only if a `test` block names the file
    ```rust test                  run by rustdoc: tests/rust/lib.rs includes the README
    ```sh notest <reason>         not run; the reason is printed as "skipped"

A block with none of these fails the run: every snippet is either run or says why
not. GitHub highlights by the first word and shows none of the rest.

Each README's blocks run in order in one fresh work directory (`cwd=repo`: in the
repository root instead). They see:

- `WAMP_URL`, `WAMP_REALM`: the router started for the block (`router=`);
- `PATH` with `target/debug` first (the `wampe2e` CLI; the README tells users to
  `cargo install --path cli`);
- `PREFIX`: a directory in the work directory (for `make install`), and
  `INSTALL_PROFILE=debug` so that `make install` reuses the debug build `make test`
  already made instead of compiling a release one;
- Python blocks run with `$WAMPE2E_PYTHON` (default `.venv/bin/python`, where
  `make test-py` installed the wheel next to Autobahn); JS blocks with `node`, where
  `require('wampe2e')` is this checkout's `node/` (built by `make test-node`) and
  autobahn/wampy come from `node/node_modules`.

Usage: tests/docs/run.py [README.md ...]   (default: every README git knows, but fuzz/'s)
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# fuzz/README.md describes nightly-only commands and is left to fuzz/'s own checks.
EXCLUDED = {"fuzz/README.md"}
FENCE = re.compile(r"^(\s*)```(\S*)(.*)$")
TIMEOUT = 120


class Block:
    def __init__(self, readme, line, lang, words, text):
        self.readme, self.line, self.lang, self.text = readme, line, lang, text
        self.run = "test" in words
        self.opts = dict(w.split("=", 1) for w in words if "=" in w)
        self.notest = None
        if words and words[0] == "notest":
            self.notest = " ".join(words[1:]) or "(no reason given)"

    def where(self):
        return f"{self.readme}:{self.line} ({self.lang})"


def blocks(readme):
    """The fenced blocks of a README, with their line numbers."""
    out, cur = [], None
    with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line)
            if cur is None and m:
                cur = (n, m.group(1), m.group(2), m.group(3).split(), [])
            elif cur is not None and line.strip() == "```":
                n0, indent, lang, words, body = cur
                text = "".join(l[len(indent):] if l.startswith(indent) else l for l in body)
                out.append(Block(readme, n0, lang, words, text))
                cur = None
            elif cur is not None:
                cur[4].append(line)
    if cur is not None:
        raise SystemExit(f"{readme}:{cur[0]}: unclosed code block")
    return out


class Routers:
    """Routers started on first use and kept for the whole run."""

    def __init__(self):
        self.procs = {}

    def url(self, kind):
        if kind not in self.procs:
            if kind == "crossbar":
                python = os.environ.get("WAMPE2E_ROUTER_PYTHON", os.path.join(ROOT, ".venv", "bin", "python"))
                cmd = [python, os.path.join(ROOT, "tests", "routers", "crossbar_router.py")]
                fmt = "ws://127.0.0.1:{}/ws"
            elif kind == "nexus":
                cmd = [os.environ.get("WAMPE2E_NEXUS", os.path.join(ROOT, "build", "nexus-router")), "-port", "0"]
                fmt = "ws://127.0.0.1:{}/"
            else:
                raise SystemExit(f"unknown router={kind}")
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True, text=True)
            seen, m = "", None
            while m is None:  # log lines may come first; EOF means it exited
                line = proc.stdout.readline()
                if not line:
                    proc.kill()
                    raise SystemExit(f"{kind} did not start: {seen!r}")
                seen += line
                m = re.search(r"LISTENING (\d+)", line)
            self.procs[kind] = (proc, fmt.format(m.group(1)))
        return self.procs[kind][1]

    def stop(self):
        for proc, _ in self.procs.values():
            try:
                if proc.stdin:
                    proc.stdin.close()  # EOF: the router script stops its router and exits
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            if proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass


def run_block(b, work, env, routers):
    env = dict(env)
    if "router" in b.opts:
        env["WAMP_URL"] = routers.url(b.opts["router"])
        env["WAMP_REALM"] = "realm1"
    cwd = ROOT if b.opts.get("cwd") == "repo" else work
    if b.lang in ("sh", "bash"):
        cmd = ["bash", "-euo", "pipefail", "-c", b.text]
    elif b.lang == "python":
        path = os.path.join(work, f"snippet_{b.line}.py")
        with open(path, "w") as f:
            f.write(b.text)
        cmd = [env["WAMPE2E_PYTHON"], path]
    elif b.lang in ("js", "javascript"):
        path = os.path.join(work, f"snippet_{b.line}.js")
        with open(path, "w") as f:
            f.write(b.text)
        cmd = ["node", path]
    else:
        raise SystemExit(f"{b.where()}: no runner for {b.lang!r} (mark it notest with a reason)")
    t = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT}s"
    out = (p.stdout + p.stderr).strip()
    if p.returncode != 0:
        return False, f"exit {p.returncode}\n{out[-3000:]}"
    return True, f"{time.monotonic() - t:.1f}s"


def main(argv):
    readmes = argv or [
        p
        for p in subprocess.run(["git", "ls-files", "README.md", "*/README.md"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.split()
        if p not in EXCLUDED
    ]
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, "target", "debug") + os.pathsep + env["PATH"]
    env.setdefault("WAMPE2E_PYTHON", os.path.join(ROOT, ".venv", "bin", "python"))
    env["INSTALL_PROFILE"] = "debug"
    env["NODE_PATH"] = os.path.join(ROOT, "node", "node_modules")
    routers = Routers()
    failed, ran, skipped, rust = [], 0, 0, 0
    try:
        for readme in readmes:
            bs = blocks(readme)
            work = tempfile.mkdtemp(prefix="wampe2e-docs-")
            os.makedirs(os.path.join(work, "node_modules"))
            os.symlink(os.path.join(ROOT, "node"), os.path.join(work, "node_modules", "wampe2e"))
            env["PREFIX"] = os.path.join(work, "prefix")
            files = [b for b in bs if "file" in b.opts and b.notest is None]
            try:
                for b in files:  # written first: a block may compile a file shown after it
                    with open(os.path.join(work, b.opts["file"]), "w") as f:
                        f.write(b.text)
                for b in bs:
                    if b.notest is not None:
                        skipped += 1
                        print(f"skipped {b.where()}: {b.notest}")
                    elif "file" in b.opts:
                        pass
                    elif b.run and b.lang == "rust":
                        rust += 1
                    elif b.run:
                        ok, info = run_block(b, work, env, routers)
                        ran += 1
                        print(f"{'ok     ' if ok else 'FAILED '} {b.where()} {info}", flush=True)
                        if not ok:
                            failed.append(b.where())
                    else:
                        failed.append(b.where())
                        print(f"FAILED  {b.where()}: neither `test`, `file=` nor `notest <reason>`")
                for b in files:
                    if not any(x.run and b.opts["file"] in x.text for x in bs):
                        failed.append(b.where())
                        print(f"FAILED  {b.where()}: file={b.opts['file']} is used by no test block")
            finally:
                shutil.rmtree(work, ignore_errors=True)
        if rust:
            t = time.monotonic()
            p = subprocess.run(["cargo", "test", "-q", "--locked", "-p", "wampe2e-tests", "--doc"], cwd=ROOT,
                               capture_output=True, text=True)
            ok = p.returncode == 0
            print(f"{'ok     ' if ok else 'FAILED '} {rust} rust block(s) by rustdoc (tests/rust/lib.rs) "
                  f"{time.monotonic() - t:.1f}s")
            if not ok:
                print((p.stdout + p.stderr)[-3000:])
                failed.append("rust blocks")
            ran += rust
    finally:
        routers.stop()
    print(f"README snippets: {ran} run, {skipped} skipped, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
