/// <reference path="./webassembly.d.ts" />
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** What assembly/letterbox.ts exports. */
interface LetterboxWasm {
  memory: WebAssembly.Memory;
  letterbox(src: number, sw: number, sh: number, taps: number, rows: number, out: number, side: number, dw: number, dh: number, padX: number, padY: number, divisor: number, fill: number): void;
}

/** Built next to the compiled JS (dist/wasm); the same path from src/ when run through tsx. */
const wasmFile = new URL('../../dist/wasm/letterbox.wasm', import.meta.url);
let wasm: LetterboxWasm | null = null;

function loadWasm(): LetterboxWasm {
  if (wasm) return wasm;
  let bytes: Buffer;
  try {
    bytes = readFileSync(wasmFile);
  } catch (err) {
    throw new Error(`the letterbox module ${fileURLToPath(wasmFile)} is missing (${(err as NodeJS.ErrnoException).code}): build it with npm run build`);
  }
  wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as LetterboxWasm;
  return wasm;
}

/** Where the module's inputs and output sit in its memory, for one frame geometry. */
interface Layout {
  key: string;
  taps: number;
  rows: number;
  src: number;
  out: number;
}
let layout: Layout | null = null;

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * Lays out (and grows) the module's memory for this geometry and writes the taps; kept while the
 * geometry stays the same, which it does for every frame of a video.
 */
function prepare(m: LetterboxWasm, lb: Letterbox): Layout {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh, inputSize: side } = lb;
  const key = `${sw}x${sh}>${dw}x${dh}@${side}`;
  if (layout?.key === key) return layout;
  const taps = 16;
  const rows = align16(taps + 4 * 4 * (dw + dh));
  // Each buffer is followed by slack: the SIMD loops read and write up to 16 bytes past the end.
  const src = align16(rows + 2 * 4 * (dw * 3 + 4) + 16);
  const out = align16(src + sw * sh * 3 + 16);
  const end = out + 3 * side * side * 4;
  const pages = Math.ceil(end / 65536) - m.memory.buffer.byteLength / 65536;
  if (pages > 0) m.memory.grow(pages);
  const xs = linearTaps(sw, dw);
  const ys = linearTaps(sh, dh, false);
  const tables = new Int32Array(m.memory.buffer, taps, 4 * (dw + dh));
  tables.set(xs.i0.map((i) => i * 3), 0);
  tables.set(xs.i1.map((i) => i * 3), dw);
  tables.set(xs.w0, 2 * dw);
  tables.set(xs.w1, 3 * dw);
  tables.set(ys.i0, 4 * dw);
  tables.set(ys.i1, 4 * dw + dh);
  tables.set(ys.w0, 4 * dw + 2 * dh);
  tables.set(ys.w1, 4 * dw + 3 * dh);
  layout = { key, taps, rows, src, out };
  return layout;
}

/**
 * Letterboxes one decoded frame (HWC, 3 bytes a pixel, display size, already in the model's
 * channel order) into `out` (CHW float32, divided by `divisor`) at `offset`: the image is resized as
 * cv2.resize(INTER_LINEAR) does it on uint8 — the same fixed-point arithmetic, so our input matches
 * the models' reference preprocessing bit for bit — and the rest is filled with 114. (An exact 2x
 * reduction is a 2x2 average, as OpenCV switches to INTER_AREA there.) The work is done by a small
 * WebAssembly SIMD module (assembly/letterbox.ts): in plain JS it cost several times the time.
 */
export function letterboxToTensor(src: Uint8Array, lb: Letterbox, divisor: number, out: Float32Array, offset = 0): void {
  const { srcWidth: sw, srcHeight: sh, inputSize: side } = lb;
  if (src.length !== sw * sh * 3) throw new Error(`frame has ${src.length} bytes, expected ${sw * sh * 3} (${sw}x${sh}x3)`);
  const size = 3 * side * side;
  if (out.length < offset + size) throw new Error('tensor buffer too small for the frame');
  const m = loadWasm();
  const at = prepare(m, lb);
  new Uint8Array(m.memory.buffer, at.src, src.length).set(src);
  // Values are divided, not multiplied by 1/255 (which would differ from Ultralytics in the last bit).
  m.letterbox(at.src, sw, sh, at.taps, at.rows, at.out, side, lb.width, lb.height, lb.padX, lb.padY, divisor, LETTERBOX_FILL / divisor);
  out.set(new Float32Array(m.memory.buffer, at.out, size), offset);
}
