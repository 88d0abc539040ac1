import ort from 'onnxruntime-node';
import type { DetectionEngine, Letterbox } from '@video-detect/detector';

/**
 * Input tensors of `batch` frames each, letterboxed from distinct decoded frames, each with its own
 * buffer (the engine's own toTensor reuses one buffer run after run).
 */
export function prepareTensors(engine: DetectionEngine, frames: readonly Uint8Array[], letterbox: Letterbox, batch: number, count = 4): ort.Tensor[] {
  return Array.from({ length: count }, (_, t) => {
    const group = Array.from({ length: batch }, (_, i) => frames[(t * batch + i) % frames.length]!);
    const shared = engine.toTensor(group, letterbox);
    return new ort.Tensor('float32', Float32Array.from(shared.data as Float32Array), shared.dims);
  });
}

/** session.run() alone, back to back, for `seconds`: frames done and the median run time. */
export async function runInferenceLoop(engine: DetectionEngine, tensors: readonly ort.Tensor[], seconds: number): Promise<{ frames: number; runs: number; medianRunMs: number }> {
  const batch = tensors[0]!.dims[0]!;
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    await engine.run(tensors[times.length % tensors.length]!);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { frames: times.length * batch, runs: times.length, medianRunMs: times[times.length >> 1] ?? NaN };
}
