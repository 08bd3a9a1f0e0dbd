#!/usr/bin/env bash
# Installs the broker `kafkacheck live` starts: nisshi, an Apache Kafka-protocol
# broker, pinned to one version, built from crates.io into a directory outside
# target/ so that `cargo clean` does not throw away its ~22-minute build.
#
# Reuses, in order: $KAFKACHECK_NISSHI (a binary), an install under
# $KAFKACHECK_BROKER_ROOT (default ~/.cache/kafkacheck/broker) of the pinned
# version, `nisshi` on the PATH at the pinned version. Prints the binary's path.
set -euo pipefail

version=0.8.1
root="${KAFKACHECK_BROKER_ROOT:-$HOME/.cache/kafkacheck/broker}"

has_version() { "$1" --version 2>/dev/null | grep -q " $version\$"; }

if [ -n "${KAFKACHECK_NISSHI:-}" ]; then
  [ -x "$KAFKACHECK_NISSHI" ] || { echo "KAFKACHECK_NISSHI=$KAFKACHECK_NISSHI is not executable" >&2; exit 1; }
  echo "$KAFKACHECK_NISSHI"; exit 0
fi
if [ -x "$root/bin/nisshi" ] && has_version "$root/bin/nisshi"; then
  echo "$root/bin/nisshi"; exit 0
fi
if command -v nisshi >/dev/null && has_version "$(command -v nisshi)"; then
  command -v nisshi; exit 0
fi

echo "installing nisshi $version into $root (one time; about 22 minutes and 2 GB of RAM on 2 cores)" >&2
mkdir -p "$root"
# --ignore-rust-version: nisshi declares a newer rust-version than it needs.
# dynostore only: the memory:// storage engine the harness uses, without the
# Postgres/S3/Iceberg back ends and their build time.
cargo install nisshi --version "$version" --locked --ignore-rust-version \
  --no-default-features --features dynostore --root "$root" >&2
has_version "$root/bin/nisshi" || { echo "installed nisshi does not report version $version" >&2; exit 1; }
echo "$root/bin/nisshi"
