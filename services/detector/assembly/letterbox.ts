// AssemblyScript, compiled to WebAssembly (SIMD) by `npm run build:wasm`; loaded by
// src/preprocess/letterbox-tensor.ts, which owns the memory layout and computes the taps.
//
// The letterbox of one frame, exactly as cv2.resize(INTER_LINEAR) does it on uint8 images: a
// horizontal pass with 11-bit fixed-point weights into int rows, then OpenCV's SIMD vertical pass
// (>>4, multiply-high by each weight, round >>2), written as float32 CHW planes divided by
// `divisor`, with `fill` around the image. Every integer step is the same as OpenCV's, so the
// tensor is bit-identical to the models' reference preprocessing; SIMD only does four at once.

/** Tap tables, laid out by the caller as i32 arrays: x0, x1 (source byte offsets), xw0, xw1 (dw each), then y0, y1, yw0, yw1 (dh each). */
const TAP_TABLES_X: i32 = 4;

/** Four pixels' channels (v0 = p0c0 p0c1 p0c2 p1c0, v1 = p1c1 p1c2 p2c0 p2c1, v2 = p2c2 p3c0 p3c1 p3c2) to three planes. */
@inline
function storePixels4(v0: v128, v1: v128, v2: v128, dst: usize, plane: usize, divisor: v128, divide: bool): void {
  let c0 = f32x4.convert_i32x4_s(i32x4.shuffle(i32x4.shuffle(v0, v1, 0, 3, 6, 0), v2, 0, 1, 2, 5));
  let c1 = f32x4.convert_i32x4_s(i32x4.shuffle(i32x4.shuffle(v0, v1, 1, 4, 7, 0), v2, 0, 1, 2, 6));
  let c2 = f32x4.convert_i32x4_s(i32x4.shuffle(i32x4.shuffle(v0, v1, 2, 5, 0, 0), v2, 0, 1, 4, 7));
  if (divide) {
    c0 = f32x4.div(c0, divisor);
    c1 = f32x4.div(c1, divisor);
    c2 = f32x4.div(c2, divisor);
  }
  v128.store(dst, c0);
  v128.store(dst + plane, c1);
  v128.store(dst + 2 * plane, c2);
}

@inline
function storePixel(c0: i32, c1: i32, c2: i32, dst: usize, plane: usize, divisor: f32): void {
  store<f32>(dst, <f32>c0 / divisor);
  store<f32>(dst + plane, <f32>c1 / divisor);
  store<f32>(dst + 2 * plane, <f32>c2 / divisor);
}

function fill(dst: usize, count: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), value);
}

/** Every canvas pixel the image does not cover, in each plane. */
function fillPadding(out: usize, side: i32, dw: i32, dh: i32, padX: i32, padY: i32, value: f32): void {
  const plane = <usize>(side * side) << 2;
  for (let c = 0; c < 3; c++) {
    const base = out + <usize>c * plane;
    fill(base, padY * side, value);
    fill(base + (<usize>((padY + dh) * side) << 2), (side - padY - dh) * side, value);
    if (padX === 0 && dw === side) continue;
    for (let y = padY; y < padY + dh; y++) {
      const row = base + (<usize>(y * side) << 2);
      fill(row, padX, value);
      fill(row + (<usize>(padX + dw) << 2), side - padX - dw, value);
    }
  }
}

/** Same size: only the layout changes (HWC bytes to CHW floats). */
function copyFrame(src: usize, sw: i32, sh: i32, out: usize, side: i32, padX: i32, padY: i32, divisor: f32): void {
  const plane = <usize>(side * side) << 2;
  const div = f32x4.splat(divisor);
  const divide = divisor !== 1;
  for (let y = 0; y < sh; y++) {
    const row = src + <usize>(y * sw * 3);
    const dst = out + (<usize>((y + padY) * side + padX) << 2);
    let x = 0;
    // 16 bytes read for 12 used: the caller leaves slack after the frame.
    for (; x + 4 <= sw; x += 4) {
      const bytes = v128.load(row + <usize>(x * 3));
      const lo = i16x8.extend_low_i8x16_u(bytes);
      const hi = i16x8.extend_high_i8x16_u(bytes);
      storePixels4(i32x4.extend_low_i16x8_u(lo), i32x4.extend_high_i16x8_u(lo), i32x4.extend_low_i16x8_u(hi), dst + (<usize>x << 2), plane, div, divide);
    }
    for (; x < sw; x++) {
      const p = row + <usize>(x * 3);
      storePixel(load<u8>(p), load<u8>(p, 1), load<u8>(p, 2), dst + (<usize>x << 2), plane, divisor);
    }
  }
}

