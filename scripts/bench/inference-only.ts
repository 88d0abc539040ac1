/**
 * ONNX Runtime alone on pre-decoded, pre-letterboxed input tensors: the model's own ceiling.
 * Run as a child process by bench.ts (one per detector process being modelled): it loads the
 * model, prepares the tensors, says "ready", waits for "go" on stdin, runs for --seconds and
 * prints the number of frames it got through.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { probeVideo } from '@video-detect/shared';
import { computeLetterbox, DetectionEngine, FrameDecoder, familyInput, openOnnxSession } from '@video-detect/detector';
import { prepareTensors, runInferenceLoop } from './inference-loop.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, video: { type: 'string' }, threads: { type: 'string' }, seconds: { type: 'string' } } });
const model = values.model ?? '';
const video = values.video ?? '';
const seconds = Number(values.seconds ?? 10);

const engine = new DetectionEngine(
  await openOnnxSession({ modelPath: model, executionProvider: 'cpu', deviceId: 0, intraOpThreads: Number(values.threads ?? 0), batchSize: 1 }),
);
const { format } = engine.model;
const probed = await probeVideo(video);
const letterbox = computeLetterbox(format.family, probed.width, probed.height, format.inputSize);
const decoder = new FrameDecoder({
  ffmpegPath: 'ffmpeg',
  file: video,
  streamIndex: probed.streamIndex,
  width: probed.width,
  height: probed.height,
  pixelFormat: familyInput[format.family].pixelFormat,
  range: null,
});
// A handful of distinct real frames, decoded and letterboxed before the clock starts.
const frames: Uint8Array[] = [];
for await (const frame of decoder.frames({ wanted: (o) => o % 50 === 0 && o < 800 })) frames.push(frame.data);
decoder.kill();
const tensors = prepareTensors(engine, frames, letterbox, 1, frames.length);
for (const t of tensors.slice(0, 3)) await engine.run(t);

console.log('ready');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const { frames: done } = await runInferenceLoop(engine, tensors, seconds);
console.log(JSON.stringify({ frames: done, seconds }));
await engine.release();
process.exit(0);
