import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** A 440 Hz tone as AAC beside the video. */
  audio: boolean;
  /** Keyframe interval (frames): a seek must land before the frame asked for and decode forward. */
  gop: number;
}

/** A short H.264 clip of ffmpeg's `testsrc2` (every frame different: a moving pattern and a frame counter), written to `dir`. */
export function generateClip(dir: string, spec: ClipSpec): string {
  const file = path.join(dir, `clip-${spec.width}x${spec.height}-${spec.frames}${spec.audio ? '-a' : ''}.mp4`);
  const seconds = spec.frames / spec.fps;
  // The hue turns 50° a frame, so neighbouring frames differ everywhere (a wrong frame cannot pass for the right one).
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}:duration=${seconds},hue=H=n*50*PI/180`];
  if (spec.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`, '-c:a', 'aac', '-b:a', '64k');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(spec.gop), '-keyint_min', String(spec.gop), '-sc_threshold', '0', file);
  execFileSync('ffmpeg', args);
  return file;
}

/** Frame `index` decoded by ffmpeg from the start of the file (`select=eq(n,index)`), as RGB: a reference independent of our seeking. */
export function referenceFrameRgb(file: string, index: number, width: number, height: number): Buffer {
  const out = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 * 1024 * 1024 });
  if (out.length !== width * height * 3) throw new Error(`reference frame ${index}: ${out.length} bytes`);
  return out;
}

/** Mean absolute difference of two same-sized RGB images (0..255). */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The RGB pixel at (x, y) of an RGB image `width` wide. */
export const pixelAt = (rgb: Uint8Array, width: number, x: number, y: number): [number, number, number] => {
  const i = (y * width + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
};

/** Largest channel difference between two colours. */
export const colourDistance = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
