import type { SourceFrameRange } from '../frame-range.js';
import { yuvFrameBytes, type YuvImage } from '../annotate/yuv-image.js';
import { inputOptions, type MediaInput } from '../media-input.js';
import type { MediaLimits } from '../media-limits.js';
import { FfmpegProcess, ffmpegSeconds, fixedSizeFrames } from './ffmpeg-process.js';

export interface DecodeRequest {
  ffmpegPath: string;
  /** The stored upload as ffmpeg reads it (a path, or a presigned URL). */
  file: MediaInput;
  /** Absolute index of the video stream. */
  streamIndex: number;
  /** Displayed (after rotation) frame size, pixels: what ffmpeg outputs. */
  width: number;
  height: number;
  /** A frame-exact range (see `sourceFrameRange`); null: every frame. */
  range: SourceFrameRange | null;
  limits?: MediaLimits;
}

/**
 * The video's frames as raw I420 images, in presentation order and display orientation (ffmpeg's
 * auto-rotation), decoded exactly as the detectors decode them: with a range, a seek to the
 * keyframe before it and a `select` on the time window between its neighbours' midpoints, so
 * frame n here is the frame the detections of index n were found on.
 */
export async function* decodeYuvFrames(req: DecodeRequest, signal?: AbortSignal): AsyncGenerator<YuvImage> {
  const { range } = req;
  const filters: string[] = [];
  if (range?.selectFrom != null) filters.push(`select='gte(t,${ffmpegSeconds(range.selectFrom)})'`);
  if (range?.selectTo != null) filters.push(`trim=end=${ffmpegSeconds(range.selectTo)}`);
  filters.push('format=yuv420p');
  const seek = range && range.seekTo > 0 ? ['-seek_timestamp', '1', '-noaccurate_seek', '-ss', ffmpegSeconds(range.seekTo)] : [];
  const ffmpeg = new FfmpegProcess(req.ffmpegPath, [
    ...seek,
    '-copyts',
    ...inputOptions(req.file),
    '-i',
    req.file.input,
    '-map',
    `0:${req.streamIndex}`,
    '-vf',
    filters.join(','),
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    'pipe:1',
  ], req.limits);
  const abort = () => ffmpeg.kill();
  signal?.addEventListener('abort', abort);
  try {
    for await (const frame of fixedSizeFrames(ffmpeg.child.stdout, yuvFrameBytes(req.width, req.height))) {
      yield { width: req.width, height: req.height, data: new Uint8Array(frame.buffer, frame.byteOffset, frame.length) };
    }
    await ffmpeg.done;
  } finally {
    signal?.removeEventListener('abort', abort);
    ffmpeg.kill();
  }
}

/** One frame as JPEG, scaled down to `maxWidth` (aspect kept, even height) when it is wider. */
export async function encodeJpeg(ffmpegPath: string, img: YuvImage, maxWidth: number | null, limits?: MediaLimits, quality = 3): Promise<Buffer> {
  const scale = maxWidth !== null && maxWidth < img.width ? [`scale=${Math.trunc(maxWidth)}:-2:flags=area`] : [];
  const ffmpeg = new FfmpegProcess(ffmpegPath, [
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${img.width}x${img.height}`, '-i', 'pipe:0',
    // JPEG's full-range YUV: the limited-range frame is expanded, so colours match what a player shows.
    '-vf', [...scale, 'scale=out_range=full', 'format=yuvj420p'].join(','),
    '-frames:v', '1', '-q:v', String(quality), '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1',
  ], limits);
  const parts: Buffer[] = [];
  ffmpeg.child.stdout.on('data', (d: Buffer) => parts.push(d));
  await ffmpeg.write(img.data);
  ffmpeg.child.stdin.end();
  await ffmpeg.done;
  return Buffer.concat(parts);
}
