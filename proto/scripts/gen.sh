#!/usr/bin/env bash
# Regenerates the ts-proto output from proto/celeriac/**. With --check, fails when the committed
# output differs from what the .proto files generate (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
buf=../node_modules/.bin/buf
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  sed "s#out: src/generated#out: $tmp#" buf.gen.yaml > "$tmp/buf.gen.yaml"
  "$buf" generate --template "$tmp/buf.gen.yaml" -o . 2>&1
  if ! diff -r "$tmp/celeriac" src/generated/celeriac >/dev/null; then
    diff -r "$tmp/celeriac" src/generated/celeriac | head -40
    echo "proto/src/generated is stale: run 'npm run proto:gen' and commit the result" >&2
    exit 1
  fi
  echo "proto/src/generated matches proto/celeriac"
else
  rm -rf src/generated && mkdir -p src/generated
  "$buf" generate
fi
