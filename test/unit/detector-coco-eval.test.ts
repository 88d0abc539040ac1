import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cocoIou, evaluateCoco, type CocoDetection, type CocoGroundTruth } from '../../services/detector/src/eval/coco-eval.js';

const gt = (image_id: number, category_id: number, bbox: [number, number, number, number], iscrowd: 0 | 1 = 0): CocoGroundTruth => ({
  image_id,
  category_id,
  bbox,
  area: bbox[2] * bbox[3],
  iscrowd,
});
const dt = (image_id: number, category_id: number, bbox: [number, number, number, number], score: number): CocoDetection => ({ image_id, category_id, bbox, score });

describe('COCO AP (pycocotools semantics)', () => {
  it('IoU on [x, y, w, h]; a crowd region divides by the detection area only', () => {
    assert.equal(cocoIou([0, 0, 10, 10], [5, 0, 10, 10], false), 50 / 150);
    assert.equal(cocoIou([0, 0, 10, 10], [5, 0, 100, 100], true), 0.5);
  });

  it('perfect detections give AP 1; none give 0', () => {
    const gts = [gt(1, 1, [0, 0, 10, 10]), gt(2, 1, [10, 10, 20, 20])];
    assert.ok(Math.abs(evaluateCoco([1, 2], gts, gts.map((g) => dt(g.image_id, g.category_id, g.bbox, 0.9))).ap - 1) < 1e-12);
    assert.equal(evaluateCoco([1, 2], gts, []).ap, 0);
  });

  it('hand-computed case: precision envelope, 101 recall points, IoU thresholds', () => {
    // Two objects of one class. Best detection hits object A exactly; second-best is a false
    // positive; third hits object B with IoU 0.58 (matches at .50 and .55 only).
    const gts = [gt(1, 1, [0, 0, 10, 10]), gt(1, 1, [100, 0, 10, 10])];
    const dts = [dt(1, 1, [0, 0, 10, 10], 0.9), dt(1, 1, [50, 50, 10, 10], 0.8), dt(1, 1, [100, 0, 10, 5.8], 0.7)];
    const r = evaluateCoco([1], gts, dts);
    // At IoU <= .55: precision 1, 1/2, 2/3 -> envelope 1, 2/3, 2/3; recall .5 at the first, 1 at the
    // third: AP = (51 * 1 + 50 * 2/3) / 101. Above .55: only A is found: AP = 51/101.
    const low = (51 + (50 * 2) / 3) / 101;
    const high = 51 / 101;
    assert.ok(Math.abs(r.ap50 - low) < 1e-12);
    assert.ok(Math.abs(r.ap75 - high) < 1e-12);
    assert.ok(Math.abs(r.ap - (2 * low + 8 * high) / 10) < 1e-12);
  });

  it('crowd regions absorb matches without counting; classes without ground truth are left out', () => {
    const gts = [gt(1, 1, [0, 0, 10, 10]), gt(1, 1, [50, 50, 100, 100], 1)];
    // A true positive, two detections inside the crowd (ignored, not false positives), and a
    // detection of a class absent from the ground truth.
    const dts = [dt(1, 1, [0, 0, 10, 10], 0.5), dt(1, 1, [60, 60, 10, 10], 0.9), dt(1, 1, [80, 80, 10, 10], 0.8), dt(1, 2, [0, 0, 5, 5], 0.9)];
    const r = evaluateCoco([1], gts, dts);
    // 1 - 1e-16: pycocotools divides by tp + fp + eps.
    assert.ok(Math.abs(r.ap - 1) < 1e-12);
    assert.equal(r.categories, 1);
  });

  it('keeps only the best maxDets detections per image and class', () => {
    const gts = [gt(1, 1, [0, 0, 10, 10])];
    // The true positive has the lowest score: cut off at maxDets 2.
    const dts = [dt(1, 1, [50, 0, 10, 10], 0.9), dt(1, 1, [70, 0, 10, 10], 0.8), dt(1, 1, [0, 0, 10, 10], 0.1)];
    assert.equal(evaluateCoco([1], gts, dts, 2).ap, 0);
    assert.ok(Math.abs(evaluateCoco([1], gts, dts, 100).ap - 1 / 3) < 1e-12);
  });
});
