#!/usr/bin/env bash
# Packs everything the GPU check needs into .gpu-bundle/bundle.tar.xz, for a GPU machine that has
# no internet and no Node.js (docs/performance.md, "GPU"): this machine's node binary, the services
# and the check bundled with esbuild, ONNX Runtime's Linux x64 library (it contains the WebGPU
# provider), the model, the shared videos, static ffmpeg/ffprobe/redis-server
# (scripts/gpu/build-tools.sh) and Debian's Vulkan/GL loader packages. Must stay under 64 MiB
# together with the working tree.
#
#   bash scripts/gpu/pack.sh            # then: device run, carry .gpu-bundle, bash scripts/gpu/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
out=$root/.gpu-bundle
stage=$out/stage
limit_mib=${GPU_BUNDLE_LIMIT_MIB:-58}

rm -rf "$stage"
mkdir -p "$stage"/{bin,models,media,debs,scripts} "$stage/services/dist/wasm" "$stage/node_modules"

echo "pack: building the services"
npm run build >/dev/null

# ESM bundles with the CommonJS dependencies inside; native or path-dependent packages stay outside.
banner="import { createRequire as __vdCreateRequire } from 'node:module'; const require = __vdCreateRequire(import.meta.url);"
bundle() {
  node_modules/.bin/esbuild "$@" --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --external:swagger-ui-dist --banner:js="$banner" --log-level=warning
}
bundle services/api/dist/main.js --outfile="$stage/services/api/dist/main.js"
bundle services/processor/dist/main.js --outfile="$stage/services/processor/dist/main.js"
# The inference thread is loaded as ./inference-thread.js beside the bundle that starts it.
bundle services/detector/dist/main.js services/detector/dist/inference/inference-thread.js scripts/gpu/gpu-check.ts \
  --outdir="$stage/services/detector/dist"
# letterbox-tensor.ts loads new URL('../../dist/wasm/letterbox.wasm', import.meta.url): from a
# bundle in services/detector/dist/ that is services/dist/wasm/.
cp services/detector/dist/wasm/letterbox.wasm "$stage/services/dist/wasm/"
cp scripts/gpu/dynamic-batch.py "$stage/scripts/"

# ONNX Runtime: only this platform's binaries (the npm package carries every platform's).
ort=node_modules/onnxruntime-node
mkdir -p "$stage/$ort/bin/napi-v6/linux" "$stage/node_modules/onnxruntime-common"
cp -r "$ort/package.json" "$ort/dist" "$stage/$ort/"
cp -r "$ort/bin/napi-v6/linux/x64" "$stage/$ort/bin/napi-v6/linux/"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$stage/node_modules/onnxruntime-common/"
# Swagger UI's files are served from its package folder; the API starts only if they are there.
cp -r node_modules/swagger-ui-dist "$stage/node_modules/"
find "$stage/node_modules/swagger-ui-dist" -name '*.map' -delete

cp "$(readlink -f "$(command -v node)")" "$stage/bin/node"
cp "$shared/models/yolox_nano.onnx" "$stage/models/"
cp "$shared"/media/*.mp4 "$shared"/media/*.mov "$shared"/media/*.webm "$stage/media/"

# Static ffmpeg, ffprobe and redis-server: the GPU machine has none.
[ -x .gpu-tools/bin/ffmpeg ] && [ -x .gpu-tools/bin/redis-server ] || bash scripts/gpu/build-tools.sh "$root/.gpu-tools/bin"
mkdir -p "$stage/tools"
cp -r .gpu-tools/bin "$stage/tools/"

# The Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver links against, from
# Debian (amd64), unpacked there with dpkg -x (device README). Kept between packs.
debs=$out/debs
if ! ls "$debs"/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p "$debs" /tmp/vd-apt-lists/partial
  apt_opts=(-o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Dir::State::Lists=/tmp/vd-apt-lists)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$debs" && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
fi
cp "$debs"/*.deb "$stage/debs/"

echo "pack: compressing"
tar -C "$stage" -cf - . | xz -9 -T2 >"$out/bundle.tar.xz.tmp"
mv "$out/bundle.tar.xz.tmp" "$out/bundle.tar.xz"
rm -rf "$stage"

bytes=$(stat -c %s "$out/bundle.tar.xz")
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "pack: $out/bundle.tar.xz $((bytes / 1024 / 1024)) MiB (+ working tree $((tree / 1024)) KiB)"
if [ $((bytes + tree)) -gt $((limit_mib * 1024 * 1024)) ]; then
  echo "pack: over the ${limit_mib} MiB budget (the device takes 64 MiB in all)" >&2
  exit 1
fi
