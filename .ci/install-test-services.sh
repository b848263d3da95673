#!/usr/bin/env bash
# Installs the Debian packages the tests start for real: redis-server (the shared idempotency
# and rate-limit store), nghttp2-client (h2load, the benchmark's load generator) and openssl.
# chromium: Debian's browser for the sandbox inbox's browser tests (driven by playwright-core).
# jq: the documented pipes (`npm run -s send -- … | jq -r .messageId`) are run as written.
# redis-sentinel: the failover tests start 3 sentinels beside a primary and a replica, kill the
# primary and watch the replica promoted (store.redis.sentinel; Debian packages it apart from redis-server).
# redis-tools: redis-cli, which makes the Redis Cluster the cluster tests start (`--cluster create`).
# Idempotent and quiet: does nothing when all are installed.
set -euo pipefail
packages=(redis-server redis-sentinel redis-tools nghttp2-client openssl chromium jq)
APT_OPTS=--no-install-recommends bash "$(dirname "$0")/apt-install.sh" install-test-services "${packages[@]}"
# The tests start their own redis-server on free loopback ports; a system one is left alone.
