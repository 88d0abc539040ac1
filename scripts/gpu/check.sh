#!/usr/bin/env bash
# The GPU check, one command on the GPU machine (docs/performance.md, "GPU"), from the bundle that
# scripts/gpu/pack.sh made. Prints JSON lines (also written to $OUT/results.jsonl) and a summary.
#
#   bash scripts/gpu/check.sh [STAGE...]      # stages: env agreement throughput pipeline (default: all)
#
# Each stage has its own time limit, so one that hangs costs its limit, not the run. Here (no GPU)
# the same command tests the CPU path: GPU_CHECK_PROVIDERS= bash scripts/gpu/check.sh
set -uo pipefail
bundle=${GPU_BUNDLE:-.gpu-bundle}
python=${PYTHON:-python3}
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(env agreement throughput pipeline)
out=${OUT:-/tmp/gpu-check-out}
work=${GPU_CHECK_DIR:-/tmp/vd-gpu}
providers=${GPU_CHECK_PROVIDERS-webgpu,cuda}
mkdir -p "$out"
results=$out/results.jsonl
: >"$results"
: >"$out/stderr.log"

started=$(date +%s)
rm -rf "$work" && mkdir -p "$work"
for part in base app; do
  xz -dc "$bundle/$part.tar.xz" | tar -xf - -C "$work" || { echo "check: cannot unpack $bundle/$part.tar.xz" >&2; exit 1; }
done
echo "check: unpacked in $(($(date +%s) - started)) s"

# Vulkan and GL dispatch loaders from Debian, where the machine has none (dpkg -x into /, as the
# device README does; harmless where they exist). Only as root: elsewhere use the system's.
if [ "$(id -u)" = 0 ] && ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in "$work"/debs/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; fi
done
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d; done
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export PATH=$work/bin:$work/tools:$PATH
{
  echo "== $(date -u +%FT%TZ) $(uname -a)"
  nvidia-smi 2>&1 | head -15
  echo "== Vulkan: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}"
  ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  ldconfig -p | grep -E 'libvulkan|libGLX_nvidia|libnvidia-glcore|libEGL_nvidia' 2>&1
} >"$out/env.txt" 2>&1

# CUDA provider: onnxruntime-node's npm package has no CUDA libraries (its install script downloads
# them). Where this machine's Python onnxruntime has them, try those (same ONNX Runtime version).
ort_dir=$work/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
py_capi=$($python -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))' 2>/dev/null || true)
if [ -n "$py_capi" ] && [ -f "$py_capi/libonnxruntime_providers_cuda.so" ]; then
  cp "$py_capi"/libonnxruntime_providers_{shared,cuda}.so "$ort_dir/"
  for d in $($python -c 'import nvidia, os; print(" ".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in os.listdir(p)))' 2>/dev/null); do
    [ -d "$d" ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d
  done
  echo "check: CUDA provider libraries from $py_capi ($($python -c 'import onnxruntime; print(onnxruntime.__version__)'))"
else
  echo "check: no CUDA provider libraries here (python onnxruntime: ${py_capi:-absent})"
fi

# YOLOX-Nano with a dynamic batch dimension, to measure batching (dynamic-batch.py, needs python's onnx).
dynamic=()
if $python "$work/scripts/dynamic-batch.py" "$work/models/yolox_nano.onnx" "$work/models/yolox_nano_dynamic.onnx" >>"$out/env.txt" 2>&1; then
  dynamic=(--dynamic-model "$work/models/yolox_nano_dynamic.onnx")
else
  echo "check: no dynamic-batch model (python3 with onnx missing); batch 1 only"
fi

tools=(--ffmpeg "$work/tools/ffmpeg" --ffprobe "$work/tools/ffprobe" --redis-server "$work/tools/redis-server")
check=(node "$work/services/detector/dist/gpu-check.js")
declare -A limit=([env]=60 [agreement]=100 [throughput]=180 [pipeline]=150)
for stage in "${stages[@]}"; do
  t0=$(date +%s)
  timeout -k 10 "${limit[$stage]:-120}" "${check[@]}" "$stage" --root "$work" --providers "$providers" "${dynamic[@]}" "${tools[@]}" \
    --figures "$results" ${GPU_CHECK_ARGS:-} 2>>"$out/stderr.log" | tee -a "$results"
  echo "check: stage $stage done in $(($(date +%s) - t0)) s (exit ${PIPESTATUS[0]})"
  # A stage stopped at its limit leaves its services, detectors and redis-server behind.
  pkill -9 -f "$work/" 2>/dev/null || true
  if [ "$stage" = env ]; then
    # Later stages use only the providers that started.
    providers=$(node -e 'const r = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
      console.log(r.filter((x) => x.check === "provider" && x.ok).map((x) => x.provider).join(","))' "$results")
    echo "check: GPU providers that start: ${providers:-none}"
  fi
done

# A short table at the end, where the device tool's output tail shows it.
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
for (const r of rows) {
  const { at, check, ...rest } = r;
  if (check === "agreement" && r.video !== "all") continue;
  delete rest.examples; delete rest.env; delete rest.tolerance;
  console.log(check.padEnd(18), JSON.stringify(rest));
}' "$results"
grep -v -E 'Warning: max(Dynamic|Storage)|artificially reduced|^$' "$out/stderr.log" | tail -5
echo "check: total $(($(date +%s) - started)) s"
