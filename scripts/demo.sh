#!/usr/bin/env bash
# The main job, from a fresh clone: install, build, check the worker, run the weekly batch
# template once in a local headless n8n against the media fixture server on the bundled
# examples (results in out/batch/), then the engine from the CLI: every example in each
# Background Cleanup mode and on two studio backdrops, with a contact sheet.
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
echo "== the weekly batch template in a local n8n"
node dist/scripts/run-batch.js "$OUT/batch"
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
echo "Done: the batch in $OUT/batch/media/ (results in background/, sidecars in curated/), cut-outs in $OUT/<mode>/, replaced backgrounds in $OUT/replace-<type>/, overview in $OUT/gallery.png"
