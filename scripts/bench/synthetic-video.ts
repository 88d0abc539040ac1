import type { Box, DetectedObject, FrameResult } from '@video-detect/shared';

/** The synthetic video's frame, in displayed pixels. */
export const SYNTHETIC_SIZE = { width: 1280, height: 720 };
/** A walker enters every this many seconds and crosses the frame in WALK_SECONDS. */
const EVERY = 2;
const WALK_SECONDS = 10;

/** A deterministic value in [0, 1) for (a, b): jitter and scores that are the same on every run. */
function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * Stored detections of a busy synthetic video, as long as asked, generated a chunk at a time:
 * walker k enters at 2k s and crosses the frame in 10 s (even k left to right, odd k right to
 * left, on one of five lanes), so about five are in view at once and each crosses the middle
 * x = 0.5 once; every seventh is a car, every eleventh is hidden for 0.5 s halfway, and a static
 * box at 0.32 (a false positive, never tracked) sits in every frame. Boxes jitter by ±2 px.
 */
export function syntheticFrames(fps: number, firstIndex: number, count: number): FrameResult[] {
  const frames: FrameResult[] = [];
  for (let index = firstIndex; index < firstIndex + count; index++) {
    const t = Math.round((index / fps) * 1e6) / 1e6;
    const objects: DetectedObject[] = [{ label: 'tv', class_id: 62, score: 0.32, box: [20, 20, 140, 100] }];
    for (let k = Math.max(0, Math.floor((t - WALK_SECONDS) / EVERY)); k <= Math.floor(t / EVERY); k++) {
      const object = walkerBox(k, t, index);
      if (object) objects.push(object);
    }
    frames.push({ index, timestamp: t, objects });
  }
  return frames;
}

/** Mean objects per frame over a video's first `framesTotal` frames (what its stored size depends on). */
export function syntheticObjectsPerFrame(framesTotal: number, fps = 30): number {
  let objects = 0;
  for (let first = 0; first < framesTotal; first += 1000) {
    for (const frame of syntheticFrames(fps, first, Math.min(1000, framesTotal - first))) objects += frame.objects.length;
  }
  return objects / framesTotal;
}

function walkerBox(k: number, t: number, index: number): DetectedObject | null {
  const u = (t - k * EVERY) / WALK_SECONDS;
  if (u < 0 || u > 1 || (k % 11 === 0 && u >= 0.3 && u < 0.35)) return null;
  const car = k % 7 === 0;
  const [w, h] = car ? [200, 100] : [60, 160];
  const span = SYNTHETIC_SIZE.width + w;
  const cx = k % 2 === 0 ? -w / 2 + span * u : SYNTHETIC_SIZE.width + w / 2 - span * u;
  const cy = 180 + (k % 5) * 100;
  const jitter = (n: number) => (hash01(index, k * 4 + n) * 2 - 1) * 2;
  const box: Box = [
    Math.max(0, cx - w / 2 + jitter(0)),
    cy - h / 2 + jitter(1),
    Math.min(SYNTHETIC_SIZE.width, cx + w / 2 + jitter(2)),
    cy + h / 2 + jitter(3),
  ];
  if (box[2] - box[0] < 8) return null;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { label: car ? 'car' : 'person', class_id: car ? 2 : 0, score: round(0.75 + hash01(k, index) * 0.2), box: box.map(round) as Box };
}

/**
 * The true count on a line at x = 0.5: every walker crosses it halfway through its walk, and is
 * counted once seen past it for the debounce (0.3 s, plus a frame or two to clear the band) before
 * the video ends.
 */
export function syntheticCrossings(seconds: number): number {
  let n = 0;
  for (let k = 0; k * EVERY + WALK_SECONDS / 2 + 0.4 < seconds; k++) n++;
  return n;
}
