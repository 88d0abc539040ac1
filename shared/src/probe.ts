import { FfmpegMissingError, StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { inputOptions, isUnreachable, mediaInput, redactInput, type MediaInput } from './media-input.js';
import { limitStopReason, NO_MEDIA_LIMITS, spawnLimited, type MediaLimits } from './media-limits.js';
import type { VideoInfo } from './video-record.js';

/** What the services need to know about an upload's video stream. */
export interface ProbedVideo extends VideoInfo {
  /** Absolute stream index of the video stream in the container. */
  streamIndex: number;
  /** Container start time (s): subtract it from a frame's pts to get "seconds from the start". */
  startTime: number;
  /** The video stream's time base (`1/15360`): renders that keep source frame times are encoded in it. */
  timeBase: string;
}

/** The parts of `ffprobe -of json -show_streams -show_format` read here. */
interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  time_base?: string;
  duration?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number | string }[];
}
interface FfprobeData {
  streams?: FfprobeStream[];
  format?: { start_time?: string; duration?: string };
}

/** Runs ffprobe's JSON report (an argument array: the path never reaches a shell), under `limits`. */
function ffprobe(media: MediaInput, ffprobePath: string, limits: MediaLimits): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    const child = spawnLimited(ffprobePath, ['-v', 'error', ...inputOptions(media), '-of', 'json', '-show_streams', '-show_format', media.input], limits, { cpu: false, wallClock: true }, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new FfmpegMissingError('ffprobe', ffprobePath) : err));
    child.once('close', (code, signal) => {
      const stopped = limitStopReason(signal, limits, 'ffprobe');
      if (stopped) return reject(new UnreadableVideoError(`ffprobe could not read it (${stopped})`));
      if (code !== 0) {
        // ffprobe's last stderr line names the problem ("<file>: Invalid data found when processing input").
        // A presigned URL is a credential: messages name the media by its label.
        const lines = redactInput(stderr, media).split('\n').map((l) => l.trim()).filter(Boolean);
        const detail = (lines.findLast((l) => l.startsWith(`${media.label}:`)) ?? lines.at(-1) ?? `exit ${code}`).replace(`${media.label}: `, '');
        if (isUnreachable(media, detail)) return reject(new StorageUnavailableError('probing the upload', new Error(detail)));
        return reject(new UnreadableVideoError(`ffprobe could not read it (${detail})`));
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as FfprobeData);
      } catch {
        reject(new UnreadableVideoError('ffprobe could not read it (no report)'));
      }
    });
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

/** -90, 90, 180 … from the display matrix side data or the old `rotate` tag. */
function rotationOf(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const raw = parseNumber(matrix) ?? parseNumber(stream.tags?.rotate) ?? 0;
  return Math.round(raw);
}

/**
 * Probes a file (a path, or a presigned URL read with range requests) and describes its first real video stream (cover art is not a video).
 * Throws UnreadableVideoError when ffprobe cannot read it or it has no decodable video stream,
 * FfmpegMissingError when there is no ffprobe to ask.
 */
export async function probeVideo(source: MediaInput | string, ffprobePath = 'ffprobe', limits: MediaLimits = NO_MEDIA_LIMITS): Promise<ProbedVideo> {
  const data = await ffprobe(typeof source === 'string' ? mediaInput(source) : source, ffprobePath, limits);
  const stream = (data.streams ?? []).find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0 && (s.height ?? 0) > 0,
  );
  if (!stream || stream.index === undefined) throw new UnreadableVideoError('the file has no video stream');
  if (!stream.codec_name) throw new UnreadableVideoError('the video stream has no codec ffmpeg can decode');

  const rotation = rotationOf(stream);
  const quarterTurn = Math.abs(rotation) % 180 === 90;
  const codedWidth = stream.width ?? 0;
  const codedHeight = stream.height ?? 0;
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate);
  const duration = parseNumber(stream.duration) ?? parseNumber(data.format?.duration);
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
    startTime: parseNumber(data.format?.start_time) ?? 0,
    // 1/90000 (MPEG's clock) should ffprobe not say: fine enough for any frame rate.
    timeBase: /^\d+\/\d+$/.test(stream.time_base ?? '') && parseRate(stream.time_base) !== null ? stream.time_base! : '1/90000',
  };
}

/** The codec of the file's first audio stream (`aac`, `opus` …), or null when it has none. */
export async function probeAudioCodec(source: MediaInput | string, ffprobePath = 'ffprobe', limits: MediaLimits = NO_MEDIA_LIMITS): Promise<string | null> {
  const data = await ffprobe(typeof source === 'string' ? mediaInput(source) : source, ffprobePath, limits);
  return (data.streams ?? []).find((s) => s.codec_type === 'audio')?.codec_name ?? null;
}
