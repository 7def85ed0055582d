#!/usr/bin/env bash
# Copies a set of Maven Central artifacts and their runtime dependencies into <dest>/libs, for
# servers that ship as jars (Kafka, Elasticsearch). A generated pom.xml names the artifacts; an
# artifact listed with a version also pins that version over the one a dependency would pull in.
# Usage: maven-libs.sh <destination dir> <group:artifact:version>...
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
dest="$1"; shift
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>dev.parley</groupId><artifactId>stack-libs</artifactId><version>0</version>'
  echo '<dependencyManagement><dependencies>'
  for coord in "$@"; do
    IFS=: read -r g a v <<<"$coord"
    echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  done
  echo '</dependencies></dependencyManagement><dependencies>'
  for coord in "$@"; do
    IFS=: read -r g a v <<<"$coord"
    echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId></dependency>"
  done
  echo '</dependencies></project>'
} > "$work/pom.xml"
rm -rf "$dest/libs"
mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/libs"
ls "$dest/libs" | wc -l
