#!/usr/bin/env bash
# Chromium from Debian for the web client's browser tests (playwright-core drives the system
# binary: browser downloads are not reachable), with a colour emoji font so reactions render in
# the screenshots. Installs only what is missing.
# Usage: chromium.sh
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y chromium fonts-noto-color-emoji \
    || { apt-get update && apt-get install -y chromium fonts-noto-color-emoji; }
fi
chromium --version
