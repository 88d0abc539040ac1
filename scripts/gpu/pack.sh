#!/usr/bin/env bash
# Packs everything the GPU check needs into .gpu-bundle/, for a GPU machine that has no internet
# and no Node.js (docs/performance.md, "GPU"). Two archives:
#   base.tar.xz  this machine's node binary, ONNX Runtime's Linux x64 library (it contains the
#                WebGPU provider), Swagger UI's files, static ffmpeg/ffprobe/redis-server
#                (scripts/gpu/build-tools.sh) and Debian's Vulkan/GL loader packages: made once
#                (slow to compress), again with --base;
#   app.tar.xz   the services and the check bundled with esbuild, the model, the shared videos:
#                made every time (seconds).
# Together with the working tree they must stay under the device's 64 MiB.
#
#   bash scripts/gpu/pack.sh [--base]
#   then on the device (carry .gpu-bundle):  bash scripts/gpu/check.sh
# Env (the test of this script uses them): GPU_BUNDLE_DIR (.gpu-bundle), GPU_TOOLS_DIR (.gpu-tools/bin,
# built by build-tools.sh when missing), GPU_PACK_XZ (-9), GPU_PACK_DEBS (1; 0 leaves the loaders out).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
out=${GPU_BUNDLE_DIR:-$root/.gpu-bundle}
tools=${GPU_TOOLS_DIR:-$root/.gpu-tools/bin}
limit_mib=${GPU_BUNDLE_LIMIT_MIB:-60}
mkdir -p "$out"

pack() { # pack NAME DIR: DIR's contents into NAME.tar.xz
  tar -C "$2" -cf - . | xz "${GPU_PACK_XZ:--9}" -T2 >"$out/$1.tar.xz.tmp"
  mv "$out/$1.tar.xz.tmp" "$out/$1.tar.xz"
  rm -rf "$2"
}

if [ "${1:-}" = --base ] || [ ! -f "$out/base.tar.xz" ]; then
  stage=$out/base
  rm -rf "$stage" && mkdir -p "$stage"/{bin,debs,tools} "$stage/node_modules/onnxruntime-common"
  cp "$(readlink -f "$(command -v node)")" "$stage/bin/node"
  # ONNX Runtime: only this platform's binaries (the npm package carries every platform's).
  ort=node_modules/onnxruntime-node
  mkdir -p "$stage/$ort/bin/napi-v6/linux"
  cp -r "$ort/package.json" "$ort/dist" "$stage/$ort/"
  cp -r "$ort/bin/napi-v6/linux/x64" "$stage/$ort/bin/napi-v6/linux/"
  cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$stage/node_modules/onnxruntime-common/"
  # Swagger UI's files are served from its package folder: the API starts only if they are there.
  cp -r node_modules/swagger-ui-dist "$stage/node_modules/"
  find "$stage/node_modules/swagger-ui-dist" -name '*.map' -delete
  # bull-board finds its page and assets with require.resolve('@bull-board/ui/package.json') at start-up.
  mkdir -p "$stage/node_modules/@bull-board/ui"
  cp -r node_modules/@bull-board/ui/package.json node_modules/@bull-board/ui/dist "$stage/node_modules/@bull-board/ui/"
  # Static ffmpeg, ffprobe and redis-server: the GPU machine has none.
  [ -x "$tools/ffmpeg" ] && [ -x "$tools/redis-server" ] || bash scripts/gpu/build-tools.sh "$tools"
  cp -L "$tools"/{ffmpeg,ffprobe,redis-server} "$stage/tools/"
  # The Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver links against, from
  # Debian (amd64); check.sh unpacks them with dpkg -x, as the device README does.
  if [ "${GPU_PACK_DEBS:-1}" = 1 ]; then
    lists=$(mktemp -d)
    apt_opts=(-o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Dir::State::Lists="$lists")
    mkdir -p "$lists/partial"
    apt-get "${apt_opts[@]}" update -qq
    (cd "$stage/debs" && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v 'Download is performed unsandboxed' || true)
    rm -rf "$lists"
  fi
  echo "pack: compressing the base (minutes)"
  pack base "$stage"
fi

echo "pack: building the services"
npm run build >/dev/null
stage=$out/app
rm -rf "$stage" && mkdir -p "$stage"/{models,media,scripts} "$stage/services/dist/wasm"
# ESM bundles with the CommonJS dependencies inside; native or path-dependent packages stay outside
# (sharp, for still images only, is loaded on first use and not carried).
# CommonJS code inside expects require and __dirname (fluent-ffmpeg does).
banner="import { createRequire as __vdRequire } from 'node:module'; import { fileURLToPath as __vdPath } from 'node:url'; \
const require = __vdRequire(import.meta.url); const __filename = __vdPath(import.meta.url); const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));"
bundle() {
  node_modules/.bin/esbuild "$@" --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --external:swagger-ui-dist --external:sharp --banner:js="$banner" --log-level=warning
}
bundle services/api/dist/main.js --outfile="$stage/services/api/dist/main.js"
bundle services/processor/dist/main.js --outfile="$stage/services/processor/dist/main.js"
# The inference thread is loaded as ./inference-thread.js beside the bundle that starts it.
bundle services/detector/dist/main.js services/detector/dist/inference/inference-thread.js scripts/gpu/gpu-check.ts \
  --outdir="$stage/services/detector/dist" --entry-names='[name]'
# letterbox-tensor.ts loads new URL('../../dist/wasm/letterbox.wasm', import.meta.url): from a
# bundle in services/detector/dist/ that is services/dist/wasm/.
cp services/detector/dist/wasm/letterbox.wasm "$stage/services/dist/wasm/"
cp scripts/gpu/dynamic-batch.py "$stage/scripts/"
cp "$shared/models/yolox_nano.onnx" "$stage/models/"
cp "$shared"/media/*.mp4 "$shared"/media/*.mov "$shared"/media/*.webm "$stage/media/"
pack app "$stage"

bytes=$(cat "$out"/base.tar.xz "$out"/app.tar.xz | wc -c)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "pack: $out: base $(($(stat -c %s "$out/base.tar.xz") / 1024 / 1024)) MiB, app $(($(stat -c %s "$out/app.tar.xz") / 1024 / 1024)) MiB (+ working tree $((tree / 1024)) KiB)"
if [ $((bytes + tree)) -gt $((limit_mib * 1024 * 1024)) ]; then
  echo "pack: over the ${limit_mib} MiB budget (the device takes 64 MiB in all)" >&2
  exit 1
fi
