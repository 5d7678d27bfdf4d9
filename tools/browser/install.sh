#!/usr/bin/env bash
# Debian's Chromium, which the console's browser test drives with playwright-core
# (executablePath /usr/bin/chromium; no browser download: playwright's own fails here). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  echo "chromium: $(/usr/bin/chromium --version 2>&1) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: installed $(/usr/bin/chromium --version 2>&1)"
