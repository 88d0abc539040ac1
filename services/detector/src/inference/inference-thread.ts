import { parentPort, workerData } from 'node:worker_threads';
import { ExecutionProviderError } from '../model/execution-provider.js';
import { ModelLoadError } from '../model/model-load-error.js';
import { openOnnxSession } from '../model/onnx-session.js';
import { DetectionEngine } from './detection-engine.js';
import type { FromInferenceThread, InferenceThreadData, StartFailureCause, ToInferenceThread } from './inference-protocol.js';

/**
 * The inference thread: owns the ONNX Runtime session so that session.run() (native work on the
 * calling thread) never blocks the main event loop, where BullMQ renews its job locks. Decoded
 * frames arrive from the main thread; it letterboxes them (WebAssembly, well under a millisecond a
 * frame), runs the model, decodes, and answers with plain objects and the frame buffers.
 */
const parent = parentPort;
if (!parent) throw new Error('inference-thread.ts must run as a worker thread');
const send = (message: FromInferenceThread, transfer: ArrayBuffer[] = []) => parent.postMessage(message, transfer);

function causeOf(err: Error): StartFailureCause | null {
  if (err instanceof ModelLoadError) return { kind: 'model', file: err.file, reason: err.reason };
  if (err instanceof ExecutionProviderError) return { kind: 'provider', provider: err.provider, reason: err.reason };
  return null;
}

async function start(data: InferenceThreadData): Promise<DetectionEngine | null> {
  try {
    const engine = new DetectionEngine(await openOnnxSession(data.session));
    await engine.warmUp();
    const { header, ...model } = engine.model;
    send({ type: 'ready', model: { ...model, metadata: header.metadata, producer: header.producer } });
    return engine;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'init-error', message: e.message, cause: causeOf(e) });
    return null;
  }
}

const engine = await start(workerData as InferenceThreadData);
if (engine) {
  parent.on('message', (message: ToInferenceThread) => {
    if (message.type === 'infer') {
      const { id, frames } = message;
      const timing = { seconds: 0 };
      engine.detect(frames.map((f) => new Uint8Array(f)), message.letterbox, message.post, timing).then(
        (objects) => send({ type: 'result', id, objects, frames, seconds: timing.seconds }, frames),
        (err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err), frames }, frames),
      );
      return;
    }
    // The engine queues runs: this releases the session after the last one.
    void engine.release().then(() => {
      send({ type: 'closed' });
      parent.close();
    });
  });
}
