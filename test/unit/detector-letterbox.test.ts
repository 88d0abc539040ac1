import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeLetterbox, letterboxToTensor, linearTaps, roundHalfEven, toSourceX, toSourceY, type Letterbox } from '../../services/detector/src/index.js';

describe('computeLetterbox', () => {
  it('YOLOX: r = min(S/h, S/w), size truncated, top-left', () => {
    const lb = computeLetterbox('yolox', 640, 360, 416);
    assert.equal(lb.scale, 0.65);
    // int(640 * 0.65) and int(360 * 0.65) in IEEE doubles, as Python computes them.
    assert.deepEqual([lb.width, lb.height, lb.padX, lb.padY], [Math.trunc(640 * 0.65), Math.trunc(360 * 0.65), 0, 0]);
    assert.deepEqual([lb.width, lb.height], [416, 234]);
    const portrait = computeLetterbox('yolox', 320, 568, 416);
    assert.equal(portrait.height, 416);
    assert.equal(portrait.width, Math.trunc(320 * (416 / 568)));
    assert.equal(portrait.width, 234);
  });

  it('YOLOv8: size rounded, centred with round(d/2 - 0.1)', () => {
    const lb = computeLetterbox('yolov8', 640, 360, 640);
    assert.deepEqual([lb.scale, lb.width, lb.height, lb.padX, lb.padY], [1, 640, 360, 0, 140]);
    const odd = computeLetterbox('yolov8', 768, 432, 640);
    // r = 640/768, nh = 360, padY = round(140 - 0.1) = 140.
    assert.deepEqual([odd.width, odd.height, odd.padX, odd.padY], [640, 360, 0, 140]);
    const rot = computeLetterbox('yolov8', 320, 568, 640);
    // nw = round(320 * 640/568) = round(360.56) = 361; (640 - 361)/2 = 139.5 -> round(139.4) = 139.
    assert.deepEqual([rot.width, rot.height, rot.padX, rot.padY], [361, 640, 139, 0]);
  });

  it("rounds half to even like Python's round()", () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, 2, 3]);
  });

  it('maps model-input pixels back to the source', () => {
    const lb = computeLetterbox('yolov8', 320, 568, 640);
    assert.ok(Math.abs(toSourceX(lb, 139) - 0) < 1e-9);
    assert.ok(Math.abs(toSourceY(lb, 640) - 568) < 1e-9);
    const x = computeLetterbox('yolox', 640, 360, 416);
    assert.equal(toSourceX(x, 208), 320);
  });
});

