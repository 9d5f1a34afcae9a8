#!/usr/bin/env bash
# What the Dockerfiles run, outside Docker (no Docker engine here): the package packed from
# this checkout, installed by docker/install-into-n8n.sh into throw-away n8n user folders as
# each image does (wasm: the official Alpine image; cpu: the Debian image), each checked by
# its health command; then onnxruntime-node made unloadable as on musl (a libonnxruntime.so.1
# that needs a symbol nobody defines): BG_RUNTIME=auto must fall back to WASM and say why.
# The CUDA image's install (onnxruntime-node's CUDA download) needs the internet: not run here.
#   bash docker/test-install.sh [work folder]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/vbg-docker-install-XXXXXX")}
mkdir -p "$work"
# npm test exports the project's npm config (ignore-scripts, ...): the install must not see it.
unset $(env | grep -io '^npm_config_[a-z0-9_]*' || true)
for file in docker/n8n-alpine/Dockerfile docker/debian-cpu/Dockerfile docker/cuda/Dockerfile; do
  grep -q 'install-into-n8n.sh "\$PACKAGE"' "$repo/$file" || { echo "$file does not run install-into-n8n.sh" >&2; exit 1; }
done
tarball=$(cd "$repo" && npm pack --ignore-scripts --loglevel=error --pack-destination "$work" | tail -n 1)
for runtime in wasm cpu; do
  echo "== install-into-n8n.sh $runtime"
  HOME="$work/home-$runtime" sh "$repo/docker/install-into-n8n.sh" "$work/$tarball" "$runtime" "$work/$runtime/.n8n/nodes" > "$work/$runtime.log" 2>&1 \
    || { tail -n 40 "$work/$runtime.log" >&2; exit 1; }
  sed -n '/^== health/,$p' "$work/$runtime.log" > "$work/$runtime-health.json.txt"
  sed -n '2,$p' "$work/$runtime-health.json.txt" > "$work/$runtime-health.json"
  node -e '
    const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const want = process.argv[2] === "wasm" ? "wasm" : "native";
    if (report.status !== "ok" || report.runtime.backend !== want) { console.error(JSON.stringify(report, null, 2)); process.exit(1); }
    console.log(`   health ok: ${report.runtime.library} ${report.runtime.version}, model ${report.model.sha256.slice(0, 12)}...`);
  ' "$work/$runtime-health.json" "$runtime"
done
echo "== the cpu install with onnxruntime-node unloadable (as on musl), BG_RUNTIME=auto"
fake="$work/musl-like"
mkdir -p "$fake"
printf 'extern int __vsnprintf_chk_musl(void);\nint OrtGetApiBase(void) { return __vsnprintf_chk_musl(); }\n' > "$fake/lib.c"
gcc -shared -fPIC -Wl,-z,now -o "$fake/libonnxruntime.so.1" "$fake/lib.c"
LD_LIBRARY_PATH="$fake" BG_RUNTIME=auto node "$work/cpu/.n8n/nodes/node_modules/@vitrinealu/n8n-nodes-background/dist/src/cli/index.js" health > "$work/fallback.json"
node -e '
  const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (report.runtime.backend !== "wasm" || !/__vsnprintf_chk_musl/.test(report.runtime.fallbackReason ?? "")) { console.error(JSON.stringify(report, null, 2)); process.exit(1); }
  console.log(`   fell back to ${report.runtime.library}: ${report.runtime.fallbackReason}`);
' "$work/fallback.json"
echo "docker install steps: ok ($work)"
