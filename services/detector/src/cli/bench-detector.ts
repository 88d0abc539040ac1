import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listFrameTimestamps, loadConfig, probeVideo } from '@video-detect/shared';
import { toDetectedObjects } from '../decode/postprocess.js';
import { DetectionEngine } from '../inference/detection-engine.js';
import { InferenceClient } from '../inference/inference-client.js';
import { FrameDecoder } from '../media/frame-decoder.js';
import { openOnnxSession } from '../model/onnx-session.js';
import { detectFrames } from '../pipeline/detect-frames.js';
import { computeLetterbox, familyInput } from '../preprocess/letterbox.js';
import { positiveNumber, runCli, sharedDir, withUsage } from './cli-args.js';

const usage = `Usage: npm run bench:detector -- [--model FILE.onnx ...] [--video FILE] [--threads 1,2]
       [--runs 50] [--warmup 5] [--max-seconds 20] [--repeat 3]

For each model and ONNX Runtime intra-op thread count, prints JSON lines:
  inference_ms     session.run() alone on a real letterboxed frame (median of --runs after --warmup)
  preprocess_ms    letterbox + HWC->CHW float of one decoded frame (JS, inference thread)
  postprocess_ms   output decoding + NMS of one frame (score >= 0.3)
  decode_fps       ffmpeg decoding the video to raw frames, nothing else
  end_to_end_fps   decode + preprocess + inference + decode/NMS through the inference thread, pipelined
                   (median of --repeat runs)
                   as the detect job runs it, over the first frames of --video (as many as
                   --max-seconds allows at the measured inference speed; 0 = the whole video)
Defaults: every .onnx in ../shared/models, ../shared/media/bottle-detection.mp4, threads 1 and 2.`;

