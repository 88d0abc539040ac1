import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkLayout, type FrameResult } from '@video-detect/shared';
import { filterObjects, planPage } from '../../services/api/src/videos/detections-page.js';
import { ChunkResultMerger } from '../../services/processor/src/jobs/merge-chunk-results.js';

describe('ChunkLayout', () => {
  it('splits into as few chunks as the maximum allows, sizes differing by at most one', () => {
    const sizes = (total: number, max: number) => {
      const l = new ChunkLayout(total, max);
      return Array.from({ length: l.count }, (_, i) => l.size(i));
    };
    assert.deepEqual(sizes(10, 4), [4, 3, 3]);
    assert.deepEqual(sizes(1189, 128), [119, 119, 119, 119, 119, 119, 119, 119, 119, 118]);
    assert.deepEqual(sizes(8, 4), [4, 4]);
    assert.deepEqual(sizes(1, 128), [1]);
    assert.deepEqual(sizes(0, 128), []);
  });

  it('places every position in exactly one chunk, in order', () => {
    for (const [total, max, sizing] of [[10, 4, 'even'], [1189, 128, 'even'], [37, 5, 'even'], [100, 1, 'even'], [5, 100, 'even'], [10, 4, 'fixed'], [1189, 128, 'fixed']] as const) {
      const l = new ChunkLayout(total, max, sizing);
      for (let pos = 0; pos < total; pos++) {
        const chunk = l.chunkAt(pos);
        assert.ok(pos >= l.start(chunk) && pos < l.start(chunk) + l.size(chunk), `${total}/${max}: ${pos} not in chunk ${chunk}`);
      }
      assert.equal(l.start(l.count - 1) + l.size(l.count - 1), total);
    }
  });
});

describe('planPage', () => {
  const even = (total: number, max: number) => new ChunkLayout(total, max);
  it('maps frame offsets to chunk slices', () => {
    // 10 frames, at most 4 a chunk: chunks of 4, 3 and 3 starting at 0, 4 and 7.
    assert.deepEqual(planPage(even(10, 4), 0, 3), [{ chunk: 0, chunkStart: 0, from: 0, to: 3 }]);
    assert.deepEqual(planPage(even(10, 4), 3, 6), [
      { chunk: 0, chunkStart: 0, from: 3, to: 4 },
      { chunk: 1, chunkStart: 4, from: 0, to: 3 },
      { chunk: 2, chunkStart: 7, from: 0, to: 2 },
    ]);
    assert.deepEqual(planPage(even(10, 4), 8, 100), [{ chunk: 2, chunkStart: 7, from: 1, to: 3 }]);
    assert.deepEqual(planPage(even(10, 4), 10, 5), []);
  });

  it('reads videos planned with fixed-size chunks the way they were cut', () => {
    // 250 frames, at most 100: 100, 100, 50 (even sizing would be 84, 83, 83).
    const fixed = new ChunkLayout(250, 100, 'fixed');
    assert.deepEqual(planPage(fixed, 90, 120), [
      { chunk: 0, chunkStart: 0, from: 90, to: 100 },
      { chunk: 1, chunkStart: 100, from: 0, to: 100 },
      { chunk: 2, chunkStart: 200, from: 0, to: 10 },
    ]);
    assert.deepEqual([0, 1, 2].map((c) => fixed.size(c)), [100, 100, 50]);
    assert.throws(() => fixed.size(3), /no chunk 3/);
  });
});

describe('filterObjects', () => {
  const objects = [
    { label: 'person', class_id: 0, score: 0.9, box: [0, 0, 1, 1] as [number, number, number, number], track_id: 4 },
    { label: 'cup', class_id: 41, score: 0.3, box: [0, 0, 1, 1] as [number, number, number, number] },
  ];
  const none = { classes: null, minScore: null, trackId: null };
  it('filters by class, score and track, and gives every object its track_id (null when not tracked)', () => {
    assert.deepEqual(filterObjects(objects, none).map((o) => o.track_id), [4, null]);
    assert.deepEqual(filterObjects(objects, { ...none, classes: new Set(['cup']) }).map((o) => o.label), ['cup']);
    assert.deepEqual(filterObjects(objects, { ...none, minScore: 0.5 }).map((o) => o.label), ['person']);
    assert.deepEqual(filterObjects(objects, { ...none, trackId: 4 }).map((o) => o.label), ['person']);
  });
});

describe('ChunkResultMerger', () => {
  const frame = (index: number, labels: Array<[string, number]>): FrameResult => ({
    index,
    timestamp: index / 10,
    objects: labels.map(([label, score]) => ({ label, class_id: 0, score, box: [0, 0, 1, 1] })),
  });

  it('summarises per class: frames seen and best score', () => {
    const m = new ChunkResultMerger(new ChunkLayout(3, 2));
    m.add(0, [frame(0, [['cup', 0.5], ['cup', 0.7]]), frame(1, [])]);
    m.add(1, [frame(2, [['cup', 0.4], ['person', 0.9]])]);
    assert.equal(m.complete(), true);
    assert.deepEqual(m.summary, { cup: { frames: 2, max_score: 0.7 }, person: { frames: 1, max_score: 0.9 } });
  });

  it('finds missing chunks, short chunks and repeated frames', () => {
    const missing = new ChunkResultMerger(new ChunkLayout(4, 2));
    missing.add(0, [frame(0, []), frame(1, [])]);
    missing.add(1, null);
    assert.equal(missing.complete(), false);
    assert.match(missing.problems.join(), /chunk 1 has no stored result/);

    const repeated = new ChunkResultMerger(new ChunkLayout(4, 2));
    repeated.add(0, [frame(0, []), frame(1, [])]);
    repeated.add(1, [frame(1, []), frame(2, [])]);
    assert.equal(repeated.complete(), false);
    assert.match(repeated.problems.join(), /repeated/);

    const short = new ChunkResultMerger(new ChunkLayout(4, 2));
    short.add(0, [frame(0, []), frame(1, [])]);
    short.add(1, [frame(2, [])]);
    assert.equal(short.complete(), false);
    assert.match(short.problems.join(), /holds 1 frames, expected 2/);

    const beyond = new ChunkResultMerger(new ChunkLayout(4, 2));
    beyond.add(2, [frame(4, [])]);
    assert.match(beyond.problems.join(), /chunk 2 is beyond the 2 chunk\(s\) planned/);
  });
});
