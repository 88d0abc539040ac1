import { ChunkLayout, round6, sourceFrameRange } from '@video-detect/shared';

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
    chunks.push({
      chunkIndex: chunks.length,
      ...sourceFrameRange(pts, startFrame, endFrame),
      frameIndices,
      timestamps: frameIndices.map((i) => Math.max(0, round6((pts[i] as number) - startTime))),
    });
  }
  return chunks;
}