describe('letterboxToTensor (cv2.resize INTER_LINEAR, fixed point, WebAssembly)', () => {
  it('computes OpenCV taps: half-pixel centres, clamped borders, 11-bit weights', () => {
    const t = linearTaps(4, 2);
    // Exact 2x: fx = (d + 0.5) * 2 - 0.5 = 0.5, 2.5.
    assert.deepEqual([...t.i0], [0, 2]);
    assert.deepEqual([...t.w0], [1024, 1024]);
    const up = linearTaps(2, 4);
    // fx = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel).
    assert.deepEqual([...up.i0], [0, 0, 0, 1]);
    assert.deepEqual([...up.w1], [0, 512, 1536, 0]);
  });

  it('resizes, pads with 114 and writes CHW planes in the given channel order', () => {
    // 2x1 source, two pixels (10,20,30) and (110,120,130), stretched to 4x2 on a 4x4 canvas.
    const src = new Uint8Array([10, 20, 30, 110, 120, 130]);
    const lb = { inputSize: 4, srcWidth: 2, srcHeight: 1, scale: 2, width: 4, height: 2, padX: 0, padY: 1 };
    const out = new Float32Array(48);
    letterboxToTensor(src, lb, 1, out);
    const plane = (c: number) => [...out.subarray(c * 16, c * 16 + 16)];
    // Row 0 and row 3 are padding; rows 1-2 hold the resized image: weights 1, .75/.25, .25/.75, 1.
    assert.deepEqual(plane(0), [114, 114, 114, 114, 10, 35, 85, 110, 10, 35, 85, 110, 114, 114, 114, 114]);
    assert.deepEqual(plane(2).slice(4, 8), [30, 55, 105, 130]);
  });

  it('averages 2x2 blocks on an exact halving, and divides by 255 for Ultralytics', () => {
    const src = new Uint8Array(4 * 2 * 3);
    [0, 10, 20, 30, 40, 50, 60, 71].forEach((v, i) => src.fill(v, i * 3, i * 3 + 3));
    const lb = { inputSize: 2, srcWidth: 4, srcHeight: 2, scale: 0.5, width: 2, height: 1, padX: 0, padY: 0 };
    const out = new Float32Array(12);
    letterboxToTensor(src, lb, 255, out);
    // (0+10+40+50+2)>>2 = 25, (20+30+60+71+2)>>2 = 45; second row is padding.
    assert.deepEqual([...out.subarray(0, 4)], [25 / 255, 45 / 255, 114 / 255, 114 / 255].map(Math.fround));
  });

  it('matches the plain per-pixel formula on random frames of every shape (SIMD tails, row reuse, both families)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    // The test videos' sizes at the real input size, then random shapes on small canvases.
    const shapes: Array<[number, number, number[]]> = [[640, 360, [416]], [832, 468, [416]], [320, 568, [416]], [416, 234, [416]], [1, 1, [31]], [3, 2, [31]], [5, 7, [31]]];
    for (let k = 0; k < 40; k++) shapes.push([1 + Math.floor(random() * 200), 1 + Math.floor(random() * 200), [31, 64]]);
    for (const [w, h, sides] of shapes) {
      const src = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(random() * 256));
      for (const family of ['yolox', 'yolov8'] as const) {
        for (const side of sides) {
          const lb = computeLetterbox(family, w, h, side);
          const divisor = family === 'yolox' ? 1 : 255;
          const out = new Float32Array(3 * side * side).fill(-1);
          letterboxToTensor(src, lb, divisor, out);
          const expected = referenceLetterbox(src, lb, divisor);
          const at = out.findIndex((v, i) => v !== expected[i]);
          assert.equal(at, -1, `${w}x${h} -> ${family} ${side}: value ${at} is ${out[at]}, expected ${expected[at]}`);
        }
      }
    }
  });

  it('refuses a frame of the wrong size', () => {
    const lb = computeLetterbox('yolox', 4, 4, 32);
    assert.throws(() => letterboxToTensor(new Uint8Array(10), lb, 1, new Float32Array(3 * 32 * 32)), /expected 48/);
  });
});

/**
 * OpenCV's INTER_LINEAR on uint8, one output value at a time and nothing else: the horizontal
 * fixed-point pass for both source rows, then the vertical pass's rounding; an exact 2x reduction
 * is INTER_AREA's rounded 2x2 average; the same size is a copy.
 */
function referenceLetterbox(src: Uint8Array, lb: Letterbox, divisor: number): Float32Array {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh, inputSize: side, padX, padY } = lb;
  const plane = side * side;
  const out = new Float32Array(3 * plane).fill(114 / divisor);
  const at = (x: number, y: number, c: number) => src[(y * sw + x) * 3 + c]!;
  const xs = linearTaps(sw, dw);
  const ys = linearTaps(sh, dh, false);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (sw === dw && sh === dh) v = at(x, y, c);
        else if (sw === 2 * dw && sh === 2 * dh) v = (at(2 * x, 2 * y, c) + at(2 * x + 1, 2 * y, c) + at(2 * x, 2 * y + 1, c) + at(2 * x + 1, 2 * y + 1, c) + 2) >> 2;
        else {
          const row = (sy: number) => at(xs.i0[x]!, sy, c) * xs.w0[x]! + at(xs.i1[x]!, sy, c) * xs.w1[x]!;
          v = ((((row(ys.i0[y]!) >> 4) * ys.w0[y]!) >> 16) + (((row(ys.i1[y]!) >> 4) * ys.w1[y]!) >> 16) + 2) >> 2;
        }
        out[c * plane + (y + padY) * side + x + padX] = v / divisor;
      }
    }
  }
  return out;
}
