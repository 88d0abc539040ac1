import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { inputOptions, mediaInput, redactInput, type MediaInput } from '@video-detect/shared';
import type { PixelFormat } from '../preprocess/letterbox.js';
import { FrameDecodeError } from './frame-decode-error.js';
import { GENPTS, limitStopReason, NO_MEDIA_LIMITS, spawnLimited, type MediaLimits } from '@video-detect/shared';

/** A frame-exact slice of the source, as the processor plans it (see `detectJobSchema`). */
export interface FrameRange {
  /** Source frames [startFrame, endFrame) in presentation order. */
  startFrame: number;
  endFrame: number;
  /** Presentation-time window in the stream's own timestamps (s); null = open. */
  selectFrom: number | null;
  selectTo: number | null;
  /** Where to seek before decoding (s, stream timestamps); decoding starts at the keyframe before it. */
  seekTo: number;
}

export interface FrameDecodeRequest {
  ffmpegPath: string;
  /** Memory and CPU limits on ffmpeg (no wall clock: inference paces it). @defaultValue none */
  limits?: MediaLimits;
  /** A path, or a presigned URL (read with range requests: only the chunk's bytes and the index). */
  file: MediaInput | string;
  /** Absolute stream index of the video; null = ffmpeg's first video stream. */
  streamIndex: number | null;
  /** Displayed (after rotation) frame size: what ffmpeg outputs, pixels. */
  width: number;
  height: number;
  /** The model's channel order. */
  pixelFormat: PixelFormat;
  /** null = every frame of the file (no count to check). */
  range: FrameRange | null;
}

export interface FrameReadOptions {
  /** Which ordinals to copy out and yield (the rest are read and dropped). @defaultValue all */
  wanted?: (ordinal: number) => boolean;
  /** Aborting kills ffmpeg and rejects. */
  signal?: AbortSignal;
  /** Where each yielded frame's bytes go: a pool's buffer, or a new one (the default). */
  allocate?: (bytes: number) => Uint8Array;
}

export interface DecodedFrame {
  /** 0-based position inside the range (source index = range.startFrame + ordinal). */
  ordinal: number;
  /** width*height*3 bytes, HWC, in `pixelFormat`; a whole ArrayBuffer of its own, so it can be transferred. */
  data: Uint8Array;
}

/** Seconds as plain decimals (never exponent notation, which ffmpeg's expressions would misread). */
function seconds(t: number): string {
  return t.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
}

/** The ffmpeg command line (an argument array: nothing reaches a shell). */
export function buildFfmpegArgs(req: FrameDecodeRequest): string[] {
  const { range } = req;
  const media = typeof req.file === 'string' ? mediaInput(req.file) : req.file;
  const filters: string[] = [];
  if (range && range.selectFrom !== null) filters.push(`select='gte(t,${seconds(range.selectFrom)})'`);
  // The end by trim, not select: trim drops the same frames (pts >= end) but then ends the stream,
  // so ffmpeg stops decoding there instead of reading the rest of the file to drop it.
  if (range && range.selectTo !== null) filters.push(`trim=end=${seconds(range.selectTo)}`);
  // Colour conversion only: the letterbox resize is done exactly as OpenCV does it, in the
  // inference thread (see preprocess/letterbox-tensor.ts for why not ffmpeg's scaler).
  filters.push(`format=${req.pixelFormat}`);
  const seek =
    range && range.seekTo > 0
      ? // -seek_timestamp: -ss is a stream timestamp like selectFrom (not offset by the file's start
        // time). -noaccurate_seek: no trim of ffmpeg's own; select and trim above decide which frames pass.
        ['-seek_timestamp', '1', '-noaccurate_seek', '-ss', seconds(range.seekTo)]
      : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...seek,
    ...inputOptions(media),
    // Keep the stream's own timestamps so `t` in select is the pts ffprobe reports (listed with the same GENPTS).
    '-copyts',
    ...GENPTS,
    '-i',
    media.input,
    '-map',
    req.streamIndex === null ? '0:v:0' : `0:${req.streamIndex}`,
    '-vf',
    filters.join(','),
    // One output frame per selected input frame: no duplication or dropping to a frame rate.
    '-fps_mode',
    'passthrough',
    '-pix_fmt',
    req.pixelFormat,
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}

/** Keeps the last few KB of ffmpeg's stderr for error messages. */
class StderrTail {
  private text = '';
  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-4096);
  }
  lines(n = 8): string {
    return this.text.trim().split('\n').slice(-n).join(' | ');
  }
}

