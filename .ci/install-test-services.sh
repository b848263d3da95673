#!/usr/bin/env bash
# Installs the Debian packages the tests start for real: redis-server (the shared idempotency
# and rate-limit store) and nghttp2-client (h2load, the benchmark's load generator).
# Idempotent and quiet: does nothing when both are installed.
set -euo pipefail
packages=(redis-server nghttp2-client openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-test-services: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package starts a system redis on 6379; the tests start their own on free ports.
(command -v systemctl >/dev/null && $sudo systemctl stop redis-server 2>/dev/null) || true
