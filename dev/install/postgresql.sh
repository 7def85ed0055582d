#!/usr/bin/env bash
# PostgreSQL 15 from Debian, the storage under FerretDB: installs it only when it is missing.
# The stack runs its own cluster in the run dir (initdb/pg_ctl as the postgres user).
# Usage: postgresql.sh <major version, e.g. 15>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
major="$1"
if [ ! -x "/usr/lib/postgresql/${major}/bin/pg_ctl" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "postgresql-${major}" || { apt-get update && apt-get install -y --no-install-recommends "postgresql-${major}"; }
  (service postgresql stop || true) >/dev/null 2>&1
fi
"/usr/lib/postgresql/${major}/bin/postgres" --version
