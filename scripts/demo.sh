#!/usr/bin/env bash
# The main job, from a fresh clone: install, build, check the worker, then cut out every
# bundled example photo in each Background Cleanup mode. Results: out/<mode>/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-out}"
if [ ! -d node_modules/onnxruntime-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline
fi
npm run build --silent >/dev/null
CLI="node dist/src/cli/index.js"
echo "== worker health"
$CLI health
for mode in transparent color blur mask; do
  echo "== cleanup --mode $mode"
  $CLI cleanup examples/*.jpg examples/*.png -o "$OUT/$mode/" --mode "$mode"
done
echo "== contact sheet"
node dist/scripts/gallery.js --from "$OUT" --to "$OUT/gallery.png"
echo
echo "Done: results in $OUT/ (one folder per mode), overview in $OUT/gallery.png"
