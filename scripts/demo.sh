#!/usr/bin/env bash
# The main job, from a fresh clone: install, build, check the worker, then cut out every
# bundled example photo in each Background Cleanup mode, then place the cut-outs on two
# studio backdrops with Background Replace. Results: out/<mode>/ and out/replace-<type>/.
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
for type in studio garden; do
  echo "== replace --prompt-type $type (studio engine, from the transparent cut-outs)"
  $CLI replace "$OUT"/transparent/*-cutout.png -o "$OUT/replace-$type/" --prompt-type "$type" --ratio 4:5 --padding 6%
done
echo "== contact sheet"
node dist/scripts/gallery.js --from "$OUT" --to "$OUT/gallery.png"
echo
echo "Done: cut-outs in $OUT/<mode>/, replaced backgrounds in $OUT/replace-<type>/, overview in $OUT/gallery.png"
