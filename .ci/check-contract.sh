#!/usr/bin/env bash
# The contract checks: buf lint, gen/ fresh, and no breaking change against main and
# against the committed baseline of the published contract.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf

echo "== buf lint"
"$buf" lint

echo "== gen/ is what buf generate writes"
PATH="$PWD/node_modules/.bin:$PATH" "$buf" generate
if [ -n "$(git status --porcelain -- gen)" ]; then
  git status --porcelain -- gen
  echo "gen/ is stale: run 'npm run generate' and commit gen/" >&2
  exit 1
fi

echo "== buf breaking against main"
if git rev-parse --verify -q refs/heads/main >/dev/null || git rev-parse --verify -q refs/remotes/origin/main >/dev/null; then
  ref=main; git rev-parse --verify -q refs/heads/main >/dev/null || ref=origin/main
  if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    # A shallow clone cannot be read as a git input by buf: build main's image from its tree.
    tmp=$(mktemp -d); git archive "$ref" proto buf.yaml | tar -x -C "$tmp"
    (cd "$tmp" && "$OLDPWD/$buf" build -o "$tmp/main.binpb") && "$buf" breaking --against "$tmp/main.binpb"
    rm -rf "$tmp"
  else
    "$buf" breaking --against ".git#ref=$ref"
  fi
else
  echo "no main branch in this clone: skipped (the baseline check below still runs)"
fi

echo "== buf breaking against the published baseline (.ci/contract-baseline.binpb)"
"$buf" breaking --against .ci/contract-baseline.binpb
echo "contract checks passed"
