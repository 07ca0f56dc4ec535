#!/usr/bin/env bash
# Re-fetch Tom Select's built files from npm into ktc/static/vendor/tom-select/ (committed, so running
# KTC needs no Node). Usage: bash scripts/vendor_tom_select.sh [VERSION]   (default: the version below)
set -euo pipefail
VERSION="${1:-2.6.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/ktc/static/vendor/tom-select"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "tom-select@$VERSION" >/dev/null && tar xzf "tom-select-$VERSION.tgz")
mkdir -p "$DEST"
cp "$TMP/package/dist/js/tom-select.complete.min.js" "$DEST/"
cp "$TMP/package/dist/css/tom-select.default.min.css" "$DEST/"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
sed -i "s/^Version: .*/Version: $VERSION/" "$DEST/README.md"
(cd "$DEST" && sha256sum tom-select.complete.min.js tom-select.default.min.css > SHA256SUMS)
echo "Tom Select $VERSION vendored into $DEST"
