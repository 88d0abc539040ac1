import { readChunks, type ChunkLayout, type FrameResult, type VideoStore } from '@video-detect/shared';

/** A time range in seconds; null: open. */
export interface TimeRange {
  from: number | null;
  to: number | null;
}

/** The analysed frames [first, end) (positions, as `offset` counts them) that lie in a time range. */
export interface FrameWindow {
  first: number;
  end: number;
}

export const inRange = (t: number, range: TimeRange) => (range.from === null || t >= range.from) && (range.to === null || t <= range.to);

/**
 * Where a time range lies among a video's analysed frames: each chunk's first timestamp (recorded
 * at planning) finds the chunk of each end, and that one chunk is read to find the frame. A chunk
 * not stored yet (still processing) gives its whole span: pages also drop frames outside the range.
 */
export async function frameWindow(videos: VideoStore, videoId: string, layout: ChunkLayout, range: TimeRange): Promise<FrameWindow> {
  if (range.from === null && range.to === null) return { first: 0, end: layout.framesTotal };
  const starts = (await videos.getChunkTimes(videoId)) ?? (await scanChunkTimes(videos, videoId, layout));
  const position = async (t: number, inclusive: boolean): Promise<number> => {
    const chunk = lastAtOrBefore(starts, t);
    if (chunk < 0) return 0;
    const [json] = await videos.getChunkResults(videoId, [chunk]);
    if (!json) return layout.start(chunk) + (inclusive ? layout.size(chunk) : 0);
    const frames = JSON.parse(json) as FrameResult[];
    return layout.start(chunk) + frames.filter((f) => (inclusive ? f.timestamp <= t : f.timestamp < t)).length;
  };
  const first = range.from === null ? 0 : await position(range.from, false);
  const end = range.to === null ? layout.framesTotal : await position(range.to, true);
  return { first, end: Math.max(first, end) };
}

/** The frames of a window of a completed video, a chunk's worth at a time in order (a chunk not stored is an error). */
export async function* windowFrames(videos: VideoStore, videoId: string, layout: ChunkLayout, { first, end }: FrameWindow): AsyncGenerator<FrameResult[]> {
  if (end <= first) return;
  for await (const { chunk, frames } of readChunks(videos, videoId, layout.chunkAt(first), layout.chunkAt(end - 1))) {
    if (frames === null) throw new Error(`chunk ${chunk} of video ${videoId} is missing`);
    const start = layout.start(chunk);
    yield frames.slice(Math.max(0, first - start), Math.min(frames.length, end - start));
  }
}

/** Index of the last value <= t in ascending `values`; -1 when there is none. */
function lastAtOrBefore(values: readonly number[], t: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Chunk start times of a video planned before they were recorded: read from its chunks (a missing one repeats the previous). */
async function scanChunkTimes(videos: VideoStore, videoId: string, layout: ChunkLayout): Promise<number[]> {
  const starts: number[] = [];
  if (layout.count === 0) return starts;
  for await (const { frames } of readChunks(videos, videoId, 0, layout.count - 1)) starts.push(frames?.[0]?.timestamp ?? starts.at(-1) ?? 0);
  return starts;
}
