/**
 * Which frames to analyse for `sample_fps`: the first frame of each 1/sample_fps interval since
 * the first frame, so at most `sampleFps` frames per second of video, evenly spread even when
 * the frame rate varies. null analyses every frame.
 */
export function sampleFrames(timestamps: readonly number[], sampleFps: number | null): number[] {
  if (sampleFps === null) return timestamps.map((_, i) => i);
  const first = timestamps[0] ?? 0;
  const picked: number[] = [];
  let lastBucket = -1;
  for (const [i, t] of timestamps.entries()) {
    // The small epsilon keeps a frame exactly on an interval boundary (e.g. 0.5 s at 2 fps) in its interval.
    const bucket = Math.floor((t - first) * sampleFps + 1e-6);
    if (bucket > lastBucket) {
      picked.push(i);
      lastBucket = bucket;
    }
  }
  return picked;
}
