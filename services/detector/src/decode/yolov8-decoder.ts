import type { Candidate, DecodeOptions } from './candidate.js';

/**
 * Decodes one image of an Ultralytics YOLOv8/YOLO11 output `[4 + C, N]` (channel-major, starting
 * at `offset` in `data`) into boxes in model-input pixels. Channels 0..3 are cx, cy, w, h already
 * decoded; channels 4.. are sigmoid class scores (no objectness).
 */
export function decodeYolov8Output(
  data: Float32Array,
  offset: number,
  numAnchors: number,
  numClasses: number,
  options: DecodeOptions,
): Candidate[] {
  const { scoreThreshold, classIds, multiLabel } = options;
  const out: Candidate[] = [];
  const channel = (k: number) => offset + k * numAnchors;
  const box = (a: number): Omit<Candidate, 'classId' | 'score'> => {
    const cx = data[channel(0) + a]!;
    const cy = data[channel(1) + a]!;
    const w = data[channel(2) + a]!;
    const h = data[channel(3) + a]!;
    return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
  };
  if (multiLabel) {
    for (let c = 0; c < numClasses; c++) {
      if (classIds !== null && !classIds.has(c)) continue;
      const base = channel(4 + c);
      for (let a = 0; a < numAnchors; a++) {
        const score = data[base + a]!;
        if (score >= scoreThreshold) out.push({ classId: c, score, ...box(a) });
      }
    }
    return out;
  }
  // Channel-major layout: walk each class channel contiguously, keeping the best class per anchor.
  const bestScore = new Float32Array(numAnchors).fill(-1);
  const bestClass = new Int32Array(numAnchors);
  for (let c = 0; c < numClasses; c++) {
    const base = channel(4 + c);
    for (let a = 0; a < numAnchors; a++) {
      const s = data[base + a]!;
      if (s > bestScore[a]!) {
        bestScore[a] = s;
        bestClass[a] = c;
      }
    }
  }
  for (let a = 0; a < numAnchors; a++) {
    const score = bestScore[a]!;
    const c = bestClass[a]!;
    if (score >= scoreThreshold && (classIds === null || classIds.has(c))) out.push({ classId: c, score, ...box(a) });
  }
  return out;
}
