#!/usr/bin/env bash
# Builds promtool (Prometheus' rule checker and rule unit-test runner) from the Go module proxy:
# tests/deploy/prometheus-rules.test.ts runs `promtool check rules` and `promtool test rules` on
# the PrometheusRule the umbrella chart renders. Built inside the module's own folder (not
# `go install pkg@version`), because Prometheus' go.mod carries replace/exclude directives that
# `go install` refuses; the module's go.sum then pins every dependency.
# Usage: promtool.sh <version of github.com/prometheus/prometheus, e.g. v0.316.0> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
mkdir -p "$dest/bin"
module_dir="$(go mod download -json "github.com/prometheus/prometheus@${version}" \
  | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
cd "$module_dir"
# The module cache is read-only and `go build` writes nothing into it (-mod=mod would): readonly.
# The module ships a go.work naming folders its zip leaves out: build the module alone.
# Prometheus 3.x.y is module version v0.3xx.y (v0.316.0 is 3.16.0): what --version prints.
minor_major="${version#v0.}"; minor_major="${minor_major%%.*}"
release="${minor_major:0:1}.$((10#${minor_major:1})).${version##*.}"
# remove_all_sd leaves out the cloud service-discovery plugins (AWS, Azure, GCE, ... SDKs: most of
# the cold build's time), which checking and unit-testing rules never use; -s -w: no debug info.
CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -tags remove_all_sd -o "$dest/bin/promtool" \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=${release}" ./cmd/promtool
"$dest/bin/promtool" --version
