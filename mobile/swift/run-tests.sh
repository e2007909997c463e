#!/usr/bin/env bash
# Runs the Swift package's XCTest suite (`swift test` in mobile/swift). Called by
# `make test-mobile` after `make mobile-bindings` generated the sources and built
# target/debug/libwampe2e_mobile.so.
#
#  - `swift` on the PATH: runs it.
#  - otherwise, on Debian as root: a Debian trixie chroot with its `swiftlang` (Swift 6)
#    package, provisioned once outside the repository ($WAMPE2E_SWIFT_CHROOT, default
#    /var/cache/wampe2e/trixie-swift) and reused by later runs. The checkout is
#    bind-mounted at the same path inside, so paths and the .build cache are the same
#    from run to run; every mount is undone by a trap on every exit path, and all of it
#    happens in a private mount namespace, so not even a SIGKILL leaves a mount behind.
#  - elsewhere: says why it skipped.
#
# WAMPE2E_SWIFT_CHROOT=off skips the chroot. WAMPE2E_DEBIAN_MIRROR overrides the mirror
# (default: the one apt already uses).
set -euo pipefail

pkg=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # mobile/swift
repo=$(cd "$pkg/../.." && pwd)
export WAMPE2E_VECTORS=${WAMPE2E_VECTORS:-$repo/tests/vectors}
export WAMPE2E_LIBDIR=${WAMPE2E_LIBDIR:-$repo/target/debug}

if ! compgen -G "$WAMPE2E_LIBDIR/libwampe2e_mobile.*" >/dev/null || [ ! -e "$pkg/generated/WampE2E/WampE2E.swift" ]; then
  echo "swift: no libwampe2e_mobile in $WAMPE2E_LIBDIR or no generated sources: run make mobile-bindings first" >&2
  exit 1
fi

if command -v swift >/dev/null 2>&1; then
  cd "$pkg"
  LD_LIBRARY_PATH="$WAMPE2E_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec swift test
fi

