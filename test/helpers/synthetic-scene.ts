import type { Box, DetectedObject, FrameResult } from '@video-detect/shared';

/** An object of a synthetic scene whose truth is known: where it is at each time, and when it is visible. */
export interface Walker {
  label: string;
  /** Seconds: visible from `from` up to `to` (inclusive), except in `hidden` windows. */
  from: number;
  to: number;
  /** Box centre in pixels at time t. */
  centre: (t: number) => [number, number];
  size: [number, number];
  /** Detector score at time t (default 0.9). */
  score?: (t: number) => number;
  /** Label the detector gives at time t (default `label`): for label flicker. */
  labelAt?: (t: number) => string;
  /** [start, end) windows (s) in which the detector misses it: occlusion. */
  hidden?: Array<[number, number]>;
}

/** mulberry32: a small seeded generator, so a "random" scene is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SceneOptions {
  fps: number;
  duration: number;
  /** Pixels of uniform noise on every box edge. */
  jitter?: number;
  seed?: number;
  /** First frame index and time offset (for scenes cut into pieces). */
  firstIndex?: number;
}

/** The frames a detector would produce for the walkers, and for each object which walker it is (the truth). */
export function renderScene(walkers: readonly Walker[], options: SceneOptions): { frames: FrameResult[]; truth: number[][] } {
  const frames: FrameResult[] = [];
  const truth: number[][] = [];
  const random = seededRandom(options.seed ?? 1);
  const count = Math.floor(options.duration * options.fps + 1e-9);
  for (let f = 0; f < count; f++) {
    const index = (options.firstIndex ?? 0) + f;
    const t = Math.round((index / options.fps) * 1e6) / 1e6;
    const objects: DetectedObject[] = [];
    const who: number[] = [];
    for (const [w, walker] of walkers.entries()) {
      if (t < walker.from || t > walker.to || walker.hidden?.some(([a, b]) => t >= a && t < b)) continue;
      const [cx, cy] = walker.centre(t);
      const [bw, bh] = walker.size;
      const noise = () => (options.jitter ? (random() * 2 - 1) * options.jitter : 0);
      const box: Box = [cx - bw / 2 + noise(), cy - bh / 2 + noise(), cx + bw / 2 + noise(), cy + bh / 2 + noise()];
      const label = walker.labelAt?.(t) ?? walker.label;
      objects.push({ label, class_id: label === 'person' ? 0 : 1, score: walker.score?.(t) ?? 0.9, box: box.map((v) => Math.round(v * 10) / 10) as Box });
      who.push(w);
    }
    frames.push({ index, timestamp: t, objects });
    truth.push(who);
  }
  return { frames, truth };
}

/** A walker moving in a straight line from `a` to `b` between `from` and `to`. */
export function straightWalker(a: [number, number], b: [number, number], from: number, to: number, extra: Partial<Walker> = {}): Walker {
  return {
    label: 'person',
    from,
    to,
    size: [60, 160],
    centre: (t) => {
      const u = to === from ? 0 : (t - from) / (to - from);
      return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u];
    },
    ...extra,
  };
}
