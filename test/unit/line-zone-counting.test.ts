import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_COUNTING, DEFAULT_TRACKER_SETTINGS, type AnalysisResults, type AnalysisSettings, type LineSpec, type ZoneSpec } from '@video-detect/shared';
import { analyseFrames } from '../../services/processor/src/analysis/track-counter.js';
import { renderScene, straightWalker, type SceneOptions, type Walker } from '../helpers/synthetic-scene.js';

/** Scenes are 1000 x 500 pixels: x fraction = x / 1000, y fraction = y / 500. */
const size = { width: 1000, height: 500 };
/** A person box is 60 x 160: the bottom-centre anchor is 80 px below the centre. */
const feet = (y: number) => y - 80;

async function count(walkers: Walker[], scene: SceneOptions, setup: { lines?: LineSpec[]; zones?: ZoneSpec[] } & Partial<Omit<AnalysisSettings, 'lines' | 'zones'>>): Promise<AnalysisResults> {
  const settings: AnalysisSettings = { ...DEFAULT_COUNTING, tracker: DEFAULT_TRACKER_SETTINGS, lines: [], zones: [], ...setup };
  const { frames } = renderScene(walkers, scene);
  const batches = Array.from({ length: Math.ceil(frames.length / 50) }, (_, i) => frames.slice(i * 50, i * 50 + 50));
  return analyseFrames(batches, settings, size);
}

const vertical: LineSpec = { name: 'door', points: [[0.5, 0], [0.5, 1]] };

describe('line counting', () => {
  it('counts `in` for a move from the right side to the left side looking from the first point to the second, `out` for the reverse', async () => {
    // Looking down the vertical line (first point on top), its right side is the screen's left.
    const walkers = [straightWalker([100, feet(300)], [900, feet(300)], 0, 4), straightWalker([900, feet(450)], [100, feet(450)], 0, 4)];
    const { lines } = await count(walkers, { fps: 10, duration: 4 }, { lines: [vertical] });
    assert.deepEqual(lines[0]?.counts, { person: { in: 1, out: 1 } });
    assert.deepEqual(lines[0]?.crossings.map((c) => [c.track_id, c.direction]).sort(), [[1, 'in'], [2, 'out']]);
    // Both reach x = 500 at 2 s: the crossing is dated by the first frame clearly on the new side.
    for (const c of lines[0].crossings) assert.ok(c.timestamp > 2 && c.timestamp <= 2.2, `crossed at ${c.timestamp}`);
    // A horizontal line drawn left to right: its right side is below it, so walking up is `in`.
    const up = await count([straightWalker([500, 450], [500, 100], 0, 4)], { fps: 10, duration: 4 }, { lines: [{ name: 'h', points: [[0, 0.5], [1, 0.5]] }] });
    assert.deepEqual(up.lines[0]?.counts, { person: { in: 1, out: 0 } });
  });

  it('counts a box jittering on the line not at all, and once when it then crosses for good', async () => {
    // The anchor sits on the line, its edges jittering ±20 px: outside the 11 px band on either side at random.
    const stand = (then: number): Walker => ({
      label: 'person',
      from: 0,
      to: 8,
      size: [60, 160],
      centre: (t) => (t < 5 ? [300, feet(250)] : [300, feet(250) + then * (t - 5)]),
    });
    const jittery = { fps: 30, duration: 8, jitter: 20, seed: 3 };
    const back = await count([stand(-60)], jittery, { lines: [{ name: 'h', points: [[0, 0.5], [1, 0.5]] }] });
    assert.deepEqual(back.lines[0]?.crossings, [], 'flickering, then back where it came from (above: y decreasing)');
    const across = await count([stand(60)], jittery, { lines: [{ name: 'h', points: [[0, 0.5], [1, 0.5]] }] });
    assert.deepEqual(across.lines[0]?.crossings.map((c) => c.direction), ['out'], 'flickering, then down across the line: once');
    // Without debounce and band the same scene counts over and over: the check above is not vacuous.
    const raw = await count([stand(60)], jittery, { lines: [{ name: 'h', points: [[0, 0.5], [1, 0.5]] }], debounce: 0, tolerance: 0 });
    assert.ok(raw.lines[0]!.crossings.length > 10, `raw flicker: ${raw.lines[0]!.crossings.length} crossings`);
  });

  it('ignores a path past the end of the line segment', async () => {
    const short: LineSpec = { name: 'short', points: [[0.5, 0], [0.5, 0.4]] };
    const { lines } = await count([straightWalker([100, feet(450)], [900, feet(450)], 0, 4)], { fps: 10, duration: 4 }, { lines: [short] });
    assert.deepEqual(lines[0]?.crossings, []);
  });

  it('never counts a track that was not confirmed', async () => {
    // Visible for two frames, one on each side of the line: a detection flash, never a track with min_hits 3.
    const flash = straightWalker([485, feet(300)], [515, feet(300)], 1, 1.1);
    const { lines } = await count([flash], { fps: 10, duration: 2 }, { lines: [vertical], debounce: 0 });
    assert.deepEqual(lines[0]?.crossings, []);
    const confirmed = await count([flash], { fps: 10, duration: 2 }, { lines: [vertical], debounce: 0, tracker: { ...DEFAULT_TRACKER_SETTINGS, min_hits: 1 } });
    assert.equal(confirmed.lines[0]?.crossings.length, 1, 'the same boxes count once they form a confirmed track');
  });

  it('counts the same at sampled frame rates, within one sampling interval of the true time', async () => {
    // 160 px/s: at 5 fps a 60 px wide box still overlaps itself from one analysed frame to the next, as IoU association needs.
    const walkers = [0, 6, 12].map((from, i) => straightWalker(i % 2 ? [900, feet(300)] : [100, feet(300)], i % 2 ? [100, feet(300)] : [900, feet(300)], from, from + 5));
    for (const fps of [30, 10, 5]) {
      const { lines } = await count(walkers, { fps, duration: 18 }, { lines: [vertical] });
      assert.deepEqual(lines[0]?.counts, { person: { in: 2, out: 1 } }, `${fps} fps`);
      // The anchor reaches the line at these times, and clears the 11 px band 0.07 s later.
      const truth = [2.5, 8.5, 14.5];
      for (const [i, c] of lines[0].crossings.entries()) assert.ok(c.timestamp > truth[i]! && c.timestamp <= truth[i]! + 0.07 + 1 / fps, `${fps} fps: crossing ${i} at ${c.timestamp}`);
    }
  });

  it('counts a move seen on the new side for exactly the debounce (0.3 s at 10 fps: four frames), not one seen for less', async () => {
    // 200 px/s: on the line at 1 s, clear of the 11 px band from 1.1 s (x = 520); gone after `until`.
    const leaving = (until: number) => straightWalker([300, feet(300)], [1300, feet(300)], 0, 5, { to: until });
    const seen = await count([leaving(1.4)], { fps: 10, duration: 2 }, { lines: [vertical], debounce: 0.3 });
    assert.deepEqual(seen.lines[0]?.counts, { person: { in: 1, out: 0 } }, '1.1, 1.2, 1.3, 1.4 s: 0.3 s');
    const brief = await count([leaving(1.3)], { fps: 10, duration: 2 }, { lines: [vertical], debounce: 0.3 });
    assert.deepEqual(brief.lines[0]?.counts, {}, '1.1 to 1.3 s: 0.2 s');
  });

  it("labels a crossing with its track's majority label", async () => {
    const car = straightWalker([100, feet(300)], [900, feet(300)], 0, 4, { label: 'car', labelAt: (t) => (t > 1.9 && t < 2.3 ? 'truck' : 'car') });
    const { lines } = await count([car], { fps: 10, duration: 4 }, { lines: [vertical] });
    assert.deepEqual(lines[0]?.counts, { car: { in: 1, out: 0 } });
  });
});

