#!/usr/bin/env bash
# Fetches Elasticsearch 7.10.2 (the last Apache-2.0 release) as the CodeLibs cluster runner from
# Maven Central. It brings log4j 2.11.1 (vulnerable to Log4Shell); log4j-core and log4j-api are
# pinned to a current 2.25.x, which Elasticsearch 7.10 runs with.
# Usage: elasticsearch.sh <runner version, e.g. 7.10.2.0> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
exec "$(dirname "$0")/maven-libs.sh" "$dest" \
  "org.codelibs:elasticsearch-cluster-runner:${version}" \
  "org.apache.logging.log4j:log4j-core:2.25.5" \
  "org.apache.logging.log4j:log4j-api:2.25.5"
