import type { Candidate, DecodeOptions } from './candidate.js';

/** YOLOX heads, finest first; rows of the output run through them in this order. */
export const YOLOX_STRIDES = [8, 16, 32] as const;

/** Number of output rows a YOLOX model with input side `inputSize` has: one per grid cell of every stride. */
export function yoloxAnchorCount(inputSize: number): number {
  return YOLOX_STRIDES.reduce((sum, s) => sum + Math.floor(inputSize / s) ** 2, 0);
}

/**
 * Decodes one image of a YOLOX output `[N, 5 + C]` (starting at `offset` in `data`) into boxes in
 * model-input pixels. Rows are grid cells, stride by stride, row-major (y outer, x inner); each row
 * is `[tx, ty, tw, th, obj, cls_0 … cls_C-1]` with obj and cls already sigmoid-activated.
 */
export function decodeYoloxOutput(
  data: Float32Array,
  offset: number,
  inputSize: number,
  numClasses: number,
  options: DecodeOptions,
): Candidate[] {
  const rowLength = 5 + numClasses;
  const out: Candidate[] = [];
  const { scoreThreshold, classIds, multiLabel } = options;
  let row = offset;
  for (const stride of YOLOX_STRIDES) {
    const cells = Math.floor(inputSize / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++, row += rowLength) {
        const obj = data[row + 4]!;
        // score = obj * cls <= obj: a row whose objectness is below the threshold cannot pass.
        if (obj < scoreThreshold) continue;
        const box = (): Omit<Candidate, 'classId' | 'score'> => {
          const cx = (data[row]! + gx) * stride;
          const cy = (data[row + 1]! + gy) * stride;
          const w = Math.exp(data[row + 2]!) * stride;
          const h = Math.exp(data[row + 3]!) * stride;
          return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
        };
        if (multiLabel) {
          for (let c = 0; c < numClasses; c++) {
            const score = obj * data[row + 5 + c]!;
            if (score >= scoreThreshold && (classIds === null || classIds.has(c))) out.push({ classId: c, score, ...box() });
          }
          continue;
        }
        let best = 0;
        let bestScore = -1;
        for (let c = 0; c < numClasses; c++) {
          const s = data[row + 5 + c]!;
          if (s > bestScore) {
            bestScore = s;
            best = c;
          }
        }
        const score = obj * bestScore;
        if (score >= scoreThreshold && (classIds === null || classIds.has(best))) out.push({ classId: best, score, ...box() });
      }
    }
  }
  return out;
}
