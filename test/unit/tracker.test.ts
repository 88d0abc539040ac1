import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRACKER_SETTINGS, type FrameResult, type Track, type TrackerSettings } from '@video-detect/shared';
import { ByteTracker } from '../../services/processor/src/tracking/byte-tracker.js';
import { renderScene, straightWalker, type SceneOptions, type Walker } from '../helpers/synthetic-scene.js';

interface Outcome {
  frames: FrameResult[];
  tracks: Track[];
  /** Walker index -> the track ids its boxes got (null: never confirmed). */
  idsOf: Map<number, Set<number | null>>;
  /** Track id -> the walkers whose boxes it holds. */
  walkersOf: Map<number, Set<number>>;
}

function track(walkers: Walker[], scene: SceneOptions, settings: Partial<TrackerSettings> = {}): Outcome {
  const { frames: input, truth } = renderScene(walkers, scene);
  const tracker = new ByteTracker({ ...DEFAULT_TRACKER_SETTINGS, ...settings });
  const events = [...input.flatMap((f) => tracker.push(f)), ...tracker.finish()];
  const frames = events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
  const tracks = events.flatMap((e) => (e.type === 'ended' ? [e.track] : [])).sort((a, b) => a.id - b.id);
  assert.deepEqual(frames.map((f) => f.index), input.map((f) => f.index), 'every frame handed out once, in order');
  const idsOf = new Map<number, Set<number | null>>();
  const walkersOf = new Map<number, Set<number>>();
  for (const [f, frame] of frames.entries()) {
    for (const [i, object] of frame.objects.entries()) {
      const walker = truth[f]![i]!;
      const id = object.track_id ?? null;
      (idsOf.get(walker) ?? idsOf.set(walker, new Set()).get(walker)!).add(id);
      if (id !== null) (walkersOf.get(id) ?? walkersOf.set(id, new Set()).get(id)!).add(walker);
    }
  }
  return { frames, tracks, idsOf, walkersOf };
}

/** Each walker is exactly one track, and each track exactly one walker. */
function assertOneTrackPerWalker(o: Outcome, walkers: number): void {
  assert.equal(o.tracks.length, walkers, `tracks: ${JSON.stringify(o.tracks.map((t) => [t.id, t.start, t.end]))}`);
  for (let w = 0; w < walkers; w++) assert.equal(o.idsOf.get(w)?.size, 1, `walker ${w} got ids ${[...(o.idsOf.get(w) ?? [])].join(',')}`);
  for (const [id, set] of o.walkersOf) assert.equal(set.size, 1, `track ${id} holds walkers ${[...set].join(',')}`);
}

