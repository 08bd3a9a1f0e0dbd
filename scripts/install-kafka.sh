#!/usr/bin/env bash
# Installs the broker `kafkacheck live` starts: Apache Kafka, pinned to one
# release, its broker jar (org.apache.kafka:kafka_2.13) and runtime
# dependencies fetched from Maven Central with Maven into a directory outside
# target/ (so `cargo clean` keeps it), laid out as a Kafka release's libs/.
#
# Reuses, in order: $KAFKACHECK_KAFKA_HOME (an unpacked Kafka release, or an
# earlier install: a directory with libs/kafka_2.13-*.jar), a complete install
# of the pinned version under $KAFKACHECK_CACHE (default ~/.cache/kafkacheck).
# Prints the install's directory. Needs Java 17+ (Kafka 4's broker) and mvn.
#
# Usage: install-kafka.sh [VERSION]   (default 4.4.0). `kafkacheck live` runs
# scenarios with `offsets_topic.acks: leader` on 3.9.1 (see LEGACY_VERSION in
# src/live/broker.rs): offsets.commit.required.acks was removed in Kafka 4.0
# (KAFKA-17383), so only a 3.x broker can acknowledge a commit on the leader alone.
set -euo pipefail

# Keep in step with KAFKA_VERSION in src/live/broker.rs.
version=${1:-4.4.0}
case "$version" in
  # Kafka 4 logs through log4j 2 (KIP-653): the SLF4J 1.7 binding of the
  # log4j 2 that kafka_2.13 depends on, as Kafka's release tarball ships it.
  4.*) binding=(org.apache.logging.log4j log4j-slf4j-impl 2.25.5) ;;
  # Kafka 3.x logs through reload4j (log4j 1.2's fork; KAFKA-13660), the
  # binding its release tarball ships in libs/.
  3.*) binding=(org.slf4j slf4j-reload4j 1.7.36) ;;
  *) echo "unsupported Apache Kafka version '$version' (4.x or 3.x)" >&2; exit 1 ;;
esac
cache="${KAFKACHECK_CACHE:-$HOME/.cache/kafkacheck}"
home="$cache/kafka-$version"

if [ -n "${KAFKACHECK_KAFKA_HOME:-}" ] && [ $# -eq 0 ]; then
  compgen -G "$KAFKACHECK_KAFKA_HOME/libs/kafka_2.13-*.jar" >/dev/null ||
    { echo "KAFKACHECK_KAFKA_HOME=$KAFKACHECK_KAFKA_HOME has no libs/kafka_2.13-*.jar" >&2; exit 1; }
  echo "$KAFKACHECK_KAFKA_HOME"; exit 0
fi
if [ -f "$home/complete" ] && [ -f "$home/libs/kafka_2.13-$version.jar" ]; then
  echo "$home"; exit 0
fi

java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${java_major:-0}" -ge 17 ] 2>/dev/null ||
  { echo "Apache Kafka $version's broker needs Java 17 or newer; java is '${java_major:-missing}'" >&2; exit 1; }
command -v mvn >/dev/null || { echo "mvn (Maven) is needed to fetch Apache Kafka $version" >&2; exit 1; }

echo "installing Apache Kafka $version into $home (one time; about a minute)" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafkacheck</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>${binding[0]}</groupId>
      <artifactId>${binding[1]}</artifactId>
      <version>${binding[2]}</version>
    </dependency>
  </dependencies>
</project>
EOF
# A local repository of its own: the jars end up in libs/, nothing else is kept.
# Maven's output is shown only if it fails.
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$work/m2" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1 ||
  { cat "$work/mvn.log" >&2; echo "Maven could not fetch Apache Kafka $version" >&2; exit 1; }
[ -f "$work/libs/kafka_2.13-$version.jar" ] || { echo "Maven did not fetch kafka_2.13-$version.jar" >&2; exit 1; }
rm -rf "$home"
mkdir -p "$home"
mv "$work/libs" "$home/libs"
echo "$version" > "$home/complete"
echo "$home"
