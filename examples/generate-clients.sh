#!/usr/bin/env bash
# Generates the Python and Go clients from proto/ with buf.gen.clients.yaml into
# examples/python/gen/ and examples/go/gopath/src/ (both git-ignored).
# Needs (Debian): protobuf-compiler protobuf-compiler-grpc protoc-gen-go protoc-gen-go-grpc
# (.ci/install-polyglot.sh installs them and the runtimes).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for tool in protoc grpc_python_plugin protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} (run: sudo bash .ci/install-polyglot.sh)" >&2
  exit 1
fi
buf=node_modules/.bin/buf
[ -x "$buf" ] || buf=buf
"$buf" generate --template buf.gen.clients.yaml
echo "generated: examples/python/gen/ examples/go/gopath/src/"
