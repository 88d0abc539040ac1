import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planChunks } from '../../services/processor/src/planning/plan-chunks.js';
import { sampleFrames } from '../../services/processor/src/planning/sample-frames.js';

const cfr = (n: number, fps: number, start = 0) => Array.from({ length: n }, (_, i) => Math.round((start + i / fps) * 1e6) / 1e6);

describe('sampleFrames', () => {
  it('keeps every frame without sampling', () => {
    assert.deepEqual(sampleFrames(cfr(5, 30), null), [0, 1, 2, 3, 4]);
  });
  it('keeps the first frame of each 1/sample_fps interval', () => {
    assert.deepEqual(sampleFrames(cfr(90, 30), 2), [0, 15, 30, 45, 60, 75]);
    assert.deepEqual(sampleFrames(cfr(30, 10), 1), [0, 10, 20]);
  });
  it('never exceeds the requested rate on variable frame rate, and keeps all frames when asked for more', () => {
    const vfr = [0, 0.033, 0.1, 0.4, 0.45, 0.9, 1.0, 1.01, 1.6];
    assert.deepEqual(sampleFrames(vfr, 2), [0, 5, 6, 8]);
    assert.deepEqual(sampleFrames(cfr(20, 10), 100), Array.from({ length: 20 }, (_, i) => i));
  });
  it('handles an offset start (the first frame at 0.003 s)', () => {
    assert.deepEqual(sampleFrames(cfr(60, 30, 0.003), 1), [0, 30]);
  });
});

describe('planChunks', () => {
  it('covers every analysed frame exactly once with frame-exact, midpoint time windows', () => {
    const pts = cfr(10, 10, 0.5);
    const chunks = planChunks({ pts, analysed: sampleFrames(pts, null), chunkFrames: 4, startTime: 0.5 });
    // At most 4 a chunk, as even as possible: 4, 3, 3.
    assert.deepEqual(chunks.map((c) => [c.startFrame, c.endFrame]), [[0, 4], [4, 7], [7, 10]]);
    assert.deepEqual(chunks.map((c) => c.frameIndices), [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assert.equal(chunks[0]?.selectFrom, null);
    assert.equal(chunks[0]?.selectTo, 0.85);
    assert.equal(chunks[1]?.selectFrom, 0.85);
    assert.equal(chunks[2]?.selectTo, null);
    assert.deepEqual(chunks[0]?.timestamps, [0, 0.1, 0.2, 0.3]);
    // seek: a stream timestamp one second before the window (1.15 s)
    assert.equal(chunks[2]?.seekTo, 0.15);
    assert.equal(chunks[1]?.seekTo, 0);
    for (const c of chunks) assert.equal(c.frameIndices.length, c.timestamps.length);
  });

  it('with sampling, a chunk decodes only from its first to its last analysed frame', () => {
    const pts = cfr(100, 10);
    const chunks = planChunks({ pts, analysed: sampleFrames(pts, 2), chunkFrames: 3, startTime: 0 });
    assert.deepEqual(chunks.map((c) => c.frameIndices), [[0, 5, 10], [15, 20, 25], [30, 35, 40], [45, 50, 55], [60, 65, 70], [75, 80, 85], [90, 95]]);
    assert.deepEqual([chunks[1]?.startFrame, chunks[1]?.endFrame], [15, 26]);
    assert.equal(chunks[1]?.selectFrom, 1.45);
    assert.equal(chunks[1]?.selectTo, 2.55);
    assert.equal(chunks[1]?.seekTo, 0.45);
  });

  it('refuses to cut between two frames with the same timestamp', () => {
    assert.throws(() => planChunks({ pts: [0, 0.1, 0.1, 0.2], analysed: [0, 1, 2, 3], chunkFrames: 2, startTime: 0 }), /share the timestamp/);
  });
});
