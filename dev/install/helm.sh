#!/usr/bin/env bash
# Builds helm 3 from the Go module proxy (no release tarballs can be fetched here).
# Usage: helm.sh <version, e.g. v3.22.0> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
mkdir -p "$dest/bin"
# Without the version stamp `helm version` says v3.x-dev and charts with kubeVersion checks misbehave.
CGO_ENABLED=0 GOBIN="$dest/bin" go install -trimpath \
  -ldflags "-X helm.sh/helm/v3/internal/version.version=${version}" \
  "helm.sh/helm/v3/cmd/helm@${version}"
"$dest/bin/helm" version --short
