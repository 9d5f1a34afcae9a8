#!/usr/bin/env bash
# Builds one of the images from this checkout (the package packed here, not the registry's):
#   bash docker/build.sh alpine|cpu|cuda [extra docker build args...]
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?alpine, cpu or cuda}; shift
case "$kind" in alpine) dir=n8n-alpine ;; cpu) dir=debian-cpu ;; cuda) dir=cuda ;; *) echo "alpine, cpu or cuda" >&2; exit 2 ;; esac
npm run build --silent >/dev/null
rm -f docker/*.tgz
tarball=$(npm pack --ignore-scripts --loglevel=error --pack-destination docker | tail -n 1)
docker build -f "docker/$dir/Dockerfile" --build-arg "PACKAGE=/tmp/vbg/$tarball" -t "n8n-background:$kind" "$@" .