describe('ByteTracker on synthetic scenes with known truth', () => {
  it('keeps identities when two people cross paths (Kalman prediction carries each through the overlap)', () => {
    const walkers = [
      straightWalker([100, 300], [700, 300], 0, 4),
      straightWalker([700, 320], [100, 320], 0, 4),
    ];
    for (const fps of [30, 10]) {
      const o = track(walkers, { fps, duration: 4, jitter: 2 });
      assertOneTrackPerWalker(o, 2);
      assert.equal(o.tracks[0]?.first_frame, 0);
    }
  });

  it('bridges an occlusion shorter than max_gap and ends the track after a longer one, in seconds at any frame rate', () => {
    for (const fps of [30, 12, 5]) {
      const short = track([straightWalker([100, 300], [700, 300], 0, 6, { hidden: [[2, 2.6]] })], { fps, duration: 6 });
      assertOneTrackPerWalker(short, 1);
      const long = track([straightWalker([100, 300], [700, 300], 0, 6, { hidden: [[2, 3.5]] })], { fps, duration: 6 });
      assert.equal(long.tracks.length, 2, `${fps} fps: a 1.5 s gap ends the track (max_gap 1 s): ${JSON.stringify(long.tracks)}`);
      assert.ok(long.tracks[0]!.end < 2 && long.tracks[1]!.start >= 3.5);
    }
  });

  it('gives people who enter and leave one after another one track each, numbered in order, with their times', () => {
    const walkers = [0, 4, 8].map((from) => straightWalker([50, 200], [600, 260], from, from + 3));
    const o = track(walkers, { fps: 10, duration: 12, jitter: 1 });
    assertOneTrackPerWalker(o, 3);
    assert.deepEqual(o.tracks.map((t) => [t.id, t.start, t.end, t.frames]), [
      [1, 0, 3, 31],
      [2, 4, 7, 31],
      [3, 8, 11, 31],
    ]);
    assert.deepEqual([...o.walkersOf.entries()].map(([id, w]) => [id, [...w]]), [[1, [0]], [2, [1]], [3, [2]]]);
  });

  it('confirms a track after min_hits and gives its first boxes the id too; a one-frame false positive stays null', () => {
    const walkers = [straightWalker([100, 300], [400, 300], 0, 2), straightWalker([600, 100], [600, 100], 1, 1.05)];
    const o = track(walkers, { fps: 10, duration: 2 });
    assert.equal(o.tracks.length, 1);
    assert.deepEqual([...o.idsOf.get(0)!], [1], 'every box of the person, the first two included');
    assert.deepEqual([...o.idsOf.get(1)!], [null], 'the flash is never confirmed');
    const brief = [straightWalker([100, 300], [110, 300], 0, 0.15)];
    assert.equal(track(brief, { fps: 10, duration: 1 }).tracks.length, 0, 'two hits are not enough with min_hits 3');
    assert.equal(track(brief, { fps: 10, duration: 1 }, { min_hits: 2 }).tracks.length, 1);
  });

  it('keeps a track through low-score boxes (second stage) and gives those boxes its id; low scores alone start nothing', () => {
    const fading = straightWalker([100, 300], [700, 300], 0, 4, { score: (t) => (t >= 1.5 && t < 2.5 ? 0.35 : 0.9) });
    const o = track([fading], { fps: 10, duration: 4 });
    assertOneTrackPerWalker(o, 1);
    const low = o.frames.flatMap((f) => f.objects).filter((x) => x.score < 0.5);
    assert.ok(low.length >= 9 && low.every((x) => x.track_id === 1), 'the low-score boxes belong to the track');
    // Without the second stage the track would be lost for a second and end (max_gap 0.5 s).
    const strict = track([fading], { fps: 10, duration: 4 }, { max_gap: 0.5 });
    assertOneTrackPerWalker(strict, 1);

    const faint = track([straightWalker([100, 300], [700, 300], 0, 4, { score: () => 0.4 })], { fps: 10, duration: 4 });
    assert.equal(faint.tracks.length, 0);
    assert.ok(faint.frames.every((f) => f.objects.every((x) => x.track_id === null)));
  });

  it('labels a track by the majority of its boxes, whatever single frames say', () => {
    const flicker = straightWalker([100, 300], [700, 300], 0, 3, { label: 'car', labelAt: (t) => (Math.round(t * 10) % 4 === 0 ? 'truck' : 'car') });
    const o = track([flicker], { fps: 10, duration: 3 });
    assert.equal(o.tracks.length, 1);
    assert.equal(o.tracks[0]?.label, 'car');
    assert.ok(o.frames.some((f) => f.objects.some((x) => x.label === 'truck' && x.track_id === 1)), 'the flickering boxes stay in the track');
  });

  it('hands frames out at most min_hits - 1 frames late, and a track only after its last frame', () => {
    const { frames } = renderScene([straightWalker([100, 300], [700, 300], 0, 3), straightWalker([100, 100], [700, 100], 1, 2)], { fps: 10, duration: 4 });
    const tracker = new ByteTracker(DEFAULT_TRACKER_SETTINGS);
    const out: number[] = [];
    for (const frame of frames) {
      for (const e of tracker.push(frame)) {
        if (e.type === 'frame') out.push(e.frame.index);
        else assert.ok(out.at(-1)! >= e.track.last_frame, `track ${e.track.id} handed out after frame ${e.track.last_frame}`);
      }
      assert.ok(frame.index - (out.at(-1) ?? -1) <= DEFAULT_TRACKER_SETTINGS.min_hits - 1, `frame ${frame.index}: held back too long (last out ${out.at(-1)})`);
    }
    const rest = tracker.finish();
    assert.ok(rest.every((e) => e.type === 'ended'));
  });

  it('gives the same ids for the same frames (re-analysis depends on it)', () => {
    const walkers = [straightWalker([100, 300], [700, 300], 0, 5), straightWalker([700, 310], [100, 310], 1, 5), straightWalker([300, 50], [300, 400], 2, 4)];
    const a = track(walkers, { fps: 15, duration: 5, jitter: 3, seed: 7 });
    const b = track(walkers, { fps: 15, duration: 5, jitter: 3, seed: 7 });
    assert.deepEqual(a.frames, b.frames);
    assert.deepEqual(a.tracks, b.tracks);
  });
});