skip() {
  echo "skipped: no swift toolchain ($1; swift test not run here; the Swift sources were generated and checked)"
  exit 0
}
CHROOT=${WAMPE2E_SWIFT_CHROOT:-/var/cache/wampe2e/trixie-swift}
[ "$CHROOT" != off ] || skip "WAMPE2E_SWIFT_CHROOT=off"
[ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
  skip "not Debian, so no trixie chroot either"
[ "$(id -u)" = 0 ] || skip "not root: the trixie chroot needs debootstrap, chroot and mount"
arch=$(dpkg --print-architecture)
case "$arch" in amd64 | arm64) ;; *) skip "Debian has no swiftlang for $arch" ;; esac
case "$CHROOT" in /*) ;; *) echo "WAMPE2E_SWIFT_CHROOT must be an absolute path" >&2; exit 1 ;; esac
case "$CHROOT/" in "$repo"/*) echo "WAMPE2E_SWIFT_CHROOT must be outside the checkout" >&2; exit 1 ;; esac

mkdir -p "$(dirname "$CHROOT")"
exec 9>"$CHROOT.lock"
flock 9   # one run per chroot at a time (provisioning, mounts); the lock outlives the exec below

# Mount points under the chroot (left by a run killed without a private namespace).
mounts_under() {
  awk -v root="$CHROOT" '{ p = $5; gsub(/\\040/, " ", p); if (p == root || index(p, root "/") == 1) print p }' \
    /proc/self/mountinfo | sort -r
}
leftovers=$(mounts_under)
if [ -n "$leftovers" ]; then
  while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done <<<"$leftovers"
  [ -z "$(mounts_under)" ] || { echo "cannot unmount what is mounted under $CHROOT" >&2; exit 1; }
fi

# Everything below in a private mount namespace: mounts made here are invisible outside
# and vanish with the process, whatever ends it. The trap unmounts them anyway.
if [ -z "${WAMPE2E_SWIFT_NS:-}" ] && command -v unshare >/dev/null 2>&1 &&
  unshare --mount --propagation private true 2>/dev/null; then
  WAMPE2E_SWIFT_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi

# The minimum: the toolchain, and the C headers the manifest and the module map need
# (without libc6-dev: 'sys/param.h' file not found).
PACKAGES="swiftlang libc6-dev libstdc++-14-dev libgcc-14-dev"
READY="$CHROOT/.wampe2e-ready"          # written last, holds $PACKAGES
BOOTSTRAPPED="$CHROOT/.wampe2e-debootstrap"

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  mounted=()
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
bind() { # bind <source> <target>
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounted+=("$2")
}

mirror() {
  if [ -n "${WAMPE2E_DEBIAN_MIRROR:-}" ]; then echo "$WAMPE2E_DEBIAN_MIRROR"; return; fi
  # the archive apt already uses (deb822 "URIs:" or one-line "deb" entries)
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -v '^[[:space:]]*#' | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
  echo "${m:-http://deb.debian.org/debian}"
}

in_chroot() { # the host's environment stays outside
  chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

provision() {
  local t0=$SECONDS url
  url=$(mirror)
  echo "swift: provisioning a Debian trixie chroot with swiftlang in $CHROOT (once per machine; a few minutes, ~2.5 GB)"
  if [ ! -e "$BOOTSTRAPPED" ]; then
    # nothing is mounted under it (checked above), so removing a half-made one is safe
    rm -rf --one-file-system "$CHROOT"
    if ! command -v debootstrap >/dev/null 2>&1; then
      apt-get install -y -qq debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
    fi
    mkdir -p "$CHROOT/etc/dpkg/dpkg.cfg.d"
    # no manuals, docs or translations in the chroot: less to unpack and keep
    printf '%s\n' 'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/doc/*' \
      'path-include=/usr/share/doc/*/copyright' 'path-exclude=/usr/share/info/*' \
      'path-exclude=/usr/share/locale/*' >"$CHROOT/etc/dpkg/dpkg.cfg.d/01-wampe2e-nodoc"
    echo "swift: debootstrap --variant=minbase trixie from $url"
    debootstrap --variant=minbase trixie "$CHROOT" "$url" >"$CHROOT.debootstrap.log" 2>&1 ||
      { tail -n 30 "$CHROOT.debootstrap.log" >&2; echo "debootstrap failed (log: $CHROOT.debootstrap.log)" >&2; exit 1; }
    : >"$BOOTSTRAPPED"
  fi
  cp -L /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
  bind /proc "$CHROOT/proc"
  echo "swift: apt-get install $PACKAGES (in the chroot)"
  in_chroot dpkg --configure -a >/dev/null   # finishes what an interrupted run left
  in_chroot apt-get update -qq
  in_chroot apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-unsafe-io $PACKAGES >/dev/null
  in_chroot apt-get clean
  unmount_all
  echo "$PACKAGES" >"$READY"
  echo "swift: chroot ready in $((SECONDS - t0)) s, $(du -sh --one-file-system "$CHROOT" | cut -f1) on disk"
}

if [ "$(cat "$READY" 2>/dev/null)" != "$PACKAGES" ]; then
  rm -f "$READY"
  provision
fi

# Run: the checkout at its own path inside, plus /proc and /dev.
bind /proc "$CHROOT/proc"
bind /dev "$CHROOT/dev"
bind "$repo" "$CHROOT$repo"
[ "$WAMPE2E_LIBDIR" = "$repo/target/debug" ] || bind "$WAMPE2E_LIBDIR" "$CHROOT$WAMPE2E_LIBDIR"
[ "$WAMPE2E_VECTORS" = "$repo/tests/vectors" ] || bind "$WAMPE2E_VECTORS" "$CHROOT$WAMPE2E_VECTORS"
echo "swift: $(in_chroot swift --version 2>/dev/null | head -n 1) in $CHROOT"
set +e
in_chroot WAMPE2E_VECTORS="$WAMPE2E_VECTORS" WAMPE2E_LIBDIR="$WAMPE2E_LIBDIR" LD_LIBRARY_PATH="$WAMPE2E_LIBDIR" \
  sh -c 'cd "$1" && exec swift test' sh "$pkg"
rc=$?
set -e
unmount_all
exit $rc
