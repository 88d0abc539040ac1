/**
 * How a video's analysed frames are split into chunks, known to the planner that cuts them, the
 * merge that checks them and the API that pages through them: as few chunks as keep each at most
 * `maxFrames` (CHUNK_FRAMES), their sizes as even as possible (they differ by at most one, larger
 * ones first). Even sizes let the detectors finish a video together; with fixed-size chunks the
 * short last one left a detector idle at the end of every video.
 */
export class ChunkLayout {
  /** Number of chunks. */
  readonly count: number;
  private readonly base: number;
  /** The first `extra` chunks hold base + 1 frames. */
  private readonly extra: number;

  constructor(
    readonly framesTotal: number,
    maxFrames: number,
  ) {
    if (!(Number.isInteger(framesTotal) && framesTotal >= 0)) throw new Error(`invalid frame count ${framesTotal}`);
    if (!(Number.isInteger(maxFrames) && maxFrames >= 1)) throw new Error(`invalid chunk size ${maxFrames}`);
    this.count = Math.ceil(framesTotal / maxFrames);
    this.base = this.count === 0 ? 0 : Math.floor(framesTotal / this.count);
    this.extra = this.count === 0 ? 0 : framesTotal % this.count;
  }

  /** Frames in chunk `chunk`. */
  size(chunk: number): number {
    return this.base + (chunk < this.extra ? 1 : 0);
  }

  /** Position (among the analysed frames) of the chunk's first frame. */
  start(chunk: number): number {
    return chunk * this.base + Math.min(chunk, this.extra);
  }

  /** The chunk holding the analysed frame at `position`. */
  chunkAt(position: number): number {
    const inLarger = this.extra * (this.base + 1);
    return position < inLarger ? Math.floor(position / (this.base + 1)) : this.extra + Math.floor((position - inLarger) / this.base);
  }
}
