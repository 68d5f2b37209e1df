#!/usr/bin/env bash
# Build (once) a Debian trixie root with GIMP 3.0 + Python plug-in support, for tests/gimp.
#
#   scripts/gimp_root.sh            # ensure the root exists; prints its path on the last line
#   GIMP3_ROOT=/some/dir scripts/gimp_root.sh
#
# Idempotent: a finished root (marked by .stylefuse-ready) is reused; otherwise a cached tarball
# ($GIMP3_ROOT.tar.zst) is unpacked; otherwise it is built from nothing with debootstrap (about
# 700 MB download) and a tarball is written for later runs. Needs root.
set -euo pipefail

GIMP3_ROOT="${GIMP3_ROOT:-/var/cache/stylefuse/gimp3-root}"
TARBALL="${GIMP3_ROOT}.tar.zst"
MARK="$GIMP3_ROOT/.stylefuse-ready"
MIRROR="${GIMP3_MIRROR:-http://deb.debian.org/debian}"
PKGS=(gimp python3 python3-gi gir1.2-gimp-3.0)

log() { printf 'gimp_root: %s\n' "$*" >&2; }

if [[ -f "$MARK" && -x "$GIMP3_ROOT/usr/bin/gimp-console-3.0" ]]; then
    log "reusing $GIMP3_ROOT"
    echo "$GIMP3_ROOT"
    exit 0
fi
[[ "$(id -u)" == 0 ]] || { log "error: building the GIMP 3 root needs root"; exit 1; }

mkdir -p "$(dirname "$GIMP3_ROOT")"
# one builder at a time (several checkouts may share the cache)
exec 9>"${GIMP3_ROOT}.lock"
flock 9
if [[ -f "$MARK" ]]; then echo "$GIMP3_ROOT"; exit 0; fi

if [[ -f "$TARBALL" ]] && command -v zstd >/dev/null; then
    log "unpacking $TARBALL"
    rm -rf "$GIMP3_ROOT.tmp"; mkdir -p "$GIMP3_ROOT.tmp"
    if tar -C "$GIMP3_ROOT.tmp" --zstd -xf "$TARBALL" && [[ -f "$GIMP3_ROOT.tmp/.stylefuse-ready" ]]; then
        rm -rf "$GIMP3_ROOT"; mv "$GIMP3_ROOT.tmp" "$GIMP3_ROOT"
        echo "$GIMP3_ROOT"; exit 0
    fi
    log "tarball unusable, building from nothing"
fi

command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends debootstrap
}
BUILD="$GIMP3_ROOT.build"
cleanup() {
    umount "$BUILD/dev" 2>/dev/null || true
    umount "$BUILD/proc" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
rm -rf "$BUILD"
log "debootstrap trixie into $BUILD (from $MIRROR)"
debootstrap --variant=minbase trixie "$BUILD" "$MIRROR" >&2
cp /etc/resolv.conf "$BUILD/etc/"
mount -t proc proc "$BUILD/proc"
mount --bind /dev "$BUILD/dev"
chroot "$BUILD" apt-get update -qq >&2
chroot "$BUILD" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >&2
cleanup
chroot "$BUILD" apt-get clean
chroot "$BUILD" /usr/bin/gimp-console-3.0 --version >&2
touch "$BUILD/.stylefuse-ready"
rm -rf "$GIMP3_ROOT"; mv "$BUILD" "$GIMP3_ROOT"
trap - EXIT
if command -v zstd >/dev/null; then
    log "writing $TARBALL"
    tar -C "$GIMP3_ROOT" --zstd -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL" || rm -f "$TARBALL.tmp"
fi
echo "$GIMP3_ROOT"