const args = withUsage(
  () =>
    parseArgs({
      options: {
        model: { type: 'string', multiple: true },
        video: { type: 'string' },
        threads: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        'max-seconds': { type: 'string' },
        repeat: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values,
  usage,
);

const config = loadConfig();
const video = path.resolve(args.video ?? path.join(sharedDir, 'media', 'bottle-detection.mp4'));
const threadCounts = (args.threads ?? '1,2').split(',').map((t) => positiveNumber('threads', t, 0));
const runs = Math.max(1, positiveNumber('runs', args.runs, 50));
const warmup = positiveNumber('warmup', args.warmup, 5);
const maxSeconds = positiveNumber('max-seconds', args['max-seconds'], 20);
const repeat = Math.max(1, positiveNumber('repeat', args.repeat, 3));
const models =
  args.model?.map((m) => path.resolve(m)) ??
  (await readdir(path.join(sharedDir, 'models'))).filter((f) => f.endsWith('.onnx')).sort().map((f) => path.join(sharedDir, 'models', f));

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const stats = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: round(median, 3), min: round(s[0]!, 3), max: round(s[s.length - 1]!, 3) };
};
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const note = (message: string) => console.error(`bench:detector: ${message}`);

await runCli('bench:detector', async () => {
  const probed = await probeVideo(video, config.media.ffprobePath);
  const pts = await listFrameTimestamps(video, probed.streamIndex, config.media.ffprobePath);
  const context = { cpu_threads_available: (await import('node:os')).availableParallelism(), execution_provider: config.detector.executionProvider };

  /** One decoded frame from the middle of the video, in the model's channel order. */
  async function sampleFrame(pixelFormat: 'bgr24' | 'rgb24'): Promise<Uint8Array> {
    const decoder = new FrameDecoder({ ffmpegPath: config.media.ffmpegPath, file: video, streamIndex: probed.streamIndex, width: probed.width, height: probed.height, pixelFormat, range: null });
    const middle = Math.floor(pts.length / 2);
    for await (const frame of decoder.frames({ wanted: (o) => o === middle })) {
      decoder.kill();
      return frame.data;
    }
    throw new Error(`could not decode frame ${middle} of ${video}`);
  }

  async function decodeFps(frames: number, pixelFormat: 'bgr24' | 'rgb24'): Promise<number> {
    const decoder = new FrameDecoder({ ffmpegPath: config.media.ffmpegPath, file: video, streamIndex: probed.streamIndex, width: probed.width, height: probed.height, pixelFormat, range: null });
    const started = performance.now();
    let n = 0;
    for await (const _ of decoder.frames({ wanted: (o) => o < frames })) {
      void _;
      if (++n >= frames) break;
    }
    return n / ((performance.now() - started) / 1000);
  }

  const decodeMeasured = new Set<string>();
  for (const modelPath of models) {
    const name = path.basename(modelPath);
    for (const threads of threadCounts) {
      const sessionOptions = { modelPath, executionProvider: config.detector.executionProvider, deviceId: config.detector.deviceId, intraOpThreads: threads, batchSize: 1 };
      // 1. The model alone, in this thread, on a real frame.
      const engine = new DetectionEngine(await openOnnxSession(sessionOptions));
      const { format, labels } = engine.model;
      const frame = await sampleFrame(familyInput[format.family].pixelFormat);
      const letterbox = computeLetterbox(format.family, probed.width, probed.height, format.inputSize);
      const pre: number[] = [];
      const infer: number[] = [];
      const post: number[] = [];
      note(`${name}, ${threads || 'default'} thread(s): ${warmup} warm-up + ${runs} timed runs`);
      for (let i = 0; i < warmup + runs; i++) {
        const t0 = performance.now();
        const tensor = engine.toTensor([frame], letterbox);
        const t1 = performance.now();
        const output = await engine.run(tensor);
        const t2 = performance.now();
        toDetectedObjects(engine.decode(output, 0, { scoreThreshold: 0.3, classIds: null, multiLabel: false }), letterbox, labels, { nmsIou: 0.45, maxPerFrame: 100 });
        const t3 = performance.now();
        if (i < warmup) continue;
        pre.push(t1 - t0);
        infer.push(t2 - t1);
        post.push(t3 - t2);
      }
      await engine.release();
      // 3. ffmpeg alone, once per channel order: what decoding costs beside inference.
      const pixelFormat = familyInput[format.family].pixelFormat;
      if (!decodeMeasured.has(pixelFormat)) {
        decodeMeasured.add(pixelFormat);
        const n = Math.min(pts.length, 600);
        emit({ metric: 'decode_fps', ...stats([await decodeFps(n, pixelFormat)]), runs: 1, video: path.basename(video), frames: n, pixel_format: pixelFormat, source: `${probed.width}x${probed.height}` });
      }
      const inference = stats(infer);
      const common = { model: name, family: format.family, input_size: format.inputSize, threads: threads || 'default', ...context };
      emit({ metric: 'inference_ms', ...inference, runs, warmup, fps: round(1000 / inference.median, 1), ...common });
      emit({ metric: 'preprocess_ms', ...stats(pre), runs, source: `${probed.width}x${probed.height}`, ...common });
      emit({ metric: 'postprocess_ms', ...stats(post), runs, ...common });

      // 2. Everything together, as the detect job runs it.
      const frames = maxSeconds > 0 ? Math.min(pts.length, Math.max(30, Math.floor((maxSeconds * 1000) / inference.median))) : pts.length;
      const client = await InferenceClient.start(sessionOptions);
      const fps: number[] = [];
      for (let r = 0; r < repeat; r++) {
        note(`${name}, ${threads || 'default'} thread(s): end to end over ${frames} frames of ${path.basename(video)}`);
        const started = performance.now();
        const outcome = await detectFrames(client, {
          ffmpegPath: config.media.ffmpegPath,
          file: video,
          streamIndex: probed.streamIndex,
          width: probed.width,
          height: probed.height,
          range: { startFrame: 0, endFrame: frames, selectFrom: null, selectTo: frames < pts.length ? (pts[frames - 1]! + pts[frames]!) / 2 : null, seekTo: 0 },
          frames: null,
          timestamps: null,
          post: { scoreThreshold: config.detector.scoreThreshold, nmsIou: config.detector.nmsIou, maxPerFrame: config.detector.maxPerFrame, classIds: null, multiLabel: false },
        });
        fps.push(outcome.frames.length / ((performance.now() - started) / 1000));
      }
      await client.close();
      emit({ metric: 'end_to_end_fps', ...stats(fps), runs: repeat, video: path.basename(video), frames, ...common });
    }
  }
});
