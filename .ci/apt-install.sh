#!/usr/bin/env bash
# Installs the named Debian packages that are missing, quietly; does nothing when all are there.
# Usage: bash .ci/apt-install.sh LABEL PACKAGE...   (extra apt options in APT_OPTS)
set -euo pipefail
label=$1; shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "$label: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq ${APT_OPTS:-} "${missing[@]}" >/dev/null
