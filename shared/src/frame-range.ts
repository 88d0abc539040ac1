/** A frame-exact slice of a video's source frames: what ffmpeg is told to decode. */
export interface SourceFrameRange {
  /** Source frames [startFrame, endFrame) in presentation order. */
  startFrame: number;
  endFrame: number;
  /** Presentation-time window in the stream's own timestamps (s), the midpoints to the neighbouring frames; null = open. */
  selectFrom: number | null;
  selectTo: number | null;
  /** Where to seek before decoding (s, stream timestamps, <= selectFrom); decoding starts at the keyframe before it. */
  seekTo: number;
}

/** How far before a range to seek: decoding starts at the keyframe before the seek point. */
const SEEK_MARGIN_S = 1;

export const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Source frames [startFrame, endFrame) as a time window bounded by the midpoints between
 * neighbouring frames' timestamps (`pts`, ascending), so a `select` on time can never take a frame
 * of a neighbouring range or miss one, whatever the frame rate does.
 */
export function sourceFrameRange(pts: readonly number[], startFrame: number, endFrame: number): SourceFrameRange {
  const selectFrom = startFrame === 0 ? null : midpoint(pts, startFrame);
  const selectTo = endFrame >= pts.length ? null : midpoint(pts, endFrame);
  // A stream timestamp, like selectFrom: decoders seek with -seek_timestamp.
  return { startFrame, endFrame, selectFrom, selectTo, seekTo: selectFrom === null ? 0 : Math.max(0, round6(selectFrom - SEEK_MARGIN_S)) };
}

/** The time halfway between frame i-1 and frame i. */
function midpoint(pts: readonly number[], i: number): number {
  const before = pts[i - 1] as number;
  const at = pts[i] as number;
  if (!(at > before)) throw new Error(`frames ${i - 1} and ${i} share the timestamp ${at}: cannot cut a chunk between them`);
  return round6((before + at) / 2);
}
