import { ChunkLayout } from '@video-detect/shared';

export interface ChunkPlan {
  chunkIndex: number;
  /** Source frames [startFrame, endFrame) are decoded by the detector. */
  startFrame: number;
  endFrame: number;
  selectFrom: number | null;
  selectTo: number | null;
  seekTo: number;
  /** Source indices analysed in this chunk and their times from the start of the video. */
  frameIndices: number[];
  timestamps: number[];
}

export interface PlanInput {
  /** Presentation timestamps of every source frame, ascending (stream timeline, seconds). */
  pts: readonly number[];
  /** Source indices to analyse, ascending. */
  analysed: readonly number[];
  /** Most analysed frames per chunk (CHUNK_FRAMES); chunks are as even as possible (ChunkLayout). */
  chunkFrames: number;
  /** Container start time: timestamps reported to clients are `pts - startTime`. */
  startTime: number;
}

/** How far before a chunk to seek: decoding starts at the keyframe before the seek point. */
const SEEK_MARGIN_S = 1;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Cuts the analysed frames into chunks as ChunkLayout lays them out. Each chunk's source range is bounded by
 * the midpoints between neighbouring frames' timestamps, so a frame-exact `select` on time can
 * never put a frame in two chunks or none, whatever the frame rate does.
 */
export function planChunks({ pts, analysed, chunkFrames, startTime }: PlanInput): ChunkPlan[] {
  const layout = new ChunkLayout(analysed.length, chunkFrames);
  const chunks: ChunkPlan[] = [];
  for (let chunk = 0; chunk < layout.count; chunk++) {
    const first = layout.start(chunk);
    const frameIndices = analysed.slice(first, first + layout.size(chunk));
    const startFrame = frameIndices[0] as number;
    const endFrame = (frameIndices.at(-1) as number) + 1;
    const selectFrom = startFrame === 0 ? null : midpoint(pts, startFrame);
    const selectTo = endFrame >= pts.length ? null : midpoint(pts, endFrame);
    chunks.push({
      chunkIndex: chunks.length,
      startFrame,
      endFrame,
      selectFrom,
      selectTo,
      // A stream timestamp, like selectFrom: the detector seeks with -seek_timestamp.
      seekTo: selectFrom === null ? 0 : Math.max(0, round6(selectFrom - SEEK_MARGIN_S)),
      frameIndices,
      timestamps: frameIndices.map((i) => Math.max(0, round6((pts[i] as number) - startTime))),
    });
  }
  return chunks;
}

/** The time halfway between frame i-1 and frame i. */
function midpoint(pts: readonly number[], i: number): number {
  const before = pts[i - 1] as number;
  const at = pts[i] as number;
  if (!(at > before)) throw new Error(`frames ${i - 1} and ${i} share the timestamp ${at}: cannot cut a chunk between them`);
  return round6((before + at) / 2);
}
