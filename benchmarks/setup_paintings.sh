#!/usr/bin/env bash
# Fetches the held-out paintings of the style benchmark (benchmarks/paintings.py) from the Debian
# packages that ship them and extracts just those files into the cache folder
# (STYLEFUSE_PAINTINGS_DIR, default ~/.cache/stylefuse/paintings/<package>/<path>): nothing is
# installed system-wide and nothing is copied into the repository.
#   opencv-doc: /usr/share/doc/opencv-doc/examples/data/starry_night.jpg
#               (Vincent van Gogh, The Starry Night, 1889: public domain)
# Idempotent: a file already there (cached, or installed by the package itself) is left alone.
set -euo pipefail
CACHE="${STYLEFUSE_PAINTINGS_DIR:-$HOME/.cache/stylefuse/paintings}"
# package  path-in-package
FILES=(
    "opencv-doc /usr/share/doc/opencv-doc/examples/data/starry_night.jpg"
)
for entry in "${FILES[@]}"; do
    read -r package path <<<"$entry"
    target="$CACHE/$package$path"
    if [ -f "$path" ] || [ -f "$target" ]; then
        echo "paintings: $package $(basename "$path") already there"
        continue
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download "$package" >/dev/null 2>&1) || {
        [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && (cd "$tmp" && apt-get download "$package" >/dev/null)
    }
    deb=$(ls "$tmp"/"$package"_*.deb)
    mkdir -p "$tmp/x" "$(dirname "$target")"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ".$path"
    mv "$tmp/x$path" "$target"
    rm -rf "$tmp"
    trap - EXIT
    echo "paintings: $package $(basename "$path") -> $target"
done
