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

interface ResizePlan {
  xs: LinearTaps;
  ys: LinearTaps;
  /** Source byte offsets of each output column's two taps (x * 3). */
  x0: Int32Array;
  x1: Int32Array;
}

/** Taps depend only on the geometry, which is the same for every frame of a video: keep a few. */
const plans = new Map<string, ResizePlan>();
function resizePlan(sw: number, sh: number, dw: number, dh: number): ResizePlan {
  const key = `${sw}x${sh}>${dw}x${dh}`;
  let plan = plans.get(key);
  if (!plan) {
    const xs = linearTaps(sw, dw);
    plan = { xs, ys: linearTaps(sh, dh, false), x0: xs.i0.map((i) => i * 3), x1: xs.i1.map((i) => i * 3) };
    if (plans.size >= 16) plans.clear();
    plans.set(key, plan);
  }
  return plan;
}

/** One source row resized horizontally: 3 channels interleaved, fixed point (weights sum 2048). */
function resizeRow(src: Uint8Array, rowStart: number, plan: ResizePlan, dw: number, row: Int32Array): void {
  const { x0, x1 } = plan;
  const { w0, w1 } = plan.xs;
  for (let x = 0, i = 0; x < dw; x++, i += 3) {
    const p0 = rowStart + x0[x]!;
    const p1 = rowStart + x1[x]!;
    const a0 = w0[x]!;
    const a1 = w1[x]!;
    row[i] = src[p0]! * a0 + src[p1]! * a1;
    row[i + 1] = src[p0 + 1]! * a0 + src[p1 + 1]! * a1;
    row[i + 2] = src[p0 + 2]! * a0 + src[p1 + 2]! * a1;
  }
}

/** Fills the canvas around the image (every pixel the resize does not write) in each plane. */
function fillPadding(out: Float32Array, offset: number, side: number, lb: Letterbox, value: number): void {
  const { width: dw, height: dh, padX, padY } = lb;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * side * side;
    out.fill(value, base, base + padY * side);
    out.fill(value, base + (padY + dh) * side, base + side * side);
    if (padX === 0 && dw === side) continue;
    for (let y = padY; y < padY + dh; y++) {
      const row = base + y * side;
      out.fill(value, row, row + padX);
      out.fill(value, row + padX + dw, row + side);
    }
  }
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
  fillPadding(out, offset, side, lb, LETTERBOX_FILL / divisor);
  // Values are divided, not multiplied by 1/255 (which would differ from Ultralytics in the last bit).

  if (sw === dw && sh === dh) {
    // Same size: cv2.resize is the identity; only the layout changes.
    for (let y = 0; y < dh; y++) {
      let o = offset + (y + padY) * side + padX;
      for (let i = y * sw * 3, end = i + sw * 3; i < end; i += 3, o++) {
        out[o] = src[i]! / divisor;
        out[o + plane] = src[i + 1]! / divisor;
        out[o + 2 * plane] = src[i + 2]! / divisor;
      }
    }
    return;
  }

  if (sw === dw * 2 && sh === dh * 2) {
    const stride = sw * 3;
    for (let y = 0; y < dh; y++) {
      const r0 = 2 * y * stride;
      const r1 = r0 + stride;
      let o = offset + (y + padY) * side + padX;
      for (let x = 0, i = 0; x < dw; x++, i += 6, o++) {
        out[o] = ((src[r0 + i]! + src[r0 + i + 3]! + src[r1 + i]! + src[r1 + i + 3]! + 2) >> 2) / divisor;
        out[o + plane] = ((src[r0 + i + 1]! + src[r0 + i + 4]! + src[r1 + i + 1]! + src[r1 + i + 4]! + 2) >> 2) / divisor;
        out[o + 2 * plane] = ((src[r0 + i + 2]! + src[r0 + i + 5]! + src[r1 + i + 2]! + src[r1 + i + 5]! + 2) >> 2) / divisor;
      }
    }
    return;
  }

  const plan = resizePlan(sw, sh, dw, dh);
  const { ys } = plan;
  // Horizontally resized source rows, reused while consecutive output rows share them (upscaling).
  const rowA = new Int32Array(dw * 3);
  const rowB = new Int32Array(dw * 3);
  let rowAIndex = -1;
  let rowBIndex = -1;
  const rowFor = (sy: number, other: number): Int32Array => {
    if (sy === rowAIndex) return rowA;
    if (sy === rowBIndex) return rowB;
    // Overwrite the slot the other tap does not use.
    if (rowAIndex !== other) {
      resizeRow(src, sy * sw * 3, plan, dw, rowA);
      rowAIndex = sy;
      return rowA;
    }
    resizeRow(src, sy * sw * 3, plan, dw, rowB);
    rowBIndex = sy;
    return rowB;
  };
  for (let y = 0; y < dh; y++) {
    const sy0 = ys.i0[y]!;
    const sy1 = ys.i1[y]!;
    const r0 = rowFor(sy0, sy1);
    const r1 = rowFor(sy1, sy0);
    const b0 = ys.w0[y]!;
    const b1 = ys.w1[y]!;
    const o = offset + (y + padY) * side + padX;
    // OpenCV's (SIMD) vertical pass: >>4 to int16, multiply-high by each weight, round >>2. With
    // weights summing to 2048 the result cannot leave 0..255, so no clamping is needed.
    const o1 = o + plane;
    const o2 = o + 2 * plane;
    if (divisor === 1) {
      for (let x = 0, i = 0; x < dw; x++, i += 3) {
        out[o + x] = ((((r0[i]! >> 4) * b0) >> 16) + (((r1[i]! >> 4) * b1) >> 16) + 2) >> 2;
        out[o1 + x] = ((((r0[i + 1]! >> 4) * b0) >> 16) + (((r1[i + 1]! >> 4) * b1) >> 16) + 2) >> 2;
        out[o2 + x] = ((((r0[i + 2]! >> 4) * b0) >> 16) + (((r1[i + 2]! >> 4) * b1) >> 16) + 2) >> 2;
      }
    } else {
      for (let x = 0, i = 0; x < dw; x++, i += 3) {
        out[o + x] = (((((r0[i]! >> 4) * b0) >> 16) + (((r1[i]! >> 4) * b1) >> 16) + 2) >> 2) / divisor;
        out[o1 + x] = (((((r0[i + 1]! >> 4) * b0) >> 16) + (((r1[i + 1]! >> 4) * b1) >> 16) + 2) >> 2) / divisor;
        out[o2 + x] = (((((r0[i + 2]! >> 4) * b0) >> 16) + (((r1[i + 2]! >> 4) * b1) >> 16) + 2) >> 2) / divisor;
      }
    }
  }
}
