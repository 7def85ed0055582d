#!/usr/bin/env bash
# Schemathesis (the OpenAPI-driven API fuzzer) from PyPI, into a virtualenv of its own: nothing
# lands in the machine's Python. The CLI builds into a scratch folder and renames it into place,
# and a venv's entry scripts name its folder in their #! line, so bin/schemathesis is a small
# wrapper that runs the venv's python by a path relative to itself (it survives the rename).
# Usage: schemathesis.sh <version, e.g. 4.32.5> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
python3 -m venv "$dest/venv"
"$dest/venv/bin/python" -m pip install --disable-pip-version-check --no-compile --quiet "schemathesis==${version}"
mkdir -p "$dest/bin"
cat > "$dest/bin/schemathesis" <<'WRAPPER'
#!/bin/sh
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/../venv/bin/python" -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' "$@"
WRAPPER
chmod +x "$dest/bin/schemathesis"
"$dest/bin/schemathesis" --version
