import {
  decodeYuvFrames,
  FfmpegProcess,
  FrameAnnotator,
  inputOptions,
  type AnalysisRecord,
  type DetectedObject,
  type FrameResult,
  type MediaInput,
  type MediaLimits,
  type Logger,
  type RenderOptions,
  UnreadableVideoError,
} from '@video-detect/shared';
import { timedFrameHeader, timedFramesHeader } from './timed-raw-frames.js';

/** Where and how to render one video. */
export interface RenderInput {
  ffmpegPath: string;
  limits?: MediaLimits;
  /** The stored upload (decoded for the pictures, and the source of the audio). */
  source: MediaInput;
  streamIndex: number;
  /** Displayed frame size and rate of the source: the output's. */
  width: number;
  height: number;
  fps: number;
  /** Presentation time (s) of each source frame in order (`listFrameTimestamps`), and the video stream's time base (`1/15360`). */
  frameTimes: readonly number[];
  timeBase: string;
  /** The source's container start time (s), `probeVideo`'s `startTime`: ffmpeg starts the copied audio from it. */
  startTime: number;
  /** The source's audio codec (null: no audio): AAC and MP3 are copied, others re-encoded to AAC. */
  audioCodec: string | null;
  /** Where the MP4 is written. */
  output: string;
  encoder: { preset: string; crf: number };
  options: RenderOptions;
  analysis: AnalysisRecord | null;
  /** With sampling, the last analysed frame's boxes stay up until the next analysed frame. */
  holdBoxes: boolean;
}

/** How far (s) a frame may sit from its place on the constant-rate grid for the source to count as constant-rate. */
const CONSTANT_RATE_TOLERANCE = 0.001;

/**
 * Whether every frame sits on the grid of `fps` from the first one (within a millisecond: what a
 * millisecond time base rounds to), so numbering frames at `fps` keeps each at its source time.
 */
export function isConstantRate(frameTimes: readonly number[], fps: number): boolean {
  const first = frameTimes[0] ?? 0;
  return frameTimes.every((t, i) => Math.abs(t - first - i / fps) <= CONSTANT_RATE_TOLERANCE);
}

/**
 * Where (s) the render's first frame goes: the source's first frame time from its container start.
 * ffmpeg takes the container's start time off the source's streams, so the copied audio keeps its
 * place from that start; a video starting later than its audio (a `start_time` of 0.5 s beside audio
 * at 0, an MPEG-TS whose streams start at different PTS) has to start as late to stay in sync with it.
 * 0 without audio: nothing to keep in step with.
 */
export function videoStartOffset(input: Pick<RenderInput, 'frameTimes' | 'startTime' | 'audioCodec'>): number {
  const first = input.frameTimes[0];
  if (input.audioCodec === null || first === undefined) return 0;
  // In microseconds, what `-itsoffset` takes: float noise is no offset, so such sources render as before.
  return Math.max(0, Math.round((first - input.startTime) * 1e6) / 1e6);
}

/**
 * How frames reach the encoder. A constant-rate source starting with its container: raw frames
 * numbered at its rate. Any other (a phone's variable rate, dropped frames, a video starting after
 * its audio): each frame with its source time from the first frame, in a Matroska stream
 * (`timed-raw-frames.ts`), shifted by `startOffset` (`-itsoffset`) and encoded in the source's
 * time base without re-timing, so the render plays in step with the source and its audio. (Offset
 * raw frames at a constant rate would not do: mp4's constant-rate output fills the gap before the
 * first frame with copies of it.)
 */
export type FrameTiming = { kind: 'constant' } | { kind: 'source'; timeBase: string; startOffset: number };

export function frameTimingOf(input: Pick<RenderInput, 'frameTimes' | 'fps' | 'timeBase' | 'startTime' | 'audioCodec'>): FrameTiming {
  const startOffset = videoStartOffset(input);
  return startOffset === 0 && isConstantRate(input.frameTimes, input.fps) ? { kind: 'constant' } : { kind: 'source', timeBase: input.timeBase.replace('/', ':'), startOffset };
}

/**
 * Each frame's time from the first one, in the order decoded, at least one tick of the time base
 * (`1/15360`) after the one before: a file with two frames at one time (a muxer's rounding) still
 * renders, the later frame a tick on, where an encoder keeping source times would refuse it.
 */
export function strictlyRisingTimes(frameTimes: readonly number[], timeBase: string): number[] {
  const [num = 1, den = 1000] = timeBase.split(/[/:]/).map(Number);
  const tick = num / den;
  const first = frameTimes[0] ?? 0;
  const times: number[] = [];
  for (const t of frameTimes) times.push(times.length === 0 ? 0 : Math.max(t - first, times[times.length - 1]! + tick));
  return times;
}

/** Frame `i`'s duration: to the next frame; the last one lasts as long as the one before it. */
export function frameDuration(frameTimes: readonly number[], i: number, fps: number): number {
  const [t, next, previous] = [frameTimes[i]!, frameTimes[i + 1], frameTimes[i - 1]];
  return next !== undefined ? next - t : previous !== undefined ? t - previous : 1 / fps;
}

