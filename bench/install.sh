#!/usr/bin/env bash
# Installs h2load (Debian's nghttp2-client), the benchmark's gRPC load generator.
# Idempotent and quiet: does nothing when it is installed. Without it, bench/run.ts falls
# back to grpc-js client processes (and says so).
set -euo pipefail
command -v h2load >/dev/null 2>&1 && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "bench/install.sh: installing nghttp2-client (h2load)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq nghttp2-client >/dev/null
