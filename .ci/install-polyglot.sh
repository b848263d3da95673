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
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-polyglot: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
