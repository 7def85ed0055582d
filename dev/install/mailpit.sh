#!/usr/bin/env bash
# Builds Mailpit (an SMTP server that keeps what it receives and lists it over an HTTP API and a
# web UI) from the Go module proxy: the stack's mail server, which the tests read mail from.
# Usage: mailpit.sh <version, e.g. v1.33.1> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
mkdir -p "$dest/bin"
CGO_ENABLED=0 GOBIN="$dest/bin" go install -trimpath "github.com/axllent/mailpit@${version}"
"$dest/bin/mailpit" version --no-release-check || "$dest/bin/mailpit" version
