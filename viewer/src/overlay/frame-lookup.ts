/** What the overlay needs of an analysed frame. */
export interface TimedFrame {
  index: number;
  timestamp: number;
}

/**
 * The analysed frame to draw over the picture the browser shows at `mediaTime` (seconds): the
 * last one whose timestamp is not after it (within `tolerance`, half a frame, for rounding), and
 * only while it is still current: no older than `maxAge` (one frame, or the sampling interval when
 * only some frames were analysed). `frames` ascend by timestamp. DOM-free and unit-tested.
 */
export function frameAt<F extends TimedFrame>(frames: readonly F[], mediaTime: number, tolerance: number, maxAge: number): F | null {
  let lo = 0;
  let hi = frames.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.timestamp <= mediaTime + tolerance) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return null;
  const frame = frames[found]!;
  return mediaTime - frame.timestamp < maxAge + tolerance ? frame : null;
}
