#!/bin/sh
# Installs this package into an n8n user folder the way n8n loads community packages
# (<N8N_USER_FOLDER>/.n8n/nodes/node_modules), then checks the worker with a real inference.
# The Dockerfiles beside it run exactly this; docker/test-install.sh runs it outside Docker.
#
#   install-into-n8n.sh <package spec: name, name@version or a .tgz> <wasm|cpu|cuda12> [nodes folder]
#
# wasm / cpu: no install scripts (onnxruntime-node's would download CUDA binaries; its CPU
# binaries and sharp's ship inside their npm packages). cuda12: onnxruntime-node's install
# script fetches its CUDA 12 provider (needs the internet at build time, CUDA 12 + cuDNN 9 at run time).
# POSIX sh: the official n8n image is Alpine (busybox).
set -eu
spec=${1:?package spec}
runtime=${2:?wasm, cpu or cuda12}
nodes=${3:-${N8N_USER_FOLDER:-$HOME}/.n8n/nodes}
case "$runtime" in
  wasm) ort_install=skip; scripts=--ignore-scripts; check_runtime=wasm ;;
  cpu) ort_install=skip; scripts=--ignore-scripts; check_runtime=native ;;
  cuda12) ort_install=cuda12; scripts=; check_runtime=native ;;
  *) echo "install-into-n8n.sh: runtime must be wasm, cpu or cuda12 (got $runtime)" >&2; exit 2 ;;
esac
mkdir -p "$nodes"
cd "$nodes"
[ -f package.json ] || echo '{"name":"installed-nodes","private":true}' > package.json
# As n8n installs community packages: production dependencies only; n8n-workflow is n8n's own.
# shellcheck disable=SC2086
ONNXRUNTIME_NODE_INSTALL=$ort_install npm install --omit=dev --omit=peer --legacy-peer-deps --no-audit --no-fund $scripts "$spec"
cli="$nodes/node_modules/@vitrinealu/n8n-nodes-background/dist/src/cli/index.js"
echo "== health (BG_RUNTIME=$check_runtime): loads the inference library and runs a tiny model"
BG_RUNTIME=$check_runtime node "$cli" health