/** An exact 2x reduction: OpenCV switches to INTER_AREA, a rounded 2x2 average. */
function halveFrame(src: usize, sw: i32, dw: i32, dh: i32, out: usize, side: i32, padX: i32, padY: i32, divisor: f32): void {
  const plane = <usize>(side * side) << 2;
  const stride = <usize>(sw * 3);
  for (let y = 0; y < dh; y++) {
    const r0 = src + <usize>(2 * y) * stride;
    const r1 = r0 + stride;
    const dst = out + (<usize>((y + padY) * side + padX) << 2);
    for (let x = 0; x < dw; x++) {
      const i = <usize>(x * 6);
      const c0 = (<i32>load<u8>(r0 + i) + load<u8>(r0 + i, 3) + load<u8>(r1 + i) + load<u8>(r1 + i, 3) + 2) >> 2;
      const c1 = (<i32>load<u8>(r0 + i, 1) + load<u8>(r0 + i, 4) + load<u8>(r1 + i, 1) + load<u8>(r1 + i, 4) + 2) >> 2;
      const c2 = (<i32>load<u8>(r0 + i, 2) + load<u8>(r0 + i, 5) + load<u8>(r1 + i, 2) + load<u8>(r1 + i, 5) + 2) >> 2;
      storePixel(c0, c1, c2, dst + (<usize>x << 2), plane, divisor);
    }
  }
}

/** One source row resized horizontally into `row` (3 interleaved channels, int, weights summing to 2048). */
function resizeRow(srcRow: usize, taps: usize, dw: i32, row: usize): void {
  const x0 = taps;
  const x1 = x0 + (<usize>dw << 2);
  const w0 = x1 + (<usize>dw << 2);
  const w1 = w0 + (<usize>dw << 2);
  for (let x = 0; x < dw; x++) {
    const o = <usize>x << 2;
    // Both taps' three channels at once (8 bytes read for 3 used; slack follows the frame). The
    // fourth lane is overwritten by the next pixel; the row buffer has room for the last one.
    const a = i32x4.extend_low_i16x8_u(v128.load8x8_u(srcRow + <usize>load<i32>(x0 + o)));
    const b = i32x4.extend_low_i16x8_u(v128.load8x8_u(srcRow + <usize>load<i32>(x1 + o)));
    v128.store(row + <usize>(x * 12), i32x4.add(i32x4.mul(a, i32x4.splat(load<i32>(w0 + o))), i32x4.mul(b, i32x4.splat(load<i32>(w1 + o)))));
  }
}

/** OpenCV's vertical pass on one value pair. The result cannot leave 0..255 (weights sum to 2048). */
@inline
function vertical(r0: v128, r1: v128, b0: v128, b1: v128): v128 {
  const a = i32x4.shr_s(i32x4.mul(i32x4.shr_s(r0, 4), b0), 16);
  const b = i32x4.shr_s(i32x4.mul(i32x4.shr_s(r1, 4), b1), 16);
  return i32x4.shr_s(i32x4.add(i32x4.add(a, b), i32x4.splat(2)), 2);
}

/** Which source rows the two row buffers hold (-1: none); reset for each frame. */
let rowAIndex: i32 = -1;
let rowBIndex: i32 = -1;

/**
 * Source row `sy` resized horizontally, from one of the two row buffers at `rows` (each dw*3+4
 * ints): reused while consecutive output rows share a source row, else computed into the buffer
 * the other tap of this output row (`other`) does not use.
 */
