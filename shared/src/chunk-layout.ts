/**
 * How chunk sizes were chosen, recorded with each video (`chunk_layout`) so that results are read
 * back the way they were cut: `even` (what the planner cuts) or `fixed` (every chunk CHUNK_FRAMES
 * but the last: videos planned before even sizing, whose records have no `chunk_layout`).
 */
export type ChunkSizing = 'even' | 'fixed';

/**
 * How a video's analysed frames are split into chunks, known to the planner that cuts them, the
 * merge that checks them and the API that pages through them: as few chunks as keep each at most
 * `maxFrames` (CHUNK_FRAMES). With `even` sizing, the default, their sizes differ by at most one
 * (larger ones first), so the detectors finish a video together; with fixed-size chunks the short
 * last one left a detector idle at the end of every video.
 */
export class ChunkLayout {
  /** Number of chunks. */
  readonly count: number;
  /** Frames in every chunk but the larger ones (even) or the last one (fixed). */
  private readonly base: number;
  /** even: the first `extra` chunks hold base + 1 frames. */
  private readonly extra: number;

  constructor(
    readonly framesTotal: number,
    maxFrames: number,
    private readonly sizing: ChunkSizing = 'even',
  ) {
    if (!(Number.isInteger(framesTotal) && framesTotal >= 0)) throw new Error(`invalid frame count ${framesTotal}`);
    if (!(Number.isInteger(maxFrames) && maxFrames >= 1)) throw new Error(`invalid chunk size ${maxFrames}`);
    this.count = Math.ceil(framesTotal / maxFrames);
    const even = sizing === 'even' && this.count > 0;
    this.base = even ? Math.floor(framesTotal / this.count) : maxFrames;
    this.extra = even ? framesTotal % this.count : 0;
  }

  /** Frames in chunk `chunk`. */
  size(chunk: number): number {
    if (!(Number.isInteger(chunk) && chunk >= 0 && chunk < this.count)) throw new RangeError(`no chunk ${chunk} (of ${this.count})`);
    if (this.sizing === 'fixed') return Math.min(this.base, this.framesTotal - chunk * this.base);
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
