import { LETTERBOX_FILL, type Letterbox } from './letterbox.js';

/** OpenCV's fixed-point resize coefficients: 11 fractional bits. */
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** Source taps and weights of one axis, exactly as OpenCV 4's resize(INTER_LINEAR) computes them. */
export interface LinearTaps {
  /** The two source indices of each output index. */
  i0: Int32Array;
  i1: Int32Array;
  /** Weights (sum 2048) of the two taps. */
  w0: Int32Array;
  w1: Int32Array;
}

/** cvRound: round half to even, as saturate_cast<short>(float) does. */
function cvRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Taps for resizing `srcSize` to `dstSize` with half-pixel centres and no antialiasing
 * (cv2.resize INTER_LINEAR); `f` is rounded to float32 as OpenCV does. OpenCV treats the axes
 * differently at the borders: horizontally an outside tap is clamped with its weight moved to the
 * edge pixel (`clampWeights`); vertically only the row index is clamped and the weights stay,
 * which matters because its vertical pass rounds each product separately.
 */
export function linearTaps(srcSize: number, dstSize: number, clampWeights = true): LinearTaps {
  const scale = 1 / (dstSize / srcSize);
  const taps: LinearTaps = {
    i0: new Int32Array(dstSize),
    i1: new Int32Array(dstSize),
    w0: new Int32Array(dstSize),
    w1: new Int32Array(dstSize),
  };
  const clampIndex = (i: number) => Math.min(Math.max(i, 0), srcSize - 1);
  for (let d = 0; d < dstSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampWeights && s < 0) {
      f = 0;
      s = 0;
    }
    if (clampWeights && s >= srcSize - 1) {
      f = 0;
      s = srcSize - 1;
    }
    taps.i0[d] = clampIndex(s);
    taps.i1[d] = clampIndex(s + 1);
    taps.w0[d] = cvRound(Math.fround(1 - f) * COEF_SCALE);
    taps.w1[d] = cvRound(f * COEF_SCALE);
  }
  return taps;
}

/**
 * Letterboxes one decoded frame (HWC, 3 bytes a pixel, display size, already in the model's
 * channel order) straight into `out` (CHW float32, divided by `divisor`) at `offset`: the image is
 * resized as cv2.resize(INTER_LINEAR) does it on uint8 — the same fixed-point arithmetic, so our
 * input matches the models' reference preprocessing bit for bit — and the rest is filled with 114.
 * (An exact 2x reduction is a 2x2 average, as OpenCV switches to INTER_AREA there.)
 */
export function letterboxToTensor(src: Uint8Array, lb: Letterbox, divisor: number, out: Float32Array, offset = 0): void {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh, inputSize: side, padX, padY } = lb;
  if (src.length !== sw * sh * 3) throw new Error(`frame has ${src.length} bytes, expected ${sw * sh * 3} (${sw}x${sh}x3)`);
  const plane = side * side;
  if (out.length < offset + 3 * plane) throw new Error('tensor buffer too small for the frame');
  const fill = LETTERBOX_FILL / divisor;
  out.fill(fill, offset, offset + 3 * plane);

  const halve = sw === dw * 2 && sh === dh * 2;
  const xs = linearTaps(sw, dw);
  const ys = linearTaps(sh, dh, false);
  const row0 = new Int32Array(dw * 3);
  const row1 = new Int32Array(dw * 3);
  const hresize = (y: number, row: Int32Array) => {
    const base = y * sw * 3;
    for (let x = 0; x < dw; x++) {
      const p0 = base + xs.i0[x]! * 3;
      const p1 = base + xs.i1[x]! * 3;
      const a0 = xs.w0[x]!;
      const a1 = xs.w1[x]!;
      row[x * 3] = src[p0]! * a0 + src[p1]! * a1;
      row[x * 3 + 1] = src[p0 + 1]! * a0 + src[p1 + 1]! * a1;
      row[x * 3 + 2] = src[p0 + 2]! * a0 + src[p1 + 2]! * a1;
    }
  };
  for (let y = 0; y < dh; y++) {
    const o = offset + (y + padY) * side + padX;
    if (halve) {
      const r0 = 2 * y * sw * 3;
      const r1 = r0 + sw * 3;
      for (let x = 0; x < dw; x++) {
        for (let c = 0; c < 3; c++) {
          const i = 6 * x + c;
          const v = (src[r0 + i]! + src[r0 + i + 3]! + src[r1 + i]! + src[r1 + i + 3]! + 2) >> 2;
          out[c * plane + o + x] = v / divisor;
        }
      }
      continue;
    }
    hresize(ys.i0[y]!, row0);
    hresize(ys.i1[y]!, row1);
    const b0 = ys.w0[y]!;
    const b1 = ys.w1[y]!;
    for (let x = 0; x < dw; x++) {
      for (let c = 0; c < 3; c++) {
        const i = x * 3 + c;
        // OpenCV's (SIMD) vertical pass: >>4 to int16, multiply-high by each weight, round >>2.
        let v = ((((row0[i]! >> 4) * b0) >> 16) + (((row1[i]! >> 4) * b1) >> 16) + 2) >> 2;
        if (v > 255) v = 255;
        else if (v < 0) v = 0;
        out[c * plane + o + x] = divisor === 1 ? v : v / divisor;
      }
    }
  }
}
