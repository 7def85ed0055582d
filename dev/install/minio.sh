#!/usr/bin/env bash
# Builds the MinIO server from the Go module proxy. MinIO publishes no tagged module versions,
# so the caller pins a pseudo-version (resolved once from @latest) to keep installs reproducible.
# Usage: minio.sh <pseudo-version> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
mkdir -p "$dest/bin"
CGO_ENABLED=0 GOBIN="$dest/bin" go install -trimpath "github.com/minio/minio@${version}"
"$dest/bin/minio" --version
