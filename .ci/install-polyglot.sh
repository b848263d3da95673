#!/usr/bin/env bash
# Installs what the Python and Go client examples and test/interop need, from Debian's
# packages: protoc, the Python and Go plugins, Debian's grpcio and protobuf for
# /usr/bin/python3, and Go 1.19 with gRPC, protobuf and genproto in /usr/share/gocode.
# Idempotent and quiet: does nothing when everything is installed.
set -euo pipefail
packages=(
  protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
  golang-go protoc-gen-go protoc-gen-go-grpc
  golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  golang-google-genproto-dev
)
bash "$(dirname "$0")/apt-install.sh" install-polyglot "${packages[@]}"
