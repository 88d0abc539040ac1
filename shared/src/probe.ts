import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import { FfmpegMissingError, UnreadableVideoError } from './failures.js';
import type { VideoInfo } from './video-record.js';

/** What the services need to know about an upload's video stream. */
export interface ProbedVideo extends VideoInfo {
  /** Absolute stream index of the video stream in the container. */
  streamIndex: number;
  /** Container start time (s): subtract it from a frame's pts to get "seconds from the start". */
  startTime: number;
}

function ffprobe(file: string, ffprobePath: string): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    // fluent-ffmpeg spawns ffprobe with an argument array: the path never reaches a shell.
    const command = ffmpeg(file).setFfprobePath(ffprobePath);
    command.ffprobe((err: Error | null, data: FfprobeData) => (err ? reject(err) : resolve(data)));
  });
}

function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return null;
  const value = den === undefined ? num : den > 0 ? num / den : NaN;
  return Number.isFinite(value) && value > 0 ? value : null;
}

function parseNumber(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** -90, 90, 180 … from the display matrix (fluent-ffmpeg surfaces it as `rotation`) or the old `rotate` tag. */
function rotationOf(stream: FfprobeStream): number {
  const raw = parseNumber((stream as { rotation?: unknown }).rotation) ?? parseNumber((stream.tags as Record<string, unknown> | undefined)?.rotate) ?? 0;
  return Math.round(raw);
}

/**
 * Probes a file and describes its first real video stream (cover art is not a video).
 * Throws UnreadableVideoError when ffprobe cannot read it or it has no decodable video stream,
 * FfmpegMissingError when there is no ffprobe to ask.
 */
export async function probeVideo(file: string, ffprobePath = 'ffprobe'): Promise<ProbedVideo> {
  let data: FfprobeData;
  try {
    data = await ffprobe(file, ffprobePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FfmpegMissingError('ffprobe', ffprobePath);
    // ffprobe's last stderr line names the problem ("<file>: Invalid data found when processing input").
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean);
    const detail = (lines.findLast((l) => l.startsWith(`${file}:`)) ?? lines.at(-1) ?? 'unknown error').replace(`${file}: `, '');
    throw new UnreadableVideoError(`ffprobe could not read it (${detail})`);
  }
  const stream = data.streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0 && (s.height ?? 0) > 0,
  );
  if (!stream || stream.index === undefined) throw new UnreadableVideoError('the file has no video stream');
  if (!stream.codec_name) throw new UnreadableVideoError('the video stream has no codec ffmpeg can decode');

  const rotation = rotationOf(stream);
  const quarterTurn = Math.abs(rotation) % 180 === 90;
  const codedWidth = stream.width ?? 0;
  const codedHeight = stream.height ?? 0;
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate);
  const duration = parseNumber(stream.duration) ?? parseNumber(data.format.duration);
  const frameCount = parseNumber(stream.nb_frames);
  return {
    streamIndex: stream.index,
    codec: stream.codec_name,
    width: quarterTurn ? codedHeight : codedWidth,
    height: quarterTurn ? codedWidth : codedHeight,
    rotation,
    fps,
    duration,
    frame_count: frameCount !== null && frameCount > 0 ? frameCount : null,
    startTime: parseNumber(data.format.start_time) ?? 0,
  };
}

/** The codec of the file's first audio stream (`aac`, `opus` …), or null when it has none. */
export async function probeAudioCodec(file: string, ffprobePath = 'ffprobe'): Promise<string | null> {
  let data: FfprobeData;
  try {
    data = await ffprobe(file, ffprobePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FfmpegMissingError('ffprobe', ffprobePath);
    throw new UnreadableVideoError('ffprobe could not read it');
  }
  return data.streams.find((s) => s.codec_type === 'audio')?.codec_name ?? null;
}
