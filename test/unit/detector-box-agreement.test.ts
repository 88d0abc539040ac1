import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DetectedObject } from '@video-detect/shared';
import { emptyTally, tallyFrame } from '../../services/detector/src/index.js';

const box = (label: string, score: number, b: [number, number, number, number], classId = label === 'person' ? 0 : 39): DetectedObject => ({ label, class_id: classId, score, box: b });

describe('box agreement between two runs (GPU vs CPU provider)', () => {
  it('counts matched boxes both ways and keeps the worst IoU and score difference', () => {
    const tally = emptyTally();
    const cpu = [box('person', 0.9, [10, 10, 110, 210]), box('bottle', 0.5, [300, 40, 340, 140])];
    const gpu = [box('bottle', 0.52, [301, 40, 340, 141]), box('person', 0.9, [10, 10, 110, 210])];
    tallyFrame(tally, 'frame 0', cpu, gpu, ['cpu', 'gpu']);
    assert.equal(tally.frames, 1);
    assert.equal(tally.matched, 4);
    assert.equal(tally.problemCount, 0);
    assert.ok(Math.abs(tally.worstIou - 3900 / (4000 + 39 * 101 - 3900)) < 1e-9, String(tally.worstIou));
    assert.ok(Math.abs(tally.worstScoreDelta - 0.02) < 1e-9);
  });

  it('a box missing on one side, moved too far, of another class or scoring too differently is a problem', () => {
    const tally = emptyTally();
    const cpu = [box('person', 0.8, [0, 0, 100, 100]), box('person', 0.7, [200, 0, 300, 100]), box('bottle', 0.6, [400, 0, 440, 100]), box('person', 0.5, [500, 0, 600, 100])];
    const gpu = [box('person', 0.8, [20, 0, 120, 100]), box('bottle', 0.7, [200, 0, 300, 100], 39), box('person', 0.4, [500, 0, 600, 100])];
    tallyFrame(tally, 'frame 7', cpu, gpu, ['cpu', 'gpu']);
    // cpu: moved (IoU 0.67), class differs, bottle missing, score 0.5 vs 0.4; gpu: moved, bottle has no bottle at IoU 0.9, 0.4 vs 0.5.
    assert.equal(tally.matched, 0);
    assert.equal(tally.problemCount, 7);
    assert.match(tally.problems[0]!, /^frame 7: cpu person 0\.800 \[0\.0, 0\.0, 100\.0, 100\.0\] unmatched \(closest person 0\.800 \[20\.0, 0\.0, 120\.0, 100\.0\], IoU 0\.667\)/);
    assert.match(tally.problems[2]!, /cpu bottle 0\.600 .* unmatched \(closest bottle 0\.700 .*IoU 0\.000\)/);
  });

  it('boxes under the minimum score need no match (they may fall under the threshold on the other side)', () => {
    const tally = emptyTally();
    tallyFrame(tally, 'f', [box('person', 0.29, [0, 0, 10, 10])], [], ['cpu', 'gpu']);
    assert.deepEqual([tally.matched, tally.problemCount], [0, 0]);
    tallyFrame(tally, 'f', [box('person', 0.31, [0, 0, 10, 10])], [box('person', 0.28, [0, 0, 10, 10])], ['cpu', 'gpu']);
    assert.deepEqual([tally.matched, tally.problemCount], [1, 0], 'the 0.31 box is matched by a 0.28 one: within 0.05');
  });
});
