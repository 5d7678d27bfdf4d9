#!/usr/bin/env bash
# The real `openstack` command-line client (Debian's python3-openstackclient 6.0), which the
# client suite in tests/e2e drives. Idempotent.
set -euo pipefail
if command -v openstack >/dev/null && openstack --version >/dev/null 2>&1; then
  echo "openstack-client: $(openstack --version 2>&1) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends python3-openstackclient >/dev/null
echo "openstack-client: installed $(openstack --version 2>&1)"
