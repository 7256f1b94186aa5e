#!/usr/bin/env bash
# Re-vendor Bootstrap into static/vendor/bootstrap/ from the npm registry (we never load it from a CDN).
#   scripts/vendor_bootstrap.sh [version-range]     default: the newest 5.3.x
# Only the minified CSS (and its right-to-left twin, for Urdu and Arabic), the JS bundle (with Popper) and the licence are kept. Their sourceMappingURL
# comments are removed: the .map files are not shipped, and Django's manifest storage (used by
# whitenoise) would fail collectstatic looking for them.
set -euo pipefail

cd "$(dirname "$0")/.."
version="${1:-5.3}"
dest=static/vendor/bootstrap
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tarball="$(cd "$tmp" && npm pack --silent "bootstrap@$version")"
tar -xzf "$tmp/$tarball" -C "$tmp"

mkdir -p "$dest"
cp "$tmp/package/dist/css/bootstrap.min.css" "$tmp/package/dist/js/bootstrap.bundle.min.js" \
    "$tmp/package/dist/css/bootstrap.rtl.min.css" "$tmp/package/LICENSE" "$dest/"
sed -i -e '/sourceMappingURL=/d' "$dest/bootstrap.min.css" "$dest/bootstrap.rtl.min.css" "$dest/bootstrap.bundle.min.js"
echo "Vendored $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$tmp/package/package.json") into $dest"
