import type { FrameResult } from '@video-detect/shared';
import type { SegmentList, Timeline } from './track-schemas.js';

/** Track id -> the track's label: a box counts under its track's label, not its own (which may flicker). */
export type TrackLabels = ReadonlyMap<number, string>;

/** Per label (its tracks' label), the ids of the confirmed tracks with a box in the frame. */
function presentTracks(frame: FrameResult, labels: TrackLabels, classes: ReadonlySet<string> | null): Map<string, number[]> {
  const present = new Map<string, number[]>();
  for (const object of frame.objects) {
    const label = object.track_id ? labels.get(object.track_id) : undefined;
    if (!label || (classes && !classes.has(label))) continue;
    const ids = present.get(label);
    if (ids) ids.push(object.track_id!);
    else present.set(label, [object.track_id!]);
  }
  return present;
}

/**
 * Presence segments, frame by frame in order: per label, the times at least one confirmed object
 * of it is in the frame; two such intervals apart by at most `gap` seconds (between the last frame
 * with one and the next) are one segment. Memory: one open segment per label.
 */
export class SegmentBuilder {
  private readonly open = new Map<string, { start: number; end: number; max: number }>();
  private readonly closed: SegmentList['items'] = [];

  constructor(
    private readonly labels: TrackLabels,
    private readonly gap: number,
    private readonly classes: ReadonlySet<string> | null,
  ) {}

  add(frame: FrameResult): void {
    for (const [label, ids] of presentTracks(frame, this.labels, this.classes)) {
      const segment = this.open.get(label);
      if (segment && frame.timestamp - segment.end <= this.gap + 1e-9) {
        segment.end = frame.timestamp;
        segment.max = Math.max(segment.max, ids.length);
        continue;
      }
      if (segment) this.closed.push({ label, start: segment.start, end: segment.end, max_objects: segment.max });
      this.open.set(label, { start: frame.timestamp, end: frame.timestamp, max: ids.length });
    }
  }

  result(): SegmentList['items'] {
    const all = [...this.closed, ...[...this.open].map(([label, s]) => ({ label, start: s.start, end: s.end, max_objects: s.max }))];
    return all.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
  }
}

/** Per label and time bucket: distinct confirmed tracks present and the most objects in one frame; empty buckets are left out. */
export class TimelineBuilder {
  private current = -1;
  private entries = new Map<string, { tracks: Set<number>; max: number }>();
  private readonly items: Timeline['items'] = [];

  constructor(
    private readonly labels: TrackLabels,
    private readonly bucket: number,
    private readonly classes: ReadonlySet<string> | null,
  ) {}

  add(frame: FrameResult): void {
    // The epsilon keeps a frame exactly on a bucket boundary (2.0 s with 0.1 s buckets) in its bucket.
    const b = Math.floor(frame.timestamp / this.bucket + 1e-9);
    if (b !== this.current) this.flush(b);
    for (const [label, ids] of presentTracks(frame, this.labels, this.classes)) {
      const entry = this.entries.get(label) ?? { tracks: new Set<number>(), max: 0 };
      for (const id of ids) entry.tracks.add(id);
      entry.max = Math.max(entry.max, ids.length);
      this.entries.set(label, entry);
    }
  }

  result(): Timeline['items'] {
    this.flush(-1);
    return this.items;
  }

  private flush(next: number): void {
    const start = Math.round(this.current * this.bucket * 1e6) / 1e6;
    for (const [label, e] of [...this.entries].sort(([a], [b]) => a.localeCompare(b))) this.items.push({ start, label, tracks: e.tracks.size, max_objects: e.max });
    this.entries = new Map();
    this.current = next;
  }
}
