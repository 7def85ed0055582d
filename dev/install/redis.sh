#!/usr/bin/env bash
# Redis 7 from Debian: installs redis-server only when it is missing. The Debian service is not
# used (the stack starts its own redis-server per run dir), so it is stopped and disabled.
# Usage: redis.sh
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
if ! command -v redis-server >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends redis-server || { apt-get update && apt-get install -y --no-install-recommends redis-server; }
  (service redis-server stop || true) >/dev/null 2>&1
fi
redis-server --version
