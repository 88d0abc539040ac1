import { parentPort, workerData } from 'node:worker_threads';
import { ModelLoadError } from '../model/model-load-error.js';
import { openOnnxSession } from '../model/onnx-session.js';
import { DetectionEngine } from './detection-engine.js';
import type { FromInferenceThread, InferenceThreadData, ToInferenceThread } from './inference-protocol.js';

/**
 * The inference thread: owns the ONNX Runtime session so that session.run() (native work on the
 * calling thread) never blocks the main event loop, where BullMQ renews its job locks.
 */
const port = parentPort;
if (!port) throw new Error('inference-thread.ts must run as a worker thread');
const send = (message: FromInferenceThread) => port.postMessage(message);

async function start(data: InferenceThreadData): Promise<DetectionEngine | null> {
  try {
    const engine = new DetectionEngine(await openOnnxSession(data.session));
    await engine.warmUp();
    const { header, ...model } = engine.model;
    send({ type: 'ready', model: { ...model, metadata: header.metadata, producer: header.producer } });
    return engine;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'init-error', message: e.message, model: e instanceof ModelLoadError ? { file: e.file, reason: e.reason } : null });
    return null;
  }
}

const engine = await start(workerData as InferenceThreadData);
if (engine) {
  // Requests run one after another: concurrent run() calls would only fight over the same cores.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: ToInferenceThread) => {
    queue = queue.then(async () => {
      if (message.type === 'close') {
        await engine.release();
        send({ type: 'closed' });
        port.close();
        return;
      }
      const started = performance.now();
      try {
        const frames = message.frames.map((b) => new Uint8Array(b));
        const objects = await engine.detect(frames, message.letterbox, message.post);
        send({ type: 'result', id: message.id, objects, inferMs: performance.now() - started });
      } catch (err) {
        send({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

