#!/usr/bin/env bash
# The image's build steps. The Dockerfile RUNs them, and infra/image/image.int.spec.ts runs the
# same two on this machine, so what is tested is what the image does.
#   build.sh compile          type-check and compile every runtime workspace's src/ to <workspace>/dist/
#                             (needs the full node_modules: typescript and tsx are dev dependencies)
#   build.sh assemble <dir>   the runtime tree in <dir>: manifests, dist/, migrations, the entrypoint
#                             as bin/celeriac, and production dependencies only
# Run from anywhere; paths are relative to the repository root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

# The workspaces the services run from (tsconfig.build.json compiles the same ones; tests/ is not shipped).
# The dashboard is static assets for the gateway, not a Node process: it is built and copied apart.
RUNTIME_WORKSPACES=(proto)
for workspace in services/*; do [[ "$workspace" == services/dashboard ]] || RUNTIME_WORKSPACES+=("$workspace"); done
DASHBOARD=services/dashboard

compile() {
  node --import tsx infra/image/compile.ts
  if [[ -f "$DASHBOARD/package.json" ]]; then npm run build -w @celeriac/dashboard; fi
}

assemble() {
  local out="${1:?usage: build.sh assemble <dir>}"
  rm -rf "$out"
  mkdir -p "$out/bin"
  cp package.json package-lock.json "$out/"
  local workspace
  for workspace in "${RUNTIME_WORKSPACES[@]}"; do
    [[ -d "$workspace/dist" ]] || { echo "build.sh: $workspace/dist is missing: run build.sh compile first" >&2; exit 1; }
    mkdir -p "$out/$workspace"
    cp "$workspace/package.json" "$out/$workspace/"
    cp -R "$workspace/dist" "$out/$workspace/dist"
    # Files the compiled code reads at run time (the schema's SQL migrations).
    if [[ -d "$workspace/migrations" ]]; then cp -R "$workspace/migrations" "$out/$workspace/migrations"; fi
  done
  # Only the dashboard's build output (no manifest: npm installs none of its browser dependencies),
  # where the gateway's default CELERIAC_GATEWAY_DASHBOARD_DIR finds it.
  if [[ -f "$DASHBOARD/dist/index.html" ]]; then
    mkdir -p "$out/$DASHBOARD"
    cp -R "$DASHBOARD/dist" "$out/$DASHBOARD/dist"
  fi
  install -m 0755 infra/image/celeriac.sh "$out/bin/celeriac"
  # `npm install`, not `npm ci`: see ensure_node_modules in infra/local/lib.sh. The root manifest
  # lists tests/ as a workspace too; npm skips it since the folder is absent, so only what the
  # shipped workspaces need at run time is installed.
  (cd "$out" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline \
    && rm -f package-lock.json)
}

case "${1:-}" in
  compile) compile ;;
  assemble) assemble "${2:-}" ;;
  *)
    echo "usage: build.sh compile | assemble <dir>" >&2
    exit 64
    ;;
esac
