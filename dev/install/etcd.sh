#!/usr/bin/env bash
# Builds etcd (the server only) from the Go module proxy.
# `go install go.etcd.io/etcd/server/v3@...` refuses because etcd's go.mod has replace directives,
# so a throwaway wrapper module requires the server module and builds its main package.
# Usage: etcd.sh <version, e.g. v3.6.16> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init parley.dev/etcd-build >/dev/null
go get "go.etcd.io/etcd/server/v3@${version}"
mkdir -p "$dest/bin"
CGO_ENABLED=0 go build -trimpath -o "$dest/bin/etcd" go.etcd.io/etcd/server/v3
"$dest/bin/etcd" --version