/**
 * Decodes frames with ffmpeg, in display orientation (ffmpeg's auto-rotation) and the model's
 * channel order, reading exactly width*height*3 bytes per frame from its stdout. Reading is pulled by the consumer, so a slow
 * consumer pauses ffmpeg (pipe back-pressure). When a range is given, the number of frames must be
 * exactly endFrame - startFrame, or FrameDecodeError is thrown (e.g. a corrupt segment).
 */
export class FrameDecoder {
  /** Frames read from ffmpeg so far (wanted or not). */
  framesRead = 0;
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private readonly media: MediaInput;

  constructor(private readonly req: FrameDecodeRequest) {
    this.media = typeof req.file === 'string' ? mediaInput(req.file) : req.file;
  }

  /** The frames, in order; only those whose ordinal `wanted` accepts are copied out and yielded. */
  async *frames(options: FrameReadOptions = {}): AsyncGenerator<DecodedFrame> {
    const { wanted = () => true, signal, allocate = (bytes) => new Uint8Array(bytes) } = options;
    const { req } = this;
    const frameBytes = req.width * req.height * 3;
    const expected = req.range ? req.range.endFrame - req.range.startFrame : null;
    // Messages name the media by its label: a presigned URL never reaches a log or a stored error.
    const { media } = this;
    const where = req.range ? `frames [${req.range.startFrame}, ${req.range.endFrame}) of ${media.label}` : media.label;
    /** Source index of the frame being read (ordinal 0 is the range's first frame). */
    const sourceIndex = (ordinal: number) => (req.range ? req.range.startFrame + ordinal : null);

    const limits = req.limits ?? NO_MEDIA_LIMITS;
    const child = spawnLimited(req.ffmpegPath, buildFfmpegArgs(req), limits, { cpu: true, wallClock: false }, { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcessByStdio<null, Readable, Readable>;
    this.child = child;
    const stderr = new StderrTail();
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    const ffmpegWords = () => redactInput(stderr.lines(), media);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, sig) => resolve({ code, signal: sig, error: null }));
    });
    const onAbort = () => this.kill();
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      let ordinal = 0;
      let filled = 0;
      let keep = wanted(0);
      // Taken when the frame's first bytes arrive, so a pool has had the longest to refill.
      let frame: Uint8Array | null = null;
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        let pos = 0;
        while (pos < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - pos);
          if (keep) (frame ??= allocate(frameBytes)).set(chunk.subarray(pos, pos + n), filled);
          filled += n;
          pos += n;
          if (filled < frameBytes) continue;
          if (expected !== null && ordinal >= expected) {
            throw new FrameDecodeError('FRAME_COUNT_MISMATCH', `ffmpeg returned more than the ${expected} ${where} (the select window holds extra frames)`, sourceIndex(ordinal));
          }
          this.framesRead = ordinal + 1;
          if (frame) yield { ordinal, data: frame };
          ordinal++;
          filled = 0;
          keep = wanted(ordinal);
          frame = null;
        }
      }
      const result = await exited;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('frame decoding aborted');
      if (result.error) {
        const notFound = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
        throw new FrameDecodeError(
          notFound ? 'FFMPEG_NOT_FOUND' : 'FFMPEG_FAILED',
          notFound ? `ffmpeg not found at "${req.ffmpegPath}" (FFMPEG_PATH)` : `could not run ffmpeg for ${where}: ${result.error.message}`,
        );
      }
      if (result.code !== 0) {
        const stopped = limitStopReason(result.signal, limits, 'ffmpeg');
        throw new FrameDecodeError('FFMPEG_FAILED', `ffmpeg failed (${result.signal ?? `exit ${result.code}`}) decoding ${where}: ${stopped ?? (ffmpegWords() || 'no message')}`, sourceIndex(ordinal));
      }
      if (filled !== 0) throw new FrameDecodeError('TRUNCATED_FRAME', `ffmpeg's output for ${where} ended inside a frame`, sourceIndex(ordinal));
      if (expected !== null && ordinal !== expected) {
        throw new FrameDecodeError(
          'FRAME_COUNT_MISMATCH',
          `ffmpeg returned ${ordinal} of the ${expected} ${where} (corrupt or missing segment?)${ffmpegWords() ? `: ${ffmpegWords()}` : ''}`,
          sourceIndex(ordinal),
        );
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.kill();
    }
  }

  /** Stops ffmpeg (early return, abort, error); harmless once it has exited. */
  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
