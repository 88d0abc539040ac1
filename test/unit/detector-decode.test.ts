import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  boxIou,
  computeLetterbox,
  decodeYolov8Output,
  decodeYoloxOutput,
  nonMaxSuppression,
  toDetectedObjects,
  yoloxAnchorCount,
  type Candidate,
} from '../../services/detector/src/index.js';

const all = { scoreThreshold: 0.3, classIds: null, multiLabel: false };
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-4, `${actual} != ${expected}`);

describe('decodeYoloxOutput', () => {
  // Input side 64: grids 8x8 (stride 8), 4x4 (16), 2x2 (32) = 84 rows of 5 + 3 classes.
  const side = 64;
  const classes = 3;
  const rowLength = 5 + classes;

  it('counts one row per grid cell of strides 8/16/32', () => {
    assert.equal(yoloxAnchorCount(416), 52 * 52 + 26 * 26 + 13 * 13);
    assert.equal(yoloxAnchorCount(416), 3549);
    assert.equal(yoloxAnchorCount(side), 84);
  });

  it('grid-decodes a box: cell order stride by stride, row-major; score = obj * cls', () => {
    const data = new Float32Array(84 * rowLength);
    // Stride 16, cell gx=1, gy=2: row 64 (after the 8x8 grid) + 2*4 + 1.
    const row = (64 + 2 * 4 + 1) * rowLength;
    data.set([0.5, 0.25, Math.log(2), 0, 0.9, 0.1, 0.2, 0.8], row);
    const [c, ...rest] = decodeYoloxOutput(data, 0, side, classes, all);
    assert.equal(rest.length, 0);
    // cx = (0.5 + 1) * 16 = 24, cy = (0.25 + 2) * 16 = 36, w = 2 * 16 = 32, h = 16.
    assert.equal(c!.classId, 2);
    close(c!.score, 0.72);
    for (const [k, v] of Object.entries({ x1: 8, y1: 28, x2: 40, y2: 44 })) close(c![k as 'x1'], v);
  });

  it('drops low scores, filters classes, and can emit every class above the threshold', () => {
    const data = new Float32Array(2 * 84 * rowLength);
    // Second image of a batch (offset), stride 32 cell (1, 1): the last row.
    const offset = 84 * rowLength;
    data.set([0, 0, 0, 0, 0.9, 0.5, 0.6, 0.1], offset + 83 * rowLength);
    // A row whose objectness alone is below the threshold.
    data.set([0, 0, 0, 0, 0.2, 1, 1, 1], offset);
    const single = decodeYoloxOutput(data, offset, side, classes, all);
    assert.deepEqual(single.map((c) => c.classId), [1]);
    close(single[0]!.x1, (0 + 1) * 32 - 16);
    const multi = decodeYoloxOutput(data, offset, side, classes, { ...all, multiLabel: true });
    assert.deepEqual(multi.map((c) => c.classId), [0, 1]);
    assert.deepEqual(decodeYoloxOutput(data, offset, side, classes, { ...all, classIds: new Set([0]) }), []);
    assert.equal(decodeYoloxOutput(data, 0, side, classes, all).length, 0);
  });
});

describe('decodeYolov8Output', () => {
  it('reads channel-major [4 + C, N]: centre/size boxes, best class, no objectness', () => {
    const anchors = 5;
    const classes = 2;
    const data = new Float32Array((4 + classes) * anchors);
    const set = (channel: number, anchor: number, v: number) => (data[channel * anchors + anchor] = v);
    // Anchor 3: box centred at (100, 50), 40x20; class 1 at 0.9, class 0 at 0.5.
    [100, 50, 40, 20].forEach((v, k) => set(k, 3, v));
    set(4, 3, 0.5);
    set(5, 3, 0.9);
    // Anchor 1: only 0.2.
    set(4, 1, 0.2);
    const [c, ...rest] = decodeYolov8Output(data, 0, anchors, classes, all);
    assert.equal(rest.length, 0);
    assert.deepEqual({ ...c, score: Math.round(c!.score * 100) / 100 }, { classId: 1, score: 0.9, x1: 80, y1: 40, x2: 120, y2: 60 });
    const multi = decodeYolov8Output(data, 0, anchors, classes, { ...all, multiLabel: true });
    assert.deepEqual(multi.map((m) => m.classId).sort(), [0, 1]);
  });
});

describe('nonMaxSuppression', () => {
  const box = (classId: number, score: number, x1: number, y1 = 0, size = 10): Candidate => ({ classId, score, x1, y1, x2: x1 + size, y2: y1 + size });

  it('computes IoU without the +1 convention', () => {
    assert.equal(boxIou(box(0, 1, 0), box(0, 1, 5)), 50 / 150);
    assert.equal(boxIou(box(0, 1, 0), box(0, 1, 10)), 0);
  });

  it('suppresses overlaps within a class only, best score first', () => {
    const kept = nonMaxSuppression([box(0, 0.6, 1), box(0, 0.9, 0), box(1, 0.8, 0), box(0, 0.7, 30)], 0.45, 100);
    assert.deepEqual(kept.map((k) => [k.classId, k.score]), [[0, 0.9], [1, 0.8], [0, 0.7]]);
  });

  it('keeps boxes at or below the IoU threshold and caps the count', () => {
    // IoU 50/150 = 0.33: kept at 0.45, suppressed at 0.3.
    assert.equal(nonMaxSuppression([box(0, 0.9, 0), box(0, 0.8, 5)], 0.45, 100).length, 2);
    assert.equal(nonMaxSuppression([box(0, 0.9, 0), box(0, 0.8, 5)], 0.3, 100).length, 1);
    const many = Array.from({ length: 10 }, (_, i) => box(i, i / 10, 0));
    assert.deepEqual(nonMaxSuppression(many, 0.45, 3).map((k) => k.classId), [9, 8, 7]);
  });
});

describe('toDetectedObjects', () => {
  it('maps back to source pixels (centred padding), clips to the frame, rounds', () => {
    // 320x568 into 640: r = 640/568, resized 361x640, padX = 139.
    const lb = computeLetterbox('yolov8', 320, 568, 640);
    const [o] = toDetectedObjects(
      [{ classId: 0, score: 0.876543, x1: 100, y1: 320, x2: 139 + 160 * lb.scale, y2: 700 }],
      lb,
      ['person'],
      { nmsIou: 0.45, maxPerFrame: 100 },
    );
    assert.equal(o!.label, 'person');
    assert.equal(o!.score, 0.8765);
    assert.deepEqual(o!.box, [0, Math.round((320 / lb.scale) * 100) / 100, 160, 568]);
  });

  it('maps YOLOX boxes by 1/r with no offset', () => {
    const lb = computeLetterbox('yolox', 640, 360, 416);
    const [o] = toDetectedObjects([{ classId: 1, score: 0.5, x1: 13, y1: 26, x2: 130, y2: 260 }], lb, ['a', 'b'], { nmsIou: 0.45, maxPerFrame: 100 });
    assert.deepEqual(o, { label: 'b', class_id: 1, score: 0.5, box: [20, 40, 200, 360] });
  });
});
