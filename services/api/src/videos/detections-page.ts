import type { ChunkLayout, DetectedObject, FrameResult } from '@video-detect/shared';
import { inRange, type TimeRange } from './frame-window.js';

export interface ChunkSlice {
  chunk: number;
  /** Position of the chunk's first analysed frame among all analysed frames. */
  chunkStart: number;
  /** Slice [from, to) of the chunk's frames. */
  from: number;
  to: number;
}

/** Which stored chunks hold analysed frames [offset, offset + limit), as the planner laid them out. */
export function planPage(layout: ChunkLayout, offset: number, limit: number): ChunkSlice[] {
  const end = Math.min(layout.framesTotal, offset + limit);
  const slices: ChunkSlice[] = [];
  for (let pos = offset; pos < end; ) {
    const chunk = layout.chunkAt(pos);
    const chunkStart = layout.start(chunk);
    const to = Math.min(layout.size(chunk), end - chunkStart);
    slices.push({ chunk, chunkStart, from: pos - chunkStart, to });
    pos = chunkStart + to;
  }
  return slices;
}

export interface ObjectFilter {
  classes: Set<string> | null;
  minScore: number | null;
  trackId: number | null;
}

/** The objects that pass the filter, each with its `track_id` (null where the video was not tracked). */
export function filterObjects(objects: DetectedObject[], filter: ObjectFilter): Array<DetectedObject & { track_id: number | null }> {
  const kept = objects.map((o) => ({ ...o, track_id: o.track_id ?? null }));
  if (!filter.classes && filter.minScore === null && filter.trackId === null) return kept;
  return kept.filter(
    (o) =>
      (!filter.classes || filter.classes.has(o.label)) &&
      (filter.minScore === null || o.score >= filter.minScore) &&
      (filter.trackId === null || o.track_id === filter.trackId),
  );
}

/** A frame as /detections answers it: every object with its `track_id`. */
export type PageFrame = Omit<FrameResult, 'objects'> & { objects: ReturnType<typeof filterObjects> };

/** Frames in the time range, each with its objects filtered. */
export function filterFrames(frames: FrameResult[], filter: ObjectFilter & TimeRange): PageFrame[] {
  return frames.filter((f) => inRange(f.timestamp, filter)).map((f) => ({ ...f, objects: filterObjects(f.objects, filter) }));
}
