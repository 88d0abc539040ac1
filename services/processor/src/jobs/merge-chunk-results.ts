import type { ChunkLayout, FrameResult, Summary } from '@video-detect/shared';

/** Folds chunk results, in chunk order, into the completeness proof and the per-class summary. */
export class ChunkResultMerger {
  readonly summary: Summary = {};
  readonly problems: string[] = [];
  /** Chunks with no stored result, ascending. */
  readonly missingChunks: number[] = [];
  private framesSeen = 0;
  private lastIndex = -1;

  /** `layout`: how the video's chunks were cut (its frame count is the number of frames expected). */
  constructor(private readonly layout: ChunkLayout) {}

  add(chunkIndex: number, frameResults: FrameResult[] | null): void {
    if (chunkIndex >= this.layout.count) {
      this.problems.push(`chunk ${chunkIndex} is beyond the ${this.layout.count} chunk(s) planned`);
      return;
    }
    const expected = this.layout.size(chunkIndex);
    if (frameResults === null) {
      this.problems.push(`chunk ${chunkIndex} has no stored result`);
      this.missingChunks.push(chunkIndex);
      return;
    }
    if (frameResults.length !== expected) this.problems.push(`chunk ${chunkIndex} holds ${frameResults.length} frames, expected ${expected}`);
    for (const frame of frameResults) {
      if (frame.index <= this.lastIndex) this.problems.push(`frame ${frame.index} is out of order or repeated (after ${this.lastIndex})`);
      this.lastIndex = Math.max(this.lastIndex, frame.index);
      this.framesSeen++;
      const seen = new Map<string, number>();
      for (const o of frame.objects) seen.set(o.label, Math.max(seen.get(o.label) ?? 0, o.score));
      for (const [label, score] of seen) {
        const entry = (this.summary[label] ??= { frames: 0, max_score: 0 });
        entry.frames++;
        entry.max_score = Math.max(entry.max_score, score);
      }
    }
  }

  /** Every analysed frame present exactly once, in order. */
  complete(): boolean {
    const expected = this.layout.framesTotal;
    if (this.framesSeen !== expected) this.problems.push(`found ${this.framesSeen} frames, expected ${expected}`);
    return this.problems.length === 0;
  }
}
