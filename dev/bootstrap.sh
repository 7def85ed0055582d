#!/bin/sh
# Entry of every npm script (start, test, bench, stack): installs the npm dependencies when they
# are missing or older than the lock file, then runs the dev CLI on Node 24 from node_modules
# (the machine's own Node 20 only runs npm). POSIX sh: it must work on a fresh clone.
set -eu
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ ! -x node_modules/.bin/node ] \
  || [ ! -f node_modules/.package-lock.json ] \
  || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  if [ -f package-lock.json ]; then
    echo "bootstrap: installing npm dependencies (npm ci)" >&2
    npm ci --no-fund --no-audit 1>&2  # stdout stays clean for `eval "$(npm run -s stack -- env)"`
  else
    echo "bootstrap: no package-lock.json; installing with npm install" >&2
    npm install --no-fund --no-audit 1>&2
  fi
fi

exec node_modules/.bin/node dev/src/cli.ts "$@"
