import type { ChunkLayout, DetectedObject, FrameResult } from '@video-detect/shared';

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
}

export function filterObjects(objects: DetectedObject[], filter: ObjectFilter): DetectedObject[] {
  if (!filter.classes && filter.minScore === null) return objects;
  return objects.filter(
    (o) => (!filter.classes || filter.classes.has(o.label)) && (filter.minScore === null || o.score >= filter.minScore),
  );
}

export function filterFrames(frames: FrameResult[], filter: ObjectFilter): FrameResult[] {
  return frames.map((f) => ({ ...f, objects: filterObjects(f.objects, filter) }));
}