/** The ffmpeg command that encodes I420 frames from stdin into a browser-playable MP4 with the source's audio. */
export function encoderArgs(input: Pick<RenderInput, 'width' | 'height' | 'fps' | 'source' | 'audioCodec' | 'output' | 'encoder'>, timing: FrameTiming = { kind: 'constant' }): string[] {
  const audio = input.audioCodec === null ? [] : ['-map', '1:a:0', ...(['aac', 'mp3'].includes(input.audioCodec) ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '160k'])];
  const frames =
    timing.kind === 'constant'
      ? ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${input.width}x${input.height}`, '-framerate', String(input.fps)]
      : [...(timing.startOffset > 0 ? ['-itsoffset', String(timing.startOffset)] : []), '-f', 'matroska'];
  // Every frame at its own time: no frame dropped, doubled or moved to a constant-rate grid.
  const keepTimes = timing.kind === 'constant' ? [] : ['-fps_mode', 'passthrough', '-enc_time_base', timing.timeBase];
  return [
    ...frames, '-i', 'pipe:0',
    ...(input.audioCodec === null ? [] : [...inputOptions(input.source), '-i', input.source.input]),
    '-map', '0:v:0', ...audio,
    '-c:v', 'libx264', '-preset', input.encoder.preset, '-crf', String(input.encoder.crf), '-pix_fmt', 'yuv420p', ...keepTimes,
    // moov first: a browser can start playing and seeking before the whole file has arrived.
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', input.output,
  ];
}

export interface RenderProgress {
  /** Called every `PROGRESS_EVERY_MS` and at the end; false stops the render (its render was deleted). */
  (framesDone: number): Promise<boolean>;
}
const PROGRESS_EVERY_MS = 1000;
/** Raw frames queued for the encoder before the renderer waits for it. */
const FRAMES_AHEAD = 4;

/** The render was stopped (its video or render was deleted): nothing to report. */
export class RenderStoppedError extends Error {
  constructor() {
    super('the render was deleted while it ran');
    this.name = 'RenderStoppedError';
  }
}

/**
 * Decodes every source frame (frame-exactly as the detectors did, so the boxes of index n go on
 * frame n), draws the stored boxes (and trails, lines, zones and counts) on the raw I420 frame,
 * and pipes it into x264. Returns the frames written. Throws on any ffmpeg error; the caller
 * removes the partial output.
 */
export async function renderVideo(input: RenderInput, stored: AsyncIterable<FrameResult[]> | Iterable<FrameResult[]>, progress: RenderProgress, log: Logger): Promise<number> {
  const { options } = input;
  const classes = options.classes ? new Set(options.classes) : null;
  const keep = (o: DetectedObject) => (!classes || classes.has(o.label)) && (options.min_score === null || o.score >= options.min_score);
  const annotator = new FrameAnnotator(input.width, input.height, { trackIds: options.track_ids, trails: options.trails, analysis: input.analysis });
  const timing = frameTimingOf(input);
  const encoder = new FfmpegProcess(input.ffmpegPath, encoderArgs(input, timing), input.limits);
  const times = timing.kind === 'source' ? strictlyRisingTimes(input.frameTimes, input.timeBase) : [];
  if (timing.kind === 'source') await encoder.write(timedFramesHeader(input.width, input.height));
  const decoding = new AbortController();
  const results = (async function* () {
    for await (const batch of stored) yield* batch;
  })();
  let next = await results.next();
  let current: FrameResult | null = null;
  let n = 0;
  let reported = performance.now();
  try {
    for await (const image of decodeYuvFrames({ ffmpegPath: input.ffmpegPath, file: input.source, streamIndex: input.streamIndex, width: input.width, height: input.height, range: null, limits: input.limits }, decoding.signal)) {
      while (!next.done && next.value.index <= n) {
        current = next.value;
        next = await results.next();
      }
      const shown = current && (current.index === n || input.holdBoxes) ? current : null;
      await annotator.draw(image, { index: n, timestamp: current?.index === n ? current.timestamp : n / input.fps, objects: shown ? shown.objects.filter(keep) : [] });
      if (timing.kind === 'source') {
        const t = times[n];
        // A frame the listing does not have has no source time to keep.
        if (t === undefined) throw new UnreadableVideoError(`ffmpeg decoded more than the video's ${times.length} frames`);
        await encoder.write(timedFrameHeader(t, frameDuration(times, n, input.fps), image.data.length));
      }
      await encoder.write(image.data, image.data.length * FRAMES_AHEAD);
      n++;
      if (performance.now() - reported > PROGRESS_EVERY_MS) {
        reported = performance.now();
        if (!(await progress(n))) throw new RenderStoppedError();
      }
    }
    encoder.child.stdin.end();
    await encoder.done;
  } catch (err) {
    decoding.abort();
    encoder.kill();
    log.debug({ err, frames: n, ffmpeg: encoder.stderrTail() }, 'render stopped');
    throw err;
  }
  return n;
}
