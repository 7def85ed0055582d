#!/usr/bin/env bash
# Fetches Kafka (broker + KRaft controller) as jars from Maven Central; it runs on the JDK with
# `java -cp 'libs/*' kafka.Kafka`. log4j2 with an slf4j 2 binding, and slf4j-api pinned to 2.0.x
# (otherwise Maven resolves 1.7 and every log line is dropped).
# Usage: kafka.sh <version, e.g. 4.1.1> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
exec "$(dirname "$0")/maven-libs.sh" "$dest" \
  "org.apache.kafka:kafka_2.13:${version}" \
  "org.apache.logging.log4j:log4j-core:2.25.5" \
  "org.apache.logging.log4j:log4j-api:2.25.5" \
  "org.apache.logging.log4j:log4j-slf4j2-impl:2.25.5" \
  "org.slf4j:slf4j-api:2.0.17"
