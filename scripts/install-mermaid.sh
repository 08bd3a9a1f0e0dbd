#!/usr/bin/env bash
# Installs Mermaid's browser bundle for tests/browser.rs, which renders every
# story's ```mermaid block in headless Chromium as GitHub would: the pinned
# release's dist/mermaid.min.js (one self-contained file, MIT licensed), taken
# from the npm package's tarball with `npm pack` (no dependencies are installed:
# the bundle carries them). Kept outside target/ so `cargo clean` keeps it.
#
# Reuses an install under $KAFKACHECK_MERMAID_ROOT (default
# ~/.cache/kafkacheck/mermaid) of the pinned version. Prints the bundle's path.
set -euo pipefail

version=11.12.1
root="${KAFKACHECK_MERMAID_ROOT:-$HOME/.cache/kafkacheck/mermaid}"
bundle="$root/$version/mermaid.min.js"

if [ -s "$bundle" ]; then
  echo "$bundle"; exit 0
fi
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mermaid@$version" >/dev/null)
tar -xzf "$tmp/mermaid-$version.tgz" -C "$tmp" package/dist/mermaid.min.js package/LICENSE
mkdir -p "$root/$version"
mv "$tmp/package/LICENSE" "$root/$version/LICENSE"
mv "$tmp/package/dist/mermaid.min.js" "$bundle"
echo "$bundle"