describe('zone counting', () => {
  const middle: ZoneSpec = { name: 'middle', polygon: [[0.4, 0], [0.6, 0], [0.6, 1], [0.4, 1]] };

  it('records entries, exits, dwell and occupancy', async () => {
    // Through the zone (x 400..600) at 100 px/s: inside from 4 s to 6 s. A second walker comes in at 5 s and stays.
    const stays: Walker = { label: 'person', from: 4, to: 10, size: [60, 160], centre: (t) => [t < 6 ? 700 - 100 * (t - 4) : 500, feet(450)] };
    const walkers = [straightWalker([0, feet(300)], [1000, feet(300)], 0, 10), stays];
    const { zones } = await count(walkers, { fps: 10, duration: 10 }, { zones: [middle], tolerance: 0.005 });
    const z = zones[0]!;
    assert.deepEqual(z.counts, { person: { entries: 2, exits: 1 } });
    const [first, second] = z.visits;
    assert.ok(first && Math.abs(first.enter - 4) <= 0.2 && Math.abs(first.exit - 6) <= 0.2 && first.exited, JSON.stringify(first));
    assert.ok(Math.abs(first.dwell - 2) <= 0.2);
    // The second is still inside when the video ends: its visit closes at its last frame (9.9 s), not as an exit.
    assert.ok(second && Math.abs(second.enter - 5) <= 0.2 && second.exit === 9.9 && !second.exited, JSON.stringify(second));
    assert.equal(z.max_occupancy, 2);
    assert.deepEqual(z.occupancy.map((o) => o.objects), [1, 2, 1, 0]);
  });

  it('does not enter a zone on a flicker at its edge', async () => {
    const edge: Walker = { label: 'person', from: 0, to: 6, size: [60, 160], centre: () => [400, feet(300)] };
    const { zones } = await count([edge], { fps: 30, duration: 6, jitter: 20, seed: 5 }, { zones: [middle] });
    assert.deepEqual(zones[0]?.visits, []);
  });
});