function sourceRow(src: usize, stride: usize, taps: usize, dw: i32, rows: usize, sy: i32, other: i32): usize {
  const rowB = rows + ((<usize>(dw * 3 + 4)) << 2);
  if (sy === rowAIndex) return rows;
  if (sy === rowBIndex) return rowB;
  if (rowAIndex !== other) {
    resizeRow(src + <usize>sy * stride, taps, dw, rows);
    rowAIndex = sy;
    return rows;
  }
  resizeRow(src + <usize>sy * stride, taps, dw, rowB);
  rowBIndex = sy;
  return rowB;
}

function resizeFrame(src: usize, sw: i32, taps: usize, dw: i32, dh: i32, rows: usize, out: usize, side: i32, padX: i32, padY: i32, divisor: f32): void {
  const plane = <usize>(side * side) << 2;
  const div = f32x4.splat(divisor);
  const divide = divisor !== 1;
  const stride = <usize>(sw * 3);
  const ys = taps + (<usize>(TAP_TABLES_X * dw) << 2);
  const y0 = ys;
  const y1 = y0 + (<usize>dh << 2);
  const yw0 = y1 + (<usize>dh << 2);
  const yw1 = yw0 + (<usize>dh << 2);
  rowAIndex = -1;
  rowBIndex = -1;
  for (let y = 0; y < dh; y++) {
    const o = <usize>y << 2;
    const sy0 = load<i32>(y0 + o);
    const sy1 = load<i32>(y1 + o);
    const r0 = sourceRow(src, stride, taps, dw, rows, sy0, sy1);
    const r1 = sourceRow(src, stride, taps, dw, rows, sy1, sy0);

    const wb0 = load<i32>(yw0 + o);
    const wb1 = load<i32>(yw1 + o);
    const b0 = i32x4.splat(wb0);
    const b1 = i32x4.splat(wb1);
    const dst = out + (<usize>((y + padY) * side + padX) << 2);
    let x = 0;
    for (; x + 4 <= dw; x += 4) {
      const i = <usize>(x * 12);
      storePixels4(
        vertical(v128.load(r0 + i), v128.load(r1 + i), b0, b1),
        vertical(v128.load(r0 + i, 16), v128.load(r1 + i, 16), b0, b1),
        vertical(v128.load(r0 + i, 32), v128.load(r1 + i, 32), b0, b1),
        dst + (<usize>x << 2),
        plane,
        div,
        divide,
      );
    }
    for (; x < dw; x++) {
      const i = <usize>(x * 12);
      const c0 = ((((load<i32>(r0 + i) >> 4) * wb0) >> 16) + (((load<i32>(r1 + i) >> 4) * wb1) >> 16) + 2) >> 2;
      const c1 = ((((load<i32>(r0 + i, 4) >> 4) * wb0) >> 16) + (((load<i32>(r1 + i, 4) >> 4) * wb1) >> 16) + 2) >> 2;
      const c2 = ((((load<i32>(r0 + i, 8) >> 4) * wb0) >> 16) + (((load<i32>(r1 + i, 8) >> 4) * wb1) >> 16) + 2) >> 2;
      storePixel(c0, c1, c2, dst + (<usize>x << 2), plane, divisor);
    }
  }
}

/**
 * Letterboxes the frame at `src` (sw x sh x 3 bytes, HWC, then at least 16 bytes of slack) into the
 * 3 x side x side float32 canvas at `out`: the resized dw x dh image at (padX, padY), `fill` around
 * it. `taps` holds the tap tables (see TAP_TABLES_X); `rows` room for two int rows of dw*3+4.
 */
export function letterbox(src: usize, sw: i32, sh: i32, taps: usize, rows: usize, out: usize, side: i32, dw: i32, dh: i32, padX: i32, padY: i32, divisor: f32, fillValue: f32): void {
  fillPadding(out, side, dw, dh, padX, padY, fillValue);
  if (sw === dw && sh === dh) copyFrame(src, sw, sh, out, side, padX, padY, divisor);
  else if (sw === dw * 2 && sh === dh * 2) halveFrame(src, sw, dw, dh, out, side, padX, padY, divisor);
  else resizeFrame(src, sw, taps, dw, dh, rows, out, side, padX, padY, divisor);
}
