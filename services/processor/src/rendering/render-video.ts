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
} from '@video-detect/shared';

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

/** The ffmpeg command that encodes raw I420 frames from stdin into a browser-playable MP4 with the source's audio. */
export function encoderArgs(input: Pick<RenderInput, 'width' | 'height' | 'fps' | 'source' | 'audioCodec' | 'output' | 'encoder'>): string[] {
  const audio = input.audioCodec === null ? [] : ['-map', '1:a:0', ...(['aac', 'mp3'].includes(input.audioCodec) ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '160k'])];
  return [
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${input.width}x${input.height}`, '-framerate', String(input.fps), '-i', 'pipe:0',
    ...(input.audioCodec === null ? [] : [...inputOptions(input.source), '-i', input.source.input]),
    '-map', '0:v:0', ...audio,
    '-c:v', 'libx264', '-preset', input.encoder.preset, '-crf', String(input.encoder.crf), '-pix_fmt', 'yuv420p',
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
  const encoder = new FfmpegProcess(input.ffmpegPath, encoderArgs(input), input.limits);
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
