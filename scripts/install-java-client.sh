#!/usr/bin/env bash
# Builds the Java client's live consumer (clients/java, `live --client java`):
# javac --release 17 against the jars of the Apache Kafka install
# (scripts/install-kafka.sh: kafka-clients, jackson-databind, log4j), into a
# directory outside target/ keyed by a hash of the Java sources: reused when
# present, rebuilt when the sources change. Prints that directory, which
# holds the classes and the log4j2 configuration the harness passes to java.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/clients/java"
home=$(bash "$root/scripts/install-kafka.sh")
command -v javac >/dev/null ||
  { echo "javac (a JDK 17+, e.g. Debian's openjdk-17-jdk-headless) is needed to build the Java consumer" >&2; exit 1; }

cache="${KAFKACHECK_CACHE:-$HOME/.cache/kafkacheck}"
hash=$(cd "$src" && find . -type f \( -name '*.java' -o -name 'log4j2.properties' \) -print0 | sort -z |
  xargs -0 sha256sum | sha256sum | cut -c1-16)
out="$cache/java-client-$hash"
# The harness finds the newest build through this link (src/live/client.rs).
if [ -f "$out/complete" ]; then
  ln -sfn "$out" "$cache/java-client"
  echo "$out"; exit 0
fi

echo "building the Java consumer into $out" >&2
rm -rf "$out.tmp"
mkdir -p "$out.tmp/classes"
# shellcheck disable=SC2046 # the source list: paths without spaces under clients/java/src
javac --release 17 -Xlint:all -Werror -cp "$home/libs/*" -d "$out.tmp/classes" $(find "$src/src" -name '*.java')
cp "$src/log4j2.properties" "$out.tmp/"
echo "$home" > "$out.tmp/kafka-home"
touch "$out.tmp/complete"
rm -rf "$out"
mv "$out.tmp" "$out"
ln -sfn "$out" "$cache/java-client"
echo "$out"
